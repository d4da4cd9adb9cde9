/*
 * totp_secret.c: TOTP secrets at rest. Each is sealed (seal.h) under the
 * server's key file, bound to its org and user, so the database alone —
 * a backup, a replica, a query run elsewhere — cannot mint codes, and a
 * sealed secret copied onto another user's row does not open. Rows from
 * before sealing (plain `secret`, sql/012) and rows sealed under a key since
 * rotated out are sealed again under the current key when a sign-in reads
 * them, and by the job runner at each start of the server (totp_secrets_seal).
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/base64.h"
#include "gatehouse/db.h"
#include "gatehouse/log.h"
#include "gatehouse/seal.h"
#include "gatehouse/signin.h"
#include "gatehouse/totp.h"
#include "signin_internal.h"

#define BLOB_MAX	(TOTP_SECRET_BYTES + SEAL_REST_OVERHEAD)

DB_STMT(st_ts_store, 2,
    "UPDATE gatehouse.totp_credentials SET sealed = decode($2, 'hex'), secret = NULL"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
/* Across orgs only their ids: each is then visited as its own tenant. */
DB_STMT(st_ts_orgs, 1, "SELECT gatehouse.totp_unsealed_orgs(decode($1, 'hex'))");
DB_STMT(st_ts_rows, 1,
    "SELECT user_id, encode(secret, 'hex'), encode(sealed, 'hex')"
    " FROM gatehouse.totp_credentials WHERE org_id = gatehouse.current_org()"
    " AND (secret IS NOT NULL OR substring(sealed FROM 1 FOR length(decode($1, 'hex')))"
    " <> decode($1, 'hex')) FOR UPDATE");

/* What a user's sealed secret is bound to. */
static void
bind_text(int64_t org_id, int64_t user_id, char aad[64])
{
	snprintf(aad, 64, "gatehouse totp %lld/%lld", (long long)org_id, (long long)user_id);
}

int
totp_secret_seal(int64_t org_id, int64_t user_id, const unsigned char *key, size_t n,
    char hex[TOTP_SEALED_HEX])
{
	unsigned char	blob[BLOB_MAX];
	char		aad[64];

	bind_text(org_id, user_id, aad);
	if (n > TOTP_SECRET_BYTES || seal_rest(key, n, aad, blob) != 0)
		return -1;
	base16_encode(blob, n + SEAL_REST_OVERHEAD, hex);
	return 0;
}

size_t
totp_secret_open(int64_t org_id, int64_t user_id, const char *plain, const char *sealed,
    unsigned char key[TOTP_SECRET_BYTES], bool *stale)
{
	unsigned char	blob[BLOB_MAX];
	char		aad[64];
	long		n;

	*stale = true;
	/* From before sealing: good still, and to be sealed. */
	if (plain != NULL)
		return (n = base16_decode(plain, key, TOTP_SECRET_BYTES)) > 0 ? (size_t)n : 0;
	bind_text(org_id, user_id, aad);
	if (sealed == NULL || (n = base16_decode(sealed, blob, sizeof(blob))) < 0 ||
	    (n = seal_rest_open(blob, (size_t)n, aad, key, TOTP_SECRET_BYTES, stale)) <= 0) {
		/* Refused like a wrong code; the log says why without the secret. */
		log_warn("the TOTP secret of user %lld of org %lld does not open: sealed under a "
		    "key not loaded, damaged, or moved from another user", (long long)user_id,
		    (long long)org_id);
		*stale = false;
		return 0;
	}
	return (size_t)n;
}

enum core_status
totp_secret_store(struct core_ctx *c, int64_t user_id, const unsigned char *key, size_t n,
    struct core_err *e)
{
	char		 sid[CORE_ID_LEN], hex[TOTP_SEALED_HEX];
	PGresult	*r;

	core_id_text(user_id, sid);
	if (totp_secret_seal(c->org_id, user_id, key, n, hex) != 0)
		return core_fail(e, CORE_INTERNAL, NULL, "the TOTP secret could not be sealed");
	if ((r = db_exec(&st_ts_store, (const char *const[]){ sid, hex })) == NULL)
		return core_db_fail(e, "two-factor authentication");
	PQclear(r);
	return CORE_OK;
}

/* Seals again every secret of the ctx's org not sealed under the current key. */
static enum core_status
seal_org(struct core_ctx *c, const char *head, long *sealed, long *closed, struct core_err *e)
{
	unsigned char	 key[TOTP_SECRET_BYTES];
	PGresult	*r;
	enum core_status st;
	size_t		 n;
	bool		 stale;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_ts_rows, (const char *const[]){ head })) == NULL)
		return core_abort(core_db_fail(e, "TOTP secrets"));
	for (int i = 0; i < PQntuples(r) && st == CORE_OK; i++) {
		int64_t user_id = db_int(r, i, 0);

		n = totp_secret_open(c->org_id, user_id, db_value(r, i, 1), db_value(r, i, 2), key,
		    &stale);
		if (n == 0)
			(*closed)++;
		else if ((st = totp_secret_store(c, user_id, key, n, e)) == CORE_OK)
			(*sealed)++;
		OPENSSL_cleanse(key, sizeof(key));
	}
	PQclear(r);
	return core_end(st, e);
}

enum core_status
totp_secrets_seal(struct core_ctx *c, struct core_err *e)
{
	unsigned char	 head[SEAL_HEAD_LEN];
	char		 hex[2 * SEAL_HEAD_LEN + 1];
	PGresult	*r;
	long		 sealed = 0, closed = 0;
	enum core_status st = CORE_OK;

	if (!seal_keys_ready())
		return core_fail(e, CORE_INTERNAL, NULL, "no key for TOTP secrets");
	seal_head(head);
	base16_encode(head, sizeof(head), hex);
	if ((r = db_exec(&st_ts_orgs, (const char *const[]){ hex })) == NULL)
		return core_db_fail(e, "TOTP secrets");
	/* An org at a time, each in a transaction of its own: a failure keeps what others did. */
	for (int i = 0; i < PQntuples(r) && st == CORE_OK; i++) {
		c->org_id = db_int(r, i, 0);
		st = seal_org(c, hex, &sealed, &closed, e);
	}
	PQclear(r);
	c->org_id = 0;
	if (sealed > 0)
		log_info("sealed %ld TOTP secret(s) under key %s", sealed, hex + 2);
	if (closed > 0)
		log_warn("%ld TOTP secret(s) open under no loaded key; their users sign in with a "
		    "recovery code, or have TOTP reset", closed);
	return st;
}
