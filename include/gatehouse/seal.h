/*
 * seal.h: sealing short secrets (a job's passwords) under a key that exists
 * only in this server's memory: made by the master at start, inherited by its
 * workers and job runner over fork, never written anywhere. A restarted
 * server has a new key and cannot open what the old one sealed.
 */
#ifndef GATEHOUSE_SEAL_H
#define GATEHOUSE_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_ID_LEN		16	/* hex characters of the key's public id */
#define SEAL_OVERHEAD		(12 + 16)	/* nonce and tag around the ciphertext */
#define SEAL_PLAIN_MAX		1024	/* the longest secret sealed (a password's 4 * 256 bytes) */

/* Makes a fresh random key and id; 0, or -1 when the random generator fails. */
int		 seal_init(void);
/* True once seal_init succeeded in this process or the one it was forked from. */
bool		 seal_ready(void);
/* The key's public id (random, not derived from the key), "" before seal_init. */
const char	*seal_id(void);
/*
 * Seals plain (n bytes, at most SEAL_PLAIN_MAX) bound to aad (a text naming
 * where it belongs, so a sealed value moved elsewhere does not open) into out,
 * which holds n + SEAL_OVERHEAD bytes. 0, or -1.
 */
int		 seal(const char *plain, size_t n, const char *aad, unsigned char *out);
/*
 * Opens what seal made (n bytes) into plain (size bytes, NUL-terminated on
 * success; the caller wipes it). 0, or -1: not sealed by this key for aad.
 */
int		 seal_open(const unsigned char *in, size_t n, const char *aad, char *plain,
		    size_t size);

#endif
