/* outbox.h: e-mail queued in the transaction of the change that causes it, and single-use tokens. */
#ifndef GATEHOUSE_OUTBOX_H
#define GATEHOUSE_OUTBOX_H

#include <stdint.h>

#include "gatehouse/apikey.h"
#include "gatehouse/core.h"

/* Queues one message; payload is a JSON object. Runs inside the caller's transaction. */
int	outbox_queue(struct core_ctx *, const char *to, const char *template, const char *payload);

enum token_purpose { TOKEN_REGISTRATION, TOKEN_PASSWORD_RESET, TOKEN_EMAIL_CHANGE };

/*
 * Creates a single-use token for user_id valid for ttl seconds, replacing any
 * unused token of the same purpose; writes the full token (gt_<org>k<id>_<secret>)
 * to out. Only its digest is stored. Inside the caller's transaction.
 */
int	token_issue(struct core_ctx *, int64_t user_id, enum token_purpose, int ttl,
	    char out[APIKEY_MAX]);

#endif
