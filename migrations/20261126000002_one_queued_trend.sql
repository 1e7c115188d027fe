-- At most one queued trend job per horse: sessions whose analyses finish close
-- together share it, instead of piling up redundant trend runs. A trend job
-- that is already running does not count, so a later session still gets one.
CREATE UNIQUE INDEX jobs_one_queued_trend ON jobs (horse_id)
    WHERE kind = 'compute_trend' AND status = 'queued';
