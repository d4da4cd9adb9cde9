/* users.h: the user domain — records, field rules, lifecycle, levels and roles. */
#ifndef GATEHOUSE_USERS_H
#define GATEHOUSE_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/core.h"
#include "gatehouse/filter.h"
#include "gatehouse/tokens.h"

/* Every attribute a client may set, in one table (see ufields[]). */
enum ufield {
	UF_USERNAME, UF_EMAIL, UF_FIRST_NAME, UF_MIDDLE_NAME, UF_LAST_NAME,
	UF_PREFERRED_FIRST_NAME, UF_TITLE, UF_DEPARTMENT, UF_EMPLOYEE_TYPE,
	UF_START_DATE, UF_END_DATE, UF_IN_AUDIT_SCOPE, UF_AUTH_METHOD, UF_TEAM,
	UF_ACCESS_LEVEL, UF_ROLES, UF_NOTE, UF_SUMMARY_EMAIL, UF_MFA_REQUIRED,
	UF__MAX
};

enum ufkind { UFK_TEXT, UFK_USERNAME, UFK_EMAIL, UFK_ENUM, UFK_DATE, UFK_BOOL, UFK_LEVEL,
	UFK_ROLES, UFK_TEAM };

struct ufield_def {
	const char		*name;
	enum ufkind		 kind;
	size_t			 max;		/* bytes, for text */
	const char *const	*choices;	/* UFK_ENUM */
	bool			 nullable;	/* may be cleared with null */
};

extern const struct ufield_def ufields[UF__MAX];
/* Index of a field by its native name, or -1. */
int		 ufield_find(const char *name);

/*
 * A set of validated changes. val[f] is the canonical text (NULL clears a
 * nullable field); roles lists product role names.
 */
#define USER_MAX_ROLES	32
struct user_patch {
	bool		 set[UF__MAX];
	const char	*val[UF__MAX];
	const char	*roles[USER_MAX_ROLES];
	size_t		 nroles;
};

/*
 * Validates value for field f and records it in the patch. value NULL means
 * "clear" (refused for fields that cannot be empty). For UF_ROLES, value is
 * one role and may be given repeatedly (the first call resets the list).
 */
enum core_status user_patch_set(struct arena *, struct user_patch *, enum ufield,
		    const char *value, struct core_err *);

enum user_status { US_PENDING, US_ACTIVE, US_DISABLED, US_SUSPENDED, US_REMOVED, US__MAX };
const char	*user_status_name(enum user_status);

struct user {
	int64_t		 id;
	const char	*uid;
	const char	*val[UF__MAX];	/* current attributes, canonical text; NULL when unset */
	const char	*roles[USER_MAX_ROLES];
	size_t		 nroles;
	enum level	 level;
	enum user_status status;
	const char	*disabled_reason;
	bool		 has_password;
	bool		 totp_enabled;
	bool		 webauthn_enabled;
	const char	*last_login_at, *invited_at, *confirmed_at, *locked_until;
	const char	*agent_acknowledged_at, *created_at, *updated_at;
	int		 version;
};

/* How a client names a user. */
enum user_key { UKEY_UID, UKEY_ID, UKEY_USERNAME, UKEY_EMAIL };
struct user_ref {
	enum user_key	 kind;
	const char	*value;
};

/* How a new account gets its credential. */
struct user_create {
	struct user_patch	 p;
	const char		*password;	/* set by the admin; NULL for none */
	bool			 invite;	/* pending, with a registration token and e-mail */
	bool			 send_email;	/* queue the invitation e-mail (default true) */
	bool			 keys_only;	/* operator only: an active account used through API keys */
	size_t			 password_min;	/* characters a password needs, when more than the org's */
};

/* Creates one user (one transaction, one audit event). */
enum core_status users_create(struct core_ctx *, const struct user_create *, struct user *out,
		    struct core_err *);

struct user_result {
	enum core_status	status;
	struct core_err		err;
	struct user		user;
};

/* The most users one bulk request may carry (n of users_create_many). */
#define USERS_BULK_MAX	1000
/*
 * The most of them that may carry a password. Each hash costs ~0.4 s of CPU
 * at the production parameters; on two cores a batch of 50 took 9–10 s,
 * a third of a proxy's 30 s timeout, so a machine up to three times slower
 * still finishes in time (docs/attackforge.md has the measurements). A
 * larger batch would be cut off by the proxy while the work went on,
 * leaving the client to guess what was made.
 */
#define USERS_BULK_PASSWORDS_MAX	50

/*
 * CORE_TOO_LARGE (naming field) when n is over USERS_BULK_MAX or more than
 * USERS_BULK_PASSWORDS_MAX of the requests carry a password; CORE_INVALID
 * when n is 0. users_create_many checks it first; a surface may call it
 * before reading the items, to refuse a batch before doing anything.
 */
enum core_status users_bulk_check(const struct user_create *, size_t n, const char *field,
		    struct core_err *);

/*
 * Creates n users (users_bulk_check first), hashing their passwords on
 * every core before any lock is taken, in one transaction. atomic: all or
 * nothing; on failure *failed is the index whose result says why (CORE_OK
 * is returned only if all were created). Per item (!atomic): an item that
 * fails leaves nothing behind and does not stop the others, each result
 * says how its item went; returns CORE_OK unless the whole batch could not
 * be attempted or committed (then *failed is the index whose result says
 * why, and no item was created).
 */
enum core_status users_create_many(struct core_ctx *, const struct user_create *, size_t n,
		    bool atomic, struct user_result *, size_t *failed);
enum core_status users_get(struct core_ctx *, const struct user_ref *, struct user *out,
		    struct core_err *);
/*
 * users_get inside the caller's transaction (after core_begin), optionally
 * locking the user's row until it ends.
 */
enum core_status users_load(struct core_ctx *, const struct user_ref *, bool lock,
		    struct user *out, struct core_err *);
/* Nobody acts on a user above their own level: CORE_FORBIDDEN when the actor may not. */
enum core_status users_may_touch(const struct core_ctx *, const struct user *,
		    struct core_err *);
/*
 * Applies a patch. if_version CORE_ANY_VERSION skips the check; otherwise a different
 * current version gives CORE_PRECONDITION.
 */
enum core_status users_update(struct core_ctx *, const struct user_ref *, const struct user_patch *,
		    int if_version, struct user *out, struct core_err *);
/*
 * Soft delete: hidden, names freed, kept for audit; leaves its groups,
 * deletes policies assigned only to it, ends its sessions and keys.
 */
enum core_status users_remove(struct core_ctx *, const struct user_ref *, int if_version,
		    struct core_err *);

enum user_op { UOP_DISABLE, UOP_ENABLE, UOP_SUSPEND, UOP_UNSUSPEND, UOP_UNLOCK, UOP__MAX };
struct user_op_opts {
	const char	*reason;		/* UOP_DISABLE: "admin" (default) or "inactivity" */
	bool		 reset_inactivity;	/* UOP_UNLOCK: last login becomes now */
	int		 if_version;		/* CORE_ANY_VERSION, or the version expected */
};
/* Status transitions; a transition to the current state is a no-op without an audit event. */
enum core_status users_apply(struct core_ctx *, const struct user_ref *, enum user_op,
		    const struct user_op_opts *, struct user *out, struct core_err *);

/*
 * Ends every browser session of the user (src/core/signin.c), inside a
 * transaction of the core that changes the user: a password set or
 * changed, an account disabled or suspended, its MFA reset. Users acting on
 * themselves from a page (actor->session_id) keep that session.
 */
enum core_status users_end_sessions(struct core_ctx *, int64_t user_id, struct core_err *);

/*
 * Turns the user's summary e-mail on or off: users their own, an admin any
 * user not above them (else CORE_FORBIDDEN). One audited update.
 */
enum core_status users_set_summary_email(struct core_ctx *, const struct user_ref *, bool on,
		    struct user *out, struct core_err *);

/*
 * Sets a password. An admin may set another's; users changing their own
 * must give the current one (when they have one).
 */
enum core_status users_set_password(struct core_ctx *, const struct user_ref *,
		    const char *password, const char *current, struct core_err *);

/*
 * Links sent by e-mail (user_tokens.c). users_redeem sets the password of a
 * registration or password-reset link's user under the org's policy,
 * activates a pending account, consumes the token (and every other
 * registration and reset token of the user), ends the user's sessions,
 * queues the welcome e-mail for an account it activated, and records
 * user.register or user.password_reset with the user as the actor — in one
 * transaction. A password the policy refuses is CORE_INVALID naming
 * "password" and changes nothing: the link still works. A link that does not
 * work fails as tokens_open (tokens.h) says, info->state telling why; an
 * account without local sign-in is TOKEN_INACTIVE. info describes the user.
 */
struct token_info;
enum core_status users_redeem(struct core_ctx *, enum token_purpose, const char *token,
		    const char *password, struct token_info *info, struct core_err *);
/*
 * Sends the user a password-reset link (the org's reset_token_hours), which
 * replaces any earlier one, with an audit event. The user's own, or any
 * user's for an admin over them; the account must be pending or active and
 * sign in locally. expires_at (TOKEN_TIME_LEN bytes) gets its expiry.
 */
enum core_status users_send_reset(struct core_ctx *, const struct user_ref *, char *expires_at,
		    struct core_err *);

/* List query: filter AST (compiled against the user whitelist), order and keyset cursor. */
struct user_query {
	const struct fnode	*filter;
	const char		*sort;		/* field name, "-" prefix for descending; NULL = id */
	int			 limit;		/* 1..CORE_PAGE_MAX */
	const char		*cursor;	/* opaque, from a previous page */
	int			 offset;	/* alternative to cursor for dialects that page by number */
	bool			 count;		/* also compute the total */
};

struct user_page {
	struct user	*users;
	size_t		 n;
	const char	*next_cursor;	/* NULL on the last page */
	int64_t		 total;		/* when requested */
};

enum core_status users_list(struct core_ctx *, const struct user_query *, struct user_page *out,
		    struct core_err *);

/* The most users users_list_all answers: past it, CORE_TOO_LARGE. */
#define USERS_LIST_ALL_MAX	10000

/*
 * Every user the filter (NULL: all) matches, by id, for dialects whose list
 * has no pages; in one transaction. More than USERS_LIST_ALL_MAX is
 * CORE_TOO_LARGE. out->total is out->n.
 */
enum core_status users_list_all(struct core_ctx *, const struct fnode *filter,
		    struct user_page *out, struct core_err *);

/*
 * Whether the actor is a user holding the product role (a service key
 * holds none): *out, or a failure when the actor could not be read.
 */
enum core_status users_actor_has_role(struct core_ctx *, const char *role, bool *out,
		    struct core_err *);

/* One sign-in of a user (gatehouse.login_events, success only). */
struct user_login {
	const char	*at;
	const char	*address;	/* NULL when unknown */
	const char	*method;	/* "password", … */
};

/*
 * A user's successful sign-ins, newest first: limit (1..CORE_PAGE_MAX)
 * after skipping offset (0..CORE_OFFSET_MAX), and how many there are in
 * all. Sign-ins are recorded by the sign-in pages; API-key use is not one.
 */
enum core_status users_logins(struct core_ctx *, const struct user_ref *, int offset, int limit,
		    struct user_login **out, size_t *n, int64_t *total, struct core_err *);

/* The filterable fields of users, for dialects that expose the same names. */
extern const struct ffield	user_filter_fields[];
extern const size_t		user_filter_nfields;

#endif
