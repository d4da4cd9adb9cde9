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
#include "gatehouse/signin.h"

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

/*
 * A failed second factor (method "totp" or "webauthn"): counted against the
 * account and the address, recorded and audited as user.login_failed with
 * reason, and committed.
 */
enum core_status signin_factor_failed(struct core_ctx *, const struct signin_user *,
		    const char *method, const char *reason, struct core_err *);
/* n bytes from the first 2n hex digits of hex (a bytea the database encoded): 0, or -1. */
int		 signin_unhex(const char *hex, unsigned char *out, size_t n);
/* The session's user, its row locked; CORE_UNAUTHORIZED when it may no longer sign in. */
enum core_status signin_load_user(struct core_ctx *, const struct session *,
		    struct signin_user *, struct core_err *);

#endif
