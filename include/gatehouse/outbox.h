/* outbox.h: e-mail queued in the transaction of the change that causes it. */
#ifndef GATEHOUSE_OUTBOX_H
#define GATEHOUSE_OUTBOX_H

#include "gatehouse/core.h"

/* Queues one message; payload is a JSON object. Runs inside the caller's transaction. */
int	outbox_queue(struct core_ctx *, const char *to, const char *template, const char *payload);

#endif
