/* test-validate.c: the e-mail and username checks shared by every surface. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/validate.h"

/* Fills out with n copies of c followed by tail. */
static char *
fill(char *out, char c, size_t n, const char *tail)
{
	memset(out, c, n);
	strcpy(out + n, tail);
	return out;
}

/* --- e-mail --- */

static void
plain_addresses_are_valid(void **state)
{
	(void)state;
	assert_true(valid_email("a@b.co"));
	assert_true(valid_email("ada@example.org"));
	assert_true(valid_email("first.last+tag@mail.example.org"));
	assert_true(valid_email("x_y-z=1@example.museum"));
	assert_true(valid_email("a@xn--bcher-kva.example"));
	assert_true(valid_email("a@b.c"));
}

/* The mailer speaks plain SMTP: an address it could not send to is refused. */
static void
non_ascii_addresses_are_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("z\xc3\xab@example.org"));
	assert_false(valid_email("a@b\xc3\xbc" "cher.example"));
}

static void
empty_and_short_addresses_are_invalid(void **state)
{
	(void)state;
	assert_false(valid_email(""));
	assert_false(valid_email("a"));
	assert_false(valid_email("@"));
	assert_false(valid_email("a@"));
}

static void
address_without_at_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("ada.example.org"));
}

static void
empty_local_part_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("@example.org"));
}

static void
two_at_signs_are_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a@@example.org"));
	assert_false(valid_email("a@b@example.org"));
}

static void
domain_without_dot_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a@localhost"));
	assert_false(valid_email("a@b"));
}

static void
domain_starting_with_dot_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a@.example.org"));
	assert_false(valid_email("a@.org"));
}

static void
domain_ending_with_dot_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a@example.org."));
	assert_false(valid_email("a@example."));
}

static void
empty_domain_label_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a@example..org"));
}

static void
whitespace_and_controls_are_invalid(void **state)
{
	(void)state;
	assert_false(valid_email("a b@example.org"));
	assert_false(valid_email("a@exa mple.org"));
	assert_false(valid_email(" a@example.org"));
	assert_false(valid_email("a@example.org "));
	assert_false(valid_email("a\t@example.org"));
	assert_false(valid_email("a@example.org\r\nBcc: x@y.z"));
	assert_false(valid_email("a\x7f@example.org"));
	assert_false(valid_email("a\x01@example.org"));
}

static void
specials_are_invalid(void **state)
{
	static const char *const bad[] = {
		"\"a\"@example.org", "a(b)@example.org", "a,b@example.org",
		"a:b@example.org", "a;b@example.org", "<a@example.org>",
		"a@[192.0.2.1]", "a\\b@example.org",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(valid_email(bad[i]));
}

static void
local_part_of_64_bytes_is_valid(void **state)
{
	char s[128];

	(void)state;
	assert_true(valid_email(fill(s, 'a', 64, "@example.org")));
}

static void
local_part_of_65_bytes_is_invalid(void **state)
{
	char s[128];

	(void)state;
	assert_false(valid_email(fill(s, 'a', 65, "@example.org")));
}

static void
address_of_254_bytes_is_valid(void **state)
{
	char s[300];

	(void)state;
	/* "a@" + 248 bytes of domain + ".org" = 254. */
	memcpy(s, "a@", 2);
	fill(s + 2, 'b', 248, ".org");
	assert_int_equal(strlen(s), 254);
	assert_true(valid_email(s));
}

static void
address_of_255_bytes_is_invalid(void **state)
{
	char s[300];

	(void)state;
	memcpy(s, "a@", 2);
	fill(s + 2, 'b', 249, ".org");
	assert_int_equal(strlen(s), 255);
	assert_false(valid_email(s));
}

/* --- username --- */

static void
ordinary_usernames_are_valid(void **state)
{
	(void)state;
	assert_true(valid_username("ada"));
	assert_true(valid_username("a"));
	assert_true(valid_username("o'brien-smith_2"));
	assert_true(valid_username("ada@example.org"));
	assert_true(valid_username("Zo\xc3\xab"));
}

static void
empty_username_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_username(""));
}

static void
username_of_100_bytes_is_valid(void **state)
{
	char s[128];

	(void)state;
	assert_true(valid_username(fill(s, 'u', 100, "")));
}

static void
username_of_101_bytes_is_invalid(void **state)
{
	char s[128];

	(void)state;
	assert_false(valid_username(fill(s, 'u', 101, "")));
}

static void
username_limit_counts_characters_not_bytes(void **state)
{
	char s[512];

	(void)state;
	/* 100 two-byte characters are 200 bytes: the column's limit is 100 characters. */
	s[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(s, "\xc3\xab");
	assert_true(valid_username(s));
	strcat(s, "\xc3\xab");
	assert_false(valid_username(s));
}

static void
username_with_space_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_username("ada lovelace"));
	assert_false(valid_username(" ada"));
	assert_false(valid_username("ada "));
}

static void
username_with_control_characters_is_invalid(void **state)
{
	(void)state;
	assert_false(valid_username("ada\t"));
	assert_false(valid_username("ada\nroot"));
	assert_false(valid_username("ada\r"));
	assert_false(valid_username("\x1b[31mada"));
	assert_false(valid_username("ada\x7f"));
}

/* Names show in consoles and e-mails: one line, and no control that reorders what follows. */
static void
names_are_one_line_without_bidi_controls(void **state)
{
	(void)state;
	assert_true(valid_name("", 100));
	assert_true(valid_name("Ada Lovelace", 100));
	assert_true(valid_name("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f(RTL)", 100));
	assert_false(valid_name("Ada\nLovelace", 100));
	assert_false(valid_name("Ada\tLovelace", 100));
	assert_false(valid_name("Eve\xe2\x80\xae" "gnp.exe", 100));	/* U+202E */
	assert_false(valid_name("Eve\xe2\x81\xa6" "x", 100));	/* U+2066 */
	assert_false(valid_name("\x1b[31mred", 100));
	assert_false(valid_name("xxxxxxxxxx", 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_addresses_are_valid),
		cmocka_unit_test(non_ascii_addresses_are_invalid),
		cmocka_unit_test(names_are_one_line_without_bidi_controls),
		cmocka_unit_test(empty_and_short_addresses_are_invalid),
		cmocka_unit_test(address_without_at_is_invalid),
		cmocka_unit_test(empty_local_part_is_invalid),
		cmocka_unit_test(two_at_signs_are_invalid),
		cmocka_unit_test(domain_without_dot_is_invalid),
		cmocka_unit_test(domain_starting_with_dot_is_invalid),
		cmocka_unit_test(domain_ending_with_dot_is_invalid),
		cmocka_unit_test(empty_domain_label_is_invalid),
		cmocka_unit_test(whitespace_and_controls_are_invalid),
		cmocka_unit_test(specials_are_invalid),
		cmocka_unit_test(local_part_of_64_bytes_is_valid),
		cmocka_unit_test(local_part_of_65_bytes_is_invalid),
		cmocka_unit_test(address_of_254_bytes_is_valid),
		cmocka_unit_test(address_of_255_bytes_is_invalid),
		cmocka_unit_test(ordinary_usernames_are_valid),
		cmocka_unit_test(empty_username_is_invalid),
		cmocka_unit_test(username_of_100_bytes_is_valid),
		cmocka_unit_test(username_of_101_bytes_is_invalid),
		cmocka_unit_test(username_limit_counts_characters_not_bytes),
		cmocka_unit_test(username_with_space_is_invalid),
		cmocka_unit_test(username_with_control_characters_is_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
