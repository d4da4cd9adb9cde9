-- 011_user_cache.sql: what lets workers cache the users they read safely.
--
-- A worker keeps the rows of users it read by uid (src/core/user_cache.c).
-- Changes made through the server make those rows stale at once, through
-- memory the workers share; every other writer (psql, gatehousectl, another
-- host) is caught here: a statement that changes anything a user's row is
-- read from — the user, its manager, its team's name, whether it has a
-- second factor — notifies channel gatehouse_users with the org's id when
-- its transaction commits, and each worker drains its notifications before
-- it serves a cached row. Statement-level, with transition tables: a bulk
-- change of thousands of users notifies once per org, not once per row.
--
-- A new user or team is nobody's cached row (a row is cached only once read,
-- and only by its uid), so inserting one notifies no one: a notification
-- wakes every worker's backend, and on each create that cost a third of the
-- create benchmark's throughput (bench/README.md, "User cache").

CREATE FUNCTION gatehouse.users_changed() RETURNS trigger
	LANGUAGE plpgsql AS $$
DECLARE
	o bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		FOR o IN SELECT DISTINCT org_id FROM old_rows LOOP
			PERFORM pg_notify('gatehouse_users', o::text);
		END LOOP;
	ELSE
		FOR o IN SELECT DISTINCT org_id FROM new_rows LOOP
			PERFORM pg_notify('gatehouse_users', o::text);
		END LOOP;
	END IF;
	RETURN NULL;
END $$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['users', 'teams', 'totp_credentials', 'webauthn_credentials'] LOOP
		IF t IN ('totp_credentials', 'webauthn_credentials') THEN
			EXECUTE format('CREATE TRIGGER users_changed_ins AFTER INSERT ON gatehouse.%I'
			    ' REFERENCING NEW TABLE AS new_rows'
			    ' FOR EACH STATEMENT EXECUTE FUNCTION gatehouse.users_changed()', t);
		END IF;
		EXECUTE format('CREATE TRIGGER users_changed_upd AFTER UPDATE ON gatehouse.%I'
		    ' REFERENCING NEW TABLE AS new_rows'
		    ' FOR EACH STATEMENT EXECUTE FUNCTION gatehouse.users_changed()', t);
		EXECUTE format('CREATE TRIGGER users_changed_del AFTER DELETE ON gatehouse.%I'
		    ' REFERENCING OLD TABLE AS old_rows'
		    ' FOR EACH STATEMENT EXECUTE FUNCTION gatehouse.users_changed()', t);
	END LOOP;
END $$;
