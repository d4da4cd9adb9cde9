/*
 * secret.h: the secrets behind API keys and single-use tokens — random text,
 * its SHA-256 digest (all the database keeps), and the shape
 * <prefix>_<org>k<id>_<secret> a secret travels in.
 */
#ifndef GATEHOUSE_SECRET_H
#define GATEHOUSE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define SECRET_BYTES		32			/* of randomness */
#define SECRET_LEN		43			/* its text: base64url, unpadded */
#define SECRET_DIGEST_LEN	32			/* SHA-256 */
#define SECRET_HEX_LEN		(2 * SECRET_DIGEST_LEN)
#define SECRET_TOKEN_MAX	128			/* a whole <prefix>_<org>k<id>_<secret> */

/*
 * Writes a new random secret's text (NUL-terminated) to text, which holds
 * size bytes (at least SECRET_LEN + 1), and its digest. 0 on success; -1 when
 * text is too small or the random number generator fails. The caller wipes
 * both with OPENSSL_cleanse when done.
 */
int	secret_new(char *text, size_t size, unsigned char digest[SECRET_DIGEST_LEN]);
/* The digest of a secret's text. */
void	secret_digest(const char *text, unsigned char digest[SECRET_DIGEST_LEN]);
/* A digest as lowercase hexadecimal, NUL-terminated: a statement's decode($n, 'hex'). */
void	secret_hex(const unsigned char digest[SECRET_DIGEST_LEN], char hex[SECRET_HEX_LEN + 1]);

/* Writes <prefix>_<org>k<id>_<secret> to out; -1 when it does not fit. */
int	secret_format(char *out, size_t outsz, const char *prefix, int64_t org, int64_t id,
	    const char *secret);
/*
 * Splits <prefix>_<org>k<id>_<secret>: org and id positive decimals of at
 * most 18 digits without leading zeros, the secret SECRET_LEN characters of
 * base64url. 0 with org, id and a pointer to the secret inside token set;
 * -1 when the shape is wrong (checked before any lookup).
 */
int	secret_parse(const char *token, const char *prefix, int64_t *org, int64_t *id,
	    const char **secret);
/* Splits the public reference <prefix>_<org>k<id> (no secret). 0 on success. */
int	secret_ref_parse(const char *ref, const char *prefix, int64_t *org, int64_t *id);

#endif
