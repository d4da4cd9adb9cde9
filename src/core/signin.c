/*
 * signin.c: people's sign-in (signin.h) — the password step with its
 * lockout, delays and audit, and the sessions that follow. The second
 * factor's step is in signin_totp.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/audit.h"
#include "gatehouse/base64.h"
#include "gatehouse/db.h"
#include "gatehouse/level.h"
#include "gatehouse/org.h"
#include "gatehouse/password.h"
#include "gatehouse/signin.h"
#include "gatehouse/users.h"
#include "signin_internal.h"

#define WRONG	"wrong username or password"

DB_STMT(st_si_org, 0, "SELECT enforce_2fa FROM gatehouse.orgs WHERE id = gatehouse.current_org()");
/* A username wins over another account's e-mail address that reads the same. */
DB_STMT(st_si_user, 1,
    "SELECT u.id, u.uid, u.username, u.email, u.password_hash, u.status, u.auth_method,"
    " coalesce(u.locked_until > now(), false), u.access_level, u.mfa_required,"
    " EXISTS (SELECT 1 FROM gatehouse.totp_credentials c WHERE c.org_id = u.org_id"
    "   AND c.user_id = u.id AND c.confirmed_at IS NOT NULL),"
    " EXISTS (SELECT 1 FROM gatehouse.webauthn_credentials w WHERE w.org_id = u.org_id"
    "   AND w.user_id = u.id)"
    " FROM gatehouse.users u WHERE u.org_id = gatehouse.current_org() AND u.status <> 'removed'"
    " AND (lower(u.username) = lower($1) OR lower(u.email) = lower($1))"
    " ORDER BY lower(u.username) = lower($1) DESC LIMIT 1 FOR UPDATE OF u");
DB_STMT(st_si_addr, 1,
    "SELECT failures, extract(epoch FROM now() - last_at)::float8"
    " FROM gatehouse.login_address_failures"
    " WHERE org_id = gatehouse.current_org() AND address = $1::inet");
DB_STMT(st_si_addr_fail, 2,
    "INSERT INTO gatehouse.login_address_failures AS f (org_id, address, failures)"
    " VALUES (gatehouse.current_org(), $1::inet, 1)"
    " ON CONFLICT (org_id, address) DO UPDATE SET last_at = now(),"
    " failures = CASE WHEN f.last_at < now() - make_interval(secs => $2::int) THEN 1"
    "   ELSE f.failures + 1 END");
DB_STMT(st_si_addr_clear, 1,
    "DELETE FROM gatehouse.login_address_failures"
    " WHERE org_id = gatehouse.current_org() AND address = $1::inet");
/* Failures while locked do not count: the lock runs its time, and no longer. */
DB_STMT(st_si_user_fail, 1,
    "UPDATE gatehouse.users u SET"
    " locked_until = CASE WHEN u.failed_logins + 1 >= o.lockout_threshold"
    "   THEN now() + make_interval(secs => o.lockout_s) ELSE u.locked_until END,"
    " failed_logins = CASE WHEN u.failed_logins + 1 >= o.lockout_threshold THEN 0"
    "   ELSE u.failed_logins + 1 END"
    " FROM gatehouse.orgs o WHERE o.id = u.org_id"
    " AND u.org_id = gatehouse.current_org() AND u.id = $1::bigint"
    " AND coalesce(u.locked_until <= now(), true)"
    " RETURNING u.locked_until IS NOT NULL AND u.locked_until > now()");
DB_STMT(st_si_user_ok, 2,
    "UPDATE gatehouse.users SET failed_logins = 0, locked_until = NULL,"
    " password_hash = coalesce($2, password_hash)"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_si_event, 4,
    "INSERT INTO gatehouse.login_events (org_id, user_id, success, method, address)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::boolean, $3, $4::inet)");
DB_STMT(st_si_session_new, 5,
    "INSERT INTO gatehouse.sessions (org_id, user_id, digest, csrf_digest, mfa_passed, address,"
    " expires_at) SELECT gatehouse.current_org(), $1::bigint, decode($2, 'hex'), decode($3, 'hex'),"
    " $4::boolean, $5::inet, now() + make_interval(secs => o.session_lifetime_s)"
    " FROM gatehouse.orgs o WHERE o.id = gatehouse.current_org()");
/* A live session: within its lifetime, not idle too long, its user allowed to sign in. */
DB_STMT(st_si_session, 1,
    "UPDATE gatehouse.sessions s SET last_seen_at = now()"
    " FROM gatehouse.users u, gatehouse.orgs o"
    " WHERE s.org_id = gatehouse.current_org() AND s.digest = decode($1, 'hex')"
    " AND u.org_id = s.org_id AND u.id = s.user_id AND o.id = s.org_id"
    " AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => o.session_idle_s)"
    " AND u.status = 'active'"
    " RETURNING s.id, s.user_id, u.uid, u.username, u.email, u.access_level, s.mfa_passed,"
    " encode(s.csrf_digest, 'hex'), o.name, u.summary_email,"
    " EXISTS (SELECT 1 FROM gatehouse.totp_credentials c WHERE c.org_id = u.org_id"
    "   AND c.user_id = u.id AND c.confirmed_at IS NOT NULL),"
    " (SELECT count(*) FROM gatehouse.webauthn_credentials w WHERE w.org_id = u.org_id"
    "   AND w.user_id = u.id)");
DB_STMT(st_si_session_end, 1,
    "DELETE FROM gatehouse.sessions WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/* The cost of verifying a password when there is no account to verify it against. */
static bool
dummy_verify(const char *password)
{
	static char	dummy[PHC_MAX];

	if (dummy[0] == '\0' && password_unusable(dummy) != 0)
		return false;
	(void)password_verify(password ? password : "", dummy, NULL);
	return false;
}

/* An address the database takes as inet, or NULL. */
static const char *
inet_or_null(const char *a)
{
	unsigned char buf[16];

	if (a == NULL || (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1))
		return NULL;
	return a;
}

static enum core_status
wrong(struct core_err *e)
{
	return core_fail(e, CORE_UNAUTHORIZED, NULL, WRONG);
}

/* Seconds the address must still wait before its next attempt (0: none). */
static enum core_status
address_wait(const char *addr, int *wait, struct core_err *e)
{
	const char	*p[1] = { addr };
	PGresult	*r;
	long		 failures;
	double		 age, delay;

	*wait = 0;
	if (addr == NULL)
		return CORE_OK;
	if ((r = db_exec(&st_si_addr, p)) == NULL)
		return core_db_fail(e, "sign-in");
	if (PQntuples(r) == 1) {
		failures = (long)db_int(r, 0, 0);
		age = strtod(db_value(r, 0, 1), NULL);
		if (failures >= SIGNIN_FREE_FAILURES && age < SIGNIN_QUIET_S) {
			delay = failures - SIGNIN_FREE_FAILURES >= 6 ? SIGNIN_DELAY_MAX :
			    (double)(1L << (failures - SIGNIN_FREE_FAILURES));
			if (delay > SIGNIN_DELAY_MAX)
				delay = SIGNIN_DELAY_MAX;
			if (age < delay)
				*wait = (int)(delay - age) + 1;
		}
	}
	PQclear(r);
	return CORE_OK;
}

/* CORE_UNAVAILABLE naming "address" with *wait set when the address must wait. */
static enum core_status
address_throttled(const char *addr, int *wait, struct core_err *e)
{
	enum core_status st;

	if ((st = address_wait(addr, wait, e)) != CORE_OK || *wait == 0)
		return st;
	return core_fail(e, CORE_UNAVAILABLE, "address", "too many failed sign-ins from this "
	    "address: try again in %d seconds", *wait);
}

/* Runs a statement whose result is not needed. */
static enum core_status
run(struct db_stmt *stmt, const char *const *p, struct core_err *e)
{
	PGresult *r;

	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, "sign-in");
	PQclear(r);
	return CORE_OK;
}

enum core_status
signin_event(struct core_ctx *c, int64_t user_id, bool success, const char *method,
    struct core_err *e)
{
	char		 uid[CORE_ID_LEN];
	const char	*p[4] = { uid, success ? "true" : "false", method, inet_or_null(c->address) };

	core_id_text(user_id, uid);
	return run(&st_si_event, p, e);
}

void
signin_actor(struct principal *p, int64_t org_id, const struct signin_user *u)
{
	memset(p, 0, sizeof(*p));
	p->org_id = org_id;
	p->user_id = u->id;
	p->user_uid = u->uid;
	p->username = u->username;
	p->email = u->email;
	p->level = u->level;
}

/* One audit event of a sign-in by (or against) u; NULL: no such account. */
enum core_status
signin_audit(struct core_ctx *c, const struct signin_user *u, const char *action,
    const char *changes, struct core_err *e)
{
	struct principal	 self;
	const struct principal	*was = c->actor;
	int			 rc;

	if (u != NULL)
		signin_actor(&self, c->org_id, u);
	else {
		memset(&self, 0, sizeof(self));
		self.org_id = c->org_id;
		snprintf(self.key_ref, sizeof(self.key_ref), "anonymous");
	}
	c->actor = &self;
	rc = audit_write(c, action, u ? "user" : "", u ? u->uid : "", changes);
	c->actor = was;
	return rc == 0 ? CORE_OK : core_db_fail(e, "audit event");
}

enum core_status
signin_session_new(struct core_ctx *c, int64_t user_id, bool passed,
    const unsigned char *csrf_digest, struct signin_result *out, struct core_err *e)
{
	unsigned char	 digest[SECRET_DIGEST_LEN];
	char		 secret[SECRET_LEN + 1], hex[SECRET_HEX_LEN + 1], chex[SECRET_HEX_LEN + 1];
	char		 uid[CORE_ID_LEN];
	const char	*p[5] = { uid, hex, chex, passed ? "true" : "false", inet_or_null(c->address) };
	enum core_status st = CORE_OK;

	if (secret_new(secret, sizeof(secret), digest) != 0)
		st = core_fail(e, CORE_INTERNAL, NULL, "no randomness for a session");
	else {
		core_id_text(user_id, uid);
		secret_hex(digest, hex);
		secret_hex(csrf_digest, chex);
		snprintf(out->cookie, sizeof(out->cookie), "%lld.%s", (long long)c->org_id, secret);
		st = run(&st_si_session_new, p, e);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return st;
}

enum core_status
signin_session_replace(struct core_ctx *c, const struct session *old, struct signin_result *out,
    struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[1] = { sid };
	enum core_status st;

	core_id_text(old->id, sid);
	if ((st = run(&st_si_session_end, p, e)) != CORE_OK)
		return st;
	out->stage = SIGNIN_DONE;
	return signin_session_new(c, old->actor.user_id, true, old->csrf_digest, out, e);
}

/* The row of st_si_user. */
static void
user_from(struct arena *a, PGresult *r, struct signin_user *u)
{
	u->id = db_int(r, 0, 0);
	u->uid = db_text(a, r, 0, 1);
	u->username = db_text(a, r, 0, 2);
	u->email = db_text(a, r, 0, 3);
	u->hash = db_text(a, r, 0, 4);
	u->active = strcmp(db_value(r, 0, 5), "active") == 0;
	u->local = strcmp(db_value(r, 0, 6), "local") == 0;
	u->locked = db_bool(r, 0, 7);
	if (level_parse(db_value(r, 0, 8), &u->level) != 0)
		u->level = LEVEL_GUEST;
	u->mfa_required = db_bool(r, 0, 9);
	u->totp = db_bool(r, 0, 10);
	u->webauthn = db_bool(r, 0, 11);
}

enum core_status
signin_count_failure(struct core_ctx *c, int64_t user_id, bool *locked, struct core_err *e)
{
	char		 uid[CORE_ID_LEN];
	const char	*p[1] = { uid };
	PGresult	*r;

	(void)c;
	core_id_text(user_id, uid);
	if ((r = db_exec(&st_si_user_fail, p)) == NULL)
		return core_db_fail(e, "sign-in");
	*locked = PQntuples(r) == 1 && db_bool(r, 0, 0);
	PQclear(r);
	return CORE_OK;
}

enum core_status
signin_address_check(struct core_ctx *c, int *wait, struct core_err *e)
{
	return address_throttled(inet_or_null(c->address), wait, e);
}

enum core_status
signin_address_failed(struct core_ctx *c, struct core_err *e)
{
	char		 quiet[16];
	const char	*pa[2] = { inet_or_null(c->address), quiet };

	if (pa[0] == NULL)
		return CORE_OK;
	snprintf(quiet, sizeof(quiet), "%d", SIGNIN_QUIET_S);
	return run(&st_si_addr_fail, pa, e);
}

/* A failed attempt: counted, recorded and committed; the answer is always the same. */
static enum core_status
failed(struct core_ctx *c, const struct signin_user *u, struct core_err *e)
{
	const char	*why = "{\"reason\":\"no such account\"}";
	enum core_status st = CORE_OK;
	bool		 locked = false;

	if ((st = signin_address_failed(c, e)) != CORE_OK)
		return core_abort(st);
	if (u != NULL) {
		if ((st = signin_count_failure(c, u->id, &locked, e)) != CORE_OK)
			return core_abort(st);
		why = u->locked ? "{\"reason\":\"locked\"}" : !u->active ? "{\"reason\":\"not active\"}" :
		    !u->local ? "{\"reason\":\"no local sign-in\"}" : locked ?
		    "{\"reason\":\"wrong password\",\"locked\":true}" : "{\"reason\":\"wrong password\"}";
		if ((st = signin_event(c, u->id, false, "password", e)) != CORE_OK)
			return core_abort(st);
	}
	if ((st = signin_audit(c, u, "user.login_failed", why, e)) != CORE_OK ||
	    (st = core_commit(e)) != CORE_OK)
		return st;
	return wrong(e);
}

enum core_status
signin_factor_failed(struct core_ctx *c, const struct signin_user *u, const char *method,
    const char *reason, struct core_err *e)
{
	char		 why[128];
	enum core_status st;
	bool		 locked = false;

	if ((st = signin_count_failure(c, u->id, &locked, e)) != CORE_OK ||
	    (st = signin_address_failed(c, e)) != CORE_OK ||
	    (st = signin_event(c, u->id, false, method, e)) != CORE_OK)
		return core_abort(st);
	snprintf(why, sizeof(why), "{\"reason\":\"%s\"%s}", reason, locked ? ",\"locked\":true" : "");
	if ((st = signin_audit(c, u, "user.login_failed", why, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
signin_password(struct core_ctx *c, const char *org_name, const char *login,
    const char *password, const char *csrf, struct signin_result *out, struct core_err *e)
{
	unsigned char		 csrf_digest[SECRET_DIGEST_LEN];
	struct signin_user	 u, *found = NULL;
	const char		*addr = inet_or_null(c->address), *p[2];
	char			 rehash[PHC_MAX], uid[CORE_ID_LEN];
	enum core_status	 st;
	PGresult		*r;
	bool			 ok, weak = false, enforce;

	memset(out, 0, sizeof(*out));
	if (csrf == NULL || *csrf == '\0')
		return core_fail(e, CORE_INVALID, "csrf", "the form token is missing");
	secret_digest(csrf, csrf_digest);
	if (org_name == NULL || *org_name == '\0' || login == NULL || *login == '\0' ||
	    password == NULL || *password == '\0')
		return dummy_verify(password), wrong(e);
	if ((st = org_find(org_name, &c->org_id, e)) != CORE_OK)
		return st == CORE_NOT_FOUND ? (dummy_verify(password), wrong(e)) : st;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = address_throttled(addr, &out->retry_after, e)) != CORE_OK) {
		core_abort(CORE_OK);
		return st;
	}
	if ((r = db_exec(&st_si_org, NULL)) == NULL || PQntuples(r) != 1) {
		if (r != NULL)
			PQclear(r);
		return core_abort(core_db_fail(e, "org"));
	}
	enforce = db_bool(r, 0, 0);
	PQclear(r);
	p[0] = login;
	if ((r = db_exec(&st_si_user, p)) == NULL)
		return core_abort(core_db_fail(e, "user"));
	if (PQntuples(r) == 1) {
		user_from(c->arena, r, &u);
		found = &u;
	}
	PQclear(r);
	/* The same work whether or not there is an account, and whatever state it is in. */
	if (found != NULL && found->hash != NULL && found->local)
		ok = password_verify(password, found->hash, &weak) == 1;
	else
		ok = dummy_verify(password);
	if (!ok || found == NULL || !found->active || found->locked || !found->local)
		return failed(c, found, e);

	/* The password is right. */
	/* A security key is a second factor as TOTP is: either makes the step due and meets the rule. */
	out->stage = u.totp || u.webauthn ? SIGNIN_TOTP : enforce || u.mfa_required ? SIGNIN_ENROL :
	    SIGNIN_DONE;
	if (weak && password_hash(password, rehash) != 0)
		weak = false;		/* still the old hash: it verifies, so try again next time */
	core_id_text(u.id, uid);
	p[0] = uid;
	p[1] = weak ? rehash : NULL;
	st = run(&st_si_user_ok, p, e);
	OPENSSL_cleanse(rehash, sizeof(rehash));
	if (st != CORE_OK ||
	    (addr != NULL && (st = run(&st_si_addr_clear, &addr, e)) != CORE_OK) ||
	    (st = signin_session_new(c, u.id, out->stage == SIGNIN_DONE, csrf_digest, out, e))
	    != CORE_OK ||
	    (out->stage == SIGNIN_DONE && (st = signin_done(c, &u, "password", e)) != CORE_OK) ||
	    (out->stage != SIGNIN_DONE && (st = signin_audit(c, &u, "user.login_password",
	    weak ? "{\"password\":{\"rehashed\":true}}" : "{}", e)) != CORE_OK))
		return core_abort(st);
	return core_commit(e);
}

DB_STMT(st_si_touch_login, 1,
    "UPDATE gatehouse.users SET last_login_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

enum core_status
signin_done(struct core_ctx *c, const struct signin_user *u, const char *method,
    struct core_err *e)
{
	char		 uid[CORE_ID_LEN], changes[64];
	const char	*p[1] = { uid };
	enum core_status st;

	core_id_text(u->id, uid);
	snprintf(changes, sizeof(changes), "{\"method\":\"%s\"}", method);
	if ((st = run(&st_si_touch_login, p, e)) != CORE_OK ||
	    (st = signin_event(c, u->id, true, method, e)) != CORE_OK)
		return st;
	return signin_audit(c, u, "user.login", changes, e);
}

/* --- sessions -------------------------------------------------------------------------- */

/* Splits <org>.<secret>: 0 with the org and the secret's digest as hex. */
static int
cookie_parse(const char *cookie, int64_t *org, char hex[SECRET_HEX_LEN + 1])
{
	unsigned char	 digest[SECRET_DIGEST_LEN];
	const char	*dot;
	char		*end;
	long long	 n;

	if (cookie == NULL || (dot = strchr(cookie, '.')) == NULL || dot == cookie ||
	    dot - cookie > 18 || cookie[0] == '0' || strlen(dot + 1) != SECRET_LEN)
		return -1;
	n = strtoll(cookie, &end, 10);
	if (end != dot || n <= 0)
		return -1;
	secret_digest(dot + 1, digest);
	secret_hex(digest, hex);
	*org = n;
	return 0;
}

enum core_status
signin_session(struct core_ctx *c, const char *cookie, struct session *out, struct core_err *e)
{
	char		 hex[SECRET_HEX_LEN + 1];
	const char	*p[1] = { hex };
	struct principal *a = &out->actor;
	enum core_status st;
	PGresult	*r;
	bool		 passed;

	memset(out, 0, sizeof(*out));
	if (cookie_parse(cookie, &c->org_id, hex) != 0)
		return core_fail(e, CORE_UNAUTHORIZED, NULL, "not signed in");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_si_session, p)) == NULL)
		return core_abort(core_db_fail(e, "session"));
	if (PQntuples(r) != 1) {
		PQclear(r);
		core_abort(CORE_OK);
		return core_fail(e, CORE_UNAUTHORIZED, NULL, "not signed in");
	}
	out->id = db_int(r, 0, 0);
	a->org_id = c->org_id;
	a->user_id = db_int(r, 0, 1);
	a->user_uid = db_text(c->arena, r, 0, 2);
	out->username = a->username = db_text(c->arena, r, 0, 3);
	out->email = a->email = db_text(c->arena, r, 0, 4);
	if (level_parse(db_value(r, 0, 5), &a->level) != 0)
		a->level = LEVEL_GUEST;
	passed = db_bool(r, 0, 6);
	if (base16_decode(db_value(r, 0, 7), out->csrf_digest, SECRET_DIGEST_LEN) != SECRET_DIGEST_LEN)
		memset(out->csrf_digest, 0xff, SECRET_DIGEST_LEN);
	out->org_name = a->org_name = db_text(c->arena, r, 0, 8);
	out->summary_email = db_bool(r, 0, 9);
	out->totp_enabled = db_bool(r, 0, 10);
	out->webauthn_keys = (int)db_int(r, 0, 11);
	PQclear(r);
	a->session_id = out->id;
	out->stage = passed ? SIGNIN_DONE : out->totp_enabled || out->webauthn_keys > 0 ?
	    SIGNIN_TOTP : SIGNIN_ENROL;
	c->actor = a;
	return core_commit(e);
}

bool
signin_csrf_ok(const struct session *s, const char *csrf)
{
	unsigned char digest[SECRET_DIGEST_LEN];

	if (csrf == NULL || strlen(csrf) != SECRET_LEN)
		return false;
	secret_digest(csrf, digest);
	return CRYPTO_memcmp(digest, s->csrf_digest, SECRET_DIGEST_LEN) == 0;
}

enum core_status
signin_logout(struct core_ctx *c, const struct session *s, bool everywhere, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[1] = { sid };
	const struct principal *was = c->actor;
	enum core_status st;

	/* A password alone (the second factor still due) may end its own session,
	 * not sign the account's owner out everywhere in the owner's name. */
	if (everywhere && s->stage != SIGNIN_DONE)
		return core_fail(e, CORE_FORBIDDEN, "", "signing out every session needs a "
		    "completed sign-in");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	core_id_text(s->id, sid);
	/* Everywhere: no session of the user is kept, this one included. */
	c->actor = NULL;
	st = everywhere ? users_end_sessions(c, s->actor.user_id, e) : run(&st_si_session_end, p, e);
	c->actor = was;
	if (st == CORE_OK && audit_write(c, everywhere ? "user.logout_everywhere" : "user.logout",
	    "user", s->actor.user_uid, "{}") != 0)
		st = core_db_fail(e, "audit event");
	return core_end(st, e);
}
