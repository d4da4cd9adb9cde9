/* apikeys.c: issuing API keys; the secret is returned once and only its digest is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/audit.h"
#include "gatehouse/core.h"
#include "gatehouse/db.h"

DB_STMT(st_key_insert, 5,
    "INSERT INTO gatehouse.api_keys (org_id, user_id, name, digest, expires_at)"
    " VALUES ($1, $2, $3, decode($4, 'hex'),"
    "  CASE WHEN $5::bigint > 0 THEN now() + make_interval(secs => $5::bigint) END)"
    " RETURNING id");
DB_STMT(st_key_revoke, 1,
    "UPDATE gatehouse.api_keys SET revoked_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1 AND revoked_at IS NULL");

enum core_status
apikey_create(struct core_ctx *c, int64_t user_id, const char *name, int64_t expires_in,
    char key_out[APIKEY_MAX], struct core_err *e)
{
	char		 secret[APIKEY_SECRET_LEN + 1], hex[2 * APIKEY_DIGEST_LEN + 1];
	char		 org[24], uid[24], exp[24], target[48];
	unsigned char	 digest[APIKEY_DIGEST_LEN];
	const char	*p[5] = { org, uid, name ? name : "", hex, exp };
	PGresult	*r;
	int64_t		 id;
	enum core_status st = CORE_OK;

	if (name != NULL && strlen(name) > 100)
		return core_fail(e, CORE_INVALID, "name", "key name must be at most 100 characters");
	if (expires_in < 0 || expires_in > 10LL * 366 * 86400)
		return core_fail(e, CORE_INVALID, "expires_in", "expiry must be 0 (never) to 10 years");
	snprintf(exp, sizeof(exp), "%lld", (long long)expires_in);
	if (apikey_new_secret(secret, digest) != 0)
		return core_fail(e, CORE_INTERNAL, NULL, "random number generator failed");
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	snprintf(org, sizeof(org), "%lld", (long long)c->org_id);
	snprintf(uid, sizeof(uid), "%lld", (long long)user_id);

	if (db_begin(c->org_id) != DB_OK) {
		st = core_db_fail(e, "api key");
		goto out;
	}
	if ((r = db_exec(&st_key_insert, p)) == NULL) {
		st = core_db_fail(e, "api key");
		db_rollback();
		goto out;
	}
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	snprintf(target, sizeof(target), "gh_%lldk%lld", (long long)c->org_id, (long long)id);
	if (audit_write(c, "apikey.create", "api_key", target, "{}") != 0) {
		st = core_db_fail(e, "audit event");
		db_rollback();
		goto out;
	}
	if (db_commit() != DB_OK) {
		st = core_db_fail(e, "api key");
		goto out;
	}
	if (apikey_format(key_out, APIKEY_MAX, c->org_id, id, secret) != 0)
		st = core_fail(e, CORE_INTERNAL, NULL, "key too long");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(digest, sizeof(digest));
	return st;
}

enum core_status
apikey_revoke(struct core_ctx *c, const char *ref, struct core_err *e)
{
	char		 full[APIKEY_MAX], sid[24];
	const char	*p[1] = { sid }, *secret;
	int64_t		 org, id;
	PGresult	*r;
	bool		 hit;

	/* Reuse the key parser on the reference padded with a dummy secret. */
	if (ref == NULL || strlen(ref) > 48 ||
	    snprintf(full, sizeof(full), "%s_%0*d", ref, APIKEY_SECRET_LEN, 0) >= (int)sizeof(full) ||
	    apikey_parse(full, &org, &id, &secret) != 0 || org != c->org_id)
		return core_fail(e, CORE_NOT_FOUND, "key", "no such API key");
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	if (db_begin(c->org_id) != DB_OK)
		return core_db_fail(e, "api key");
	if ((r = db_exec(&st_key_revoke, p)) == NULL) {
		enum core_status st = core_db_fail(e, "api key");
		db_rollback();
		return st;
	}
	hit = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!hit) {
		db_rollback();
		return core_fail(e, CORE_NOT_FOUND, "key", "no such API key, or already revoked");
	}
	if (audit_write(c, "apikey.revoke", "api_key", ref, "{}") != 0) {
		enum core_status st = core_db_fail(e, "audit event");
		db_rollback();
		return st;
	}
	if (db_commit() != DB_OK)
		return core_db_fail(e, "api key");
	return CORE_OK;
}
