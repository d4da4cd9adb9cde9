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

static const char *const no_fields[] = { NULL };

/*
 * A list field: a JSON array in a JSON body, or JSON text in a form field
 * (or in a JSON string). Renders 400 and returns NULL when absent or not a list.
 */
static const struct json *
list_field(struct request *r, const char *name)
{
	/* The text is one field, already bounded by the request's field length. */
	static const struct parse_limits lim = { 16, 4096, 4, 4096 };
	const struct json	*j = r->json ? json_get(r->json, name) : NULL;
	const char		*text = NULL;
	size_t			 len = 0;
	struct parse_error	 pe;
	char			 msg[256];

	if (j != NULL && j->type == JSON_STRING) {
		text = j->str;
		len = j->len;
	} else if (r->json == NULL && (text = req_param(r, name)) != NULL)
		len = strlen(text);
	if (text != NULL && (j = json_parse(r->arena, &lim, text, len, &pe)) == NULL) {
		snprintf(msg, sizeof(msg), "%s is not valid JSON: %s", name, pe.msg);
		api_bad(r, name, msg);
		return NULL;
	}
	if (j == NULL || j->type != JSON_ARRAY) {
		snprintf(msg, sizeof(msg), "%s must be a list (a JSON array)", name);
		api_bad(r, name, msg);
		return NULL;
	}
	return j;
}

/* A string or number's text, or NULL (other types, or text holding a NUL). */
static const char *
scalar(const struct json *v)
{
	if ((v->type != JSON_STRING && v->type != JSON_NUMBER) || strlen(v->str) != v->len)
		return NULL;
	return v->str;
}

/* A path segment for a Location header: everything but unreserved characters (and ":@") escaped. */
static const char *
path_escape(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*out = arena_alloc(a, 3 * strlen(s) + 1), *o = out;

	if (out == NULL)
		return "";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (strchr("-._~:@", *p) != NULL || (*p >= '0' && *p <= '9') ||
		    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Refuses unknown fields, then fills the core context; false when a 400 was rendered. */
static bool
begin(struct request *r, const char *const *known, struct core_ctx *c)
{
	if (api_known_only(r, known) != 0)
		return false;
	api_ctx(r, c);
	return true;
}

/* The outcome of a core call: its error, or v as the whole body. Returns st. */
static enum core_status
reply_one(struct request *r, enum core_status st, const struct core_err *e, int status,
    const void *v, void (*item)(struct jsonw *, const void *))
{
	struct jsonw w;

	if (st != CORE_OK) {
		api_core_error(r, e);
		return st;
	}
	api_json_begin(r, status, &w);
	item(&w, v);
	return st;
}

/* The outcome of a core call: its error, or {"<name>": [item(v[0]), …]}. */
static void
reply_list(struct request *r, enum core_status st, const struct core_err *e, const char *name,
    const void *v, size_t n, size_t size, void (*item)(struct jsonw *, const void *))
{
	struct jsonw w;

	if (st != CORE_OK) {
		api_core_error(r, e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, name);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		item(&w, (const char *)v + i * size);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
}

/* The outcome of a core call that answers nothing: its error, or 204. */
static void
reply_none(struct request *r, enum core_status st, const struct core_err *e)
{
	if (st != CORE_OK)
		api_core_error(r, e);
	else
		resp_start(r, 204, "application/json");
}

static void
location(struct request *r, const char *path)
{
	if (path != NULL)
		resp_header(r, "Location", path);
}

/* DELETE of the resource named by one path parameter. */
static void
delete_by(struct request *r, const char *param,
    enum core_status (*fn)(struct core_ctx *, const char *, struct core_err *))
{
	struct core_ctx	c;
	struct core_err	e;

	if (begin(r, no_fields, &c))
		reply_none(r, fn(&c, req_path_param(r, param), &e), &e);
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
	if (!begin(r, no_fields, &c))					\
		return;							\
	st = call;							\
	reply_list(r, st, &e, name, v, n, sizeof(*v), item);		\
}

/* --- teams -------------------------------------------------------------------- */

static void
team_json(struct jsonw *w, const void *v)
{
	const struct team *t = v;

	jsonw_obj_open(w);
	jsonw_kint(w, "id", t->id);
	jsonw_kstr(w, "name", t->name);
	jsonw_kint(w, "members", t->members);
	jsonw_kstr(w, "created_at", t->created_at);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_teams_list, struct team, "teams", team_json,
    teams_list(&c, &v, &n, &e))

static void
h_teams_create(struct request *r)
{
	static const char *const known[] = { "name", NULL };
	struct team	 t;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!begin(r, known, &c))
		return;
	st = teams_create(&c, req_param(r, "name"), &t, &e);
	if (reply_one(r, st, &e, 201, &t, team_json) == CORE_OK)
		location(r, arena_printf(r->arena, "/api/v1/teams/%lld", (long long)t.id));
}

static void
h_teams_rename(struct request *r)
{
	static const char *const known[] = { "name", NULL };
	struct team	 t;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!begin(r, known, &c))
		return;
	st = teams_rename(&c, req_path_param(r, "id"), req_param(r, "name"), &t, &e);
	reply_one(r, st, &e, 200, &t, team_json);
}

static void h_teams_delete(struct request *r) { delete_by(r, "id", teams_delete); }

/* --- groups ------------------------------------------------------------------- */

static void
group_json(struct jsonw *w, const void *v)
{
	const struct group *g = v;

	jsonw_obj_open(w);
	jsonw_kstr(w, "key", g->key);
	jsonw_kint(w, "id", g->id);
	jsonw_kstr(w, "name", g->name);
	jsonw_kint(w, "members", g->members);
	jsonw_kstr(w, "created_at", g->created_at);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_groups_list, struct group, "groups", group_json,
    groups_list(&c, &v, &n, &e))

static void
h_groups_create(struct request *r)
{
	static const char *const known[] = { "key", "name", NULL };
	struct group	 g;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!begin(r, known, &c))
		return;
	st = groups_create(&c, req_param(r, "key"), req_param(r, "name"), &g, &e);
	if (reply_one(r, st, &e, 201, &g, group_json) == CORE_OK)
		location(r, arena_printf(r->arena, "/api/v1/groups/%s",
		    path_escape(r->arena, g.key)));
}

static void
h_groups_get(struct request *r)
{
	struct group	 g;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!begin(r, no_fields, &c))
		return;
	st = groups_get(&c, req_path_param(r, "key"), &g, &e);
	reply_one(r, st, &e, 200, &g, group_json);
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
	struct jsonw		 w;
	long			 limit = 100;

	if (!begin(r, known, &c) || api_int(r, "limit", 1, 1000, &limit) != 0)
		return;
	if (groups_members(&c, req_path_param(r, "key"), req_param(r, "cursor"), (int)limit, &page,
	    &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "members");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < page.n; i++)
		member_json(&w, &page.members[i]);
	jsonw_arr_close(&w);
	jsonw_kstr(&w, "next_cursor", page.next_cursor);
	jsonw_obj_close(&w);
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

	if (!begin(r, known, &c))
		return;
	if (rv != NULL && group_role_parse(rv, &role, &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	if (groups_member_set(&c, ref, &key, 1, role, &m, &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	reply_one(r, CORE_OK, &e, m.created ? 201 : 200, &m, member_json);
	if (m.created)
		location(r, arena_printf(r->arena, "/api/v1/groups/%s/members/%s",
		    path_escape(r->arena, m.group_key), m.user_uid));
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

	if (begin(r, no_fields, &c))
		reply_none(r, groups_member_remove(&c, &ref, &key, 1, &e), &e);
}

static void
user_group_json(struct jsonw *w, const void *v)
{
	const struct user_group *g = v;

	jsonw_obj_open(w);
	jsonw_kstr(w, "key", g->key);
	jsonw_kstr(w, "name", g->name);
	jsonw_kstr(w, "role", group_role_name(g->role));
	jsonw_kstr(w, "since", g->since);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_user_groups, struct user_group, "groups", user_group_json,
    groups_of_user(&c, &ref, &v, &n, &e))

/* --- policies ----------------------------------------------------------------- */

static void
policy_json(struct jsonw *w, const void *v)
{
	const struct policy *p = v;

	jsonw_obj_open(w);
	jsonw_kint(w, "id", p->id);
	jsonw_kstr(w, "name", p->name);
	jsonw_kstr(w, "description", p->description);
	jsonw_kint(w, "assignments", p->assignments);
	jsonw_kstr(w, "created_at", p->created_at);
	jsonw_obj_close(w);
}

static void
assignment_json(struct jsonw *w, const void *v)
{
	const struct policy_assignment *a = v;

	jsonw_obj_open(w);
	jsonw_kint(w, "id", a->id);
	jsonw_kint(w, "policy_id", a->policy_id);
	jsonw_kstr(w, "user", a->user_uid);
	jsonw_kstr(w, "group", a->group_key);
	jsonw_kstr(w, "created_at", a->created_at);
	jsonw_obj_close(w);
}

LIST_HANDLER(h_policies_list, struct policy, "policies", policy_json,
    policies_list(&c, &v, &n, &e))

static void
h_policies_create(struct request *r)
{
	static const char *const known[] = { "name", "description", NULL };
	struct policy	 p;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;

	if (!begin(r, known, &c))
		return;
	st = policies_create(&c, req_param(r, "name"), req_param(r, "description"), &p, &e);
	if (reply_one(r, st, &e, 201, &p, policy_json) == CORE_OK)
		location(r, arena_printf(r->arena, "/api/v1/policies/%lld", (long long)p.id));
}

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

	if (!begin(r, known, &c))
		return;
	if (policies_assign(&c, req_path_param(r, "id"), ref.value ? &ref : NULL,
	    req_param(r, "group"), &a, &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	reply_one(r, CORE_OK, &e, a.created ? 201 : 200, &a, assignment_json);
	if (a.created)
		location(r, arena_printf(r->arena, "/api/v1/policies/%lld/assignments/%lld",
		    (long long)a.policy_id, (long long)a.id));
}

static void
h_assignments_delete(struct request *r)
{
	struct core_ctx	c;
	struct core_err	e;

	if (begin(r, no_fields, &c))
		reply_none(r, policies_unassign(&c, req_path_param(r, "id"),
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

static void
card_json(struct jsonw *w, const void *v)
{
	const struct smartcard *s = v;

	jsonw_obj_open(w);
	jsonw_kstr(w, "number", s->number);
	jsonw_kstr(w, "label", s->label);
	jsonw_obj_close(w);
}

static void
name_json(struct jsonw *w, const void *v)
{
	jsonw_str(w, *(const char *const *)v);
}

/* [{"number": "<digits>", "label"?: "…"}, …] into cards; renders 400 on a wrong shape. */
static int
read_cards(struct request *r, const struct json *list, struct smartcard **out)
{
	char msg[128];

	if ((*out = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(**out))) == NULL) {
		r->route->dialect->error(r, 500, NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct json *item = list->items[i];

		if (item->type != JSON_OBJECT) {
			snprintf(msg, sizeof(msg), "smartcards[%zu] must be an object with a number",
			    i);
			api_bad(r, "smartcards", msg);
			return -1;
		}
		for (size_t k = 0; k < item->n; k++) {
			const struct json *v = item->items[k];
			bool number = strcmp(item->keys[k], "number") == 0;

			if (number && scalar(v) != NULL)
				(*out)[i].number = scalar(v);
			else if (!number && strcmp(item->keys[k], "label") == 0 &&
			    (v->type == JSON_NULL || scalar(v) != NULL))
				(*out)[i].label = v->type == JSON_NULL ? NULL : scalar(v);
			else {
				snprintf(msg, sizeof(msg), "smartcards[%zu].%.32s is not a number or label",
				    i, item->keys[k]);
				api_bad(r, "smartcards", msg);
				return -1;
			}
		}
	}
	return 0;
}

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

	if (!begin(r, known, &c) || api_bool(r, "allow_duplicates", false, &dup) != 0 ||
	    (list = list_field(r, "smartcards")) == NULL || read_cards(r, list, &in) != 0)
		return;
	st = userattrs_smartcards_set(&c, &ref, in, list->n, dup, &v, &n, &e);
	reply_list(r, st, &e, "smartcards", v, n, sizeof(*v), card_json);
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

	if (!begin(r, known, &c) || (list = list_field(r, "usernames")) == NULL)
		return;
	if ((in = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*in))) == NULL) {
		r->route->dialect->error(r, 500, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i]->type != JSON_STRING || (in[i] = scalar(list->items[i])) == NULL) {
			api_bad(r, "usernames", "usernames must be a list of strings");
			return;
		}
	st = userattrs_workstation_usernames_set(&c, &ref, in, list->n, &v, &n, &e);
	reply_list(r, st, &e, "usernames", v, n, sizeof(*v), name_json);
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
	static const struct { const char *name; enum mfa_kind kind; } types[] = {
		{ "totp", MFA_TOTP }, { "webauthn", MFA_WEBAUTHN }, { "all", MFA_ALL },
	};
	struct user_ref	 ref = path_user(r);
	const char	*type = req_param(r, "type");
	enum mfa_kind	 kind = type == NULL ? MFA_ALL : 0;
	struct user	 u;
	struct core_ctx	 c;
	struct core_err	 e;
	struct jsonw	 w;
	char		 etag[24];

	if (!begin(r, known, &c))
		return;
	for (size_t i = 0; type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(type, types[i].name) == 0)
			kind = types[i].kind;
	if (kind == 0) {
		api_bad(r, "type", "type must be totp, webauthn or all");
		return;
	}
	if (userattrs_mfa_reset(&c, &ref, kind, &u, &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	native_user_json(&w, &u);
	snprintf(etag, sizeof(etag), "\"%d\"", u.version);
	resp_header(r, "ETag", etag);
}

#define A	LEVEL_ADMIN
const struct route native_group_routes[] = {
	{ "GET",    "/api/v1/teams",				h_teams_list,	      &dialect_native, A, 0 },
	{ "POST",   "/api/v1/teams",				h_teams_create,	      &dialect_native, A, 0 },
	{ "PATCH",  "/api/v1/teams/{id}",			h_teams_rename,	      &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/teams/{id}",			h_teams_delete,	      &dialect_native, A, 0 },
	{ "GET",    "/api/v1/groups",				h_groups_list,	      &dialect_native, A, 0 },
	{ "POST",   "/api/v1/groups",				h_groups_create,      &dialect_native, A, 0 },
	{ "GET",    "/api/v1/groups/{key}",			h_groups_get,	      &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/groups/{key}",			h_groups_delete,      &dialect_native, A, 0 },
	{ "GET",    "/api/v1/groups/{key}/members",		h_members_list,	      &dialect_native, A, 0 },
	{ "POST",   "/api/v1/groups/{key}/members",		h_members_add,	      &dialect_native, A, 0 },
	{ "PUT",    "/api/v1/groups/{key}/members/{uid}",	h_members_put,	      &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/groups/{key}/members/{uid}",	h_members_remove,     &dialect_native, A, 0 },
	{ "GET",    "/api/v1/policies",				h_policies_list,      &dialect_native, A, 0 },
	{ "POST",   "/api/v1/policies",				h_policies_create,    &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/policies/{id}",			h_policies_delete,    &dialect_native, A, 0 },
	{ "GET",    "/api/v1/policies/{id}/assignments",	h_assignments_list,   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/policies/{id}/assignments",	h_assignments_create, &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/policies/{id}/assignments/{assignment_id}", h_assignments_delete,
	    &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/{uid}/groups",		h_user_groups,	      &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/{uid}/policies",		h_user_policies,      &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/{uid}/smartcards",		h_smartcards_get,     &dialect_native, A, 0 },
	{ "PUT",    "/api/v1/users/{uid}/smartcards",		h_smartcards_put,     &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/{uid}/workstation-usernames", h_ws_get,	      &dialect_native, A, 0 },
	{ "PUT",    "/api/v1/users/{uid}/workstation-usernames", h_ws_put,	      &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/users/{uid}/mfa",			h_mfa_reset,	      &dialect_native, A, 0 },
};
#undef A
const size_t native_group_nroutes = sizeof(native_group_routes) / sizeof(native_group_routes[0]);
