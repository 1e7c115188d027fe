-- Hoofbeat initial schema.
-- Ownership: everything hangs off users; ON DELETE CASCADE on every foreign
-- key means deleting a user, a horse or a session removes all that is under it.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'rider' CHECK (role IN ('rider', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Bearer tokens are random; only their SHA-256 is stored, so a database leak
-- does not leak usable tokens.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE horses (
    id         uuid PRIMARY KEY,
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    breed      text CHECK (length(breed) <= 100),
    birth_year integer CHECK (birth_year BETWEEN 1950 AND 2100),
    notes      text CHECK (length(notes) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX horses_owner_idx ON horses (owner_id, created_at, id);

-- Session metadata; the samples live in session_data so that listing
-- sessions never reads the large column.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    horse_id       uuid NOT NULL REFERENCES horses (id) ON DELETE CASCADE,
    owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at     timestamptz NOT NULL,
    sample_rate_hz double precision NOT NULL CHECK (sample_rate_hz BETWEEN 25 AND 400),
    sample_count   integer NOT NULL CHECK (sample_count >= 2),
    duration_s     double precision NOT NULL CHECK (duration_s >= 0),
    device_id      text CHECK (length(device_id) <= 200),
    discipline     text NOT NULL CHECK (discipline IN ('flat', 'jumping', 'cross_country')),
    notes          text CHECK (length(notes) <= 2000),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_horse_idx ON sessions (horse_id, started_at DESC, id DESC);
CREATE INDEX sessions_owner_idx ON sessions (owner_id);

-- The samples exactly as uploaded (after transport decompression), stored
-- losslessly: the binary form as is (already compact), CSV and JSON gzipped.
CREATE TABLE session_data (
    session_id uuid PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    format     text NOT NULL CHECK (format IN ('csv', 'json', 'binary')),
    encoding   text NOT NULL CHECK (encoding IN ('identity', 'gzip')),
    byte_len   bigint NOT NULL CHECK (byte_len >= 0),
    sha256     bytea NOT NULL,
    data       bytea NOT NULL
);
-- The data is already compact; do not spend CPU on pglz.
ALTER TABLE session_data ALTER COLUMN data SET STORAGE EXTERNAL;

-- One row per analysis job. status: queued -> running -> succeeded, or
-- failed (an attempt failed, a retry is scheduled) -> ... -> dead.
CREATE TABLE jobs (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    version     integer NOT NULL,
    owner_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    horse_id    uuid REFERENCES horses (id) ON DELETE CASCADE,
    session_id  uuid REFERENCES sessions (id) ON DELETE CASCADE,
    payload     jsonb NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz
);
CREATE INDEX jobs_session_idx ON jobs (session_id, created_at DESC);
CREATE INDEX jobs_horse_idx ON jobs (horse_id, created_at DESC);
CREATE INDEX jobs_status_idx ON jobs (status, updated_at DESC);

-- Transactional outbox: written in the same transaction as the job; the
-- relay publishes each row with publisher confirms and only then marks it.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    message      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoofbeat_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Results are keyed by session and algorithm version: a duplicate delivery or
-- a replay overwrites nothing and adds nothing. `json` (not jsonb) keeps the
-- bytes exactly as the analysis wrote them.
CREATE TABLE analysis_results (
    session_id        uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    algorithm_version text NOT NULL,
    job_id            uuid REFERENCES jobs (id) ON DELETE SET NULL,
    result            json NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, algorithm_version)
);

CREATE TABLE horse_trends (
    horse_id          uuid NOT NULL REFERENCES horses (id) ON DELETE CASCADE,
    algorithm_version text NOT NULL,
    job_id            uuid REFERENCES jobs (id) ON DELETE SET NULL,
    session_count     integer NOT NULL,
    result            json NOT NULL,
    computed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (horse_id, algorithm_version)
);

-- Idempotency-Key on uploads: the first request's answer is kept and replayed
-- to retries with the same body; another body under the same key is refused.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  bytea NOT NULL,
    session_id    uuid REFERENCES sessions (id) ON DELETE CASCADE,
    response_body jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
