/* core.h: domain operations shared by every API surface and the CLI; no HTTP, no dialect. */
#ifndef GATEHOUSE_CORE_H
#define GATEHOUSE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gatehouse/apikey.h"
#include "gatehouse/principal.h"

struct arena;

enum core_status {
	CORE_OK = 0,
	CORE_INVALID,		/* 400: a field is wrong; err.field names it */
	CORE_UNAUTHORIZED,	/* 401 */
	CORE_FORBIDDEN,		/* 403 */
	CORE_NOT_FOUND,		/* 404 */
	CORE_CONFLICT,		/* 409: e.g. username taken */
	CORE_PRECONDITION,	/* 412: stale version */
	CORE_TOO_LARGE,		/* 413: more items than a request may carry */
	CORE_UNAVAILABLE,	/* 503: database down */
	CORE_INTERNAL,		/* 500 */
	CORE__MAX
};

struct core_err {
	enum core_status	status;
	char			field[64];
	char			msg[200];
};

/* A page of any list: 1 to CORE_PAGE_MAX items, CORE_PAGE_DEFAULT when not asked. */
#define CORE_PAGE_MAX		1000
#define CORE_PAGE_DEFAULT	100

/* CORE_INVALID naming "limit" unless 1 <= limit <= CORE_PAGE_MAX. */
enum core_status core_check_page(int limit, struct core_err *);
/* The most rows a list paged by number (offset) may skip: deeper pages cost a scan. */
#define CORE_OFFSET_MAX		1000000
/* core_check_page, then CORE_INVALID naming "offset" unless 0 <= offset <= CORE_OFFSET_MAX. */
enum core_status core_check_offset_page(int offset, int limit, struct core_err *);

/* Who acts, for authorisation and the audit trail. */
struct core_ctx {
	struct arena		*arena;
	int64_t			 org_id;
	const struct principal	*actor;		/* NULL: the operator CLI */
	const char		*request_id;
	const char		*address;
	/*
	 * CLOCK_MONOTONIC; zero: none (the CLI). Set below the proxy's timeout:
	 * work still going past it gives up, and a transaction that would
	 * commit past it is rolled back, so a client the proxy has already
	 * answered "failed" was not lying to.
	 */
	struct timespec		 deadline;
	const char		*surface;	/* the API it came through ("native", "scim"); NULL: none */
};

enum core_status core_fail(struct core_err *, enum core_status, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Maps the last database failure to a core status with a message. */
enum core_status core_db_fail(struct core_err *, const char *what);
/* core_db_fail, but a uniqueness violation is CORE_CONFLICT naming field, with the message. */
enum core_status core_taken(struct core_err *, const char *field, const char *what,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The actor's access level; the operator CLI (no actor) acts with full authority. */
enum level	 core_actor_level(const struct core_ctx *);
/* The version a write expects (If-Match): any, one (>= 0), or none that can match. */
#define CORE_ANY_VERSION	(-1)
#define CORE_NO_VERSION		(-2)	/* a precondition no version meets: 412 if the resource exists */
/* CORE_PRECONDITION unless want is CORE_ANY_VERSION or equals have. */
enum core_status core_check_version(int have, int want, const char *what, struct core_err *);
/* CORE_INVALID naming field unless v is 1 to max bytes of text on one line. */
enum core_status core_check_line(const char *v, const char *field, size_t max, struct core_err *);

/* An id as the text of a statement parameter. */
#define CORE_ID_LEN	24
void		 core_id_text(int64_t id, char buf[CORE_ID_LEN]);

/* NULL when the service can answer, else why not; *schema_version is the one it needs. */
const char	*core_ready(int *schema_version);

/*
 * One transaction per change: core_begin sets the tenant; core_commit
 * commits, unless the ctx's deadline has passed and the transaction wrote:
 * then it rolls back and fails CORE_UNAVAILABLE; core_abort rolls back and
 * returns st, for `return core_abort(…)`. A read needs none: see core_read.
 */
enum core_status core_begin(struct core_ctx *, struct core_err *);
enum core_status core_commit(struct core_err *);
enum core_status core_abort(enum core_status st);
/* Ends the transaction as st says: core_commit when CORE_OK, else core_abort(st). */
enum core_status core_end(enum core_status st, struct core_err *);
/* True once the ctx's deadline, if it has one, has passed. */
bool		 core_late(const struct core_ctx *);
/* CORE_UNAVAILABLE, saying the request ran out of time and changed nothing. */
enum core_status core_too_late(struct core_err *);
/*
 * Runs the queries in one round trip (db_read): inside the open transaction,
 * or outside one as a read of its own, read-only, with the context's org as
 * the tenant. A failure is named what. Each query's res is the caller's.
 */
struct db_query;
enum core_status core_read(struct core_ctx *, struct db_query *, size_t n, const char *what,
		    struct core_err *);

#endif
