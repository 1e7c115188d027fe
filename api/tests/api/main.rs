//! API integration tests: the real router on a real socket, real Postgres,
//! real RabbitMQ; each test has its own database and queue names.

mod common;

mod accounts;
mod admin;
mod auth_limits;
mod chart;
mod conn_limits;
mod console;
mod console_jobs;
mod contract;
mod failures;
mod hardening;
mod horses;
mod isolation;
mod ops;
mod outbox;
mod sessions;
mod trends;
mod uploads;
