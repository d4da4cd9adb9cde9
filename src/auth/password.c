/* password.c: NIST SP 800-63B password policy and scrypt/Argon2id hashing into PHC strings. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "gatehouse/base64.h"
#include "gatehouse/deadline.h"
#include "gatehouse/password.h"

/* OpenSSL 3.0's headers predate Argon2 (3.2); these are the provider's names. */
#ifndef OSSL_KDF_PARAM_ARGON2_LANES
#define OSSL_KDF_PARAM_ARGON2_LANES	"lanes"
#endif
#ifndef OSSL_KDF_PARAM_ARGON2_MEMCOST
#define OSSL_KDF_PARAM_ARGON2_MEMCOST	"memcost"
#endif
#ifndef OSSL_KDF_PARAM_ARGON2_VERSION
#define OSSL_KDF_PARAM_ARGON2_VERSION	"version"
#endif
#ifndef OSSL_KDF_PARAM_THREADS
#define OSSL_KDF_PARAM_THREADS		"threads"
#endif

#define PW_MAX_BYTES	(4 * PASSWORD_MAX_CHARS)	/* no valid password is longer */
#define SALT_LEN	16
#define KEY_LEN		32
#define SALT_MIN	8	/* bounds on what a stored string may hold */
#define SALT_MAX	48
#define KEY_MIN		16
#define KEY_MAX		64

/* Bounds on stored parameters, so a tampered row cannot make us spend without limit. */
#define SCRYPT_LN_MAX	20
#define SCRYPT_R_MAX	32
#define SCRYPT_P_MAX	16
#define SCRYPT_MEM_MAX	(256ULL << 20)	/* 128 * r * N bytes */
#define SCRYPT_WORK_MAX	(1ULL << 24)	/* r * N * p: 16 times the default */
#define ARGON2_VERSION	19		/* 0x13 */
#define ARGON2_M_MAX	262144		/* KiB: 256 MiB */
#define ARGON2_T_MAX	16
#define ARGON2_P_MAX	16
#define ARGON2_WORK_MAX	1048576		/* m * t */

#define HASH_THREADS_MAX	64

enum kdf_alg { KDF_SCRYPT, KDF_ARGON2ID };

struct kdf {
	enum kdf_alg	alg;
	uint32_t	ln, r;		/* scrypt: log2 N, block size */
	uint32_t	m, t;		/* Argon2id: memory in KiB, passes */
	uint32_t	p;		/* both: parallelism */
};

/* OWASP Password Storage Cheat Sheet parameter sets, and the cheap ones for tests. */
static const struct kdf scrypt_default = { .alg = KDF_SCRYPT, .ln = 17, .r = 8, .p = 1 };
static const struct kdf scrypt_test = { .alg = KDF_SCRYPT, .ln = 10, .r = 8, .p = 1 };
static const struct kdf argon2_default = { .alg = KDF_ARGON2ID, .m = 19456, .t = 2, .p = 1 };
static const struct kdf argon2_test = { .alg = KDF_ARGON2ID, .m = 1024, .t = 1, .p = 1 };

/* A parsed PHC string. */
struct phc {
	struct kdf	kdf;
	unsigned char	salt[SALT_MAX];
	size_t		saltlen;
	unsigned char	key[KEY_MAX];
	size_t		keylen;
};

/* --- policy --- */

static const char *const pw_messages[PW__MAX] = {
	[PW_OK] = "password is acceptable",
	[PW_TOO_SHORT] = "password is too short",	/* formatted below */
	[PW_TOO_LONG] = "password is too long",		/* formatted below */
	[PW_COMMON] = "password is too common: choose one that is harder to guess",
	[PW_IS_IDENTITY] = "password must not be the username or e-mail address",
	[PW_BAD_ENCODING] = "password must be valid UTF-8 text without control characters",
};

/* The minimum length actually enforced for an org's min_chars setting. */
static size_t
min_effective(size_t min_chars)
{
	if (min_chars == 0)
		return PASSWORD_MIN_DEFAULT;
	if (min_chars < PASSWORD_MIN_FLOOR)
		return PASSWORD_MIN_FLOOR;
	return min_chars > PASSWORD_MAX_CHARS ? PASSWORD_MAX_CHARS : min_chars;
}

/*
 * Decodes the UTF-8 sequence at s (NUL-terminated) into *cp and returns its
 * length, or 0 if it is invalid: a stray continuation byte, a truncated
 * sequence, an overlong form, a surrogate or a code point past U+10FFFF.
 * Never reads past a NUL.
 */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		if ((s[1] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		    (s[2] & 0x3f);
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

/* Counts the code points of pw; -1 if it is not valid UTF-8 or holds a C0, DEL or C1 control. */
static long
utf8_chars(const char *pw)
{
	const unsigned char	*s = (const unsigned char *)pw;
	uint32_t		 cp;
	size_t			 n;
	long			 count = 0;

	while (*s != '\0') {
		if ((n = utf8_next(s, &cp)) == 0)
			return -1;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return -1;
		s += n;
		count++;
	}
	return count;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True if pw (pwlen bytes) equals s (slen bytes, not empty), ignoring ASCII case. */
static bool
same_ascii_ci(const char *pw, size_t pwlen, const char *s, size_t slen)
{
	if (slen == 0 || slen != pwlen)
		return false;
	for (size_t i = 0; i < slen; i++)
		if (ascii_lower((unsigned char)pw[i]) != ascii_lower((unsigned char)s[i]))
			return false;
	return true;
}

/* True if pw is the username, the e-mail address or the address's local part. */
static bool
is_identity(const char *pw, size_t len, const char *username, const char *email)
{
	const char *at;

	if (username != NULL && same_ascii_ci(pw, len, username, strlen(username)))
		return true;
	if (email == NULL)
		return false;
	if (same_ascii_ci(pw, len, email, strlen(email)))
		return true;
	return (at = strrchr(email, '@')) != NULL &&
	    same_ascii_ci(pw, len, email, (size_t)(at - email));
}

/* True if pw, lowercased, is on the common-password list. */
static bool
is_common(const char *pw, size_t len)
{
	char	lower[PW_MAX_BYTES + 1];
	bool	common;

	for (size_t i = 0; i < len; i++)
		lower[i] = (char)ascii_lower((unsigned char)pw[i]);
	lower[len] = '\0';
	common = password_is_common(lower);
	OPENSSL_cleanse(lower, sizeof(lower));
	return common;
}

enum pw_check
password_check(const char *pw, size_t min_chars, const char *username, const char *email)
{
	size_t	len;
	long	chars;

	if (pw == NULL)
		return PW_BAD_ENCODING;
	if ((len = strnlen(pw, PW_MAX_BYTES + 1)) > PW_MAX_BYTES)
		return PW_TOO_LONG;
	if ((chars = utf8_chars(pw)) < 0)
		return PW_BAD_ENCODING;
	if (chars > PASSWORD_MAX_CHARS)
		return PW_TOO_LONG;
	if ((size_t)chars < min_effective(min_chars))
		return PW_TOO_SHORT;
	if (is_common(pw, len))
		return PW_COMMON;
	if (is_identity(pw, len, username, email))
		return PW_IS_IDENTITY;
	return PW_OK;
}

const char *
password_check_message(enum pw_check c, size_t min_chars, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return "";
	if (c == PW_TOO_SHORT)
		snprintf(buf, len, "password must be at least %zu characters",
		    min_effective(min_chars));
	else if (c == PW_TOO_LONG)
		snprintf(buf, len, "password must be at most %d characters",
		    PASSWORD_MAX_CHARS);
	else if ((unsigned)c < PW__MAX)
		snprintf(buf, len, "%s", pw_messages[c]);
	else
		snprintf(buf, len, "password is not acceptable");
	return buf;
}

/* --- unpadded standard base64, as PHC strings use it --- */

/*
 * Decodes the base64 text at *s, up to the next '$' or the end, into out
 * (max bytes) and advances *s past it. Returns the byte count, or -1 when
 * the text is empty or not canonical base64 of at most max bytes.
 */
static long
b64_decode(const char **s, unsigned char *out, size_t max)
{
	size_t	n = strcspn(*s, "$");
	long	got;

	if (n == 0 || (got = base64_decode(BASE64_STD, *s, n, out, max)) < 0)
		return -1;
	*s += n;
	return got;
}

/* --- key derivation --- */

static pthread_once_t	 kdf_once = PTHREAD_ONCE_INIT;
static EVP_KDF		*kdf_scrypt, *kdf_argon2id;	/* fetched once, kept for the process */

static void
kdf_fetch(void)
{
	kdf_scrypt = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	kdf_argon2id = EVP_KDF_fetch(NULL, "ARGON2ID", NULL);
	ERR_clear_error();	/* a missing ARGON2ID is expected before OpenSSL 3.2 */
}

static bool
argon2_available(void)
{
	pthread_once(&kdf_once, kdf_fetch);
	return kdf_argon2id != NULL;
}

/* The parameters new hashes use: see GATEHOUSE_PASSWORD_COST in password.h. */
static void
kdf_current(struct kdf *k)
{
	const char	*cost = getenv("GATEHOUSE_PASSWORD_COST");
	bool		 test = cost != NULL && strcmp(cost, "test") == 0;

	if (argon2_available())
		*k = test ? argon2_test : argon2_default;
	else
		*k = test ? scrypt_test : scrypt_default;
}

/* True if k is within the bounds a stored string may ask for (see password.h). */
static bool
kdf_bounded(const struct kdf *k)
{
	uint64_t n;

	if (k->alg == KDF_SCRYPT) {
		if (k->ln < 1 || k->ln > SCRYPT_LN_MAX || k->r < 1 ||
		    k->r > SCRYPT_R_MAX || k->p < 1 || k->p > SCRYPT_P_MAX)
			return false;
		n = (uint64_t)1 << k->ln;
		return 128 * k->r * n <= SCRYPT_MEM_MAX &&
		    k->r * n * k->p <= SCRYPT_WORK_MAX;
	}
	return k->p >= 1 && k->p <= ARGON2_P_MAX && k->t >= 1 &&
	    k->t <= ARGON2_T_MAX && k->m >= 8 * k->p && k->m <= ARGON2_M_MAX &&
	    (uint64_t)k->m * k->t <= ARGON2_WORK_MAX;
}

/*
 * Derives outlen bytes from pw (len bytes) and salt with k, which must be
 * bounded. 0 on success; on failure out is wiped and -1 returned.
 */
static int
kdf_derive(const struct kdf *k, const char *pw, size_t len, const unsigned char *salt,
    size_t saltlen, unsigned char *out, size_t outlen)
{
	OSSL_PARAM	 params[8], *p = params;
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	uint64_t	 n = 0, maxmem = 0;
	uint32_t	 r = k->r, par = k->p, m = k->m, t = k->t;
	uint32_t	 version = ARGON2_VERSION, threads = 1;
	int		 rc;

	pthread_once(&kdf_once, kdf_fetch);
	kdf = k->alg == KDF_SCRYPT ? kdf_scrypt : kdf_argon2id;
	if (kdf == NULL || (ctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		OPENSSL_cleanse(out, outlen);
		return -1;
	}
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	if (k->alg == KDF_SCRYPT) {
		n = (uint64_t)1 << k->ln;
		/* OpenSSL's own count: V is 128·r·(N+2) bytes, B is 128·r·p. */
		maxmem = 128 * (uint64_t)r * (n + 2 + par);
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	} else {
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ITER, &t);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ARGON2_MEMCOST, &m);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ARGON2_LANES, &par);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_THREADS, &threads);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ARGON2_VERSION, &version);
	}
	*p = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(ctx, out, outlen, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(ctx);	/* frees its copy of the password with OPENSSL_clear_free */
	if (rc != 0) {
		OPENSSL_cleanse(out, outlen);
		ERR_clear_error();
	}
	return rc;
}

/* --- PHC strings --- */

/*
 * Reads "name=<decimal>" at *s into *v and advances past it. The decimal
 * has no sign and no leading zero, is at least 1 and at most max.
 */
static int
phc_uint(const char **s, const char *name, uint32_t max, uint32_t *v)
{
	const char	*c = *s;
	size_t		 len = strlen(name);
	uint64_t	 x = 0;

	if (strncmp(c, name, len) != 0 || c[len] != '=')
		return -1;
	c += len + 1;
	if (*c < '1' || *c > '9')
		return -1;
	for (; *c >= '0' && *c <= '9'; c++)
		if ((x = x * 10 + (uint64_t)(*c - '0')) > max)
			return -1;
	*v = (uint32_t)x;
	*s = c;
	return 0;
}

/* Consumes the character ch at *s; -1 if another is there. */
static int
phc_sep(const char **s, char ch)
{
	if (**s != ch)
		return -1;
	(*s)++;
	return 0;
}

/*
 * Parses a stored string of one of the two shapes we emit into h:
 *	$scrypt$ln=<n>,r=<n>,p=<n>$<salt>$<key>
 *	$argon2id$v=19$m=<n>,t=<n>,p=<n>$<salt>$<key>
 * strictly (fixed parameter order, canonical base64, nothing after the key)
 * and within bounds. 0 on success, -1 otherwise.
 */
static int
phc_parse(const char *s, struct phc *h)
{
	struct kdf	*k = &h->kdf;
	long		 n;

	memset(h, 0, sizeof(*h));
	if (strnlen(s, PHC_MAX) >= PHC_MAX)
		return -1;
	if (strncmp(s, "$scrypt$", 8) == 0) {
		s += 8;
		k->alg = KDF_SCRYPT;
		if (phc_uint(&s, "ln", SCRYPT_LN_MAX, &k->ln) != 0 || phc_sep(&s, ',') != 0 ||
		    phc_uint(&s, "r", SCRYPT_R_MAX, &k->r) != 0 || phc_sep(&s, ',') != 0 ||
		    phc_uint(&s, "p", SCRYPT_P_MAX, &k->p) != 0)
			return -1;
	} else if (strncmp(s, "$argon2id$v=19$", 15) == 0) {
		s += 15;
		k->alg = KDF_ARGON2ID;
		if (phc_uint(&s, "m", ARGON2_M_MAX, &k->m) != 0 || phc_sep(&s, ',') != 0 ||
		    phc_uint(&s, "t", ARGON2_T_MAX, &k->t) != 0 || phc_sep(&s, ',') != 0 ||
		    phc_uint(&s, "p", ARGON2_P_MAX, &k->p) != 0)
			return -1;
	} else
		return -1;
	if (phc_sep(&s, '$') != 0 || (n = b64_decode(&s, h->salt, SALT_MAX)) < SALT_MIN)
		return -1;
	h->saltlen = (size_t)n;
	if (phc_sep(&s, '$') != 0 || (n = b64_decode(&s, h->key, KEY_MAX)) < KEY_MIN)
		return -1;
	h->keylen = (size_t)n;
	if (*s != '\0' || !kdf_bounded(k))
		return -1;
	return 0;
}

/* Writes the PHC string for k, salt and key into out. 0 on success; out is empty on failure. */
static int
phc_format(const struct kdf *k, const unsigned char *salt, size_t saltlen,
    const unsigned char *key, size_t keylen, char out[PHC_MAX])
{
	char	s64[BASE64_LEN(SALT_MAX) + 1], k64[BASE64_LEN(KEY_MAX) + 1];
	int	n;

	base64_encode(BASE64_STD, salt, saltlen, s64);
	base64_encode(BASE64_STD, key, keylen, k64);
	if (k->alg == KDF_SCRYPT)
		n = snprintf(out, PHC_MAX, "$scrypt$ln=%u,r=%u,p=%u$%s$%s",
		    (unsigned)k->ln, (unsigned)k->r, (unsigned)k->p, s64, k64);
	else
		n = snprintf(out, PHC_MAX, "$argon2id$v=%d$m=%u,t=%u,p=%u$%s$%s",
		    ARGON2_VERSION, (unsigned)k->m, (unsigned)k->t, (unsigned)k->p, s64, k64);
	OPENSSL_cleanse(k64, sizeof(k64));
	if (n < 0 || n >= PHC_MAX) {
		OPENSSL_cleanse(out, PHC_MAX);
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* True if the stored hash is weaker than what cur would produce. */
static bool
phc_weaker(const struct phc *h, const struct kdf *cur)
{
	const struct kdf *k = &h->kdf;

	if (k->alg != cur->alg || h->saltlen < SALT_LEN || h->keylen < KEY_LEN)
		return true;
	if (k->alg == KDF_SCRYPT)
		return k->ln < cur->ln || k->r < cur->r || k->p < cur->p;
	return k->m < cur->m || k->t < cur->t || k->p < cur->p;
}

/* --- hashing --- */

/* Hashes pw with k and a fresh salt into out. 0 on success; out is empty on failure. */
static int
hash_with(const struct kdf *k, const char *pw, char out[PHC_MAX])
{
	unsigned char	salt[SALT_LEN], key[KEY_LEN];
	size_t		len;
	int		rc = -1;

	out[0] = '\0';
	if (pw == NULL || (len = strnlen(pw, PW_MAX_BYTES + 1)) == 0 || len > PW_MAX_BYTES)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) == 1 &&
	    kdf_derive(k, pw, len, salt, sizeof(salt), key, sizeof(key)) == 0)
		rc = phc_format(k, salt, sizeof(salt), key, sizeof(key), out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
password_hash(const char *pw, char out[PHC_MAX])
{
	struct kdf k;

	kdf_current(&k);
	return hash_with(&k, pw, out);
}

int
password_verify(const char *pw, const char *phc, bool *needs_rehash)
{
	struct phc	h;
	struct kdf	cur;
	unsigned char	key[KEY_MAX];
	size_t		len;
	int		rc;

	if (needs_rehash != NULL)
		*needs_rehash = false;
	if (pw == NULL || phc == NULL)
		return -1;
	if (phc_parse(phc, &h) != 0)
		rc = -1;
	else if (h.kdf.alg == KDF_ARGON2ID && !argon2_available())
		rc = -1;
	else if ((len = strnlen(pw, PW_MAX_BYTES + 1)) == 0 || len > PW_MAX_BYTES)
		rc = 0;		/* no hash we make is of such a password */
	else if (kdf_derive(&h.kdf, pw, len, h.salt, h.saltlen, key, h.keylen) != 0)
		rc = -1;
	else
		rc = CRYPTO_memcmp(key, h.key, h.keylen) == 0;
	if (rc == 1 && needs_rehash != NULL) {
		kdf_current(&cur);
		*needs_rehash = phc_weaker(&h, &cur);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&h, sizeof(h));
	return rc;
}

int
password_unusable(char out[PHC_MAX])
{
	struct kdf	k;
	unsigned char	salt[SALT_LEN], key[KEY_LEN];
	int		rc = -1;

	out[0] = '\0';
	kdf_current(&k);
	if (RAND_bytes(salt, sizeof(salt)) == 1 && RAND_bytes(key, sizeof(key)) == 1)
		rc = phc_format(&k, salt, sizeof(salt), key, sizeof(key), out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

const char *
password_algorithm(void)
{
	return argon2_available() ? "argon2id" : "scrypt";
}

/* --- many at once --- */

struct hash_job {
	const char *const	*pws;
	char			(*out)[PHC_MAX];
	size_t			 n;
	struct kdf		 kdf;
	atomic_size_t		 next;		/* the next index to take */
	atomic_int		 failed;
	atomic_int		 late;		/* the deadline passed before the last was taken */
	struct timespec		 deadline;	/* zero: none */
};


/* Takes indexes from the shared counter until none is left, hashing each. */
static void *
hash_worker(void *arg)
{
	struct hash_job	*j = arg;
	size_t		 i;

	while (!atomic_load(&j->late) && (i = atomic_fetch_add(&j->next, 1)) < j->n) {
		/* A hash is ~0.4 s of a core: look at the clock before each. */
		if (deadline_passed(&j->deadline)) {
			atomic_store(&j->late, 1);
			break;
		}
		if (hash_with(&j->kdf, j->pws[i], j->out[i]) != 0)
			atomic_store(&j->failed, 1);
	}
	return NULL;
}

int
password_hash_many(const char *const *pws, size_t n, char (*out)[PHC_MAX], int threads,
    const struct timespec *deadline)
{
	struct hash_job	 j;
	pthread_t	*tids = NULL;
	size_t		 want, started = 0;
	long		 cpus;

	if (n == 0)
		return 0;
	if (pws == NULL || out == NULL || threads < 0)
		return -1;
	if (threads == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus < 1 ? 1 : cpus > HASH_THREADS_MAX ? HASH_THREADS_MAX : (int)cpus;
	}
	want = (size_t)threads < n ? (size_t)threads : n;
	if (want > HASH_THREADS_MAX)
		want = HASH_THREADS_MAX;
	j.pws = pws;
	j.out = out;
	j.n = n;
	kdf_current(&j.kdf);
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, 0);
	atomic_init(&j.late, 0);
	if (deadline != NULL)
		j.deadline = *deadline;
	else
		memset(&j.deadline, 0, sizeof(j.deadline));
	/* The caller is one of the threads; if some cannot start, fewer do the work. */
	if (want > 1 && (tids = calloc(want - 1, sizeof(*tids))) != NULL)
		for (; started < want - 1; started++)
			if (pthread_create(&tids[started], NULL, hash_worker, &j) != 0)
				break;
	hash_worker(&j);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	if (atomic_load(&j.failed))
		return -1;
	return atomic_load(&j.late) ? 1 : 0;
}
