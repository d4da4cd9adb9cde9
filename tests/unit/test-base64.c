/* test-base64.c: the one base64 codec: RFC 4648 vectors in both alphabets, and strict decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/base64.h"

/* RFC 4648 §10, without the padding. */
static const struct {
	const char	*bytes;
	const char	*text;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static void
encodes_the_rfc_vectors(void **state)
{
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t n = strlen(rfc4648[i].bytes);

		assert_int_equal(base64_encode(BASE64_URL, rfc4648[i].bytes, n, out),
		    strlen(rfc4648[i].text));
		assert_int_equal(BASE64_LEN(n), strlen(rfc4648[i].text));
		assert_string_equal(out, rfc4648[i].text);
	}
}

static void
decodes_the_rfc_vectors(void **state)
{
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const char *t = rfc4648[i].text;

		assert_int_equal(base64_decode(BASE64_STD, t, strlen(t), out, sizeof(out)),
		    strlen(rfc4648[i].bytes));
		assert_memory_equal(out, rfc4648[i].bytes, strlen(rfc4648[i].bytes));
	}
}

/* 0xfb 0xff 0xbf: the bytes whose encoding uses characters 62 and 63 of each alphabet. */
static void
alphabets_differ_only_in_the_last_two(void **state)
{
	static const unsigned char b[] = { 0xfb, 0xff, 0xbf };
	unsigned char	out[4];
	char		t[8];

	(void)state;
	base64_encode(BASE64_STD, b, 3, t);
	assert_string_equal(t, "+/+/");
	base64_encode(BASE64_URL, b, 3, t);
	assert_string_equal(t, "-_-_");
	assert_int_equal(base64_decode(BASE64_URL, "-_-_", 4, out, sizeof(out)), 3);
	assert_memory_equal(out, b, 3);
	assert_int_equal(base64_decode(BASE64_STD, "-_-_", 4, out, sizeof(out)), -1);
	assert_int_equal(base64_decode(BASE64_URL, "+/+/", 4, out, sizeof(out)), -1);
	assert_string_equal(base64_chars(BASE64_URL) + 62, "-_");
	assert_string_equal(base64_chars(BASE64_STD) + 62, "+/");
}

static const struct {
	const char	*why;
	const char	*text;
	size_t		 len;
} refused[] = {
	{ "padding", "Zg==", 4 },
	{ "a length of 4k+1", "Zm9vY", 5 },
	{ "NUL inside the length", "Zm\0v", 4 },
	{ "space", "Zm 9", 4 },
	{ "non-ASCII", "Zm\xc3\xa9", 4 },
	{ "unused bits set after one byte", "Zh", 2 },
	{ "unused bits set after two bytes", "Zm9", 3 },
};

static void
refuses_all_but_canonical_text(void **state)
{
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (base64_decode(BASE64_URL, refused[i].text, refused[i].len, out, sizeof(out)) != -1)
			fail_msg("accepted %s", refused[i].why);
}

/* The bound is checked before anything is written. */
static void
never_writes_past_max(void **state)
{
	unsigned char out[8];

	(void)state;
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(base64_decode(BASE64_URL, "Zm9vYmFy", 8, out, 5), -1);
	assert_int_equal(out[0], 0x5a);
	assert_int_equal(base64_decode(BASE64_URL, "Zm9vYmFy", 8, out, 6), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(out[6], 0x5a);
}

static void
round_trips_every_byte_value(void **state)
{
	unsigned char	in[256], out[256];
	char		t[BASE64_LEN(256) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= sizeof(in); n++) {
		size_t len = base64_encode(BASE64_STD, in, n, t);

		assert_int_equal(len, BASE64_LEN(n));
		assert_int_equal(base64_decode(BASE64_STD, t, len, out, n), n);
		assert_memory_equal(out, in, n);
	}
}

static void
base16_round_trips_and_refuses_what_is_not_hex(void **state)
{
	unsigned char	in[256], out[256];
	char		t[2 * sizeof(in) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	base16_encode(in, sizeof(in), t);
	assert_int_equal(strncmp(t, "000102", 6), 0);
	assert_string_equal(t + 2 * 250, "fafbfcfdfeff");
	assert_int_equal(base16_decode(t, out, sizeof(out)), 256);
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(base16_decode("DEADbeef", out, 4), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(base16_decode("", out, 0), 0);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(base16_decode("deadbeef", out, 3), -1);	/* past max: nothing written */
	assert_int_equal(out[0], 0x5a);
	assert_int_equal(base16_decode("abc", out, 4), -1);
	assert_int_equal(base16_decode("zz", out, 4), -1);
	assert_int_equal(base16_decode("0x", out, 4), -1);
	assert_int_equal(base16_decode("a b ", out, 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_the_rfc_vectors),
		cmocka_unit_test(decodes_the_rfc_vectors),
		cmocka_unit_test(alphabets_differ_only_in_the_last_two),
		cmocka_unit_test(refuses_all_but_canonical_text),
		cmocka_unit_test(never_writes_past_max),
		cmocka_unit_test(round_trips_every_byte_value),
		cmocka_unit_test(base16_round_trips_and_refuses_what_is_not_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
