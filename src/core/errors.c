/* errors.c: database failures, transactions and small shared helpers (pure checks are in fail.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/core.h"
#include "gatehouse/deadline.h"
#include "gatehouse/db.h"
#include "gatehouse/validate.h"

#include "hold.h"
#include "user_cache.h"

enum core_status
core_db_fail(struct core_err *e, const char *what)
{
	switch (db_status()) {
	case DB_UNAVAILABLE:
		return core_fail(e, CORE_UNAVAILABLE, NULL, "database unavailable, try again");
	case DB_UNIQUE:
		return core_fail(e, CORE_CONFLICT, NULL, "%s already exists", what);
	case DB_FOREIGN_KEY:
		return core_fail(e, CORE_INVALID, NULL, "%s refers to something that does not exist", what);
	case DB_CHECK:
		return core_fail(e, CORE_INVALID, NULL, "%s has a value out of range", what);
	case DB_RETRY:
		return core_fail(e, CORE_CONFLICT, NULL, "concurrent change to %s, try again", what);
	default:
		return core_fail(e, CORE_INTERNAL, NULL, "internal error");
	}
}

enum core_status
core_taken(struct core_err *e, const char *field, const char *what, const char *fmt, ...)
{
	char	msg[sizeof(e->msg)];
	va_list	ap;

	if (db_status() != DB_UNIQUE)
		return core_db_fail(e, what);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return core_fail(e, CORE_CONFLICT, field, "%s", msg);
}

/*
 * The deadline of the open transaction's request: a worker runs one
 * transaction at a time, and core_commit, which every write ends in, has no
 * ctx to ask.
 */
static struct timespec txn_deadline;
/* And its org, whose cached users (user_cache.c) its commit makes stale. */
static int64_t txn_org;
/* An outer transaction (see hold.h) that the operations inside join. */
static bool held;
/* Inside it, the savepoint of the operation running now. */
static bool inner;

DB_STMT(st_savepoint, 0, "SAVEPOINT core_op");
DB_STMT(st_savepoint_release, 0, "RELEASE SAVEPOINT core_op");
DB_STMT(st_savepoint_rollback, 0, "ROLLBACK TO SAVEPOINT core_op");

/* Runs a savepoint statement: 0, or -1. */
static int
savepoint(struct db_stmt *s)
{
	PGresult *r = db_exec(s, NULL);

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

bool
core_late(const struct core_ctx *c)
{
	return deadline_passed(&c->deadline);
}

/* The held transaction went with its connection: nothing it did was kept. */
static enum core_status
core_lost(struct core_err *e)
{
	return core_fail(e, CORE_UNAVAILABLE, NULL,
	    "the database connection was lost; nothing was changed, try again");
}

enum core_status
core_too_late(struct core_err *e)
{
	return core_fail(e, CORE_UNAVAILABLE, NULL,
	    "the request ran out of time (request_timeout) and changed nothing; retry it, "
	    "or send less at once");
}

enum core_status
core_begin(struct core_ctx *c, struct core_err *e)
{
	if (held) {
		if (!db_in_tx())
			return core_lost(e);
		/* Operations do not nest (unheld, a second BEGIN would end the first): one joins. */
		if (!inner && savepoint(&st_savepoint) != 0)
			return core_db_fail(e, "request");
		inner = true;
		return CORE_OK;
	}
	txn_deadline = c->deadline;
	txn_org = c->org_id;
	if (db_begin(c->org_id) != DB_OK)
		return core_db_fail(e, "request");
	return CORE_OK;
}

/* Whether the open transaction has written anything (it has a transaction id then). */
DB_STMT(st_wrote, 0, "SELECT txid_current_if_assigned() IS NOT NULL");

static bool
wrote(void)
{
	PGresult	*r = db_exec(&st_wrote, NULL);
	bool		 yes = r == NULL || db_bool(r, 0, 0);	/* unknown: assume so */

	PQclear(r);
	return yes;
}

enum core_status
core_commit(struct core_err *e)
{
	/*
	 * The proxy gives up at its own timeout; no change may commit after
	 * that. A transaction that only read changes nothing by committing.
	 */
	if (deadline_passed(&txn_deadline) && wrote())
		return core_abort(core_too_late(e));
	if (held) {
		/* The operation's work stays, to commit (or not) with the outer transaction. */
		if (inner && (db_tx_failed() || savepoint(&st_savepoint_release) != 0))
			return core_abort(core_db_fail(e, "change"));
		inner = false;
		return CORE_OK;
	}
	memset(&txn_deadline, 0, sizeof(txn_deadline));
	if (db_commit() != DB_OK)
		return core_db_fail(e, "change");
	/* Before the request is answered: no worker may serve a cached row it changed. */
	user_cache_changed(txn_org);
	return CORE_OK;
}

enum core_status
core_abort(enum core_status st)
{
	if (held) {
		/* Undo the failed operation alone; if even that fails, everything goes. */
		if (inner && savepoint(&st_savepoint_rollback) != 0)
			db_rollback();
		inner = false;
		return st;
	}
	memset(&txn_deadline, 0, sizeof(txn_deadline));
	db_rollback();
	return st;
}

enum core_status
core_hold(struct core_ctx *c, struct core_err *e)
{
	enum core_status st;

	held = inner = false;
	if ((st = core_begin(c, e)) == CORE_OK)
		held = true;
	return st;
}

enum core_status
core_release(enum core_status st, struct core_err *e)
{
	held = inner = false;
	if (!db_in_tx())
		return st == CORE_OK ? core_lost(e) : st;
	return core_end(st, e);
}

enum core_status
core_end(enum core_status st, struct core_err *e)
{
	return st == CORE_OK ? core_commit(e) : core_abort(st);
}

enum core_status
core_read(struct core_ctx *c, struct db_query *q, size_t n, const char *what, struct core_err *e)
{
	if (db_read(c->org_id, q, n) != DB_OK)
		return core_db_fail(e, what);
	return CORE_OK;
}

enum core_status
core_check_line(const char *v, const char *field, size_t max, struct core_err *e)
{
	if (v == NULL || *v == '\0')
		return core_fail(e, CORE_INVALID, field, "%s is required", field);
	if (!valid_line(v, max))
		return core_fail(e, CORE_INVALID, field, "%s must be 1 to %zu bytes of text on one line",
		    field, max);
	return CORE_OK;
}

enum level
core_actor_level(const struct core_ctx *c)
{
	return c->actor ? c->actor->level : LEVEL_SUPER;
}

void
core_id_text(int64_t id, char buf[CORE_ID_LEN])
{
	snprintf(buf, CORE_ID_LEN, "%lld", (long long)id);
}
