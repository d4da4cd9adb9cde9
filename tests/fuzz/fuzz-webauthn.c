/*
 * fuzz-webauthn.c: libFuzzer harness for what an authenticator sends — the
 * CBOR reader, authenticatorData, COSE keys and a whole registration (the
 * input split into clientDataJSON and attestationObject). Besides the
 * sanitizers' watch it checks the parsers' contracts: an item's length is
 * within the input and the item read again alone has the same length;
 * parsed authData's pointers lie inside it; a key read from COSE is DER
 * that fits its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/webauthn.h"

static const struct webauthn_rp rp = { "example.com", "https://example.com" };

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webauthn_authdata	 ad;
	struct webauthn_credential	*cred;
	unsigned char			 spki[WEBAUTHN_SPKI_MAX], ch[WEBAUTHN_CHALLENGE_LEN];
	const char			*why;
	size_t				 len, split;
	long				 n;
	int				 alg;

	if ((n = webauthn_cbor_item(data, size)) >= 0) {
		if ((size_t)n > size || n == 0 || webauthn_cbor_item(data, (size_t)n) != n)
			abort();
	}
	if (webauthn_authdata_parse(data, size, &ad, &why) == 0) {
		if (size < 37 || ((ad.flags & WEBAUTHN_AT) &&
		    (ad.cred_id < data || ad.cred_id + ad.cred_id_len > data + size ||
		    ad.cose_key + ad.cose_key_len > data + size || ad.cred_id_len == 0)))
			abort();
		if (ad.flags & WEBAUTHN_AT)
			(void)webauthn_cose_spki(ad.cose_key, ad.cose_key_len, spki, sizeof(spki),
			    &len, &alg, &why);
	}
	if (webauthn_cose_spki(data, size, spki, sizeof(spki), &len, &alg, &why) == 0 &&
	    (len == 0 || len > sizeof(spki) || spki[0] != 0x30))
		abort();
	/* The first two bytes say where clientDataJSON ends and the attestationObject starts. */
	if (size < 2)
		return 0;
	split = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	memset(ch, 0, sizeof(ch));
	if ((cred = malloc(sizeof(*cred))) == NULL)
		return 0;
	if (webauthn_register(&rp, ch, data + 2, split, data + 2 + split, size - 2 - split, cred,
	    &why) == 0 && (cred->cred_id_len == 0 || cred->spki_len == 0))
		abort();
	free(cred);
	return 0;
}
