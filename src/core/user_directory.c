/*
 * user_directory.c: every user of an org that a filter selects, whole and at
 * once (users_list_all), and with the names of their groups and when their
 * first authenticator was added (users_directory): the listings some
 * dialects answer without paging.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/users.h"
#include "users_internal.h"

DB_STMT(st_dir_groups, 1,
    "SELECT m.user_id, g.name FROM gatehouse.group_members m JOIN gatehouse.groups g"
    " ON g.org_id = m.org_id AND g.id = m.group_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.user_id = ANY($1::bigint[])"
    " ORDER BY m.user_id, g.name COLLATE \"C\"");
/* A TOTP secret counts once confirmed; a WebAuthn credential once registered. */
DB_STMT(st_dir_devices, 1,
    "SELECT user_id, gatehouse.iso(min(at)) FROM ("
    "  SELECT user_id, confirmed_at AS at FROM gatehouse.totp_credentials"
    "  WHERE org_id = gatehouse.current_org() AND confirmed_at IS NOT NULL"
    "  AND user_id = ANY($1::bigint[])"
    "  UNION ALL SELECT user_id, created_at FROM gatehouse.webauthn_credentials"
    "  WHERE org_id = gatehouse.current_org() AND user_id = ANY($1::bigint[])) d"
    " GROUP BY user_id");

/* The entry of user id among v (sorted by id), or NULL. */
static struct user_entry *
entry_of(struct user_entry *v, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].user.id == id)
			return &v[mid];
		if (v[mid].user.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static enum core_status
too_many(struct core_err *e)
{
	return core_fail(e, CORE_TOO_LARGE, NULL, "more than %d users: too many to list at once",
	    USERS_LIST_ALL_MAX);
}

/*
 * Every user the filter selects, by id, a page at a time: inside the
 * caller's transaction, or as reads of their own (users_list_all).
 */
static enum core_status
list_all_in(struct core_ctx *c, const struct fnode *filter, struct user_page *out,
    struct core_err *e)
{
	struct user_query	 q;
	struct user_page	 page;
	enum core_status	 st;
	size_t			 cap = 0;
	bool			 over;

	memset(out, 0, sizeof(*out));
	memset(&q, 0, sizeof(q));
	q.filter = filter;
	q.limit = CORE_PAGE_MAX;
	/* Whether there are too many is one look past the most, with the first page. */
	if ((st = users_list_in_most(c, &q, USERS_LIST_ALL_MAX, &over, &page, e)) != CORE_OK)
		return st;
	if (over)
		return too_many(e);
	for (;;) {
		/* Users added since the look above (another transaction's) still count. */
		if (out->n + page.n > USERS_LIST_ALL_MAX)
			return too_many(e);
		if (out->n + page.n > cap) {
			struct user *grown;

			cap = cap ? cap * 2 : page.n;
			if (cap < out->n + page.n)
				cap = out->n + page.n;
			if ((grown = arena_alloc(c->arena, cap * sizeof(*grown))) == NULL)
				return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
			if (out->n > 0)
				memcpy(grown, out->users, out->n * sizeof(*grown));
			out->users = grown;
		}
		if (page.n > 0)
			memcpy(out->users + out->n, page.users, page.n * sizeof(*page.users));
		out->n += page.n;
		if ((q.cursor = page.next_cursor) == NULL)
			break;
		if ((st = users_list_in(c, &q, &page, e)) != CORE_OK)
			return st;
	}
	out->total = (int64_t)out->n;
	return CORE_OK;
}

enum core_status
users_list_all(struct core_ctx *c, const struct fnode *filter, struct user_page *out,
    struct core_err *e)
{
	/*
	 * Reads of their own, no transaction: under READ COMMITTED each statement
	 * has its own snapshot either way, and a directory of one page is then
	 * one round trip.
	 */
	return list_all_in(c, filter, out, e);
}

/* Every user the filter selects, by id, as entries without their groups and devices yet. */
static enum core_status
read_users(struct core_ctx *c, const struct fnode *filter, struct user_entry **out, size_t *n,
    struct core_err *e)
{
	struct user_page	 all;
	enum core_status	 st;

	if ((st = list_all_in(c, filter, &all, e)) != CORE_OK)
		return st;
	if ((*out = arena_alloc(c->arena, (all.n ? all.n : 1) * sizeof(**out))) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	memset(*out, 0, (all.n ? all.n : 1) * sizeof(**out));
	for (size_t i = 0; i < all.n; i++)
		(*out)[i].user = all.users[i];
	*n = all.n;
	return CORE_OK;
}

/* Runs stmt over the users' ids; each row's first column names the user it belongs to. */
static PGresult *
by_ids(struct db_stmt *stmt, const struct user_entry *v, size_t n, struct core_err *e)
{
	struct buf	 ids;
	const char	*p[1];
	PGresult	*r;

	buf_init(&ids);
	buf_putc(&ids, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&ids, "%s%lld", i ? "," : "", (long long)v[i].user.id);
	buf_putc(&ids, '}');
	p[0] = buf_cstr(&ids);
	r = ids.failed ? NULL : db_exec(stmt, p);
	if (ids.failed)
		core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	else if (r == NULL)
		core_db_fail(e, "users");
	buf_free(&ids);
	return r;
}

static enum core_status
read_groups(struct core_ctx *c, struct user_entry *v, size_t n, struct core_err *e)
{
	PGresult	*r;
	int		 rows;

	if ((r = by_ids(&st_dir_groups, v, n, e)) == NULL)
		return e->status;
	rows = PQntuples(r);
	/* Rows come by user: count each user's, then fill. */
	for (int i = 0; i < rows; i++) {
		struct user_entry *u = entry_of(v, n, db_int(r, i, 0));

		if (u != NULL)
			u->ngroups++;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].groups = arena_alloc(c->arena, (v[i].ngroups ? v[i].ngroups : 1) *
		    sizeof(*v[i].groups));
		if (v[i].groups == NULL) {
			PQclear(r);
			return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
		}
		v[i].ngroups = 0;
	}
	for (int i = 0; i < rows; i++) {
		struct user_entry *u = entry_of(v, n, db_int(r, i, 0));

		if (u != NULL)
			u->groups[u->ngroups++] = db_text(c->arena, r, i, 1);
	}
	PQclear(r);
	return CORE_OK;
}

static enum core_status
read_devices(struct core_ctx *c, struct user_entry *v, size_t n, struct core_err *e)
{
	PGresult	*r;

	if ((r = by_ids(&st_dir_devices, v, n, e)) == NULL)
		return e->status;
	for (int i = 0; i < PQntuples(r); i++) {
		struct user_entry *u = entry_of(v, n, db_int(r, i, 0));

		if (u != NULL)
			u->device_added = db_text(c->arena, r, i, 1);
	}
	PQclear(r);
	return CORE_OK;
}

enum core_status
users_directory(struct core_ctx *c, const struct fnode *filter, struct user_entry **out,
    size_t *n, struct core_err *e)
{
	enum core_status st;

	*out = NULL;
	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = read_users(c, filter, out, n, e)) != CORE_OK ||
	    (*n > 0 && ((st = read_groups(c, *out, *n, e)) != CORE_OK ||
	    (st = read_devices(c, *out, *n, e)) != CORE_OK)))
		return core_abort(st);
	return core_commit(e);
}
