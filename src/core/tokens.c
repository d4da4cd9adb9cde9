/* tokens.c: single-use tokens, written inside the caller's transaction; only their digests are kept. */
#include <stdio.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/db.h"
#include "gatehouse/secret.h"
#include "gatehouse/tokens.h"

DB_STMT(st_token_retire, 2,
    "UPDATE gatehouse.tokens SET used_at = now() WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1 AND purpose = $2 AND used_at IS NULL");
DB_STMT(st_token_insert, 4,
    "INSERT INTO gatehouse.tokens (org_id, user_id, purpose, digest, expires_at)"
    " VALUES (gatehouse.current_org(), $1, $2, decode($3, 'hex'),"
    "  now() + make_interval(secs => $4::int)) RETURNING id");

static const char *const purposes[] = { "registration", "password_reset", "email_change" };

int
tokens_issue(struct core_ctx *c, int64_t user_id, enum token_purpose purpose, int ttl,
    char out[SECRET_TOKEN_MAX])
{
	char		 secret[SECRET_LEN + 1], hex[SECRET_HEX_LEN + 1];
	char		 uid[24], sttl[16];
	unsigned char	 digest[SECRET_DIGEST_LEN];
	const char	*p[4] = { uid, purposes[purpose], hex, sttl };
	PGresult	*r;
	int		 rc = -1;

	core_id_text(user_id, uid);
	snprintf(sttl, sizeof(sttl), "%d", ttl);
	if (secret_new(secret, sizeof(secret), digest) != 0)
		return -1;
	secret_hex(digest, hex);
	/* The retirement travels with the insert: one round trip. */
	if (db_defer(&st_token_retire, p) != DB_OK || (r = db_exec(&st_token_insert, p)) == NULL)
		goto out;
	if (PQntuples(r) == 1)
		rc = secret_format(out, SECRET_TOKEN_MAX, "gt", c->org_id, db_int(r, 0, 0), secret);
	PQclear(r);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}
