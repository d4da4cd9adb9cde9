/*
 * test-seal.c: sealing a job's passwords under the in-memory key, and secrets
 * at rest under the keys from files — round trip, binding, tampering, key
 * ids and rotation, and the key files' checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* --- at rest ------------------------------------------------------------------ */

#define SECRET	"12345678901234567890"		/* RFC 6238's test secret, 20 bytes */
#define BIND	"gatehouse totp 1/2"
#define REST_LEN	(sizeof(SECRET) - 1 + SEAL_REST_OVERHEAD)

static const unsigned char key_a[SEAL_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char key_b[SEAL_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static int
rest_setup(void **state)
{
	(void)state;
	return seal_keys_set(key_a, NULL);
}

/* Opens blob (n bytes) bound to aad; the plain length or -1, and whether it was stale. */
static long
rest_open(const unsigned char *blob, size_t n, const char *aad, bool *stale)
{
	unsigned char plain[64];

	return seal_rest_open(blob, n, aad, plain, sizeof(plain), stale);
}

static void
a_secret_at_rest_opens_to_itself_and_names_its_key(void **state)
{
	unsigned char	blob[REST_LEN], head[SEAL_HEAD_LEN], plain[64];
	bool		stale = true;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	seal_head(head);
	assert_int_equal(blob[0], SEAL_VERSION);
	assert_memory_equal(blob, head, SEAL_HEAD_LEN);
	assert_false(holds(blob, sizeof(blob), "1234"));
	assert_int_equal(seal_rest_open(blob, sizeof(blob), BIND, plain, sizeof(plain), &stale),
	    (long)strlen(SECRET));
	assert_memory_equal(plain, SECRET, strlen(SECRET));
	assert_false(stale);
}

static void
a_secret_at_rest_bound_elsewhere_does_not_open(void **state)
{
	unsigned char	blob[REST_LEN];
	bool		stale;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), "gatehouse totp 1/3", &stale), -1);
	assert_int_equal(rest_open(blob, sizeof(blob), "gatehouse totp 2/2", &stale), -1);
	assert_int_equal(rest_open(blob, sizeof(blob), "gatehouse job 1/2", &stale), -1);
}

static void
any_changed_or_missing_byte_at_rest_does_not_open(void **state)
{
	unsigned char	blob[REST_LEN];
	bool		stale;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	/* The version and key id too: they are bound into the tag. */
	for (size_t i = 0; i < sizeof(blob); i++) {
		blob[i] ^= 0x80;
		assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), -1);
		blob[i] ^= 0x80;
	}
	for (size_t n = 0; n < sizeof(blob); n++)
		assert_int_equal(rest_open(blob, n, BIND, &stale), -1);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));
}

static void
a_key_id_not_loaded_does_not_open(void **state)
{
	unsigned char	blob[REST_LEN];
	bool		stale;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	assert_int_equal(seal_keys_set(key_b, NULL), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), -1);
	/* Nor does it open when a blob's id is made to name the current key. */
	seal_head(blob);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), -1);
	seal_keys_clear();
	assert_false(seal_keys_ready());
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), -1);
}

static void
the_old_key_opens_what_it_sealed_and_says_it_is_stale(void **state)
{
	unsigned char	blob[REST_LEN], again[REST_LEN];
	bool		stale = false;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	/* Rotated: b is current, a is old. */
	assert_int_equal(seal_keys_set(key_b, key_a), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));
	assert_true(stale);
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, again), 0);
	assert_memory_not_equal(again + 1, blob + 1, SEAL_KID_LEN);
	assert_int_equal(rest_open(again, sizeof(again), BIND, &stale), (long)strlen(SECRET));
	assert_false(stale);
	/* The old key dropped: only what was sealed again opens. */
	assert_int_equal(seal_keys_set(key_b, NULL), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), -1);
	assert_int_equal(rest_open(again, sizeof(again), BIND, &stale), (long)strlen(SECRET));
}

static void
another_version_does_not_open(void **state)
{
	unsigned char	blob[REST_LEN];
	bool		stale;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);
	blob[0] = SEAL_VERSION + 1;
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), -1);
}

/* Writes n bytes of data to a fresh file of mode mode; its path, which the caller unlinks. */
static char *
key_file(const void *data, size_t n, mode_t mode)
{
	static char	path[64];
	int		fd;

	snprintf(path, sizeof(path), "/tmp/gh-seal-test.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* seal_keys_load of one file; 0 or -1, the message in err. */
static int
load_file(const void *data, size_t n, mode_t mode, char *err, size_t errlen)
{
	char	*path = key_file(data, n, mode);
	int	 rc = seal_keys_load(path, NULL, err, errlen);

	unlink(path);
	return rc;
}

static void
a_key_file_is_raw_or_base64_and_private(void **state)
{
	/* base64 of key_a, as openssl rand -base64 32 writes a key. */
	static const char b64[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
	unsigned char	blob[REST_LEN];
	char		err[256];
	bool		stale;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);	/* under key_a */
	assert_int_equal(seal_keys_set(key_b, NULL), 0);
	assert_int_equal(load_file(b64, strlen(b64), 0600, err, sizeof(err)), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));
	assert_int_equal(seal_keys_set(key_b, NULL), 0);
	assert_int_equal(load_file(key_a, sizeof(key_a), 0400, err, sizeof(err)), 0);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));

	/* Each refusal keeps the keys loaded before and says what is wrong. */
	assert_int_equal(load_file(key_b, sizeof(key_b), 0640, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 640"));
	assert_int_equal(load_file(key_b, sizeof(key_b), 0604, err, sizeof(err)), -1);
	assert_int_equal(load_file(key_b, sizeof(key_b) - 1, 0600, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected 32 random bytes"));
	assert_int_equal(load_file(b64, 20, 0600, err, sizeof(err)), -1);
	assert_int_equal(load_file("", 0, 0600, err, sizeof(err)), -1);
	assert_int_equal(seal_keys_load("/nonexistent/gh.key", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/gh.key"));
	assert_int_equal(seal_keys_load(NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "secret_key_file"));
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));
}

static void
an_old_key_file_is_read_beside_the_current_one(void **state)
{
	unsigned char	blob[REST_LEN];
	char		err[256], cur[64], *old;
	bool		stale = false;

	(void)state;
	assert_int_equal(seal_rest(SECRET, strlen(SECRET), BIND, blob), 0);	/* under key_a */
	snprintf(cur, sizeof(cur), "%s", key_file(key_b, sizeof(key_b), 0600));
	old = key_file(key_a, sizeof(key_a), 0644);
	assert_int_equal(seal_keys_load(cur, old, err, sizeof(err)), -1);	/* the old one too */
	assert_int_equal(chmod(old, 0600), 0);
	assert_int_equal(seal_keys_load(cur, old, err, sizeof(err)), 0);
	unlink(cur);
	unlink(old);
	assert_int_equal(rest_open(blob, sizeof(blob), BIND, &stale), (long)strlen(SECRET));
	assert_true(stale);
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
		cmocka_unit_test_setup(a_secret_at_rest_opens_to_itself_and_names_its_key, rest_setup),
		cmocka_unit_test_setup(a_secret_at_rest_bound_elsewhere_does_not_open, rest_setup),
		cmocka_unit_test_setup(any_changed_or_missing_byte_at_rest_does_not_open, rest_setup),
		cmocka_unit_test_setup(a_key_id_not_loaded_does_not_open, rest_setup),
		cmocka_unit_test_setup(the_old_key_opens_what_it_sealed_and_says_it_is_stale, rest_setup),
		cmocka_unit_test_setup(another_version_does_not_open, rest_setup),
		cmocka_unit_test_setup(a_key_file_is_raw_or_base64_and_private, rest_setup),
		cmocka_unit_test_setup(an_old_key_file_is_read_beside_the_current_one, rest_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
