/*
 * canary.c: the Canary dialect (/canary) — Canary's user management API
 * (/api/v1/ping, users/…, user/…, settings/usermanagement/…) as
 * translations over the core: the auth_token field or X-Canary-Auth-Token
 * header, form fields, {"result": …} bodies with Canary's messages, and
 * Canary's names for access levels, flocks and MFA.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/groups.h"
#include "gatehouse/json.h"
#include "gatehouse/org.h"
#include "gatehouse/request.h"
#include "gatehouse/tokens.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/users.h"

#define CANARY_TOKEN		"auth_token"
#define CANARY_TOKEN_HEADER	"X-Canary-Auth-Token"

/*
 * {"message": …, "result": "error"} (Canary's members are in name order).
 * A missing or wrong token is Canary's "Invalid auth_token", which its
 * clients match word for word.
 */
static void
canary_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	(void)field;		/* the messages name the field */
	api_json_begin(r, status, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "message", status == 401 ? "Invalid auth_token" : detail);
	jsonw_kstr(&w, "result", "error");
	jsonw_obj_close(&w);
}

/*
 * The token from the header, or the auth_token field of the query or the
 * form. Canary's client puts it in the query of every call and a caller
 * may repeat it in the form: every copy given must be the same token.
 */
static int
canary_guard(struct request *r)
{
	const char		*key = req_header(r, CANARY_TOKEN_HEADER);
	const struct json	*j = r->json ? json_get(r->json, CANARY_TOKEN) : NULL;

	/* A token is one string: a list or an object in a JSON body is no token. */
	if (j != NULL && j->type != JSON_STRING) {
		api_failf(r, CORE_UNAUTHORIZED, CANARY_TOKEN, "the token must be a string");
		return -1;
	}
	for (size_t i = 0; i < r->params.n; i++) {
		const struct param *p = &r->params.v[i];

		if (strcmp(p->name, CANARY_TOKEN) != 0)
			continue;
		if (key != NULL && strcmp(key, p->value) != 0) {
			api_failf(r, CORE_UNAUTHORIZED, CANARY_TOKEN, "two different tokens");
			return -1;
		}
		key = p->value;
	}
	return api_authenticate_key(r, key);
}

/*
 * Canary has no username: a user's is its e-mail address, so an address
 * already in use shows as the username taken; say it in Canary's terms.
 */
static void
canary_fail(struct request *r, const struct core_err *e)
{
	if (e->status == CORE_CONFLICT && strcmp(e->field, "username") == 0)
		canary_error(r, 409, "email", "a user with this email address already exists");
	else
		canary_error(r, api_http_status(e->status), e->field[0] ? e->field : NULL, e->msg);
}

static const struct dialect dialect_canary = {
	.name = "canary",
	.prefix = "/canary",
	.guard = canary_guard,
	.error = canary_error,
	.fail = canary_fail,
};

/* Every route takes the token among its fields, as often as it comes (all the same). */
static const char *const token_list[] = { CANARY_TOKEN, NULL };

/* {"msg": …, "result": "success"}, or without msg when it is NULL. */
static void
canary_success(struct request *r, const char *fmt, ...)
{
	struct jsonw	w;
	va_list		ap;
	char		msg[400];

	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		jsonw_kstr(&w, "msg", msg);
	}
	jsonw_kstr(&w, "result", "success");
	jsonw_obj_close(&w);
}

/* A required text field: false when a 400 naming it was rendered. */
static bool
required(struct request *r, const char *name, const char **out)
{
	*out = NULL;
	if (api_str(r, name, out) != 0)
		return false;
	if (*out == NULL || **out == '\0') {
		api_failf(r, CORE_INVALID, name, "%s is required", name);
		return false;
	}
	return true;
}

/* Only the route's fields (and the token), then the user named by email. */
static bool
canary_begin(struct request *r, const char *const *known, struct core_ctx *c,
    struct user_ref *ref)
{
	ref->kind = UKEY_EMAIL;
	return api_begin(r, known, c) && required(r, "email", &ref->value);
}

/* Canary's access levels: admin or user. A super is an admin who is also the supervisor. */
static const char *const canary_levels[] = { "admin", "user", NULL };
static const enum level canary_level_of[] = { LEVEL_ADMIN, LEVEL_USER };

static const char *
canary_level(const struct user *u)
{
	return u->level >= LEVEL_ADMIN ? "admin" : level_name(u->level);
}

/* access_level as a number (user/auth): a guest 0, a user 1, an admin 2. */
static int
canary_level_number(const struct user *u)
{
	return u->level >= LEVEL_ADMIN ? 2 : (int)u->level;
}

/* A required access_level (admin or user) into the patch. */
static bool
level_param(struct request *r, struct user_patch *p)
{
	struct core_err	 e;
	const char	*v;
	int		 i = -1;

	if (!required(r, "access_level", &v) || api_enum(r, "access_level", canary_levels, &i) != 0)
		return false;
	if (user_patch_set(r->arena, p, UF_ACCESS_LEVEL, level_name(canary_level_of[i]), &e)
	    != CORE_OK) {
		api_fail(r, &e);
		return false;
	}
	return true;
}

/* --- flocks ---------------------------------------------------------------------- */

/* A user's flocks as Canary shows them: the keys, comma-separated ("" for none). */
struct canary_flocks {
	const char	*managed, *watched;
	const char	*keys[2][GROUP_MAX_KEYS];	/* managed, watched: for user/auth's lists */
	size_t		 n[2];
};

static void
flocks_add(struct arena *a, struct canary_flocks *f, enum group_role role, const char *key)
{
	const char	**text;
	int		  i;

	if (role == GROUP_MANAGER)
		i = 0, text = &f->managed;
	else if (role == GROUP_WATCHER)
		i = 1, text = &f->watched;
	else
		return;		/* a plain member (Allthenticate's groups) is no flock role */
	*text = **text ? arena_printf(a, "%s,%s", *text, key) : key;
	if (*text == NULL)
		*text = "";
	if (f->n[i] < GROUP_MAX_KEYS)
		f->keys[i][f->n[i]++] = key;
}

static void
flocks_init(struct canary_flocks *f)
{
	memset(f, 0, sizeof(*f));
	f->managed = f->watched = "";
}

/* user/get and user/auth: the user named by email and its flocks; false when a failure was rendered. */
static bool
one_user(struct request *r, struct user *u, struct canary_flocks *f)
{
	static const char *const known[] = { CANARY_TOKEN, "email", NULL };
	struct user_group	*g;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	size_t			 n;

	flocks_init(f);
	if (!canary_begin(r, known, &c, &ref) || api_user_get(r, &ref, u) != 0 ||
	    api_ok(r, groups_of_user(&c, &ref, &g, &n, &e), &e) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		flocks_add(r->arena, f, g[i].role, g[i].key);
	return true;
}

/* flock_id_list: keys separated by commas (spaces around them ignored), 1 to GROUP_MAX_KEYS. */
static size_t
flock_keys(struct request *r, const char **keys)
{
	const char	*list;
	char		*s, *tok, *save = NULL;
	size_t		 n = 0;

	if (!required(r, "flock_id_list", &list) || (s = arena_strdup(r->arena, list)) == NULL)
		return 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*tok == ' ')
			tok++;
		for (end = tok + strlen(tok); end > tok && end[-1] == ' '; end--)
			end[-1] = '\0';
		if (*tok == '\0')
			continue;
		if (n == GROUP_MAX_KEYS) {
			api_failf(r, CORE_INVALID, "flock_id_list",
			    "flock_id_list names more than %d flocks", GROUP_MAX_KEYS);
			return 0;
		}
		keys[n++] = tok;
	}
	if (n == 0)
		api_bad(r, "flock_id_list", "flock_id_list must name at least one flock");
	return n;
}

/* Python's repr of a list of unicode strings, as Canary's messages show it: [u'a', u'b']. */
static const char *
py_list(struct arena *a, const char *const *v, size_t n)
{
	struct buf	 b;
	const char	*out;

	buf_init(&b);
	buf_printf(&b, "[");
	for (size_t i = 0; i < n; i++) {
		/* A key holds no whitespace or control character; quotes need care. */
		char q = strchr(v[i], '\'') != NULL && strchr(v[i], '"') == NULL ? '"' : '\'';

		buf_printf(&b, "%su%c", i ? ", " : "", q);
		for (const char *p = v[i]; *p; p++)
			buf_printf(&b, "%s%c", *p == q || *p == '\\' ? "\\" : "", *p);
		buf_printf(&b, "%c", q);
	}
	buf_printf(&b, "]");
	out = b.failed || b.data == NULL ? "[]" : arena_strdup(a, b.data);
	buf_free(&b);
	return out ? out : "[]";
}

/* POST user/flock/assign and user/flock/unassign. */
static void
h_flocks(struct request *r)
{
	static const char *const known[] = { CANARY_TOKEN, "email", "flock_id_list",
		"flock_access_level", NULL };
	static const char *const roles[] = { "manager", "watcher", NULL };
	static const enum group_role role_of[] = { GROUP_MANAGER, GROUP_WATCHER };
	const char		*keys[GROUP_MAX_KEYS], *level;
	bool			 assign = strstr(r->route->pattern, "/unassign") == NULL;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;
	size_t			 n;
	int			 i = -1;

	if (!canary_begin(r, known, &c, &ref) || (n = flock_keys(r, keys)) == 0 ||
	    !required(r, "flock_access_level", &level) ||
	    api_enum(r, "flock_access_level", roles, &i) != 0)
		return;
	if (assign)
		st = groups_member_set(&c, &ref, keys, n, role_of[i], NULL, &e);
	else
		st = groups_member_remove_as(&c, &ref, keys, n, role_of[i], &e);
	if (api_ok(r, st, &e) == 0)
		canary_success(r, "User %s successfully %s %s flock(s) %s", ref.value,
		    assign ? "assigned to" : "unassigned from", roles[i], py_list(r->arena, keys, n));
}

/* --- queries ---------------------------------------------------------------------- */

/* Python's str of a boolean, as users/list shows it. */
static const char *
py_bool(bool b)
{
	return b ? "True" : "False";
}

static bool
disabled(const struct user *u)
{
	return u->status == US_DISABLED || u->status == US_SUSPENDED;
}

/*
 * A row of users/list (all members) or users/filter (without the flocks and
 * webauthn_enabled), in Canary's types: strings for all but webauthn_enabled.
 */
static void
list_row(struct jsonw *w, const struct user *u, const struct canary_flocks *f)
{
	char level[4];

	snprintf(level, sizeof(level), "%d", canary_level_number(u));
	jsonw_obj_open(w);
	jsonw_kstr(w, "access_level", level);
	/* Canary's column is unset (None) until a user is first disabled. */
	jsonw_kstr(w, "disabled", disabled(u) ? "True" : "None");
	jsonw_kstr(w, "email", u->val[UF_EMAIL]);
	jsonw_kstr(w, "id", u->uid);
	if (f != NULL)
		jsonw_kstr(w, "managed_flocks", f->managed);
	jsonw_kstr(w, "note", u->val[UF_NOTE] ? u->val[UF_NOTE] : "");
	jsonw_kstr(w, "supervisor", py_bool(u->level == LEVEL_SUPER));
	jsonw_kstr(w, "totp_enabled", py_bool(u->totp_enabled));
	if (f != NULL) {
		jsonw_kstr(w, "watched_flocks", f->watched);
		jsonw_kbool(w, "webauthn_enabled", u->webauthn_enabled);
	}
	jsonw_obj_close(w);
}

/* GET users/list, and users/filter (filter_str: part of the e-mail address, in any case). */
static void
h_users(struct request *r)
{
	static const char *const list_known[] = { CANARY_TOKEN, NULL };
	static const char *const filter_known[] = { CANARY_TOKEN, "filter_str", NULL };
	struct group_membership	*m = NULL;
	struct user_page	 page;
	struct fnode		*filter = NULL;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	const char		*s;
	bool			 listing = r->route->pattern[strlen(r->route->pattern) - 1] == 't';
	size_t			 nm = 0, j = 0;

	if (!api_begin(r, listing ? list_known : filter_known, &c))
		return;
	if (!listing) {
		if (!required(r, "filter_str", &s))
			return;
		filter = filter_cmp(r->arena, "email", FOP_CONTAINS, s);
	}
	if (api_ok(r, users_list_all(&c, filter, &page, &e), &e) != 0 ||
	    (listing && api_ok(r, groups_memberships(&c, &m, &nm, &e), &e) != 0))
		return;
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "result", "success");
	jsonw_key(&w, "users");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < page.n; i++) {
		const struct user	*u = &page.users[i];
		struct canary_flocks	 f;

		/* Both are ordered by user id. */
		flocks_init(&f);
		for (; j < nm && m[j].user_id <= u->id; j++)
			if (m[j].user_id == u->id)
				flocks_add(r->arena, &f, m[j].role, m[j].key);
		list_row(&w, u, listing ? &f : NULL);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
}

/* GET user/get: one user, the flocks as comma-separated keys. */
static void
h_user_get(struct request *r)
{
	struct canary_flocks	 f;
	struct user		 u;
	struct jsonw		 w;
	bool			 local;

	if (!one_user(r, &u, &f))
		return;
	local = strcmp(u.val[UF_AUTH_METHOD], "local") == 0;
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "result", "success");
	jsonw_key(&w, "user");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "access_level", canary_level(&u));
	jsonw_kbool(&w, "disabled", disabled(&u));
	jsonw_kstr(&w, "email", u.val[UF_EMAIL]);
	jsonw_kstr(&w, "id", u.uid);
	jsonw_kstr(&w, "managed_flocks", f.managed);
	jsonw_kbool(&w, "no_direct_login", !local);
	jsonw_kstr(&w, "note", u.val[UF_NOTE] ? u.val[UF_NOTE] : "");
	jsonw_kbool(&w, "saml_provisioned", strcmp(u.val[UF_AUTH_METHOD], "saml") == 0);
	jsonw_kbool(&w, "summary_email_enabled", strcmp(u.val[UF_SUMMARY_EMAIL], "true") == 0);
	jsonw_kbool(&w, "supervisor", u.level == LEVEL_SUPER);
	jsonw_kbool(&w, "totp_enabled", u.totp_enabled);
	jsonw_kstr(&w, "watched_flocks", f.watched);
	/* Credential material is never shown: see docs/canary.md. */
	jsonw_kstr(&w, "webauthn_credential", "");
	jsonw_kbool(&w, "webauthn_enabled", u.webauthn_enabled);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
}

static void
key_list(struct jsonw *w, const char *name, const char *const *keys, size_t n)
{
	jsonw_key(w, name);
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(w, keys[i]);
	jsonw_arr_close(w);
}

/* GET user/auth: how the user signs in and what it may see. */
static void
h_user_auth(struct request *r)
{
	struct canary_flocks	 f;
	struct user		 u;
	struct jsonw		 w;

	if (!one_user(r, &u, &f))
		return;
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "access_level", canary_level_number(&u));
	jsonw_kstr(&w, "email", u.val[UF_EMAIL]);
	jsonw_kbool(&w, "is_sso_login", strcmp(u.val[UF_AUTH_METHOD], "local") != 0);
	key_list(&w, "managed_flocks", f.keys[0], f.n[0]);
	jsonw_kstr(&w, "result", "success");
	jsonw_kbool(&w, "saml_login", strcmp(u.val[UF_AUTH_METHOD], "saml") == 0);
	key_list(&w, "watched_flocks", f.keys[1], f.n[1]);
	jsonw_obj_close(&w);
}

/* GET ping: the token works. */
static void
h_ping(struct request *r)
{
	static const char *const known[] = { CANARY_TOKEN, NULL };
	struct core_ctx c;

	if (api_begin(r, known, &c))
		canary_success(r, NULL);
}

/* --- changes ------------------------------------------------------------------------ */

/*
 * POST user/add: a pending account named by its e-mail, with a registration
 * link mailed unless send_welcome_mail is false. totp_enabled makes TOTP
 * required: the user enrols at the first sign-in.
 */
static void
h_user_add(struct request *r)
{
	static const char *const known[] = { CANARY_TOKEN, "email", "access_level", "totp_enabled",
		"note", "send_welcome_mail", NULL };
	struct user_create	 req;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	bool			 totp;

	memset(&req, 0, sizeof(req));
	if (!canary_begin(r, known, &c, &ref) ||
	    api_patch_param(r, &req.p, UF_EMAIL, "email") != 0 ||
	    api_patch_param(r, &req.p, UF_USERNAME, "email") != 0 ||
	    !level_param(r, &req.p) ||
	    api_bool(r, "totp_enabled", false, &totp) != 0 ||
	    api_patch_param(r, &req.p, UF_NOTE, "note") != 0 ||
	    api_bool(r, "send_welcome_mail", true, &req.send_email) != 0)
		return;
	if (totp && api_ok(r, user_patch_set(r->arena, &req.p, UF_MFA_REQUIRED, "true", &e), &e) != 0)
		return;
	req.invite = true;
	if (api_ok(r, users_create(&c, &req, &u, &e), &e) == 0)
		canary_success(r, "User (%s) successfully created.", u.val[UF_EMAIL]);
}

/* The changes of one field of the user named by email, by route flag. */
enum canary_patch { PATCH_EDIT, PATCH_LEVEL, PATCH_NOTE_ADD, PATCH__MAX };

static const struct {
	const char *const	 known[4];
	const char		*msg;		/* %s: the e-mail; NULL: no message */
} patches[PATCH__MAX] = {
	/* user/edit: the note, when given (Canary's only editable field). */
	[PATCH_EDIT]	 = { { CANARY_TOKEN, "email", "note", NULL }, "User (%s) successfully edited." },
	[PATCH_LEVEL]	 = { { CANARY_TOKEN, "email", "access_level", NULL }, NULL },
	/* user/note/add: the note is required (it may be emptied only by user/edit). */
	[PATCH_NOTE_ADD] = { { CANARY_TOKEN, "email", "note", NULL },
	    "User (%s) note successfully added." },
};

/* POST user/edit, user/edit/access_level and user/note/add. */
static void
h_user_patch(struct request *r)
{
	enum canary_patch	 op = (enum canary_patch)r->route->flags;
	struct user_patch	 p;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	const char		*note;

	memset(&p, 0, sizeof(p));
	if (op >= PATCH__MAX || !canary_begin(r, patches[op].known, &c, &ref))
		return;
	if (op == PATCH_LEVEL ? !level_param(r, &p) :
	    (op == PATCH_NOTE_ADD && !required(r, "note", &note)) ||
	    api_patch_param(r, &p, UF_NOTE, "note") != 0)
		return;
	if (api_ok(r, users_update(&c, &ref, &p, CORE_ANY_VERSION, &u, &e), &e) == 0)
		canary_success(r, patches[op].msg, ref.value);
}

/*
 * The operations on the user named by email alone, by route flag, with the
 * message each answers (%s: the e-mail; NULL: none).
 */
enum canary_op { OP_DISABLE, OP_ENABLE, OP_REMOVE, OP_NOTE_DELETE, OP_TOTP_OFF, OP_WEBAUTHN_OFF,
	OP_SUMMARY_ON, OP_SUMMARY_OFF, OP_PASSWORD_RESET, OP__MAX };

static const char *const op_messages[OP__MAX] = {
	[OP_DISABLE]		= "User (%s) successfully disabled.",
	[OP_ENABLE]		= "User (%s) successfully enabled.",
	[OP_REMOVE]		= "User (%s) successfully removed.",
	[OP_NOTE_DELETE]	= "User (%s) note successfully removed.",
	[OP_TOTP_OFF]		= "Successfully disabled two-factor authentication for user %s",
	[OP_WEBAUTHN_OFF]	= NULL,
	[OP_SUMMARY_ON]		= "Successfully enabled summary email for email %s",
	[OP_SUMMARY_OFF]	= "Successfully disabled summary email for email %s",
	[OP_PASSWORD_RESET]	= "Password reset email sent to %s",
};

static void
h_user_op(struct request *r)
{
	static const char *const known[] = { CANARY_TOKEN, "email", NULL };
	static const struct user_op_opts opts = { NULL, false, CORE_ANY_VERSION };
	enum canary_op		 op = (enum canary_op)r->route->flags;
	struct user_patch	 p;
	struct user_ref		 ref;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	enum core_status	 st;
	char			 expires[TOKEN_TIME_LEN];

	if (!canary_begin(r, known, &c, &ref))
		return;
	switch (op) {
	case OP_DISABLE:
	case OP_ENABLE:
		st = users_apply(&c, &ref, op == OP_DISABLE ? UOP_DISABLE : UOP_ENABLE, &opts, &u, &e);
		break;
	case OP_REMOVE:
		st = users_remove(&c, &ref, CORE_ANY_VERSION, &e);
		break;
	case OP_NOTE_DELETE:
		memset(&p, 0, sizeof(p));
		if ((st = user_patch_set(r->arena, &p, UF_NOTE, "", &e)) == CORE_OK)
			st = users_update(&c, &ref, &p, CORE_ANY_VERSION, &u, &e);
		break;
	case OP_TOTP_OFF:
	case OP_WEBAUTHN_OFF:
		st = userattrs_mfa_reset(&c, &ref, op == OP_TOTP_OFF ? MFA_TOTP : MFA_WEBAUTHN, &u, &e);
		break;
	case OP_SUMMARY_ON:
	case OP_SUMMARY_OFF:
		st = users_set_summary_email(&c, &ref, op == OP_SUMMARY_ON, &u, &e);
		break;
	case OP_PASSWORD_RESET:
		st = users_send_reset(&c, &ref, expires, &e);
		break;
	default:
		st = core_fail(&e, CORE_INTERNAL, NULL, "unknown operation");
		break;
	}
	if (api_ok(r, st, &e) == 0)
		canary_success(r, op_messages[op], ref.value);
}

/* POST settings/usermanagement/globally_enforce_2fa/enable and …/disable. */
static void
h_enforce_2fa(struct request *r)
{
	static const char *const known[] = { CANARY_TOKEN, NULL };
	struct org_patch	 p = { NULL, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	struct org_settings	 o;
	struct core_ctx		 c;
	struct core_err		 e;

	if (!api_begin(r, known, &c))
		return;
	p.enforce_2fa = strstr(r->route->pattern, "/enable") != NULL;
	if (api_ok(r, org_update(&c, &p, &o, &e), &e) == 0)
		canary_success(r, NULL);
}

#define A	LEVEL_ADMIN
#define G	LEVEL_GUEST
#define T	token_list
static const struct route routes[] = {
	{ "GET",    "/canary/api/v1/ping", h_ping, &dialect_canary, G, 0, T, false },
	{ "GET",    "/canary/api/v1/users/list", h_users, &dialect_canary, A, 0, T, false },
	{ "GET",    "/canary/api/v1/users/filter", h_users, &dialect_canary, A, 0, T, false },
	{ "GET",    "/canary/api/v1/user/auth", h_user_auth, &dialect_canary, A, 0, T, false },
	{ "GET",    "/canary/api/v1/user/get", h_user_get, &dialect_canary, A, 0, T, false },
	{ "POST",   "/canary/api/v1/user/add", h_user_add, &dialect_canary, A, 0, T, false },
	{ "POST",   "/canary/api/v1/user/disable", h_user_op, &dialect_canary, A, OP_DISABLE, T, false },
	{ "POST",   "/canary/api/v1/user/enable", h_user_op, &dialect_canary, A, OP_ENABLE, T, false },
	{ "POST",   "/canary/api/v1/user/remove", h_user_op, &dialect_canary, A, OP_REMOVE, T, false },
	{ "POST",   "/canary/api/v1/user/edit", h_user_patch, &dialect_canary, A, PATCH_EDIT, T, false },
	{ "POST",   "/canary/api/v1/user/edit/access_level",
	  h_user_patch, &dialect_canary, A, PATCH_LEVEL, T, false },
	{ "POST",   "/canary/api/v1/user/note/add", h_user_patch, &dialect_canary, A, PATCH_NOTE_ADD, T, false },
	{ "DELETE", "/canary/api/v1/user/note/delete", h_user_op, &dialect_canary, A, OP_NOTE_DELETE, T, false },
	{ "POST",   "/canary/api/v1/user/flock/assign", h_flocks, &dialect_canary, A, 0, T, false },
	{ "POST",   "/canary/api/v1/user/flock/unassign", h_flocks, &dialect_canary, A, 0, T, false },
	{ "POST",   "/canary/api/v1/user/2fa/disable", h_user_op, &dialect_canary, A, OP_TOTP_OFF, T, false },
	{ "POST",   "/canary/api/v1/user/webauthn/disable", h_user_op, &dialect_canary, A, OP_WEBAUTHN_OFF, T, false },
	/* Users toggle their own summary e-mail; the core lets only an admin toggle another's. */
	{ "POST",   "/canary/api/v1/user/summary_email/enable", h_user_op, &dialect_canary, G, OP_SUMMARY_ON, T, false },
	{ "POST",   "/canary/api/v1/user/summary_email/disable", h_user_op, &dialect_canary, G, OP_SUMMARY_OFF, T, false },
	{ "POST",   "/canary/api/v1/user/password/reset", h_user_op, &dialect_canary, A, OP_PASSWORD_RESET, T, false },
	{ "POST",   "/canary/api/v1/settings/usermanagement/globally_enforce_2fa/enable",
	  h_enforce_2fa, &dialect_canary, A, 0, T, false },
	{ "POST",   "/canary/api/v1/settings/usermanagement/globally_enforce_2fa/disable",
	  h_enforce_2fa, &dialect_canary, A, 0, T, false },
};
#undef T
#undef G
#undef A
static const struct route_list canary_routes = ROUTE_LIST(routes);
static const struct route_list *const canary_lists[] = { &canary_routes, NULL };

const struct surface surface_canary = { &dialect_canary, canary_lists };
