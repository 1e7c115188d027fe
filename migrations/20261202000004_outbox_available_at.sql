-- A message can wait in the outbox until it is due: trend jobs are debounced
-- (HOOFBEAT_TREND_DEBOUNCE_MS). While a horse's trend job waits, it is the
-- one queued trend of the horse (jobs_one_queued_trend), so every analysis
-- of that horse finishing meanwhile is covered by it: a burst of uploads for
-- one horse costs one trend run per debounce period, not one per session.
--
-- The relay publishes only due rows and sleeps until the next one is due.
-- `now()` as the default: every other message is due at once, as before.
ALTER TABLE outbox ADD COLUMN available_at timestamptz NOT NULL DEFAULT now();
