/* native_org.c: /api/v1/org, /api/v1/api-keys and /api/v1/audit in the native shapes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/keys.h"
#include "gatehouse/org.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#include "native.h"

/* --- org ------------------------------------------------------------------------ */

static void
reply_org(struct request *r, const struct org_settings *o)
{
	struct jsonw w;

	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kint(&w, "id", o->id);
	jsonw_kstr(&w, "name", o->name);
	jsonw_kstr(&w, "tier", o->tier);
	jsonw_kbool(&w, "enforce_2fa", o->enforce_2fa);
	jsonw_kint(&w, "inactivity_days", o->inactivity_days);
	jsonw_kint(&w, "password_min", o->password_min);
	jsonw_kint(&w, "session_lifetime_s", o->session_lifetime_s);
	jsonw_kint(&w, "registration_token_hours", o->registration_token_hours);
	jsonw_kint(&w, "reset_token_hours", o->reset_token_hours);
	jsonw_kint(&w, "session_idle_s", o->session_idle_s);
	jsonw_kint(&w, "lockout_threshold", o->lockout_threshold);
	jsonw_kint(&w, "lockout_s", o->lockout_s);
	jsonw_kstr(&w, "created_at", o->created_at);
	jsonw_kstr(&w, "updated_at", o->updated_at);
	jsonw_obj_close(&w);
}

static void
h_org_get(struct request *r)
{
	struct org_settings	o;
	struct core_ctx		c;
	struct core_err		e;

	api_ctx(r, &c);
	if (org_get(&c, &o, &e) != CORE_OK)
		api_fail(r, &e);
	else
		reply_org(r, &o);
}

/* The integer settings a patch may carry, with their bounds. */
static const struct {
	const char	*name;
	long		 min, max;
	size_t		 off;		/* in struct org_patch */
} org_ints[] = {
	{ "inactivity_days", 0, ORG_INACTIVITY_DAYS_MAX, offsetof(struct org_patch, inactivity_days) },
	{ "password_min", 8, 256, offsetof(struct org_patch, password_min) },
	{ "session_lifetime_s", ORG_SESSION_LIFETIME_MIN, ORG_SESSION_LIFETIME_MAX,
	    offsetof(struct org_patch, session_lifetime_s) },
	{ "registration_token_hours", 1, ORG_REGISTRATION_HOURS_MAX,
	    offsetof(struct org_patch, registration_token_hours) },
	{ "reset_token_hours", 1, ORG_RESET_HOURS_MAX, offsetof(struct org_patch, reset_token_hours) },
	{ "session_idle_s", ORG_SESSION_IDLE_MIN, ORG_SESSION_IDLE_MAX,
	    offsetof(struct org_patch, session_idle_s) },
	{ "lockout_threshold", 1, ORG_LOCKOUT_THRESHOLD_MAX,
	    offsetof(struct org_patch, lockout_threshold) },
	{ "lockout_s", ORG_LOCKOUT_MIN, ORG_LOCKOUT_MAX, offsetof(struct org_patch, lockout_s) },
};

static void
h_org_update(struct request *r)
{
	static const char *const known[] = { "tier", "enforce_2fa", "inactivity_days", "password_min",
		"session_lifetime_s", "registration_token_hours", "reset_token_hours", "session_idle_s",
		"lockout_threshold", "lockout_s", NULL };
	struct org_patch	 p = { NULL, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	struct org_settings	 o;
	struct core_ctx		 c;
	struct core_err		 e;
	long			 n;
	bool			 b;

	if (api_known_only(r, known) != 0)
		return;
	p.tier = req_param(r, "tier");
	if (req_param(r, "enforce_2fa") != NULL) {
		if (api_bool(r, "enforce_2fa", false, &b) != 0)
			return;
		p.enforce_2fa = b;
	}
	for (size_t i = 0; i < sizeof(org_ints) / sizeof(org_ints[0]); i++) {
		n = -1;
		if (api_int(r, org_ints[i].name, org_ints[i].min, org_ints[i].max, &n) != 0)
			return;
		*(int *)((char *)&p + org_ints[i].off) = (int)n;
	}
	api_ctx(r, &c);
	if (org_update(&c, &p, &o, &e) != CORE_OK)
		api_fail(r, &e);
	else
		reply_org(r, &o);
}

/* --- api keys ----------------------------------------------------------------------- */

static const struct api_member key_members[] = {
	API_MEMBER(struct api_key, "id", API_STR, ref),
	API_MEMBER(struct api_key, "name", API_STR, name),
	API_MEMBER(struct api_key, "user_uid", API_STR, user_uid),
	API_MEMBER(struct api_key, "user_email", API_STR, user_email),
	API_MEMBER(struct api_key, "access_level", API_STR, access_level),
	API_MEMBER(struct api_key, "expires_at", API_STR, expires_at),
	API_MEMBER(struct api_key, "last_used_at", API_STR, last_used_at),
	API_MEMBER(struct api_key, "revoked_at", API_STR, revoked_at),
	API_MEMBER(struct api_key, "created_at", API_STR, created_at),
};
API_OBJECT_FN(key_json, key_members)

static const struct api_member event_members[] = {
	API_MEMBER(struct audit_event, "id", API_STR, id),
	API_MEMBER(struct audit_event, "at", API_STR, at),
	API_MEMBER(struct audit_event, "actor", API_STR, actor),
	API_MEMBER(struct audit_event, "actor_uid", API_STR, actor_uid),
	API_MEMBER(struct audit_event, "action", API_STR, action),
	API_MEMBER(struct audit_event, "target_type", API_STR, target_type),
	API_MEMBER(struct audit_event, "target_id", API_STR, target_id),
	API_MEMBER(struct audit_event, "changes", API_RAW, changes),
	API_MEMBER(struct audit_event, "request_id", API_STR, request_id),
	API_MEMBER(struct audit_event, "address", API_STR, address),
	API_MEMBER(struct audit_event, "surface", API_STR, surface),
};
API_OBJECT_FN(event_json, event_members)

static void
h_keys_list(struct request *r)
{
	static const char *const known[] = { "all", NULL };
	struct api_key	*keys = NULL;
	size_t		 n = 0;
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st;
	bool		 all;

	if (!api_begin(r, known, &c) || api_bool(r, "all", false, &all) != 0)
		return;
	/* Called first: the list and its length are the call's results. */
	st = keys_list(&c, all, &keys, &n, &e);
	api_reply_list(r, st, &e, "api_keys", keys, n, sizeof(*keys), key_json);
}

static void
h_keys_create(struct request *r)
{
	static const char *const known[] = { "name", "expires_in", "user", NULL };
	struct api_key	 k;
	struct core_ctx	 c;
	struct core_err	 e;
	struct jsonw	 w;
	char		 key[APIKEY_MAX];
	const char	*user = req_param(r, "user");
	struct user_ref	 who = { UKEY_UID, user };
	long		 exp = 0;

	if (api_known_only(r, known) != 0 || api_int(r, "expires_in", 0, 10L * 366 * 86400, &exp) != 0)
		return;
	api_ctx(r, &c);
	if (keys_create(&c, user ? &who : NULL, req_param(r, "name"), exp, key, &k, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_json_begin(r, 201, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "key", key);		/* the only time the secret is shown */
	jsonw_key(&w, "api_key");
	key_json(&w, &k);
	jsonw_obj_close(&w);
	memset(key, 0, sizeof(key));
}

static void
h_keys_revoke(struct request *r)
{
	struct core_ctx	c;
	struct core_err	e;

	api_ctx(r, &c);
	if (keys_revoke(&c, req_path_param(r, "id"), &e) != CORE_OK)
		api_fail(r, &e);
	else
		resp_start(r, 204, "application/json");
}

/* --- audit --------------------------------------------------------------------------- */

static void
h_audit(struct request *r)
{
	static const char *const known[] = { "actor", "target", "action", "since", "until", "cursor",
		"limit", NULL };
	struct audit_query	 q = { 0 };
	struct audit_event	*ev = NULL;
	size_t			 n = 0;
	const char		*next = NULL;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;
	long			 limit = CORE_PAGE_DEFAULT;

	if (!api_begin(r, known, &c) || api_int(r, "limit", 1, CORE_PAGE_MAX, &limit) != 0)
		return;
	q.actor = req_param(r, "actor");
	q.target = req_param(r, "target");
	q.action = req_param(r, "action");
	q.since = req_param(r, "since");
	q.until = req_param(r, "until");
	q.cursor = req_param(r, "cursor");
	q.limit = (int)limit;
	st = audit_list(&c, &q, &ev, &n, &next, &e);
	api_reply_page(r, st, &e, "events", ev, n, sizeof(*ev), event_json, next);
}

#define A	LEVEL_ADMIN
#define U	LEVEL_USER
/* Creates that honour Idempotency-Key (a retry gets the first answer). */
API_IDEMPOTENT(h_keys_create_once, h_keys_create, true)

static const struct route routes[] = {
	{ "GET",    "/api/v1/org",		h_org_get,	&dialect_native, A, 0, NULL, false },
	{ "PATCH",  "/api/v1/org",		h_org_update,	&dialect_native, A, 0, NULL, false },
	{ "GET",    "/api/v1/api-keys",		h_keys_list,	&dialect_native, U, 0, NULL, false },
	{ "POST",   "/api/v1/api-keys",		h_keys_create_once,	&dialect_native, U, 0, NULL, false },
	{ "DELETE", "/api/v1/api-keys/{id}",	h_keys_revoke,	&dialect_native, U, 0, NULL, false },
	{ "GET",    "/api/v1/audit",		h_audit,	&dialect_native, A, 0, NULL, false },
};
#undef A
#undef U
const struct route_list native_org_routes = ROUTE_LIST(routes);
