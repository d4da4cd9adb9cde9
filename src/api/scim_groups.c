/*
 * scim_groups.c: /scim/v2/Groups — the core's groups (the same ones every
 * dialect sees) as SCIM Group resources, id their uid. A group's members can
 * be many, so PUT and PATCH become the core's group changes (name, external
 * id, members added, removed or set) rather than edits of a whole tree; one
 * core call each. PATCH answers 200 with the resource, as for users.
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

#include "scim.h"

static const struct scim_fmap fmap[] = {
	{ "id", "uid" }, { "displayName", "name" }, { "externalId", "external_id" },
	{ "meta.created", "created_at" }, { "meta.lastModified", "updated_at" },
	{ "members", "members" }, { "members.value", "members.value" },
	{ "members.display", "members.display" },
};

static const struct scim_fmap sorts[] = {
	{ "displayName", "name" }, { "meta.created", "created_at" },
};

static const struct scim_listing listing = { &scim_group_type, fmap, sizeof(fmap) / sizeof(fmap[0]),
	sorts, sizeof(sorts) / sizeof(sorts[0]), "displayName or meta.created" };

/* --- a group as a tree ----------------------------------------------------------------- */

/* The tree of group g with its members (NULL: not shown). */
static struct json *
group_tree(struct request *r, const struct group *g, const struct group_entry *m, size_t nm,
    bool members)
{
	struct arena	*a = r->arena;
	struct json	*t = sj_object(a), *schemas = sj_array(a), *list = sj_array(a);
	const char	*base = scim_base(r);
	int		 rc = 0;

	if (t == NULL || schemas == NULL || list == NULL)
		return NULL;
	for (size_t i = 0; i < nm; i++) {
		struct json *x = sj_object(a);

		rc |= x == NULL || sj_set(a, x, "value", sj_str(a, m[i].uid)) ||
		    sj_set(a, x, "$ref", sj_str(a, arena_printf(a, "%s/Users/%s", base, m[i].uid))) ||
		    sj_set(a, x, "display", sj_str(a, m[i].display)) ||
		    sj_set(a, x, "type", sj_str(a, "User")) || sj_push(a, list, x);
	}
	rc |= sj_push(a, schemas, sj_str(a, URN_GROUP));
	rc |= sj_set(a, t, "schemas", schemas);
	rc |= sj_set(a, t, "id", sj_str(a, g->uid));
	if (g->external_id != NULL && *g->external_id != '\0')
		rc |= sj_set(a, t, "externalId", sj_str(a, g->external_id));
	rc |= sj_set(a, t, "displayName", sj_str(a, g->name));
	if (members && list->n > 0)
		rc |= sj_set(a, t, "members", list);
	rc |= sj_set(a, t, "meta", scim_meta(r, &scim_group_type, g->uid, g->created_at,
	    g->updated_at, (int)g->version));
	return rc == 0 ? t : NULL;
}

/* Answers one group, its members read when the response shows them. */
static void
reply_group(struct request *r, int status, const struct group *g, const char *attributes,
    const char *excluded)
{
	struct group_entry	*m = NULL;
	size_t			 nm = 0;
	bool			 want = scim_wants(attributes, excluded, "members");
	struct core_ctx		 c;
	struct core_err		 e;

	api_ctx(r, &c);
	if (want && g->members > 0 && groups_entries(&c, g->uid, &m, &nm, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	scim_reply(r, status, &scim_group_type, group_tree(r, g, m, nm, want), (int)g->version,
	    attributes, excluded);
}

/* --- requests as group changes ------------------------------------------------------------ */

/*
 * The uids of a members value: a list of {"value": uid, …} (other
 * sub-attributes ignored), a lone one, or bare uids as Entra sends them.
 */
static int
member_uids(struct arena *a, const struct json *v, const char *const **out, size_t *n,
    struct scim_err *e)
{
	const char	**uids;
	size_t		  k = v && v->type == JSON_ARRAY ? v->n : 1;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	if ((uids = arena_alloc(a, k * sizeof(*uids))) == NULL)
		return scim_oom(e);
	for (size_t i = 0; i < k; i++) {
		const struct json *m = v->type == JSON_ARRAY ? v->items[i] : v;

		uids[i] = m->type == JSON_STRING ? m->str : sj_text(m, "value");
		if (uids[i] == NULL || strlen(uids[i]) != (m->type == JSON_STRING ? m->len :
		    sj_get(m, "value")->len))
			return scim_errset(e, 400, "invalidValue", "members[%zu].value is required", i);
	}
	*out = uids;
	*n = k;
	return 0;
}

/* The uids a member filter names: value eq "…", or several joined by or. */
static int
filter_uids(struct arena *a, const struct fnode *f, const char ***uids, size_t *n, size_t *cap,
    struct scim_err *e)
{
	if (f->kind == FN_OR)
		return filter_uids(a, f->a, uids, n, cap, e) == 0 ?
		    filter_uids(a, f->b, uids, n, cap, e) : -1;
	if (f->kind != FN_CMP || f->op != FOP_EQ || strcasecmp(f->field, "value") != 0)
		return scim_errset(e, 400, "invalidFilter",
		    "members are named by value: members[value eq \"…\"], joined by or");
	if (*n == *cap) {
		const char **more = arena_alloc(a, (*cap * 2 + 4) * sizeof(*more));

		if (more == NULL)
			return scim_errset(e, 500, NULL, "out of memory");
		if (*n > 0)
			memcpy(more, *uids, *n * sizeof(*more));
		*uids = more;
		*cap = *cap * 2 + 4;
	}
	(*uids)[(*n)++] = f->value;
	return 0;
}

/* The text of a string attribute's value, "" when null. */
static int
text_value(struct arena *a, const char *name, const struct json *v, const char **out,
    struct scim_err *e)
{
	const struct scim_attr	*at = scim_attr_find(scim_group_schema.attrs, scim_group_schema.n,
				    name);
	struct json		*cv;

	if (at == NULL)
		at = scim_attr_find(scim_common, scim_ncommon, name);
	if (v == NULL)
		return scim_errset(e, 400, "invalidValue", "%s needs a value", name);
	if (scim_canon_attr(a, at, v, &cv, e) != 0)
		return -1;
	*out = cv != NULL ? cv->str : "";
	return 0;
}

/* The group changes a PATCH makes, as scim_patch_each finds its operations. */
struct changes {
	struct arena		*a;
	const char		*uid;		/* the group's */
	struct group_change	*ch;
	size_t			 n, cap;
};

/* The members attribute, plain or with a value filter, as a change. */
static int
members_change(struct changes *x, enum scim_op op, const struct fpath *fp, const struct json *v,
    struct group_change *c, struct scim_err *e)
{
	const char	**uids = NULL;
	size_t		  cap = 0;

	if (fp->sub != NULL)
		return scim_errset(e, 400, "invalidPath",
		    "members change by value: members or members[value eq \"…\"]");
	if (fp->filter == NULL) {
		/* remove with a value (Entra): those members; without: all of them. */
		c->kind = op == SOP_ADD ? GCH_ADD : op == SOP_REPLACE ? GCH_SET :
		    v != NULL ? GCH_REMOVE : GCH_SET;
		return member_uids(x->a, v, &c->uids, &c->n, e);
	}
	if (op != SOP_REMOVE)
		return scim_errset(e, 400, "invalidPath",
		    "a filter selects members to remove; add and replace take members");
	if (filter_uids(x->a, fp->filter, &uids, &c->n, &cap, e) != 0)
		return -1;
	c->kind = GCH_REMOVE;
	c->uids = uids;
	c->strict = true;
	return 0;
}

/* One operation on one path as a group change. */
static int
group_op(void *ctx, enum scim_op op, const char *path, const struct json *v, bool lenient,
    struct scim_err *e)
{
	struct changes		*x = ctx;
	struct group_change	*c;
	struct fpath		 fp;
	struct core_err		 ce;
	const struct scim_attr	*at;
	bool			 ext;

	if (filter_scim_path(x->a, path, &fp, &ce) != 0)
		return scim_errset(e, 400, strchr(path, '[') ? "invalidFilter" : "invalidPath",
		    "path %.60s: %s", path, ce.msg);
	(void)lenient;	/* a path into a group attribute is checked alike with or without one */
	/* An attribute a group does not keep is skipped, with a path or without (resolve). */
	if ((at = scim_attr_of(&scim_group_type, fp.uri, fp.attr, &ext)) == NULL)
		return 0;
	if (x->n == x->cap) {
		struct group_change *more = arena_alloc(x->a, (x->cap * 2 + 4) * sizeof(*more));

		if (more == NULL)
			return scim_oom(e);
		if (x->n > 0)
			memcpy(more, x->ch, x->n * sizeof(*more));
		x->ch = more;
		x->cap = x->cap * 2 + 4;
	}
	c = &x->ch[x->n];
	memset(c, 0, sizeof(*c));
	if (strcmp(at->name, "members") == 0) {
		if (members_change(x, op, &fp, v, c, e) != 0)
			return -1;
		x->n++;
		return 0;
	}
	if (fp.sub != NULL || fp.filter != NULL)
		return scim_errset(e, 400, "invalidPath", "%s has no sub-attributes", at->name);
	if (at->mut == SM_READONLY) {
		/* Okta sends the id back in a replace: "changing" it to itself is no change. */
		if (op != SOP_REMOVE && strcmp(at->name, "id") == 0 && v != NULL &&
		    v->type == JSON_STRING && strcasecmp(v->str, x->uid) == 0)
			return 0;
		return scim_errset(e, 400, "mutability", "%s is read-only", at->name);
	}
	if (strcmp(at->name, "displayName") == 0) {
		if (op == SOP_REMOVE)
			return scim_errset(e, 400, "invalidValue", "displayName is required");
		c->kind = GCH_NAME;
	} else
		c->kind = GCH_EXTERNAL_ID;
	if (op == SOP_REMOVE)
		c->value = "";
	else if (text_value(x->a, at->name, v, &c->value, e) != 0)
		return -1;
	x->n++;
	return 0;
}

/* --- handlers ------------------------------------------------------------------------- */

static void
group_list(struct request *r, bool search)
{
	struct scim_query	 q;
	struct group_query	 gq;
	struct group_page	 page;
	struct group_entry	*m = NULL;
	int64_t			*owner = NULL, *ids;
	struct json		**trees;
	struct fnode		*filter;
	struct core_ctx		 c;
	struct core_err		 e;
	size_t			 nm = 0, at = 0;
	bool			 want;

	memset(&gq, 0, sizeof(gq));
	if (scim_list_read(r, search, &listing, &q, &filter, &gq.sort) != 0)
		return;
	gq.filter = filter;
	gq.limit = q.count > 0 ? (int)q.count : 1;
	gq.offset = (int)(q.start - 1);
	api_ctx(r, &c);
	if (groups_find(&c, &gq, &page, &e) != CORE_OK) {
		scim_list_fail(r, &listing, &e);
		return;
	}
	if (q.count == 0)
		page.n = 0;
	want = scim_wants(q.attributes, q.excluded, "members");
	trees = arena_alloc(r->arena, (page.n ? page.n : 1) * sizeof(*trees));
	ids = arena_alloc(r->arena, (page.n ? page.n : 1) * sizeof(*ids));
	if (trees == NULL || ids == NULL) {
		scim_error(r, 500, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < page.n; i++)
		ids[i] = page.groups[i].id;
	if (want && page.n > 0 &&
	    groups_entries_of(&c, ids, page.n, &m, &owner, &nm, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	/* Entries come by group id: each group's are a run of them. */
	for (size_t i = 0; i < page.n; i++) {
		size_t first;

		for (at = 0; at < nm && owner[at] != ids[i]; at++)
			;
		for (first = at; at < nm && owner[at] == ids[i]; at++)
			;
		trees[i] = group_tree(r, &page.groups[i], m + first, at - first, want);
	}
	scim_reply_list(r, &scim_group_type, trees, page.n, page.total, q.start, q.attributes,
	    q.excluded);
}

static void h_list(struct request *r) { group_list(r, false); }
static void h_search(struct request *r) { group_list(r, true); }

static void
h_create(struct request *r)
{
	struct json		*tree;
	struct scim_err		 se;
	struct core_ctx		 c;
	struct core_err		 e;
	struct group		 g;
	const char		*attributes, *excluded, *name, *const *uids;
	size_t			 n;

	if (scim_projection_read(r, &attributes, &excluded) != 0)
		return;
	if (scim_schemas_check(r->json, URN_GROUP, &se) != 0 ||
	    scim_canon(r->arena, &scim_group_type, r->json, &tree, &se) != 0 ||
	    member_uids(r->arena, sj_get(r->json, "members"), &uids, &n, &se) != 0) {
		scim_fail(r, &se);
		return;
	}
	if ((name = sj_text(tree, "displayName")) == NULL) {
		scim_error(r, 400, "invalidValue", "displayName is required");
		return;
	}
	api_ctx(r, &c);
	if (groups_provision_create(&c, name, sj_text(tree, "externalId"), uids, n, &g, &e) != CORE_OK)
		api_fail(r, &e);
	else
		reply_group(r, 201, &g, attributes, excluded);
}

static void
h_get(struct request *r)
{
	struct core_ctx	 c;
	struct core_err	 e;
	struct group	 g;
	const char	*attributes, *excluded;

	if (scim_projection_read(r, &attributes, &excluded) != 0)
		return;
	api_ctx(r, &c);
	if (groups_get_uid(&c, req_path_param(r, "id"), &g, &e) != CORE_OK)
		api_fail(r, &e);
	else if (!scim_not_modified(r, (int)g.version))
		reply_group(r, 200, &g, attributes, excluded);
}

/* PUT and PATCH: group changes, then the group as it is after them. */
static void
group_write(struct request *r, bool patch)
{
	const char		*uid = req_path_param(r, "id"), *attributes, *excluded;
	struct group_change	*ch = NULL, put[3];
	struct json		*tree;
	struct scim_err		 se;
	struct core_ctx		 c;
	struct core_err		 e;
	struct group		 g;
	size_t			 n;
	int			 version;

	if (api_if_match(r, &version) != 0 || scim_projection_read(r, &attributes, &excluded) != 0)
		return;
	if (patch) {
		struct changes x = { r->arena, uid, NULL, 0, 0 };

		if (scim_patch_each(r->json, group_op, &x, &se) != 0) {
			scim_fail(r, &se);
			return;
		}
		ch = x.ch;
		n = x.n;
	} else {
		/* A whole group: its name, its external id (none when absent), exactly its members. */
		memset(put, 0, sizeof(put));
		if (scim_schemas_check(r->json, URN_GROUP, &se) != 0 ||
		    scim_canon(r->arena, &scim_group_type, r->json, &tree, &se) != 0 ||
		    member_uids(r->arena, sj_get(r->json, "members"), &put[2].uids, &put[2].n,
		    &se) != 0) {
			scim_fail(r, &se);
			return;
		}
		if ((put[0].value = sj_text(tree, "displayName")) == NULL) {
			scim_error(r, 400, "invalidValue", "displayName is required");
			return;
		}
		put[0].kind = GCH_NAME;
		put[1].kind = GCH_EXTERNAL_ID;
		put[1].value = sj_text(tree, "externalId") ? sj_text(tree, "externalId") : "";
		put[2].kind = GCH_SET;
		ch = put;
		n = 3;
	}
	api_ctx(r, &c);
	if (groups_provision_change(&c, uid, ch, n, version, &g, &e) != CORE_OK)
		api_fail(r, &e);
	else
		reply_group(r, 200, &g, attributes, excluded);
}

static void h_put(struct request *r) { group_write(r, false); }
static void h_patch(struct request *r) { group_write(r, true); }

static void h_delete(struct request *r) { api_delete(r, "id", groups_delete_uid); }

#define A	LEVEL_ADMIN
#define ANY	ROUTE_ANY_SHAPE
static const struct route routes[] = {
	{ "GET",    "/scim/v2/Groups",		h_list,	  &dialect_scim, A, 0, NULL, false },
	{ "GET",    "/scim/v2/Groups/",		h_list,	  &dialect_scim, A, 0, NULL, false },
	{ "POST",   "/scim/v2/Groups",		h_create, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Groups/",		h_create, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Groups/.search",	h_search, &dialect_scim, A, 0, ANY, false },
	{ "POST",   "/scim/v2/Groups/.search/",	h_search, &dialect_scim, A, 0, ANY, false },
	{ "GET",    "/scim/v2/Groups/{id}",	h_get,	  &dialect_scim, A, 0, NULL, false },
	{ "GET",    "/scim/v2/Groups/{id}/",	h_get,	  &dialect_scim, A, 0, NULL, false },
	{ "PUT",    "/scim/v2/Groups/{id}",	h_put,	  &dialect_scim, A, 0, ANY, false },
	{ "PUT",    "/scim/v2/Groups/{id}/",	h_put,	  &dialect_scim, A, 0, ANY, false },
	{ "PATCH",  "/scim/v2/Groups/{id}",	h_patch,  &dialect_scim, A, 0, ANY, false },
	{ "PATCH",  "/scim/v2/Groups/{id}/",	h_patch,  &dialect_scim, A, 0, ANY, false },
	{ "DELETE", "/scim/v2/Groups/{id}",	h_delete, &dialect_scim, A, 0, NULL, false },
	{ "DELETE", "/scim/v2/Groups/{id}/",	h_delete, &dialect_scim, A, 0, NULL, false },
};
#undef ANY
#undef A
const struct route_list scim_group_routes = ROUTE_LIST(routes);
