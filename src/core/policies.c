/* policies.c: policies, given to users or to groups, and what applies to a user. */
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/db.h"
#include "gatehouse/policies.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/validate.h"
#include "groups_internal.h"
#include "rows.h"

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
/* Everyone a policy reaches: its direct assignees and the members of its groups. */
DB_STMT(st_policy_user_levels, 1,
    "SELECT u.access_level FROM gatehouse.users u WHERE u.org_id = gatehouse.current_org()"
    " AND u.id IN (SELECT a.user_id FROM gatehouse.policy_assignments a"
    "  WHERE a.org_id = gatehouse.current_org() AND a.policy_id = $1::bigint AND a.user_id IS NOT NULL"
    "  UNION SELECT m.user_id FROM gatehouse.policy_assignments a JOIN gatehouse.group_members m"
    "  ON m.org_id = a.org_id AND m.group_id = a.group_id"
    "  WHERE a.org_id = gatehouse.current_org() AND a.policy_id = $1::bigint)"
    " FOR UPDATE OF u");

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

static const struct rows_col policy_cols[POLICY_NCOLS] = {
	ROWS_INT(struct policy, id), ROWS_TEXT(struct policy, name),
	ROWS_TEXT(struct policy, description), ROWS_TEXT(struct policy, created_at),
	ROWS_INT(struct policy, assignments),
};
static const struct rows_kind policy_rows = { "policy", POLICY_NCOLS, sizeof(struct policy),
	policy_cols, NULL };
static const struct rows_col assignment_cols[ASSIGN_NCOLS] = {
	ROWS_INT(struct policy_assignment, id), ROWS_INT(struct policy_assignment, policy_id),
	ROWS_TEXT(struct policy_assignment, user_uid), ROWS_TEXT(struct policy_assignment, group_key),
	ROWS_TEXT(struct policy_assignment, created_at),
};
static const struct rows_kind assignment_rows = { "policy assignment", ASSIGN_NCOLS,
	sizeof(struct policy_assignment), assignment_cols, NULL };

/*
 * Reads one policy by id with stmt (plain, shared or locked) inside the
 * transaction, or outside one as a read of its own.
 */
static enum core_status
policy_load(struct core_ctx *c, struct db_stmt *stmt, const char *id, struct policy *p,
    struct core_err *e)
{
	const char *q[1] = { id };

	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such policy");
	return rows_one(c, stmt, q, &policy_rows, p, NULL, "no such policy", e);
}

static enum core_status
assignment_load(struct core_ctx *c, const char *policy_id, const char *id,
    struct policy_assignment *out, struct core_err *e)
{
	const char *q[2] = { policy_id, id };

	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such assignment");
	return rows_one(c, &st_assignment_get, q, &assignment_rows, out, NULL, "no such assignment", e);
}

/*
 * Begins an operation on one policy: the transaction, and the policy read by
 * id with stmt; pid is its id as text. On failure the transaction is over.
 */
static enum core_status
policy_begin(struct core_ctx *c, struct db_stmt *stmt, const char *id, struct policy *p,
    char pid[CORE_ID_LEN], struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = policy_load(c, stmt, id, p, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(p->id, pid);
	return CORE_OK;
}

enum core_status
policies_create(struct core_ctx *c, const char *name, const char *description, struct policy *out,
    struct core_err *e)
{
	const char	*p[2] = { name, description ? description : "" };
	char		 sid[24];
	enum core_status st;
	PGresult	*r;

	if ((st = core_check_line(name, "name", 100, e)) != CORE_OK)
		return st;
	if (!valid_text(p[1], 2000))
		return core_fail(e, CORE_INVALID, "description",
		    "description must be at most 2000 bytes of text");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_policy_insert, p)) == NULL)
		return core_abort(core_taken(e, "name", "policy",
		    "a policy named \"%.100s\" already exists", name));
	core_id_text(db_int(r, 0, 0), sid);
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
	return rows_read(c, &st_policy_list, NULL, &policy_rows, "list", (void **)out, n, e);
}

enum core_status
policies_delete(struct core_ctx *c, const char *id, struct core_err *e)
{
	static const struct groups_reach reach = { &st_policy_user_levels, &st_policy_delete,
		"policy", "assignments" };
	struct policy	 p;
	char		 pid[CORE_ID_LEN];
	enum core_status st;

	if ((st = policy_begin(c, &st_policy_lock, id, &p, pid, e)) != CORE_OK)
		return st;
	return core_end(groups_delete_reaching(c, &reach, p.id, pid, p.name, p.assignments, e), e);
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

		if ((st = groups_hold(c, group_key, &g, e)) != CORE_OK)
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
	core_id_text(db_int(r, 0, 0), aid);
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
	if ((st = policy_begin(c, &st_policy_share, id, &p, pid, e)) != CORE_OK)
		return st;
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

	if ((st = policy_begin(c, &st_policy_share, id, &p, pid, e)) != CORE_OK)
		return st;
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
	const char	*q[1] = { id };
	struct db_query	 rq[2] = { DB_QUERY(&st_policy_get, q), DB_QUERY(&st_assignment_list, q) };
	struct policy	 p;
	enum core_status st;

	*n = 0;
	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such policy");
	/* The policy and its assignments together: one round trip. */
	if ((st = core_read(c, rq, 2, "list", e)) != CORE_OK)
		return st;
	if ((st = rows_take_one(c, rq[0].res, &policy_rows, &p, NULL, "no such policy", e)) != CORE_OK) {
		PQclear(rq[1].res);
		return st;
	}
	return rows_take(c, rq[1].res, &assignment_rows, (void **)out, n, e);
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
		int64_t id = db_int(r, (int)i, 0);

		if (up == NULL || up->policy.id != id) {
			up = &v[(*n)++];
			memset(up, 0, sizeof(*up));
			up->policy.id = id;
			up->policy.name = db_text(a, r, (int)i, 1);
			up->policy.description = db_text(a, r, (int)i, 2);
			up->policy.created_at = db_text(a, r, (int)i, 3);
			up->groups = &keys[k];
		}
		if (db_value(r, (int)i, 5) == NULL)
			up->assignment_id = db_int(r, (int)i, 4);
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
	struct db_query	 rq = DB_QUERY(&st_user_policies, q);
	enum core_status st;

	/* Two reads of their own, as groups_of_user. */
	*n = 0;
	if ((st = userattrs_user(c, ref, false, &u, e)) != CORE_OK)
		return st;
	core_id_text(u.id, uid);
	if ((st = core_read(c, &rq, 1, "policies", e)) != CORE_OK)
		return st;
	st = fold_user_policies(c->arena, rq.res, out, n, e);
	PQclear(rq.res);
	return st;
}
