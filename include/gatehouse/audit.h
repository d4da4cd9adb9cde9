/* audit.h: append-only audit events, written inside the transaction of the change. */
#ifndef GATEHOUSE_AUDIT_H
#define GATEHOUSE_AUDIT_H

#include "gatehouse/core.h"

/*
 * Records action on target with changes (a JSON object text, "{}" when none;
 * never secrets). Must run inside db_begin(ctx->org_id). 0 on success.
 */
int	audit_write(struct core_ctx *, const char *action, const char *target_type,
	    const char *target_id, const char *changes_json);

#endif
