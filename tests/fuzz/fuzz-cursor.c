/*
 * fuzz-cursor.c: libFuzzer harness for cursor_decode and the base64 codec
 * under it. A cursor a client sends is accepted only as the canonical
 * encoding of NUL-free text, so encoding what it decodes to must give back
 * the same text; a cursor we make from any position decodes to exactly
 * that position; and base64 in either alphabet round-trips any bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/cursor.h"

/* The input as a cursor a client sent. */
static void
check_decode(struct arena *a, const char *s)
{
	size_t	 n = strlen(s);
	char	*raw = cursor_decode(a, s), *again;

	if (raw == NULL)
		return;
	if (n == 0 || n > CURSOR_MAX || strlen(raw) > n * 3 / 4)
		abort();
	if ((again = malloc(BASE64_LEN(strlen(raw)) + 1)) == NULL)
		abort();
	base64_encode(BASE64_URL, raw, strlen(raw), again);
	if (strcmp(again, s) != 0)
		abort();
	free(again);
}

/* The input split at its first two newlines as the sort, value and id of a position. */
static void
check_encode(struct arena *a, const uint8_t *data, size_t size)
{
	const char	*sort, *val, *c;
	char		*copy, *nl, *want, *raw;
	size_t		 wantsz = size + 32;
	int64_t		 id = 0;
	bool		 desc = size > 0 && (data[0] & 1);

	if ((copy = malloc(size + 1)) == NULL || (want = malloc(wantsz)) == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	sort = copy;
	val = "";
	if ((nl = strchr(copy, '\n')) != NULL) {
		*nl = '\0';
		val = nl + 1;
		if ((nl = strchr(val, '\n')) != NULL) {
			*nl = '\0';
			memcpy(&id, nl + 1, strnlen(nl + 1, sizeof(id)));
		}
	}
	snprintf(want, wantsz, "%s\n%c\n%s\n%lld", sort, desc ? 'd' : 'a', val,
	    (long long)id);
	if ((c = cursor_encode(a, sort, desc, val, id)) == NULL)
		abort();
	if (strlen(c) != BASE64_LEN(strlen(want)) || strspn(c, base64_chars(BASE64_URL)) != strlen(c))
		abort();
	raw = cursor_decode(a, c);
	if (strlen(c) > CURSOR_MAX) {
		if (raw != NULL)
			abort();
	} else if (raw == NULL || strcmp(raw, want) != 0)
		abort();
	free(want);
	free(copy);
}

/* Any bytes, in both alphabets; and the input as base64 text, decoded canonically or not at all. */
static void
check_base64(const uint8_t *data, size_t size)
{
	char		*text = malloc(BASE64_LEN(size) + 1), *again;
	unsigned char	*back = malloc(size ? size : 1);
	long		 n;

	if (text == NULL || back == NULL)
		abort();
	for (int al = BASE64_STD; al <= BASE64_URL; al++) {
		if (base64_encode(al, data, size, text) != BASE64_LEN(size) ||
		    base64_decode(al, text, BASE64_LEN(size), back, size) != (long)size ||
		    memcmp(back, data, size) != 0)
			abort();
		if ((n = base64_decode(al, (const char *)data, size, back, size)) >= 0) {
			if ((size_t)n > size || (again = malloc(BASE64_LEN((size_t)n) + 1)) == NULL)
				abort();
			base64_encode(al, back, (size_t)n, again);
			if (strlen(again) != size || memcmp(again, data, size) != 0)
				abort();
			free(again);
		}
	}
	free(text);
	free(back);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	char		*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	arena_init(&a, 1 << 20);
	check_decode(&a, s);
	check_encode(&a, data, size);
	arena_free(&a);
	check_base64(data, size);
	free(s);
	return 0;
}
