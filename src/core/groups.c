/* groups.c: groups, their members, and policies given to users or groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/groups.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/validate.h"

static const char *const role_names[GROUP_ROLE__MAX] = { "member", "manager", "watcher" };

const char *
group_role_name(enum group_role r)
{
	return r < GROUP_ROLE__MAX ? role_names[r] : "member";
}

enum core_status
group_role_parse(const char *s, enum group_role *out, struct core_err *e)
{
	for (int i = 0; s != NULL && i < GROUP_ROLE__MAX; i++)
		if (strcasecmp(s, role_names[i]) == 0) {
			*out = (enum group_role)i;
			return CORE_OK;
		}
	return core_fail(e, CORE_INVALID, "role", "role must be one of: member, manager, watcher");
}

static enum group_role
role_of(const char *s)
{
	enum group_role	 r = GROUP_MEMBER;
	struct core_err	 ignored;

	group_role_parse(s, &r, &ignored);
	return r;
}

static int64_t
colint(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? 0 : strtoll(PQgetvalue(r, row, c), NULL, 10);
}

/* 1–max bytes of text on one line; field names the input in the error. */
static enum core_status
check_line(const char *v, const char *field, size_t max, struct core_err *e)
{
	if (v == NULL || *v == '\0')
		return core_fail(e, CORE_INVALID, field, "%s is required", field);
	if (!valid_line(v, max))
		return core_fail(e, CORE_INVALID, field, "%s must be 1 to %zu bytes of text on one line",
		    field, max);
	return CORE_OK;
}

/* A key travels in paths and in comma-separated lists: no whitespace, "/" or ",". */
static bool
key_ok(const char *key)
{
	return key != NULL && valid_username(key) && strpbrk(key, "/,") == NULL;
}

/* One "<name>": {"old": …, "new": …} member of an audit record; NULL values are JSON null. */
static void
change_json(struct jsonw *w, const char *name, const char *old, const char *new)
{
	jsonw_key(w, name);
	jsonw_obj_open(w);
	jsonw_kstr(w, "old", old);
	jsonw_kstr(w, "new", new);
	jsonw_obj_close(w);
}

/* Writes an audit event whose changes are n (name, old, new) triples. */
static enum core_status
audit_changes(struct core_ctx *c, const char *action, const char *type, const char *target,
    const char *const (*ch)[3], size_t n, struct core_err *e)
{
	struct buf	b;
	struct jsonw	w;
	int		rc;

	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	for (size_t i = 0; i < n; i++)
		change_json(&w, ch[i][0], ch[i][1], ch[i][2]);
	jsonw_obj_close(&w);
	rc = b.failed ? -1 : audit_write(c, action, type, target, b.data);
	buf_free(&b);
	return rc == 0 ? CORE_OK : core_db_fail(e, "audit event");
}

/* Deletes row id with stmt and records action on target; inside the caller's transaction. */
static enum core_status
delete_audited(struct core_ctx *c, struct db_stmt *stmt, int64_t id, const char *action,
    const char *type, const char *target, const char *const (*ch)[3], size_t n,
    struct core_err *e)
{
	char		 sid[24];
	const char	*p[1] = { sid };
	PGresult	*r;

	core_id_text(id, sid);
	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, type);
	PQclear(r);
	return audit_changes(c, action, type, target, ch, n, e);
}

typedef void (*fill_fn)(struct arena *, PGresult *, int row, void *out);

/*
 * Runs stmt, which must answer one row of ncols columns, and copies it into
 * out with fill. No row is CORE_NOT_FOUND with msg, naming field (or none).
 */
static enum core_status
one_row(struct core_ctx *c, struct db_stmt *stmt, const char *const *p, int ncols, fill_fn fill,
    void *out, const char *field, const char *msg, struct core_err *e)
{
	PGresult *r;

	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, field ? field : "record");
	if (PQntuples(r) != 1 || PQnfields(r) != ncols) {
		PQclear(r);
		return core_fail(e, CORE_NOT_FOUND, field, "%s", msg);
	}
	fill(c->arena, r, 0, out);
	PQclear(r);
	return CORE_OK;
}

/*
 * Runs stmt (one parameter or none) and copies each row into an arena array
 * of size bytes per element with fill. The caller is inside a transaction.
 */
static enum core_status
rows(struct core_ctx *c, struct db_stmt *stmt, const char *param, size_t size, fill_fn fill,
    void **out, size_t *n, struct core_err *e)
{
	const char	*p[1] = { param };
	PGresult	*r;
	char		*v;

	if ((r = db_exec(stmt, param ? p : NULL)) == NULL)
		return core_db_fail(e, "list");
	*n = (size_t)PQntuples(r);
	if ((v = arena_alloc(c->arena, (*n ? *n : 1) * size)) == NULL) {
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < *n; i++)
		fill(c->arena, r, (int)i, v + i * size);
	PQclear(r);
	*out = v;
	return CORE_OK;
}

/* A whole list in its own transaction. */
static enum core_status
list_all(struct core_ctx *c, struct db_stmt *stmt, size_t size, fill_fn fill, void **out,
    size_t *n, struct core_err *e)
{
	enum core_status st;

	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = rows(c, stmt, NULL, size, fill, out, n, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* --- groups ------------------------------------------------------------------- */

#define GROUP_COLS \
	"g.id, g.key, g.name, gatehouse.iso(g.created_at)," \
	" (SELECT count(*) FROM gatehouse.group_members m JOIN gatehouse.users u" \
	"   ON u.org_id = m.org_id AND u.id = m.user_id" \
	"   WHERE m.org_id = g.org_id AND m.group_id = g.id AND u.status <> 'removed')"
#define GROUP_NCOLS 5
#define GROUP_SELECT \
	"SELECT " GROUP_COLS " FROM gatehouse.groups g WHERE g.org_id = gatehouse.current_org()"

DB_STMT(st_group_insert, 2,
    "INSERT INTO gatehouse.groups (org_id, key, name) VALUES (gatehouse.current_org(), $1, $2)");
DB_STMT(st_group_get, 1, GROUP_SELECT " AND lower(g.key) = lower($1)");
/* Held while members or policies are added, so the group cannot vanish under them. */
DB_STMT(st_group_share, 1, GROUP_SELECT " AND lower(g.key) = lower($1) FOR KEY SHARE OF g");
DB_STMT(st_group_lock, 1, GROUP_SELECT " AND lower(g.key) = lower($1) FOR UPDATE OF g");
DB_STMT(st_group_list, 0, GROUP_SELECT " ORDER BY lower(g.key)");
DB_STMT(st_group_delete, 1,
    "DELETE FROM gatehouse.groups WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

static void
group_from_row(struct arena *a, PGresult *r, int row, void *out)
{
	struct group *g = out;

	g->id = colint(r, row, 0);
	g->key = db_text(a, r, row, 1);
	g->name = db_text(a, r, row, 2);
	g->created_at = db_text(a, r, row, 3);
	g->members = colint(r, row, 4);
}

/* Reads one group by key with stmt (plain, shared or locked) inside the transaction. */
static enum core_status
group_load(struct core_ctx *c, struct db_stmt *stmt, const char *key, struct group *g,
    struct core_err *e)
{
	const char	*p[1] = { key };
	char		 msg[128];

	snprintf(msg, sizeof(msg), "no group with key \"%.100s\"", key ? key : "");
	if (!key_ok(key))
		return core_fail(e, CORE_NOT_FOUND, "group", "%s", msg);
	return one_row(c, stmt, p, GROUP_NCOLS, group_from_row, g, "group", msg, e);
}

enum core_status
groups_create(struct core_ctx *c, const char *key, const char *name, struct group *out,
    struct core_err *e)
{
	const char	*p[2] = { key, name ? name : key };
	enum core_status st;
	PGresult	*r;

	if (key == NULL || *key == '\0')
		return core_fail(e, CORE_INVALID, "key", "key is required");
	if (!key_ok(key))
		return core_fail(e, CORE_INVALID, "key",
		    "key must be 1 to 100 bytes without spaces, \"/\" or \",\"");
	if ((st = check_line(p[1], "name", 100, e)) != CORE_OK)
		return st;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_group_insert, p)) == NULL)
		return core_abort(db_status() == DB_UNIQUE ?
		    core_fail(e, CORE_CONFLICT, "key", "a group with key \"%.100s\" already exists", key) :
		    core_db_fail(e, "group"));
	PQclear(r);
	if ((st = group_load(c, &st_group_get, key, out, e)) != CORE_OK)
		return core_abort(st);
	{
		const char *const ch[][3] = { { "key", NULL, out->key }, { "name", NULL, out->name } };

		if ((st = audit_changes(c, "group.create", "group", out->key, ch, 2, e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

enum core_status
groups_get(struct core_ctx *c, const char *key, struct group *out, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = group_load(c, &st_group_get, key, out, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
groups_list(struct core_ctx *c, struct group **out, size_t *n, struct core_err *e)
{
	return list_all(c, &st_group_list, sizeof(**out), group_from_row, (void **)out, n, e);
}

DB_STMT(st_group_member_levels, 1,
    "SELECT u.access_level FROM gatehouse.group_members m JOIN gatehouse.users u"
    " ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint FOR UPDATE OF u");
/* Everyone a policy reaches: its direct assignees and the members of its groups. */
DB_STMT(st_policy_user_levels, 1,
    "SELECT u.access_level FROM gatehouse.users u WHERE u.org_id = gatehouse.current_org()"
    " AND u.id IN (SELECT a.user_id FROM gatehouse.policy_assignments a"
    "  WHERE a.org_id = gatehouse.current_org() AND a.policy_id = $1::bigint AND a.user_id IS NOT NULL"
    "  UNION SELECT m.user_id FROM gatehouse.policy_assignments a JOIN gatehouse.group_members m"
    "  ON m.org_id = a.org_id AND m.group_id = a.group_id"
    "  WHERE a.org_id = gatehouse.current_org() AND a.policy_id = $1::bigint)"
    " FOR UPDATE OF u");

/*
 * Deleting a group or policy, or giving a group a policy, acts on every user
 * it reaches: refuse when any of them is above the actor's level, as acting on
 * that user alone would be. The users' rows are locked for the transaction.
 */
static enum core_status
none_above_actor(struct core_ctx *c, struct db_stmt *stmt, int64_t id, struct core_err *e)
{
	enum level	 actor = core_actor_level(c), l;
	char		 sid[24];
	const char	*p[1] = { sid };
	PGresult	*r;

	core_id_text(id, sid);
	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, "users");
	for (int i = 0; i < PQntuples(r); i++)
		if (level_parse(PQgetvalue(r, i, 0), &l) != 0 || l > actor) {
			PQclear(r);
			return core_fail(e, CORE_FORBIDDEN, NULL,
			    "this reaches a user above your access level (%s)", level_name(actor));
		}
	PQclear(r);
	return CORE_OK;
}

enum core_status
groups_delete(struct core_ctx *c, const char *key, struct core_err *e)
{
	struct group	 g;
	char		 members[24];
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = group_load(c, &st_group_lock, key, &g, e)) != CORE_OK ||
	    (st = none_above_actor(c, &st_group_member_levels, g.id, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(g.members, members);
	{
		const char *const ch[][3] = { { "name", g.name, NULL }, { "members", members, "0" } };

		if ((st = delete_audited(c, &st_group_delete, g.id, "group.delete", "group", g.key, ch, 2,
		    e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

/* --- members ------------------------------------------------------------------ */

DB_STMT(st_member_get, 2,
    "SELECT role, gatehouse.iso(created_at) FROM gatehouse.group_members"
    " WHERE org_id = gatehouse.current_org() AND group_id = $1::bigint AND user_id = $2::bigint");
DB_STMT(st_member_upsert, 3,
    "INSERT INTO gatehouse.group_members (org_id, group_id, user_id, role)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::bigint, $3)"
    " ON CONFLICT (org_id, group_id, user_id) DO UPDATE SET role = EXCLUDED.role"
    " RETURNING gatehouse.iso(created_at)");
DB_STMT(st_member_delete, 2,
    "DELETE FROM gatehouse.group_members"
    " WHERE org_id = gatehouse.current_org() AND group_id = $1::bigint AND user_id = $2::bigint"
    " RETURNING role");
DB_STMT(st_member_page, 3,
    "SELECT u.id, u.uid, u.username, u.email, m.role, gatehouse.iso(m.created_at)"
    " FROM gatehouse.group_members m JOIN gatehouse.users u ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint"
    " AND u.status <> 'removed' AND u.id > $2::bigint ORDER BY u.id LIMIT $3::int");
DB_STMT(st_user_groups, 1,
    "SELECT g.key, g.name, m.role, gatehouse.iso(m.created_at)"
    " FROM gatehouse.group_members m JOIN gatehouse.groups g ON g.org_id = m.org_id AND g.id = m.group_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.user_id = $1::bigint ORDER BY lower(g.key)");

static enum core_status
check_keys(const char *const *keys, size_t n, struct core_err *e)
{
	if (n == 0 || n > GROUP_MAX_KEYS)
		return core_fail(e, CORE_INVALID, "group", "name 1 to %d groups", GROUP_MAX_KEYS);
	for (size_t i = 0; i < n; i++)
		if (keys[i] == NULL || *keys[i] == '\0')
			return core_fail(e, CORE_INVALID, "group", "group is required");
	return CORE_OK;
}

/*
 * Starts a membership change: the transaction, the user (locked, within the
 * actor's level) and the audit record's opening, {"groups":{.
 */
static enum core_status
member_begin(struct core_ctx *c, const struct user_ref *ref, const char *const *keys, size_t n,
    struct user *u, struct buf *b, struct jsonw *w, struct core_err *e)
{
	enum core_status st;

	if ((st = check_keys(keys, n, e)) != CORE_OK || (st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = userattrs_user(c, ref, true, u, e)) != CORE_OK)
		return core_abort(st);
	buf_init(b);
	jsonw_init(w, b);
	jsonw_obj_open(w);
	jsonw_key(w, "groups");
	jsonw_obj_open(w);
	return CORE_OK;
}

/* Records the change (when there was one) and commits; aborts on any failure. */
static enum core_status
member_end(struct core_ctx *c, const char *action, const struct user *u, bool changed,
    struct buf *b, struct jsonw *w, struct core_err *e)
{
	int rc = 0;

	jsonw_obj_close(w);
	jsonw_obj_close(w);
	if (changed)
		rc = b->failed ? -1 : audit_write(c, action, "user", u->uid, b->data);
	buf_free(b);
	if (rc != 0)
		return core_abort(core_db_fail(e, "audit event"));
	return core_commit(e);
}

static enum core_status
member_fail(struct buf *b, enum core_status st)
{
	buf_free(b);
	return core_abort(st);
}

enum core_status
groups_member_set(struct core_ctx *c, const struct user_ref *ref, const char *const *keys,
    size_t nkeys, enum group_role role, struct group_member *out, struct core_err *e)
{
	struct user	 u;
	struct buf	 b;
	struct jsonw	 w;
	char		 gid[24], uid[24];
	const char	*p[3] = { gid, uid, group_role_name(role) };
	bool		 changed = false;
	enum core_status st;
	PGresult	*r;

	if (role >= GROUP_ROLE__MAX)
		return core_fail(e, CORE_INVALID, "role", "role must be one of: member, manager, watcher");
	if ((st = member_begin(c, ref, keys, nkeys, &u, &b, &w, e)) != CORE_OK)
		return st;
	if (u.level == LEVEL_GUEST)
		return member_fail(&b, core_fail(e, CORE_INVALID, "user", "a guest cannot join groups"));
	core_id_text(u.id, uid);
	for (size_t i = 0; i < nkeys; i++) {
		struct group	 g;
		const char	*old = NULL, *since = NULL;

		if ((st = group_load(c, &st_group_share, keys[i], &g, e)) != CORE_OK)
			return member_fail(&b, st);
		core_id_text(g.id, gid);
		if ((r = db_exec(&st_member_get, p)) == NULL)
			return member_fail(&b, core_db_fail(e, "group member"));
		if (PQntuples(r) == 1) {
			old = role_names[role_of(PQgetvalue(r, 0, 0))];
			since = db_text(c->arena, r, 0, 1);
		}
		PQclear(r);
		if (old == NULL || strcmp(old, p[2]) != 0) {
			if ((r = db_exec(&st_member_upsert, p)) == NULL)
				return member_fail(&b, core_db_fail(e, "group member"));
			since = db_text(c->arena, r, 0, 0);
			PQclear(r);
			change_json(&w, g.key, old, p[2]);
			changed = true;
		}
		if (out != NULL) {
			out[i] = (struct group_member){ g.key, u.id, u.uid, u.val[UF_USERNAME],
			    u.val[UF_EMAIL], role, since, old == NULL };
		}
	}
	return member_end(c, "group.member.set", &u, changed, &b, &w, e);
}

enum core_status
groups_member_remove(struct core_ctx *c, const struct user_ref *ref, const char *const *keys,
    size_t nkeys, struct core_err *e)
{
	struct user	 u;
	struct buf	 b;
	struct jsonw	 w;
	char		 gid[24], uid[24];
	const char	*p[2] = { gid, uid };
	int64_t		 done[GROUP_MAX_KEYS];
	size_t		 ndone = 0;
	enum core_status st;
	PGresult	*r;

	if ((st = member_begin(c, ref, keys, nkeys, &u, &b, &w, e)) != CORE_OK)
		return st;
	core_id_text(u.id, uid);
	for (size_t i = 0; i < nkeys; i++) {
		struct group	g;
		bool		again = false;

		if ((st = group_load(c, &st_group_share, keys[i], &g, e)) != CORE_OK)
			return member_fail(&b, st);
		for (size_t k = 0; k < ndone; k++)
			again |= done[k] == g.id;
		if (again)
			continue;	/* the same group named twice */
		done[ndone++] = g.id;
		core_id_text(g.id, gid);
		if ((r = db_exec(&st_member_delete, p)) == NULL)
			return member_fail(&b, core_db_fail(e, "group member"));
		if (PQntuples(r) != 1) {
			PQclear(r);
			return member_fail(&b, core_fail(e, CORE_NOT_FOUND, "group",
			    "the user is not a member of group \"%.100s\"", g.key));
		}
		change_json(&w, g.key, role_names[role_of(PQgetvalue(r, 0, 0))], NULL);
		PQclear(r);
	}
	return member_end(c, "group.member.remove", &u, true, &b, &w, e);
}

enum core_status
groups_members(struct core_ctx *c, const char *key, const char *cursor, int limit,
    struct member_page *out, struct core_err *e)
{
	struct group	 g;
	char		 gid[24], lim[16];
	const char	*p[3] = { gid, cursor ? cursor : "0", lim };
	enum core_status st;
	PGresult	*r;
	size_t		 got;

	memset(out, 0, sizeof(*out));
	if ((st = core_check_page(limit, e)) != CORE_OK)
		return st;
	if (cursor != NULL && !valid_id(cursor))
		return core_fail(e, CORE_INVALID, "cursor", "cursor is not from this list");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = group_load(c, &st_group_get, key, &g, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(g.id, gid);
	snprintf(lim, sizeof(lim), "%d", limit + 1);	/* one more tells whether a page follows */
	if ((r = db_exec(&st_member_page, p)) == NULL)
		return core_abort(core_db_fail(e, "group members"));
	got = (size_t)PQntuples(r);
	out->n = got > (size_t)limit ? (size_t)limit : got;
	if ((out->members = arena_alloc(c->arena, (out->n ? out->n : 1) * sizeof(*out->members)))
	    == NULL) {
		PQclear(r);
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
	}
	for (size_t i = 0; i < out->n; i++) {
		struct group_member *m = &out->members[i];

		m->group_key = g.key;
		m->user_id = colint(r, (int)i, 0);
		m->user_uid = db_text(c->arena, r, (int)i, 1);
		m->username = db_text(c->arena, r, (int)i, 2);
		m->email = db_text(c->arena, r, (int)i, 3);
		m->role = role_of(PQgetvalue(r, (int)i, 4));
		m->since = db_text(c->arena, r, (int)i, 5);
	}
	if (got > out->n)
		out->next_cursor = arena_printf(c->arena, "%lld",
		    (long long)out->members[out->n - 1].user_id);
	PQclear(r);
	return core_commit(e);
}

static void
fill_user_group(struct arena *a, PGresult *r, int row, void *v)
{
	struct user_group *ug = v;

	ug->key = db_text(a, r, row, 0);
	ug->name = db_text(a, r, row, 1);
	ug->role = role_of(PQgetvalue(r, row, 2));
	ug->since = db_text(a, r, row, 3);
}

enum core_status
groups_of_user(struct core_ctx *c, const struct user_ref *ref, struct user_group **out, size_t *n,
    struct core_err *e)
{
	struct user	 u;
	char		 uid[24];
	enum core_status st;

	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = userattrs_user(c, ref, false, &u, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(u.id, uid);
	if ((st = rows(c, &st_user_groups, uid, sizeof(**out), fill_user_group, (void **)out, n, e))
	    != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* --- policies ----------------------------------------------------------------- */

#define POLICY_COLS \
	"p.id, p.name, p.description, gatehouse.iso(p.created_at)," \
	" (SELECT count(*) FROM gatehouse.policy_assignments a" \
	"   WHERE a.org_id = p.org_id AND a.policy_id = p.id)"
#define POLICY_NCOLS 5
#define POLICY_FROM " FROM gatehouse.policies p WHERE p.org_id = gatehouse.current_org()"

DB_STMT(st_policy_insert, 2,
    "INSERT INTO gatehouse.policies (org_id, name, description)"
    " VALUES (gatehouse.current_org(), $1, $2) RETURNING id");
DB_STMT(st_policy_get, 1, "SELECT " POLICY_COLS POLICY_FROM " AND p.id = $1::bigint");
DB_STMT(st_policy_share, 1, "SELECT " POLICY_COLS POLICY_FROM " AND p.id = $1::bigint FOR KEY SHARE OF p");
DB_STMT(st_policy_lock, 1, "SELECT " POLICY_COLS POLICY_FROM " AND p.id = $1::bigint FOR UPDATE OF p");
DB_STMT(st_policy_list, 0, "SELECT " POLICY_COLS POLICY_FROM " ORDER BY lower(p.name), p.id");
DB_STMT(st_policy_delete, 1,
    "DELETE FROM gatehouse.policies WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

#define ASSIGN_COLS "a.id, a.policy_id, u.uid, g.key, gatehouse.iso(a.created_at)"
#define ASSIGN_NCOLS 5
#define ASSIGN_FROM \
	" FROM gatehouse.policy_assignments a" \
	" LEFT JOIN gatehouse.users u ON u.org_id = a.org_id AND u.id = a.user_id" \
	" LEFT JOIN gatehouse.groups g ON g.org_id = a.org_id AND g.id = a.group_id" \
	" WHERE a.org_id = gatehouse.current_org()"

/* Assigning twice inserts nothing; the existing assignment is then looked up. */
DB_STMT(st_assign_user, 2,
    "INSERT INTO gatehouse.policy_assignments (org_id, policy_id, user_id)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::bigint)"
    " ON CONFLICT (org_id, policy_id, user_id) WHERE user_id IS NOT NULL DO NOTHING RETURNING id");
DB_STMT(st_assign_group, 2,
    "INSERT INTO gatehouse.policy_assignments (org_id, policy_id, group_id)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::bigint)"
    " ON CONFLICT (org_id, policy_id, group_id) WHERE group_id IS NOT NULL DO NOTHING RETURNING id");
DB_STMT(st_assigned_user, 2,
    "SELECT id FROM gatehouse.policy_assignments WHERE org_id = gatehouse.current_org()"
    " AND policy_id = $1::bigint AND user_id = $2::bigint");
DB_STMT(st_assigned_group, 2,
    "SELECT id FROM gatehouse.policy_assignments WHERE org_id = gatehouse.current_org()"
    " AND policy_id = $1::bigint AND group_id = $2::bigint");
DB_STMT(st_assignment_get, 2,
    "SELECT " ASSIGN_COLS ASSIGN_FROM " AND a.policy_id = $1::bigint AND a.id = $2::bigint");
DB_STMT(st_assignment_list, 1,
    "SELECT " ASSIGN_COLS ASSIGN_FROM " AND a.policy_id = $1::bigint ORDER BY a.id");
DB_STMT(st_assignment_delete, 2,
    "DELETE FROM gatehouse.policy_assignments WHERE org_id = gatehouse.current_org()"
    " AND policy_id = $1::bigint AND id = $2::bigint");
/* Every way a policy reaches a user: one row per direct assignment and per group. */
DB_STMT(st_user_policies, 1,
    "SELECT id, name, description, created, aid, gkey FROM ("
    " SELECT p.id, p.name, p.description, gatehouse.iso(p.created_at) AS created, a.id AS aid,"
    "  NULL::text AS gkey"
    " FROM gatehouse.policies p JOIN gatehouse.policy_assignments a"
    "  ON a.org_id = p.org_id AND a.policy_id = p.id"
    " WHERE p.org_id = gatehouse.current_org() AND a.user_id = $1::bigint"
    " UNION ALL"
    " SELECT p.id, p.name, p.description, gatehouse.iso(p.created_at), NULL, g.key"
    " FROM gatehouse.policies p JOIN gatehouse.policy_assignments a"
    "  ON a.org_id = p.org_id AND a.policy_id = p.id"
    " JOIN gatehouse.groups g ON g.org_id = a.org_id AND g.id = a.group_id"
    " JOIN gatehouse.group_members m ON m.org_id = a.org_id AND m.group_id = a.group_id"
    " WHERE p.org_id = gatehouse.current_org() AND m.user_id = $1::bigint"
    ") x ORDER BY lower(name), id, lower(gkey) NULLS FIRST");

static void
policy_from_row(struct arena *a, PGresult *r, int row, void *out)
{
	struct policy *p = out;

	p->id = colint(r, row, 0);
	p->name = db_text(a, r, row, 1);
	p->description = db_text(a, r, row, 2);
	p->created_at = db_text(a, r, row, 3);
	p->assignments = colint(r, row, 4);
}

static void
fill_assignment(struct arena *a, PGresult *r, int row, void *v)
{
	struct policy_assignment *pa = v;

	pa->id = colint(r, row, 0);
	pa->policy_id = colint(r, row, 1);
	pa->user_uid = db_text(a, r, row, 2);
	pa->group_key = db_text(a, r, row, 3);
	pa->created_at = db_text(a, r, row, 4);
}

/* Reads one policy by id with stmt (plain, shared or locked) inside the transaction. */
static enum core_status
policy_load(struct core_ctx *c, struct db_stmt *stmt, const char *id, struct policy *p,
    struct core_err *e)
{
	const char *q[1] = { id };

	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such policy");
	return one_row(c, stmt, q, POLICY_NCOLS, policy_from_row, p, NULL, "no such policy", e);
}

static enum core_status
assignment_load(struct core_ctx *c, const char *policy_id, const char *id,
    struct policy_assignment *out, struct core_err *e)
{
	const char *q[2] = { policy_id, id };

	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such assignment");
	return one_row(c, &st_assignment_get, q, ASSIGN_NCOLS, fill_assignment, out, NULL,
	    "no such assignment", e);
}

enum core_status
policies_create(struct core_ctx *c, const char *name, const char *description, struct policy *out,
    struct core_err *e)
{
	const char	*p[2] = { name, description ? description : "" };
	char		 sid[24];
	enum core_status st;
	PGresult	*r;

	if ((st = check_line(name, "name", 100, e)) != CORE_OK)
		return st;
	if (!valid_text(p[1], 2000))
		return core_fail(e, CORE_INVALID, "description",
		    "description must be at most 2000 bytes of text");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_policy_insert, p)) == NULL)
		return core_abort(db_status() == DB_UNIQUE ?
		    core_fail(e, CORE_CONFLICT, "name", "a policy named \"%.100s\" already exists", name) :
		    core_db_fail(e, "policy"));
	snprintf(sid, sizeof(sid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if ((st = policy_load(c, &st_policy_get, sid, out, e)) != CORE_OK)
		return core_abort(st);
	{
		const char *const ch[][3] = { { "name", NULL, out->name },
			{ "description", NULL, out->description } };

		if ((st = audit_changes(c, "policy.create", "policy", sid, ch, 2, e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

enum core_status
policies_list(struct core_ctx *c, struct policy **out, size_t *n, struct core_err *e)
{
	return list_all(c, &st_policy_list, sizeof(**out), policy_from_row, (void **)out, n, e);
}

enum core_status
policies_delete(struct core_ctx *c, const char *id, struct core_err *e)
{
	struct policy	 p;
	char		 pid[24], count[24];
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = policy_load(c, &st_policy_lock, id, &p, e)) != CORE_OK ||
	    (st = none_above_actor(c, &st_policy_user_levels, p.id, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(p.id, pid);
	core_id_text(p.assignments, count);
	{
		const char *const ch[][3] = { { "name", p.name, NULL }, { "assignments", count, "0" } };

		if ((st = delete_audited(c, &st_policy_delete, p.id, "policy.delete", "policy", pid, ch,
		    2, e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

/*
 * Inside policies_assign's transaction: resolves the user (locked, not a
 * guest) or the group (shared) and inserts the assignment if it is new.
 */
static enum core_status
assign(struct core_ctx *c, const char *pid, const struct user_ref *user, const char *group_key,
    char aid[24], bool *created, struct core_err *e)
{
	char		 tid[24];
	const char	*q[2] = { pid, tid };
	PGresult	*r;
	enum core_status st;

	if (user != NULL) {
		struct user u;

		if ((st = userattrs_user(c, user, true, &u, e)) != CORE_OK)
			return st;
		if (u.level == LEVEL_GUEST)
			return core_fail(e, CORE_INVALID, "user", "a guest cannot be assigned policies");
		core_id_text(u.id, tid);
	} else {
		struct group g;

		if ((st = group_load(c, &st_group_share, group_key, &g, e)) != CORE_OK ||
		    (st = none_above_actor(c, &st_group_member_levels, g.id, e)) != CORE_OK)
			return st;
		core_id_text(g.id, tid);
	}
	if ((r = db_exec(user ? &st_assign_user : &st_assign_group, q)) == NULL)
		return core_db_fail(e, "policy assignment");
	*created = PQntuples(r) == 1;
	if (!*created) {
		PQclear(r);
		if ((r = db_exec(user ? &st_assigned_user : &st_assigned_group, q)) == NULL)
			return core_db_fail(e, "policy assignment");
		if (PQntuples(r) != 1) {
			PQclear(r);
			return core_fail(e, CORE_CONFLICT, NULL, "concurrent change, try again");
		}
	}
	snprintf(aid, 24, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return CORE_OK;
}

enum core_status
policies_assign(struct core_ctx *c, const char *id, const struct user_ref *user,
    const char *group_key, struct policy_assignment *out, struct core_err *e)
{
	struct policy	 p;
	char		 pid[24], aid[24];
	bool		 created;
	enum core_status st;

	if ((user == NULL) == (group_key == NULL))
		return core_fail(e, CORE_INVALID, "user", "give a user or a group (not both)");
	if (group_key != NULL && *group_key == '\0')
		return core_fail(e, CORE_INVALID, "group", "group is required");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = policy_load(c, &st_policy_share, id, &p, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(p.id, pid);
	if ((st = assign(c, pid, user, group_key, aid, &created, e)) != CORE_OK ||
	    (st = assignment_load(c, pid, aid, out, e)) != CORE_OK)
		return core_abort(st);
	out->created = created;
	if (created) {
		const char *const ch[][3] = { { "assignment", NULL, aid },
			{ user ? "user" : "group", NULL, user ? out->user_uid : out->group_key } };

		if ((st = audit_changes(c, "policy.assign", "policy", pid, ch, 2, e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

enum core_status
policies_unassign(struct core_ctx *c, const char *id, const char *assignment_id,
    struct core_err *e)
{
	struct policy			 p;
	struct policy_assignment	 a;
	char				 pid[24], aid[24];
	const char			*q[2] = { pid, aid };
	enum core_status		 st;
	PGresult			*r;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = policy_load(c, &st_policy_share, id, &p, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(p.id, pid);
	if ((st = assignment_load(c, pid, assignment_id, &a, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(a.id, aid);
	if (a.user_uid != NULL) {
		/* Taking a policy away from a user is acting on that user. */
		struct user_ref	ref = { UKEY_UID, a.user_uid };
		struct user	u;

		if ((st = userattrs_user(c, &ref, true, &u, e)) != CORE_OK)
			return core_abort(st);
	}
	if ((r = db_exec(&st_assignment_delete, q)) == NULL)
		return core_abort(core_db_fail(e, "policy assignment"));
	PQclear(r);
	{
		const char *const ch[][3] = { { "assignment", aid, NULL },
			{ a.user_uid ? "user" : "group", a.user_uid ? a.user_uid : a.group_key, NULL } };

		if ((st = audit_changes(c, "policy.unassign", "policy", pid, ch, 2, e)) != CORE_OK)
			return core_abort(st);
	}
	return core_commit(e);
}

enum core_status
policies_assignments(struct core_ctx *c, const char *id, struct policy_assignment **out,
    size_t *n, struct core_err *e)
{
	struct policy	 p;
	char		 pid[24];
	enum core_status st;

	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = policy_load(c, &st_policy_get, id, &p, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(p.id, pid);
	if ((st = rows(c, &st_assignment_list, pid, sizeof(**out), fill_assignment, (void **)out, n,
	    e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* Folds the rows of st_user_policies (ordered by policy) into one entry per policy. */
static enum core_status
fold_user_policies(struct arena *a, PGresult *r, struct user_policy **out, size_t *n,
    struct core_err *e)
{
	size_t		 rowsn = (size_t)PQntuples(r);
	struct user_policy *v = arena_alloc(a, (rowsn ? rowsn : 1) * sizeof(*v));
	const char	**keys = arena_alloc(a, (rowsn ? rowsn : 1) * sizeof(*keys));
	size_t		 k = 0;

	if (v == NULL || keys == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	*n = 0;
	for (size_t i = 0; i < rowsn; i++) {
		struct user_policy *up = *n > 0 ? &v[*n - 1] : NULL;
		int64_t id = colint(r, (int)i, 0);

		if (up == NULL || up->policy.id != id) {
			up = &v[(*n)++];
			memset(up, 0, sizeof(*up));
			up->policy.id = id;
			up->policy.name = db_text(a, r, (int)i, 1);
			up->policy.description = db_text(a, r, (int)i, 2);
			up->policy.created_at = db_text(a, r, (int)i, 3);
			up->groups = &keys[k];
		}
		if (PQgetisnull(r, (int)i, 5))
			up->assignment_id = colint(r, (int)i, 4);
		else {
			keys[k++] = db_text(a, r, (int)i, 5);
			up->ngroups++;
		}
	}
	*out = v;
	return CORE_OK;
}

enum core_status
policies_of_user(struct core_ctx *c, const struct user_ref *ref, struct user_policy **out,
    size_t *n, struct core_err *e)
{
	struct user	 u;
	char		 uid[24];
	const char	*q[1] = { uid };
	enum core_status st;
	PGresult	*r;

	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = userattrs_user(c, ref, false, &u, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(u.id, uid);
	if ((r = db_exec(&st_user_policies, q)) == NULL)
		return core_abort(core_db_fail(e, "policies"));
	st = fold_user_policies(c->arena, r, out, n, e);
	PQclear(r);
	if (st != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}
