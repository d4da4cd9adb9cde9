-- 001_schema.sql: the whole Gatehouse domain, row-level security, and the
-- few SECURITY DEFINER entry points that must work before a tenant is known.
--
-- Run by `gatehousectl migrate` as the owner role. The service connects as a
-- login role that is a member of gatehouse_service: it owns nothing, has no
-- BYPASSRLS, and sees only the org named by the transaction-local setting
-- gatehouse.org_id. Every tenant table's primary key and unique indexes lead
-- with org_id so the schema can be sharded by tenant.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_service') THEN
		RAISE EXCEPTION 'role gatehouse_service does not exist: create it first (see README, Deployment)';
	END IF;
END $$;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- gatehousectl migrate creates the schema and its version table before this file runs.
CREATE SCHEMA IF NOT EXISTS gatehouse;
REVOKE ALL ON SCHEMA gatehouse FROM PUBLIC;
GRANT USAGE ON SCHEMA gatehouse TO gatehouse_service;
SET LOCAL search_path = gatehouse, public;

-- The tenant of the current transaction; NULL (and so no rows) when unset.
CREATE FUNCTION gatehouse.current_org() RETURNS bigint
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT NULLIF(current_setting('gatehouse.org_id', true), '')::bigint $$;

CREATE SEQUENCE gatehouse.ids AS bigint;

CREATE TABLE gatehouse.orgs (
	id			bigint PRIMARY KEY DEFAULT nextval('gatehouse.ids'),
	name			text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	tier			text NOT NULL DEFAULT 'standard'
				  CHECK (tier ~ '^[a-z][a-z0-9_-]{0,31}$'),
	enforce_2fa		boolean NOT NULL DEFAULT false,
	inactivity_days		integer NOT NULL DEFAULT 0 CHECK (inactivity_days BETWEEN 0 AND 3650),
	password_min		integer NOT NULL DEFAULT 12 CHECK (password_min BETWEEN 8 AND 256),
	session_lifetime_s	integer NOT NULL DEFAULT 43200 CHECK (session_lifetime_s BETWEEN 300 AND 2592000),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orgs_name_key ON gatehouse.orgs (lower(name));

-- Per-org catalogue of product role names (assessor, librarymod, …).
CREATE TABLE gatehouse.product_roles (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	name		text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,63}$'),
	grants_level	text CHECK (grants_level IN ('guest', 'user', 'admin', 'super')),
	PRIMARY KEY (org_id, name)
);

CREATE TABLE gatehouse.teams (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX teams_name_key ON gatehouse.teams (org_id, lower(name));

CREATE TABLE gatehouse.users (
	org_id			bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id			bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	uid			uuid NOT NULL DEFAULT gen_random_uuid(),
	username		text NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
	email			text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	first_name		text NOT NULL DEFAULT '',
	middle_name		text NOT NULL DEFAULT '',
	last_name		text NOT NULL DEFAULT '',
	preferred_first_name	text NOT NULL DEFAULT '',
	title			text NOT NULL DEFAULT '',
	department		text NOT NULL DEFAULT '',
	employee_type		text NOT NULL DEFAULT 'employee'
				  CHECK (employee_type IN ('contractor', 'employee', 'non_employee', 'auditor', 'external')),
	start_date		date,
	end_date		date,
	in_audit_scope		boolean NOT NULL DEFAULT true,
	auth_method		text NOT NULL DEFAULT 'local'
				  CHECK (auth_method IN ('local', 'ldap', 'sso', 'saml', 'oauth2')),
	team_id			bigint,
	access_level		text NOT NULL DEFAULT 'user'
				  CHECK (access_level IN ('guest', 'user', 'admin', 'super')),
	roles			text[] NOT NULL DEFAULT '{}',
	status			text NOT NULL DEFAULT 'active'
				  CHECK (status IN ('pending', 'active', 'disabled', 'suspended', 'removed')),
	disabled_reason		text CHECK (disabled_reason IN ('admin', 'inactivity')),
	note			text NOT NULL DEFAULT '',
	summary_email		boolean NOT NULL DEFAULT true,
	password_hash		text,
	password_changed_at	timestamptz,
	failed_logins		integer NOT NULL DEFAULT 0,
	locked_until		timestamptz,
	last_login_at		timestamptz,
	invited_at		timestamptz,
	confirmed_at		timestamptz,
	agent_acknowledged_at	timestamptz,
	removed_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	version			integer NOT NULL DEFAULT 1,
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, team_id) REFERENCES gatehouse.teams (org_id, id),
	CHECK ((status = 'disabled') = (disabled_reason IS NOT NULL)),
	CHECK ((status = 'removed') = (removed_at IS NOT NULL))
);
CREATE UNIQUE INDEX users_uid_key ON gatehouse.users (org_id, uid);
-- Names are unique case-insensitively among users not removed; case is kept.
CREATE UNIQUE INDEX users_username_key ON gatehouse.users (org_id, lower(username))
	WHERE status <> 'removed';
CREATE UNIQUE INDEX users_email_key ON gatehouse.users (org_id, lower(email))
	WHERE status <> 'removed';
-- Keyset paging and substring search over large orgs.
CREATE INDEX users_list_idx ON gatehouse.users (org_id, id) WHERE status <> 'removed';
CREATE INDEX users_email_trgm ON gatehouse.users USING gin (lower(email) gin_trgm_ops);
CREATE INDEX users_name_trgm ON gatehouse.users
	USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX users_team_idx ON gatehouse.users (org_id, team_id) WHERE team_id IS NOT NULL;

-- Allthenticate groups and Canary flocks; `key` is the client-visible id.
CREATE TABLE gatehouse.groups (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	key		text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX groups_key_key ON gatehouse.groups (org_id, lower(key));

CREATE TABLE gatehouse.group_members (
	org_id		bigint NOT NULL,
	group_id	bigint NOT NULL,
	user_id		bigint NOT NULL,
	role		text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'manager', 'watcher')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, group_id, user_id),
	FOREIGN KEY (org_id, group_id) REFERENCES gatehouse.groups (org_id, id) ON DELETE CASCADE,
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user_idx ON gatehouse.group_members (org_id, user_id);

CREATE TABLE gatehouse.policies (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description	text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX policies_name_key ON gatehouse.policies (org_id, lower(name));

CREATE TABLE gatehouse.policy_assignments (
	org_id		bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	policy_id	bigint NOT NULL,
	user_id		bigint,
	group_id	bigint,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, policy_id) REFERENCES gatehouse.policies (org_id, id) ON DELETE CASCADE,
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE,
	FOREIGN KEY (org_id, group_id) REFERENCES gatehouse.groups (org_id, id) ON DELETE CASCADE,
	CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX policy_assignments_user_key ON gatehouse.policy_assignments (org_id, policy_id, user_id)
	WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX policy_assignments_group_key ON gatehouse.policy_assignments (org_id, policy_id, group_id)
	WHERE group_id IS NOT NULL;

CREATE TABLE gatehouse.smart_cards (
	org_id		bigint NOT NULL,
	user_id		bigint NOT NULL,
	number		text NOT NULL CHECK (number ~ '^[0-9]{1,64}$'),
	label		text NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, user_id, number),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX smart_cards_number_idx ON gatehouse.smart_cards (org_id, number);

CREATE TABLE gatehouse.workstation_usernames (
	org_id		bigint NOT NULL,
	user_id		bigint NOT NULL,
	username	text NOT NULL CHECK (length(username) BETWEEN 1 AND 256),
	PRIMARY KEY (org_id, user_id, username),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);

CREATE TABLE gatehouse.totp_credentials (
	org_id		bigint NOT NULL,
	user_id		bigint NOT NULL,
	secret		bytea NOT NULL,
	confirmed_at	timestamptz,
	last_step	bigint NOT NULL DEFAULT 0,	-- replay guard
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, user_id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);

CREATE TABLE gatehouse.webauthn_credentials (
	org_id		bigint NOT NULL,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	user_id		bigint NOT NULL,
	credential_id	bytea NOT NULL,
	public_key	bytea NOT NULL,
	sign_count	bigint NOT NULL DEFAULT 0,
	label		text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX webauthn_credential_key ON gatehouse.webauthn_credentials (org_id, credential_id);

-- API keys: gh_<org>k<id>_<secret>; only SHA-256(secret) is stored.
CREATE TABLE gatehouse.api_keys (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	user_id		bigint,			-- NULL: a service key
	name		text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
	digest		bytea NOT NULL CHECK (length(digest) = 32),
	access_level	text CHECK (access_level IN ('guest', 'user', 'admin', 'super')),
	scopes		text[] NOT NULL DEFAULT '{}',
	expires_at	timestamptz,
	last_used_at	timestamptz,
	revoked_at	timestamptz,
	created_by	bigint,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE,
	CHECK ((user_id IS NULL) = (access_level IS NOT NULL))
);
CREATE INDEX api_keys_user_idx ON gatehouse.api_keys (org_id, user_id);

-- Single-use tokens (registration, password reset, e-mail change): digest only.
CREATE TABLE gatehouse.tokens (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	user_id		bigint NOT NULL,
	purpose		text NOT NULL CHECK (purpose IN ('registration', 'password_reset', 'email_change')),
	digest		bytea NOT NULL CHECK (length(digest) = 32),
	new_email	text,
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX tokens_expiry_idx ON gatehouse.tokens (org_id, expires_at) WHERE used_at IS NULL;

-- Browser sessions for the HTML pages: digest of the cookie, CSRF token digest.
CREATE TABLE gatehouse.sessions (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	user_id		bigint NOT NULL,
	digest		bytea NOT NULL CHECK (length(digest) = 32),
	csrf_digest	bytea NOT NULL CHECK (length(csrf_digest) = 32),
	mfa_passed	boolean NOT NULL DEFAULT false,
	address		inet,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);

CREATE TABLE gatehouse.login_events (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	user_id		bigint NOT NULL,
	success		boolean NOT NULL,
	method		text NOT NULL DEFAULT 'password',
	address		inet,
	user_agent	text NOT NULL DEFAULT '',
	at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id),
	FOREIGN KEY (org_id, user_id) REFERENCES gatehouse.users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX login_events_user_idx ON gatehouse.login_events (org_id, user_id, at DESC);

-- E-mail outbox, written in the transaction of the change that causes it.
CREATE TABLE gatehouse.outbox (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs ON DELETE CASCADE,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	to_addr		text NOT NULL,
	template	text NOT NULL,
	payload		jsonb NOT NULL DEFAULT '{}',
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, id)
);
CREATE INDEX outbox_due_idx ON gatehouse.outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Audit: append-only for the service (INSERT and SELECT only, see grants).
CREATE TABLE gatehouse.audit_events (
	org_id		bigint NOT NULL REFERENCES gatehouse.orgs,
	id		bigint NOT NULL DEFAULT nextval('gatehouse.ids'),
	at		timestamptz NOT NULL DEFAULT now(),
	actor_user_id	bigint,
	actor_key_id	bigint,
	actor		text NOT NULL DEFAULT '',	-- display form, kept if the user is removed
	action		text NOT NULL,
	target_type	text NOT NULL DEFAULT '',
	target_id	text NOT NULL DEFAULT '',
	changes		jsonb NOT NULL DEFAULT '{}',
	request_id	text NOT NULL DEFAULT '',
	address		inet,
	PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_at_idx ON gatehouse.audit_events (org_id, at DESC, id DESC);
CREATE INDEX audit_events_target_idx ON gatehouse.audit_events (org_id, target_type, target_id);
CREATE INDEX audit_events_actor_idx ON gatehouse.audit_events (org_id, actor_user_id);

-- Row-level security: one policy per tenant table, keyed on the transaction's org.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['product_roles', 'teams', 'users', 'groups', 'group_members',
	    'policies', 'policy_assignments', 'smart_cards', 'workstation_usernames',
	    'totp_credentials', 'webauthn_credentials', 'api_keys', 'tokens', 'sessions',
	    'login_events', 'outbox', 'audit_events']
	LOOP
		EXECUTE format('ALTER TABLE gatehouse.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY tenant ON gatehouse.%I USING (org_id = gatehouse.current_org()) '
		    'WITH CHECK (org_id = gatehouse.current_org())', t);
	END LOOP;
END $$;
ALTER TABLE gatehouse.orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.orgs USING (id = gatehouse.current_org())
	WITH CHECK (id = gatehouse.current_org());

GRANT SELECT, UPDATE ON gatehouse.orgs TO gatehouse_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.product_roles, gatehouse.teams,
	gatehouse.users, gatehouse.groups, gatehouse.group_members, gatehouse.policies,
	gatehouse.policy_assignments, gatehouse.smart_cards, gatehouse.workstation_usernames,
	gatehouse.totp_credentials, gatehouse.webauthn_credentials, gatehouse.api_keys,
	gatehouse.tokens, gatehouse.sessions, gatehouse.login_events, gatehouse.outbox
	TO gatehouse_service;
GRANT SELECT, INSERT ON gatehouse.audit_events TO gatehouse_service;
GRANT USAGE ON SEQUENCE gatehouse.ids TO gatehouse_service;
GRANT SELECT ON gatehouse.schema_migrations TO gatehouse_service;

-- Tenant-less entry points. Each is SECURITY DEFINER (runs as the owner, which
-- RLS does not restrict), takes only what it needs, and returns only what the
-- caller is entitled to know at that point.

-- Operator CLI: create an org (its own row is invisible until its id is the tenant).
CREATE FUNCTION gatehouse.org_create(p_name text, p_tier text) RETURNS bigint
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$ INSERT INTO gatehouse.orgs (name, tier) VALUES (p_name, p_tier) RETURNING id $$;

CREATE FUNCTION gatehouse.org_find(p_name text) RETURNS bigint
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$ SELECT id FROM gatehouse.orgs WHERE lower(name) = lower(p_name) $$;

-- API key authentication: everything the worker needs to build a principal,
-- in one round trip. The digest comparison happens in the worker, in
-- constant time; `usable` folds revocation, expiry and the owner's status.
CREATE FUNCTION gatehouse.key_auth(p_org bigint, p_key bigint)
	RETURNS TABLE (digest bytea, usable boolean, stale_use boolean, org_name text, tier text,
	    user_id bigint, user_uid uuid, username text, email text, access_level text, scopes text[])
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT k.digest,
	    k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
	        AND (k.user_id IS NULL OR u.status = 'active'),
	    k.last_used_at IS NULL OR k.last_used_at < now() - interval '60 seconds',
	    o.name, o.tier, u.id, u.uid, u.username, u.email,
	    COALESCE(k.access_level, u.access_level), k.scopes
	FROM gatehouse.api_keys k
	JOIN gatehouse.orgs o ON o.id = k.org_id
	LEFT JOIN gatehouse.users u ON u.org_id = k.org_id AND u.id = k.user_id
	WHERE k.org_id = p_org AND k.id = p_key
	$$;

-- Records key use at most once a minute per key (see stale_use above), so
-- authentication stays a read on the hot path.
CREATE FUNCTION gatehouse.key_touch(p_org bigint, p_key bigint) RETURNS void
	LANGUAGE sql SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$ UPDATE gatehouse.api_keys SET last_used_at = now()
	    WHERE org_id = p_org AND id = p_key $$;

REVOKE ALL ON FUNCTION gatehouse.org_create(text, text), gatehouse.org_find(text),
	gatehouse.key_auth(bigint, bigint), gatehouse.key_touch(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.org_create(text, text), gatehouse.org_find(text),
	gatehouse.key_auth(bigint, bigint), gatehouse.key_touch(bigint, bigint) TO gatehouse_service;
