/* fuzz-html.c: libFuzzer harness for html_escape, the one HTML escaping helper every page uses. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/html.h"

static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
static const char raw[] = "&<>\"'";

/* True when s holds only text html_escape keeps: well-formed UTF-8 without other controls. */
static bool
clean(const char *s, size_t n)
{
	if (!utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
			return false;
	}
	return true;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 b, back;
	const char	*in = (const char *)data;

	buf_init(&b);
	buf_init(&back);
	html_escape(&b, in, size);
	if (b.failed)
		abort();
	/* Each byte becomes at most "&quot;" or one U+FFFD. */
	if (b.len > 6 * size || (size > 0 && b.len == 0))
		abort();
	if (!utf8_valid(b.data ? b.data : "", b.len))
		abort();
	/* Nothing that could open a tag or close an attribute; every & starts an entity; no controls. */
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];

		if (c == '<' || c == '>' || c == '"' || c == '\'' || c == '\0' ||
		    (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			abort();
		if (c == '&') {
			bool ok = false;

			for (size_t k = 0; k < 5 && !ok; k++)
				ok = strncmp(b.data + i, entities[k], strlen(entities[k])) == 0;
			if (!ok)
				abort();
		}
		if (c == 0xc2 && i + 1 < b.len && (unsigned char)b.data[i + 1] < 0xa0)
			abort();	/* a C1 control */
	}
	/* Clean text comes back whole when the entities are read again. */
	if (clean(in, size)) {
		for (size_t i = 0; i < b.len; ) {
			size_t k;

			for (k = 0; k < 5; k++)
				if (strncmp(b.data + i, entities[k], strlen(entities[k])) == 0)
					break;
			if (k < 5) {
				buf_putc(&back, raw[k]);
				i += strlen(entities[k]);
			} else
				buf_putc(&back, b.data[i++]);
		}
		if (back.len != size || (size > 0 && memcmp(back.data, in, size) != 0))
			abort();
	}
	buf_free(&b);
	buf_free(&back);
	return 0;
}
