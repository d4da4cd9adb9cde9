-- 008_signin.sql: what people's sign-in needs (the /login pages, src/core/signin.c).
--
-- 1. Org settings: how long a session may sit idle, and after how many failed
--    sign-ins in a row an account is locked, for how long.
-- 2. Failed sign-ins per client address, for the growing delay a guessing
--    client meets whatever account it tries.
-- 3. TOTP recovery codes: only their SHA-256 digests, each single use.
ALTER TABLE gatehouse.orgs
	ADD COLUMN session_idle_s integer NOT NULL DEFAULT 1800
		CHECK (session_idle_s BETWEEN 60 AND 86400),
	ADD COLUMN lockout_threshold integer NOT NULL DEFAULT 10
		CHECK (lockout_threshold BETWEEN 1 AND 100),
	ADD COLUMN lockout_s integer NOT NULL DEFAULT 900
		CHECK (lockout_s BETWEEN 60 AND 86400);

CREATE TABLE gatehouse.login_address_failures (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	address		inet NOT NULL,
	failures	integer NOT NULL DEFAULT 0,
	last_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, address)
);

CREATE TABLE gatehouse.totp_recovery_codes (
	org_id		bigint NOT NULL,
	user_id		bigint NOT NULL,
	digest		bytea NOT NULL CHECK (length(digest) = 32),
	used_at		timestamptz,
	PRIMARY KEY (org_id, user_id, digest),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);

-- A session is found by its cookie's digest.
CREATE UNIQUE INDEX sessions_digest_key ON gatehouse.sessions (org_id, digest);
CREATE INDEX sessions_user_idx ON gatehouse.sessions (org_id, user_id);

ALTER TABLE gatehouse.login_address_failures ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.login_address_failures USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
ALTER TABLE gatehouse.totp_recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.totp_recovery_codes USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.login_address_failures,
	gatehouse.totp_recovery_codes TO gatehouse_service;
