/* db.c: the worker's connection in pipeline mode, prepared statements, transactions and reads. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/log.h"

/*
 * The connection stays in libpq's pipeline mode. What a call needs goes into
 * libpq's output buffer — a transaction's BEGIN and tenant if they have not
 * gone out yet, the Parse of a statement not yet prepared on this connection,
 * statements deferred by earlier calls, the statement itself — and leaves with
 * one Sync, after which the answers are read in order (run). Each call that
 * waits for the server therefore costs one round trip, whatever rides along.
 */
static PGconn		*conn;
static char		*conninfo;
static unsigned		 conn_gen;	/* bumped on every new connection */
/*
 * A worker brackets requests (db_request_end after each): within one, the
 * first drain serves every cache that asks (the key's, then the user's), one
 * recv instead of one each. A process that does not (the job runner) drains
 * whenever asked. A new connection has not been drained yet.
 */
static bool		 requests_bracketed, drained;
static unsigned		 stmt_seq;	/* names statements s1, s2, … */
static enum db_status	 last_status;
static char		 last_constraint[64];

/*
 * The caller's transaction: open, whether its BEGIN has gone to the server,
 * and whether it can no longer commit (a statement failed, or the connection
 * went: it stays open, refusing every statement, until COMMIT or ROLLBACK, so
 * nothing after a failure runs outside it).
 */
static bool		 in_tx, tx_sent, tx_failed;
static int64_t		 tx_org;

struct dyn;

/* An answer to read after the next Sync; pend[] is in the order things were sent. */
struct pend {
	const char	*what;		/* statement name or command, for the log */
	struct db_stmt	*parse;		/* a Parse of this statement: forgotten if it fails */
	struct dyn	*dparse;	/* likewise for a dynamic statement */
	PGresult	**out;		/* the caller's, or NULL: checked and cleared */
	bool		 commit;	/* COMMIT: any other command tag is a failure */
};
#define PEND_MAX	64
static struct pend	 pend[PEND_MAX];
static size_t		 npend;

void
db_init(const char *ci)
{
	free(conninfo);
	conninfo = strdup(ci);
}

/*
 * Closes the connection. A transaction part of which had gone to it can then
 * only end; one of which nothing had gone starts on the next connection.
 */
static void
drop(void)
{
	if (conn != NULL)
		PQfinish(conn);		/* anything unsent goes with it */
	conn = NULL;
	npend = 0;
	if (in_tx && tx_sent)
		tx_failed = true;
}

void
db_close(void)
{
	drop();
	in_tx = tx_sent = tx_failed = false;
}

const char *
db_value(PGresult *r, int row, int col)
{
	if (r == NULL || row < 0 || col < 0 || row >= PQntuples(r) || col >= PQnfields(r)) {
		log_error("read of row %d column %d outside a result of %d rows and %d columns",
		    row, col, r ? PQntuples(r) : 0, r ? PQnfields(r) : 0);
		return NULL;
	}
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

const char *
db_text(struct arena *a, PGresult *r, int row, int col)
{
	const char *v = db_value(r, row, col);

	return v ? arena_strdup(a, v) : NULL;
}

int64_t
db_int(PGresult *r, int row, int col)
{
	const char *v = db_value(r, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

bool
db_bool(PGresult *r, int row, int col)
{
	const char *v = db_value(r, row, col);

	return v != NULL && v[0] == 't';
}

enum db_status
db_status(void)
{
	return last_status;
}

const char *
db_constraint(void)
{
	return last_constraint;
}

bool
db_in_tx(void)
{
	return in_tx;
}

bool
db_tx_failed(void)
{
	return in_tx && tx_failed;
}

static void
notice_quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static bool
db_connect(void)
{
	/* Our defaults first, so the operator's conninfo can override them. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "3", "gatehouse", conninfo, NULL };
	PGresult   *res;

	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return true;
	drop();
	if (conninfo == NULL)
		return false;
	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		log_error("database connection failed: %s", PQerrorMessage(conn));
		PQfinish(conn);
		conn = NULL;
		return false;
	}
	PQsetNoticeReceiver(conn, notice_quiet, NULL);
	/*
	 * Cache invalidations (sql/004_auth_cache.sql, sql/011_user_cache.sql);
	 * a new connection has missed any before.
	 */
	res = PQexec(conn, "LISTEN gatehouse_auth; LISTEN gatehouse_users");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("LISTEN failed: %s", PQresultErrorMessage(res));
		PQclear(res);
		drop();
		return false;
	}
	PQclear(res);
	if (PQenterPipelineMode(conn) != 1) {
		log_error("pipeline mode refused: %s", PQerrorMessage(conn));
		drop();
		return false;
	}
	conn_gen++;
	drained = false;
	return true;
}

unsigned
db_generation(void)
{
	return conn_gen;
}

/* What the caches do with a notification; each is told every one. */
static void	(*notify_fns[4])(const char *channel, const char *payload);

void
db_on_notify(void (*fn)(const char *channel, const char *payload))
{
	size_t i;

	for (i = 0; i < sizeof(notify_fns) / sizeof(notify_fns[0]) && notify_fns[i] != NULL; i++)
		if (notify_fns[i] == fn)
			return;
	if (i < sizeof(notify_fns) / sizeof(notify_fns[0]))
		notify_fns[i] = fn;
}

int
db_notifications(void)
{
	PGnotify *n;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return -1;
	/*
	 * One non-blocking read of whatever the server has pushed (idle: nothing
	 * is pending). What a statement of this request read since is queued in
	 * libpq and given out below either way.
	 */
	if (!drained) {
		if (PQconsumeInput(conn) == 0)
			return -1;
		drained = requests_bracketed;
	}
	while ((n = PQnotifies(conn)) != NULL) {
		for (size_t i = 0; i < sizeof(notify_fns) / sizeof(notify_fns[0]) &&
		    notify_fns[i] != NULL; i++)
			notify_fns[i](n->relname, n->extra);
		PQfreemem(n);
	}
	return 0;
}

/* Classifies a failed result, logging SQLSTATE and statement name, never values. */
static enum db_status
classify(PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(last_constraint, sizeof(last_constraint), "%s", cons ? cons : "");
	/* 08P01 is a protocol violation: our bug, not an outage. */
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK || state == NULL ||
	    (strncmp(state, "08", 2) == 0 && strcmp(state, "08P01") != 0) ||
	    strncmp(state, "57P", 3) == 0) {
		log_warn("database unavailable during %s", what);
		return DB_UNAVAILABLE;
	}
	if (strcmp(state, "23505") == 0)
		return DB_UNIQUE;
	if (strcmp(state, "23503") == 0)
		return DB_FOREIGN_KEY;
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
	    strncmp(state, "22", 2) == 0)
		return DB_CHECK;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DB_RETRY;
	log_error("statement %s failed: SQLSTATE %s", what, state);
	return DB_ERROR;
}

static bool
result_ok(PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* --- the pipeline ------------------------------------------------------------- */

/*
 * Statements built by the filter compiler repeat: the text depends on the
 * filter's shape, never its values. Each connection keeps the most recent
 * ones prepared, so a repeated list query skips parsing and planning.
 */
#define DYN_SLOTS	32
#define DYN_SQL_MAX	8192

static struct dyn {
	char		*sql;
	unsigned	 gen;
	unsigned long	 used;		/* LRU clock */
	char		 name[16];
} dyn[DYN_SLOTS];
static unsigned long dyn_clock;
static unsigned dyn_seq;

/* Records an answer to expect; the caller has made room (room). */
static void
expect(const char *what, struct db_stmt *parse, struct dyn *dparse, PGresult **out, bool commit)
{
	struct pend *p = &pend[npend++];

	p->what = what;
	p->parse = parse;
	p->dparse = dparse;
	p->out = out;
	p->commit = commit;
	if (out != NULL)
		*out = NULL;
}

/*
 * The connection failed under a call (a send refused, answers missing):
 * what was queued is lost with it, and so is the transaction.
 */
static enum db_status
lost(void)
{
	for (size_t i = 0; i < npend; i++)
		if (pend[i].out != NULL) {
			PQclear(*pend[i].out);
			*pend[i].out = NULL;
		}
	log_warn("database connection lost: %s", conn ? PQerrorMessage(conn) : "not connected");
	drop();
	last_constraint[0] = '\0';
	return last_status = DB_UNAVAILABLE;
}

/*
 * Sends the Sync and reads every queued answer: one round trip. Returns
 * DB_OK, or the first failure (the server skipped the rest); on failure no
 * answer is kept. A Parse that failed or was skipped is forgotten, so its
 * statement is prepared again on next use.
 */
static enum db_status
run(void)
{
	enum db_status	 st = DB_OK;
	PGresult	*r;

	if (PQpipelineSync(conn) != 1)
		return lost();
	for (size_t i = 0; i < npend; i++) {
		struct pend *p = &pend[i];

		if ((r = PQgetResult(conn)) == NULL || PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return lost();
		}
		if (!result_ok(r)) {
			if (st == DB_OK && PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
				st = classify(r, p->what);
			if (p->parse != NULL)
				p->parse->gen = 0;
			if (p->dparse != NULL) {
				free(p->dparse->sql);
				p->dparse->sql = NULL;
			}
			PQclear(r);
			r = NULL;
		} else if (p->commit && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: that is a failure. */
			log_error("COMMIT rolled back a failed transaction");
			if (st == DB_OK)
				st = DB_ERROR;
		}
		if (p->out != NULL)
			*p->out = r;
		else
			PQclear(r);
		while ((r = PQgetResult(conn)) != NULL)	/* the NULL that ends each answer */
			PQclear(r);
	}
	if ((r = PQgetResult(conn)) == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return lost();
	}
	PQclear(r);
	if (st != DB_OK)
		for (size_t i = 0; i < npend; i++)
			if (pend[i].out != NULL) {
				PQclear(*pend[i].out);
				*pend[i].out = NULL;
			}
	npend = 0;
	if (st == DB_OK)
		last_constraint[0] = '\0';
	else if (st == DB_UNAVAILABLE)
		drop();			/* the server is going away: start afresh next time */
	else if (in_tx)
		tx_failed = true;
	return last_status = st;
}

/* Makes room for n more answers, running what is queued if need be. */
static enum db_status
room(size_t n)
{
	if (npend + n <= PEND_MAX)
		return DB_OK;
	return run();
}

static bool
send_text(const char *sql, bool commit)
{
	if (!PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0))
		return false;
	expect(sql, NULL, NULL, NULL, commit);
	return true;
}

static bool
send_stmt(struct db_stmt *s, const char *const *params, PGresult **out)
{
	if (s->gen != conn_gen) {
		if (s->name[0] == '\0')
			snprintf(s->name, sizeof(s->name), "s%u", ++stmt_seq);
		if (!PQsendPrepare(conn, s->name, s->sql, s->nparams, NULL))
			return false;
		s->gen = conn_gen;
		expect(s->name, s, NULL, NULL, false);
	}
	if (!PQsendQueryPrepared(conn, s->name, s->nparams, params, NULL, NULL, 0))
		return false;
	expect(s->name, NULL, NULL, out, false);
	return true;
}

/*
 * The slot that holds sql prepared on this connection, queuing its Parse (and
 * the DEALLOCATE of the statement it evicts) when it is new; NULL when it
 * cannot be kept (too long, out of memory): it then runs unprepared.
 */
static struct dyn *
dyn_slot(const char *sql, int nparams, bool *ok)
{
	struct dyn	*d = NULL, *victim = &dyn[0];
	char		*copy;

	*ok = true;
	if (strlen(sql) >= DYN_SQL_MAX)
		return NULL;
	for (size_t i = 0; i < DYN_SLOTS; i++) {
		if (dyn[i].sql != NULL && dyn[i].gen == conn_gen && strcmp(dyn[i].sql, sql) == 0) {
			d = &dyn[i];
			break;
		}
		if (dyn[i].sql == NULL || dyn[i].gen != conn_gen || dyn[i].used < victim->used)
			victim = &dyn[i];
	}
	if (d != NULL) {
		d->used = ++dyn_clock;
		return d;
	}
	if ((copy = strdup(sql)) == NULL)
		return NULL;
	d = victim;
	if (d->sql != NULL && d->gen == conn_gen) {
		char dealloc[32];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", d->name);
		if (!PQsendQueryParams(conn, dealloc, 0, NULL, NULL, NULL, NULL, 0)) {
			free(copy);
			*ok = false;
			return NULL;
		}
		expect("DEALLOCATE", NULL, NULL, NULL, false);
	}
	free(d->sql);
	d->sql = copy;
	snprintf(d->name, sizeof(d->name), "d%u", ++dyn_seq);
	d->gen = conn_gen;
	d->used = ++dyn_clock;
	if (!PQsendPrepare(conn, d->name, sql, nparams, NULL)) {
		*ok = false;
		return NULL;
	}
	expect("dynamic query", NULL, d, NULL, false);
	return d;
}

static bool
send_sql(const char *sql, int nparams, const char *const *params, PGresult **out)
{
	struct dyn	*d;
	bool		 ok;

	log_debug("dynamic query: %s", sql);	/* whitelisted names and $n only: no values */
	d = dyn_slot(sql, nparams, &ok);
	if (!ok)
		return false;
	if (!(d != NULL ? PQsendQueryPrepared(conn, d->name, nparams, params, NULL, NULL, 0) :
	    PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)))
		return false;
	expect("dynamic query", NULL, NULL, out, false);
	return true;
}

/*
 * The tenant for row-level security, local to the transaction it runs in. A
 * read of its own (outside a transaction) is made read-only too, so a
 * statement that would write fails instead.
 */
DB_STMT(st_tx_tenant, 1, "SELECT set_config('gatehouse.org_id', $1, true)");
DB_STMT(st_read_tenant, 1, "SELECT set_config('gatehouse.org_id', $1, true),"
    " set_config('transaction_read_only', 'on', true)");

static bool
send_tenant(struct db_stmt *s, int64_t org_id)
{
	char		 org[24];
	const char	*p[1] = { org };

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	return send_stmt(s, p, NULL);
}

/* The open transaction's BEGIN and tenant, unless they have gone out. */
static bool
send_begin(void)
{
	if (tx_sent)
		return true;
	tx_sent = true;
	return send_text("BEGIN", false) && send_tenant(&st_tx_tenant, tx_org);
}

/* A statement in a transaction that can no longer commit: refused unsent. */
static enum db_status
refused(void)
{
	log_warn("statement refused: its transaction has already failed");
	return last_status = last_status != DB_OK ? last_status : DB_ERROR;
}

/*
 * Runs the queries in one round trip: in the open transaction (its BEGIN and
 * tenant first if they have not gone out), or outside one in an implicit
 * transaction of their own — the statements between two Syncs commit or roll
 * back together — with org, when given, as the tenant of a read. When the
 * connection turns out dead (a server restart) and nothing sent before this
 * call is lost with it, the queries are sent once more on a new connection:
 * nothing of them can have taken effect.
 */
static enum db_status
batch(const int64_t *org, struct db_query *q, size_t n)
{
	bool		 tx = in_tx, fresh = !(in_tx && tx_sent), reused, ok;
	enum db_status	 st;

	for (size_t i = 0; i < n; i++)
		q[i].res = NULL;
	if (in_tx && tx_failed)
		return refused();
	if (3 * n + 3 > PEND_MAX) {
		log_error("a batch of %zu queries is more than one flush may carry", n);
		return last_status = DB_ERROR;
	}
	for (int attempt = 0;; attempt++) {
		reused = conn != NULL;
		if (!db_connect())
			return last_status = DB_UNAVAILABLE;
		if ((st = room(3 * n + 3)) != DB_OK)
			return st;
		if (in_tx)
			ok = send_begin();
		else
			ok = org == NULL || send_tenant(&st_read_tenant, *org);
		for (size_t i = 0; i < n && ok; i++)
			ok = q[i].stmt != NULL ? send_stmt(q[i].stmt, q[i].params, &q[i].res) :
			    send_sql(q[i].sql, q[i].nparams, q[i].params, &q[i].res);
		st = ok ? run() : lost();
		if (st != DB_UNAVAILABLE || !fresh || !reused || attempt > 0)
			return st;
		in_tx = tx;		/* its BEGIN went nowhere: the transaction starts over */
		tx_sent = tx_failed = false;
	}
}

PGresult *
db_exec(struct db_stmt *s, const char *const *params)
{
	struct db_query q = DB_QUERY(s, params);

	return batch(NULL, &q, 1) == DB_OK ? q.res : NULL;
}

PGresult *
db_exec_sql(const char *sql, int nparams, const char *const *params)
{
	struct db_query q = { NULL, sql, nparams, params, NULL };

	return batch(NULL, &q, 1) == DB_OK ? q.res : NULL;
}

enum db_status
db_read(int64_t org_id, struct db_query *q, size_t n)
{
	return batch(&org_id, q, n);
}

enum db_status
db_defer(struct db_stmt *s, const char *const *params)
{
	PGresult *r;

	if (!in_tx) {
		if ((r = db_exec(s, params)) != NULL)
			PQclear(r);
		return last_status;
	}
	if (tx_failed)
		return refused();
	if (!db_connect())
		return last_status = DB_UNAVAILABLE;
	if (room(5) != DB_OK)
		return last_status;
	if (!send_begin() || !send_stmt(s, params, NULL))
		return lost();
	return last_status = DB_OK;
}

enum db_status
db_tenant(int64_t org_id)
{
	if (!in_tx) {
		log_error("a tenant set outside a transaction");
		return last_status = DB_ERROR;
	}
	tx_org = org_id;
	if (!tx_sent)
		return last_status = DB_OK;	/* the BEGIN to come carries it */
	if (tx_failed)
		return refused();
	if (conn == NULL)
		return last_status = DB_UNAVAILABLE;
	if (room(2) != DB_OK)
		return last_status;
	if (!send_tenant(&st_tx_tenant, org_id))
		return lost();
	return last_status = DB_OK;
}

/* Drains the notifications libpq has read; true when one was on channel. */
static bool
drain(const char *channel)
{
	PGnotify	*n;
	bool		 hit = false;

	while ((n = PQnotifies(conn)) != NULL) {
		hit |= strcmp(n->relname, channel) == 0;
		PQfreemem(n);
	}
	return hit;
}

int
db_wait(const char *channel, int timeout_ms)
{
	static unsigned	 listen_gen;
	struct pollfd	 pfd;
	char		*sql, *id;
	enum db_status	 st;

	if (in_tx || !db_connect())
		return -1;
	if (listen_gen != conn_gen) {
		/* A new connection listens to nothing of ours yet. */
		if ((id = PQescapeIdentifier(conn, channel, strlen(channel))) == NULL)
			return -1;
		sql = malloc(strlen(id) + 8);
		if (sql != NULL)
			snprintf(sql, strlen(id) + 8, "LISTEN %s", id);
		PQfreemem(id);
		if (sql == NULL)
			return -1;
		st = send_text(sql, false) ? run() : lost();
		free(sql);
		if (st != DB_OK) {
			log_warn("LISTEN %s failed", channel);
			db_close();
			return -1;
		}
		listen_gen = conn_gen;
		/* What was queued before the LISTEN went unheard: report it as a wake-up. */
		return 1;
	}
	if (PQconsumeInput(conn) == 0)
		goto lost;
	if (drain(channel))
		return 1;
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		goto lost;
	if (poll(&pfd, 1, timeout_ms) < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd.revents == 0)
		return 0;
	if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK)
		goto lost;
	return drain(channel) ? 1 : 0;
lost:
	log_warn("database connection lost while waiting for %s", channel);
	db_close();
	return -1;
}

/*
 * Ends whatever transaction the server still has open on this connection
 * (after a failure the server skips everything up to the Sync, a ROLLBACK
 * too), keeping the status of the failure that led here.
 */
static void
settle(void)
{
	enum db_status	 keep = last_status;
	char		 cons[sizeof(last_constraint)];

	memcpy(cons, last_constraint, sizeof(cons));
	for (int i = 0; i < 2 && conn != NULL && (npend > 0 ||
	    PQtransactionStatus(conn) != PQTRANS_IDLE); i++) {
		if (room(1) != DB_OK)
			continue;
		if (!send_text("ROLLBACK", false))
			lost();
		else
			run();
	}
	last_status = keep;
	memcpy(last_constraint, cons, sizeof(cons));
}

enum db_status
db_begin(int64_t org_id)
{
	if (in_tx)
		db_rollback();
	in_tx = true;
	tx_sent = tx_failed = false;
	tx_org = org_id;
	return last_status = DB_OK;
}

enum db_status
db_commit(void)
{
	bool		 sent = in_tx && tx_sent, failed = in_tx && tx_failed;
	enum db_status	 st;

	in_tx = tx_sent = tx_failed = false;
	if (failed) {
		st = refused();
		settle();
		return last_status = st;
	}
	if (!sent)
		return last_status = DB_OK;	/* nothing reached the server: nothing to commit */
	if (conn == NULL)
		return last_status = DB_UNAVAILABLE;
	if ((st = room(1)) == DB_OK)
		st = send_text("COMMIT", true) ? run() : lost();
	if (st != DB_OK)
		settle();
	return last_status = st;
}

void
db_rollback(void)
{
	bool sent = in_tx && tx_sent;

	in_tx = tx_sent = tx_failed = false;
	if (sent)
		settle();
}

void
db_request_end(void)
{
	requests_bracketed = true;
	drained = false;
	if (in_tx) {
		log_error("a request left a transaction open; rolling back");
		db_rollback();
	}
}

DB_STMT(st_schema_version, 0, "SELECT coalesce(max(version), 0) FROM gatehouse.schema_migrations");

const char *
db_ready(void)
{
	PGresult	*res = db_exec(&st_schema_version, NULL);
	int		 v;

	if (res == NULL)
		return last_status == DB_UNAVAILABLE ? "database unreachable" : "schema not readable";
	v = PQntuples(res) == 1 ? (int)db_int(res, 0, 0) : -1;
	PQclear(res);
	if (v < SCHEMA_VERSION)
		return "migrations pending: run gatehousectl migrate";
	if (v > SCHEMA_VERSION)
		return "database schema is newer than this build";
	return NULL;
}
