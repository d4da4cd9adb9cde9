-- 013_webauthn.sql: security keys (WebAuthn) as a second factor at sign-in.
--
-- A credential now records when it last signed in and whether the
-- authenticator verified the user then (or at registration); its label is
-- one short line. Its public key is SubjectPublicKeyInfo DER and its
-- credential id at most CTAP2's 1023 bytes; sign_count is the authenticator's
-- 32-bit counter.
ALTER TABLE gatehouse.webauthn_credentials
	ADD COLUMN last_used_at timestamptz,
	ADD COLUMN user_verified boolean NOT NULL DEFAULT false,
	ADD CONSTRAINT webauthn_label_len CHECK (length(label) <= 64),
	ADD CONSTRAINT webauthn_credential_id_len CHECK (length(credential_id) BETWEEN 1 AND 1023),
	ADD CONSTRAINT webauthn_sign_count_range CHECK (sign_count BETWEEN 0 AND 4294967295);

-- The challenge a page gave for a registration ('create') or a sign-in
-- ('get'): 32 random bytes bound to the session (a signed-in one, or the
-- one waiting for its second factor) it was given to, at most one per
-- purpose (a new page replaces it), taken by the first answer whether or
-- not that answer is right, and worth nothing after expires_at. A session
-- that ends takes its challenges with it.
CREATE TABLE gatehouse.webauthn_challenges (
	org_id		bigint NOT NULL,
	session_id	bigint NOT NULL,
	purpose		text NOT NULL CHECK (purpose IN ('create', 'get')),
	challenge	bytea NOT NULL CHECK (length(challenge) = 32),
	expires_at	timestamptz NOT NULL,
	PRIMARY KEY (org_id, session_id, purpose),
	FOREIGN KEY (org_id, session_id) REFERENCES gatehouse.sessions (org_id, id) ON DELETE CASCADE
);

ALTER TABLE gatehouse.webauthn_challenges ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON gatehouse.webauthn_challenges USING (org_id = gatehouse.current_org())
	WITH CHECK (org_id = gatehouse.current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.webauthn_challenges TO gatehouse_service;
