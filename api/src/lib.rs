//! Hoofbeat API: the mobile-facing HTTP service.
//!
//! - [`app`]: `Application::build(config)` / `run_until_stopped(shutdown)`, the router and its middleware.
//! - [`config`]: settings from environment variables.
//! - [`console`]: the admin console (HTML under `/admin`: sign-in, overview).
//! - [`routes`]: one module per resource (auth, horses, sessions, jobs, trends, admin, ops).
//! - [`auth`]: password hashing, bearer tokens, the `AuthUser`/`AdminUser` extractors;
//!   [`auth_events`] keeps every replica's token cache in step (NOTIFY); [`client_addr`]: the client's address behind trusted proxies.
//! - [`upload`]: decoding, validating and storing uploaded samples.
//! - [`outbox`]: the relay that publishes committed jobs to RabbitMQ.
//! - [`sweeper`]: finds jobs stuck without progress and requeues (or buries) them;
//!   [`queues`]: queue figures from the management API or passive declares.
//! - [`operator`]: `hoofbeat-api admin grant|revoke EMAIL`, the only way to make an admin.
//! - [`error`]: the `ApiError` type and its problem+json rendering.
//! - [`svg`]: chart answers (ETag, 304, cache policy) for the session and trend charts.
//! - [`metrics`], [`openapi`], [`extract`], [`headers`], [`state`]: supporting pieces.

pub mod app;
pub mod auth;
pub mod auth_events;
pub mod client_addr;
pub mod config;
pub mod console;
pub mod db_health;
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod outbox;
pub mod queues;
pub mod routes;
pub mod serve;
pub mod state;
pub mod svg;
pub mod sweeper;
pub mod upload;
pub mod warm_up;

pub use app::Application;
pub use config::ApiConfig;
