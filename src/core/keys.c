/* keys.c: API keys as a resource — issue, list, revoke; the secret is shown once, its digest kept. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/db.h"
#include "gatehouse/keys.h"
#include "gatehouse/secret.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "rows.h"

#define KEY_COLS \
	"'gh_' || k.org_id || 'k' || k.id, k.name, u.uid, u.email," \
	" coalesce(k.access_level, u.access_level), gatehouse.iso(k.expires_at)," \
	" gatehouse.iso(k.last_used_at), gatehouse.iso(k.revoked_at), gatehouse.iso(k.created_at)," \
	" k.user_id"
#define KEY_NCOLS 10
#define KEY_FROM \
	" FROM gatehouse.api_keys k LEFT JOIN gatehouse.users u" \
	" ON u.org_id = k.org_id AND u.id = k.user_id WHERE k.org_id = gatehouse.current_org()"

DB_STMT(st_key_insert, 4,
    "INSERT INTO gatehouse.api_keys (org_id, user_id, name, digest, expires_at)"
    " VALUES (gatehouse.current_org(), $1, $2, decode($3, 'hex'),"
    "  CASE WHEN $4::bigint > 0 THEN now() + make_interval(secs => $4::bigint) END)"
    " RETURNING id");
DB_STMT(st_key_get, 1, "SELECT " KEY_COLS KEY_FROM " AND k.id = $1::bigint");
DB_STMT(st_key_get_lock, 1, "SELECT " KEY_COLS KEY_FROM " AND k.id = $1::bigint FOR UPDATE OF k");
DB_STMT(st_key_owner_level, 1,
    "SELECT access_level, status FROM gatehouse.users"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint AND status <> 'removed'");
DB_STMT(st_key_revoke, 1,
    "UPDATE gatehouse.api_keys SET revoked_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint AND revoked_at IS NULL");
DB_STMT(st_keys_mine, 1, "SELECT " KEY_COLS KEY_FROM " AND k.user_id = $1::bigint ORDER BY k.id");
DB_STMT(st_keys_all, 0, "SELECT " KEY_COLS KEY_FROM " ORDER BY k.id");

/* The owner's id (the last column) serves revocation, not the record. */
static const struct rows_col key_cols[KEY_NCOLS] = {
	ROWS_TEXT(struct api_key, ref), ROWS_TEXT(struct api_key, name),
	ROWS_TEXT(struct api_key, user_uid), ROWS_TEXT(struct api_key, user_email),
	ROWS_TEXT(struct api_key, access_level), ROWS_TEXT(struct api_key, expires_at),
	ROWS_TEXT(struct api_key, last_used_at), ROWS_TEXT(struct api_key, revoked_at),
	ROWS_TEXT(struct api_key, created_at), ROWS_SKIP,
};
static const struct rows_kind key_rows = { "api key", KEY_NCOLS, sizeof(struct api_key), key_cols,
	NULL };

/* Keys of another user need admin, and never over a user of a higher level. */
static enum core_status
may_manage_keys_of(struct core_ctx *c, int64_t user_id, struct core_err *e)
{
	char		 sid[24];
	const char	*p[1] = { sid };
	PGresult	*r;
	enum level	 l;

	if (c->actor == NULL || c->actor->user_id == user_id)
		return CORE_OK;
	if (core_actor_level(c) < LEVEL_ADMIN)
		return core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may manage another user's keys");
	core_id_text(user_id, sid);
	if ((r = db_exec(&st_key_owner_level, p)) == NULL)
		return core_db_fail(e, "user");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, "user", "no such user");
	}
	if (level_parse(db_value(r, 0, 0), &l) != 0)
		l = LEVEL_SUPER;
	PQclear(r);
	if (l > core_actor_level(c))
		return core_fail(e, CORE_FORBIDDEN, NULL, "%s cannot manage the keys of %s",
		    level_a(core_actor_level(c)), level_a(l));
	return CORE_OK;
}

enum core_status
keys_create(struct core_ctx *c, const struct user_ref *who, const char *name, int64_t expires_in,
    char key_out[APIKEY_MAX], struct api_key *out, struct core_err *e)
{
	char		 secret[SECRET_LEN + 1], hex[SECRET_HEX_LEN + 1];
	char		 uid[24], exp[24], sid[24];
	unsigned char	 digest[SECRET_DIGEST_LEN];
	const char	*p[4] = { uid, name ? name : "", hex, exp };
	const char	*q[1] = { sid };
	PGresult	*r;
	int64_t		 id, user_id = c->actor ? c->actor->user_id : 0;
	struct user	 u;
	enum core_status st;

	/* Decided before any lookup, so a user learns nothing of who exists. */
	if (who != NULL && c->actor != NULL && core_actor_level(c) < LEVEL_ADMIN &&
	    !(who->kind == UKEY_UID && c->actor->user_uid != NULL &&
	    strcmp(who->value, c->actor->user_uid) == 0))
		return core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may manage another user's keys");
	if (who == NULL && user_id == 0)
		return core_fail(e, CORE_INVALID, "user", "a key needs a user");
	/* Shown beside the people's names in lists and the audit log: the same rule as theirs. */
	if (name != NULL && !valid_name(name, 100))
		return core_fail(e, CORE_INVALID, "name",
		    "name must be at most 100 bytes of text on one line, without bidi controls");
	if (expires_in < 0 || expires_in > 10LL * 366 * 86400)
		return core_fail(e, CORE_INVALID, "expires_in",
		    "expires_in must be 0 (never) to 10 years in seconds");
	snprintf(exp, sizeof(exp), "%lld", (long long)expires_in);
	core_id_text(user_id, uid);
	if (secret_new(secret, sizeof(secret), digest) != 0)
		return core_fail(e, CORE_INTERNAL, NULL, "random number generator failed");
	secret_hex(digest, hex);

	if ((st = core_begin(c, e)) != CORE_OK)
		goto out;
	if (who != NULL) {
		if ((st = users_load(c, who, false, &u, e)) != CORE_OK) {
			if (st == CORE_NOT_FOUND)
				core_fail(e, st, "user", "no such user");
			st = core_abort(st);
			goto out;
		}
		user_id = u.id;
		core_id_text(user_id, uid);
	}
	if ((st = may_manage_keys_of(c, user_id, e)) != CORE_OK) {
		st = core_abort(st);
		goto out;
	}
	if ((r = db_exec(&st_key_insert, p)) == NULL) {
		st = core_abort(core_db_fail(e, "api key"));
		goto out;
	}
	id = db_int(r, 0, 0);
	PQclear(r);
	core_id_text(id, sid);
	if ((st = rows_one(c, &st_key_get, q, &key_rows, out, NULL, "no such API key", e))
	    != CORE_OK) {
		st = core_abort(st);
		goto out;
	}
	if (audit_write(c, "apikey.create", "api_key", out->ref, "{}") != 0) {
		st = core_abort(core_db_fail(e, "audit event"));
		goto out;
	}
	if ((st = core_commit(e)) != CORE_OK)
		goto out;
	if (apikey_format(key_out, APIKEY_MAX, c->org_id, id, secret) != 0)
		st = core_fail(e, CORE_INTERNAL, NULL, "key too long");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(hex, sizeof(hex));
	return st;
}

enum core_status
keys_revoke(struct core_ctx *c, const char *ref, struct core_err *e)
{
	char		 sid[24];
	const char	*p[1] = { sid };
	int64_t		 org, id, owner = 0;
	PGresult	*r;
	enum core_status st;

	if (apikey_ref_parse(ref, &org, &id) != 0 || org != c->org_id)
		return core_fail(e, CORE_NOT_FOUND, "key", "no such API key");
	core_id_text(id, sid);
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_key_get_lock, p)) == NULL)
		return core_abort(core_db_fail(e, "api key"));
	if (PQntuples(r) != 1 || db_value(r, 0, 7) != NULL) {
		PQclear(r);
		return core_abort(core_fail(e, CORE_NOT_FOUND, "key", "no such API key, or already revoked"));
	}
	owner = db_int(r, 0, 9);
	PQclear(r);
	if (owner != 0 && (st = may_manage_keys_of(c, owner, e)) != CORE_OK)
		return core_abort(st);
	if (owner == 0 && core_actor_level(c) < LEVEL_ADMIN)
		return core_abort(core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may revoke service keys"));
	if ((r = db_exec(&st_key_revoke, p)) == NULL)
		return core_abort(core_db_fail(e, "api key"));
	PQclear(r);
	if (audit_write(c, "apikey.revoke", "api_key", ref, "{}") != 0)
		return core_abort(core_db_fail(e, "audit event"));
	return core_commit(e);
}

enum core_status
keys_list(struct core_ctx *c, bool all, struct api_key **out, size_t *n, struct core_err *e)
{
	char uid[CORE_ID_LEN];

	if (all && core_actor_level(c) < LEVEL_ADMIN)
		return core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may list every key");
	core_id_text((c->actor ? c->actor->user_id : 0), uid);
	return rows_read(c, all ? &st_keys_all : &st_keys_mine, all ? NULL : uid, &key_rows,
	    "api keys", (void **)out, n, e);
}
