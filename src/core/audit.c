/* audit.c: writes audit events; the service role can insert and read them, never change them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "rows.h"

/*
 * The actor is $1–$4: org, user id, key id, and its display form, kept if
 * the user goes; $10 the surface the change came through ('' for none).
 */
DB_STMT(st_audit_insert_many, 10,
    "INSERT INTO gatehouse.audit_events (org_id, actor_user_id, actor_key_id, actor, action,"
    " target_type, target_id, changes, request_id, address, surface)"
    " SELECT $1, $2, $3, $4, $5, $6, ev->>'target', ev->'changes', $8, $9::inet, coalesce($10, '')"
    " FROM jsonb_array_elements($7::jsonb) WITH ORDINALITY x(ev, o) ORDER BY o");

enum core_status
audit_write_many(struct core_ctx *c, const char *action, const char *target_type,
    const char *events_json, struct core_err *e)
{
	char		 org[CORE_ID_LEN], uid[CORE_ID_LEN], kid[CORE_ID_LEN];
	const char	*p[10] = { org, NULL, NULL, "operator" };

	core_id_text(c->org_id, org);
	if (c->actor != NULL) {
		if (c->actor->user_id) {
			core_id_text(c->actor->user_id, uid);
			p[1] = uid;
		}
		/* A user acting through a link of theirs (no key) is named by the user alone. */
		if (c->actor->key_id) {
			core_id_text(c->actor->key_id, kid);
			p[2] = kid;
		}
		p[3] = c->actor->email ? c->actor->email : c->actor->key_ref;
	}
	p[4] = action;
	p[5] = target_type;
	p[6] = events_json;
	p[7] = c->request_id ? c->request_id : "";
	p[8] = c->address;
	p[9] = c->surface;
	/* Nobody reads its answer: it goes with the COMMIT, a failure of it failing that. */
	if (db_defer(&st_audit_insert_many, p) != DB_OK)
		return core_db_fail(e, "audit event");
	return CORE_OK;
}

int
audit_write(struct core_ctx *c, const char *action, const char *target_type,
    const char *target_id, const char *changes_json)
{
	struct buf	 b;
	struct jsonw	 w;
	struct core_err	 e;
	int		 rc;

	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_arr_open(&w);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "target", target_id);
	jsonw_key(&w, "changes");
	if (changes_json != NULL)
		jsonw_raw(&w, changes_json, strlen(changes_json));
	else
		jsonw_raw(&w, "{}", 2);
	jsonw_obj_close(&w);
	jsonw_arr_close(&w);
	rc = b.failed || audit_write_many(c, action, target_type, b.data, &e) != CORE_OK ? -1 : 0;
	buf_free(&b);
	return rc;
}

enum core_status
audit_buf(struct core_ctx *c, const char *action, const char *target_type, const char *target_id,
    struct buf *b, struct core_err *e)
{
	int rc = b->failed ? -1 : audit_write(c, action, target_type, target_id, b->data);

	buf_free(b);
	return rc == 0 ? CORE_OK : core_db_fail(e, "audit event");
}

/* "name": {"old": old, "new": new}: strings (NULL is null), or JSON text when raw. */
static void
change(struct jsonw *w, const char *name, const char *old, const char *new, bool raw)
{
	jsonw_key(w, name);
	jsonw_obj_open(w);
	for (int i = 0; i < 2; i++) {
		const char *v = i == 0 ? old : new;

		jsonw_key(w, i == 0 ? "old" : "new");
		if (raw && v != NULL)
			jsonw_raw(w, v, strlen(v));
		else
			jsonw_str(w, v);
	}
	jsonw_obj_close(w);
}

void
audit_change(struct jsonw *w, const char *name, const char *old, const char *new)
{
	change(w, name, old, new, false);
}

void
audit_change_json(struct jsonw *w, const char *name, const char *old, const char *new)
{
	change(w, name, old, new, true);
}

enum core_status
audit_changes(struct core_ctx *c, const char *action, const char *target_type,
    const char *target_id, const char *const (*ch)[3], size_t n, struct core_err *e)
{
	struct buf	b;
	struct jsonw	w;

	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	for (size_t i = 0; i < n; i++)
		audit_change(&w, ch[i][0], ch[i][1], ch[i][2]);
	jsonw_obj_close(&w);
	return audit_buf(c, action, target_type, target_id, &b, e);
}

DB_STMT(st_audit_list, 7,
    "SELECT a.id, gatehouse.iso(a.at), a.actor, u.uid, a.action, a.target_type, a.target_id,"
    " a.changes::text, a.request_id, host(a.address), a.surface"
    " FROM gatehouse.audit_events a LEFT JOIN gatehouse.users u"
    "  ON u.org_id = a.org_id AND u.id = a.actor_user_id"
    " WHERE a.org_id = gatehouse.current_org()"
    "  AND ($1::text IS NULL OR lower(a.actor) = lower($1))"
    "  AND ($2::text IS NULL OR a.target_id = $2)"
    "  AND ($3::text IS NULL OR a.action LIKE $3)"
    "  AND ($4::timestamptz IS NULL OR a.at >= $4::timestamptz)"
    "  AND ($5::timestamptz IS NULL OR a.at < $5::timestamptz)"
    "  AND ($6::bigint IS NULL OR a.id < $6::bigint)"
    " ORDER BY a.id DESC LIMIT $7::int");

static const struct rows_col event_cols[] = {
	ROWS_TEXT(struct audit_event, id), ROWS_TEXT(struct audit_event, at),
	ROWS_TEXT(struct audit_event, actor), ROWS_TEXT(struct audit_event, actor_uid),
	ROWS_TEXT(struct audit_event, action), ROWS_TEXT(struct audit_event, target_type),
	ROWS_TEXT(struct audit_event, target_id), ROWS_TEXT(struct audit_event, changes),
	ROWS_TEXT(struct audit_event, request_id), ROWS_TEXT(struct audit_event, address),
	ROWS_TEXT(struct audit_event, surface),
};
static const struct rows_kind event_rows = { "audit event",
	sizeof(event_cols) / sizeof(event_cols[0]), sizeof(struct audit_event), event_cols, NULL };

/*
 * An action filter as a LIKE pattern (a trailing * is a prefix); NULL stays
 * NULL. Any dotted name is taken, ours or not (AttackForge's documented
 * example is "ProjectController.getProject"): one that names no action of
 * ours simply matches nothing.
 */
static enum core_status
action_pattern(struct core_ctx *c, const char *action, char **out, struct core_err *e)
{
	size_t len;

	*out = NULL;
	if (action == NULL)
		return CORE_OK;
	len = strlen(action);
	if (len == 0 || len > 64 || strspn(action,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._*") != len ||
	    (strchr(action, '*') && strchr(action, '*') != action + len - 1))
		return core_fail(e, CORE_INVALID, "action",
		    "action is a name such as user.create, or a prefix such as user.*");
	if ((*out = arena_strdup(c->arena, action)) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if ((*out)[len - 1] == '*')
		(*out)[len - 1] = '%';
	return CORE_OK;
}

enum core_status
audit_list(struct core_ctx *c, const struct audit_query *q, struct audit_event **out, size_t *n,
    const char **next, struct core_err *e)
{
	char		 lim[16], *action = NULL;
	const char	*p[7];
	struct db_query	 rq = DB_QUERY(&st_audit_list, p);
	PGresult	*r;
	enum core_status st;
	size_t		 rows;

	*next = NULL;
	if ((st = core_check_page(q->limit, e)) != CORE_OK)
		return st;
	if (q->since && !valid_datetime(q->since))
		return core_fail(e, CORE_INVALID, "since", "since must be an ISO 8601 date or time");
	if (q->until && !valid_datetime(q->until))
		return core_fail(e, CORE_INVALID, "until", "until must be an ISO 8601 date or time");
	if (q->actor && !valid_line(q->actor, 254))
		return core_fail(e, CORE_INVALID, "actor", "actor must be an e-mail or key reference");
	if (q->target && !valid_line(q->target, 254))
		return core_fail(e, CORE_INVALID, "target", "target must be an id");
	if (q->cursor && !valid_id(q->cursor))
		return core_fail(e, CORE_INVALID, "cursor", "cursor is not from this list");
	if (action_pattern(c, q->action, &action, e) != CORE_OK)
		return e->status;
	snprintf(lim, sizeof(lim), "%d", q->limit + 1);
	p[0] = q->actor;
	p[1] = q->target;
	p[2] = action;
	p[3] = q->since;
	p[4] = q->until;
	p[5] = q->cursor;
	p[6] = lim;
	if ((st = core_read(c, &rq, 1, "audit log", e)) != CORE_OK)
		return st;
	r = rq.res;
	rows = (size_t)PQntuples(r);
	*n = rows > (size_t)q->limit ? (size_t)q->limit : rows;
	if ((*out = arena_alloc(c->arena, (*n ? *n : 1) * sizeof(**out))) == NULL) {
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < *n; i++)
		rows_fill(&event_rows, c->arena, r, (int)i, &(*out)[i]);
	if (rows > (size_t)q->limit && *n > 0)
		*next = (*out)[*n - 1].id;
	PQclear(r);
	return CORE_OK;
}

/* The events by user $1 (its id) or about it ($2, its uid), of action $3 (NULL: any). */
#define USER_TRAIL	" FROM gatehouse.audit_events a LEFT JOIN gatehouse.users u" \
    "  ON u.org_id = a.org_id AND u.id = a.actor_user_id" \
    " WHERE a.org_id = gatehouse.current_org()" \
    "  AND (a.actor_user_id = $1::bigint OR (a.target_type = 'user' AND a.target_id = $2))" \
    "  AND ($3::text IS NULL OR a.action LIKE $3)"
DB_STMT(st_audit_user, 5,
    "SELECT a.id, gatehouse.iso(a.at), a.actor, u.uid, a.action, a.target_type, a.target_id,"
    " a.changes::text, a.request_id, host(a.address)" USER_TRAIL
    " ORDER BY a.id DESC OFFSET $4::int LIMIT $5::int");
DB_STMT(st_audit_user_count, 3, "SELECT count(*)" USER_TRAIL);

enum core_status
audit_of_user(struct core_ctx *c, const struct user_ref *ref, const char *action, int offset,
    int limit, struct audit_event **out, size_t *n, int64_t *total, struct core_err *e)
{
	struct user	 u;
	char		 id[CORE_ID_LEN], off[16], lim[16], *pattern;
	const char	*p[5] = { id, NULL, NULL, off, lim };
	enum core_status st;

	*n = 0;
	*total = 0;
	if ((st = core_check_offset_page(offset, limit, e)) != CORE_OK ||
	    (st = action_pattern(c, action, &pattern, e)) != CORE_OK ||
	    (st = users_load(c, ref, false, &u, e)) != CORE_OK)	/* a read of its own */
		return st;
	core_id_text(u.id, id);
	p[1] = u.uid;
	p[2] = pattern;
	snprintf(off, sizeof(off), "%d", offset);
	snprintf(lim, sizeof(lim), "%d", limit);
	return rows_page(c, &st_audit_user, &st_audit_user_count, p, &event_rows,
	    "audit log", (void **)out, n, total, e);
}
