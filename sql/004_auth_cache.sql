-- 004_auth_cache.sql: what lets workers cache authenticated keys safely.
--
-- Workers keep the principal of a recently authenticated key in memory and
-- LISTEN on channel gatehouse_auth. Every change that could alter or revoke a
-- principal (a key revoked or deleted; a user's status, level or names; an
-- org's name or tier) notifies that channel with the org's id, from a trigger,
-- so no code path — the API, the sweep, an operator's psql — can forget to.
-- A notification is delivered when its transaction commits, and each worker
-- drains its notifications before it authenticates anything.

-- The same lookup as before, in plpgsql so its plan is cached per session
-- (a SECURITY DEFINER SQL function is never inlined and was re-planned on every
-- call). It now also returns the expiry, which a cache needs.
DROP FUNCTION gatehouse.key_auth(bigint, bigint);
CREATE FUNCTION gatehouse.key_auth(p_org bigint, p_key bigint)
	RETURNS TABLE (digest bytea, usable boolean, stale_use boolean, org_name text, tier text,
	    user_id bigint, user_uid uuid, username text, email text, access_level text,
	    scopes text[], expires_epoch double precision)
	LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
BEGIN
	RETURN QUERY
	SELECT k.digest,
	    k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
	        AND (k.user_id IS NULL OR u.status = 'active'),
	    k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds',
	    o.name, o.tier, u.id, u.uid, u.username, u.email,
	    COALESCE(k.access_level, u.access_level), k.scopes,
	    extract(epoch FROM k.expires_at)::double precision
	FROM gatehouse.api_keys k
	JOIN gatehouse.orgs o ON o.id = k.org_id
	LEFT JOIN gatehouse.users u ON u.org_id = k.org_id AND u.id = k.user_id
	WHERE k.org_id = p_org AND k.id = p_key;
END $$;
REVOKE ALL ON FUNCTION gatehouse.key_auth(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.key_auth(bigint, bigint) TO gatehouse_service;

CREATE FUNCTION gatehouse.auth_changed() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('gatehouse_auth', (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id
	    ELSE NEW.org_id END)::text);
	RETURN NULL;
END $$;

CREATE FUNCTION gatehouse.auth_changed_org() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('gatehouse_auth', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id
	    ELSE NEW.id END)::text);
	RETURN NULL;
END $$;

CREATE TRIGGER auth_changed AFTER UPDATE ON gatehouse.api_keys
	FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
	    OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
	    OR OLD.digest IS DISTINCT FROM NEW.digest
	    OR OLD.access_level IS DISTINCT FROM NEW.access_level
	    OR OLD.scopes IS DISTINCT FROM NEW.scopes
	    OR OLD.user_id IS DISTINCT FROM NEW.user_id)
	EXECUTE FUNCTION gatehouse.auth_changed();
CREATE TRIGGER auth_changed_delete AFTER DELETE ON gatehouse.api_keys
	FOR EACH ROW EXECUTE FUNCTION gatehouse.auth_changed();

CREATE TRIGGER auth_changed AFTER UPDATE ON gatehouse.users
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
	    OR OLD.access_level IS DISTINCT FROM NEW.access_level
	    OR OLD.username IS DISTINCT FROM NEW.username
	    OR OLD.email IS DISTINCT FROM NEW.email
	    OR OLD.uid IS DISTINCT FROM NEW.uid)
	EXECUTE FUNCTION gatehouse.auth_changed();
CREATE TRIGGER auth_changed_delete AFTER DELETE ON gatehouse.users
	FOR EACH ROW EXECUTE FUNCTION gatehouse.auth_changed();

CREATE TRIGGER auth_changed AFTER UPDATE ON gatehouse.orgs
	FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.tier IS DISTINCT FROM NEW.tier)
	EXECUTE FUNCTION gatehouse.auth_changed_org();
CREATE TRIGGER auth_changed_delete AFTER DELETE ON gatehouse.orgs
	FOR EACH ROW EXECUTE FUNCTION gatehouse.auth_changed_org();
