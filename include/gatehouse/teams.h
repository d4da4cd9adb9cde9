/* teams.h: teams — named sets of users (Faction); a user names its team in the `team` field. */
#ifndef GATEHOUSE_TEAMS_H
#define GATEHOUSE_TEAMS_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"

struct team {
	int64_t		 id;
	const char	*name;		/* 1–100 bytes, unique in the org case-insensitively */
	int64_t		 members;	/* users on the team, not counting removed ones */
	const char	*created_at;
};

/*
 * Each operation is one transaction with one audit event (team.create,
 * team.rename, team.delete). Teams are named by their id as text; text that
 * cannot be an id is simply not found. A taken name is CORE_CONFLICT on "name".
 */
enum core_status teams_create(struct core_ctx *, const char *name, struct team *out,
		    struct core_err *);
/* Renaming to the current name is a no-op without an audit event. */
enum core_status teams_rename(struct core_ctx *, const char *id, const char *name,
		    struct team *out, struct core_err *);
/* Refused (CORE_CONFLICT) while any user who is not removed is on the team. */
enum core_status teams_delete(struct core_ctx *, const char *id, struct core_err *);
/*
 * A team by its name, in any case. No such team is CORE_INVALID naming
 * "team", as the team a user is given.
 */
enum core_status teams_find(struct core_ctx *, const char *name, struct team *out,
		    struct core_err *);
/* Every team of the org by name; *out lives in the context's arena. */
enum core_status teams_list(struct core_ctx *, struct team **out, size_t *n, struct core_err *);

#endif
