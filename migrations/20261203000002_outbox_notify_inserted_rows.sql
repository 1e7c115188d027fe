-- The relay's wake-up fires only when a statement really inserted outbox
-- rows. The statement-level trigger of the initial schema also fired for an
-- INSERT of no row, and every analysis's result statement carries one: the
-- trend follow-up (`INSERT INTO outbox ... SELECT ... FROM trend_job`) that
-- inserts nothing while the horse's trend job is already queued. Each such
-- NOTIFY cost the relay a claim transaction that found nothing (measured in
-- a burst of 2,000 one-second sessions: 1.00 empty claim per job in a
-- drain, 2.00 claims per job live; issue 11). The transition table tells
-- the function which rows the statement inserted.
--
-- The payload names the statement's newest row (its id): a notification
-- that reaches the relay after a pass already published that row needs no
-- other pass (the rows of one statement commit together, so a claim that
-- saw the newest saw them all).
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
BEGIN
    SELECT max(id) INTO newest FROM inserted;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('hoofbeat_outbox', newest::text);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
