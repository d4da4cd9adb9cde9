/*
 * webauthn.h: the Relying Party's checks of W3C Web Authentication (Level 2)
 * — a bounded CBOR reader for what an authenticator sends (the
 * attestationObject, authenticatorData and COSE_Key), the key as an OpenSSL
 * public key, and the verification of a registration and of an assertion.
 * No HTTP, no database: the caller stores the credential (its public key
 * as SubjectPublicKeyInfo DER) and the challenge.
 */
#ifndef GATEHOUSE_WEBAUTHN_H
#define GATEHOUSE_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBAUTHN_CHALLENGE_LEN	32		/* random bytes of a challenge */
#define WEBAUTHN_CRED_ID_MAX	1023		/* CTAP2's limit on a credential id */
#define WEBAUTHN_SPKI_MAX	1100		/* DER of an RSA key up to 4096 bits */
#define WEBAUTHN_CBOR_DEPTH	8		/* nesting a CBOR item may have */
#define WEBAUTHN_CBOR_ITEMS	64		/* members of one map or array */

/* authenticatorData flags. */
#define WEBAUTHN_UP		0x01		/* user present */
#define WEBAUTHN_UV		0x04		/* user verified */
#define WEBAUTHN_AT		0x40		/* attested credential data follows */
#define WEBAUTHN_ED		0x80		/* extensions follow */

/* COSE algorithms (RFC 8152, RFC 8812) this verifier takes. */
#define WEBAUTHN_ES256		(-7)
#define WEBAUTHN_EDDSA		(-8)
#define WEBAUTHN_RS256		(-257)

/* The Relying Party: its ID (a registrable domain) and the one origin its pages are on. */
struct webauthn_rp {
	const char	*id;		/* e.g. "example.com" */
	const char	*origin;	/* e.g. "https://login.example.com" (no trailing slash) */
};

/* authenticatorData, parsed; the pointers are into the bytes parsed. */
struct webauthn_authdata {
	unsigned char		 rp_id_hash[32];
	uint8_t			 flags;
	uint32_t		 sign_count;
	const unsigned char	*cred_id;	/* with WEBAUTHN_AT */
	size_t			 cred_id_len;
	const unsigned char	*cose_key;	/* with WEBAUTHN_AT: one CBOR map */
	size_t			 cose_key_len;
};

/* A newly registered credential. */
struct webauthn_credential {
	unsigned char	cred_id[WEBAUTHN_CRED_ID_MAX];
	size_t		cred_id_len;
	unsigned char	spki[WEBAUTHN_SPKI_MAX];	/* SubjectPublicKeyInfo DER */
	size_t		spki_len;
	int		alg;				/* COSE algorithm */
	uint32_t	sign_count;
	bool		uv;
};

/* What a verified assertion tells. */
struct webauthn_assertion {
	uint32_t	sign_count;
	bool		uv;
};

/*
 * The length of the one well-formed CBOR item at the start of p (n bytes):
 * definite lengths only, maps and arrays of at most WEBAUTHN_CBOR_ITEMS
 * members nested at most WEBAUTHN_CBOR_DEPTH deep, no tags, no floats; -1
 * otherwise (or when it runs past n).
 */
long	webauthn_cbor_item(const unsigned char *p, size_t n);

/*
 * Parses authenticatorData: 0, or -1 with *why. Attested credential data is
 * read when the AT flag is set, extensions skipped when ED is; no byte may
 * follow.
 */
int	webauthn_authdata_parse(const unsigned char *p, size_t n, struct webauthn_authdata *,
	    const char **why);

/*
 * A COSE_Key (EC2 P-256 with ES256, RSA of 2048 bits or more with RS256,
 * OKP Ed25519 with EdDSA) as SubjectPublicKeyInfo DER into spki (max
 * bytes), its length in *len and its algorithm in *alg: 0, or -1 with *why.
 */
int	webauthn_cose_spki(const unsigned char *cose, size_t n, unsigned char *spki, size_t max,
	    size_t *len, int *alg, const char **why);

/*
 * Verifies a registration (navigator.credentials.create): clientDataJSON of
 * type webauthn.create with our challenge and origin (and not crossOrigin),
 * an attestationObject whose authData is for our RP ID, has UP and a
 * credential; attestation "none", or "packed" self-attestation whose
 * signature checks with the credential's own key (attestation certificates
 * are not verified: x5c is refused). 0 with out filled, or -1 with *why.
 */
int	webauthn_register(const struct webauthn_rp *, const unsigned char
	    challenge[WEBAUTHN_CHALLENGE_LEN], const unsigned char *client_data, size_t cd_len,
	    const unsigned char *att_obj, size_t att_len, struct webauthn_credential *out,
	    const char **why);

/*
 * Verifies an assertion (navigator.credentials.get) against a stored key:
 * clientDataJSON of type webauthn.get with our challenge and origin,
 * authenticatorData for our RP ID with UP, and the signature over authData
 * || SHA-256(clientDataJSON). 0 with out filled, or -1 with *why. The sign
 * count's rule is the caller's, who knows the stored one.
 */
int	webauthn_assert(const struct webauthn_rp *, const unsigned char
	    challenge[WEBAUTHN_CHALLENGE_LEN], const unsigned char *client_data, size_t cd_len,
	    const unsigned char *auth_data, size_t ad_len, const unsigned char *sig, size_t sig_len,
	    const unsigned char *spki, size_t spki_len, struct webauthn_assertion *out,
	    const char **why);

/* Whether a sign count may follow the stored one: both 0, or the new one greater. */
bool	webauthn_count_ok(uint32_t stored, uint32_t got);

#endif
