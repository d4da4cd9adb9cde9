/* native.c: the native API's surface (/api/v1, its dialect and route tables) and the health endpoints. */
#include <string.h>
#include <strings.h>

#include "gatehouse/api.h"
#include "gatehouse/buf.h"
#include "gatehouse/principal.h"
#include "gatehouse/request.h"

#include "native.h"

/* Problem details (RFC 9457) for every failure; the core's are mapped by api_http_status. */
static void
native_error(struct request *r, int status, const char *field, const char *detail)
{
	api_problem(r, status, field, detail);
	if (status == 401)
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"gatehouse\"");
}

const struct dialect dialect_native = {
	.name = "native",
	.prefix = "/api/v1",
	.guard = api_guard_bearer,
	.error = native_error,
};

static void
h_healthz(struct request *r)
{
	struct jsonw w;

	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", "ok");
	jsonw_obj_close(&w);
}

static void
h_readyz(struct request *r)
{
	struct jsonw	 w;
	int		 schema;
	const char	*why = core_ready(&schema);

	api_json_begin(r, why ? 503 : 200, &w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "status", why ? "unavailable" : "ready");
	if (why != NULL)
		jsonw_kstr(&w, "reason", why);
	jsonw_kint(&w, "schema_version", schema);
	jsonw_obj_close(&w);
	if (why != NULL)
		resp_header(r, "Retry-After", "1");
}

static void
h_me(struct request *r)
{
	const struct principal	*p = r->principal;
	struct jsonw		 w;

	api_json_begin(r, 200, &w);
	jsonw_obj_open(&w);
	jsonw_key(&w, "org");
	jsonw_obj_open(&w);
	jsonw_kint(&w, "id", p->org_id);
	jsonw_kstr(&w, "name", p->org_name);
	jsonw_kstr(&w, "tier", p->tier);
	jsonw_obj_close(&w);
	jsonw_key(&w, "user");
	if (p->user_id == 0)
		jsonw_null(&w);
	else {
		jsonw_obj_open(&w);
		jsonw_kstr(&w, "uid", p->user_uid);
		jsonw_kstr(&w, "username", p->username);
		jsonw_kstr(&w, "email", p->email);
		jsonw_obj_close(&w);
	}
	jsonw_kstr(&w, "access_level", level_name(p->level));
	jsonw_key(&w, "key");
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "id", p->key_ref);
	jsonw_key(&w, "scopes");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < p->nscopes; i++)
		jsonw_str(&w, p->scopes[i]);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
}

static const struct route native_routes[] = {
	{ "GET", "/healthz",	h_healthz,	&dialect_native, ROUTE_PUBLIC, 0, NULL, false },
	{ "GET", "/readyz",	h_readyz,	&dialect_native, ROUTE_PUBLIC, 0, NULL, false },
	{ "GET", "/api/v1/me",	h_me,		&dialect_native, LEVEL_GUEST, 0, NULL, false },
};
static const struct route_list native_base = ROUTE_LIST(native_routes);
static const struct route_list *const native_lists[] = {
	&native_base, &native_user_routes, &native_group_routes, &native_org_routes,
	&native_job_routes, NULL,
};

const struct surface surface_native = { &dialect_native, native_lists };
