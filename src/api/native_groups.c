/* native_groups.c: /api/v1 teams, groups, members, policies, and a user's cards, workstation names and MFA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/groups.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/teams.h"
#include "gatehouse/userattrs.h"

#include "native.h"

static const char *const no_fields[] = { NULL };

/* DELETE of the resource named by one path parameter. */
static void
delete_by(struct request *r, const char *param,
    enum core_status (*fn)(struct core_ctx *, const char *, struct core_err *))
{
	struct core_ctx	c;
	struct core_err	e;

	if (api_begin(r, no_fields, &c))
		api_reply_none(r, fn(&c, req_path_param(r, param), &e), &e);
}

static struct user_ref
path_user(struct request *r)
{
	struct user_ref ref = { UKEY_UID, req_path_param(r, "uid") };

	return ref;
}

/*
 * A GET handler answering {"<name>": [item, …]} from one core list call.
 * call may use c, e, v, n, and ref (the user the path names, if any).
 */
#define LIST_HANDLER(fn, type, name, item, call)				\
static void								\
fn(struct request *r)							\
{									\
	struct user_ref	 ref = path_user(r);				\
	type		*v = NULL;					\
	size_t		 n = 0;						\
	struct core_ctx	 c;						\
	struct core_err	 e;						\
	enum core_status st;						\
									\
	(void)ref;							\
	if (!api_begin(r, no_fields, &c))					\
		return;							\
	st = call;							\
	api_reply_list(r, st, &e, name, v, n, sizeof(*v), item);		\
}

/*
 * A POST handler creating one resource from the named fields (the rest are
 * refused): 201 with the resource and its Location. call and location may
 * use c, e and v (the new resource).
 */
#define CREATE_HANDLER(fn, type, item, call, location, ...)			\
static void								\
fn(struct request *r)							\
{									\
	static const char *const known[] = { __VA_ARGS__, NULL };	\
	type		 v;						\
	struct core_ctx	 c;						\
	struct core_err	 e;						\
	enum core_status st;						\
									\
	if (!api_begin(r, known, &c))					\
		return;							\
	st = call;							\
	api_reply_created(r, st, &e, &v, item, st != CORE_OK ? NULL : location); \
}

/* --- teams -------------------------------------------------------------------- */

static const struct api_member team_members[] = {
	API_MEMBER(struct team, "id", API_INT, id),
	API_MEMBER(struct team, "name", API_STR, name),
	API_MEMBER(struct team, "members", API_INT, members),
	API_MEMBER(struct team, "created_at", API_STR, created_at),
};
API_OBJECT_FN(team_json, team_members)

LIST_HANDLER(h_teams_list, struct team, "teams", team_json,
    teams_list(&c, &v, &n, &e))

CREATE_HANDLER(h_teams_create, struct team, team_json,
    teams_create(&c, req_param(r, "name"), &v, &e),
    arena_printf(r->arena, "/api/v1/teams/%lld", (long long)v.id), "name")

static void
h_teams_rename(struct request *r)
{
	static const char *const known[] = { "name", NULL };
	struct team	 t;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!api_begin(r, known, &c))
		return;
	st = teams_rename(&c, req_path_param(r, "id"), req_param(r, "name"), &t, &e);
	api_reply_one(r, st, &e, 200, &t, team_json);
}

static void h_teams_delete(struct request *r) { delete_by(r, "id", teams_delete); }

/* --- groups ------------------------------------------------------------------- */

static const struct api_member group_members[] = {
	API_MEMBER(struct group, "key", API_STR, key),
	API_MEMBER(struct group, "id", API_INT, id),
	API_MEMBER(struct group, "name", API_STR, name),
	API_MEMBER(struct group, "members", API_INT, members),
	API_MEMBER(struct group, "created_at", API_STR, created_at),
	API_MEMBER(struct group, "uid", API_STR, uid),
	API_MEMBER(struct group, "external_id", API_STR, external_id),
	API_MEMBER(struct group, "version", API_INT, version),
	API_MEMBER(struct group, "updated_at", API_STR, updated_at),
};
API_OBJECT_FN(group_json, group_members)

LIST_HANDLER(h_groups_list, struct group, "groups", group_json,
    groups_list(&c, &v, &n, &e))

CREATE_HANDLER(h_groups_create, struct group, group_json,
    groups_create(&c, req_param(r, "key"), req_param(r, "name"), &v, &e),
    arena_printf(r->arena, "/api/v1/groups/%s", api_path_escape(r, v.key)), "key", "name")

static void
h_groups_get(struct request *r)
{
	struct group	 g;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!api_begin(r, no_fields, &c))
		return;
	st = groups_get(&c, req_path_param(r, "key"), &g, &e);
	api_reply_one(r, st, &e, 200, &g, group_json);
}

static void h_groups_delete(struct request *r) { delete_by(r, "key", groups_delete); }

/* --- members ------------------------------------------------------------------ */

static void
member_json(struct jsonw *w, const void *v)
{
	const struct group_member *m = v;

	jsonw_obj_open(w);
	jsonw_kstr(w, "uid", m->user_uid);
	jsonw_kint(w, "id", m->user_id);
	jsonw_kstr(w, "username", m->username);
	jsonw_kstr(w, "email", m->email);
	jsonw_kstr(w, "group", m->group_key);
	jsonw_kstr(w, "role", group_role_name(m->role));
	jsonw_kstr(w, "access", group_access_name(m->access));
	jsonw_kstr(w, "since", m->since);
	jsonw_obj_close(w);
}

static void
h_members_list(struct request *r)
{
	static const char *const known[] = { "limit", "cursor", NULL };
	struct member_page	 page;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;
	long			 limit = CORE_PAGE_DEFAULT;

	memset(&page, 0, sizeof(page));
	if (!api_begin(r, known, &c) || api_int(r, "limit", 1, CORE_PAGE_MAX, &limit) != 0)
		return;
	st = groups_members(&c, req_path_param(r, "key"), req_param(r, "cursor"), (int)limit, &page,
	    &e);
	api_reply_page(r, st, &e, "members", page.members, page.n, sizeof(*page.members), member_json,
	    page.next_cursor);
}

/* Adds the user to the group or changes its role: 201 with Location when new, else 200. */
static void
member_set(struct request *r, const char *const *known, struct user_ref *ref)
{
	const char		*key = req_path_param(r, "key"), *rv = req_param(r, "role");
	enum group_role		 role = GROUP_MEMBER;
	struct group_member	 m;
	struct core_ctx		 c;
	struct core_err		 e;

	if (!api_begin(r, known, &c))
		return;
	if (rv != NULL && group_role_parse(rv, &role, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	if (groups_member_set(&c, ref, &key, 1, role, &m, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_reply_one(r, CORE_OK, &e, m.created ? 201 : 200, &m, member_json);
	if (m.created)
		api_location(r, arena_printf(r->arena, "/api/v1/groups/%s/members/%s",
		    api_path_escape(r, m.group_key), m.user_uid));
}

static void
h_members_add(struct request *r)
{
	static const char *const known[] = { "user", "role", NULL };
	struct user_ref ref = { UKEY_UID, req_param(r, "user") };

	member_set(r, known, &ref);
}

static void
h_members_put(struct request *r)
{
	static const char *const known[] = { "role", NULL };
	struct user_ref ref = path_user(r);

	member_set(r, known, &ref);
}

static void
h_members_remove(struct request *r)
{
	struct user_ref	 ref = path_user(r);
	const char	*key = req_path_param(r, "key");
	struct core_ctx	 c;
	struct core_err	 e;

	if (api_begin(r, no_fields, &c))
		api_reply_none(r, groups_member_remove(&c, &ref, &key, 1, &e), &e);
}

static void
user_group_json(struct jsonw *w, const void *v)
{
	const struct user_group *g = v;

	jsonw_obj_open(w);
	jsonw_kstr(w, "key", g->key);
	jsonw_kstr(w, "name", g->name);
	jsonw_kstr(w, "role", group_role_name(g->role));
	jsonw_kstr(w, "access", group_access_name(g->access));
	jsonw_kstr(w, "since", g->since);
	jsonw_kstr(w, "updated_at", g->updated);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_user_groups, struct user_group, "groups", user_group_json,
    groups_of_user(&c, &ref, &v, &n, &e))

/* --- policies ----------------------------------------------------------------- */

static const struct api_member policy_members[] = {
	API_MEMBER(struct policy, "id", API_INT, id),
	API_MEMBER(struct policy, "name", API_STR, name),
	API_MEMBER(struct policy, "description", API_STR, description),
	API_MEMBER(struct policy, "assignments", API_INT, assignments),
	API_MEMBER(struct policy, "created_at", API_STR, created_at),
};
API_OBJECT_FN(policy_json, policy_members)

static const struct api_member assignment_members[] = {
	API_MEMBER(struct policy_assignment, "id", API_INT, id),
	API_MEMBER(struct policy_assignment, "policy_id", API_INT, policy_id),
	API_MEMBER(struct policy_assignment, "user", API_STR, user_uid),
	API_MEMBER(struct policy_assignment, "group", API_STR, group_key),
	API_MEMBER(struct policy_assignment, "created_at", API_STR, created_at),
};
API_OBJECT_FN(assignment_json, assignment_members)

LIST_HANDLER(h_policies_list, struct policy, "policies", policy_json,
    policies_list(&c, &v, &n, &e))

CREATE_HANDLER(h_policies_create, struct policy, policy_json,
    policies_create(&c, req_param(r, "name"), req_param(r, "description"), &v, &e),
    arena_printf(r->arena, "/api/v1/policies/%lld", (long long)v.id), "name", "description")

static void h_policies_delete(struct request *r) { delete_by(r, "id", policies_delete); }

LIST_HANDLER(h_assignments_list, struct policy_assignment, "assignments", assignment_json,
    policies_assignments(&c, req_path_param(r, "id"), &v, &n, &e))

/* Body: user (uid) or group (key). 201 with Location when new; 200 when it already was. */
static void
h_assignments_create(struct request *r)
{
	static const char *const known[] = { "user", "group", NULL };
	struct user_ref		 ref = { UKEY_UID, req_param(r, "user") };
	struct policy_assignment a;
	struct core_ctx		 c;
	struct core_err		 e;

	if (!api_begin(r, known, &c))
		return;
	if (policies_assign(&c, req_path_param(r, "id"), ref.value ? &ref : NULL,
	    req_param(r, "group"), &a, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_reply_one(r, CORE_OK, &e, a.created ? 201 : 200, &a, assignment_json);
	if (a.created)
		api_location(r, arena_printf(r->arena, "/api/v1/policies/%lld/assignments/%lld",
		    (long long)a.policy_id, (long long)a.id));
}

static void
h_assignments_delete(struct request *r)
{
	struct core_ctx	c;
	struct core_err	e;

	if (api_begin(r, no_fields, &c))
		api_reply_none(r, policies_unassign(&c, req_path_param(r, "id"),
		    req_path_param(r, "assignment_id"), &e), &e);
}

static void
user_policy_json(struct jsonw *w, const void *v)
{
	const struct user_policy *p = v;

	jsonw_obj_open(w);
	jsonw_kint(w, "id", p->policy.id);
	jsonw_kstr(w, "name", p->policy.name);
	jsonw_kstr(w, "description", p->policy.description);
	jsonw_kbool(w, "direct", p->assignment_id != 0);
	jsonw_key(w, "assignment_id");
	if (p->assignment_id != 0)
		jsonw_int(w, p->assignment_id);
	else
		jsonw_null(w);
	jsonw_key(w, "groups");
	jsonw_arr_open(w);
	for (size_t i = 0; i < p->ngroups; i++)
		jsonw_str(w, p->groups[i]);
	jsonw_arr_close(w);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_user_policies, struct user_policy, "policies", user_policy_json,
    policies_of_user(&c, &ref, &v, &n, &e))

/* --- smart cards and workstation usernames ------------------------------------ */

static const struct api_member card_members[] = {
	API_MEMBER(struct smartcard, "number", API_STR, number),
	API_MEMBER(struct smartcard, "label", API_STR, label),
};
API_OBJECT_FN(card_json, card_members)

static void
name_json(struct jsonw *w, const void *v)
{
	jsonw_str(w, *(const char *const *)v);
}

/* [{"number": "<digits>", "label"?: "…"}, …] into cards; renders 400 on a wrong shape. */

LIST_HANDLER(h_smartcards_get, struct smartcard, "smartcards", card_json,
    userattrs_smartcards_get(&c, &ref, &v, &n, &e))

/* Body: smartcards (the whole new set), allow_duplicates. Answers the stored set. */
static void
h_smartcards_put(struct request *r)
{
	static const char *const known[] = { "smartcards", "allow_duplicates", NULL };
	struct user_ref		 ref = path_user(r);
	const struct json	*list;
	struct smartcard	*in, *v = NULL;
	size_t			 n = 0;
	bool			 dup;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;

	if (!api_begin(r, known, &c) || api_bool(r, "allow_duplicates", false, &dup) != 0 ||
	    (list = api_list(r, "smartcards")) == NULL ||
	    api_smartcards(r, "smartcards", list, &in) != 0)
		return;
	st = userattrs_smartcards_set(&c, &ref, in, list->n, dup, &v, &n, &e);
	api_reply_list(r, st, &e, "smartcards", v, n, sizeof(*v), card_json);
}

LIST_HANDLER(h_ws_get, const char *, "usernames", name_json,
    userattrs_workstation_usernames_get(&c, &ref, &v, &n, &e))

/* Body: usernames (the whole new set, a list of strings). Answers the stored set. */
static void
h_ws_put(struct request *r)
{
	static const char *const known[] = { "usernames", NULL };
	struct user_ref		 ref = path_user(r);
	const struct json	*list;
	const char		**in, **v = NULL;
	size_t			 n = 0;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;

	if (!api_begin(r, known, &c) || (list = api_list(r, "usernames")) == NULL)
		return;
	if ((in = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*in))) == NULL) {
		api_failf(r, CORE_INTERNAL, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i]->type != JSON_STRING || (in[i] = api_json_scalar(list->items[i])) == NULL) {
			api_bad(r, "usernames", "usernames must be a list of strings");
			return;
		}
	st = userattrs_workstation_usernames_set(&c, &ref, "usernames", in, list->n, &v, &n,
	    &e);
	api_reply_list(r, st, &e, "usernames", v, n, sizeof(*v), name_json);
}

/* --- MFA ---------------------------------------------------------------------- */

/*
 * DELETE /api/v1/users/{uid}/mfa?type=totp|webauthn|all (default all):
 * answers 200 with the user as it is afterwards (its mfa flags and version).
 */
static void
h_mfa_reset(struct request *r)
{
	static const char *const known[] = { "type", NULL };
	static const char *const types[] = { "totp", "webauthn", "all", NULL };
	static const enum mfa_kind kinds[] = { MFA_TOTP, MFA_WEBAUTHN, MFA_ALL };
	struct user_ref	 ref = path_user(r);
	int		 type = 2;
	struct user	 u;
	struct core_ctx	 c;
	struct core_err	 e;

	if (!api_begin(r, known, &c) || api_enum(r, "type", types, &type) != 0)
		return;
	if (userattrs_mfa_reset(&c, &ref, kinds[type], &u, &e) != CORE_OK)
		api_fail(r, &e);
	else
		native_reply_user(r, 200, &u);
}

/* Fields that are lists: the rest of a request's fields must be scalars, given once. */
static const char *const cards_list[] = { "smartcards", NULL };
static const char *const names_list[] = { "usernames", NULL };

#define A	LEVEL_ADMIN
/* Creates that honour Idempotency-Key (a retry gets the first answer). */
API_IDEMPOTENT(h_teams_create_once, h_teams_create, false)
API_IDEMPOTENT(h_groups_create_once, h_groups_create, false)
API_IDEMPOTENT(h_members_add_once, h_members_add, false)
API_IDEMPOTENT(h_policies_create_once, h_policies_create, false)
API_IDEMPOTENT(h_assignments_create_once, h_assignments_create, false)

static const struct route routes[] = {
	{ "GET",    "/api/v1/teams",				h_teams_list,	      &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/teams",				h_teams_create_once,	      &dialect_native, A, 0, NULL, false },
	{ "PATCH",  "/api/v1/teams/{id}",			h_teams_rename,	      &dialect_native, A, 0, NULL, false },
	{ "DELETE", "/api/v1/teams/{id}",			h_teams_delete,	      &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/groups",				h_groups_list,	      &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/groups",				h_groups_create_once,      &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/groups/{key}",			h_groups_get,	      &dialect_native, A, 0, NULL, false },
	{ "DELETE", "/api/v1/groups/{key}",			h_groups_delete,      &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/groups/{key}/members",		h_members_list,	      &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/groups/{key}/members",		h_members_add_once,	      &dialect_native, A, 0, NULL, false },
	{ "PUT",    "/api/v1/groups/{key}/members/{uid}",	h_members_put,	      &dialect_native, A, 0, NULL, false },
	{ "DELETE", "/api/v1/groups/{key}/members/{uid}",	h_members_remove,     &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/policies",				h_policies_list,      &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/policies",				h_policies_create_once,    &dialect_native, A, 0, NULL, false },
	{ "DELETE", "/api/v1/policies/{id}",			h_policies_delete,    &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/policies/{id}/assignments",	h_assignments_list,   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/policies/{id}/assignments",	h_assignments_create_once, &dialect_native, A, 0, NULL, false },
	{ "DELETE", "/api/v1/policies/{id}/assignments/{assignment_id}", h_assignments_delete,
	    &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/{uid}/groups",		h_user_groups,	      &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/{uid}/policies",		h_user_policies,      &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/{uid}/smartcards",		h_smartcards_get,     &dialect_native, A, 0, NULL, false },
	{ "PUT",    "/api/v1/users/{uid}/smartcards",		h_smartcards_put,     &dialect_native, A, 0, cards_list, false },
	{ "GET",    "/api/v1/users/{uid}/workstation-usernames", h_ws_get,	      &dialect_native, A, 0, NULL, false },
	{ "PUT",    "/api/v1/users/{uid}/workstation-usernames", h_ws_put,	      &dialect_native, A, 0, names_list, false },
	{ "DELETE", "/api/v1/users/{uid}/mfa",			h_mfa_reset,	      &dialect_native, A, 0, NULL, false },
};
#undef A
const struct route_list native_group_routes = ROUTE_LIST(routes);
