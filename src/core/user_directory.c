/*
 * user_directory.c: every user of an org that a filter selects, whole and at
 * once, with the names of their groups and when their first authenticator
 * was added: the directory listings some dialects answer without paging.
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

/* Every user the filter selects, by id, a page at a time inside the transaction. */
static enum core_status
read_users(struct core_ctx *c, const struct fnode *filter, struct user_entry **out, size_t *n,
    struct core_err *e)
{
	struct user_page	*pages;
	struct user_query	 q;
	size_t			 np = 0, total = 0, k = 0;
	enum core_status	 st;

	/* One page more than the most a directory holds shows it would hold too many. */
	pages = arena_alloc(c->arena, (USERS_DIRECTORY_MAX / CORE_PAGE_MAX + 1) * sizeof(*pages));
	if (pages == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	memset(&q, 0, sizeof(q));
	q.filter = filter;
	/* Whether there are too many is one look past the most, before reading any. */
	q.limit = 1;
	q.offset = USERS_DIRECTORY_MAX;
	if ((st = users_list_in(c, &q, &pages[0], e)) != CORE_OK)
		return st;
	if (pages[0].n > 0)
		return core_fail(e, CORE_TOO_LARGE, NULL, "more than %d users to list at once",
		    USERS_DIRECTORY_MAX);
	q.limit = CORE_PAGE_MAX;
	q.offset = 0;
	do {
		if (np > USERS_DIRECTORY_MAX / CORE_PAGE_MAX)
			return core_fail(e, CORE_TOO_LARGE, NULL,
			    "more than %d users to list at once", USERS_DIRECTORY_MAX);
		if ((st = users_list_in(c, &q, &pages[np], e)) != CORE_OK)
			return st;
		total += pages[np].n;
		q.cursor = pages[np++].next_cursor;
	} while (q.cursor != NULL);
	if (total > USERS_DIRECTORY_MAX)
		return core_fail(e, CORE_TOO_LARGE, NULL, "more than %d users to list at once",
		    USERS_DIRECTORY_MAX);
	if ((*out = arena_alloc(c->arena, (total ? total : 1) * sizeof(**out))) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < pages[i].n; j++) {
			memset(&(*out)[k], 0, sizeof((*out)[k]));
			(*out)[k++].user = pages[i].users[j];
		}
	*n = total;
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
