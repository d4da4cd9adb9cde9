/* userattrs.h: what hangs off a user besides its fields — smart cards, workstation usernames, MFA reset. */
#ifndef GATEHOUSE_USERATTRS_H
#define GATEHOUSE_USERATTRS_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/core.h"
#include "gatehouse/users.h"

#define USER_MAX_SMARTCARDS		100
#define USER_MAX_WORKSTATION_USERNAMES	100

/*
 * Loads the user ref names inside the caller's transaction; no ref or no
 * such user is an error naming the field "user". change: the user is about
 * to be changed, so its row is locked and a user above the actor's level is
 * refused (CORE_FORBIDDEN). Shared with groups and policies.
 */
enum core_status userattrs_user(struct core_ctx *, const struct user_ref *, bool change,
		    struct user *, struct core_err *);

struct smartcard {
	const char	*number;	/* 1–64 digits */
	const char	*label;		/* at most 100 bytes; NULL is "" */
};

/*
 * Replaces the user's whole set of smart cards (n == 0 clears it) and
 * returns the stored set, by number, in *out (may be NULL). A number twice
 * in the request is CORE_INVALID; a number another user of the org holds is
 * CORE_CONFLICT unless allow_duplicates. Errors name "smartcards". One
 * transaction; one audit event (user.smartcards) unless nothing changes.
 */
enum core_status userattrs_smartcards_set(struct core_ctx *, const struct user_ref *,
		    const struct smartcard *, size_t n, bool allow_duplicates,
		    struct smartcard **out, size_t *nout, struct core_err *);
enum core_status userattrs_smartcards_get(struct core_ctx *, const struct user_ref *,
		    struct smartcard **out, size_t *n, struct core_err *);

/*
 * Replaces the user's workstation usernames (each 1–256 characters of text
 * on one line; repeats are dropped, and count once toward the limit; n == 0
 * clears) and returns the stored set in *out (may be NULL). Errors name
 * field, the caller's name for the list. One transaction; one audit event
 * (user.workstation_usernames) unless nothing changes.
 */
enum core_status userattrs_workstation_usernames_set(struct core_ctx *, const struct user_ref *,
		    const char *field, const char *const *names, size_t n, const char ***out,
		    size_t *nout, struct core_err *);
enum core_status userattrs_workstation_usernames_get(struct core_ctx *, const struct user_ref *,
		    const char ***out, size_t *n, struct core_err *);

enum mfa_kind { MFA_TOTP = 1, MFA_WEBAUTHN = 2, MFA_ALL = MFA_TOTP | MFA_WEBAUTHN };

/*
 * Deletes the user's TOTP secret, WebAuthn credentials or both, so they
 * enrol again; *out is the user afterwards. One audit event
 * (user.mfa_reset, recording what was removed) unless there was nothing to
 * remove.
 */
enum core_status userattrs_mfa_reset(struct core_ctx *, const struct user_ref *, enum mfa_kind,
		    struct user *out, struct core_err *);

#endif
