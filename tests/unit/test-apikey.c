/* test-apikey.c: API key shape, refusal before lookup, and the level ladder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/apikey.h"
#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/principal.h"
#include "gatehouse/secret.h"

/* 43 characters of the base64url alphabet. */
#define SECRET	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k"

/* 0 when token parses; org, id and secret are then set. */
static int
parse(const char *token)
{
	int64_t		 org = -1, id = -1;
	const char	*secret = NULL;

	return apikey_parse(token, &org, &id, &secret);
}

/* --- parsing --- */

static void
formatted_key_parses_back(void **state)
{
	char		 key[APIKEY_MAX];
	int64_t		 org, id;
	const char	*secret;

	(void)state;
	assert_int_equal(apikey_format(key, sizeof(key), 42, 7, SECRET), 0);
	assert_string_equal(key, "gh_42k7_" SECRET);
	assert_int_equal(apikey_parse(key, &org, &id, &secret), 0);
	assert_int_equal(org, 42);
	assert_int_equal(id, 7);
	assert_string_equal(secret, SECRET);
	assert_ptr_equal(secret, key + 8);
}

static void
largest_ids_round_trip(void **state)
{
	char		 key[APIKEY_MAX];
	int64_t		 org, id;
	const char	*secret;

	(void)state;
	assert_int_equal(apikey_format(key, sizeof(key), 999999999999999999LL,
	    999999999999999999LL, SECRET), 0);
	assert_int_equal(apikey_parse(key, &org, &id, &secret), 0);
	assert_int_equal(org, 999999999999999999LL);
	assert_int_equal(id, 999999999999999999LL);
}

static void
format_refuses_too_small_buffer(void **state)
{
	char key[20];

	(void)state;
	assert_int_equal(apikey_format(key, sizeof(key), 1, 1, SECRET), -1);
}

static void
wrong_prefix_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gk_1k1_" SECRET), -1);
	assert_int_equal(parse("GH_1k1_" SECRET), -1);
	assert_int_equal(parse("xgh_1k1_" SECRET), -1);
	assert_int_equal(parse("1k1_" SECRET), -1);
}

static void
null_and_empty_tokens_are_refused(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), -1);
	assert_int_equal(parse(""), -1);
	assert_int_equal(parse("gh_"), -1);
}

static void
missing_key_separator_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_12_" SECRET), -1);
}

static void
missing_secret_separator_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k2" SECRET), -1);
}

static void
missing_org_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_k1_" SECRET), -1);
}

static void
missing_id_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k_" SECRET), -1);
}

static void
missing_secret_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k1_"), -1);
}

static void
leading_zero_org_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_01k1_" SECRET), -1);
}

static void
leading_zero_id_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k01_" SECRET), -1);
}

static void
zero_ids_are_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_0k1_" SECRET), -1);
	assert_int_equal(parse("gh_1k0_" SECRET), -1);
}

static void
non_digit_ids_are_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1ak1_" SECRET), -1);
	assert_int_equal(parse("gh_1k1a_" SECRET), -1);
	assert_int_equal(parse("gh_+1k1_" SECRET), -1);
	assert_int_equal(parse("gh_-1k1_" SECRET), -1);
	assert_int_equal(parse("gh_1k 1_" SECRET), -1);
}

static void
nineteen_digit_ids_are_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1000000000000000000k1_" SECRET), -1);
	assert_int_equal(parse("gh_1k1000000000000000000_" SECRET), -1);
}

static void
eighteen_digit_ids_are_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_100000000000000000k1_" SECRET), 0);
}

static void
short_secret_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k1_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_"), -1);
}

static void
long_secret_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k1_" SECRET "A"), -1);
}

static void
secret_outside_base64url_is_refused(void **state)
{
	(void)state;
	assert_int_equal(parse("gh_1k1_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+/k"), -1);
	assert_int_equal(parse("gh_1k1_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-=k"), -1);
	assert_int_equal(parse("gh_1k1_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123- k"), -1);
	assert_int_equal(parse("gh_1k1_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-\xc3k"), -1);
}

static void
secret_may_contain_underscore_and_k(void **state)
{
	int64_t		 org, id;
	const char	*secret;

	(void)state;
	assert_int_equal(apikey_parse("gh_3k4_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k",
	    &org, &id, &secret), 0);
	assert_int_equal(org, 3);
	assert_int_equal(id, 4);
	assert_string_equal(secret, "k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k_k");
}

/* --- keys carry new secrets --- */

static void
new_secret_parses_inside_a_formatted_key(void **state)
{
	char		 secret[SECRET_LEN + 1], key[APIKEY_MAX];
	unsigned char	 digest[SECRET_DIGEST_LEN];

	(void)state;
	assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
	assert_int_equal(apikey_format(key, sizeof(key), 9, 10, secret), 0);
	assert_int_equal(parse(key), 0);
}

/* --- authentication refuses before any lookup --- */

/*
 * No test calls db_init, so a lookup would fail as DB_UNAVAILABLE and the
 * result would be APIKEY_UNAVAILABLE. These run before the control test below.
 */
static void
malformed_token_is_invalid_without_database(void **state)
{
	struct arena		a;
	struct principal	p;

	(void)state;
	arena_init(&a, 4096);
	memset(&p, 0, sizeof(p));
	assert_int_equal(apikey_authenticate(&a, "gh_01k1_" SECRET, &p), APIKEY_INVALID);
	assert_int_equal(apikey_authenticate(&a, "Bearer gh_1k1_" SECRET, &p), APIKEY_INVALID);
	assert_int_equal(apikey_authenticate(&a, "gh_1k1_short", &p), APIKEY_INVALID);
	assert_int_equal(db_status(), DB_OK);
	assert_int_equal(a.used, 0);
	arena_free(&a);
}

static void
null_token_is_invalid_without_database(void **state)
{
	struct arena		a;
	struct principal	p;

	(void)state;
	arena_init(&a, 4096);
	assert_int_equal(apikey_authenticate(&a, NULL, &p), APIKEY_INVALID);
	assert_int_equal(db_status(), DB_OK);
	arena_free(&a);
}

static void
well_formed_token_goes_to_the_database(void **state)
{
	struct arena		a;
	struct principal	p;

	(void)state;
	arena_init(&a, 4096);
	assert_int_equal(apikey_authenticate(&a, "gh_1k1_" SECRET, &p), APIKEY_UNAVAILABLE);
	assert_int_equal(db_status(), DB_UNAVAILABLE);
	arena_free(&a);
}

/* --- levels --- */

static void
level_names_parse_back(void **state)
{
	enum level l;

	(void)state;
	for (int i = 0; i < LEVEL__MAX; i++) {
		assert_int_equal(level_parse(level_name((enum level)i), &l), 0);
		assert_int_equal(l, i);
	}
}

static void
levels_are_ordered_guest_user_admin_super(void **state)
{
	(void)state;
	assert_string_equal(level_name(LEVEL_GUEST), "guest");
	assert_string_equal(level_name(LEVEL_USER), "user");
	assert_string_equal(level_name(LEVEL_ADMIN), "admin");
	assert_string_equal(level_name(LEVEL_SUPER), "super");
	assert_true(LEVEL_GUEST < LEVEL_USER && LEVEL_USER < LEVEL_ADMIN &&
	    LEVEL_ADMIN < LEVEL_SUPER);
}

static void
unknown_level_is_refused_and_untouched(void **state)
{
	enum level l = LEVEL_USER;

	(void)state;
	assert_int_equal(level_parse("root", &l), -1);
	assert_int_equal(level_parse("", &l), -1);
	assert_int_equal(level_parse("admin ", &l), -1);
	assert_int_equal(l, LEVEL_USER);
}

static void
level_parse_is_case_sensitive(void **state)
{
	enum level l;

	(void)state;
	assert_int_equal(level_parse("Admin", &l), -1);
	assert_int_equal(level_parse("SUPER", &l), -1);
}

static void
out_of_range_level_is_named_guest(void **state)
{
	(void)state;
	assert_string_equal(level_name(LEVEL__MAX), "guest");
	assert_string_equal(level_name((enum level)-1), "guest");
}

static void
reference_parses_to_org_and_id(void **state)
{
	int64_t org, id;

	(void)state;
	assert_int_equal(apikey_ref_parse("gh_12k345", &org, &id), 0);
	assert_int_equal(org, 12);
	assert_int_equal(id, 345);
}

static void
malformed_references_are_refused(void **state)
{
	static const char *const bad[] = { "", "gh_", "gh_12", "gh_12k", "gh_k5", "gh_012k5",
		"gh_12k05", "gt_12k5", "GH_12k5", "gh_12k5_", "gh_12k5x", "gh_1k2k3", "gh_12k5 ",
		"gh_1234567890123456789k1" };
	int64_t org, id;

	(void)state;
	assert_int_equal(apikey_ref_parse(NULL, &org, &id), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (apikey_ref_parse(bad[i], &org, &id) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
a_full_key_is_not_a_reference(void **state)
{
	char key[APIKEY_MAX], secret[SECRET_LEN + 1];
	unsigned char digest[SECRET_DIGEST_LEN];
	int64_t org, id;

	(void)state;
	assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
	assert_int_equal(apikey_format(key, sizeof(key), 7, 9, secret), 0);
	assert_int_equal(apikey_ref_parse(key, &org, &id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formatted_key_parses_back),
		cmocka_unit_test(reference_parses_to_org_and_id),
		cmocka_unit_test(malformed_references_are_refused),
		cmocka_unit_test(a_full_key_is_not_a_reference),
		cmocka_unit_test(largest_ids_round_trip),
		cmocka_unit_test(format_refuses_too_small_buffer),
		cmocka_unit_test(wrong_prefix_is_refused),
		cmocka_unit_test(null_and_empty_tokens_are_refused),
		cmocka_unit_test(missing_key_separator_is_refused),
		cmocka_unit_test(missing_secret_separator_is_refused),
		cmocka_unit_test(missing_org_is_refused),
		cmocka_unit_test(missing_id_is_refused),
		cmocka_unit_test(missing_secret_is_refused),
		cmocka_unit_test(leading_zero_org_is_refused),
		cmocka_unit_test(leading_zero_id_is_refused),
		cmocka_unit_test(zero_ids_are_refused),
		cmocka_unit_test(non_digit_ids_are_refused),
		cmocka_unit_test(nineteen_digit_ids_are_refused),
		cmocka_unit_test(eighteen_digit_ids_are_accepted),
		cmocka_unit_test(short_secret_is_refused),
		cmocka_unit_test(long_secret_is_refused),
		cmocka_unit_test(secret_outside_base64url_is_refused),
		cmocka_unit_test(secret_may_contain_underscore_and_k),
		cmocka_unit_test(new_secret_parses_inside_a_formatted_key),
		cmocka_unit_test(malformed_token_is_invalid_without_database),
		cmocka_unit_test(null_token_is_invalid_without_database),
		cmocka_unit_test(well_formed_token_goes_to_the_database),
		cmocka_unit_test(level_names_parse_back),
		cmocka_unit_test(levels_are_ordered_guest_user_admin_super),
		cmocka_unit_test(unknown_level_is_refused_and_untouched),
		cmocka_unit_test(level_parse_is_case_sensitive),
		cmocka_unit_test(out_of_range_level_is_named_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
