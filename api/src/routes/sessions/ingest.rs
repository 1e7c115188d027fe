//! The upload of a session: limits, validation, storage and the analysis job.

use super::*;

/// Refuses an upload (503 `server_busy`) before its body is read when too
/// many are in progress: each one buffers up to the body limit in memory.
pub(super) async fn limit_uploads(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    match state.uploads.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::new(
            ErrorCode::ServerBusy,
            "too many uploads in progress; retry shortly",
        )
        .with_retry_after(2)
        .into_response(),
    }
}

/// Metadata of an upload, as query parameters (the body is the samples).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Session start (RFC 3339), from 2000-01-01 to before 2100-01-01 (UTC).
    /// Required unless the body carries it (binary header, JSON
    /// `started_at`); wins over the body's.
    #[param(example = "2026-11-26T09:00:00Z")]
    pub started_at: Option<DateTime<Utc>>,
    /// `flat` (default), `jumping` or `cross_country`.
    pub discipline: Option<Discipline>,
    /// Sensor device id (≤ 200 characters).
    #[param(max_length = 200)]
    pub device_id: Option<String>,
    /// Rider's notes (≤ 2000 characters).
    #[param(max_length = 2000)]
    pub notes: Option<String>,
}

/// One sample of a JSON upload (units: see the sensor data contract).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documentation only: the upload is decoded by `shared::sensor`
pub struct JsonSample {
    /// Seconds from the session start; strictly increasing.
    pub t: f64,
    /// Acceleration along x (m/s²).
    pub ax: f64,
    /// Acceleration along y (m/s²).
    pub ay: f64,
    /// Acceleration along z (m/s²).
    pub az: f64,
    /// Rotation rate about x (deg/s).
    pub gx: f64,
    /// Rotation rate about y (deg/s).
    pub gy: f64,
    /// Rotation rate about z (deg/s).
    pub gz: f64,
}

/// The samples as a JSON document (`application/json` upload).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // documentation only: the upload is decoded by `shared::sensor`
pub struct JsonSamples {
    /// Session start (RFC 3339); the `started_at` query parameter wins over it.
    pub started_at: Option<DateTime<Utc>>,
    /// At least 2 samples, 25–400 Hz, strictly increasing `t`, at most 4 hours.
    #[schema(min_items = 2)]
    pub samples: Vec<JsonSample>,
}

/// The samples in the binary format (`application/vnd.hoofbeat.imu`).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documentation only
pub struct ImuBinary(Vec<u8>);

/// Where to poll after an upload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Links {
    /// The session.
    pub session: String,
    /// Its analysis (202 while pending).
    pub analysis: String,
    /// Its analysis job.
    pub job: String,
    /// The samples as uploaded.
    pub raw: String,
}

/// Answer to an accepted upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadAccepted {
    /// The new session.
    pub session: Session,
    /// Its analysis job.
    pub job: JobView,
    /// Where to poll.
    pub links: Links,
}

fn upload_format(headers: &HeaderMap) -> ApiResult<Format> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    Format::from_media_type(media).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be text/csv, application/json or application/vnd.hoofbeat.imu",
        )
    })
}

fn upload_encoding(headers: &HeaderMap) -> ApiResult<Encoding> {
    match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().map(str::trim))
    {
        None => Ok(Encoding::Identity),
        Some(Ok(v)) if v.eq_ignore_ascii_case("identity") || v.is_empty() => Ok(Encoding::Identity),
        Some(Ok(v)) if v.eq_ignore_ascii_case("gzip") => Ok(Encoding::Gzip),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Encoding must be gzip or identity",
        )),
    }
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 200 => Ok(Some(k.trim().to_owned())),
        _ => Err(ApiError::invalid_field(
            "Idempotency-Key",
            "must be 1 to 200 visible ASCII characters",
        )),
    }
}

fn check_text(field: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// Fingerprint of an upload, to tell a retry from a different request under the same key.
fn request_hash(
    horse_id: Uuid,
    params: &UploadParams,
    p: &Prepared,
    samples_sha256: &[u8],
) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(horse_id.as_bytes());
    h.update(p.format.as_str().as_bytes());
    h.update(
        format!(
            "{:?}|{:?}|{:?}|{:?}",
            params.started_at, params.discipline, params.device_id, params.notes
        )
        .as_bytes(),
    );
    h.update(samples_sha256);
    h.finalize().to_vec()
}

fn accepted(body: serde_json::Value, session_id: Uuid) -> Response {
    let location = format!("/v1/sessions/{session_id}/analysis");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response()
}

/// Upload a riding session's samples to a horse. The body is the samples
/// (CSV, JSON or binary, optionally `Content-Encoding: gzip`); metadata goes in
/// the query. Answers 202 with the session, its analysis job and where to poll.
/// With an `Idempotency-Key`, a retry of the same upload gets the same answer
/// and creates nothing; the same key with another body is refused (422).
#[utoipa::path(post, path = "/v1/horses/{horse_id}/sessions", tag = "sessions", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path), UploadParams,
           ("Idempotency-Key" = Option<String>, Header, max_length = 200, pattern = r"^[!-~]([ -~]*[!-~])?$",
            description = "Makes retries safe: 1–200 visible ASCII characters")),
    request_body(description = "IMU samples; see the sensor data contract", content(
        (String = "text/csv", example = "t,ax,ay,az,gx,gy,gz\n0.00,0.12,-0.05,9.79,0.4,-0.2,0.1\n0.01,0.15,-0.02,9.83,0.5,-0.1,0.0\n"),
        (JsonSamples = "application/json", example = json!({"started_at": "2026-11-26T09:00:00Z", "samples": [
            {"t": 0.0, "ax": 0.12, "ay": -0.05, "az": 9.79, "gx": 0.4, "gy": -0.2, "gz": 0.1},
            {"t": 0.01, "ax": 0.15, "ay": -0.02, "az": 9.83, "gx": 0.5, "gy": -0.1, "gz": 0.0}]})),
        (ImuBinary = "application/vnd.hoofbeat.imu"))),
    responses((status = 202, body = UploadAccepted, headers(("Location" = String, description = "The session's analysis"))),
              (status = 400, body = Problem, description = "`bad_request`: corrupt gzip or binary magic, a malformed path parameter"),
              (status = 404, body = Problem, description = "`not_found`: no such horse of the caller's"),
              (status = 408, body = Problem, description = "`request_timeout`: the body arrived more slowly than the minimum rate"),
              (status = 413, body = Problem, description = "`payload_too_large`: the body, or its decompressed samples, over the limit"),
              (status = 415, body = Problem, description = "`unsupported_media_type`: unknown Content-Type or Content-Encoding"),
              (status = 422, body = Problem, description = "`invalid_sensor_data`, `validation_failed` or `idempotency_key_reused`"),
              (status = 429, body = Problem, description = "`rate_limited`: too many uploads of this account in progress; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, body = Problem, description = "`server_busy` (too many uploads in progress), `database_unavailable` or `timeout`; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub(super) async fn upload_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let format = upload_format(&headers)?;
    let encoding = upload_encoding(&headers)?;
    let key = idempotency_key(&headers)?;
    check_text("device_id", params.device_id.as_deref(), 200)?;
    check_text("notes", params.notes.as_deref(), 2000)?;
    let _slot = state.user_uploads.enter(user.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::RateLimited,
            "too many uploads in progress for this account; retry when one has finished",
        )
        .with_retry_after(2)
    })?;
    let rate = upload::MinRate {
        grace: state.config.upload_grace,
        bytes_per_s: state.config.upload_min_rate,
    };
    // This upload's share of the memory budget, held until it is stored.
    let mut held = upload::Held::default();
    let body = upload::read_body(
        body,
        &headers,
        state.config.max_upload_bytes,
        rate,
        &state.upload_memory,
        &mut held,
    )
    .await?;

    let (prepared, _more) = validate(&state, format, encoding, body, key.is_some()).await?;
    let started_at = start_of(&params, &prepared)?;
    let upload = Upload {
        user: &user,
        horse_id,
        params: &params,
        prepared: &prepared,
        started_at,
    };
    let (response, session_id) = match key {
        Some(key) => store_keyed(&state, &upload, &key).await?,
        None => store(&state, &upload).await?,
    };
    tracing::info!(%session_id, samples = prepared.sample_count, "session uploaded");
    Ok(accepted(response, session_id))
}

/// Uploads whose samples (after transport decoding) are at most this long are
/// hashed while they are validated, so that the upload is one statement;
/// longer ones are hashed while the database takes them.
const INLINE_HASH_BYTES: usize = 256 * 1024;

/// Decodes and checks the samples on a blocking thread (CPU work), taking the
/// memory it needs from the upload budget (returned with the samples).
async fn validate(
    state: &AppState,
    format: Format,
    encoding: Encoding,
    body: bytes::Bytes,
    hash_now: bool,
) -> ApiResult<(Prepared, upload::Held)> {
    let max = state.config.max_decompressed_bytes;
    let span = tracing::Span::current();
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        span.in_scope(|| {
            let mut more = upload::Held::default();
            let mut take = |n| state.upload_memory.try_take(&mut more, n);
            let mut prepared =
                upload::prepare_within(format, encoding, body, max, hash_now, &mut take)?;
            if prepared.sha256.is_none() && prepared.raw.len() <= INLINE_HASH_BYTES {
                prepared.sha256 = Some(upload::sha256(&prepared.raw));
            }
            Ok((prepared, more))
        })
    })
    .await
    .map_err(ApiError::internal)?
}

/// The session's start: the query's, else the binary header's; stored (and
/// answered) to the microsecond, as Postgres keeps it.
fn start_of(params: &UploadParams, prepared: &Prepared) -> ApiResult<DateTime<Utc>> {
    let started_at = match (params.started_at, prepared.started_at_unix_ms) {
        (Some(t), _) => t,
        (None, Some(ms)) => Utc.timestamp_millis_opt(ms).single().ok_or_else(|| {
            ApiError::invalid_field(
                "started_at",
                "the binary header's start time is out of range",
            )
        })?,
        (None, None) => {
            return Err(ApiError::invalid_field(
                "started_at",
                "required (RFC 3339) for CSV and JSON uploads",
            ));
        }
    };
    if !plausible_start(started_at) {
        return Err(ApiError::invalid_field(
            "started_at",
            "must lie between 2000-01-01 and 2100-01-01 (UTC)",
        ));
    }
    Ok(chrono::SubsecRound::trunc_subsecs(started_at, 6))
}

/// A validated upload, ready to store.
struct Upload<'a> {
    user: &'a AuthUser,
    horse_id: Uuid,
    params: &'a UploadParams,
    prepared: &'a Prepared,
    started_at: DateTime<Utc>,
}

/// Stores an upload without an `Idempotency-Key`; returns the answer and the
/// session's id.
async fn store(state: &AppState, upload: &Upload<'_>) -> ApiResult<(serde_json::Value, Uuid)> {
    let job = new_job()?;
    if let Some(sha) = &upload.prepared.sha256 {
        // Everything is known: one statement, committed on its own.
        let mut conn = state.db.acquire().await?;
        let created_at = insert(&mut conn, upload, &job, sha).await?;
        return respond(upload, &job, created_at, sha);
    }
    // A long upload: hashed on a blocking thread while the database takes
    // the samples, and the hash filled in before the commit.
    let raw = upload.prepared.raw.clone();
    let hashing = tokio::task::spawn_blocking(move || upload::sha256(&raw));
    let mut tx = state.db.begin().await?;
    let created_at = insert(&mut tx, upload, &job, &[]).await?;
    let sha = hashing.await.map_err(ApiError::internal)?;
    let session_id = session_of(&job);
    sqlx::query("UPDATE session_data SET sha256 = $2 WHERE session_id = $1")
        .bind(session_id)
        .bind(&sha)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    respond(upload, &job, created_at, &sha)
}

/// Stores an upload with an `Idempotency-Key`: a retry of the same upload
/// gets the first answer and creates nothing; the same key with another
/// upload is refused.
async fn store_keyed(
    state: &AppState,
    upload: &Upload<'_>,
    key: &str,
) -> ApiResult<(serde_json::Value, Uuid)> {
    let sha = upload
        .prepared
        .sha256
        .as_deref()
        .ok_or_else(|| ApiError::internal("keyed upload not hashed"))?;
    let user_id = upload.user.id;
    let fingerprint = request_hash(upload.horse_id, upload.params, upload.prepared, sha);
    let mut tx = state.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, response_body) VALUES ($1, $2, $3, 'null')
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(key)
    .bind(&fingerprint)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        // A previous request with this key committed (a concurrent one
        // waited on the row lock above until it did).
        let (hash, response, session_id): (Vec<u8>, serde_json::Value, Option<Uuid>) = sqlx::query_as(
            "SELECT request_hash, response_body, session_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        return match session_id {
            Some(sid) if hash == fingerprint => Ok((response, sid)),
            _ => Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different upload",
            )),
        };
    }
    let job = new_job()?;
    let created_at = insert(&mut tx, upload, &job, sha).await?;
    let (response, session_id) = respond(upload, &job, created_at, sha)?;
    sqlx::query("UPDATE idempotency_keys SET response_body = $3, session_id = $4 WHERE user_id = $1 AND key = $2")
        .bind(user_id)
        .bind(key)
        .bind(&response)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((response, session_id))
}

/// The analysis job of a new session (with a new session id), carrying the
/// upload's trace.
fn new_job() -> ApiResult<outbox::NewJob> {
    let session_id = Uuid::now_v7();
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    Ok(outbox::NewJob::new(
        Uuid::now_v7(),
        &AnalyzeSession { session_id },
        trace,
    )?)
}

/// The session id an analysis job is about (its payload).
fn session_of(job: &outbox::NewJob) -> Uuid {
    job.payload["session_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

/// Writes the session, its samples, its analysis job and the job's outbox
/// row in one statement, if the horse is the caller's (404 otherwise).
/// Returns the session's `created_at` (the transaction's start, also the job
/// row's timestamps).
async fn insert(
    conn: &mut sqlx::PgConnection,
    upload: &Upload<'_>,
    job: &outbox::NewJob,
    sha256: &[u8],
) -> ApiResult<DateTime<Utc>> {
    let p = upload.prepared;
    let created_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "WITH horse AS (SELECT id FROM horses WHERE id = $2 AND owner_id = $3),
         s AS (
             INSERT INTO sessions (id, horse_id, owner_id, started_at, sample_rate_hz, sample_count, duration_s,
                                   device_id, discipline, notes)
             SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10 FROM horse RETURNING created_at),
         d AS (
             INSERT INTO session_data (session_id, format, encoding, byte_len, sha256, data)
             SELECT $1, $11, $12, $13, $14, $15 FROM s),
         j AS (
             INSERT INTO jobs (id, kind, version, owner_id, horse_id, session_id, payload, trace_id)
             SELECT $16, $17, $18, $3, $2, $1, $19, $20 FROM s RETURNING id),
         o AS (INSERT INTO outbox (job_id, message) SELECT id, $21 FROM j)
         SELECT created_at FROM s",
    )
    .bind(session_of(job))
    .bind(upload.horse_id)
    .bind(upload.user.id)
    .bind(upload.started_at)
    .bind(p.sample_rate_hz)
    .bind(p.sample_count)
    .bind(p.duration_s)
    .bind(&upload.params.device_id)
    .bind(upload.params.discipline.unwrap_or_default())
    .bind(&upload.params.notes)
    .bind(p.format.as_str())
    .bind(p.stored_encoding.as_str())
    .bind(p.byte_len)
    .bind(sha256)
    .bind(p.stored.as_ref())
    .bind(job.id)
    .bind(job.kind)
    .bind(job.version)
    .bind(&job.payload)
    .bind(&job.trace_id)
    .bind(&job.message)
    .fetch_optional(conn)
    .await?;
    created_at.ok_or_else(|| ApiError::not_found("horse"))
}

/// The 202 answer, built from what was written (nothing is read back).
fn respond(
    upload: &Upload<'_>,
    job: &outbox::NewJob,
    created_at: DateTime<Utc>,
    sha256: &[u8],
) -> ApiResult<(serde_json::Value, Uuid)> {
    let (p, params) = (upload.prepared, upload.params);
    let session_id = session_of(job);
    let job_view = JobView {
        id: job.id,
        kind: job.kind.to_owned(),
        status: "queued".to_owned(),
        attempts: 0,
        session_id: Some(session_id),
        horse_id: Some(upload.horse_id),
        created_at,
        updated_at: created_at,
        started_at: None,
        finished_at: None,
    };
    let session = Session {
        analysis_job: Some(job_view.clone()),
        id: session_id,
        horse_id: upload.horse_id,
        started_at: upload.started_at,
        sample_rate_hz: p.sample_rate_hz,
        sample_count: p.sample_count,
        duration_s: p.duration_s,
        device_id: params.device_id.clone(),
        discipline: params.discipline.unwrap_or_default(),
        notes: params.notes.clone(),
        created_at,
        raw: RawInfo {
            format: p.format.as_str().to_owned(),
            byte_len: p.byte_len,
            sha256: hex(sha256),
        },
    };
    let links = Links {
        session: format!("/v1/sessions/{session_id}"),
        analysis: format!("/v1/sessions/{session_id}/analysis"),
        job: format!("/v1/jobs/{}", job.id),
        raw: format!("/v1/sessions/{session_id}/raw"),
    };
    let response = serde_json::to_value(UploadAccepted {
        session,
        job: job_view,
        links,
    })
    .map_err(ApiError::internal)?;
    Ok((response, session_id))
}
