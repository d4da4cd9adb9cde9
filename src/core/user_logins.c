/* user_logins.c: a user's sign-in history, as the sign-in pages record it in login_events. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/users.h"
#include "rows.h"

DB_STMT(st_logins, 3,
    "SELECT gatehouse.iso(at), host(address), method FROM gatehouse.login_events"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint AND success"
    " ORDER BY at DESC, id DESC OFFSET $2::int LIMIT $3::int");
DB_STMT(st_logins_count, 1,
    "SELECT count(*) FROM gatehouse.login_events"
    " WHERE org_id = gatehouse.current_org() AND user_id = $1::bigint AND success");

static const struct rows_col login_cols[] = {
	ROWS_TEXT(struct user_login, at), ROWS_TEXT(struct user_login, address),
	ROWS_TEXT(struct user_login, method),
};
static const struct rows_kind login_rows = { "sign-in", 3, sizeof(struct user_login),
	login_cols, NULL };

enum core_status
users_logins(struct core_ctx *c, const struct user_ref *ref, int offset, int limit,
    struct user_login **out, size_t *n, int64_t *total, struct core_err *e)
{
	struct user	 u;
	char		 id[CORE_ID_LEN], off[16], lim[16];
	const char	*p[3] = { id, off, lim };
	enum core_status st;

	*n = 0;
	*total = 0;
	if ((st = core_check_offset_page(offset, limit, e)) != CORE_OK ||
	    (st = users_load(c, ref, false, &u, e)) != CORE_OK)	/* a read of its own */
		return st;
	core_id_text(u.id, id);
	snprintf(off, sizeof(off), "%d", offset);
	snprintf(lim, sizeof(lim), "%d", limit);
	return rows_page(c, &st_logins, &st_logins_count, p, &login_rows, "sign-ins",
	    (void **)out, n, total, e);
}
