/* groups_internal.h: what groups.c lends policies.c: holding a group, and deleting what reaches users. */
#ifndef GATEHOUSE_GROUPS_INTERNAL_H
#define GATEHOUSE_GROUPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/groups.h"

struct arena;
struct db_stmt;
struct pg_result;
struct rows_kind;

/* A group's columns, in the order groups_rows reads them (g is the group). */
#define GROUP_COLS \
	"g.id, g.key, g.name, gatehouse.iso(g.created_at)," \
	" (SELECT count(*) FROM gatehouse.group_members m JOIN gatehouse.users u" \
	"   ON u.org_id = m.org_id AND u.id = m.user_id" \
	"   WHERE m.org_id = g.org_id AND m.group_id = g.id AND u.status <> 'removed')," \
	" g.uid, g.external_id, g.version, gatehouse.iso(g.updated_at)"
#define GROUP_NCOLS 9
#define GROUP_SELECT \
	"SELECT " GROUP_COLS " FROM gatehouse.groups g WHERE g.org_id = gatehouse.current_org()"
/* A row of GROUP_COLS into a struct group. */
extern const struct rows_kind groups_rows;

/* A user's membership (m) of a group (g), as groups_membership_from_row reads it. */
#define MEMBERSHIP_COLS \
	"g.key, g.name, m.role, gatehouse.iso(m.created_at) AS since, m.access," \
	" gatehouse.iso(m.updated_at) AS updated, g.uid AS group_uid, m.user_id"
#define MEMBERSHIP_NCOLS 8
#define MEMBERSHIP_FROM \
	" FROM gatehouse.group_members m JOIN gatehouse.groups g ON g.org_id = m.org_id AND g.id = m.group_id"
/* Fills ug from the MEMBERSHIP_COLS of r's row that start at col. */
void		 groups_membership_from_row(struct arena *, struct pg_result *, int row, int col,
		    struct user_group *);

/* A key travels in paths and in comma-separated lists: no whitespace, "/" or ",". */
bool		 groups_key_ok(const char *key);

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

/* A record whose deletion acts on every user it reaches: a group, a policy. */
struct groups_reach {
	struct db_stmt	*levels;	/* the levels of the users it reaches ($1 its id) */
	struct db_stmt	*del;		/* deletes it ($1 its id) */
	const char	*type;		/* "group": the audit target and action <type>.delete */
	const char	*held;		/* what it held, recorded as going to 0: "members" */
};

/*
 * Deletes a record that reaches users, inside the caller's transaction with
 * its row locked: refused when it reaches a user above the actor, recorded
 * with its name and how many it held.
 */
enum core_status groups_delete_reaching(struct core_ctx *, const struct groups_reach *, int64_t id,
		    const char *target, const char *name, int64_t held, struct core_err *);

#endif
