/* tokens.h: single-use tokens (registration, password reset, e-mail change); only their digests are kept. */
#ifndef GATEHOUSE_TOKENS_H
#define GATEHOUSE_TOKENS_H

#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/secret.h"

enum token_purpose { TOKEN_REGISTRATION, TOKEN_PASSWORD_RESET, TOKEN_EMAIL_CHANGE };

/*
 * Creates a single-use token for user_id valid for ttl seconds, replacing any
 * unused token of the same purpose; writes the full token (gt_<org>k<id>_<secret>)
 * to out. Only its digest is stored. Inside the caller's transaction.
 */
int	tokens_issue(struct core_ctx *, int64_t user_id, enum token_purpose, int ttl,
	    char out[SECRET_TOKEN_MAX]);

#endif
