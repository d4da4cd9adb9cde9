-- 007_secureframe.sql: the personnel attributes compliance tools read and
-- filter by (Secureframe's User), and search columns that keep name searches
-- indexed under row-level security, as sql/003_search.sql does for e-mail.

SET LOCAL search_path = gatehouse, public;

-- Secureframe's list of employee types also has 'workspace' (a shared account).
ALTER TABLE gatehouse.users DROP CONSTRAINT users_employee_type_check;
ALTER TABLE gatehouse.users ADD CONSTRAINT users_employee_type_check
	CHECK (employee_type IN ('contractor', 'employee', 'non_employee', 'auditor', 'external', 'workspace'));

-- "First Last", or whichever of the two is not empty: the one full name
-- every surface shows and filters by.
CREATE FUNCTION gatehouse.full_name(p_first text, p_last text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT CASE WHEN p_first = '' THEN p_last WHEN p_last = '' THEN p_first
	    ELSE p_first || ' ' || p_last END $$;
GRANT EXECUTE ON FUNCTION gatehouse.full_name(text, text) TO gatehouse_service;

-- The instant a calendar date starts in UTC: filters compare a date with a
-- timestamp as that whole UTC day, whatever the session's time zone.
CREATE FUNCTION gatehouse.utc_day(date) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT $1::timestamp AT TIME ZONE 'UTC' $$;
GRANT EXECUTE ON FUNCTION gatehouse.utc_day(date) TO gatehouse_service;

-- department_id: the id of the user's department in the HR system (text,
-- beside the department's name in `department`). access_role: the name of
-- the user's role in the product's access control. The two statuses track
-- personnel onboarding; NULL is "not tracked". The manager is another user
-- of the org; removing the manager clears it (users_remove).
ALTER TABLE gatehouse.users
	ADD COLUMN department_id text CHECK (length(department_id) BETWEEN 1 AND 100),
	ADD COLUMN access_role text CHECK (length(access_role) BETWEEN 1 AND 100),
	ADD COLUMN onboarding_status text
		CHECK (onboarding_status IN ('not_started', 'in_progress', 'completed')),
	ADD COLUMN personnel_status text
		CHECK (personnel_status IN ('onboarding', 'active', 'offboarding', 'offboarded')),
	ADD COLUMN manager_id bigint CHECK (manager_id <> id),
	ADD FOREIGN KEY (org_id, manager_id) REFERENCES gatehouse.users (org_id, id)
		ON DELETE SET NULL (manager_id),
	-- Lowercase copies collated "C", so equality and prefixes are leakproof
	-- btree conditions under row-level security (see 003).
	ADD COLUMN first_name_lc text COLLATE "C" GENERATED ALWAYS AS (lower(first_name)) STORED,
	ADD COLUMN last_name_lc text COLLATE "C" GENERATED ALWAYS AS (lower(last_name)) STORED,
	ADD COLUMN name_lc text COLLATE "C"
		GENERATED ALWAYS AS (lower(gatehouse.full_name(first_name, last_name))) STORED,
	ADD COLUMN department_id_lc text COLLATE "C" GENERATED ALWAYS AS (lower(department_id)) STORED;

CREATE INDEX users_manager_idx ON gatehouse.users (org_id, manager_id) WHERE manager_id IS NOT NULL;
-- Ending in id, so the users with one value come in the lists' order and a
-- page stops after its rows.
CREATE INDEX users_department_id_idx ON gatehouse.users (org_id, department_id_lc, id)
	WHERE status <> 'removed';
CREATE INDEX users_first_name_idx ON gatehouse.users (org_id, first_name_lc, id)
	WHERE status <> 'removed';
CREATE INDEX users_last_name_idx ON gatehouse.users (org_id, last_name_lc, id)
	WHERE status <> 'removed';
CREATE INDEX users_name_idx ON gatehouse.users (org_id, name_lc, id) WHERE status <> 'removed';

-- Trigram indexes on the same columns, for substrings through user_ids_like.
DROP INDEX gatehouse.users_first_name_trgm;
DROP INDEX gatehouse.users_last_name_trgm;
CREATE INDEX users_first_name_trgm ON gatehouse.users USING gin (first_name_lc gin_trgm_ops);
CREATE INDEX users_last_name_trgm ON gatehouse.users USING gin (last_name_lc gin_trgm_ops);
CREATE INDEX users_name_trgm ON gatehouse.users USING gin (name_lc gin_trgm_ops);
-- A trigram index keeps new entries in a pending list that every search reads
-- whole until it is merged; at the default 4 MB that cost searches in a large
-- org a millisecond and more after a burst of sign-ups. 256 kB keeps the cost
-- small without making inserts slower.
ALTER INDEX gatehouse.users_username_trgm SET (gin_pending_list_limit = 256);
ALTER INDEX gatehouse.users_email_trgm SET (gin_pending_list_limit = 256);
ALTER INDEX gatehouse.users_first_name_trgm SET (gin_pending_list_limit = 256);
ALTER INDEX gatehouse.users_last_name_trgm SET (gin_pending_list_limit = 256);
ALTER INDEX gatehouse.users_name_trgm SET (gin_pending_list_limit = 256);

-- As in 003, now with the full name and over the lowercase columns, and in
-- plpgsql: a SQL function that is not inlined (SECURITY DEFINER never is)
-- plans its body again on every call, and planning all five branches over a
-- table with this many indexes cost more than running the one that matters.
-- plpgsql caches each branch's plan for the session and runs only the one the
-- field names. Unknown field names match nobody.
DROP FUNCTION gatehouse.user_ids_like(text, text);
CREATE FUNCTION gatehouse.user_ids_like(p_field text, p_pattern text) RETURNS SETOF bigint
	LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
BEGIN
	CASE p_field
	WHEN 'email' THEN
		RETURN QUERY SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
		    AND status <> 'removed' AND email_lc LIKE p_pattern ESCAPE '\';
	WHEN 'username' THEN
		RETURN QUERY SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
		    AND status <> 'removed' AND username_lc LIKE p_pattern ESCAPE '\';
	WHEN 'first_name' THEN
		RETURN QUERY SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
		    AND status <> 'removed' AND first_name_lc LIKE p_pattern ESCAPE '\';
	WHEN 'last_name' THEN
		RETURN QUERY SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
		    AND status <> 'removed' AND last_name_lc LIKE p_pattern ESCAPE '\';
	WHEN 'name' THEN
		RETURN QUERY SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
		    AND status <> 'removed' AND name_lc LIKE p_pattern ESCAPE '\';
	ELSE
		RETURN;
	END CASE;
END $$;
REVOKE ALL ON FUNCTION gatehouse.user_ids_like(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.user_ids_like(text, text) TO gatehouse_service;

ANALYZE gatehouse.users;
