/* fail.c: core failure records and their HTTP statuses, apart from the database so pure parsers link alone. */
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

int
core_http_status(enum core_status s)
{
	static const int map[CORE__MAX] = {
		[CORE_OK] = 200, [CORE_INVALID] = 400, [CORE_UNAUTHORIZED] = 401,
		[CORE_FORBIDDEN] = 403, [CORE_NOT_FOUND] = 404, [CORE_CONFLICT] = 409,
		[CORE_PRECONDITION] = 412, [CORE_UNAVAILABLE] = 503, [CORE_INTERNAL] = 500,
	};

	return s < CORE__MAX ? map[s] : 500;
}
