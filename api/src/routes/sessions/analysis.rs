//! A session's analysis: 200 when ready, 202 while pending, `failed` with a reason.

use super::*;

/// The stored analysis of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisReady {
    /// `ready`.
    pub status: &'static str,
    /// The session.
    pub session_id: Uuid,
    /// Version of the algorithms that produced `result`.
    pub algorithm_version: String,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// The analysis document, exactly as the worker stored it.
    #[schema(value_type = Object)]
    pub result: Box<RawValue>,
}

/// An analysis that is not (yet) available.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisPending {
    /// `pending` (queued, running or retrying) or `failed` (gave up; an admin can replay it).
    pub status: &'static str,
    /// The session.
    pub session_id: Uuid,
    /// The analysis job.
    pub job: Option<JobView>,
    /// When `failed`: why, in a few words (an admin can replay it).
    pub reason: Option<&'static str>,
}

/// A session's analysis: 200 with the result when ready, 202 while pending,
/// 200 with `status: failed` when the job gave up.
#[utoipa::path(get, path = "/v1/sessions/{session_id}/analysis", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = Uuid, Path)),
    responses((status = 200, body = AnalysisReady, description = "ready (or `failed`, see AnalysisPending)"),
              (status = 202, body = AnalysisPending, description = "pending; poll again after Retry-After"),
              (status = 404, body = Problem)))]
pub(super) async fn get_analysis(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<Uuid>,
) -> ApiResult<Response> {
    let ready: Option<(String, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT r.algorithm_version, r.created_at, r.result::text FROM analysis_results r
         JOIN sessions s ON s.id = r.session_id
         WHERE r.session_id = $1 AND s.owner_id = $2 ORDER BY r.created_at DESC LIMIT 1",
    )
    .bind(session_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    if let Some((algorithm_version, computed_at, result)) = ready {
        let body = ready_body(session_id, &algorithm_version, computed_at, &result)
            .map_err(ApiError::internal)?;
        let json = HeaderValue::from_static("application/json");
        return Ok(([(header::CONTENT_TYPE, json)], body).into_response());
    }
    let session = load_session(&state, &user, session_id).await?;
    let job = session.analysis_job;
    if let Some(dead) = job.as_ref().filter(|j| j.status == "dead") {
        let code: Option<String> = sqlx::query_scalar("SELECT dead_reason FROM jobs WHERE id = $1")
            .bind(dead.id)
            .fetch_optional(&state.db)
            .await?
            .flatten();
        let reason = code
            .as_deref()
            .and_then(shared::jobs::DeadReason::from_code)
            .unwrap_or(shared::jobs::DeadReason::AttemptsExhausted)
            .rider_text();
        return Ok(axum::Json(AnalysisPending {
            status: "failed",
            session_id,
            job,
            reason: Some(reason),
        })
        .into_response());
    }
    Ok((
        StatusCode::ACCEPTED,
        [(header::RETRY_AFTER, "2")],
        axum::Json(AnalysisPending {
            status: "pending",
            session_id,
            job,
            reason: None,
        }),
    )
        .into_response())
}

/// The body of a ready analysis: [`AnalysisReady`] as serde writes it, with
/// the stored document spliced in as its `result`. The document is the
/// text of a `json` column, which Postgres checked to be JSON when it was
/// stored: reading it into a `RawValue` parsed all ≈ 12 kB again on every
/// GET, the largest piece of the handler's own CPU.
fn ready_body(
    session_id: Uuid,
    algorithm_version: &str,
    computed_at: DateTime<Utc>,
    result: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    /// [`AnalysisReady`] without its last field, `result`.
    #[derive(Serialize)]
    struct Envelope<'a> {
        status: &'static str,
        session_id: Uuid,
        algorithm_version: &'a str,
        computed_at: DateTime<Utc>,
    }
    let mut body = Vec::with_capacity(result.len() + 160);
    serde_json::to_writer(
        &mut body,
        &Envelope {
            status: "ready",
            session_id,
            algorithm_version,
            computed_at,
        },
    )?;
    // The envelope ends with its closing brace: reopen it for `result`.
    body.pop();
    body.extend_from_slice(b",\"result\":");
    body.extend_from_slice(result.as_bytes());
    body.push(b'}');
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spliced body is byte for byte what serialising [`AnalysisReady`]
    /// gives.
    #[test]
    fn ready_body_is_the_serialised_envelope() {
        let session_id = Uuid::now_v7();
        let computed_at = Utc.timestamp_millis_opt(1_764_800_000_123).unwrap();
        for doc in [
            r#"{"algorithm_version":"aggregation/1.6.0","gaits":[{"gait":"trot","s":1.5}],"note":"\u00e9 \"q\""}"#,
            "{}",
        ] {
            let want = serde_json::to_vec(&AnalysisReady {
                status: "ready",
                session_id,
                algorithm_version: "aggregation/1.6.0".into(),
                computed_at,
                result: RawValue::from_string(doc.to_owned()).unwrap(),
            })
            .unwrap();
            let got = ready_body(session_id, "aggregation/1.6.0", computed_at, doc).unwrap();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }
}
