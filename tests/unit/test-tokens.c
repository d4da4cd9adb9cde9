/* test-tokens.c: single-use link tokens — their shape, the states a lookup tells apart, refusals before any lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/secret.h"
#include "gatehouse/tokens.h"

static void
a_link_token_is_gt_org_id_and_a_secret(void **state)
{
	char		 secret[SECRET_LEN + 1], tok[SECRET_TOKEN_MAX];
	unsigned char	 digest[SECRET_DIGEST_LEN], again[SECRET_DIGEST_LEN];
	const char	*s;
	int64_t		 org, id;

	(void)state;
	assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
	assert_int_equal(secret_format(tok, sizeof(tok), "gt", 42, 4242, secret), 0);
	assert_int_equal(strncmp(tok, "gt_42k4242_", 11), 0);
	assert_int_equal(secret_parse(tok, "gt", &org, &id, &s), 0);
	assert_int_equal(org, 42);
	assert_int_equal(id, 4242);
	/* What is stored is the digest of the secret part alone. */
	secret_digest(s, again);
	assert_memory_equal(digest, again, sizeof(digest));
	/* Every character is safe in a URL's query as it is. */
	for (const char *p = tok; *p; p++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_", *p));
	/* An API key is not a link token, nor the other way round. */
	assert_int_equal(secret_parse(tok, "gh", &org, &id, &s), -1);
}

static void
states_are_decided_in_order(void **state)
{
	(void)state;
	/* Not found (or a wrong secret, or another purpose) says nothing else. */
	assert_int_equal(tokens_state(false, true, true, "disabled"), TOKEN_UNKNOWN);
	assert_int_equal(tokens_state(true, true, true, "disabled"), TOKEN_USED);
	assert_int_equal(tokens_state(true, false, true, "disabled"), TOKEN_EXPIRED);
	assert_int_equal(tokens_state(true, false, false, "disabled"), TOKEN_INACTIVE);
	assert_int_equal(tokens_state(true, false, false, "suspended"), TOKEN_INACTIVE);
	assert_int_equal(tokens_state(true, false, false, "removed"), TOKEN_INACTIVE);
	assert_int_equal(tokens_state(true, false, false, NULL), TOKEN_INACTIVE);
	assert_int_equal(tokens_state(true, false, false, "pending"), TOKEN_VALID);
	assert_int_equal(tokens_state(true, false, false, "active"), TOKEN_VALID);
}

static void
a_malformed_token_is_unknown_before_any_lookup(void **state)
{
	static const char *const bad[] = { "", "gt_", "gt_1k2", "gt_1k2_short",
		"gt_01k2_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k",
		"gt_1k2_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k=",
		"gh_1k2_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k",
		"gt_1k2_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_/", NULL };
	struct arena		a;
	struct core_ctx		c;
	struct core_err		e;
	struct token_info	t;

	(void)state;
	arena_init(&a, 0);
	for (int i = 0; bad[i]; i++) {
		memset(&c, 0, sizeof(c));
		c.arena = &a;
		/* No database is configured here: reaching it would answer CORE_UNAVAILABLE. */
		assert_int_equal(tokens_check(&c, bad[i], TOKEN_REGISTRATION, &t, &e), CORE_NOT_FOUND);
		assert_int_equal(t.state, TOKEN_UNKNOWN);
		assert_string_equal(e.field, "token");
		assert_int_equal(c.org_id, 0);
	}
	assert_int_equal(tokens_check(&c, NULL, TOKEN_PASSWORD_RESET, &t, &e), CORE_NOT_FOUND);
	/* A well-formed one goes to its org's database, here unreachable. */
	assert_int_equal(tokens_check(&c, "gt_7k9_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k",
	    TOKEN_REGISTRATION, &t, &e), CORE_UNAVAILABLE);
	assert_int_equal(c.org_id, 7);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_link_token_is_gt_org_id_and_a_secret),
		cmocka_unit_test(states_are_decided_in_order),
		cmocka_unit_test(a_malformed_token_is_unknown_before_any_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
