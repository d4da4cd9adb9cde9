/* test-json.c: the bounded JSON tree, its limits and refusals, and flattening into params. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/json.h"
#include "gatehouse/params.h"

struct fx {
	struct arena		a;
	struct params		p;
	struct parse_limits	lim;
	struct parse_error	e;
	struct json		*root;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	arena_init(&f.a, 1 << 20);
	f.lim.max_fields = 4;
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

/* json_parse of a string literal, embedded NULs included. */
#define JP(f, lit)	json_parse(&(f)->a, &(f)->lim, (lit), sizeof(lit) - 1, &(f)->e)
/* json_body_parse of a string literal into the fixture's params and root. */
#define JB(f, lit)	json_body_parse(&(f)->a, &(f)->p, &(f)->lim, (lit), sizeof(lit) - 1, \
			    &(f)->root, &(f)->e)

static void
object_members_are_typed_nodes(void **state)
{
	struct fx *f = *state;
	const struct json *j;

	f->lim.max_fields = 6;
	j = JP(f, "{\"s\":\"x\",\"n\":1,\"b\":true,\"z\":null,\"a\":[],\"o\":{}}");

	assert_non_null(j);
	assert_int_equal(f->e.status, PARSE_OK);
	assert_int_equal(j->type, JSON_OBJECT);
	assert_int_equal(j->n, 6);
	assert_int_equal(json_get(j, "s")->type, JSON_STRING);
	assert_int_equal(json_get(j, "n")->type, JSON_NUMBER);
	assert_int_equal(json_get(j, "b")->type, JSON_BOOL);
	assert_int_equal(json_get(j, "z")->type, JSON_NULL);
	assert_int_equal(json_get(j, "a")->type, JSON_ARRAY);
	assert_int_equal(json_get(j, "o")->type, JSON_OBJECT);
	assert_string_equal(j->keys[0], "s");
	assert_int_equal(j->keylens[5], 1);
}

static void
array_keeps_element_order(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "[3,\"two\",[1],false]");

	assert_non_null(j);
	assert_int_equal(j->type, JSON_ARRAY);
	assert_int_equal(j->n, 4);
	assert_string_equal(j->items[0]->str, "3");
	assert_string_equal(j->items[1]->str, "two");
	assert_int_equal(j->items[2]->type, JSON_ARRAY);
	assert_int_equal(j->items[2]->n, 1);
	assert_false(j->items[3]->boolean);
	assert_null(j->keys);
}

static void
scalar_root_is_accepted(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, " \"hi\" ");

	assert_non_null(j);
	assert_int_equal(j->type, JSON_STRING);
	assert_string_equal(j->str, "hi");
	assert_int_equal(j->len, 2);
}

static void
numbers_are_kept_as_text(void **state)
{
	struct fx *f = *state;
	const struct json *j;

	f->lim.max_field_len = 64;
	j = JP(f, "[1.50e3,-0,12345678901234567890123,0.1]");

	assert_non_null(j);
	assert_string_equal(j->items[0]->str, "1.50e3");
	assert_string_equal(j->items[1]->str, "-0");
	assert_string_equal(j->items[2]->str, "12345678901234567890123");
	assert_string_equal(j->items[3]->str, "0.1");
}

static void
booleans_carry_value_and_text(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "{\"t\":true,\"f\":false}");

	assert_non_null(j);
	assert_true(json_get(j, "t")->boolean);
	assert_string_equal(json_get(j, "t")->str, "true");
	assert_false(json_get(j, "f")->boolean);
	assert_string_equal(json_get(j, "f")->str, "false");
}

static void
boolean_root_carries_value(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "true");

	assert_non_null(j);
	assert_int_equal(j->type, JSON_BOOL);
	assert_true(j->boolean);
}

static void
string_escapes_are_decoded(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "[\"a\\\"b\\n\", \"\\u00e9\", \"\\ud83d\\ude00\"]");

	assert_non_null(j);
	assert_string_equal(j->items[0]->str, "a\"b\n");
	assert_string_equal(j->items[1]->str, "\xc3\xa9");
	assert_string_equal(j->items[2]->str, "\xf0\x9f\x98\x80");
}

static void
json_get_finds_member_by_name(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "{\"ab\":1,\"a\":2}");

	assert_non_null(j);
	assert_string_equal(json_get(j, "a")->str, "2");
	assert_string_equal(json_get(j, "ab")->str, "1");
	assert_null(json_get(j, "b"));
	assert_null(json_get(j, "abc"));
}

static void
json_get_on_non_object_is_null(void **state)
{
	struct fx *f = *state;
	const struct json *j = JP(f, "[\"a\"]");

	assert_non_null(j);
	assert_null(json_get(j, "a"));
	assert_null(json_get(NULL, "a"));
}

static void
scalar_members_become_params_with_kinds(void **state)
{
	struct fx *f = *state;
	const struct param *pv;

	assert_int_equal(JB(f, "{\"s\":\"true\",\"n\":1.5,\"b\":true,\"z\":null}"), PARSE_OK);
	assert_non_null(f->root);
	assert_int_equal(f->p.n, 4);
	assert_int_equal(params_find(&f->p, "s")->kind, PARAM_TEXT);
	assert_string_equal(params_get(&f->p, "s"), "true");
	pv = params_find(&f->p, "n");
	assert_int_equal(pv->kind, PARAM_NUMBER);
	assert_string_equal(pv->value, "1.5");
	pv = params_find(&f->p, "b");
	assert_int_equal(pv->kind, PARAM_BOOL);
	assert_string_equal(pv->value, "true");
}

static void
null_member_is_param_null_with_empty_value(void **state)
{
	struct fx *f = *state;
	const struct param *pv;

	assert_int_equal(JB(f, "{\"z\":null}"), PARSE_OK);
	pv = params_find(&f->p, "z");
	assert_non_null(pv);
	assert_int_equal(pv->kind, PARAM_NULL);
	assert_string_equal(pv->value, "");
	assert_int_equal(pv->len, 0);
}

static void
array_of_scalars_becomes_repeated_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "{\"role\":[\"a\",\"b\",3]}"), PARSE_OK);
	assert_int_equal(params_count(&f->p, "role"), 3);
	assert_string_equal(f->p.v[0].value, "a");
	assert_string_equal(f->p.v[1].value, "b");
	assert_int_equal(f->p.v[2].kind, PARAM_NUMBER);
}

static void
nested_objects_are_not_flattened(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "{\"o\":{\"x\":1},\"a\":1}"), PARSE_OK);
	assert_null(params_find(&f->p, "o"));
	assert_null(params_find(&f->p, "x"));
	assert_int_equal(f->p.n, 1);
	assert_string_equal(json_get(json_get(f->root, "o"), "x")->str, "1");
}

static void
containers_inside_arrays_are_not_flattened(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "{\"a\":[1,[2],{\"x\":3}]}"), PARSE_OK);
	assert_int_equal(params_count(&f->p, "a"), 1);
	assert_null(params_find(&f->p, "x"));
}

static void
non_object_root_adds_no_params(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "[1,2]"), PARSE_OK);
	assert_non_null(f->root);
	assert_int_equal(f->p.n, 0);
}

static void
flattened_values_count_against_field_limit(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "{\"a\":[1,2,3,4,5]}"), PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "too many fields"));
}

static void
nesting_at_depth_limit_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_non_null(JP(f, "[[[{\"a\":1}]]]"));
}

static void
nesting_past_depth_limit_is_limit_error_naming_depth(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[[[[[1]]]]]"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "deeper than 4 levels"));
}

static void
deep_nesting_is_refused_without_recursion(void **state)
{
	struct fx *f = *state;
	static char deep[100001];

	memset(deep, '[', sizeof(deep) - 1);
	assert_null(json_parse(&f->a, &f->lim, deep, sizeof(deep) - 1, &f->e));
	assert_int_equal(f->e.status, PARSE_LIMIT);
}

static void
nodes_at_limit_are_accepted(void **state)
{
	struct fx *f = *state;

	f->lim.max_nodes = 3;
	assert_non_null(JP(f, "[1,2]"));
}

static void
nodes_past_limit_are_limit_error(void **state)
{
	struct fx *f = *state;

	f->lim.max_nodes = 3;
	assert_null(JP(f, "[1,2,3]"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "more than 3 values"));
}

static void
object_members_at_limit_are_accepted(void **state)
{
	struct fx *f = *state;

	assert_non_null(JP(f, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"));
}

static void
object_members_past_limit_are_limit_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
	assert_non_null(strstr(f->e.msg, "more than 4 members"));
}

static void
nested_object_members_are_limited_too(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"o\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}}"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
}

static void
array_elements_are_not_member_limited(void **state)
{
	struct fx *f = *state;

	assert_non_null(JP(f, "[1,2,3,4,5,6,7,8,9]"));
}

static void
string_at_length_limit_is_accepted(void **state)
{
	struct fx *f = *state;

	assert_non_null(JP(f, "{\"bio\":\"0123456789abcdef\"}"));
}

static void
string_past_length_limit_is_limit_error_naming_member(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"bio\":\"0123456789abcdefg\"}"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
	assert_string_equal(f->e.field, "bio");
	assert_non_null(strstr(f->e.msg, "16 bytes"));
}

static void
string_length_limit_counts_decoded_bytes(void **state)
{
	struct fx *f = *state;

	/* 16 escapes of six characters each decode to 16 bytes. */
	assert_non_null(JP(f, "[\"\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041"
	    "\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\"]"));
}

static void
long_number_is_limit_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[12345678901234567]"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
}

static void
member_name_past_length_limit_is_limit_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"0123456789abcdefg\":1}"));
	assert_int_equal(f->e.status, PARSE_LIMIT);
}

static void
duplicate_key_is_syntax_error_naming_key(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"role\":\"user\",\"x\":1,\"role\":\"super\"}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "role");
	assert_non_null(strstr(f->e.msg, "duplicate"));
}

static void
duplicate_key_in_nested_object_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"o\":{\"k\":1,\"k\":2}}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "k");
}

static void
same_key_in_sibling_objects_is_allowed(void **state)
{
	struct fx *f = *state;

	assert_non_null(JP(f, "[{\"k\":1},{\"k\":2}]"));
}

static void
escaped_duplicate_key_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"ab\":1,\"a\\u0062\":2}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "ab");
}

static void
escaped_nul_in_string_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"user\":\"ad\\u0000min\"}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "user");
	assert_non_null(strstr(f->e.msg, "NUL"));
}

static void
escaped_nul_in_array_string_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"a\\u0000\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "");
}

static void
escaped_nul_in_key_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\\u0000b\":1}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
empty_key_is_refused(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"\":1}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
raw_nul_byte_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":1}\0"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
trailing_garbage_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":1} x"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_non_null(strstr(f->e.msg, "malformed JSON"));
}

static void
second_document_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{} {}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
truncated_document_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":[1,2"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
truncated_string_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "\"abc"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
invalid_utf8_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":\"\xc3\x28\"}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
overlong_utf8_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"\xc0\xaf\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
utf8_encoded_surrogate_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"\xed\xa0\x80\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
code_point_past_10ffff_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"\xf4\x90\x80\x80\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
lone_low_surrogate_escape_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"name\":\"a\\udc00\"}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
	assert_string_equal(f->e.field, "name");
}

static void
lone_low_surrogate_escape_in_key_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"\\ude00a\":2}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
invalid_utf8_in_key_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"\xc0\xaf\":1}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
stray_continuation_byte_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"a\x80\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
invalid_utf8_lead_byte_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"\xff\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
raw_control_character_in_string_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[\"a\nb\"]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
comments_are_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{/* c */\"a\":1}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
trailing_comma_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "[1,2,]"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
single_quotes_are_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{'a':1}"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
error_message_does_not_echo_input(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, "{\"a\":secretvalue}"));
	assert_null(strstr(f->e.msg, "secretvalue"));
}

static void
empty_body_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, ""), PARSE_SYNTAX);
	assert_null(f->root);
}

static void
whitespace_body_is_syntax_error(void **state)
{
	struct fx *f = *state;

	assert_null(JP(f, " \r\n\t"));
	assert_int_equal(f->e.status, PARSE_SYNTAX);
}

static void
failed_body_parse_leaves_no_root(void **state)
{
	struct fx *f = *state;

	assert_int_equal(JB(f, "{\"a\":"), PARSE_SYNTAX);
	assert_null(f->root);
	assert_int_equal(f->p.n, 0);
}

static void
exhausted_arena_is_nomem(void **state)
{
	struct fx *f = *state;

	arena_free(&f->a);
	arena_init(&f->a, 256);
	f->lim.max_nodes = 1000;
	f->lim.max_fields = 1000;
	assert_null(JP(f, "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]"));
	assert_int_equal(f->e.status, PARSE_NOMEM);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(object_members_are_typed_nodes),
		T(array_keeps_element_order),
		T(scalar_root_is_accepted),
		T(numbers_are_kept_as_text),
		T(booleans_carry_value_and_text),
		T(boolean_root_carries_value),
		T(string_escapes_are_decoded),
		T(json_get_finds_member_by_name),
		T(json_get_on_non_object_is_null),
		T(scalar_members_become_params_with_kinds),
		T(null_member_is_param_null_with_empty_value),
		T(array_of_scalars_becomes_repeated_params),
		T(nested_objects_are_not_flattened),
		T(containers_inside_arrays_are_not_flattened),
		T(non_object_root_adds_no_params),
		T(flattened_values_count_against_field_limit),
		T(nesting_at_depth_limit_is_accepted),
		T(nesting_past_depth_limit_is_limit_error_naming_depth),
		T(deep_nesting_is_refused_without_recursion),
		T(nodes_at_limit_are_accepted),
		T(nodes_past_limit_are_limit_error),
		T(object_members_at_limit_are_accepted),
		T(object_members_past_limit_are_limit_error),
		T(nested_object_members_are_limited_too),
		T(array_elements_are_not_member_limited),
		T(string_at_length_limit_is_accepted),
		T(string_past_length_limit_is_limit_error_naming_member),
		T(string_length_limit_counts_decoded_bytes),
		T(long_number_is_limit_error),
		T(member_name_past_length_limit_is_limit_error),
		T(duplicate_key_is_syntax_error_naming_key),
		T(duplicate_key_in_nested_object_is_refused),
		T(same_key_in_sibling_objects_is_allowed),
		T(escaped_duplicate_key_is_refused),
		T(escaped_nul_in_string_is_refused),
		T(escaped_nul_in_array_string_is_refused),
		T(escaped_nul_in_key_is_refused),
		T(empty_key_is_refused),
		T(raw_nul_byte_is_syntax_error),
		T(trailing_garbage_is_syntax_error),
		T(second_document_is_syntax_error),
		T(truncated_document_is_syntax_error),
		T(truncated_string_is_syntax_error),
		T(invalid_utf8_is_syntax_error),
		T(overlong_utf8_is_syntax_error),
		T(utf8_encoded_surrogate_is_syntax_error),
		T(code_point_past_10ffff_is_syntax_error),
		T(lone_low_surrogate_escape_is_syntax_error),
		T(lone_low_surrogate_escape_in_key_is_syntax_error),
		T(invalid_utf8_in_key_is_syntax_error),
		T(stray_continuation_byte_is_syntax_error),
		T(invalid_utf8_lead_byte_is_syntax_error),
		T(raw_control_character_in_string_is_syntax_error),
		T(comments_are_syntax_error),
		T(trailing_comma_is_syntax_error),
		T(single_quotes_are_syntax_error),
		T(error_message_does_not_echo_input),
		T(empty_body_is_syntax_error),
		T(whitespace_body_is_syntax_error),
		T(failed_body_parse_leaves_no_root),
		T(exhausted_arena_is_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
