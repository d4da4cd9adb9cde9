/*
 * fuzz-etag.c: libFuzzer harness for etag_parse_if_match. Besides the
 * result's own contract (a version in range, named in the text as our tag),
 * it checks the list semantics by extending the input: another foreign tag
 * or an empty element changes nothing, our own version again changes
 * nothing, and a second version of ours makes any version list invalid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/etag.h"

/* value + suffix as a fresh exactly sized string, parsed. */
static enum etag_result
parse_with(const char *value, const char *suffix, int *version)
{
	size_t			 n = strlen(value), m = strlen(suffix);
	char			*s = malloc(n + m + 1);
	enum etag_result	 r;

	if (s == NULL)
		abort();
	memcpy(s, value, n);
	memcpy(s + n, suffix, m + 1);
	r = etag_parse_if_match(s, version);
	free(s);
	return r;
}

/* Bytes a well-formed If-Match value can hold: etagc, DQUOTE, SP, HTAB. */
static int
only_list_bytes(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return 0;
	}
	return 1;
}

static void
check_value(const char *s)
{
	enum etag_result	r;
	int			v = 12345, v2 = 12345;
	char			tag[ETAG_LEN], ext[ETAG_LEN + 4];

	r = etag_parse_if_match(s, &v);
	if (r != ETAG_VERSION && v != -1)
		abort();
	if (r != ETAG_BAD && !only_list_bytes(s))
		abort();
	switch (r) {
	case ETAG_ANY:
		if (strchr(s, '*') == NULL || strchr(s, '"') != NULL)
			abort();
		break;
	case ETAG_VERSION:
		if (v < 0 || v > ETAG_VERSION_MAX)
			abort();
		etag_format(tag, sizeof(tag), v);
		if (strstr(s, tag) == NULL)
			abort();
		if (parse_with(s, ", \"not-ours\"", &v2) != ETAG_VERSION || v2 != v)
			abort();
		if (parse_with(s, " ,, ", &v2) != ETAG_VERSION || v2 != v)
			abort();
		snprintf(ext, sizeof(ext), ",W/%s", tag);
		if (parse_with(s, ext, &v2) != ETAG_VERSION || v2 != v)
			abort();
		snprintf(ext, sizeof(ext), ",\"%d\"", v == 0 ? 1 : v - 1);
		if (parse_with(s, ext, &v2) != ETAG_BAD)
			abort();
		break;
	case ETAG_FOREIGN:
		if (strchr(s, '"') == NULL)
			abort();
		if (parse_with(s, ", W/\"x\"", &v2) != ETAG_FOREIGN)
			abort();
		if (parse_with(s, ",\"7\"", &v2) != ETAG_VERSION || v2 != 7)
			abort();
		break;
	case ETAG_BAD:
		break;
	default:
		abort();
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;
	int	 v;
	char	 tag[ETAG_LEN];

	/* A header value is a C string: up to the first NUL, in an exact copy. */
	size = strnlen((const char *)data, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_value(s);
	free(s);

	/* What we format reads back as the same version. */
	if (size >= 4) {
		uint32_t n;

		memcpy(&n, data, sizeof(n));
		n %= (uint32_t)ETAG_VERSION_MAX + 1;
		etag_format(tag, sizeof(tag), (int)n);
		if (etag_parse_if_match(tag, &v) != ETAG_VERSION || v != (int)n)
			abort();
	}
	return 0;
}
