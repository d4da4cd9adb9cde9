/* org.c: tenants — operator creation through narrow SECURITY DEFINER functions, settings, sweep. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/org.h"

DB_STMT(st_org_create, 2, "SELECT gatehouse.org_create($1, $2)");
DB_STMT(st_org_find, 1, "SELECT gatehouse.org_find($1)");
DB_STMT(st_sweep, 0, "SELECT orgs, disabled, tokens_expired FROM gatehouse.sweep()");

#define ORG_COLS \
	"id, name, tier, enforce_2fa, inactivity_days, password_min, session_lifetime_s," \
	" gatehouse.iso(created_at), gatehouse.iso(updated_at), registration_token_hours," \
	" reset_token_hours, session_idle_s, lockout_threshold, lockout_s"
DB_STMT(st_org_get, 0, "SELECT " ORG_COLS " FROM gatehouse.orgs WHERE id = gatehouse.current_org()");
DB_STMT(st_org_get_lock, 0,
    "SELECT " ORG_COLS " FROM gatehouse.orgs WHERE id = gatehouse.current_org() FOR UPDATE");
DB_STMT(st_org_update, 10,
    "UPDATE gatehouse.orgs SET tier = $1, enforce_2fa = $2::boolean, inactivity_days = $3::int,"
    " password_min = $4::int, session_lifetime_s = $5::int, registration_token_hours = $6::int,"
    " reset_token_hours = $7::int, session_idle_s = $8::int, lockout_threshold = $9::int,"
    " lockout_s = $10::int, updated_at = now()"
    " WHERE id = gatehouse.current_org()");

static bool
tier_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 32 || t[0] < 'a' || t[0] > 'z')
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum core_status
org_create(const char *name, const char *tier, int64_t *id, struct core_err *e)
{
	const char	*p[2] = { name, tier ? tier : "standard" };
	PGresult	*r;

	if (name == NULL || *name == '\0' || strlen(name) > 100)
		return core_fail(e, CORE_INVALID, "name", "org name must be 1 to 100 characters");
	if (!tier_ok(p[1]))
		return core_fail(e, CORE_INVALID, "tier",
		    "tier must be a lowercase word (letters, digits, - and _)");
	if ((r = db_exec(&st_org_create, p)) == NULL)
		return core_db_fail(e, "an org with that name");
	*id = db_int(r, 0, 0);
	PQclear(r);
	return CORE_OK;
}

enum core_status
org_find(const char *name, int64_t *id, struct core_err *e)
{
	const char	*p[1] = { name };
	PGresult	*r;

	if ((r = db_exec(&st_org_find, p)) == NULL)
		return core_db_fail(e, "org");
	if (PQntuples(r) != 1 || db_value(r, 0, 0) == NULL) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, "org", "no org named \"%.100s\"", name);
	}
	*id = db_int(r, 0, 0);
	PQclear(r);
	return CORE_OK;
}

static void
settings_from_row(struct arena *a, PGresult *r, struct org_settings *o)
{
	o->id = db_int(r, 0, 0);
	o->name = db_text(a, r, 0, 1);
	o->tier = db_text(a, r, 0, 2);
	o->enforce_2fa = db_bool(r, 0, 3);
	o->inactivity_days = (int)db_int(r, 0, 4);
	o->password_min = (int)db_int(r, 0, 5);
	o->session_lifetime_s = (int)db_int(r, 0, 6);
	o->created_at = db_text(a, r, 0, 7);
	o->updated_at = db_text(a, r, 0, 8);
	o->registration_token_hours = (int)db_int(r, 0, 9);
	o->reset_token_hours = (int)db_int(r, 0, 10);
	o->session_idle_s = (int)db_int(r, 0, 11);
	o->lockout_threshold = (int)db_int(r, 0, 12);
	o->lockout_s = (int)db_int(r, 0, 13);
}

/* The org's settings, locked for the transaction when lock (else, outside one, a read of its own). */
static enum core_status
load(struct core_ctx *c, bool lock, struct org_settings *o, struct core_err *e)
{
	struct db_query	 q = DB_QUERY(lock ? &st_org_get_lock : &st_org_get, NULL);
	enum core_status st;
	PGresult	*r;

	if ((st = core_read(c, &q, 1, "org", e)) != CORE_OK)
		return st;
	r = q.res;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such org");
	}
	settings_from_row(c->arena, r, o);
	PQclear(r);
	return CORE_OK;
}

enum core_status
org_get(struct core_ctx *c, struct org_settings *o, struct core_err *e)
{
	return load(c, false, o, e);
}

/* The settings besides the tier, in st_org_update's order, and as text for it and the audit. */
#define NSETTINGS 9
static const char *const setting_names[NSETTINGS] = { "enforce_2fa", "inactivity_days",
	"password_min", "session_lifetime_s", "registration_token_hours", "reset_token_hours",
	"session_idle_s", "lockout_threshold", "lockout_s" };

static void
settings_text(const struct org_settings *o, char text[NSETTINGS][16])
{
	snprintf(text[0], 16, "%s", o->enforce_2fa ? "true" : "false");
	snprintf(text[1], 16, "%d", o->inactivity_days);
	snprintf(text[2], 16, "%d", o->password_min);
	snprintf(text[3], 16, "%d", o->session_lifetime_s);
	snprintf(text[4], 16, "%d", o->registration_token_hours);
	snprintf(text[5], 16, "%d", o->reset_token_hours);
	snprintf(text[6], 16, "%d", o->session_idle_s);
	snprintf(text[7], 16, "%d", o->lockout_threshold);
	snprintf(text[8], 16, "%d", o->lockout_s);
}

/* CORE_INVALID naming field unless v is -1 (unchanged) or within [min, max]. */
static enum core_status
within(int v, int min, int max, const char *field, const char *unit, struct core_err *e)
{
	if (v == -1 || (v >= min && v <= max))
		return CORE_OK;
	return core_fail(e, CORE_INVALID, field, "%s must be %d to %d%s", field, min, max, unit);
}

enum core_status
org_update(struct core_ctx *c, const struct org_patch *p, struct org_settings *out,
    struct core_err *e)
{
	struct org_settings	 old, nw;
	enum core_status	 st;
	char			 was[NSETTINGS][16], now[NSETTINGS][16];
	const char		*params[1 + NSETTINGS] = { NULL, now[0], now[1], now[2], now[3],
	    now[4], now[5], now[6], now[7], now[8] };
	struct buf		 ch;
	struct jsonw		 w;
	PGresult		*r;

	if (p->tier != NULL && !tier_ok(p->tier))
		return core_fail(e, CORE_INVALID, "tier", "tier must be a lowercase word");
	if (p->tier != NULL && c->actor != NULL && c->actor->level < LEVEL_SUPER)
		return core_fail(e, CORE_FORBIDDEN, "tier", "only a super may change the tier");
	if ((st = within(p->inactivity_days, 0, ORG_INACTIVITY_DAYS_MAX, "inactivity_days", "", e)) ||
	    (st = within(p->password_min, 8, 256, "password_min", " (NIST SP 800-63B: at least 8)",
	    e)) ||
	    (st = within(p->session_lifetime_s, ORG_SESSION_LIFETIME_MIN, ORG_SESSION_LIFETIME_MAX,
	    "session_lifetime_s", " seconds", e)) ||
	    (st = within(p->registration_token_hours, 1, ORG_REGISTRATION_HOURS_MAX,
	    "registration_token_hours", "", e)) ||
	    (st = within(p->reset_token_hours, 1, ORG_RESET_HOURS_MAX, "reset_token_hours", "", e)) ||
	    (st = within(p->session_idle_s, ORG_SESSION_IDLE_MIN, ORG_SESSION_IDLE_MAX,
	    "session_idle_s", " seconds", e)) ||
	    (st = within(p->lockout_threshold, 1, ORG_LOCKOUT_THRESHOLD_MAX, "lockout_threshold", "",
	    e)) ||
	    (st = within(p->lockout_s, ORG_LOCKOUT_MIN, ORG_LOCKOUT_MAX, "lockout_s", " seconds", e)))
		return st;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, true, &old, e)) != CORE_OK)
		return core_abort(st);
	nw = old;
	if (p->tier)
		nw.tier = p->tier;
	if (p->enforce_2fa != -1)
		nw.enforce_2fa = p->enforce_2fa != 0;
	if (p->inactivity_days != -1)
		nw.inactivity_days = p->inactivity_days;
	if (p->password_min != -1)
		nw.password_min = p->password_min;
	if (p->session_lifetime_s != -1)
		nw.session_lifetime_s = p->session_lifetime_s;
	if (p->registration_token_hours != -1)
		nw.registration_token_hours = p->registration_token_hours;
	if (p->reset_token_hours != -1)
		nw.reset_token_hours = p->reset_token_hours;
	if (p->session_idle_s != -1)
		nw.session_idle_s = p->session_idle_s;
	if (p->lockout_threshold != -1)
		nw.lockout_threshold = p->lockout_threshold;
	if (p->lockout_s != -1)
		nw.lockout_s = p->lockout_s;
	params[0] = nw.tier;
	settings_text(&nw, now);
	if ((r = db_exec(&st_org_update, params)) == NULL)
		return core_abort(core_db_fail(e, "org"));
	PQclear(r);

	buf_init(&ch);
	jsonw_init(&w, &ch);
	jsonw_obj_open(&w);
	/* Each setting that differs, with its old and new value. */
	if (strcmp(old.tier, nw.tier) != 0)
		audit_change(&w, "tier", old.tier, nw.tier);
	settings_text(&old, was);
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(was[i], now[i]) != 0)
			audit_change_json(&w, setting_names[i], was[i], now[i]);
	jsonw_obj_close(&w);
	if ((st = audit_buf(c, "org.update", "org", old.name, &ch, e)) != CORE_OK ||
	    (st = load(c, false, out, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
org_sweep(struct sweep_result *res, struct core_err *e)
{
	PGresult *r = db_exec(&st_sweep, NULL);

	if (r == NULL)
		return core_db_fail(e, "sweep");
	res->orgs = (long)db_int(r, 0, 0);
	res->disabled = (long)db_int(r, 0, 1);
	res->tokens_expired = (long)db_int(r, 0, 2);
	PQclear(r);
	return CORE_OK;
}
