-- 009_scim.sql: what provisioning by an identity provider (SCIM 2.0, /scim/v2)
-- needs of the core: the directory attributes a user lacked, groups with a
-- stable id, an external id and a version, and the surface each audit event
-- came through.
--
-- New filterable text columns follow 003_search.sql: under row-level security
-- only leakproof comparisons become index conditions, so case-insensitive
-- columns are kept lowercase in a "C"-collated generated column, and
-- case-exact ones (externalId) are "C"-collated themselves.

-- --- users -------------------------------------------------------------------

ALTER TABLE gatehouse.users
	ADD COLUMN external_id text COLLATE "C" NOT NULL DEFAULT '' CHECK (length(external_id) <= 256),
	ADD COLUMN display_name text NOT NULL DEFAULT '',
	ADD COLUMN formatted_name text NOT NULL DEFAULT '',
	ADD COLUMN preferred_language text NOT NULL DEFAULT '',
	ADD COLUMN employee_number text NOT NULL DEFAULT '',
	-- Multi-valued directory attributes, each a JSON array of objects with
	-- SCIM's sub-attribute names, kept as the provider gave them. The sign-in
	-- e-mail stays the `email` column (unique, valid).
	ADD COLUMN emails jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(emails) = 'array'),
	ADD COLUMN phone_numbers jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(phone_numbers) = 'array'),
	ADD COLUMN addresses jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(addresses) = 'array');
-- SCIM's enterprise "manager" is 007's manager_id.

-- The filterable copies are NULL where the attribute is empty, and their
-- indexes hold only the users that have one. An index over every user of an
-- org would be the smallest there is (one key, deduplicated, for all those
-- without the attribute), and with statistics that lag a bulk insert the
-- planner took it to walk the org's users for joins that look a user up by
-- id (the manager's, once per row inserted). A comparison with a value
-- implies IS NOT NULL, so these partial indexes still serve the filters.
ALTER TABLE gatehouse.users
	ADD COLUMN external_id_key text COLLATE "C" GENERATED ALWAYS AS (nullif(external_id, '')) STORED,
	ADD COLUMN display_name_lc text COLLATE "C"
	    GENERATED ALWAYS AS (nullif(lower(display_name), '')) STORED,
	ADD COLUMN employee_number_lc text COLLATE "C"
	    GENERATED ALWAYS AS (nullif(lower(employee_number), '')) STORED;

CREATE INDEX users_external_id_idx ON gatehouse.users (org_id, external_id_key)
	WHERE status <> 'removed' AND external_id_key IS NOT NULL;
CREATE INDEX users_display_name_idx ON gatehouse.users (org_id, display_name_lc)
	WHERE status <> 'removed' AND display_name_lc IS NOT NULL;
CREATE INDEX users_employee_number_idx ON gatehouse.users (org_id, employee_number_lc)
	WHERE status <> 'removed' AND employee_number_lc IS NOT NULL;

-- The lowercased `value`s of a multi-valued attribute, for an index.
CREATE FUNCTION gatehouse.values_lc(jsonb) RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT coalesce(array_agg(lower(e->>'value')), '{}')
	    FROM jsonb_array_elements(CASE WHEN jsonb_typeof($1) = 'array' THEN $1 ELSE '[]' END) e
	    WHERE e->>'value' IS NOT NULL $$;
CREATE INDEX users_emails_idx ON gatehouse.users USING gin (gatehouse.values_lc(emails));

-- Ids of the caller's org's users with an e-mail (any of `emails`, as the
-- provider gave them) equal to p_value, lowercased. Like user_ids_like it
-- runs without row-level security, so the GIN index serves it, and is scoped
-- to the caller's org exactly as the policy would be.
CREATE FUNCTION gatehouse.user_ids_email_value(p_value text) RETURNS SETOF bigint
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
	    AND status <> 'removed' AND gatehouse.values_lc(emails) @> ARRAY[p_value]
	$$;
REVOKE ALL ON FUNCTION gatehouse.user_ids_email_value(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.values_lc(jsonb), gatehouse.user_ids_email_value(text)
	TO gatehouse_service;

-- --- groups ------------------------------------------------------------------

-- `uid` is the id SCIM shows: a key can be reused after its group is deleted,
-- an id must never be. `version` changes with every change to the group,
-- its members included (the trigger below), for ETags and If-Match.
ALTER TABLE gatehouse.groups
	ADD COLUMN uid uuid NOT NULL DEFAULT gen_random_uuid(),
	ADD COLUMN external_id text COLLATE "C" NOT NULL DEFAULT '' CHECK (length(external_id) <= 256),
	ADD COLUMN name_lc text COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
	ADD COLUMN version integer NOT NULL DEFAULT 1,
	ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX groups_uid_key ON gatehouse.groups (org_id, uid);
CREATE INDEX groups_name_lc_idx ON gatehouse.groups (org_id, name_lc);
CREATE INDEX groups_external_id_idx ON gatehouse.groups (org_id, external_id);
CREATE INDEX groups_created_idx ON gatehouse.groups (org_id, created_at, id);

-- Every membership change is a change to its group, whichever code path (or
-- cascade) made it: one version step per group and statement.
CREATE FUNCTION gatehouse.group_members_changed() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
		WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM gone);
	ELSE
		UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
		WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM came);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER group_members_inserted AFTER INSERT ON gatehouse.group_members
	REFERENCING NEW TABLE AS came FOR EACH STATEMENT
	EXECUTE FUNCTION gatehouse.group_members_changed();
CREATE TRIGGER group_members_updated AFTER UPDATE ON gatehouse.group_members
	REFERENCING NEW TABLE AS came FOR EACH STATEMENT
	EXECUTE FUNCTION gatehouse.group_members_changed();
CREATE TRIGGER group_members_deleted AFTER DELETE ON gatehouse.group_members
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
	EXECUTE FUNCTION gatehouse.group_members_changed();

-- --- audit -------------------------------------------------------------------

-- The surface a change came through ("native", "scim", a dialect's name); ''
-- for the operator CLI and the sweep.
ALTER TABLE gatehouse.audit_events ADD COLUMN surface text NOT NULL DEFAULT ''
	CHECK (surface ~ '^[a-z0-9_-]{0,32}$');

ANALYZE gatehouse.users;
ANALYZE gatehouse.groups;
