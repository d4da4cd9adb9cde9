/* test-html.c: the one HTML escaping helper — markup characters, controls, bad UTF-8, and what passes through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/buf.h"
#include "gatehouse/html.h"

#define FFFD	"\xef\xbf\xbd"

/* html_escape of n bytes of s, as a string the test owns in b. */
static const char *
esc(struct buf *b, const char *s, size_t n)
{
	buf_reset(b);
	html_escape(b, s, n);
	return buf_cstr(b);
}

static void
markup_characters_become_entities(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_string_equal(esc(&b, "<script>alert('x')</script>", 27),
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	assert_string_equal(esc(&b, "a & b \"c\"", 9), "a &amp; b &quot;c&quot;");
	/* An entity in the input is text, not an entity: its & is escaped too. */
	assert_string_equal(esc(&b, "&amp;", 5), "&amp;amp;");
	buf_free(&b);
}

static void
an_attribute_value_cannot_be_closed(void **state)
{
	struct buf	 b;
	const char	*in = "x\" onmouseover=\"alert(1)' y='";
	const char	*out;

	(void)state;
	buf_init(&b);
	out = esc(&b, in, strlen(in));
	assert_null(strchr(out, '"'));
	assert_null(strchr(out, '\''));
	assert_null(strchr(out, '<'));
	assert_null(strchr(out, '>'));
	buf_free(&b);
}

static void
text_and_utf8_pass_through(void **state)
{
	struct buf	 b;
	const char	*in = "Zoë Ørsted — 東京 🙂 tab\there\nline\r\n";

	(void)state;
	buf_init(&b);
	assert_string_equal(esc(&b, in, strlen(in)), in);
	assert_string_equal(esc(&b, "", 0), "");
	buf_free(&b);
}

static void
controls_and_nul_become_the_replacement_character(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_string_equal(esc(&b, "a\0b", 3), "a" FFFD "b");
	assert_string_equal(esc(&b, "\x01\x1b[31m\x7f", 7), FFFD FFFD "[31m" FFFD);
	/* C1 controls (U+0080–U+009F) are well-formed UTF-8 but no text either. */
	assert_string_equal(esc(&b, "x\xc2\x85y\xc2\x9f", 6), "x" FFFD "y" FFFD);
	/* U+00A0 is the first character past them, and passes. */
	assert_string_equal(esc(&b, "\xc2\xa0", 2), "\xc2\xa0");
	buf_free(&b);
}

static void
malformed_utf8_becomes_the_replacement_character(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_string_equal(esc(&b, "\xff", 1), FFFD);
	assert_string_equal(esc(&b, "\xc0\xbc", 2), FFFD FFFD);		/* overlong '<' */
	assert_string_equal(esc(&b, "\xed\xa0\x80", 3), FFFD FFFD FFFD);	/* a surrogate */
	assert_string_equal(esc(&b, "ab\xe6\x9d", 4), "ab" FFFD FFFD);		/* cut short */
	assert_string_equal(esc(&b, "\xe6\x9d<", 3), FFFD FFFD "&lt;");
	buf_free(&b);
}

static void
only_n_bytes_are_read_and_output_is_appended(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_puts(&b, "<p>");
	html_escape(&b, "a<b", 2);
	html_puts(&b, NULL);
	html_puts(&b, ">");
	assert_string_equal(buf_cstr(&b), "<p>a&lt;&gt;");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(markup_characters_become_entities),
		cmocka_unit_test(an_attribute_value_cannot_be_closed),
		cmocka_unit_test(text_and_utf8_pass_through),
		cmocka_unit_test(controls_and_nul_become_the_replacement_character),
		cmocka_unit_test(malformed_utf8_becomes_the_replacement_character),
		cmocka_unit_test(only_n_bytes_are_read_and_output_is_appended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
