/*
 * scim_tree.c: SCIM resources as JSON trees in the request's arena — built,
 * compared, put in canonical form by the schema tables, projected for a
 * response (attributes/excludedAttributes), matched against value filters,
 * and changed by PATCH operations (RFC 7644 §3.5.2). Surfaces the core only
 * through the filter parser; the handlers turn trees into core calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"

#include "scim.h"

/* --- building and comparing --------------------------------------------------- */

static struct json *
sj_new(struct arena *a, enum json_type t)
{
	struct json *j = arena_alloc(a, sizeof(*j));

	if (j != NULL)
		j->type = t;
	return j;
}

struct json *
sj_object(struct arena *a)
{
	return sj_new(a, JSON_OBJECT);
}

struct json *
sj_array(struct arena *a)
{
	return sj_new(a, JSON_ARRAY);
}

struct json *
sj_str(struct arena *a, const char *s)
{
	struct json *j = sj_new(a, s ? JSON_STRING : JSON_NULL);

	if (j != NULL && s != NULL) {
		j->len = strlen(s);
		if ((j->str = arena_strndup(a, s, j->len)) == NULL)
			return NULL;
	}
	return j;
}

struct json *
sj_bool(struct arena *a, bool b)
{
	struct json *j = sj_new(a, JSON_BOOL);

	if (j != NULL) {
		j->boolean = b;
		j->str = b ? "true" : "false";
		j->len = strlen(j->str);
	}
	return j;
}

struct json *
sj_get(const struct json *o, const char *name)
{
	for (size_t i = 0; o != NULL && o->type == JSON_OBJECT && i < o->n; i++)
		if (strcasecmp(o->keys[i], name) == 0)
			return o->items[i];
	return NULL;
}

const char *
sj_text(const struct json *o, const char *name)
{
	const struct json *v = sj_get(o, name);

	return v != NULL && v->type == JSON_STRING ? v->str : NULL;
}

/* Room for one more item (and key): the arrays are copied into the arena. */
static int
sj_grow(struct arena *a, struct json *j)
{
	struct json	**items = arena_alloc(a, (j->n + 1) * sizeof(*items));
	const char	**keys = NULL;
	size_t		 *lens = NULL;

	if (items == NULL)
		return -1;
	if (j->n > 0)
		memcpy(items, j->items, j->n * sizeof(*items));
	if (j->type == JSON_OBJECT) {
		keys = arena_alloc(a, (j->n + 1) * sizeof(*keys));
		lens = arena_alloc(a, (j->n + 1) * sizeof(*lens));
		if (keys == NULL || lens == NULL)
			return -1;
		if (j->n > 0) {
			memcpy(keys, j->keys, j->n * sizeof(*keys));
			memcpy(lens, j->keylens, j->n * sizeof(*lens));
		}
		j->keys = keys;
		j->keylens = lens;
	}
	j->items = items;
	return 0;
}

int
sj_set(struct arena *a, struct json *o, const char *name, struct json *v)
{
	for (size_t i = 0; i < o->n; i++) {
		if (strcasecmp(o->keys[i], name) != 0)
			continue;
		if (v != NULL) {
			o->items[i] = v;
			o->keys[i] = name;
			o->keylens[i] = strlen(name);
			return 0;
		}
		for (size_t k = i + 1; k < o->n; k++) {
			o->items[k - 1] = o->items[k];
			o->keys[k - 1] = o->keys[k];
			o->keylens[k - 1] = o->keylens[k];
		}
		o->n--;
		return 0;
	}
	if (v == NULL)
		return 0;
	if (sj_grow(a, o) != 0)
		return -1;
	o->keys[o->n] = name;
	o->keylens[o->n] = strlen(name);
	o->items[o->n++] = v;
	return 0;
}

int
sj_push(struct arena *a, struct json *arr, struct json *v)
{
	if (v == NULL || sj_grow(a, arr) != 0)
		return -1;
	arr->items[arr->n++] = v;
	return 0;
}

void
sj_drop(struct json *arr, size_t i)
{
	for (size_t k = i + 1; k < arr->n; k++)
		arr->items[k - 1] = arr->items[k];
	arr->n--;
}

bool
sj_equal(const struct json *x, const struct json *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return x->boolean == y->boolean;
	case JSON_NUMBER:
	case JSON_STRING:
		return x->len == y->len && memcmp(x->str, y->str, x->len) == 0;
	case JSON_ARRAY:
		if (x->n != y->n)
			return false;
		for (size_t i = 0; i < x->n; i++)
			if (!sj_equal(x->items[i], y->items[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (x->n != y->n)
			return false;
		for (size_t i = 0; i < x->n; i++)
			if (!sj_equal(x->items[i], sj_get(y, x->keys[i])))
				return false;
		return true;
	}
	return false;
}

void
sj_write(struct jsonw *w, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		jsonw_null(w);
		break;
	case JSON_BOOL:
		jsonw_bool(w, j->boolean);
		break;
	case JSON_NUMBER:
		jsonw_raw(w, j->str, j->len);
		break;
	case JSON_STRING:
		jsonw_strn(w, j->str, j->len);
		break;
	case JSON_ARRAY:
		jsonw_arr_open(w);
		for (size_t i = 0; i < j->n; i++)
			sj_write(w, j->items[i]);
		jsonw_arr_close(w);
		break;
	case JSON_OBJECT:
		jsonw_obj_open(w);
		for (size_t i = 0; i < j->n; i++) {
			jsonw_key(w, j->keys[i]);
			sj_write(w, j->items[i]);
		}
		jsonw_obj_close(w);
		break;
	}
}

struct json *
sj_copy(struct arena *a, const struct json *j)
{
	struct json *c = sj_new(a, j->type);

	if (c == NULL)
		return NULL;
	*c = *j;
	c->n = 0;
	c->items = NULL;
	c->keys = NULL;
	c->keylens = NULL;
	for (size_t i = 0; i < j->n; i++)
		if ((j->type == JSON_OBJECT ? sj_set(a, c, j->keys[i], j->items[i]) :
		    sj_push(a, c, j->items[i])) != 0)
			return NULL;
	return c;
}

/* --- errors -------------------------------------------------------------------- */

int
scim_errset(struct scim_err *e, int status, const char *type, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->type = type;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}

int
scim_oom(struct scim_err *e)
{
	return scim_errset(e, 500, NULL, "out of memory");
}

int
scim_schemas_check(const struct json *body, const char *want, struct scim_err *e)
{
	const struct json *s = sj_get(body, "schemas");

	for (size_t i = 0; s != NULL && s->type == JSON_ARRAY && i < s->n; i++)
		if (s->items[i]->type == JSON_STRING && strcasecmp(s->items[i]->str, want) == 0)
			return 0;
	return scim_errset(e, 400, "invalidSyntax", "schemas must be a list that includes %s",
	    want);
}

/* --- canonical form ------------------------------------------------------------ */

static int canon_value(struct arena *, const struct scim_attr *, const char *path,
		    const struct json *, struct json **, struct scim_err *);

int
scim_canon_one(struct arena *a, const struct scim_attr *at, const char *path, const struct json *v,
    struct json **out, struct scim_err *e)
{
	*out = NULL;
	if (v->type == JSON_NULL)
		return 0;
	switch (at->type) {
	case ST_STRING:
	case ST_REFERENCE:
	case ST_DATETIME:
		/* RFC 7643 §2.3.1: a string is a JSON string; 12 is a number (invalidValue). */
		if (v->type != JSON_STRING)
			return scim_errset(e, 400, "invalidValue", "%.80s must be a string", path);
		if (strlen(v->str) != v->len)
			return scim_errset(e, 400, "invalidValue", "%.80s holds a NUL", path);
		return (*out = sj_str(a, v->str)) ? 0 : scim_oom(e);
	case ST_BOOLEAN:
		/* Entra ID sends "True" and "False". */
		if (v->type == JSON_BOOL)
			*out = sj_bool(a, v->boolean);
		else if (v->type == JSON_STRING && (strcasecmp(v->str, "true") == 0 ||
		    strcasecmp(v->str, "false") == 0))
			*out = sj_bool(a, strcasecmp(v->str, "true") == 0);
		else
			return scim_errset(e, 400, "invalidValue", "%.80s must be true or false", path);
		return *out ? 0 : scim_oom(e);
	case ST_COMPLEX:
		break;
	}
	if (v->type == JSON_STRING || v->type == JSON_NUMBER) {
		/* A bare value where an object belongs: its "value" (Entra's members, manager). */
		const struct scim_attr *val = scim_attr_find(at->sub, at->nsub, "value");
		struct json *o, *s;

		if (val == NULL)
			return scim_errset(e, 400, "invalidValue", "%.80s must be an object", path);
		if (scim_canon_one(a, val, path, v, &s, e) != 0)
			return -1;
		if ((o = sj_object(a)) == NULL || sj_set(a, o, val->name, s) != 0)
			return scim_oom(e);
		*out = o;
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return scim_errset(e, 400, "invalidValue", "%.80s must be an object", path);
	if ((*out = sj_object(a)) == NULL)
		return scim_oom(e);
	for (size_t i = 0; i < v->n; i++) {
		const struct scim_attr	*s = scim_attr_find(at->sub, at->nsub, v->keys[i]);
		struct json		*cv;
		char			 sub[160];

		if (s == NULL || s->mut == SM_READONLY)
			continue;	/* unknown, or the service provider's to say */
		snprintf(sub, sizeof(sub), "%s.%s", path, s->name);
		if (canon_value(a, s, sub, v->items[i], &cv, e) != 0)
			return -1;
		if (cv != NULL && sj_set(a, *out, s->name, cv) != 0)
			return scim_oom(e);
	}
	if ((*out)->n == 0)
		*out = NULL;
	return 0;
}

/* An attribute's value: a list for a multi-valued one (a lone value becomes one). */
static int
canon_value(struct arena *a, const struct scim_attr *at, const char *path, const struct json *v,
    struct json **out, struct scim_err *e)
{
	struct json *arr, *item;

	if (!at->multi)
		return scim_canon_one(a, at, path, v, out, e);
	*out = NULL;
	if (v->type == JSON_NULL)
		return 0;
	if ((arr = sj_array(a)) == NULL)
		return scim_oom(e);
	if (v->type != JSON_ARRAY) {
		if (scim_canon_one(a, at, path, v, &item, e) != 0)
			return -1;
		if (item != NULL && sj_push(a, arr, item) != 0)
			return scim_oom(e);
	} else
		for (size_t i = 0; i < v->n; i++) {
			if (scim_canon_one(a, at, path, v->items[i], &item, e) != 0)
				return -1;
			if (item != NULL && sj_push(a, arr, item) != 0)
				return scim_oom(e);
		}
	*out = arr->n > 0 ? arr : NULL;
	return 0;
}

int
scim_canon_attr(struct arena *a, const struct scim_attr *at, const struct json *v,
    struct json **out, struct scim_err *e)
{
	return canon_value(a, at, at->name, v, out, e);
}

/* Puts the canonical value of attribute at into obj, or drops it (null, empty). */
static int
canon_member(struct arena *a, struct json *obj, const struct scim_attr *at, const struct json *v,
    struct scim_err *e)
{
	struct json *cv;

	if (at->mut == SM_READONLY)
		return 0;
	if (canon_value(a, at, at->name, v, &cv, e) != 0)
		return -1;
	return cv == NULL || sj_set(a, obj, at->name, cv) == 0 ? 0 : scim_oom(e);
}

int
scim_canon(struct arena *a, const struct scim_rtype *t, const struct json *body, struct json **out,
    struct scim_err *e)
{
	struct json *o, *ext = NULL;

	if (body == NULL || body->type != JSON_OBJECT)
		return scim_errset(e, 400, "invalidSyntax", "the request body must be a JSON object");
	if ((o = sj_object(a)) == NULL)
		return scim_oom(e);
	for (size_t i = 0; i < body->n; i++) {
		const char		*k = body->keys[i];
		const struct json	*v = body->items[i];
		const struct scim_attr	*at;
		bool			 in_ext;

		if (strcasecmp(k, "schemas") == 0) {
			if (sj_set(a, o, "schemas", (struct json *)v) != 0)
				return scim_oom(e);
			continue;
		}
		if (t->ext != NULL && strcasecmp(k, t->ext->id) == 0) {
			if (v->type == JSON_NULL)
				continue;
			if (v->type != JSON_OBJECT)
				return scim_errset(e, 400, "invalidValue", "%s must be an object",
				    t->ext->id);
			if (ext == NULL && (ext = sj_object(a)) == NULL)
				return scim_oom(e);
			for (size_t k2 = 0; k2 < v->n; k2++)
				if ((at = scim_attr_find(t->ext->attrs, t->ext->n, v->keys[k2])) != NULL &&
				    canon_member(a, ext, at, v->items[k2], e) != 0)
					return -1;
			continue;
		}
		if ((at = scim_attr_of(t, NULL, k, &in_ext)) == NULL)
			continue;	/* not an attribute Gatehouse keeps: ignored */
		if (canon_member(a, o, at, v, e) != 0)
			return -1;
	}
	if (ext != NULL && ext->n > 0 && sj_set(a, o, t->ext->id, ext) != 0)
		return scim_oom(e);
	*out = o;
	return 0;
}

const struct json *
scim_tree_get(const struct json *tree, const struct scim_rtype *t, const char *path)
{
	char			 buf[160], *name, *dot, *colon;
	const struct json	*base = tree, *v;
	bool			 ext;

	/* Paths come from code (the mapping tables): [uri:]attr[.sub]. */
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return NULL;
	name = buf;
	if ((colon = strrchr(buf, ':')) != NULL) {
		*colon = '\0';
		name = colon + 1;
	}
	if ((dot = strchr(name, '.')) != NULL)
		*dot++ = '\0';
	if (scim_attr_of(t, colon ? buf : NULL, name, &ext) == NULL)
		return NULL;
	if (ext)
		base = sj_get(tree, t->ext->id);
	v = sj_get(base, name);
	return dot != NULL ? sj_get(v, dot) : v;
}

/* --- value filters ------------------------------------------------------------- */

/* Whether needle occurs in hay, ASCII case folded unless exact. */
static bool
contains(const char *hay, const char *needle, bool exact)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if ((exact ? strncmp(hay, needle, n) : strncasecmp(hay, needle, n)) == 0)
			return true;
	return n == 0;
}

bool
scim_match(const struct fnode *f, const struct json *v, const struct scim_attr *sub, size_t nsub)
{
	const struct scim_attr	*at;
	const struct json	*x;
	const char		*text;
	size_t			 tl, vl;
	int			 c;
	bool			 exact;

	switch (f->kind) {
	case FN_AND:
		return scim_match(f->a, v, sub, nsub) && scim_match(f->b, v, sub, nsub);
	case FN_OR:
		return scim_match(f->a, v, sub, nsub) || scim_match(f->b, v, sub, nsub);
	case FN_NOT:
		return !scim_match(f->a, v, sub, nsub);
	case FN_VALUE:
		return false;
	case FN_CMP:
		break;
	}
	at = scim_attr_find(sub, nsub, f->field);
	x = sj_get(v, f->field);
	/* An absent boolean (a value without "primary") is false, as list filters
	 * take it (user_list.c), so a PATCH path finds what a filter found. */
	if ((x == NULL || x->type == JSON_NULL) && at != NULL && at->type == ST_BOOLEAN &&
	    f->op != FOP_PRESENT)
		text = "false";
	else if (x == NULL || x->type == JSON_NULL || x->type == JSON_ARRAY ||
	    x->type == JSON_OBJECT)
		return f->op == FOP_NE;
	else
		text = x->str;
	if (f->op == FOP_PRESENT)
		return *text != '\0';
	exact = at != NULL && at->case_exact;
	tl = strlen(text);
	vl = strlen(f->value);
	switch (f->op) {
	case FOP_CONTAINS:
		return contains(text, f->value, exact);
	case FOP_PREFIX:
		return tl >= vl && (exact ? strncmp(text, f->value, vl) :
		    strncasecmp(text, f->value, vl)) == 0;
	case FOP_SUFFIX:
		return tl >= vl && (exact ? strcmp(text + tl - vl, f->value) :
		    strcasecmp(text + tl - vl, f->value)) == 0;
	default:
		break;
	}
	c = exact || (x != NULL && x->type == JSON_NUMBER) ? strcmp(text, f->value) :
	    strcasecmp(text, f->value);
	switch (f->op) {
	case FOP_EQ:	return c == 0;
	case FOP_NE:	return c != 0;
	case FOP_GT:	return c > 0;
	case FOP_GE:	return c >= 0;
	case FOP_LT:	return c < 0;
	case FOP_LE:	return c <= 0;
	default:	return false;
	}
}

/* --- attribute lists (attributes, excludedAttributes) ----------------------------- */

#define SEL_MAX		64	/* entries of one list */
#define SEL_SUBS	16

/* What a list selects of one attribute: all of it, or some sub-attributes, of some values. */
struct sel {
	const struct scim_attr	*at;
	bool			 ext;		/* in the extension */
	bool			 whole_ext;	/* the extension's URN itself */
	bool			 all;		/* no sub-attribute named */
	const char		*subs[SEL_SUBS];
	size_t			 nsubs;
	struct fnode		*filter;	/* values it applies to; NULL: all */
};

/*
 * Splits a comma-separated list (commas inside [ ] or quotes do not count)
 * and resolves each entry; names that are no attribute are left out.
 */
static int
sel_parse(struct arena *a, const struct scim_rtype *t, const char *list, struct sel *s, size_t *n,
    struct scim_err *e)
{
	const char *p = list;

	*n = 0;
	while (*p) {
		const char	*start, *end;
		bool		 quoted = false;
		int		 depth = 0;
		char		*entry;
		struct fpath	 fp;
		struct core_err	 ce;
		struct sel	*x;

		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		for (; *p && (quoted || depth > 0 || *p != ','); p++) {
			if (*p == '"' && (p == start || p[-1] != '\\'))
				quoted = !quoted;
			else if (!quoted && *p == '[')
				depth++;
			else if (!quoted && *p == ']')
				depth--;
		}
		end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (end == start)
			continue;
		if (*n >= SEL_MAX)
			return scim_errset(e, 400, "invalidValue", "at most %d attributes in a list",
			    SEL_MAX);
		if ((entry = arena_strndup(a, start, (size_t)(end - start))) == NULL)
			return scim_oom(e);
		x = &s[*n];
		memset(x, 0, sizeof(*x));
		if (t->ext != NULL && strcasecmp(entry, t->ext->id) == 0) {
			x->whole_ext = x->all = true;
			(*n)++;
			continue;
		}
		if (filter_scim_path(a, entry, &fp, &ce) != 0)
			return scim_errset(e, 400, strchr(entry, '[') ? "invalidFilter" : "invalidValue",
			    "%.60s: %s", entry, ce.msg);
		if ((x->at = scim_attr_of(t, fp.uri, fp.attr, &x->ext)) == NULL)
			continue;
		if (fp.filter != NULL && !x->at->multi)
			return scim_errset(e, 400, "invalidFilter", "%s has one value: it takes no [filter]",
			    x->at->name);
		x->filter = fp.filter;
		x->all = fp.sub == NULL;
		if (fp.sub != NULL) {
			const struct scim_attr *sa = scim_attr_find(x->at->sub, x->at->nsub, fp.sub);

			if (sa == NULL)
				continue;
			x->subs[x->nsubs++] = sa->name;
		}
		/* The same attribute named again widens the first entry. */
		for (size_t i = 0; i < *n; i++)
			if (s[i].at == x->at && !s[i].whole_ext) {
				s[i].all |= x->all;
				for (size_t k = 0; k < x->nsubs && s[i].nsubs < SEL_SUBS; k++)
					s[i].subs[s[i].nsubs++] = x->subs[k];
				if (s[i].filter != NULL && x->filter != NULL) {
					struct fnode *or = arena_alloc(a, sizeof(*or));

					if (or == NULL)
						return scim_oom(e);
					or->kind = FN_OR;
					or->a = s[i].filter;
					or->b = x->filter;
					s[i].filter = or;
				} else
					s[i].filter = NULL;
				x = NULL;
				break;
			}
		if (x != NULL)
			(*n)++;
	}
	return 0;
}

/* An object with only the named sub-attributes of v (keep) or without them (!keep). */
static struct json *
subset(struct arena *a, const struct json *v, const char *const *subs, size_t n, bool keep)
{
	struct json *o = sj_object(a);

	for (size_t i = 0; o != NULL && i < v->n; i++) {
		bool named = false;

		for (size_t k = 0; k < n; k++)
			named |= strcasecmp(v->keys[i], subs[k]) == 0;
		if (named == keep && sj_set(a, o, v->keys[i], v->items[i]) != 0)
			return NULL;
	}
	return o;
}

/* The value of an attribute as a selection keeps it (keep) or leaves it after exclusion. */
static struct json *
select_value(struct arena *a, const struct sel *s, const struct json *v, bool keep)
{
	struct json *out;

	if (!s->at->multi || v->type != JSON_ARRAY) {
		if (s->all)
			return keep ? (struct json *)v : NULL;
		return v->type == JSON_OBJECT ? subset(a, v, s->subs, s->nsubs, keep) : NULL;
	}
	if ((out = sj_array(a)) == NULL)
		return NULL;
	for (size_t i = 0; i < v->n; i++) {
		const struct json *item = v->items[i];
		bool hit = s->filter == NULL || scim_match(s->filter, item, s->at->sub, s->at->nsub);

		if (!hit) {
			if (!keep && sj_push(a, out, (struct json *)item) != 0)
				return NULL;
			continue;
		}
		if (s->all) {
			if (keep && sj_push(a, out, (struct json *)item) != 0)
				return NULL;
			continue;
		}
		if (item->type == JSON_OBJECT && sj_push(a, out, subset(a, item, s->subs, s->nsubs,
		    keep)) != 0)
			return NULL;
	}
	return out->n > 0 ? out : NULL;
}

/* The selection naming attribute at (in the extension or not), or NULL. */
static const struct sel *
sel_for(const struct sel *s, size_t n, const struct scim_attr *at)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].at == at)
			return &s[i];
	return NULL;
}

static bool
sel_whole_ext(const struct sel *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].whole_ext)
			return true;
	return false;
}

/* Projects the members of one object (the resource, or its extension part). */
static int
project_part(struct arena *a, const struct scim_rtype *t, const struct json *part, bool in_ext,
    const struct sel *s, size_t n, bool keep_listed, struct json *out, struct scim_err *e)
{
	for (size_t i = 0; i < part->n; i++) {
		const struct scim_attr	*at;
		const struct sel	*x;
		struct json		*v;
		bool			 ext;

		if (in_ext)
			at = scim_attr_find(t->ext->attrs, t->ext->n, part->keys[i]);
		else
			at = scim_attr_of(t, NULL, part->keys[i], &ext);
		if (at == NULL || at->ret == SR_NEVER)
			continue;
		x = sel_for(s, n, at);
		v = part->items[i];
		if (at->ret == SR_ALWAYS)
			;		/* whatever the lists say */
		else if (keep_listed) {
			if (x == NULL)
				continue;
			v = select_value(a, x, v, true);
		} else {
			if (at->ret == SR_REQUEST)
				continue;
			if (x != NULL)
				v = select_value(a, x, v, false);
		}
		if (v != NULL && sj_set(a, out, at->name, v) != 0)
			return scim_oom(e);
	}
	return 0;
}

int
scim_project(struct arena *a, const struct scim_rtype *t, const struct json *tree,
    const char *attributes, const char *excluded, struct json **out, struct scim_err *e)
{
	struct sel	*s;
	size_t		 n = 0;
	const char	*list = attributes ? attributes : excluded;
	bool		 keep = attributes != NULL;
	struct json	*o, *ext = NULL;
	const struct json *schemas = sj_get(tree, "schemas");

	if (list == NULL) {
		*out = (struct json *)tree;
		return 0;
	}
	if ((s = arena_alloc(a, SEL_MAX * sizeof(*s))) == NULL || (o = sj_object(a)) == NULL)
		return scim_oom(e);
	if (sel_parse(a, t, list, s, &n, e) != 0)
		return -1;
	if (schemas != NULL && sj_set(a, o, "schemas", (struct json *)schemas) != 0)
		return scim_oom(e);
	if (project_part(a, t, tree, false, s, n, keep, o, e) != 0)
		return -1;
	if (t->ext != NULL) {
		const struct json *part = sj_get(tree, t->ext->id);

		if (part != NULL && (ext = sj_object(a)) == NULL)
			return scim_oom(e);
		if (part != NULL && sel_whole_ext(s, n))
			ext = keep ? (struct json *)part : NULL;
		else if (part != NULL && project_part(a, t, part, true, s, n, keep, ext, e) != 0)
			return -1;
		if (ext != NULL && ext->n > 0 && sj_set(a, o, t->ext->id, ext) != 0)
			return scim_oom(e);
	}
	*out = o;
	return 0;
}

bool
scim_wants(const char *attributes, const char *excluded, const char *name)
{
	size_t		 n = strlen(name);
	const char	*list = attributes ? attributes : excluded, *p;

	if (list == NULL)
		return true;
	/* An entry naming the attribute, alone or with a sub-attribute or filter. */
	for (p = list; *p; p++) {
		bool starts = p == list || p[-1] == ',' || p[-1] == ' ' || p[-1] == ':';
		char c = p[n];

		if (!starts || strncasecmp(p, name, n) != 0)
			continue;
		if (attributes != NULL && (c == '\0' || c == ',' || c == '.' || c == '[' || c == ' '))
			return true;
		if (attributes == NULL && (c == '\0' || c == ',' || c == ' '))
			return false;
	}
	return attributes == NULL;
}
