//! Storing a validated upload: the session, its samples, its analysis job
//! and the job's outbox row in one statement (with the ownership check), the
//! `Idempotency-Key` bookkeeping, and the 202 answer built from what was
//! written.

use super::*;

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

/// A validated upload, ready to store.
pub(super) struct Upload<'a> {
    pub(super) user: &'a AuthUser,
    pub(super) horse_id: Uuid,
    pub(super) params: &'a UploadParams,
    pub(super) prepared: &'a Prepared,
    pub(super) started_at: DateTime<Utc>,
    /// How long relays leave the job's outbox row to this API
    /// (`HOOFBEAT_OUTBOX_DIRECT_LEASE_MS`; zero: not direct).
    pub(super) direct_lease: std::time::Duration,
}

/// Stores an upload without an `Idempotency-Key`; returns the answer and the
/// session's id.
pub(super) async fn store(
    state: &AppState,
    upload: &Upload<'_>,
) -> ApiResult<(serde_json::Value, Uuid)> {
    let new = new_session()?;
    if let Some(sha) = &upload.prepared.sha256 {
        // Everything is known: one statement, committed on its own.
        let mut conn = state.db.acquire().await?;
        let (created_at, outbox_id) = insert(&mut conn, upload, &new, sha).await?;
        state.direct.hand_over(outbox_id, &new.job.message);
        return respond(upload, &new, created_at, sha);
    }
    // A long upload: hashed on a blocking thread while the database takes
    // the samples, and the hash filled in before the commit.
    let raw = upload.prepared.raw.clone();
    let hashing = tokio::task::spawn_blocking(move || upload::sha256(&raw));
    let mut tx = state.db.begin().await?;
    let (created_at, outbox_id) = insert(&mut tx, upload, &new, &[]).await?;
    let sha = hashing.await.map_err(ApiError::internal)?;
    sqlx::query("UPDATE session_data SET sha256 = $2 WHERE session_id = $1")
        .bind(new.id)
        .bind(&sha)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.direct.hand_over(outbox_id, &new.job.message);
    respond(upload, &new, created_at, &sha)
}

/// Stores an upload with an `Idempotency-Key`: a retry of the same upload
/// gets the first answer and creates nothing; the same key with another
/// upload is refused.
pub(super) async fn store_keyed(
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
    let new = new_session()?;
    let (created_at, outbox_id) = insert(&mut tx, upload, &new, sha).await?;
    let (response, session_id) = respond(upload, &new, created_at, sha)?;
    sqlx::query("UPDATE idempotency_keys SET response_body = $3, session_id = $4 WHERE user_id = $1 AND key = $2")
        .bind(user_id)
        .bind(key)
        .bind(&response)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.direct.hand_over(outbox_id, &new.job.message);
    Ok((response, session_id))
}

/// A new session's id and its analysis job.
struct NewSession {
    id: Uuid,
    job: outbox::NewJob,
}

/// A new session id and its analysis job, carrying the upload's trace.
fn new_session() -> ApiResult<NewSession> {
    let id = Uuid::now_v7();
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    let job = outbox::NewJob::new(Uuid::now_v7(), &AnalyzeSession { session_id: id }, trace)?;
    Ok(NewSession { id, job })
}

/// Writes the session, its samples, its analysis job and the job's outbox
/// row in one statement, if the horse is the caller's (404 otherwise).
/// Returns the session's `created_at` (the transaction's start, also the job
/// row's timestamps) and the outbox row's id. The outbox row is `direct`
/// (see [`crate::outbox::DirectLane`]) unless direct publishing is off.
async fn insert(
    conn: &mut sqlx::PgConnection,
    upload: &Upload<'_>,
    new: &NewSession,
    sha256: &[u8],
) -> ApiResult<(DateTime<Utc>, i64)> {
    let written = insert_statement(conn, upload, new, sha256).await?;
    written.ok_or_else(|| ApiError::not_found("horse"))
}

/// The statement of [`insert`]: `None` when the horse is not the caller's.
async fn insert_statement(
    conn: &mut sqlx::PgConnection,
    upload: &Upload<'_>,
    new: &NewSession,
    sha256: &[u8],
) -> Result<Option<(DateTime<Utc>, i64)>, sqlx::Error> {
    let (p, job) = (upload.prepared, &new.job);
    sqlx::query_as(
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
         o AS (
             INSERT INTO outbox (job_id, message, direct, available_at)
             SELECT id, $21, $22 > 0, now() + make_interval(secs => $22) FROM j RETURNING id)
         SELECT s.created_at, o.id FROM s, o",
    )
    .bind(new.id)
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
    .bind(upload.direct_lease.as_secs_f64())
    .fetch_optional(conn)
    .await
}

/// Runs the upload statement once on `conn`, for a throwaway rider and horse,
/// in a transaction that is rolled back: nothing is kept, but the
/// connection's backend has parsed and planned the statement, looked up its
/// types, loaded the tables' and indexes' descriptions and prepared the
/// foreign-key checks and the outbox trigger. A fresh backend's first upload
/// otherwise costs 5–8 ms more than the next (issue 11's cold start: the
/// first two uploads after a restart, one per pooled connection).
pub(crate) async fn warm_up(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    const CSV: &[u8] = b"t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n";
    let unexpected = |e: ApiError| sqlx::Error::Protocol(format!("upload warm-up: {e:?}"));
    let prepared = crate::upload::prepare(
        shared::sensor::Format::Csv,
        crate::upload::Encoding::Identity,
        axum::body::Bytes::from_static(CSV),
        1 << 20,
        true,
    )
    .map_err(unexpected)?;
    let user = AuthUser {
        id: Uuid::now_v7(),
        role: crate::auth::Role::Rider,
        token_id: Uuid::nil(),
    };
    let horse_id = Uuid::now_v7();
    let mut tx = sqlx::Connection::begin(conn).await?;
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, '')")
        .bind(user.id)
        .bind(format!("warm-up-{}@invalid", user.id.simple()))
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO horses (id, owner_id, name) VALUES ($1, $2, 'warm-up')")
        .bind(horse_id)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let params = UploadParams {
        started_at: None,
        discipline: None,
        device_id: None,
        notes: None,
    };
    let upload = Upload {
        user: &user,
        horse_id,
        params: &params,
        prepared: &prepared,
        started_at: Utc::now(),
        direct_lease: std::time::Duration::from_secs(10),
    };
    let new = new_session().map_err(unexpected)?;
    let sha = prepared.sha256.clone().unwrap_or_default();
    insert_statement(&mut tx, &upload, &new, &sha).await?;
    tx.rollback().await
}

/// The 202 answer, built from what was written (nothing is read back).
fn respond(
    upload: &Upload<'_>,
    new: &NewSession,
    created_at: DateTime<Utc>,
    sha256: &[u8],
) -> ApiResult<(serde_json::Value, Uuid)> {
    let (p, params, job) = (upload.prepared, upload.params, &new.job);
    let session_id = new.id;
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
