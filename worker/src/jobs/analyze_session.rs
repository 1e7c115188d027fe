//! `analyze_session`: load a session's samples, run the aggregation on the
//! rayon pool, store the result and the session's trend features and mark
//! the job succeeded in one transaction, and queue (at most one) trend job
//! for the horse.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use shared::jobs::{AnalyzeSession, JobMessage};
use shared::sensor::{self, Format};
use uuid::Uuid;

use super::{JobError, Start, compute_trend, mark_succeeded};
use crate::Ctx;

/// Decodes the samples as stored (`session_data`): the same bytes and decoder
/// as `hoofbeat analyze` reading the uploaded file.
fn decode_stored(
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: &[u8],
) -> Result<sensor::Recording, String> {
    let format: Format = format.parse().map_err(|e| format!("stored format: {e}"))?;
    let len = usize::try_from(byte_len).map_err(|_| "stored length out of range".to_owned())?;
    let bytes = sensor::stored_bytes(data, encoding, len)
        .map_err(|e| format!("stored samples unreadable: {e}"))?;
    sensor::decode(format, &bytes)
        .map(|d| d.recording)
        .map_err(|e| format!("stored samples invalid: {e}"))
}

/// Analyses the samples as stored.
fn analyse_recording(
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: &[u8],
) -> Result<analysis::SessionAnalysis, String> {
    let recording = decode_stored(format, encoding, byte_len, data)?;
    analysis::analyze(&recording).map_err(|e| format!("analysis failed: {e}"))
}

/// Analyses the samples as stored, so that worker and CLI produce identical
/// documents; returns the algorithm version and the document.
pub fn analyse_stored(
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: &[u8],
) -> Result<(String, Vec<u8>), String> {
    let analysis = analyse_recording(format, encoding, byte_len, data)?;
    Ok((
        analysis.algorithm_version.clone(),
        analysis::to_json(&analysis),
    ))
}

/// What one analysis stores.
#[derive(Debug)]
pub struct Analysed {
    /// Version of the analysis algorithms.
    pub version: String,
    /// The analysis document, exactly as [`analyse_stored`] gives it.
    pub document: String,
    /// The session's trend inputs, derived from the analysis.
    pub features: trend::SessionFeatures,
    /// Their JSON, as stored in `session_features`.
    pub features_json: String,
}

/// The session start as the trend sees it: Unix milliseconds (Postgres keeps
/// microseconds; `hoofbeat trend` and the stored features use milliseconds).
pub fn started_at_ms(started_at: DateTime<Utc>) -> i64 {
    started_at.timestamp_millis()
}

/// The trend features of an analysis, with their stored JSON.
pub fn features_of(
    analysis: &analysis::SessionAnalysis,
    started_at_ms: i64,
) -> Result<(trend::SessionFeatures, String), String> {
    let features = analysis::features::from_analysis(analysis, started_at_ms);
    let json = serde_json::to_string(&features)
        .map_err(|e| format!("session features do not serialise: {e}"))?;
    Ok((features, json))
}

/// Analyses the stored samples of a session that started at `started_at_ms`
/// and derives its trend features.
pub fn analyse_session(
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: &[u8],
    started_at_ms: i64,
) -> Result<Analysed, String> {
    let analysis = analyse_recording(format, encoding, byte_len, data)?;
    let document = String::from_utf8(analysis::to_json(&analysis))
        .map_err(|e| format!("analysis output is not UTF-8: {e}"))?;
    let (features, features_json) = features_of(&analysis, started_at_ms)?;
    Ok(Analysed {
        version: analysis.algorithm_version,
        document,
        features,
        features_json,
    })
}

/// The statement that stores a session's trend features (parameters `$1`–`$6`:
/// session, horse, start, analysis version, features version, features),
/// replacing a row that differs (another analysis version or features
/// layout). Idempotent: the same analysis gives the same row, and an
/// identical row is left untouched.
macro_rules! upsert_features_sql {
    () => {
        "INSERT INTO session_features (session_id, horse_id, started_at, analysis_version, features_version, features)
         VALUES ($1, $2, $3, $4, $5, $6::json)
         ON CONFLICT (session_id) DO UPDATE SET horse_id = excluded.horse_id, started_at = excluded.started_at,
             analysis_version = excluded.analysis_version, features_version = excluded.features_version,
             features = excluded.features
         WHERE (session_features.features::text, session_features.horse_id, session_features.started_at,
                session_features.analysis_version, session_features.features_version)
               IS DISTINCT FROM (excluded.features::text, excluded.horse_id, excluded.started_at,
                excluded.analysis_version, excluded.features_version)"
    };
}

/// Binds a features row as parameters `$1`–`$6` of [`upsert_features_sql`].
fn bind_features<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    session_id: Uuid,
    horse_id: Uuid,
    features: &'q trend::SessionFeatures,
    features_json: &'q str,
) -> Result<sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>, sqlx::Error> {
    let started_at = DateTime::<Utc>::from_timestamp_millis(features.started_at_ms)
        .ok_or_else(|| sqlx::Error::Protocol("session start out of range".into()))?;
    Ok(query
        .bind(session_id)
        .bind(horse_id)
        .bind(started_at)
        .bind(&features.analysis_version)
        .bind(i32::try_from(features.features_version).unwrap_or(i32::MAX))
        .bind(features_json))
}

/// Stores a session's trend features (see [`upsert_features_sql`]).
pub async fn upsert_features(
    conn: &mut sqlx::PgConnection,
    session_id: Uuid,
    horse_id: Uuid,
    features: &trend::SessionFeatures,
    features_json: &str,
) -> Result<(), sqlx::Error> {
    let query = sqlx::query(upsert_features_sql!());
    bind_features(query, session_id, horse_id, features, features_json)?
        .execute(conn)
        .await
        .map(|_| ())
}

/// Stores the analysis and the session's features, marks the job succeeded
/// and queues (at most one) trend job for the horse: one statement, so all
/// or nothing in one round trip, without a BEGIN and a COMMIT of its own.
/// Its span is the trace's "result write".
///
/// It commits without waiting for the WAL flush (`quick_commit`), because
/// everything it writes is derived from the stored samples: a database
/// crash that loses it leaves the job `running` (or `queued`) with its message already
/// acknowledged, and the API's sweeper publishes it again after
/// `HOOFBEAT_STUCK_AFTER_MS`, so the analysis is recomputed, never lost
/// (README, "What a commit waits for").
#[tracing::instrument(name = "store_result", skip_all)]
async fn store_result(
    db: &sqlx::PgPool,
    job_id: Uuid,
    session_id: Uuid,
    horse_id: Uuid,
    analysed: &Analysed,
    trend: &shared::outbox::TrendOnce,
) -> Result<(), sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            concat!(
                "WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
                 features AS (",
                upsert_features_sql!(),
                "), result AS (
                     INSERT INTO analysis_results (session_id, algorithm_version, job_id, result)
                     VALUES ($1, $8, $7, $9::json) ON CONFLICT (session_id, algorithm_version) DO NOTHING), ",
                super::succeeded_ctes!("$7"),
                ", {} SELECT 1 FROM quick_commit"
            ),
            shared::outbox::TrendOnce::ctes(10)
        )
    });
    let query = sqlx::query(SQL.as_str());
    let features = &analysed.features;
    let query = bind_features(
        query,
        session_id,
        horse_id,
        features,
        &analysed.features_json,
    )?
    .bind(job_id)
    .bind(&analysed.version)
    .bind(&analysed.document);
    trend.bind(query).execute(db).await.map(|_| ())
}

/// format, encoding, byte_len, data, horse_id, owner_id, started_at.
pub type StoredSession = (String, String, i64, Vec<u8>, Uuid, Uuid, DateTime<Utc>);

/// The row of [`start_on`]: the start's outcome and, when the job was
/// marked running, the session's stored samples and what the result row
/// needs (null when the session is gone).
#[derive(sqlx::FromRow)]
struct StartRow {
    started: bool,
    status: Option<String>,
    format: Option<String>,
    encoding: Option<String>,
    byte_len: Option<i64>,
    data: Option<Vec<u8>>,
    horse_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    started_at: Option<DateTime<Utc>>,
}

impl StartRow {
    /// The session as stored; `None` when it is gone (every column is
    /// `NOT NULL`, so one null means the join found no row).
    fn session(self) -> Option<StoredSession> {
        Some((
            self.format?,
            self.encoding?,
            self.byte_len?,
            self.data?,
            self.horse_id?,
            self.owner_id?,
            self.started_at?,
        ))
    }
}

/// Starts analysis job `job_id` (see [`super::start_ctes`]) and, only if it
/// was marked running, loads session `session_id`'s stored samples: one
/// statement and one round trip where a start and a load took two. A
/// delivery of an ended job reads no samples.
pub async fn start_on<'e, E>(
    db: E,
    job_id: Uuid,
    worker_id: &str,
    algorithm_version: &str,
    session_id: Uuid,
) -> Result<Start<Option<StoredSession>>, JobError>
where
    E: sqlx::PgExecutor<'e>,
{
    let row: StartRow = sqlx::query_as(concat!(
        "WITH ",
        super::start_ctes!(),
        " SELECT EXISTS (SELECT 1 FROM attempt) AS started, ",
        super::status_unless_started!(),
        " AS status, d.format, d.encoding, d.byte_len, d.data, s.horse_id, s.owner_id, s.started_at
          FROM (SELECT 1) AS one
          LEFT JOIN (session_data d JOIN sessions s ON s.id = d.session_id)
                 ON d.session_id = $4 AND EXISTS (SELECT 1 FROM attempt)"
    ))
    .bind(job_id)
    .bind(worker_id)
    .bind(algorithm_version)
    .bind(session_id)
    .fetch_one(db)
    .await?;
    let (started, status) = (row.started, row.status.clone());
    Ok(super::outcome(started, status, || row.session()))
}

/// A started analysis job: the session's stored samples (`None`: the
/// session was deleted meanwhile) and the memory slot they hold until the
/// analysis is done.
pub struct Started<'a> {
    slot: tokio::sync::SemaphorePermit<'a>,
    session: Option<StoredSession>,
}

/// Takes a memory slot for the samples, then starts the job and loads them
/// ([`start_on`]).
pub async fn start<'a>(
    ctx: &'a Ctx,
    job_id: Uuid,
    algorithm_version: &str,
    session_id: Uuid,
) -> Result<Start<Started<'a>>, JobError> {
    let slot = ctx
        .loaded
        .acquire()
        .await
        .map_err(|_| JobError::Failed("worker stopping".to_owned()))?;
    let start = start_on(
        &ctx.db,
        job_id,
        &ctx.worker_id,
        algorithm_version,
        session_id,
    )
    .await?;
    Ok(start.map_run(|session| Started { slot, session }))
}

/// Runs one attempt of a started job.
pub async fn run(
    ctx: &Ctx,
    msg: &JobMessage,
    job: AnalyzeSession,
    started: Started<'_>,
) -> Result<(), JobError> {
    let session_id = job.session_id;
    tracing::Span::current().record("session_id", tracing::field::display(session_id));
    let Started { slot, session } = started;
    let (format, encoding, byte_len, data, horse_id, owner_id, started_at) =
        session.ok_or(JobError::Gone)?;
    if ctx.config.bench_skip_analysis {
        return skip_analysis(ctx, msg, &format, &encoding, byte_len, data).await;
    }

    let started_at_ms = started_at_ms(started_at);
    let analysed = crate::runner::run(&ctx.pool, move || {
        analyse_session(&format, &encoding, byte_len, &data, started_at_ms)
    })
    .await
    .and_then(|r| r)
    .map_err(JobError::Failed)?;
    drop(slot);
    ctx.hold_mid_attempt().await;

    // Result, features, job status and the trend job: all or nothing, so a
    // duplicate delivery or a replay has the effect of one run.
    let trend = compute_trend::trend_job(horse_id, owner_id, ctx.config.common.trend_debounce)?;
    store_result(&ctx.db, msg.job_id, session_id, horse_id, &analysed, &trend).await?;
    tracing::info!(%session_id, algorithm_version = %analysed.version, "analysis stored");
    Ok(())
}

/// Benchmark mode: the same load and decode, no analysis, no result.
async fn skip_analysis(
    ctx: &Ctx,
    msg: &JobMessage,
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: Vec<u8>,
) -> Result<(), JobError> {
    let (format, encoding) = (format.to_owned(), encoding.to_owned());
    crate::runner::run(&ctx.pool, move || {
        decode_stored(&format, &encoding, byte_len, &data).map(|r| r.len())
    })
    .await
    .and_then(|r| r)
    .map_err(JobError::Failed)?;
    let mut tx = ctx.db.begin().await?;
    mark_succeeded(&mut tx, msg.job_id).await?;
    tx.commit().await?;
    Ok(())
}
