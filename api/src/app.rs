//! Building the application: pool, migrations, router, listener, relay.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use shared::amqp::Topology;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::ApiConfig;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::{self, Metrics};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{db_health, headers, outbox, routes};

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database URL does not parse.
    #[error("DATABASE_URL is not a valid Postgres URL: {0}")]
    DatabaseUrl(sqlx::Error),
    /// Postgres did not answer.
    #[error(
        "Postgres is not reachable at {url} ({cause}).\n  Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n  (the database itself is created on start when missing)"
    )]
    DatabaseUnreachable {
        /// Redacted URL.
        url: String,
        /// What failed.
        cause: String,
    },
    /// A migration failed.
    #[error("applying migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The AMQP prefix makes invalid names.
    #[error("invalid broker topology: {0}")]
    Topology(shared::amqp::AmqpError),
    /// The listen address is taken or not allowed.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// What failed.
        cause: std::io::Error,
    },
}

/// A bound, ready-to-run API.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    topology: Topology,
}

impl Application {
    /// Connects (lazily), applies migrations if configured, binds the listen
    /// address (port 0 picks a free port, for tests).
    pub async fn build(config: ApiConfig) -> Result<Self, StartupError> {
        if config.migrate_on_start {
            // On a pool of its own: the serving pool's connections warm up
            // on the migrated schema.
            let plain =
                shared::db::lazy_pool(&config.common, None).map_err(StartupError::DatabaseUrl)?;
            migrate(&plain, &config).await?;
            plain.close().await;
        }
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|cause| StartupError::Bind {
                addr: config.listen_addr,
                cause,
            })?;
        let topology = Topology::from_config(&config.common).map_err(StartupError::Topology)?;
        let pool = shared::db::lazy_pool(&config.common, Some(crate::warm_up::prepare))
            .map_err(StartupError::DatabaseUrl)?;
        let state = AppState::new(pool, config, Metrics::default());
        // In the background: a database that is down must not delay start-up
        // (readiness says `warming_up` meanwhile).
        tokio::spawn({
            let state = state.clone();
            async move {
                shared::db::warm(&state.db).await;
                state.warmed.cancel();
            }
        });
        Ok(Self {
            listener,
            state,
            topology,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.listen_addr)
    }

    /// The shared state (tests use its pool).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests and
    /// stops the outbox relay.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let relay = tokio::spawn(outbox::run(
            self.state.clone(),
            self.topology.clone(),
            stop.clone(),
        ));
        let auth_events = tokio::spawn(crate::auth_events::run(self.state.clone(), stop.clone()));
        let sweeper = tokio::spawn(crate::sweeper::run(
            self.state.clone(),
            self.topology.clone(),
            stop.clone(),
        ));
        tracing::info!(addr = %self.local_addr(), "hoofbeat-api listening");
        let on_stop = stop.clone();
        let limits = crate::serve::ConnLimits {
            header_read_timeout: self.state.config.header_read_timeout,
            max_connections: self.state.config.max_connections,
        };
        let served = crate::serve::serve(
            self.listener,
            router(self.state.clone()),
            limits,
            async move {
                shutdown.await;
                on_stop.cancel();
            },
        )
        .await;
        stop.cancel();
        if let Err(e) = relay.await {
            tracing::error!(error = %e, "outbox relay ended abnormally");
        }
        let _ = auth_events.await;
        let _ = sweeper.await;
        served
    }
}

/// Applies the migrations, turning "cannot connect" into advice.
pub async fn migrate(pool: &sqlx::PgPool, config: &ApiConfig) -> Result<(), StartupError> {
    let unreachable = |cause: String| StartupError::DatabaseUnreachable {
        url: shared::config::redact_url(&config.common.database_url),
        cause,
    };
    // A fresh machine has no `hoofbeat` database yet: create it, as the
    // migrations would otherwise fail with an obscure "does not exist".
    use sqlx::migrate::MigrateDatabase;
    match sqlx::Postgres::database_exists(&config.common.database_url).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!("creating the database");
            sqlx::Postgres::create_database(&config.common.database_url)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
        }
        Err(e) => return Err(unreachable(e.to_string())),
    }
    match shared::db::MIGRATOR.run(pool).await {
        Ok(()) => Ok(()),
        Err(sqlx::migrate::MigrateError::Execute(e)) if shared::db::is_unavailable(&e) => {
            Err(unreachable(e.to_string()))
        }
        Err(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(e)))
            if e.code().as_deref() == Some("3D000") =>
        {
            Err(unreachable(e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The full router with its middleware (also used by `oneshot` tests).
pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::router(&state))
        .split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .merge(crate::console::router())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed on this route") })
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(state.clone(), db_health::guard))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("handler panicked");
            ApiError::new(ErrorCode::Internal, "an internal error occurred; it has been logged").into_response()
        }))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map_or(req.uri().path(), |p| p.as_str());
            let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            let span = tracing::info_span!("http", method = %req.method(), route, request_id, user_id = tracing::field::Empty);
            let carrier = req
                .headers()
                .iter()
                .filter(|(k, _)| *k == "traceparent" || *k == "tracestate")
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            shared::telemetry::set_parent_from(&span, &carrier);
            span
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION]))
        .layer(middleware::from_fn(headers::security))
        .with_state(state)
}

/// Answers 503 problem+json when a request overruns its budget, so that a
/// stuck dependency never hangs the caller. Uploads get a longer budget.
async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_upload = request.method() == axum::http::Method::POST
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|p| p.as_str() == "/v1/horses/{horse_id}/sessions");
    let budget: Duration = if is_upload {
        state.config.upload_timeout
    } else {
        state.config.request_timeout
    };
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::Timeout,
            "the request did not complete in time; try again",
        )
        .with_retry_after(5)
        .into_response(),
    }
}
