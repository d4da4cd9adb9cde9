/* test-buf.c: the growable buffer, JSON string escaping and the comma-placing JSON writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/buf.h"

struct fx {
	struct buf	b;
	struct jsonw	w;
};

static int
setup(void **state)
{
	static struct fx f;

	buf_init(&f.b);
	jsonw_init(&f.w, &f.b);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	buf_free(&f->b);
	return 0;
}

/* Escapes n bytes of s into the fixture's buffer and returns the text. */
static const char *
esc(struct fx *f, const char *s, size_t n)
{
	buf_reset(&f->b);
	json_escape(&f->b, s, n);
	return buf_cstr(&f->b);
}

#define ESC(f, lit)	esc((f), (lit), sizeof(lit) - 1)

/* --- buffer --- */

static void
appends_accumulate_in_order(void **state)
{
	struct fx *f = *state;

	buf_append(&f->b, "ab", 2);
	buf_puts(&f->b, "cd");
	buf_putc(&f->b, 'e');
	buf_printf(&f->b, "%d-%s", 42, "x");
	assert_int_equal(f->b.len, 9);
	assert_string_equal(buf_cstr(&f->b), "abcde42-x");
	assert_false(f->b.failed);
}

static void
contents_are_always_nul_terminated(void **state)
{
	struct fx *f = *state;

	buf_append(&f->b, "abc", 3);
	assert_int_equal(f->b.data[3], '\0');
	buf_append(&f->b, "de", 1);
	assert_int_equal(f->b.data[4], '\0');
	assert_string_equal(f->b.data, "abcd");
}

static void
empty_buffer_reads_as_empty_string(void **state)
{
	struct fx *f = *state;

	assert_string_equal(buf_cstr(&f->b), "");
	assert_int_equal(f->b.len, 0);
}

static void
appended_nul_bytes_are_kept(void **state)
{
	struct fx *f = *state;

	buf_append(&f->b, "a\0b", 3);
	assert_int_equal(f->b.len, 3);
	assert_memory_equal(f->b.data, "a\0b", 3);
}

static void
printf_grows_past_first_block(void **state)
{
	struct fx *f = *state;
	char want[1001];

	memset(want, 'x', 1000);
	want[1000] = '\0';
	buf_puts(&f->b, "xxxxx");
	buf_printf(&f->b, "%.*s", 995, want);
	assert_int_equal(f->b.len, 1000);
	assert_true(f->b.cap > 1000);
	assert_string_equal(buf_cstr(&f->b), want);
	assert_false(f->b.failed);
}

static void
printf_exactly_filling_the_block_still_terminates(void **state)
{
	struct fx *f = *state;
	char want[256];

	memset(want, 'y', 255);
	want[255] = '\0';
	buf_printf(&f->b, "%s", want);
	assert_int_equal(f->b.len, 255);
	assert_string_equal(buf_cstr(&f->b), want);
	buf_printf(&f->b, "%s", "z");
	assert_int_equal(f->b.len, 256);
	assert_int_equal(f->b.data[255], 'z');
	assert_int_equal(f->b.data[256], '\0');
}

static void
many_small_appends_grow_the_buffer(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5000; i++)
		buf_putc(&f->b, (char)('a' + i % 26));
	assert_int_equal(f->b.len, 5000);
	assert_int_equal(strlen(buf_cstr(&f->b)), 5000);
	assert_int_equal(f->b.data[4999], 'a' + 4999 % 26);
}

static void
reset_empties_but_keeps_capacity(void **state)
{
	struct fx *f = *state;
	size_t cap;

	buf_puts(&f->b, "hello");
	cap = f->b.cap;
	buf_reset(&f->b);
	assert_int_equal(f->b.len, 0);
	assert_int_equal(f->b.cap, cap);
	assert_string_equal(buf_cstr(&f->b), "");
}

static void
wipe_zeroes_the_whole_allocation(void **state)
{
	struct fx *f = *state;
	char *data;

	buf_puts(&f->b, "gh_1k1_supersecretsupersecretsupersecretsupers");
	data = f->b.data;
	buf_wipe(&f->b);
	assert_ptr_equal(f->b.data, data);
	assert_int_equal(f->b.len, 0);
	for (size_t i = 0; i < f->b.cap; i++)
		assert_int_equal(f->b.data[i], 0);
}

static void
wipe_of_empty_buffer_is_harmless(void **state)
{
	struct fx *f = *state;

	buf_wipe(&f->b);
	assert_null(f->b.data);
	assert_int_equal(f->b.len, 0);
}

static void
free_releases_and_reinitialises(void **state)
{
	struct fx *f = *state;

	buf_puts(&f->b, "x");
	buf_free(&f->b);
	assert_null(f->b.data);
	assert_int_equal(f->b.len, 0);
	assert_int_equal(f->b.cap, 0);
	buf_free(&f->b);
}

static void
oversized_append_fails_and_sticks(void **state)
{
	struct fx *f = *state;

	buf_puts(&f->b, "ok");
	/* The size check comes before any copy, so the short source is never read. */
	buf_append(&f->b, "x", ((size_t)1 << 30) + 1);
	assert_true(f->b.failed);
	buf_puts(&f->b, "more");
	assert_int_equal(f->b.len, 2);
	assert_string_equal(f->b.data, "ok");
}

static void
reset_clears_failure(void **state)
{
	struct fx *f = *state;

	f->b.failed = true;
	buf_reset(&f->b);
	assert_false(f->b.failed);
	buf_puts(&f->b, "x");
	assert_string_equal(buf_cstr(&f->b), "x");
}

/* --- escaping --- */

static void
plain_text_is_unchanged(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "hello world 123"), "hello world 123");
}

static void
quote_and_backslash_are_escaped(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "a\"b\\c"), "a\\\"b\\\\c");
}

static void
common_whitespace_controls_use_short_escapes(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "\n\r\t"), "\\n\\r\\t");
}

static void
other_controls_use_unicode_escapes(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "\x01\x08\x0c\x1f"), "\\u0001\\u0008\\u000c\\u001f");
}

static void
nul_byte_is_escaped(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "a\0b"), "a\\u0000b");
}

static void
html_specials_are_unicode_escaped(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "<script>&"), "\\u003cscript\\u003e\\u0026");
}

static void
utf8_passes_through_and_del_is_escaped(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "\xc3\xa9\x7f/"), "\xc3\xa9\\u007f/");
	assert_string_equal(ESC(f, "\xf0\x9f\x94\x91"), "\xf0\x9f\x94\x91");
}

static void
invalid_utf8_becomes_replacement_character(void **state)
{
	struct fx *f = *state;

	/* A lone continuation byte, a truncated sequence, an overlong form, a surrogate. */
	assert_string_equal(ESC(f, "a\x80" "b"), "a\\ufffdb");
	assert_string_equal(ESC(f, "\xc3"), "\\ufffd");
	assert_string_equal(ESC(f, "\xc0\xaf"), "\\ufffd\\ufffd");
	assert_string_equal(ESC(f, "\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
}

static void
escape_at_both_ends_keeps_runs_intact(void **state)
{
	struct fx *f = *state;

	assert_string_equal(ESC(f, "\"abc\""), "\\\"abc\\\"");
	assert_string_equal(ESC(f, ""), "");
}

/* --- writer --- */

static void
empty_object_and_array(void **state)
{
	struct fx *f = *state;

	jsonw_arr_open(&f->w);
	jsonw_obj_open(&f->w);
	jsonw_obj_close(&f->w);
	jsonw_arr_open(&f->w);
	jsonw_arr_close(&f->w);
	jsonw_arr_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "[{},[]]");
}

static void
object_members_are_comma_separated(void **state)
{
	struct fx *f = *state;

	jsonw_obj_open(&f->w);
	jsonw_kstr(&f->w, "a", "x");
	jsonw_kint(&f->w, "b", -3);
	jsonw_kbool(&f->w, "c", true);
	jsonw_key(&f->w, "d");
	jsonw_null(&f->w);
	jsonw_obj_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "{\"a\":\"x\",\"b\":-3,\"c\":true,\"d\":null}");
	assert_false(f->b.failed);
}

static void
nested_containers_place_commas_per_level(void **state)
{
	struct fx *f = *state;

	jsonw_obj_open(&f->w);
	jsonw_kint(&f->w, "a", 1);
	jsonw_key(&f->w, "b");
	jsonw_arr_open(&f->w);
	jsonw_int(&f->w, 1);
	jsonw_obj_open(&f->w);
	jsonw_kbool(&f->w, "c", false);
	jsonw_key(&f->w, "d");
	jsonw_arr_open(&f->w);
	jsonw_arr_close(&f->w);
	jsonw_obj_close(&f->w);
	jsonw_str(&f->w, "z");
	jsonw_arr_close(&f->w);
	jsonw_key(&f->w, "e");
	jsonw_obj_open(&f->w);
	jsonw_obj_close(&f->w);
	jsonw_obj_close(&f->w);
	assert_string_equal(buf_cstr(&f->b),
	    "{\"a\":1,\"b\":[1,{\"c\":false,\"d\":[]},\"z\"],\"e\":{}}");
}

static void
array_of_arrays(void **state)
{
	struct fx *f = *state;

	jsonw_arr_open(&f->w);
	for (int i = 0; i < 3; i++) {
		jsonw_arr_open(&f->w);
		for (int j = 0; j < i; j++)
			jsonw_int(&f->w, j);
		jsonw_arr_close(&f->w);
	}
	jsonw_arr_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "[[],[0],[0,1]]");
}

static void
keys_and_strings_are_escaped(void **state)
{
	struct fx *f = *state;

	jsonw_obj_open(&f->w);
	jsonw_kstr(&f->w, "k\"<", "v\n</script>");
	jsonw_obj_close(&f->w);
	assert_string_equal(buf_cstr(&f->b),
	    "{\"k\\\"\\u003c\":\"v\\n\\u003c/script\\u003e\"}");
}

static void
null_string_is_written_as_null(void **state)
{
	struct fx *f = *state;

	jsonw_arr_open(&f->w);
	jsonw_str(&f->w, NULL);
	jsonw_str(&f->w, "");
	jsonw_arr_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "[null,\"\"]");
}

static void
strn_writes_only_n_bytes(void **state)
{
	struct fx *f = *state;

	jsonw_strn(&f->w, "abcdef", 3);
	assert_string_equal(buf_cstr(&f->b), "\"abc\"");
}

static void
int_extremes_are_written_exactly(void **state)
{
	struct fx *f = *state;

	jsonw_arr_open(&f->w);
	jsonw_int(&f->w, INT64_MAX);
	jsonw_int(&f->w, INT64_MIN);
	jsonw_int(&f->w, 0);
	jsonw_arr_close(&f->w);
	assert_string_equal(buf_cstr(&f->b),
	    "[9223372036854775807,-9223372036854775808,0]");
}

static void
raw_json_is_inserted_as_one_value(void **state)
{
	struct fx *f = *state;

	jsonw_obj_open(&f->w);
	jsonw_kint(&f->w, "a", 1);
	jsonw_key(&f->w, "meta");
	jsonw_raw(&f->w, "{\"x\":[1,2]}", 11);
	jsonw_kint(&f->w, "b", 2);
	jsonw_obj_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "{\"a\":1,\"meta\":{\"x\":[1,2]},\"b\":2}");
}

static void
raw_values_in_array_get_commas(void **state)
{
	struct fx *f = *state;

	jsonw_arr_open(&f->w);
	jsonw_raw(&f->w, "1.5", 3);
	jsonw_raw(&f->w, "true", 4);
	jsonw_arr_close(&f->w);
	assert_string_equal(buf_cstr(&f->b), "[1.5,true]");
}

static void
closing_at_top_level_fails(void **state)
{
	struct fx *f = *state;

	jsonw_obj_close(&f->w);
	assert_true(f->b.failed);
}

static void
nesting_to_writer_depth_is_allowed(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < JSONW_DEPTH - 1; i++)
		jsonw_arr_open(&f->w);
	for (int i = 0; i < JSONW_DEPTH - 1; i++)
		jsonw_arr_close(&f->w);
	assert_false(f->b.failed);
	assert_int_equal(f->b.len, 2 * (JSONW_DEPTH - 1));
}

static void
nesting_past_writer_depth_fails(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < JSONW_DEPTH; i++)
		jsonw_arr_open(&f->w);
	assert_true(f->b.failed);
}

/* Each byte alone: printable ASCII passes but for five, the rest is escaped (JSON and HTML). */
static void
every_byte_passes_or_is_escaped_as_the_rules_say(void **state)
{
	struct fx *f = *state;

	for (int c = 0; c < 256; c++) {
		char		 in = (char)c;
		const char	*out = esc(f, &in, 1);
		int		 plain = c >= 0x20 && c < 0x7f && strchr("\"\\<>&", c) == NULL;

		if (plain) {
			assert_int_equal(strlen(out), 1);
			assert_int_equal((unsigned char)out[0], c);
		} else {
			assert_int_equal(out[0], '\\');
			if (c >= 0x80)
				assert_string_equal(out, "\\ufffd");
		}
	}
}

static void
putint_writes_decimal_digits(void **state)
{
	struct fx *f = *state;

	buf_putint(&f->b, 0);
	buf_putc(&f->b, ' ');
	buf_putint(&f->b, 7);
	buf_putc(&f->b, ' ');
	buf_putint(&f->b, -42);
	buf_putc(&f->b, ' ');
	buf_putint(&f->b, 1000000);
	buf_putc(&f->b, ' ');
	buf_putint(&f->b, INT64_MAX);
	buf_putc(&f->b, ' ');
	buf_putint(&f->b, INT64_MIN);
	assert_string_equal(buf_cstr(&f->b),
	    "0 7 -42 1000000 9223372036854775807 -9223372036854775808");
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(appends_accumulate_in_order),
		T(contents_are_always_nul_terminated),
		T(empty_buffer_reads_as_empty_string),
		T(appended_nul_bytes_are_kept),
		T(printf_grows_past_first_block),
		T(printf_exactly_filling_the_block_still_terminates),
		T(many_small_appends_grow_the_buffer),
		T(reset_empties_but_keeps_capacity),
		T(wipe_zeroes_the_whole_allocation),
		T(wipe_of_empty_buffer_is_harmless),
		T(free_releases_and_reinitialises),
		T(oversized_append_fails_and_sticks),
		T(reset_clears_failure),
		T(plain_text_is_unchanged),
		T(quote_and_backslash_are_escaped),
		T(common_whitespace_controls_use_short_escapes),
		T(other_controls_use_unicode_escapes),
		T(nul_byte_is_escaped),
		T(html_specials_are_unicode_escaped),
		T(utf8_passes_through_and_del_is_escaped),
		T(invalid_utf8_becomes_replacement_character),
		T(escape_at_both_ends_keeps_runs_intact),
		T(every_byte_passes_or_is_escaped_as_the_rules_say),
		T(putint_writes_decimal_digits),
		T(empty_object_and_array),
		T(object_members_are_comma_separated),
		T(nested_containers_place_commas_per_level),
		T(array_of_arrays),
		T(keys_and_strings_are_escaped),
		T(null_string_is_written_as_null),
		T(strn_writes_only_n_bytes),
		T(int_extremes_are_written_exactly),
		T(raw_json_is_inserted_as_one_value),
		T(raw_values_in_array_get_commas),
		T(closing_at_top_level_fails),
		T(nesting_to_writer_depth_is_allowed),
		T(nesting_past_writer_depth_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
