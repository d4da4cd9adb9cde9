/* cursor.c: keyset paging cursors: the position a page ended at, as opaque base64url text. */
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/cursor.h"

char *
cursor_encode(struct arena *a, const char *sort, bool desc, const char *val, int64_t id)
{
	char	*raw = arena_printf(a, "%s\n%c\n%s\n%lld", sort, desc ? 'd' : 'a', val ? val : "",
		    (long long)id);
	char	*out;
	size_t	 n;

	if (raw == NULL)
		return NULL;
	n = strlen(raw);
	if ((out = arena_alloc(a, BASE64_LEN(n) + 1)) == NULL)
		return NULL;
	base64_encode(BASE64_URL, raw, n, out);
	return out;
}

char *
cursor_decode(struct arena *a, const char *s)
{
	size_t	 n = strnlen(s, CURSOR_MAX + 1);
	char	*out;
	long	 got;

	if (n == 0 || n > CURSOR_MAX || (out = arena_alloc(a, n)) == NULL)
		return NULL;
	/* n characters decode to at most 3n/4 bytes: room for the NUL remains. */
	if ((got = base64_decode(BASE64_URL, s, n, (unsigned char *)out, n - 1)) < 0)
		return NULL;
	out[got] = '\0';
	return memchr(out, '\0', (size_t)got) == NULL ? out : NULL;
}
