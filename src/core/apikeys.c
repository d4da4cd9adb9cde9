/* apikeys.c: issuing API keys; the secret is returned once and only its digest is stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/audit.h"
#include "gatehouse/core.h"
#include "gatehouse/db.h"

DB_STMT(st_key_insert, 4,
    "INSERT INTO gatehouse.api_keys (org_id, user_id, name, digest)"
    " VALUES ($1, $2, $3, decode($4, 'hex')) RETURNING id");

enum core_status
apikey_create(struct core_ctx *c, int64_t user_id, const char *name,
    char key_out[APIKEY_MAX], struct core_err *e)
{
	char		 secret[APIKEY_SECRET_LEN + 1], hex[2 * APIKEY_DIGEST_LEN + 1];
	char		 org[24], uid[24], target[48];
	unsigned char	 digest[APIKEY_DIGEST_LEN];
	const char	*p[4] = { org, uid, name ? name : "", hex };
	PGresult	*r;
	int64_t		 id;
	enum core_status st = CORE_OK;

	if (name != NULL && strlen(name) > 100)
		return core_fail(e, CORE_INVALID, "name", "key name must be at most 100 characters");
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
