/* apikey.h: API keys gh_<org>k<id>_<secret>: generation, parsing, hashing and verification. */
#ifndef GATEHOUSE_APIKEY_H
#define GATEHOUSE_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct principal;

#define APIKEY_SECRET_BYTES	32
#define APIKEY_SECRET_LEN	43	/* base64url, unpadded */
#define APIKEY_DIGEST_LEN	32	/* SHA-256 */
#define APIKEY_MAX		128

/*
 * Splits a presented key. Returns 0 and sets org, id and a pointer to the
 * secret inside token; -1 if the shape is wrong (checked before any lookup).
 */
int	apikey_parse(const char *token, int64_t *org, int64_t *id, const char **secret);
/* Splits a key's public reference gh_<org>k<id> (no secret). 0 on success. */
int	apikey_ref_parse(const char *ref, int64_t *org, int64_t *id);
/* A new random secret (base64url, NUL-terminated) and its digest. 0 on success. */
int	apikey_new_secret(char secret[APIKEY_SECRET_LEN + 1], unsigned char digest[APIKEY_DIGEST_LEN]);
void	apikey_digest(const char *secret, size_t len, unsigned char out[APIKEY_DIGEST_LEN]);
/* The full key to show once: gh_<org>k<id>_<secret>. */
int	apikey_format(char *out, size_t outsz, int64_t org, int64_t id, const char *secret);

/*
 * Single-use tokens (registration, password reset) share the shape with
 * another prefix: <prefix>_<org>k<id>_<secret>.
 */
int	token_format(char *out, size_t outsz, const char *prefix, int64_t org, int64_t id,
	    const char *secret);
int	token_parse(const char *token, const char *prefix, int64_t *org, int64_t *id,
	    const char **secret);

enum apikey_result { APIKEY_OK, APIKEY_INVALID, APIKEY_UNAVAILABLE };

/*
 * Authenticates a presented key against the database and fills p (strings in
 * the arena). INVALID covers malformed, unknown, wrong secret, revoked,
 * expired and inactive owner alike, so a caller learns nothing from which.
 */
enum apikey_result apikey_authenticate(struct arena *, const char *token, struct principal *p);

#endif
