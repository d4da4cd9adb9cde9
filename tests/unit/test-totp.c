/* test-totp.c: RFC 6238 codes (the RFC's SHA-1 vectors), the window, replay, base32. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gatehouse/totp.h"

static const unsigned char rfc_key[] = "12345678901234567890";

/* RFC 6238 Appendix B, SHA-1, the last six of its eight digits. */
static void
test_rfc6238_vectors(void **state)
{
	static const struct { int64_t t; long code; } v[] = {
		{ 59, 287082 }, { 1111111109, 81804 }, { 1111111111, 50471 },
		{ 1234567890, 5924 }, { 2000000000, 279037 }, { 20000000000LL, 353130 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(totp_code(rfc_key, 20, (uint64_t)totp_step(v[i].t)), v[i].code);
}

static void
test_match_takes_one_step_either_side_and_no_further(void **state)
{
	int64_t now = totp_step(1234567890);
	char	code[8];

	(void)state;
	for (int64_t d = -2; d <= 2; d++) {
		snprintf(code, sizeof(code), "%06ld", totp_code(rfc_key, 20, (uint64_t)(now + d)));
		if (d >= -1 && d <= 1)
			assert_int_equal(totp_match(rfc_key, 20, code, now, 0), now + d);
		else
			assert_int_equal(totp_match(rfc_key, 20, code, now, 0), -1);
	}
}

static void
test_a_code_is_accepted_once(void **state)
{
	int64_t now = totp_step(1234567890);
	char	code[8];

	(void)state;
	snprintf(code, sizeof(code), "%06ld", totp_code(rfc_key, 20, (uint64_t)now));
	assert_int_equal(totp_match(rfc_key, 20, code, now, now - 1), now);
	/* Once its step is the last used, neither it nor an older one works. */
	assert_int_equal(totp_match(rfc_key, 20, code, now, now), -1);
	snprintf(code, sizeof(code), "%06ld", totp_code(rfc_key, 20, (uint64_t)(now - 1)));
	assert_int_equal(totp_match(rfc_key, 20, code, now, now), -1);
}

static void
test_malformed_codes_match_nothing(void **state)
{
	(void)state;
	assert_int_equal(totp_match(rfc_key, 20, NULL, 100, 0), -1);
	assert_int_equal(totp_match(rfc_key, 20, "", 100, 0), -1);
	assert_int_equal(totp_match(rfc_key, 20, "12345", 100, 0), -1);
	assert_int_equal(totp_match(rfc_key, 20, "1234567", 100, 0), -1);
	assert_int_equal(totp_match(rfc_key, 20, "12a456", 100, 0), -1);
	assert_int_equal(totp_match(rfc_key, 20, " 12345", 100, 0), -1);
}

/* RFC 4648 §10, without padding. */
static void
test_base32(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	char out[TOTP_B32_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		totp_base32((const unsigned char *)v[i].in, strlen(v[i].in), out, sizeof(out));
		assert_string_equal(out, v[i].out);
	}
	totp_base32(rfc_key, 20, out, sizeof(out));
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	/* A buffer too small is cut short, never overrun. */
	totp_base32(rfc_key, 20, out, 5);
	assert_string_equal(out, "GEZD");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_match_takes_one_step_either_side_and_no_further),
		cmocka_unit_test(test_a_code_is_accepted_once),
		cmocka_unit_test(test_malformed_codes_match_nothing),
		cmocka_unit_test(test_base32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
