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

/* Removes item i of an array. */
static void
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

/* A shallow copy of an object or array, so it can change apart from the original. */
static struct json *
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

static int
oom(struct scim_err *e)
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

/* One value of an attribute (one item of a multi-valued one), by its type. */
static int
canon_single(struct arena *a, const struct scim_attr *at, const char *path, const struct json *v,
    struct json **out, struct scim_err *e)
{
	*out = NULL;
	if (v->type == JSON_NULL)
		return 0;
	switch (at->type) {
	case ST_STRING:
	case ST_REFERENCE:
	case ST_DATETIME:
		if (v->type != JSON_STRING && !(v->type == JSON_NUMBER && at->type == ST_STRING))
			return scim_errset(e, 400, "invalidValue", "%.80s must be a string", path);
		if (strlen(v->str) != v->len)
			return scim_errset(e, 400, "invalidValue", "%.80s holds a NUL", path);
		return (*out = sj_str(a, v->str)) ? 0 : oom(e);
	case ST_BOOLEAN:
		/* Entra ID sends "True" and "False". */
		if (v->type == JSON_BOOL)
			*out = sj_bool(a, v->boolean);
		else if (v->type == JSON_STRING && (strcasecmp(v->str, "true") == 0 ||
		    strcasecmp(v->str, "false") == 0))
			*out = sj_bool(a, strcasecmp(v->str, "true") == 0);
		else
			return scim_errset(e, 400, "invalidValue", "%.80s must be true or false", path);
		return *out ? 0 : oom(e);
	case ST_COMPLEX:
		break;
	}
	if (v->type == JSON_STRING || v->type == JSON_NUMBER) {
		/* A bare value where an object belongs: its "value" (Entra's members, manager). */
		const struct scim_attr *val = scim_attr_find(at->sub, at->nsub, "value");
		struct json *o, *s;

		if (val == NULL)
			return scim_errset(e, 400, "invalidValue", "%.80s must be an object", path);
		if (canon_single(a, val, path, v, &s, e) != 0)
			return -1;
		if ((o = sj_object(a)) == NULL || sj_set(a, o, val->name, s) != 0)
			return oom(e);
		*out = o;
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return scim_errset(e, 400, "invalidValue", "%.80s must be an object", path);
	if ((*out = sj_object(a)) == NULL)
		return oom(e);
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
			return oom(e);
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
		return canon_single(a, at, path, v, out, e);
	*out = NULL;
	if (v->type == JSON_NULL)
		return 0;
	if ((arr = sj_array(a)) == NULL)
		return oom(e);
	if (v->type != JSON_ARRAY) {
		if (canon_single(a, at, path, v, &item, e) != 0)
			return -1;
		if (item != NULL && sj_push(a, arr, item) != 0)
			return oom(e);
	} else
		for (size_t i = 0; i < v->n; i++) {
			if (canon_single(a, at, path, v->items[i], &item, e) != 0)
				return -1;
			if (item != NULL && sj_push(a, arr, item) != 0)
				return oom(e);
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
	return cv == NULL || sj_set(a, obj, at->name, cv) == 0 ? 0 : oom(e);
}

int
scim_canon(struct arena *a, const struct scim_rtype *t, const struct json *body, struct json **out,
    struct scim_err *e)
{
	struct json *o, *ext = NULL;

	if (body == NULL || body->type != JSON_OBJECT)
		return scim_errset(e, 400, "invalidSyntax", "the request body must be a JSON object");
	if ((o = sj_object(a)) == NULL)
		return oom(e);
	for (size_t i = 0; i < body->n; i++) {
		const char		*k = body->keys[i];
		const struct json	*v = body->items[i];
		const struct scim_attr	*at;
		bool			 in_ext;

		if (strcasecmp(k, "schemas") == 0) {
			if (sj_set(a, o, "schemas", (struct json *)v) != 0)
				return oom(e);
			continue;
		}
		if (t->ext != NULL && strcasecmp(k, t->ext->id) == 0) {
			if (v->type == JSON_NULL)
				continue;
			if (v->type != JSON_OBJECT)
				return scim_errset(e, 400, "invalidValue", "%s must be an object",
				    t->ext->id);
			if (ext == NULL && (ext = sj_object(a)) == NULL)
				return oom(e);
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
		return oom(e);
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
	if (x == NULL || x->type == JSON_NULL || x->type == JSON_ARRAY || x->type == JSON_OBJECT)
		return f->op == FOP_NE;
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
	c = exact || x->type == JSON_NUMBER ? strcmp(text, f->value) : strcasecmp(text, f->value);
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
			return oom(e);
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
						return oom(e);
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
			return oom(e);
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
		return oom(e);
	if (sel_parse(a, t, list, s, &n, e) != 0)
		return -1;
	if (schemas != NULL && sj_set(a, o, "schemas", (struct json *)schemas) != 0)
		return oom(e);
	if (project_part(a, t, tree, false, s, n, keep, o, e) != 0)
		return -1;
	if (t->ext != NULL) {
		const struct json *part = sj_get(tree, t->ext->id);

		if (part != NULL && (ext = sj_object(a)) == NULL)
			return oom(e);
		if (part != NULL && sel_whole_ext(s, n))
			ext = keep ? (struct json *)part : NULL;
		else if (part != NULL && project_part(a, t, part, true, s, n, keep, ext, e) != 0)
			return -1;
		if (ext != NULL && ext->n > 0 && sj_set(a, o, t->ext->id, ext) != 0)
			return oom(e);
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

/* --- PATCH (RFC 7644 §3.5.2) ---------------------------------------------------- */

enum pop { POP_ADD, POP_REMOVE, POP_REPLACE };

/* Where an operation lands. */
struct target {
	const struct scim_attr	*at;
	const struct scim_attr	*sub;		/* or NULL */
	struct fnode		*filter;	/* or NULL */
	bool			 ext;		/* in the extension part */
	bool			 whole_ext;	/* the extension part itself */
};

/*
 * Resolves a path. Unknown attributes: 1 when lenient (members of a value
 * without a path, which are skipped as on PUT), else invalidPath.
 */
static int
resolve(struct arena *a, const struct scim_rtype *t, const char *path, bool lenient,
    struct target *tg, struct scim_err *e)
{
	struct fpath	fp;
	struct core_err	ce;

	memset(tg, 0, sizeof(*tg));
	if (t->ext != NULL && strcasecmp(path, t->ext->id) == 0) {
		tg->whole_ext = tg->ext = true;
		return 0;
	}
	if (filter_scim_path(a, path, &fp, &ce) != 0)
		return scim_errset(e, 400, strchr(path, '[') ? "invalidFilter" : "invalidPath",
		    "path %.60s: %s", path, ce.msg);
	if ((tg->at = scim_attr_of(t, fp.uri, fp.attr, &tg->ext)) == NULL) {
		if (lenient)
			return 1;
		return scim_errset(e, 400, "invalidPath", "path %.80s names no attribute of %s",
		    path, t->name);
	}
	if (fp.sub != NULL) {
		if (tg->at->type != ST_COMPLEX ||
		    (tg->sub = scim_attr_find(tg->at->sub, tg->at->nsub, fp.sub)) == NULL) {
			if (lenient)
				return 1;
			return scim_errset(e, 400, "invalidPath", "path %.80s names no sub-attribute",
			    path);
		}
	}
	if (fp.filter != NULL && !tg->at->multi)
		return scim_errset(e, 400, "invalidPath", "%s has one value: it takes no [filter]",
		    tg->at->name);
	tg->filter = fp.filter;
	return 0;
}

/* The "attr eq value" comparisons a value filter ANDs, as the members of a new value. */
static int
filter_seed(struct arena *a, const struct fnode *f, const struct scim_attr *at, struct json *o)
{
	const struct scim_attr *s;

	if (f->kind == FN_AND)
		return filter_seed(a, f->a, at, o) == 0 ? filter_seed(a, f->b, at, o) : -1;
	if (f->kind != FN_CMP || f->op != FOP_EQ ||
	    (s = scim_attr_find(at->sub, at->nsub, f->field)) == NULL)
		return -1;
	if (s->type == ST_BOOLEAN)
		return sj_set(a, o, s->name, sj_bool(a, strcasecmp(f->value, "true") == 0));
	return sj_set(a, o, s->name, sj_str(a, f->value));
}

/* Makes v the only primary value when it says it is (RFC 7643 §2.4): others lose the flag. */
static int
one_primary(struct arena *a, struct json *arr, const struct json *v)
{
	const struct json *p = sj_get(v, "primary");

	if (p == NULL || p->type != JSON_BOOL || !p->boolean)
		return 0;
	for (size_t i = 0; i < arr->n; i++) {
		const struct json *q = sj_get(arr->items[i], "primary");

		if (arr->items[i] == v || q == NULL || q->type != JSON_BOOL || !q->boolean)
			continue;
		if ((arr->items[i] = sj_copy(a, arr->items[i])) == NULL ||
		    sj_set(a, arr->items[i], "primary", NULL) != 0)
			return -1;
	}
	return 0;
}

/* Merges the members of object v into object into (copying into, which may be shared). */
static struct json *
merge(struct arena *a, const struct json *into, const struct json *v)
{
	struct json *o = into ? sj_copy(a, into) : sj_object(a);

	for (size_t i = 0; o != NULL && v != NULL && i < v->n; i++)
		if (sj_set(a, o, v->keys[i], v->items[i]) != 0)
			return NULL;
	return o;
}

/* Whether arr holds a value whose "value" equals v's (or, without one, v itself). */
static bool
has_value(const struct json *arr, const struct json *v)
{
	const char *val = sj_text(v, "value");

	for (size_t i = 0; arr != NULL && i < arr->n; i++) {
		const char *other = sj_text(arr->items[i], "value");

		if (val != NULL ? (other != NULL && strcmp(val, other) == 0) :
		    sj_equal(arr->items[i], v))
			return true;
	}
	return false;
}

/* The canonical form of an operation's value for the target. */
static int
op_value(struct arena *a, const struct target *tg, const struct json *v, struct json **out,
    struct scim_err *e)
{
	if (tg->sub != NULL)
		return canon_single(a, tg->sub, tg->sub->name, v, out, e);
	if (tg->filter != NULL)
		return canon_single(a, tg->at, tg->at->name, v, out, e);
	return canon_value(a, tg->at, tg->at->name, v, out, e);
}

/* Applies one operation on a multi-valued attribute with a value filter. */
static int
apply_filtered(struct arena *a, enum pop op, const struct target *tg, struct json *part,
    struct json *cv, struct scim_err *e)
{
	struct json	*arr = sj_get(part, tg->at->name), *fresh;
	size_t		 hits = 0;

	for (size_t i = 0; arr != NULL && i < arr->n; i++) {
		struct json *item = arr->items[i];

		if (!scim_match(tg->filter, item, tg->at->sub, tg->at->nsub))
			continue;
		hits++;
		if (op == POP_REMOVE) {
			if (tg->sub == NULL) {
				sj_drop(arr, i--);
				continue;
			}
			arr->items[i] = item = sj_copy(a, item);
			if (item == NULL || sj_set(a, item, tg->sub->name, NULL) != 0)
				return oom(e);
		} else if (tg->sub != NULL) {
			if ((arr->items[i] = item = sj_copy(a, item)) == NULL ||
			    sj_set(a, item, tg->sub->name, cv) != 0)
				return oom(e);
		} else if ((arr->items[i] = item = op == POP_ADD ? merge(a, item, cv) : cv) == NULL)
			return oom(e);
		if (one_primary(a, arr, item) != 0)
			return oom(e);
	}
	if (hits > 0) {
		if (arr->n == 0)
			sj_set(a, part, tg->at->name, NULL);
		return 0;
	}
	/* Nothing matched: remove and replace have no target, unless replace finds no attribute at all. */
	if (op == POP_REMOVE || (op == POP_REPLACE && arr != NULL))
		return scim_errset(e, 400, "noTarget", "no value of %s matches the filter",
		    tg->at->name);
	/* An add makes the value the filter describes (Entra: emails[type eq "work"].value). */
	if ((fresh = sj_object(a)) == NULL)
		return oom(e);
	if (filter_seed(a, tg->filter, tg->at, fresh) != 0)
		return scim_errset(e, 400, "noTarget",
		    "no value of %s matches the filter, and it does not describe a new one",
		    tg->at->name);
	if (tg->sub != NULL ? sj_set(a, fresh, tg->sub->name, cv) != 0 :
	    (fresh = merge(a, fresh, cv)) == NULL)
		return oom(e);
	if (arr == NULL) {
		if ((arr = sj_array(a)) == NULL || sj_set(a, part, tg->at->name, arr) != 0)
			return oom(e);
	}
	if (sj_push(a, arr, fresh) != 0 || one_primary(a, arr, fresh) != 0)
		return oom(e);
	return 0;
}

/* Applies one operation on a sub-attribute of every value of a multi-valued attribute. */
static int
apply_each(struct arena *a, enum pop op, const struct target *tg, struct json *part,
    struct json *cv, struct scim_err *e)
{
	struct json *arr = sj_get(part, tg->at->name), *item;

	if (arr == NULL || arr->n == 0) {
		if (op == POP_REMOVE)
			return 0;
		if ((arr = sj_array(a)) == NULL || (item = sj_object(a)) == NULL ||
		    sj_set(a, item, tg->sub->name, cv) != 0 || sj_push(a, arr, item) != 0)
			return oom(e);
		return sj_set(a, part, tg->at->name, arr) == 0 ? 0 : oom(e);
	}
	for (size_t i = 0; i < arr->n; i++)
		if ((arr->items[i] = item = sj_copy(a, arr->items[i])) == NULL ||
		    sj_set(a, item, tg->sub->name, op == POP_REMOVE ? NULL : cv) != 0)
			return oom(e);
	return 0;
}

/* Applies one operation on an attribute named without a filter. */
static int
apply_plain(struct arena *a, enum pop op, const struct target *tg, struct json *part,
    struct json *cv, const struct json *raw, struct scim_err *e)
{
	const char	*name = tg->at->name;
	struct json	*cur = sj_get(part, name), *arr;

	if (tg->sub != NULL && tg->at->multi)
		return apply_each(a, op, tg, part, cv, e);
	if (tg->sub != NULL) {
		struct json *o = cur ? sj_copy(a, cur) : sj_object(a);

		if (o == NULL || sj_set(a, o, tg->sub->name, op == POP_REMOVE ? NULL : cv) != 0)
			return oom(e);
		return sj_set(a, part, name, o->n > 0 ? o : NULL) == 0 ? 0 : oom(e);
	}
	if (op == POP_REMOVE) {
		/* Entra removes members by listing them in "value": those, and only those, go. */
		if (raw != NULL && tg->at->multi && cur != NULL && cv != NULL) {
			arr = sj_copy(a, cur);
			for (size_t i = 0; arr != NULL && i < arr->n; i++)
				if (has_value(cv, arr->items[i]))
					sj_drop(arr, i--);
			if (arr == NULL)
				return oom(e);
			return sj_set(a, part, name, arr->n > 0 ? arr : NULL) == 0 ? 0 : oom(e);
		}
		return sj_set(a, part, name, NULL) == 0 ? 0 : oom(e);
	}
	if (cv == NULL)		/* null: replace clears, add adds nothing */
		return op == POP_REPLACE ? (sj_set(a, part, name, NULL) == 0 ? 0 : oom(e)) : 0;
	if (tg->at->multi && op == POP_ADD && cur != NULL) {
		if ((arr = sj_copy(a, cur)) == NULL)
			return oom(e);
		for (size_t i = 0; i < cv->n; i++)
			if (!has_value(arr, cv->items[i]) && (sj_push(a, arr, cv->items[i]) != 0 ||
			    one_primary(a, arr, cv->items[i]) != 0))
				return oom(e);
		return sj_set(a, part, name, arr) == 0 ? 0 : oom(e);
	}
	/* A complex value merges: sub-attributes it does not name are left as they are. */
	if (tg->at->type == ST_COMPLEX && !tg->at->multi && (cv = merge(a, cur, cv)) == NULL)
		return oom(e);
	return sj_set(a, part, name, cv) == 0 ? 0 : oom(e);
}

/* A read-only (or immutable, already set) target may only be "set" to what it is. */
static int
check_mutable(enum pop op, const struct target *tg, const struct json *part,
    const struct json *raw, struct scim_err *e)
{
	const struct scim_attr	*at = tg->sub ? tg->sub : tg->at;
	const struct json	*cur = sj_get(part, tg->at->name);

	if (tg->sub != NULL && cur != NULL && !tg->at->multi)
		cur = sj_get(cur, tg->sub->name);
	if (tg->at->mut != SM_READONLY && at->mut != SM_READONLY &&
	    !(at->mut == SM_IMMUTABLE && op != POP_ADD && tg->sub != NULL && cur != NULL))
		return 0;
	if (op != POP_REMOVE && tg->filter == NULL && raw != NULL && cur != NULL &&
	    (sj_equal(cur, raw) || (raw->type == JSON_STRING && cur->type == JSON_STRING &&
	    strcmp(raw->str, cur->str) == 0)))
		return 1;	/* unchanged: nothing to do */
	return scim_errset(e, 400, "mutability", "%s is %s", at->name,
	    at->mut == SM_IMMUTABLE ? "immutable" : "read-only");
}

static int
apply_path(struct arena *a, const struct scim_rtype *t, struct json *tree, enum pop op,
    const char *path, const struct json *raw, bool lenient, struct scim_err *e)
{
	struct target	 tg;
	struct json	*part = tree, *cv = NULL;
	int		 rc;

	if ((rc = resolve(a, t, path, lenient, &tg, e)) != 0)
		return rc > 0 ? 0 : -1;
	if (tg.whole_ext) {
		if (op == POP_REMOVE)
			return sj_set(a, tree, t->ext->id, NULL) == 0 ? 0 : oom(e);
		if (raw == NULL || raw->type != JSON_OBJECT)
			return scim_errset(e, 400, "invalidValue", "%s takes an object", t->ext->id);
		for (size_t i = 0; i < raw->n; i++) {
			char *p = arena_printf(a, "%s:%s", t->ext->id, raw->keys[i]);

			if (p == NULL)
				return oom(e);
			if (apply_path(a, t, tree, op, p, raw->items[i], true, e) != 0)
				return -1;
		}
		return 0;
	}
	if (tg.ext) {
		struct json *x = sj_get(tree, t->ext->id);

		if ((part = x ? sj_copy(a, x) : sj_object(a)) == NULL)
			return oom(e);
	}
	if ((rc = check_mutable(op, &tg, part, raw, e)) != 0)
		return rc > 0 ? 0 : -1;
	if (op != POP_REMOVE && raw == NULL)
		return scim_errset(e, 400, "invalidValue", "%s needs a value",
		    op == POP_ADD ? "add" : "replace");
	if (raw != NULL && op_value(a, &tg, raw, &cv, e) != 0)
		return -1;
	if (tg.filter != NULL) {
		if (op != POP_REMOVE && cv == NULL)
			return scim_errset(e, 400, "invalidValue", "%s needs a value", tg.at->name);
		rc = apply_filtered(a, op, &tg, part, cv, e);
	} else
		rc = apply_plain(a, op, &tg, part, cv, raw, e);
	if (rc != 0)
		return -1;
	if (tg.ext && sj_set(a, tree, t->ext->id, part->n > 0 ? part : NULL) != 0)
		return oom(e);
	return 0;
}

int
scim_patch(struct arena *a, const struct scim_rtype *t, struct json *tree, const struct json *body,
    struct scim_err *e)
{
	static const char *const names[] = { [POP_ADD] = "add", [POP_REMOVE] = "remove",
		[POP_REPLACE] = "replace" };
	const struct json *ops;

	if (body == NULL || body->type != JSON_OBJECT)
		return scim_errset(e, 400, "invalidSyntax", "the request body must be a PatchOp");
	if (scim_schemas_check(body, URN_PATCH, e) != 0)
		return -1;
	if ((ops = sj_get(body, "Operations")) == NULL || ops->type != JSON_ARRAY || ops->n == 0)
		return scim_errset(e, 400, "invalidSyntax", "Operations must be a non-empty list");
	if (ops->n > SCIM_MAX_OPERATIONS)
		return scim_errset(e, 400, "tooMany", "at most %d operations in one PATCH",
		    SCIM_MAX_OPERATIONS);
	for (size_t i = 0; i < ops->n; i++) {
		const struct json	*o = ops->items[i], *value;
		const char		*opname = sj_text(o, "op"), *path = sj_text(o, "path");
		int			 op = -1;

		for (int k = 0; opname != NULL && k < 3; k++)
			if (strcasecmp(opname, names[k]) == 0)
				op = k;
		if (o->type != JSON_OBJECT || op < 0)
			return scim_errset(e, 400, "invalidSyntax",
			    "Operations[%zu].op must be add, remove or replace", i);
		if (sj_get(o, "path") != NULL && path == NULL)
			return scim_errset(e, 400, "invalidPath", "Operations[%zu].path must be a string",
			    i);
		value = sj_get(o, "value");
		if (path != NULL) {
			if (apply_path(a, t, tree, (enum pop)op, path, value, false, e) != 0)
				return -1;
			continue;
		}
		/* No path: the value's members are the attributes, each a path of its own. */
		if (op == POP_REMOVE)
			return scim_errset(e, 400, "noTarget", "remove needs a path");
		if (value == NULL || value->type != JSON_OBJECT)
			return scim_errset(e, 400, "invalidValue",
			    "%s without a path takes an object of attributes", names[op]);
		for (size_t k = 0; k < value->n; k++) {
			if (strcasecmp(value->keys[k], "schemas") == 0)
				continue;
			if (apply_path(a, t, tree, (enum pop)op, value->keys[k], value->items[k], true,
			    e) != 0)
				return -1;
		}
	}
	return 0;
}
