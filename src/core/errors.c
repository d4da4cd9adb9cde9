/* errors.c: database failures, transactions and small shared helpers (pure checks are in fail.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse/core.h"
#include "gatehouse/db.h"
#include "gatehouse/validate.h"

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

enum core_status
core_begin(struct core_ctx *c, struct core_err *e)
{
	if (db_begin(c->org_id) != DB_OK)
		return core_db_fail(e, "request");
	return CORE_OK;
}

enum core_status
core_commit(struct core_err *e)
{
	if (db_commit() != DB_OK)
		return core_db_fail(e, "change");
	return CORE_OK;
}

enum core_status
core_abort(enum core_status st)
{
	db_rollback();
	return st;
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
