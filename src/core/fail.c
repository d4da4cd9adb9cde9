/* fail.c: core failure records and the pure checks that make them, apart from the database so pure code links alone. */
#include <stdarg.h>
#include <stdio.h>

#include "gatehouse/core.h"

enum core_status
core_fail(struct core_err *e, enum core_status st, const char *field, const char *fmt, ...)
{
	va_list ap;

	e->status = st;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum core_status
core_check_version(int have, int want, const char *what, struct core_err *e)
{
	if (want == CORE_ANY_VERSION || want == have)
		return CORE_OK;
	return core_fail(e, CORE_PRECONDITION, NULL,
	    "the %s has changed: its version is %d", what, have);
}

enum core_status
core_check_page(int limit, struct core_err *e)
{
	if (limit < 1 || limit > CORE_PAGE_MAX)
		return core_fail(e, CORE_INVALID, "limit", "limit must be from 1 to %d", CORE_PAGE_MAX);
	return CORE_OK;
}

enum core_status
core_check_offset_page(int offset, int limit, struct core_err *e)
{
	if (core_check_page(limit, e) != CORE_OK)
		return e->status;
	if (offset < 0 || offset > CORE_OFFSET_MAX)
		return core_fail(e, CORE_INVALID, "offset", "offset must be from 0 to %d",
		    CORE_OFFSET_MAX);
	return CORE_OK;
}
