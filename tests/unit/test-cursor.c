/* test-cursor.c: paging cursors: exact encodings, round trips, and every way a sent one is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/cursor.h"

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static int
setup(void **state)
{
	static struct arena a;

	arena_init(&a, 1 << 20);
	*state = &a;
	return 0;
}

static int
teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* Positions and their cursors, computed independently (Python's urlsafe_b64encode, '=' removed). */
static const struct {
	const char	*sort;
	bool		 desc;
	const char	*val;
	int64_t		 id;
	const char	*cursor;
} encoded[] = {
	{ "id", false, "42", 42, "aWQKYQo0Mgo0Mg" },
	{ "id", false, "1", 1, "aWQKYQoxCjE" },
	{ "email", false, "ada@example.com", 9, "ZW1haWwKYQphZGFAZXhhbXBsZS5jb20KOQ" },
	{ "username", true, "\xc3\xa9l\xc3\xa8ve", 12, "dXNlcm5hbWUKZArDqWzDqHZlCjEy" },
	/* Bytes whose encoding needs the two URL-safe characters. */
	{ "username", false, "?>?~", 3, "dXNlcm5hbWUKYQo_Pj9-CjM" },
	{ "created_at", true, "2024-01-02 03:04:05.123456+00", 7,
	    "Y3JlYXRlZF9hdApkCjIwMjQtMDEtMDIgMDM6MDQ6MDUuMTIzNDU2KzAwCjc" },
	/* bench/search.sh makes this one with base64 and tr, for page 5,000 of a million users. */
	{ "id", false, "500023", 500023, "aWQKYQo1MDAwMjMKNTAwMDIz" },
	{ "email", true, "zoe.ng@d1.example", 77, "ZW1haWwKZAp6b2UubmdAZDEuZXhhbXBsZQo3Nw" },
};

static void
encodes_as_unpadded_base64url(void **state)
{
	for (size_t i = 0; i < sizeof(encoded) / sizeof(encoded[0]); i++) {
		char *c = cursor_encode(*state, encoded[i].sort, encoded[i].desc, encoded[i].val,
		    encoded[i].id);

		assert_non_null(c);
		assert_string_equal(c, encoded[i].cursor);
	}
}

static void
decodes_to_the_position_it_names(void **state)
{
	for (size_t i = 0; i < sizeof(encoded) / sizeof(encoded[0]); i++) {
		char want[256];
		char *raw = cursor_decode(*state, encoded[i].cursor);

		snprintf(want, sizeof(want), "%s\n%c\n%s\n%lld", encoded[i].sort,
		    encoded[i].desc ? 'd' : 'a', encoded[i].val, (long long)encoded[i].id);
		assert_non_null(raw);
		assert_string_equal(raw, want);
	}
}

/* Every remainder of the length modulo 3, and values that are long or odd, survive a round trip. */
static void
round_trips_values_of_every_length(void **state)
{
	char val[400];

	for (size_t n = 0; n < sizeof(val) - 1; n++) {
		char want[512], *c, *raw;

		for (size_t i = 0; i < n; i++)
			val[i] = (char)(' ' + (i * 7 + n) % 95);	/* printable, varied */
		val[n] = '\0';
		c = cursor_encode(*state, "email", n % 2, val, (int64_t)n * 1000003);
		assert_non_null(c);
		assert_int_equal(strspn(c, B64URL), strlen(c));
		raw = cursor_decode(*state, c);
		assert_non_null(raw);
		snprintf(want, sizeof(want), "email\n%c\n%s\n%lld", n % 2 ? 'd' : 'a', val,
		    (long long)n * 1000003);
		assert_string_equal(raw, want);
	}
}

static void
round_trips_the_extreme_ids(void **state)
{
	static const int64_t ids[] = { 0, 1, INT64_MAX, INT64_MIN };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char want[64], *raw;

		snprintf(want, sizeof(want), "id\na\nv\n%lld", (long long)ids[i]);
		raw = cursor_decode(*state, cursor_encode(*state, "id", false, "v", ids[i]));
		assert_non_null(raw);
		assert_string_equal(raw, want);
	}
}

/* Texts a client might send that are no cursor at all. */
static const struct {
	const char	*why;
	const char	*text;
} refused[] = {
	{ "empty", "" },
	{ "standard alphabet '/'", "dXNlcm5hbWUKYQo/Pj9-CjM" },
	{ "standard alphabet '+'", "dXNlcm5hbWUKYQo_Pj9+CjM" },
	{ "padding", "aWQKYQoxCjE=" },
	{ "space", "aWQK YQoxCjE" },
	{ "percent-encoding left in", "aWQKYQoxCjE%3D" },
	{ "dot", "aWQKYQoxCjE." },
	{ "non-ASCII", "aWQKYQoxCj\xc3\xa9" },
	{ "control character", "aWQKYQox\nCjE" },
	{ "one character", "Y" },
	{ "a length of 4k+1", "aWQKY" },
	/* "YR" and "YQ" both carry 'a' in their first 8 bits; only the canonical one is a cursor. */
	{ "unused bits set (2 characters)", "YR" },
	{ "unused bits set (3 characters)", "aWR" },
	{ "unused bits set at the end of a real cursor", "aWQKYQoxCjF" },
	/* Decoded text holding a NUL could hide a part from strtok and the checks after it. */
	{ "decodes to a NUL", "AA" },
	{ "decodes to text with a NUL inside", "YQBi" },
	{ "decodes to text ending in NUL", "aWQKYQoxCjEA" },
};

static void
refuses_what_is_not_a_cursor(void **state)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (cursor_decode(*state, refused[i].text) != NULL)
			fail_msg("accepted %s: \"%s\"", refused[i].why, refused[i].text);
	}
}

/* Changing any one character of a cursor never yields the same position. */
static void
tampering_never_decodes_to_the_original(void **state)
{
	const char	*orig = "ZW1haWwKYQphZGFAZXhhbXBsZS5jb20KOQ";
	const char	*want = "email\na\nada@example.com\n9";
	char		 t[64];

	for (size_t i = 0; i < strlen(orig); i++)
		for (const char *c = B64URL; *c; c++) {
			char *raw;

			if (*c == orig[i])
				continue;
			snprintf(t, sizeof(t), "%s", orig);
			t[i] = *c;
			raw = cursor_decode(*state, t);
			if (raw != NULL && strcmp(raw, want) == 0)
				fail_msg("tampered \"%s\" decodes to the original", t);
		}
}

static void
accepts_up_to_the_length_limit(void **state)
{
	char	s[CURSOR_MAX + 8], *raw;

	/* "YWJj" is "abc": CURSOR_MAX characters decode to 3/4 as many bytes. */
	for (size_t i = 0; i < CURSOR_MAX; i += 4)
		memcpy(s + i, "YWJj", 4);
	s[CURSOR_MAX] = '\0';
	raw = cursor_decode(*state, s);
	assert_non_null(raw);
	assert_int_equal(strlen(raw), CURSOR_MAX / 4 * 3);
	assert_memory_equal(raw, "abcabc", 6);

	/* Four more characters, still well-formed, are past the limit. */
	memcpy(s + CURSOR_MAX, "YWJj", 5);
	assert_null(cursor_decode(*state, s));
}

/* The arena bounds what one request may allocate: an exhausted one gives NULL, not a crash. */
static void
exhausted_arena_gives_null(void **state)
{
	struct arena	small;
	char		val[2048];

	(void)state;
	memset(val, 'x', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	arena_init(&small, 1024);
	assert_null(cursor_encode(&small, "username", false, val, 1));
	arena_free(&small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(encodes_as_unpadded_base64url, setup, teardown),
		cmocka_unit_test_setup_teardown(decodes_to_the_position_it_names, setup, teardown),
		cmocka_unit_test_setup_teardown(round_trips_values_of_every_length, setup, teardown),
		cmocka_unit_test_setup_teardown(round_trips_the_extreme_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_what_is_not_a_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(tampering_never_decodes_to_the_original, setup, teardown),
		cmocka_unit_test_setup_teardown(accepts_up_to_the_length_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(exhausted_arena_gives_null, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
