-- 003_search.sql: lookups and searches that stay indexed under row-level security.
--
-- With RLS on, PostgreSQL only uses a condition as an index condition when
-- every function in it that touches a column is LEAKPROOF. lower() and LIKE
-- are not, so `lower(email) = lower($1)` scanned the whole org. Two fixes:
--
-- 1. Stored lowercase copies of username and e-mail, collated "C": equality
--    (texteq) and ranges (text_lt/_ge) on them are leakproof, so lookups and
--    prefix searches use btree indexes. "C" makes a prefix a byte range. The
--    e-mail is also kept reversed, so a suffix (a domain) is a range too.
-- 2. Suffix, substring and wildcard searches go through one SECURITY DEFINER
--    function that runs without RLS — and so can use trigram indexes — but
--    is scoped to the caller's own org by gatehouse.current_org(), exactly as
--    the policy would be. It takes a whitelisted field name, never SQL.

ALTER TABLE gatehouse.users
	ADD COLUMN username_lc text COLLATE "C" GENERATED ALWAYS AS (lower(username)) STORED,
	ADD COLUMN email_lc text COLLATE "C" GENERATED ALWAYS AS (lower(email)) STORED,
	ADD COLUMN email_rev_lc text COLLATE "C" GENERATED ALWAYS AS (reverse(lower(email))) STORED;

DROP INDEX gatehouse.users_username_key;
DROP INDEX gatehouse.users_email_key;
CREATE UNIQUE INDEX users_username_key ON gatehouse.users (org_id, username_lc)
	WHERE status <> 'removed';
CREATE UNIQUE INDEX users_email_key ON gatehouse.users (org_id, email_lc)
	WHERE status <> 'removed';
CREATE INDEX users_email_rev_idx ON gatehouse.users (org_id, email_rev_lc)
	WHERE status <> 'removed';

DROP INDEX gatehouse.users_name_trgm;
CREATE INDEX users_username_trgm ON gatehouse.users USING gin (username_lc gin_trgm_ops);
CREATE INDEX users_first_name_trgm ON gatehouse.users USING gin (lower(first_name) gin_trgm_ops);
CREATE INDEX users_last_name_trgm ON gatehouse.users USING gin (lower(last_name) gin_trgm_ops);
DROP INDEX gatehouse.users_email_trgm;
CREATE INDEX users_email_trgm ON gatehouse.users USING gin (email_lc gin_trgm_ops);

-- Ids of the caller's org's users whose field matches a LIKE pattern (already
-- lowercased and escaped with \). Unknown field names match nobody.
CREATE FUNCTION gatehouse.user_ids_like(p_field text, p_pattern text) RETURNS SETOF bigint
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT id FROM gatehouse.users WHERE p_field = 'email' AND org_id = gatehouse.current_org()
	    AND status <> 'removed' AND email_lc LIKE p_pattern ESCAPE '\'
	UNION ALL
	SELECT id FROM gatehouse.users WHERE p_field = 'username' AND org_id = gatehouse.current_org()
	    AND status <> 'removed' AND username_lc LIKE p_pattern ESCAPE '\'
	UNION ALL
	SELECT id FROM gatehouse.users WHERE p_field = 'first_name' AND org_id = gatehouse.current_org()
	    AND status <> 'removed' AND lower(first_name) LIKE p_pattern ESCAPE '\'
	UNION ALL
	SELECT id FROM gatehouse.users WHERE p_field = 'last_name' AND org_id = gatehouse.current_org()
	    AND status <> 'removed' AND lower(last_name) LIKE p_pattern ESCAPE '\'
	$$;
REVOKE ALL ON FUNCTION gatehouse.user_ids_like(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.user_ids_like(text, text) TO gatehouse_service;

-- The new columns need statistics before the planner can judge these indexes.
ANALYZE gatehouse.users;
