//! `hoofbeat-worker`: consumes analysis jobs until SIGTERM, then drains.

use std::process::ExitCode;

use shared::config::Env;
use worker::{Worker, WorkerConfig};

fn main() -> ExitCode {
    // First, before the runtime: a build for newer CPUs names what this one
    // lacks instead of dying of SIGILL later (see `shared::cpu`).
    if let Err(e) = shared::cpu::check() {
        eprintln!("hoofbeat-worker: {e}");
        return ExitCode::from(2);
    }
    run()
}

#[tokio::main]
async fn run() -> ExitCode {
    let _telemetry = match shared::telemetry::init("hoofbeat-worker") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("hoofbeat-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match WorkerConfig::from_env(&Env::process()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hoofbeat-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let worker = match Worker::build(config).await {
        Ok(w) => w,
        Err(e) => {
            eprintln!("hoofbeat-worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(http = %worker.http_addr(), "hoofbeat-worker started");
    match worker.run_until_stopped(shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("hoofbeat-worker stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hoofbeat-worker: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM (Kubernetes' stop signal).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received");
}
