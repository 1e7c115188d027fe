-- The trend's per-session inputs (trend::SessionFeatures, a few hundred
-- bytes), derived from each session's analysis and written by the worker in
-- the transaction that stores the analysis.
--
-- Why a table of its own: a trend run reads about one small row per session
-- of the horse through (horse_id, started_at), never the analysis documents
-- (tens of kB each) and never the samples, so recomputing the trend of a
-- horse with a thousand sessions stays cheap. Sessions analysed before this
-- table existed are backfilled from their stored analysis by the trend job.
--
-- `json` (not jsonb) keeps the bytes exactly as written. started_at is the
-- session start truncated to milliseconds, as in the features (and as
-- `hoofbeat trend` uses it). features_version is trend::FEATURES_VERSION:
-- rows of another layout are recomputed from their analysis.
CREATE TABLE session_features (
    session_id       uuid PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    horse_id         uuid NOT NULL REFERENCES horses (id) ON DELETE CASCADE,
    started_at       timestamptz NOT NULL,
    analysis_version text NOT NULL,
    features_version integer NOT NULL,
    features         json NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_features_horse_idx ON session_features (horse_id, started_at);
