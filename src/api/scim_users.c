/*
 * scim_users.c: /scim/v2/Users — a core user as a SCIM User tree (core
 * schema and enterprise extension), and a changed tree as the core's
 * provisioning request. Every write is one core call: PUT replaces the
 * tree, PATCH edits the current one (scim_patch), both then ask the core for
 * what differs. PATCH answers 200 with the resource.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/groups.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

#include "scim.h"

#define ENT	URN_ENTERPRISE ":"

/* What a SCIM attribute is in the core: a tree path and the user field it sets. */
static const struct { const char *path; enum ufield f; } attrs[] = {
	{ "userName", UF_USERNAME },
	{ "externalId", UF_EXTERNAL_ID },
	{ "name.formatted", UF_FORMATTED_NAME },
	{ "name.familyName", UF_LAST_NAME },
	{ "name.givenName", UF_FIRST_NAME },
	{ "name.middleName", UF_MIDDLE_NAME },
	{ "displayName", UF_DISPLAY_NAME },
	{ "title", UF_TITLE },
	{ "preferredLanguage", UF_PREFERRED_LANGUAGE },
	{ "emails", UF_EMAILS },
	{ "phoneNumbers", UF_PHONE_NUMBERS },
	{ "addresses", UF_ADDRESSES },
	{ ENT "employeeNumber", UF_EMPLOYEE_NUMBER },
	{ ENT "department", UF_DEPARTMENT },
	{ ENT "manager.value", UF_MANAGER },
};
#define NATTRS	(sizeof(attrs) / sizeof(attrs[0]))

/* What a filter may name, and the core field it compares (src/core/user_list.c). */
static const struct scim_fmap fmap[] = {
	{ "id", "uid" }, { "userName", "username" }, { "externalId", "external_id" },
	{ "displayName", "display_name" }, { "name.givenName", "first_name" },
	{ "name.familyName", "last_name" }, { "name.middleName", "middle_name" },
	{ "title", "title" }, { "active", "enabled" }, { "emails", "emails" },
	{ "emails.value", "emails.value" }, { "emails.type", "emails.type" },
	{ "emails.display", "emails.display" }, { "emails.primary", "emails.primary" },
	{ "meta.created", "created_at" }, { "meta.lastModified", "updated_at" },
	{ ENT "employeeNumber", "employee_number" }, { ENT "department", "department" },
};

/* What a list may be sorted by: the orderings the core's indexes serve. */
static const struct scim_fmap sorts[] = {
	{ "userName", "username" }, { "meta.created", "created_at" },
};

static const struct scim_listing listing = { &scim_user_type, fmap, sizeof(fmap) / sizeof(fmap[0]),
	sorts, sizeof(sorts) / sizeof(sorts[0]), "userName or meta.created" };

/* --- a user as a tree -------------------------------------------------------------- */

/* Sets name to s in o when s is text worth showing (not NULL, not empty). */
static int
put_text(struct arena *a, struct json *o, const char *name, const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	return sj_set(a, o, name, sj_str(a, s));
}

/* A stored multi-valued attribute (JSON text from the core) as a tree, or NULL when empty. */
static struct json *
values_tree(struct arena *a, const char *text)
{
	static const struct parse_limits lim = { 4096, 65536, 8, 10000 };
	struct parse_error	 pe;
	struct json		*j;

	if (text == NULL || (j = json_parse(a, &lim, text, strlen(text), &pe)) == NULL ||
	    j->type != JSON_ARRAY || j->n == 0)
		return NULL;
	return j;
}

/*
 * A user as a canonical SCIM tree. Its e-mails are those the directory gave;
 * a user made elsewhere shows its sign-in e-mail as its primary work e-mail.
 */
static struct json *
user_tree(struct request *r, const struct user *u, const struct user_group *g, size_t ng)
{
	struct arena	*a = r->arena;
	struct json	*t = sj_object(a), *schemas = sj_array(a), *name = sj_object(a);
	struct json	*ent = sj_object(a), *emails, *groups = sj_array(a);
	const char	*base = scim_base(r);
	int		 rc = 0;

	if (t == NULL || schemas == NULL || name == NULL || ent == NULL || groups == NULL)
		return NULL;
	rc |= put_text(a, name, "formatted", u->val[UF_FORMATTED_NAME]);
	rc |= put_text(a, name, "familyName", u->val[UF_LAST_NAME]);
	rc |= put_text(a, name, "givenName", u->val[UF_FIRST_NAME]);
	rc |= put_text(a, name, "middleName", u->val[UF_MIDDLE_NAME]);
	rc |= put_text(a, ent, "employeeNumber", u->val[UF_EMPLOYEE_NUMBER]);
	rc |= put_text(a, ent, "department", u->val[UF_DEPARTMENT]);
	if (u->val[UF_MANAGER] != NULL) {
		struct json *m = sj_object(a);

		rc |= m == NULL || put_text(a, m, "value", u->val[UF_MANAGER]) ||
		    put_text(a, m, "$ref", arena_printf(a, "%s/Users/%s", base, u->val[UF_MANAGER])) ||
		    sj_set(a, ent, "manager", m);
	}
	if ((emails = values_tree(a, u->val[UF_EMAILS])) == NULL &&
	    !user_email_placeholder(u->val[UF_EMAIL])) {
		struct json *e = sj_object(a);

		rc |= (emails = sj_array(a)) == NULL || e == NULL ||
		    put_text(a, e, "value", u->val[UF_EMAIL]) || put_text(a, e, "type", "work") ||
		    sj_set(a, e, "primary", sj_bool(a, true)) || sj_push(a, emails, e);
	}
	for (size_t i = 0; i < ng; i++) {
		struct json *x = sj_object(a);

		rc |= x == NULL || put_text(a, x, "value", g[i].uid) ||
		    put_text(a, x, "$ref", arena_printf(a, "%s/Groups/%s", base, g[i].uid)) ||
		    put_text(a, x, "display", g[i].name) || put_text(a, x, "type", "direct") ||
		    sj_push(a, groups, x);
	}
	rc |= sj_push(a, schemas, sj_str(a, URN_USER));
	if (ent->n > 0)
		rc |= sj_push(a, schemas, sj_str(a, URN_ENTERPRISE));
	rc |= sj_set(a, t, "schemas", schemas);
	rc |= sj_set(a, t, "id", sj_str(a, u->uid));
	rc |= put_text(a, t, "externalId", u->val[UF_EXTERNAL_ID]);
	rc |= sj_set(a, t, "userName", sj_str(a, u->val[UF_USERNAME]));
	if (name->n > 0)
		rc |= sj_set(a, t, "name", name);
	rc |= put_text(a, t, "displayName", u->val[UF_DISPLAY_NAME]);
	rc |= put_text(a, t, "title", u->val[UF_TITLE]);
	rc |= put_text(a, t, "preferredLanguage", u->val[UF_PREFERRED_LANGUAGE]);
	rc |= sj_set(a, t, "active", sj_bool(a, u->status != US_DISABLED));
	if (emails != NULL)
		rc |= sj_set(a, t, "emails", emails);
	rc |= sj_set(a, t, "phoneNumbers", values_tree(a, u->val[UF_PHONE_NUMBERS]));
	rc |= sj_set(a, t, "addresses", values_tree(a, u->val[UF_ADDRESSES]));
	if (groups->n > 0)
		rc |= sj_set(a, t, "groups", groups);
	if (ent->n > 0)
		rc |= sj_set(a, t, URN_ENTERPRISE, ent);
	rc |= sj_set(a, t, "meta", scim_meta(r, &scim_user_type, u->uid, u->created_at,
	    u->updated_at, u->version));
	return rc == 0 ? t : NULL;
}

/* --- a tree as the core's provisioning request ----------------------------------------- */

/* Adds an e-mail to the sign-in candidates once. */
static void
candidate(struct user_provision *pv, const char *v)
{
	if (v == NULL || pv->nemails >= USER_MAX_SIGNIN)
		return;
	for (size_t i = 0; i < pv->nemails; i++)
		if (strcasecmp(pv->emails[i], v) == 0)
			return;
	pv->emails[pv->nemails++] = v;
}

/*
 * What the directory says between trees old and new: each attribute that
 * differs (absent in new: cleared), active when it changes, and the sign-in
 * e-mail candidates — primary first, then work, then the others in order,
 * then a userName that is an address.
 */
static enum core_status
provision_of(struct request *r, const struct json *old, const struct json *new,
    struct user_provision *pv, struct core_err *e)
{
	const struct json	*emails = sj_get(new, "emails"), *ao, *an;
	enum core_status	 st;

	memset(pv, 0, sizeof(*pv));
	if (sj_text(new, "userName") == NULL)
		return core_fail(e, CORE_INVALID, "userName", "userName is required");
	for (size_t i = 0; i < NATTRS; i++) {
		const struct json *o = scim_tree_get(old, &scim_user_type, attrs[i].path);
		const struct json *n = scim_tree_get(new, &scim_user_type, attrs[i].path);

		if (sj_equal(o, n))
			continue;
		if (ufields[attrs[i].f].kind == UFK_VALUES && n == NULL)
			st = user_patch_set_values(r->arena, &pv->p, attrs[i].f, NULL, 0, e);
		else if (ufields[attrs[i].f].kind == UFK_VALUES)
			st = api_user_values(r->arena, &pv->p, attrs[i].f, n, e);
		else
			st = user_patch_set(r->arena, &pv->p, attrs[i].f,
			    n != NULL && n->type == JSON_STRING ? n->str : "", e);
		if (st != CORE_OK)
			return st;
	}
	ao = sj_get(old, "active");
	an = sj_get(new, "active");
	if (an != NULL && an->type == JSON_BOOL && !sj_equal(ao, an))
		pv->activity = an->boolean ? UACT_ENABLE : UACT_DISABLE;
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; emails != NULL && i < emails->n; i++) {
			const struct json	*p = sj_get(emails->items[i], "primary");
			const char		*type = sj_text(emails->items[i], "type");
			bool			 primary = p != NULL && p->type == JSON_BOOL && p->boolean;
			bool			 work = type != NULL && strcasecmp(type, "work") == 0;

			if ((pass == 0 && primary) || (pass == 1 && work) || pass == 2)
				candidate(pv, sj_text(emails->items[i], "value"));
		}
	candidate(pv, sj_text(new, "userName"));
	return CORE_OK;
}

/* --- handlers ------------------------------------------------------------------------ */


/* The tree of u with its groups (those of all[] that are u's). */
static struct json *
tree_with_groups(struct request *r, const struct user *u, const struct user_group *all, size_t n)
{
	size_t first = 0, k = 0;

	while (first < n && all[first].user_id != u->id)
		first++;
	while (first + k < n && all[first + k].user_id == u->id)
		k++;
	return user_tree(r, u, all + first, k);
}

/* Answers one user with its groups (read only when the response shows them). */
static void
reply_user(struct request *r, int status, const struct user *u, const char *attributes,
    const char *excluded)
{
	struct user_group	*g = NULL;
	size_t			 ng = 0;
	struct core_ctx		 c;
	struct core_err		 e;

	api_ctx(r, &c);
	if (scim_wants(attributes, excluded, "groups") &&
	    groups_of_users(&c, &u->id, 1, &g, &ng, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	scim_reply(r, status, &scim_user_type, user_tree(r, u, g, ng), u->version, attributes,
	    excluded);
}

static void
user_list(struct request *r, bool search)
{
	struct scim_query	 q;
	struct user_query	 uq;
	struct user_page	 page;
	struct user_group	*g;
	struct json		**trees;
	struct fnode		*filter;
	struct core_ctx		 c;
	struct core_err		 e;
	size_t			 ng;

	memset(&uq, 0, sizeof(uq));
	if (scim_list_read(r, search, &listing, &q, &filter, &uq.sort) != 0)
		return;
	uq.filter = filter;
	/* count=0 asks for the total alone; the core pages at least one. */
	uq.limit = q.count > 0 ? (int)q.count : 1;
	uq.offset = (int)(q.start - 1);
	uq.count = true;
	uq.groups = scim_wants(q.attributes, q.excluded, "groups");
	api_ctx(r, &c);
	if (users_list(&c, &uq, &page, &e) != CORE_OK) {
		scim_list_fail(r, &listing, &e);
		return;
	}
	if (q.count == 0)
		page.n = 0;
	g = page.groups;
	ng = page.ngroups;
	if ((trees = arena_alloc(r->arena, (page.n ? page.n : 1) * sizeof(*trees))) == NULL) {
		scim_error(r, 500, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < page.n; i++)
		trees[i] = tree_with_groups(r, &page.users[i], g, ng);
	scim_reply_list(r, &scim_user_type, trees, page.n, page.total, q.start, q.attributes,
	    q.excluded);
}

static void h_list(struct request *r) { user_list(r, false); }
static void h_search(struct request *r) { user_list(r, true); }

static void
h_create(struct request *r)
{
	struct user_provision	 pv;
	struct json		*tree, *none = sj_object(r->arena);
	struct scim_err		 se;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u;
	const char		*attributes, *excluded;

	if (scim_projection_read(r, &attributes, &excluded) != 0)
		return;
	if (scim_schemas_check(r->json, URN_USER, &se) != 0 ||
	    scim_canon(r->arena, &scim_user_type, r->json, &tree, &se) != 0) {
		scim_fail(r, &se);
		return;
	}
	if (provision_of(r, none, tree, &pv, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	api_ctx(r, &c);
	if (users_provision_create(&c, &pv, &u, &e) != CORE_OK)
		api_fail(r, &e);
	else
		reply_user(r, 201, &u, attributes, excluded);
}

/* The user the path names (another org's is not found, as a missing one). */
static int
path_user(struct request *r, struct user *u)
{
	struct user_ref ref = { UKEY_UID, req_path_param(r, "id") };

	return api_user_get(r, &ref, u);
}

static void
h_get(struct request *r)
{
	struct user	 u;
	const char	*attributes, *excluded;

	if (scim_projection_read(r, &attributes, &excluded) != 0 || path_user(r, &u) != 0)
		return;
	if (!scim_not_modified(r, u.version))
		reply_user(r, 200, &u, attributes, excluded);
}

/*
 * PUT and PATCH: the new tree from the current one, then one core call
 * with the version it was read at. Without If-Match a concurrent change
 * between the two makes it read and try again (a few times).
 */
static void
user_write(struct request *r, bool patch)
{
	struct user_ref		 ref = { UKEY_UID, req_path_param(r, "id") };
	struct user_provision	 pv;
	struct json		*old, *new;
	struct scim_err		 se;
	struct core_ctx		 c;
	struct core_err		 e;
	struct user		 u, out;
	const char		*attributes, *excluded;
	int			 version;

	if (api_if_match(r, &version) != 0 || scim_projection_read(r, &attributes, &excluded) != 0)
		return;
	if (!patch && (scim_schemas_check(r->json, URN_USER, &se) != 0 ||
	    scim_canon(r->arena, &scim_user_type, r->json, &new, &se) != 0)) {
		scim_fail(r, &se);
		return;
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		if (path_user(r, &u) != 0)
			return;
		if (patch) {
			/* Two trees of the same user: one to change, one to compare with. */
			if ((new = user_tree(r, &u, NULL, 0)) == NULL) {
				scim_error(r, 500, NULL, "out of memory");
				return;
			}
			if (scim_patch(r->arena, &scim_user_type, new, r->json, &se) != 0) {
				scim_fail(r, &se);
				return;
			}
		}
		old = user_tree(r, &u, NULL, 0);
		if (provision_of(r, old, new, &pv, &e) != CORE_OK) {
			api_fail(r, &e);
			return;
		}
		api_ctx(r, &c);
		if (users_provision_update(&c, &ref, &pv, version == CORE_ANY_VERSION ? u.version :
		    version, &out, &e) == CORE_OK) {
			reply_user(r, 200, &out, attributes, excluded);
			return;
		}
		if (e.status != CORE_PRECONDITION || version != CORE_ANY_VERSION)
			break;
	}
	api_fail(r, &e);
}

static void h_put(struct request *r) { user_write(r, false); }
static void h_patch(struct request *r) { user_write(r, true); }

static void h_delete(struct request *r) { api_user_remove(r, "id"); }

#define A	LEVEL_ADMIN
#define ANY	ROUTE_ANY_SHAPE
static const struct route routes[] = {
	{ "GET",    "/scim/v2/Users",		h_list,	  &dialect_scim, A, 0, NULL, false },
	{ "GET",    "/scim/v2/Users/",		h_list,	  &dialect_scim, A, 0, NULL, false },
	{ "POST",   "/scim/v2/Users",		h_create, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Users/",		h_create, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Users/.search",	h_search, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Users/.search/",	h_search, &dialect_scim, A, 0, ANY, false },
	{ "GET",    "/scim/v2/Users/{id}",	h_get,	  &dialect_scim, A, 0, NULL, false },
	{ "GET",    "/scim/v2/Users/{id}/",	h_get,	  &dialect_scim, A, 0, NULL, false },
	{ "PUT",    "/scim/v2/Users/{id}",	h_put,	  &dialect_scim, A, 0, ANY, false },
	{ "PUT",    "/scim/v2/Users/{id}/",	h_put,	  &dialect_scim, A, 0, ANY, false },
	{ "PATCH",  "/scim/v2/Users/{id}",	h_patch,  &dialect_scim, A, 0, ANY, false },
	{ "PATCH",  "/scim/v2/Users/{id}/",	h_patch,  &dialect_scim, A, 0, ANY, false },
	{ "DELETE", "/scim/v2/Users/{id}",	h_delete, &dialect_scim, A, 0, NULL, false },
	{ "DELETE", "/scim/v2/Users/{id}/",	h_delete, &dialect_scim, A, 0, NULL, false },
};
#undef ANY
#undef A
const struct route_list scim_user_routes = ROUTE_LIST(routes);
