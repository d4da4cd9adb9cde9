/* json.c: yajl event parser building a bounded JSON tree in the request arena. */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/json.h"

/* One open container while parsing: its node and a growable child list. */
struct frame {
	struct json	 *node;
	size_t		  cap;
	const char	 *pending_key;	/* OBJECT: key awaiting its value */
	size_t		  pending_len;
};

struct jctx {
	struct arena			*a;
	const struct parse_limits	*lim;
	struct parse_error		*e;
	struct json			*root;
	struct frame			*stack;
	int				 depth;
	size_t				 nodes;
};

static int
jfail(struct jctx *c, enum parse_status st, const char *field, size_t flen, const char *msg)
{
	c->e->status = st;
	snprintf(c->e->field, sizeof(c->e->field), "%.*s",
	    field ? (int)(flen < 63 ? flen : 63) : 0, field ? field : "");
	snprintf(c->e->msg, sizeof(c->e->msg), "%s", msg);
	return 0;	/* stops yajl */
}

/* Attaches a new node of type t to the current container (or as root). */
static struct json *
jnode(struct jctx *c, enum json_type t)
{
	struct json	*j;
	struct frame	*f;
	char		 msg[96];

	if (++c->nodes > c->lim->max_nodes) {
		snprintf(msg, sizeof(msg), "JSON has more than %zu values", c->lim->max_nodes);
		jfail(c, PARSE_LIMIT, NULL, 0, msg);
		return NULL;
	}
	if ((j = arena_alloc(c->a, sizeof(*j))) == NULL)
		goto nomem;
	j->type = t;
	if (c->depth == 0) {
		c->root = j;
		return j;
	}
	f = &c->stack[c->depth - 1];
	if (f->node->type == JSON_OBJECT && f->node->n >= c->lim->max_fields) {
		snprintf(msg, sizeof(msg), "JSON object has more than %zu members", c->lim->max_fields);
		jfail(c, PARSE_LIMIT, NULL, 0, msg);
		return NULL;
	}
	if (f->node->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct json **ni = arena_alloc(c->a, ncap * sizeof(*ni));

		if (ni == NULL)
			goto nomem;
		if (f->node->n)
			memcpy(ni, f->node->items, f->node->n * sizeof(*ni));
		f->node->items = ni;
		if (f->node->type == JSON_OBJECT) {
			const char **nk = arena_alloc(c->a, ncap * sizeof(*nk));
			size_t *nl = arena_alloc(c->a, ncap * sizeof(*nl));

			if (nk == NULL || nl == NULL)
				goto nomem;
			if (f->node->n) {
				memcpy(nk, f->node->keys, f->node->n * sizeof(*nk));
				memcpy(nl, f->node->keylens, f->node->n * sizeof(*nl));
			}
			f->node->keys = nk;
			f->node->keylens = nl;
		}
		f->cap = ncap;
	}
	if (f->node->type == JSON_OBJECT) {
		f->node->keys[f->node->n] = f->pending_key;
		f->node->keylens[f->node->n] = f->pending_len;
	}
	f->node->items[f->node->n++] = j;
	return j;
nomem:
	jfail(c, PARSE_NOMEM, NULL, 0, "request too large to process");
	return NULL;
}

static int
jscalar(struct jctx *c, enum json_type t, const char *s, size_t len)
{
	struct json *j;

	if (len > c->lim->max_field_len) {
		char msg[96];
		struct frame *f = c->depth ? &c->stack[c->depth - 1] : NULL;

		snprintf(msg, sizeof(msg), "value is longer than %zu bytes", c->lim->max_field_len);
		return jfail(c, PARSE_LIMIT, f && f->node->type == JSON_OBJECT ? f->pending_key : NULL,
		    f ? f->pending_len : 0, msg);
	}
	if (memchr(s, '\0', len) != NULL || !utf8_valid(s, len)) {
		struct frame *f = c->depth ? &c->stack[c->depth - 1] : NULL;

		/* yajl checks raw bytes; \u escapes (lone surrogates, \u0000) are checked here. */
		return jfail(c, PARSE_SYNTAX, f ? f->pending_key : NULL, f ? f->pending_len : 0,
		    memchr(s, '\0', len) != NULL ? "string contains a NUL character (\\u0000)" :
		    "string is not valid UTF-8 (an invalid \\u escape or byte sequence)");
	}
	if ((j = jnode(c, t)) == NULL)
		return 0;
	if ((j->str = arena_strndup(c->a, s, len)) == NULL)
		return jfail(c, PARSE_NOMEM, NULL, 0, "request too large to process");
	j->len = len;
	return 1;
}

static int cb_null(void *ctx) { return jscalar(ctx, JSON_NULL, "", 0); }
static int cb_number(void *ctx, const char *s, size_t n) { return jscalar(ctx, JSON_NUMBER, s, n); }

static int
cb_boolean(void *ctx, int v)
{
	struct jctx *c = ctx;

	if (!jscalar(c, JSON_BOOL, v ? "true" : "false", v ? 4 : 5))
		return 0;
	/* The node just added is the last child of the open container, or the root. */
	if (c->depth == 0)
		c->root->boolean = v != 0;
	else {
		struct json *p = c->stack[c->depth - 1].node;
		p->items[p->n - 1]->boolean = v != 0;
	}
	return 1;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return jscalar(ctx, JSON_STRING, (const char *)s, n);
}

static int
jopen(struct jctx *c, enum json_type t)
{
	struct json *j;

	if (c->depth >= c->lim->max_depth) {
		char msg[96];

		snprintf(msg, sizeof(msg), "JSON is nested deeper than %d levels", c->lim->max_depth);
		return jfail(c, PARSE_LIMIT, NULL, 0, msg);
	}
	if ((j = jnode(c, t)) == NULL)
		return 0;
	c->stack[c->depth].node = j;
	c->stack[c->depth].cap = 0;
	c->stack[c->depth].pending_key = NULL;
	c->depth++;
	return 1;
}

static int cb_start_map(void *ctx) { return jopen(ctx, JSON_OBJECT); }
static int cb_start_array(void *ctx) { return jopen(ctx, JSON_ARRAY); }

static int
jclose(void *ctx)
{
	((struct jctx *)ctx)->depth--;
	return 1;
}

static int
cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct jctx	*c = ctx;
	struct frame	*f = &c->stack[c->depth - 1];
	struct json	*o = f->node;

	if (n > c->lim->max_field_len)
		return jfail(c, PARSE_LIMIT, (const char *)k, n, "member name is too long");
	if (n == 0 || memchr(k, '\0', n) != NULL || !utf8_valid((const char *)k, n))
		return jfail(c, PARSE_SYNTAX, NULL, 0, "empty or malformed member name");
	/* Duplicate keys are refused: parsers disagree on which one wins. */
	for (size_t i = 0; i < o->n; i++)
		if (o->keylens[i] == n && memcmp(o->keys[i], k, n) == 0)
			return jfail(c, PARSE_SYNTAX, (const char *)k, n, "duplicate member in JSON object");
	if ((f->pending_key = arena_strndup(c->a, (const char *)k, n)) == NULL)
		return jfail(c, PARSE_NOMEM, NULL, 0, "request too large to process");
	f->pending_len = n;
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, jclose, cb_start_array, jclose,
};

static int
hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Offset just past the string whose body starts at i (after its opening quote). */
static size_t
string_end(const char *s, size_t n, size_t i)
{
	for (; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

static bool
is_key(const char *s, size_t n, size_t end)
{
	while (end < n && (s[end] == ' ' || s[end] == '\t' || s[end] == '\n' || s[end] == '\r'))
		end++;
	return end < n && s[end] == ':';
}

/*
 * yajl 2.1 turns a lone high surrogate into '?' and pairs it with any
 * following escape, so every \u escape inside strings is checked first: a
 * high surrogate must be followed by a low one, and a low one must not stand
 * alone. Returns the offset of the first bad escape, or -1; *key and *klen
 * name the member whose value holds it (empty when it is in a key itself).
 */
static long
bad_surrogate(const char *s, size_t n, const char **key, size_t *klen)
{
	size_t start = 0;
	bool in_str = false;

	*key = NULL;
	*klen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!in_str) {
			if (s[i] == '"') {
				in_str = true;
				start = i + 1;
			}
			continue;
		}
		if (s[i] == '"') {
			in_str = false;
			if (is_key(s, n, i + 1)) {
				*key = s + start;
				*klen = i - start;
			}
			continue;
		}
		if (s[i] != '\\' || i + 1 >= n)
			continue;
		i++;
		if (s[i] != 'u')
			continue;
		if (i + 4 >= n)
			return -1;		/* truncated: yajl reports it */
		int u = hex4(s + i + 1);

		if (u >= 0xd800 && u <= 0xdbff) {
			int lo = i + 10 < n && s[i + 5] == '\\' && s[i + 6] == 'u' ? hex4(s + i + 7) : -1;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				i += 10;
				continue;
			}
		} else if (u < 0xdc00 || u > 0xdfff) {
			i += 4;
			continue;
		}
		if (is_key(s, n, string_end(s, n, i)))
			*key = NULL, *klen = 0;
		return (long)i - 1;
	}
	return -1;
}

struct json *
json_parse(struct arena *a, const struct parse_limits *lim, const char *data, size_t len,
    struct parse_error *e)
{
	struct jctx	 c;
	yajl_handle	 h;
	yajl_status	 st;
	long		 bad;
	const char	*key;
	size_t		 klen;

	memset(&c, 0, sizeof(c));
	c.a = a;
	c.lim = lim;
	c.e = e;
	e->status = PARSE_OK;
	if ((bad = bad_surrogate(data, len, &key, &klen)) >= 0) {
		char msg[96];

		snprintf(msg, sizeof(msg), "invalid \\u escape (unpaired surrogate) near byte %ld", bad);
		jfail(&c, PARSE_SYNTAX, key, klen, msg);
		return NULL;
	}
	if ((c.stack = arena_alloc(a, (size_t)lim->max_depth * sizeof(*c.stack))) == NULL) {
		jfail(&c, PARSE_NOMEM, NULL, 0, "request too large to process");
		return NULL;
	}
	if ((h = yajl_alloc(&callbacks, NULL, &c)) == NULL) {
		jfail(&c, PARSE_NOMEM, NULL, 0, "request too large to process");
		return NULL;
	}
	st = yajl_parse(h, (const unsigned char *)data, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && e->status == PARSE_OK) {
		char msg[96];

		/* The offset, not yajl's verbose text, which echoes the input. */
		snprintf(msg, sizeof(msg), "malformed JSON near byte %zu", yajl_get_bytes_consumed(h));
		jfail(&c, PARSE_SYNTAX, NULL, 0, msg);
	}
	yajl_free(h);
	if (st != yajl_status_ok || e->status != PARSE_OK)
		return NULL;
	if (c.root == NULL) {
		jfail(&c, PARSE_SYNTAX, NULL, 0, "empty JSON body");
		return NULL;
	}
	return c.root;
}

const struct json *
json_get(const struct json *j, const char *key)
{
	size_t klen;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	klen = strlen(key);
	for (size_t i = 0; i < j->n; i++)
		if (j->keylens[i] == klen && memcmp(j->keys[i], key, klen) == 0)
			return j->items[i];
	return NULL;
}

static enum param_kind
scalar_kind(enum json_type t)
{
	switch (t) {
	case JSON_NUMBER:	return PARAM_NUMBER;
	case JSON_BOOL:		return PARAM_BOOL;
	case JSON_NULL:		return PARAM_NULL;
	default:		return PARAM_TEXT;
	}
}

enum parse_status
json_body_parse(struct arena *a, struct params *p, const struct parse_limits *lim,
    const char *data, size_t len, struct json **root, struct parse_error *e)
{
	struct json *j;

	if ((*root = j = json_parse(a, lim, data, len, e)) == NULL)
		return e->status;
	if (j->type != JSON_OBJECT)
		return PARSE_OK;
	for (size_t i = 0; i < j->n; i++) {
		const struct json *v = j->items[i];
		int rc = PARSE_OK;

		if (v->type == JSON_ARRAY) {
			for (size_t k = 0; k < v->n && rc == PARSE_OK; k++)
				if (v->items[k]->type != JSON_ARRAY && v->items[k]->type != JSON_OBJECT)
					rc = params_add(a, p, lim, j->keys[i], j->keylens[i],
					    v->items[k]->str, v->items[k]->len,
					    scalar_kind(v->items[k]->type), e);
		} else if (v->type != JSON_OBJECT)
			rc = params_add(a, p, lim, j->keys[i], j->keylens[i], v->str, v->len,
			    scalar_kind(v->type), e);
		if (rc != PARSE_OK)
			return (enum parse_status)rc;
	}
	return PARSE_OK;
}

static bool
skipped(const char *const *skip, const char *name)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(*skip, name) == 0)
			return true;
	return false;
}

void
json_write(struct jsonw *w, const struct json *j, const char *const *skip)
{
	switch (j->type) {
	case JSON_NULL:
		jsonw_null(w);
		break;
	case JSON_BOOL:
		jsonw_bool(w, j->boolean);
		break;
	case JSON_NUMBER:
		jsonw_raw(w, j->str, j->len);	/* yajl checked its syntax */
		break;
	case JSON_STRING:
		jsonw_strn(w, j->str, j->len);
		break;
	case JSON_ARRAY:
		jsonw_arr_open(w);
		for (size_t i = 0; i < j->n; i++)
			json_write(w, j->items[i], NULL);
		jsonw_arr_close(w);
		break;
	case JSON_OBJECT:
		jsonw_obj_open(w);
		for (size_t i = 0; i < j->n; i++) {
			if (skipped(skip, j->keys[i]))
				continue;
			jsonw_key(w, j->keys[i]);
			json_write(w, j->items[i], NULL);
		}
		jsonw_obj_close(w);
		break;
	}
}
