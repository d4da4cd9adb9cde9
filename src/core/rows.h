/*
 * rows.h: statement results into core records — one row, every row, or a
 * whole list in its own transaction — for the modules of src/core (not in
 * include/: no surface reads rows).
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

/* A kind of record and how a row becomes one. */
struct rows_kind {
	const char	*what;		/* names it in a database failure: "team" */
	int		 ncols;		/* columns a row of it has */
	size_t		 size;		/* bytes of one record */
	rows_fill_fn	 fill;
};

/*
 * Runs stmt, which must answer one row of the kind's columns, and fills out.
 * No such row is CORE_NOT_FOUND with msg, naming field (or none). Inside the
 * caller's transaction.
 */
enum core_status rows_one(struct core_ctx *, struct db_stmt *, const char *const *params,
		    const struct rows_kind *, void *out, const char *field, const char *msg,
		    struct core_err *);
/*
 * Runs stmt (one parameter, or none when param is NULL) and fills an arena
 * array with every row; what names the list in a database failure. Inside
 * the caller's transaction.
 */
enum core_status rows_read(struct core_ctx *, struct db_stmt *, const char *param,
		    const struct rows_kind *, const char *what, void **out, size_t *n,
		    struct core_err *);
/* rows_read in a transaction of its own. */
enum core_status rows_list(struct core_ctx *, struct db_stmt *, const char *param,
		    const struct rows_kind *, const char *what, void **out, size_t *n,
		    struct core_err *);
/* Runs stmt, whose one parameter is id, for its effect; what names it in a failure. */
enum core_status rows_exec_id(struct db_stmt *, int64_t id, const char *what, struct core_err *);

#endif
