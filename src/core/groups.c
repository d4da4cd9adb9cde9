/* groups.c: groups and their members (policies given to groups are in policies.c). */
#include <stdio.h>
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
#include "groups_internal.h"
#include "rows.h"

static const char *const role_names[GROUP_ROLE__MAX] = { "member", "manager", "watcher" };
static const char *const access_names[GROUP_ACCESS__MAX] = { "view", "upload", "edit" };

/* The index of s (in any case) among n names, or -1. */
static int
name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
group_role_name(enum group_role r)
{
	return r < GROUP_ROLE__MAX ? role_names[r] : "member";
}

enum core_status
group_role_parse(const char *s, enum group_role *out, struct core_err *e)
{
	int i = name_index(role_names, GROUP_ROLE__MAX, s);

	if (i < 0)
		return core_fail(e, CORE_INVALID, "role", "role must be one of: member, manager, watcher");
	*out = (enum group_role)i;
	return CORE_OK;
}

const char *
group_access_name(enum group_access a)
{
	return a < GROUP_ACCESS__MAX ? access_names[a] : "view";
}

/* What the database holds is one of the names; anything else reads as the first. */
static enum group_role
role_of(const char *s)
{
	int i = name_index(role_names, GROUP_ROLE__MAX, s);

	return i < 0 ? GROUP_MEMBER : (enum group_role)i;
}

static enum group_access
access_of(const char *s)
{
	int i = name_index(access_names, GROUP_ACCESS__MAX, s);

	return i < 0 ? GROUP_VIEW : (enum group_access)i;
}

bool
groups_key_ok(const char *key)
{
	return key != NULL && valid_username(key) && strpbrk(key, "/,") == NULL;
}

/* --- groups ------------------------------------------------------------------- */


DB_STMT(st_group_insert, 2,
    "INSERT INTO gatehouse.groups (org_id, key, name) VALUES (gatehouse.current_org(), $1, $2)");
DB_STMT(st_group_get, 1, GROUP_SELECT " AND lower(g.key) = lower($1)");
/* Held while members or policies are added, so the group cannot vanish under them. */
DB_STMT(st_group_share, 1, GROUP_SELECT " AND lower(g.key) = lower($1) FOR KEY SHARE OF g");
DB_STMT(st_group_lock, 1, GROUP_SELECT " AND lower(g.key) = lower($1) FOR UPDATE OF g");
DB_STMT(st_group_list, 0, GROUP_SELECT " ORDER BY lower(g.key)");
DB_STMT(st_group_delete, 1,
    "DELETE FROM gatehouse.groups WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
/* The members' levels, their rows locked: who a change to the group reaches. */
DB_STMT(st_group_member_levels, 1,
    "SELECT u.access_level FROM gatehouse.group_members m JOIN gatehouse.users u"
    " ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint FOR UPDATE OF u");

static const struct rows_col group_cols[GROUP_NCOLS] = {
	ROWS_INT(struct group, id), ROWS_TEXT(struct group, key), ROWS_TEXT(struct group, name),
	ROWS_TEXT(struct group, created_at), ROWS_INT(struct group, members),
	ROWS_TEXT(struct group, uid), ROWS_TEXT(struct group, external_id),
	ROWS_INT(struct group, version), ROWS_TEXT(struct group, updated_at),
};
const struct rows_kind groups_rows = { "group", GROUP_NCOLS, sizeof(struct group),
	group_cols, NULL };

/* CORE_NOT_FOUND naming the group, when no group has key. */
static enum core_status
no_group(const char *key, struct core_err *e)
{
	return core_fail(e, CORE_NOT_FOUND, "group", "no group with key \"%.100s\"", key ? key : "");
}

/*
 * Reads one group by key with stmt (plain, shared or locked) inside the
 * transaction, or outside one as a read of its own.
 */
static enum core_status
group_load(struct core_ctx *c, struct db_stmt *stmt, const char *key, struct group *g,
    struct core_err *e)
{
	const char	*p[1] = { key };
	enum core_status st;

	if (!groups_key_ok(key))
		return no_group(key, e);
	if ((st = rows_one(c, stmt, p, &groups_rows, g, "group", "", e)) == CORE_NOT_FOUND)
		return no_group(key, e);
	return st;
}

enum core_status
groups_hold(struct core_ctx *c, const char *key, struct group *g, struct core_err *e)
{
	enum core_status st;

	if ((st = group_load(c, &st_group_share, key, g, e)) != CORE_OK)
		return st;
	return groups_none_above_actor(c, &st_group_member_levels, g->id, e);
}

enum core_status
groups_create(struct core_ctx *c, const char *key, const char *name, struct group *out,
    struct core_err *e)
{
	const char	*p[2] = { key, name ? name : key };
	enum core_status st;

	if (key == NULL || *key == '\0')
		return core_fail(e, CORE_INVALID, "key", "key is required");
	if (!groups_key_ok(key))
		return core_fail(e, CORE_INVALID, "key",
		    "key must be 1 to 100 bytes without spaces, \"/\" or \",\"");
	if ((st = core_check_line(p[1], "name", 100, e)) != CORE_OK ||
	    (st = core_begin(c, e)) != CORE_OK)
		return st;
	/* The insert travels with the read back: one round trip, whose failure may be the insert's. */
	if (db_defer(&st_group_insert, p) != DB_OK ||
	    ((st = group_load(c, &st_group_get, key, out, e)) != CORE_OK && db_status() != DB_OK))
		return core_abort(core_taken(e, "key", "group",
		    "a group with key \"%.100s\" already exists", key));
	if (st != CORE_OK)
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
	return group_load(c, &st_group_get, key, out, e);	/* a read of its own */
}

enum core_status
groups_list(struct core_ctx *c, struct group **out, size_t *n, struct core_err *e)
{
	return rows_read(c, &st_group_list, NULL, &groups_rows, "list", (void **)out, n, e);
}

/*
 * Deleting a group or policy, or giving a group a policy, acts on every user
 * it reaches: refuse when any of them is above the actor's level, as acting on
 * that user alone would be. The users' rows are locked for the transaction.
 */
enum core_status
groups_none_above_actor(struct core_ctx *c, struct db_stmt *stmt, int64_t id, struct core_err *e)
{
	enum level	 actor = core_actor_level(c), l;
	PGresult	*r;

	if ((r = rows_on(stmt, id, NULL, "users", e)) == NULL)
		return e->status;
	for (int i = 0; i < PQntuples(r); i++)
		if (level_parse(db_value(r, i, 0), &l) != 0 || l > actor) {
			PQclear(r);
			return core_fail(e, CORE_FORBIDDEN, NULL,
			    "this reaches a user above your access level (%s)", level_name(actor));
		}
	PQclear(r);
	return CORE_OK;
}

enum core_status
groups_delete_reaching(struct core_ctx *c, const struct groups_reach *k, int64_t id,
    const char *target, const char *name, int64_t held, struct core_err *e)
{
	char		 count[CORE_ID_LEN], action[32];
	const char	*const ch[][3] = { { "name", name, NULL }, { k->held, count, "0" } };
	enum core_status st;

	core_id_text(held, count);
	snprintf(action, sizeof(action), "%s.delete", k->type);
	if ((st = groups_none_above_actor(c, k->levels, id, e)) != CORE_OK ||
	    (st = rows_defer_on(k->del, id, k->type, e)) != CORE_OK)
		return st;
	return audit_changes(c, action, k->type, target, ch, 2, e);
}

enum core_status
groups_delete(struct core_ctx *c, const char *key, struct core_err *e)
{
	static const struct groups_reach reach = { &st_group_member_levels, &st_group_delete,
		"group", "members" };
	struct group	 g;
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = group_load(c, &st_group_lock, key, &g, e)) != CORE_OK)
		return core_abort(st);
	return core_end(groups_delete_reaching(c, &reach, g.id, g.key, g.name, g.members, e), e);
}

/* --- members ------------------------------------------------------------------ */

DB_STMT(st_member_get, 2,
    "SELECT role, gatehouse.iso(created_at), access FROM gatehouse.group_members"
    " WHERE org_id = gatehouse.current_org() AND group_id = $1::bigint AND user_id = $2::bigint");
DB_STMT(st_member_upsert, 3,
    "INSERT INTO gatehouse.group_members (org_id, group_id, user_id, role)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::bigint, $3)"
    " ON CONFLICT (org_id, group_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()"
    " RETURNING gatehouse.iso(created_at), access");
/* Joins with the access, or changes the access of a membership. */
DB_STMT(st_member_access, 3,
    "INSERT INTO gatehouse.group_members (org_id, group_id, user_id, access)"
    " VALUES (gatehouse.current_org(), $1::bigint, $2::bigint, $3)"
    " ON CONFLICT (org_id, group_id, user_id) DO UPDATE SET access = EXCLUDED.access, updated_at = now()"
    " RETURNING gatehouse.iso(created_at), role");
DB_STMT(st_member_delete, 2,
    "DELETE FROM gatehouse.group_members"
    " WHERE org_id = gatehouse.current_org() AND group_id = $1::bigint AND user_id = $2::bigint"
    " RETURNING role");
/* By the group's key, so the page is read together with the group itself (st_group_get). */
DB_STMT(st_member_page, 3,
    "SELECT u.id, u.uid, u.username, u.email, m.role, gatehouse.iso(m.created_at), m.access"
    " FROM gatehouse.group_members m JOIN gatehouse.users u ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = (SELECT g.id FROM gatehouse.groups g"
    "  WHERE g.org_id = gatehouse.current_org() AND lower(g.key) = lower($1))"
    " AND u.status <> 'removed' AND u.id > $2::bigint ORDER BY u.id LIMIT $3::int");
#define USER_GROUPS(cond) \
    "SELECT " MEMBERSHIP_COLS MEMBERSHIP_FROM \
    " WHERE m.org_id = gatehouse.current_org() AND " cond " ORDER BY m.user_id, lower(g.key)"
DB_STMT(st_user_groups, 1, USER_GROUPS("m.user_id = $1::bigint"));
DB_STMT(st_users_groups, 1, USER_GROUPS("m.user_id = ANY($1::bigint[])"));

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
	enum core_status st;

	jsonw_obj_close(w);
	jsonw_obj_close(w);
	if (!changed)
		buf_free(b);
	else if ((st = audit_buf(c, action, "user", u->uid, b, e)) != CORE_OK)
		return core_abort(st);
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
		enum group_access access = GROUP_VIEW;

		if ((st = group_load(c, &st_group_share, keys[i], &g, e)) != CORE_OK)
			return member_fail(&b, st);
		core_id_text(g.id, gid);
		if ((r = db_exec(&st_member_get, p)) == NULL)
			return member_fail(&b, core_db_fail(e, "group member"));
		if (PQntuples(r) == 1) {
			old = role_names[role_of(db_value(r, 0, 0))];
			since = db_text(c->arena, r, 0, 1);
			access = access_of(db_value(r, 0, 2));
		}
		PQclear(r);
		if (old == NULL || strcmp(old, p[2]) != 0) {
			if ((r = db_exec(&st_member_upsert, p)) == NULL)
				return member_fail(&b, core_db_fail(e, "group member"));
			since = db_text(c->arena, r, 0, 0);
			access = access_of(db_value(r, 0, 1));
			PQclear(r);
			audit_change(&w, g.key, old, p[2]);
			changed = true;
		}
		if (out != NULL) {
			out[i] = (struct group_member){ g.key, u.id, u.uid, u.val[UF_USERNAME],
			    u.val[UF_EMAIL], role, access, since, old == NULL };
		}
	}
	return member_end(c, "group.member.set", &u, changed, &b, &w, e);
}

/* The audit record names the access per group: {"groups": {"<key>": {"old": …, "new": …}}}. */
enum core_status
groups_member_access(struct core_ctx *c, const struct user_ref *ref, const char *key,
    enum group_access access, bool join, struct group_member *out, struct core_err *e)
{
	struct user	 u;
	struct group	 g;
	struct buf	 b;
	struct jsonw	 w;
	char		 gid[CORE_ID_LEN], uid[CORE_ID_LEN];
	const char	*p[3] = { gid, uid, group_access_name(access) }, *old = NULL;
	const char	*since = NULL;
	enum group_role	 role = GROUP_MEMBER;
	enum core_status st;
	PGresult	*r;

	if (access >= GROUP_ACCESS__MAX)
		return core_fail(e, CORE_INVALID, "access", "access must be one of: view, upload, edit");
	if ((st = member_begin(c, ref, &key, 1, &u, &b, &w, e)) != CORE_OK)
		return st;
	if (u.level == LEVEL_GUEST)
		return member_fail(&b, core_fail(e, CORE_INVALID, "user", "a guest cannot join groups"));
	if ((st = group_load(c, &st_group_share, key, &g, e)) != CORE_OK)
		return member_fail(&b, st);
	core_id_text(g.id, gid);
	core_id_text(u.id, uid);
	if ((r = db_exec(&st_member_get, p)) == NULL)
		return member_fail(&b, core_db_fail(e, "group member"));
	if (PQntuples(r) == 1) {
		role = role_of(db_value(r, 0, 0));
		since = db_text(c->arena, r, 0, 1);
		old = access_names[access_of(db_value(r, 0, 2))];
	}
	PQclear(r);
	if (old == NULL && !join)
		return member_fail(&b, core_fail(e, CORE_NOT_FOUND, "group",
		    "the user is not a member of group \"%.100s\"", g.key));
	if (old == NULL || strcmp(old, p[2]) != 0) {
		if ((r = db_exec(&st_member_access, p)) == NULL)
			return member_fail(&b, core_db_fail(e, "group member"));
		since = db_text(c->arena, r, 0, 0);
		role = role_of(db_value(r, 0, 1));
		PQclear(r);
		audit_change(&w, g.key, old, p[2]);
	}
	if (out != NULL)
		*out = (struct group_member){ g.key, u.id, u.uid, u.val[UF_USERNAME], u.val[UF_EMAIL],
		    role, access, since, old == NULL };
	return member_end(c, "group.member.access", &u, old == NULL || strcmp(old, p[2]) != 0, &b,
	    &w, e);
}

enum core_status
groups_member_remove(struct core_ctx *c, const struct user_ref *ref, const char *const *keys,
    size_t nkeys, struct core_err *e)
{
	return groups_member_remove_as(c, ref, keys, nkeys, GROUP_ROLE__MAX, e);
}

enum core_status
groups_member_remove_as(struct core_ctx *c, const struct user_ref *ref, const char *const *keys,
    size_t nkeys, enum group_role role, struct core_err *e)
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
		if (PQntuples(r) != 1 ||
		    (role != GROUP_ROLE__MAX && role_of(db_value(r, 0, 0)) != role)) {
			/* The delete is undone with the transaction. */
			PQclear(r);
			return member_fail(&b, core_fail(e, CORE_NOT_FOUND, "group",
			    "the user is not a %s of group \"%.100s\"",
			    role == GROUP_ROLE__MAX ? "member" : role_names[role], g.key));
		}
		audit_change(&w, g.key, role_names[role_of(db_value(r, 0, 0))], NULL);
		PQclear(r);
	}
	return member_end(c, "group.member.remove", &u, true, &b, &w, e);
}

enum core_status
groups_members(struct core_ctx *c, const char *key, const char *cursor, int limit,
    struct member_page *out, struct core_err *e)
{
	struct group	 g;
	char		 lim[16];
	const char	*p[3] = { key, cursor ? cursor : "0", lim };
	struct db_query	 q[2] = { DB_QUERY(&st_group_get, p), DB_QUERY(&st_member_page, p) };
	enum core_status st;
	PGresult	*r;
	size_t		 got;

	memset(out, 0, sizeof(*out));
	if ((st = core_check_page(limit, e)) != CORE_OK)
		return st;
	if (cursor != NULL && !valid_id(cursor))
		return core_fail(e, CORE_INVALID, "cursor", "cursor is not from this list");
	if (!groups_key_ok(key))
		return no_group(key, e);
	snprintf(lim, sizeof(lim), "%d", limit + 1);	/* one more tells whether a page follows */
	/* The group and the page together: one round trip. */
	if ((st = core_read(c, q, 2, "group members", e)) != CORE_OK)
		return st;
	r = q[1].res;
	if ((st = rows_take_one(c, q[0].res, &groups_rows, &g, "group", "", e)) != CORE_OK) {
		PQclear(r);
		return st == CORE_NOT_FOUND ? no_group(key, e) : st;
	}
	got = (size_t)PQntuples(r);
	out->n = got > (size_t)limit ? (size_t)limit : got;
	if ((out->members = arena_alloc(c->arena, (out->n ? out->n : 1) * sizeof(*out->members)))
	    == NULL) {
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < out->n; i++) {
		struct group_member *m = &out->members[i];

		m->group_key = g.key;
		m->user_id = db_int(r, (int)i, 0);
		m->user_uid = db_text(c->arena, r, (int)i, 1);
		m->username = db_text(c->arena, r, (int)i, 2);
		m->email = db_text(c->arena, r, (int)i, 3);
		m->role = role_of(db_value(r, (int)i, 4));
		m->since = db_text(c->arena, r, (int)i, 5);
		m->access = access_of(db_value(r, (int)i, 6));
	}
	if (got > out->n)
		out->next_cursor = arena_printf(c->arena, "%lld",
		    (long long)out->members[out->n - 1].user_id);
	PQclear(r);
	return CORE_OK;
}

void
groups_membership_from_row(struct arena *a, PGresult *r, int row, int col, struct user_group *ug)
{
	ug->key = db_text(a, r, row, col);
	ug->name = db_text(a, r, row, col + 1);
	ug->role = role_of(db_value(r, row, col + 2));
	ug->since = db_text(a, r, row, col + 3);
	ug->access = access_of(db_value(r, row, col + 4));
	ug->updated = db_text(a, r, row, col + 5);
	ug->uid = db_text(a, r, row, col + 6);
	ug->user_id = db_int(r, row, col + 7);
}

static void
fill_user_group(struct arena *a, PGresult *r, int row, void *v)
{
	groups_membership_from_row(a, r, row, 0, v);
}

static const struct rows_kind user_group_rows = { "group", 8, sizeof(struct user_group), NULL,
	fill_user_group };

enum core_status
groups_of_user(struct core_ctx *c, const struct user_ref *ref, struct user_group **out, size_t *n,
    struct core_err *e)
{
	struct user	 u;
	char		 uid[24];
	enum core_status st;

	/*
	 * Two reads of their own: each statement of a READ COMMITTED transaction
	 * takes its own snapshot, so one transaction would not make them agree more.
	 */
	*n = 0;
	if ((st = userattrs_user(c, ref, false, &u, e)) != CORE_OK)
		return st;
	core_id_text(u.id, uid);
	return rows_read(c, &st_user_groups, uid, &user_group_rows, "list", (void **)out, n, e);
}

/*
 * The memberships of users (by id): inside the caller's transaction, or
 * outside one as a read of its own (rows_read).
 */
enum core_status
groups_of_users(struct core_ctx *c, const int64_t *ids, size_t nids, struct user_group **out,
    size_t *n, struct core_err *e)
{
	struct buf	 lit;
	enum core_status st;

	*out = NULL;
	*n = 0;
	if (nids == 0)
		return CORE_OK;
	buf_init(&lit);
	buf_putc(&lit, '{');
	for (size_t i = 0; i < nids; i++)
		buf_printf(&lit, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&lit, '}');
	if (lit.failed) {
		buf_free(&lit);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	st = rows_read(c, &st_users_groups, buf_cstr(&lit), &user_group_rows, "list", (void **)out, n,
	    e);
	buf_free(&lit);
	return st;
}

/* Every membership of a user not removed, by user id and key; the first past the bound is a row too. */
DB_STMT(st_memberships, 1,
    "SELECT m.user_id, g.key, m.role FROM gatehouse.group_members m"
    " JOIN gatehouse.groups g ON g.org_id = m.org_id AND g.id = m.group_id"
    " JOIN gatehouse.users u ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND u.status <> 'removed'"
    " ORDER BY m.user_id, lower(g.key) LIMIT $1::int");

static void
fill_membership(struct arena *a, PGresult *r, int row, void *v)
{
	struct group_membership *m = v;

	m->user_id = db_int(r, row, 0);
	m->key = db_text(a, r, row, 1);
	m->role = role_of(db_value(r, row, 2));
}

static const struct rows_kind membership_rows = { "group member", 3,
	sizeof(struct group_membership), NULL, fill_membership };

enum core_status
groups_memberships(struct core_ctx *c, struct group_membership **out, size_t *n,
    struct core_err *e)
{
	char		 limit[24];
	enum core_status st;

	snprintf(limit, sizeof(limit), "%d", GROUP_MEMBERSHIPS_MAX + 1);
	if ((st = rows_read(c, &st_memberships, limit, &membership_rows, "list", (void **)out, n,
	    e)) != CORE_OK)
		return st;
	if (*n > GROUP_MEMBERSHIPS_MAX)
		return core_fail(e, CORE_TOO_LARGE, NULL,
		    "more than %d group memberships: list them by group", GROUP_MEMBERSHIPS_MAX);
	return CORE_OK;
}
