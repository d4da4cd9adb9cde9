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

/* Wildcard searches that trigram indexes serve, through the org-scoped search function. */
#define USER_LIKE(f)	"u.id IN (SELECT gatehouse.user_ids_like('" f "', ", "))", NULL
const struct ffield user_filter_fields[] = {
	{ "id",			"u.id",			FT_INT,  NULL, NULL, NULL, NULL },
	{ "uid",		"u.uid",		FT_UUID, NULL, NULL, NULL, NULL },
	{ "username",		"u.username_lc",	FT_LOWER, NULL, USER_LIKE("username") },
	{ "email",		"u.email_lc",		FT_LOWER, NULL,
	  "u.id IN (SELECT gatehouse.user_ids_like('email', ", "))", "u.email_rev_lc" },
	{ "first_name",		"u.first_name",		FT_TEXT, NULL, USER_LIKE("first_name") },
	{ "middle_name",	"u.middle_name",	FT_TEXT, NULL, NULL, NULL, NULL },
	{ "last_name",		"u.last_name",		FT_TEXT, NULL, USER_LIKE("last_name") },
	{ "preferred_first_name", "u.preferred_first_name", FT_TEXT, NULL, NULL, NULL, NULL },
	{ "title",		"u.title",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "department",		"u.department",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "employee_type",	"u.employee_type",	FT_ENUM, user_employee_types, NULL, NULL, NULL },
	{ "start_date",		"u.start_date",		FT_DATE, NULL, NULL, NULL, NULL },
	{ "end_date",		"u.end_date",		FT_DATE, NULL, NULL, NULL, NULL },
	{ "in_audit_scope",	"u.in_audit_scope",	FT_BOOL, NULL, NULL, NULL, NULL },
	{ "auth_method",	"u.auth_method",	FT_ENUM, user_auth_methods, NULL, NULL, NULL },
	{ "team",		"t.name",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "access_level",	"u.access_level",	FT_ENUM, user_levels, NULL, NULL, NULL },
	{ "status",		"u.status",		FT_ENUM, user_statuses, NULL, NULL, NULL },
	{ "note",		"u.note",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "summary_email",	"u.summary_email",	FT_BOOL, NULL, NULL, NULL, NULL },
	{ "created_at",		"u.created_at",		FT_TIME, NULL, NULL, NULL, NULL },
	{ "updated_at",		"u.updated_at",		FT_TIME, NULL, NULL, NULL, NULL },
	{ "last_login_at",	"u.last_login_at",	FT_TIME, NULL, NULL, NULL, NULL },
	{ "invited_at",		"u.invited_at",		FT_TIME, NULL, NULL, NULL, NULL },
	/* A directory's attributes (sql/009_scim.sql), each served by an index. */
	{ "external_id",	"u.external_id",	FT_EXACT, NULL, NULL, NULL, NULL },
	{ "display_name",	"u.display_name_lc",	FT_LOWER, NULL, NULL, NULL, NULL },
	{ "employee_number",	"u.employee_number_lc",	FT_LOWER, NULL, NULL, NULL, NULL },
	{ "active",		"(u.status <> 'disabled')", FT_BOOL, NULL, NULL, NULL, NULL },
	/* The provider's e-mails (a jsonb array); v is one of them. */
	{ "emails",		"jsonb_array_elements(u.emails) v WHERE TRUE", FT_VALUES, NULL,
	  "u.id IN (SELECT gatehouse.user_ids_email_value(", "))", NULL },
	{ "emails.value",	"(v->>'value')",	FT_TEXT, NULL, NULL, NULL, NULL },
	{ "emails.display",	"(v->>'display')",	FT_TEXT, NULL, NULL, NULL, NULL },
	{ "emails.type",	"(v->>'type')",		FT_TEXT, NULL, NULL, NULL, NULL },
	{ "emails.primary",	"coalesce((v->>'primary')::boolean, false)", FT_BOOL, NULL, NULL, NULL,
	  NULL },
};
const size_t user_filter_nfields = sizeof(user_filter_fields) / sizeof(user_filter_fields[0]);

/* Orderings the indexes serve; each key is unique among listed users or ends in the id. */
struct usort {
	const char	*name;
	const char	*expr;		/* sort key */
	const char	*cast;		/* for the cursor value */
	bool		 unique;	/* no id tie-breaker needed */
};
static const struct usort usorts[] = {
	{ "id",		"u.id",			"::bigint",	 true },
	{ "username",	"u.username_lc",	"::text COLLATE \"C\"", true },
	{ "email",	"u.email_lc",		"::text COLLATE \"C\"", true },
	{ "created_at",	"u.created_at",		"::timestamptz", false },
};

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
	const char		*sort = q->sort ? q->sort : "id", *lim, *off;
	bool			 desc = false;
	size_t			 from, order;
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
	plan->desc = desc;

	buf_printf(sql, "SELECT " USER_COLS ", %s::text", so->expr);
	from = sql->len;
	buf_puts(sql, USER_FROM);
	if (filter_terms(q->filter) > FILTER_MAX_TERMS)
		return core_fail(e, CORE_INVALID, "q", "a list takes at most %d filter terms in all",
		    FILTER_MAX_TERMS);
	if (q->filter != NULL) {
		buf_puts(sql, " AND ");
		if (filter_compile(a, q->filter, user_filter_fields, user_filter_nfields,
		    "not filterable by ", f, e) != 0)
			return CORE_INVALID;
	}
	/*
	 * The compiler stops at FILTER_MAX_PARAMS, so the cursor's two and
	 * limit and offset fit in the FSQL_EXTRA_PARAMS it leaves.
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
	/* One extra row tells whether there is a next page. */
	lim = arena_printf(a, "%d", q->limit + 1);
	off = arena_printf(a, "%d", q->offset > 0 ? q->offset : 0);
	buf_printf(sql, " LIMIT $%d::int", fsql_param(f, lim));
	/*
	 * OFFSET only when there is one: PostgreSQL costs a generic plan with an
	 * OFFSET parameter as if it skipped rows, prefers a custom plan, and so
	 * plans the statement again on every run (~0.5 ms at a million users).
	 */
	if (q->offset > 0)
		buf_printf(sql, " OFFSET $%d::int", fsql_param(f, off));
	if (lim == NULL || off == NULL || sql->failed || count->failed)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	return CORE_OK;
}
