/*
 * scim.c: the SCIM 2.0 surface (/scim/v2): its dialect — Authorization:
 * Bearer <admin key>, errors in the SCIM error schema (RFC 7644 §3.12) —
 * the discovery endpoints (§4), list parameters and filters. Users and
 * groups are in scim_users.c and scim_groups.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/etag.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"

#include "scim.h"

/* --- errors ----------------------------------------------------------------------- */

static void schemas_one(struct jsonw *, const char *);

void
scim_error(struct request *r, int status, const char *type, const char *detail)
{
	struct jsonw	w;
	char		code[8];

	resp_start(r, status, SCIM_CT);
	jsonw_init(&w, r->out);
	jsonw_obj_open(&w);
	schemas_one(&w, URN_ERROR);
	snprintf(code, sizeof(code), "%d", status);
	jsonw_kstr(&w, "status", code);
	if (type != NULL)
		jsonw_kstr(&w, "scimType", type);
	if (detail != NULL)
		jsonw_kstr(&w, "detail", detail);
	jsonw_obj_close(&w);
	if (status == 401)
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"gatehouse\"");
	if (status == 503)
		resp_header(r, "Retry-After", "1");
}

void
scim_errorf(struct request *r, int status, const char *type, const char *fmt, ...)
{
	char	detail[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	scim_error(r, status, type, detail);
}

void
scim_fail(struct request *r, const struct scim_err *e)
{
	scim_error(r, e->status, e->type, e->detail);
}

/* Transport failures by HTTP status: a body that does not parse is invalidSyntax. */
static void
scim_transport(struct request *r, int status, const char *field, const char *detail)
{
	(void)field;
	scim_error(r, status, status == 400 ? "invalidSyntax" : NULL, detail);
}

/* Core field names as SCIM spells the attributes, for messages. */
static const struct { const char *core, *scim; } names[] = {
	{ "username", "userName" }, { "email", "emails" }, { "first_name", "name.givenName" },
	{ "last_name", "name.familyName" }, { "middle_name", "name.middleName" },
	{ "formatted_name", "name.formatted" }, { "display_name", "displayName" },
	{ "preferred_language", "preferredLanguage" }, { "external_id", "externalId" },
	{ "employee_number", "employeeNumber" }, { "manager", "manager" },
	{ "phone_numbers", "phoneNumbers" }, { "name", "displayName" }, { "key", "displayName" },
};

/*
 * Core failures by status. A taken name is 409 uniqueness; a filter,
 * path or version the core refused keeps its own scimType; a value is
 * invalidValue; too many is tooMany. The message names the SCIM attribute.
 */
static void
scim_core_fail(struct request *r, const struct core_err *e)
{
	const char	*type = NULL, *msg = e->msg;
	int		 status = api_http_status(e->status);
	char		 buf[sizeof(e->msg) + 32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i].core);

		if (strcmp(e->field, names[i].core) == 0 && strncmp(msg, names[i].core, n) == 0 &&
		    (msg[n] == ' ' || msg[n] == ':')) {
			snprintf(buf, sizeof(buf), "%s%s", names[i].scim, msg + n);
			msg = buf;
			break;
		}
	}
	switch (e->status) {
	case CORE_INVALID:
		type = strcmp(e->field, "filter") == 0 ? "invalidFilter" :
		    strcmp(e->field, "path") == 0 ? "invalidPath" :
		    strcmp(e->field, "If-Match") == 0 ? "invalidVers" : "invalidValue";
		break;
	case CORE_CONFLICT:
		if (e->field[0] != '\0')
			type = "uniqueness";
		break;
	case CORE_TOO_LARGE:
		status = 400;
		type = "tooMany";
		break;
	case CORE_NOT_FOUND:
		/* A member a filtered removal named is no member: the path had no target. */
		if (strcmp(e->field, "members") == 0) {
			status = 400;
			type = "noTarget";
		}
		break;
	default:
		break;
	}
	scim_error(r, status, type, msg);
}

/* Authorization: Bearer <key>, as the native API reads it. */
static int
scim_guard(struct request *r)
{
	return api_guard_bearer(r);
}

const struct dialect dialect_scim = {
	.name = "scim",
	.prefix = SCIM_PREFIX,
	.guard = scim_guard,
	.error = scim_transport,
	.fail = scim_core_fail,
};

/* --- responses -------------------------------------------------------------------- */

const char *
scim_base(struct request *r)
{
	const char	*host = req_env(r, "HTTP_HOST"), *scheme = req_env(r, "REQUEST_SCHEME");
	const char	*https = req_env(r, "HTTPS"), *port = req_env(r, "SERVER_PORT");
	const char	*origin = api_public_origin();
	size_t		 n = host ? strlen(host) : 0;

	/* The configured public_url: a Host header is the client's to choose. */
	if (origin != NULL)
		return arena_printf(r->arena, "%s%s", origin, SCIM_PREFIX);
	/* Without one, the host as the client sent it, when it is only a host (and port). */
	if (n == 0 || n > 255 || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != n)
		return SCIM_PREFIX;
	if (scheme == NULL || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		scheme = https != NULL && strcasecmp(https, "on") == 0 ? "https" : "http";
	/* nginx passes $host, without the port: the server's, unless it is the scheme's own. */
	if (port != NULL && strchr(host, ':') == NULL && strspn(port, "0123456789") == strlen(port) &&
	    *port != '\0' && strlen(port) <= 5 &&
	    strcmp(port, strcmp(scheme, "https") == 0 ? "443" : "80") != 0)
		return arena_printf(r->arena, "%s://%s:%s%s", scheme, host, port, SCIM_PREFIX);
	return arena_printf(r->arena, "%s://%s%s", scheme, host, SCIM_PREFIX);
}

void
scim_begin(struct request *r, int status, struct jsonw *w)
{
	resp_start(r, status, SCIM_CT);
	jsonw_init(w, r->out);
}

const char *
scim_etag(struct request *r, int version)
{
	const char *tag = arena_printf(r->arena, "W/\"%d\"", version);

	if (tag != NULL)
		resp_header(r, "ETag", tag);
	return tag;
}

bool
scim_not_modified(struct request *r, int version)
{
	if (!etag_list_has(req_header(r, "If-None-Match"), version))
		return false;
	resp_start(r, 304, SCIM_CT);
	scim_etag(r, version);
	return true;
}

static void
schemas_one(struct jsonw *w, const char *urn)
{
	jsonw_key(w, "schemas");
	jsonw_arr_open(w);
	jsonw_str(w, urn);
	jsonw_arr_close(w);
}

/* A ListResponse (RFC 7644 §3.4.2) up to its Resources; list_close ends it. */
static void
list_open(struct jsonw *w, int64_t total, size_t n, long start)
{
	jsonw_obj_open(w);
	schemas_one(w, URN_LIST);
	jsonw_kint(w, "totalResults", total);
	jsonw_kint(w, "itemsPerPage", (int64_t)n);
	jsonw_kint(w, "startIndex", start);
	jsonw_key(w, "Resources");
	jsonw_arr_open(w);
}

static void
list_close(struct jsonw *w)
{
	jsonw_arr_close(w);
	jsonw_obj_close(w);
}

struct json *
scim_meta(struct request *r, const struct scim_rtype *t, const char *id, const char *created,
    const char *modified, int version)
{
	struct json *m = sj_object(r->arena);

	if (m == NULL || sj_set(r->arena, m, "resourceType", sj_str(r->arena, t->name)) != 0 ||
	    sj_set(r->arena, m, "created", sj_str(r->arena, created)) != 0 ||
	    sj_set(r->arena, m, "lastModified", sj_str(r->arena, modified)) != 0 ||
	    sj_set(r->arena, m, "location", sj_str(r->arena, arena_printf(r->arena, "%s%s/%s",
	    scim_base(r), t->endpoint, id))) != 0 ||
	    sj_set(r->arena, m, "version", sj_str(r->arena, arena_printf(r->arena, "W/\"%d\"",
	    version))) != 0)
		return NULL;
	return m;
}

void
scim_reply(struct request *r, int status, const struct scim_rtype *t, const struct json *tree,
    int version, const char *attributes, const char *excluded)
{
	struct json	*out;
	struct jsonw	 w;
	struct scim_err	 e;

	if (tree == NULL) {
		scim_error(r, 500, NULL, "out of memory");
		return;
	}
	if (scim_project(r->arena, t, tree, attributes, excluded, &out, &e) != 0) {
		scim_fail(r, &e);
		return;
	}
	scim_begin(r, status, &w);
	sj_write(&w, out);
	scim_etag(r, version);
	if (status == 201 && sj_text(sj_get(tree, "meta"), "location") != NULL)
		resp_header(r, "Location", sj_text(sj_get(tree, "meta"), "location"));
}

void
scim_reply_list(struct request *r, const struct scim_rtype *t, struct json *const *trees, size_t n,
    int64_t total, long start, const char *attributes, const char *excluded)
{
	struct json	**out = arena_alloc(r->arena, (n ? n : 1) * sizeof(*out));
	struct jsonw	  w;
	struct scim_err	  e;

	if (out == NULL) {
		scim_error(r, 500, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (trees[i] == NULL ||
		    scim_project(r->arena, t, trees[i], attributes, excluded, &out[i], &e) != 0) {
			if (trees[i] == NULL)
				scim_errset(&e, 500, NULL, "out of memory");
			scim_fail(r, &e);
			return;
		}
	scim_begin(r, 200, &w);
	list_open(&w, total, n, start);
	for (size_t i = 0; i < n; i++)
		sj_write(&w, out[i]);
	list_close(&w);
}

/* --- list parameters ---------------------------------------------------------------- */

#define WHOLE_MAX	1000000000L

/* A whole number from text: -1 when it is not one. */
static int
whole(const char *v, long *out)
{
	long	n = 0;
	bool	neg = *v == '-';

	if (neg)
		v++;
	if (*v == '\0' || strspn(v, "0123456789") != strlen(v))
		return -1;
	/* Any size is a number (RFC 7644 §3.4.2.4): past a billion it is a billion. */
	for (; *v && n < WHOLE_MAX; v++)
		n = n * 10 + (*v - '0');
	if (*v != '\0' || n > WHOLE_MAX)
		n = WHOLE_MAX;
	*out = neg ? -n : n;
	return 0;
}

/*
 * startIndex below 1 is 1 and count below 0 is 0 (RFC 7644 §3.4.2.4);
 * count above the most a page holds is that most.
 */
static int
page_params(struct request *r, const char *start, const char *count, struct scim_query *q)
{
	if (start != NULL && whole(start, &q->start) != 0) {
		scim_error(r, 400, "invalidValue", "startIndex must be a whole number");
		return -1;
	}
	if (count != NULL && whole(count, &q->count) != 0) {
		scim_error(r, 400, "invalidValue", "count must be a whole number");
		return -1;
	}
	if (q->start < 1)
		q->start = 1;
	if (q->count < 0)
		q->count = 0;
	if (q->count > SCIM_MAX_RESULTS)
		q->count = SCIM_MAX_RESULTS;
	return 0;
}

/* The text of a SearchRequest member: a string, a number's text, or a list of strings joined. */
static int
search_member(struct request *r, const char *name, const char **out)
{
	const struct json	*v = sj_get(r->json, name);
	struct buf		 b;

	*out = NULL;
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	if ((v->type == JSON_STRING || v->type == JSON_NUMBER) && strlen(v->str) == v->len) {
		*out = v->str;
		return 0;
	}
	if (v->type != JSON_ARRAY) {
		scim_errorf(r, 400, "invalidValue", "%s must be %s", name,
		    strcmp(name, "count") == 0 || strcmp(name, "startIndex") == 0 ?
		    "a whole number" : "a string");
		return -1;
	}
	buf_init(&b);
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i]->type != JSON_STRING || strlen(v->items[i]->str) != v->items[i]->len) {
			buf_free(&b);
			scim_errorf(r, 400, "invalidValue", "%s must be a list of strings", name);
			return -1;
		}
		buf_printf(&b, "%s%s", i ? "," : "", v->items[i]->str);
	}
	*out = b.failed ? NULL : arena_strndup(r->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return 0;
}

/*
 * A parameter of the query string given at most once. The request's
 * parameter view also holds a JSON body's members, and a User may carry an
 * attribute of any name: these are read from the query string alone.
 */
static int
one_param(struct request *r, const char *name, const char **out)
{
	static const struct parse_limits lim = { 256, 65536, 1, 64 };
	struct params		 q;
	struct parse_error	 pe;

	*out = NULL;
	memset(&q, 0, sizeof(q));
	if (form_parse(r->arena, &q, &lim, r->query, strlen(r->query), &pe) != PARSE_OK) {
		scim_errorf(r, 400, "invalidSyntax", "%s", pe.msg);
		return -1;
	}
	if (params_count(&q, name) > 1) {
		scim_errorf(r, 400, "invalidValue", "%s must be given once", name);
		return -1;
	}
	*out = params_get(&q, name);
	return 0;
}

int
scim_projection_read(struct request *r, const char **attributes, const char **excluded)
{
	if (one_param(r, "attributes", attributes) != 0 ||
	    one_param(r, "excludedAttributes", excluded) != 0)
		return -1;
	if (*attributes != NULL && *excluded != NULL) {
		scim_error(r, 400, "invalidValue",
		    "give attributes or excludedAttributes, not both");
		return -1;
	}
	return 0;
}

int
scim_query_read(struct request *r, bool search, struct scim_query *q)
{
	static const char *const keys[] = { "filter", "attributes", "excludedAttributes", "sortBy",
		"sortOrder", "startIndex", "count" };
	const char	*v[7];
	struct scim_err	 e;

	memset(q, 0, sizeof(*q));
	q->start = 1;
	q->count = CORE_PAGE_DEFAULT;
	if (search) {
		if (r->json == NULL || r->json->type != JSON_OBJECT) {
			scim_error(r, 400, "invalidSyntax", "the request body must be a SearchRequest");
			return -1;
		}
		if (scim_schemas_check(r->json, URN_SEARCH, &e) != 0) {
			scim_fail(r, &e);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((search ? search_member(r, keys[i], &v[i]) : one_param(r, keys[i], &v[i])) != 0)
			return -1;
	q->filter = v[0] != NULL && *v[0] != '\0' ? v[0] : NULL;
	q->attributes = v[1];
	q->excluded = v[2];
	q->sort_by = v[3] != NULL && *v[3] != '\0' ? v[3] : NULL;
	if (v[4] != NULL) {
		if (strcasecmp(v[4], "descending") != 0 && strcasecmp(v[4], "ascending") != 0) {
			scim_error(r, 400, "invalidValue", "sortOrder must be ascending or descending");
			return -1;
		}
		q->descending = strcasecmp(v[4], "descending") == 0;
	}
	if (q->attributes != NULL && q->excluded != NULL) {
		scim_error(r, 400, "invalidValue", "give attributes or excludedAttributes, not both");
		return -1;
	}
	return page_params(r, v[5], v[6], q);
}

int
scim_list_read(struct request *r, bool search, const struct scim_listing *l, struct scim_query *q,
    struct fnode **filter, const char **sort)
{
	struct scim_err e;

	*filter = NULL;
	*sort = NULL;
	if (scim_query_read(r, search, q) != 0)
		return -1;
	if (q->filter != NULL && (*filter = scim_filter(r->arena, q->filter, l->type, l->filters,
	    l->nfilters, &e)) == NULL) {
		scim_fail(r, &e);
		return -1;
	}
	if (q->sort_by == NULL)
		return 0;
	for (size_t i = 0; i < l->nsorts; i++)
		if (strcasecmp(q->sort_by, l->sorts[i].scim) == 0)
			*sort = arena_printf(r->arena, "%s%s", q->descending ? "-" : "", l->sorts[i].core);
	if (*sort == NULL) {
		scim_errorf(r, 400, "invalidValue", "sortBy must be %s", l->sorts_text);
		return -1;
	}
	return 0;
}

void
scim_list_fail(struct request *r, const struct scim_listing *l, const struct core_err *e)
{
	const char	*name = NULL;
	size_t		 n = strlen(e->field);

	if (e->status != CORE_INVALID) {
		api_fail(r, e);
		return;
	}
	/*
	 * The core names its own field ("enabled must be true or false"); the
	 * client wrote the SCIM attribute ("active"), so the message says that.
	 */
	for (size_t i = 0; i < l->nfilters && name == NULL && n > 0; i++)
		if (strcmp(e->field, l->filters[i].core) == 0)
			name = l->filters[i].scim;
	if (name != NULL && strncmp(e->msg, e->field, n) == 0 &&
	    (e->msg[n] == ' ' || e->msg[n] == '\0'))
		scim_errorf(r, 400, "invalidFilter", "%s%s", name, e->msg + n);
	else
		scim_errorf(r, 400, "invalidFilter", "%s", e->msg);
}

/* --- filters ------------------------------------------------------------------------ */

/* The core field of a SCIM attribute path (URN-qualified, or with the core schema's). */
static const char *
map_name(const struct scim_rtype *t, const struct scim_fmap *m, size_t n, const char *name)
{
	size_t core = strlen(t->core->id);

	if (strncasecmp(name, t->core->id, core) == 0 && name[core] == ':')
		name += core + 1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(m[i].scim, name) == 0)
			return m[i].core;
	return NULL;
}

/* Sub-attribute names in the lowercase of the core's fields ("emails.type"). */
static int
lower_fields(struct arena *a, struct fnode *f)
{
	char *low;

	if (f == NULL)
		return 0;
	if (f->kind != FN_CMP)
		return lower_fields(a, f->a) == 0 ? lower_fields(a, f->b) : -1;
	if ((low = arena_strdup(a, f->field)) == NULL)
		return -1;
	for (char *c = low; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	f->field = low;
	return 0;
}

/* Renames every attribute of a filter tree to its core field. */
static int
map_tree(struct arena *a, struct fnode *f, const struct scim_rtype *t,
    const struct scim_fmap *m, size_t n, struct scim_err *e)
{
	const char *core;

	switch (f->kind) {
	case FN_AND:
	case FN_OR:
		if (map_tree(a, f->a, t, m, n, e) != 0)
			return -1;
		return map_tree(a, f->b, t, m, n, e);
	case FN_NOT:
		return map_tree(a, f->a, t, m, n, e);
	case FN_CMP:
	case FN_VALUE:
		break;
	}
	if ((core = map_name(t, m, n, f->field)) == NULL)
		return scim_errset(e, 400, "invalidFilter",
		    "%.80s is not an attribute %s can be filtered by", f->field, t->endpoint + 1);
	f->field = core;
	if (f->kind == FN_VALUE && lower_fields(a, f->a) != 0)
		return scim_errset(e, 500, NULL, "out of memory");
	return 0;
}

struct fnode *
scim_filter(struct arena *a, const char *filter, const struct scim_rtype *t,
    const struct scim_fmap *m, size_t n, struct scim_err *e)
{
	struct core_err	 ce;
	struct fnode	*f;

	if ((f = filter_parse_scim(a, filter, &ce)) == NULL) {
		scim_errset(e, 400, "invalidFilter", "%s", ce.msg);
		return NULL;
	}
	return map_tree(a, f, t, m, n, e) == 0 ? f : NULL;
}

/* --- discovery (RFC 7644 §4) --------------------------------------------------------- */

static void
meta_of(struct jsonw *w, const char *type, const char *location)
{
	jsonw_key(w, "meta");
	jsonw_obj_open(w);
	jsonw_kstr(w, "resourceType", type);
	jsonw_kstr(w, "location", location);
	jsonw_obj_close(w);
}

/* A feature that is only supported or not: {"supported": b}. */
static void
feature(struct jsonw *w, const char *name, bool supported)
{
	jsonw_key(w, name);
	jsonw_obj_open(w);
	jsonw_kbool(w, "supported", supported);
	jsonw_obj_close(w);
}

static void
h_config(struct request *r)
{
	struct jsonw	 w;
	const char	*base = scim_base(r);

	scim_begin(r, 200, &w);
	jsonw_obj_open(&w);
	schemas_one(&w, URN_SPC);
	jsonw_kstr(&w, "documentationUri", "https://github.com/gatehouse/gatehouse/blob/main/docs/scim.md");
	feature(&w, "patch", true);
	jsonw_key(&w, "bulk");
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "supported", false);
	jsonw_kint(&w, "maxOperations", 0);
	jsonw_kint(&w, "maxPayloadSize", 0);
	jsonw_obj_close(&w);
	jsonw_key(&w, "filter");
	jsonw_obj_open(&w);
	jsonw_kbool(&w, "supported", true);
	jsonw_kint(&w, "maxResults", SCIM_MAX_RESULTS);
	jsonw_obj_close(&w);
	feature(&w, "changePassword", false);
	feature(&w, "sort", true);
	feature(&w, "etag", true);
	jsonw_key(&w, "authenticationSchemes");
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "type", "oauthbearertoken");
	jsonw_kstr(&w, "name", "Bearer token");
	jsonw_kstr(&w, "description",
	    "Authorization: Bearer <key>, a Gatehouse API key of an admin of the organisation");
	jsonw_kstr(&w, "specUri", "https://www.rfc-editor.org/rfc/rfc6750");
	jsonw_kbool(&w, "primary", true);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	meta_of(&w, "ServiceProviderConfig", arena_printf(r->arena, "%s/ServiceProviderConfig", base));
	jsonw_obj_close(&w);
}

static const struct scim_rtype *const rtypes[] = { &scim_user_type, &scim_group_type };
static const struct scim_schema *const schemas[] = { &scim_user_schema, &scim_enterprise_schema,
	&scim_group_schema };
#define NRTYPES		(sizeof(rtypes) / sizeof(rtypes[0]))
#define NSCHEMAS	(sizeof(schemas) / sizeof(schemas[0]))

static void
rtype_json(struct request *r, struct jsonw *w, const struct scim_rtype *t, const char *base)
{
	jsonw_obj_open(w);
	schemas_one(w, URN_RTYPE);
	jsonw_kstr(w, "id", t->name);
	jsonw_kstr(w, "name", t->name);
	jsonw_kstr(w, "endpoint", t->endpoint);
	jsonw_kstr(w, "description", t->desc);
	jsonw_kstr(w, "schema", t->core->id);
	jsonw_key(w, "schemaExtensions");
	jsonw_arr_open(w);
	if (t->ext != NULL) {
		jsonw_obj_open(w);
		jsonw_kstr(w, "schema", t->ext->id);
		jsonw_kbool(w, "required", false);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	meta_of(w, "ResourceType", arena_printf(r->arena, "%s/ResourceTypes/%s", base, t->name));
	jsonw_obj_close(w);
}


static void
h_rtypes(struct request *r)
{
	struct jsonw	 w;
	const char	*base = scim_base(r);

	scim_begin(r, 200, &w);
	list_open(&w, NRTYPES, NRTYPES, 1);
	for (size_t i = 0; i < NRTYPES; i++)
		rtype_json(r, &w, rtypes[i], base);
	list_close(&w);
}

static void
h_rtype(struct request *r)
{
	const char	*name = req_path_param(r, "name");
	struct jsonw	 w;

	for (size_t i = 0; i < NRTYPES; i++)
		if (strcasecmp(rtypes[i]->name, name) == 0) {
			scim_begin(r, 200, &w);
			rtype_json(r, &w, rtypes[i], scim_base(r));
			return;
		}
	scim_errorf(r, 404, NULL, "no resource type %.64s", name);
}

static void
h_schemas(struct request *r)
{
	struct jsonw	 w;
	const char	*base = scim_base(r);

	scim_begin(r, 200, &w);
	list_open(&w, NSCHEMAS, NSCHEMAS, 1);
	for (size_t i = 0; i < NSCHEMAS; i++)
		scim_schema_json(&w, schemas[i], base);
	list_close(&w);
}

static void
h_schema(struct request *r)
{
	const char	*id = req_path_param(r, "id");
	struct jsonw	 w;

	for (size_t i = 0; i < NSCHEMAS; i++)
		if (strcasecmp(schemas[i]->id, id) == 0) {
			scim_begin(r, 200, &w);
			scim_schema_json(&w, schemas[i], scim_base(r));
			return;
		}
	scim_errorf(r, 404, NULL, "no schema %.100s", id);
}

/* Bulk (§3.7) and /Me (§3.11) are not offered: 501, as the RFC says. */
static void
h_not_implemented(struct request *r)
{
	scim_error(r, 501, NULL, "not supported by this service provider");
}

#define A	LEVEL_ADMIN
static const struct route meta_routes[] = {
	/* With a trailing slash too, as the resources take one (clients join paths so). */
	{ "GET",  "/scim/v2/ServiceProviderConfig",	h_config,  &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/ServiceProviderConfig/",	h_config,  &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/ResourceTypes",		h_rtypes,  &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/ResourceTypes/",		h_rtypes,  &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/ResourceTypes/{name}",	h_rtype,   &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/ResourceTypes/{name}/",	h_rtype,   &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/Schemas",			h_schemas, &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/Schemas/",			h_schemas, &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/Schemas/{id}",		h_schema,  &dialect_scim, A, 0, NULL, false },
	{ "GET",  "/scim/v2/Schemas/{id}/",		h_schema,  &dialect_scim, A, 0, NULL, false },
	{ "POST", "/scim/v2/Bulk",			h_not_implemented, &dialect_scim, A, 0, ROUTE_ANY_SHAPE, false },
	{ "GET",  "/scim/v2/Me",			h_not_implemented, &dialect_scim, A, 0, NULL, false },
};
#undef A
static const struct route_list scim_meta_routes = ROUTE_LIST(meta_routes);
static const struct route_list *const scim_lists[] = { &scim_meta_routes, &scim_user_routes,
	&scim_group_routes, NULL };

const struct surface surface_scim = { &dialect_scim, scim_lists };
