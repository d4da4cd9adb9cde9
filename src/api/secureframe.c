/*
 * secureframe.c: Secureframe's user API under /secureframe — GET /users with
 * its filters, offset pages and Lucene q, GET and PUT /users/{id} — in the
 * vendor's JSON:API-like envelope, over core/users.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#define SF_PER_PAGE_MAX	100
/* Pages past this are refused rather than walked: 10 million users at 100 a page. */
#define SF_PAGE_MAX	100000

/* --- the dialect ---------------------------------------------------------------------- */

/*
 * Authorization: <key_id> <secret>, two words and no scheme. A Gatehouse key
 * gh_<org>k<id>_<secret> is sent as "gh_<org>k<id> <secret>".
 */
static int
sf_guard(struct request *r)
{
	const char	*h = req_env(r, "HTTP_AUTHORIZATION"), *sp, *secret;
	size_t		 idlen;

	if (h == NULL || (sp = strchr(h, ' ')) == NULL)
		return api_authenticate_key(r, NULL);
	idlen = (size_t)(sp - h);
	for (secret = sp; *secret == ' '; secret++)
		;
	if (idlen == 0 || *secret == '\0' || strchr(secret, ' ') != NULL)
		return api_authenticate_key(r, NULL);
	return api_authenticate_key(r, arena_printf(r->arena, "%.*s_%s", (int)idlen, h, secret));
}

/* {"errors": [{"status": "400", "title": "Bad Request", "detail": "…"}]} */
static void
sf_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw	w;
	char		code[8];

	/* The vendor's words for a 404 of the resource itself, an unknown path's too. */
	if (status == 404 && (field == NULL || *field == '\0'))
		detail = "Resource not found";
	snprintf(code, sizeof(code), "%d", status);
	api_json_begin(r, status, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "errors");
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", code);
	jsonw_kstr(&w, "title", http_reason(status));
	jsonw_kstr(&w, "detail", detail ? detail : http_reason(status));
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
}

/* The vendor answers 400, 401, 403 and 404: a state conflict is a bad request there. */
static void
sf_fail(struct request *r, const struct core_err *e)
{
	sf_error(r, api_vendor_status(e->status), e->field, e->msg);
}

static const struct dialect dialect_secureframe = {
	.name = "secureframe",
	.prefix = "/secureframe",
	.guard = sf_guard,
	.error = sf_error,
	.fail = sf_fail,
};

/* --- the User resource ------------------------------------------------------------------ */

/* Secureframe's filter names and the core's fields they are. */
static const struct user_alias sf_filters[] = {
	{ "active", "active" },
	{ "department_id", "department_id" },
	{ "email", "email" },
	{ "employee_type", "employee_type" },
	{ "end_date", "end_date" },
	{ "first_name", "first_name" },
	{ "id", "uid" },
	{ "in_audit_scope", "in_audit_scope" },
	{ "invited", "invited" },
	{ "invited_at", "invited_at" },
	{ "last_name", "last_name" },
	{ "name", "name" },
	{ "onboarding_status", "onboarding_status" },
	{ "personnel_status", "personnel_status" },
	{ "preferred_first_name", "preferred_first_name" },
	{ "secureframe_agent_acknowledged_at", "agent_acknowledged_at" },
	{ "start_date", "start_date" },
	{ "title", "title" },
};
#define SF_NFILTERS	(sizeof(sf_filters) / sizeof(sf_filters[0]))

/* What a response carries beyond the user: its relationships, and the manager in full. */
struct sf_shape {
	bool		 relationships;
	bool		 include_manager;
};

/* A date (YYYY-MM-DD) as the vendor's date-time: that day at 00:00 UTC. */
static void
kdate(struct jsonw *w, const char *key, const char *date)
{
	char dt[32];

	jsonw_key(w, key);
	if (date == NULL) {
		jsonw_null(w);
		return;
	}
	snprintf(dt, sizeof(dt), "%.10sT00:00:00.000Z", date);
	jsonw_str(w, dt);
}

/* Text the vendor answers as null when there is none. */
static void
kstr_or_null(struct jsonw *w, const char *key, const char *v)
{
	jsonw_kstr(w, key, v != NULL && *v != '\0' ? v : NULL);
}

static void
sf_attributes(struct jsonw *w, const struct user *u)
{
	jsonw_key(w, "attributes");
	jsonw_obj_open(w);
	jsonw_kstr(w, "id", u->uid);
	jsonw_kstr(w, "access_role", u->val[UF_ACCESS_ROLE]);
	jsonw_kbool(w, "active", user_status_active(u->status));
	jsonw_kstr(w, "active_source", NULL);		/* no integration sources it */
	jsonw_kstr(w, "created_at", u->created_at);
	jsonw_kstr(w, "department_id", u->val[UF_DEPARTMENT_ID]);
	jsonw_kstr(w, "email", u->val[UF_EMAIL]);
	jsonw_kstr(w, "employee_type", u->val[UF_EMPLOYEE_TYPE]);
	kdate(w, "end_date", u->val[UF_END_DATE]);
	jsonw_kstr(w, "first_name", u->val[UF_FIRST_NAME]);
	jsonw_kstr(w, "image_url", NULL);		/* Gatehouse keeps no pictures */
	jsonw_kbool(w, "in_audit_scope", u->val[UF_IN_AUDIT_SCOPE] != NULL &&
	    strcmp(u->val[UF_IN_AUDIT_SCOPE], "true") == 0);
	jsonw_kbool(w, "invited", u->invited_at != NULL);
	jsonw_kstr(w, "invited_at", u->invited_at);
	jsonw_kstr(w, "last_name", u->val[UF_LAST_NAME]);
	jsonw_kstr(w, "manager_name", u->manager_name);
	jsonw_kstr(w, "middle_name", u->val[UF_MIDDLE_NAME]);
	jsonw_kstr(w, "name", u->name);
	jsonw_kstr(w, "onboarding_status", u->val[UF_ONBOARDING_STATUS]);
	jsonw_kstr(w, "personnel_status", u->val[UF_PERSONNEL_STATUS]);
	kstr_or_null(w, "preferred_first_name", u->val[UF_PREFERRED_FIRST_NAME]);
	jsonw_kstr(w, "role", level_name(u->level));
	jsonw_kstr(w, "secureframe_agent_acknowledged_at", u->val[UF_AGENT_ACKNOWLEDGED_AT]);
	kdate(w, "start_date", u->val[UF_START_DATE]);
	jsonw_kstr(w, "title", u->val[UF_TITLE]);
	jsonw_kstr(w, "updated_at", u->updated_at);
	jsonw_obj_close(w);
}

/* One user resource: {"id", "type", "attributes", "relationships", "links"}. */
static void
sf_resource(struct jsonw *w, struct arena *a, const struct user *u, const struct sf_shape *sh)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "id", u->uid);
	jsonw_kstr(w, "type", "user");
	sf_attributes(w, u);
	jsonw_key(w, "relationships");
	jsonw_obj_open(w);
	if (sh->relationships) {
		jsonw_key(w, "manager");
		jsonw_obj_open(w);
		jsonw_key(w, "data");
		if (u->val[UF_MANAGER] == NULL)
			jsonw_null(w);
		else {
			jsonw_obj_open(w);
			jsonw_kstr(w, "id", u->val[UF_MANAGER]);
			jsonw_kstr(w, "type", "user");
			jsonw_obj_close(w);
		}
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
	jsonw_key(w, "links");
	jsonw_obj_open(w);
	jsonw_kstr(w, "self", arena_printf(a, "/secureframe/users/%s", u->uid));
	jsonw_obj_close(w);
	jsonw_obj_close(w);
}

/* The manager of u among the loaded ones, or NULL. */
static const struct user *
manager_of(const struct user *u, const struct user *mgrs, size_t n)
{
	for (size_t i = 0; u->val[UF_MANAGER] != NULL && i < n; i++)
		if (strcmp(mgrs[i].uid, u->val[UF_MANAGER]) == 0)
			return &mgrs[i];
	return NULL;
}

/* {"data": resource, "included": [manager]} */
static void
sf_document(struct jsonw *w, struct arena *a, const struct user *u, const struct sf_shape *sh,
    const struct user *mgrs, size_t nmgrs)
{
	const struct user *m = sh->include_manager ? manager_of(u, mgrs, nmgrs) : NULL;

	jsonw_obj_open(w);
	jsonw_key(w, "data");
	sf_resource(w, a, u, sh);
	jsonw_key(w, "included");
	jsonw_arr_open(w);
	if (m != NULL)
		sf_resource(w, a, m, sh);
	jsonw_arr_close(w);
	jsonw_obj_close(w);
}

/*
 * include (a comma-separated list of relationships, of which there is one,
 * manager; or true/false) and relationships (a boolean). Including a
 * relationship shows it among the relationships too.
 */
static int
read_shape(struct request *r, struct sf_shape *sh)
{
	const char	*inc = NULL;
	char		*list, *tok, *save = NULL;

	memset(sh, 0, sizeof(*sh));
	if (api_bool(r, "relationships", false, &sh->relationships) != 0 ||
	    api_str(r, "include", &inc) != 0)
		return -1;
	if (inc == NULL || strcasecmp(inc, "false") == 0 || *inc == '\0')
		return 0;
	if (strcasecmp(inc, "true") == 0)
		sh->include_manager = true;
	else if ((list = arena_strdup(r->arena, inc)) != NULL) {
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "manager") != 0) {
				api_bad(r, "include", "include takes manager (the only relationship)");
				return -1;
			}
			sh->include_manager = true;
		}
	}
	sh->relationships |= sh->include_manager;
	return 0;
}

/* The managers of the users in one read, when they are to be included. */
static int
load_managers(struct request *r, const struct sf_shape *sh, const struct user *v, size_t n,
    struct user **mgrs, size_t *nmgrs)
{
	const char	**uids;
	size_t		  k = 0;
	struct core_ctx	  c;
	struct core_err	  e;

	*mgrs = NULL;
	*nmgrs = 0;
	if (!sh->include_manager)
		return 0;
	if ((uids = arena_alloc(r->arena, (n ? n : 1) * sizeof(*uids))) == NULL) {
		api_failf(r, CORE_INTERNAL, NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].val[UF_MANAGER] != NULL)
			uids[k++] = v[i].val[UF_MANAGER];
	if (k == 0)
		return 0;
	api_ctx(r, &c);
	if (users_get_many(&c, uids, k, mgrs, nmgrs, &e) != CORE_OK) {
		api_fail(r, &e);
		return -1;
	}
	return 0;
}

/* --- the routes --------------------------------------------------------------------------- */

static bool
is_control(const char *name)
{
	static const char *const controls[] = { "page", "per_page", "q", "include", "relationships",
		NULL };

	for (const char *const *c = controls; *c; c++)
		if (strcmp(*c, name) == 0)
			return true;
	return false;
}

/*
 * GET /users: every parameter but the controls is a filter (field=value,
 * equal); q is Lucene over the same names; page from 1, per_page up to 100.
 * The answer is the vendor's: an array of documents, one per user.
 */
static void
h_list(struct request *r)
{
	struct user_query	 q;
	struct user_page	 page;
	struct sf_shape		 sh;
	struct user		*mgrs;
	struct core_ctx		 c;
	struct core_err		 e;
	struct fnode		*filter = NULL;
	struct jsonw		 w;
	const char		*text = NULL;
	long			 pg = 1, per = SF_PER_PAGE_MAX;
	size_t			 nmgrs;

	if (api_int(r, "page", 1, SF_PAGE_MAX, &pg) != 0 ||
	    api_int(r, "per_page", 1, INT_MAX, &per) != 0 || api_str(r, "q", &text) != 0 ||
	    read_shape(r, &sh) != 0)
		return;
	if (per > SF_PER_PAGE_MAX)
		per = SF_PER_PAGE_MAX;
	if (text != NULL && *text != '\0' &&
	    (filter = filter_parse_lucene(r->arena, text, &e)) == NULL) {
		api_fail(r, &e);
		return;
	}
	for (size_t i = 0; i < r->params.n; i++) {
		const struct param *pv = &r->params.v[i];

		if (!is_control(pv->name))
			filter = filter_and(r->arena, filter,
			    filter_cmp(r->arena, pv->name, FOP_EQ, pv->value));
	}
	memset(&q, 0, sizeof(q));
	q.filter = filter;
	q.aliases = sf_filters;
	q.naliases = SF_NFILTERS;
	q.unknown_prefix = "User is not filterable by ";
	q.limit = (int)per;
	q.offset = (int)((pg - 1) * per);
	api_ctx(r, &c);
	if (users_list(&c, &q, &page, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	if (load_managers(r, &sh, page.users, page.n, &mgrs, &nmgrs) != 0)
		return;
	api_json_begin(r, 200, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < page.n; i++)
		sf_document(&w, r->arena, &page.users[i], &sh, mgrs, nmgrs);
	jsonw_arr_close(&w);
}

/* One user as the whole answer, with its manager when asked for. */
static void
reply_user(struct request *r, const struct user *u, const struct sf_shape *sh)
{
	struct user	*mgrs;
	struct jsonw	 w;
	size_t		 nmgrs;

	if (load_managers(r, sh, u, 1, &mgrs, &nmgrs) != 0)
		return;
	api_json_begin(r, 200, &w);
	sf_document(&w, r->arena, u, sh, mgrs, nmgrs);
}

static void
h_get(struct request *r)
{
	static const char *const known[] = { "include", "relationships", NULL };
	struct user_ref	 ref = { UKEY_UID, req_path_param(r, "id") };
	struct sf_shape	 sh;
	struct user	 u;

	if (api_known_only(r, known) != 0 || read_shape(r, &sh) != 0 ||
	    api_user_get(r, &ref, &u) != 0)
		return;
	reply_user(r, &u, &sh);
}

/* A date parameter of PUT: a date or date-time (its date), or empty to clear. */
static int
patch_date(struct request *r, struct user_patch *p, enum ufield f)
{
	const char	*v = NULL;
	struct core_err	 e;

	if (api_str(r, ufields[f].name, &v) != 0)
		return -1;
	if (v != NULL && user_patch_set(r->arena, p, f, *v ? v : NULL, &e) != CORE_OK) {
		api_fail(r, &e);
		return -1;
	}
	return 0;
}

/*
 * PUT /users/{id} with query (or form) parameters: active (enable or
 * unsuspend, or disable), employee_type, end_date, in_audit_scope,
 * start_date; all in one change.
 */
static void
h_put(struct request *r)
{
	static const char *const known[] = { "active", "employee_type", "end_date", "in_audit_scope",
		"start_date", NULL };
	struct user_ref	 ref = { UKEY_UID, req_path_param(r, "id") };
	struct user_patch p;
	struct sf_shape	 sh = { false, false };
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	const char	*type = NULL;
	enum user_op	 op = UOP__MAX;
	bool		 active, scope;

	memset(&p, 0, sizeof(p));
	if (!api_begin(r, known, &c) || api_str(r, "employee_type", &type) != 0 ||
	    patch_date(r, &p, UF_START_DATE) != 0 || patch_date(r, &p, UF_END_DATE) != 0)
		return;
	if (type != NULL && user_patch_set(r->arena, &p, UF_EMPLOYEE_TYPE, type, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	if (req_param(r, "in_audit_scope") != NULL) {
		if (api_bool(r, "in_audit_scope", true, &scope) != 0)
			return;
		user_patch_set(r->arena, &p, UF_IN_AUDIT_SCOPE, scope ? "true" : "false", &e);
	}
	if (req_param(r, "active") != NULL) {
		if (api_bool(r, "active", true, &active) != 0)
			return;
		op = active ? UOP_ACTIVATE : UOP_DISABLE;
	}
	if (users_change(&c, &ref, &p, op, NULL, &u, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	reply_user(r, &u, &sh);
}

#define A	LEVEL_ADMIN
static const struct route routes[] = {
	{ "GET", "/secureframe/users",		h_list,	&dialect_secureframe, A, 0, NULL, false },
	{ "GET", "/secureframe/users/{id}",	h_get,	&dialect_secureframe, A, 0, NULL, false },
	{ "PUT", "/secureframe/users/{id}",	h_put,	&dialect_secureframe, A, 0, NULL, false },
};
#undef A
static const struct route_list sf_routes = ROUTE_LIST(routes);
static const struct route_list *const sf_lists[] = { &sf_routes, NULL };

const struct surface surface_secureframe = { &dialect_secureframe, sf_lists };
