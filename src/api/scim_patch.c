/*
 * scim_patch.c: PATCH (RFC 7644 §3.5.2) on a SCIM tree — paths with value
 * filters and sub-attributes, add, remove and replace as the RFC defines
 * them, what identity providers add to it (op in any case, "True"/"False",
 * members removed by listing them, a value filter that describes a value
 * to add), and mutability. The operations of a body, in order, for any
 * resource (scim_patch_each); users apply them to a tree, groups turn them
 * into group changes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/filter.h"
#include "gatehouse/json.h"

#include "scim.h"

/* --- PATCH (RFC 7644 §3.5.2) ---------------------------------------------------- */

/* Where an operation lands. */
struct target {
	const struct scim_attr	*at;
	const struct scim_attr	*sub;		/* or NULL */
	struct fnode		*filter;	/* or NULL */
	bool			 ext;		/* in the extension part */
	bool			 whole_ext;	/* the extension part itself */
};

/*
 * Resolves a path. An attribute the resource does not keep: 1, skipped as on
 * POST and PUT, with a path or without (Entra sends each mapped attribute as a
 * path of its own, nickName and roles among them, and one such op must not
 * fail the real changes beside it). An unknown sub-attribute of a kept one: 1
 * when lenient (members of a value without a path), else invalidPath.
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
	if ((tg->at = scim_attr_of(t, fp.uri, fp.attr, &tg->ext)) == NULL)
		return 1;
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
		return scim_canon_one(a, tg->sub, tg->sub->name, v, out, e);
	if (tg->filter != NULL)
		return scim_canon_one(a, tg->at, tg->at->name, v, out, e);
	return scim_canon_attr(a, tg->at, v, out, e);
}

/* Applies one operation on a multi-valued attribute with a value filter. */
static int
apply_filtered(struct arena *a, enum scim_op op, const struct target *tg, struct json *part,
    struct json *cv, struct scim_err *e)
{
	struct json	*arr = sj_get(part, tg->at->name), *fresh;
	size_t		 hits = 0;

	for (size_t i = 0; arr != NULL && i < arr->n; i++) {
		struct json *item = arr->items[i];

		if (!scim_match(tg->filter, item, tg->at->sub, tg->at->nsub))
			continue;
		hits++;
		if (op == SOP_REMOVE) {
			if (tg->sub == NULL) {
				sj_drop(arr, i--);
				continue;
			}
			arr->items[i] = item = sj_copy(a, item);
			if (item == NULL || sj_set(a, item, tg->sub->name, NULL) != 0)
				return scim_oom(e);
		} else if (tg->sub != NULL) {
			if ((arr->items[i] = item = sj_copy(a, item)) == NULL ||
			    sj_set(a, item, tg->sub->name, cv) != 0)
				return scim_oom(e);
		} else if ((arr->items[i] = item = op == SOP_ADD ? merge(a, item, cv) : cv) == NULL)
			return scim_oom(e);
		if (one_primary(a, arr, item) != 0)
			return scim_oom(e);
	}
	if (hits > 0) {
		if (arr->n == 0)
			sj_set(a, part, tg->at->name, NULL);
		return 0;
	}
	/* Nothing matched: remove and replace have no target, unless replace finds no attribute at all. */
	if (op == SOP_REMOVE || (op == SOP_REPLACE && arr != NULL))
		return scim_errset(e, 400, "noTarget", "no value of %s matches the filter",
		    tg->at->name);
	/* An add makes the value the filter describes (Entra: emails[type eq "work"].value). */
	if ((fresh = sj_object(a)) == NULL)
		return scim_oom(e);
	if (filter_seed(a, tg->filter, tg->at, fresh) != 0)
		return scim_errset(e, 400, "noTarget",
		    "no value of %s matches the filter, and it does not describe a new one",
		    tg->at->name);
	if (tg->sub != NULL ? sj_set(a, fresh, tg->sub->name, cv) != 0 :
	    (fresh = merge(a, fresh, cv)) == NULL)
		return scim_oom(e);
	if (arr == NULL) {
		if ((arr = sj_array(a)) == NULL || sj_set(a, part, tg->at->name, arr) != 0)
			return scim_oom(e);
	}
	if (sj_push(a, arr, fresh) != 0 || one_primary(a, arr, fresh) != 0)
		return scim_oom(e);
	return 0;
}

/* Applies one operation on a sub-attribute of every value of a multi-valued attribute. */
static int
apply_each(struct arena *a, enum scim_op op, const struct target *tg, struct json *part,
    struct json *cv, struct scim_err *e)
{
	struct json *arr = sj_get(part, tg->at->name), *item;

	if (arr == NULL || arr->n == 0) {
		if (op == SOP_REMOVE)
			return 0;
		if ((arr = sj_array(a)) == NULL || (item = sj_object(a)) == NULL ||
		    sj_set(a, item, tg->sub->name, cv) != 0 || sj_push(a, arr, item) != 0)
			return scim_oom(e);
		return sj_set(a, part, tg->at->name, arr) == 0 ? 0 : scim_oom(e);
	}
	for (size_t i = 0; i < arr->n; i++)
		if ((arr->items[i] = item = sj_copy(a, arr->items[i])) == NULL ||
		    sj_set(a, item, tg->sub->name, op == SOP_REMOVE ? NULL : cv) != 0)
			return scim_oom(e);
	return 0;
}

/* Applies one operation on an attribute named without a filter. */
static int
apply_plain(struct arena *a, enum scim_op op, const struct target *tg, struct json *part,
    struct json *cv, const struct json *raw, struct scim_err *e)
{
	const char	*name = tg->at->name;
	struct json	*cur = sj_get(part, name), *arr;

	if (tg->sub != NULL && tg->at->multi)
		return apply_each(a, op, tg, part, cv, e);
	if (tg->sub != NULL) {
		struct json *o = cur ? sj_copy(a, cur) : sj_object(a);

		if (o == NULL || sj_set(a, o, tg->sub->name, op == SOP_REMOVE ? NULL : cv) != 0)
			return scim_oom(e);
		return sj_set(a, part, name, o->n > 0 ? o : NULL) == 0 ? 0 : scim_oom(e);
	}
	if (op == SOP_REMOVE) {
		/* Entra removes members by listing them in "value": those, and only those, go. */
		if (raw != NULL && tg->at->multi && cur != NULL && cv != NULL) {
			arr = sj_copy(a, cur);
			for (size_t i = 0; arr != NULL && i < arr->n; i++)
				if (has_value(cv, arr->items[i]))
					sj_drop(arr, i--);
			if (arr == NULL)
				return scim_oom(e);
			return sj_set(a, part, name, arr->n > 0 ? arr : NULL) == 0 ? 0 : scim_oom(e);
		}
		return sj_set(a, part, name, NULL) == 0 ? 0 : scim_oom(e);
	}
	if (cv == NULL)		/* null: replace clears, add adds nothing */
		return op == SOP_REPLACE ? (sj_set(a, part, name, NULL) == 0 ? 0 : scim_oom(e)) : 0;
	if (tg->at->multi && op == SOP_ADD && cur != NULL) {
		if ((arr = sj_copy(a, cur)) == NULL)
			return scim_oom(e);
		for (size_t i = 0; i < cv->n; i++)
			if (!has_value(arr, cv->items[i]) && (sj_push(a, arr, cv->items[i]) != 0 ||
			    one_primary(a, arr, cv->items[i]) != 0))
				return scim_oom(e);
		return sj_set(a, part, name, arr) == 0 ? 0 : scim_oom(e);
	}
	/* A complex value merges: sub-attributes it does not name are left as they are. */
	if (tg->at->type == ST_COMPLEX && !tg->at->multi && (cv = merge(a, cur, cv)) == NULL)
		return scim_oom(e);
	return sj_set(a, part, name, cv) == 0 ? 0 : scim_oom(e);
}

/* A read-only (or immutable, already set) target may only be "set" to what it is. */
static int
check_mutable(enum scim_op op, const struct target *tg, const struct json *part,
    const struct json *raw, struct scim_err *e)
{
	const struct scim_attr	*at = tg->sub ? tg->sub : tg->at;
	const struct json	*cur = sj_get(part, tg->at->name);

	if (tg->sub != NULL && cur != NULL && !tg->at->multi)
		cur = sj_get(cur, tg->sub->name);
	if (tg->at->mut != SM_READONLY && at->mut != SM_READONLY &&
	    !(at->mut == SM_IMMUTABLE && op != SOP_ADD && tg->sub != NULL && cur != NULL))
		return 0;
	if (op != SOP_REMOVE && tg->filter == NULL && raw != NULL && cur != NULL &&
	    (sj_equal(cur, raw) || (raw->type == JSON_STRING && cur->type == JSON_STRING &&
	    strcmp(raw->str, cur->str) == 0)))
		return 1;	/* unchanged: nothing to do */
	return scim_errset(e, 400, "mutability", "%s is %s", at->name,
	    at->mut == SM_IMMUTABLE ? "immutable" : "read-only");
}

static int
apply_path(struct arena *a, const struct scim_rtype *t, struct json *tree, enum scim_op op,
    const char *path, const struct json *raw, bool lenient, struct scim_err *e)
{
	struct target	 tg;
	struct json	*part = tree, *cv = NULL;
	int		 rc;

	if ((rc = resolve(a, t, path, lenient, &tg, e)) != 0)
		return rc > 0 ? 0 : -1;
	if (tg.whole_ext) {
		if (op == SOP_REMOVE)
			return sj_set(a, tree, t->ext->id, NULL) == 0 ? 0 : scim_oom(e);
		if (raw == NULL || raw->type != JSON_OBJECT)
			return scim_errset(e, 400, "invalidValue", "%s takes an object", t->ext->id);
		for (size_t i = 0; i < raw->n; i++) {
			char *p = arena_printf(a, "%s:%s", t->ext->id, raw->keys[i]);

			if (p == NULL)
				return scim_oom(e);
			if (apply_path(a, t, tree, op, p, raw->items[i], true, e) != 0)
				return -1;
		}
		return 0;
	}
	if (tg.ext) {
		struct json *x = sj_get(tree, t->ext->id);

		if ((part = x ? sj_copy(a, x) : sj_object(a)) == NULL)
			return scim_oom(e);
	}
	/* A value says which values of a multi-valued attribute go; one with a
	 * single value goes whole, whatever a remove carries (Entra sends the
	 * manager it removes). */
	if (op == SOP_REMOVE && !tg.at->multi)
		raw = NULL;
	if ((rc = check_mutable(op, &tg, part, raw, e)) != 0)
		return rc > 0 ? 0 : -1;
	if (op != SOP_REMOVE && raw == NULL)
		return scim_errset(e, 400, "invalidValue", "%s needs a value",
		    op == SOP_ADD ? "add" : "replace");
	if (raw != NULL && op_value(a, &tg, raw, &cv, e) != 0)
		return -1;
	if (tg.filter != NULL) {
		if (op != SOP_REMOVE && cv == NULL)
			return scim_errset(e, 400, "invalidValue", "%s needs a value", tg.at->name);
		rc = apply_filtered(a, op, &tg, part, cv, e);
	} else
		rc = apply_plain(a, op, &tg, part, cv, raw, e);
	if (rc != 0)
		return -1;
	if (tg.ext && sj_set(a, tree, t->ext->id, part->n > 0 ? part : NULL) != 0)
		return scim_oom(e);
	return 0;
}

/* The tree being patched, for the operation callback. */
struct patching {
	struct arena		 *a;
	const struct scim_rtype	 *t;
	struct json		 *tree;
};

static int
patch_op(void *ctx, enum scim_op op, const char *path, const struct json *value, bool lenient,
    struct scim_err *e)
{
	struct patching *p = ctx;

	return apply_path(p->a, p->t, p->tree, op, path, value, lenient, e);
}

int
scim_patch(struct arena *a, const struct scim_rtype *t, struct json *tree, const struct json *body,
    struct scim_err *e)
{
	struct patching p = { a, t, tree };

	return scim_patch_each(body, patch_op, &p, e);
}

int
scim_patch_each(const struct json *body, scim_op_fn fn, void *ctx, struct scim_err *e)
{
	static const char *const names[] = { [SOP_ADD] = "add", [SOP_REMOVE] = "remove",
		[SOP_REPLACE] = "replace" };
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
		const struct json	*o = ops->items[i], *value = sj_get(o, "value");
		const struct json	*pj = sj_get(o, "path");
		const char		*opname = sj_text(o, "op"), *path = sj_text(o, "path");
		int			 op = -1;

		for (int k = 0; opname != NULL && k < 3; k++)
			if (strcasecmp(opname, names[k]) == 0)
				op = k;
		if (o->type != JSON_OBJECT || op < 0)
			return scim_errset(e, 400, "invalidSyntax",
			    "Operations[%zu].op must be add, remove or replace", i);
		/* "path": null is no path, as some clients write it. */
		if (pj != NULL && pj->type != JSON_NULL && path == NULL)
			return scim_errset(e, 400, "invalidPath", "Operations[%zu].path must be a string",
			    i);
		if (path != NULL) {
			if (fn(ctx, (enum scim_op)op, path, value, false, e) != 0)
				return -1;
			continue;
		}
		/* No path: the value's members are the attributes, each a path of its own. */
		if (op == SOP_REMOVE)
			return scim_errset(e, 400, "noTarget", "remove needs a path");
		if (value == NULL || value->type != JSON_OBJECT)
			return scim_errset(e, 400, "invalidValue",
			    "%s without a path takes an object of attributes", names[op]);
		for (size_t k = 0; k < value->n; k++)
			if (strcasecmp(value->keys[k], "schemas") != 0 &&
			    fn(ctx, (enum scim_op)op, value->keys[k], value->items[k], true, e) != 0)
				return -1;
	}
	return 0;
}
