"""The Celery app and its one task, analyze_session(job_id)."""
import gzip
import os
import tempfile

import psycopg
from psycopg.types.json import Jsonb
from celery import Celery
from celery.signals import worker_process_init, worker_ready

import settings

app = Celery("celery_bench", broker=settings.BROKER_URL)
app.conf.update(
    task_acks_late=True,
    broker_transport_options={"confirm_publish": True},
    task_default_queue=settings.QUEUE,
    task_default_exchange=settings.QUEUE,
    task_default_routing_key=settings.QUEUE,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)

_conn = None


@worker_process_init.connect
def _open_db(**_):
    # One connection per prefork child, opened after the fork.
    global _conn
    _conn = psycopg.connect(settings.DB_DSN, autocommit=True)


@worker_ready.connect
def _ready(**_):
    path = os.environ.get("BENCH_READY_FILE")
    if path:
        with open(path, "w") as f:
            f.write(str(os.getpid()))


def _db():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(settings.DB_DSN, autocommit=True)
    return _conn


@app.task(name="analyze_session")
def analyze_session(job_id):
    import hoofbeat

    conn = _db()
    row = conn.execute(
        "UPDATE jobs SET status = 'running', started_at = now() "
        "WHERE id = %s AND status IN ('queued', 'running') RETURNING session_id",
        (job_id,),
    ).fetchone()
    if row is None:  # already done (a redelivery) or unknown
        return
    session_id = row[0]
    (data,) = conn.execute(
        "SELECT data FROM session_data WHERE session_id = %s", (session_id,)
    ).fetchone()
    csv = gzip.decompress(data)
    # The wheel has no in-memory decoder: write the CSV to a temp file and read it.
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(csv)
        f.flush()
        samples, meta = hoofbeat.read(f.name)
    result = hoofbeat.analyze(samples, sample_rate=meta.get("sample_rate_hz"))
    with conn.transaction():
        conn.execute(
            "INSERT INTO analysis_results (session_id, job_id, result) VALUES (%s, %s, %s)",
            (session_id, job_id, Jsonb(dict(result))),
        )
        conn.execute(
            "UPDATE jobs SET status = 'succeeded', finished_at = now() WHERE id = %s",
            (job_id,),
        )
