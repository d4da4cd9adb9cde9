/* audit.h: append-only audit events, written inside the transaction of the change. */
#ifndef GATEHOUSE_AUDIT_H
#define GATEHOUSE_AUDIT_H

#include "gatehouse/core.h"

/*
 * Records action on target with changes (a JSON object text, "{}" when none;
 * never secrets). Must run inside db_begin(ctx->org_id). 0 on success.
 */
int	audit_write(struct core_ctx *, const char *action, const char *target_type,
	    const char *target_id, const char *changes_json);

struct audit_event {
	const char	*id;
	const char	*at;
	const char	*actor;		/* e-mail, key reference, "operator" or "sweep" */
	const char	*actor_uid;	/* the acting user, when one */
	const char	*action;
	const char	*target_type;
	const char	*target_id;
	const char	*changes;	/* JSON object text */
	const char	*request_id;
	const char	*address;
};

/* Filters are optional (NULL); action may end in * for a prefix ("user.*"). */
struct audit_query {
	const char	*actor;
	const char	*target;
	const char	*action;
	const char	*since;		/* ISO 8601, inclusive */
	const char	*until;		/* ISO 8601, exclusive */
	const char	*cursor;	/* from a previous page */
	int		 limit;		/* 1..1000 */
};

/* Newest first, keyset-paged; *next is NULL on the last page. */
enum core_status audit_list(struct core_ctx *, const struct audit_query *,
		    struct audit_event **out, size_t *n, const char **next, struct core_err *);

#endif
