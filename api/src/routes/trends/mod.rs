//! A horse's track record over many sessions: `GET /v1/horses/{id}/trends`
//! (the trend document, whole or over a window) and
//! `GET /v1/horses/{id}/alerts` (what the rider should know).
//!
//! Both read the document the worker stored for the current
//! [`trend::TREND_VERSION`]; nothing is computed here but the window.
//! [`chart`] draws the same document as SVG.

mod chart;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use trend::{Alert, Granularity, TREND_VERSION, TrendDocument, Window};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::horses::ensure_owned;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_trends))
        .routes(routes!(get_alerts))
        .routes(routes!(chart::get_trend_chart))
}

/// Day or ISO-week series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GranularityName {
    /// Daily series only.
    Day,
    /// ISO-week series only.
    Week,
}

impl From<GranularityName> for Granularity {
    fn from(g: GranularityName) -> Self {
        match g {
            GranularityName::Day => Granularity::Day,
            GranularityName::Week => Granularity::Week,
        }
    }
}

/// Which alerts to list (documentation of the `status` parameter).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatusName {
    /// Only the open ones.
    Open,
    /// Every one, open or cleared.
    All,
}

/// The window a trend answer covers, as asked (`null`: open).
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct TrendWindow {
    /// First day (UTC), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day (UTC), inclusive.
    pub to: Option<NaiveDate>,
    /// Only this granularity's series (both when `null`).
    pub granularity: Option<GranularityName>,
}

impl TrendWindow {
    fn is_whole(&self) -> bool {
        self.from.is_none() && self.to.is_none() && self.granularity.is_none()
    }
}

/// A horse's trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct HorseTrend {
    /// The horse.
    pub horse_id: Uuid,
    /// `ready` (a document exists), `pending` (none yet, a trend job is
    /// queued or running) or `none` (nothing analysed, nothing queued).
    pub status: &'static str,
    /// Version of the trend algorithms the document is (or will be) computed with.
    pub algorithm_version: String,
    /// When the document was computed.
    pub computed_at: Option<DateTime<Utc>>,
    /// Sessions the document covers.
    pub session_count: Option<i32>,
    /// A trend job is queued or running (after an upload or a deletion):
    /// the document shown will be replaced shortly.
    pub updating: bool,
    /// The window asked for.
    pub window: TrendWindow,
    /// The trend document: without parameters, exactly the bytes the worker
    /// stored (and `hoofbeat trend` prints); with any, its view over the
    /// window. `null` unless ready.
    #[schema(value_type = Option<Object>)]
    pub trend: Option<Box<RawValue>>,
}

/// A horse's alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct HorseAlerts {
    /// The horse.
    pub horse_id: Uuid,
    /// Of the trend document the alerts come from: `ready`, `pending` or `none`.
    pub status: &'static str,
    /// A trend job is queued or running: the alerts will be recomputed shortly.
    pub updating: bool,
    /// Oldest episode first; each with its id (stable across
    /// recomputations), kind, metric, severity, status (`open`/`cleared`),
    /// dates, message, baseline, threshold and evidence.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
}

/// One 422 listing every invalid parameter.
fn invalid(errors: Vec<FieldError>) -> ApiError {
    let detail = errors
        .iter()
        .map(|e| format!("{}: {}", e.field.as_deref().unwrap_or("query"), e.message))
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::new(ErrorCode::ValidationFailed, detail).with_errors(errors)
}

/// The query parameters by name; unknown or repeated ones are errors.
fn parameters(
    pairs: Vec<(String, String)>,
    known: &[&str],
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in pairs {
        if !known.contains(&name.as_str()) {
            errors.push(FieldError::field(
                &name,
                format!("unknown parameter; expected {}", known.join(", ")),
            ));
            continue;
        }
        match out.entry(name) {
            Entry::Vacant(e) => {
                e.insert(value);
            }
            Entry::Occupied(e) => errors.push(FieldError::field(e.key(), "given more than once")),
        }
    }
    out
}

fn date(name: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let parsed = (value.len() == 10)
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten();
    if parsed.is_none() {
        errors.push(FieldError::field(name, "must be a date YYYY-MM-DD"));
    }
    parsed
}

/// Validates `from`, `to` and `granularity`.
fn trend_window(pairs: Vec<(String, String)>) -> ApiResult<TrendWindow> {
    let mut errors = Vec::new();
    let p = parameters(pairs, &["from", "to", "granularity"], &mut errors);
    let from = p.get("from").and_then(|v| date("from", v, &mut errors));
    let to = p.get("to").and_then(|v| date("to", v, &mut errors));
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.push(FieldError::field(
            "from",
            format!("must not be after to ({t})"),
        ));
    }
    let granularity = match p.get("granularity").map(String::as_str) {
        None => None,
        Some("day") => Some(GranularityName::Day),
        Some("week") => Some(GranularityName::Week),
        Some(_) => {
            errors.push(FieldError::field("granularity", "must be day or week"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    Ok(TrendWindow {
        from,
        to,
        granularity,
    })
}

/// session_count, computed_at, the document as stored.
type StoredTrend = (i32, DateTime<Utc>, String);

/// The horse's current document (if any) and whether a newer one is on its way.
struct CurrentTrend {
    stored: Option<StoredTrend>,
    /// A trend job is queued, running or waiting for a retry (`failed`).
    updating: bool,
}

impl CurrentTrend {
    fn status(&self) -> &'static str {
        match (&self.stored, self.updating) {
            (Some(_), _) => "ready",
            (None, true) => "pending",
            (None, false) => "none",
        }
    }
}

async fn current_trend(state: &AppState, horse_id: Uuid) -> ApiResult<CurrentTrend> {
    let stored = sqlx::query_as(
        "SELECT session_count, computed_at, result::text FROM horse_trends
         WHERE horse_id = $1 AND algorithm_version = $2",
    )
    .bind(horse_id)
    .bind(TREND_VERSION)
    .fetch_optional(&state.db);
    let updating = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE horse_id = $1 AND kind = 'compute_trend'
                        AND status IN ('queued', 'running', 'failed'))",
    )
    .bind(horse_id)
    .fetch_one(&state.db);
    let (stored, updating) = tokio::try_join!(stored, updating)?;
    Ok(CurrentTrend { stored, updating })
}

/// Runs CPU work (parsing and re-serialising a document) off the async executor.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(ApiError::internal)?
}

/// A horse's trend: riding volume per day and ISO week, workload
/// (acute:chronic ratio, monotony, strain), jump load, quality metrics with
/// their baselines and slopes, alerts and exclusions. Without parameters the
/// document exactly as stored; with `from`, `to` or `granularity` its view
/// over that window (baselines, slopes and latest values stay those of the
/// whole history). Recomputed after every analysis and session deletion.
#[utoipa::path(get, path = "/v1/horses/{horse_id}/trends", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path),
           ("from" = Option<NaiveDate>, Query, description = "First day of the window (YYYY-MM-DD, UTC), inclusive"),
           ("to" = Option<NaiveDate>, Query, description = "Last day of the window (YYYY-MM-DD, UTC), inclusive"),
           ("granularity" = Option<GranularityName>, Query, description = "`day` or `week`: only that granularity's series (both when absent)")),
    responses((status = 200, body = HorseTrend), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "validation_failed: bad date, from after to, unknown granularity or parameter")))]
async fn get_trends(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult<Json<HorseTrend>> {
    let window = trend_window(query)?;
    ensure_owned(&state, &user, horse_id).await?;
    let mut answer = HorseTrend {
        horse_id,
        status: "ready",
        algorithm_version: TREND_VERSION.to_owned(),
        computed_at: None,
        session_count: None,
        updating: false,
        window,
        trend: None,
    };
    let current = current_trend(&state, horse_id).await?;
    answer.status = current.status();
    answer.updating = current.updating;
    let Some((session_count, computed_at, stored)) = current.stored else {
        return Ok(Json(answer));
    };
    answer.session_count = Some(session_count);
    answer.computed_at = Some(computed_at);
    answer.trend = Some(if window.is_whole() {
        RawValue::from_string(stored).map_err(ApiError::internal)?
    } else {
        blocking(move || {
            let doc: TrendDocument = serde_json::from_str(&stored).map_err(ApiError::internal)?;
            let view = doc.window(
                Window {
                    from: window.from,
                    to: window.to,
                },
                window.granularity.map(Granularity::from),
            );
            let json = String::from_utf8(trend::to_json(&view)).map_err(ApiError::internal)?;
            RawValue::from_string(json).map_err(ApiError::internal)
        })
        .await?
    });
    Ok(Json(answer))
}

/// What the alerts answer needs of a stored document.
#[derive(Deserialize)]
struct AlertsOnly {
    last_session: Option<String>,
    alerts: Vec<Alert>,
}

/// How far back before the last session a cleared alert is still shown by default.
const RECENTLY_CLEARED_DAYS: i64 = 30;

/// Which alerts to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlertFilter {
    /// Open ones, and those cleared within 30 days before the last session.
    Recent,
    Open,
    All,
}

fn alert_filter(pairs: Vec<(String, String)>) -> ApiResult<AlertFilter> {
    let mut errors = Vec::new();
    let p = parameters(pairs, &["status"], &mut errors);
    let filter = match p.get("status").map(String::as_str) {
        None => AlertFilter::Recent,
        Some("open") => AlertFilter::Open,
        Some("all") => AlertFilter::All,
        Some(_) => {
            errors.push(FieldError::field("status", "must be open or all"));
            AlertFilter::Recent
        }
    };
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(invalid(errors))
    }
}

fn select_alerts(doc: AlertsOnly, filter: AlertFilter) -> Vec<Alert> {
    let since = doc
        .last_session
        .as_deref()
        .and_then(trend::window::first_day)
        .map(|d| d - Duration::days(RECENTLY_CLEARED_DAYS));
    doc.alerts
        .into_iter()
        .filter(|a| match filter {
            AlertFilter::All => true,
            AlertFilter::Open => a.status == "open",
            AlertFilter::Recent => {
                a.status == "open"
                    || match (
                        a.cleared_at.as_deref().and_then(trend::window::first_day),
                        since,
                    ) {
                        (Some(cleared), Some(since)) => cleared >= since,
                        // A date that cannot be read: shown rather than hidden.
                        _ => true,
                    }
            }
        })
        .collect()
}

/// A horse's alerts from its current trend document: asymmetry, cadence or
/// regularity drops, workload spikes, jump overload, one-sided rein work.
/// By default the open ones and those cleared within 30 days before the last
/// session; `status=open` only the open ones, `status=all` every one.
#[utoipa::path(get, path = "/v1/horses/{horse_id}/alerts", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path),
           ("status" = Option<AlertStatusName>, Query, description = "`open` or `all` (default: open and recently cleared)")),
    responses((status = 200, body = HorseAlerts), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "validation_failed: unknown status or parameter")))]
async fn get_alerts(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult<Json<HorseAlerts>> {
    let filter = alert_filter(query)?;
    ensure_owned(&state, &user, horse_id).await?;
    let current = current_trend(&state, horse_id).await?;
    let (status, updating) = (current.status(), current.updating);
    let Some((_, _, stored)) = current.stored else {
        return Ok(Json(HorseAlerts {
            horse_id,
            status,
            updating,
            alerts: Vec::new(),
        }));
    };
    let alerts = blocking(move || {
        let doc: AlertsOnly = serde_json::from_str(&stored).map_err(ApiError::internal)?;
        Ok(select_alerts(doc, filter))
    })
    .await?;
    Ok(Json(HorseAlerts {
        horse_id,
        status,
        updating,
        alerts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn windows_are_validated_field_by_field() {
        let w = trend_window(q(&[("from", "2026-11-01"), ("granularity", "week")])).unwrap();
        assert_eq!(w.from, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(w.to, None);
        assert_eq!(w.granularity, Some(GranularityName::Week));
        assert!(trend_window(Vec::new()).unwrap().is_whole());
        for (pairs, field) in [
            (q(&[("from", "2026-13-01")]), "from"),
            (q(&[("from", "2026-1-01")]), "from"),
            (q(&[("to", "")]), "to"),
            (q(&[("from", "2026-11-02"), ("to", "2026-11-01")]), "from"),
            (q(&[("granularity", "month")]), "granularity"),
            (q(&[("since", "2026-11-01")]), "since"),
            (q(&[("to", "2026-11-01"), ("to", "2026-11-02")]), "to"),
        ] {
            let e = trend_window(pairs).unwrap_err();
            assert_eq!(e.code(), ErrorCode::ValidationFailed);
            let body = format!("{e:?}");
            assert!(
                body.contains(&format!("field: Some(\"{field}\")")),
                "{body}"
            );
        }
    }

    #[test]
    fn alert_filters() {
        assert_eq!(alert_filter(Vec::new()).unwrap(), AlertFilter::Recent);
        assert_eq!(
            alert_filter(q(&[("status", "all")])).unwrap(),
            AlertFilter::All
        );
        assert!(alert_filter(q(&[("status", "closed")])).is_err());
        assert!(alert_filter(q(&[("limit", "3")])).is_err());
    }
}
