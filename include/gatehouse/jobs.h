/*
 * jobs.h: long work as a job — accepted at once, run item by item (each item
 * its own transaction) by the server's job runner, polled, listed and
 * cancelled. A job's passwords rest only sealed (seal.h).
 */
#ifndef GATEHOUSE_JOBS_H
#define GATEHOUSE_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/principal.h"

struct buf;

#define JOBS_KEEP_DAYS	7	/* a job and its results are kept this long after it ends */
#define JOBS_MAX_ITEMS	1000

/* A job and its progress. */
struct job {
	int64_t		 id;
	const char	*kind;		/* "users.bulk" */
	const char	*status;	/* queued, running, finished, cancelled */
	int64_t		 total, pending, succeeded, failed, cancelled;
	const char	*created_at, *started_at, *finished_at, *expires_at;
};

/* What one item came to (ended items only). */
struct job_result {
	int64_t		 pos;
	const char	*status;	/* succeeded, failed, cancelled */
	int64_t		 code;		/* the item's HTTP status; 0 when cancelled */
	const char	*result;	/* JSON: the item's answer (the user, or the error) */
};

/* One item to run: its JSON without the password, and the password (or NULL). */
struct job_item_in {
	const char	*payload;
	const char	*password;
};

/* True when this process can accept jobs: a runner beside it can open what it seals. */
bool		 jobs_available(void);
/*
 * Accepts a job of n items (1 to JOBS_MAX_ITEMS) in one transaction, each
 * password sealed, and wakes the runner. The job acts with the ctx's actor's
 * authority. *out in the ctx's arena.
 */
enum core_status jobs_create(struct core_ctx *, const char *kind, const struct job_item_in *,
		    size_t n, struct job *out, struct core_err *);
/* A job by id with its ended items' results, in order (*res in the arena). */
enum core_status jobs_get(struct core_ctx *, const char *id, struct job *out,
		    struct job_result **res, size_t *nres, struct core_err *);
/* The org's latest jobs, newest first, at most limit (core_check_page). */
enum core_status jobs_list(struct core_ctx *, int limit, struct job **out, size_t *n,
		    struct core_err *);
/*
 * Cancels a queued or running job: its pending items end as cancelled (an
 * item running now finishes first). CORE_CONFLICT when it has ended.
 */
enum core_status jobs_cancel(struct core_ctx *, const char *id, struct job *out,
		    struct core_err *);

/* --- the runner ------------------------------------------------------------------------- */

/* The job a runner works on, and the authority it acts with. */
struct job_run {
	int64_t		 org_id, id;
	char		 request_id[64];
	char		 actor_ref[100];
	struct principal actor;
};

/*
 * Runs one item inside the step's transaction: payload (JSON text) and its
 * password (NULL: none). Writes the item's answer as JSON to result and its
 * HTTP status to *code. Returns CORE_OK when the item has an outcome to
 * record (a failure of the item itself rolls its work back through the
 * core as usual); any other status leaves the item to run again later.
 */
typedef enum core_status (*job_item_fn)(struct core_ctx *, const char *payload,
		    const char *password, int *code, struct buf *result, void *arg);

/* Waits up to timeout_ms for a new job: 1 woken, 0 timed out, -1 no database. */
int		 jobs_wait(int timeout_ms);
/* Tells the database this runner is alive; 0, or -1. */
int		 jobs_beat(void);
/*
 * The runner's housekeeping, in every org: forgets ended jobs older than
 * JOBS_KEEP_DAYS and Idempotency-Key answers older than IDEM_TTL_HOURS; how
 * many went, or -1.
 */
long		 jobs_purge(void);
/* Claims the oldest job this runner may run: CORE_OK with *found. */
enum core_status jobs_claim(struct core_ctx *, struct job_run *, bool *found, struct core_err *);
/*
 * Runs the next pending item of the claimed job through fn and records its
 * outcome with its work, in one transaction. *more: items are left and the
 * job was not cancelled. An item whose password this runner cannot open
 * (sealed by a server that has stopped) fails with the reason.
 */
enum core_status jobs_step(struct core_ctx *, const struct job_run *, job_item_fn, void *arg,
		    bool *more, struct core_err *);

#endif
