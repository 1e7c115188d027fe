//! The admin console's job pages over a real socket: the job list's filter
//! form, bulk replay (count, confirm, replay), the audit log and the
//! overview's per-minute charts. Sign-in and the helpers are in `console`.

use crate::common::*;
use crate::console::*;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

/// Marks a job dead with `error`.
async fn kill_job(app: &TestApp, job: &str, error: &str) {
    sqlx::query(
        "UPDATE jobs SET status = 'dead', attempts = 5, dead_reason = 'attempts_exhausted',
                last_error = $2 WHERE id = $1::uuid",
    )
    .bind(job)
    .bind(error)
    .execute(&app.db)
    .await
    .unwrap();
}

async fn statuses(app: &TestApp, jobs: &[&str]) -> Vec<(String, Option<i64>)> {
    let mut out = Vec::new();
    for job in jobs {
        out.push(
            sqlx::query_as("SELECT status, replay_id FROM jobs WHERE id = $1::uuid")
                .bind(job)
                .fetch_one(&app.db)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test]
async fn the_job_list_filters_as_its_form_sends_and_names_a_bad_field() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        let v = app.upload_csv(&rider, horse, 3.0).await;
        jobs.push(v["job"]["id"].as_str().unwrap().to_owned());
    }
    kill_job(&app, &jobs[0], "broker exploded").await;
    kill_job(&app, &jobs[1], "samples unreadable").await;
    let cookie = admin_cookie(&app, "boss@example.com").await;
    let listed = |page: &str| -> Vec<bool> {
        jobs.iter()
            .map(|j| page.contains(&format!("href=\"/admin/jobs/{j}\"")))
            .collect()
    };

    // The form's GET sends every field, the empty ones too: no filter each.
    let empty = "status=&kind=&error=&since=&until=&horse_id=&session_id=\
                 &algorithm_version=&replay_id=";
    let r = get_page(&app, &format!("/admin/jobs?{empty}"), Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert_eq!(listed(&page), [true, true, true], "{page}");
    assert!(page.contains("<form method=\"get\" action=\"/admin/jobs\""));

    // Status and error text together, as typed (case-insensitive); the
    // form comes back filled in.
    let r = get_page(
        &app,
        "/admin/jobs?status=dead&kind=&error=BROKER&since=&until=&horse_id=&session_id=\
         &algorithm_version=&replay_id=",
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert_eq!(listed(&page), [true, false, false], "{page}");
    assert!(page.contains("value=\"BROKER\""), "{page}");
    assert!(page.contains("<option value=\"dead\" selected>"), "{page}");

    // A datetime-local value is read as UTC: nothing changed after 2999.
    let page = get_page(&app, "/admin/jobs?since=2999-01-01T00:00", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("No job matches."), "{page}");

    // A bad field or cursor is named on the page (422), not answered in JSON.
    for (query, says) in [
        ("since=yesterday", "Changed since: not a date and time"),
        ("horse_id=42", "Horse: not an id"),
        ("status=lost", "Status: queued, running"),
        ("cursor=nonsense", "cursor"),
    ] {
        let r = get_page(&app, &format!("/admin/jobs?{query}"), Some(&cookie)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{query}"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains(says), "{query}: {page}");
        assert!(page.contains("role=\"alert\""), "{query}: {page}");
    }
}

#[tokio::test]
async fn a_bulk_replay_counts_first_asks_then_replays_what_the_filter_names() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        let v = app.upload_csv(&rider, horse, 3.0).await;
        jobs.push(v["job"]["id"].as_str().unwrap().to_owned());
    }
    kill_job(&app, &jobs[0], "broker exploded").await;
    kill_job(&app, &jobs[1], "Broker exploded again").await;
    kill_job(&app, &jobs[2], "samples unreadable").await;
    let cookie = admin_cookie(&app, "boss@example.com").await;

    // The job list links to the form with its filters; the nav has it too.
    let list = get_page(&app, "/admin/jobs?status=dead", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("href=\"/admin/replay?status=dead\""),
        "{list}"
    );
    let r = get_page(
        &app,
        "/admin/replay?status=dead&error=broker",
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let form = r.text().await.unwrap();
    assert!(form.contains("<title>Bulk replay · Hoofbeat admin</title>"));
    assert!(form.contains("name=\"error\" value=\"broker\""), "{form}");
    let token = csrf(&form);

    // The dry run: without the token, refused; with it, a count (audited) and nothing replayed.
    let fields = "status=dead&kind=&error=broker&since=&until=&horse_id=&session_id=&algorithm_version=&max=";
    let r = post_form(&app, "/admin/replay/preview", Some(&cookie), fields.into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/admin/replay/preview",
        Some(&cookie),
        format!("csrf={token}&{fields}"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let confirm = r.text().await.unwrap();
    assert!(confirm.contains("2 jobs match the filter"), "{confirm}");
    assert!(confirm.contains("id=\"will-replay\">2<"), "{confirm}");
    assert!(confirm.contains("name=\"error\" value=\"broker\""));
    let dry: (i64, i32) = sqlx::query_as(
        "SELECT count(*), max(affected) FROM admin_audit WHERE action = 'bulk_replay_dry_run'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(dry, (1, 2));
    assert!(
        statuses(&app, &[&jobs[0], &jobs[1]])
            .await
            .iter()
            .all(|(s, _)| s == "dead")
    );
    // A cap below the count says so; a bad field is named.
    let capped = post_form(
        &app,
        "/admin/replay/preview",
        Some(&cookie),
        format!("csrf={token}&status=dead&error=broker&max=1"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(capped.contains("id=\"will-replay\">1<"), "{capped}");
    let r = post_form(
        &app,
        "/admin/replay/preview",
        Some(&cookie),
        format!("csrf={token}&status=dead&since=yesterday"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Changed since: not a date")
    );

    // The confirmation: refused without the token, else a replay and 303 to its page.
    let r = post_form(&app, "/admin/replay", Some(&cookie), fields.into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/admin/replay",
        Some(&cookie),
        format!("csrf={}&{fields}", csrf(&confirm)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let replay_id: i64 = sqlx::query_scalar(
        "SELECT id FROM admin_audit WHERE action = 'bulk_replay' AND affected = 2",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(to, format!("/admin/replay/{replay_id}"));
    assert_eq!(
        statuses(&app, &[&jobs[0], &jobs[1], &jobs[2]]).await,
        [
            ("queued".to_owned(), Some(replay_id)),
            ("queued".to_owned(), Some(replay_id)),
            ("dead".to_owned(), None)
        ]
    );
    let done = get_page(&app, &to, Some(&cookie)).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done = done.text().await.unwrap();
    assert!(done.contains("id=\"replayed\">2<"), "{done}");
    assert!(done.contains(&format!("href=\"/admin/jobs/{}\"", jobs[0])));
    assert!(!done.contains(&format!("href=\"/admin/jobs/{}\"", jobs[2])));

    // Sent again (a reload of the confirmation), it finds nothing more to replay.
    let r = post_form(
        &app,
        "/admin/replay",
        Some(&cookie),
        format!("csrf={}&{fields}", csrf(&confirm)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = get_page(&app, r.headers()[LOCATION].to_str().unwrap(), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("id=\"replayed\">0<"), "{again}");
    assert_eq!(
        statuses(&app, &[&jobs[2]]).await,
        [("dead".to_owned(), None)]
    );
    assert_eq!(
        get_page(&app, "/admin/replay/999999", Some(&cookie))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_audit_log_pages_through_every_admin_action() {
    let app = spawn_app().await;
    // The grant below is the 56th entry.
    sqlx::query(
        "INSERT INTO admin_audit (admin_email, action, affected, detail)
         SELECT 'operator (command line)', 'grant_admin', 1, jsonb_build_object('n', n)
         FROM generate_series(1, 55) AS n",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let r = get_page(&app, "/admin/audit", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = admin_cookie(&app, "boss@example.com").await;

    let overview = get_page(&app, "/admin", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        overview.contains("href=\"/admin/audit\""),
        "the nav links it"
    );
    let r = get_page(&app, "/admin/audit", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let first = r.text().await.unwrap();
    assert!(first.contains("<title>Audit log · Hoofbeat admin</title>"));
    assert_eq!(first.matches("<tr class=\"audit\"").count(), 50);
    // Newest first: the grant of boss@example.com heads the log.
    let head = &first[first.find("<tr class=\"audit\"").unwrap()..];
    assert!(
        head[..head.find("</tr>").unwrap()].contains("boss@example.com"),
        "{head}"
    );
    assert!(
        first.contains("{&#34;n&#34;:55}") || first.contains("{&quot;n&quot;:55}"),
        "{first}"
    );
    let at = first.find("/admin/audit?cursor=").expect("a next page");
    let next = &first[at..];
    let next = &next[..next.find('"').unwrap()];
    let second = get_page(&app, next, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(second.matches("<tr class=\"audit\"").count(), 6);
    assert!(!second.contains("rel=\"next\""), "the last page");
    assert!(second.contains("href=\"/admin/audit\""));

    let r = get_page(&app, "/admin/audit?cursor=nope", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Not a page of the audit log")
    );
}
/// The bars of the `<svg … id="{id}" …>…</svg>` in a page, parsed: (minute, value).
fn chart_bars(page: &str, id: &str) -> Vec<(String, String)> {
    let at = page
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {page}"));
    let start = page[..at].rfind("<svg").expect("an <svg> element");
    let end = start + page[start..].find("</svg>").unwrap() + "</svg>".len();
    let doc = roxmltree::Document::parse(&page[start..end]).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    doc.descendants()
        .filter(|n| {
            n.has_tag_name("rect") && n.attribute("class").is_some_and(|c| c.starts_with("bar "))
        })
        .map(|n| {
            (
                n.attribute("data-minute").unwrap().to_owned(),
                n.attribute("data-value").unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_overview_charts_throughput_and_failure_rate_per_minute() {
    let app = spawn_app().await;
    // (minutes ago, the job's status, its attempts' outcomes), one job each:
    // 3 successes ten minutes ago; five minutes ago a job that failed and
    // then succeeded (both attempts count: the failure is what the rate is
    // for), a job waiting for its retry and a job that died on its second
    // attempt; a dead job two minutes ago; an interrupted attempt (a stopped
    // worker) three minutes ago, neither success nor failure; nothing from
    // two hours ago. Each insert answers the minute (UTC) it counts in.
    let mut minute = std::collections::HashMap::new();
    let jobs: [(i32, &str, &[&str]); 9] = [
        (10, "succeeded", &["succeeded"]),
        (10, "succeeded", &["succeeded"]),
        (10, "succeeded", &["succeeded"]),
        (5, "succeeded", &["failed", "succeeded"]),
        (5, "failed", &["failed"]),
        (5, "dead", &["failed", "dead"]),
        (2, "dead", &["dead"]),
        (3, "queued", &["interrupted"]),
        (120, "succeeded", &["succeeded"]),
    ];
    for (ago, status, outcomes) in jobs {
        let at: String = sqlx::query_scalar(
            "WITH job AS (
                 INSERT INTO jobs (id, kind, version, payload, status, updated_at)
                 VALUES (gen_random_uuid(), 'analyze_session', 1, '{}', $1,
                         now() - make_interval(mins => $2))
                 RETURNING id, updated_at),
             attempts AS (
                 INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome)
                 SELECT job.id, o.n, job.updated_at, job.updated_at, o.outcome
                 FROM job, unnest($3::text[]) WITH ORDINALITY AS o(outcome, n))
             SELECT to_char(updated_at AT TIME ZONE 'UTC', 'HH24:MI') FROM job",
        )
        .bind(status)
        .bind(ago)
        .bind(outcomes)
        .fetch_one(&app.db)
        .await
        .unwrap();
        minute.insert(ago, at);
    }
    let cookie = admin_cookie(&app, "boss@example.com").await;
    let page = get_page(&app, "/admin", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    let bar = |ago: i32, v: &str| (minute[&ago].clone(), v.to_owned());
    assert_eq!(
        chart_bars(&page, "throughput-chart"),
        [bar(10, "3"), bar(5, "1")]
    );
    assert_eq!(
        chart_bars(&page, "failure-chart"),
        [bar(5, "80"), bar(2, "100")]
    );
    assert!(page.contains("4 in all"), "{page}");
}
