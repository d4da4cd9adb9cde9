/* fail.c: core failure records, apart from the database so pure parsers link alone. */
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
