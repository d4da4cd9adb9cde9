/* test-form.c: the urlencoded/query-string parser, percent-decoding and the parameter view. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/params.h"

struct fx {
	struct arena		a;
	struct params		p;
	struct parse_limits	lim;
	struct parse_error	e;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	arena_init(&f.a, 1 << 20);
	f.lim.max_fields = 8;
	f.lim.max_field_len = 16;
	f.lim.max_depth = 4;
	f.lim.max_nodes = 64;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	return 0;
}

/* Parses the NUL-terminated s with the fixture's limits. */
static enum parse_status
parse(struct fx *f, const char *s)
{
	return form_parse(&f->a, &f->p, &f->lim, s, strlen(s), &f->e);
}

static void
simple_pairs_become_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a=1&b=two"), PARSE_OK);
	assert_int_equal(f->p.n, 2);
	assert_string_equal(params_get(&f->p, "a"), "1");
	assert_string_equal(params_get(&f->p, "b"), "two");
	assert_int_equal(params_find(&f->p, "b")->len, 3);
	assert_int_equal(params_find(&f->p, "a")->kind, PARAM_TEXT);
}

static void
plus_decodes_to_space(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "full+name=Ada+Lovelace"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "full name"), "Ada Lovelace");
}

static void
percent_escapes_decode_in_names_and_values(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "e%2Dmail=a%40b.c&x=%2b%26%3d"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "e-mail"), "a@b.c");
	assert_string_equal(params_get(&f->p, "x"), "+&=");
}

static void
empty_pairs_are_skipped(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "&a=1&&b=2&"), PARSE_OK);
	assert_int_equal(f->p.n, 2);
	assert_string_equal(params_get(&f->p, "a"), "1");
	assert_string_equal(params_get(&f->p, "b"), "2");
}

static void
empty_input_gives_no_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, ""), PARSE_OK);
	assert_int_equal(f->p.n, 0);
	assert_null(params_get(&f->p, "a"));
}

static void
key_without_equals_has_empty_value(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "flag&a=1"), PARSE_OK);
	assert_non_null(params_get(&f->p, "flag"));
	assert_string_equal(params_get(&f->p, "flag"), "");
	assert_int_equal(params_find(&f->p, "flag")->len, 0);
}

static void
key_with_equals_and_no_value_is_empty(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a="), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "");
}

static void
value_may_contain_equals(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a=b=c"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "a"), "b=c");
}

static void
truncated_escape_in_value_is_syntax_error_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "name=%4"), PARSE_SYNTAX);
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "name");
}

static void
lone_percent_at_end_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "name=abc%"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "name");
}

static void
non_hex_escape_in_value_is_syntax_error_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a=1&email=%zz"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "email");
	assert_non_null(strstr(f->e.msg, "percent"));
}

static void
bad_escape_in_name_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "na%zme=1"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "na%zme");
}

static void
nul_escape_in_value_is_rejected(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "user=ad%00min"), PARSE_SYNTAX);
	assert_string_equal(f->e.field, "user");
	assert_non_null(strstr(f->e.msg, "NUL"));
	assert_null(params_get(&f->p, "user"));
}

static void
nul_escape_in_name_is_rejected(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a%00b=1"), PARSE_SYNTAX);
	assert_int_equal(f->p.n, 0);
}

static void
empty_name_is_rejected(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "=value"), PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "empty name"));
}

static void
field_count_at_limit_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a=1&a=2&a=3&a=4&a=5&a=6&a=7&a=8"), PARSE_OK);
	assert_int_equal(f->p.n, 8);
}

static void
field_count_over_limit_is_limit_error_naming_limit(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "a=1&a=2&a=3&a=4&a=5&a=6&a=7&a=8&a=9"), PARSE_LIMIT);
	assert_int_equal(f->e.status, PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "too many fields"));
	assert_non_null(strstr(f->e.msg, "8"));
}

static void
field_limit_counts_params_already_present(void **state)
{
	struct fx *f = *state;

	f->lim.max_fields = 2;
	assert_int_equal(parse(f, "a=1&b=2"), PARSE_OK);
	assert_int_equal(parse(f, "c=3"), PARSE_LIMIT);
}

static void
name_at_max_field_len_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "abcdefghijklmnop=1"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "abcdefghijklmnop"), "1");
}

static void
name_over_max_field_len_is_limit_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "abcdefghijklmnopq=1"), PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "16 bytes"));
	assert_string_equal(f->e.field, "abcdefghijklmnopq");
}

static void
value_over_max_field_len_is_limit_error_naming_field(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "bio=0123456789abcdefg"), PARSE_LIMIT);
	assert_string_equal(f->e.field, "bio");
	assert_non_null(strstr(f->e.msg, "16 bytes"));
}

static void
value_at_max_field_len_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "bio=0123456789abcdef"), PARSE_OK);
	assert_int_equal(params_find(&f->p, "bio")->len, 16);
}

static void
repeated_names_are_all_kept(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "role=a&x=1&role=b&role=c"), PARSE_OK);
	assert_int_equal(params_count(&f->p, "role"), 3);
	assert_int_equal(params_count(&f->p, "x"), 1);
	assert_int_equal(params_count(&f->p, "missing"), 0);
}

static void
params_get_returns_first_value(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "role=a&role=b"), PARSE_OK);
	assert_string_equal(params_get(&f->p, "role"), "a");
}

static void
names_are_case_sensitive(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "Name=1"), PARSE_OK);
	assert_null(params_get(&f->p, "name"));
}

static void
many_params_grow_the_array(void **state)
{
	struct fx *f = *state;
	char name[8];

	f->lim.max_fields = 100;
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_int_equal(params_add(&f->a, &f->p, &f->lim, name, strlen(name), "v", 1,
		    PARAM_TEXT, &f->e), PARSE_OK);
	}
	assert_int_equal(f->p.n, 40);
	assert_string_equal(f->p.v[0].name, "k0");
	assert_string_equal(f->p.v[39].name, "k39");
}

static void
exhausted_arena_is_nomem(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	arena_init(&f->a, 64);
	assert_int_equal(parse(f, "a=1&b=2&c=3"), PARSE_NOMEM);
	assert_int_equal(f->e.status, PARSE_NOMEM);
}

static void
url_decode_plus_is_literal_when_not_asked(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("a+b%20c", 7, out, &n, false), 0);
	assert_string_equal(out, "a+b c");
	assert_int_equal(n, 5);
}

static void
url_decode_accepts_both_hex_cases(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("%4a%4A", 6, out, &n, true), 0);
	assert_string_equal(out, "JJ");
}

static void
url_decode_refuses_truncated_escape(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("ab%4", 4, out, &n, true), -1);
	assert_int_equal(url_decode("%", 1, out, &n, true), -1);
}

static void
url_decode_refuses_non_hex_escape(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("%g0", 3, out, &n, true), -1);
	assert_int_equal(url_decode("%0g", 3, out, &n, true), -1);
}

static void
url_decode_stops_at_len(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("abc%zz", 3, out, &n, true), 0);
	assert_string_equal(out, "abc");
}

static void
url_decode_keeps_decoded_nul_in_length(void **state)
{
	char out[16];
	size_t n;

	(void)state;
	assert_int_equal(url_decode("a%00b", 5, out, &n, true), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "a\0b", 3);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(simple_pairs_become_params),
		T(plus_decodes_to_space),
		T(percent_escapes_decode_in_names_and_values),
		T(empty_pairs_are_skipped),
		T(empty_input_gives_no_params),
		T(key_without_equals_has_empty_value),
		T(key_with_equals_and_no_value_is_empty),
		T(value_may_contain_equals),
		T(truncated_escape_in_value_is_syntax_error_naming_field),
		T(lone_percent_at_end_is_syntax_error),
		T(non_hex_escape_in_value_is_syntax_error_naming_field),
		T(bad_escape_in_name_is_syntax_error),
		T(nul_escape_in_value_is_rejected),
		T(nul_escape_in_name_is_rejected),
		T(empty_name_is_rejected),
		T(field_count_at_limit_is_accepted),
		T(field_count_over_limit_is_limit_error_naming_limit),
		T(field_limit_counts_params_already_present),
		T(name_at_max_field_len_is_accepted),
		T(name_over_max_field_len_is_limit_error),
		T(value_over_max_field_len_is_limit_error_naming_field),
		T(value_at_max_field_len_is_accepted),
		T(repeated_names_are_all_kept),
		T(params_get_returns_first_value),
		T(names_are_case_sensitive),
		T(many_params_grow_the_array),
		T(exhausted_arena_is_nomem),
		cmocka_unit_test(url_decode_plus_is_literal_when_not_asked),
		cmocka_unit_test(url_decode_accepts_both_hex_cases),
		cmocka_unit_test(url_decode_refuses_truncated_escape),
		cmocka_unit_test(url_decode_refuses_non_hex_escape),
		cmocka_unit_test(url_decode_stops_at_len),
		cmocka_unit_test(url_decode_keeps_decoded_nul_in_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
