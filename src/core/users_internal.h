/*
 * users_internal.h: what the files of the user module share — users.c
 * (reading, rules, changes), user_fields.c, user_create.c and user_list.c.
 * Not for other modules: they use gatehouse/users.h.
 */
#ifndef GATEHOUSE_USERS_INTERNAL_H
#define GATEHOUSE_USERS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/filter.h"
#include "gatehouse/users.h"

struct arena;
struct buf;

/* The choices of the enumerated fields (NULL-terminated), for ufields and the filter. */
extern const char *const user_employee_types[];
extern const char *const user_auth_methods[];
extern const char *const user_levels[];
extern const char *const user_statuses[];	/* those a client may filter by: not "removed" */

/* A status by its name; anything else (NULL too) is US_REMOVED. */
enum user_status user_status_parse(const char *);

/* A user's columns, in the order users.c reads them, and where they come from. */
#define USER_COLS \
	"u.id, u.uid, u.username, u.email, u.first_name, u.middle_name, u.last_name," \
	" u.preferred_first_name, u.title, u.department, u.employee_type, u.start_date::text," \
	" u.end_date::text, u.in_audit_scope, u.auth_method, t.name, u.access_level, u.roles," \
	" u.note, u.summary_email, u.status, u.disabled_reason, u.password_hash IS NOT NULL," \
	" EXISTS (SELECT 1 FROM gatehouse.totp_credentials c WHERE c.org_id = u.org_id" \
	"   AND c.user_id = u.id AND c.confirmed_at IS NOT NULL)," \
	" EXISTS (SELECT 1 FROM gatehouse.webauthn_credentials w WHERE w.org_id = u.org_id" \
	"   AND w.user_id = u.id)," \
	" gatehouse.iso(u.last_login_at), gatehouse.iso(u.invited_at), gatehouse.iso(u.confirmed_at)," \
	" gatehouse.iso(u.locked_until), gatehouse.iso(u.agent_acknowledged_at)," \
	" gatehouse.iso(u.created_at), gatehouse.iso(u.updated_at), u.version," \
	" u.external_id, u.display_name, u.formatted_name, u.preferred_language, u.employee_number," \
	" (SELECT m.uid FROM gatehouse.users m WHERE m.org_id = u.org_id" \
	"   AND m.id = u.scim_manager_id AND m.status <> 'removed')," \
	" u.emails::text, u.phone_numbers::text, u.addresses::text"
#define USER_NCOLS 42
#define USER_FROM \
	" FROM gatehouse.users u LEFT JOIN gatehouse.teams t" \
	" ON t.org_id = u.org_id AND t.id = u.team_id" \
	" WHERE u.org_id = gatehouse.current_org() AND u.status <> 'removed'"

/* --- users.c: inside the caller's transaction ------------------------------------ */

/* Only super may grant or revoke admin and super. */
enum core_status users_may_set_level(const struct core_ctx *, enum level from, enum level to,
		    struct core_err *);
/*
 * Resolves the patch's team name and roles against the org, raising *level
 * when a role grants a higher one. Writes the database form of the patch
 * (a JSON object of column values) to out.
 */
enum core_status users_patch_json(struct core_ctx *, const struct user_patch *, enum level *level,
		    struct buf *out, struct core_err *);
/* Maps a uniqueness violation to the field it concerns. */
enum core_status users_unique_fail(struct core_err *);
/* Checks a password against the org's policy. */
enum core_status users_check_password(const char *pw, const char *username, const char *email,
		    struct core_err *);
/*
 * Begins a change to one user: the transaction, the user's row locked, the
 * version the change expects (If-Match), and nobody acting above their own
 * level. On failure the transaction is over.
 */
enum core_status users_change_begin(struct core_ctx *, const struct user_ref *, int if_version,
		    struct user *old, struct core_err *);
/*
 * Writes a patch to old (locked by users_change_begin) under the level rules
 * and reloads the user into out; no audit, no commit.
 */
enum core_status users_write_patch(struct core_ctx *, const struct user *old,
		    const struct user_patch *, struct user *out, struct core_err *);
/*
 * Moves old (locked) by a status operation (UOP_DISABLE with reason admin)
 * and reloads it into out; a move to where it is changes nothing. No audit.
 */
enum core_status users_set_status(struct core_ctx *, const struct user *old, enum user_op,
		    struct user *out, struct core_err *);
/* True when any attribute, role or the status differs. */
bool		 users_changed(const struct user *, const struct user *);
/*
 * Creates one user without a password inside the caller's transaction: the
 * checks of users_create, the row, any invitation and the audit event.
 */
enum core_status users_insert(struct core_ctx *, const struct user_create *, struct user *out,
		    struct core_err *);
/* Reloads a user by id after a change. */
enum core_status users_reload(struct core_ctx *, int64_t id, struct user *, struct core_err *);
/*
 * Records action on the user: each field that differs between old (NULL:
 * created) and new, and extra_key (a secret) as changed without its value.
 */
enum core_status users_audit(struct core_ctx *, const char *action, const struct user *old,
		    const struct user *new, const char *extra_key, struct core_err *);

/* --- user_list.c ------------------------------------------------------------------- */

/* What a list statement tells the code that runs it. */
struct user_list_plan {
	const char	*sort;		/* the sort's name, for the next page's cursor */
	bool		 desc;
	bool		 count;		/* the count statement was built */
	int		 count_params;	/* the first so many parameters are the count's */
};

/*
 * Builds the statement of a page of users without touching the database:
 * the text in sql and its parameters in f (which it initialises; values in
 * the arena), with one row more than q->limit so the caller can tell whether
 * a page follows, and the sort value of each row as the column after
 * USER_NCOLS. When q->count and there is no cursor, the count of the same
 * filter goes to count. sql and count are initialised by the caller, who
 * frees them whatever the outcome. Checks q in this order: limit, sort,
 * filter size, filter, cursor.
 */
enum core_status users_list_sql(struct arena *, const struct user_query *, struct buf *sql,
		    struct buf *count, struct fsql *f, struct user_list_plan *, struct core_err *);

#endif
