/* users.c: the user domain's rules, each operation one transaction with one audit event. */
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
#include "gatehouse/outbox.h"
#include "gatehouse/password.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"

#define INVITE_TTL	(7 * 86400)

static const char *const employee_types[] = { "contractor", "employee", "non_employee", "auditor",
	"external", NULL };
static const char *const auth_methods[] = { "local", "ldap", "sso", "saml", "oauth2", NULL };
static const char *const levels[] = { "guest", "user", "admin", "super", NULL };
static const char *const statuses[] = { "pending", "active", "disabled", "suspended", NULL };

const struct ufield_def ufields[UF__MAX] = {
	[UF_USERNAME]		= { "username",		UFK_USERNAME,	100, NULL, false },
	[UF_EMAIL]		= { "email",		UFK_EMAIL,	254, NULL, false },
	[UF_FIRST_NAME]		= { "first_name",	UFK_TEXT,	100, NULL, false },
	[UF_MIDDLE_NAME]	= { "middle_name",	UFK_TEXT,	100, NULL, false },
	[UF_LAST_NAME]		= { "last_name",	UFK_TEXT,	100, NULL, false },
	[UF_PREFERRED_FIRST_NAME] = { "preferred_first_name", UFK_TEXT, 100, NULL, false },
	[UF_TITLE]		= { "title",		UFK_TEXT,	200, NULL, false },
	[UF_DEPARTMENT]		= { "department",	UFK_TEXT,	200, NULL, false },
	[UF_EMPLOYEE_TYPE]	= { "employee_type",	UFK_ENUM,	0, employee_types, false },
	[UF_START_DATE]		= { "start_date",	UFK_DATE,	0, NULL, true },
	[UF_END_DATE]		= { "end_date",		UFK_DATE,	0, NULL, true },
	[UF_IN_AUDIT_SCOPE]	= { "in_audit_scope",	UFK_BOOL,	0, NULL, false },
	[UF_AUTH_METHOD]	= { "auth_method",	UFK_ENUM,	0, auth_methods, false },
	[UF_TEAM]		= { "team",		UFK_TEAM,	100, NULL, true },
	[UF_ACCESS_LEVEL]	= { "access_level",	UFK_LEVEL,	0, levels, false },
	[UF_ROLES]		= { "roles",		UFK_ROLES,	64, NULL, false },
	[UF_NOTE]		= { "note",		UFK_TEXT,	4000, NULL, false },
	[UF_SUMMARY_EMAIL]	= { "summary_email",	UFK_BOOL,	0, NULL, false },
};

static const char *const status_names[US__MAX] = { "pending", "active", "disabled", "suspended",
	"removed" };

const char *
user_status_name(enum user_status s)
{
	return s < US__MAX ? status_names[s] : "removed";
}

int
ufield_find(const char *name)
{
	for (int i = 0; i < UF__MAX; i++)
		if (strcmp(ufields[i].name, name) == 0)
			return i;
	return -1;
}

static bool
role_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

enum core_status
user_patch_set(struct arena *a, struct user_patch *p, enum ufield f, const char *v,
    struct core_err *e)
{
	const struct ufield_def *d = &ufields[f];

	if (v == NULL) {
		if (!d->nullable)
			return core_fail(e, CORE_INVALID, d->name, "%s cannot be null", d->name);
		p->set[f] = true;
		p->val[f] = NULL;
		return CORE_OK;
	}
	switch (d->kind) {
	case UFK_TEXT:
		if (!valid_text(v, d->max))
			return core_fail(e, CORE_INVALID, d->name,
			    "%s must be at most %zu bytes of text", d->name, d->max);
		break;
	case UFK_USERNAME:
		if (!valid_username(v))
			return core_fail(e, CORE_INVALID, d->name,
			    "username must be 1 to 100 characters without spaces");
		break;
	case UFK_EMAIL:
		if (!valid_email(v))
			return core_fail(e, CORE_INVALID, d->name, "email must be a valid e-mail address");
		break;
	case UFK_ENUM:
	case UFK_LEVEL: {
		const char *canon = NULL;

		for (const char *const *c = d->choices; *c; c++)
			if (strcasecmp(*c, v) == 0)
				canon = *c;
		if (canon == NULL) {
			char list[128] = "";

			for (const char *const *c = d->choices; *c; c++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				    c == d->choices ? "" : ", ", *c);
			return core_fail(e, CORE_INVALID, d->name, "%s must be one of: %s", d->name, list);
		}
		v = canon;
		break;
	}
	case UFK_DATE:
		if (!valid_date(v))
			return core_fail(e, CORE_INVALID, d->name, "%s must be a date (YYYY-MM-DD)", d->name);
		break;
	case UFK_BOOL:
		if (strcasecmp(v, "true") == 0)
			v = "true";
		else if (strcasecmp(v, "false") == 0)
			v = "false";
		else
			return core_fail(e, CORE_INVALID, d->name, "%s must be true or false", d->name);
		break;
	case UFK_TEAM:
		if (*v == '\0') {
			v = NULL;
			break;
		}
		if (!valid_text(v, d->max))
			return core_fail(e, CORE_INVALID, d->name, "team must be a team name");
		break;
	case UFK_ROLES:
		if (!p->set[f])
			p->nroles = 0;
		p->set[f] = true;
		if (*v == '\0')
			return CORE_OK;		/* an empty value clears the set */
		if (!role_name_ok(v))
			return core_fail(e, CORE_INVALID, d->name,
			    "roles must be lowercase names (letters, digits, - and _)");
		for (size_t i = 0; i < p->nroles; i++)
			if (strcmp(p->roles[i], v) == 0)
				return CORE_OK;
		if (p->nroles >= USER_MAX_ROLES)
			return core_fail(e, CORE_INVALID, d->name, "at most %d roles", USER_MAX_ROLES);
		p->roles[p->nroles++] = v;
		return CORE_OK;
	}
	p->set[f] = true;
	p->val[f] = v ? arena_strdup(a, v) : NULL;
	return CORE_OK;
}

/* --- reading ----------------------------------------------------------------- */

#define USER_COLS \
	"u.id, u.uid, u.username, u.email, u.first_name, u.middle_name, u.last_name," \
	" u.preferred_first_name, u.title, u.department, u.employee_type, u.start_date::text," \
	" u.end_date::text, u.in_audit_scope, u.auth_method, t.name, u.access_level, u.roles," \
	" u.note, u.summary_email, u.status, u.disabled_reason, u.password_hash IS NOT NULL," \
	" EXISTS (SELECT 1 FROM gatehouse.totp_credentials c WHERE c.org_id = u.org_id" \
	"   AND c.user_id = u.id AND c.confirmed_at IS NOT NULL)," \
	" EXISTS (SELECT 1 FROM gatehouse.webauthn_credentials w WHERE w.org_id = u.org_id" \
	"   AND w.user_id = u.id)," \
	" gatehouse.iso(u.last_login_at), gatehouse.iso(u.invited_at), gatehouse.iso(u.confirmed_at)," \
	" gatehouse.iso(u.locked_until), gatehouse.iso(u.agent_acknowledged_at)," \
	" gatehouse.iso(u.created_at), gatehouse.iso(u.updated_at), u.version"
#define USER_NCOLS 33
#define USER_FROM \
	" FROM gatehouse.users u LEFT JOIN gatehouse.teams t" \
	" ON t.org_id = u.org_id AND t.id = u.team_id" \
	" WHERE u.org_id = gatehouse.current_org() AND u.status <> 'removed'"

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

static bool
colbool(PGresult *r, int row, int c)
{
	return !PQgetisnull(r, row, c) && PQgetvalue(r, row, c)[0] == 't';
}

/* Splits a text[] of plain words ("{a,b}") into the user's roles. */
static void
roles_parse(struct arena *a, const char *lit, struct user *u)
{
	char *copy, *tok, *save;
	size_t n = strlen(lit);

	u->nroles = 0;
	if (n < 3 || (copy = arena_strndup(a, lit + 1, n - 2)) == NULL)
		return;
	for (tok = strtok_r(copy, ",", &save); tok && u->nroles < USER_MAX_ROLES;
	    tok = strtok_r(NULL, ",", &save))
		u->roles[u->nroles++] = tok;
}

static void
user_from_row(struct arena *a, PGresult *r, int row, struct user *u)
{
	static const enum ufield textcols[] = {
		UF_USERNAME, UF_EMAIL, UF_FIRST_NAME, UF_MIDDLE_NAME, UF_LAST_NAME,
		UF_PREFERRED_FIRST_NAME, UF_TITLE, UF_DEPARTMENT, UF_EMPLOYEE_TYPE,
		UF_START_DATE, UF_END_DATE, UF_IN_AUDIT_SCOPE, UF_AUTH_METHOD, UF_TEAM,
		UF_ACCESS_LEVEL,
	};
	const char *st;

	memset(u, 0, sizeof(*u));
	u->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	u->uid = db_text(a, r, row, 1);
	for (size_t i = 0; i < sizeof(textcols) / sizeof(textcols[0]); i++)
		u->val[textcols[i]] = db_text(a, r, row, 2 + (int)i);
	u->val[UF_IN_AUDIT_SCOPE] = colbool(r, row, 13) ? "true" : "false";
	if (level_parse(PQgetvalue(r, row, 16), &u->level) != 0)
		u->level = LEVEL_GUEST;
	roles_parse(a, PQgetvalue(r, row, 17), u);
	u->val[UF_NOTE] = db_text(a, r, row, 18);
	u->val[UF_SUMMARY_EMAIL] = colbool(r, row, 19) ? "true" : "false";
	st = PQgetvalue(r, row, 20);
	u->status = US_REMOVED;
	for (int i = 0; i < US__MAX; i++)
		if (strcmp(st, status_names[i]) == 0)
			u->status = (enum user_status)i;
	u->disabled_reason = db_text(a, r, row, 21);
	u->has_password = colbool(r, row, 22);
	u->totp_enabled = colbool(r, row, 23);
	u->webauthn_enabled = colbool(r, row, 24);
	u->last_login_at = db_text(a, r, row, 25);
	u->invited_at = db_text(a, r, row, 26);
	u->confirmed_at = db_text(a, r, row, 27);
	u->locked_until = db_text(a, r, row, 28);
	u->agent_acknowledged_at = db_text(a, r, row, 29);
	u->created_at = db_text(a, r, row, 30);
	u->updated_at = db_text(a, r, row, 31);
	u->version = atoi(PQgetvalue(r, row, 32));
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
	PGresult	*r;
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
	if ((r = db_exec((lock ? locked : plain)[ref->kind], p)) == NULL)
		return core_db_fail(e, "user");
	if (PQntuples(r) != 1 || PQnfields(r) != USER_NCOLS) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such user");
	}
	user_from_row(c->arena, r, 0, u);
	PQclear(r);
	return CORE_OK;
}

enum core_status
users_get(struct core_ctx *c, const struct user_ref *ref, struct user *u, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, false, u, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
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
		    "a %s cannot change a user with access level %s",
		    level_name(core_actor_level(c)), level_name(target->level));
	return CORE_OK;
}

enum core_status
users_may_touch(const struct core_ctx *c, const struct user *target, struct core_err *e)
{
	return may_touch(c, target, e);
}

/* Only super may grant or revoke admin and super. */
static enum core_status
may_set_level(const struct core_ctx *c, enum level from, enum level to, struct core_err *e)
{
	if (from != to && (from >= LEVEL_ADMIN || to >= LEVEL_ADMIN) && core_actor_level(c) < LEVEL_SUPER)
		return core_fail(e, CORE_FORBIDDEN, "access_level",
		    "only a super may grant or revoke admin or super");
	return CORE_OK;
}

DB_STMT(st_other_supers, 1,
    "SELECT count(*) FROM (SELECT 1 FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND access_level = 'super' AND status = 'active' AND id <> $1 FOR UPDATE) s");

/*
 * Refuses a change that would leave the org without an active super. The
 * other supers' rows are locked so two concurrent demotions cannot both pass.
 */
static enum core_status
keep_a_super(const struct user *u, const char *what, struct core_err *e)
{
	char		 id[24];
	const char	*p[1] = { id };
	PGresult	*r;
	long		 others;

	if (u->level != LEVEL_SUPER || u->status != US_ACTIVE)
		return CORE_OK;
	core_id_text(u->id, id);
	if ((r = db_exec(&st_other_supers, p)) == NULL)
		return core_db_fail(e, "user");
	others = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
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
	char		 sid[24];
	const char	*p[1] = { sid };
	PGresult	*r;
	long		 n;

	core_id_text(u->id, sid);
	if ((r = db_exec(&st_memberships, p)) == NULL)
		return core_db_fail(e, "user");
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (n > 0)
		return core_fail(e, CORE_CONFLICT, "access_level",
		    "a guest cannot be in groups or policies: remove the user from them first");
	return CORE_OK;
}

/* --- writing ------------------------------------------------------------------- */

DB_STMT(st_team_id, 1,
    "SELECT id FROM gatehouse.teams WHERE org_id = gatehouse.current_org() AND lower(name) = lower($1)");
DB_STMT(st_roles_known, 1,
    "SELECT name, grants_level FROM gatehouse.product_roles"
    " WHERE org_id = gatehouse.current_org() AND name = ANY($1::text[])");

/*
 * Resolves the patch's team name and roles against the org, raising *level
 * when a role grants a higher one. Writes the database form of the patch
 * (a JSON object of column values) to out.
 */
static enum core_status
patch_json(struct core_ctx *c, const struct user_patch *p, enum level *level, struct buf *out,
    struct core_err *e)
{
	struct jsonw	 w;
	PGresult	*r;

	jsonw_init(&w, out);
	jsonw_obj_open(&w);
	for (int f = 0; f < UF__MAX; f++) {
		if (!p->set[f] || f == UF_TEAM || f == UF_ROLES || f == UF_ACCESS_LEVEL)
			continue;
		jsonw_key(&w, ufields[f].name);
		jsonw_str(&w, p->val[f]);
	}
	if (p->set[UF_TEAM]) {
		jsonw_key(&w, "team_id");
		if (p->val[UF_TEAM] == NULL)
			jsonw_null(&w);
		else {
			const char *q[1] = { p->val[UF_TEAM] };

			if ((r = db_exec(&st_team_id, q)) == NULL)
				return core_db_fail(e, "team");
			if (PQntuples(r) != 1) {
				PQclear(r);
				return core_fail(e, CORE_INVALID, "team", "no team named \"%.100s\"",
				    p->val[UF_TEAM]);
			}
			jsonw_str(&w, PQgetvalue(r, 0, 0));
			PQclear(r);
		}
	}
	if (p->set[UF_ROLES]) {
		struct buf	 lit;
		const char	*q[1];
		int		 found;

		buf_init(&lit);
		buf_putc(&lit, '{');
		for (size_t i = 0; i < p->nroles; i++)
			buf_printf(&lit, "%s%s", i ? "," : "", p->roles[i]);
		buf_putc(&lit, '}');
		q[0] = buf_cstr(&lit);
		r = db_exec(&st_roles_known, q);
		buf_free(&lit);
		if (r == NULL)
			return core_db_fail(e, "roles");
		found = PQntuples(r);
		for (int i = 0; i < found; i++) {
			enum level g;

			if (!PQgetisnull(r, i, 1) && level_parse(PQgetvalue(r, i, 1), &g) == 0 && g > *level)
				*level = g;
		}
		PQclear(r);
		if ((size_t)found != p->nroles)
			return core_fail(e, CORE_INVALID, "roles", "roles must be in the org's catalogue");
		jsonw_key(&w, "roles");
		jsonw_arr_open(&w);
		for (size_t i = 0; i < p->nroles; i++)
			jsonw_str(&w, p->roles[i]);
		jsonw_arr_close(&w);
	}
	jsonw_kstr(&w, "access_level", level_name(*level));
	jsonw_obj_close(&w);
	return out->failed ? core_fail(e, CORE_INTERNAL, NULL, "out of memory") : CORE_OK;
}

/* Maps a uniqueness violation to the field it concerns. */
static enum core_status
unique_fail(struct core_err *e)
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

/* True when any attribute, role or the status differs. */
static bool
user_changed(const struct user *a, const struct user *b)
{
	if (a->status != b->status || a->level != b->level || a->nroles != b->nroles)
		return true;
	for (int f = 0; f < UF__MAX; f++)
		if ((a->val[f] == NULL) != (b->val[f] == NULL) ||
		    (a->val[f] != NULL && strcmp(a->val[f], b->val[f]) != 0))
			return true;
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i], b->roles[i]) != 0)
			return true;
	return false;
}

static enum core_status
audit_user(struct core_ctx *c, const char *action, const struct user *old, const struct user *new,
    const char *extra_key, struct core_err *e)
{
	struct buf	b;
	int		rc;

	buf_init(&b);
	diff_json(old, new, &b);
	if (extra_key != NULL) {
		/* A secret's change is recorded as a fact, never its value. */
		buf_printf(&b, "%s\"%s\":{\"changed\":true}", b.len > 1 ? "," : "", extra_key);
	}
	buf_putc(&b, '}');
	rc = b.failed ? -1 : audit_write(c, action, "user", new->uid, b.data);
	buf_free(&b);
	return rc == 0 ? CORE_OK : core_db_fail(e, "audit event");
}

DB_STMT(st_user_insert, 3,
    "INSERT INTO gatehouse.users (org_id, username, email, first_name, middle_name, last_name,"
    " preferred_first_name, title, department, employee_type, start_date, end_date,"
    " in_audit_scope, auth_method, team_id, access_level, roles, note, summary_email,"
    " status, password_hash, invited_at, confirmed_at)"
    " SELECT gatehouse.current_org(), p->>'username', p->>'email',"
    "  coalesce(p->>'first_name', ''), coalesce(p->>'middle_name', ''), coalesce(p->>'last_name', ''),"
    "  coalesce(p->>'preferred_first_name', ''), coalesce(p->>'title', ''),"
    "  coalesce(p->>'department', ''), coalesce(p->>'employee_type', 'employee'),"
    "  (p->>'start_date')::date, (p->>'end_date')::date,"
    "  coalesce((p->>'in_audit_scope')::boolean, true), coalesce(p->>'auth_method', 'local'),"
    "  (p->>'team_id')::bigint, p->>'access_level',"
    "  coalesce(ARRAY(SELECT jsonb_array_elements_text(p->'roles')), '{}'),"
    "  coalesce(p->>'note', ''), coalesce((p->>'summary_email')::boolean, true),"
    "  $2, $3, CASE WHEN $2 = 'pending' THEN now() END, CASE WHEN $2 = 'active' THEN now() END"
    " FROM (SELECT $1::jsonb AS p) x RETURNING id");

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
    " version = u.version + 1, updated_at = now()"
    " FROM (SELECT $2::jsonb AS p) x"
    " WHERE u.org_id = gatehouse.current_org() AND u.id = $1::bigint");
#undef SETCOL

DB_STMT(st_user_password, 2,
    "UPDATE gatehouse.users SET password_hash = $2, password_changed_at = now(),"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/* Reloads a user by id after a change, inside the transaction. */
static enum core_status
reload(struct core_ctx *c, int64_t id, struct user *u, struct core_err *e)
{
	char		 sid[24];
	struct user_ref	 ref = { UKEY_ID, sid };

	core_id_text(id, sid);
	return load(c, &ref, false, u, e);
}

DB_STMT(st_password_min, 0, "SELECT password_min FROM gatehouse.orgs WHERE id = gatehouse.current_org()");

/* Checks pw against the org's policy; runs inside a transaction. */
static enum core_status
check_password(const char *pw, const char *username, const char *email, struct core_err *e)
{
	char		 msg[160];
	enum pw_check	 pc;
	PGresult	*r;
	size_t		 min;

	if ((r = db_exec(&st_password_min, NULL)) == NULL)
		return core_db_fail(e, "org");
	min = PQntuples(r) == 1 ? (size_t)atoi(PQgetvalue(r, 0, 0)) : 12;
	PQclear(r);
	if ((pc = password_check(pw, min, username, email)) != PW_OK)
		return core_fail(e, CORE_INVALID, "password", "%s",
		    password_check_message(pc, min, msg, sizeof(msg)));
	return CORE_OK;
}

/*
 * Checks a create request without touching the database: the credential
 * rules and who may grant the requested level. Fills the effective patch
 * (username defaults to the e-mail) and level.
 */
static enum core_status
create_checks(const struct core_ctx *c, const struct user_create *req, struct user_patch *eff,
    enum level *level, struct core_err *e)
{
	const struct user_patch	*p = &req->p;
	const char		*auth;

	if (!p->set[UF_EMAIL])
		return core_fail(e, CORE_INVALID, "email", "email is required");
	*eff = *p;
	if (!p->set[UF_USERNAME]) {
		/* The copy is a username like any other, and must pass its check. */
		if (!valid_username(p->val[UF_EMAIL]))
			return core_fail(e, CORE_INVALID, "username",
			    "username defaults to the e-mail, which is not a valid username; give one");
		eff->set[UF_USERNAME] = true;
		eff->val[UF_USERNAME] = p->val[UF_EMAIL];
	}
	*level = LEVEL_USER;
	if (p->set[UF_ACCESS_LEVEL])
		level_parse(p->val[UF_ACCESS_LEVEL], level);
	auth = p->set[UF_AUTH_METHOD] ? p->val[UF_AUTH_METHOD] : "local";
	if (req->password != NULL && req->invite)
		return core_fail(e, CORE_INVALID, "password",
		    "give a password or an invitation, not both");
	if (req->password != NULL && strcmp(auth, "local") != 0)
		return core_fail(e, CORE_INVALID, "password",
		    "accounts with %s sign-in have no password", auth);
	if (req->password == NULL && !req->invite && !req->keys_only && strcmp(auth, "local") == 0)
		return core_fail(e, CORE_INVALID, "password",
		    "a local account needs a password or an invitation");
	return may_set_level(c, LEVEL_USER, *level, e);
}

/*
 * Inserts one checked user inside the caller's transaction, with its
 * invitation and audit event. hash is the PHC string, or "" for none.
 */
static enum core_status
create_insert(struct core_ctx *c, const struct user_create *req, const struct user_patch *eff,
    enum level level, const char *hash, struct user *out, struct core_err *e)
{
	char			 token[APIKEY_MAX] = "";
	const char		*params[3];
	struct buf		 json;
	enum core_status	 st;
	PGresult		*r;
	int64_t			 id;

	buf_init(&json);
	if ((st = patch_json(c, eff, &level, &json, e)) != CORE_OK ||
	    (st = may_set_level(c, LEVEL_USER, level, e)) != CORE_OK) {	/* a role may lift it */
		buf_free(&json);
		return st;
	}
	params[0] = json.data;
	params[1] = req->invite ? "pending" : "active";
	params[2] = hash[0] ? hash : NULL;
	r = db_exec(&st_user_insert, params);
	buf_free(&json);
	if (r == NULL) {
		st = unique_fail(e);
		/* A username the client did not send was its e-mail: name that field. */
		if (st == CORE_CONFLICT && !req->p.set[UF_USERNAME] && strcmp(e->field, "username") == 0)
			core_fail(e, CORE_CONFLICT, "email", "email is already in use as a username");
		return st;
	}
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if ((st = reload(c, id, out, e)) != CORE_OK)
		return st;
	if (req->invite) {
		if (token_issue(c, id, TOKEN_REGISTRATION, INVITE_TTL, token) != 0)
			return core_db_fail(e, "invitation");
		if (req->send_email) {
			struct buf	pl;
			struct jsonw	w;
			int		rc;

			/* The mailer needs the token to build the link, and clears it once sent. */
			buf_init(&pl);
			jsonw_init(&w, &pl);
			jsonw_obj_open(&w);
			jsonw_kstr(&w, "username", eff->val[UF_USERNAME]);
			jsonw_kstr(&w, "token", token);
			jsonw_obj_close(&w);
			rc = pl.failed ? -1 : outbox_queue(c, eff->val[UF_EMAIL], "registration", pl.data);
			buf_wipe(&pl);
			buf_free(&pl);
			OPENSSL_cleanse(token, sizeof(token));
			if (rc != 0)
				return core_db_fail(e, "invitation e-mail");
		}
		OPENSSL_cleanse(token, sizeof(token));
	}
	return audit_user(c, "user.create", NULL, out, req->password ? "password" : NULL, e);
}

/*
 * Checks every requested password against the org's policy, in one short
 * transaction of its own; a failing item gets its own result. Returns a
 * status other than CORE_OK only when the check itself could not run.
 */
static enum core_status
password_policies(struct core_ctx *c, const struct user_create *reqs,
    const struct user_patch *effs, struct user_result *res, size_t n, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK || reqs[i].password == NULL)
			continue;
		st = check_password(reqs[i].password, effs[i].val[UF_USERNAME], effs[i].val[UF_EMAIL],
		    &res[i].err);
		if (st != CORE_OK && st != CORE_INVALID) {
			*e = res[i].err;
			return core_abort(st);
		}
		res[i].status = st;
	}
	db_rollback();
	return CORE_OK;
}

enum core_status
users_create(struct core_ctx *c, const struct user_create *req, struct user *out,
    struct core_err *e)
{
	struct user_result res;
	size_t failed;

	if (users_create_many(c, req, 1, true, &res, &failed) != CORE_OK) {
		*e = res.err;
		return res.status;
	}
	*out = res.user;
	return CORE_OK;
}

enum core_status
users_create_many(struct core_ctx *c, const struct user_create *reqs, size_t n, bool atomic,
    struct user_result *res, size_t *failed)
{
	struct user_patch	*effs;
	enum level		*lvls;
	const char		**pws;		/* the passwords to hash, packed */
	size_t			*at, npw = 0;	/* pws[k] belongs to item at[k] */
	char			(*hashes)[PHC_MAX], (*packed)[PHC_MAX];
	enum core_status	 st = CORE_OK;

	*failed = n;
	memset(res, 0, n * sizeof(*res));
	effs = arena_alloc(c->arena, n * sizeof(*effs));
	lvls = arena_alloc(c->arena, n * sizeof(*lvls));
	pws = arena_alloc(c->arena, n * sizeof(*pws));
	at = arena_alloc(c->arena, n * sizeof(*at));
	hashes = calloc(n, sizeof(*hashes));
	packed = calloc(n, sizeof(*packed));
	if (effs == NULL || lvls == NULL || pws == NULL || at == NULL || hashes == NULL ||
	    packed == NULL) {
		free(hashes);
		free(packed);
		*failed = 0;
		return res[0].status = core_fail(&res[0].err, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		res[i].status = create_checks(c, &reqs[i], &effs[i], &lvls[i], &res[i].err);
	if ((st = password_policies(c, reqs, effs, res, n, &res[0].err)) != CORE_OK) {
		res[0].status = st;
		*failed = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK && atomic) {
			*failed = i;
			st = res[i].status;
			goto out;
		}
		if (res[i].status == CORE_OK && reqs[i].password != NULL) {
			pws[npw] = reqs[i].password;
			at[npw++] = i;
		}
	}
	/* The slow part, on every core, before any lock is taken. */
	if (npw > 0 && password_hash_many(pws, npw, packed, 0) != 0) {
		*failed = 0;
		st = res[0].status = core_fail(&res[0].err, CORE_INTERNAL, NULL, "password hashing failed");
		goto out;
	}
	for (size_t k = 0; k < npw; k++)
		memcpy(hashes[at[k]], packed[k], PHC_MAX);
	for (size_t i = 0; i < n; i++)
		if (res[i].status == CORE_OK && reqs[i].invite && password_unusable(hashes[i]) != 0) {
			*failed = i;
			st = res[i].status = core_fail(&res[i].err, CORE_INTERNAL, NULL,
			    "random number generator failed");
			goto out;
		}

	if (atomic) {
		/* All or nothing: one transaction. */
		if ((st = core_begin(c, &res[0].err)) != CORE_OK) {
			res[0].status = st;
			*failed = 0;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if ((st = create_insert(c, &reqs[i], &effs[i], lvls[i], hashes[i],
			    &res[i].user, &res[i].err)) != CORE_OK) {
				res[i].status = st;
				*failed = i;
				core_abort(st);
				goto out;
			}
		if ((st = core_commit(&res[0].err)) != CORE_OK) {
			res[0].status = st;
			*failed = 0;
		}
		goto out;
	}
	/* Per item: each its own transaction and result. */
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK)
			continue;
		if ((res[i].status = core_begin(c, &res[i].err)) != CORE_OK)
			continue;
		if ((res[i].status = create_insert(c, &reqs[i], &effs[i], lvls[i], hashes[i],
		    &res[i].user, &res[i].err)) != CORE_OK)
			core_abort(res[i].status);
		else
			res[i].status = core_commit(&res[i].err);
	}
out:
	OPENSSL_cleanse(hashes, n * sizeof(*hashes));
	OPENSSL_cleanse(packed, n * sizeof(*packed));
	free(hashes);
	free(packed);
	return st;
}

enum core_status
users_update(struct core_ctx *c, const struct user_ref *ref, const struct user_patch *p,
    int if_version, struct user *out, struct core_err *e)
{
	struct user		 old;
	struct buf		 json;
	enum level		 level;
	enum core_status	 st;
	char			 sid[24];
	const char		*params[2];
	PGresult		*r;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, &old, e)) != CORE_OK)
		return core_abort(st);
	if ((st = core_check_version(old.version, if_version, "user", e)) != CORE_OK)
		return core_abort(st);
	if ((st = may_touch(c, &old, e)) != CORE_OK)
		return core_abort(st);
	level = old.level;
	if (p->set[UF_ACCESS_LEVEL])
		level_parse(p->val[UF_ACCESS_LEVEL], &level);
	buf_init(&json);
	if ((st = patch_json(c, p, &level, &json, e)) != CORE_OK ||
	    (st = may_set_level(c, old.level, level, e)) != CORE_OK ||
	    (level < LEVEL_SUPER && (st = keep_a_super(&old, "demote", e)) != CORE_OK) ||
	    (level == LEVEL_GUEST && old.level > LEVEL_GUEST &&
	    (st = no_memberships(&old, e)) != CORE_OK)) {
		buf_free(&json);
		return core_abort(st);
	}
	core_id_text(old.id, sid);
	params[0] = sid;
	params[1] = json.data;
	r = db_exec(&st_user_update, params);
	buf_free(&json);
	if (r == NULL)
		return core_abort(unique_fail(e));
	PQclear(r);
	if ((st = reload(c, old.id, out, e)) != CORE_OK)
		return core_abort(st);
	if (!user_changed(&old, out)) {
		/* Nothing differs: undo the version bump, record nothing. */
		*out = old;
		db_rollback();
		return CORE_OK;
	}
	if ((st = audit_user(c, "user.update", &old, out, NULL, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
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

static const char *const op_names[UOP__MAX] = { "user.disable", "user.enable", "user.suspend",
	"user.unsuspend", "user.unlock" };

enum core_status
users_apply(struct core_ctx *c, const struct user_ref *ref, enum user_op op,
    const struct user_op_opts *o, struct user *out, struct core_err *e)
{
	static const struct user_op_opts none = { NULL, false, CORE_ANY_VERSION };
	struct user		 old;
	enum user_status	 to;
	enum core_status	 st;
	const char		*reason = NULL, *summary = "keep", *params[5];
	char			 sid[24];
	bool			 clear_lock = false;
	PGresult		*r;

	if (o == NULL)
		o = &none;
	if (op == UOP_DISABLE) {
		reason = o->reason ? o->reason : "admin";
		if (strcmp(reason, "admin") != 0 && strcmp(reason, "inactivity") != 0)
			return core_fail(e, CORE_INVALID, "reason", "reason must be admin or inactivity");
	}
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, &old, e)) != CORE_OK)
		return core_abort(st);
	if ((st = may_touch(c, &old, e)) != CORE_OK ||
	    (st = core_check_version(old.version, o->if_version, "user", e)) != CORE_OK)
		return core_abort(st);
	to = old.status;
	switch (op) {
	case UOP_DISABLE:
		to = US_DISABLED;
		summary = "off";	/* a disabled user gets no summary e-mail */
		break;
	case UOP_ENABLE:
		if (old.status == US_DISABLED)
			to = old.confirmed_at ? US_ACTIVE : US_PENDING;
		else if (old.status == US_SUSPENDED)
			return core_abort(core_fail(e, CORE_CONFLICT, NULL,
			    "the user is suspended: unsuspend instead"));
		summary = old.status == US_DISABLED ? "on" : "keep";
		break;
	case UOP_SUSPEND:
		if (old.status == US_DISABLED || old.status == US_PENDING)
			return core_abort(core_fail(e, CORE_CONFLICT, NULL,
			    "only an active user can be suspended (this one is %s)",
			    user_status_name(old.status)));
		to = US_SUSPENDED;
		break;
	case UOP_UNSUSPEND:
		if (old.status != US_SUSPENDED && old.status != US_ACTIVE)
			return core_abort(core_fail(e, CORE_CONFLICT, NULL,
			    "the user is not suspended (it is %s)", user_status_name(old.status)));
		to = US_ACTIVE;
		break;
	case UOP_UNLOCK:
		/* Unlock clears a lockout and re-enables an account disabled for any reason. */
		clear_lock = true;
		if (old.status == US_DISABLED) {
			to = old.confirmed_at ? US_ACTIVE : US_PENDING;
			summary = "on";
		}
		break;
	default:
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "unknown operation"));
	}
	if (to == old.status && !clear_lock && !(op == UOP_DISABLE && reason &&
	    old.disabled_reason && strcmp(reason, old.disabled_reason) != 0)) {
		*out = old;		/* already there: nothing to change or record */
		return core_commit(e);
	}
	if (to != US_ACTIVE && (st = keep_a_super(&old, "disable or suspend", e)) != CORE_OK)
		return core_abort(st);
	core_id_text(old.id, sid);
	params[0] = sid;
	params[1] = user_status_name(to);
	params[2] = to == US_DISABLED ? reason : NULL;
	params[3] = summary;
	params[4] = clear_lock ? "true" : "false";
	if ((r = db_exec(&st_user_status, params)) == NULL)
		return core_abort(core_db_fail(e, "user"));
	PQclear(r);
	if (op == UOP_UNLOCK && o->reset_inactivity) {
		if ((r = db_exec(&st_user_touch_login, params)) == NULL)
			return core_abort(core_db_fail(e, "user"));
		PQclear(r);
	}
	if ((st = reload(c, old.id, out, e)) != CORE_OK ||
	    (st = audit_user(c, op_names[op], &old, out, NULL, e)) != CORE_OK)
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
DB_STMT(st_remove_tokens, 1,
    "UPDATE gatehouse.tokens SET used_at = now() WHERE org_id = gatehouse.current_org()"
    " AND user_id = $1::bigint AND used_at IS NULL");

enum core_status
users_remove(struct core_ctx *c, const struct user_ref *ref, int if_version, struct core_err *e)
{
	/* The row stays for audit; what it held (cards, credentials, access) goes. */
	static struct db_stmt *const steps[] = { &st_remove_policies, &st_remove_assignments,
		&st_remove_groups, &st_remove_sessions, &st_remove_keys, &st_remove_tokens,
		&st_remove_cards, &st_remove_workstations, &st_remove_totp, &st_remove_webauthn,
		&st_user_remove };
	struct user		 old, gone;
	enum core_status	 st;
	char			 sid[24];
	const char		*params[1] = { sid };
	PGresult		*r;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, &old, e)) != CORE_OK)
		return core_abort(st);
	if ((st = core_check_version(old.version, if_version, "user", e)) != CORE_OK)
		return core_abort(st);
	if ((st = may_touch(c, &old, e)) != CORE_OK ||
	    (st = keep_a_super(&old, "remove", e)) != CORE_OK)
		return core_abort(st);
	core_id_text(old.id, sid);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if ((r = db_exec(steps[i], params)) == NULL)
			return core_abort(core_db_fail(e, "user"));
		PQclear(r);
	}
	gone = old;
	gone.status = US_REMOVED;
	if ((st = audit_user(c, "user.remove", &old, &gone, NULL, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

DB_STMT(st_password_hash, 1,
    "SELECT password_hash FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND id = $1::bigint");

/* A user changing their own password proves they know the current one. */
static enum core_status
check_current(const struct user *u, const char *current, struct core_err *e)
{
	char		 sid[24];
	const char	*p[1] = { sid };
	PGresult	*r;
	bool		 rehash;
	int		 ok;

	if (!u->has_password)
		return CORE_OK;
	if (current == NULL)
		return core_fail(e, CORE_INVALID, "current_password",
		    "current_password is required to change your own password");
	core_id_text(u->id, sid);
	if ((r = db_exec(&st_password_hash, p)) == NULL)
		return core_db_fail(e, "user");
	ok = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
	    password_verify(current, PQgetvalue(r, 0, 0), &rehash) == 1;
	PQclear(r);
	return ok ? CORE_OK : core_fail(e, CORE_FORBIDDEN, "current_password",
	    "current_password is not correct");
}

enum core_status
users_set_password(struct core_ctx *c, const struct user_ref *ref, const char *pw,
    const char *current, struct core_err *e)
{
	struct user		 old;
	enum core_status	 st;
	char			 hash[PHC_MAX], sid[24];
	const char		*params[2] = { sid, hash };
	PGresult		*r;

	if (pw == NULL)
		return core_fail(e, CORE_INVALID, "password", "password is required");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, ref, true, &old, e)) != CORE_OK)
		return core_abort(st);
	/* Users may set their own password; anyone else's needs admin over them. */
	if (c->actor != NULL && c->actor->user_id != old.id &&
	    (core_actor_level(c) < LEVEL_ADMIN || (st = may_touch(c, &old, e)) != CORE_OK))
		return core_abort(st != CORE_OK ? st :
		    core_fail(e, CORE_FORBIDDEN, NULL, "only an admin may set another user's password"));
	if (c->actor != NULL && c->actor->user_id == old.id &&
	    (st = check_current(&old, current, e)) != CORE_OK)
		return core_abort(st);
	if (strcmp(old.val[UF_AUTH_METHOD], "local") != 0)
		return core_abort(core_fail(e, CORE_INVALID, "password",
		    "accounts with %s sign-in have no password", old.val[UF_AUTH_METHOD]));
	if ((st = check_password(pw, old.val[UF_USERNAME], old.val[UF_EMAIL], e)) != CORE_OK)
		return core_abort(st);
	if (password_hash(pw, hash) != 0)
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "password hashing failed"));
	core_id_text(old.id, sid);
	r = db_exec(&st_user_password, params);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (r == NULL)
		return core_abort(core_db_fail(e, "user"));
	PQclear(r);
	if ((st = reload(c, old.id, &old, e)) != CORE_OK ||
	    (st = audit_write(c, "user.password", "user", old.uid, "{\"password\":{\"changed\":true}}")
	    == 0 ? CORE_OK : core_db_fail(e, "audit event")) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* --- lists ----------------------------------------------------------------------- */

/* Wildcard searches that trigram indexes serve, through the org-scoped search function. */
#define USER_LIKE(f)	"u.id IN (SELECT gatehouse.user_ids_like('" f "', ", "))", NULL
const struct ffield user_filter_fields[] = {
	{ "id",			"u.id",			FT_INT,  NULL, NULL, NULL, NULL },
	{ "uid",		"u.uid",		FT_UUID, NULL, NULL, NULL, NULL },
	{ "username",		"u.username_lc",	FT_LOWER, NULL, USER_LIKE("username") },
	{ "email",		"u.email_lc",		FT_LOWER, NULL,
	  "u.id IN (SELECT gatehouse.user_ids_like('email', ", "))", "u.email_rev_lc" },
	{ "first_name",		"u.first_name",		FT_TEXT, NULL, USER_LIKE("first_name") },
	{ "middle_name",	"u.middle_name",	FT_TEXT, NULL, NULL, NULL, NULL },
	{ "last_name",		"u.last_name",		FT_TEXT, NULL, USER_LIKE("last_name") },
	{ "preferred_first_name", "u.preferred_first_name", FT_TEXT, NULL, NULL, NULL, NULL },
	{ "title",		"u.title",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "department",		"u.department",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "employee_type",	"u.employee_type",	FT_ENUM, employee_types, NULL, NULL, NULL },
	{ "start_date",		"u.start_date",		FT_DATE, NULL, NULL, NULL, NULL },
	{ "end_date",		"u.end_date",		FT_DATE, NULL, NULL, NULL, NULL },
	{ "in_audit_scope",	"u.in_audit_scope",	FT_BOOL, NULL, NULL, NULL, NULL },
	{ "auth_method",	"u.auth_method",	FT_ENUM, auth_methods, NULL, NULL, NULL },
	{ "team",		"t.name",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "access_level",	"u.access_level",	FT_ENUM, levels, NULL, NULL, NULL },
	{ "status",		"u.status",		FT_ENUM, statuses, NULL, NULL, NULL },
	{ "note",		"u.note",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "summary_email",	"u.summary_email",	FT_BOOL, NULL, NULL, NULL, NULL },
	{ "created_at",		"u.created_at",		FT_TIME, NULL, NULL, NULL, NULL },
	{ "updated_at",		"u.updated_at",		FT_TIME, NULL, NULL, NULL, NULL },
	{ "last_login_at",	"u.last_login_at",	FT_TIME, NULL, NULL, NULL, NULL },
	{ "invited_at",		"u.invited_at",		FT_TIME, NULL, NULL, NULL, NULL },
};
const size_t user_filter_nfields = sizeof(user_filter_fields) / sizeof(user_filter_fields[0]);

/* Orderings the indexes serve; each key is unique among listed users or ends in the id. */
struct usort {
	const char	*name;
	const char	*expr;		/* sort key */
	const char	*cast;		/* for the cursor value */
	bool		 unique;	/* no id tie-breaker needed */
};
static const struct usort usorts[] = {
	{ "id",		"u.id",			"::bigint",	 true },
	{ "username",	"u.username_lc",	"::text COLLATE \"C\"", true },
	{ "email",	"u.email_lc",		"::text COLLATE \"C\"", true },
	{ "created_at",	"u.created_at",		"::timestamptz", false },
};

/* A cursor's sort value must be of its sort's type, so a tampered one is the cursor's error. */
static bool
cursor_value_ok(const struct usort *so, const char *v)
{
	size_t n = strlen(v);

	if (strcmp(so->name, "id") == 0)
		return valid_id(v);
	if (strcmp(so->name, "created_at") == 0)
		return n >= 10 && n <= 40 && strspn(v, "0123456789-:. +T") == n;
	return valid_text(v, 254);
}

enum core_status
users_list(struct core_ctx *c, const struct user_query *q, struct user_page *page,
    struct core_err *e)
{
	const struct usort	*so = &usorts[0];
	const char		*sort = q->sort ? q->sort : "id";
	bool			 desc = false;
	struct buf		 sql;
	struct fsql		 f;
	char			 lim[16], off[16];
	enum core_status	 st;
	PGresult		*r;
	int			 limit = q->limit;

	memset(page, 0, sizeof(*page));
	if ((st = core_check_page(limit, e)) != CORE_OK)
		return st;
	if (*sort == '-') {
		desc = true;
		sort++;
	}
	so = NULL;
	for (size_t i = 0; i < sizeof(usorts) / sizeof(usorts[0]); i++)
		if (strcmp(usorts[i].name, sort) == 0)
			so = &usorts[i];
	if (so == NULL)
		return core_fail(e, CORE_INVALID, "sort",
		    "sort must be id, username, email or created_at (prefix - for descending)");

	buf_init(&sql);
	memset(&f, 0, sizeof(f));
	f.sql = &sql;
	f.first_param = 1;
	buf_printf(&sql, "SELECT " USER_COLS ", %s::text" USER_FROM, so->expr);
	if (filter_terms(q->filter) > FILTER_MAX_TERMS) {
		buf_free(&sql);
		return core_fail(e, CORE_INVALID, "q", "a list takes at most %d filter terms in all",
		    FILTER_MAX_TERMS);
	}
	if (q->filter != NULL) {
		buf_puts(&sql, " AND ");
		if (filter_compile(c->arena, q->filter, user_filter_fields, user_filter_nfields,
		    "not filterable by ", &f, e) != 0) {
			buf_free(&sql);
			return CORE_INVALID;
		}
	}
	/*
	 * The compiler stops at FILTER_MAX_PARAMS, so the cursor's two and
	 * limit and offset fit in the FSQL_EXTRA_PARAMS it leaves.
	 */
	if (q->cursor != NULL) {
		char *raw = cursor_decode(c->arena, q->cursor), *parts[4], *save = NULL;
		int n = 0;

		for (char *t = raw ? strtok_r(raw, "\n", &save) : NULL; t && n < 4;
		    t = strtok_r(NULL, "\n", &save))
			parts[n++] = t;
		if (n != 4 || strcmp(parts[0], so->name) != 0 || parts[1][0] != (desc ? 'd' : 'a') ||
		    !valid_id(parts[3]) || !cursor_value_ok(so, parts[2])) {
			buf_free(&sql);
			return core_fail(e, CORE_INVALID, "cursor",
			    "cursor is not from a list with this sort");
		}
		if (so->unique)
			buf_printf(&sql, " AND %s %c $%d%s", so->expr, desc ? '<' : '>',
			    fsql_param(&f, parts[2]), so->cast);
		else
			buf_printf(&sql, " AND (%s, u.id) %c ($%d%s, $%d::bigint)", so->expr,
			    desc ? '<' : '>', fsql_param(&f, parts[2]), so->cast,
			    fsql_param(&f, parts[3]));
	}
	buf_printf(&sql, " ORDER BY %s %s", so->expr, desc ? "DESC" : "ASC");
	if (!so->unique)
		buf_printf(&sql, ", u.id %s", desc ? "DESC" : "ASC");
	/* One extra row tells whether there is a next page. */
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	snprintf(off, sizeof(off), "%d", q->offset > 0 ? q->offset : 0);
	buf_printf(&sql, " LIMIT $%d::int", fsql_param(&f, lim));
	buf_printf(&sql, " OFFSET $%d::int", fsql_param(&f, off));

	if (sql.failed) {
		buf_free(&sql);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	if ((st = core_begin(c, e)) != CORE_OK) {
		buf_free(&sql);
		return st;
	}
	r = db_exec_sql(sql.data, f.nparams, f.params);
	if (r == NULL) {
		buf_free(&sql);
		return core_abort(core_db_fail(e, "user list"));
	}
	page->n = (size_t)PQntuples(r) > (size_t)limit ? (size_t)limit : (size_t)PQntuples(r);
	page->users = arena_alloc(c->arena, (page->n ? page->n : 1) * sizeof(*page->users));
	if (page->users == NULL) {
		PQclear(r);
		buf_free(&sql);
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
	}
	for (size_t i = 0; i < page->n; i++)
		user_from_row(c->arena, r, (int)i, &page->users[i]);
	if (PQntuples(r) > limit && page->n > 0) {
		struct user *last = &page->users[page->n - 1];

		page->next_cursor = cursor_encode(c->arena, so->name, desc,
		    PQgetvalue(r, (int)page->n - 1, USER_NCOLS), last->id);
	}
	PQclear(r);

	page->total = -1;
	if (q->count && q->cursor == NULL) {
		/* The same filter without order or paging: the text up to the ORDER BY. */
		const char *from = strstr(sql.data, " FROM gatehouse.users u");
		const char *order = strstr(sql.data, " ORDER BY ");
		struct buf cnt;

		buf_init(&cnt);
		buf_puts(&cnt, "SELECT count(*)");
		buf_append(&cnt, from, (size_t)(order - from));
		r = cnt.failed ? NULL : db_exec_sql(cnt.data, f.nparams - 2, f.params);
		buf_free(&cnt);
		if (r == NULL) {
			buf_free(&sql);
			return core_abort(core_db_fail(e, "user count"));
		}
		page->total = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	buf_free(&sql);
	return core_commit(e);
}
