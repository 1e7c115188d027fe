//! `analyze_session`: load a session's samples, run the aggregation on the
//! rayon pool, store the result and mark the job succeeded in one
//! transaction, and queue (at most one) trend job for the horse.

use shared::jobs::{AnalyzeSession, JobMessage};
use shared::sensor::{self, Format};
use uuid::Uuid;

use super::{JobError, compute_trend, mark_succeeded};
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

/// Analyses the samples as stored, so that worker and CLI produce identical
/// documents; returns the algorithm version and the document.
pub fn analyse_stored(
    format: &str,
    encoding: &str,
    byte_len: i64,
    data: &[u8],
) -> Result<(String, Vec<u8>), String> {
    let recording = decode_stored(format, encoding, byte_len, data)?;
    let analysis = analysis::analyze(&recording).map_err(|e| format!("analysis failed: {e}"))?;
    Ok((
        analysis.algorithm_version.clone(),
        analysis::to_json(&analysis),
    ))
}

/// Runs one attempt.
pub async fn run(ctx: &Ctx, msg: &JobMessage, job: AnalyzeSession) -> Result<(), JobError> {
    let session_id = job.session_id;
    tracing::Span::current().record("session_id", tracing::field::display(session_id));
    let row: Option<(String, String, i64, Vec<u8>, Uuid, Uuid)> = sqlx::query_as(
        "SELECT d.format, d.encoding, d.byte_len, d.data, s.horse_id, s.owner_id
         FROM session_data d JOIN sessions s ON s.id = d.session_id WHERE d.session_id = $1",
    )
    .bind(session_id)
    .fetch_optional(&ctx.db)
    .await?;
    let (format, encoding, byte_len, data, horse_id, owner_id) = row.ok_or(JobError::Gone)?;
    if ctx.config.bench_skip_analysis {
        return skip_analysis(ctx, msg, &format, &encoding, byte_len, data).await;
    }

    let (version, document) = crate::runner::run(&ctx.pool, move || {
        analyse_stored(&format, &encoding, byte_len, &data)
    })
    .await
    .and_then(|r| r)
    .map_err(JobError::Failed)?;
    let document = String::from_utf8(document)
        .map_err(|e| JobError::Failed(format!("analysis output is not UTF-8: {e}")))?;

    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO analysis_results (session_id, algorithm_version, job_id, result) VALUES ($1, $2, $3, $4::json)
         ON CONFLICT (session_id, algorithm_version) DO NOTHING",
    )
    .bind(session_id)
    .bind(&version)
    .bind(msg.job_id)
    .bind(&document)
    .execute(&mut *tx)
    .await?;
    mark_succeeded(&mut tx, msg.job_id).await?;
    compute_trend::enqueue(&mut tx, horse_id, owner_id).await?;
    tx.commit().await?;
    tracing::info!(%session_id, algorithm_version = %version, "analysis stored");
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
