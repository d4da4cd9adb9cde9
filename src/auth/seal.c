/* seal.c: AES-256-GCM under a key held only in memory (see seal.h). */
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gatehouse/seal.h"

#define NONCE_LEN	12
#define TAG_LEN		16

static unsigned char	key[32];
static char		key_id[SEAL_ID_LEN + 1];
static bool		ready;

int
seal_init(void)
{
	unsigned char id[SEAL_ID_LEN / 2];

	ready = false;
	/* Best effort: a key kept out of swap; refused without the privilege, and harmless then. */
	(void)mlock(key, sizeof(key));
	if (RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(id, sizeof(id)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(id); i++) {
		key_id[2 * i] = "0123456789abcdef"[id[i] >> 4];
		key_id[2 * i + 1] = "0123456789abcdef"[id[i] & 15];
	}
	key_id[SEAL_ID_LEN] = '\0';
	ready = true;
	return 0;
}

bool
seal_ready(void)
{
	return ready;
}

const char *
seal_id(void)
{
	return key_id;
}

/* One AES-256-GCM pass; enc: seal, else open. Returns the output length, or -1. */
static int
gcm(bool enc, const unsigned char *nonce, const unsigned char *in, int n, const char *aad,
    unsigned char *out, unsigned char tag[TAG_LEN])
{
	EVP_CIPHER_CTX	*x = EVP_CIPHER_CTX_new();
	int		 len = 0, fin = 0, ok;

	ok = x != NULL &&
	    EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
	    EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) == 1 &&
	    EVP_CipherUpdate(x, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_CipherUpdate(x, out, &len, in, n) == 1 &&
	    (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(x, out + len, &fin) == 1 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? len + fin : -1;
}

int
seal(const char *plain, size_t n, const char *aad, unsigned char *out)
{
	if (!ready || n > SEAL_PLAIN_MAX || RAND_bytes(out, NONCE_LEN) != 1)
		return -1;
	/* out: nonce, ciphertext, tag. */
	if (gcm(true, out, (const unsigned char *)plain, (int)n, aad, out + NONCE_LEN,
	    out + NONCE_LEN + n) != (int)n) {
		OPENSSL_cleanse(out, n + SEAL_OVERHEAD);
		return -1;
	}
	return 0;
}

int
seal_open(const unsigned char *in, size_t n, const char *aad, char *plain, size_t size)
{
	size_t		len;
	unsigned char	tag[TAG_LEN];

	if (!ready || n < SEAL_OVERHEAD || n - SEAL_OVERHEAD >= size)
		return -1;
	len = n - SEAL_OVERHEAD;
	memcpy(tag, in + NONCE_LEN + len, TAG_LEN);
	if (gcm(false, in, in + NONCE_LEN, (int)len, aad, (unsigned char *)plain, tag) != (int)len) {
		OPENSSL_cleanse(plain, size);
		return -1;
	}
	plain[len] = '\0';
	return 0;
}
