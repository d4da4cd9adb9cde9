/* common.c: what every surface shares — errors, key authentication, strict readers, replies, lookups. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/apikey.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/etag.h"
#include "gatehouse/idempotency.h"
#include "gatehouse/json.h"
#include "gatehouse/principal.h"
#include "gatehouse/request.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"

/* --- surfaces ----------------------------------------------------------------------- */

int
api_routes(const struct surface *const *surfaces, struct route_table *t)
{
	const struct dialect	**dialects;
	struct route		 *all;
	size_t			  n = 0, nd = 0, off = 0;

	for (const struct surface *const *s = surfaces; *s; s++, nd++)
		for (const struct route_list *const *l = (*s)->routes; *l; l++)
			n += (*l)->n;
	if ((all = calloc(n ? n : 1, sizeof(*all))) == NULL ||
	    (dialects = calloc(nd ? nd : 1, sizeof(*dialects))) == NULL) {
		free(all);
		return -1;
	}
	nd = 0;
	for (const struct surface *const *s = surfaces; *s; s++) {
		dialects[nd++] = (*s)->dialect;
		for (const struct route_list *const *l = (*s)->routes; *l; l++) {
			memcpy(all + off, (*l)->v, (*l)->n * sizeof(*all));
			off += (*l)->n;
		}
	}
	t->routes = all;
	t->n = off;
	t->dialects = dialects;
	t->ndialects = nd;
	/* Paths under no surface's prefix answer in the first surface's shape. */
	t->fallback = nd ? dialects[0] : NULL;
	return 0;
}

/* --- errors ------------------------------------------------------------------------- */

int
api_http_status(enum core_status s)
{
	static const int map[CORE__MAX] = {
		[CORE_OK] = 200, [CORE_INVALID] = 400, [CORE_UNAUTHORIZED] = 401,
		[CORE_FORBIDDEN] = 403, [CORE_NOT_FOUND] = 404, [CORE_CONFLICT] = 409,
		[CORE_PRECONDITION] = 412, [CORE_TOO_LARGE] = 413, [CORE_UNAVAILABLE] = 503,
		[CORE_INTERNAL] = 500,
	};

	return s < CORE__MAX && map[s] ? map[s] : 500;
}

int
api_vendor_status(enum core_status s)
{
	static const int map[CORE__MAX] = {
		[CORE_OK] = 200, [CORE_INVALID] = 400, [CORE_UNAUTHORIZED] = 401,
		[CORE_FORBIDDEN] = 403, [CORE_NOT_FOUND] = 404, [CORE_CONFLICT] = 400,
		[CORE_PRECONDITION] = 400, [CORE_TOO_LARGE] = 400, [CORE_UNAVAILABLE] = 503,
		[CORE_INTERNAL] = 500,
	};

	return s < CORE__MAX && map[s] ? map[s] : 500;
}

void
api_fail(struct request *r, const struct core_err *e)
{
	const struct dialect *d = r->route->dialect;

	if (d->fail != NULL)
		d->fail(r, e);
	else
		d->error(r, api_http_status(e->status), e->field[0] ? e->field : NULL, e->msg);
	if (e->status == CORE_UNAVAILABLE)
		resp_header(r, "Retry-After", "1");
}

void
api_failf(struct request *r, enum core_status st, const char *field, const char *fmt, ...)
{
	struct core_err	e;
	va_list		ap;

	e.status = st;
	snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	api_fail(r, &e);
}

int
api_ok(struct request *r, enum core_status st, const struct core_err *e)
{
	if (st == CORE_OK)
		return 0;
	api_fail(r, e);
	return -1;
}

void
api_bad(struct request *r, const char *field, const char *msg)
{
	api_failf(r, CORE_INVALID, field, "%s", msg);
}

void
api_problem(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	resp_start(r, status, "application/problem+json");
	jsonw_init(&w, r->out);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "type", "about:blank");
	jsonw_kstr(&w, "title", http_reason(status));
	jsonw_kint(&w, "status", status);
	if (detail != NULL)
		jsonw_kstr(&w, "detail", detail);
	if (field != NULL && *field != '\0')
		jsonw_kstr(&w, "field", field);
	jsonw_kstr(&w, "request_id", r->id);
	jsonw_obj_close(&w);
}

/* --- authentication ------------------------------------------------------------------ */

int
api_authenticate_key(struct request *r, const char *key)
{
	struct principal *p;

	if (key == NULL || *key == '\0') {
		api_failf(r, CORE_UNAUTHORIZED, NULL, "an API key is required");
		return -1;
	}
	if ((p = arena_alloc(r->arena, sizeof(*p))) == NULL) {
		api_failf(r, CORE_INTERNAL, NULL, "out of memory");
		return -1;
	}
	switch (apikey_authenticate(r->arena, key, p)) {
	case APIKEY_OK:
		break;
	case APIKEY_UNAVAILABLE:
		api_failf(r, CORE_UNAVAILABLE, NULL, "database unavailable, try again");
		return -1;
	case APIKEY_INVALID:
		api_failf(r, CORE_UNAUTHORIZED, NULL, "invalid API key");
		return -1;
	}
	r->principal = p;
	if (r->route->need != ROUTE_PUBLIC && (int)p->level < r->route->need) {
		api_failf(r, CORE_FORBIDDEN, NULL, "this needs access level %s",
		    level_name((enum level)r->route->need));
		return -1;
	}
	return 0;
}

const char *
api_bearer(struct request *r)
{
	const char *h = req_env(r, "HTTP_AUTHORIZATION");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	for (h += 7; *h == ' '; h++)
		;
	return h;
}

int
api_guard_bearer(struct request *r)
{
	if (r->route->need == ROUTE_PUBLIC)
		return 0;
	return api_authenticate_key(r, api_bearer(r));
}

/* --- the request ---------------------------------------------------------------------- */

void
api_ctx(struct request *r, struct core_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->arena = r->arena;
	c->actor = r->principal;
	c->org_id = r->principal ? r->principal->org_id : 0;
	c->request_id = r->id;
	c->address = r->client_ip;
	c->deadline = r->deadline;
	c->surface = r->route ? r->route->dialect->name : NULL;
}

static bool
listed(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

int
api_known_only(struct request *r, const char *const *known)
{
	const char *unknown = NULL;

	for (size_t i = 0; i < r->params.n && unknown == NULL; i++)
		if (!listed(known, r->params.v[i].name))
			unknown = r->params.v[i].name;
	/* JSON members of any type: nested ones are not in the parameter view. */
	for (size_t i = 0; r->json && r->json->type == JSON_OBJECT && i < r->json->n; i++)
		if (unknown == NULL && !listed(known, r->json->keys[i]))
			unknown = r->json->keys[i];
	if (unknown == NULL)
		return 0;
	api_failf(r, CORE_INVALID, unknown, "unknown field %.64s", unknown);
	return -1;
}

bool
api_begin(struct request *r, const char *const *known, struct core_ctx *c)
{
	if (api_known_only(r, known) != 0)
		return false;
	api_ctx(r, c);
	return true;
}

/* The answer as rendered so far, as a kept answer. */
static void
idem_answer_of(struct request *r, struct idem_answer *a)
{
	a->status = r->status;
	a->content_type = r->out_type ? r->out_type : "application/json";
	a->headers = r->hdr->len ? buf_cstr(r->hdr) : "";
	a->body = r->out->len ? buf_cstr(r->out) : "";
}

/* What a retry of a create whose answer held a secret gets: the secret is never kept. */
static void
idem_secret_answer(struct request *r, struct buf *body, struct idem_answer *a)
{
	struct jsonw w;

	jsonw_init(&w, body);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "type", "about:blank");
	jsonw_kstr(&w, "title", http_reason(409));
	jsonw_kint(&w, "status", 409);
	jsonw_kstr(&w, "detail", "the request first sent with this Idempotency-Key succeeded; its "
	    "answer held a secret, which is shown only once: find what it made in the list, "
	    "and revoke it if the secret was lost");
	jsonw_kstr(&w, "field", "Idempotency-Key");
	jsonw_kstr(&w, "request_id", r->id);
	jsonw_obj_close(&w);
	a->status = 409;
	a->content_type = "application/problem+json";
	a->headers = "";
	a->body = body->failed ? "" : buf_cstr(body);
}

void
api_idempotent(struct request *r, route_handler fn, bool secret)
{
	const char		*key = req_header(r, "Idempotency-Key");
	struct idem_request	 q = { r->method, r->path, r->query, r->body, r->body_len };
	struct idem_answer	 a, kept;
	enum idem_state		 state;
	struct core_ctx		 c;
	struct core_err		 e;
	struct buf		 body;
	enum core_status	 st;
	bool			 ok;

	if (key == NULL) {
		fn(r);
		return;
	}
	api_ctx(r, &c);
	if (idem_begin(&c, r->principal ? r->principal->key_id : 0, key, &q, &state, &a,
	    &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	switch (state) {
	case IDEM_MISMATCH:
		r->route->dialect->error(r, 422, "Idempotency-Key", "this Idempotency-Key was "
		    "first sent with another request; use a new key for a new request");
		return;
	case IDEM_REPLAY:
		resp_start(r, a.status, a.content_type);
		buf_puts(r->hdr, a.headers);
		buf_puts(r->out, a.body);
		resp_header(r, "Idempotent-Replayed", "true");
		return;
	case IDEM_NEW:
		break;
	}
	fn(r);
	buf_init(&body);
	idem_answer_of(r, &a);
	kept = a;
	ok = a.status >= 200 && a.status <= 299;
	if (secret && ok)
		idem_secret_answer(r, &body, &kept);
	st = idem_finish(&c, ok, &kept, &e);
	buf_free(&body);
	if (st != CORE_OK) {
		/* The work did not commit: its answer must not go out. */
		buf_reset(r->hdr);
		api_fail(r, &e);
	}
}

/*
 * The one value of a scalar field, or NULL when absent. Given twice (query
 * and body, a repeated form field, a JSON list) or as a JSON list or object,
 * it renders 400 and sets *bad. The router checks the same for every route;
 * the readers hold to it themselves, whatever a route declares.
 */
static const char *
scalar_param(struct request *r, const char *name, bool *bad)
{
	const struct json *j = r->json ? json_get(r->json, name) : NULL;

	*bad = false;
	if (j != NULL && (j->type == JSON_ARRAY || j->type == JSON_OBJECT)) {
		api_failf(r, CORE_INVALID, name, "%.64s must be a single value, not a %s", name,
		    j->type == JSON_ARRAY ? "list" : "object");
		*bad = true;
		return NULL;
	}
	if (params_count(&r->params, name) > 1) {
		api_failf(r, CORE_INVALID, name, "%.64s must be given once", name);
		*bad = true;
		return NULL;
	}
	return req_param(r, name);
}

int
api_str(struct request *r, const char *name, const char **out)
{
	bool		 bad;
	const char	*v = scalar_param(r, name, &bad);

	if (bad)
		return -1;
	if (v != NULL)
		*out = v;
	return 0;
}

int
api_text(struct request *r, const char *name, const char **out)
{
	const struct json *j = r->json ? json_get(r->json, name) : NULL;

	if (j != NULL && j->type != JSON_STRING && j->type != JSON_NULL &&
	    j->type != JSON_ARRAY && j->type != JSON_OBJECT) {
		api_failf(r, CORE_INVALID, name, "%.64s must be a string", name);
		return -1;
	}
	return api_str(r, name, out);
}

int
api_int(struct request *r, const char *name, long min, long max, long *out)
{
	bool		 bad;
	const char	*v = scalar_param(r, name, &bad);
	char		*end;
	long		 n;

	if (bad)
		return -1;
	if (v == NULL)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	/* Digits (and a leading '-') only: strtol would also take " 5" and "+5". */
	if (!(isdigit((unsigned char)v[0]) || (v[0] == '-' && isdigit((unsigned char)v[1]))) ||
	    *end != '\0' || errno != 0 || n < min || n > max) {
		api_failf(r, CORE_INVALID, name, "%.64s must be a whole number from %ld to %ld",
		    name, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int
api_enum(struct request *r, const char *name, const char *const *choices, int *out)
{
	bool		 bad;
	const char	*v = scalar_param(r, name, &bad);
	struct buf	 list;

	if (bad)
		return -1;
	if (v == NULL)
		return 0;
	for (int i = 0; choices[i]; i++)
		if (strcasecmp(choices[i], v) == 0) {
			*out = i;
			return 0;
		}
	buf_init(&list);
	for (int i = 0; choices[i]; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", choices[i]);
	api_failf(r, CORE_INVALID, name, "%.64s must be one of: %.120s", name,
	    list.failed || list.data == NULL ? "" : list.data);
	buf_free(&list);
	return -1;
}

/* 1 for true/1, 0 for false/0 (in any case), -1 for anything else. */
static int
bool_text(const char *v)
{
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

int
api_bool(struct request *r, const char *name, bool dflt, bool *out)
{
	const char	*v = NULL;
	int		 b;

	*out = dflt;
	if (api_str(r, name, &v) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if ((b = bool_text(v)) < 0) {
		api_failf(r, CORE_INVALID, name, "%.64s must be true or false", name);
		return -1;
	}
	*out = b == 1;
	return 0;
}

int
api_datetime(struct request *r, const char *name, const char **out)
{
	const char *v = NULL;

	if (api_str(r, name, &v) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!valid_datetime(v)) {
		api_failf(r, CORE_INVALID, name,
		    "%.64s must be an ISO 8601 date or date-time (offsets up to ±15:59)", name);
		return -1;
	}
	*out = v;
	return 0;
}

const char *
api_json_scalar(const struct json *v)
{
	if ((v->type != JSON_STRING && v->type != JSON_NUMBER) || strlen(v->str) != v->len)
		return NULL;
	return v->str;
}

const struct json *
api_list(struct request *r, const char *name)
{
	/* The text is one field, already bounded by the request's field length. */
	static const struct parse_limits lim = { 16, 4096, 4, 4096 };
	const struct json	*j = r->json ? json_get(r->json, name) : NULL;
	const char		*text = NULL;
	size_t			 len = 0;
	struct parse_error	 pe;

	if (j != NULL && j->type == JSON_STRING) {
		text = j->str;
		len = j->len;
	} else if (r->json == NULL) {
		if (api_str(r, name, &text) != 0)
			return NULL;
		len = text ? strlen(text) : 0;
	}
	if (text != NULL && (j = json_parse(r->arena, &lim, text, len, &pe)) == NULL) {
		api_failf(r, CORE_INVALID, name, "%.64s is not valid JSON: %s", name, pe.msg);
		return NULL;
	}
	if (j == NULL || j->type != JSON_ARRAY) {
		api_failf(r, CORE_INVALID, name, "%.64s must be a list (a JSON array)", name);
		return NULL;
	}
	return j;
}

int
api_smartcards(struct request *r, const char *name, const struct json *list,
    struct smartcard **out)
{
	char msg[128];

	if ((*out = arena_alloc(r->arena, (list->n ? list->n : 1) * sizeof(**out))) == NULL) {
		api_failf(r, CORE_INTERNAL, NULL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct json *item = list->items[i];

		if (item->type != JSON_OBJECT) {
			snprintf(msg, sizeof(msg), "%.32s[%zu] must be an object with a number", name, i);
			api_bad(r, name, msg);
			return -1;
		}
		memset(&(*out)[i], 0, sizeof((*out)[i]));
		for (size_t k = 0; k < item->n; k++) {
			const struct json *v = item->items[k];
			bool number = strcmp(item->keys[k], "number") == 0;

			if (number && api_json_scalar(v) != NULL)
				(*out)[i].number = api_json_scalar(v);
			else if (!number && strcmp(item->keys[k], "label") == 0 &&
			    (v->type == JSON_NULL || api_json_scalar(v) != NULL))
				(*out)[i].label = v->type == JSON_NULL ? NULL : api_json_scalar(v);
			else {
				snprintf(msg, sizeof(msg), "%.32s[%zu].%.32s is not a number or label",
				    name, i, item->keys[k]);
				api_bad(r, name, msg);
				return -1;
			}
		}
	}
	return 0;
}

int
api_if_match(struct request *r, int *version)
{
	switch (etag_parse_if_match(req_header(r, "If-Match"), version)) {
	case ETAG_ANY:
		*version = CORE_ANY_VERSION;
		return 0;
	case ETAG_VERSION:
		return 0;
	case ETAG_FOREIGN:
		*version = CORE_NO_VERSION;
		return 0;
	case ETAG_BAD:
		break;
	}
	api_failf(r, CORE_INVALID, "If-Match",
	    "If-Match must be \"*\" or a list of entity tags, naming at most one version");
	return -1;
}

void
api_etag(struct request *r, int version)
{
	char tag[ETAG_LEN];

	etag_format(tag, sizeof(tag), version);
	resp_header(r, "ETag", tag);
}

const char *
api_path_escape(struct request *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	*out = arena_alloc(r->arena, 3 * strlen(s) + 1), *o = out;

	if (out == NULL)
		return "";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (strchr("-._~:@", *p) != NULL || (*p >= '0' && *p <= '9') ||
		    ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

void
api_location(struct request *r, const char *path)
{
	if (path != NULL)
		resp_header(r, "Location", path);
}

/* --- replies ------------------------------------------------------------------------- */

void
api_json_begin(struct request *r, int status, struct jsonw *w)
{
	resp_start(r, status, "application/json");
	jsonw_init(w, r->out);
}

enum core_status
api_reply_one(struct request *r, enum core_status st, const struct core_err *e, int status,
    const void *v, api_item_fn item)
{
	struct jsonw w;

	if (st != CORE_OK) {
		api_fail(r, e);
		return st;
	}
	api_json_begin(r, status, &w);
	item(&w, v);
	return st;
}

void
api_json_members(struct jsonw *w, const void *v, const struct api_member *m, size_t n)
{
	const char *base = v;

	jsonw_obj_open(w);
	for (size_t i = 0; i < n; i++) {
		const void *f = base + m[i].off;

		switch (m[i].type) {
		case API_STR:
			jsonw_kstr(w, m[i].name, *(const char *const *)f);
			break;
		case API_INT:
			jsonw_kint(w, m[i].name, *(const int64_t *)f);
			break;
		case API_BOOL:
			jsonw_kbool(w, m[i].name, *(const bool *)f);
			break;
		case API_RAW: {
			const char *json = *(const char *const *)f;

			jsonw_key(w, m[i].name);
			if (json == NULL)
				jsonw_null(w);
			else
				jsonw_raw(w, json, strlen(json));
			break;
		}
		}
	}
	jsonw_obj_close(w);
}

/* {"<name>": [item(v[0]), …]} and, for a page, its "next_cursor". */
static void
reply_items(struct request *r, enum core_status st, const struct core_err *e, const char *name,
    const void *v, size_t n, size_t size, api_item_fn item, bool paged, const char *next)
{
	struct jsonw w;

	if (st != CORE_OK) {
		api_fail(r, e);
		return;
	}
	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, name);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		item(&w, (const char *)v + i * size);
	jsonw_arr_close(&w);
	if (paged)
		jsonw_kstr(&w, "next_cursor", next);
	jsonw_obj_close(&w);
}

void
api_reply_list(struct request *r, enum core_status st, const struct core_err *e, const char *name,
    const void *v, size_t n, size_t size, api_item_fn item)
{
	reply_items(r, st, e, name, v, n, size, item, false, NULL);
}

void
api_reply_page(struct request *r, enum core_status st, const struct core_err *e, const char *name,
    const void *v, size_t n, size_t size, api_item_fn item, const char *next)
{
	reply_items(r, st, e, name, v, n, size, item, true, next);
}

void
api_reply_created(struct request *r, enum core_status st, const struct core_err *e, const void *v,
    api_item_fn item, const char *location)
{
	if (api_reply_one(r, st, e, 201, v, item) == CORE_OK)
		api_location(r, location);
}

void
api_reply_none(struct request *r, enum core_status st, const struct core_err *e)
{
	if (st != CORE_OK)
		api_fail(r, e);
	else
		resp_start(r, 204, "application/json");
}

/* --- bulk items ------------------------------------------------------------------------ */

enum core_status
api_item_bool(const struct json *o, const char *name, bool dflt, bool *out, struct core_err *e)
{
	const struct json	*v = json_get(o, name);
	int			 b;

	*out = dflt;
	if (v == NULL)
		return CORE_OK;
	if (v->type == JSON_NULL || v->type == JSON_OBJECT || v->type == JSON_ARRAY ||
	    (b = bool_text(v->str)) < 0)
		return core_fail(e, CORE_INVALID, name, "%s must be true or false", name);
	*out = b == 1;
	return CORE_OK;
}

void
api_item_fail(struct request *r, const char *list, size_t i, struct core_err *e)
{
	char field[sizeof(e->field)], msg[sizeof(e->msg)];

	snprintf(field, sizeof(field), "%.16s[%zu]%s%.40s", list, i, e->field[0] ? "." : "",
	    e->field);
	snprintf(msg, sizeof(msg), "item %zu: %.160s", i, e->msg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	api_fail(r, e);
}

/* --- users ------------------------------------------------------------------------- */

enum core_status
api_user_values(struct arena *a, struct user_patch *p, enum ufield f, const struct json *arr,
    struct core_err *e)
{
	struct user_value	 v[USER_MAX_VALUES];
	const char		*name = ufields[f].name;

	if (arr == NULL || arr->type != JSON_ARRAY)
		return core_fail(e, CORE_INVALID, name, "%s must be a list of objects", name);
	if (arr->n > USER_MAX_VALUES)
		return core_fail(e, CORE_INVALID, name, "%s has at most %d values", name,
		    USER_MAX_VALUES);
	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < arr->n; i++) {
		const struct json *o = arr->items[i];

		if (o->type != JSON_OBJECT)
			return core_fail(e, CORE_INVALID, name, "%s[%zu] must be an object", name, i);
		for (size_t k = 0; k < o->n; k++) {
			const struct json	*x = o->items[k];
			int			 sub = -1, b;

			if (strcasecmp(o->keys[k], "primary") == 0) {
				if ((x->type != JSON_BOOL && x->type != JSON_STRING) ||
				    (b = bool_text(x->str)) < 0)
					return core_fail(e, CORE_INVALID, name,
					    "%s[%zu].primary must be true or false", name, i);
				v[i].primary = b == 1;
				continue;
			}
			for (int s = 0; s < UV__MAX; s++)
				if (strcasecmp(o->keys[k], user_value_names[s]) == 0)
					sub = s;
			if (sub < 0)
				return core_fail(e, CORE_INVALID, name, "%s[%zu] has no %.40s", name, i,
				    o->keys[k]);
			if (x->type == JSON_NULL)
				continue;
			if ((v[i].sub[sub] = api_json_scalar(x)) == NULL)
				return core_fail(e, CORE_INVALID, name, "%s[%zu].%s must be text", name, i,
				    user_value_names[sub]);
		}
	}
	return user_patch_set_values(a, p, f, v, arr->n, e);
}

int
api_user_get(struct request *r, const struct user_ref *ref, struct user *out)
{
	struct core_ctx	c;
	struct core_err	e;

	api_ctx(r, &c);
	if (users_get(&c, ref, out, &e) != CORE_OK) {
		api_fail(r, &e);
		return -1;
	}
	return 0;
}

enum core_status
api_item_patch(struct arena *a, struct user_patch *p, int f, const char *name, const char *value,
    struct core_err *e)
{
	const char	*own = ufields[f].name;
	size_t		 n = strlen(own);
	char		 msg[sizeof(e->msg)];

	if (user_patch_set(a, p, (enum ufield)f, value, e) == CORE_OK)
		return CORE_OK;
	/* The core's messages start with its own name for the field: say the client's. */
	if (strcmp(own, name) != 0 && strncmp(e->msg, own, n) == 0 && e->msg[n] == ' ') {
		snprintf(msg, sizeof(msg), "%.60s%s", name, e->msg + n);
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
	}
	snprintf(e->field, sizeof(e->field), "%s", name);
	return e->status;
}

int
api_patch_param(struct request *r, struct user_patch *p, int f, const char *name)
{
	const char	*v = NULL;
	struct core_err	 e;

	if (api_text(r, name, &v) != 0)
		return -1;
	if (v != NULL && api_item_patch(r->arena, p, f, name, v, &e) != CORE_OK) {
		api_fail(r, &e);
		return -1;
	}
	return 0;
}

void
api_delete(struct request *r, const char *param,
    enum core_status (*fn)(struct core_ctx *, const char *, int, struct core_err *))
{
	struct core_ctx	c;
	struct core_err	e;
	int		version;
	static const char *const none[] = { NULL };

	/* A deletion takes no fields: one given is refused, naming it, and nothing goes. */
	if (api_if_match(r, &version) != 0 || !api_begin(r, none, &c))
		return;
	api_reply_none(r, fn(&c, req_path_param(r, param), version, &e), &e);
}

static enum core_status
remove_uid(struct core_ctx *c, const char *uid, int version, struct core_err *e)
{
	struct user_ref ref = { UKEY_UID, uid };

	return users_remove(c, &ref, version, e);
}

void
api_user_remove(struct request *r, const char *param)
{
	api_delete(r, param, remove_uid);
}
