/* tokens.h: single-use tokens (registration, password reset, e-mail change); only their digests are kept. */
#ifndef GATEHOUSE_TOKENS_H
#define GATEHOUSE_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/secret.h"

enum token_purpose { TOKEN_REGISTRATION, TOKEN_PASSWORD_RESET, TOKEN_EMAIL_CHANGE };

/* A ttl that takes the org's lifetime for the purpose (registration_token_hours, reset_token_hours). */
#define TOKEN_TTL_ORG	0
/* An ISO 8601 UTC time as gatehouse.iso() writes it, with its NUL. */
#define TOKEN_TIME_LEN	32

/*
 * Creates a single-use token for user_id valid for ttl seconds (or
 * TOKEN_TTL_ORG), replacing any unused token of the same purpose; writes
 * the full token (gt_<org>k<id>_<secret>) to out and, when expires_at is
 * not NULL, when it stops working. Only its digest is stored. Inside the
 * caller's transaction.
 */
int	tokens_issue(struct core_ctx *, int64_t user_id, enum token_purpose, int ttl,
	    char out[SECRET_TOKEN_MAX], char *expires_at);

/* What a link's token turned out to be. */
enum token_state {
	TOKEN_VALID,		/* unused, unexpired, its user may use it */
	TOKEN_UNKNOWN,		/* malformed, never issued, another purpose's, or a wrong secret */
	TOKEN_USED,		/* used, or replaced by a newer one */
	TOKEN_EXPIRED,
	TOKEN_INACTIVE,		/* its user is disabled, suspended or removed */
	TOKEN__MAX
};

/*
 * The state of a token found in the database (found: a row of this id
 * whose digest matched, of this purpose), from its facts and its user's
 * status ("pending", "active", …). Pure: unknown comes before used, used
 * before expired, expired before the user's status.
 */
enum token_state tokens_state(bool found, bool used, bool expired, const char *user_status);

/* A link's token and the user it was issued to, for the pages that redeem it. */
struct token_info {
	enum token_state	 state;
	int64_t			 id;		/* the token's */
	int64_t			 user_id;
	const char		*user_uid;
	const char		*username;
	const char		*email;
	const char		*first_name;
	bool			 pending;	/* the user has never set a password through a link */
	bool			 password;	/* the account signs in with a password (auth "local") */
	const char		*org_name;
	int			 password_min;	/* the org's policy */
};

/*
 * Opens the transaction of the token's org (named by its public part) and
 * looks the token up, locking its row and its user's until the transaction
 * ends when lock is true. CORE_OK with the transaction open only when the
 * token is TOKEN_VALID; otherwise the transaction is over and the status is
 * CORE_NOT_FOUND (unknown) or CORE_CONFLICT (used, expired, inactive),
 * naming field "token", with out->state saying which. c->org_id is set.
 */
enum core_status tokens_open(struct core_ctx *, const char *token, enum token_purpose, bool lock,
		    struct token_info *out, struct core_err *);
/* tokens_open in a transaction of its own, for a page that only shows the form. */
enum core_status tokens_check(struct core_ctx *, const char *token, enum token_purpose,
		    struct token_info *out, struct core_err *);
/*
 * Inside the caller's transaction: marks the token used and retires every
 * other unused registration and password-reset token of its user.
 */
enum core_status tokens_consume(const struct token_info *, struct core_err *);

#endif
