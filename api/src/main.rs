//! `hoofbeat-api [serve|migrate|admin grant EMAIL|admin revoke EMAIL]`: runs
//! the API (default), only applies migrations, or makes an account an admin
//! (or a rider again) — the only way to the first admin.

use std::process::ExitCode;

use api::{ApiConfig, Application};
use shared::config::Env;

fn main() -> ExitCode {
    // First, before the runtime: a build for newer CPUs names what this one
    // lacks instead of dying of SIGILL later (see `shared::cpu`).
    if let Err(e) = shared::cpu::check() {
        eprintln!("hoofbeat-api: {e}");
        return ExitCode::from(2);
    }
    run()
}

#[tokio::main]
async fn run() -> ExitCode {
    let _telemetry = match shared::telemetry::init("hoofbeat-api") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("hoofbeat-api: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match ApiConfig::from_env(&Env::process()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("hoofbeat-api: {e}");
            return ExitCode::from(2);
        }
    };
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let result = match command.as_str() {
        "serve" => serve(config).await,
        "migrate" => migrate(config).await,
        "admin" => admin(config, std::env::args().skip(2).collect()).await,
        other => Err(format!(
            "unknown command {other:?}; use `serve` (default), `migrate`, or `admin grant|revoke EMAIL`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("hoofbeat-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ApiConfig) -> Result<(), String> {
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn migrate(config: ApiConfig) -> Result<(), String> {
    let pool = shared::db::lazy_pool(&config.common, None).map_err(|e| e.to_string())?;
    api::app::migrate(&pool, &config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn admin(config: ApiConfig, args: Vec<String>) -> Result<(), String> {
    use api::operator::{RoleChange, change_role};
    let (change, email) = match args.as_slice() {
        [verb, email] if verb == "grant" => (RoleChange::Grant, email),
        [verb, email] if verb == "revoke" => (RoleChange::Revoke, email),
        _ => return Err("usage: hoofbeat-api admin grant|revoke EMAIL".to_owned()),
    };
    let pool = shared::db::lazy_pool(&config.common, None).map_err(|e| e.to_string())?;
    api::app::migrate(&pool, &config)
        .await
        .map_err(|e| e.to_string())?;
    let changed = change_role(&pool, email, change)
        .await
        .map_err(|e| e.to_string())?;
    let role = if change == RoleChange::Grant {
        "an admin"
    } else {
        "a rider"
    };
    if changed {
        println!("{email} is now {role} (effective at once on every API replica)");
    } else {
        println!("{email} already is {role}; nothing changed");
    }
    Ok(())
}

/// Ctrl-C or SIGTERM (Kubernetes' stop signal).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received");
}
