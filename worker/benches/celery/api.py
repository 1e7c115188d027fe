"""POST /sessions: store the CSV (gzip level 1) + a job in one transaction,
then publish analyze_session(job_id) to RabbitMQ; 202 with the job id."""
import gzip
import uuid

from flask import Flask, jsonify, request
from psycopg_pool import ConnectionPool

import settings
from tasks import analyze_session

app = Flask(__name__)
# gunicorn imports this module in each worker after the fork: one pool each.
pool = ConnectionPool(settings.DB_DSN, min_size=4, max_size=8, open=True)


@app.post("/sessions")
def upload():
    body = request.get_data()
    if not body:
        return jsonify(error="empty body"), 400
    stored = gzip.compress(body, compresslevel=1)
    session_id, job_id = uuid.uuid4(), uuid.uuid4()
    with pool.connection() as conn:  # one transaction, committed on exit
        conn.execute("INSERT INTO sessions (id) VALUES (%s)", (session_id,))
        conn.execute(
            "INSERT INTO session_data (session_id, data) VALUES (%s, %s)",
            (session_id, stored),
        )
        conn.execute(
            "INSERT INTO jobs (id, session_id, status) VALUES (%s, %s, 'queued')",
            (job_id, session_id),
        )
    analyze_session.delay(str(job_id))  # after the commit; waits for the broker's confirm
    return jsonify(job_id=str(job_id), session_id=str(session_id)), 202


@app.get("/healthz")
def healthz():
    return "ok"
