/*
 * user_list.c: lists of users — the filterable fields, the orderings, the
 * paging cursor — built into one parameterised statement without touching
 * the database, so the statement can be checked (tests/fuzz/fuzz-userlist.c)
 * apart from running it (users_list in users.c).
 */
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/cursor.h"
#include "gatehouse/filter.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "users_internal.h"

/*
 * Text fields are FT_LOWER over the generated lowercase "C" columns where
 * there is one (sql/003_search.sql, sql/007_secureframe.sql): equality and
 * prefixes are btree ranges under row-level security. Wildcards go through
 * the org-scoped search function, which trigram indexes serve; the e-mail's
 * suffix is a range on its reversed copy.
 */
#define LIKE_VIA(f)	.like_pre = "u.id IN (SELECT gatehouse.user_ids_like('" f "', ", .like_post = "))"
const struct ffield user_filter_fields[] = {
	{ .name = "id",		.sql = "u.id",		.type = FT_INT },
	{ .name = "uid",	.sql = "u.uid",		.type = FT_UUID },
	{ .name = "username",	.sql = "u.username_lc",	.type = FT_LOWER, LIKE_VIA("username") },
	{ .name = "email",	.sql = "u.email_lc",	.type = FT_LOWER, LIKE_VIA("email"),
	  .rev_sql = "u.email_rev_lc", .bare = true },
	{ .name = "name",	.sql = "u.name_lc",	.type = FT_LOWER, LIKE_VIA("name"), .bare = true },
	{ .name = "first_name",	.sql = "u.first_name_lc", .type = FT_LOWER, LIKE_VIA("first_name"),
	  .bare = true },
	{ .name = "middle_name", .sql = "u.middle_name", .type = FT_TEXT },
	{ .name = "last_name",	.sql = "u.last_name_lc", .type = FT_LOWER, LIKE_VIA("last_name"),
	  .bare = true },
	{ .name = "preferred_first_name", .sql = "u.preferred_first_name", .type = FT_TEXT },
	{ .name = "title",	.sql = "u.title",	.type = FT_TEXT },
	{ .name = "department",	.sql = "u.department",	.type = FT_TEXT },
	{ .name = "department_id", .sql = "u.department_id_lc", .type = FT_LOWER },
	{ .name = "employee_type", .sql = "u.employee_type", .type = FT_ENUM, .choices = user_employee_types },
	{ .name = "start_date",	.sql = "u.start_date",	.type = FT_DATE },
	{ .name = "end_date",	.sql = "u.end_date",	.type = FT_DATE },
	{ .name = "in_audit_scope", .sql = "u.in_audit_scope", .type = FT_BOOL },
	{ .name = "auth_method", .sql = "u.auth_method", .type = FT_ENUM, .choices = user_auth_methods },
	{ .name = "team",	.sql = "(SELECT t.name FROM gatehouse.teams t WHERE t.org_id = u.org_id"
	  " AND t.id = u.team_id)", .type = FT_TEXT },
	{ .name = "access_level", .sql = "u.access_level", .type = FT_ENUM, .choices = user_levels },
	{ .name = "status",	.sql = "u.status",	.type = FT_ENUM, .choices = user_statuses },
	/* Not deactivated: pending (invited) users are active until someone disables them. */
	{ .name = "active",	.sql = "(u.status IN ('active', 'pending'))", .type = FT_BOOL },
	/* Not disabled: what a directory controls (SCIM's "active"); suspension is Gatehouse's own. */
	{ .name = "enabled",	.sql = "(u.status <> 'disabled')", .type = FT_BOOL },
	{ .name = "invited",	.sql = "(u.invited_at IS NOT NULL)", .type = FT_BOOL },
	{ .name = "onboarding_status", .sql = "u.onboarding_status", .type = FT_ENUM,
	  .choices = user_onboarding_statuses },
	{ .name = "personnel_status", .sql = "u.personnel_status", .type = FT_ENUM,
	  .choices = user_personnel_statuses },
	{ .name = "note",	.sql = "u.note",	.type = FT_TEXT },
	{ .name = "summary_email", .sql = "u.summary_email", .type = FT_BOOL },
	{ .name = "mfa_required", .sql = "u.mfa_required", .type = FT_BOOL },
	{ .name = "created_at",	.sql = "u.created_at",	.type = FT_TIME },
	{ .name = "updated_at",	.sql = "u.updated_at",	.type = FT_TIME },
	{ .name = "last_login_at", .sql = "u.last_login_at", .type = FT_TIME },
	{ .name = "invited_at",	.sql = "u.invited_at",	.type = FT_TIME },
	{ .name = "agent_acknowledged_at", .sql = "u.agent_acknowledged_at", .type = FT_TIME },
	/* A directory's attributes (sql/009_scim.sql), each served by an index. */
	{ .name = "external_id", .sql = "u.external_id_key", .type = FT_EXACT },
	{ .name = "display_name", .sql = "u.display_name_lc", .type = FT_LOWER },
	{ .name = "employee_number", .sql = "u.employee_number_lc", .type = FT_LOWER },
	/* The e-mails a user is shown with (a jsonb array: the provider's, or the
	 * sign-in address as the one work e-mail); v is one of them. */
	{ .name = "emails", .sql = "jsonb_array_elements(gatehouse.user_emails(u.emails, u.email)) v "
	  "WHERE TRUE", .type = FT_VALUES,
	  .like_pre = "u.id IN (SELECT gatehouse.user_ids_email_value(", .like_post = "))" },
	{ .name = "emails.value", .sql = "(v->>'value')", .type = FT_TEXT },
	{ .name = "emails.display", .sql = "(v->>'display')", .type = FT_TEXT },
	{ .name = "emails.type", .sql = "(v->>'type')", .type = FT_TEXT },
	{ .name = "emails.primary", .sql = "coalesce((v->>'primary')::boolean, false)",
	  .type = FT_BOOL },
};
#undef LIKE_VIA
const size_t user_filter_nfields = sizeof(user_filter_fields) / sizeof(user_filter_fields[0]);

/* Orderings the indexes serve; each key is unique among listed users or ends in the id. */
struct usort {
	const char	*name;
	const char	*expr;		/* sort key */
	const char	*cast;		/* for the cursor value */
	bool		 unique;	/* no id tie-breaker needed */
	int		 col;		/* its value's column in a page's records */
};
static const struct usort usorts[] = {
	{ "id",		"u.id",			"::bigint",	 true,	0 },
	{ "username",	"u.username_lc",	"::text COLLATE \"C\"", true, USER_PAGE_SORT_COL },
	{ "email",	"u.email_lc",		"::text COLLATE \"C\"", true, USER_PAGE_SORT_COL + 1 },
	{ "created_at",	"u.created_at",		"::timestamptz", false,	USER_PAGE_SORT_COL + 2 },
};

/*
 * The field table a query's filter is compiled against: the core's, or
 * (q->aliases) only the aliased fields, under their aliases. NULL with e set
 * when an alias names no core field (a surface's mistake, not the client's).
 */
static const struct ffield *
filter_fields(struct arena *a, const struct user_query *q, size_t *n, struct core_err *e)
{
	struct ffield *t;

	*n = user_filter_nfields;
	if (q->aliases == NULL)
		return user_filter_fields;
	if ((t = arena_alloc(a, (q->naliases ? q->naliases : 1) * sizeof(*t))) == NULL) {
		core_fail(e, CORE_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < q->naliases; i++) {
		size_t k;

		for (k = 0; k < user_filter_nfields; k++)
			if (strcmp(user_filter_fields[k].name, q->aliases[i].core) == 0)
				break;
		if (k == user_filter_nfields) {
			core_fail(e, CORE_INTERNAL, NULL, "no filterable field %s", q->aliases[i].core);
			return NULL;
		}
		t[i] = user_filter_fields[k];
		t[i].name = q->aliases[i].name;
	}
	*n = q->naliases;
	return t;
}

/* A cursor's sort value must be of its sort's type, so a tampered one is the cursor's error. */
static bool
cursor_value_ok(const struct usort *so, const char *v)
{
	size_t n = strlen(v);

	if (strcmp(so->name, "id") == 0)
		return valid_id(v);
	if (strcmp(so->name, "created_at") == 0)
		return n >= 10 && n <= 40 && strspn(v, "0123456789-:. +T") == n;
	return valid_text(v, 254);
}

enum core_status
users_list_sql(struct arena *a, const struct user_query *q, struct buf *sql, struct buf *count,
    struct fsql *f, struct user_list_plan *plan, struct core_err *e)
{
	const struct usort	*so = NULL;
	const struct ffield	*fields;
	const char		*sort = q->sort ? q->sort : "id", *off;
	bool			 desc = false;
	size_t			 from, order, nfields;
	enum core_status	 st;

	memset(f, 0, sizeof(*f));
	f->sql = sql;
	f->first_param = 1;
	memset(plan, 0, sizeof(*plan));
	if ((st = core_check_page(q->limit, e)) != CORE_OK)
		return st;
	if (*sort == '-') {
		desc = true;
		sort++;
	}
	for (size_t i = 0; i < sizeof(usorts) / sizeof(usorts[0]); i++)
		if (strcmp(usorts[i].name, sort) == 0)
			so = &usorts[i];
	if (so == NULL)
		return core_fail(e, CORE_INVALID, "sort",
		    "sort must be id, username, email or created_at (prefix - for descending)");
	plan->sort = so->name;
	plan->sort_col = so->col;
	plan->desc = desc;

	/* The page's ids, in order, for USER_PAGE_RECORDS to read (users_internal.h). */
	buf_puts(sql, "SELECT set_config('gatehouse.page', array_to_string(ARRAY(SELECT u.id");
	from = sql->len;
	buf_puts(sql, USER_LIST_FROM);
	if (filter_terms(q->filter) > FILTER_MAX_TERMS)
		return core_fail(e, CORE_INVALID, "q", "a list takes at most %d filter terms in all",
		    FILTER_MAX_TERMS);
	if (q->filter != NULL) {
		if ((fields = filter_fields(a, q, &nfields, e)) == NULL)
			return e->status;
		buf_puts(sql, " AND ");
		if (filter_compile(a, q->filter, fields, nfields,
		    q->unknown_prefix ? q->unknown_prefix : "not filterable by ", f, e) != 0)
			return CORE_INVALID;
	}
	/*
	 * The compiler stops at FILTER_MAX_PARAMS, so the cursor's two and
	 * the offset fit in the FSQL_EXTRA_PARAMS it leaves.
	 */
	if (q->cursor != NULL) {
		char *raw = cursor_decode(a, q->cursor), *parts[4], *save = NULL;
		int n = 0;

		for (char *t = raw ? strtok_r(raw, "\n", &save) : NULL; t && n < 4;
		    t = strtok_r(NULL, "\n", &save))
			parts[n++] = t;
		if (n != 4 || strcmp(parts[0], so->name) != 0 || parts[1][0] != (desc ? 'd' : 'a') ||
		    !valid_id(parts[3]) || !cursor_value_ok(so, parts[2]))
			return core_fail(e, CORE_INVALID, "cursor",
			    "cursor is not from a list with this sort");
		if (so->unique)
			buf_printf(sql, " AND %s %c $%d%s", so->expr, desc ? '<' : '>',
			    fsql_param(f, parts[2]), so->cast);
		else
			buf_printf(sql, " AND (%s, u.id) %c ($%d%s, $%d::bigint)", so->expr,
			    desc ? '<' : '>', fsql_param(f, parts[2]), so->cast,
			    fsql_param(f, parts[3]));
	}
	/* The count is the same filter without order or paging. */
	order = sql->len;
	if (q->count && q->cursor == NULL && !sql->failed) {
		buf_puts(count, "SELECT count(*)");
		buf_append(count, sql->data + from, order - from);
		plan->count = true;
		plan->count_params = f->nparams;
	}
	buf_printf(sql, " ORDER BY %s %s", so->expr, desc ? "DESC" : "ASC");
	if (!so->unique)
		buf_printf(sql, ", u.id %s", desc ? "DESC" : "ASC");
	/*
	 * One extra row tells whether there is a next page. The limit is written
	 * into the statement, not passed: it is the server's own integer, checked
	 * above (core_check_page), never the client's text. As a parameter,
	 * PostgreSQL costs a generic plan as if the limit were a tenth of the
	 * rows, and so never keeps the plan of a filter whose generic plan would
	 * serve as well as one made for its values.
	 */
	buf_printf(sql, " LIMIT %d", q->limit + 1);
	off = arena_printf(a, "%d", q->offset > 0 ? q->offset : 0);
	/*
	 * OFFSET only when there is one: PostgreSQL costs a generic plan with an
	 * OFFSET parameter as if it skipped rows, prefers a custom plan, and so
	 * plans the statement again on every run (~0.5 ms at a million users).
	 */
	if (q->offset > 0)
		buf_printf(sql, " OFFSET $%d::int", fsql_param(f, off));
	buf_puts(sql, "), ','), true)");
	if (off == NULL || sql->failed || count->failed)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	return CORE_OK;
}
