/* db.h: the worker's one PostgreSQL connection, lazily prepared statements, tenant transactions and reads. */
#ifndef GATEHOUSE_DB_H
#define GATEHOUSE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Raise with every new file in sql/; `./dev test` checks it matches. */
#define SCHEMA_VERSION	15

/* A statement prepared on first use on each connection (gen tracks which). */
struct db_stmt {
	const char	*sql;
	int		 nparams;
	unsigned	 gen;		/* connection generation it was prepared on */
	char		 name[16];
};
#define DB_STMT(var, n, text)	static struct db_stmt var = { text, n, 0, "" }

enum db_status {
	DB_OK = 0,
	DB_UNAVAILABLE,		/* no connection: answer 503 */
	DB_UNIQUE,		/* 23505 */
	DB_FOREIGN_KEY,		/* 23503 */
	DB_CHECK,		/* 23514, 23502, 22xxx: bad data got past validation */
	DB_RETRY,		/* serialization failure or deadlock */
	DB_ERROR,
	DB__MAX
};

/* Remembers conninfo; connects on first use. */
void		 db_init(const char *conninfo);
void		 db_close(void);
/*
 * Every call below that waits for the server costs one round trip: what has
 * to go first (a transaction's BEGIN and tenant, the Parse of a statement new
 * to this connection, statements deferred with db_defer) travels in the same
 * flush (libpq's pipeline mode).
 *
 * Runs stmt with text parameters (NULL = SQL NULL): in the open transaction,
 * or outside one on its own, without a tenant. Returns the result (tuples or
 * command OK; caller PQclears) or NULL with db_status() set. A statement that
 * finds the connection dead (a server restart) is sent once more on a fresh
 * one, unless part of its transaction had already reached the old one.
 */
PGresult	*db_exec(struct db_stmt *, const char *const *params);
/*
 * Runs SQL built at run time by the filter compiler (whitelisted names and
 * $n placeholders only). Same result contract as db_exec.
 */
PGresult	*db_exec_sql(const char *sql, int nparams, const char *const *params);

/* One query of a read: a prepared statement, or SQL from the filter compiler. */
struct db_query {
	struct db_stmt		*stmt;		/* or NULL, and: */
	const char		*sql;		/* whitelisted names and $n only */
	int			 nparams;	/* of sql */
	const char *const	*params;
	PGresult		*res;		/* its answer (caller PQclears); NULL after a failure */
};
#define DB_QUERY(s, p)	((struct db_query){ (s), NULL, 0, (p), NULL })
/*
 * Runs the queries, in order, in one round trip. In the open transaction they
 * run in it; outside one they are a read of their own: one implicit
 * transaction, read-only, whose first statement makes org the tenant — so
 * row-level security holds exactly as in a transaction of db_begin, and the
 * tenant ends with it. Returns DB_OK with every res set, or the failure with
 * none. At most 20 queries.
 */
enum db_status	 db_read(int64_t org_id, struct db_query *, size_t n);
/*
 * Queues stmt in the open transaction without waiting for it: it goes to the
 * server with the next call that waits (a statement, COMMIT), and a failure
 * of it is that call's failure. For statements whose answer nobody reads
 * (audit rows, deletions). Outside a transaction it runs at once, like db_exec.
 */
enum db_status	 db_defer(struct db_stmt *, const char *const *params);
enum db_status	 db_status(void);

/*
 * Reading a result: every read goes through these, which check the row and
 * column against the result's size first. A cell outside the result is
 * logged (a bug: the statement and its reader disagree) and reads as SQL
 * NULL; NULL reads as NULL, 0 or false.
 */
struct arena;
/* The cell's text inside r (valid until PQclear), or NULL. */
const char	*db_value(PGresult *, int row, int col);
/* A copy of the cell's text in the arena, or NULL. */
const char	*db_text(struct arena *, PGresult *, int row, int col);
/* The cell as a decimal integer, or 0. */
int64_t		 db_int(PGresult *, int row, int col);
/* True when the cell is boolean true. */
bool		 db_bool(PGresult *, int row, int col);
/* Constraint named by the last failure, or "". */
const char	*db_constraint(void);

/*
 * Connection generation: changes whenever a new connection is made, so a
 * cache built on notifications knows it may have missed some.
 */
unsigned	 db_generation(void);
/*
 * Tells fn (once registered, a no-op after) every notification a worker's
 * connection receives: it LISTENs on gatehouse_auth (sql/004_auth_cache.sql)
 * and gatehouse_users (sql/011_user_cache.sql). Room for four.
 */
void		 db_on_notify(void (*fn)(const char *channel, const char *payload));
/*
 * Reads, without blocking, the notifications that have arrived and gives
 * each to every fn registered. Returns 0, or -1 when there is no live
 * connection to listen on (a cache must then trust nothing it holds).
 */
int		 db_notifications(void);

/*
 * Waits up to timeout_ms for a notification on channel (LISTENing on it
 * first, again after every reconnection), draining every notification that
 * arrived. 1 when channel was notified, 0 when the time ran out, -1 when
 * there is no connection (the caller backs off and tries again). For a
 * program's own loop (the mailer): a worker must not drain gatehouse_auth.
 */
int		 db_wait(const char *channel, int timeout_ms);

/*
 * A transaction with org as the tenant for row-level security until
 * COMMIT/ROLLBACK. Nothing is sent until its first statement, which carries
 * BEGIN and the tenant; one in which nothing ran ends without a word.
 */
enum db_status	 db_begin(int64_t org_id);
/*
 * Makes org the tenant for the rest of the open transaction (found after
 * BEGIN); it travels with the next statement, whose failure it shares.
 */
enum db_status	 db_tenant(int64_t org_id);
/* Commits (one round trip, carrying what was deferred); a failure rolls back. */
enum db_status	 db_commit(void);
void		 db_rollback(void);
bool		 db_in_tx(void);
/*
 * True inside a transaction that can no longer commit: a statement failed
 * (or the connection went), so every later one would fail too.
 */
bool		 db_tx_failed(void);
/*
 * Rolls back anything a request left open; called after every request. It
 * also marks the request's end for db_notifications (one drain a request).
 */
void		 db_request_end(void);

/* 0 when the database answers and the schema is at SCHEMA_VERSION; else a reason. */
const char	*db_ready(void);

/* Applies sql/NNN_*.sql not yet recorded, each in its own transaction. */
int		 db_migrate(const char *admin_conninfo, const char *sql_dir, bool verbose);

#endif
