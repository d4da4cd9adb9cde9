/*
 * users_internal.h: what the files of the user module share — users.c
 * (reading, rules, changes), user_fields.c, user_create.c and user_list.c.
 * Not for other modules: they use gatehouse/users.h.
 */
#ifndef GATEHOUSE_USERS_INTERNAL_H
#define GATEHOUSE_USERS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gatehouse/filter.h"
#include "gatehouse/users.h"
#include "groups_internal.h"

struct arena;
struct buf;
struct jsonw;
struct pg_result;	/* libpq's PGresult: the fuzz harness of user_list.c builds without libpq */

/* The choices of the enumerated fields (NULL-terminated), for ufields and the filter. */
extern const char *const user_employee_types[];
extern const char *const user_auth_methods[];
extern const char *const user_levels[];
extern const char *const user_statuses[];	/* those a client may filter by: not "removed" */
extern const char *const user_onboarding_statuses[];
extern const char *const user_personnel_statuses[];

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
	" gatehouse.iso(u.created_at), gatehouse.iso(u.updated_at), u.version, u.mfa_required," \
	" u.department_id, u.access_role, u.onboarding_status, u.personnel_status, m.uid," \
	" gatehouse.full_name(u.first_name, u.last_name), gatehouse.full_name(m.first_name, m.last_name)," \
	" u.external_id, u.display_name, u.formatted_name, u.preferred_language, u.employee_number," \
	" u.emails::text, u.phone_numbers::text, u.addresses::text"
#define USER_NCOLS 49
/* A removed manager is no manager (users_remove also clears it). */
#define USER_JOINS \
	" LEFT JOIN gatehouse.teams t ON t.org_id = u.org_id AND t.id = u.team_id" \
	" LEFT JOIN gatehouse.users m ON m.org_id = u.org_id AND m.id = u.manager_id" \
	"   AND m.status <> 'removed'"
#define USER_FROM \
	" FROM gatehouse.users u" USER_JOINS \
	" WHERE u.org_id = gatehouse.current_org() AND u.status <> 'removed'"
/*
 * A page of users is one round trip of two statements. The first, built
 * for the list (user_list.c), puts the ids the filter selects, in order,
 * into the transaction-local setting gatehouse.page; it reads the users
 * table alone, so it is cheap to plan afresh with its values, as PostgreSQL
 * must for a filter's selectivity. The second, always the same, reads those
 * users' records in that order (USER_PAGE_RECORDS) through a plan prepared
 * once: planning the records' joins and columns with every page cost ~1 ms.
 */
#define USER_LIST_FROM \
	" FROM gatehouse.users u WHERE u.org_id = gatehouse.current_org() AND u.status <> 'removed'"
/*
 * After USER_COLS, from column USER_PAGE_SORT_COL: the sort values a next
 * page's cursor takes (user_list.c's sorts; the id is column 0).
 */
#define USER_PAGE_SORT_COLS	", u.username_lc::text, u.email_lc::text, u.created_at::text"
#define USER_PAGE_SORT_COL	USER_NCOLS
#define USER_PAGE_FROM \
	" FROM unnest(string_to_array(current_setting('gatehouse.page'), ',')::bigint[])" \
	" WITH ORDINALITY AS p(id, n) JOIN gatehouse.users u" \
	" ON u.org_id = gatehouse.current_org() AND u.id = p.id" USER_JOINS
#define USER_PAGE_RECORDS \
	"SELECT " USER_COLS USER_PAGE_SORT_COLS USER_PAGE_FROM \
	" WHERE u.status <> 'removed' ORDER BY p.n"
/*
 * With the users' groups (user_query.groups): a row per membership (a user
 * without any has one of NULLs), the users still in order, from column
 * USER_NCOLS + 3 on.
 */
#define USER_PAGE_RECORDS_GROUPS \
	"SELECT " USER_COLS USER_PAGE_SORT_COLS ", ug.*" USER_PAGE_FROM \
	" LEFT JOIN LATERAL (SELECT " MEMBERSHIP_COLS MEMBERSHIP_FROM \
	" WHERE m.org_id = u.org_id AND m.user_id = u.id) ug ON true" \
	" WHERE u.status <> 'removed' ORDER BY p.n, lower(ug.key)"

/* --- users.c: inside the caller's transaction ------------------------------------ */

/*
 * A change users may make to themselves, and an admin to a user not above
 * them (the operator CLI always): else CORE_FORBIDDEN, "only an admin may <what>".
 */
enum core_status users_own_or_admin(const struct core_ctx *, const struct user *,
		    const char *what, struct core_err *);
/* Only super may grant or revoke admin and super. */
enum core_status users_may_set_level(const struct core_ctx *, enum level from, enum level to,
		    struct core_err *);
/*
 * Team ids and product roles already looked up in this transaction, so that
 * a batch that names the same ones again and again asks once. Zeroed before
 * use; it holds the first USERS_LOOKUP_MAX names and asks for the others.
 */
#define USERS_LOOKUP_MAX	32
struct users_lookup {
	size_t		 n;
	struct {
		bool		 team;		/* a team name, else a role name */
		const char	*name;		/* in the context's arena */
		const char	*team_id;	/* NULL: no such team */
		bool		 role_known;
		enum level	 grants;	/* the role's level, or LEVEL_GUEST */
	} v[USERS_LOOKUP_MAX];
};

/*
 * Resolves the patch's team name and roles against the org (through cache,
 * when not NULL), raising *level when a role grants a higher one. Writes
 * the database form of the patch (column values) as members of the JSON
 * object the caller has open in w.
 */
enum core_status users_patch_json(struct core_ctx *, const struct user_patch *, enum level *level,
		    struct users_lookup *cache, struct jsonw *w, struct core_err *);
/* Maps a uniqueness violation to the field it concerns. */
enum core_status users_unique_fail(struct core_err *);
/* The org's password minimum in characters (in the transaction, or a read of its own). */
enum core_status users_password_min(struct core_ctx *, size_t *min, struct core_err *);
/* Checks a password against the policy: at least min characters, and the rest of password_check. */
enum core_status users_check_password(const char *pw, size_t min, const char *username,
		    const char *email, struct core_err *);
/* Copies row of a result of USER_COLS into u, strings into the arena. */
void		 users_from_row(struct arena *, struct pg_result *, int row, struct user *u);
/*
 * Begins a change to one user: the transaction, the user's row locked, the
 * version the change expects (If-Match), and nobody acting above their own
 * level. On failure the transaction is over.
 */
enum core_status users_change_begin(struct core_ctx *, const struct user_ref *, int if_version,
		    struct user *old, struct core_err *);
/*
 * Applies a patch to old (locked by users_change_begin): the rules, the
 * write, the audit event, *out reloaded; a patch that changes nothing
 * leaves *out = *old and records nothing. No commit.
 */
enum core_status users_update_in(struct core_ctx *, const struct user *old,
		    const struct user_patch *, struct user *out, struct core_err *);
/*
 * Moves old (locked) by a status operation: the transition's rules, the
 * write, the audit event, *out reloaded; a move to where it is leaves
 * *out = *old. No commit.
 */
enum core_status users_apply_in(struct core_ctx *, const struct user *old, enum user_op,
		    const struct user_op_opts *, struct user *out, struct core_err *);
/*
 * Creates one user without a password inside the caller's transaction: the
 * checks of users_create, the row, any invitation and the audit event.
 */
enum core_status users_insert(struct core_ctx *, const struct user_create *, struct user *out,
		    struct core_err *);
/* Reloads a user by id after a change. */
enum core_status users_reload(struct core_ctx *, int64_t id, struct user *, struct core_err *);
/* Fills u from r, one row of USER_COLS (none: not found); clears r. */
/*
 * Records action on the user: each field that differs between old (NULL:
 * created) and new, and extra_key (a secret) as changed without its value.
 */
enum core_status users_audit(struct core_ctx *, const char *action, const struct user *old,
		    const struct user *new, const char *extra_key, struct core_err *);
/* The changes object users_audit records, written to b. */
void		 users_audit_changes(const struct user *old, const struct user *new,
		    const char *extra_key, struct buf *b);


/* users_list inside the caller's transaction. */
enum core_status users_list_in(struct core_ctx *, const struct user_query *, struct user_page *,
		    struct core_err *);
/*
 * As users_list_in; in the same round trip, whether the filter selects more
 * than most users (*over: the page is then empty).
 */
enum core_status users_list_in_most(struct core_ctx *, const struct user_query *, size_t most,
		    bool *over, struct user_page *, struct core_err *);

#include "user_cache.h"

/* --- user_list.c ------------------------------------------------------------------- */

/* What a list statement tells the code that runs it. */
struct user_list_plan {
	const char	*sort;		/* the sort's name, for the next page's cursor */
	int		 sort_col;	/* and the column of its value in USER_PAGE_RECORDS */
	bool		 desc;
	bool		 count;		/* the count statement was built */
	int		 count_params;	/* the first so many parameters are the count's */
};

/*
 * Builds the statement of a page of users without touching the database:
 * the text in sql and its parameters in f (which it initialises; values in
 * the arena), answering each user's id and sort value (as text), with one
 * row more than q->limit so the caller can tell whether a page follows. When q->count and there is no cursor, the count of the same
 * filter goes to count. sql and count are initialised by the caller, who
 * frees them whatever the outcome. Checks q in this order: limit, sort,
 * filter size, filter, cursor.
 */
enum core_status users_list_sql(struct arena *, const struct user_query *, struct buf *sql,
		    struct buf *count, struct fsql *f, struct user_list_plan *, struct core_err *);

#endif
