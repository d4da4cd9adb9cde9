/* arena.h: per-request bump allocator; everything a request allocates is freed at once. */
#ifndef GATEHOUSE_ARENA_H
#define GATEHOUSE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block	*head;		/* current block; older ones chained behind */
	size_t			 used;		/* bytes handed out, all blocks */
	size_t			 limit;		/* 0 = unlimited; past it allocations fail */
};

void	 arena_init(struct arena *, size_t limit);
/* Returns zeroed memory aligned for any type, or NULL when the limit is hit. */
void	*arena_alloc(struct arena *, size_t);
/* NUL-terminated copy of len bytes of s; NULL on failure. */
char	*arena_strndup(struct arena *, const char *s, size_t len);
char	*arena_strdup(struct arena *, const char *s);
char	*arena_printf(struct arena *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Frees all but the first block so a worker reuses its memory. */
void	 arena_reset(struct arena *);
void	 arena_free(struct arena *);

#endif
