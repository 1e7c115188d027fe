//! `GET /v1/admin/overview`: the state of the pipeline at a glance — queue
//! figures (see [`crate::queues`] for where they come from), the outbox
//! backlog and the age of its oldest row, jobs per status changed in the
//! last hour, stuck jobs and kept dead letters.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::amqp::Topology;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::StatusCounts;
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::queues::Queues;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(overview))
}

/// The outbox relay's backlog.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    /// Messages committed and not yet published.
    pub backlog: i64,
    /// Age of the oldest of them, in seconds.
    pub oldest_age_s: Option<f64>,
}

/// The overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// Work, retry and dead queues.
    pub queues: Queues,
    /// The outbox.
    pub outbox: Outbox,
    /// Jobs per status among those changed in the last hour.
    pub jobs_last_hour: StatusCounts,
    /// Jobs without progress for longer than `HOOFBEAT_STUCK_AFTER_MS`.
    pub stuck_jobs: i64,
    /// Dead letters that could not be tied to a job (`dead_letters` table).
    pub dead_letters: i64,
    /// When these figures were read.
    pub generated_at: DateTime<Utc>,
}

/// The pipeline at a glance.
#[utoipa::path(get, path = "/v1/admin/overview", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Overview), (status = 403, body = Problem, description = "`forbidden`: not an admin")))]
async fn overview(State(state): State<AppState>, _admin: AdminUser) -> ApiResult<Json<Overview>> {
    read(&state).await.map(Json)
}

/// The overview's figures (the admin console's overview page shows them too).
pub async fn read(state: &AppState) -> ApiResult<Overview> {
    let topology = Topology::from_config(&state.config.common).map_err(ApiError::internal)?;
    let outbox = sqlx::query_as::<_, (i64, Option<f64>)>(
        // Rows that are due: a debounced trend job waiting its turn is not
        // a backlog, and a row's age counts from when it became due. A
        // direct row (`outbox::direct`) was due when it was written; its
        // lease only keeps the relays' claims away.
        "SELECT count(*),
                extract(epoch FROM now() - min(least(available_at, CASE WHEN direct THEN created_at END)))::float8
         FROM outbox WHERE published_at IS NULL AND (available_at <= now() OR direct)",
    )
    .fetch_one(&state.db);
    let last_hour = sqlx::query_as::<_, (String, i64)>(
        "SELECT status, count(*) FROM jobs WHERE updated_at > now() - interval '1 hour' GROUP BY status",
    )
    .fetch_all(&state.db);
    let stuck = crate::sweeper::count_stuck(state, &state.db);
    let dead_letters =
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dead_letters").fetch_one(&state.db);
    let queues = crate::queues::read(state, &topology);
    let (outbox, last_hour, stuck, dead_letters, queues) =
        tokio::join!(outbox, last_hour, stuck, dead_letters, queues);
    let (backlog, oldest_age_s) = outbox?;
    Ok(Overview {
        queues,
        outbox: Outbox {
            backlog,
            oldest_age_s,
        },
        jobs_last_hour: StatusCounts::from_rows(last_hour?),
        stuck_jobs: stuck?,
        dead_letters: dead_letters?,
        generated_at: Utc::now(),
    })
}
