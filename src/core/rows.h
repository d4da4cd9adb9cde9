/*
 * rows.h: statement results into core records — one row or every row, in
 * the caller's transaction or as a read of their own — for the modules of
 * src/core (not in include/: no surface reads rows).
 */
#ifndef GATEHOUSE_ROWS_H
#define GATEHOUSE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "gatehouse/core.h"

struct arena;
struct db_stmt;

/* Copies row of r into out, strings into the arena. */
typedef void (*rows_fill_fn)(struct arena *, PGresult *r, int row, void *out);

/*
 * Column i of a row fills cols[i]: an int64_t (NULL is 0) or a string in the
 * arena (NULL stays NULL), or nothing (ROWS_SKIP: a column the record does
 * not keep). ROWS_INT and ROWS_TEXT on a field of another type draw an
 * incompatible-pointer diagnostic (an error in --enable-debug builds).
 */
enum rows_type { ROWS_T_INT, ROWS_T_TEXT, ROWS_T_SKIP };
struct rows_col {
	enum rows_type	 type;
	size_t		 off;		/* of the field in the record */
};
#define ROWS_INT(rec, f) \
	{ ROWS_T_INT, offsetof(rec, f) + 0 * sizeof((int64_t *){ &((rec *)0)->f }) }
#define ROWS_TEXT(rec, f) \
	{ ROWS_T_TEXT, offsetof(rec, f) + 0 * sizeof((const char **){ &((rec *)0)->f }) }
#define ROWS_SKIP	{ ROWS_T_SKIP, 0 }

/* A kind of record and how a row becomes one: by its column map, or by fill. */
struct rows_kind {
	const char		*what;		/* names it in a database failure: "team" */
	int			 ncols;		/* columns a row of it has */
	size_t			 size;		/* bytes of one record */
	const struct rows_col	*cols;		/* ncols of them, or NULL when fill does it */
	rows_fill_fn		 fill;
};

/* Fills out from row of r as the kind says. */
void	rows_fill(const struct rows_kind *, struct arena *, PGresult *, int row, void *out);

/*
 * Fills out from r, which must hold one row of the kind's columns; no such
 * row is CORE_NOT_FOUND with msg, naming field (or none). Clears r.
 */
enum core_status rows_take_one(struct core_ctx *, PGresult *r, const struct rows_kind *,
		    void *out, const char *field, const char *msg, struct core_err *);
/* Fills an arena array with every row of r; clears r. */
enum core_status rows_take(struct core_ctx *, PGresult *r, const struct rows_kind *, void **out,
		    size_t *n, struct core_err *);
/*
 * Runs stmt, which must answer one row of the kind's columns, and fills out
 * (rows_take_one). Inside the caller's transaction, or outside one as a read
 * of its own (core_read): one round trip either way.
 */
enum core_status rows_one(struct core_ctx *, struct db_stmt *, const char *const *params,
		    const struct rows_kind *, void *out, const char *field, const char *msg,
		    struct core_err *);
/*
 * Runs stmt (one parameter, or none when param is NULL) and fills an arena
 * array with every row; what names the list in a database failure. Inside
 * the caller's transaction, or outside one as a read of its own.
 */
enum core_status rows_read(struct core_ctx *, struct db_stmt *, const char *param,
		    const struct rows_kind *, const char *what, void **out, size_t *n,
		    struct core_err *);
/* rows_read of a statement with any number of parameters. */
enum core_status rows_fetch(struct core_ctx *, struct db_stmt *, const char *const *params,
		    const struct rows_kind *, const char *what, void **out, size_t *n,
		    struct core_err *);
/*
 * One page of a list and the total it is a page of, in one round trip: list
 * fills the array as rows_fetch does, count answers the total in one cell;
 * both take params (count reads only its own first ones). Inside the
 * caller's transaction, or outside one as a read of its own.
 */
enum core_status rows_page(struct core_ctx *, struct db_stmt *list, struct db_stmt *count,
		    const char *const *params, const struct rows_kind *, const char *what,
		    void **out, size_t *n, int64_t *total, struct core_err *);

/*
 * Runs stmt on one record inside the caller's transaction: $1 is id, and $2,
 * for statements that take it, arg. The result (the caller PQclears it), or
 * NULL with the failure, named what, in e.
 */
PGresult	*rows_on(struct db_stmt *, int64_t id, const char *arg, const char *what,
		    struct core_err *);
/* rows_on for the statement's effect alone. */
enum core_status rows_exec_on(struct db_stmt *, int64_t id, const char *arg, const char *what,
		    struct core_err *);
/*
 * rows_exec_on without waiting: the statement goes with the transaction's
 * next round trip (db_defer), and a failure of it is that one's.
 */
enum core_status rows_defer_on(struct db_stmt *, int64_t id, const char *what, struct core_err *);
/*
 * The user's representation changed though no column of its row did (an MFA
 * factor added or removed): its version and updated_at move, so ETags and
 * caches see it. Deferred, as rows_defer_on.
 */
enum core_status rows_touch_user(int64_t id, struct core_err *);
/* rows_on for the integer (a count) in the first cell of its answer. */
enum core_status rows_int_on(struct db_stmt *, int64_t id, const char *what, int64_t *out,
		    struct core_err *);

#endif
