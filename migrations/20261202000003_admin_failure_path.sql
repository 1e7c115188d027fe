-- The admin failure path: every job that fails is visible with its reason and
-- history, every dead letter is accounted for, and every admin action is
-- recorded.

-- Why a job is dead (stable codes, shown to admins; riders get a short text):
--   attempts_exhausted  every attempt failed (the worker gave up)
--   undecodable         the worker could not read the job (unknown kind/version)
--   delivery_limit      the broker gave up after too many unacknowledged
--                       deliveries (workers crashed while holding it)
--   rejected            the message was rejected without requeue
--   expired             the message's TTL ran out
--   queue_full          a queue length limit dropped it
--   stuck               no progress, and the sweeper's attempt budget is spent
-- requeued_at: last time an admin replay or the sweeper put the job back in
-- the queue; a dead letter older than that belongs to an earlier life of the
-- job and must not mark it dead again.
-- algorithm_version: the version of the worker that last started the job.
-- trace_id: the W3C trace id of the request that created the job.
-- replay_id: the audit entry of the bulk replay that last requeued the job
-- (progress of a bulk replay = the jobs carrying its id).
ALTER TABLE jobs
    ADD COLUMN dead_reason text CHECK (dead_reason IN (
        'attempts_exhausted', 'undecodable', 'delivery_limit', 'rejected',
        'expired', 'queue_full', 'stuck')),
    ADD COLUMN requeued_at timestamptz,
    ADD COLUMN algorithm_version text CHECK (length(algorithm_version) <= 100),
    ADD COLUMN trace_id text CHECK (length(trace_id) <= 64),
    ADD COLUMN replay_id bigint;

UPDATE jobs SET dead_reason = 'attempts_exhausted' WHERE status = 'dead';
UPDATE jobs j SET trace_id = split_part(o.message -> 'trace_context' ->> 'traceparent', '-', 2)
FROM outbox o
WHERE o.job_id = j.id AND j.trace_id IS NULL
  AND length(split_part(o.message -> 'trace_context' ->> 'traceparent', '-', 2)) = 32;

-- The admin job list: newest change first, keyset-paginated on (updated_at, id).
CREATE INDEX jobs_updated_idx ON jobs (updated_at DESC, id DESC);
CREATE INDEX jobs_replay_idx ON jobs (replay_id) WHERE replay_id IS NOT NULL;

-- One row per attempt a worker started (or the sweeper counted). An attempt
-- with no end was interrupted (the worker died or lost its connection); the
-- next attempt's start closes it as such.
CREATE TABLE job_attempts (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text CHECK (outcome IN (
        'succeeded', 'failed', 'dead', 'interrupted', 'swept', 'gone')),
    error       text CHECK (length(error) <= 2000),
    worker_id   text CHECK (length(worker_id) <= 200)
);
CREATE INDEX job_attempts_job_idx ON job_attempts (job_id, id);
CREATE INDEX job_attempts_open_idx ON job_attempts (job_id) WHERE finished_at IS NULL;

-- Dead-lettered messages that could not be tied to a job (no readable job
-- id, or a job that does not exist here): kept for humans, never dropped.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    reason       text,
    source_queue text,
    message_id   text,
    job_id       uuid,
    headers      jsonb NOT NULL,
    body_prefix  bytea NOT NULL,
    body_len     integer NOT NULL
);

-- Every admin action: who, when, what, with which filter, how many jobs.
-- admin_id is NULL for the operator's command line (`hoofbeat-api admin`).
CREATE TABLE admin_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    admin_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    admin_email text NOT NULL,
    action      text NOT NULL,
    filter      jsonb,
    affected    integer NOT NULL DEFAULT 0,
    detail      jsonb
);
CREATE INDEX admin_audit_at_idx ON admin_audit (id DESC);
