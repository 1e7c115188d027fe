//! Start-up warm-up (issue 11's cold start): every pooled connection has the
//! statements between a delivery and the job's start (the analysis job's
//! start loads its samples in the same statement) prepared before the
//! first job, and preparing them changes nothing.

use super::common::*;

/// Jobs and attempts stored.
async fn counts(env: &Env2) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_attempts)")
        .fetch_one(&env.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn warm_up_prepares_the_job_start_on_every_pooled_connection_and_changes_nothing() {
    let env = setup().await;
    let before = counts(&env).await;
    let options = (*env.db.connect_options()).clone();
    let each = shared::testkit::warmed_statements(options, 3, worker::jobs::prepare).await;
    assert_eq!(each.len(), 3);
    for statements in &each {
        let starts: Vec<&String> = statements
            .iter()
            .filter(|s| s.contains("UPDATE jobs SET status = 'running'"))
            .collect();
        assert_eq!(starts.len(), 2, "both job starts prepared: {statements:?}");
        assert!(
            starts
                .iter()
                .any(|s| s.contains("(session_data d JOIN sessions s")),
            "the analysis job's start with its load not prepared: {statements:?}"
        );
    }
    assert_eq!(before, counts(&env).await, "the warm-up wrote rows");
}

/// A warm-up that went wrong (here: every time, with the driver's own kind
/// of error).
fn failing_warm_up(
    _: &mut sqlx::PgConnection,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async { Err(sqlx::Error::Protocol("test: a warm-up gone wrong".into())) })
}

#[tokio::test]
async fn a_warm_up_that_fails_leaves_the_connections_usable() {
    let env = setup().await;
    let options = (*env.db.connect_options()).clone();
    let pool = shared::db::warmed(
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5)),
        failing_warm_up,
    )
    .connect_lazy_with(options);
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .expect("a connection, only colder");
    assert_eq!(one, 1);
}
