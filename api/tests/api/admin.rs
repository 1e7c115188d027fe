//! The admin API without a worker: who may call it, the job list's filters
//! and pages, a job's history, the overview from both sources, the audit
//! log, and the operator's `hoofbeat-api admin grant|revoke`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;

/// Every admin route with a body that passes validation.
fn admin_routes(job: Uuid) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/v1/admin/jobs".into(), None),
        ("GET", format!("/v1/admin/jobs/{job}"), None),
        (
            "POST",
            format!("/v1/admin/jobs/{job}/replay"),
            Some(json!({})),
        ),
        ("POST", "/v1/admin/jobs/replay".into(), Some(json!({}))),
        ("POST", "/v1/admin/reanalysis".into(), Some(json!({}))),
        ("GET", "/v1/admin/overview".into(), None),
        ("GET", "/v1/admin/audit".into(), None),
    ]
}

async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut r = match method {
        "GET" => app.http.get(app.url(path)),
        _ => app.http.post(app.url(path)),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(b);
    }
    r.send().await.unwrap()
}

async fn make_admin(app: &TestApp, email: &str) -> String {
    let (token, _) = app.user(email).await;
    api::operator::change_role(&app.db, email, api::operator::RoleChange::Grant)
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn every_admin_route_needs_a_token_and_the_admin_role() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    for (method, path, body) in admin_routes(Uuid::new_v4()) {
        let r = call(&app, None, method, &path, body.as_ref()).await;
        assert_problem(r, 401, "unauthorized").await;
        let r = call(&app, Some(&rider), method, &path, body.as_ref()).await;
        assert_problem(r, 403, "forbidden").await;
    }
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_audit")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 0, "refused calls do nothing");
}

#[tokio::test]
async fn every_admin_action_leaves_an_audit_row() {
    let app = spawn_app().await;
    let admin = make_admin(&app, "boss@example.com").await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let up: Value = app.upload_csv(&rider, horse, 5.0).await;
    let job = up["job"]["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE jobs SET status = 'dead', dead_reason = 'stuck' WHERE id = $1::uuid")
        .bind(&job)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app
        .post_json(&admin, &format!("/v1/admin/jobs/{job}/replay"), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let replayed: Value = r.json().await.unwrap();
    assert_eq!(replayed["dead_reason"], Value::Null);
    let r = app
        .post_json(&admin, "/v1/admin/jobs/replay", &json!({"dry_run": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(&admin, "/v1/admin/reanalysis", &json!({"target": "trend"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let audit: Value = app
        .get(&admin, "/v1/admin/audit?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "reanalysis_dry_run");
    assert_eq!(entries[0]["admin_email"], "boss@example.com");
    assert_eq!(entries[1]["action"], "bulk_replay_dry_run");
    let cursor = audit["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(&admin, &format!("/v1/admin/audit?cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = rest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["replay", "grant_admin"]);
    assert_eq!(rest["entries"][0]["detail"]["job_id"], job);
    assert_eq!(rest["entries"][1]["admin_email"], "operator (command line)");
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_job_list_filters_pages_and_counts() {
    let app = spawn_app().await;
    let admin = make_admin(&app, "boss@example.com").await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let up: Value = app.upload_csv(&rider, horse, 5.0).await;
        ids.push(up["job"]["id"].as_str().unwrap().to_owned());
    }
    sqlx::query(
        "UPDATE jobs SET status = 'dead', dead_reason = 'attempts_exhausted', last_error = 'Stored samples unreadable'
         WHERE id = ANY($1::uuid[])",
    )
    .bind(&ids[..3])
    .execute(&app.db)
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get(
                &admin,
                &format!("/v1/admin/jobs?status=dead&error=UNREADABLE&limit=2{cursor}"),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["counts"]["dead"], 3, "{page}");
        assert_eq!(
            page["counts"]["queued"], 0,
            "the error filter applies to the counts"
        );
        seen.extend(
            page["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    let mut dead = ids[..3].to_vec();
    dead.sort();
    assert_eq!(seen, dead, "every dead job once, over two pages");
    let all: Value = app
        .get(
            &admin,
            &format!("/v1/admin/jobs?horse_id={horse}&kind=analyze_session"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["jobs"].as_array().unwrap().len(), 5);
    assert_eq!(
        (
            all["counts"]["dead"].as_i64(),
            all["counts"]["queued"].as_i64()
        ),
        (Some(3), Some(2))
    );
    let detail: Value = app
        .get(&admin, &format!("/v1/admin/jobs/{}", ids[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["id"], ids[0]);
    assert!(detail["trace_id"].is_string() || detail["trace_id"].is_null());
    assert_eq!(detail["history"], json!([]), "no worker ever ran it");
    assert_problem(
        app.get(&admin, &format!("/v1/admin/jobs/{}", Uuid::new_v4()))
            .await,
        404,
        "not_found",
    )
    .await;
    for bad in [
        "cursor=nonsense",
        "status=bogus",
        "kind=other",
        "limit=0",
        "since=yesterday",
    ] {
        assert_problem(
            app.get(&admin, &format!("/v1/admin/jobs?{bad}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let r = app
        .post_json(
            &admin,
            "/v1/admin/jobs/replay",
            &json!({"filter": {"status": "succeeded"}}),
        )
        .await;
    let nothing: Value = r.json().await.unwrap();
    assert_eq!(
        nothing["matched"], 0,
        "only dead or failed jobs are replayable"
    );
    let r = app
        .post_json(&admin, "/v1/admin/jobs/replay", &json!({"max": 5000}))
        .await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_overview_reads_the_management_api_or_passive_declares() {
    for (management, source, unacked) in [
        (
            Some("http://guest:guest@127.0.0.1:15672"),
            "management_api",
            true,
        ),
        (None, "passive_declare", false),
    ] {
        let env = management
            .map(|url| {
                vec![(
                    "HOOFBEAT_RABBITMQ_MANAGEMENT_URL".to_owned(),
                    url.to_owned(),
                )]
            })
            .unwrap_or_default();
        let app = spawn_with(Opts {
            env,
            ..Opts::default()
        })
        .await;
        let admin = make_admin(&app, "boss@example.com").await;
        let (rider, _) = app.user("rider@example.com").await;
        let horse = app.horse(&rider, "Comet").await;
        app.upload(&rider, horse, "text/csv", csv_body(5.0), &[])
            .await;
        let published = shared::testkit::eventually(std::time::Duration::from_secs(30), || async {
            let o: Value = app
                .get(&admin, "/v1/admin/overview")
                .await
                .json()
                .await
                .ok()?;
            let work = o["queues"]["queues"]
                .as_array()?
                .iter()
                .find(|q| q["role"] == "work")?
                .clone();
            // In the queue, and marked published in the outbox.
            (work["ready"] == 1 && o["outbox"]["backlog"] == 0).then_some((o, work))
        })
        .await;
        let (overview, work) = published.expect("the job reaches the work queue");
        assert_eq!(overview["queues"]["source"], source);
        assert_eq!(overview["queues"]["available"], true);
        assert_eq!(work["unacked"].is_u64(), unacked, "{work}");
        assert_eq!(work["consumers"], 0);
        let roles: Vec<&str> = overview["queues"]["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["work", "retry", "retry", "retry", "retry", "retry", "dead"]
        );
        assert_eq!(overview["outbox"]["backlog"], 0);
        assert_eq!(overview["jobs_last_hour"]["queued"], 1);
        assert_eq!(overview["stuck_jobs"], 0);
        assert_eq!(overview["dead_letters"], 0);
    }
    // A management API that is not there: the overview still answers, and says so.
    let app = spawn_with(Opts {
        env: vec![(
            "HOOFBEAT_RABBITMQ_MANAGEMENT_URL".into(),
            "http://127.0.0.1:9".into(),
        )],
        ..Opts::default()
    })
    .await;
    let admin = make_admin(&app, "boss@example.com").await;
    let o: Value = app
        .get(&admin, "/v1/admin/overview")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(o["queues"]["available"], false);
    assert!(
        o["queues"]["error"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{o}"
    );
}

#[tokio::test]
async fn the_operator_grants_and_revokes_the_admin_role_with_immediate_effect() {
    let app = spawn_app().await;
    let (token, _) = app.user("first@example.com").await;
    assert_eq!(
        app.get(&token, "/v1/admin/jobs").await.status(),
        StatusCode::FORBIDDEN
    );
    let db = app.db.connect_options().get_database().unwrap().to_owned();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hoofbeat-api"))
            .args(args)
            .env_clear()
            .env(
                "DATABASE_URL",
                format!("postgres://postgres@127.0.0.1:5432/{db}"),
            )
            .env("HOOFBEAT_AMQP_PREFIX", "unused")
            .output()
            .unwrap()
    };
    let out = run(&["admin", "grant", "FIRST@example.com"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is now an admin"));
    // At once: the role change reaches the token cache by NOTIFY, within
    // milliseconds (not after the cache period).
    let granted = shared::testkit::eventually(std::time::Duration::from_secs(2), || async {
        (app.get(&token, "/v1/admin/jobs").await.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(granted.is_some(), "granted at once");
    let out = run(&["admin", "revoke", "first@example.com"]);
    assert!(out.status.success());
    let revoked = shared::testkit::eventually(std::time::Duration::from_secs(2), || async {
        (app.get(&token, "/v1/admin/jobs").await.status() == StatusCode::FORBIDDEN).then_some(())
    })
    .await;
    assert!(revoked.is_some());
    let out = run(&["admin", "grant", "nobody@example.com"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must register first"));
    let out = run(&["admin", "promote"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    let audit: Vec<String> = sqlx::query_scalar("SELECT action FROM admin_audit ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, ["grant_admin", "revoke_admin"]);
}

/// The properties of a component schema, following `allOf` and `$ref` (a
/// flattened struct is documented as `allOf`).
fn schema_properties(spec: &Value, name: &str) -> Vec<String> {
    fn walk(spec: &Value, schema: &Value, out: &mut Vec<String>) {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            walk(spec, &spec["components"]["schemas"][name], out);
        }
        if let Some(props) = schema["properties"].as_object() {
            out.extend(props.keys().cloned());
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            walk(spec, part, out);
        }
    }
    let mut out = Vec::new();
    walk(spec, &spec["components"]["schemas"][name], &mut out);
    out
}

#[tokio::test]
async fn the_job_detail_shows_the_trace_id_of_the_upload() {
    // The trace id itself is stored by a traced API process (the end-to-end
    // trace test, worker/tests/trace_e2e.rs, checks it against the exported
    // spans); here: the column reaches both answers and the document.
    let app = spawn_app().await;
    let admin = make_admin(&app, "boss@example.com").await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let up: Value = app.upload_csv(&rider, horse, 5.0).await;
    let job = up["job"]["id"].as_str().unwrap().to_owned();
    let detail: Value = app
        .get(&admin, &format!("/v1/admin/jobs/{job}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["id"], job.as_str());
    assert!(
        detail.as_object().unwrap().contains_key("trace_id"),
        "trace_id is always present (null without tracing): {detail}"
    );
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    sqlx::query("UPDATE jobs SET trace_id = $2 WHERE id = $1::uuid")
        .bind(&job)
        .bind(trace)
        .execute(&app.db)
        .await
        .unwrap();
    let detail: Value = app
        .get(&admin, &format!("/v1/admin/jobs/{job}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["trace_id"], trace, "{detail}");
    let page: Value = app
        .get(
            &admin,
            &format!(
                "/v1/admin/jobs?session_id={}",
                up["session"]["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["jobs"][0]["id"], job.as_str(), "{page}");
    assert_eq!(page["jobs"][0]["trace_id"], trace, "{page}");

    let spec: Value = app.openapi().await;
    let detail_ref = &spec["paths"]["/v1/admin/jobs/{job_id}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"];
    assert_eq!(detail_ref, "#/components/schemas/JobDetail");
    let props = schema_properties(&spec, "JobDetail");
    for field in ["id", "trace_id", "history"] {
        assert!(
            props.iter().any(|p| p == field),
            "{field} not in JobDetail: {props:?}"
        );
    }
}
