/* native_users.c: /api/v1/users — translation between the native JSON/form shapes and core/users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

/* Everything a core call needs from the request. */
void
api_ctx(struct request *r, struct core_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->arena = r->arena;
	c->actor = r->principal;
	c->org_id = r->principal ? r->principal->org_id : 0;
	c->request_id = r->id;
	c->address = r->remote_addr;
}

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
		else
			jsonw_str(w, v);
	}
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

/* One user as the whole response, with its version as the ETag. */
static void
reply_user(struct request *r, int status, const struct user *u)
{
	struct jsonw	w;
	char		etag[24];

	api_json_begin(r, status, &w);
	native_user_json(&w, u);
	snprintf(etag, sizeof(etag), "\"%d\"", u->version);
	resp_header(r, "ETag", etag);
	if (status == 201) {
		char *loc = arena_printf(r->arena, "/api/v1/users/%s", u->uid);

		if (loc != NULL)
			resp_header(r, "Location", loc);
	}
}

/* If-Match: "N" or W/"N" gives N, absent or * gives -1; anything else is refused. */
static int
if_match(struct request *r, int *version)
{
	const char *h = req_header(r, "If-Match");
	char *end;
	long v;

	*version = -1;
	if (h == NULL || strcmp(h, "*") == 0)
		return 0;
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	if (*h != '"')
		goto bad;
	v = strtol(h + 1, &end, 10);
	if (end == h + 1 || *end != '"' || end[1] != '\0' || v < 0 || v > 2000000000)
		goto bad;
	*version = (int)v;
	return 0;
bad:
	r->route->dialect->error(r, 400, "If-Match", "If-Match must be an ETag from this API");
	return -1;
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
			api_core_error(r, &e);
			return -1;
		}
	}
	/* An empty JSON array puts no parameter in the view, but means "no roles". */
	if (roles != NULL && roles->type == JSON_ARRAY && roles->n == 0)
		user_patch_set(r->arena, p, UF_ROLES, "", &e);
	return 0;
}

/* A boolean member of a bulk item, read like api_bool reads a parameter. */
static enum core_status
item_bool(const struct json *o, const char *name, bool dflt, bool *out, struct core_err *e)
{
	const struct json *v = json_get(o, name);

	*out = dflt;
	if (v == NULL)
		return CORE_OK;
	if (v->type != JSON_NULL && v->type != JSON_OBJECT && v->type != JSON_ARRAY) {
		if (strcasecmp(v->str, "true") == 0 || strcmp(v->str, "1") == 0) {
			*out = true;
			return CORE_OK;
		}
		if (strcasecmp(v->str, "false") == 0 || strcmp(v->str, "0") == 0) {
			*out = false;
			return CORE_OK;
		}
	}
	return core_fail(e, CORE_INVALID, name, "%s must be true or false", name);
}

/* Reads one JSON object (a bulk item) into a create request. */
static enum core_status
read_item(struct arena *a, const struct json *o, struct user_create *req, struct core_err *e)
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
	if (item_bool(o, "invite", false, &req->invite, e) != CORE_OK ||
	    item_bool(o, "send_email", true, &req->send_email, e) != CORE_OK)
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
	req.password = req_param(r, "password");
	api_ctx(r, &c);
	if (users_create(&c, &req, &u, &e) != CORE_OK)
		api_core_error(r, &e);
	else
		reply_user(r, 201, &u);
}

#define BULK_MAX	1000

/* Names a failure in a bulk request by its item: users[3].email. */
static void
bulk_error(struct request *r, size_t i, struct core_err *e)
{
	char field[64], msg[sizeof(e->msg)];

	snprintf(field, sizeof(field), "users[%zu]%s%.40s", i, e->field[0] ? "." : "", e->field);
	snprintf(msg, sizeof(msg), "item %zu: %.160s", i, e->msg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	api_core_error(r, e);
}

/*
 * POST /api/v1/users/bulk: a JSON array of users (or {"users": [...]}),
 * created all or nothing; passwords are hashed on every core first.
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
	if (list == NULL || list->type != JSON_ARRAY || list->n == 0 || list->n > BULK_MAX) {
		r->route->dialect->error(r, 400, "users",
		    "send a JSON array of 1 to 1000 users (or {\"users\": [...]})");
		return;
	}
	reqs = arena_alloc(r->arena, list->n * sizeof(*reqs));
	res = arena_alloc(r->arena, list->n * sizeof(*res));
	if (reqs == NULL || res == NULL) {
		r->route->dialect->error(r, 413, "users", "too many users in one request");
		return;
	}
	for (size_t i = 0; i < list->n; i++)
		if (read_item(r->arena, list->items[i], &reqs[i], &e) != CORE_OK) {
			bulk_error(r, i, &e);
			return;
		}
	api_ctx(r, &c);
	if (users_create_many(&c, reqs, list->n, true, res, &failed) != CORE_OK) {
		bulk_error(r, failed, &res[failed].err);
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
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;

	api_ctx(r, &c);
	if (users_get(&c, &ref, &u, &e) != CORE_OK)
		api_core_error(r, &e);
	else
		reply_user(r, 200, &u);
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

	if (if_match(r, &version) != 0 || read_patch(r, &p, NULL) != 0)
		return;
	api_ctx(r, &c);
	if (users_update(&c, &ref, &p, version, &u, &e) != CORE_OK)
		api_core_error(r, &e);
	else
		reply_user(r, 200, &u);
}

static void
h_users_remove(struct request *r)
{
	struct user_ref	 ref = ref_of(r, UKEY_UID, "uid");
	struct core_ctx	 c;
	struct core_err	 e;
	int		 version;

	if (if_match(r, &version) != 0)
		return;
	api_ctx(r, &c);
	if (users_remove(&c, &ref, version, &e) != CORE_OK)
		api_core_error(r, &e);
	else
		resp_start(r, 204, "application/json");
}

static void
apply(struct request *r, enum user_op op)
{
	struct user_ref		 ref = ref_of(r, UKEY_UID, "uid");
	struct user_op_opts	 o = { req_param(r, "reason"), false };
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;

	if (api_bool(r, "reset_inactivity", false, &o.reset_inactivity) != 0)
		return;
	api_ctx(r, &c);
	if (users_apply(&c, &ref, op, &o, &u, &e) != CORE_OK)
		api_core_error(r, &e);
	else
		reply_user(r, 200, &u);
}

static void h_users_disable(struct request *r) { apply(r, UOP_DISABLE); }
static void h_users_enable(struct request *r) { apply(r, UOP_ENABLE); }
static void h_users_suspend(struct request *r) { apply(r, UOP_SUSPEND); }
static void h_users_unsuspend(struct request *r) { apply(r, UOP_UNSUSPEND); }
static void h_users_unlock(struct request *r) { apply(r, UOP_UNLOCK); }

static void
set_password(struct request *r, struct user_ref *ref)
{
	struct core_ctx	c;
	struct core_err	e;

	api_ctx(r, &c);
	if (users_set_password(&c, ref, req_param(r, "password"), req_param(r, "current_password"),
	    &e) != CORE_OK)
		api_core_error(r, &e);
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
		r->route->dialect->error(r, 400, NULL, "a service key has no user");
		return;
	}
	set_password(r, &ref);
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
	struct jsonw		 w;
	const char		*v;
	long			 limit = 100;

	memset(&q, 0, sizeof(q));
	if (api_int(r, "limit", 1, 1000, &limit) != 0)
		return;
	q.limit = (int)limit;
	q.sort = req_param(r, "sort");
	q.cursor = req_param(r, "cursor");
	if ((v = req_param(r, "q")) != NULL && *v != '\0' &&
	    (filter = filter_parse_lucene(r->arena, v, &e)) == NULL) {
		api_core_error(r, &e);
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
	if (users_list(&c, &q, &page, &e) != CORE_OK) {
		api_core_error(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "users");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < page.n; i++)
		native_user_json(&w, &page.users[i]);
	jsonw_arr_close(&w);
	jsonw_kstr(&w, "next_cursor", page.next_cursor);
	jsonw_obj_close(&w);
}

#define A	LEVEL_ADMIN
const struct route native_user_routes[] = {
	{ "GET",    "/api/v1/users",				h_users_list,	   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users",				h_users_create,	   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/bulk",			h_users_bulk,	   &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/by-id/{id}",			h_users_by_id,	   &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/by-username/{username}",	h_users_by_username, &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/by-email/{email}",		h_users_by_email,  &dialect_native, A, 0 },
	{ "GET",    "/api/v1/users/{uid}",			h_users_get,	   &dialect_native, A, 0 },
	{ "PATCH",  "/api/v1/users/{uid}",			h_users_update,	   &dialect_native, A, 0 },
	{ "DELETE", "/api/v1/users/{uid}",			h_users_remove,	   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/{uid}/disable",		h_users_disable,   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/{uid}/enable",		h_users_enable,	   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/{uid}/suspend",		h_users_suspend,   &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/{uid}/unsuspend",		h_users_unsuspend, &dialect_native, A, 0 },
	{ "POST",   "/api/v1/users/{uid}/unlock",		h_users_unlock,	   &dialect_native, A, 0 },
	{ "PUT",    "/api/v1/users/{uid}/password",		h_users_password,  &dialect_native, A, 0 },
	{ "PUT",    "/api/v1/me/password",			h_me_password,	   &dialect_native, LEVEL_GUEST, 0 },
};
#undef A
const size_t native_user_nroutes = sizeof(native_user_routes) / sizeof(native_user_routes[0]);
