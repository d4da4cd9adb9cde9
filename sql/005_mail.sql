-- 005_mail.sql: what e-mail delivery needs — how long an org's links live, the
-- mailer's two tenant-less entry points, messages that can never be sent, and
-- the account-disabled notice of the sweep.
--
-- The mailer (gatehousectl mailer) connects as the service role like the
-- workers. It claims one due message at a time across every org through
-- gatehouse.outbox_claim(), which locks the row FOR UPDATE SKIP LOCKED in the
-- mailer's transaction, so several mailers never hold the same message; it
-- then sets that message's org as the tenant and marks the row under
-- row-level security like any other write.

-- Lifetimes of the single-use links an org's users get by e-mail.
ALTER TABLE gatehouse.orgs
	ADD COLUMN registration_token_hours integer NOT NULL DEFAULT 72
		CHECK (registration_token_hours BETWEEN 1 AND 720),
	ADD COLUMN reset_token_hours integer NOT NULL DEFAULT 1
		CHECK (reset_token_hours BETWEEN 1 AND 72);

-- A message the relay refused for good (an unknown mailbox, say) is kept for
-- the operator with its last error, and never tried again.
ALTER TABLE gatehouse.outbox ADD COLUMN failed_at timestamptz;
DROP INDEX gatehouse.outbox_due_idx;
CREATE INDEX outbox_due_idx ON gatehouse.outbox (next_attempt_at)
	WHERE sent_at IS NULL AND failed_at IS NULL;

-- The most urgent due message of any org, locked until the caller's
-- transaction ends; none when every due message is held by another mailer.
-- With p_before, only one due by then (a single pass tries each message once).
-- Returns what rendering needs: the org's name and the payload's fields.
CREATE FUNCTION gatehouse.outbox_claim(p_before timestamptz)
	RETURNS TABLE (org_id bigint, id bigint, org_name text, to_addr text, template text,
	    username text, first_name text, token text, expires_at text, reason text,
	    attempts integer, created_epoch bigint)
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT m.org_id, m.id, o.name, m.to_addr, m.template,
	    m.payload->>'username', m.payload->>'first_name', m.payload->>'token',
	    m.payload->>'expires_at', m.payload->>'reason', m.attempts,
	    extract(epoch FROM m.created_at)::bigint
	FROM gatehouse.outbox m JOIN gatehouse.orgs o ON o.id = m.org_id
	WHERE m.sent_at IS NULL AND m.failed_at IS NULL
	  AND m.next_attempt_at <= least(now(), p_before)
	ORDER BY m.next_attempt_at, m.id
	LIMIT 1
	FOR UPDATE OF m SKIP LOCKED
	$$;

-- Seconds until the next message of any org falls due (0 when one is due
-- now), or NULL when nothing waits: how long the mailer may sleep.
CREATE FUNCTION gatehouse.outbox_next_due() RETURNS double precision
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - now()))::double precision
	FROM gatehouse.outbox WHERE sent_at IS NULL AND failed_at IS NULL
	$$;

REVOKE ALL ON FUNCTION gatehouse.outbox_claim(timestamptz), gatehouse.outbox_next_due()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.outbox_claim(timestamptz), gatehouse.outbox_next_due()
	TO gatehouse_service;

-- The sweep of 002, and the account-disabled notice for each user it
-- disables, queued in the same transaction (and the mailer woken at commit).
CREATE OR REPLACE FUNCTION gatehouse.sweep(OUT orgs bigint, OUT disabled bigint,
    OUT tokens_expired bigint)
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
		RETURNING u.org_id, u.uid, u.username, u.first_name, u.email
	), audited AS (
		INSERT INTO gatehouse.audit_events (org_id, actor, action, target_type, target_id, changes)
		SELECT org_id, 'sweep', 'user.disable', 'user', uid::text,
		    '{"status":{"old":"active","new":"disabled"},"disabled_reason":{"new":"inactivity"}}'
		FROM stale RETURNING org_id
	), mailed AS (
		INSERT INTO gatehouse.outbox (org_id, to_addr, template, payload)
		SELECT org_id, email, 'account_disabled', jsonb_build_object('username', username,
		    'first_name', first_name, 'reason', 'inactivity')
		FROM stale RETURNING 1
	)
	SELECT (SELECT count(DISTINCT org_id) FROM audited), (SELECT count(*) FROM audited)
	INTO orgs, disabled;
	IF disabled > 0 THEN
		PERFORM pg_notify('gatehouse_outbox', '');
	END IF;

	WITH gone AS (
		DELETE FROM gatehouse.tokens WHERE expires_at < now() RETURNING 1
	)
	SELECT count(*) INTO tokens_expired FROM gone;
	DELETE FROM gatehouse.sessions WHERE expires_at < now();
END $$;
