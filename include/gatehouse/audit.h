/* audit.h: append-only audit events, written inside the transaction of the change. */
#ifndef GATEHOUSE_AUDIT_H
#define GATEHOUSE_AUDIT_H

#include <stddef.h>

#include "gatehouse/core.h"

struct buf;
struct jsonw;

/*
 * Records action on target with changes (a JSON object text, "{}" when none;
 * never secrets). Must run inside db_begin(ctx->org_id). 0 on success. The
 * row goes with the transaction's next round trip (db_defer), usually the
 * COMMIT, which then fails if it does.
 */
int	audit_write(struct core_ctx *, const char *action, const char *target_type,
	    const char *target_id, const char *changes_json);
/*
 * Events of one action on targets of one type, in one statement, in order:
 * events_json is a JSON array of {"target": id, "changes": {…}} objects.
 */
enum core_status audit_write_many(struct core_ctx *, const char *action, const char *target_type,
		    const char *events_json, struct core_err *);
/*
 * audit_write of the changes object built in b, which it frees, as a core
 * status: a failure (or b out of memory) is named "audit event".
 */
enum core_status audit_buf(struct core_ctx *, const char *action, const char *target_type,
		    const char *target_id, struct buf *b, struct core_err *);
/* One "name": {"old": old, "new": new} member of a changes object; NULL is JSON null. */
void	audit_change(struct jsonw *, const char *name, const char *old, const char *new);
/* audit_change of values that are JSON text already: numbers, true, false. */
void	audit_change_json(struct jsonw *, const char *name, const char *old, const char *new);
/* An event whose changes are n (name, old, new) triples. */
enum core_status audit_changes(struct core_ctx *, const char *action, const char *target_type,
		    const char *target_id, const char *const (*ch)[3], size_t n, struct core_err *);

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
	const char	*surface;	/* the API it came through, "" for the CLI and the sweep */
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

struct user_ref;

/*
 * A user's trail: the events the user performed and the events about the
 * user, newest first; limit (1..CORE_PAGE_MAX) after skipping offset
 * (0..CORE_OFFSET_MAX), and how many there are in all. action (NULL: any)
 * is a name or a prefix ending in *, as in audit_query. A user that is not
 * found (removed ones included) is CORE_NOT_FOUND.
 */
enum core_status audit_of_user(struct core_ctx *, const struct user_ref *, const char *action,
		    int offset, int limit, struct audit_event **out, size_t *n, int64_t *total,
		    struct core_err *);

#endif
