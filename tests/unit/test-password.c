/* test-password.c: password policy, PHC parsing, scrypt interoperability, rehash decisions and bulk hashing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/kdf.h>

#include "gatehouse/password.h"

/*
 * Known answers computed independently with Python's hashlib.scrypt, e.g.
 *	hashlib.scrypt(b"correct horse battery staple", salt=bytes(range(16)),
 *	    n=1024, r=8, p=1, dklen=32)
 * and encoded as unpadded standard base64.
 */
#define KAT_PW		"correct horse battery staple"
#define KAT		"$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" \
			"mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU"
#define KAT_HEAD	"$scrypt$ln=10,r=8,p=1$"
#define KAT_SALT	"AAECAwQFBgcICQoLDA0ODw"
#define KAT_KEY		"mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU"
/* "pässwörd-ünïcode-🔑" as UTF-8, salt "saltsaltsaltsalt". */
#define KAT_UTF8_PW	"p\xc3\xa4ssw\xc3\xb6rd-\xc3\xbcn\xc3\xaf" "code-\xf0\x9f\x94\x91"
#define KAT_UTF8	"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$" \
			"DRYH5Ht35kadpmqTpFcQKJf6rYIZHa4NwGogA5rsOd4"
/* ln=9, r=4, p=2, a 64-byte key. */
#define KAT_WIDE_PW	"different params"
#define KAT_WIDE	"$scrypt$ln=9,r=4,p=2$Dx4tPEtaaXiHlqW0w9Lh8A$Xwtv/RNdzuXA2Ctk+Dk/qTBt4p+L" \
			"yiZbZRGIF8sDlYsTa8P3wX8TH3rvlVzMrrR4qfejdXOThK811ZWgdDI5Og"
/* For rehash decisions against the test cost (ln=10, r=8, p=1, 16-byte salt, 32-byte key). */
#define R_LOWER_PW	"rehash only r"
#define R_LOWER		"$scrypt$ln=11,r=4,p=1$EBESExQVFhcYGRobHB0eHw$" \
			"AUgWEeUPsBeZD2Hj5K712+Z0UvGpSa8mppz+WnQwWs4"
#define SHORT_SALT_PW	"rehash only salt and key"
#define SHORT_SALT	"$scrypt$ln=10,r=8,p=1$OGJ5dGVzYWw$k/dhPmmQwOD3B+WyRl1uAw"
#define STRONGER_PW	"stronger than test cost"
#define STRONGER	"$scrypt$ln=11,r=8,p=2$ICEiIyQlJicoKSorLC0uLw$" \
			"XfzrwL3B8EEflNB2YNYfyT9SQdmVsH5KpcNjqkYZm00"
#define EQUAL_PW	"exactly test cost"
#define EQUAL		"$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OTo7PD0+Pw$" \
			"SmS5jzX2r1ghn5DbA0aBquesf3MbhTme7kEtlkJFjpQ"

#define E_ACUTE		"\xc3\xa9"		/* é: 2 bytes, 1 character */
#define KEY_EMOJI	"\xf0\x9f\x94\x91"	/* 🔑: 4 bytes, 1 character */

static int
cost_test(void **state)
{
	(void)state;
	return setenv("GATEHOUSE_PASSWORD_COST", "test", 1);
}

static int
cost_default(void **state)
{
	(void)state;
	return unsetenv("GATEHOUSE_PASSWORD_COST");
}

static bool
argon2(void)
{
	return strcmp(password_algorithm(), "argon2id") == 0;
}

/* s repeated n times into buf (big enough). */
static char *
repeat(char *buf, const char *s, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(buf, s);
	return buf;
}

static enum pw_check
check(const char *pw)
{
	return password_check(pw, 12, "alice", "alice.smith@example.com");
}

/* Every string must be refused as malformed (-1), and needs_rehash left false. */
static void
assert_all_refused(const char *const *phcs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool	rehash = true;
		int	rc = password_verify(KAT_PW, phcs[i], &rehash);

		if (rc != -1 || rehash)
			fail_msg("not refused (rc %d): %s", rc, phcs[i]);
	}
}

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* --- policy: length --- */

static void
twelve_ascii_characters_pass(void **state)
{
	(void)state;
	assert_int_equal(check("violet-harb0"), PW_OK);
	assert_int_equal(check("violet harbour lamp"), PW_OK);
}

static void
eleven_characters_are_too_short(void **state)
{
	(void)state;
	assert_int_equal(check("violet-harb"), PW_TOO_SHORT);
	assert_int_equal(check(""), PW_TOO_SHORT);
}

static void
length_counts_code_points_not_bytes(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(check(repeat(buf, E_ACUTE, 12)), PW_OK);	/* 24 bytes */
	assert_int_equal(check(repeat(buf, E_ACUTE, 11)), PW_TOO_SHORT);	/* 22 bytes */
}

static void
four_byte_characters_count_once(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(check(repeat(buf, KEY_EMOJI, 12)), PW_OK);
	assert_int_equal(check(repeat(buf, KEY_EMOJI, 11)), PW_TOO_SHORT);	/* 44 bytes */
}

static void
org_minimum_is_honoured(void **state)
{
	(void)state;
	assert_int_equal(password_check("violet-harbour-1", 16, NULL, NULL), PW_OK);
	assert_int_equal(password_check("violet-harbour-", 16, NULL, NULL), PW_TOO_SHORT);
}

static void
zero_minimum_means_twelve(void **state)
{
	(void)state;
	assert_int_equal(password_check("violet-harb0", 0, NULL, NULL), PW_OK);
	assert_int_equal(password_check("violet-harb", 0, NULL, NULL), PW_TOO_SHORT);
}

static void
minimum_below_eight_is_raised_to_eight(void **state)
{
	(void)state;
	assert_int_equal(password_check("vi0let-h", 4, NULL, NULL), PW_OK);
	assert_int_equal(password_check("vi0let-", 4, NULL, NULL), PW_TOO_SHORT);
	assert_int_equal(password_check("vi0let-", 1, NULL, NULL), PW_TOO_SHORT);
}

static void
minimum_above_maximum_is_lowered_to_it(void **state)
{
	char buf[1100];

	(void)state;
	assert_int_equal(password_check(repeat(buf, "x", 256), 1000, NULL, NULL), PW_OK);
}

static void
two_hundred_fifty_six_characters_pass(void **state)
{
	char buf[1100];

	(void)state;
	assert_int_equal(check(repeat(buf, "x", 256)), PW_OK);
	assert_int_equal(check(repeat(buf, KEY_EMOJI, 256)), PW_OK);	/* 1024 bytes */
}

static void
two_hundred_fifty_seven_characters_are_too_long(void **state)
{
	char buf[1100];

	(void)state;
	assert_int_equal(check(repeat(buf, "x", 257)), PW_TOO_LONG);
	assert_int_equal(check(repeat(buf, E_ACUTE, 257)), PW_TOO_LONG);
}

static void
over_long_input_is_too_long_whatever_it_holds(void **state)
{
	char *big;

	(void)state;
	assert_non_null(big = malloc(100001));
	memset(big, 'x', 100000);
	big[100000] = '\0';
	assert_int_equal(check(big), PW_TOO_LONG);
	big[50] = '\x01';
	assert_int_equal(check(big), PW_TOO_LONG);
	free(big);
}

/* --- policy: encoding --- */

static void
invalid_utf8_is_bad_encoding(void **state)
{
	static const char *const bad[] = {
		"abcdefghijkl\x80",			/* stray continuation */
		"abcdefghijkl\xc3",			/* truncated 2-byte */
		"abcdefghijkl\xe2\x82",			/* truncated 3-byte */
		"abcdefghijkl\xf0\x9f\x94",		/* truncated 4-byte */
		"abcdefghijkl\xc3x",			/* missing continuation */
		"abcdefghijkl\xc0\xaf",			/* overlong '/' */
		"abcdefghijkl\xc1\xbf",			/* overlong */
		"abcdefghijkl\xe0\x80\xaf",		/* overlong 3-byte */
		"abcdefghijkl\xf0\x80\x80\xaf",		/* overlong 4-byte */
		"abcdefghijkl\xed\xa0\x80",		/* surrogate U+D800 */
		"abcdefghijkl\xed\xbf\xbf",		/* surrogate U+DFFF */
		"abcdefghijkl\xf4\x90\x80\x80",		/* U+110000 */
		"abcdefghijkl\xf5\x80\x80\x80",		/* past the range */
		"abcdefghijkl\xfe",
		"abcdefghijkl\xff",
		"\xe9t\xe9-violet-harbour",		/* Latin-1, not UTF-8 */
	};

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++)
		if (check(bad[i]) != PW_BAD_ENCODING)
			fail_msg("accepted invalid UTF-8 #%zu", i);
}

static void
boundary_code_points_are_valid(void **state)
{
	(void)state;
	assert_int_equal(check("abcdefghijk\xc2\xa0"), PW_OK);		/* U+00A0 */
	assert_int_equal(check("abcdefghijk\xed\x9f\xbf"), PW_OK);		/* U+D7FF */
	assert_int_equal(check("abcdefghijk\xee\x80\x80"), PW_OK);		/* U+E000 */
	assert_int_equal(check("abcdefghijk\xf4\x8f\xbf\xbf"), PW_OK);	/* U+10FFFF */
}

static void
control_characters_are_bad_encoding(void **state)
{
	static const char *const bad[] = {
		"violet\tharbour", "violet\nharbour", "violet\rharbour",
		"violet\x01harbour", "violet\x1b[0mharbour", "violet\x7fharbour",
		"violet\xc2\x80harbour", "violet\xc2\x85harbour", "violet\xc2\x9fharbour",
	};

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++)
		if (check(bad[i]) != PW_BAD_ENCODING)
			fail_msg("accepted a control character #%zu", i);
}

static void
spaces_are_allowed(void **state)
{
	(void)state;
	assert_int_equal(check("  violet harbour  "), PW_OK);
}

static void
nul_ends_the_password(void **state)
{
	(void)state;
	/* A C string cannot carry a NUL: the request layer refuses fields holding one. */
	assert_int_equal(check("violet\0harbour-lamp"), PW_TOO_SHORT);
}

static void
null_password_is_bad_encoding(void **state)
{
	(void)state;
	assert_int_equal(check(NULL), PW_BAD_ENCODING);
}

/* --- policy: common passwords --- */

static void
common_password_is_refused(void **state)
{
	(void)state;
	assert_int_equal(check("password1234"), PW_COMMON);
	assert_int_equal(check("qwerty123456"), PW_COMMON);
	assert_int_equal(check("1qaz2wsx3edc"), PW_COMMON);
	assert_int_equal(check("leavemealone"), PW_COMMON);
}

static void
common_check_ignores_case(void **state)
{
	(void)state;
	assert_int_equal(check("PassWord1234"), PW_COMMON);
	assert_int_equal(check("QWERTY123456"), PW_COMMON);
	assert_int_equal(check("LeaveMeAlone"), PW_COMMON);
}

static void
short_common_password_is_common_under_a_lower_minimum(void **state)
{
	(void)state;
	assert_int_equal(password_check("password", 8, NULL, NULL), PW_COMMON);
	assert_int_equal(password_check("ILoveYou", 8, NULL, NULL), PW_COMMON);
}

static void
length_is_checked_before_commonness(void **state)
{
	(void)state;
	assert_int_equal(check("password"), PW_TOO_SHORT);
}

static void
near_miss_is_not_common(void **state)
{
	(void)state;
	assert_int_equal(check("password1235x"), PW_OK);
}

static void
list_lookup_finds_first_middle_and_last_entries(void **state)
{
	(void)state;
	assert_true(password_is_common("!qaz2wsx"));
	assert_true(password_is_common("123456"));
	assert_true(password_is_common("password"));
	assert_true(password_is_common("zzzzzzz1"));
	assert_false(password_is_common("zzzzzzz2"));
	assert_false(password_is_common(" "));
	assert_false(password_is_common(""));
	assert_false(password_is_common(NULL));
}

static void
list_lookup_expects_lowercase(void **state)
{
	(void)state;
	assert_false(password_is_common("PASSWORD"));
}

/* --- policy: identity --- */

static void
username_is_refused_ignoring_case(void **state)
{
	(void)state;
	assert_int_equal(password_check("administrator", 12, "administrator", NULL),
	    PW_IS_IDENTITY);
	assert_int_equal(password_check("AdministratoR", 12, "administrator", NULL),
	    PW_IS_IDENTITY);
}

static void
email_is_refused_ignoring_case(void **state)
{
	(void)state;
	assert_int_equal(password_check("Alice.Smith@Example.com", 12, "alice",
	    "alice.smith@example.com"), PW_IS_IDENTITY);
}

static void
email_local_part_is_refused(void **state)
{
	(void)state;
	assert_int_equal(password_check("correct.horse", 12, NULL,
	    "correct.horse@example.org"), PW_IS_IDENTITY);
	assert_int_equal(password_check("CORRECT.HORSE", 12, NULL,
	    "correct.horse@example.org"), PW_IS_IDENTITY);
	/* A quoted local part may hold '@': the domain starts after the last one. */
	assert_int_equal(password_check("\"a@correct.horse\"", 12, NULL,
	    "\"a@correct.horse\"@example.org"), PW_IS_IDENTITY);
}

static void
password_containing_identity_is_allowed(void **state)
{
	(void)state;
	assert_int_equal(password_check("administrator!", 12, "administrator",
	    "administrator@example.org"), PW_OK);
	assert_int_equal(password_check("example.org-2024", 12, NULL,
	    "correct.horse@example.org"), PW_OK);
}

static void
missing_identity_is_skipped(void **state)
{
	(void)state;
	assert_int_equal(password_check("violet-harbour", 12, NULL, NULL), PW_OK);
	assert_int_equal(password_check("violet-harbour", 12, "", ""), PW_OK);
	assert_int_equal(password_check("violet-harbour", 12, "", "no-at-sign"), PW_OK);
}

static void
identity_case_folding_is_ascii_only(void **state)
{
	(void)state;
	/* É (U+00C9) and é (U+00E9) differ: only ASCII case is ignored. */
	assert_int_equal(password_check("\xc3\x89tienne-dupont", 12, "\xc3\xa9tienne-dupont",
	    NULL), PW_OK);
	assert_int_equal(password_check("\xc3\xa9TIENNE-dupont", 12, "\xc3\xa9tienne-dupont",
	    NULL), PW_IS_IDENTITY);
}

/* --- policy: messages --- */

static void
too_short_message_names_the_minimum(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(password_check_message(PW_TOO_SHORT, 12, buf, sizeof(buf)),
	    "password must be at least 12 characters");
	assert_string_equal(password_check_message(PW_TOO_SHORT, 0, buf, sizeof(buf)),
	    "password must be at least 12 characters");
	assert_string_equal(password_check_message(PW_TOO_SHORT, 3, buf, sizeof(buf)),
	    "password must be at least 8 characters");
	assert_string_equal(password_check_message(PW_TOO_SHORT, 20, buf, sizeof(buf)),
	    "password must be at least 20 characters");
}

static void
too_long_message_names_the_maximum(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(password_check_message(PW_TOO_LONG, 12, buf, sizeof(buf)),
	    "password must be at most 256 characters");
}

static void
every_result_has_a_message(void **state)
{
	char buf[128];

	(void)state;
	for (int c = 0; c < PW__MAX; c++) {
		const char *m = password_check_message((enum pw_check)c, 12, buf, sizeof(buf));

		assert_ptr_equal(m, buf);
		assert_true(strncmp(m, "password ", 9) == 0);
	}
	assert_string_equal(password_check_message(PW__MAX, 12, buf, sizeof(buf)),
	    "password is not acceptable");
}

static void
message_is_truncated_to_the_buffer(void **state)
{
	char buf[9];

	(void)state;
	assert_string_equal(password_check_message(PW_TOO_SHORT, 12, buf, sizeof(buf)),
	    "password");
	assert_string_equal(password_check_message(PW_COMMON, 12, NULL, 0), "");
}

/* --- hashing --- */

static void
algorithm_matches_what_openssl_provides(void **state)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "ARGON2ID", NULL);

	(void)state;
	assert_string_equal(password_algorithm(), kdf != NULL ? "argon2id" : "scrypt");
	EVP_KDF_free(kdf);
}

static void
hash_round_trips(void **state)
{
	char	phc[PHC_MAX];
	bool	rehash = true;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	assert_int_equal(password_verify("violet harbour lamp", phc, &rehash), 1);
	assert_false(rehash);
}

static void
hash_uses_the_test_cost_format(void **state)
{
	char	phc[PHC_MAX];
	size_t	head;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	if (argon2()) {
		head = strlen("$argon2id$v=19$m=1024,t=1,p=1$");
		assert_memory_equal(phc, "$argon2id$v=19$m=1024,t=1,p=1$", head);
	} else {
		head = strlen(KAT_HEAD);
		assert_memory_equal(phc, KAT_HEAD, head);
	}
	/* 16-byte salt and 32-byte key: 22 and 43 base64 characters. */
	assert_int_equal(strlen(phc), head + 22 + 1 + 43);
	assert_int_equal(phc[head + 22], '$');
}

static void
multibyte_password_round_trips(void **state)
{
	char phc[PHC_MAX];

	(void)state;
	assert_int_equal(password_hash(KAT_UTF8_PW, phc), 0);
	assert_int_equal(password_verify(KAT_UTF8_PW, phc, NULL), 1);
}

static void
longest_password_round_trips(void **state)
{
	char buf[1100], phc[PHC_MAX];

	(void)state;
	repeat(buf, KEY_EMOJI, 256);
	assert_int_equal(password_hash(buf, phc), 0);
	assert_int_equal(password_verify(buf, phc, NULL), 1);
	buf[1023] ^= 1;
	assert_int_equal(password_verify(buf, phc, NULL), 0);
}

static void
wrong_password_does_not_verify(void **state)
{
	char	phc[PHC_MAX];
	bool	rehash = true;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	assert_int_equal(password_verify("violet harbour lamP", phc, &rehash), 0);
	assert_false(rehash);
	assert_int_equal(password_verify("violet harbour lamp ", phc, NULL), 0);
	assert_int_equal(password_verify("violet harbour lam", phc, NULL), 0);
	assert_int_equal(password_verify("", phc, NULL), 0);
}

static void
salts_differ_between_hashes(void **state)
{
	char	a[PHC_MAX], b[PHC_MAX];
	size_t	head;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", a), 0);
	assert_int_equal(password_hash("violet harbour lamp", b), 0);
	/* Same algorithm and parameters, then a different 22-character salt. */
	head = (size_t)(strrchr(a, '$') - 22 - a);
	assert_memory_equal(a, b, head);
	assert_memory_not_equal(a + head, b + head, 22);
}

static void
hash_refuses_null_empty_and_over_long(void **state)
{
	char *big, phc[PHC_MAX];

	(void)state;
	memset(phc, 'x', sizeof(phc));
	assert_int_equal(password_hash(NULL, phc), -1);
	assert_string_equal(phc, "");
	assert_int_equal(password_hash("", phc), -1);
	assert_non_null(big = calloc(1, 1026));
	memset(big, 'x', 1025);
	assert_int_equal(password_hash(big, phc), -1);
	assert_string_equal(phc, "");
	big[1024] = '\0';
	assert_int_equal(password_hash(big, phc), 0);
	free(big);
}

/* --- verification: interoperability --- */

static void
known_scrypt_answer_verifies(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify(KAT_PW, KAT, &rehash), 1);
	assert_int_equal(rehash, argon2());
}

static void
known_scrypt_answer_refuses_a_wrong_password(void **state)
{
	(void)state;
	assert_int_equal(password_verify("correct horse battery stapler", KAT, NULL), 0);
	assert_int_equal(password_verify("Correct horse battery staple", KAT, NULL), 0);
}

static void
known_utf8_answer_verifies(void **state)
{
	(void)state;
	assert_int_equal(password_verify(KAT_UTF8_PW, KAT_UTF8, NULL), 1);
}

static void
known_answer_with_other_parameters_and_a_64_byte_key_verifies(void **state)
{
	(void)state;
	assert_int_equal(password_verify(KAT_WIDE_PW, KAT_WIDE, NULL), 1);
	assert_int_equal(password_verify(KAT_PW, KAT_WIDE, NULL), 0);
}

/* --- verification: tampering and malformed strings --- */

static void
tampered_key_does_not_verify(void **state)
{
	char	phc[PHC_MAX];
	char	*key;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	key = strrchr(phc, '$') + 1;
	key[10] = key[10] == 'A' ? 'B' : 'A';
	assert_int_equal(password_verify("violet harbour lamp", phc, NULL), 0);
}

static void
tampered_salt_does_not_verify(void **state)
{
	char	phc[PHC_MAX];
	char	*salt;

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	salt = strrchr(phc, '$') - 22;
	salt[5] = salt[5] == 'A' ? 'B' : 'A';
	assert_int_equal(password_verify("violet harbour lamp", phc, NULL), 0);
}

static void
tampered_parameters_do_not_verify(void **state)
{
	(void)state;
	assert_int_equal(password_verify(KAT_PW, "$scrypt$ln=11,r=8,p=1$" KAT_SALT "$" KAT_KEY,
	    NULL), 0);
	assert_int_equal(password_verify(KAT_PW, "$scrypt$ln=10,r=7,p=1$" KAT_SALT "$" KAT_KEY,
	    NULL), 0);
	assert_int_equal(password_verify(KAT_PW, "$scrypt$ln=10,r=8,p=2$" KAT_SALT "$" KAT_KEY,
	    NULL), 0);
}

static void
truncated_key_verifies_and_asks_for_rehash(void **state)
{
	bool rehash = false;

	(void)state;
	/*
	 * scrypt's output is PBKDF2's, so the first 30 bytes of the 32-byte key
	 * are the 30-byte key: a shortened key still verifies, as the weaker
	 * hash it is.
	 */
	assert_int_equal(password_verify(KAT_PW, KAT_HEAD KAT_SALT
	    "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJ", &rehash), 1);
	assert_true(rehash);
}

static void
malformed_structure_is_refused(void **state)
{
	static const char *const bad[] = {
		"", "$", "$$", "$scrypt", "$scrypt$", "$scrypt$$",
		"$scrypt$ln=10,r=8,p=1",
		"$scrypt$ln=10,r=8,p=1$",
		"$scrypt$ln=10,r=8,p=1$" KAT_SALT,
		"$scrypt$ln=10,r=8,p=1$" KAT_SALT "$",
		"$scrypt$ln=10,r=8,p=1$$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=1$" KAT_SALT "$" KAT_KEY "$",
		"$scrypt$ln=10,r=8,p=1$" KAT_SALT "$" KAT_KEY "$extra",
		KAT " ",
		KAT "\n",
		" " KAT,
		"scrypt$ln=10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$SCRYPT$ln=10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$LN=10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,p=1,r=8$" KAT_SALT "$" KAT_KEY,
		"$scrypt$r=8,ln=10,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=1,x=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10;r=8;p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=1,$" KAT_SALT "$" KAT_KEY,
		"$scrypt$v=1$ln=10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=1$" KAT_KEY,
		"$scrypt$" KAT_SALT "$" KAT_KEY,
		"$argon2i$v=19$m=19456,t=2,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2d$v=19$m=19456,t=2,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=16$m=19456,t=2,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$m=19456,t=2,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$t=2,m=19456,p=1$" KAT_SALT "$" KAT_KEY,
		"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$pbkdf2-sha256$29000$N2bMeW8NQUhJKSUkpFQqhQ$wGSQIt0hP6V2wBMtjbSGeRGj/Jb2vYwLrP2yXfzW7s8",
		"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
		"!",
		"*",
	};

	(void)state;
	assert_all_refused(bad, nitems(bad));
}

static void
malformed_numbers_are_refused(void **state)
{
	static const char *const bad[] = {
		"$scrypt$ln=010,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=+10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=-10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln= 10,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10 ,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=1e1,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=0x0a,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10.0,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=4294967306,r=8,p=1$" KAT_SALT "$" KAT_KEY,	/* 2^32 + 10 */
		"$scrypt$ln=99999999999999999999999999,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=08,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=01$" KAT_SALT "$" KAT_KEY,
	};

	(void)state;
	assert_all_refused(bad, nitems(bad));
}

static void
parameters_out_of_bounds_are_refused(void **state)
{
	static const char *const bad[] = {
		"$scrypt$ln=0,r=8,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=21,r=1,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=64,r=1,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=0,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=33,p=1$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=0$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=10,r=8,p=17$" KAT_SALT "$" KAT_KEY,
		"$scrypt$ln=19,r=8,p=1$" KAT_SALT "$" KAT_KEY,		/* 512 MiB */
		"$scrypt$ln=20,r=32,p=16$" KAT_SALT "$" KAT_KEY,	/* 4 GiB */
		"$scrypt$ln=17,r=16,p=16$" KAT_SALT "$" KAT_KEY,	/* 32 times the work */
		"$argon2id$v=19$m=7,t=1,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=262145,t=1,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=19456,t=0,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=19456,t=17,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=19456,t=2,p=0$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=19456,t=2,p=17$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=262144,t=16,p=1$" KAT_SALT "$" KAT_KEY,
		"$argon2id$v=19$m=8,t=1,p=2$" KAT_SALT "$" KAT_KEY,	/* m < 8p */
	};

	(void)state;
	assert_all_refused(bad, nitems(bad));
}

static void
largest_accepted_scrypt_parameters_parse(void **state)
{
	(void)state;
	/* 256 MiB, the most memory allowed: bounded, so a mismatch, not an error. */
	assert_int_equal(password_verify("x", "$scrypt$ln=18,r=8,p=1$" KAT_SALT "$" KAT_KEY,
	    NULL), 0);
}

static void
bad_base64_is_refused(void **state)
{
	static const char *const bad[] = {
		KAT_HEAD "AAECAwQFBgcICQoLDA0ODw==$" KAT_KEY,		/* padded */
		KAT_HEAD KAT_SALT "$" KAT_KEY "=",
		KAT_HEAD "AAECAwQFBgcICQoLDA0OD-$" KAT_KEY,		/* base64url */
		KAT_HEAD "AAECAwQFBgcICQoLDA0OD_$" KAT_KEY,
		KAT_HEAD "AAECAwQFBgcICQoL DA0ODw$" KAT_KEY,
		KAT_HEAD "AAECAwQFBgcICQoL.DA0ODw$" KAT_KEY,
		KAT_HEAD "AAECAwQFBgcICQoLDA0OD$" KAT_KEY,		/* 21 characters */
		KAT_HEAD "AAECAwQFBgcICQoLDA0ODx$" KAT_KEY,		/* non-zero spare bits */
		KAT_HEAD KAT_SALT "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRV",
		KAT_HEAD KAT_SALT "$mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlR\xc3\xa9",
	};

	(void)state;
	assert_all_refused(bad, nitems(bad));
}

static void
salt_and_key_lengths_out_of_bounds_are_refused(void **state)
{
	static const char *const bad[] = {
		KAT_HEAD "AAECAwQFBg$" KAT_KEY,					/* 7-byte salt */
		KAT_HEAD "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMA$"
		    KAT_KEY,							/* 49-byte salt */
		KAT_HEAD KAT_SALT "$AAECAwQFBgcICQoLDA0O",			/* 15-byte key */
		KAT_HEAD KAT_SALT "$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
		    "KissLS4vMDEyMzQ1Njc4OTo7PD0+P0A",				/* 65-byte key */
	};

	(void)state;
	assert_all_refused(bad, nitems(bad));
}

static void
over_long_string_is_refused(void **state)
{
	char phc[PHC_MAX + 8];

	(void)state;
	memset(phc, 'A', sizeof(phc) - 1);
	phc[sizeof(phc) - 1] = '\0';
	memcpy(phc, KAT_HEAD KAT_SALT "$", strlen(KAT_HEAD KAT_SALT "$"));
	assert_int_equal(password_verify(KAT_PW, phc, NULL), -1);
}

static void
null_arguments_are_refused(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify(NULL, KAT, &rehash), -1);
	assert_false(rehash);
	assert_int_equal(password_verify(KAT_PW, NULL, NULL), -1);
}

static void
argon2id_without_openssl_support_is_refused(void **state)
{
	char	phc[PHC_MAX];
	bool	rehash = true;

	(void)state;
	if (argon2()) {
		/* Then new hashes are Argon2id, and they verify. */
		assert_int_equal(password_hash("violet harbour lamp", phc), 0);
		assert_int_equal(password_verify("violet harbour lamp", phc, &rehash), 1);
		assert_false(rehash);
		return;
	}
	assert_int_equal(password_verify(KAT_PW, "$argon2id$v=19$m=19456,t=2,p=1$"
	    KAT_SALT "$" KAT_KEY, &rehash), -1);
	assert_false(rehash);
}

static void
empty_password_is_a_mismatch(void **state)
{
	(void)state;
	assert_int_equal(password_verify("", KAT, NULL), 0);
}

/* --- rehash decisions --- */

static void
no_rehash_at_the_current_parameters(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify(EQUAL_PW, EQUAL, &rehash), 1);
	assert_int_equal(rehash, argon2());
}

static void
no_rehash_when_stored_parameters_are_stronger(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify(STRONGER_PW, STRONGER, &rehash), 1);
	assert_int_equal(rehash, argon2());
}

static void
rehash_when_one_parameter_is_lower(void **state)
{
	bool rehash = false;

	(void)state;
	/* ln=11 is above the test cost, r=4 below it. */
	assert_int_equal(password_verify(R_LOWER_PW, R_LOWER, &rehash), 1);
	assert_true(rehash);
}

static void
rehash_when_salt_or_key_is_short(void **state)
{
	bool rehash = false;

	(void)state;
	assert_int_equal(password_verify(SHORT_SALT_PW, SHORT_SALT, &rehash), 1);
	assert_true(rehash);
}

static void
rehash_when_ln_is_below_the_default(void **state)
{
	bool rehash = false;

	(void)state;
	/* Run with GATEHOUSE_PASSWORD_COST unset: the current ln is 17. */
	assert_int_equal(password_verify(EQUAL_PW, EQUAL, &rehash), 1);
	assert_true(rehash);
	rehash = false;
	assert_int_equal(password_verify(STRONGER_PW, STRONGER, &rehash), 1);
	assert_true(rehash);
}

static void
no_rehash_reported_on_a_mismatch(void **state)
{
	bool rehash = true;

	(void)state;
	assert_int_equal(password_verify("wrong", SHORT_SALT, &rehash), 0);
	assert_false(rehash);
}

/* --- default cost --- */

static void
default_cost_hash_round_trips(void **state)
{
	char	phc[PHC_MAX];
	bool	rehash = true;
	const char *head = argon2() ? "$argon2id$v=19$m=19456,t=2,p=1$" :
	    "$scrypt$ln=17,r=8,p=1$";

	(void)state;
	assert_int_equal(password_hash("violet harbour lamp", phc), 0);
	assert_memory_equal(phc, head, strlen(head));
	assert_int_equal(password_verify("violet harbour lamp", phc, &rehash), 1);
	assert_false(rehash);
}

/* --- many at once --- */

static void
hash_many_hashes_eight_on_two_threads(void **state)
{
	const char *pws[8] = {
		"violet harbour 0", "violet harbour 1", "violet harbour 2", "violet harbour 3",
		"violet harbour 4", "violet harbour 5", "violet harbour 6", "violet harbour 7",
	};
	char out[8][PHC_MAX];

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(password_hash_many(pws, 8, out, 2, NULL), 0);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(password_verify(pws[i], out[i], NULL), 1);
		assert_int_equal(password_verify(pws[(i + 1) % 8], out[i], NULL), 0);
	}
}

static void
hash_many_with_zero_threads_uses_the_cpus(void **state)
{
	const char	*pws[3] = { "violet harbour a", "violet harbour b", "violet harbour c" };
	char		 out[3][PHC_MAX];

	(void)state;
	assert_int_equal(password_hash_many(pws, 3, out, 0, NULL), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(password_verify(pws[i], out[i], NULL), 1);
}

static void
hash_many_with_more_threads_than_passwords(void **state)
{
	const char	*pws[2] = { "violet harbour a", "violet harbour b" };
	char		 out[2][PHC_MAX];

	(void)state;
	assert_int_equal(password_hash_many(pws, 2, out, 16, NULL), 0);
	assert_int_equal(password_verify(pws[0], out[0], NULL), 1);
	assert_int_equal(password_verify(pws[1], out[1], NULL), 1);
}

static void
hash_many_reports_a_failed_entry(void **state)
{
	const char	*pws[4] = { "violet harbour a", "", NULL, "violet harbour d" };
	char		 out[4][PHC_MAX];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_not_equal(password_hash_many(pws, 4, out, 2, NULL), 0);
	assert_string_equal(out[1], "");
	assert_string_equal(out[2], "");
	assert_int_equal(password_verify(pws[0], out[0], NULL), 1);
	assert_int_equal(password_verify(pws[3], out[3], NULL), 1);
}

static void
hash_many_of_nothing_succeeds(void **state)
{
	(void)state;
	assert_int_equal(password_hash_many(NULL, 0, NULL, 2, NULL), 0);
	assert_int_not_equal(password_hash_many(NULL, 1, NULL, 2, NULL), 0);
}

static void
hash_many_starts_nothing_past_its_deadline(void **state)
{
	const char	*pws[3] = { "violet harbour a", "violet harbour b", "violet harbour c" };
	char		 out[3][PHC_MAX];
	struct timespec	 d;

	(void)state;
	memset(out, 0, sizeof(out));
	clock_gettime(CLOCK_MONOTONIC, &d);
	d.tv_sec -= 1;
	assert_int_equal(password_hash_many(pws, 3, out, 2, &d), 1);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(out[i], "");
}

static void
hash_many_finishes_before_a_distant_deadline(void **state)
{
	const char	*pws[2] = { "violet harbour a", "violet harbour b" };
	char		 out[2][PHC_MAX];
	struct timespec	 d;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &d);
	d.tv_sec += 3600;
	assert_int_equal(password_hash_many(pws, 2, out, 2, &d), 0);
	assert_int_equal(password_verify(pws[1], out[1], NULL), 1);
	/* A zero deadline is none. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(password_hash_many(pws, 2, out, 2, &d), 0);
	assert_int_equal(password_verify(pws[0], out[0], NULL), 1);
}

/* --- unusable hashes --- */

static void
unusable_hash_verifies_against_nothing(void **state)
{
	static const char *const tries[] = {
		"", "password", "123456", "changeme", "violet harbour lamp", "null", "*", "!",
	};
	char	phc[PHC_MAX];
	bool	rehash = true;

	(void)state;
	assert_int_equal(password_unusable(phc), 0);
	for (size_t i = 0; i < nitems(tries); i++) {
		assert_int_equal(password_verify(tries[i], phc, &rehash), 0);
		assert_false(rehash);
	}
	assert_int_equal(password_verify(phc, phc, NULL), 0);
}

static void
unusable_hash_is_well_formed_in_the_current_format(void **state)
{
	char	phc[PHC_MAX], real[PHC_MAX];

	(void)state;
	assert_int_equal(password_unusable(phc), 0);
	assert_int_equal(password_hash("violet harbour lamp", real), 0);
	/* Same algorithm, parameters and lengths as a real hash. */
	assert_int_equal(strlen(phc), strlen(real));
	assert_memory_equal(phc, real, (size_t)(strrchr(real, '$') - 22 - real));
	assert_int_equal(password_verify("violet harbour lamp", phc, NULL), 0);
}

static void
unusable_hashes_differ(void **state)
{
	char a[PHC_MAX], b[PHC_MAX];

	(void)state;
	assert_int_equal(password_unusable(a), 0);
	assert_int_equal(password_unusable(b), 0);
	assert_string_not_equal(a, b);
}

#define test_at_default_cost(f)	cmocka_unit_test_setup_teardown(f, cost_default, cost_test)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(twelve_ascii_characters_pass),
		cmocka_unit_test(eleven_characters_are_too_short),
		cmocka_unit_test(length_counts_code_points_not_bytes),
		cmocka_unit_test(four_byte_characters_count_once),
		cmocka_unit_test(org_minimum_is_honoured),
		cmocka_unit_test(zero_minimum_means_twelve),
		cmocka_unit_test(minimum_below_eight_is_raised_to_eight),
		cmocka_unit_test(minimum_above_maximum_is_lowered_to_it),
		cmocka_unit_test(two_hundred_fifty_six_characters_pass),
		cmocka_unit_test(two_hundred_fifty_seven_characters_are_too_long),
		cmocka_unit_test(over_long_input_is_too_long_whatever_it_holds),
		cmocka_unit_test(invalid_utf8_is_bad_encoding),
		cmocka_unit_test(boundary_code_points_are_valid),
		cmocka_unit_test(control_characters_are_bad_encoding),
		cmocka_unit_test(spaces_are_allowed),
		cmocka_unit_test(nul_ends_the_password),
		cmocka_unit_test(null_password_is_bad_encoding),
		cmocka_unit_test(common_password_is_refused),
		cmocka_unit_test(common_check_ignores_case),
		cmocka_unit_test(short_common_password_is_common_under_a_lower_minimum),
		cmocka_unit_test(length_is_checked_before_commonness),
		cmocka_unit_test(near_miss_is_not_common),
		cmocka_unit_test(list_lookup_finds_first_middle_and_last_entries),
		cmocka_unit_test(list_lookup_expects_lowercase),
		cmocka_unit_test(username_is_refused_ignoring_case),
		cmocka_unit_test(email_is_refused_ignoring_case),
		cmocka_unit_test(email_local_part_is_refused),
		cmocka_unit_test(password_containing_identity_is_allowed),
		cmocka_unit_test(missing_identity_is_skipped),
		cmocka_unit_test(identity_case_folding_is_ascii_only),
		cmocka_unit_test(too_short_message_names_the_minimum),
		cmocka_unit_test(too_long_message_names_the_maximum),
		cmocka_unit_test(every_result_has_a_message),
		cmocka_unit_test(message_is_truncated_to_the_buffer),
		cmocka_unit_test(algorithm_matches_what_openssl_provides),
		cmocka_unit_test(hash_round_trips),
		cmocka_unit_test(hash_uses_the_test_cost_format),
		cmocka_unit_test(multibyte_password_round_trips),
		cmocka_unit_test(longest_password_round_trips),
		cmocka_unit_test(wrong_password_does_not_verify),
		cmocka_unit_test(salts_differ_between_hashes),
		cmocka_unit_test(hash_refuses_null_empty_and_over_long),
		cmocka_unit_test(known_scrypt_answer_verifies),
		cmocka_unit_test(known_scrypt_answer_refuses_a_wrong_password),
		cmocka_unit_test(known_utf8_answer_verifies),
		cmocka_unit_test(known_answer_with_other_parameters_and_a_64_byte_key_verifies),
		cmocka_unit_test(tampered_key_does_not_verify),
		cmocka_unit_test(tampered_salt_does_not_verify),
		cmocka_unit_test(tampered_parameters_do_not_verify),
		cmocka_unit_test(truncated_key_verifies_and_asks_for_rehash),
		cmocka_unit_test(malformed_structure_is_refused),
		cmocka_unit_test(malformed_numbers_are_refused),
		cmocka_unit_test(parameters_out_of_bounds_are_refused),
		cmocka_unit_test(largest_accepted_scrypt_parameters_parse),
		cmocka_unit_test(bad_base64_is_refused),
		cmocka_unit_test(salt_and_key_lengths_out_of_bounds_are_refused),
		cmocka_unit_test(over_long_string_is_refused),
		cmocka_unit_test(null_arguments_are_refused),
		cmocka_unit_test(argon2id_without_openssl_support_is_refused),
		cmocka_unit_test(empty_password_is_a_mismatch),
		cmocka_unit_test(no_rehash_at_the_current_parameters),
		cmocka_unit_test(no_rehash_when_stored_parameters_are_stronger),
		cmocka_unit_test(rehash_when_one_parameter_is_lower),
		cmocka_unit_test(rehash_when_salt_or_key_is_short),
		test_at_default_cost(rehash_when_ln_is_below_the_default),
		cmocka_unit_test(no_rehash_reported_on_a_mismatch),
		test_at_default_cost(default_cost_hash_round_trips),
		cmocka_unit_test(hash_many_hashes_eight_on_two_threads),
		cmocka_unit_test(hash_many_with_zero_threads_uses_the_cpus),
		cmocka_unit_test(hash_many_with_more_threads_than_passwords),
		cmocka_unit_test(hash_many_reports_a_failed_entry),
		cmocka_unit_test(hash_many_of_nothing_succeeds),
		cmocka_unit_test(hash_many_starts_nothing_past_its_deadline),
		cmocka_unit_test(hash_many_finishes_before_a_distant_deadline),
		cmocka_unit_test(unusable_hash_verifies_against_nothing),
		cmocka_unit_test(unusable_hash_is_well_formed_in_the_current_format),
		cmocka_unit_test(unusable_hashes_differ),
	};

	return cmocka_run_group_tests(tests, cost_test, NULL);
}
