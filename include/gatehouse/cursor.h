/* cursor.h: keyset paging cursors, opaque base64url text naming where a page ended. */
#ifndef GATEHOUSE_CURSOR_H
#define GATEHOUSE_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

struct arena;

#define CURSOR_MAX	1024	/* characters of a cursor a client may send */

/*
 * The cursor for the position (val, id) of a list in sort order sort,
 * descending if desc: base64url of "sort\ndir\nval\nid" in the arena, or
 * NULL when the arena is exhausted.
 */
char	*cursor_encode(struct arena *, const char *sort, bool desc, const char *val, int64_t id);

/*
 * The text a cursor encodes, NUL-terminated in the arena; the caller checks
 * its parts. NULL when s is empty, longer than CURSOR_MAX, not canonical
 * base64url, or decodes to text holding a NUL.
 */
char	*cursor_decode(struct arena *, const char *s);

#endif
