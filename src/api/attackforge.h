/* attackforge.h: what the AttackForge dialect's files (/attackforge) share; no other surface includes it. */
#ifndef GATEHOUSE_API_ATTACKFORGE_H
#define GATEHOUSE_API_ATTACKFORGE_H

#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/router.h"

struct jsonw;
struct route_list;
struct user_ref;
struct request;

extern const struct dialect	 dialect_attackforge;
/* The route table of attackforge_history.c: groups, audit logs, logins. */
extern const struct route_list	 attackforge_history_routes;

/* The user the path parameter names by its id (the core's uid). */
struct user_ref	 af_path_user(struct request *, const char *param);
/* Opens a 200 answer {"count": count, "<name>": [ … for the items; af_list_end closes it. */
void		 af_list_begin(struct request *, struct jsonw *, int64_t count, const char *name);
void		 af_list_end(struct jsonw *);
/* The outcome of a change: its failure, or 200 {"status": message}. */
void		 af_status_reply(struct request *, enum core_status, const struct core_err *,
		    const char *message);

#endif
