/* tokens.c: single-use tokens, written inside the caller's transaction; only their digests are kept. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/secret.h"
#include "gatehouse/tokens.h"

DB_STMT(st_token_retire, 2,
    "UPDATE gatehouse.tokens SET used_at = now() WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1 AND purpose = $2 AND used_at IS NULL");
/* ttl 0: the org's lifetime for the purpose (sql/005_mail.sql). */
DB_STMT(st_token_insert, 4,
    "INSERT INTO gatehouse.tokens (org_id, user_id, purpose, digest, expires_at)"
    " SELECT o.id, $1, $2, decode($3, 'hex'), now() + CASE"
    "  WHEN $4::int > 0 THEN make_interval(secs => $4::int)"
    "  WHEN $2 = 'registration' THEN make_interval(hours => o.registration_token_hours)"
    "  WHEN $2 = 'password_reset' THEN make_interval(hours => o.reset_token_hours)"
    "  ELSE interval '24 hours' END"
    " FROM gatehouse.orgs o WHERE o.id = gatehouse.current_org()"
    " RETURNING id, gatehouse.iso(expires_at)");

static const char *const purposes[] = { "registration", "password_reset", "email_change" };

int
tokens_issue(struct core_ctx *c, int64_t user_id, enum token_purpose purpose, int ttl,
    char out[SECRET_TOKEN_MAX], char *expires_at)
{
	char		 secret[SECRET_LEN + 1], hex[SECRET_HEX_LEN + 1];
	char		 uid[24], sttl[16];
	unsigned char	 digest[SECRET_DIGEST_LEN];
	const char	*p[4] = { uid, purposes[purpose], hex, sttl };
	PGresult	*r;
	int		 rc = -1;

	core_id_text(user_id, uid);
	snprintf(sttl, sizeof(sttl), "%d", ttl > 0 ? ttl : 0);
	if (secret_new(secret, sizeof(secret), digest) != 0)
		return -1;
	secret_hex(digest, hex);
	/* The retirement travels with the insert: one round trip. */
	if (db_defer(&st_token_retire, p) != DB_OK || (r = db_exec(&st_token_insert, p)) == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		rc = secret_format(out, SECRET_TOKEN_MAX, "gt", c->org_id, db_int(r, 0, 0), secret);
		if (expires_at != NULL)
			snprintf(expires_at, TOKEN_TIME_LEN, "%s", db_value(r, 0, 1) ? db_value(r, 0, 1) : "");
	}
	PQclear(r);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

enum token_state
tokens_state(bool found, bool used, bool expired, const char *user_status)
{
	if (!found)
		return TOKEN_UNKNOWN;
	if (used)
		return TOKEN_USED;
	if (expired)
		return TOKEN_EXPIRED;
	if (user_status == NULL || (strcmp(user_status, "pending") != 0 &&
	    strcmp(user_status, "active") != 0))
		return TOKEN_INACTIVE;
	return TOKEN_VALID;
}

#define TOKEN_BY_ID "SELECT encode(t.digest, 'hex'), t.purpose, t.used_at IS NOT NULL," \
	" t.expires_at <= now(), u.id, u.uid, u.username, u.email, u.first_name, u.status," \
	" o.name, o.password_min, u.auth_method = 'local' FROM gatehouse.tokens t" \
	" JOIN gatehouse.users u ON u.org_id = t.org_id AND u.id = t.user_id" \
	" JOIN gatehouse.orgs o ON o.id = t.org_id" \
	" WHERE t.org_id = gatehouse.current_org() AND t.id = $1::bigint"
DB_STMT(st_token_get, 1, TOKEN_BY_ID);
DB_STMT(st_token_get_lock, 1, TOKEN_BY_ID " FOR UPDATE OF t, u");

static const char *const state_msgs[TOKEN__MAX] = {
	[TOKEN_UNKNOWN] = "this link is not valid",
	[TOKEN_USED] = "this link has already been used",
	[TOKEN_EXPIRED] = "this link has expired",
	[TOKEN_INACTIVE] = "the account of this link is not active",
};

/* Ends the lookup with the token's state as the failure; the transaction (if any) is over. */
static enum core_status
refuse(struct token_info *out, enum token_state st, struct core_err *e)
{
	db_rollback();
	out->state = st;
	return core_fail(e, st == TOKEN_UNKNOWN ? CORE_NOT_FOUND : CORE_CONFLICT, "token", "%s",
	    state_msgs[st]);
}

enum core_status
tokens_open(struct core_ctx *c, const char *token, enum token_purpose purpose, bool lock,
    struct token_info *out, struct core_err *e)
{
	int64_t		 org, id;
	const char	*secret;
	char		 sid[CORE_ID_LEN], want[SECRET_HEX_LEN + 1];
	const char	*p[1] = { sid }, *got;
	unsigned char	 digest[SECRET_DIGEST_LEN];
	enum core_status st;
	PGresult	*r;
	bool		 match;

	memset(out, 0, sizeof(*out));
	if (secret_parse(token, "gt", &org, &id, &secret) != 0)
		return refuse(out, TOKEN_UNKNOWN, e);
	c->org_id = org;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	core_id_text(id, sid);
	if ((r = db_exec(lock ? &st_token_get_lock : &st_token_get, p)) == NULL)
		return core_abort(core_db_fail(e, "token"));
	if (PQntuples(r) != 1 || (got = db_value(r, 0, 0)) == NULL || strlen(got) != SECRET_HEX_LEN) {
		PQclear(r);
		return refuse(out, TOKEN_UNKNOWN, e);
	}
	secret_digest(secret, digest);
	secret_hex(digest, want);
	match = CRYPTO_memcmp(want, got, SECRET_HEX_LEN) == 0 &&
	    strcmp(db_value(r, 0, 1), purposes[purpose]) == 0;
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(want, sizeof(want));
	out->state = tokens_state(match, db_bool(r, 0, 2), db_bool(r, 0, 3), db_value(r, 0, 9));
	if (out->state != TOKEN_VALID) {
		PQclear(r);
		return refuse(out, out->state, e);
	}
	out->id = id;
	out->user_id = db_int(r, 0, 4);
	out->user_uid = db_text(c->arena, r, 0, 5);
	out->username = db_text(c->arena, r, 0, 6);
	out->email = db_text(c->arena, r, 0, 7);
	out->first_name = db_text(c->arena, r, 0, 8);
	out->pending = strcmp(db_value(r, 0, 9), "pending") == 0;
	out->org_name = db_text(c->arena, r, 0, 10);
	out->password_min = (int)db_int(r, 0, 11);
	out->password = db_bool(r, 0, 12);
	PQclear(r);
	if (out->user_uid == NULL || out->username == NULL || out->email == NULL ||
	    out->org_name == NULL)
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
	return CORE_OK;
}

enum core_status
tokens_check(struct core_ctx *c, const char *token, enum token_purpose purpose,
    struct token_info *out, struct core_err *e)
{
	enum core_status st;

	if ((st = tokens_open(c, token, purpose, false, out, e)) != CORE_OK)
		return st;
	return core_commit(e);
}

DB_STMT(st_token_use, 2,
    "UPDATE gatehouse.tokens SET used_at = now() WHERE org_id = gatehouse.current_org()"
    " AND used_at IS NULL AND (id = $1::bigint"
    "  OR (user_id = $2::bigint AND purpose IN ('registration', 'password_reset')))");

enum core_status
tokens_consume(const struct token_info *t, struct core_err *e)
{
	char		 sid[CORE_ID_LEN], uid[CORE_ID_LEN];
	const char	*p[2] = { sid, uid };
	PGresult	*r;

	core_id_text(t->id, sid);
	core_id_text(t->user_id, uid);
	if ((r = db_exec(&st_token_use, p)) == NULL)
		return core_db_fail(e, "token");
	PQclear(r);
	return CORE_OK;
}
