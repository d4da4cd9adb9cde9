/*
 * fuzz-query.c: libFuzzer harness for the query-string path. The input is
 * parsed as a query string with form_parse, then used as REQUEST_URI (first
 * byte picks the method) through req_init, router_match and router_dispatch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/params.h"
#include "gatehouse/request.h"
#include "gatehouse/router.h"

static const struct parse_limits lim = {
	.max_fields = 32, .max_field_len = 256, .max_depth = 8, .max_nodes = 256,
};

static int	seen_status;

static int
guard(struct request *r)
{
	(void)r;
	return 0;
}

static void
error(struct request *r, int status, const char *field, const char *detail)
{
	if (status < 400 || status > 499 || detail == NULL ||
	    (field != NULL && strlen(field) > 63))
		abort();
	seen_status = status;
	resp_start(r, status, "application/json");
}

/* Path parameters must be non-empty, NUL-free and decoded. */
static void
handler(struct request *r)
{
	if (r->npath > REQ_MAX_PATH_PARAMS)
		abort();
	for (size_t i = 0; i < r->npath; i++)
		if (r->path_names[i] == NULL || r->path_values[i] == NULL ||
		    r->path_values[i][0] == '\0' ||
		    req_path_param(r, r->path_names[i]) == NULL)
			abort();
	for (size_t i = 0; i < r->params.n; i++)
		if (strlen(r->params.v[i].value) != r->params.v[i].len)
			abort();
	seen_status = 200;
}

static const struct dialect api = { "api", "/api", guard, error };
static const struct dialect web = { "web", "", guard, error };

static const struct route routes[] = {
	{ "GET",	"/",					handler, &web, ROUTE_PUBLIC, 0 },
	{ "GET",	"/users",				handler, &web, ROUTE_PUBLIC, 0 },
	{ "POST",	"/users",				handler, &web, ROUTE_PUBLIC, 0 },
	{ "GET",	"/users/{uid}",				handler, &web, ROUTE_PUBLIC, 0 },
	{ "DELETE",	"/users/{uid}",				handler, &web, ROUTE_PUBLIC, 0 },
	{ "GET",	"/api/v1/orgs/{org}/users/{uid}",	handler, &api, 1, 0 },
	{ "PUT",	"/api/v1/orgs/{org}/keys/{kid}",	handler, &api, 1, 0 },
	{ "GET",	"/api/v1/{a}/{b}/{c}/{d}",		handler, &api, 1, 0 },
};
static const struct dialect *dialects[] = { &api };
static const struct route_table table = {
	routes, sizeof(routes) / sizeof(routes[0]), dialects, 1, &web
};

static const char *const methods[] = { "GET", "HEAD", "POST", "DELETE", "PUT", "PATCH" };

static ssize_t
no_body(void *io, char *buf, size_t n)
{
	(void)io;
	(void)buf;
	(void)n;
	abort();	/* no CONTENT_LENGTH: the body must never be read */
}

static void
query_as_form(const uint8_t *data, size_t size)
{
	struct arena		a;
	struct params		p;
	struct parse_error	e;

	arena_init(&a, 256 * 1024);
	memset(&p, 0, sizeof(p));
	if (form_parse(&a, &p, &lim, (const char *)data, size, &e) == PARSE_OK)
		for (size_t i = 0; i < p.n; i++)
			if (p.v[i].name[0] == '\0' || strlen(p.v[i].value) != p.v[i].len)
				abort();
	arena_free(&a);
}

static void
uri_through_router(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct buf	 hdr, out;
	struct request	 r;
	char		*uri, *method, allow[128];
	char		*env[4];
	size_t		 ulen;

	if (size == 0)
		return;
	ulen = strnlen((const char *)data + 1, size - 1);
	if ((uri = malloc(ulen + sizeof("REQUEST_URI="))) == NULL)
		return;
	memcpy(uri, "REQUEST_URI=", 12);
	memcpy(uri + 12, data + 1, ulen);
	uri[12 + ulen] = '\0';
	if ((method = malloc(32)) == NULL) {
		free(uri);
		return;
	}
	snprintf(method, 32, "REQUEST_METHOD=%s", methods[data[0] % 6]);
	env[0] = method;
	env[1] = uri;
	env[2] = (char *)"HTTP_X_REQUEST_ID=fuzz";
	env[3] = NULL;

	arena_init(&a, 256 * 1024);
	buf_init(&hdr);
	buf_init(&out);

	req_init(&r, &a, env, no_body, NULL, &hdr, &out);
	if (r.path == NULL || r.path[0] == '\0' || r.query == NULL || strchr(r.path, '?'))
		abort();
	switch (router_match(&table, &r, allow, sizeof(allow))) {
	case ROUTE_FOUND:
		if (r.route == NULL)
			abort();
		break;
	case ROUTE_BAD_METHOD:
		if (allow[0] == '\0' || memchr(allow, '\0', sizeof(allow)) == NULL)
			abort();
		break;
	case ROUTE_NOT_FOUND:
		break;
	}

	/* Dispatch again on a fresh request, as the server would. */
	arena_reset(&a);
	seen_status = 0;
	req_init(&r, &a, env, no_body, NULL, &hdr, &out);
	router_dispatch(&table, &r, 1024, &lim);
	if (seen_status == 0)
		abort();

	buf_free(&hdr);
	buf_free(&out);
	arena_free(&a);
	free(uri);
	free(method);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	query_as_form(data, size);
	uri_through_router(data, size);
	return 0;
}
