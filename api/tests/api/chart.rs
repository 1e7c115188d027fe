//! `GET /v1/sessions/{id}/chart.svg`: the stored analysis drawn as SVG,
//! owner-checked, cached by ETag, and a clear problem while there is nothing
//! to draw.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn chart_is_drawn_from_the_stored_analysis_and_revalidated_by_etag() {
    let app = spawn_app().await;
    let (t, _) = app.user("chart@example.com").await;
    let horse = app.horse(&t, "Comet & <Co>").await;
    let v = app.upload_csv(&t, horse, 60.0).await;
    let sid = v["session"]["id"].as_str().unwrap().to_owned();
    let job = v["job"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sessions/{sid}/chart.svg");

    // Not analysed yet: a problem telling the app to come back.
    let r = app.get(&t, &path).await;
    assert_eq!(r.headers()["retry-after"], "2");
    assert_problem(r, 409, "analysis_not_ready").await;

    // The analysis the worker would store for these samples.
    let analysed = analysis::analyze(&recording(60.0, 100.0)).unwrap();
    assert!(!analysed.bouts.is_empty());
    let doc = String::from_utf8(analysis::to_json(&analysed)).unwrap();
    app.store_result(&sid, &job, &doc).await;

    let r = app.get(&t, &path).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let svg = r.text().await.unwrap();
    let xml = roxmltree::Document::parse(&svg).expect("the chart is well-formed XML");
    let has_class = |n: &roxmltree::Node, c: &str| {
        n.attribute("class")
            .is_some_and(|v| v.split(' ').any(|x| x == c))
    };
    let bouts = xml.descendants().filter(|n| has_class(n, "bout")).count();
    assert_eq!(bouts, analysed.bouts.len(), "one group per gait bout");
    let title = xml
        .descendants()
        .find(|n| n.attribute("id") == Some("chart-title"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(title.starts_with("Comet & <Co>"), "{title}");

    // Unchanged: 304 without a body; any other tag: the chart again.
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&t)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert!(r.bytes().await.unwrap().is_empty());
    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&t)
        .header("if-none-match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        svg,
        "the same analysis draws the same bytes"
    );

    // Someone else's session does not exist for them.
    let (other, _) = app.user("other@example.com").await;
    assert_problem(app.get(&other, &path).await, 404, "not_found").await;
}

#[tokio::test]
async fn failed_or_unreadable_analyses_are_a_clear_problem() {
    let app = spawn_app().await;
    let (t, _) = app.user("chart2@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let v = app.upload_csv(&t, horse, 3.0).await;
    let sid = v["session"]["id"].as_str().unwrap().to_owned();
    let job = v["job"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sessions/{sid}/chart.svg");

    sqlx::query("UPDATE jobs SET status = 'dead' WHERE id = $1::uuid")
        .bind(&job)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app.get(&t, &path).await;
    assert!(
        r.headers().get("retry-after").is_none(),
        "a failure is not retried by waiting"
    );
    let p = assert_problem(r, 409, "analysis_not_ready").await;
    assert!(p["detail"].as_str().unwrap().contains("failed"), "{p}");

    // A document of an older shape than this API reads.
    app.store_result(&sid, &job, r#"{"algorithm_version":"test/1","gaits":{}}"#)
        .await;
    assert_problem(app.get(&t, &path).await, 409, "analysis_not_ready").await;

    let missing = format!("/v1/sessions/{}/chart.svg", uuid::Uuid::new_v4());
    assert_problem(app.get(&t, &missing).await, 404, "not_found").await;
}

#[tokio::test]
async fn trend_chart_draws_the_stored_document_owner_only() {
    let app = spawn_app().await;
    let (t, _) = app.user("trendchart@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let path = format!("/v1/horses/{horse}/trends/chart.svg");

    // No session yet: an empty chart, not an error.
    let r = app.get(&t, &path).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let empty = r.text().await.unwrap();
    roxmltree::Document::parse(&empty).expect("well-formed XML");

    // Three weeks of the same ride, as the worker's trend job would store them.
    let analysed = analysis::analyze(&recording(60.0, 100.0)).unwrap();
    let start = 1_790_000_000_000_i64;
    let features: Vec<_> = (0..6)
        .map(|i| analysis::features::from_analysis(&analysed, start + i * 3 * 86_400_000))
        .collect();
    let doc = trend::compute(&features, &trend::TrendConfig::default());
    sqlx::query(
        "INSERT INTO horse_trends (horse_id, algorithm_version, session_count, result)
         VALUES ($1, $2, 6, $3::json)",
    )
    .bind(horse)
    .bind(trend::TREND_VERSION)
    .bind(String::from_utf8(trend::to_json(&doc)).unwrap())
    .execute(&app.db)
    .await
    .unwrap();

    let r = app.get(&t, &path).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let svg = r.text().await.unwrap();
    assert_ne!(svg, empty);
    let xml = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let weeks = xml
        .descendants()
        .filter(|n| n.attribute("class") == Some("week"))
        .count();
    assert_eq!(weeks, doc.volume.weekly.len());
    assert!(weeks >= 3, "{weeks} weeks");

    let r = app
        .http
        .get(app.url(&path))
        .bearer_auth(&t)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // A window draws fewer weeks; bad parameters are the trend route's 422.
    let first = &doc.volume.weekly[0].start;
    let r = app.get(&t, &format!("{path}?to={first}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let windowed = r.text().await.unwrap();
    let xml = roxmltree::Document::parse(&windowed).unwrap();
    let n = xml
        .descendants()
        .filter(|n| n.attribute("class") == Some("week"))
        .count();
    assert_eq!(n, 1);
    assert_problem(
        app.get(&t, &format!("{path}?to=yesterday")).await,
        422,
        "validation_failed",
    )
    .await;

    let (other, _) = app.user("nosy@example.com").await;
    assert_problem(app.get(&other, &path).await, 404, "not_found").await;
}
