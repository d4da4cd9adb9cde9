/*
 * seal.h: AES-256-GCM sealing of short secrets under two kinds of key.
 *
 * The job key exists only in this server's memory: made by the master at
 * start, inherited by its workers and job runner over fork, never written
 * anywhere. A restarted server has a new key and cannot open what the old
 * one sealed — right for a job's passwords, which live minutes.
 *
 * The at-rest keys (secrets kept for good: TOTP secrets) come from files the
 * operator keeps outside the database (seal_keys_load). One is current, and
 * seals; an old one, when configured, only opens, so a key can be rotated.
 * An at-rest blob is
 *	version (1 byte) | key id (SEAL_KID_LEN) | nonce (12) | ciphertext | tag (16)
 * with the version and key id bound into the tag beside the caller's aad.
 */
#ifndef GATEHOUSE_SEAL_H
#define GATEHOUSE_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_ID_LEN		16	/* hex characters of the job key's public id */
#define SEAL_OVERHEAD		(12 + 16)	/* nonce and tag around the ciphertext */
#define SEAL_PLAIN_MAX		1024	/* the longest secret sealed (a password's 4 * 256 bytes) */

#define SEAL_KEY_LEN		32	/* AES-256 */
#define SEAL_VERSION		1	/* the first byte of an at-rest blob */
#define SEAL_KID_LEN		8	/* bytes of an at-rest key's id */
#define SEAL_HEAD_LEN		(1 + SEAL_KID_LEN)
#define SEAL_REST_OVERHEAD	(SEAL_HEAD_LEN + SEAL_OVERHEAD)

/* Makes a fresh random job key and id; 0, or -1 when the random generator fails. */
int		 seal_init(void);
/* True once seal_init succeeded in this process or the one it was forked from. */
bool		 seal_ready(void);
/* The job key's public id (random, not derived from the key), "" before seal_init. */
const char	*seal_id(void);
/*
 * Seals plain (n bytes, at most SEAL_PLAIN_MAX) under the job key, bound to
 * aad (a text naming where it belongs, so a sealed value moved elsewhere does
 * not open) into out, which holds n + SEAL_OVERHEAD bytes. 0, or -1.
 */
int		 seal(const char *plain, size_t n, const char *aad, unsigned char *out);
/*
 * Opens what seal made (n bytes) into plain (size bytes, NUL-terminated on
 * success; the caller wipes it). 0, or -1: not sealed by this key for aad.
 */
int		 seal_open(const unsigned char *in, size_t n, const char *aad, char *plain,
		    size_t size);

/*
 * Reads the current at-rest key from path and, when old_path is not NULL, the
 * old one: each a regular file of SEAL_KEY_LEN bytes or their base64 (a
 * trailing newline and padding allowed), readable by its owner only. Keeps
 * the keys loaded before on any failure. 0, or -1 with a message naming the
 * file and what is wrong in err.
 */
int		 seal_keys_load(const char *path, const char *old_path, char *err, size_t errlen);
/* Makes key (and old, when not NULL) the at-rest keys; -1 when both have one id. */
int		 seal_keys_set(const unsigned char key[SEAL_KEY_LEN], const unsigned char *old);
/* Forgets the at-rest keys (wiped). */
void		 seal_keys_clear(void);
/* True once at-rest keys are loaded. */
bool		 seal_keys_ready(void);
/* The version and key id every blob sealed now starts with. */
void		 seal_head(unsigned char head[SEAL_HEAD_LEN]);
/*
 * Seals plain (n bytes, at most SEAL_PLAIN_MAX) under the current at-rest key,
 * bound to aad, into out (n + SEAL_REST_OVERHEAD bytes). 0, or -1.
 */
int		 seal_rest(const void *plain, size_t n, const char *aad, unsigned char *out);
/*
 * Opens an at-rest blob of n bytes into plain (size bytes; the caller wipes
 * it). Returns the plain length, or -1: a version or key id not loaded, a
 * truncated or changed blob, or another aad. *stale is set when the blob was
 * sealed under the old key (seal it again under the current one).
 */
long		 seal_rest_open(const unsigned char *in, size_t n, const char *aad, void *plain,
		    size_t size, bool *stale);

#endif
