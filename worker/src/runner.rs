//! Running CPU-heavy work on the rayon pool, never on the async executor.
//!
//! The closure runs on a rayon thread inside a `compute` span, a child of the
//! caller's (so a trace shows the time spent on the pool); a panic is
//! caught and returned as an error, so a bug in an algorithm becomes a failed
//! attempt instead of a dead worker.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::oneshot;

/// Runs `work` on `pool` and awaits its result.
pub async fn run<T, F>(pool: &rayon::ThreadPool, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    // Created here, so its parent is the caller's span; it ends when the
    // work does (dropped on the rayon thread).
    let span = tracing::info_span!("compute");
    pool.spawn(move || {
        let result = span.in_scope(|| catch_unwind(AssertUnwindSafe(work)));
        let _ = tx.send(result.map_err(|panic| panic_message(panic.as_ref())));
    });
    rx.await
        .map_err(|_| "the analysis thread stopped without an answer".to_owned())?
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("the analysis panicked: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_and_panics() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(run(&pool, || 2 + 2).await, Ok(4));
        let err = run(&pool, || -> u32 { panic!("boom") }).await.unwrap_err();
        assert!(err.contains("boom"), "{err}");
        assert_eq!(run(&pool, || 1).await, Ok(1), "the pool survives a panic");
    }
}
