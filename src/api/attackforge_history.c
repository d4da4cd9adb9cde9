/*
 * attackforge_history.c: the AttackForge dialect's groups and a user's
 * history — AddUserToGroup, UpdateUserAccessOnGroup, a user's groups, audit
 * logs and logins — over the core's groups (access levels are the
 * membership's access), audit trail and sign-in record.
 */
#include <stdio.h>
#include <string.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/groups.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#include "attackforge.h"

/* AttackForge's access levels, in the order of enum group_access; Delete leaves the group. */
static const char *const af_access[] = { "View", "Upload", "Edit", "Delete", NULL };
#define AF_ACCESS_DELETE	3

/*
 * Reads group_id, user_id and access_level (one of the first `choices` of
 * af_access), all required: 0, or 400 rendered and -1.
 */
static int
af_membership(struct request *r, int choices, const char **group, const char **user, int *access)
{
	const char	*levels[sizeof(af_access) / sizeof(af_access[0])] = { NULL }, *missing;

	for (int i = 0; i < choices; i++)
		levels[i] = af_access[i];
	*access = -1;
	if (api_str(r, "group_id", group) != 0 || api_str(r, "user_id", user) != 0 ||
	    api_enum(r, "access_level", levels, access) != 0)
		return -1;
	missing = *group == NULL ? "group_id" : *user == NULL ? "user_id" :
	    *access < 0 ? "access_level" : NULL;
	if (missing != NULL) {
		api_failf(r, CORE_INVALID, missing, "%s is required", missing);
		return -1;
	}
	return 0;
}

/* POST /api/ss/group/user: joins the user to the group with access_level View, Upload or Edit. */
static void
h_add_to_group(struct request *r)
{
	static const char *const known[] = { "group_id", "user_id", "access_level", NULL };
	struct user_ref		 ref = { UKEY_UID, NULL };
	const char		*group = NULL;
	struct core_ctx		 c;
	struct core_err		 e;
	int			 access;

	if (!api_begin(r, known, &c) || af_membership(r, AF_ACCESS_DELETE, &group, &ref.value,
	    &access) != 0)
		return;
	af_status_reply(r, groups_member_access(&c, &ref, group, (enum group_access)access, true,
	    NULL, &e), &e, "User Added To Group");
}

/*
 * PUT /api/ss/group/user/:user_id: a member's access_level; Delete takes the
 * user out of the group. user_id in the body, which the vendor's example
 * repeats, must name the same user.
 */
static void
h_update_group_access(struct request *r)
{
	static const char *const known[] = { "group_id", "user_id", "access_level", NULL };
	struct user_ref		 ref = af_path_user(r, "user_id");
	const char		*group = NULL, *body_user = ref.value;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;
	int			 access;

	if (!api_begin(r, known, &c) || af_membership(r, AF_ACCESS_DELETE + 1, &group, &body_user,
	    &access) != 0)
		return;
	if (strcmp(body_user, ref.value) != 0) {
		api_bad(r, "user_id", "user_id must be the user of the path");
		return;
	}
	if (access == AF_ACCESS_DELETE)
		st = groups_member_remove(&c, &ref, &group, 1, &e);
	else
		st = groups_member_access(&c, &ref, group, (enum group_access)access, false, NULL, &e);
	af_status_reply(r, st, &e, "User Access Updated On Group");
}

/* GET /api/ss/user/:id/groups */
static void
h_user_groups(struct request *r)
{
	static const char *const known[] = { NULL };
	struct user_ref		 ref = af_path_user(r, "id");
	struct user_group	*g;
	size_t			 n;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;

	if (!api_begin(r, known, &c))
		return;
	if (api_ok(r, groups_of_user(&c, &ref, &g, &n, &e), &e) != 0)
		return;
	af_list_begin(r, &w, (int64_t)n, "groups");
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&w);
		jsonw_kstr(&w, "group_name", g[i].name);
		jsonw_kstr(&w, "group_id", g[i].key);
		jsonw_kstr(&w, "access_level", af_access[g[i].access]);
		jsonw_kstr(&w, "created", g[i].since);
		jsonw_kstr(&w, "last_updated", g[i].updated);
		jsonw_obj_close(&w);
	}
	af_list_end(&w);
}

/* skip and limit (default 100, at most max): 0, or 400 rendered and -1. */
static int
af_page(struct request *r, long max, int *skip, int *limit)
{
	long s = 0, l = CORE_PAGE_DEFAULT;

	if (api_int(r, "skip", 0, CORE_OFFSET_MAX, &s) != 0 || api_int(r, "limit", 1, max, &l) != 0)
		return -1;
	*skip = (int)s;
	*limit = (int)l;
	return 0;
}

/*
 * GET /api/ss/user/:id/auditlogs: the core's audit trail of the user (what
 * they did and what was done to them). The core records changes, not HTTP
 * requests: method, url, path, query, status code, project, role, verbosity
 * and export are null; endpoint is the action (and filters by it); the
 * request body is the changes the event recorded (never secrets).
 */
static void
h_user_auditlogs(struct request *r)
{
	static const char *const known[] = { "skip", "limit", "include_request_body", "endpoint",
		"method", NULL };
	struct user_ref		 ref = af_path_user(r, "id");
	struct audit_event	*ev;
	size_t			 n;
	int64_t			 total;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	const char		*endpoint = NULL, *method = NULL;
	bool			 body = false;
	int			 skip, limit;

	if (!api_begin(r, known, &c) || af_page(r, 500, &skip, &limit) != 0 ||
	    api_bool(r, "include_request_body", false, &body) != 0 ||
	    api_str(r, "endpoint", &endpoint) != 0 || api_str(r, "method", &method) != 0)
		return;
	if (method != NULL) {
		api_bad(r, "method", "method cannot filter: the audit log records changes, not HTTP"
		    " requests; filter by endpoint (an action such as user.update, or user.*)");
		return;
	}
	if (api_ok(r, audit_of_user(&c, &ref, endpoint, skip, limit, &ev, &n, &total, &e),
	    &e) != 0)
		return;
	af_list_begin(r, &w, total, "logs");
	for (size_t i = 0; i < n; i++) {
		static const char *const unrecorded[] = { "method", "url", "path", "query",
			"status_code", "user_role", "project_id", "verbosity", "export" };

		jsonw_obj_open(&w);
		jsonw_kstr(&w, "created_timestamp", ev[i].at);
		jsonw_kstr(&w, "id", ev[i].id);
		for (size_t k = 0; k < sizeof(unrecorded) / sizeof(unrecorded[0]); k++)
			jsonw_kstr(&w, unrecorded[k], NULL);
		jsonw_kstr(&w, "endpoint", ev[i].action);
		jsonw_kstr(&w, "user_id", ev[i].actor_uid);
		jsonw_kstr(&w, "source_ip_address", ev[i].address);
		jsonw_kstr(&w, "event_description", arena_printf(r->arena, "%s %s %s by %s",
		    ev[i].action, ev[i].target_type, ev[i].target_id, ev[i].actor));
		if (body) {
			jsonw_key(&w, "request_body");
			jsonw_raw(&w, ev[i].changes, strlen(ev[i].changes));
		}
		jsonw_obj_close(&w);
	}
	af_list_end(&w);
}

/*
 * GET /api/ss/user/:id/logins: the user's successful sign-ins, newest first,
 * as the sign-in pages record them (API-key use is no sign-in).
 */
static void
h_user_logins(struct request *r)
{
	static const char *const known[] = { "skip", "limit", NULL };
	struct user_ref		 ref = af_path_user(r, "id");
	struct user_login	*l;
	size_t			 n;
	int64_t			 total;
	struct core_ctx		 c;
	struct core_err		 e;
	struct jsonw		 w;
	int			 skip, limit;

	if (!api_begin(r, known, &c) || af_page(r, CORE_PAGE_MAX, &skip, &limit) != 0)
		return;
	if (api_ok(r, users_logins(&c, &ref, skip, limit, &l, &n, &total, &e), &e) != 0)
		return;
	af_list_begin(r, &w, total, "logs");
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&w);
		jsonw_kstr(&w, "created", l[i].at);
		jsonw_kstr(&w, "ip", l[i].address);
		jsonw_obj_close(&w);
	}
	af_list_end(&w);
}

#define A	LEVEL_ADMIN
static const struct route routes[] = {
	{ "POST", "/attackforge/api/ss/group/user",		h_add_to_group,	       &dialect_attackforge, A, 0, NULL, false },
	{ "PUT",  "/attackforge/api/ss/group/user/{user_id}",	h_update_group_access, &dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/user/{id}/groups",	h_user_groups,	       &dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/user/{id}/auditlogs",	h_user_auditlogs,      &dialect_attackforge, A, 0, NULL, false },
	{ "GET",  "/attackforge/api/ss/user/{id}/logins",	h_user_logins,	       &dialect_attackforge, A, 0, NULL, false },
};
#undef A
const struct route_list attackforge_history_routes = ROUTE_LIST(routes);
