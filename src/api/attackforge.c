/*
 * attackforge.c: the AttackForge dialect (/attackforge) — the Self-Service
 * API's user endpoints as translations over the core: the X-SSAPI-KEY
 * header, JSON bodies, AttackForge's names for fields, roles, statuses and
 * MFA, and {"error": …} for every refusal. Groups, audit logs and logins are
 * in attackforge_history.c.
 */
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#include "attackforge.h"

/* AttackForge's rule for passwords, over the org's own minimum. */
#define AF_PASSWORD_MIN	15

/* {"error": …}; the vendor documents no error shape, only 4xx statuses. */
static void
af_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	(void)field;		/* the messages name the field */
	api_json_begin(r, status, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "error", detail);
	jsonw_obj_close(&w);
}

static int
af_guard(struct request *r)
{
	return api_authenticate_key(r, req_header(r, "X-SSAPI-KEY"));
}

const struct dialect dialect_attackforge = {
	.name = "attackforge",
	.prefix = "/attackforge",
	.guard = af_guard,
	.error = af_error,
};

struct user_ref
af_path_user(struct request *r, const char *param)
{
	struct user_ref ref = { UKEY_UID, req_path_param(r, param) };

	return ref;
}

void
af_list_begin(struct request *r, struct jsonw *w, int64_t count, const char *name)
{
	api_json_begin(r, 200, w);
	jsonw_obj_open(w);
	jsonw_kint(w, "count", count);
	jsonw_key(w, name);
	jsonw_arr_open(w);
}

void
af_list_end(struct jsonw *w)
{
	jsonw_arr_close(w);
	jsonw_obj_close(w);
}

static void
status_json(struct jsonw *w, const void *message)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "status", message);
	jsonw_obj_close(w);
}

void
af_status_reply(struct request *r, enum core_status st, const struct core_err *e,
    const char *message)
{
	api_reply_one(r, st, e, 200, message, status_json);
}

/* --- users as AttackForge shows them ---------------------------------------------------- */

/* AttackForge's roles, each a product role of the org's catalogue ("admin" also grants admin). */
static const char *const af_roles[] = { "admin", "librarymod", "client", "consultant",
	"projectoperator", NULL };
static const char *const af_yes_no[] = { "Yes", "No", NULL };

/* The user's AttackForge role: admin for any admin, else the first it holds; NULL for none. */
static const char *
af_role(const struct user *u)
{
	if (u->level >= LEVEL_ADMIN)
		return af_roles[0];
	for (const char *const *r = af_roles; *r; r++)
		for (size_t i = 0; i < u->nroles; i++)
			if (strcmp(u->roles[i], *r) == 0)
				return *r;
	return NULL;
}

static const char *
af_status(enum user_status s)
{
	static const char *const names[US__MAX] = { "Pending", "Active", "Deactivated", "Suspended",
		"Deleted" };

	return s < US__MAX ? names[s] : "Deleted";
}

static bool
is_true(const char *v)
{
	return v != NULL && strcmp(v, "true") == 0;
}

/* The user object of the GET and Update endpoints. */
static void
af_user_json(struct jsonw *w, const struct user *u)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "status", af_status(u->status));
	jsonw_kstr(w, "role", af_role(u));
	jsonw_kstr(w, "first_name", u->val[UF_FIRST_NAME]);
	jsonw_kstr(w, "last_name", u->val[UF_LAST_NAME]);
	jsonw_kstr(w, "email_address", u->val[UF_EMAIL]);
	jsonw_kstr(w, "username", u->val[UF_USERNAME]);
	/* Required of the user, or a factor enrolled. */
	jsonw_kstr(w, "mfa_enabled", is_true(u->val[UF_MFA_REQUIRED]) || u->totp_enabled ||
	    u->webauthn_enabled ? "Yes" : "No");
	jsonw_kstr(w, "last_logged_in", u->last_login_at);
	jsonw_kstr(w, "created", u->created_at);
	jsonw_kstr(w, "id", u->uid);
	jsonw_obj_close(w);
}

/* The user object of CreateUser and CreateUsers. */
static void
af_created_json(struct jsonw *w, const struct user *u)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "id", u->uid);
	jsonw_kstr(w, "first_name", u->val[UF_FIRST_NAME]);
	jsonw_kstr(w, "last_name", u->val[UF_LAST_NAME]);
	jsonw_kstr(w, "email", u->val[UF_EMAIL]);
	jsonw_kstr(w, "username", u->val[UF_USERNAME]);
	jsonw_kstr(w, "status", af_status(u->status));
	jsonw_kstr(w, "role", af_role(u));
	jsonw_kstr(w, "mfa", is_true(u->val[UF_MFA_REQUIRED]) ? "Yes" : "No");
	jsonw_obj_close(w);
}

/* {"user": …} with 200. */
static void
af_reply_user(struct request *r, const struct user *u)
{
	struct jsonw w;

	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "user");
	af_user_json(&w, u);
	jsonw_obj_close(&w);
}

/* --- creating ----------------------------------------------------------------------------- */

/* The fields of a new user; every one but password is required, in this order. */
enum af_field { AF_FIRST_NAME, AF_LAST_NAME, AF_USERNAME, AF_EMAIL, AF_PASSWORD, AF_ROLE, AF_MFA,
	AF__MAX };
static const char *const af_create_fields[AF__MAX + 1] = { "first_name", "last_name", "username",
	"email", "password", "role", "mfa", NULL };

/* The index of s among names (NULL-terminated), in any case, or -1. */
static int
choice(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcasecmp(names[i], s) == 0)
			return i;
	return -1;
}

/* One member of a new user into req. */
static enum core_status
af_create_field(struct arena *a, enum af_field f, const char *v, struct user_create *req,
    struct core_err *e)
{
	static const int ufield_of[] = { UF_FIRST_NAME, UF_LAST_NAME, UF_USERNAME, UF_EMAIL };
	const char	*name = af_create_fields[f];
	int		 i;

	switch (f) {
	case AF_PASSWORD:
		req->password = v;
		return CORE_OK;
	case AF_ROLE:
		if ((i = choice(af_roles, v)) < 0)
			return core_fail(e, CORE_INVALID, name, "role must be one of: admin, librarymod,"
			    " client, consultant, projectoperator");
		return user_patch_set(a, &req->p, UF_ROLES, af_roles[i], e);
	case AF_MFA:
		if ((i = choice(af_yes_no, v)) < 0)
			return core_fail(e, CORE_INVALID, name, "mfa must be one of: Yes, No");
		return api_item_patch(a, &req->p, UF_MFA_REQUIRED, name, i == 0 ? "true" : "false", e);
	default:
		return api_item_patch(a, &req->p, ufield_of[f], name, v, e);
	}
}

/*
 * One new user from a JSON object: CreateUser's body, or an item of
 * CreateUsers. Members are strings, each given once; a user without a
 * password signs in through SSO (AttackForge: "if SSO is enabled").
 */
static enum core_status
af_read_user(struct arena *a, const struct json *o, struct user_create *req, struct core_err *e)
{
	bool			 seen[AF__MAX] = { false };
	enum core_status	 st;

	memset(req, 0, sizeof(*req));
	if (o == NULL || o->type != JSON_OBJECT)
		return core_fail(e, CORE_INVALID, NULL, "a user must be a JSON object");
	for (size_t i = 0; i < o->n; i++) {
		const char	*name = o->keys[i];
		const struct json *v = o->items[i];
		int		 f;

		for (f = 0; f < AF__MAX && strcmp(af_create_fields[f], name) != 0; f++)
			continue;
		if (f == AF__MAX)
			return core_fail(e, CORE_INVALID, name, "unknown field %.64s", name);
		if (seen[f])
			return core_fail(e, CORE_INVALID, name, "%s must be given once", name);
		seen[f] = true;
		if (v->type != JSON_STRING || strlen(v->str) != v->len)
			return core_fail(e, CORE_INVALID, name, "%s must be a string", name);
		if ((st = af_create_field(a, (enum af_field)f, v->str, req, e)) != CORE_OK)
			return st;
	}
	for (int f = 0; f < AF__MAX; f++)
		if (!seen[f] && f != AF_PASSWORD)
			return core_fail(e, CORE_INVALID, af_create_fields[f], "%s is required",
			    af_create_fields[f]);
	req->password_min = AF_PASSWORD_MIN;
	if (req->password == NULL)
		return user_patch_set(a, &req->p, UF_AUTH_METHOD, "sso", e);
	return CORE_OK;
}

/* POST /api/ss/user */
static void
h_create_user(struct request *r)
{
	struct user_create	 req;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	struct jsonw		 w;

	if (!api_begin(r, af_create_fields, &c))
		return;
	if (api_ok(r, af_read_user(r->arena, r->json, &req, &e), &e) != 0 ||
	    api_ok(r, users_create(&c, &req, &u, &e), &e) != 0)
		return;
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "user");
	af_created_json(&w, &u);
	jsonw_obj_close(&w);
}

/* One entry of CreateUsers' answer. */
static void
af_result_json(struct jsonw *w, const struct user_result *res)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "status", res->status == CORE_OK ? "Created" : "Failed");
	jsonw_key(w, "user");
	if (res->status == CORE_OK)
		af_created_json(w, &res->user);
	else
		jsonw_null(w);
	jsonw_kstr(w, "error", res->status == CORE_OK ? NULL : res->err.msg);
	jsonw_obj_close(w);
}

/*
 * POST /api/ss/users: a JSON array of new users; each gets its own entry in
 * the answer, in order, and a bad one does not stop the others. The batch's
 * bounds (users_bulk_check) are checked before anything is read or done.
 */
static void
h_create_users(struct request *r)
{
	const struct json	*list = r->json;
	struct user_create	*reqs;
	struct user_result	*res, *made;
	size_t			*at, ngood = 0, failed;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;

	if (list == NULL || list->type != JSON_ARRAY) {
		api_bad(r, NULL, "send a JSON array of users");
		return;
	}
	reqs = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*reqs));
	res = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*res));
	made = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*made));
	at = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*at));
	if (reqs == NULL || res == NULL || made == NULL || at == NULL) {
		api_failf(r, CORE_TOO_LARGE, NULL, "too many users in one request");
		return;
	}
	/* Counted from the raw items, so that a batch past the bounds is refused whole. */
	for (size_t i = 0; i < list->n; i++) {
		memset(&reqs[i], 0, sizeof(reqs[i]));
		if (list->items[i]->type == JSON_OBJECT && json_get(list->items[i], "password"))
			reqs[i].password = "";
	}
	if (api_ok(r, users_bulk_check(reqs, list->n, "users", &e), &e) != 0)
		return;
	memset(res, 0, list->n * sizeof(*res));
	for (size_t i = 0; i < list->n; i++) {
		res[i].status = af_read_user(r->arena, list->items[i], &reqs[ngood], &res[i].err);
		if (res[i].status == CORE_OK)
			at[ngood++] = i;
	}
	api_ctx(r, &c);
	if (ngood > 0) {
		if (api_ok(r, users_create_many(&c, reqs, ngood, false, made, &failed),
		    &made[failed].err) != 0)
			return;
		for (size_t k = 0; k < ngood; k++)
			res[at[k]] = made[k];
	}
	api_json_begin(r, 200, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < list->n; i++)
		af_result_json(&w, &res[i]);
	jsonw_arr_close(&w);
}

/* --- reading --------------------------------------------------------------------------------- */

/* GET /api/ss/users?firstName=&lastName=&email=&username=: exact matches, all of them. */
static void
h_get_users(struct request *r)
{
	static const char *const known[] = { "firstName", "lastName", "email", "username", NULL };
	static const char *const fields[] = { "first_name", "last_name", "email", "username" };
	struct fnode		*filter = NULL;
	struct user_page	 page;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;

	if (!api_begin(r, known, &c))
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = NULL;

		if (api_str(r, known[i], &v) != 0)
			return;
		if (v != NULL)
			filter = filter_and(r->arena, filter, filter_cmp(r->arena, fields[i], FOP_EQ, v));
	}
	if (api_ok(r, users_list_all(&c, filter, &page, &e), &e) != 0)
		return;
	af_list_begin(r, &w, page.total, "users");
	for (size_t i = 0; i < page.n; i++)
		af_user_json(&w, &page.users[i]);
	af_list_end(&w);
}

static void
get_by(struct request *r, enum user_key k, const char *param)
{
	static const char *const known[] = { NULL };
	struct user_ref	 ref = { k, req_path_param(r, param) };
	struct core_ctx	 c;
	struct user	 u;

	if (api_begin(r, known, &c) && api_user_get(r, &ref, &u) == 0)
		af_reply_user(r, &u);
}

static void h_get_user(struct request *r) { get_by(r, UKEY_UID, "id"); }
static void h_get_by_email(struct request *r) { get_by(r, UKEY_EMAIL, "email"); }
static void h_get_by_username(struct request *r) { get_by(r, UKEY_USERNAME, "username"); }

/* --- changing ---------------------------------------------------------------------------- */

/*
 * PUT /api/ss/user/:id: names and is_deleted. is_deleted true removes the
 * user (the core's soft delete: hidden, names freed, kept for audit) and is
 * refused with other changes, which a removed user could not keep.
 */
static void
h_update_user(struct request *r)
{
	static const char *const known[] = { "first_name", "last_name", "email_address", "username",
		"is_deleted", NULL };
	struct user_ref		 ref = af_path_user(r, "id");
	struct user_patch	 p;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	bool			 deleted = false, any = false;

	memset(&p, 0, sizeof(p));
	if (!api_begin(r, known, &c) ||
	    api_patch_param(r, &p, UF_FIRST_NAME, "first_name") != 0 ||
	    api_patch_param(r, &p, UF_LAST_NAME, "last_name") != 0 ||
	    api_patch_param(r, &p, UF_EMAIL, "email_address") != 0 ||
	    api_patch_param(r, &p, UF_USERNAME, "username") != 0 ||
	    api_bool(r, "is_deleted", false, &deleted) != 0)
		return;
	for (int f = 0; f < UF__MAX; f++)
		any |= p.set[f];
	if (deleted && any) {
		api_bad(r, "is_deleted", "is_deleted cannot be combined with other changes");
		return;
	}
	if (!deleted) {
		if (api_ok(r, users_update(&c, &ref, &p, CORE_ANY_VERSION, &u, &e), &e) == 0)
			af_reply_user(r, &u);
		return;
	}
	if (api_user_get(r, &ref, &u) != 0 ||
	    api_ok(r, users_remove(&c, &ref, CORE_ANY_VERSION, &e), &e) != 0)
		return;
	u.status = US_REMOVED;
	af_reply_user(r, &u);
}

/* PUT /api/ss/user/:id/activate and /deactivate: {"status": message}. */
static void
set_active(struct request *r, enum user_op op, const char *message)
{
	static const char *const known[] = { NULL };
	struct user_ref	 ref = af_path_user(r, "id");
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;

	if (api_begin(r, known, &c))
		af_status_reply(r, users_apply(&c, &ref, op, NULL, &u, &e), &e, message);
}

static void h_activate(struct request *r) { set_active(r, UOP_ENABLE, "User Activated"); }
static void h_deactivate(struct request *r) { set_active(r, UOP_DISABLE, "User Deactivated"); }

#define A	LEVEL_ADMIN
/* Creates that honour Idempotency-Key (a retry gets the first answer). */
API_IDEMPOTENT(h_create_user_once, h_create_user, false)
API_IDEMPOTENT(h_create_users_once, h_create_users, false)

static const struct route routes[] = {
	{ "POST", "/attackforge/api/ss/user",			h_create_user_once,	&dialect_attackforge, A, 0, NULL, false },
	{ "POST", "/attackforge/api/ss/users",			h_create_users_once,	&dialect_attackforge, A, 0, NULL, true },
	{ "GET",  "/attackforge/api/ss/users",			h_get_users,	&dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/users/email/{email}",	h_get_by_email,	&dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/users/username/{username}", h_get_by_username, &dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/users/{id}",		h_get_user,	&dialect_attackforge, A, 0, NULL, false },
	{ "PUT",  "/attackforge/api/ss/user/{id}",		h_update_user,	&dialect_attackforge, A, 0, NULL, false },
	{ "PUT",  "/attackforge/api/ss/user/{id}/activate",	h_activate,	&dialect_attackforge, A, 0, NULL, false },
	{ "PUT",  "/attackforge/api/ss/user/{id}/deactivate",	h_deactivate,	&dialect_attackforge, A, 0, NULL, false },
};
#undef A
static const struct route_list attackforge_user_routes = ROUTE_LIST(routes);
static const struct route_list *const attackforge_lists[] = {
	&attackforge_user_routes, &attackforge_history_routes, NULL,
};

const struct surface surface_attackforge = { &dialect_attackforge, attackforge_lists };
