"""Shared settings of the Celery bench stack (API, worker, driver)."""
import os

DB_NAME = os.environ.get("BENCH_DB", "celery_bench")
PG_DSN = os.environ.get("BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")
DB_DSN = f"{PG_DSN} dbname={DB_NAME}"
BROKER_URL = os.environ.get("BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = os.environ.get("BENCH_QUEUE", "celery_bench")

SCHEMA = """
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE session_data (
    session_id uuid PRIMARY KEY REFERENCES sessions(id),
    data bytea NOT NULL
);
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions(id),
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE TABLE analysis_results (
    session_id uuid PRIMARY KEY REFERENCES sessions(id),
    job_id uuid NOT NULL REFERENCES jobs(id),
    result jsonb NOT NULL
);
"""
