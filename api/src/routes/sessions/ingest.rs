//! The upload of a session: limits, validation, storage and the analysis job.

use super::store;
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
    let upload = store::Upload {
        user: &user,
        horse_id,
        params: &params,
        prepared: &prepared,
        started_at,
        direct_lease: state.config.outbox_direct_lease,
    };
    let (response, session_id) = match key {
        Some(key) => store::store_keyed(&state, &upload, &key).await?,
        None => store::store(&state, &upload).await?,
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
