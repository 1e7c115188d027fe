-- Every API replica caches verified tokens for a few seconds. A role change,
-- a revoked token or a deleted account must take effect at once on every
-- replica, whichever path made the change (the API, an operator's psql):
-- these triggers tell them through NOTIFY, with the user's id as payload.
CREATE FUNCTION auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('hoofbeat_auth', OLD.id::text);
    ELSE
        PERFORM pg_notify('hoofbeat_auth', OLD.user_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_auth_notify AFTER UPDATE OF role OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION auth_notify();
CREATE TRIGGER api_tokens_auth_notify AFTER UPDATE OF revoked_at, expires_at OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION auth_notify();
