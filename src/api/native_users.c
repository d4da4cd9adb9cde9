/* native_users.c: /api/v1/users — translation between the native JSON/form shapes and core/users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/jobs.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#include "native.h"

void
native_user_json(struct jsonw *w, const struct user *u)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "uid", u->uid);
	jsonw_kint(w, "id", u->id);
	for (int f = 0; f < UF__MAX; f++) {
		const char *v = u->val[f];

		jsonw_key(w, ufields[f].name);
		if (f == UF_ROLES) {
			jsonw_arr_open(w);
			for (size_t i = 0; i < u->nroles; i++)
				jsonw_str(w, u->roles[i]);
			jsonw_arr_close(w);
		} else if (ufields[f].kind == UFK_BOOL)
			jsonw_bool(w, v != NULL && strcmp(v, "true") == 0);
		else if (ufields[f].kind == UFK_VALUES)
			jsonw_raw(w, v ? v : "[]", v ? strlen(v) : 2);
		else
			jsonw_str(w, v);
	}
	jsonw_kstr(w, "name", u->name);
	jsonw_kstr(w, "manager_name", u->manager_name);
	jsonw_kstr(w, "status", user_status_name(u->status));
	jsonw_kstr(w, "disabled_reason", u->disabled_reason);
	jsonw_kbool(w, "has_password", u->has_password);
	jsonw_key(w, "mfa");
	jsonw_obj_open(w);
	jsonw_kbool(w, "totp", u->totp_enabled);
	jsonw_kbool(w, "webauthn", u->webauthn_enabled);
	jsonw_obj_close(w);
	jsonw_kstr(w, "last_login_at", u->last_login_at);
	jsonw_kstr(w, "invited_at", u->invited_at);
	jsonw_kstr(w, "confirmed_at", u->confirmed_at);
	jsonw_kstr(w, "locked_until", u->locked_until);
	jsonw_kstr(w, "created_at", u->created_at);
	jsonw_kstr(w, "updated_at", u->updated_at);
	jsonw_kint(w, "version", u->version);
	jsonw_obj_close(w);
}

void
native_reply_user(struct request *r, int status, const struct user *u)
{
	struct jsonw w;

	api_json_begin(r, status, &w);
	native_user_json(&w, u);
	api_etag(r, u->version);
	if (status == 201)
		api_location(r, arena_printf(r->arena, "/api/v1/users/%s", u->uid));
}

/*
 * One attribute by name into p. Names in `extra` are left to the caller
 * (CORE_OK, nothing set); any other unknown name is refused.
 */
static enum core_status
patch_field(struct arena *a, struct user_patch *p, const char *name, const char *value,
    const char *const *extra, struct core_err *e)
{
	int f = ufield_find(name);

	if (f >= 0)
		return user_patch_set(a, p, (enum ufield)f, value, e);
	for (const char *const *x = extra; x && *x; x++)
		if (strcmp(*x, name) == 0)
			return CORE_OK;
	return core_fail(e, CORE_INVALID, name, "unknown field %.64s", name);
}

/* The multi-valued attributes (lists of objects, not in the parameter view) of a JSON object. */
static enum core_status
values_of(struct arena *a, const struct json *o, struct user_patch *p, struct core_err *e)
{
	for (int f = 0; o != NULL && f < UF__MAX; f++) {
		const struct json *v = ufields[f].kind == UFK_VALUES ? json_get(o, ufields[f].name) :
		    NULL;
		enum core_status st;

		if (v != NULL && v->type == JSON_ARRAY &&
		    (st = api_user_values(a, p, (enum ufield)f, v, e)) != CORE_OK)
			return st;
	}
	return CORE_OK;
}

/* Reads user attributes from the parameter view (query, form or JSON object body). */
static int
read_patch(struct request *r, struct user_patch *p, const char *const *extra)
{
	struct core_err	 e;
	const struct json *roles = json_get(r->json, "roles");

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < r->params.n; i++) {
		const struct param *pv = &r->params.v[i];

		if (patch_field(r->arena, p, pv->name, pv->kind == PARAM_NULL ? NULL : pv->value,
		    extra, &e) != CORE_OK) {
			api_fail(r, &e);
			return -1;
		}
	}
	/* An empty JSON array puts no parameter in the view, but means "no roles". */
	if (roles != NULL && roles->type == JSON_ARRAY && roles->n == 0)
		user_patch_set(r->arena, p, UF_ROLES, "", &e);
	if (values_of(r->arena, r->json, p, &e) != CORE_OK) {
		api_fail(r, &e);
		return -1;
	}
	return 0;
}

enum core_status
native_user_item(struct arena *a, const struct json *o, struct user_create *req, struct core_err *e)
{
	static const char *const extra[] = { "password", "invite", "send_email", NULL };
	const struct json *v;

	memset(req, 0, sizeof(*req));
	if (o->type != JSON_OBJECT)
		return core_fail(e, CORE_INVALID, NULL, "each item must be a JSON object");
	for (size_t i = 0; i < o->n; i++) {
		enum core_status st = CORE_OK;

		v = o->items[i];
		if (v->type == JSON_OBJECT)
			st = core_fail(e, CORE_INVALID, o->keys[i], "%s cannot be an object", o->keys[i]);
		else if (v->type == JSON_ARRAY && ufield_find(o->keys[i]) >= 0 &&
		    ufields[ufield_find(o->keys[i])].kind == UFK_VALUES)
			st = api_user_values(a, &req->p, (enum ufield)ufield_find(o->keys[i]), v, e);
		else if (v->type == JSON_ARRAY) {
			if (strcmp(o->keys[i], "roles") != 0)
				st = core_fail(e, CORE_INVALID, o->keys[i], "%s cannot be a list", o->keys[i]);
			if (v->n == 0 && st == CORE_OK)
				st = user_patch_set(a, &req->p, UF_ROLES, "", e);
			for (size_t k = 0; k < v->n && st == CORE_OK; k++)
				st = v->items[k]->type == JSON_STRING ?
				    user_patch_set(a, &req->p, UF_ROLES, v->items[k]->str, e) :
				    core_fail(e, CORE_INVALID, "roles", "roles must be names");
		} else
			st = patch_field(a, &req->p, o->keys[i],
			    v->type == JSON_NULL ? NULL : v->str, extra, e);
		if (st != CORE_OK)
			return st;
	}
	if ((v = json_get(o, "password")) != NULL && v->type == JSON_STRING)
		req->password = v->str;
	if (api_item_bool(o, "invite", false, &req->invite, e) != CORE_OK ||
	    api_item_bool(o, "send_email", true, &req->send_email, e) != CORE_OK)
		return e->status;
	return CORE_OK;
}

static struct user_ref
ref_of(struct request *r, enum user_key k, const char *param)
{
	struct user_ref ref = { k, req_path_param(r, param) };

	return ref;
}

static void
h_users_create(struct request *r)
{
	static const char *const extra[] = { "password", "invite", "send_email", NULL };
	struct user_create	 req;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;

	memset(&req, 0, sizeof(req));
	if (read_patch(r, &req.p, extra) != 0 ||
	    api_bool(r, "invite", false, &req.invite) != 0 ||
	    api_bool(r, "send_email", true, &req.send_email) != 0)
		return;
	if (api_str(r, "password", &req.password) != 0)
		return;
	api_ctx(r, &c);
	if (users_create(&c, &req, &u, &e) != CORE_OK)
		api_fail(r, &e);
	else
		native_reply_user(r, 201, &u);
}

/*
 * POST /api/v1/users/bulk: a JSON array of users (or {"users": [...]}),
 * created all or nothing; passwords (at most USERS_BULK_PASSWORDS_MAX) are
 * hashed on every core first. More passwords than that, once every item
 * reads well, are a job (native_jobs.c) when this server runs one.
 */
static void
h_users_bulk(struct request *r)
{
	const struct json	*list = r->json;
	struct user_create	*reqs;
	struct user_result	*res;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	size_t			 failed;

	if (list != NULL && list->type == JSON_OBJECT)
		list = json_get(list, "users");
	if (list == NULL || list->type != JSON_ARRAY || list->n == 0) {
		api_bad(r, "users", "send a JSON array of users (or {\"users\": [...]})");
		return;
	}
	if (list->n > USERS_BULK_MAX) {
		api_failf(r, CORE_TOO_LARGE, "users", "at most %d users in one request",
		    USERS_BULK_MAX);
		return;
	}
	reqs = arena_alloc(r->arena, list->n * sizeof(*reqs));
	res = arena_alloc(r->arena, list->n * sizeof(*res));
	if (reqs == NULL || res == NULL) {
		api_failf(r, CORE_TOO_LARGE, "users", "too many users in one request");
		return;
	}
	for (size_t i = 0; i < list->n; i++)
		if (native_user_item(r->arena, list->items[i], &reqs[i], &e) != CORE_OK) {
			api_item_fail(r, "users", i, &e);
			return;
		}
	/* More hashing than one request may do: a job, where a runner can do it. */
	if (users_bulk_passwords(reqs, list->n) > USERS_BULK_PASSWORDS_MAX && jobs_available()) {
		native_bulk_job(r, list, reqs);
		return;
	}
	if (users_bulk_check(reqs, list->n, "users", &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_ctx(r, &c);
	if (users_create_many(&c, reqs, list->n, true, res, &failed) != CORE_OK) {
		api_item_fail(r, "users", failed, &res[failed].err);
		return;
	}
	api_json_begin(r, 201, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "users");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < list->n; i++)
		native_user_json(&w, &res[i].user);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
}

static void
get_by(struct request *r, enum user_key k, const char *param)
{
	struct user_ref	 ref = ref_of(r, k, param);
	struct user	 u;

	if (api_user_get(r, &ref, &u) == 0)
		native_reply_user(r, 200, &u);
}

static void h_users_get(struct request *r) { get_by(r, UKEY_UID, "uid"); }
static void h_users_by_id(struct request *r) { get_by(r, UKEY_ID, "id"); }
static void h_users_by_username(struct request *r) { get_by(r, UKEY_USERNAME, "username"); }
static void h_users_by_email(struct request *r) { get_by(r, UKEY_EMAIL, "email"); }

static void
h_users_update(struct request *r)
{
	struct user_ref	 ref = ref_of(r, UKEY_UID, "uid");
	struct user_patch p;
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	int		 version;

	if (api_if_match(r, &version) != 0 || read_patch(r, &p, NULL) != 0)
		return;
	api_ctx(r, &c);
	if (users_update(&c, &ref, &p, version, &u, &e) != CORE_OK)
		api_fail(r, &e);
	else
		native_reply_user(r, 200, &u);
}

/* The fields each status operation takes; any other is refused, naming it. */
static const char *const none[] = { NULL };
static const char *const with_reason[] = { "reason", NULL };
static const char *const with_reset[] = { "reset_inactivity", NULL };

static void h_users_remove(struct request *r) { api_user_remove(r, "uid"); }

static void
apply(struct request *r, enum user_op op, const char *const *known)
{
	struct user_ref		 ref = ref_of(r, UKEY_UID, "uid");
	struct user_op_opts	 o = { NULL, false, CORE_ANY_VERSION };
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;

	if (api_if_match(r, &o.if_version) != 0 || !api_begin(r, known, &c) ||
	    api_str(r, "reason", &o.reason) != 0 ||
	    api_bool(r, "reset_inactivity", false, &o.reset_inactivity) != 0)
		return;
	if (users_apply(&c, &ref, op, &o, &u, &e) != CORE_OK)
		api_fail(r, &e);
	else
		native_reply_user(r, 200, &u);
}

static void h_users_disable(struct request *r) { apply(r, UOP_DISABLE, with_reason); }
static void h_users_enable(struct request *r) { apply(r, UOP_ENABLE, none); }
static void h_users_suspend(struct request *r) { apply(r, UOP_SUSPEND, none); }
static void h_users_unsuspend(struct request *r) { apply(r, UOP_UNSUSPEND, none); }
static void h_users_unlock(struct request *r) { apply(r, UOP_UNLOCK, with_reset); }

static void
set_password(struct request *r, struct user_ref *ref)
{
	static const char *const known[] = { "password", "current_password", NULL };
	const char	*pw = NULL, *current = NULL;
	struct core_ctx	c;
	struct core_err	e;

	if (!api_begin(r, known, &c) || api_str(r, "password", &pw) != 0 ||
	    api_str(r, "current_password", &current) != 0)
		return;
	if (users_set_password(&c, ref, pw, current, &e) != CORE_OK)
		api_fail(r, &e);
	else
		resp_start(r, 204, "application/json");
}

static void
h_users_password(struct request *r)
{
	struct user_ref ref = ref_of(r, UKEY_UID, "uid");

	set_password(r, &ref);
}

static void
h_me_password(struct request *r)
{
	struct user_ref ref = { UKEY_UID, r->principal->user_uid };

	if (ref.value == NULL) {
		api_bad(r, NULL, "a service key has no user");
		return;
	}
	set_password(r, &ref);
}

/* POST /api/v1/users/{uid}/password-reset: e-mails the user a reset link. */
static void
h_users_reset_link(struct request *r)
{
	static const char *const known[] = { NULL };
	struct user_ref	 ref = ref_of(r, UKEY_UID, "uid");
	char		 expires[TOKEN_TIME_LEN] = "";
	struct core_ctx	 c;
	struct core_err	 e;
	struct jsonw	 w;

	if (!api_begin(r, known, &c))
		return;
	if (users_send_reset(&c, &ref, expires, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	/* Accepted: the mailer delivers it. */
	api_json_begin(r, 202, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "expires_at", expires);
	jsonw_obj_close(&w);
}

static void
user_item(struct jsonw *w, const void *v)
{
	native_user_json(w, v);
}

/* Query parameters that steer a list rather than filter it. */
static const char *const list_controls[] = { "q", "sort", "limit", "cursor", NULL };

static void
h_users_list(struct request *r)
{
	struct user_query	 q;
	struct user_page	 page;
	struct core_ctx		 c;
	struct core_err		 e;
	struct fnode		*filter = NULL;
	enum core_status	 st;
	const char		*v = NULL;
	long			 limit = CORE_PAGE_DEFAULT;

	memset(&q, 0, sizeof(q));
	memset(&page, 0, sizeof(page));
	if (api_int(r, "limit", 1, CORE_PAGE_MAX, &limit) != 0 || api_str(r, "sort", &q.sort) != 0 ||
	    api_str(r, "cursor", &q.cursor) != 0 || api_str(r, "q", &v) != 0)
		return;
	q.limit = (int)limit;
	if (v != NULL && *v != '\0' &&
	    (filter = filter_parse_lucene(r->arena, v, &e)) == NULL) {
		api_fail(r, &e);
		return;
	}
	/* Every other parameter is field=value, checked against the same whitelist. */
	for (size_t i = 0; i < r->params.n; i++) {
		const struct param *pv = &r->params.v[i];
		bool control = false;

		for (const char *const *k = list_controls; *k; k++)
			control |= strcmp(*k, pv->name) == 0;
		if (!control)
			filter = filter_and(r->arena, filter,
			    filter_cmp(r->arena, pv->name, FOP_EQ, pv->value));
	}
	q.filter = filter;
	api_ctx(r, &c);
	st = users_list(&c, &q, &page, &e);
	api_reply_page(r, st, &e, "users", page.users, page.n, sizeof(*page.users), user_item,
	    page.next_cursor);
}

/* Fields that are lists: the rest of a request's fields must be scalars, given once. */
static const char *const roles_list[] = { "roles", "emails", "phone_numbers", "addresses", NULL };
static const char *const bulk_list[] = { "users", NULL };

#define A	LEVEL_ADMIN
/* Creates that honour Idempotency-Key (a retry gets the first answer). */
API_IDEMPOTENT(h_users_create_once, h_users_create, false)
API_IDEMPOTENT(h_users_bulk_once, h_users_bulk, false)

static const struct route routes[] = {
	{ "GET",    "/api/v1/users",				h_users_list,	   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users",				h_users_create_once,	   &dialect_native, A, 0, roles_list, false },
	{ "POST",   "/api/v1/users/bulk",			h_users_bulk_once,	   &dialect_native, A, 0, bulk_list, true },
	{ "GET",    "/api/v1/users/by-id/{id}",			h_users_by_id,	   &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/by-username/{username}",	h_users_by_username, &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/by-email/{email}",		h_users_by_email,  &dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/users/{uid}",			h_users_get,	   &dialect_native, A, 0, NULL, false },
	{ "PATCH",  "/api/v1/users/{uid}",			h_users_update,	   &dialect_native, A, 0, roles_list, false },
	{ "DELETE", "/api/v1/users/{uid}",			h_users_remove,	   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/disable",		h_users_disable,   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/enable",		h_users_enable,	   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/suspend",		h_users_suspend,   &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/unsuspend",		h_users_unsuspend, &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/unlock",		h_users_unlock,	   &dialect_native, A, 0, NULL, false },
	{ "PUT",    "/api/v1/users/{uid}/password",		h_users_password,  &dialect_native, A, 0, NULL, false },
	{ "POST",   "/api/v1/users/{uid}/password-reset",	h_users_reset_link, &dialect_native, A, 0, NULL, false },
	{ "PUT",    "/api/v1/me/password",			h_me_password,	   &dialect_native, LEVEL_GUEST, 0, NULL, false },
};
#undef A
const struct route_list native_user_routes = ROUTE_LIST(routes);
