/*
 * faction.c: the Faction dialect (/faction) — Faction's Users API (addUser,
 * disableUser, unlockUser, all users) as translations over the core: the
 * FACTION-API-KEY header, form fields, [{"result": …}] bodies, and Faction's
 * status codes and messages in Faction's order.
 */
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/buf.h"
#include "gatehouse/principal.h"
#include "gatehouse/request.h"
#include "gatehouse/teams.h"
#include "gatehouse/users.h"

/* Route flags. */
#define FACTION_MANAGER		0x1	/* a user with the manager product role may, whatever the level */

/* The tier whose orgs have no Users API (Faction's "consultant" tier). */
#define FACTION_TIER_WITHOUT_USERS	"consultant"

/* [{"result":"ERROR","message":…}] with status. */
static void
faction_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	(void)field;
	api_json_begin(r, status, &w);
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "result", "ERROR");
	jsonw_kstr(&w, "message", detail);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
}

/*
 * Core failures in Faction's words. A row with a field matches only a
 * failure naming it; the first match wins. Anything else keeps the core's
 * message, as 400 for every refusal (Faction answers no other 4xx than 401).
 */
static const struct {
	enum core_status	 status;
	const char		*field;
	int			 http;
	const char		*message;
} faction_errors[] = {
	{ CORE_UNAUTHORIZED,	NULL,		401, "Not Authorized" },
	{ CORE_FORBIDDEN,	NULL,		401, "Not Authorized" },
	{ CORE_CONFLICT,	"username",	400, "User Already Exists" },
	{ CORE_CONFLICT,	"email",	400, "User Already Exists" },
	{ CORE_INVALID,		"username",	400, "User Name Invalid" },
	{ CORE_INVALID,		"team",		400, "Team Name Does not exist" },
	/* The core's "a local account needs a password or an invitation". */
	{ CORE_INVALID,		"password",	400,
	  "A LOCAL account needs verify=true: it has no password until the registration link sets one" },
	{ CORE_NOT_FOUND,	NULL,		400, "User Does not exist" },
};

static void
faction_fail(struct request *r, const struct core_err *e)
{
	int http = api_http_status(e->status);

	for (size_t i = 0; i < sizeof(faction_errors) / sizeof(faction_errors[0]); i++)
		if (faction_errors[i].status == e->status && (faction_errors[i].field == NULL ||
		    strcmp(faction_errors[i].field, e->field) == 0)) {
			faction_error(r, faction_errors[i].http, NULL, faction_errors[i].message);
			return;
		}
	faction_error(r, http >= 400 && http < 500 ? 400 : http, NULL, e->msg);
}

/*
 * FACTION-API-KEY; then no Users API for the consultant tier, and on routes
 * flagged FACTION_MANAGER a level below admin needs the manager role.
 */
static int
faction_guard(struct request *r)
{
	struct core_ctx	 c;
	struct core_err	 e;
	bool		 manager = false;

	if (api_authenticate_key(r, req_header(r, "FACTION-API-KEY")) != 0)
		return -1;
	if (strcmp(r->principal->tier, FACTION_TIER_WITHOUT_USERS) == 0) {
		api_failf(r, CORE_UNAUTHORIZED, NULL, "the %s tier has no Users API",
		    FACTION_TIER_WITHOUT_USERS);
		return -1;
	}
	if (!(r->route->flags & FACTION_MANAGER) || r->principal->level >= LEVEL_ADMIN)
		return 0;
	api_ctx(r, &c);
	if (api_ok(r, users_actor_has_role(&c, "manager", &manager, &e), &e) != 0)
		return -1;
	if (!manager) {
		api_failf(r, CORE_FORBIDDEN, NULL, "this needs access level admin or the manager role");
		return -1;
	}
	return 0;
}

static const struct dialect dialect_faction = {
	.name = "faction",
	.prefix = "/faction",
	.guard = faction_guard,
	.error = faction_error,
	.fail = faction_fail,
};

/*
 * Faction's booleans (Java's Boolean.valueOf): the string "true" in any
 * case is true, anything else — absent too — false. Given twice is still 400.
 */
static int
faction_bool(struct request *r, const char *name, bool *out)
{
	const char *v = NULL;

	*out = false;
	if (api_str(r, name, &v) != 0)
		return -1;
	*out = v != NULL && strcasecmp(v, "true") == 0;
	return 0;
}

static void
faction_success(struct request *r)
{
	struct jsonw w;

	api_json_begin(r, 200, &w);
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "result", "SUCCESS");
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
}

/* The five permission flags and the product roles they grant. */
static const struct {
	const char	*flag;
	const char	*role;
} faction_roles[] = {
	{ "isAssessor", "assessor" }, { "isAdmin", "admin" }, { "isRemediation", "remediation" },
	{ "isEngage", "engagement" }, { "isManager", "manager" },
};

/*
 * POST /api/users/addUser. Faction checks, after authorisation, that the
 * username is free, then that it is valid, then that the team exists; the
 * same order here, before the other fields.
 */
static void
h_add_user(struct request *r)
{
	static const char *const known[] = { "username", "email", "fname", "lname", "team",
		"authMethod", "verify", "isAssessor", "isAdmin", "isRemediation", "isEngage",
		"isManager", NULL };
	struct user_create	 req;
	struct user_ref		 ref = { UKEY_USERNAME, NULL };
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	struct team		 t;
	enum core_status	 st;
	const char		*team = NULL;
	bool			 on;

	memset(&req, 0, sizeof(req));
	if (!api_begin(r, known, &c) || api_str(r, "username", &ref.value) != 0)
		return;
	if (ref.value != NULL && (st = users_get(&c, &ref, &u, &e)) != CORE_NOT_FOUND) {
		if (st == CORE_OK)
			api_failf(r, CORE_CONFLICT, "username", "username is already taken");
		else
			api_fail(r, &e);
		return;
	}
	if (ref.value == NULL || *ref.value == '\0') {
		api_bad(r, "username", "username is required");
		return;
	}
	if (api_patch_param(r, &req.p, UF_USERNAME, "username") != 0 ||
	    api_str(r, "team", &team) != 0)
		return;
	if (team == NULL || *team == '\0') {
		api_bad(r, "team", "team is required");
		return;
	}
	if (api_ok(r, teams_find(&c, team, &t, &e), &e) != 0 ||
	    api_patch_param(r, &req.p, UF_TEAM, "team") != 0 ||
	    api_patch_param(r, &req.p, UF_EMAIL, "email") != 0 ||
	    api_patch_param(r, &req.p, UF_FIRST_NAME, "fname") != 0 ||
	    api_patch_param(r, &req.p, UF_LAST_NAME, "lname") != 0 ||
	    api_patch_param(r, &req.p, UF_AUTH_METHOD, "authMethod") != 0 ||
	    faction_bool(r, "verify", &req.invite) != 0)
		return;
	for (size_t i = 0; i < sizeof(faction_roles) / sizeof(faction_roles[0]); i++) {
		if (faction_bool(r, faction_roles[i].flag, &on) != 0)
			return;
		if (on && api_ok(r, user_patch_set(r->arena, &req.p, UF_ROLES,
		    faction_roles[i].role, &e), &e) != 0)
			return;
	}
	/* verify=true: pending, with the registration e-mail queued, as the native invite. */
	req.send_email = true;
	if (api_ok(r, users_create(&c, &req, &u, &e), &e) == 0)
		faction_success(r);
}

/* disableUser and unlockUser: one status change of the user named by username. */
static void
apply(struct request *r, enum user_op op, const char *const *known)
{
	struct user_op_opts	 o = { NULL, false, CORE_ANY_VERSION };
	struct user_ref		 ref = { UKEY_USERNAME, NULL };
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;

	if (!api_begin(r, known, &c) || api_str(r, "username", &ref.value) != 0 ||
	    faction_bool(r, "uioli", &o.reset_inactivity) != 0)
		return;
	if (ref.value == NULL)
		ref.value = "";		/* names nobody: "User Does not exist" */
	if (api_ok(r, users_apply(&c, &ref, op, &o, &u, &e), &e) == 0)
		faction_success(r);
}

static void
h_disable_user(struct request *r)
{
	static const char *const known[] = { "username", NULL };

	apply(r, UOP_DISABLE, known);
}

/* uioli=true: the last login becomes now, so the inactivity sweep does not lock it again. */
static void
h_unlock_user(struct request *r)
{
	static const char *const known[] = { "username", "uioli", NULL };

	apply(r, UOP_UNLOCK, known);
}

/* GET /api/users/all: the directory; inactive is a user who cannot sign in now. */
static void
h_all_users(struct request *r)
{
	static const char *const known[] = { NULL };
	struct user_page	 page;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;

	if (!api_begin(r, known, &c) || api_ok(r, users_list_all(&c, NULL, &page, &e), &e) != 0)
		return;
	api_json_begin(r, 200, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < page.n; i++) {
		const struct user *u = &page.users[i];

		jsonw_obj_open(&w);
		jsonw_kint(&w, "id", u->id);
		jsonw_kstr(&w, "username", u->val[UF_USERNAME]);
		jsonw_kstr(&w, "email", u->val[UF_EMAIL]);
		jsonw_kstr(&w, "firstName", u->val[UF_FIRST_NAME]);
		jsonw_kstr(&w, "lastName", u->val[UF_LAST_NAME]);
		jsonw_kbool(&w, "inactive", u->status == US_DISABLED || u->status == US_SUSPENDED);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
}

#define A	LEVEL_ADMIN
/* Creates that honour Idempotency-Key (a retry gets the first answer). */
API_IDEMPOTENT(h_add_user_once, h_add_user, false)

static const struct route routes[] = {
	{ "POST", "/faction/api/users/addUser",	    h_add_user_once,	    &dialect_faction, A, 0, NULL, false },
	{ "POST", "/faction/api/users/disableUser", h_disable_user, &dialect_faction, A, 0, NULL, false },
	{ "POST", "/faction/api/users/unlockUser",  h_unlock_user,  &dialect_faction, A, 0, NULL, false },
	{ "GET",  "/faction/api/users/all",	    h_all_users,    &dialect_faction, LEVEL_GUEST,
	  FACTION_MANAGER, NULL, false },
};
#undef A
static const struct route_list faction_routes = ROUTE_LIST(routes);
static const struct route_list *const faction_lists[] = { &faction_routes, NULL };

const struct surface surface_faction = { &dialect_faction, faction_lists };
