/*
 * fuzz-apikey.c: libFuzzer harness for the key and token parsers
 * (apikey_parse, secret_parse, apikey_ref_parse). They run before any lookup,
 * on whatever a client puts in a header or form field. What they accept must
 * be the one canonical text of what they return: formatting the parsed org,
 * id and secret again gives the input back, byte for byte, with positive
 * ids and a secret of exactly SECRET_LEN base64url characters inside
 * the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/apikey.h"
#include "gatehouse/base64.h"
#include "gatehouse/secret.h"

static void
check_parsed(const char *s, int64_t org, int64_t id, const char *secret, const char *prefix)
{
	char out[APIKEY_MAX + 64];

	if (org <= 0 || id <= 0 || secret < s || secret >= s + strlen(s) ||
	    strlen(secret) != SECRET_LEN ||
	    strspn(secret, base64_chars(BASE64_URL)) != SECRET_LEN)
		abort();
	if ((strcmp(prefix, "gh") == 0 ? apikey_format(out, sizeof(out), org, id, secret) :
	    secret_format(out, sizeof(out), prefix, org, id, secret)) != 0 || strcmp(out, s) != 0)
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, ref[64];
	const char	*secret;
	int64_t		 org, id;

	/* A header or field value is a C string, here in an exact copy. */
	size = strnlen((const char *)data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (apikey_parse(s, &org, &id, &secret) == 0)
		check_parsed(s, org, id, secret, "gh");
	/* Single-use tokens share the shape under their own prefixes. */
	if (secret_parse(s, "reg", &org, &id, &secret) == 0)
		check_parsed(s, org, id, secret, "reg");
	if (apikey_ref_parse(s, &org, &id) == 0) {
		snprintf(ref, sizeof(ref), "gh_%lldk%lld", (long long)org, (long long)id);
		if (org <= 0 || id <= 0 || strcmp(ref, s) != 0)
			abort();
	}
	free(s);
	return 0;
}
