/*
 * allthenticate.c: Allthenticate's user API under /allthenticate — ranks,
 * guests, suspension, smart cards, workstation usernames, the user list and
 * one user's policies — in the vendor's {"success"}/{"error"} shapes, over
 * core/users, userattrs, groups and policies.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"
#include "gatehouse/policies.h"
#include "gatehouse/request.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/users.h"

/* --- the dialect ---------------------------------------------------------------------- */

static int
at_guard(struct request *r)
{
	return api_authenticate_key(r, api_bearer(r));
}

/* {"error": "<message>"} */
static void
at_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	(void)field;
	api_json_begin(r, status, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "error", detail ? detail : http_reason(status));
	jsonw_obj_close(&w);
}

/* The vendor answers 400 for what it will not do, 404 for whom it cannot find. */
static void
at_fail(struct request *r, const struct core_err *e)
{
	if (e->status == CORE_NOT_FOUND && (e->field[0] == '\0' || strcmp(e->field, "user") == 0))
		at_error(r, 404, NULL, "User not found");
	else
		at_error(r, api_vendor_status(e->status), e->field, e->msg);
}

static const struct dialect dialect_allthenticate = {
	.name = "allthenticate",
	.prefix = "/allthenticate",
	.guard = at_guard,
	.error = at_error,
	.fail = at_fail,
};

/* --- shared by the handlers ----------------------------------------------------------- */

/* {"success": "<message>"} */
static void
success(struct request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
success(struct request *r, const char *fmt, ...)
{
	struct jsonw	w;
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "success", msg);
	jsonw_obj_close(&w);
}

/*
 * The user a request names: by id (email_id, or admin_user_id for ranks),
 * which wins, or by email. *sid holds the id's text.
 */
static int
user_ref(struct request *r, const char *idname, struct user_ref *ref, char sid[CORE_ID_LEN])
{
	const char	*email = NULL;
	long		 id = 0;

	if (api_int(r, idname, 1, LONG_MAX, &id) != 0 || api_str(r, "email", &email) != 0)
		return -1;
	if (id > 0) {
		core_id_text(id, sid);
		*ref = (struct user_ref){ UKEY_ID, sid };
		return 0;
	}
	if (email != NULL && *email != '\0') {
		*ref = (struct user_ref){ UKEY_EMAIL, email };
		return 0;
	}
	api_failf(r, CORE_INVALID, idname, "%s or email is required", idname);
	return -1;
}

/* api_begin, then the user the request names. */
static bool
begin_user(struct request *r, const char *const *known, const char *idname, struct core_ctx *c,
    struct user_ref *ref, char sid[CORE_ID_LEN])
{
	return api_begin(r, known, c) && user_ref(r, idname, ref, sid) == 0;
}

/* "2020-03-20 01:30:34" from the core's ISO 8601 UTC, or null. */
static void
ktime(struct jsonw *w, const char *key, const char *iso)
{
	char t[20];

	jsonw_key(w, key);
	if (iso == NULL || strlen(iso) < 19) {
		jsonw_null(w);
		return;
	}
	memcpy(t, iso, 19);
	t[10] = ' ';
	t[19] = '\0';
	jsonw_str(w, t);
}

static void
cards_json(struct jsonw *w, const struct smartcard *v, size_t n)
{
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(w);
		jsonw_kstr(w, "label", v[i].label ? v[i].label : "");
		jsonw_kstr(w, "number", v[i].number);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
}

/* --- workstation usernames ------------------------------------------------------------- */

/* POST /modifyallusernames: computer_usernames, [{"computer_username": …}], replaces them all. */
static void
h_usernames(struct request *r)
{
	static const char *const known[] = { "email_id", "email", "computer_usernames", NULL };
	const struct json	*list;
	const char		**names;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	char			 sid[CORE_ID_LEN];

	if (!begin_user(r, known, "email_id", &c, &ref, sid) ||
	    (list = api_list(r, "computer_usernames")) == NULL)
		return;
	if ((names = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(*names))) == NULL) {
		api_failf(r, CORE_INTERNAL, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct json *item = list->items[i], *v;

		v = item->type == JSON_OBJECT && item->n == 1 ?
		    json_get(item, "computer_username") : NULL;
		if (v == NULL || v->type != JSON_STRING || (names[i] = api_json_scalar(v)) == NULL) {
			api_failf(r, CORE_INVALID, "computer_usernames",
			    "computer_usernames[%zu] must be {\"computer_username\": \"<name>\"}", i);
			return;
		}
	}
	if (userattrs_workstation_usernames_set(&c, &ref, "computer_usernames", names, list->n,
	    NULL, NULL, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	success(r, "Computer usernames updated");
}

/* --- ranks and guests ------------------------------------------------------------------ */

#define FROM(l)		(1u << (l))

/* POST /modifyrank: admin_user_id, rank REGULAR/ADMIN/SUPER (guests have no rank). */
static void
h_rank(struct request *r)
{
	static const char *const known[] = { "admin_user_id", "email", "rank", NULL };
	static const char *const ranks[] = { "REGULAR", "ADMIN", "SUPER", NULL };
	static const enum level levels[] = { LEVEL_USER, LEVEL_ADMIN, LEVEL_SUPER };
	struct user_ref	 ref;
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	char		 sid[CORE_ID_LEN];
	int		 rank = -1;

	if (!begin_user(r, known, "admin_user_id", &c, &ref, sid) ||
	    api_enum(r, "rank", ranks, &rank) != 0)
		return;
	if (rank < 0) {
		api_bad(r, "rank", "rank is required: ADMIN, REGULAR or SUPER");
		return;
	}
	if (users_set_level(&c, &ref, levels[rank], FROM(LEVEL_USER) | FROM(LEVEL_ADMIN) |
	    FROM(LEVEL_SUPER), &u, &e) != CORE_OK) {
		if (e.status == CORE_CONFLICT && strcmp(e.field, "access_level") == 0)
			snprintf(e.msg, sizeof(e.msg), "User is a guest: promote them first");
		api_fail(r, &e);
		return;
	}
	success(r, "User %s is now %s", u.val[UF_EMAIL], ranks[rank]);
}

/* POST /promoteguest: email_id, a GUEST becomes a USER. */
static void
h_promote(struct request *r)
{
	static const char *const known[] = { "email_id", "email", NULL };
	struct user_ref	 ref;
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	char		 sid[CORE_ID_LEN];

	if (!begin_user(r, known, "email_id", &c, &ref, sid))
		return;
	if (users_set_level(&c, &ref, LEVEL_USER, FROM(LEVEL_GUEST), &u, &e) != CORE_OK) {
		if (e.status == CORE_CONFLICT && strcmp(e.field, "access_level") == 0)
			snprintf(e.msg, sizeof(e.msg), "User is not a guest");
		api_fail(r, &e);
		return;
	}
	success(r, "User %s promoted from GUEST to USER", u.val[UF_EMAIL]);
}

/* POST /togglesuspension: email_id, ACTIVE ⇄ SUSPENDED. */
static void
h_suspension(struct request *r)
{
	static const char *const known[] = { "email_id", "email", NULL };
	struct user_ref	 ref;
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	char		 sid[CORE_ID_LEN];

	if (!begin_user(r, known, "email_id", &c, &ref, sid))
		return;
	if (users_apply(&c, &ref, UOP_TOGGLE_SUSPENSION, NULL, &u, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	success(r, "User %s is now %s", u.val[UF_EMAIL],
	    u.status == US_SUSPENDED ? "SUSPENDED" : "ACTIVE");
}

/* --- smart cards ------------------------------------------------------------------------ */

/* GET /modifysmartcard?email_id=: {"email_id": N, "smartcards": [{"label", "number"}]}. */
static void
h_cards_get(struct request *r)
{
	static const char *const known[] = { "email_id", "email", NULL };
	struct smartcard	*v = NULL;
	struct user_ref		 ref, byid;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	struct jsonw		 w;
	char			 sid[CORE_ID_LEN], uid[CORE_ID_LEN];
	size_t			 n = 0;

	if (!begin_user(r, known, "email_id", &c, &ref, sid) || api_user_get(r, &ref, &u) != 0)
		return;
	core_id_text(u.id, uid);
	byid = (struct user_ref){ UKEY_ID, uid };
	if (userattrs_smartcards_get(&c, &byid, &v, &n, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "email_id", u.id);
	jsonw_key(&w, "smartcards");
	cards_json(&w, v, n);
	jsonw_obj_close(&w);
}

/* POST /modifysmartcard: smartcards (the whole set; [] clears), allow_duplicates. */
static void
h_cards_set(struct request *r)
{
	static const char *const known[] = { "email_id", "email", "smartcards", "allow_duplicates",
		NULL };
	const struct json	*list;
	struct smartcard	*in;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	char			 sid[CORE_ID_LEN];
	bool			 dup;

	if (!begin_user(r, known, "email_id", &c, &ref, sid) ||
	    api_bool(r, "allow_duplicates", false, &dup) != 0 ||
	    (list = api_list(r, "smartcards")) == NULL ||
	    api_smartcards(r, "smartcards", list, &in) != 0)
		return;
	if (userattrs_smartcards_set(&c, &ref, in, list->n, dup, NULL, NULL, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	success(r, "Smart cards updated");
}

/* --- users ------------------------------------------------------------------------------ */

static void
entry_json(struct jsonw *w, const struct user_entry *x, bool with_email)
{
	const struct user *u = &x->user;

	jsonw_obj_open(w);
	jsonw_kstr(w, "ad_status", u->status == US_SUSPENDED ? "SUSPENDED" :
	    u->status == US_ACTIVE ? "ACTIVE" : u->status == US_PENDING ? "PENDING" : "DISABLED");
	ktime(w, "active_date", u->confirmed_at);
	ktime(w, "confirmed", u->confirmed_at);
	ktime(w, "created", u->created_at);
	ktime(w, "device_added", x->device_added);
	jsonw_kstr(w, "email", u->val[UF_EMAIL]);
	jsonw_kint(w, "email_id", u->id);
	jsonw_kstr(w, "email_status", u->confirmed_at ? "CONFIRMED" : "UNCONFIRMED");
	jsonw_kstr(w, "first_name", u->val[UF_FIRST_NAME]);
	jsonw_key(w, "groups");
	jsonw_arr_open(w);
	for (size_t i = 0; i < x->ngroups; i++) {
		jsonw_arr_open(w);
		jsonw_str(w, x->groups[i]);
		jsonw_arr_close(w);
	}
	jsonw_arr_close(w);
	jsonw_kstr(w, "last_name", u->val[UF_LAST_NAME]);
	jsonw_key(w, "name");
	if (with_email) {
		char name[512];

		snprintf(name, sizeof(name), "%s%s(%s)", u->name, *u->name ? " " : "",
		    u->val[UF_EMAIL]);
		jsonw_str(w, name);
	} else
		jsonw_str(w, u->name);
	jsonw_kint(w, "user_id", u->id);
	jsonw_kstr(w, "username", u->val[UF_USERNAME]);
	jsonw_kstr(w, "unique_id", u->uid);
	jsonw_obj_close(w);
}

/*
 * GET /multipleusers?email=&user_tag=GUEST: every user of the org (the
 * guests with user_tag=GUEST, else everyone but them); email=true puts each
 * one's e-mail into its name.
 */
static void
h_users(struct request *r)
{
	static const char *const known[] = { "email", "user_tag", NULL };
	static const char *const tags[] = { "USER", "GUEST", NULL };
	struct user_entry	*v;
	struct fnode		*guests;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	size_t			 n;
	bool			 with_email;
	int			 tag = 0;

	if (!api_begin(r, known, &c) || api_bool(r, "email", false, &with_email) != 0 ||
	    api_enum(r, "user_tag", tags, &tag) != 0)
		return;
	guests = filter_cmp(r->arena, "access_level", FOP_EQ, "guest");
	if (users_directory(&c, tag == 1 ? guests : filter_not(r->arena, guests), &v, &n, &e) !=
	    CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		entry_json(&w, &v[i], with_email);
	jsonw_arr_close(&w);
}

/* GET /user?email_id=: {"policies": [[name], …], "computer_usernames": […], "smartcards": [{…}]}. */
static void
h_user_get(struct request *r)
{
	static const char *const known[] = { "email_id", "email", NULL };
	struct user_policy	*pol = NULL;
	struct smartcard	*cards = NULL;
	const char		**names = NULL;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	char			 sid[CORE_ID_LEN];
	size_t			 np = 0, nn = 0, nc = 0;

	if (!begin_user(r, known, "email_id", &c, &ref, sid))
		return;
	if (policies_of_user(&c, &ref, &pol, &np, &e) != CORE_OK ||
	    userattrs_workstation_usernames_get(&c, &ref, &names, &nn, &e) != CORE_OK ||
	    userattrs_smartcards_get(&c, &ref, &cards, &nc, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "policies");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < np; i++) {
		jsonw_arr_open(&w);
		jsonw_str(&w, pol[i].policy.name);
		jsonw_arr_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_key(&w, "computer_usernames");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < nn; i++)
		jsonw_str(&w, names[i]);
	jsonw_arr_close(&w);
	jsonw_key(&w, "smartcards");
	cards_json(&w, cards, nc);
	jsonw_obj_close(&w);
}

/*
 * DELETE /user (email_id or email, email_id winning): out of the org and its
 * groups, policies given only to the user deleted; the row stays.
 */
static void
h_user_delete(struct request *r)
{
	static const char *const known[] = { "email_id", "email", NULL };
	struct user_ref	 ref, byid;
	struct core_ctx	 c;
	struct core_err	 e;
	struct user	 u;
	char		 sid[CORE_ID_LEN], uid[CORE_ID_LEN];

	if (!begin_user(r, known, "email_id", &c, &ref, sid) || api_user_get(r, &ref, &u) != 0)
		return;
	core_id_text(u.id, uid);
	byid = (struct user_ref){ UKEY_ID, uid };
	if (users_remove(&c, &byid, CORE_ANY_VERSION, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	success(r, "User %s/%s was successfully deleted from your organization.", u.val[UF_EMAIL],
	    u.val[UF_USERNAME]);
}

/* --- routes ---------------------------------------------------------------------------- */

static const char *const usernames_list[] = { "computer_usernames", NULL };
static const char *const cards_list[] = { "smartcards", NULL };

#define A	LEVEL_ADMIN
static const struct route routes[] = {
	{ "POST",   "/allthenticate/modifyallusernames", h_usernames,	&dialect_allthenticate, A, 0,
	  usernames_list, false },
	{ "POST",   "/allthenticate/modifyrank",	h_rank,		&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "GET",    "/allthenticate/modifysmartcard",	h_cards_get,	&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "POST",   "/allthenticate/modifysmartcard",	h_cards_set,	&dialect_allthenticate, A, 0,
	  cards_list, false },
	{ "GET",    "/allthenticate/multipleusers",	h_users,	&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "POST",   "/allthenticate/promoteguest",	h_promote,	&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "POST",   "/allthenticate/togglesuspension",	h_suspension,	&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "GET",    "/allthenticate/user",		h_user_get,	&dialect_allthenticate, A, 0,
	  NULL, false },
	{ "DELETE", "/allthenticate/user",		h_user_delete,	&dialect_allthenticate, A, 0,
	  NULL, false },
};
#undef A
static const struct route_list at_routes = ROUTE_LIST(routes);
static const struct route_list *const at_lists[] = { &at_routes, NULL };

const struct surface surface_allthenticate = { &dialect_allthenticate, at_lists };
