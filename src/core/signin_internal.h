/*
 * signin_internal.h: what the files of sign-in share — signin.c (the
 * password and sessions), signin_totp.c and signin_webauthn.c (the second
 * factors). Not for other modules: they use gatehouse/signin.h.
 */
#ifndef GATEHOUSE_SIGNIN_INTERNAL_H
#define GATEHOUSE_SIGNIN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/level.h"
#include "gatehouse/seal.h"
#include "gatehouse/signin.h"
#include "gatehouse/totp.h"

/* The account a sign-in is about. */
struct signin_user {
	int64_t		 id;
	const char	*uid, *username, *email;
	const char	*hash;		/* NULL: no password */
	enum level	 level;
	bool		 active, local, locked, mfa_required, totp, webauthn;
};

/* The user as the actor of what they do themselves. */
void		 signin_actor(struct principal *, int64_t org_id, const struct signin_user *);
/* An audit event by the user (NULL: someone naming no account), inside the transaction. */
enum core_status signin_audit(struct core_ctx *, const struct signin_user *, const char *action,
		    const char *changes, struct core_err *);
/* One row of login_events, inside the transaction. */
enum core_status signin_event(struct core_ctx *, int64_t user_id, bool success, const char *method,
		    struct core_err *);
/* A new session of the user (passed: no factor due) bound to a form token's digest; its cookie in out. */
enum core_status signin_session_new(struct core_ctx *, int64_t user_id, bool passed,
		    const unsigned char *csrf_digest, struct signin_result *out, struct core_err *);
/* A sign-in completed by method: last_login_at, the login event and user.login. */
enum core_status signin_done(struct core_ctx *, const struct signin_user *, const char *method,
		    struct core_err *);

/* Ends session old_id and starts a passed one for the user (a new cookie: no fixation). */
enum core_status signin_session_replace(struct core_ctx *, const struct session *old,
		    struct signin_result *out, struct core_err *);

/*
 * The client address's throttle, which password and code failures share:
 * CORE_UNAVAILABLE naming "address" with *wait seconds while it must wait;
 * and one more failure counted against it (no address: nothing).
 */
enum core_status signin_address_check(struct core_ctx *, int *wait, struct core_err *);
enum core_status signin_address_failed(struct core_ctx *, struct core_err *);

/* --- TOTP secrets at rest (totp_secret.c) ------------------------------------------- */

/* Characters of a sealed secret as hex, its NUL included. */
#define TOTP_SEALED_HEX	(2 * (TOTP_SECRET_BYTES + SEAL_REST_OVERHEAD) + 1)

/* The user's secret (n bytes) sealed under the current key, as hex for decode($n, 'hex'); 0 or -1. */
int		 totp_secret_seal(int64_t org_id, int64_t user_id, const unsigned char *key, size_t n,
		    char hex[TOTP_SEALED_HEX]);
/*
 * The secret of a row from its columns as hex — plain (from before sealing)
 * or sealed, the other NULL — into key; its length, or 0 when it does not
 * open (logged, without the secret). *stale: it is to be sealed again
 * (totp_secret_store), being plain or under the old key.
 */
size_t		 totp_secret_open(int64_t org_id, int64_t user_id, const char *plain,
		    const char *sealed, unsigned char key[TOTP_SECRET_BYTES], bool *stale);
/* Stores the secret sealed under the current key in the user's row, inside the transaction. */
enum core_status totp_secret_store(struct core_ctx *, int64_t user_id, const unsigned char *key,
		    size_t n, struct core_err *);

/*
 * A failed second factor (method "totp" or "webauthn"): counted against the
 * account and the address, recorded and audited as user.login_failed with
 * reason, and committed.
 */
enum core_status signin_factor_failed(struct core_ctx *, const struct signin_user *,
		    const char *method, const char *reason, struct core_err *);
/* The session's user, its row locked; CORE_UNAUTHORIZED when it may no longer sign in. */
enum core_status signin_load_user(struct core_ctx *, const struct session *,
		    struct signin_user *, struct core_err *);

#endif
