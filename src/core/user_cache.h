/*
 * user_cache.h: the rows of users a worker read by uid (user_cache.c), and the
 * per-org generations that tell when they are stale. Its own header so that
 * what marks an org changed (errors.c, at commit) needs nothing else of users.
 */
#ifndef GATEHOUSE_USER_CACHE_H
#define GATEHOUSE_USER_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct arena;
struct user;
struct pg_result;

/* Whether this process has the cache (the shared generations exist). */
bool		 user_cache_on(void);
/* The org's generation now: read it before reading a row to cache. */
uint64_t	 user_cache_gen(int64_t org);
/* Fills u from the cached row of the org's user uid, if it may be served; else false. */
bool		 user_cache_get(struct arena *, int64_t org, const char *uid, struct user *);
/* Keeps row (one row of USER_COLS, read after gen was): the cache owns it now. */
void		 user_cache_put(int64_t org, const char *uid, uint64_t gen, struct pg_result *row);
/* A transaction of the org has committed: its cached rows may be stale. */
void		 user_cache_changed(int64_t org);

#endif
