/* test-seal.c: sealing a job's passwords under the in-memory key — round trip, binding, tampering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/seal.h"

#define PW	"correct horse battery staple"
#define AAD	"gatehouse job 1/2/3"

static int
setup(void **state)
{
	(void)state;
	return seal_init();
}

static void
sealed_text_opens_to_itself(void **state)
{
	unsigned char	sealed[sizeof(PW) - 1 + SEAL_OVERHEAD];
	char		plain[64];

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, sealed), 0);
	assert_int_equal(seal_open(sealed, sizeof(sealed), AAD, plain, sizeof(plain)), 0);
	assert_string_equal(plain, PW);
}

/* True when the n bytes of s hold word. */
static bool
holds(const unsigned char *s, size_t n, const char *word)
{
	size_t len = strlen(word);

	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(s + i, word, len) == 0)
			return true;
	return false;
}

static void
sealed_text_hides_the_plain_text_and_differs_each_time(void **state)
{
	unsigned char	a[sizeof(PW) - 1 + SEAL_OVERHEAD], b[sizeof(a)];

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, a), 0);
	assert_int_equal(seal(PW, strlen(PW), AAD, b), 0);
	assert_false(holds(a, sizeof(a), "horse"));
	assert_memory_not_equal(a, b, sizeof(a));	/* a fresh nonce each time */
}

static void
another_binding_does_not_open(void **state)
{
	unsigned char	sealed[sizeof(PW) - 1 + SEAL_OVERHEAD];
	char		plain[64];

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, sealed), 0);
	assert_int_equal(seal_open(sealed, sizeof(sealed), "gatehouse job 1/2/4", plain,
	    sizeof(plain)), -1);
}

static void
any_changed_byte_does_not_open(void **state)
{
	unsigned char	sealed[sizeof(PW) - 1 + SEAL_OVERHEAD];
	char		plain[64];

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, sealed), 0);
	for (size_t i = 0; i < sizeof(sealed); i++) {
		sealed[i] ^= 1;
		assert_int_equal(seal_open(sealed, sizeof(sealed), AAD, plain, sizeof(plain)), -1);
		sealed[i] ^= 1;
	}
	assert_int_equal(seal_open(sealed, sizeof(sealed) - 1, AAD, plain, sizeof(plain)), -1);
}

static void
another_key_does_not_open(void **state)
{
	unsigned char	sealed[sizeof(PW) - 1 + SEAL_OVERHEAD];
	char		plain[64], id[SEAL_ID_LEN + 1];

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, sealed), 0);
	memcpy(id, seal_id(), sizeof(id));
	assert_int_equal(seal_init(), 0);	/* a restarted server: a new key */
	assert_string_not_equal(seal_id(), id);
	assert_int_equal(seal_open(sealed, sizeof(sealed), AAD, plain, sizeof(plain)), -1);
}

static void
too_small_a_buffer_is_refused(void **state)
{
	unsigned char	sealed[sizeof(PW) - 1 + SEAL_OVERHEAD];
	char		plain[sizeof(PW) - 1];		/* no room for the NUL */

	(void)state;
	assert_int_equal(seal(PW, strlen(PW), AAD, sealed), 0);
	assert_int_equal(seal_open(sealed, sizeof(sealed), AAD, plain, sizeof(plain)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(sealed_text_opens_to_itself, setup),
		cmocka_unit_test_setup(sealed_text_hides_the_plain_text_and_differs_each_time, setup),
		cmocka_unit_test_setup(another_binding_does_not_open, setup),
		cmocka_unit_test_setup(any_changed_byte_does_not_open, setup),
		cmocka_unit_test_setup(another_key_does_not_open, setup),
		cmocka_unit_test_setup(too_small_a_buffer_is_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
