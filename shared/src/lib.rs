//! Hoofbeat's shared crate: the contracts between the API, the worker and the
//! offline CLI.
//!
//! - [`sensor`]: decoded IMU recordings and the upload formats with their parsers.
//! - [`config`]: settings from environment variables, with errors naming the variable.
//! - `db` (feature `db`): the Postgres pool with bounded waits and the embedded migrations.
//! - `outbox` (feature `db`): enqueueing jobs through the transactional outbox.
//! - `testkit` (feature `testkit`, dev only): per-test databases and queue names, a link-cutting proxy.
//! - [`json`]: JSON input rules (objects only, no U+0000 in text).
//! - [`cpu`]: the start-up check that this CPU has the instruction sets the build uses.
//! - [`jobs`]: the job contract (job kinds and the JSON envelope of every AMQP message).
//! - `amqp` (feature `amqp`): RabbitMQ topology, connection and confirmed publishing.
//! - `telemetry` (feature `telemetry`): tracing subscriber, OTLP span export, W3C context in job messages.
#[cfg(feature = "amqp")]
pub mod amqp;
pub mod config;
pub mod cpu;
#[cfg(feature = "db")]
pub mod db;
pub mod jobs;
pub mod json;
#[cfg(feature = "db")]
pub mod outbox;
pub mod sensor;
#[cfg(feature = "telemetry")]
pub mod telemetry;
#[cfg(feature = "testkit")]
pub mod testkit;
