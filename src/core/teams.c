/* teams.c: teams — create, rename, delete while empty, list with member counts. */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/teams.h"
#include "gatehouse/validate.h"
#include "rows.h"

#define TEAM_COLS \
	"t.id, t.name, gatehouse.iso(t.created_at)," \
	" (SELECT count(*) FROM gatehouse.users u WHERE u.org_id = t.org_id AND u.team_id = t.id" \
	"   AND u.status <> 'removed')"
#define TEAM_NCOLS 4
#define TEAM_FROM " FROM gatehouse.teams t WHERE t.org_id = gatehouse.current_org()"

DB_STMT(st_team_insert, 1,
    "INSERT INTO gatehouse.teams (org_id, name) VALUES (gatehouse.current_org(), $1) RETURNING id");
DB_STMT(st_team_get, 1, "SELECT " TEAM_COLS TEAM_FROM " AND t.id = $1::bigint");
DB_STMT(st_team_by_name, 1, "SELECT " TEAM_COLS TEAM_FROM " AND lower(t.name) = lower($1)");
DB_STMT(st_team_lock, 1, "SELECT " TEAM_COLS TEAM_FROM " AND t.id = $1::bigint FOR UPDATE OF t");
DB_STMT(st_team_list, 0, "SELECT " TEAM_COLS TEAM_FROM " ORDER BY lower(t.name), t.id");
DB_STMT(st_team_rename, 2,
    "UPDATE gatehouse.teams SET name = $2 WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
/* Removed users keep their row for audit, but not a team that is going away. */
DB_STMT(st_team_release, 1,
    "UPDATE gatehouse.users SET team_id = NULL WHERE org_id = gatehouse.current_org()"
    " AND team_id = $1::bigint AND status = 'removed'");
DB_STMT(st_team_delete, 1,
    "DELETE FROM gatehouse.teams WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

static const struct rows_col team_cols[TEAM_NCOLS] = {
	ROWS_INT(struct team, id), ROWS_TEXT(struct team, name), ROWS_TEXT(struct team, created_at),
	ROWS_INT(struct team, members),
};
static const struct rows_kind team_rows = { "team", TEAM_NCOLS, sizeof(struct team), team_cols,
	NULL };

/* Reads one team by id with stmt (plain or locking) inside the transaction. */
static enum core_status
load(struct core_ctx *c, struct db_stmt *stmt, const char *id, struct team *t, struct core_err *e)
{
	const char *p[1] = { id };

	if (id == NULL || !valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such team");
	return rows_one(c, stmt, p, &team_rows, t, NULL, "no such team", e);
}

static enum core_status
name_taken(const char *name, struct core_err *e)
{
	return core_taken(e, "name", "team", "a team named \"%.100s\" already exists", name);
}

/* Records action on team t with the name change (old NULL: created; new NULL: deleted). */
static enum core_status
audit_team(struct core_ctx *c, const char *action, int64_t id, const char *old, const char *new,
    struct core_err *e)
{
	struct buf	b;
	struct jsonw	w;
	char		sid[24];

	core_id_text(id, sid);
	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	jsonw_key(&w, "name");
	jsonw_obj_open(&w);
	if (old != NULL)
		jsonw_kstr(&w, "old", old);
	jsonw_kstr(&w, "new", new);
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	return audit_buf(c, action, "team", sid, &b, e);
}

enum core_status
teams_create(struct core_ctx *c, const char *name, struct team *out, struct core_err *e)
{
	const char	*p[1] = { name };
	char		 sid[24];
	enum core_status st;
	PGresult	*r;

	if ((st = core_check_line(name, "name", 100, e)) != CORE_OK ||
	    (st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_team_insert, p)) == NULL)
		return core_abort(name_taken(name, e));
	core_id_text(db_int(r, 0, 0), sid);
	PQclear(r);
	if ((st = load(c, &st_team_get, sid, out, e)) != CORE_OK ||
	    (st = audit_team(c, "team.create", out->id, NULL, out->name, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
teams_rename(struct core_ctx *c, const char *id, const char *name, struct team *out,
    struct core_err *e)
{
	const char	*p[2] = { id, name };
	struct team	 old;
	enum core_status st;
	PGresult	*r;

	if ((st = core_check_line(name, "name", 100, e)) != CORE_OK ||
	    (st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load(c, &st_team_lock, id, &old, e)) != CORE_OK)
		return core_abort(st);
	if (strcmp(old.name, name) == 0) {
		*out = old;
		return core_commit(e);
	}
	if ((r = db_exec(&st_team_rename, p)) == NULL)
		return core_abort(name_taken(name, e));
	PQclear(r);
	if ((st = load(c, &st_team_get, id, out, e)) != CORE_OK ||
	    (st = audit_team(c, "team.rename", out->id, old.name, out->name, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
teams_delete(struct core_ctx *c, const char *id, struct core_err *e)
{
	const char	*p[1] = { id };
	struct team	 t;
	enum core_status st;
	PGresult	*r;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	/*
	 * Lock first, then count in a fresh statement: a user given the team
	 * concurrently has committed by then (its insert held the row).
	 */
	if ((st = load(c, &st_team_lock, id, &t, e)) != CORE_OK ||
	    (st = load(c, &st_team_get, id, &t, e)) != CORE_OK)
		return core_abort(st);
	if (t.members > 0)
		return core_abort(core_fail(e, CORE_CONFLICT, NULL,
		    "the team has %lld user%s: move them to another team first", (long long)t.members,
		    t.members == 1 ? "" : "s"));
	if ((r = db_exec(&st_team_release, p)) == NULL)
		return core_abort(core_db_fail(e, "team"));
	PQclear(r);
	if ((r = db_exec(&st_team_delete, p)) == NULL)
		return core_abort(db_status() == DB_FOREIGN_KEY ?
		    core_fail(e, CORE_CONFLICT, NULL, "the team has users: move them first") :
		    core_db_fail(e, "team"));
	PQclear(r);
	return core_end(audit_team(c, "team.delete", t.id, t.name, NULL, e), e);
}

enum core_status
teams_list(struct core_ctx *c, struct team **out, size_t *n, struct core_err *e)
{
	*out = NULL;
	return rows_read(c, &st_team_list, NULL, &team_rows, "team list", (void **)out, n, e);
}

enum core_status
teams_find(struct core_ctx *c, const char *name, struct team *out, struct core_err *e)
{
	const char	*p[1] = { name };
	char		 msg[128];
	enum core_status st;

	snprintf(msg, sizeof(msg), "no team named \"%.100s\"", name ? name : "");
	if (name == NULL || !valid_text(name, 100) || *name == '\0')
		return core_fail(e, CORE_INVALID, "team", "%s", msg);
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	st = rows_one(c, &st_team_by_name, p, &team_rows, out, "team", msg, e);
	/* A name that names nothing is the caller's input at fault, as in a user's team. */
	if (st == CORE_NOT_FOUND)
		e->status = st = CORE_INVALID;
	return core_end(st, e);
}
