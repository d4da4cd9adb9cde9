-- 010_jobs.sql: answers kept for Idempotency-Key retries, and jobs — bulk work
-- too long for one request, run item by item by the server's job runner.
--
-- Both are tenant tables under the same row-level security as every other;
-- the runner finds work across orgs only through the SECURITY DEFINER
-- functions below, then sets the job's org as the tenant like any request.

-- The first successful answer to a create sent with an Idempotency-Key, kept
-- for 24 hours: a retry with the same key (from the same API key) gets it
-- again. The row is written in the transaction of the work it answers, so
-- one never exists without the other. fingerprint is the SHA-256 of the
-- method, path, query and body: the same key with another request is refused.
CREATE TABLE gatehouse.idempotency_keys (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	key_id		bigint NOT NULL,	-- the API key that sent it
	idem_key	text NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
	fingerprint	bytea NOT NULL CHECK (length(fingerprint) = 32),
	status		integer CHECK (status BETWEEN 200 AND 499),
	content_type	text,
	headers		text,			-- header lines of the answer (Location, ETag)
	body		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, key_id, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON gatehouse.idempotency_keys (created_at);

ALTER TABLE gatehouse.idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.idempotency_keys USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.idempotency_keys TO gatehouse_service;

-- Forgets every org's claims older than 24 hours (a claim of an expired key
-- is also replaced when the key comes again). Returns how many went.
CREATE FUNCTION gatehouse.idempotency_purge() RETURNS bigint
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	WITH gone AS (
		DELETE FROM gatehouse.idempotency_keys WHERE created_at < now() - interval '24 hours'
		RETURNING 1
	)
	SELECT count(*) FROM gone
	$$;
REVOKE ALL ON FUNCTION gatehouse.idempotency_purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.idempotency_purge() TO gatehouse_service;

-- A job: bulk work accepted with 202 and run item by item (each item its own
-- transaction) by a server's job runner. Passwords are never stored in the
-- clear: each is sealed (AES-256-GCM) under a key that exists only in the
-- memory of the server that accepted the job; seal_key names that key (a
-- random id, not derived from it). The job acts with the authority its
-- creator had when it was accepted.
CREATE TABLE gatehouse.jobs (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	kind		text NOT NULL CHECK (kind IN ('users.bulk')),
	status		text NOT NULL DEFAULT 'queued'
			  CHECK (status IN ('queued', 'running', 'finished', 'cancelled')),
	total		integer NOT NULL CHECK (total BETWEEN 1 AND 100000),
	seal_key	text NOT NULL CHECK (seal_key ~ '^[0-9a-f]{16}$'),
	actor_key_id	bigint,
	actor_user_id	bigint,
	actor_level	text NOT NULL CHECK (actor_level IN ('guest', 'user', 'admin', 'super')),
	actor_ref	text NOT NULL DEFAULT '',
	request_id	text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	finished_at	timestamptz,
	PRIMARY KEY (org_id, id)
);
CREATE INDEX jobs_open_idx ON gatehouse.jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_finished_idx ON gatehouse.jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_recent_idx ON gatehouse.jobs (org_id, id DESC);

-- One item of a job. payload is the item as sent, without its password;
-- sealed is the password's nonce, ciphertext and tag. Both are cleared when
-- the item ends; result is what the item came to (the user, or the error).
CREATE TABLE gatehouse.job_items (
	org_id		bigint NOT NULL,
	job_id		bigint NOT NULL,
	pos		integer NOT NULL CHECK (pos >= 0),
	status		text NOT NULL DEFAULT 'pending'
			  CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
	payload		jsonb,
	sealed		bytea,
	result_status	integer,
	result		jsonb,
	finished_at	timestamptz,
	PRIMARY KEY (org_id, job_id, pos),
	FOREIGN KEY (org_id, job_id) REFERENCES gatehouse.jobs ON DELETE CASCADE,
	CHECK ((status = 'pending') = (finished_at IS NULL))
);
CREATE INDEX job_items_pending_idx ON gatehouse.job_items (org_id, job_id, pos)
	WHERE status = 'pending';

ALTER TABLE gatehouse.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.jobs USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
ALTER TABLE gatehouse.job_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.job_items USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
GRANT SELECT, INSERT, UPDATE ON gatehouse.jobs, gatehouse.job_items TO gatehouse_service;

-- The job runners alive: each server's runner beats every few seconds under
-- its memory key's id. A key whose runner has not beaten for 15 seconds is
-- gone (its server stopped): another runner takes over that key's jobs, and
-- their passwords, which nobody can unseal any more, fail their items.
CREATE TABLE gatehouse.job_runners (
	seal_key	text PRIMARY KEY CHECK (seal_key ~ '^[0-9a-f]{16}$'),
	seen_at		timestamptz NOT NULL DEFAULT now()
);
-- No tenant's, and no policy: the service role reaches it only through the
-- functions below, which run as the owner.
ALTER TABLE gatehouse.job_runners ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION gatehouse.job_runner_beat(p_key text) RETURNS void
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	INSERT INTO gatehouse.job_runners (seal_key) VALUES (p_key)
	ON CONFLICT (seal_key) DO UPDATE SET seen_at = now();
	DELETE FROM gatehouse.job_runners WHERE seen_at < now() - interval '1 day';
	$$;

-- The oldest open job a runner with key p_key may run (its own, or one whose
-- key's runner is gone), marked running; none when there is none. Locked
-- only while the claim commits: items are claimed one by one after it.
CREATE FUNCTION gatehouse.job_claim(p_key text, OUT org_id bigint, OUT id bigint)
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	WITH j AS (
		SELECT j.org_id, j.id FROM gatehouse.jobs j
		LEFT JOIN gatehouse.job_runners r ON r.seal_key = j.seal_key
		WHERE j.status IN ('queued', 'running')
		  AND (j.seal_key = p_key OR r.seen_at IS NULL OR r.seen_at < now() - interval '15 seconds')
		ORDER BY j.created_at, j.id
		LIMIT 1
		FOR UPDATE OF j SKIP LOCKED
	)
	UPDATE gatehouse.jobs u SET status = 'running', started_at = coalesce(u.started_at, now())
	FROM j WHERE u.org_id = j.org_id AND u.id = j.id
	RETURNING u.org_id, u.id
	$$;

-- Forgets jobs 7 days after they ended (with their items). Returns how many went.
CREATE FUNCTION gatehouse.jobs_purge() RETURNS bigint
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	WITH gone AS (
		DELETE FROM gatehouse.jobs WHERE finished_at < now() - interval '7 days' RETURNING 1
	)
	SELECT count(*) FROM gone
	$$;

REVOKE ALL ON FUNCTION gatehouse.job_runner_beat(text), gatehouse.job_claim(text),
	gatehouse.jobs_purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.job_runner_beat(text), gatehouse.job_claim(text),
	gatehouse.jobs_purge() TO gatehouse_service;
