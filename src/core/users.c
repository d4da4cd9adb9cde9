/* users.c: user records. Every change is one transaction with its audit event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/db.h"
#include "gatehouse/validate.h"

DB_STMT(st_user_insert, 4,
    "INSERT INTO gatehouse.users (org_id, email, username, access_level)"
    " VALUES ($1, $2, $3, $4) RETURNING id, uid");
DB_STMT(st_user_by_email, 1,
    "SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND lower(email) = lower($1) AND status <> 'removed'");

enum core_status
user_create_basic(struct core_ctx *c, const struct user_new *u, int64_t *id, struct core_err *e)
{
	char		 org[24];
	const char	*username = u->username ? u->username : u->email;
	const char	*p[4];
	struct buf	 ch;
	struct jsonw	 w;
	PGresult	*r;
	int		 ok;

	if (u->email == NULL || !valid_email(u->email))
		return core_fail(e, CORE_INVALID, "email", "a valid e-mail address is required");
	if (!valid_username(username))
		return core_fail(e, CORE_INVALID, "username",
		    "username must be 1 to 100 characters without spaces");
	snprintf(org, sizeof(org), "%lld", (long long)c->org_id);
	p[0] = org;
	p[1] = u->email;
	p[2] = username;
	p[3] = level_name(u->level);
	if (db_begin(c->org_id) != DB_OK)
		return core_db_fail(e, "user");
	if ((r = db_exec(&st_user_insert, p)) == NULL) {
		enum core_status st = core_db_fail(e, "a user with that username or e-mail");
		db_rollback();
		return st;
	}
	*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	buf_init(&ch);
	jsonw_init(&w, &ch);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "email", u->email);
	jsonw_kstr(&w, "username", username);
	jsonw_kstr(&w, "access_level", level_name(u->level));
	jsonw_obj_close(&w);
	ok = !ch.failed && audit_write(c, "user.create", "user", PQgetvalue(r, 0, 1), ch.data) == 0;
	PQclear(r);
	buf_free(&ch);
	if (!ok) {
		enum core_status st = core_db_fail(e, "audit event");
		db_rollback();
		return st;
	}
	if (db_commit() != DB_OK)
		return core_db_fail(e, "user");
	return CORE_OK;
}

enum core_status
user_find_by_email(struct core_ctx *c, const char *email, int64_t *id, struct core_err *e)
{
	const char	*p[1] = { email };
	PGresult	*r;
	enum core_status st = CORE_OK;

	if (db_begin(c->org_id) != DB_OK)
		return core_db_fail(e, "user");
	if ((r = db_exec(&st_user_by_email, p)) == NULL)
		st = core_db_fail(e, "user");
	else if (PQntuples(r) != 1)
		st = core_fail(e, CORE_NOT_FOUND, "email", "no user with e-mail \"%.254s\"", email);
	else
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	if (r != NULL)
		PQclear(r);
	if (st == CORE_OK)
		db_commit();
	else
		db_rollback();
	return st;
}
