-- 002_users.sql: what the user domain needs beyond the tables: timestamps in
-- one format, the default product-role catalogue for every org, and indexes
-- for the native API's orderings.

-- ISO 8601 UTC with milliseconds: the one timestamp format every API shows.
CREATE FUNCTION gatehouse.iso(timestamptz) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
GRANT EXECUTE ON FUNCTION gatehouse.iso(timestamptz) TO gatehouse_service;

-- Product roles the dialects name (Faction, AttackForge); an org may add more.
-- `admin` also grants the admin access level.
CREATE OR REPLACE FUNCTION gatehouse.org_create(p_name text, p_tier text) RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO gatehouse.orgs (name, tier) VALUES (p_name, p_tier) RETURNING id INTO v_id;
	INSERT INTO gatehouse.product_roles (org_id, name, grants_level)
	SELECT v_id, r.name, r.lvl FROM (VALUES
		('admin', 'admin'), ('assessor', NULL), ('remediation', NULL), ('engagement', NULL),
		('manager', NULL), ('librarymod', NULL), ('client', NULL), ('consultant', NULL),
		('projectoperator', NULL)) AS r (name, lvl);
	RETURN v_id;
END $$;
-- (CREATE OR REPLACE keeps the grants made in 001.)

INSERT INTO gatehouse.product_roles (org_id, name, grants_level)
SELECT o.id, r.name, r.lvl FROM gatehouse.orgs o CROSS JOIN (VALUES
	('admin', 'admin'), ('assessor', NULL), ('remediation', NULL), ('engagement', NULL),
	('manager', NULL), ('librarymod', NULL), ('client', NULL), ('consultant', NULL),
	('projectoperator', NULL)) AS r (name, lvl)
ON CONFLICT DO NOTHING;

CREATE INDEX users_created_idx ON gatehouse.users (org_id, created_at, id) WHERE status <> 'removed';

-- The sweep (gatehousectl sweep, from cron at any frequency): in every org that
-- sets inactivity_days, disables active users whose last sign-in (or
-- confirmation, or creation) is older, with an audit event each; and drops
-- single-use tokens and sessions past their expiry. Supers are exempt so the
-- sweep can never lock an org out of its own administration.
CREATE FUNCTION gatehouse.sweep(OUT orgs bigint, OUT disabled bigint, OUT tokens_expired bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
BEGIN
	WITH stale AS (
		UPDATE gatehouse.users u SET status = 'disabled', disabled_reason = 'inactivity',
		    summary_email = false, version = u.version + 1, updated_at = now()
		FROM gatehouse.orgs o
		WHERE o.id = u.org_id AND o.inactivity_days > 0 AND u.status = 'active'
		  AND u.access_level <> 'super'
		  AND coalesce(u.last_login_at, u.confirmed_at, u.created_at)
		      < now() - make_interval(days => o.inactivity_days)
		RETURNING u.org_id, u.uid
	), audited AS (
		INSERT INTO gatehouse.audit_events (org_id, actor, action, target_type, target_id, changes)
		SELECT org_id, 'sweep', 'user.disable', 'user', uid::text,
		    '{"status":{"old":"active","new":"disabled"},"disabled_reason":{"new":"inactivity"}}'
		FROM stale RETURNING org_id
	)
	SELECT count(DISTINCT org_id), count(*) INTO orgs, disabled FROM audited;

	WITH gone AS (
		DELETE FROM gatehouse.tokens WHERE expires_at < now() RETURNING 1
	)
	SELECT count(*) INTO tokens_expired FROM gone;
	DELETE FROM gatehouse.sessions WHERE expires_at < now();
END $$;
REVOKE ALL ON FUNCTION gatehouse.sweep() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.sweep() TO gatehouse_service;
