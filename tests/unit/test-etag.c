/* test-etag.c: If-Match lists (RFC 9110 §8.8.3, §13.1.1) and the ETag we send. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/etag.h"

static const char *const names[] = {
	[ETAG_ANY] = "ANY", [ETAG_VERSION] = "VERSION", [ETAG_FOREIGN] = "FOREIGN", [ETAG_BAD] = "BAD",
};

static const struct {
	const char		*value;
	enum etag_result	 want;
	int			 version;	/* for ETAG_VERSION */
} cases[] = {
	/* No precondition. */
	{ NULL,				ETAG_ANY,	0 },
	{ "*",				ETAG_ANY,	0 },
	{ " *\t",			ETAG_ANY,	0 },

	/* Our tags, strong and weak: compared weakly, both name the version. */
	{ "\"0\"",			ETAG_VERSION,	0 },
	{ "\"7\"",			ETAG_VERSION,	7 },
	{ "W/\"7\"",			ETAG_VERSION,	7 },
	{ "\"2000000000\"",		ETAG_VERSION,	2000000000 },
	{ "  \"12\"  ",			ETAG_VERSION,	12 },

	/* Lists: one of ours among foreign tags, the same version twice, empty elements. */
	{ "\"a\", \"5\"",		ETAG_VERSION,	5 },
	{ "\"5\",W/\"x\"",		ETAG_VERSION,	5 },
	{ "\"5\" , W/\"5\"",		ETAG_VERSION,	5 },
	{ ", \"5\",,",			ETAG_VERSION,	5 },
	{ "\"5\"\t,\t\"\"",		ETAG_VERSION,	5 },

	/* Well-formed tags that are not ours: they can never match. */
	{ "\"stale-0\"",		ETAG_FOREIGN,	0 },
	{ "\"\"",			ETAG_FOREIGN,	0 },
	{ "W/\"\"",			ETAG_FOREIGN,	0 },
	{ "\"+11\"",			ETAG_FOREIGN,	0 },
	{ "\"-1\"",			ETAG_FOREIGN,	0 },
	{ "\"011\"",			ETAG_FOREIGN,	0 },
	{ "\"00\"",			ETAG_FOREIGN,	0 },
	{ "\"2000000001\"",		ETAG_FOREIGN,	0 },
	{ "\"99999999999999999999\"",	ETAG_FOREIGN,	0 },
	{ "\"1.0\"",			ETAG_FOREIGN,	0 },
	{ "\"0x1\"",			ETAG_FOREIGN,	0 },
	{ "\"1e3\"",			ETAG_FOREIGN,	0 },
	{ "\"\xc3\xa9\"",		ETAG_FOREIGN,	0 },	/* obs-text is etagc */
	{ "\"a\", W/\"b\"",		ETAG_FOREIGN,	0 },
	{ "\"!#~\"",			ETAG_FOREIGN,	0 },

	/* Not an entity-tag list. */
	{ "",				ETAG_BAD,	0 },
	{ " ",				ETAG_BAD,	0 },
	{ ",",				ETAG_BAD,	0 },
	{ " , ,\t, ",			ETAG_BAD,	0 },
	{ "7",				ETAG_BAD,	0 },
	{ "\"7",			ETAG_BAD,	0 },
	{ "7\"",			ETAG_BAD,	0 },
	{ "\" 12\"",			ETAG_BAD,	0 },	/* SP is not etagc */
	{ "\"12 \"",			ETAG_BAD,	0 },
	{ "\"1\t2\"",			ETAG_BAD,	0 },
	{ "\"1\x7f\"",			ETAG_BAD,	0 },	/* DEL */
	{ "\"1\x01\"",			ETAG_BAD,	0 },
	{ "w/\"7\"",			ETAG_BAD,	0 },	/* %s"W/": case-sensitive */
	{ "W/ \"7\"",			ETAG_BAD,	0 },
	{ "W\"7\"",			ETAG_BAD,	0 },
	{ "W/7",			ETAG_BAD,	0 },
	{ "'7'",			ETAG_BAD,	0 },
	{ "\"7\"x",			ETAG_BAD,	0 },
	{ "\"7\" \"8\"",		ETAG_BAD,	0 },
	{ "\"7\";q=1",			ETAG_BAD,	0 },
	{ "\"a\"b\"",			ETAG_BAD,	0 },
	{ "**",				ETAG_BAD,	0 },
	{ "*, \"7\"",			ETAG_BAD,	0 },
	{ "\"7\", *",			ETAG_BAD,	0 },
	{ "*,",				ETAG_BAD,	0 },
	/* Two different versions of ours: no single precondition. */
	{ "\"7\", \"8\"",		ETAG_BAD,	0 },
	{ "W/\"7\", \"x\", W/\"8\"",	ETAG_BAD,	0 },
};

static void
if_match_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int			v = 12345;
		enum etag_result	got = etag_parse_if_match(cases[i].value, &v);

		if (got != cases[i].want)
			fail_msg("If-Match %s%s%s: got %s, want %s", cases[i].value ? "'" : "",
			    cases[i].value ? cases[i].value : "(absent)", cases[i].value ? "'" : "",
			    names[got], names[cases[i].want]);
		if (got == ETAG_VERSION && v != cases[i].version)
			fail_msg("If-Match '%s': version %d, want %d", cases[i].value, v,
			    cases[i].version);
		if (got != ETAG_VERSION && v != -1)
			fail_msg("If-Match '%s': version %d left set", cases[i].value ? cases[i].value : "",
			    v);
	}
}

/* The ETag we send is the strong tag the API has always sent, and reads back as its version. */
static void
format_is_a_strong_tag_that_parses_back(void **state)
{
	static const int versions[] = { 0, 1, 42, 1999999999, 2000000000 };
	char	buf[ETAG_LEN], want[32];

	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		int v = -1;

		etag_format(buf, sizeof(buf), versions[i]);
		snprintf(want, sizeof(want), "\"%d\"", versions[i]);
		assert_string_equal(buf, want);
		assert_int_equal(etag_parse_if_match(buf, &v), ETAG_VERSION);
		assert_int_equal(v, versions[i]);
	}
}

static void
format_truncates_to_the_buffer(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	etag_format(buf, sizeof(buf), 123456);
	assert_string_equal(buf, "\"12");
}

/* If-None-Match: "*" or any listed tag of ours at the version (weakly). */
static void
if_none_match_lists(void **state)
{
	(void)state;
	assert_true(etag_list_has("*", 3));
	assert_true(etag_list_has("\"3\"", 3));
	assert_true(etag_list_has("W/\"7\", W/\"3\"", 3));
	assert_true(etag_list_has(" \"x\" ,, W/\"3\" ", 3));
	assert_false(etag_list_has(NULL, 3));
	assert_false(etag_list_has("W/\"7\", \"x\"", 3));
	assert_false(etag_list_has("W/\"3\" garbage", 3));
	assert_false(etag_list_has("3", 3));
	assert_false(etag_list_has("*, \"3\"", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(if_match_values),
		cmocka_unit_test(if_none_match_lists),
		cmocka_unit_test(format_is_a_strong_tag_that_parses_back),
		cmocka_unit_test(format_truncates_to_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
