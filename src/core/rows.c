/* rows.c: statement results into core records, so each module says only how a row fills one. */
#include <stddef.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "rows.h"

void
rows_fill(const struct rows_kind *k, struct arena *a, PGresult *r, int row, void *out)
{
	char *rec = out;

	if (k->cols == NULL) {
		k->fill(a, r, row, out);
		return;
	}
	for (int i = 0; i < k->ncols; i++) {
		void *field = rec + k->cols[i].off;

		switch (k->cols[i].type) {
		case ROWS_T_INT:
			*(int64_t *)field = db_int(r, row, i);
			break;
		case ROWS_T_TEXT:
			*(const char **)field = db_text(a, r, row, i);
			break;
		case ROWS_T_SKIP:
			break;
		}
	}
}

enum core_status
rows_take_one(struct core_ctx *c, PGresult *r, const struct rows_kind *k, void *out,
    const char *field, const char *msg, struct core_err *e)
{
	enum core_status st = CORE_OK;

	if (PQntuples(r) != 1 || PQnfields(r) != k->ncols)
		st = core_fail(e, CORE_NOT_FOUND, field, "%s", msg);
	else
		rows_fill(k, c->arena, r, 0, out);
	PQclear(r);
	return st;
}

enum core_status
rows_take(struct core_ctx *c, PGresult *r, const struct rows_kind *k, void **out, size_t *n,
    struct core_err *e)
{
	char *v;

	*n = (size_t)PQntuples(r);
	if ((v = arena_alloc(c->arena, (*n ? *n : 1) * k->size)) == NULL) {
		*n = 0;
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < *n; i++)
		rows_fill(k, c->arena, r, (int)i, v + i * k->size);
	PQclear(r);
	*out = v;
	return CORE_OK;
}

enum core_status
rows_one(struct core_ctx *c, struct db_stmt *stmt, const char *const *p,
    const struct rows_kind *k, void *out, const char *field, const char *msg, struct core_err *e)
{
	struct db_query	 q = DB_QUERY(stmt, p);
	enum core_status st;

	if ((st = core_read(c, &q, 1, field ? field : k->what, e)) != CORE_OK)
		return st;
	return rows_take_one(c, q.res, k, out, field, msg, e);
}

enum core_status
rows_read(struct core_ctx *c, struct db_stmt *stmt, const char *param, const struct rows_kind *k,
    const char *what, void **out, size_t *n, struct core_err *e)
{
	const char *p[1] = { param };

	return rows_fetch(c, stmt, param ? p : NULL, k, what, out, n, e);
}

enum core_status
rows_fetch(struct core_ctx *c, struct db_stmt *stmt, const char *const *params,
    const struct rows_kind *k, const char *what, void **out, size_t *n, struct core_err *e)
{
	struct db_query	 q = DB_QUERY(stmt, params);
	enum core_status st;

	*n = 0;
	if ((st = core_read(c, &q, 1, what, e)) != CORE_OK)
		return st;
	return rows_take(c, q.res, k, out, n, e);
}

enum core_status
rows_page(struct core_ctx *c, struct db_stmt *list, struct db_stmt *count,
    const char *const *params, const struct rows_kind *k, const char *what, void **out, size_t *n,
    int64_t *total, struct core_err *e)
{
	struct db_query	 q[2] = { DB_QUERY(list, params), DB_QUERY(count, params) };
	enum core_status st;

	*n = 0;
	*total = 0;
	if ((st = core_read(c, q, 2, what, e)) != CORE_OK)
		return st;
	*total = db_int(q[1].res, 0, 0);
	PQclear(q[1].res);
	return rows_take(c, q[0].res, k, out, n, e);
}

PGresult *
rows_on(struct db_stmt *stmt, int64_t id, const char *arg, const char *what, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[2] = { sid, arg };
	PGresult	*r;

	core_id_text(id, sid);
	if ((r = db_exec(stmt, p)) == NULL)
		core_db_fail(e, what);
	return r;
}

enum core_status
rows_exec_on(struct db_stmt *stmt, int64_t id, const char *arg, const char *what,
    struct core_err *e)
{
	PGresult *r;

	if ((r = rows_on(stmt, id, arg, what, e)) == NULL)
		return e->status;
	PQclear(r);
	return CORE_OK;
}

enum core_status
rows_defer_on(struct db_stmt *stmt, int64_t id, const char *what, struct core_err *e)
{
	char		 sid[CORE_ID_LEN];
	const char	*p[1] = { sid };

	core_id_text(id, sid);
	if (db_defer(stmt, p) != DB_OK)
		return core_db_fail(e, what);
	return CORE_OK;
}

DB_STMT(st_touch_user, 1,
    "UPDATE gatehouse.users SET version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

enum core_status
rows_touch_user(int64_t id, struct core_err *e)
{
	return rows_defer_on(&st_touch_user, id, "user", e);
}

enum core_status
rows_int_on(struct db_stmt *stmt, int64_t id, const char *what, int64_t *out, struct core_err *e)
{
	PGresult *r;

	if ((r = rows_on(stmt, id, NULL, what, e)) == NULL)
		return e->status;
	*out = db_int(r, 0, 0);
	PQclear(r);
	return CORE_OK;
}
