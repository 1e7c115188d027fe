-- Admin console sign-ins: the browser holds a random token in an HttpOnly,
-- SameSite=Strict cookie; only its SHA-256 is stored, with the CSRF token
-- the console's forms must carry. Signing out deletes the row; expired rows
-- are refused and removed at the next sign-in.
CREATE TABLE console_sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at);
