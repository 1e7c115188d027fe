#!/usr/bin/env python3
"""Celery counterpart of Hoofbeat's burst bench (issue 11's workload).

  venv/bin/python bench.py live  [--count 2000] [--clients 16]
  venv/bin/python bench.py drain [--count 2000] [--clients 16]

live:  API (gunicorn+Flask, 2 workers) and one Celery worker (prefork, -c 2)
       running; CLIENTS threads upload COUNT sessions; wait for all jobs to
       succeed. Jobs/s from Postgres: first created_at -> last finished_at.
drain: API only; upload COUNT (the API publishes each after its commit, with
       publisher confirms), check the queue holds them all, then start one
       worker and wait. Jobs/s: first started_at -> last finished_at. The CPU
       accounting of a drain covers the worker phase only (as in the Rust
       bench), worker start-up included.
Each run drops and recreates the database and purges the queue, and stops
every child it started.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import settings  # noqa: E402

VENV_BIN = os.path.join(HERE, "venv", "bin")
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- /proc CPU
def _stat(pid):
    """(ppid, comm, own utime+stime, reaped children's cutime+cstime) in ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), comm, int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _all_procs():
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                procs[int(name)] = st
    return procs


def _tree(procs, roots):
    """roots and all their descendants."""
    children = {}
    for pid, (ppid, *_rest) in procs.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo = set(), [r for r in roots if r in procs]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(children.get(p, []))
    return seen


def _pids(*args):
    out = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


class Cpu:
    """CPU ticks per process class. A class is a set of root pids and their
    descendants: live processes count their own utime+stime, exited ones are
    in their parent's cutime+cstime (so each is counted once)."""

    def __init__(self, roots, pg_db_pids=()):
        procs = _all_procs()
        self.by_class = {}
        self.per_pid = {}
        for cls, rts in roots.items():
            total = 0
            for pid in _tree(procs, rts):
                _, _, own, reaped = procs[pid]
                total += own + reaped
                self.per_pid[pid] = own
            self.by_class[cls] = total
        self.pg_db = {p: procs[p][2] for p in pg_db_pids if p in procs}
        self.wall = time.monotonic()
        self.self_cpu = sum(os.times()[:2])


def pg_roots():
    pids = set(_pids("-u", "postgres", "-x", "postgres"))
    procs = _all_procs()
    return [p for p in pids if p in procs and procs[p][0] not in pids]


def rabbit_roots():
    return _pids("-x", "beam.smp") + _pids("-x", "epmd")


# ------------------------------------------------------------------ helpers
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_db():
    with psycopg.connect(f"{settings.PG_DSN} dbname=postgres", autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (settings.DB_NAME,),
        )
        c.execute(f'DROP DATABASE IF EXISTS "{settings.DB_NAME}"')
        c.execute(f'CREATE DATABASE "{settings.DB_NAME}"')
    with psycopg.connect(settings.DB_DSN, autocommit=True) as c:
        c.execute(settings.SCHEMA)


def queue_depth(declare_and_purge=False):
    from tasks import app

    with app.connection_for_write() as conn:
        ch = conn.default_channel
        q = app.amqp.queues[settings.QUEUE](ch)
        q.declare()
        if declare_and_purge:
            q.purge()
        _, messages, consumers = ch.queue_declare(settings.QUEUE, passive=True)
        return messages, consumers


class Children:
    def __init__(self, logdir):
        self.logdir = logdir
        self.procs = {}

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.logdir, f"{name}.log"), "ab")
        p = subprocess.Popen(
            argv, cwd=HERE, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})}, start_new_session=True,
        )
        self.procs[name] = p
        return p

    def stop(self, name, timeout=20):
        p = self.procs.pop(name, None)
        if p is None:
            return
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)  # our own session's group
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # stragglers in the group (prefork children after a crash)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


def wait_for(cond, timeout, what, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


def start_api(kids, port, workers, threads):
    kids.start("api", [
        os.path.join(VENV_BIN, "gunicorn"), "-w", str(workers), "-k", "gthread",
        "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
        "api:app",
    ])

    def up():
        if kids.procs["api"].poll() is not None:
            raise SystemExit("the API exited; see api.log")
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    wait_for(up, 60, "the API")
    return kids.procs["api"].pid


def start_worker(kids, concurrency, ready_file):
    if os.path.exists(ready_file):
        os.unlink(ready_file)
    p = kids.start("worker", [
        os.path.join(VENV_BIN, "celery"), "-A", "tasks", "worker", "-P", "prefork",
        "-c", str(concurrency), "-Q", settings.QUEUE, "--loglevel", "WARNING",
        "-n", f"bench@{socket.gethostname()}",
    ], env={"BENCH_READY_FILE": ready_file})
    return p.pid


def upload_all(port, body, count, clients):
    per = count // clients
    errors = []

    def client(_):
        s = requests.Session()
        for _ in range(per):
            r = s.post(f"http://127.0.0.1:{port}/sessions", data=body,
                       headers={"Content-Type": "text/csv"}, timeout=60)
            if r.status_code != 202:
                errors.append((r.status_code, r.text[:200]))
        s.close()

    t0 = time.monotonic()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(client, range(clients)))
    dt = time.monotonic() - t0
    if errors:
        raise SystemExit(f"{len(errors)} uploads failed, first: {errors[0]}")
    return per * clients, dt


def pg_db_backends(db):
    rows = db.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (settings.DB_NAME,),
    ).fetchall()
    return [r[0] for r in rows]


def report(mode, n, upload_s, db, before, after, worker_startup_s):
    r = db.execute(
        """SELECT count(*) FILTER (WHERE status = 'succeeded'),
                  EXTRACT(EPOCH FROM max(finished_at) - min(created_at))::float8,
                  EXTRACT(EPOCH FROM max(finished_at) - min(started_at))::float8,
                  (percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) * 1000)::float8,
                  (percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) * 1000)::float8
           FROM jobs"""
    ).fetchone()
    done, live_span, drain_span, p50, p99 = r
    span = live_span if mode == "live" else drain_span
    results = db.execute("SELECT count(*) FROM analysis_results").fetchone()[0]
    print(f"celery {mode}: {done}/{n} jobs succeeded, {results} results")
    if mode == "live":
        print(f"  {n} jobs in {span:.2f} s = {n / span:.0f} jobs/s end to end "
              f"(first created_at -> last finished_at)")
    else:
        print(f"  {n} queued jobs in {span:.2f} s = {n / span:.0f} jobs/s "
              f"(first started_at -> last finished_at)")
    print(f"  uploads: {n} in {upload_s:.2f} s = {n / upload_s:.0f}/s")
    print(f"  created -> started: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    wall = after.wall - before.wall
    print(f"  CPU per job (ms), accounting window {wall:.1f} s"
          + (" (drain: worker phase only, worker start-up included)" if mode == "drain" else "") + ":")
    total = 0.0
    for cls in ("api", "celery worker", "postgres (all processes)", "rabbitmq"):
        ms = (after.by_class[cls] - before.by_class[cls]) / TICK * 1000 / n
        total += ms
        print(f"    {cls:<28} {ms:7.2f}")
    # of the postgres figure: this database's backends (API + worker connections)
    db_ticks = sum(t - before.pg_db.get(p, 0) for p, t in after.pg_db.items())
    print(f"      of which {settings.DB_NAME} backends {db_ticks / TICK * 1000 / n:7.2f}")
    print(f"    {'total (servers)':<28} {total:7.2f}")
    print(f"    {'bench clients (not in total)':<28} {(after.self_cpu - before.self_cpu) * 1000 / n:7.2f}")
    if worker_startup_s is not None:
        print(f"  (celery worker start-up, idle until ready: {worker_startup_s:.2f} s CPU)")
    return done == n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["live", "drain"])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--api-workers", type=int, default=2)
    ap.add_argument("--api-threads", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--body", default=os.path.join(HERE, "session.csv"))
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    if args.count % args.clients:
        ap.error("--count must be a multiple of --clients")
    with open(args.body, "rb") as f:
        body = f.read()

    logdir = tempfile.mkdtemp(prefix=f"celery-bench-{args.mode}-", dir=HERE)
    ready_file = os.path.join(logdir, "worker.ready")
    kids = Children(logdir)
    try:
        reset_db()
        queue_depth(declare_and_purge=True)
        db = psycopg.connect(settings.DB_DSN, autocommit=True)
        port = free_port()
        api_pid = start_api(kids, port, args.api_workers, args.api_threads)
        roots = {
            "api": [api_pid],
            "celery worker": [],
            "postgres (all processes)": pg_roots(),
            "rabbitmq": rabbit_roots(),
        }
        worker_startup_s = None
        if args.mode == "live":
            wpid = start_worker(kids, args.concurrency, ready_file)
            roots["celery worker"] = [wpid]
            wait_for(lambda: os.path.exists(ready_file), 60, "the worker")
            time.sleep(1)
            worker_startup_s = Cpu({"w": [wpid]}).by_class["w"] / TICK
        # warm the API's pools and code paths? No: the first uploads are the real ones.
        before = Cpu(roots, pg_db_backends(db))
        n, upload_s = upload_all(port, body, args.count, args.clients)
        if args.mode == "drain":
            msgs, consumers = wait_for(
                lambda: (lambda m: m if m[0] >= n else None)(queue_depth()), 60, "publishing")
            print(f"  queue {settings.QUEUE}: {msgs} messages ready, {consumers} consumers; starting the worker")
            before = Cpu(roots, pg_db_backends(db))
            wpid = start_worker(kids, args.concurrency, ready_file)
            roots["celery worker"] = [wpid]

        def all_done():
            if "worker" in kids.procs and kids.procs["worker"].poll() is not None:
                raise SystemExit("the worker exited; see worker.log")
            return db.execute("SELECT count(*) FROM jobs WHERE status = 'succeeded'").fetchone()[0] >= n

        wait_for(all_done, args.timeout, "all jobs to succeed", every=0.5)
        time.sleep(0.5)  # the last acks
        after = Cpu(roots, pg_db_backends(db) + list(before.pg_db))
        ok = report(args.mode, n, upload_s, db, before, after, worker_startup_s)
        db.close()
        print(f"  logs: {logdir}")
        return 0 if ok else 1
    finally:
        kids.stop_all()


if __name__ == "__main__":
    sys.exit(main())
