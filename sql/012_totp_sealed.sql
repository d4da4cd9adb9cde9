-- 012_totp_sealed.sql: TOTP secrets sealed at rest (src/core/totp_secret.c,
-- docs/signin.md, "At rest").
--
-- A secret is kept in `sealed` — AES-256-GCM under the server's key file:
-- a version byte, the key's 8-byte id, nonce, ciphertext, tag, bound to the
-- org and user — or, in a row from before this, in plain `secret`; never
-- both. SQL has no key, so this cannot seal the old rows: the job runner
-- seals them at each start of the server, and a sign-in that reads one seals
-- it, setting `secret` to NULL. Once no row has a plain secret left, a later
-- migration may drop the column.
ALTER TABLE gatehouse.totp_credentials
	ALTER COLUMN secret DROP NOT NULL,
	ADD COLUMN sealed bytea,
	ADD CONSTRAINT totp_credentials_one_secret CHECK ((secret IS NULL) <> (sealed IS NULL));

-- The orgs that have a secret not sealed under the key whose blobs start with
-- p_head (version and key id): plain, or under a key rotated out. Only their
-- ids cross the tenant boundary; the runner then visits each as its tenant.
CREATE FUNCTION gatehouse.totp_unsealed_orgs(p_head bytea) RETURNS SETOF bigint
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$ SELECT DISTINCT org_id FROM gatehouse.totp_credentials
	      WHERE secret IS NOT NULL OR substring(sealed FROM 1 FOR length(p_head)) <> p_head $$;
REVOKE ALL ON FUNCTION gatehouse.totp_unsealed_orgs(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gatehouse.totp_unsealed_orgs(bytea) TO gatehouse_service;
