/*
 * test-surface.c: a surface is one file. This one lives only in the test
 * program: a dialect with its own error hooks and one route table, listed
 * in a surface table of its own, answering through the shared helpers of
 * src/api/common.c. If adding a surface needed anything else, this would
 * not build or not answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/json.h"
#include "gatehouse/request.h"
#include "gatehouse/users.h"

/* --- the surface under test ------------------------------------------------------- */

static struct {
	int		 transport_status;	/* error(): by HTTP status */
	struct core_err	 fail;			/* fail(): the core's failure itself */
	int		 fails;
} seen;

static int
test_guard(struct request *r)
{
	(void)r;
	return 0;
}

/* Transport failures (404, 405, parse and shape errors) in this dialect's shape. */
static void
test_error(struct request *r, int status, const char *field, const char *detail)
{
	struct jsonw w;

	seen.transport_status = status;
	resp_start(r, status, "application/x-test+json");
	jsonw_init(&w, r->out);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "outcome", "refused");
	jsonw_kstr(&w, "field", field);
	jsonw_kstr(&w, "why", detail);
	jsonw_obj_close(&w);
}

/* The core's failures, mapped its own way: a conflict is 422 here, not 409. */
static void
test_fail(struct request *r, const struct core_err *e)
{
	seen.fail = *e;
	seen.fails++;
	test_error(r, e->status == CORE_CONFLICT ? 422 : api_http_status(e->status),
	    e->field[0] ? e->field : NULL, e->msg);
}

static const struct dialect dialect_test = {
	.name = "test", .prefix = "/t", .guard = test_guard, .error = test_error, .fail = test_fail,
};

struct thing {
	long		 n;
	const char	*name;
	int		 version;
};

static void
thing_json(struct jsonw *w, const void *v)
{
	const struct thing *t = v;

	jsonw_obj_open(w);
	jsonw_kint(w, "n", t->n);
	jsonw_kstr(w, "name", t->name);
	jsonw_obj_close(w);
}

/* GET /t/things?n=…&name=…: the shared readers, If-Match, and a reply helper. */
static void
h_thing(struct request *r)
{
	static const char *const known[] = { "n", "name", "conflict", NULL };
	struct thing	 t = { 1, "default", 3 };
	struct core_ctx	 c;
	struct core_err	 e;
	enum core_status st = CORE_OK;
	bool		 conflict = false;
	int		 want;

	if (!api_begin(r, known, &c) || api_int(r, "n", 1, 10, &t.n) != 0 ||
	    api_str(r, "name", &t.name) != 0 || api_bool(r, "conflict", false, &conflict) != 0 ||
	    api_if_match(r, &want) != 0)
		return;
	if (conflict)
		st = core_fail(&e, CORE_CONFLICT, "name", "name is taken");
	else
		st = core_check_version(t.version, want, "thing", &e);
	if (api_reply_one(r, st, &e, 200, &t, thing_json) == CORE_OK)
		api_etag(r, t.version);
}

static const struct route test_routes[] = {
	{ "GET", "/t/things", h_thing, &dialect_test, ROUTE_PUBLIC, 0, NULL, false },
};
static const struct route_list test_list = ROUTE_LIST(test_routes);
static const struct route_list *const test_lists[] = { &test_list, NULL };
static const struct surface surface_test = { &dialect_test, test_lists };

/* The program's own surfaces, and this one added by one line. */
static const struct surface *const surfaces[] = { &surface_test, NULL };

/* --- a fake transport ------------------------------------------------------------- */

struct fx {
	struct route_table	 table;
	struct arena		 a;
	struct buf		 hdr, out;
	struct request		 r;
	char			*env[8];
	struct parse_limits	 lim;
};

static ssize_t
no_body(void *io, char *buf, size_t n)
{
	(void)io;
	(void)buf;
	(void)n;
	return 0;
}

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	if (api_routes(surfaces, &f.table) != 0)
		return -1;
	arena_init(&f.a, 0);
	buf_init(&f.hdr);
	buf_init(&f.out);
	f.lim = (struct parse_limits){ 64, 1024, 8, 256 };
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	buf_free(&f->hdr);
	buf_free(&f->out);
	free((void *)f->table.routes);
	free((void *)f->table.dialects);
	return 0;
}

/* Runs one GET with an optional If-Match and returns the response body. */
static const char *
get(struct fx *f, const char *uri, const char *if_match)
{
	static char u[256], im[128];
	size_t n = 0;

	memset(&seen, 0, sizeof(seen));
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	f->env[n++] = "REQUEST_METHOD=GET";
	f->env[n++] = u;
	if (if_match != NULL) {
		snprintf(im, sizeof(im), "HTTP_IF_MATCH=%s", if_match);
		f->env[n++] = im;
	}
	f->env[n] = NULL;
	req_init(&f->r, &f->a, f->env, no_body, NULL, &f->hdr, &f->out);
	router_dispatch(&f->table, &f->r, 1024, &f->lim);
	buf_putc(f->r.out, '\0');
	return f->r.out->data;
}

/* --- tests ------------------------------------------------------------------------ */

static void
the_surface_answers_through_the_shared_helpers(void **state)
{
	struct fx *f = *state;

	assert_string_equal(get(f, "/t/things?n=5&name=x", NULL), "{\"n\":5,\"name\":\"x\"}");
	assert_int_equal(f->r.status, 200);
	assert_non_null(strstr(f->r.hdr->data, "ETag: \"3\"\r\n"));
	assert_int_equal(seen.fails, 0);
}

static void
reader_failures_reach_the_fail_hook_with_the_core_status(void **state)
{
	struct fx *f = *state;

	get(f, "/t/things?n=11", NULL);
	assert_int_equal(seen.fails, 1);
	assert_int_equal(seen.fail.status, CORE_INVALID);
	assert_string_equal(seen.fail.field, "n");
	assert_int_equal(f->r.status, 400);
	assert_string_equal(f->r.out_type, "application/x-test+json");

	get(f, "/t/things?conflict=maybe", NULL);
	assert_string_equal(seen.fail.field, "conflict");

	get(f, "/t/things?bogus=1", NULL);
	assert_string_equal(seen.fail.field, "bogus");
}

static void
the_dialect_maps_core_failures_its_own_way(void **state)
{
	struct fx *f = *state;

	get(f, "/t/things?conflict=true", NULL);
	assert_int_equal(seen.fail.status, CORE_CONFLICT);
	assert_int_equal(f->r.status, 422);

	get(f, "/t/things", "\"2\"");
	assert_int_equal(seen.fail.status, CORE_PRECONDITION);
	assert_int_equal(f->r.status, 412);
	get(f, "/t/things", "\"stale-0\"");
	assert_int_equal(f->r.status, 412);
	get(f, "/t/things", "W/\"3\"");
	assert_int_equal(f->r.status, 200);
	get(f, "/t/things", "\"+3\"");
	assert_int_equal(f->r.status, 412);
	get(f, "/t/things", "3");
	assert_int_equal(seen.fail.status, CORE_INVALID);
	assert_string_equal(seen.fail.field, "If-Match");
}

static void
transport_failures_use_the_error_hook_by_status(void **state)
{
	struct fx *f = *state;

	get(f, "/t/nothing", NULL);
	assert_int_equal(seen.transport_status, 404);
	assert_int_equal(seen.fails, 0);
	assert_string_equal(f->r.out_type, "application/x-test+json");

	get(f, "/t/things?n=1&n=2", NULL);
	assert_int_equal(seen.transport_status, 400);
	assert_int_equal(seen.fails, 0);
	assert_non_null(strstr(f->r.out->data, "\"field\":\"n\""));
}

/* A dialect's name for a user field is the one its errors say. */
static void
a_user_field_under_a_dialects_name_fails_in_that_name(void **state)
{
	struct fx		*f = *state;
	struct user_patch	 p;
	struct core_err		 e;

	memset(&p, 0, sizeof(p));
	assert_int_equal(api_item_patch(&f->a, &p, UF_FIRST_NAME, "fname", "Ada", &e), CORE_OK);
	assert_true(p.set[UF_FIRST_NAME]);
	assert_string_equal(p.val[UF_FIRST_NAME], "Ada");

	assert_int_equal(api_item_patch(&f->a, &p, UF_EMAIL, "email_address", "nope", &e),
	    CORE_INVALID);
	assert_string_equal(e.field, "email_address");
	assert_string_equal(e.msg, "email_address must be a valid e-mail address");
	assert_false(p.set[UF_EMAIL]);

	/* The same name keeps the core's message as it is. */
	assert_int_equal(api_item_patch(&f->a, &p, UF_USERNAME, "username", "a b", &e), CORE_INVALID);
	assert_string_equal(e.msg, "username must be 1 to 100 characters without spaces");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_surface_answers_through_the_shared_helpers),
		cmocka_unit_test(reader_failures_reach_the_fail_hook_with_the_core_status),
		cmocka_unit_test(the_dialect_maps_core_failures_its_own_way),
		cmocka_unit_test(transport_failures_use_the_error_hook_by_status),
		cmocka_unit_test(a_user_field_under_a_dialects_name_fails_in_that_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
