/* common.c: what every surface shares — key authentication, level checks, problem+json. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/apikey.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/json.h"
#include "gatehouse/principal.h"
#include "gatehouse/request.h"

void
api_json_begin(struct request *r, int status, struct jsonw *w)
{
	resp_start(r, status, "application/json");
	jsonw_init(w, r->out);
}

void
api_bad(struct request *r, const char *field, const char *msg)
{
	r->route->dialect->error(r, 400, field, msg);
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
	const char	*unknown = NULL;
	char		 msg[96];

	for (size_t i = 0; i < r->params.n && unknown == NULL; i++)
		if (!listed(known, r->params.v[i].name))
			unknown = r->params.v[i].name;
	/* JSON members of any type: nested ones are not in the parameter view. */
	for (size_t i = 0; r->json && r->json->type == JSON_OBJECT && i < r->json->n; i++)
		if (unknown == NULL && !listed(known, r->json->keys[i]))
			unknown = r->json->keys[i];
	if (unknown == NULL)
		return 0;
	snprintf(msg, sizeof(msg), "unknown field %.64s", unknown);
	api_bad(r, unknown, msg);
	return -1;
}

int
api_int(struct request *r, const char *name, long min, long max, long *out)
{
	const char	*v = req_param(r, name);
	char		*end, msg[160];
	long		 n;

	if (v == NULL)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	/* Digits (and a leading '-') only: strtol would also take " 5" and "+5". */
	if (!(isdigit((unsigned char)v[0]) || (v[0] == '-' && isdigit((unsigned char)v[1]))) ||
	    *end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(msg, sizeof(msg), "%.64s must be a whole number from %ld to %ld", name, min, max);
		api_bad(r, name, msg);
		return -1;
	}
	*out = n;
	return 0;
}

int
api_bool(struct request *r, const char *name, bool dflt, bool *out)
{
	const char *v = req_param(r, name);
	char msg[96];

	*out = dflt;
	if (v == NULL)
		return 0;
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else {
		snprintf(msg, sizeof(msg), "%.64s must be true or false", name);
		api_bad(r, name, msg);
		return -1;
	}
	return 0;
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
	if (status == 503)
		resp_header(r, "Retry-After", "1");
}

void
api_core_error(struct request *r, const struct core_err *e)
{
	const struct dialect *d = r->route ? r->route->dialect : &dialect_native;

	d->error(r, core_http_status(e->status), e->field[0] ? e->field : NULL, e->msg);
}

int
api_authenticate_key(struct request *r, const char *key)
{
	const struct dialect	*d = r->route->dialect;
	struct principal	*p;

	if (key == NULL || *key == '\0') {
		d->error(r, 401, NULL, "an API key is required");
		return -1;
	}
	if ((p = arena_alloc(r->arena, sizeof(*p))) == NULL) {
		d->error(r, 500, NULL, "out of memory");
		return -1;
	}
	switch (apikey_authenticate(r->arena, key, p)) {
	case APIKEY_OK:
		break;
	case APIKEY_UNAVAILABLE:
		d->error(r, 503, NULL, "database unavailable, try again");
		return -1;
	case APIKEY_INVALID:
		d->error(r, 401, NULL, "invalid API key");
		return -1;
	}
	r->principal = p;
	if (r->route->need != ROUTE_PUBLIC && (int)p->level < r->route->need) {
		char msg[96];

		snprintf(msg, sizeof(msg), "this needs access level %s",
		    level_name((enum level)r->route->need));
		d->error(r, 403, NULL, msg);
		return -1;
	}
	return 0;
}

int
api_routes(struct route_table *t)
{
	/* Every surface: its dialect (for errors on unmatched paths) and its routes. */
	static const struct dialect *dialects[] = { &dialect_native };
	static const struct { const struct route *r; const size_t *n; } parts[] = {
		{ native_routes, &native_nroutes },
		{ native_user_routes, &native_user_nroutes },
		{ native_group_routes, &native_group_nroutes },
		{ native_org_routes, &native_org_nroutes },
	};
	struct route	*all;
	size_t		 n = 0, off = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		n += *parts[i].n;
	if ((all = calloc(n, sizeof(*all))) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		memcpy(all + off, parts[i].r, *parts[i].n * sizeof(*all));
		off += *parts[i].n;
	}
	t->routes = all;
	t->n = off;
	t->dialects = dialects;
	t->ndialects = sizeof(dialects) / sizeof(dialects[0]);
	t->fallback = &dialect_native;
	return 0;
}
