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
	UF_DEPARTMENT_ID, UF_ACCESS_ROLE, UF_ONBOARDING_STATUS, UF_PERSONNEL_STATUS,
	UF_AGENT_ACKNOWLEDGED_AT, UF_MANAGER,
	/* A directory's attributes (SCIM, sql/009_scim.sql). */
	UF_EXTERNAL_ID, UF_DISPLAY_NAME, UF_FORMATTED_NAME, UF_PREFERRED_LANGUAGE,
	UF_EMPLOYEE_NUMBER, UF_EMAILS, UF_PHONE_NUMBERS, UF_ADDRESSES,
	UF__MAX
};

/*
 * UFK_TEXT: at most max bytes, line breaks allowed (a note); UFK_NAME: at
 * most max bytes on one line, no bidi controls ("" allowed); UFK_LINE: 1 to
 * max bytes on one line, "" clears; UFK_TIME: an ISO 8601
 * date or date-time; UFK_USER: another user of the org, by uid ("" clears);
 * UFK_VALUES: a multi-valued attribute (struct user_value), whose text is
 * its JSON array.
 */
enum ufkind { UFK_TEXT, UFK_NAME, UFK_USERNAME, UFK_EMAIL, UFK_ENUM, UFK_DATE, UFK_BOOL, UFK_LEVEL,
	UFK_ROLES, UFK_TEAM, UFK_LINE, UFK_TIME, UFK_USER, UFK_VALUES };

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
 * UFK_VALUES fields are set with user_patch_set_values, not here.
 */
enum core_status user_patch_set(struct arena *, struct user_patch *, enum ufield,
		    const char *value, struct core_err *);

/*
 * One value of a multi-valued attribute (emails, phone_numbers, addresses),
 * with SCIM's sub-attributes (RFC 7643 §4.1.2). NULL is absent. Addresses
 * have no value or display; e-mails and phone numbers no address parts.
 */
enum uvsub { UV_VALUE, UV_DISPLAY, UV_TYPE, UV_FORMATTED, UV_STREET_ADDRESS, UV_LOCALITY,
	UV_REGION, UV_POSTAL_CODE, UV_COUNTRY, UV__MAX };
extern const char *const user_value_names[UV__MAX];	/* "value", "streetAddress", … */
struct user_value {
	const char	*sub[UV__MAX];
	bool		 primary;
};
#define USER_MAX_VALUES	32		/* values of one attribute */

/*
 * Validates n values of the multi-valued field f (each sub-attribute a line
 * of at most 256 bytes, `formatted` and `streetAddress` 1024 bytes of text;
 * no sub-attribute the attribute does not have; primary at most once) and
 * records them, as given, in the patch. n == 0 clears the attribute.
 */
enum core_status user_patch_set_values(struct arena *, struct user_patch *, enum ufield,
		    const struct user_value *, size_t n, struct core_err *);

enum user_status { US_PENDING, US_ACTIVE, US_DISABLED, US_SUSPENDED, US_REMOVED, US__MAX };
const char	*user_status_name(enum user_status);
/* Active means not deactivated: pending (invited) or active; the filter field "active" agrees. */
bool		 user_status_active(enum user_status);

struct user {
	int64_t		 id;
	const char	*uid;
	/*
	 * Current attributes, canonical text; NULL when unset. Timestamps are
	 * ISO 8601 UTC with milliseconds; val[UF_MANAGER] is the manager's uid.
	 */
	const char	*val[UF__MAX];
	const char	*name;		/* gatehouse.full_name: "First Last", or the one given */
	const char	*manager_name;	/* the manager's name, NULL without a manager */
	const char	*roles[USER_MAX_ROLES];
	size_t		 nroles;
	enum level	 level;
	enum user_status status;
	const char	*disabled_reason;
	bool		 has_password;
	bool		 totp_enabled;
	bool		 webauthn_enabled;
	const char	*last_login_at, *invited_at, *confirmed_at, *locked_until;
	const char	*created_at, *updated_at;
	int		 version;
};

/*
 * Before the server forks: the memory its children share to keep their
 * caches of users true (src/core/user_cache.c). -1: no cache.
 */
int		 user_cache_init(void);

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
/*
 * The checks users_create_many makes before it writes anything — each
 * item's fields, the actor's authority over the level asked for, passwords
 * against the policy — for work accepted now and done later (a job).
 * CORE_OK, or the first failing item's status, *failed its index, e its
 * error (*failed USERS_NO_ITEM when no item is to blame: the database).
 */
#define USERS_NO_ITEM	((size_t)-1)
enum core_status users_create_check(struct core_ctx *, const struct user_create *, size_t n,
		    size_t *failed, struct core_err *);
enum core_status users_bulk_check(const struct user_create *, size_t n, const char *field,
		    struct core_err *);
/* How many of the n requests carry a password. */
size_t		 users_bulk_passwords(const struct user_create *, size_t n);

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
 * The users of the org among uids (n of them, at most CORE_PAGE_MAX; any
 * that name nobody are left out), by id, in *out (the context's arena).
 */
enum core_status users_get_many(struct core_ctx *, const char *const *uids, size_t n,
		    struct user **out, size_t *nout, struct core_err *);
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

/*
 * UOP_TOGGLE_SUSPENSION suspends an active user and unsuspends a suspended
 * one; UOP_ACTIVATE enables a disabled user or unsuspends a suspended one.
 */
enum user_op { UOP_DISABLE, UOP_ENABLE, UOP_SUSPEND, UOP_UNSUSPEND, UOP_UNLOCK,
	UOP_TOGGLE_SUSPENSION, UOP_ACTIVATE, UOP__MAX };
struct user_op_opts {
	const char	*reason;		/* UOP_DISABLE: "admin" (default) or "inactivity" */
	bool		 reset_inactivity;	/* UOP_UNLOCK: last login becomes now */
	int		 if_version;		/* CORE_ANY_VERSION, or the version expected */
};
/* Status transitions; a transition to the current state is a no-op without an audit event. */
enum core_status users_apply(struct core_ctx *, const struct user_ref *, enum user_op,
		    const struct user_op_opts *, struct user *out, struct core_err *);
/*
 * A patch (NULL: none) and then a transition (UOP__MAX: none) in one
 * transaction, each with its audit event, all or nothing. o->if_version
 * is checked against the user before either.
 */
enum core_status users_change(struct core_ctx *, const struct user_ref *, const struct user_patch *,
		    enum user_op, const struct user_op_opts *, struct user *out, struct core_err *);
/*
 * Sets the access level to `to` when the current one is in `from` (a set
 * of 1u << level), with the rules of users_update; otherwise CORE_CONFLICT
 * naming "access_level". For dialects whose ranks apply to some levels
 * only (promoting a guest; ranks of users who are not guests).
 */
enum core_status users_set_level(struct core_ctx *, const struct user_ref *, enum level to,
		    unsigned from, struct user *out, struct core_err *);

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

/* A dialect's name for a filterable user field: {its name, the core's name}. */
struct user_alias {
	const char	*name;
	const char	*core;
};

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
	/*
	 * When set, the filter names fields by these aliases, and only these
	 * (the core's names are then unknown), and an unknown field's error
	 * is unknown_prefix and its name; else "not filterable by <name>".
	 */
	const struct user_alias	*aliases;
	size_t			 naliases;
	const char		*unknown_prefix;
	const char		*sort;		/* field name, "-" prefix for descending; NULL = id */
	int			 limit;		/* 1..CORE_PAGE_MAX */
	const char		*cursor;	/* opaque, from a previous page */
	int			 offset;	/* alternative to cursor for dialects that page by number */
	bool			 count;		/* also compute the total */
	bool			 groups;	/* also read the page's memberships (SCIM's "groups") */
};

struct user_group;
struct user_page {
	struct user	*users;
	size_t		 n;
	const char	*next_cursor;	/* NULL on the last page */
	int64_t		 total;		/* when requested */
	struct user_group *groups;	/* when requested: by user id, then group key */
	size_t		 ngroups;
};

enum core_status users_list(struct core_ctx *, const struct user_query *, struct user_page *out,
		    struct core_err *);

/* The most users users_list_all answers: past it, CORE_TOO_LARGE. */
#define USERS_LIST_ALL_MAX	10000

/*
 * Every user the filter (NULL: all) matches, by id, for dialects whose list
 * has no pages: reads of their own, a round trip per 100 users. More than
 * USERS_LIST_ALL_MAX is CORE_TOO_LARGE. out->total is out->n.
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

/* A user as a directory lists it. */
struct user_entry {
	struct user	 user;
	const char	**groups;	/* names of the user's groups, by name */
	size_t		 ngroups;
	const char	*device_added;	/* when the first TOTP or WebAuthn credential came; NULL: none */
};

/*
 * Every user the filter (NULL: all) selects, by id, with their groups and
 * first authenticator, read in one transaction; *out lives in the context's
 * arena. More than USERS_LIST_ALL_MAX is CORE_TOO_LARGE.
 */
enum core_status users_directory(struct core_ctx *, const struct fnode *filter,
		    struct user_entry **out, size_t *n, struct core_err *);

/* The filterable fields of users, for dialects that expose the same names. */
extern const struct ffield	user_filter_fields[];
extern const size_t		user_filter_nfields;

/* --- provisioning by an identity provider (SCIM) ------------------------------ */

/*
 * A directory's view of a user replaces the user's own attributes; what it
 * says of the sign-in e-mail and the account's state is a request the core
 * decides on. The sign-in e-mail (UF_EMAIL) stays unique and valid: it is the
 * first of `emails` (best first) that is a valid address not used by another
 * user, or, on an update, the current one when none is; a new user without
 * one gets an address under USER_NO_EMAIL_DOMAIN, which can receive nothing.
 * A provider's values are kept as given (UF_EMAILS) whatever is chosen.
 */
#define USER_NO_EMAIL_DOMAIN	"no-email.invalid"	/* RFC 2606: never deliverable; also in sql/015 */
#define USER_MAX_SIGNIN		(USER_MAX_VALUES + 1)

enum user_activity { UACT_KEEP, UACT_ENABLE, UACT_DISABLE };

struct user_provision {
	struct user_patch	 p;		/* the attributes the directory sets (not UF_EMAIL) */
	const char		*emails[USER_MAX_SIGNIN];	/* sign-in candidates, best first */
	size_t			 nemails;
	enum user_activity	 activity;	/* enable: not disabled; disable: disabled */
};

/* True when the sign-in e-mail is a placeholder (under USER_NO_EMAIL_DOMAIN). */
bool		 user_email_placeholder(const char *email);

/*
 * Creates a provisioned user: active, signing in through the provider
 * (auth_method sso unless the patch says otherwise), with no password and no
 * invitation; disabled in the same transaction when asked. One transaction;
 * its audit events name the context's surface.
 */
enum core_status users_provision_create(struct core_ctx *, const struct user_provision *,
		    struct user *out, struct core_err *);
/*
 * Applies a directory's view to an existing user: the attributes, the
 * sign-in e-mail and the state, in one transaction: user.update for the
 * attributes (none when nothing changes), then user.disable or user.enable
 * for the state as users_apply records them. if_version as users_update.
 * Enabling leaves a suspended user suspended: suspension is Gatehouse's own.
 */
enum core_status users_provision_update(struct core_ctx *, const struct user_ref *,
		    const struct user_provision *, int if_version, struct user *out,
		    struct core_err *);

#endif
