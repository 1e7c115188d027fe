-- An upload's job is published by the API that took the upload, right after
-- the upload commits (issue 11: the relay's wake — the notification, a
-- transaction, the claim — was ≈ 1 ms of an idle job's commit → start).
-- Such a row is `direct`: it is inserted with `available_at` a lease ahead
-- (HOOFBEAT_OUTBOX_DIRECT_LEASE_MS) and wakes no relay. The API marks it
-- published once the broker confirmed it; if the API dies first, or the
-- broker refuses it, the row becomes due when the lease runs out (or at once,
-- on a refusal) and any relay publishes it like any other row. Nothing is
-- lost; at worst a message is published twice (the worker's effects are
-- idempotent), as with the relay alone.
ALTER TABLE outbox ADD COLUMN direct boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
BEGIN
    SELECT max(id) INTO newest FROM inserted WHERE NOT direct;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('hoofbeat_outbox', newest::text);
    END IF;
    RETURN NULL;
END;
$$;
