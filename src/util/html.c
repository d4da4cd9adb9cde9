/* html.c: HTML escaping for every value a page shows (see html.h for the contract). */
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/html.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

/* The code point of a well-formed sequence of len bytes. */
static unsigned
code_point(const unsigned char *s, size_t len)
{
	unsigned cp = len == 1 ? s[0] : (unsigned)(s[0] & (0x7f >> len));

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

void
html_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, run = 0, len;

	while (i < n) {
		const char	*rep = NULL;
		unsigned	 cp;

		switch (u[i]) {
		case '&':	rep = "&amp;"; len = 1; break;
		case '<':	rep = "&lt;"; len = 1; break;
		case '>':	rep = "&gt;"; len = 1; break;
		case '"':	rep = "&quot;"; len = 1; break;
		case '\'':	rep = "&#39;"; len = 1; break;
		default:
			if ((len = utf8_char_len(s + i, n - i)) == 0) {
				rep = REPLACEMENT;
				len = 1;
				break;
			}
			cp = code_point(u + i, len);
			if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
			    (cp >= 0x7f && cp <= 0x9f))
				rep = REPLACEMENT;
		}
		if (rep == NULL) {
			run += len;
			i += len;
			continue;
		}
		if (run)
			buf_append(b, s + i - run, run);
		run = 0;
		buf_puts(b, rep);
		i += len;
	}
	if (run)
		buf_append(b, s + n - run, run);
}

void
html_puts(struct buf *b, const char *s)
{
	if (s != NULL)
		html_escape(b, s, strlen(s));
}
