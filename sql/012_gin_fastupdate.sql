-- 012_gin_fastupdate.sql: the users' GIN indexes take each insert at once.
--
-- With fastupdate on (PostgreSQL's default) a GIN index gathers new entries
-- in a pending list and merges it into the index when the list outgrows
-- gin_pending_list_limit — inside whichever insert or update crosses it. That
-- insert then waits for the whole merge: in the create benchmark at 8
-- connections, ~20 creates in 15 s took 100-1100 ms where the rest took ~4 ms
-- (bench/README.md, "Against the targets"), and searches scan the unmerged
-- list on every run. Off, each insert pays for its own few entries: the same
-- run had one create over 100 ms and 23% more creates a second.
DO $$
DECLARE
	i regclass;
BEGIN
	FOR i IN SELECT x.indexrelid::regclass FROM pg_index x
	    JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam
	    WHERE x.indrelid = 'gatehouse.users'::regclass AND a.amname = 'gin' LOOP
		EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', i);
	END LOOP;
END $$;
