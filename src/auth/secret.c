/* secret.c: random secrets, their SHA-256 digests, and the <prefix>_<org>k<id>_<secret> shape. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gatehouse/base64.h"
#include "gatehouse/secret.h"

_Static_assert(BASE64_LEN(SECRET_BYTES) == SECRET_LEN, "secret length");

int
secret_new(char *text, size_t size, unsigned char digest[SECRET_DIGEST_LEN])
{
	unsigned char raw[SECRET_BYTES];

	if (size < SECRET_LEN + 1 || RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	base64_encode(BASE64_URL, raw, sizeof(raw), text);
	OPENSSL_cleanse(raw, sizeof(raw));
	secret_digest(text, digest);
	return 0;
}

void
secret_digest(const char *text, unsigned char digest[SECRET_DIGEST_LEN])
{
	/*
	 * Fetched once: EVP_sha256() makes every digest look its implementation
	 * up again, a third of the digest's cost on every authenticated request.
	 */
	static EVP_MD	*md;
	unsigned int	 n = SECRET_DIGEST_LEN;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL || EVP_Digest(text, strlen(text), digest, &n, md, NULL) != 1)
		memset(digest, 0, SECRET_DIGEST_LEN);	/* matches no stored digest (CHECK length 32 of real ones) */
}

void
secret_hex(const unsigned char digest[SECRET_DIGEST_LEN], char hex[SECRET_HEX_LEN + 1])
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < SECRET_DIGEST_LEN; i++) {
		hex[2 * i] = x[digest[i] >> 4];
		hex[2 * i + 1] = x[digest[i] & 0xf];
	}
	hex[SECRET_HEX_LEN] = '\0';
}

int
secret_format(char *out, size_t outsz, const char *prefix, int64_t org, int64_t id,
    const char *secret)
{
	int n = snprintf(out, outsz, "%s_%lldk%lld_%s", prefix, (long long)org, (long long)id, secret);

	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* Parses a positive decimal of at most 18 digits from s up to stop; -1 if not one. */
static int64_t
parse_id(const char *s, const char *stop)
{
	int64_t v = 0;

	if (s == stop || stop - s > 18 || *s == '0')
		return -1;
	for (; s < stop; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * Parses the public part <prefix>_<org>k<id> ending at stop (the end of the
 * reference, or the '_' before a secret). 0 on success.
 */
static int
ref_parse(const char *s, const char *stop, const char *prefix, int64_t *org, int64_t *id)
{
	size_t		 plen = strlen(prefix);
	const char	*t, *k;

	if (s == NULL || strncmp(s, prefix, plen) != 0 || s[plen] != '_')
		return -1;
	t = s + plen + 1;
	if (t >= stop || (k = memchr(t, 'k', (size_t)(stop - t))) == NULL)
		return -1;
	if ((*org = parse_id(t, k)) < 0 || (*id = parse_id(k + 1, stop)) < 0)
		return -1;
	return 0;
}

int
secret_parse(const char *token, const char *prefix, int64_t *org, int64_t *id,
    const char **secret)
{
	const char	*us, *sec;
	size_t		 slen;

	if (token == NULL || strlen(token) <= strlen(prefix) + 1 ||
	    (us = strchr(token + strlen(prefix) + 1, '_')) == NULL ||
	    ref_parse(token, us, prefix, org, id) != 0)
		return -1;
	sec = us + 1;
	slen = strlen(sec);
	if (slen != SECRET_LEN || strspn(sec, base64_chars(BASE64_URL)) != slen)
		return -1;
	*secret = sec;
	return 0;
}

int
secret_ref_parse(const char *ref, const char *prefix, int64_t *org, int64_t *id)
{
	return ref == NULL ? -1 : ref_parse(ref, ref + strlen(ref), prefix, org, id);
}
