/*
 * signin.h: people's sign-in through the pages — a password (with lockout
 * and a growing delay per client address), then a second factor when the
 * account has one or must enrol one, and the session that follows: a random
 * cookie stored only as its digest, with idle and absolute timeouts.
 */
#ifndef GATEHOUSE_SIGNIN_H
#define GATEHOUSE_SIGNIN_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/principal.h"
#include "gatehouse/secret.h"

/* A session cookie's value: <org>.<secret>. */
#define SESSION_COOKIE_MAX	(24 + 1 + SECRET_LEN + 1)

/* An address's failed sign-ins before each further one waits, and the longest wait (seconds). */
#define SIGNIN_FREE_FAILURES	5
#define SIGNIN_DELAY_MAX	60
/* An address without a failure for this long (seconds) starts afresh. */
#define SIGNIN_QUIET_S		3600

/* Where a session stands. */
enum signin_stage {
	SIGNIN_DONE,		/* signed in */
	SIGNIN_TOTP,		/* the password was right; a second factor is due: a TOTP or
				   recovery code, or a security key */
	SIGNIN_ENROL,		/* the password was right; TOTP or a security key must be
				   enrolled before anything else */
};

struct signin_result {
	enum signin_stage	 stage;
	char			 cookie[SESSION_COOKIE_MAX];	/* the new session's; wiped by the caller */
	int			 retry_after;			/* seconds, when the address must wait */
};

/*
 * Signs in to the org named org_name with a username or e-mail address
 * (login) and a password; c->address is the client's. csrf is the form
 * token the browser holds: the session's forms must carry that one. On
 * success a new session (its stage in out), last_login_at set when no second factor is
 * due, a password hashed with weaker parameters than today's rehashed, and
 * user.login audited. Every failure — no such org or account, a wrong
 * password, an account locked, disabled, suspended, pending or without local
 * sign-in — is the same CORE_UNAUTHORIZED "wrong username or password" after
 * the same work (a password is verified against a dummy hash when there is
 * no account), is counted against the account and the address, and is
 * audited (user.login_failed) with the address. The org's lockout_threshold
 * failures in a row lock the account for lockout_s. An address past
 * SIGNIN_FREE_FAILURES waits 2^(failures - SIGNIN_FREE_FAILURES) seconds
 * (at most SIGNIN_DELAY_MAX) between attempts: an attempt sooner is
 * CORE_UNAVAILABLE naming "address", with out->retry_after.
 */
enum core_status signin_password(struct core_ctx *, const char *org_name, const char *login,
		    const char *password, const char *csrf, struct signin_result *out,
		    struct core_err *);

/* A live session, and its user as the actor of what they do through the pages. */
struct session {
	int64_t			 id;
	enum signin_stage	 stage;
	const char		*org_name;
	const char		*username;
	const char		*email;
	bool			 summary_email;
	bool			 totp_enabled;
	int			 webauthn_keys;	/* security keys registered */
	unsigned char		 csrf_digest[SECRET_DIGEST_LEN];
	struct principal	 actor;		/* session_id set */
};

/*
 * The session of a cookie: CORE_UNAUTHORIZED when it is malformed, unknown,
 * past its absolute expiry or idle longer than the org's session_idle_s, or
 * its user may no longer sign in. A live one's idle clock restarts. Sets
 * c->org_id to the session's org and c->actor to out->actor.
 */
enum core_status signin_session(struct core_ctx *, const char *cookie, struct session *out,
		    struct core_err *);
/* Whether csrf is the session's form token (compared in constant time). */
bool		 signin_csrf_ok(const struct session *, const char *csrf);
/* Ends the session, or every session of its user (everywhere). */
enum core_status signin_logout(struct core_ctx *, const struct session *, bool everywhere,
		    struct core_err *);

/* --- the second factor (signin_totp.c) ---------------------------------------------- */

#define RECOVERY_CODES		10
#define RECOVERY_LEN		12	/* "xxxxx-xxxxx" and its NUL */

/*
 * The second step of a session at SIGNIN_TOTP: a TOTP code (accepted once:
 * a code of a step already used, or older, is wrong) or one of the user's
 * recovery codes (each single use). On success a new session replaces this
 * one (out) and the sign-in completes (last_login_at, user.login). A wrong
 * code counts as a failed sign-in toward the lockout and is
 * CORE_UNAUTHORIZED "wrong code", as is any code while the account is locked.
 */
enum core_status signin_totp(struct core_ctx *, const struct session *, const char *code,
		    struct signin_result *out, struct core_err *);
/*
 * The secret a user without TOTP enrols (base32 into secret, TOTP_B32_MAX
 * bytes): the one waiting for confirmation, or a new one. CORE_CONFLICT when
 * the user has TOTP already.
 */
enum core_status signin_totp_begin(struct core_ctx *, const struct session *, char *secret,
		    struct core_err *);
/*
 * Confirms the waiting secret with a code from it (CORE_INVALID naming "code"
 * otherwise) and makes RECOVERY_CODES new recovery codes, shown once: only
 * their digests are kept. A session that had to enrol is replaced by one
 * that passed (out->cookie); one that had passed already stays (out->cookie
 * empty). Audited as user.totp_enrol.
 */
enum core_status signin_totp_confirm(struct core_ctx *, const struct session *, const char *code,
		    char codes[RECOVERY_CODES][RECOVERY_LEN], struct signin_result *out,
		    struct core_err *);
/*
 * Seals under the current key every TOTP secret of every org that is not:
 * plain ones from before sealing, and those under a key rotated out (seal.h,
 * totp_secret.c). Each org in a transaction of its own (c->org_id is set to
 * each, then 0); counts are logged, never secrets. Idempotent: the job
 * runner runs it at each start.
 */
enum core_status totp_secrets_seal(struct core_ctx *, struct core_err *);

/* --- security keys (signin_webauthn.c) ---------------------------------------------- */

#define WEBAUTHN_KEYS_MAX	10	/* a user's security keys */
#define WEBAUTHN_LABEL_MAX	64	/* bytes of a key's label */
#define WEBAUTHN_CHALLENGE_S	300	/* seconds a challenge is good for */
#define WEBAUTHN_B64_CHALLENGE	44	/* base64url of 32 bytes, NUL-terminated */

struct webauthn_rp;

/* One of the user's security keys, as /account lists it. */
struct webauthn_key {
	int64_t		 id;
	const char	*label;
	const char	*created_at;		/* ISO 8601 */
	const char	*last_used_at;		/* NULL: never used to sign in */
	bool		 user_verified;		/* the last use (or registration) verified the user */
};

/* What a page hands navigator.credentials: a fresh challenge and the user's key ids. */
struct webauthn_begin {
	char		 challenge[WEBAUTHN_B64_CHALLENGE];	/* base64url */
	const char	**cred_ids;				/* base64url, n of them */
	size_t		 n;
};

/*
 * A new challenge for the session, for a registration (create) or a
 * sign-in (!create), replacing the one it had for that purpose; out->cred_ids
 * are the user's keys (to exclude at registration, to allow at sign-in).
 */
enum core_status signin_webauthn_begin(struct core_ctx *, const struct session *, bool create,
		    struct webauthn_begin *out, struct core_err *);
/*
 * Registers a security key for the session's user: label (one line, 1 to
 * WEBAUTHN_LABEL_MAX bytes), and the browser's clientDataJSON and
 * attestationObject (base64url), answering the session's registration
 * challenge, which this takes whatever the outcome. CORE_INVALID naming the
 * field at fault (label, client_data, attestation; "credential" when the
 * answer does not verify, "challenge" when there is no live one);
 * CORE_CONFLICT when the user has WEBAUTHN_KEYS_MAX keys or the key is
 * registered already (in this org, by anyone). A session that had to enrol
 * is replaced by one that passed (out->cookie), as TOTP enrolment does.
 * Audited as user.webauthn_register; other sessions stay (a factor added
 * makes none of them less safe).
 */
enum core_status signin_webauthn_register(struct core_ctx *, const struct session *,
		    const struct webauthn_rp *, const char *label, const char *client_data,
		    const char *attestation, struct signin_result *out, struct core_err *);
/*
 * The second step with a security key, for a session at SIGNIN_TOTP: the
 * assertion (base64url fields) must be by one of the user's own keys,
 * answer the session's sign-in challenge (taken whatever the outcome),
 * verify, show the user present, and carry a sign count above the stored
 * one (unless both are 0). Malformed fields are CORE_INVALID naming them
 * and change nothing; any other failure counts toward the lockout and the
 * address's delay like a wrong code, is audited (reason "sign count went
 * back" for a cloned authenticator), and is CORE_UNAUTHORIZED naming
 * "credential". On success as signin_totp, method "webauthn".
 */
enum core_status signin_webauthn(struct core_ctx *, const struct session *,
		    const struct webauthn_rp *, const char *credential_id, const char *client_data,
		    const char *authenticator_data, const char *signature, struct signin_result *out,
		    struct core_err *);
/* The session's user's security keys, oldest first (arena arrays). */
enum core_status signin_webauthn_keys(struct core_ctx *, const struct session *,
		    struct webauthn_key **out, size_t *n, struct core_err *);
/*
 * Removes one of the session's user's keys (key: its id); CORE_NOT_FOUND
 * naming "key" when it is not theirs. Every other session of the user ends,
 * as when a factor is reset; audited as user.webauthn_remove.
 */
enum core_status signin_webauthn_remove(struct core_ctx *, const struct session *,
		    const char *key, struct core_err *);

/*
 * Counts a failed password attempt against the account inside the
 * transaction, locking it for the org's lockout_s at its lockout_threshold
 * (failures while locked do not count); *locked: it is locked now. Sign-in
 * and a wrong current_password through the API count alike.
 */
enum core_status signin_count_failure(struct core_ctx *, int64_t user_id, bool *locked,
		    struct core_err *);

#endif
