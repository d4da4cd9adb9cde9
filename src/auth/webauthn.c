/*
 * webauthn.c: the Relying Party's side of W3C Web Authentication Level 2
 * (webauthn.h). Everything an authenticator sends is read with bounds: CBOR
 * (RFC 8949) only as far as attestationObject and COSE_Key (RFC 8152) need
 * it — unsigned and negative integers, byte and text strings, arrays, maps,
 * true/false/null — with definite lengths, a depth limit and no trailing
 * bytes, so a malformed or hostile item is refused, never half-read; and
 * clientDataJSON with yajl's event parser, its members of interest each
 * once, bounded, at the top.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <yajl/yajl_parse.h>

#include "gatehouse/base64.h"
#include "gatehouse/webauthn.h"

#define CLIENT_DATA_MAX	4096	/* clientDataJSON is a few hundred bytes */
#define ATT_OBJ_MAX	16384

enum { CBOR_UINT, CBOR_NEGINT, CBOR_BYTES, CBOR_TEXT, CBOR_ARRAY, CBOR_MAP, CBOR_TAG, CBOR_SIMPLE };

struct cbor {
	const unsigned char	*p, *end;
};

/* One item's head: its major type and argument; -1 on indefinite or reserved lengths. */
static int
cbor_head(struct cbor *c, int *major, uint64_t *arg)
{
	unsigned	ai, len;

	if (c->p >= c->end)
		return -1;
	*major = *c->p >> 5;
	ai = *c->p++ & 0x1f;
	if (ai < 24) {
		*arg = ai;
		return 0;
	}
	if (ai > 27)
		return -1;	/* 28-30 reserved, 31 indefinite: neither is ours */
	len = 1u << (ai - 24);
	if ((size_t)(c->end - c->p) < len)
		return -1;
	*arg = 0;
	while (len-- > 0)
		*arg = *arg << 8 | *c->p++;
	return 0;
}

/* Skips one item at depth; -1 when it is not one of ours. */
static int
cbor_skip(struct cbor *c, int depth)
{
	int		major;
	uint64_t	arg;

	if (depth > WEBAUTHN_CBOR_DEPTH || cbor_head(c, &major, &arg) != 0)
		return -1;
	switch (major) {
	case CBOR_UINT:
	case CBOR_NEGINT:
		return 0;
	case CBOR_BYTES:
	case CBOR_TEXT:
		if (arg > (uint64_t)(c->end - c->p))
			return -1;
		c->p += arg;
		return 0;
	case CBOR_ARRAY:
	case CBOR_MAP:
		if (arg > WEBAUTHN_CBOR_ITEMS)
			return -1;
		for (uint64_t i = 0; i < (major == CBOR_MAP ? 2 * arg : arg); i++)
			if (cbor_skip(c, depth + 1) != 0)
				return -1;
		return 0;
	case CBOR_SIMPLE:
		return arg >= 20 && arg <= 22 ? 0 : -1;		/* false, true, null */
	default:
		return -1;					/* tags */
	}
}

long
webauthn_cbor_item(const unsigned char *p, size_t n)
{
	struct cbor c = { p, p + n };

	if (cbor_skip(&c, 1) != 0)
		return -1;
	return (long)(c.p - p);
}

/* A byte or text string of major type want: its bytes and length. */
static int
cbor_string(struct cbor *c, int want, const unsigned char **s, size_t *len)
{
	int		major;
	uint64_t	arg;

	if (cbor_head(c, &major, &arg) != 0 || major != want ||
	    arg > (uint64_t)(c->end - c->p))
		return -1;
	*s = c->p;
	*len = (size_t)arg;
	c->p += arg;
	return 0;
}

/* An integer that fits in a long (COSE labels and values). */
static int
cbor_int(struct cbor *c, long *v)
{
	int		major;
	uint64_t	arg;

	if (cbor_head(c, &major, &arg) != 0 || (major != CBOR_UINT && major != CBOR_NEGINT) ||
	    arg > 0x7fffffff)
		return -1;
	*v = major == CBOR_UINT ? (long)arg : -1 - (long)arg;
	return 0;
}

/* A map's head: its number of pairs. */
static int
cbor_map(struct cbor *c, size_t *pairs)
{
	int		major;
	uint64_t	arg;

	if (cbor_head(c, &major, &arg) != 0 || major != CBOR_MAP || arg > WEBAUTHN_CBOR_ITEMS)
		return -1;
	*pairs = (size_t)arg;
	return 0;
}

static int
fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

/* --- authenticatorData ------------------------------------------------------------ */

int
webauthn_authdata_parse(const unsigned char *p, size_t n, struct webauthn_authdata *ad,
    const char **why)
{
	const unsigned char	*q = p + 37, *end = p + n;
	long			 len;

	memset(ad, 0, sizeof(*ad));
	if (n < 37)
		return fail(why, "authenticator data is too short");
	memcpy(ad->rp_id_hash, p, 32);
	ad->flags = p[32];
	ad->sign_count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 |
	    p[36];
	if (ad->flags & WEBAUTHN_AT) {
		/* aaguid (16 bytes), credentialIdLength (2), credentialId, credentialPublicKey */
		if (end - q < 18)
			return fail(why, "attested credential data is too short");
		ad->cred_id_len = (size_t)q[16] << 8 | q[17];
		q += 18;
		if (ad->cred_id_len == 0 || ad->cred_id_len > WEBAUTHN_CRED_ID_MAX ||
		    (size_t)(end - q) < ad->cred_id_len)
			return fail(why, "the credential id's length is wrong");
		ad->cred_id = q;
		q += ad->cred_id_len;
		if ((len = webauthn_cbor_item(q, (size_t)(end - q))) < 0 || *q >> 5 != CBOR_MAP)
			return fail(why, "the credential's public key is not a CBOR map");
		ad->cose_key = q;
		ad->cose_key_len = (size_t)len;
		q += len;
	}
	if (ad->flags & WEBAUTHN_ED) {
		if ((len = webauthn_cbor_item(q, (size_t)(end - q))) < 0 || *q >> 5 != CBOR_MAP)
			return fail(why, "the extensions are not a CBOR map");
		q += len;
	}
	if (q != end)
		return fail(why, "authenticator data has bytes after its end");
	return 0;
}

/* --- COSE_Key -------------------------------------------------------------------- */

/* The members of a COSE_Key this verifier reads, by label. */
struct cose {
	long			 kty, alg;
	/* Byte strings at -1, -2, -3: RSA's n and e; EC2's and OKP's x (and y). */
	const unsigned char	*b1, *b2, *b3;
	size_t			 b1len, b2len, b3len;
	long			 i1;			/* an integer at -1: crv */
	bool			 has_i1;
};

static int
cose_read(const unsigned char *p, size_t n, struct cose *k)
{
	struct cbor	 c = { p, p + n };
	size_t		 pairs;
	long		 label, v;
	int		 seen = 0;

	memset(k, 0, sizeof(*k));
	if (cbor_map(&c, &pairs) != 0)
		return -1;
	for (size_t i = 0; i < pairs; i++) {
		const unsigned char	*s;
		size_t			 len;

		if (cbor_int(&c, &label) != 0)
			return -1;
		if (label >= -3 && label <= 3 && label != 0) {
			/* A label twice is not a key we can trust either reading of. */
			if (seen & (1 << (label + 3)))
				return -1;
			seen |= 1 << (label + 3);
		}
		if (label == 1 || label == 3) {
			if (cbor_int(&c, &v) != 0)
				return -1;
			*(label == 1 ? &k->kty : &k->alg) = v;
		} else if (label == -1 && c.p < c.end && *c.p >> 5 <= CBOR_NEGINT) {
			if (cbor_int(&c, &k->i1) != 0)
				return -1;
			k->has_i1 = true;
		} else if (label >= -3 && label <= -1) {
			if (cbor_string(&c, CBOR_BYTES, &s, &len) != 0)
				return -1;
			if (label == -1)
				k->b1 = s, k->b1len = len;
			else if (label == -2)
				k->b2 = s, k->b2len = len;
			else
				k->b3 = s, k->b3len = len;
		} else if (cbor_skip(&c, 2) != 0)
			return -1;
	}
	if (c.p != c.end || !(seen & (1 << 4)) || !(seen & (1 << 6)))
		return -1;		/* kty (1) and alg (3) are required */
	return 0;
}

/* An EC P-256 key from its affine coordinates. */
static EVP_PKEY *
ec_key(const unsigned char *x, const unsigned char *y)
{
	unsigned char	 point[65];
	OSSL_PARAM	 params[3];
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*key = NULL;

	point[0] = 0x04;
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	/* The import decodes the point, which refuses one off the curve. */
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static EVP_PKEY *
rsa_key(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params = NULL;
	BIGNUM		*bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*key = NULL;

	if (bn != NULL && be != NULL && BN_num_bits(bn) >= 2048 && BN_num_bits(bn) <= 4096 &&
	    BN_is_odd(be) && BN_num_bits(be) >= 2 && (bld = OSSL_PARAM_BLD_new()) != NULL) {
		if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
			params = OSSL_PARAM_BLD_to_param(bld);
		OSSL_PARAM_BLD_free(bld);
	}
	if (params != NULL && ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1))
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	BN_free(bn);
	BN_free(be);
	return key;
}

/* The COSE_Key as an OpenSSL key and its algorithm. */
static EVP_PKEY *
cose_key(const unsigned char *p, size_t n, int *alg, const char **why)
{
	struct cose	 k;
	EVP_PKEY	*key = NULL;

	if (cose_read(p, n, &k) != 0) {
		*why = "the credential's public key is not a COSE key";
		return NULL;
	}
	*alg = (int)k.alg;
	/* Each algorithm with its one key type: an ES256 label on an RSA key is refused. */
	if (k.alg == WEBAUTHN_ES256 && k.kty == 2 && k.has_i1 && k.i1 == 1 && k.b2len == 32 &&
	    k.b3len == 32)
		key = ec_key(k.b2, k.b3);
	else if (k.alg == WEBAUTHN_RS256 && k.kty == 3 && k.b1 != NULL && k.b2 != NULL &&
	    k.b1len <= 512 && k.b2len <= 8)
		key = rsa_key(k.b1, k.b1len, k.b2, k.b2len);
	else if (k.alg == WEBAUTHN_EDDSA && k.kty == 1 && k.has_i1 && k.i1 == 6 && k.b2len == 32)
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k.b2, 32);
	else {
		*why = "the credential's key type or algorithm is not supported "
		    "(ES256, RS256 or EdDSA)";
		return NULL;
	}
	if (key == NULL)
		*why = "the credential's public key is not a valid key";
	return key;
}

int
webauthn_cose_spki(const unsigned char *cose, size_t n, unsigned char *spki, size_t max,
    size_t *len, int *alg, const char **why)
{
	EVP_PKEY	*key;
	unsigned char	*der = NULL;
	int		 dlen;

	if ((key = cose_key(cose, n, alg, why)) == NULL)
		return -1;
	dlen = i2d_PUBKEY(key, &der);
	EVP_PKEY_free(key);
	if (dlen <= 0 || (size_t)dlen > max) {
		OPENSSL_free(der);
		return fail(why, "the credential's public key is too large");
	}
	memcpy(spki, der, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_free(der);
	return 0;
}

/* --- signatures ------------------------------------------------------------------ */

/*
 * Whether sig is key's signature over a || SHA-256(b): ECDSA and RSA
 * PKCS#1 v1.5 with SHA-256, Ed25519 as it is.
 */
static bool
signed_by(EVP_PKEY *key, const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*md;
	unsigned char	*msg;
	bool		 ok = false;
	bool		 ed = EVP_PKEY_is_a(key, "ED25519");

	if ((msg = OPENSSL_malloc(alen + SHA256_DIGEST_LENGTH)) == NULL)
		return false;
	memcpy(msg, a, alen);
	SHA256(b, blen, msg + alen);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, sig, siglen, msg, alen + SHA256_DIGEST_LENGTH) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(msg);
	return ok;
}

/* --- clientDataJSON ---------------------------------------------------------------- */

/* The members of clientDataJSON this checks, read as yajl goes: each at most once. */
enum { CD_OTHER, CD_TYPE, CD_CHALLENGE, CD_ORIGIN, CD_CROSS };

struct client_data {
	int	 depth;			/* containers open; the object itself is 1 */
	int	 key;			/* the top-level member whose value comes next */
	unsigned seen;
	bool	 bad, cross;
	char	 type[32], challenge[64], origin[512];
};

static char *
cd_slot(struct client_data *d, size_t *size)
{
	switch (d->key) {
	case CD_TYPE:		*size = sizeof(d->type); return d->type;
	case CD_CHALLENGE:	*size = sizeof(d->challenge); return d->challenge;
	case CD_ORIGIN:		*size = sizeof(d->origin); return d->origin;
	default:		return NULL;
	}
}

/* A scalar: kept when it is one of ours at the top, of the type it must have. */
static int
cd_scalar(struct client_data *d, const unsigned char *s, size_t n, int boolean)
{
	char	*slot;
	size_t	 size = 0;

	if (d->depth == 0)
		return d->bad = true, 0;		/* the root is not an object */
	if (d->depth > 1 || d->key == CD_OTHER)
		return 1;
	if (d->key == CD_CROSS) {
		if (boolean < 0)
			return d->bad = true, 0;
		d->cross = boolean == 1;
		return 1;
	}
	/* A NUL inside would make "webauthn.get\u0000…" read as "webauthn.get". */
	if (s == NULL || (slot = cd_slot(d, &size)) == NULL || n >= size || memchr(s, 0, n))
		return d->bad = true, 0;
	memcpy(slot, s, n);
	slot[n] = '\0';
	return 1;
}

static int cd_null(void *ctx) { return cd_scalar(ctx, NULL, 0, -1); }
static int cd_bool(void *ctx, int b) { return cd_scalar(ctx, NULL, 0, b != 0); }
static int cd_number(void *ctx, const char *s, size_t n) { (void)s; (void)n; return cd_scalar(ctx, NULL, 0, -1); }

static int
cd_string(void *ctx, const unsigned char *s, size_t n)
{
	struct client_data *d = ctx;

	/* A string where a boolean belongs is as wrong as the reverse. */
	if (d->depth == 1 && d->key == CD_CROSS)
		return d->bad = true, 0;
	return cd_scalar(d, s, n, -1);
}

static int
cd_open(void *ctx)
{
	struct client_data *d = ctx;

	/* Ours are scalars; anything may nest below others, four deep at most. */
	if ((d->depth == 1 && d->key != CD_OTHER) || ++d->depth > 4)
		return d->bad = true, 0;
	return 1;
}

static int
cd_array(void *ctx)
{
	struct client_data *d = ctx;

	if (d->depth == 0)
		return d->bad = true, 0;
	return cd_open(ctx);
}

static int
cd_close(void *ctx)
{
	((struct client_data *)ctx)->depth--;
	return 1;
}

static int
cd_key(void *ctx, const unsigned char *k, size_t n)
{
	static const char *const names[] = { NULL, "type", "challenge", "origin", "crossOrigin" };
	struct client_data *d = ctx;

	if (d->depth != 1)
		return 1;
	d->key = CD_OTHER;
	for (int i = CD_TYPE; i <= CD_CROSS; i++)
		if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
			d->key = i;
	if (d->key != CD_OTHER && (d->seen & (1u << d->key)))
		return d->bad = true, 0;		/* twice: which one would count? */
	d->seen |= 1u << d->key;
	return 1;
}

static const yajl_callbacks cd_callbacks = {
	cd_null, cd_bool, NULL, NULL, cd_number, cd_string, cd_open, cd_key, cd_close, cd_array,
	cd_close,
};

/* clientDataJSON of type, with our challenge and origin, not from a cross-origin frame. */
static int
client_data_ok(const struct webauthn_rp *rp, const char *type,
    const unsigned char challenge[WEBAUTHN_CHALLENGE_LEN], const unsigned char *cd, size_t n,
    const char **why)
{
	char			 want[BASE64_LEN(WEBAUTHN_CHALLENGE_LEN) + 1];
	struct client_data	 d;
	yajl_handle		 h;
	bool			 parsed;

	if (n == 0 || n > CLIENT_DATA_MAX)
		return fail(why, "clientDataJSON is empty or too long");
	memset(&d, 0, sizeof(d));
	if ((h = yajl_alloc(&cd_callbacks, NULL, &d)) == NULL)
		return fail(why, "out of memory");
	parsed = yajl_parse(h, cd, n) == yajl_status_ok && yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	base64_encode(BASE64_URL, challenge, WEBAUTHN_CHALLENGE_LEN, want);
	if (!parsed || d.bad || d.depth != 0)
		return fail(why, "clientDataJSON is not a JSON object");
	if (strcmp(d.type, type) != 0)
		return fail(why, strcmp(type, "webauthn.create") == 0 ? "clientDataJSON is not of a "
		    "registration (webauthn.create)" : "clientDataJSON is not of a sign-in "
		    "(webauthn.get)");
	if (strlen(d.challenge) != strlen(want) ||
	    CRYPTO_memcmp(d.challenge, want, strlen(want)) != 0)
		return fail(why, "the challenge is not the one this page gave");
	if (strcmp(d.origin, rp->origin) != 0)
		return fail(why, "the origin is not this site's");
	if (d.cross)
		return fail(why, "the request came from a frame of another origin");
	return 0;
}

/* authData for our RP ID with the user present. */
static int
authdata_ok(const struct webauthn_rp *rp, const unsigned char *p, size_t n,
    struct webauthn_authdata *ad, const char **why)
{
	unsigned char hash[SHA256_DIGEST_LENGTH];

	if (webauthn_authdata_parse(p, n, ad, why) != 0)
		return -1;
	SHA256((const unsigned char *)rp->id, strlen(rp->id), hash);
	if (CRYPTO_memcmp(hash, ad->rp_id_hash, sizeof(hash)) != 0)
		return fail(why, "the authenticator answered for another site (RP ID)");
	if (!(ad->flags & WEBAUTHN_UP))
		return fail(why, "the authenticator did not see the user present");
	return 0;
}

/* --- registration ------------------------------------------------------------------ */

/* attestationObject's members. */
struct attestation {
	const unsigned char	*fmt, *auth, *stmt;
	size_t			 fmtlen, authlen, stmtlen;
};

static int
attestation_read(const unsigned char *p, size_t n, struct attestation *att)
{
	struct cbor		 c = { p, p + n };
	const unsigned char	*key, *start;
	size_t			 pairs, klen;
	long			 len;

	memset(att, 0, sizeof(*att));
	if (n > ATT_OBJ_MAX || cbor_map(&c, &pairs) != 0 || pairs != 3)
		return -1;
	for (size_t i = 0; i < pairs; i++) {
		if (cbor_string(&c, CBOR_TEXT, &key, &klen) != 0)
			return -1;
		if (klen == 3 && memcmp(key, "fmt", 3) == 0 && att->fmt == NULL) {
			if (cbor_string(&c, CBOR_TEXT, &att->fmt, &att->fmtlen) != 0)
				return -1;
		} else if (klen == 8 && memcmp(key, "authData", 8) == 0 && att->auth == NULL) {
			if (cbor_string(&c, CBOR_BYTES, &att->auth, &att->authlen) != 0)
				return -1;
		} else if (klen == 7 && memcmp(key, "attStmt", 7) == 0 && att->stmt == NULL) {
			start = c.p;
			if (c.p >= c.end || *c.p >> 5 != CBOR_MAP ||
			    (len = webauthn_cbor_item(c.p, (size_t)(c.end - c.p))) < 0)
				return -1;
			att->stmt = start;
			att->stmtlen = (size_t)len;
			c.p += len;
		} else
			return -1;
	}
	return c.p == c.end && att->fmt && att->auth && att->stmt ? 0 : -1;
}

/*
 * "packed" self-attestation (WebAuthn §8.2): attStmt {alg, sig} without
 * x5c, alg the credential's, sig over authData || clientDataHash by the
 * credential's own key.
 */
static int
packed_self_ok(const struct attestation *att, EVP_PKEY *key, int alg,
    const unsigned char *cd, size_t cdlen, const char **why)
{
	struct cbor		 c = { att->stmt, att->stmt + att->stmtlen };
	const unsigned char	*k, *sig = NULL;
	size_t			 pairs, klen, siglen = 0;
	long			 a = 0;
	bool			 has_alg = false;

	if (cbor_map(&c, &pairs) != 0)
		return fail(why, "the attestation statement is malformed");
	for (size_t i = 0; i < pairs; i++) {
		if (cbor_string(&c, CBOR_TEXT, &k, &klen) != 0)
			return fail(why, "the attestation statement is malformed");
		if (klen == 3 && memcmp(k, "alg", 3) == 0 && !has_alg) {
			if (cbor_int(&c, &a) != 0)
				return fail(why, "the attestation statement is malformed");
			has_alg = true;
		} else if (klen == 3 && memcmp(k, "sig", 3) == 0 && sig == NULL) {
			if (cbor_string(&c, CBOR_BYTES, &sig, &siglen) != 0)
				return fail(why, "the attestation statement is malformed");
		} else if (klen == 3 && memcmp(k, "x5c", 3) == 0)
			return fail(why, "attestation certificates are not accepted: register "
			    "the key without attestation");
		else
			return fail(why, "the attestation statement is malformed");
	}
	if (!has_alg || sig == NULL || a != alg)
		return fail(why, "the attestation statement is malformed");
	if (!signed_by(key, att->auth, att->authlen, cd, cdlen, sig, siglen))
		return fail(why, "the attestation signature does not verify");
	return 0;
}

int
webauthn_register(const struct webauthn_rp *rp,
    const unsigned char challenge[WEBAUTHN_CHALLENGE_LEN], const unsigned char *cd,
    size_t cdlen, const unsigned char *att_obj, size_t att_len,
    struct webauthn_credential *out, const char **why)
{
	struct attestation	 att;
	struct webauthn_authdata ad;
	EVP_PKEY		*key;
	unsigned char		*der = NULL;
	int			 dlen, rc = -1;

	memset(out, 0, sizeof(*out));
	if (client_data_ok(rp, "webauthn.create", challenge, cd, cdlen, why) != 0)
		return -1;
	if (attestation_read(att_obj, att_len, &att) != 0)
		return fail(why, "the attestation object is malformed");
	if (authdata_ok(rp, att.auth, att.authlen, &ad, why) != 0)
		return -1;
	if (!(ad.flags & WEBAUTHN_AT))
		return fail(why, "the authenticator sent no credential");
	if ((key = cose_key(ad.cose_key, ad.cose_key_len, &out->alg, why)) == NULL)
		return -1;
	if (att.fmtlen == 4 && memcmp(att.fmt, "none", 4) == 0) {
		if (att.stmtlen != 1)		/* an empty map: 0xa0 */
			*why = "attestation \"none\" has a statement";
		else
			rc = 0;
	} else if (att.fmtlen == 6 && memcmp(att.fmt, "packed", 6) == 0)
		rc = packed_self_ok(&att, key, out->alg, cd, cdlen, why);
	else
		*why = "the attestation format is not accepted (none or packed)";
	if (rc == 0 && ((dlen = i2d_PUBKEY(key, &der)) <= 0 || (size_t)dlen > sizeof(out->spki)))
		rc = fail(why, "the credential's public key is too large");
	if (rc == 0) {
		memcpy(out->spki, der, (size_t)dlen);
		out->spki_len = (size_t)dlen;
		memcpy(out->cred_id, ad.cred_id, ad.cred_id_len);
		out->cred_id_len = ad.cred_id_len;
		out->sign_count = ad.sign_count;
		out->uv = (ad.flags & WEBAUTHN_UV) != 0;
	}
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return rc;
}

/* --- assertion -------------------------------------------------------------------- */

int
webauthn_assert(const struct webauthn_rp *rp,
    const unsigned char challenge[WEBAUTHN_CHALLENGE_LEN], const unsigned char *cd,
    size_t cdlen, const unsigned char *auth, size_t authlen, const unsigned char *sig,
    size_t siglen, const unsigned char *spki, size_t spki_len, struct webauthn_assertion *out,
    const char **why)
{
	struct webauthn_authdata ad;
	const unsigned char	*q = spki;
	EVP_PKEY		*key;
	bool			 ok;

	memset(out, 0, sizeof(*out));
	if (client_data_ok(rp, "webauthn.get", challenge, cd, cdlen, why) != 0 ||
	    authdata_ok(rp, auth, authlen, &ad, why) != 0)
		return -1;
	if (ad.flags & WEBAUTHN_AT)
		return fail(why, "a sign-in carries no new credential");
	if ((key = d2i_PUBKEY(NULL, &q, (long)spki_len)) == NULL)
		return fail(why, "the stored key cannot be read");
	ok = signed_by(key, auth, authlen, cd, cdlen, sig, siglen);
	EVP_PKEY_free(key);
	if (!ok)
		return fail(why, "the signature does not verify");
	out->sign_count = ad.sign_count;
	out->uv = (ad.flags & WEBAUTHN_UV) != 0;
	return 0;
}

bool
webauthn_count_ok(uint32_t stored, uint32_t got)
{
	/* An authenticator without a counter sends 0 always; one with a counter only goes up. */
	return (stored == 0 && got == 0) || got > stored;
}
