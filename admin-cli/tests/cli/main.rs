//! The real `hoofbeat-admin` binary against a real API (in-process, its own
//! database and queues), real Postgres and RabbitMQ, and a real worker.

mod common;

mod auth;
mod bulk;
mod errors;
mod jobs;
mod overview;
mod replay;
