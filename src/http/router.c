/* router.c: matches method and path against a static route table and runs the request through it. */
#include <stdio.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/router.h"

/*
 * Compares one pattern against the raw path segment by segment. `{name}`
 * segments capture the percent-decoded segment. Returns 1 on a match.
 */
static int
pattern_match(const char *pat, const char *path, struct request *r, bool capture)
{
	size_t np = 0;

	while (*pat == '/' && *path == '/') {
		const char *ps = ++pat, *pe = strchr(ps, '/');
		const char *ss = ++path, *se = strchr(ss, '/');
		size_t plen, slen;

		if (pe == NULL)
			pe = ps + strlen(ps);
		if (se == NULL)
			se = ss + strlen(ss);
		plen = (size_t)(pe - ps);
		slen = (size_t)(se - ss);
		if (plen >= 2 && ps[0] == '{' && ps[plen - 1] == '}') {
			char *val;
			size_t vlen;

			if (slen == 0 || np >= REQ_MAX_PATH_PARAMS)
				return 0;
			if (capture) {
				if ((val = arena_alloc(r->arena, slen + 1)) == NULL ||
				    url_decode(ss, slen, val, &vlen, false) != 0 ||
				    memchr(val, '\0', vlen) != NULL || vlen == 0)
					return 0;
				r->path_names[np] = arena_strndup(r->arena, ps + 1, plen - 2);
				r->path_values[np] = val;
				if (r->path_names[np] == NULL)
					return 0;
			}
			np++;
		} else if (plen != slen || memcmp(ps, ss, plen) != 0)
			return 0;
		pat = pe;
		path = se;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	if (capture)
		r->npath = np;
	return 1;
}

enum route_result
router_match(const struct route_table *t, struct request *r, char *allow, size_t allowsz)
{
	const char	*m = r->head ? "GET" : r->method;
	size_t		 alen = 0;
	bool		 path_seen = false;

	allow[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct route *rt = &t->routes[i];

		/* Capturing also decodes, so an undecodable parameter matches no method (404). */
		if (!pattern_match(rt->pattern, r->path, r, true))
			continue;
		if (strcmp(rt->method, m) == 0) {
			r->route = rt;
			return ROUTE_FOUND;
		}
		path_seen = true;
		if (strstr(allow, rt->method) == NULL) {
			int n = snprintf(allow + alen, allowsz - alen, "%s%s", alen ? ", " : "", rt->method);

			if (n > 0 && (size_t)n < allowsz - alen)
				alen += (size_t)n;
			if (strcmp(rt->method, "GET") == 0 && alen + 6 < allowsz) {
				memcpy(allow + alen, ", HEAD", 7);
				alen += 6;
			}
		}
	}
	return path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *const route_any_shape[] = { "*", NULL };

static bool
listed(const char *const *names, const char *name)
{
	if (names == route_any_shape)
		return true;
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return true;
	return false;
}

static int
shape_fail(struct parse_error *e, const char *field, const char *what)
{
	e->status = PARSE_SYNTAX;
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->msg, sizeof(e->msg), "%.64s %s", field, what);
	return -1;
}

int
route_shape_check(const struct route *rt, const struct request *r, struct parse_error *e)
{
	const struct json *j = r->json;

	memset(e, 0, sizeof(*e));
	if (j != NULL && j->type != JSON_OBJECT && !(j->type == JSON_ARRAY && rt->array_body)) {
		e->status = PARSE_SYNTAX;
		snprintf(e->msg, sizeof(e->msg), "the request body must be a JSON object");
		return -1;
	}
	for (size_t i = 0; j != NULL && j->type == JSON_OBJECT && i < j->n; i++) {
		enum json_type t = j->items[i]->type;

		if ((t == JSON_ARRAY || t == JSON_OBJECT) && !listed(rt->lists, j->keys[i]))
			return shape_fail(e, j->keys[i], t == JSON_ARRAY ?
			    "must be a single value, not a list" : "must be a single value, not an object");
	}
	/* The parameter view holds query, form and JSON fields alike: a name seen twice is refused. */
	for (size_t i = 1; i < r->params.n; i++) {
		const char *name = r->params.v[i].name;

		if (listed(rt->lists, name))
			continue;
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->params.v[k].name, name) == 0)
				return shape_fail(e, name, "must be given once");
	}
	return 0;
}

/* The dialect whose prefix is the longest match of the path, for errors of unmatched paths. */
static const struct dialect *
dialect_for_path(const struct route_table *t, const char *path)
{
	const struct dialect	*best = t->fallback;
	size_t			 bestlen = 0;

	for (size_t i = 0; i < t->ndialects; i++) {
		size_t n = strlen(t->dialects[i]->prefix);

		if (n > bestlen && strncmp(path, t->dialects[i]->prefix, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0')) {
			best = t->dialects[i];
			bestlen = n;
		}
	}
	return best;
}

/*
 * The dialect of a path some route knows (with another method): the
 * route's own, so a page answers a wrong method with a page. Else by prefix.
 */
static const struct dialect *
dialect_of_known_path(const struct route_table *t, struct request *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (pattern_match(t->routes[i].pattern, r->path, r, false))
			return t->routes[i].dialect;
	return dialect_for_path(t, r->path);
}

void
router_dispatch(const struct route_table *t, struct request *r, size_t max_body,
    const struct parse_limits *lim)
{
	const struct dialect	*d;
	struct parse_error	 pe;
	char			 allow[128];
	int			 st;

	switch (router_match(t, r, allow, sizeof(allow))) {
	case ROUTE_NOT_FOUND:
		dialect_for_path(t, r->path)->error(r, 404, NULL, "no such resource");
		return;
	case ROUTE_BAD_METHOD:
		d = dialect_of_known_path(t, r);
		d->error(r, 405, NULL, "method not allowed on this resource");
		resp_header(r, "Allow", allow);
		return;
	case ROUTE_FOUND:
		break;
	}
	d = r->route->dialect;
	if ((st = req_parse(r, max_body, lim, &pe)) != 0) {
		d->error(r, st, pe.field[0] ? pe.field : NULL, pe.msg);
		return;
	}
	if (d->guard(r) != 0)
		return;
	if (route_shape_check(r->route, r, &pe) != 0) {
		d->error(r, 400, pe.field[0] ? pe.field : NULL, pe.msg);
		return;
	}
	r->route->handler(r);
}
