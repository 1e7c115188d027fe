//! `GET /v1/horses/{id}/trends` and `/alerts` over a stored document, and
//! the trend job queued by a session deletion.

use chrono::{DateTime, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use trend::document::{Alert, Evidence};
use trend::{
    DataQuality, FEATURES_VERSION, Gait, GaitFeatures, Granularity, SessionFeatures,
    SymmetryFeatures, TREND_VERSION, TrendConfig, TrendDocument, Window,
};
use uuid::Uuid;

use crate::common::*;

fn gait(gait: Gait, time_s: f64, cadence_spm: f64) -> GaitFeatures {
    GaitFeatures {
        gait,
        time_s,
        strides: (time_s * cadence_spm / 60.0) as u32,
        cadence_spm,
        regularity: 0.8,
        elevation_cm: 5.0,
        left_s: time_s * 0.4,
        right_s: time_s * 0.4,
        straight_s: time_s * 0.2,
    }
}

/// A plausible 40-minute flat session starting at `at`.
fn session(at: &str, trot_cadence: f64) -> SessionFeatures {
    let ms = DateTime::parse_from_rfc3339(at).unwrap().timestamp_millis();
    SessionFeatures {
        features_version: FEATURES_VERSION,
        started_at_ms: ms,
        analysis_version: "aggregation/1.0.0".into(),
        duration_s: 2400.0,
        analysed_s: 2400.0,
        gaits: vec![
            gait(Gait::Halt, 120.0, 0.0),
            gait(Gait::Walk, 900.0, 52.0),
            gait(Gait::Trot, 900.0, trot_cadence),
            gait(Gait::Canter, 480.0, 96.0),
        ],
        jumps: 0,
        load: 15.0 + 30.0 + 24.0,
        vedba_gs: 700.0,
        straight_trot_s: 180.0,
        symmetry: Some(SymmetryFeatures {
            min_diff_mm: 1.0,
            max_diff_mm: -0.5,
            strides: 200,
            stretches: 4,
            min_diff_ci_mm: Some(1.2),
            max_diff_ci_mm: Some(1.0),
        }),
        quality: DataQuality {
            samples: 240_000,
            gap_s: 0.0,
            effective_rate_hz: 100.0,
            clipped_samples: 0,
        },
    }
}

/// Nine sessions over three ISO weeks (W45 to W47 of 2026).
fn history() -> TrendDocument {
    let days = [2, 4, 6, 9, 11, 13, 16, 18, 20];
    let features: Vec<SessionFeatures> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            session(
                &format!("2026-11-{d:02}T09:00:00Z"),
                76.0 + (i % 3) as f64 * 0.3,
            )
        })
        .collect();
    trend::compute(&features, &TrendConfig::default())
}

async fn store(app: &TestApp, horse: Uuid, version: &str, doc: &TrendDocument) -> String {
    let json = String::from_utf8(trend::to_json(doc)).unwrap();
    sqlx::query(
        "INSERT INTO horse_trends (horse_id, algorithm_version, session_count, result) VALUES ($1, $2, $3, $4::json)",
    )
    .bind(horse)
    .bind(version)
    .bind(doc.sessions as i32)
    .bind(&json)
    .execute(&app.db)
    .await
    .unwrap();
    json
}

/// The answer and its `trend` member exactly as sent.
async fn trends(app: &TestApp, token: &str, horse: Uuid, query: &str) -> (Value, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Raw {
        trend: Option<Box<serde_json::value::RawValue>>,
    }
    let r = app
        .get(token, &format!("/v1/horses/{horse}/trends{query}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    let body = r.text().await.unwrap();
    let raw: Raw = serde_json::from_str(&body).unwrap();
    (
        serde_json::from_str(&body).unwrap(),
        raw.trend.map(|t| t.get().to_owned()),
    )
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn periods(series: &Value) -> Vec<String> {
    series
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["period"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn trend_status_window_and_granularity() {
    let app = spawn_app().await;
    let (t, _) = app.user("t@example.com").await;
    let horse = app.horse(&t, "Comet").await;

    // Nothing yet (a document of another algorithm version does not count).
    let old = history();
    store(&app, horse, "trend/0.1.0-summary", &old).await;
    let (v, raw) = trends(&app, &t, horse, "").await;
    assert_eq!(
        v,
        json!({"horse_id": horse, "status": "none", "algorithm_version": TREND_VERSION,
               "computed_at": null, "session_count": null, "updating": false,
               "window": {"from": null, "to": null, "granularity": null}, "trend": null})
    );
    assert_eq!(raw, None);

    // A trend job on its way.
    shared::testkit::queue_trend(&app.db, horse).await;
    let (v, _) = trends(&app, &t, horse, "").await;
    assert_eq!(v["status"], "pending");
    assert_eq!(v["updating"], true);
    assert!(v["trend"].is_null());

    // Ready while the queued job will replace it: `updating` says so.
    let doc = history();
    let stored = store(&app, horse, TREND_VERSION, &doc).await;
    let (v, _) = trends(&app, &t, horse, "").await;
    assert_eq!(
        (v["status"].as_str(), v["updating"].as_bool()),
        (Some("ready"), Some(true))
    );
    sqlx::query("UPDATE jobs SET status = 'succeeded' WHERE horse_id = $1")
        .bind(horse)
        .execute(&app.db)
        .await
        .unwrap();

    // Ready: without parameters, the stored bytes verbatim.
    let (v, raw) = trends(&app, &t, horse, "").await;
    assert_eq!(v["status"], "ready");
    assert_eq!(v["updating"], false);
    assert_eq!(v["session_count"], 9);
    assert!(v["computed_at"].is_string());
    assert_eq!(raw.as_deref(), Some(stored.as_str()));
    assert_eq!(periods(&v["trend"]["volume"]["daily"]).len(), 9);
    assert_eq!(
        periods(&v["trend"]["volume"]["weekly"]),
        ["2026-W45", "2026-W46", "2026-W47"]
    );

    // A window: the document's own view of it, re-serialised canonically.
    let (v, raw) = trends(&app, &t, horse, "?from=2026-11-09&to=2026-11-15").await;
    let view = doc.window(
        Window {
            from: Some(day("2026-11-09")),
            to: Some(day("2026-11-15")),
        },
        None,
    );
    assert_eq!(
        raw.unwrap().as_bytes(),
        trend::to_json(&view).as_slice(),
        "the window is the library's"
    );
    assert_eq!(
        v["window"],
        json!({"from": "2026-11-09", "to": "2026-11-15", "granularity": null})
    );
    assert_eq!(
        periods(&v["trend"]["volume"]["daily"]),
        ["2026-11-09", "2026-11-11", "2026-11-13"]
    );
    assert_eq!(periods(&v["trend"]["volume"]["weekly"]), ["2026-W46"]);
    let workload_days: Vec<&str> = v["trend"]["workload"]["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(workload_days.first(), Some(&"2026-11-09"));
    assert_eq!(workload_days.last(), Some(&"2026-11-15"));
    for m in v["trend"]["quality"].as_array().unwrap() {
        for p in m["points"].as_array().unwrap() {
            let s = p["session"].as_str().unwrap();
            assert!(("2026-11-09".."2026-11-16").contains(&s), "{s}");
        }
    }
    assert_eq!(
        v["trend"]["sessions"], 9,
        "the whole history's figures stay"
    );

    // One granularity only.
    let (v, raw) = trends(&app, &t, horse, "?granularity=week").await;
    assert_eq!(
        raw.unwrap().as_bytes(),
        trend::to_json(&doc.window(Window::default(), Some(Granularity::Week))).as_slice()
    );
    assert_eq!(v["trend"]["volume"]["daily"], json!([]));
    assert_eq!(v["trend"]["workload"]["daily"], json!([]));
    assert_eq!(periods(&v["trend"]["volume"]["weekly"]).len(), 3);
    assert_eq!(v["window"]["granularity"], "week");

    let (v, _) = trends(&app, &t, horse, "?granularity=day&from=2026-11-16").await;
    assert_eq!(v["trend"]["volume"]["weekly"], json!([]));
    assert_eq!(v["trend"]["workload"]["weekly"], json!([]));
    assert_eq!(
        periods(&v["trend"]["volume"]["daily"]),
        ["2026-11-16", "2026-11-18", "2026-11-20"]
    );
    let (v, _) = trends(&app, &t, horse, "?to=2026-11-01").await;
    assert_eq!(v["trend"]["volume"]["daily"], json!([]));
    assert_eq!(v["status"], "ready");
}

#[tokio::test]
async fn bad_trend_and_alert_queries_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (t, _) = app.user("q@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    for (query, fields) in [
        ("?from=2026-13-01", vec!["from"]),
        ("?from=2026-02-30", vec!["from"]),
        ("?to=yesterday", vec!["to"]),
        ("?to=", vec!["to"]),
        ("?from=2026-11-10&to=2026-11-01", vec!["from"]),
        ("?granularity=month", vec!["granularity"]),
        ("?since=2026-11-01", vec!["since"]),
        ("?from=2026-11-01&from=2026-11-02", vec!["from"]),
        ("?from=x&granularity=year", vec!["from", "granularity"]),
    ] {
        let p = assert_problem(
            app.get(&t, &format!("/v1/horses/{horse}/trends{query}"))
                .await,
            422,
            "validation_failed",
        )
        .await;
        let named: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "{query}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(fields[0]), "{p}");
    }
    for (query, field) in [("?status=closed", "status"), ("?limit=3", "limit")] {
        let p = assert_problem(
            app.get(&t, &format!("/v1/horses/{horse}/alerts{query}"))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    // A malformed horse id is still a 400, an unknown one a 404.
    assert_problem(
        app.get(&t, "/v1/horses/nope/trends").await,
        400,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get(&t, &format!("/v1/horses/{}/alerts", Uuid::now_v7()))
            .await,
        404,
        "not_found",
    )
    .await;
}

fn alert(id: &str, status: &str, started: &str, cleared: Option<&str>) -> Alert {
    Alert {
        id: id.into(),
        kind: "cadence_drop".into(),
        metric: "trot.cadence_spm".into(),
        severity: "moderate".into(),
        status: status.into(),
        started_at: started.into(),
        confirmed_at: started.into(),
        cleared_at: cleared.map(Into::into),
        message: "Trot cadence is lower than usual.".into(),
        baseline: None,
        threshold: 74.0,
        evidence: vec![Evidence {
            at: started.into(),
            value: 73.1,
            deviation: Some(-4.2),
        }],
    }
}

#[tokio::test]
async fn alerts_open_recent_or_all() {
    let app = spawn_app().await;
    let (t, _) = app.user("a@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let none: Value = app
        .get(&t, &format!("/v1/horses/{horse}/alerts"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        none,
        json!({"horse_id": horse, "status": "none", "updating": false, "alerts": []})
    );

    // The last session is 2026-11-20: "recent" reaches back to 2026-10-21.
    let mut doc = history();
    doc.alerts = vec![
        alert(
            "old",
            "cleared",
            "2026-09-20T09:00:00.000Z",
            Some("2026-10-01T09:00:00.000Z"),
        ),
        alert(
            "recent",
            "cleared",
            "2026-10-15T09:00:00.000Z",
            Some("2026-11-04T09:00:00.000Z"),
        ),
        alert("open", "open", "2026-11-11T09:00:00.000Z", None),
    ];
    store(&app, horse, TREND_VERSION, &doc).await;
    let ids = |v: &Value| -> Vec<String> {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |q: &'static str| {
        let app = &app;
        let t = &t;
        async move {
            let r = app.get(t, &format!("/v1/horses/{horse}/alerts{q}")).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let v = get("").await;
    assert_eq!(v["status"], "ready");
    assert_eq!(v["horse_id"], horse.to_string());
    assert_eq!(ids(&v), ["recent", "open"]);
    assert_eq!(
        v["alerts"][1],
        serde_json::to_value(&doc.alerts[2]).unwrap(),
        "each alert as the document has it"
    );
    assert_eq!(ids(&get("?status=open").await), ["open"]);
    assert_eq!(ids(&get("?status=all").await), ["old", "recent", "open"]);
}

#[tokio::test]
async fn deleting_sessions_queues_one_trend_job() {
    let app = spawn_app().await;
    let (t, owner) = app.user("d@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let up: Value = app.upload_csv(&t, horse, 3.0).await;
        sessions.push(up["session"]["id"].as_str().unwrap().to_owned());
    }
    let trend_jobs = || async {
        sqlx::query_as::<_, (Uuid, String, Option<Uuid>, Option<Uuid>, Value)>(
            "SELECT id, status, owner_id, horse_id, payload FROM jobs WHERE kind = 'compute_trend'",
        )
        .fetch_all(&app.db)
        .await
        .unwrap()
    };
    assert!(trend_jobs().await.is_empty(), "uploads queue analyses only");

    let r = app
        .delete(&t, &format!("/v1/sessions/{}", sessions[0]))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let jobs = trend_jobs().await;
    assert_eq!(jobs.len(), 1);
    let (job, status, job_owner, job_horse, payload) = &jobs[0];
    assert_eq!(status, "queued");
    assert_eq!(*job_owner, Some(owner));
    assert_eq!(*job_horse, Some(horse));
    assert_eq!(payload, &json!({"horse_id": horse}));
    let message: Value = sqlx::query_scalar("SELECT message FROM outbox WHERE job_id = $1")
        .bind(job)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(message["kind"], "compute_trend");
    assert_eq!(message["payload"], json!({"horse_id": horse}));

    // A second deletion shares the queued job.
    let r = app
        .delete(&t, &format!("/v1/sessions/{}", sessions[1]))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(trend_jobs().await.len(), 1);
    let (v, _) = trends(&app, &t, horse, "").await;
    assert_eq!(v["status"], "pending");

    // Deleting what is not there queues nothing.
    let r = app
        .delete(&t, &format!("/v1/sessions/{}", sessions[1]))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(trend_jobs().await.len(), 1);
}
