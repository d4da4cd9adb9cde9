/*
 * signin_totp.c: the second factor of sign-in (signin.h) — a TOTP code or a
 * recovery code after the password, and TOTP enrolment with its recovery
 * codes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/signin.h"
#include "gatehouse/totp.h"
#include "rows.h"
#include "signin_internal.h"

#define RECOVERY_CHARS	10	/* of base32: 50 random bits */

DB_STMT(st_tf_user, 1,
    "SELECT u.id, u.uid, u.username, u.email, u.access_level,"
    " coalesce(u.locked_until > now(), false)"
    " FROM gatehouse.users u WHERE u.org_id = gatehouse.current_org() AND u.id = $1::bigint"
    " AND u.status = 'active' FOR UPDATE");
DB_STMT(st_tf_secret, 1,
    "SELECT encode(secret, 'hex'), encode(sealed, 'hex'), confirmed_at IS NOT NULL, last_step"
    " FROM gatehouse.totp_credentials"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint FOR UPDATE");
/* A waiting secret stays until confirmed, so a page shown twice shows the same one. */
DB_STMT(st_tf_begin, 2,
    "INSERT INTO gatehouse.totp_credentials (org_id, user_id, sealed)"
    " VALUES (gatehouse.current_org(), $1::bigint, decode($2, 'hex'))"
    " ON CONFLICT (org_id, user_id) DO NOTHING");
DB_STMT(st_tf_step, 2,
    "UPDATE gatehouse.totp_credentials SET last_step = $2::bigint,"
    " confirmed_at = coalesce(confirmed_at, now())"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_tf_recovery_clear, 1,
    "DELETE FROM gatehouse.totp_recovery_codes"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_tf_recovery_add, 2,
    "INSERT INTO gatehouse.totp_recovery_codes (org_id, user_id, digest)"
    " SELECT gatehouse.current_org(), $1::bigint, decode(d, 'hex') FROM unnest($2::text[]) d");
DB_STMT(st_tf_recovery_use, 2,
    "UPDATE gatehouse.totp_recovery_codes SET used_at = now()"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint"
    " AND digest = decode($2, 'hex') AND used_at IS NULL RETURNING 1");

static enum core_status
exec1(struct db_stmt *stmt, int64_t id, const char *arg, PGresult **out, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[2] = { sid, arg };
	PGresult	*r = NULL;

	core_id_text(id, sid);
	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, "two-factor authentication");
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return CORE_OK;
}

enum core_status
signin_load_user(struct core_ctx *c, const struct session *s, struct signin_user *u, struct core_err *e)
{
	PGresult	*r = NULL;
	enum core_status st;

	memset(u, 0, sizeof(*u));
	if ((st = exec1(&st_tf_user, s->actor.user_id, NULL, &r, e)) != CORE_OK)
		return st;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return core_fail(e, CORE_UNAUTHORIZED, NULL, "not signed in");
	}
	u->id = db_int(r, 0, 0);
	u->uid = db_text(c->arena, r, 0, 1);
	u->username = db_text(c->arena, r, 0, 2);
	u->email = db_text(c->arena, r, 0, 3);
	u->level = s->actor.level;
	u->locked = db_bool(r, 0, 5);
	u->active = u->local = true;
	PQclear(r);
	return CORE_OK;
}

/*
 * The user's secret (key, TOTP_SECRET_BYTES at most) and its state; *n 0 when
 * none, or when it does not open (then it counts as no secret: a sign-in
 * meets "wrong code", never an error). One not sealed under the current key
 * is sealed again, in this transaction.
 */
static enum core_status
load_secret(struct core_ctx *c, int64_t user_id, unsigned char *key, size_t *n, bool *confirmed,
    int64_t *last, struct core_err *e)
{
	PGresult	*r = NULL;
	bool		 stale = false;
	enum core_status st;

	*n = 0;
	if ((st = exec1(&st_tf_secret, user_id, NULL, &r, e)) != CORE_OK)
		return st;
	if (PQntuples(r) == 1) {
		*n = totp_secret_open(c->org_id, user_id, db_value(r, 0, 0), db_value(r, 0, 1), key,
		    &stale);
		*confirmed = db_bool(r, 0, 2);
		*last = db_int(r, 0, 3);
	}
	PQclear(r);
	if (*n > 0 && stale && (st = totp_secret_store(c, user_id, key, *n, e)) != CORE_OK) {
		OPENSSL_cleanse(key, TOTP_SECRET_BYTES);
		*n = 0;
	}
	return st;
}

/* A recovery code as typed ("ABCDE-fghij", spaces and dashes anywhere) in its stored form, or -1. */
static int
recovery_normal(const char *in, char out[RECOVERY_CHARS + 1])
{
	size_t n = 0;

	for (; in && *in; in++) {
		if (*in == '-' || *in == ' ')
			continue;
		if (n == RECOVERY_CHARS || !(isalpha((unsigned char)*in) || (*in >= '2' && *in <= '7')))
			return -1;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return n == RECOVERY_CHARS ? 0 : -1;
}

/* Whether code is one of the user's unused recovery codes, which it then uses up. */
static enum core_status
use_recovery(int64_t user_id, const char *code, bool *ok, struct core_err *e)
{
	char		 norm[RECOVERY_CHARS + 1], hex[SECRET_HEX_LEN + 1];
	unsigned char	 digest[SECRET_DIGEST_LEN];
	PGresult	*r = NULL;
	enum core_status st;

	*ok = false;
	if (recovery_normal(code, norm) != 0)
		return CORE_OK;
	secret_digest(norm, digest);
	secret_hex(digest, hex);
	OPENSSL_cleanse(norm, sizeof(norm));
	if ((st = exec1(&st_tf_recovery_use, user_id, hex, &r, e)) != CORE_OK)
		return st;
	*ok = PQntuples(r) == 1;
	PQclear(r);
	return CORE_OK;
}

enum core_status
signin_totp(struct core_ctx *c, const struct session *s, const char *code,
    struct signin_result *out, struct core_err *e)
{
	struct signin_user	 u;
	unsigned char		 key[TOTP_SECRET_BYTES];
	size_t			 n = 0;
	bool			 confirmed = false, ok = false;
	int64_t			 last = 0, step = -1;
	char			 stepbuf[24];
	const char		*method = "totp";
	enum core_status	 st;

	memset(out, 0, sizeof(*out));
	if (s->stage != SIGNIN_TOTP)
		return core_fail(e, CORE_CONFLICT, NULL, "no code is due");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	/* Codes are guessed like passwords: the same throttle of the address. */
	if ((st = signin_address_check(c, &out->retry_after, e)) != CORE_OK)
		return core_abort(st);
	if ((st = signin_load_user(c, s, &u, e)) != CORE_OK ||
	    (st = load_secret(c, u.id, key, &n, &confirmed, &last, e)) != CORE_OK)
		return core_abort(st);
	if (!u.locked && n > 0 && confirmed &&
	    (step = totp_match(key, n, code, totp_step((int64_t)time(NULL)), last)) >= 0) {
		snprintf(stepbuf, sizeof(stepbuf), "%lld", (long long)step);
		st = exec1(&st_tf_step, u.id, stepbuf, NULL, e);
		ok = true;
	} else if (!u.locked && (st = use_recovery(u.id, code, &ok, e)) == CORE_OK && ok)
		method = "recovery";
	OPENSSL_cleanse(key, sizeof(key));
	if (st != CORE_OK)
		return core_abort(st);
	if (!ok) {
		if ((st = signin_factor_failed(c, &u, "totp", "wrong code", e)) != CORE_OK)
			return st;
		return core_fail(e, CORE_UNAUTHORIZED, "code", "wrong code");
	}
	if ((st = signin_session_replace(c, s, out, e)) != CORE_OK ||
	    (st = signin_done(c, &u, method, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
signin_totp_begin(struct core_ctx *c, const struct session *s, char *secret, struct core_err *e)
{
	unsigned char	 fresh[TOTP_SECRET_BYTES], key[TOTP_SECRET_BYTES];
	char		 hex[TOTP_SEALED_HEX];
	size_t		 n = 0;
	bool		 confirmed = false;
	int64_t		 last;
	enum core_status st;

	secret[0] = '\0';
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return core_fail(e, CORE_INTERNAL, NULL, "no randomness for a secret");
	/* Only ever stored sealed; shown once in the clear, to the user enrolling. */
	if (totp_secret_seal(c->org_id, s->actor.user_id, fresh, sizeof(fresh), hex) != 0) {
		st = core_fail(e, CORE_INTERNAL, NULL, "the TOTP secret could not be sealed");
		goto out;
	}
	if ((st = core_begin(c, e)) != CORE_OK)
		goto out;
	if ((st = exec1(&st_tf_begin, s->actor.user_id, hex, NULL, e)) != CORE_OK ||
	    (st = load_secret(c, s->actor.user_id, key, &n, &confirmed, &last, e)) != CORE_OK) {
		core_abort(st);
		goto out;
	}
	/* A waiting secret that no longer opens (its key is gone) is of no use: a new one replaces it. */
	if (!confirmed && n == 0) {
		memcpy(key, fresh, sizeof(key));
		n = sizeof(key);
		if ((st = totp_secret_store(c, s->actor.user_id, key, n, e)) != CORE_OK) {
			core_abort(st);
			goto out;
		}
	}
	if (confirmed) {
		core_abort(CORE_OK);
		st = core_fail(e, CORE_CONFLICT, NULL, "two-factor authentication is set up already");
		goto out;
	}
	totp_base32(key, n, secret, TOTP_B32_MAX);
	st = core_commit(e);
out:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return st;
}

/* RECOVERY_CODES new codes into codes, their digests replacing the user's old ones. */
static enum core_status
new_recovery_codes(struct core_ctx *c, int64_t user_id, char codes[RECOVERY_CODES][RECOVERY_LEN],
    struct core_err *e)
{
	struct buf	 arr;
	unsigned char	 raw[8], digest[SECRET_DIGEST_LEN];
	char		 b32[16], hex[SECRET_HEX_LEN + 1];
	enum core_status st;

	(void)c;
	buf_init(&arr);
	buf_puts(&arr, "{");
	for (int i = 0; i < RECOVERY_CODES; i++) {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			buf_free(&arr);
			return core_fail(e, CORE_INTERNAL, NULL, "no randomness for recovery codes");
		}
		totp_base32(raw, sizeof(raw), b32, sizeof(b32));
		for (int k = 0; k < RECOVERY_CHARS; k++)
			b32[k] = (char)tolower((unsigned char)b32[k]);
		b32[RECOVERY_CHARS] = '\0';
		secret_digest(b32, digest);
		secret_hex(digest, hex);
		snprintf(codes[i], RECOVERY_LEN, "%.5s-%.5s", b32, b32 + 5);
		buf_printf(&arr, "%s%s", i ? "," : "", hex);
	}
	buf_puts(&arr, "}");
	OPENSSL_cleanse(b32, sizeof(b32));
	if (arr.failed)
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	else if ((st = exec1(&st_tf_recovery_clear, user_id, NULL, NULL, e)) == CORE_OK)
		st = exec1(&st_tf_recovery_add, user_id, arr.data, NULL, e);
	buf_free(&arr);
	return st;
}

enum core_status
signin_totp_confirm(struct core_ctx *c, const struct session *s, const char *code,
    char codes[RECOVERY_CODES][RECOVERY_LEN], struct signin_result *out, struct core_err *e)
{
	struct signin_user	 u;
	unsigned char		 key[TOTP_SECRET_BYTES];
	size_t			 n = 0;
	bool			 confirmed = false;
	int64_t			 last = 0, step = -1;
	char			 stepbuf[24];
	enum core_status	 st;

	memset(out, 0, sizeof(*out));
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = signin_load_user(c, s, &u, e)) != CORE_OK ||
	    (st = load_secret(c, u.id, key, &n, &confirmed, &last, e)) != CORE_OK)
		return core_abort(st);
	if (n > 0 && !confirmed)
		step = totp_match(key, n, code, totp_step((int64_t)time(NULL)), last);
	OPENSSL_cleanse(key, sizeof(key));
	if (n == 0 || confirmed)
		return core_abort(core_fail(e, CORE_CONFLICT, NULL, confirmed ?
		    "two-factor authentication is set up already" : "start the set-up again"));
	if (step < 0)
		return core_abort(core_fail(e, CORE_INVALID, "code", "the code does not match: "
		    "check the time on your device and enter the code it shows now"));
	snprintf(stepbuf, sizeof(stepbuf), "%lld", (long long)step);
	/* totp_enabled is part of the user's representation: its version moves. */
	if ((st = exec1(&st_tf_step, u.id, stepbuf, NULL, e)) != CORE_OK ||
	    (st = rows_touch_user(u.id, e)) != CORE_OK ||
	    (st = new_recovery_codes(c, u.id, codes, e)) != CORE_OK ||
	    (st = signin_audit(c, &u, "user.totp_enrol", "{\"totp\":{\"old\":false,\"new\":true}}",
	    e)) != CORE_OK)
		return core_abort(st);
	if (s->stage == SIGNIN_ENROL &&
	    ((st = signin_session_replace(c, s, out, e)) != CORE_OK ||
	    (st = signin_done(c, &u, "totp", e)) != CORE_OK))
		return core_abort(st);
	return core_commit(e);
}
