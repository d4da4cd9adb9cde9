/* test-router.c: route matching, path parameters, 404/405, and dispatch through parsing to a dialect. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/json.h"
#include "gatehouse/params.h"
#include "gatehouse/request.h"
#include "gatehouse/router.h"

/* What the fake dialects and handlers saw. */
static struct {
	int			 errors;
	int			 status;
	char			 field[64];
	bool			 had_field;
	const char		*who;		/* dialect that rendered the error */
	int			 guards;
	int			 guard_result;
	int			 handled;
	const struct route	*handled_route;
} seen;

/* A body the fake transport hands out at most chunk bytes at a time. */
struct body {
	const char	*data;
	size_t		 len, off, chunk;
	int		 reads;
};

static ssize_t
body_read(void *io, char *buf, size_t n)
{
	struct body *b = io;
	size_t left = b->len - b->off;

	b->reads++;
	if (n > left)
		n = left;
	if (b->chunk && n > b->chunk)
		n = b->chunk;
	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

static int
fake_guard(struct request *r)
{
	(void)r;
	seen.guards++;
	return seen.guard_result;
}

/* Records an error as rendered by the dialect called who. */
static void
record_error(const char *who, struct request *r, int status, const char *field)
{
	seen.errors++;
	seen.who = who;
	seen.status = status;
	seen.had_field = field != NULL;
	snprintf(seen.field, sizeof(seen.field), "%s", field ? field : "");
	resp_start(r, status, "application/json");
}

static void
api_error(struct request *r, int status, const char *field, const char *detail)
{
	(void)detail;
	record_error("api", r, status, field);
}

static void
web_error(struct request *r, int status, const char *field, const char *detail)
{
	(void)detail;
	record_error("web", r, status, field);
}

static const struct dialect api = { "api", "/api", fake_guard, api_error, NULL };
static const struct dialect web = { "web", "", fake_guard, web_error, NULL };

static void
handler(struct request *r)
{
	seen.handled++;
	seen.handled_route = r->route;
}

static const char *const name_list[] = { "name", NULL };

static const struct route routes[] = {
	{ "GET",	"/a/b",				handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "GET",	"/users",			handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "POST",	"/users",			handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "GET",	"/users/{uid}",			handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "DELETE",	"/users/{uid}",			handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "GET",	"/orgs/{org}/users/{uid}",	handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "POST",	"/api/things",			handler, &api, 1, 0, NULL, false },
	{ "GET",	"/",				handler, &web, ROUTE_PUBLIC, 0, NULL, false },
	{ "POST",	"/lists",			handler, &web, ROUTE_PUBLIC, 0, name_list, true },
	/* A route of a dialect outside that dialect's prefix, as pages at the root are. */
	{ "POST",	"/form",			handler, &api, ROUTE_PUBLIC, 0, NULL, false },
};

static const struct dialect *dialects[] = { &api };

static const struct route_table table = {
	routes, sizeof(routes) / sizeof(routes[0]), dialects, 1, &web
};

struct fx {
	struct arena		a;
	struct buf		hdr, out;
	struct request		r;
	struct body		body;
	char			*env[16];
	char			allow[128];
	struct parse_limits	lim;
};

static struct fx fxs;

static int
setup(void **state)
{
	memset(&fxs, 0, sizeof(fxs));
	memset(&seen, 0, sizeof(seen));
	arena_init(&fxs.a, 1 << 20);
	buf_init(&fxs.hdr);
	buf_init(&fxs.out);
	fxs.lim.max_fields = 8;
	fxs.lim.max_field_len = 64;
	fxs.lim.max_depth = 4;
	fxs.lim.max_nodes = 64;
	*state = &fxs;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	buf_free(&f->hdr);
	buf_free(&f->out);
	return 0;
}

/* Initialises f->r from CGI variables given as "NAME=value" strings, NULL-terminated. */
static struct request *
req(struct fx *f, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 n = 0;

	va_start(ap, f);
	while ((s = va_arg(ap, const char *)) != NULL && n < 15)
		f->env[n++] = (char *)s;
	va_end(ap);
	f->env[n] = NULL;
	req_init(&f->r, &f->a, f->env, body_read, &f->body, &f->hdr, &f->out);
	return &f->r;
}

/* Sets the body the fake transport will deliver. */
static void
body(struct fx *f, const char *s)
{
	f->body.data = s;
	f->body.len = strlen(s);
}

static enum route_result
match(struct fx *f)
{
	return router_match(&table, &f->r, f->allow, sizeof(f->allow));
}

static void
dispatch(struct fx *f)
{
	router_dispatch(&table, &f->r, 256, &f->lim);
}

/* --- matching --- */

static void
literal_path_matches_its_route(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[0]);
	assert_int_equal(f->r.npath, 0);
}

static void
query_string_is_not_part_of_the_path(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b?x=1", NULL);
	assert_string_equal(f->r.path, "/a/b");
	assert_string_equal(f->r.query, "x=1");
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[0]);
}

static void
root_path_matches_root_route(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[7]);
}

static void
param_segment_is_captured(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/ada", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[3]);
	assert_int_equal(f->r.npath, 1);
	assert_string_equal(req_path_param(&f->r, "uid"), "ada");
	assert_null(req_path_param(&f->r, "org"));
}

static void
param_segment_is_percent_decoded(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/ada%40example.org", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_string_equal(req_path_param(&f->r, "uid"), "ada@example.org");
}

static void
encoded_slash_stays_inside_the_param(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/a%2Fb", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[3]);
	assert_string_equal(req_path_param(&f->r, "uid"), "a/b");
}

static void
plus_in_path_param_is_literal(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/a+b", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_string_equal(req_path_param(&f->r, "uid"), "a+b");
}

static void
two_params_are_captured_in_order(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/orgs/7/users/ada?x=1", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_int_equal(f->r.npath, 2);
	assert_string_equal(f->r.path_names[0], "org");
	assert_string_equal(req_path_param(&f->r, "org"), "7");
	assert_string_equal(req_path_param(&f->r, "uid"), "ada");
}

static void
bad_escape_in_param_is_not_found(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/%zz", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
nul_escape_in_param_is_not_found(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/a%00b", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
empty_param_segment_does_not_match(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/orgs//users/ada", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
trailing_slash_does_not_match(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b/", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
trailing_slash_after_param_does_not_match(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users/ada/", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
path_prefix_of_route_does_not_match(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
longer_path_than_route_does_not_match(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b/c", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
literal_segments_are_case_sensitive(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/A/b", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
literal_segments_are_not_percent_decoded(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/%61/b", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
}

static void
head_matches_get_route(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=HEAD", "REQUEST_URI=/users/ada", NULL);
	assert_true(f->r.head);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[3]);
	assert_string_equal(f->r.method, "HEAD");
}

static void
method_is_chosen_among_same_pattern(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", NULL);
	assert_int_equal(match(f), ROUTE_FOUND);
	assert_ptr_equal(f->r.route, &routes[2]);
}

static void
missing_method_defaults_to_get(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_URI=/a/b", NULL);
	assert_string_equal(f->r.method, "GET");
	assert_int_equal(match(f), ROUTE_FOUND);
}

static void
unknown_path_is_not_found(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/nope", NULL);
	assert_int_equal(match(f), ROUTE_NOT_FOUND);
	assert_null(f->r.route);
	assert_string_equal(f->allow, "");
}

static void
known_path_with_wrong_method_lists_allowed_methods(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=PUT", "REQUEST_URI=/users", NULL);
	assert_int_equal(match(f), ROUTE_BAD_METHOD);
	assert_null(f->r.route);
	assert_string_equal(f->allow, "GET, HEAD, POST");
}

static void
allow_list_for_param_route(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users/ada", NULL);
	assert_int_equal(match(f), ROUTE_BAD_METHOD);
	assert_string_equal(f->allow, "GET, HEAD, DELETE");
}

static void
allow_list_without_get_has_no_head(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/api/things", NULL);
	assert_int_equal(match(f), ROUTE_BAD_METHOD);
	assert_string_equal(f->allow, "POST");
}

static void
head_on_post_only_path_is_bad_method(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=HEAD", "REQUEST_URI=/api/things", NULL);
	assert_int_equal(match(f), ROUTE_BAD_METHOD);
}

/* --- request fields --- */

static void
path_comes_from_script_name_and_path_info_without_request_uri(void **state)
{
	struct fx *f = *state;

	req(f, "SCRIPT_NAME=/users", "PATH_INFO=/ada", "QUERY_STRING=a=1", NULL);
	assert_string_equal(f->r.path, "/users/ada");
	assert_string_equal(f->r.query, "a=1");
}

static void
missing_path_is_root(void **state)
{
	struct fx *f = *state;

	req(f, NULL);
	assert_string_equal(f->r.path, "/");
	assert_string_equal(f->r.query, "");
}

static void
plain_request_id_header_is_kept(void **state)
{
	struct fx *f = *state;

	req(f, "HTTP_X_REQUEST_ID=abc-123_x.y", NULL);
	assert_string_equal(f->r.id, "abc-123_x.y");
	assert_string_equal(req_header(&f->r, "X-Request-Id"), "abc-123_x.y");
}

static void
unsafe_request_id_header_is_replaced(void **state)
{
	struct fx *f = *state;

	req(f, "HTTP_X_REQUEST_ID=a\"b", NULL);
	assert_string_not_equal(f->r.id, "a\"b");
	assert_int_equal(strlen(f->r.id), 24);
	assert_int_equal(strspn(f->r.id, "0123456789abcdef"), 24);
}

/* --- dispatch --- */

static void
found_route_runs_guard_then_handler(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b", NULL);
	dispatch(f);
	assert_int_equal(seen.guards, 1);
	assert_int_equal(seen.handled, 1);
	assert_ptr_equal(seen.handled_route, &routes[0]);
	assert_int_equal(seen.errors, 0);
}

static void
refusing_guard_skips_handler(void **state)
{
	struct fx *f = *state;

	seen.guard_result = -1;
	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/a/b", NULL);
	dispatch(f);
	assert_int_equal(seen.guards, 1);
	assert_int_equal(seen.handled, 0);
}

static void
unknown_path_is_404_from_fallback_dialect(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/nope", NULL);
	dispatch(f);
	assert_int_equal(seen.errors, 1);
	assert_int_equal(seen.status, 404);
	assert_false(seen.had_field);
	assert_string_equal(seen.who, "web");
	assert_int_equal(seen.guards, 0);
	assert_int_equal(seen.handled, 0);
}

static void
unknown_path_under_prefix_is_404_from_that_dialect(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/api/nope", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 404);
	assert_string_equal(seen.who, "api");
}

static void
dialect_prefix_itself_belongs_to_the_dialect(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/api", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 404);
	assert_string_equal(seen.who, "api");
}

static void
dialect_prefix_needs_a_segment_boundary(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/apiary", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 404);
	assert_string_equal(seen.who, "web");
}

static void
wrong_method_under_prefix_is_405_from_that_dialect(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/api/things", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 405);
	assert_string_equal(seen.who, "api");
	assert_non_null(f->hdr.data);
	assert_non_null(strstr(buf_cstr(&f->hdr), "Allow: POST\r\n"));
}

static void
wrong_method_on_a_known_path_is_405_from_its_routes_dialect(void **state)
{
	struct fx *f = *state;

	/* By prefix alone /form would be the fallback's: its route says otherwise. */
	req(f, "REQUEST_METHOD=PUT", "REQUEST_URI=/form", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 405);
	assert_string_equal(seen.who, "api");
	assert_non_null(strstr(buf_cstr(&f->hdr), "Allow: POST\r\n"));
	/* A path no route knows still goes by prefix. */
	memset(&seen, 0, sizeof(seen));
	req(f, "REQUEST_METHOD=PUT", "REQUEST_URI=/formx", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 404);
	assert_string_equal(seen.who, "web");
}

/* --- cookies --- */

static void
cookie_is_found_among_others_by_its_whole_name(void **state)
{
	struct fx *f = *state;

	req(f, "HTTP_COOKIE=a=1; xgh_csrf=no; gh_csrf=abc-_1;b=2", NULL);
	assert_string_equal(req_cookie(&f->r, "gh_csrf"), "abc-_1");
	assert_string_equal(req_cookie(&f->r, "a"), "1");
	assert_string_equal(req_cookie(&f->r, "b"), "2");
	assert_null(req_cookie(&f->r, "gh_"));
	assert_null(req_cookie(&f->r, "c"));
	req(f, "HTTP_COOKIE=gh_csrf=", NULL);
	assert_string_equal(req_cookie(&f->r, "gh_csrf"), "");
	req(f, "REQUEST_METHOD=GET", NULL);
	assert_null(req_cookie(&f->r, "gh_csrf"));
}

static void
cookie_given_twice_or_with_a_control_character_is_not_trusted(void **state)
{
	struct fx *f = *state;

	/* Two values: one may have been planted by a sibling domain; trust neither. */
	req(f, "HTTP_COOKIE=gh_csrf=one; gh_csrf=two", NULL);
	assert_null(req_cookie(&f->r, "gh_csrf"));
	req(f, "HTTP_COOKIE=gh_csrf=o\x01ne", NULL);
	assert_null(req_cookie(&f->r, "gh_csrf"));
	req(f, "HTTP_COOKIE=  gh_csrf=spaced  ; z=1", NULL);
	assert_string_equal(req_cookie(&f->r, "gh_csrf"), "spaced");
}

static void
parse_errors_use_the_route_dialect(void **state)
{
	struct fx *f = *state;

	body(f, "x");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/api/things", "CONTENT_LENGTH=1",
	    "CONTENT_TYPE=text/csv", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
	assert_string_equal(seen.who, "api");
	assert_int_equal(seen.guards, 0);
}

static void
wrong_method_is_405_with_allow_header(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=PATCH", "REQUEST_URI=/users", NULL);
	dispatch(f);
	assert_int_equal(seen.errors, 1);
	assert_int_equal(seen.status, 405);
	assert_int_equal(seen.handled, 0);
	assert_non_null(f->hdr.data);
	assert_non_null(strstr(buf_cstr(&f->hdr), "Allow: GET, HEAD, POST\r\n"));
}

static void
body_larger_than_max_body_is_413_without_reading(void **state)
{
	struct fx *f = *state;

	body(f, "name=x");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=257",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 413);
	assert_int_equal(f->body.reads, 0);
	assert_int_equal(seen.guards, 0);
	assert_int_equal(seen.handled, 0);
}

static void
body_of_exactly_max_body_is_read(void **state)
{
	struct fx *f = *state;
	static char big[257];

	memset(big, 'a', 256);
	memcpy(big, "n=", 2);
	body(f, big);
	f->lim.max_field_len = 1024;
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=256",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.handled, 1);
	assert_int_equal(strlen(req_param(&f->r, "n")), 254);
}

static void
body_arriving_in_pieces_is_assembled(void **state)
{
	struct fx *f = *state;

	body(f, "name=ada&role=user");
	f->body.chunk = 3;
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=18",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
	assert_string_equal(req_param(&f->r, "role"), "user");
	assert_int_equal(f->r.body_len, 18);
}

static void
short_body_is_400(void **state)
{
	struct fx *f = *state;

	body(f, "name=x");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=10",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
	assert_int_equal(seen.handled, 0);
}

static void
non_numeric_content_length_is_400(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=12abc", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
	assert_int_equal(f->body.reads, 0);
}

static void
negative_content_length_is_400(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=-1", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
}

static void
zero_content_length_needs_no_content_type(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=0", NULL);
	dispatch(f);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.handled, 1);
}

static void
unsupported_content_type_is_415(void **state)
{
	struct fx *f = *state;

	body(f, "hello");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=5",
	    "CONTENT_TYPE=text/plain", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
	assert_int_equal(seen.handled, 0);
}

static void
content_type_prefix_is_not_enough(void **state)
{
	struct fx *f = *state;

	body(f, "a=1");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=3",
	    "CONTENT_TYPE=application/x-www-form-urlencodedx", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
}

static void
body_without_content_type_is_415(void **state)
{
	struct fx *f = *state;

	body(f, "a=1");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=3", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
	assert_int_equal(seen.handled, 0);
}

static void
scim_json_is_accepted_as_json(void **state)
{
	struct fx *f = *state;

	body(f, "{\"userName\":\"ada\"}");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=18",
	    "CONTENT_TYPE=application/scim+json", NULL);
	dispatch(f);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.handled, 1);
	assert_non_null(f->r.json);
	assert_string_equal(req_param(&f->r, "userName"), "ada");
}

static void
json_with_charset_parameter_is_accepted(void **state)
{
	struct fx *f = *state;

	body(f, "{\"a\":1}");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=7",
	    "CONTENT_TYPE=Application/JSON; charset=utf-8", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
	assert_non_null(f->r.json);
}

static void
bare_plus_json_suffix_is_415(void **state)
{
	struct fx *f = *state;

	body(f, "{}");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=2",
	    "CONTENT_TYPE=application/+json", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
}

static void
malformed_json_body_is_400(void **state)
{
	struct fx *f = *state;

	body(f, "{\"a\":");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=5",
	    "CONTENT_TYPE=application/json", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
	assert_int_equal(seen.handled, 0);
}

static void
duplicate_json_key_is_400_naming_field(void **state)
{
	struct fx *f = *state;

	body(f, "{\"a\":1,\"a\":2}");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=13",
	    "CONTENT_TYPE=application/json", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
	assert_true(seen.had_field);
	assert_string_equal(seen.field, "a");
}

static void
field_limit_is_400_not_413(void **state)
{
	struct fx *f = *state;

	f->lim.max_fields = 1;
	body(f, "a=1&b=2");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=7",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
}

static void
multipart_file_is_415_naming_field(void **state)
{
	struct fx *f = *state;
	static const char mp[] = "--B\r\nContent-Disposition: form-data; name=\"pic\"; "
	    "filename=\"a.png\"\r\n\r\nx\r\n--B--";
	char cl[32];

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", sizeof(mp) - 1);
	body(f, mp);
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", cl,
	    "CONTENT_TYPE=multipart/form-data; boundary=B", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 415);
	assert_string_equal(seen.field, "pic");
}

static void
multipart_fields_reach_the_handler(void **state)
{
	struct fx *f = *state;
	static const char mp[] = "--B\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n--B--";
	char cl[32];

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", sizeof(mp) - 1);
	body(f, mp);
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", cl,
	    "CONTENT_TYPE=multipart/form-data; boundary=B", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
	assert_string_equal(req_param(&f->r, "n"), "v");
}

static void
body_params_come_before_query_params(void **state)
{
	struct fx *f = *state;

	body(f, "name=body");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/lists?name=query&page=2", "CONTENT_LENGTH=9",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
	assert_int_equal(f->r.params.n, 3);
	assert_string_equal(f->r.params.v[0].value, "body");
	assert_string_equal(f->r.params.v[1].value, "query");
	assert_string_equal(req_param(&f->r, "name"), "body");
	assert_string_equal(req_param(&f->r, "page"), "2");
	assert_int_equal(params_count(&f->r.params, "name"), 2);
}

/* A scalar field given twice, as a list or as an object is the client's error, naming it. */
static void
scalar_field_given_twice_is_400_naming_it(void **state)
{
	static const struct { const char *uri, *ctype, *body, *field; } cases[] = {
		{ "/users?name=query", "application/x-www-form-urlencoded", "name=body", "name" },
		{ "/users", "application/x-www-form-urlencoded", "a=1&a=2", "a" },
		{ "/users", "application/json", "{\"a\":[\"x\"]}", "a" },
		{ "/users", "application/json", "{\"a\":{\"x\":1}}", "a" },
		{ "/users?a=1", "application/json", "{\"a\":\"2\"}", "a" },
		{ "/users", "application/json", "[1,2]", "" },
		{ "/users", "application/json", "\"x\"", "" },
		{ "/users", "application/json", "null", "" },
		{ "/lists?page=1&page=2", "application/json", "{\"name\":[\"x\"]}", "page" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char uri[128], ctype[96], cl[48];

		memset(&seen, 0, sizeof(seen));
		snprintf(uri, sizeof(uri), "REQUEST_URI=%s", cases[i].uri);
		snprintf(ctype, sizeof(ctype), "CONTENT_TYPE=%s", cases[i].ctype);
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(cases[i].body));
		body(f, cases[i].body);
		f->body.off = 0;
		req(f, "REQUEST_METHOD=POST", uri, cl, ctype, NULL);
		dispatch(f);
		assert_int_equal(seen.handled, 0);
		assert_int_equal(seen.status, 400);
		assert_string_equal(seen.field, cases[i].field);
	}
	/* A list route takes its list fields repeated and a JSON array as the body. */
	memset(&seen, 0, sizeof(seen));
	body(f, "[1,2]");
	f->body.off = 0;
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/lists?name=a&name=b", "CONTENT_LENGTH=5",
	    "CONTENT_TYPE=application/json", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
}

static void
query_params_are_parsed_without_body(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users?q=a%20b&page=3", NULL);
	dispatch(f);
	assert_int_equal(seen.handled, 1);
	assert_string_equal(req_param(&f->r, "q"), "a b");
	assert_string_equal(req_param(&f->r, "page"), "3");
}

static void
malformed_query_is_400_naming_field(void **state)
{
	struct fx *f = *state;

	req(f, "REQUEST_METHOD=GET", "REQUEST_URI=/users?q=%zz", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 400);
	assert_string_equal(seen.field, "q");
	assert_int_equal(seen.handled, 0);
}

static void
body_too_large_for_arena_is_413(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	arena_init(&f->a, 128);
	body(f, "a=0123456789012345678901234567890123456789");
	req(f, "REQUEST_METHOD=POST", "REQUEST_URI=/users", "CONTENT_LENGTH=42",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL);
	dispatch(f);
	assert_int_equal(seen.status, 413);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(literal_path_matches_its_route),
		T(query_string_is_not_part_of_the_path),
		T(root_path_matches_root_route),
		T(param_segment_is_captured),
		T(param_segment_is_percent_decoded),
		T(encoded_slash_stays_inside_the_param),
		T(plus_in_path_param_is_literal),
		T(two_params_are_captured_in_order),
		T(bad_escape_in_param_is_not_found),
		T(nul_escape_in_param_is_not_found),
		T(empty_param_segment_does_not_match),
		T(trailing_slash_does_not_match),
		T(trailing_slash_after_param_does_not_match),
		T(path_prefix_of_route_does_not_match),
		T(longer_path_than_route_does_not_match),
		T(literal_segments_are_case_sensitive),
		T(literal_segments_are_not_percent_decoded),
		T(head_matches_get_route),
		T(method_is_chosen_among_same_pattern),
		T(missing_method_defaults_to_get),
		T(unknown_path_is_not_found),
		T(known_path_with_wrong_method_lists_allowed_methods),
		T(allow_list_for_param_route),
		T(allow_list_without_get_has_no_head),
		T(head_on_post_only_path_is_bad_method),
		T(path_comes_from_script_name_and_path_info_without_request_uri),
		T(missing_path_is_root),
		T(plain_request_id_header_is_kept),
		T(unsafe_request_id_header_is_replaced),
		T(found_route_runs_guard_then_handler),
		T(refusing_guard_skips_handler),
		T(unknown_path_is_404_from_fallback_dialect),
		T(unknown_path_under_prefix_is_404_from_that_dialect),
		T(dialect_prefix_itself_belongs_to_the_dialect),
		T(dialect_prefix_needs_a_segment_boundary),
		T(wrong_method_under_prefix_is_405_from_that_dialect),
		T(wrong_method_on_a_known_path_is_405_from_its_routes_dialect),
		T(cookie_is_found_among_others_by_its_whole_name),
		T(cookie_given_twice_or_with_a_control_character_is_not_trusted),
		T(parse_errors_use_the_route_dialect),
		T(wrong_method_is_405_with_allow_header),
		T(body_larger_than_max_body_is_413_without_reading),
		T(body_of_exactly_max_body_is_read),
		T(body_arriving_in_pieces_is_assembled),
		T(short_body_is_400),
		T(non_numeric_content_length_is_400),
		T(negative_content_length_is_400),
		T(zero_content_length_needs_no_content_type),
		T(unsupported_content_type_is_415),
		T(content_type_prefix_is_not_enough),
		T(body_without_content_type_is_415),
		T(scim_json_is_accepted_as_json),
		T(json_with_charset_parameter_is_accepted),
		T(bare_plus_json_suffix_is_415),
		T(malformed_json_body_is_400),
		T(duplicate_json_key_is_400_naming_field),
		T(field_limit_is_400_not_413),
		T(multipart_file_is_415_naming_field),
		T(multipart_fields_reach_the_handler),
		T(body_params_come_before_query_params),
		T(scalar_field_given_twice_is_400_naming_it),
		T(query_params_are_parsed_without_body),
		T(malformed_query_is_400_naming_field),
		T(body_too_large_for_arena_is_413),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
