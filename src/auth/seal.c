/* seal.c: AES-256-GCM under the job key or the at-rest keys (see seal.h). */
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gatehouse/seal.h"

#define NONCE_LEN	12
#define TAG_LEN		16

struct key {
	unsigned char	k[SEAL_KEY_LEN];
	unsigned char	id[SEAL_KID_LEN];	/* at-rest keys: SHA-256 of a label and the key */
	bool		set;
};

/* One page of keys, locked out of swap (best effort: refused without the privilege). */
static struct {
	struct key	job;
	struct key	rest;		/* current: seals and opens */
	struct key	old;		/* opens only */
} keys;
static char	job_id[SEAL_ID_LEN + 1];

static void
lock_keys(void)
{
	static bool locked;

	if (!locked)
		(void)mlock(&keys, sizeof(keys));
	locked = true;
}

int
seal_init(void)
{
	unsigned char id[SEAL_ID_LEN / 2];

	keys.job.set = false;
	lock_keys();
	if (RAND_bytes(keys.job.k, sizeof(keys.job.k)) != 1 || RAND_bytes(id, sizeof(id)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(id); i++) {
		job_id[2 * i] = "0123456789abcdef"[id[i] >> 4];
		job_id[2 * i + 1] = "0123456789abcdef"[id[i] & 15];
	}
	job_id[SEAL_ID_LEN] = '\0';
	keys.job.set = true;
	return 0;
}

bool
seal_ready(void)
{
	return keys.job.set;
}

const char *
seal_id(void)
{
	return job_id;
}

/*
 * One AES-256-GCM pass under k; enc: seal, else open. The tag covers head
 * (hlen bytes, may be 0) and aad. Returns the output length, or -1.
 */
static int
gcm(const struct key *k, bool enc, const unsigned char *nonce, const unsigned char *in, int n,
    const unsigned char *head, int hlen, const char *aad, unsigned char *out,
    unsigned char tag[TAG_LEN])
{
	EVP_CIPHER_CTX	*x = EVP_CIPHER_CTX_new();
	int		 len = 0, fin = 0, ok;

	ok = x != NULL &&
	    EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_CipherInit_ex(x, NULL, NULL, k->k, nonce, enc) == 1 &&
	    (hlen == 0 || EVP_CipherUpdate(x, NULL, &len, head, hlen) == 1) &&
	    EVP_CipherUpdate(x, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_CipherUpdate(x, out, &len, in, n) == 1 &&
	    (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(x, out + len, &fin) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? len + fin : -1;
}

/* Seals n bytes of plain under k into out: nonce, ciphertext, tag. */
static int
seal_with(const struct key *k, const void *plain, size_t n, const unsigned char *head, int hlen,
    const char *aad, unsigned char *out)
{
	if (!k->set || n > SEAL_PLAIN_MAX || RAND_bytes(out, NONCE_LEN) != 1)
		return -1;
	if (gcm(k, true, out, plain, (int)n, head, hlen, aad, out + NONCE_LEN,
	    out + NONCE_LEN + n) != (int)n) {
		OPENSSL_cleanse(out, n + SEAL_OVERHEAD);
		return -1;
	}
	return 0;
}

/* Opens what seal_with made (n bytes) into plain (size bytes); the plain length, or -1. */
static long
open_with(const struct key *k, const unsigned char *in, size_t n, const unsigned char *head,
    int hlen, const char *aad, void *plain, size_t size)
{
	size_t		len;
	unsigned char	tag[TAG_LEN];

	if (!k->set || n < SEAL_OVERHEAD || n - SEAL_OVERHEAD > size)
		return -1;
	len = n - SEAL_OVERHEAD;
	memcpy(tag, in + NONCE_LEN + len, TAG_LEN);
	if (gcm(k, false, in, in + NONCE_LEN, (int)len, head, hlen, aad, plain, tag) != (int)len) {
		OPENSSL_cleanse(plain, size);
		return -1;
	}
	return (long)len;
}

int
seal(const char *plain, size_t n, const char *aad, unsigned char *out)
{
	return seal_with(&keys.job, plain, n, NULL, 0, aad, out);
}

int
seal_open(const unsigned char *in, size_t n, const char *aad, char *plain, size_t size)
{
	long len;

	/* One byte kept for the NUL. */
	if (size == 0 || (len = open_with(&keys.job, in, n, NULL, 0, aad, plain, size - 1)) < 0)
		return -1;
	plain[len] = '\0';
	return 0;
}

/* k with key and its id; ids are derived so that a blob names the key that opens it. */
static int
key_make(struct key *k, const unsigned char key[SEAL_KEY_LEN])
{
	static const char	 label[] = "gatehouse seal key id";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	EVP_MD_CTX		*x = EVP_MD_CTX_new();
	int			 ok;

	ok = x != NULL && EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(x, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(x, key, SEAL_KEY_LEN) == 1 &&
	    EVP_DigestFinal_ex(x, md, &mdlen) == 1 && mdlen >= SEAL_KID_LEN;
	EVP_MD_CTX_free(x);
	if (!ok)
		return -1;
	memcpy(k->k, key, SEAL_KEY_LEN);
	memcpy(k->id, md, SEAL_KID_LEN);
	k->set = true;
	return 0;
}

int
seal_keys_set(const unsigned char key[SEAL_KEY_LEN], const unsigned char *old)
{
	struct key cur = { 0 }, prev = { 0 };
	int rc = -1;

	lock_keys();
	if (key_make(&cur, key) != 0 || (old != NULL && key_make(&prev, old) != 0))
		goto out;
	/* The same key twice is harmless; two keys sharing an id would make blobs ambiguous. */
	if (prev.set && memcmp(cur.id, prev.id, SEAL_KID_LEN) == 0 &&
	    CRYPTO_memcmp(cur.k, prev.k, SEAL_KEY_LEN) != 0)
		goto out;
	keys.rest = cur;
	keys.old = prev;
	rc = 0;
out:
	OPENSSL_cleanse(&cur, sizeof(cur));
	OPENSSL_cleanse(&prev, sizeof(prev));
	return rc;
}

void
seal_keys_clear(void)
{
	OPENSSL_cleanse(&keys.rest, sizeof(keys.rest));
	OPENSSL_cleanse(&keys.old, sizeof(keys.old));
}

bool
seal_keys_ready(void)
{
	return keys.rest.set;
}

void
seal_head(unsigned char head[SEAL_HEAD_LEN])
{
	head[0] = SEAL_VERSION;
	memcpy(head + 1, keys.rest.id, SEAL_KID_LEN);
}

int
seal_rest(const void *plain, size_t n, const char *aad, unsigned char *out)
{
	if (!keys.rest.set)
		return -1;
	seal_head(out);
	return seal_with(&keys.rest, plain, n, out, SEAL_HEAD_LEN, aad, out + SEAL_HEAD_LEN);
}

long
seal_rest_open(const unsigned char *in, size_t n, const char *aad, void *plain, size_t size,
    bool *stale)
{
	const struct key *k = NULL;

	*stale = false;
	if (n < SEAL_REST_OVERHEAD || in[0] != SEAL_VERSION)
		return -1;
	if (keys.rest.set && memcmp(in + 1, keys.rest.id, SEAL_KID_LEN) == 0)
		k = &keys.rest;
	else if (keys.old.set && memcmp(in + 1, keys.old.id, SEAL_KID_LEN) == 0)
		k = &keys.old;
	if (k == NULL)
		return -1;
	*stale = k == &keys.old;
	return open_with(k, in + SEAL_HEAD_LEN, n - SEAL_HEAD_LEN, in, SEAL_HEAD_LEN, aad, plain,
	    size);
}
