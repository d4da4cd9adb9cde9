/* test-secret.c: new secrets, their SHA-256 digests and hex, and the <prefix>_<org>k<id>_<secret> shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "gatehouse/secret.h"

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
/* 43 characters of the base64url alphabet. */
#define SECRET	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_k"

/* SHA-256 through the EVP digest context, independently of secret_digest. */
static void
sha256(const void *p, size_t n, unsigned char out[32])
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned int	 len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, p, n), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &len), 1);
	assert_int_equal(len, 32);
	EVP_MD_CTX_free(ctx);
}

/* --- new secrets --- */

static void
new_secret_is_43_base64url_characters(void **state)
{
	char		secret[SECRET_LEN + 1];
	unsigned char	digest[SECRET_DIGEST_LEN];

	(void)state;
	memset(secret, 'X', sizeof(secret));
	assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
	assert_int_equal(strlen(secret), 43);
	assert_int_equal(strspn(secret, B64URL), 43);
}

static void
new_secret_encodes_exactly_256_bits(void **state)
{
	char		secret[SECRET_LEN + 1];
	unsigned char	digest[SECRET_DIGEST_LEN];

	(void)state;
	/* 43 characters hold 258 bits; the last one carries 4 data bits and 2 zero bits. */
	for (int i = 0; i < 32; i++) {
		assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
		assert_int_equal((strchr(B64URL, secret[42]) - B64URL) & 3, 0);
	}
}

static void
new_secrets_differ(void **state)
{
	char		a[SECRET_LEN + 1], b[SECRET_LEN + 1];
	unsigned char	da[SECRET_DIGEST_LEN], db[SECRET_DIGEST_LEN];

	(void)state;
	assert_int_equal(secret_new(a, sizeof(a), da), 0);
	assert_int_equal(secret_new(b, sizeof(b), db), 0);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(da, db, SECRET_DIGEST_LEN);
}

static void
new_secret_digest_is_sha256_of_the_secret_text(void **state)
{
	char		secret[SECRET_LEN + 1];
	unsigned char	digest[SECRET_DIGEST_LEN], want[32];

	(void)state;
	assert_int_equal(secret_new(secret, sizeof(secret), digest), 0);
	sha256(secret, strlen(secret), want);
	assert_memory_equal(digest, want, 32);
}

static void
new_secret_refuses_a_buffer_without_room_for_the_nul(void **state)
{
	char		secret[SECRET_LEN] = "untouched";
	unsigned char	digest[SECRET_DIGEST_LEN];

	(void)state;
	assert_int_equal(secret_new(secret, sizeof(secret), digest), -1);
	assert_string_equal(secret, "untouched");
}

/* --- digests --- */

static void
digest_matches_sha256(void **state)
{
	unsigned char got[SECRET_DIGEST_LEN], want[32];

	(void)state;
	secret_digest(SECRET, got);
	sha256(SECRET, strlen(SECRET), want);
	assert_memory_equal(got, want, 32);
}

static void
digest_matches_known_vector(void **state)
{
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char got[SECRET_DIGEST_LEN];

	(void)state;
	secret_digest("abc", got);
	assert_memory_equal(got, abc, 32);
}

static void
hex_is_the_digest_in_lowercase(void **state)
{
	unsigned char	digest[SECRET_DIGEST_LEN];
	char		hex[SECRET_HEX_LEN + 1], want[SECRET_HEX_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (unsigned char)(i * 37 + 5);
	digest[0] = 0x00;	/* leading zeros are kept */
	digest[1] = 0xff;
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(want + 2 * i, 3, "%02x", digest[i]);
	memset(hex, 'X', sizeof(hex));
	secret_hex(digest, hex);
	assert_string_equal(hex, want);
	secret_digest("abc", digest);
	secret_hex(digest, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* --- the shape a secret travels in --- */

static void
token_of_another_prefix_round_trips(void **state)
{
	char		 tok[SECRET_TOKEN_MAX];
	int64_t		 org, id;
	const char	*secret;

	(void)state;
	assert_int_equal(secret_format(tok, sizeof(tok), "gt", 12, 345, SECRET), 0);
	assert_string_equal(tok, "gt_12k345_" SECRET);
	assert_int_equal(secret_parse(tok, "gt", &org, &id, &secret), 0);
	assert_int_equal(org, 12);
	assert_int_equal(id, 345);
	assert_ptr_equal(secret, tok + 10);
	assert_int_equal(secret_parse(tok, "gh", &org, &id, &secret), -1);
	assert_int_equal(secret_ref_parse("gt_12k345", "gt", &org, &id), 0);
	assert_int_equal(secret_ref_parse("gt_12k345", "gh", &org, &id), -1);
	assert_int_equal(secret_ref_parse(tok, "gt", &org, &id), -1);
}

static void
longest_token_fits_the_bound(void **state)
{
	char tok[SECRET_TOKEN_MAX];

	(void)state;
	/* Two prefix characters, 18-digit ids and a secret: well inside SECRET_TOKEN_MAX. */
	assert_int_equal(secret_format(tok, sizeof(tok), "gt", 999999999999999999LL,
	    999999999999999999LL, SECRET), 0);
	assert_int_equal(strlen(tok), 2 + 1 + 18 + 1 + 18 + 1 + SECRET_LEN);
	assert_int_equal(secret_format(tok, strlen(tok), "gt", 999999999999999999LL,
	    999999999999999999LL, SECRET), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_secret_is_43_base64url_characters),
		cmocka_unit_test(new_secret_encodes_exactly_256_bits),
		cmocka_unit_test(new_secrets_differ),
		cmocka_unit_test(new_secret_digest_is_sha256_of_the_secret_text),
		cmocka_unit_test(new_secret_refuses_a_buffer_without_room_for_the_nul),
		cmocka_unit_test(digest_matches_sha256),
		cmocka_unit_test(digest_matches_known_vector),
		cmocka_unit_test(hex_is_the_digest_in_lowercase),
		cmocka_unit_test(token_of_another_prefix_round_trips),
		cmocka_unit_test(longest_token_fits_the_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
