/* db.c: connection management, prepared statements and transactions for one worker. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/log.h"

static PGconn		*conn;
static char		*conninfo;
static unsigned		 conn_gen;	/* bumped on every new connection */
static unsigned		 stmt_seq;	/* names statements s1, s2, … */
static bool		 in_tx;
static enum db_status	 last_status;
static char		 last_constraint[64];

void
db_init(const char *ci)
{
	free(conninfo);
	conninfo = strdup(ci);
}

void
db_close(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
	in_tx = false;
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
	return in_tx && (conn == NULL || PQstatus(conn) != CONNECTION_OK ||
	    PQtransactionStatus(conn) != PQTRANS_INTRANS);
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
	db_close();
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
	/* Cache invalidations (sql/004_auth_cache.sql); a new connection has missed any before. */
	res = PQexec(conn, "LISTEN gatehouse_auth");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("LISTEN failed: %s", PQresultErrorMessage(res));
		PQclear(res);
		db_close();
		return false;
	}
	PQclear(res);
	conn_gen++;
	return true;
}

unsigned
db_generation(void)
{
	return conn_gen;
}

int
db_auth_notifications(void (*fn)(const char *payload, void *arg), void *arg)
{
	PGnotify *n;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return -1;
	/* One non-blocking read of whatever the server has pushed. */
	if (PQconsumeInput(conn) == 0)
		return -1;
	while ((n = PQnotifies(conn)) != NULL) {
		if (strcmp(n->relname, "gatehouse_auth") == 0)
			fn(n->extra, arg);
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

static PGresult *
exec_once(struct db_stmt *s, const char *const *params)
{
	PGresult *res;

	if (!db_connect()) {
		last_status = DB_UNAVAILABLE;
		return NULL;
	}
	if (s->gen != conn_gen) {
		if (s->name[0] == '\0')
			snprintf(s->name, sizeof(s->name), "s%u", ++stmt_seq);
		res = PQprepare(conn, s->name, s->sql, s->nparams, NULL);
		if (!result_ok(res)) {
			last_status = classify(res, s->name);
			if (last_status != DB_UNAVAILABLE)
				log_error("prepare %s failed: %s", s->name, PQresultErrorMessage(res));
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		s->gen = conn_gen;
	}
	res = PQexecPrepared(conn, s->name, s->nparams, params, NULL, NULL, 0);
	if (!result_ok(res)) {
		last_status = classify(res, s->name);
		PQclear(res);
		return NULL;
	}
	last_status = DB_OK;
	last_constraint[0] = '\0';
	return res;
}

PGresult *
db_exec(struct db_stmt *s, const char *const *params)
{
	PGresult *res = exec_once(s, params);

	/* A server restart kills the connection: retry once, unless a transaction was open. */
	if (res == NULL && last_status == DB_UNAVAILABLE && !in_tx && conn != NULL &&
	    PQstatus(conn) != CONNECTION_OK) {
		db_close();
		res = exec_once(s, params);
	}
	if (res == NULL && last_status == DB_UNAVAILABLE && in_tx) {
		db_close();		/* the transaction is gone with the connection */
	}
	return res;
}

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

/* The prepared statement for sql on this connection, preparing it if needed; NULL on failure. */
static struct dyn *
dyn_prepare(const char *sql, int nparams)
{
	struct dyn	*d = NULL, *victim = &dyn[0];
	PGresult	*res;

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
	d = victim;
	if (d->sql != NULL && d->gen == conn_gen) {
		char dealloc[32];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", d->name);
		PQclear(PQexec(conn, dealloc));
	}
	free(d->sql);
	d->sql = NULL;
	snprintf(d->name, sizeof(d->name), "d%u", ++dyn_seq);
	res = PQprepare(conn, d->name, sql, nparams, NULL);
	if (!result_ok(res)) {
		last_status = classify(res, "dynamic query");
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	if ((d->sql = strdup(sql)) == NULL) {
		char dealloc[32];

		snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", d->name);
		PQclear(PQexec(conn, dealloc));
		return NULL;
	}
	d->gen = conn_gen;
	d->used = ++dyn_clock;
	return d;
}

PGresult *
db_exec_sql(const char *sql, int nparams, const char *const *params)
{
	PGresult	*res;
	struct dyn	*d = NULL;

	if (!db_connect()) {
		last_status = DB_UNAVAILABLE;
		return NULL;
	}
	log_debug("dynamic query: %s", sql);	/* whitelisted names and $n only: no values */
	if (strlen(sql) < DYN_SQL_MAX) {
		last_status = DB_OK;
		if ((d = dyn_prepare(sql, nparams)) == NULL && last_status != DB_OK) {
			if (last_status == DB_UNAVAILABLE && in_tx)
				db_close();
			return NULL;	/* the prepare's failure is the query's */
		}
	}
	res = d != NULL ? PQexecPrepared(conn, d->name, nparams, params, NULL, NULL, 0) :
	    PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!result_ok(res)) {
		last_status = classify(res, "dynamic query");
		PQclear(res);
		if (last_status == DB_UNAVAILABLE && in_tx)
			db_close();
		return NULL;
	}
	last_status = DB_OK;
	return res;
}

static enum db_status
simple(const char *sql)
{
	PGresult *res;

	if (!db_connect())
		return last_status = DB_UNAVAILABLE;
	res = PQexec(conn, sql);
	if (!result_ok(res)) {
		last_status = classify(res, sql);
		PQclear(res);
		return last_status;
	}
	PQclear(res);
	return last_status = DB_OK;
}

DB_STMT(st_set_tenant, 1, "SELECT set_config('gatehouse.org_id', $1, true)");

enum db_status
db_tenant(int64_t org_id)
{
	char		 org[24];
	const char	*p[1] = { org };
	PGresult	*res;
	enum db_status	 st;

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	if ((res = db_exec(&st_set_tenant, p)) == NULL) {
		st = last_status;
		db_rollback();
		return last_status = st;
	}
	PQclear(res);
	return DB_OK;
}

enum db_status
db_begin(int64_t org_id)
{
	enum db_status st;

	if (in_tx)
		db_rollback();
	st = simple("BEGIN");
	if (st == DB_UNAVAILABLE && conn != NULL && PQstatus(conn) != CONNECTION_OK) {
		db_close();
		st = simple("BEGIN");
	}
	if (st != DB_OK)
		return st;
	in_tx = true;
	return db_tenant(org_id);
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
	PGresult	*res;
	bool		 ok;

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
		res = PQexec(conn, sql);
		free(sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok) {
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

enum db_status
db_commit(void)
{
	PGresult	*res;
	enum db_status	 st;

	in_tx = false;
	if (!db_connect())
		return last_status = DB_UNAVAILABLE;
	res = PQexec(conn, "COMMIT");
	if (!result_ok(res))
		st = classify(res, "COMMIT");
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK: that is a failure. */
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		log_error("COMMIT rolled back a failed transaction");
		st = DB_ERROR;
	} else
		st = DB_OK;
	PQclear(res);
	return last_status = st;
}

void
db_rollback(void)
{
	if (in_tx && conn != NULL && PQstatus(conn) == CONNECTION_OK) {
		PGresult *res = PQexec(conn, "ROLLBACK");
		PQclear(res);
	}
	in_tx = false;
}

void
db_request_end(void)
{
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
