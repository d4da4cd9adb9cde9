/* groups_internal.h: what groups.c lends policies.c, which gives policies to groups. */
#ifndef GATEHOUSE_GROUPS_INTERNAL_H
#define GATEHOUSE_GROUPS_INTERNAL_H

#include <stdint.h>

#include "gatehouse/groups.h"

struct db_stmt;

/*
 * Reads a group by key and holds its row (FOR KEY SHARE) so it cannot
 * vanish before the transaction ends; refused when any member is above the
 * actor's level, as a change to the group acts on every member.
 */
enum core_status groups_hold(struct core_ctx *, const char *key, struct group *,
		    struct core_err *);
/*
 * Runs stmt, which answers the access levels of users ($1 an id), locking
 * those users; CORE_FORBIDDEN when any of them is above the actor's level.
 */
enum core_status groups_none_above_actor(struct core_ctx *, struct db_stmt *, int64_t id,
		    struct core_err *);

#endif
