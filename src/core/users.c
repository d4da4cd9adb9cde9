/*
 * users.c: the user domain's rules — reading users, who may act on whom,
 * and changes to existing users — each operation one transaction with one
 * audit event. Fields are in user_fields.c, creation in user_create.c, list
 * statements in user_list.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/cursor.h"
#include "gatehouse/db.h"
#include "gatehouse/filter.h"
#include "gatehouse/groups.h"
#include "gatehouse/log.h"
#include "gatehouse/outbox.h"
#include "gatehouse/password.h"
#include "gatehouse/signin.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "rows.h"
#include "users_internal.h"

/* --- reading ----------------------------------------------------------------- */

#define USER_BY(cond)	"SELECT " USER_COLS USER_FROM " AND " cond
DB_STMT(st_by_uid, 1, USER_BY("u.uid = $1::uuid"));
DB_STMT(st_by_id, 1, USER_BY("u.id = $1::bigint"));
/* The _lc columns keep these indexed under row-level security (see sql/003_search.sql). */
#define BY_USERNAME	"u.username_lc = lower($1) COLLATE \"C\""
#define BY_EMAIL	"u.email_lc = lower($1) COLLATE \"C\""
DB_STMT(st_by_username, 1, USER_BY(BY_USERNAME));
DB_STMT(st_by_email, 1, USER_BY(BY_EMAIL));
DB_STMT(st_by_uid_lock, 1, USER_BY("u.uid = $1::uuid") " FOR UPDATE OF u");
DB_STMT(st_by_id_lock, 1, USER_BY("u.id = $1::bigint") " FOR UPDATE OF u");
DB_STMT(st_by_username_lock, 1, USER_BY(BY_USERNAME) " FOR UPDATE OF u");
DB_STMT(st_by_email_lock, 1, USER_BY(BY_EMAIL) " FOR UPDATE OF u");

/* Splits a text[] of plain words ("{a,b}") into the user's roles; NULL is none. */
static void
roles_parse(struct arena *a, const char *lit, struct user *u)
{
	char *copy, *tok, *save;
	size_t n = lit ? strlen(lit) : 0;

	u->nroles = 0;
	if (n < 3 || (copy = arena_strndup(a, lit + 1, n - 2)) == NULL)
		return;
	for (tok = strtok_r(copy, ",", &save); tok && u->nroles < USER_MAX_ROLES;
	    tok = strtok_r(NULL, ",", &save))
		u->roles[u->nroles++] = tok;
}

void
users_from_row(struct arena *a, PGresult *r, int row, struct user *u)
{
	static const enum ufield textcols[] = {
		UF_USERNAME, UF_EMAIL, UF_FIRST_NAME, UF_MIDDLE_NAME, UF_LAST_NAME,
		UF_PREFERRED_FIRST_NAME, UF_TITLE, UF_DEPARTMENT, UF_EMPLOYEE_TYPE,
		UF_START_DATE, UF_END_DATE, UF_IN_AUDIT_SCOPE, UF_AUTH_METHOD, UF_TEAM,
		UF_ACCESS_LEVEL,
	};

	memset(u, 0, sizeof(*u));
	u->id = db_int(r, row, 0);
	u->uid = db_text(a, r, row, 1);
	for (size_t i = 0; i < sizeof(textcols) / sizeof(textcols[0]); i++)
		u->val[textcols[i]] = db_text(a, r, row, 2 + (int)i);
	u->val[UF_IN_AUDIT_SCOPE] = db_bool(r, row, 13) ? "true" : "false";
	if (level_parse(db_value(r, row, 16), &u->level) != 0)
		u->level = LEVEL_GUEST;
	roles_parse(a, db_value(r, row, 17), u);
	u->val[UF_NOTE] = db_text(a, r, row, 18);
	u->val[UF_SUMMARY_EMAIL] = db_bool(r, row, 19) ? "true" : "false";
	u->status = user_status_parse(db_value(r, row, 20));
	u->disabled_reason = db_text(a, r, row, 21);
	u->has_password = db_bool(r, row, 22);
	u->totp_enabled = db_bool(r, row, 23);
	u->webauthn_enabled = db_bool(r, row, 24);
	u->last_login_at = db_text(a, r, row, 25);
	u->invited_at = db_text(a, r, row, 26);
	u->confirmed_at = db_text(a, r, row, 27);
	u->locked_until = db_text(a, r, row, 28);
	u->val[UF_AGENT_ACKNOWLEDGED_AT] = db_text(a, r, row, 29);
	u->created_at = db_text(a, r, row, 30);
	u->updated_at = db_text(a, r, row, 31);
	u->version = (int)db_int(r, row, 32);
	u->val[UF_MFA_REQUIRED] = db_bool(r, row, 33) ? "true" : "false";
	u->val[UF_DEPARTMENT_ID] = db_text(a, r, row, 34);
	u->val[UF_ACCESS_ROLE] = db_text(a, r, row, 35);
	u->val[UF_ONBOARDING_STATUS] = db_text(a, r, row, 36);
	u->val[UF_PERSONNEL_STATUS] = db_text(a, r, row, 37);
	u->val[UF_MANAGER] = db_text(a, r, row, 38);
	u->name = db_text(a, r, row, 39);
	u->manager_name = db_text(a, r, row, 40);
	for (int f = UF_EXTERNAL_ID; f <= UF_ADDRESSES; f++)
		u->val[f] = db_text(a, r, row, 41 + (f - UF_EXTERNAL_ID));
}

static void
user_from_row(struct arena *a, PGresult *r, int row, void *out)
{
	users_from_row(a, r, row, out);
}

static const struct rows_kind user_rows = { "user", USER_NCOLS, sizeof(struct user), NULL,
	user_from_row };

/* A read of its own of one user by uid, through the worker's cache (user_cache.c). */
static enum core_status
load_cached(struct core_ctx *c, const char *uid, struct user *u, struct core_err *e)
{
	const char	*p[1] = { uid };
	struct db_query	 q = DB_QUERY(&st_by_uid, p);
	uint64_t	 gen;
	enum core_status st;

	if (user_cache_get(c->arena, c->org_id, uid, u))
		return CORE_OK;
	gen = user_cache_gen(c->org_id);	/* before the read: a change after it makes it stale */
	if ((st = core_read(c, &q, 1, "user", e)) != CORE_OK)
		return st;
	if (PQntuples(q.res) != 1 || PQnfields(q.res) != USER_NCOLS) {
		PQclear(q.res);
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such user");
	}
	users_from_row(c->arena, q.res, 0, u);
	user_cache_put(c->org_id, uid, gen, q.res);
	return CORE_OK;
}

/*
 * Loads one user, optionally locking its row for the rest of the
 * transaction. Values that cannot name anyone are simply not found.
 */
static enum core_status
load(struct core_ctx *c, const struct user_ref *ref, bool lock, struct user *u, struct core_err *e)
{
	static struct db_stmt *const plain[] = { &st_by_uid, &st_by_id, &st_by_username, &st_by_email };
	static struct db_stmt *const locked[] = { &st_by_uid_lock, &st_by_id_lock,
		&st_by_username_lock, &st_by_email_lock };
	const char	*p[1] = { ref->value };
	bool		 plausible;

	switch (ref->kind) {
	case UKEY_UID:		plausible = valid_uuid(ref->value); break;
	case UKEY_ID:		plausible = valid_id(ref->value); break;
	case UKEY_USERNAME:	plausible = valid_username(ref->value); break;
	case UKEY_EMAIL:	plausible = valid_text(ref->value, 254) && *ref->value; break;
	default:		plausible = false;
	}
	if (!plausible)
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such user");
	if (!lock && ref->kind == UKEY_UID && user_cache_on() && !db_in_tx())
		return load_cached(c, ref->value, u, e);
	return rows_one(c, (lock ? locked : plain)[ref->kind], p, &user_rows, u, NULL, "no such user",
	    e);
}

enum core_status
users_get(struct core_ctx *c, const struct user_ref *ref, struct user *u, struct core_err *e)
{
	return load(c, ref, false, u, e);	/* a read of its own: one round trip */
}

DB_STMT(st_by_uids, 1, USER_BY("u.uid = ANY($1::uuid[])") " ORDER BY u.id");

enum core_status
users_get_many(struct core_ctx *c, const char *const *uids, size_t n, struct user **out,
    size_t *nout, struct core_err *e)
{
	struct buf	 lit;
	enum core_status st;
	void		*v = NULL;

	*out = NULL;
	*nout = 0;
	if (n > CORE_PAGE_MAX)
		return core_fail(e, CORE_INVALID, NULL, "at most %d users at a time", CORE_PAGE_MAX);
	buf_init(&lit);
	buf_putc(&lit, '{');
	for (size_t i = 0, k = 0; i < n; i++)
		if (uids[i] != NULL && valid_uuid(uids[i]))
			buf_printf(&lit, "%s%s", k++ ? "," : "", uids[i]);
	buf_putc(&lit, '}');
	st = lit.failed ? core_fail(e, CORE_INTERNAL, NULL, "out of memory") :
	    rows_read(c, &st_by_uids, buf_cstr(&lit), &user_rows, "users", &v, nout, e);
	buf_free(&lit);
	*out = v;
	return st;
}

enum core_status
users_load(struct core_ctx *c, const struct user_ref *ref, bool lock, struct user *u,
    struct core_err *e)
{
	return load(c, ref, lock, u, e);
}

/* --- authorisation rules ------------------------------------------------------ */

/* Nobody acts on a user above their own level. */
static enum core_status
may_touch(const struct core_ctx *c, const struct user *target, struct core_err *e)
{
	if (target->level > core_actor_level(c))
		return core_fail(e, CORE_FORBIDDEN, NULL,
		    "%s cannot change a user with access level %s",
		    level_a(core_actor_level(c)), level_name(target->level));
	return CORE_OK;
}

enum core_status
users_may_touch(const struct core_ctx *c, const struct user *target, struct core_err *e)
{
	return may_touch(c, target, e);
}

enum core_status
users_own_or_admin(const struct core_ctx *c, const struct user *target, const char *what,
    struct core_err *e)
{
	if (c->actor == NULL || c->actor->user_id == target->id)
		return CORE_OK;
	if (core_actor_level(c) < LEVEL_ADMIN)
		return core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may %s", what);
	return may_touch(c, target, e);
}

/* Only super may grant or revoke admin and super. */
enum core_status
users_may_set_level(const struct core_ctx *c, enum level from, enum level to, struct core_err *e)
{
	if (from != to && (from >= LEVEL_ADMIN || to >= LEVEL_ADMIN) && core_actor_level(c) < LEVEL_SUPER)
		return core_fail(e, CORE_FORBIDDEN, "access_level",
		    "only a super may grant or revoke admin or super");
	return CORE_OK;
}

/* See users_internal.h. */
enum core_status
users_change_begin(struct core_ctx *c, const struct user_ref *ref, int if_version,
    struct user *old, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, old, e)) != CORE_OK ||
	    (st = core_check_version(old->version, if_version, "user", e)) != CORE_OK ||
	    (st = may_touch(c, old, e)) != CORE_OK)
		return core_abort(st);
	return CORE_OK;
}

/*
 * Changes that may take away a super run one at a time per org. Not by
 * locking the other supers' rows: two such changes, each holding its own
 * target's row, would wait for each other's. The count is a statement of its
 * own, so that its snapshot sees what the change before committed.
 */
DB_STMT(st_supers_lock, 0,
    "SELECT pg_advisory_xact_lock(hashtext('gatehouse.supers'),"
    "  hashtext(gatehouse.current_org()::text))::text");
DB_STMT(st_other_supers, 1,
    "SELECT count(*) FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND access_level = 'super' AND status = 'active' AND id <> $1");

/*
 * Refuses a change that would leave the org without an active super. The
 * other supers' rows are locked so two concurrent demotions cannot both pass.
 */
static enum core_status
keep_a_super(const struct user *u, const char *what, struct core_err *e)
{
	enum core_status st;
	int64_t		 others;
	PGresult	*r;

	if (u->level != LEVEL_SUPER || u->status != US_ACTIVE)
		return CORE_OK;
	if ((r = db_exec(&st_supers_lock, NULL)) == NULL)
		return core_db_fail(e, "user");
	PQclear(r);
	if ((st = rows_int_on(&st_other_supers, u->id, "user", &others, e)) != CORE_OK)
		return st;
	if (others == 0)
		return core_fail(e, CORE_CONFLICT, NULL, "cannot %s the last super of the org", what);
	return CORE_OK;
}

DB_STMT(st_memberships, 1,
    "SELECT (SELECT count(*) FROM gatehouse.group_members WHERE org_id = gatehouse.current_org()"
    "  AND user_id = $1::bigint)"
    " + (SELECT count(*) FROM gatehouse.policy_assignments WHERE org_id = gatehouse.current_org()"
    "  AND user_id = $1::bigint)");

/* A guest cannot be in groups or policies, so a demotion to guest needs them left first. */
static enum core_status
no_memberships(const struct user *u, struct core_err *e)
{
	enum core_status st;
	int64_t		 n;

	if ((st = rows_int_on(&st_memberships, u->id, "user", &n, e)) != CORE_OK)
		return st;
	if (n > 0)
		return core_fail(e, CORE_CONFLICT, "access_level",
		    "a guest cannot be in groups or policies: remove the user from them first");
	return CORE_OK;
}

/* --- writing ------------------------------------------------------------------- */

DB_STMT(st_team_id, 1,
    "SELECT id FROM gatehouse.teams WHERE org_id = gatehouse.current_org() AND lower(name) = lower($1)");
DB_STMT(st_manager_id, 1,
    "SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org() AND uid = $1::uuid"
    " AND status <> 'removed'");

/* Writes "<key>": the id stmt finds for value, or null; unknown is CORE_INVALID on field. */
static enum core_status
ref_id_json(struct jsonw *w, struct db_stmt *stmt, const char *key, const char *value,
    const char *field, const char *what, struct core_err *e)
{
	const char	*q[1] = { value };
	PGresult	*r;

	jsonw_key(w, key);
	if (value == NULL) {
		jsonw_null(w);
		return CORE_OK;
	}
	if ((r = db_exec(stmt, q)) == NULL)
		return core_db_fail(e, field);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return core_fail(e, CORE_INVALID, field, "no %s \"%.100s\"", what, value);
	}
	jsonw_str(w, db_value(r, 0, 0));
	PQclear(r);
	return CORE_OK;
}
DB_STMT(st_roles_known, 1,
    "SELECT name, grants_level FROM gatehouse.product_roles"
    " WHERE org_id = gatehouse.current_org() AND name = ANY($1::text[])");

/* The cached entry of a team or role name, or -1. */
static int
lookup_find(const struct users_lookup *k, bool team, const char *name)
{
	for (size_t i = 0; k != NULL && i < k->n; i++)
		if (k->v[i].team == team && strcmp(k->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Room for one more entry in the cache, or NULL (no cache, or full). */
static int
lookup_add(struct core_ctx *c, struct users_lookup *k, bool team, const char *name)
{
	if (k == NULL || k->n >= USERS_LOOKUP_MAX ||
	    (k->v[k->n].name = arena_strdup(c->arena, name)) == NULL)
		return -1;
	k->v[k->n].team = team;
	k->v[k->n].team_id = NULL;
	k->v[k->n].role_known = false;
	k->v[k->n].grants = LEVEL_GUEST;
	return (int)k->n++;
}

/* The id (text) of the org's team called name in *id, NULL when there is none. */
static enum core_status
team_id(struct core_ctx *c, struct users_lookup *k, const char *name, const char **id,
    struct core_err *e)
{
	const char	*q[1] = { name };
	PGresult	*r;
	int		 i;

	if ((i = lookup_find(k, true, name)) >= 0) {
		*id = k->v[i].team_id;
		return CORE_OK;
	}
	if ((r = db_exec(&st_team_id, q)) == NULL)
		return core_db_fail(e, "team");
	*id = PQntuples(r) == 1 ? db_text(c->arena, r, 0, 0) : NULL;
	PQclear(r);
	if ((i = lookup_add(c, k, true, name)) >= 0)
		k->v[i].team_id = *id;
	return CORE_OK;
}

/*
 * Asks the catalogue for the patch's roles, raising *level by their grants;
 * *known is how many of them it holds. Every name asked for is cached.
 */
static enum core_status
roles_ask(struct core_ctx *c, struct users_lookup *k, const struct user_patch *p,
    enum level *level, size_t *known, struct core_err *e)
{
	struct buf	 lit;
	const char	*q[1];
	PGresult	*r;
	int		 i;

	buf_init(&lit);
	buf_putc(&lit, '{');
	for (size_t j = 0; j < p->nroles; j++)
		buf_printf(&lit, "%s%s", j ? "," : "", p->roles[j]);
	buf_putc(&lit, '}');
	q[0] = buf_cstr(&lit);
	r = db_exec(&st_roles_known, q);
	buf_free(&lit);
	if (r == NULL)
		return core_db_fail(e, "roles");
	for (size_t j = 0; j < p->nroles; j++)
		if (lookup_find(k, false, p->roles[j]) < 0)
			lookup_add(c, k, false, p->roles[j]);
	*known = (size_t)PQntuples(r);
	for (size_t row = 0; row < *known; row++) {
		enum level g;

		if (level_parse(db_value(r, (int)row, 1), &g) != 0)
			g = LEVEL_GUEST;
		if (g > *level)
			*level = g;
		if ((i = lookup_find(k, false, db_value(r, (int)row, 0))) >= 0) {
			k->v[i].role_known = true;
			k->v[i].grants = g;
		}
	}
	PQclear(r);
	return CORE_OK;
}

/* Every role of the patch in the catalogue: *level raised by their grants, or CORE_INVALID. */
static enum core_status
roles_check(struct core_ctx *c, struct users_lookup *k, const struct user_patch *p,
    enum level *level, struct core_err *e)
{
	enum core_status st;
	size_t		 cached = 0, known = 0;
	int		 i;

	for (size_t j = 0; j < p->nroles; j++)
		cached += lookup_find(k, false, p->roles[j]) >= 0;
	if (cached < p->nroles && (st = roles_ask(c, k, p, level, &known, e)) != CORE_OK)
		return st;
	for (size_t j = 0; cached == p->nroles && j < p->nroles; j++) {
		i = lookup_find(k, false, p->roles[j]);
		known += k->v[i].role_known;
		if (k->v[i].role_known && k->v[i].grants > *level)
			*level = k->v[i].grants;
	}
	if (known != p->nroles)
		return core_fail(e, CORE_INVALID, "roles", "roles must be in the org's catalogue");
	return CORE_OK;
}

/* See users_internal.h. */
enum core_status
users_patch_json(struct core_ctx *c, const struct user_patch *p, enum level *level,
    struct users_lookup *cache, struct jsonw *w, struct core_err *e)
{
	enum core_status st;

	for (int f = 0; f < UF__MAX; f++) {
		if (!p->set[f] || f == UF_TEAM || f == UF_ROLES || f == UF_ACCESS_LEVEL ||
		    f == UF_MANAGER)
			continue;
		jsonw_key(w, ufields[f].name);
		if (ufields[f].kind == UFK_VALUES)
			jsonw_raw(w, p->val[f], strlen(p->val[f]));
		else
			jsonw_str(w, p->val[f]);
	}
	if (p->set[UF_TEAM]) {
		const char *id = NULL;

		if (p->val[UF_TEAM] != NULL &&
		    (st = team_id(c, cache, p->val[UF_TEAM], &id, e)) != CORE_OK)
			return st;
		if (p->val[UF_TEAM] != NULL && id == NULL)
			return core_fail(e, CORE_INVALID, "team", "no team named \"%.100s\"",
			    p->val[UF_TEAM]);
		jsonw_kstr(w, "team_id", id);
	}
	if (p->set[UF_MANAGER] && (st = ref_id_json(w, &st_manager_id, "manager_id",
	    p->val[UF_MANAGER], "manager", "user with uid", e)) != CORE_OK)
		return st;
	if (p->set[UF_ROLES]) {
		if ((st = roles_check(c, cache, p, level, e)) != CORE_OK)
			return st;
		jsonw_key(w, "roles");
		jsonw_arr_open(w);
		for (size_t i = 0; i < p->nroles; i++)
			jsonw_str(w, p->roles[i]);
		jsonw_arr_close(w);
	}
	jsonw_kstr(w, "access_level", level_name(*level));
	return CORE_OK;
}

/* Maps a uniqueness violation to the field it concerns. */
enum core_status
users_unique_fail(struct core_err *e)
{
	if (db_status() == DB_UNIQUE && strstr(db_constraint(), "username") != NULL)
		return core_fail(e, CORE_CONFLICT, "username", "username is already taken");
	if (db_status() == DB_UNIQUE && strstr(db_constraint(), "email") != NULL)
		return core_fail(e, CORE_CONFLICT, "email", "email is already in use");
	return core_db_fail(e, "user");
}

/*
 * The audit record of a change: each differing field with old and new
 * values. Leaves the object open so the caller can add members and close it.
 */
static void
diff_json(const struct user *old, const struct user *new, struct buf *out)
{
	struct jsonw w;

	jsonw_init(&w, out);
	jsonw_obj_open(&w);
	for (int f = 0; f < UF__MAX; f++) {
		const char *a = old ? old->val[f] : NULL, *b = new->val[f];
		char ra[1024] = "", rb[1024] = "";

		if (f == UF_ROLES) {
			if (old != NULL)
				for (size_t i = 0; i < old->nroles; i++)
					snprintf(ra + strlen(ra), sizeof(ra) - strlen(ra), "%s%s",
					    i ? "," : "", old->roles[i]);
			for (size_t i = 0; i < new->nroles; i++)
				snprintf(rb + strlen(rb), sizeof(rb) - strlen(rb), "%s%s",
				    i ? "," : "", new->roles[i]);
			a = old ? ra : NULL;
			b = rb;
			if (old == NULL && new->nroles == 0)
				continue;
		}
		if (old != NULL && ((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0)))
			continue;
		if (old == NULL && b == NULL)
			continue;
		jsonw_key(&w, ufields[f].name);
		jsonw_obj_open(&w);
		if (old != NULL) {
			jsonw_key(&w, "old");
			jsonw_str(&w, a);
		}
		jsonw_key(&w, "new");
		jsonw_str(&w, b);
		jsonw_obj_close(&w);
	}
	if (old == NULL || old->status != new->status) {
		jsonw_key(&w, "status");
		jsonw_obj_open(&w);
		if (old != NULL)
			jsonw_kstr(&w, "old", user_status_name(old->status));
		jsonw_kstr(&w, "new", user_status_name(new->status));
		jsonw_obj_close(&w);
	}
}

static bool
same_value(const struct user *a, const struct user *b, int f)
{
	return a->val[f] == NULL ? b->val[f] == NULL :
	    b->val[f] != NULL && strcmp(a->val[f], b->val[f]) == 0;
}

/* True when any attribute, role or the status differs. */
static bool
user_changed(const struct user *a, const struct user *b)
{
	if (a->status != b->status || a->level != b->level || a->nroles != b->nroles)
		return true;
	for (int f = 0; f < UF__MAX; f++)
		if (!same_value(a, b, f))
			return true;
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i], b->roles[i]) != 0)
			return true;
	return false;
}

void
users_audit_changes(const struct user *old, const struct user *new, const char *extra_key,
    struct buf *b)
{
	diff_json(old, new, b);
	if (extra_key != NULL) {
		/* A secret's change is recorded as a fact, never its value. */
		buf_printf(b, "%s\"%s\":{\"changed\":true}", b->len > 1 ? "," : "", extra_key);
	}
	buf_putc(b, '}');
}

enum core_status
users_audit(struct core_ctx *c, const char *action, const struct user *old, const struct user *new,
    const char *extra_key, struct core_err *e)
{
	struct buf b;

	buf_init(&b);
	users_audit_changes(old, new, extra_key, &b);
	return audit_buf(c, action, "user", new->uid, &b, e);
}

/* Column updates from a JSON patch: each column changes only when its key is present. */
#define SETCOL(col, expr) " " col " = CASE WHEN p ? '" col "' THEN " expr " ELSE u." col " END,"
DB_STMT(st_user_update, 2,
    "UPDATE gatehouse.users u SET"
    SETCOL("username", "p->>'username'")
    SETCOL("email", "p->>'email'")
    SETCOL("first_name", "p->>'first_name'")
    SETCOL("middle_name", "p->>'middle_name'")
    SETCOL("last_name", "p->>'last_name'")
    SETCOL("preferred_first_name", "p->>'preferred_first_name'")
    SETCOL("title", "p->>'title'")
    SETCOL("department", "p->>'department'")
    SETCOL("employee_type", "p->>'employee_type'")
    SETCOL("start_date", "(p->>'start_date')::date")
    SETCOL("end_date", "(p->>'end_date')::date")
    SETCOL("in_audit_scope", "(p->>'in_audit_scope')::boolean")
    SETCOL("auth_method", "p->>'auth_method'")
    SETCOL("team_id", "(p->>'team_id')::bigint")
    SETCOL("access_level", "p->>'access_level'")
    SETCOL("roles", "ARRAY(SELECT jsonb_array_elements_text(p->'roles'))")
    SETCOL("note", "p->>'note'")
    SETCOL("summary_email", "(p->>'summary_email')::boolean")
    SETCOL("mfa_required", "(p->>'mfa_required')::boolean")
    SETCOL("department_id", "p->>'department_id'")
    SETCOL("access_role", "p->>'access_role'")
    SETCOL("onboarding_status", "p->>'onboarding_status'")
    SETCOL("personnel_status", "p->>'personnel_status'")
    SETCOL("agent_acknowledged_at", "(p->>'agent_acknowledged_at')::timestamptz")
    SETCOL("manager_id", "(p->>'manager_id')::bigint")
    SETCOL("external_id", "p->>'external_id'")
    SETCOL("display_name", "p->>'display_name'")
    SETCOL("formatted_name", "p->>'formatted_name'")
    SETCOL("preferred_language", "p->>'preferred_language'")
    SETCOL("employee_number", "p->>'employee_number'")
    SETCOL("emails", "p->'emails'")
    SETCOL("phone_numbers", "p->'phone_numbers'")
    SETCOL("addresses", "p->'addresses'")
    " version = u.version + 1, updated_at = now()"
    " FROM (SELECT $2::jsonb AS p) x"
    " WHERE u.org_id = gatehouse.current_org() AND u.id = $1::bigint");
#undef SETCOL

/*
 * Ends the user's open links (registration, reset). Also when the e-mail
 * address changes or someone else sets the password: a link sent to the old
 * address, or asked for before, must not outlive that.
 */
DB_STMT(st_remove_tokens, 1,
    "UPDATE gatehouse.tokens SET used_at = now() WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint AND used_at IS NULL");

DB_STMT(st_user_password, 2,
    "UPDATE gatehouse.users SET password_hash = $2, password_changed_at = now(),"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/* Reloads a user by id after a change, inside the transaction. */
enum core_status
users_reload(struct core_ctx *c, int64_t id, struct user *u, struct core_err *e)
{
	char		 sid[24];
	struct user_ref	 ref = { UKEY_ID, sid };

	core_id_text(id, sid);
	return load(c, &ref, false, u, e);
}

DB_STMT(st_password_min, 0, "SELECT password_min FROM gatehouse.orgs WHERE id = gatehouse.current_org()");

enum core_status
users_password_min(struct core_ctx *c, size_t *min, struct core_err *e)
{
	struct db_query	 q = DB_QUERY(&st_password_min, NULL);
	enum core_status st;

	if ((st = core_read(c, &q, 1, "org", e)) != CORE_OK)
		return st;
	*min = PQntuples(q.res) == 1 ? (size_t)db_int(q.res, 0, 0) : PASSWORD_MIN_DEFAULT;
	PQclear(q.res);
	return CORE_OK;
}

enum core_status
users_check_password(const char *pw, size_t min, const char *username, const char *email,
    struct core_err *e)
{
	char		 msg[160];
	enum pw_check	 pc;

	if ((pc = password_check(pw, min, username, email)) != PW_OK)
		return core_fail(e, CORE_INVALID, "password", "%s",
		    password_check_message(pc, min, msg, sizeof(msg)));
	return CORE_OK;
}


/* A patch that changes nothing is undone to here, so its version bump does not stay. */
DB_STMT(st_patch_savepoint, 0, "SAVEPOINT user_patch");
DB_STMT(st_patch_undo, 0, "ROLLBACK TO SAVEPOINT user_patch");

/*
 * Applies p to old (its row locked in the caller's transaction): the rules,
 * the write, the audit event, and *out reloaded. A patch that changes
 * nothing leaves *out = *old and records nothing.
 */
enum core_status
users_update_in(struct core_ctx *c, const struct user *old, const struct user_patch *p,
    struct user *out, struct core_err *e)
{
	struct buf		 json;
	struct jsonw		 w;
	enum level		 level = old->level;
	enum core_status	 st;
	char			 sid[24];
	const char		*params[2];
	PGresult		*r;

	if (p->set[UF_MANAGER] && p->val[UF_MANAGER] != NULL &&
	    strcasecmp(p->val[UF_MANAGER], old->uid) == 0)
		return core_fail(e, CORE_INVALID, "manager", "a user cannot be their own manager");
	if (p->set[UF_ACCESS_LEVEL])
		level_parse(p->val[UF_ACCESS_LEVEL], &level);
	buf_init(&json);
	jsonw_init(&w, &json);
	jsonw_obj_open(&w);
	st = users_patch_json(c, p, &level, NULL, &w, e);
	jsonw_obj_close(&w);
	if (st == CORE_OK && json.failed)
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if (st != CORE_OK ||
	    (st = users_may_set_level(c, old->level, level, e)) != CORE_OK ||
	    (level < LEVEL_SUPER && (st = keep_a_super(old, "demote", e)) != CORE_OK) ||
	    (level == LEVEL_GUEST && old->level > LEVEL_GUEST &&
	    (st = no_memberships(old, e)) != CORE_OK)) {
		buf_free(&json);
		return st;
	}
	core_id_text(old->id, sid);
	params[0] = sid;
	params[1] = json.data;
	/* The savepoint and the update travel with the reload: one round trip, whose failure may be the update's. */
	if (db_defer(&st_patch_savepoint, NULL) != DB_OK || db_defer(&st_user_update, params) != DB_OK ||
	    ((st = users_reload(c, old->id, out, e)) != CORE_OK && db_status() != DB_OK))
		st = users_unique_fail(e);
	buf_free(&json);
	if (st != CORE_OK)
		return st;
	if (!same_value(old, out, UF_EMAIL) &&
	    (st = rows_defer_on(&st_remove_tokens, old->id, "tokens", e)) != CORE_OK)
		return st;
	if (!user_changed(old, out)) {
		*out = *old;
		if ((r = db_exec(&st_patch_undo, NULL)) == NULL)
			return core_db_fail(e, "user");
		PQclear(r);
		return CORE_OK;
	}
	return users_audit(c, "user.update", old, out, NULL, e);
}

enum core_status
users_update(struct core_ctx *c, const struct user_ref *ref, const struct user_patch *p,
    int if_version, struct user *out, struct core_err *e)
{
	struct user		 old;
	enum core_status	 st;

	if ((st = users_change_begin(c, ref, if_version, &old, e)) != CORE_OK)
		return st;
	return core_end(users_update_in(c, &old, p, out, e), e);
}

enum core_status
users_set_level(struct core_ctx *c, const struct user_ref *ref, enum level to, unsigned from,
    struct user *out, struct core_err *e)
{
	struct user_patch	 p;
	struct user		 old;
	enum core_status	 st;

	memset(&p, 0, sizeof(p));
	if ((st = user_patch_set(c->arena, &p, UF_ACCESS_LEVEL, level_name(to), e)) != CORE_OK)
		return st;
	if ((st = users_change_begin(c, ref, CORE_ANY_VERSION, &old, e)) != CORE_OK)
		return st;
	if ((from & (1u << old.level)) == 0)
		return core_abort(core_fail(e, CORE_CONFLICT, "access_level",
		    "the user's access level is %s", level_name(old.level)));
	return core_end(users_update_in(c, &old, &p, out, e), e);
}

/* --- status ---------------------------------------------------------------------- */

DB_STMT(st_user_status, 5,
    "UPDATE gatehouse.users SET status = $2, disabled_reason = $3,"
    " summary_email = CASE WHEN $4 = 'off' THEN false WHEN $4 = 'on' THEN true ELSE summary_email END,"
    " failed_logins = CASE WHEN $5 THEN 0 ELSE failed_logins END,"
    " locked_until = CASE WHEN $5 THEN NULL ELSE locked_until END,"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_user_touch_login, 1,
    "UPDATE gatehouse.users SET last_login_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/* A user who was not disabled and now is hears of it, in the same transaction. */
static enum core_status
disabled_notice(struct core_ctx *c, const struct user *old, const struct user *u,
    struct core_err *e)
{
	struct mail_vars v = { NULL, u->val[UF_USERNAME], u->val[UF_FIRST_NAME], NULL, NULL,
	    u->disabled_reason };

	/* A provisioned user without an address of their own has nowhere to hear it. */
	if (old->status == US_DISABLED || u->status != US_DISABLED ||
	    user_email_placeholder(u->val[UF_EMAIL]))
		return CORE_OK;
	if (outbox_queue_mail(c, u->val[UF_EMAIL], MAIL_ACCOUNT_DISABLED, &v) != 0)
		return core_db_fail(e, "account-disabled e-mail");
	return CORE_OK;
}

static const char *const op_names[UOP__MAX] = { "user.disable", "user.enable", "user.suspend",
	"user.unsuspend", "user.unlock" };

/* UOP_DISABLE's reason: "admin" (default) or "inactivity". */
static enum core_status
op_reason(enum user_op op, const struct user_op_opts *o, const char **reason, struct core_err *e)
{
	*reason = NULL;
	if (op != UOP_DISABLE)
		return CORE_OK;
	*reason = o->reason ? o->reason : "admin";
	if (strcmp(*reason, "admin") != 0 && strcmp(*reason, "inactivity") != 0)
		return core_fail(e, CORE_INVALID, "reason", "reason must be admin or inactivity");
	return CORE_OK;
}

/*
 * Applies op to old (its row locked in the caller's transaction, the actor
 * allowed): the transition's rules, the write, the audit event, *out
 * reloaded. A transition to the current state leaves *out = *old.
 */
enum core_status
users_apply_in(struct core_ctx *c, const struct user *old, enum user_op op,
    const struct user_op_opts *o, struct user *out, struct core_err *e)
{
	enum user_status	 to = old->status;
	enum core_status	 st;
	const char		*reason, *summary = "keep", *params[5];
	char			 sid[24];
	bool			 clear_lock = false;

	/* The operations that choose by the current state. */
	if (op == UOP_TOGGLE_SUSPENSION)
		op = old->status == US_SUSPENDED ? UOP_UNSUSPEND : UOP_SUSPEND;
	else if (op == UOP_ACTIVATE)
		op = old->status == US_SUSPENDED ? UOP_UNSUSPEND : UOP_ENABLE;
	if ((st = op_reason(op, o, &reason, e)) != CORE_OK)
		return st;
	switch (op) {
	case UOP_DISABLE:
		to = US_DISABLED;
		summary = "off";	/* a disabled user gets no summary e-mail */
		break;
	case UOP_ENABLE:
		if (old->status == US_DISABLED)
			to = old->confirmed_at ? US_ACTIVE : US_PENDING;
		else if (old->status == US_SUSPENDED)
			return core_fail(e, CORE_CONFLICT, NULL, "the user is suspended: unsuspend instead");
		summary = old->status == US_DISABLED ? "on" : "keep";
		break;
	case UOP_SUSPEND:
		if (old->status == US_DISABLED || old->status == US_PENDING)
			return core_fail(e, CORE_CONFLICT, NULL,
			    "only an active user can be suspended (this one is %s)",
			    user_status_name(old->status));
		to = US_SUSPENDED;
		break;
	case UOP_UNSUSPEND:
		if (old->status != US_SUSPENDED && old->status != US_ACTIVE)
			return core_fail(e, CORE_CONFLICT, NULL, "the user is not suspended (it is %s)",
			    user_status_name(old->status));
		to = US_ACTIVE;
		break;
	case UOP_UNLOCK:
		/* Unlock clears a lockout and re-enables an account disabled for any reason. */
		clear_lock = true;
		if (old->status == US_DISABLED) {
			to = old->confirmed_at ? US_ACTIVE : US_PENDING;
			summary = "on";
		}
		break;
	default:
		return core_fail(e, CORE_INTERNAL, NULL, "unknown operation");
	}
	if (to == old->status && !clear_lock && !(op == UOP_DISABLE && reason &&
	    old->disabled_reason && strcmp(reason, old->disabled_reason) != 0)) {
		*out = *old;		/* already there: nothing to change or record */
		return CORE_OK;
	}
	if (to != US_ACTIVE && (st = keep_a_super(old, "disable or suspend", e)) != CORE_OK)
		return st;
	core_id_text(old->id, sid);
	params[0] = sid;
	params[1] = user_status_name(to);
	params[2] = to == US_DISABLED ? reason : NULL;
	params[3] = summary;
	params[4] = clear_lock ? "true" : "false";
	/* The updates travel with the reload: one round trip. */
	if (db_defer(&st_user_status, params) != DB_OK ||
	    (op == UOP_UNLOCK && o->reset_inactivity && db_defer(&st_user_touch_login, params) != DB_OK))
		return core_db_fail(e, "user");
	/* Who may not sign in is signed out. */
	if ((to == US_DISABLED || to == US_SUSPENDED) &&
	    (st = users_end_sessions(c, old->id, e)) != CORE_OK)
		return st;
	if ((st = users_reload(c, old->id, out, e)) != CORE_OK ||
	    (st = users_audit(c, op_names[op], old, out, NULL, e)) != CORE_OK)
		return st;
	return disabled_notice(c, old, out, e);
}

enum core_status
users_apply(struct core_ctx *c, const struct user_ref *ref, enum user_op op,
    const struct user_op_opts *o, struct user *out, struct core_err *e)
{
	return users_change(c, ref, NULL, op, o, out, e);
}

enum core_status
users_change(struct core_ctx *c, const struct user_ref *ref, const struct user_patch *p,
    enum user_op op, const struct user_op_opts *o, struct user *out, struct core_err *e)
{
	static const struct user_op_opts none = { NULL, false, CORE_ANY_VERSION };
	struct user		 old, mid;
	enum core_status	 st;
	const char		*reason;

	if (o == NULL)
		o = &none;
	if ((unsigned)op > UOP__MAX)
		return core_fail(e, CORE_INTERNAL, NULL, "unknown operation");
	if (op != UOP__MAX && (st = op_reason(op, o, &reason, e)) != CORE_OK)
		return st;
	if ((st = users_change_begin(c, ref, o->if_version, &old, e)) != CORE_OK)
		return st;
	mid = old;
	if (p != NULL && (st = users_update_in(c, &old, p, &mid, e)) != CORE_OK)
		return core_abort(st);
	*out = mid;
	if (op != UOP__MAX && (st = users_apply_in(c, &mid, op, o, out, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

DB_STMT(st_user_remove, 1,
    "UPDATE gatehouse.users SET status = 'removed', removed_at = now(), disabled_reason = NULL,"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_remove_groups, 1,
    "DELETE FROM gatehouse.group_members WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
/* Policies assigned to this user and to nobody and nothing else go with it. */
DB_STMT(st_remove_policies, 1,
    "DELETE FROM gatehouse.policies p WHERE p.org_id = gatehouse.current_org()"
    " AND EXISTS (SELECT 1 FROM gatehouse.policy_assignments a WHERE a.org_id = p.org_id"
    "   AND a.policy_id = p.id AND a.user_id = $1::bigint)"
    " AND NOT EXISTS (SELECT 1 FROM gatehouse.policy_assignments a WHERE a.org_id = p.org_id"
    "   AND a.policy_id = p.id AND (a.user_id IS NULL OR a.user_id <> $1::bigint))");
DB_STMT(st_remove_assignments, 1,
    "DELETE FROM gatehouse.policy_assignments WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
DB_STMT(st_remove_sessions, 1,
    "DELETE FROM gatehouse.sessions WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_remove_keys, 1,
    "UPDATE gatehouse.api_keys SET revoked_at = now() WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint AND revoked_at IS NULL");
DB_STMT(st_remove_cards, 1,
    "DELETE FROM gatehouse.smart_cards WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint");
DB_STMT(st_remove_workstations, 1,
    "DELETE FROM gatehouse.workstation_usernames WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
DB_STMT(st_remove_totp, 1,
    "DELETE FROM gatehouse.totp_credentials WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
DB_STMT(st_remove_webauthn, 1,
    "DELETE FROM gatehouse.webauthn_credentials WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint");
/* Its reports have no manager any more; their representation changes, so their versions do. */
DB_STMT(st_remove_reports, 1,
    "UPDATE gatehouse.users SET manager_id = NULL, version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND manager_id = $1::bigint");

/* Every session of the user but $2 (0: none kept). */
DB_STMT(st_end_sessions, 2,
    "DELETE FROM gatehouse.sessions WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint"
    " AND id <> $2::bigint");

enum core_status
users_end_sessions(struct core_ctx *c, int64_t user_id, struct core_err *e)
{
	char		 sid[CORE_ID_LEN], keep[CORE_ID_LEN];
	const char	*p[2] = { sid, keep };

	/* Users changing their own account from a page stay signed in there. */
	core_id_text(user_id, sid);
	core_id_text(c->actor != NULL && c->actor->user_id == user_id ? c->actor->session_id : 0,
	    keep);
	/* Nobody reads its answer: it travels with the next statement (inside a transaction). */
	if (db_defer(&st_end_sessions, p) != DB_OK)
		return core_db_fail(e, "sessions");
	return CORE_OK;
}

enum core_status
users_remove(struct core_ctx *c, const struct user_ref *ref, int if_version, struct core_err *e)
{
	/* The row stays for audit; what it held (cards, credentials, access) goes. */
	static struct db_stmt *const steps[] = { &st_remove_policies, &st_remove_assignments,
		&st_remove_groups, &st_remove_sessions, &st_remove_keys, &st_remove_tokens,
		&st_remove_cards, &st_remove_workstations, &st_remove_totp, &st_remove_webauthn,
		&st_remove_reports, &st_user_remove };
	struct user		 old, gone;
	enum core_status	 st;

	if ((st = users_change_begin(c, ref, if_version, &old, e)) != CORE_OK)
		return st;
	if ((st = keep_a_super(&old, "remove", e)) != CORE_OK)
		return core_abort(st);
	/* None is read: they travel with the audit row and the COMMIT, one round trip. */
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((st = rows_defer_on(steps[i], old.id, "user", e)) != CORE_OK)
			return core_abort(st);
	gone = old;
	gone.status = US_REMOVED;
	return core_end(users_audit(c, "user.remove", &old, &gone, NULL, e), e);
}

DB_STMT(st_password_hash, 1,
    "SELECT password_hash, coalesce(locked_until > now(), false) FROM gatehouse.users"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_password_guessed, 1,
    "UPDATE gatehouse.users SET failed_logins = 0 WHERE org_id = gatehouse.current_org()"
    " AND id = $1::bigint AND failed_logins <> 0");

/*
 * A user changing their own password proves they know the current one.
 * Guesses count like failed sign-ins, and enough of them lock the account:
 * a leaked key alone must not be an oracle for the password. *wrong: the
 * guess was wrong, and guessed_wrong must count it.
 */
static enum core_status
check_current(const struct user *u, const char *current, bool *wrong, struct core_err *e)
{
	PGresult	*r;
	bool		 rehash, locked;
	int		 ok;

	*wrong = false;
	if (!u->has_password)
		return CORE_OK;
	if (current == NULL)
		return core_fail(e, CORE_INVALID, "current_password",
		    "current_password is required to change your own password");
	if ((r = rows_on(&st_password_hash, u->id, NULL, "user", e)) == NULL)
		return e->status;
	locked = PQntuples(r) == 1 && db_bool(r, 0, 1);
	/* A locked account is not asked: no hash is spent on guesses. */
	ok = !locked && PQntuples(r) == 1 && db_value(r, 0, 0) != NULL &&
	    password_verify(current, db_value(r, 0, 0), &rehash) == 1;
	PQclear(r);
	if (locked)
		return core_fail(e, CORE_FORBIDDEN, "current_password",
		    "too many wrong passwords: the account is locked for a while (the org's "
		    "lockout_s), or until an admin unlocks it");
	if (ok)
		return rows_exec_on(&st_password_guessed, u->id, NULL, "user", e);
	*wrong = true;
	return core_fail(e, CORE_FORBIDDEN, "current_password", "current_password is not correct");
}

/* Counts a wrong guess, with its audit event, and commits that alone: the change was refused. */
static enum core_status
guessed_wrong(struct core_ctx *c, const struct user *u, struct core_err *e)
{
	struct core_err	 e2;
	bool		 locked;

	if (signin_count_failure(c, u->id, &locked, &e2) != CORE_OK)
		return core_abort(e->status);
	if (audit_write(c, "user.password_refused", "user", u->uid,
	    "{\"current_password\":{\"correct\":false}}") != 0)
		return core_abort(e->status);
	if (core_commit(&e2) != CORE_OK)
		*e = e2;
	return e->status;
}

enum core_status
users_set_password(struct core_ctx *c, const struct user_ref *ref, const char *pw,
    const char *current, struct core_err *e)
{
	struct user		 old;
	enum core_status	 st;
	char			 hash[PHC_MAX], sid[24];
	const char		*params[2] = { sid, hash };
	enum db_status		 deferred;
	size_t			 min;
	bool			 wrong = false;

	if (pw == NULL)
		return core_fail(e, CORE_INVALID, "password", "password is required");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, &old, e)) != CORE_OK)
		return core_abort(st);
	/* Users may set their own password; anyone else's needs admin over them. */
	if ((st = users_own_or_admin(c, &old, "set another user's password", e)) != CORE_OK)
		return core_abort(st);
	if (c->actor != NULL && c->actor->user_id == old.id &&
	    (st = check_current(&old, current, &wrong, e)) != CORE_OK)
		return wrong ? guessed_wrong(c, &old, e) : core_abort(st);
	if (strcmp(old.val[UF_AUTH_METHOD], "local") != 0)
		return core_abort(core_fail(e, CORE_INVALID, "password",
		    "accounts with %s sign-in have no password", old.val[UF_AUTH_METHOD]));
	if ((st = users_password_min(c, &min, e)) != CORE_OK ||
	    (st = users_check_password(pw, min, old.val[UF_USERNAME], old.val[UF_EMAIL], e)) != CORE_OK)
		return core_abort(st);
	if (password_hash(pw, hash) != 0)
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "password hashing failed"));
	core_id_text(old.id, sid);
	/* The update and the links' end travel with the reload: one round trip. */
	deferred = db_defer(&st_user_password, params);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (deferred != DB_OK)
		return core_abort(core_db_fail(e, "user"));
	if ((st = rows_defer_on(&st_remove_tokens, old.id, "tokens", e)) != CORE_OK ||
	    (st = users_end_sessions(c, old.id, e)) != CORE_OK ||
	    (st = users_reload(c, old.id, &old, e)) != CORE_OK ||
	    (st = audit_write(c, "user.password", "user", old.uid, "{\"password\":{\"changed\":true}}")
	    == 0 ? CORE_OK : core_db_fail(e, "audit event")) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* --- lists ----------------------------------------------------------------------- */

DB_STMT(st_page_records, 0, USER_PAGE_RECORDS);
DB_STMT(st_page_records_groups, 0, USER_PAGE_RECORDS_GROUPS);

/* A list's statements, as users_list_sql builds them. */
struct list_stmt {
	struct buf		 sql, count;
	struct fsql		 f;
	struct user_list_plan	 plan;
};

static enum core_status
list_stmt_build(struct core_ctx *c, const struct user_query *q, struct list_stmt *l,
    struct core_err *e)
{
	buf_init(&l->sql);
	buf_init(&l->count);
	return users_list_sql(c->arena, q, &l->sql, &l->count, &l->f, &l->plan, e);
}

static void
list_stmt_free(struct list_stmt *l)
{
	buf_free(&l->sql);
	buf_free(&l->count);
}

/*
 * Copies a page's rows (none when r is NULL) into page: a row per user, or
 * with q->groups a row per membership, a user's rows together and in the
 * list's order. The first row of the user past the page (read only to tell
 * there is one) ends it.
 */
static enum core_status
page_take(struct core_ctx *c, const struct user_query *q, const struct list_stmt *l,
    PGresult *r, struct user_page *page, struct core_err *e)
{
	size_t	 rows = r != NULL ? (size_t)PQntuples(r) : 0, n = 0, last = 0, most;
	bool	 more = false;

	/* No more users than rows, nor than the page takes. */
	most = rows < (size_t)q->limit ? rows : (size_t)q->limit;
	page->users = arena_alloc(c->arena, (most ? most : 1) * sizeof(*page->users));
	if (q->groups)
		page->groups = arena_alloc(c->arena, (rows ? rows : 1) * sizeof(*page->groups));
	if (page->users == NULL || (q->groups && page->groups == NULL))
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < rows; i++) {
		if (n == 0 || db_int(r, (int)i, 0) != page->users[n - 1].id) {
			if (n == most) {
				more = true;
				break;
			}
			user_from_row(c->arena, r, (int)i, &page->users[n++]);
			last = i;
		}
		if (q->groups && !PQgetisnull(r, (int)i, USER_NCOLS + 3))
			groups_membership_from_row(c->arena, r, (int)i, USER_NCOLS + 3,
			    &page->groups[page->ngroups++]);
	}
	page->n = n;
	if (more && n > 0)
		page->next_cursor = cursor_encode(c->arena, l->plan.sort, l->plan.desc,
		    db_value(r, (int)last, l->plan.sort_col), db_int(r, (int)last, 0));
	return CORE_OK;
}

/*
 * Runs a page (l, built for q) inside the transaction, in one round trip:
 * its ids into gatehouse.page, then their records in the list's order (with
 * their groups, when asked), and its count beside them. With look (a page of
 * one past the most a caller takes), that rides too: *over says whether it
 * found a user, and the page is then empty.
 */
static enum core_status
list_page(struct core_ctx *c, const struct user_query *q, struct list_stmt *l,
    struct list_stmt *look, bool *over, struct user_page *page, struct core_err *e)
{
	struct db_query	 rq[4];
	PGresult	*r;
	size_t		 nq = 0, count = 0;
	enum core_status st;

	/* The ids first, then their records; the look after, as it sets gatehouse.page too. */
	rq[nq++] = (struct db_query){ NULL, l->sql.data, l->f.nparams, l->f.params, NULL };
	rq[nq++] = (struct db_query){ q->groups ? &st_page_records_groups : &st_page_records, NULL, 0,
	    NULL, NULL };
	if (look != NULL)
		rq[nq++] = (struct db_query){ NULL, look->sql.data, look->f.nparams,
		    look->f.params, NULL };
	if (l->plan.count) {
		count = nq;
		rq[nq++] = (struct db_query){ NULL, l->count.data, l->plan.count_params,
		    l->f.params, NULL };
	}
	/* The statement's text (no values), for benchmarks that run it in psql too. */
	log_debug("list records: %s", rq[1].stmt->sql);
	if ((st = core_read(c, rq, nq, "user list", e)) != CORE_OK)
		return st;
	r = rq[1].res;
	page->total = l->plan.count ? db_int(rq[count].res, 0, 0) : -1;
	/* The look's ids: none, or the one past the most. */
	if (look != NULL)
		*over = *db_value(rq[2].res, 0, 0) != '\0';
	for (size_t i = 0; i < nq; i++)
		if (i != 1)
			PQclear(rq[i].res);
	st = page_take(c, q, l, look != NULL && *over ? NULL : r, page, e);
	PQclear(r);
	return st;
}

enum core_status
users_list_in(struct core_ctx *c, const struct user_query *q, struct user_page *page,
    struct core_err *e)
{
	struct list_stmt	 l;
	enum core_status	 st;

	memset(page, 0, sizeof(*page));
	if ((st = list_stmt_build(c, q, &l, e)) == CORE_OK)
		st = list_page(c, q, &l, NULL, NULL, page, e);
	list_stmt_free(&l);
	return st;
}

enum core_status
users_list_in_most(struct core_ctx *c, const struct user_query *q, size_t most, bool *over,
    struct user_page *page, struct core_err *e)
{
	struct user_query	 past = *q;
	struct list_stmt	 l, look;
	enum core_status	 st;

	memset(page, 0, sizeof(*page));
	*over = false;
	past.limit = 1;
	past.offset = (int)most;
	past.count = past.groups = false;
	past.cursor = NULL;
	if ((st = list_stmt_build(c, q, &l, e)) == CORE_OK &&
	    (st = list_stmt_build(c, &past, &look, e)) == CORE_OK)
		st = list_page(c, q, &l, &look, over, page, e);
	list_stmt_free(&l);
	list_stmt_free(&look);
	return st;
}

enum core_status
users_list(struct core_ctx *c, const struct user_query *q, struct user_page *page,
    struct core_err *e)
{
	return users_list_in(c, q, page, e);	/* a read of its own: one round trip */
}

enum core_status
users_actor_has_role(struct core_ctx *c, const char *role, bool *out, struct core_err *e)
{
	struct user_ref	 ref = { UKEY_UID, c->actor ? c->actor->user_uid : NULL };
	struct user	 u;
	enum core_status st;

	*out = false;
	if (ref.value == NULL)
		return CORE_OK;		/* a service key, or the operator: no product roles */
	if ((st = users_get(c, &ref, &u, e)) != CORE_OK)
		return st == CORE_NOT_FOUND ? CORE_OK : st;
	for (size_t i = 0; i < u.nroles; i++)
		*out |= strcmp(u.roles[i], role) == 0;
	return CORE_OK;
}
