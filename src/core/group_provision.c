/*
 * group_provision.c: groups as an identity provider's directory (SCIM)
 * provisions them — named by uid, found by filter, created and changed as a
 * whole (name, external id, members) in one transaction each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/rand.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/groups.h"
#include "gatehouse/validate.h"
#include "groups_internal.h"
#include "rows.h"

/* The members of a group, or of several: g is the group (group_filter_fields below). */
#define MEMBERS_OF \
	"gatehouse.group_members gm JOIN gatehouse.users mu" \
	" ON mu.org_id = gm.org_id AND mu.id = gm.user_id" \
	" WHERE gm.org_id = g.org_id AND gm.group_id = g.id AND mu.status <> 'removed'"

const struct ffield group_filter_fields[] = {
	{ .name = "uid",	.sql = "g.uid",		.type = FT_UUID },
	{ .name = "name",	.sql = "g.name_lc",	.type = FT_LOWER },
	{ .name = "external_id", .sql = "g.external_id", .type = FT_EXACT },
	{ .name = "created_at",	.sql = "g.created_at",	.type = FT_TIME },
	{ .name = "updated_at",	.sql = "g.updated_at",	.type = FT_TIME },
	{ .name = "members",	.sql = MEMBERS_OF,	.type = FT_VALUES },
	{ .name = "members.value", .sql = "mu.uid",	.type = FT_UUID },
	{ .name = "members.display", .sql = "coalesce(nullif(mu.display_name, ''), mu.username)",
	  .type = FT_TEXT },
};
const size_t group_filter_nfields = sizeof(group_filter_fields) / sizeof(group_filter_fields[0]);

#define BY_UID	" AND g.uid = $1::uuid"
DB_STMT(st_group_by_uid, 1, GROUP_SELECT BY_UID);
DB_STMT(st_group_by_uid_lock, 1, GROUP_SELECT BY_UID " FOR UPDATE OF g");
DB_STMT(st_key_taken, 1,
    "SELECT 1 FROM gatehouse.groups WHERE org_id = gatehouse.current_org() AND lower(key) = lower($1)");
DB_STMT(st_group_new, 3,
    "INSERT INTO gatehouse.groups (org_id, key, name, external_id)"
    " VALUES (gatehouse.current_org(), $1, $2, $3) RETURNING uid");
DB_STMT(st_group_set, 3,
    "UPDATE gatehouse.groups SET name = coalesce($2, name), external_id = coalesce($3, external_id),"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
/* The users a change names, among the org's: their uid and level, held while it runs. */
DB_STMT(st_named_users, 1,
    "SELECT uid, access_level FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND uid = ANY($1::uuid[]) AND status <> 'removed' FOR KEY SHARE");
/* Each returns the uids of the users whose membership it changed. */
DB_STMT(st_members_add, 2,
    "WITH added AS (INSERT INTO gatehouse.group_members (org_id, group_id, user_id)"
    "  SELECT gatehouse.current_org(), $1::bigint, u.id FROM gatehouse.users u"
    "  WHERE u.org_id = gatehouse.current_org() AND u.uid = ANY($2::uuid[]) AND u.status <> 'removed'"
    "  ON CONFLICT DO NOTHING RETURNING user_id)"
    " SELECT u.uid FROM added a JOIN gatehouse.users u"
    "  ON u.org_id = gatehouse.current_org() AND u.id = a.user_id ORDER BY u.id");
DB_STMT(st_members_remove, 2,
    "DELETE FROM gatehouse.group_members m USING gatehouse.users u"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint"
    " AND u.org_id = m.org_id AND u.id = m.user_id AND u.uid = ANY($2::uuid[]) RETURNING u.uid");
DB_STMT(st_members_keep, 2,
    "DELETE FROM gatehouse.group_members m USING gatehouse.users u"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint"
    " AND u.org_id = m.org_id AND u.id = m.user_id AND NOT (u.uid = ANY($2::uuid[]))"
    " RETURNING u.uid");
/* The users a removal reaches, locked: none may be above the actor. */
DB_STMT(st_members_leaving, 3,
    "SELECT u.access_level FROM gatehouse.group_members m JOIN gatehouse.users u"
    " ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint"
    " AND (u.uid = ANY($2::uuid[])) = $3::boolean FOR UPDATE OF u");
#define ENTRIES(cond) \
	"SELECT u.uid, coalesce(nullif(u.display_name, ''), u.username), m.group_id" \
	" FROM gatehouse.group_members m JOIN gatehouse.users u" \
	" ON u.org_id = m.org_id AND u.id = m.user_id" \
	" WHERE m.org_id = gatehouse.current_org() AND " cond
#define ENTRIES_ORDER	" AND u.status <> 'removed' ORDER BY m.group_id, u.id LIMIT $2::int"
DB_STMT(st_entries, 2, ENTRIES("m.group_id = $1::bigint") ENTRIES_ORDER);
DB_STMT(st_entries_of, 2, ENTRIES("m.group_id = ANY($1::bigint[])") ENTRIES_ORDER);
DB_STMT(st_group_remove, 1,
    "DELETE FROM gatehouse.groups WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_group_reach, 1,
    "SELECT u.access_level FROM gatehouse.group_members m JOIN gatehouse.users u"
    " ON u.org_id = m.org_id AND u.id = m.user_id"
    " WHERE m.org_id = gatehouse.current_org() AND m.group_id = $1::bigint FOR UPDATE OF u");

/* --- reading ----------------------------------------------------------------- */

static enum core_status
load_uid(struct core_ctx *c, struct db_stmt *stmt, const char *uid, struct group *g,
    struct core_err *e)
{
	const char *p[1] = { uid };

	if (uid == NULL || !valid_uuid(uid))
		return core_fail(e, CORE_NOT_FOUND, NULL, "no such group");
	return rows_one(c, stmt, p, &groups_rows, g, NULL, "no such group", e);
}

enum core_status
groups_get_uid(struct core_ctx *c, const char *uid, struct group *out, struct core_err *e)
{
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	return core_end(load_uid(c, &st_group_by_uid, uid, out, e), e);
}

/* Fills entries from rows of an ENTRIES statement; too many is CORE_TOO_LARGE on "members". */
static enum core_status
read_entries(struct core_ctx *c, struct db_stmt *stmt, const char *arg, struct group_entry **out,
    int64_t **owner, size_t *n, struct core_err *e)
{
	char		 lim[16];
	const char	*p[2] = { arg, lim };
	PGresult	*r;
	size_t		 rows;

	snprintf(lim, sizeof(lim), "%d", GROUP_MAX_MEMBERS_LISTED + 1);
	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, "group members");
	if ((rows = (size_t)PQntuples(r)) > GROUP_MAX_MEMBERS_LISTED) {
		PQclear(r);
		return core_fail(e, CORE_TOO_LARGE, "members",
		    "more than %d members to list: leave members out (excludedAttributes=members)",
		    GROUP_MAX_MEMBERS_LISTED);
	}
	*out = arena_alloc(c->arena, (rows ? rows : 1) * sizeof(**out));
	if (owner != NULL)
		*owner = arena_alloc(c->arena, (rows ? rows : 1) * sizeof(**owner));
	if (*out == NULL || (owner != NULL && *owner == NULL)) {
		PQclear(r);
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < rows; i++) {
		(*out)[i].uid = db_text(c->arena, r, (int)i, 0);
		(*out)[i].display = db_text(c->arena, r, (int)i, 1);
		if (owner != NULL)
			(*owner)[i] = db_int(r, (int)i, 2);
	}
	*n = rows;
	PQclear(r);
	return CORE_OK;
}

enum core_status
groups_entries(struct core_ctx *c, const char *uid, struct group_entry **out, size_t *n,
    struct core_err *e)
{
	struct group	 g;
	char		 gid[CORE_ID_LEN];
	enum core_status st;

	*n = 0;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load_uid(c, &st_group_by_uid, uid, &g, e)) != CORE_OK)
		return core_abort(st);
	core_id_text(g.id, gid);
	return core_end(read_entries(c, &st_entries, gid, out, NULL, n, e), e);
}

/* "{a,b,c}": ids as one array parameter. */
static const char *
id_array(struct arena *a, const int64_t *ids, size_t n)
{
	struct buf	 b;
	const char	*out;

	buf_init(&b);
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&b, '}');
	out = b.failed ? NULL : arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return out;
}

enum core_status
groups_entries_of(struct core_ctx *c, const int64_t *ids, size_t nids, struct group_entry **out,
    int64_t **owner, size_t *n, struct core_err *e)
{
	const char	*lit = id_array(c->arena, ids, nids);
	enum core_status st;

	*n = 0;
	if (lit == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	return core_end(read_entries(c, &st_entries_of, lit, out, owner, n, e), e);
}

enum core_status
groups_find(struct core_ctx *c, const struct group_query *q, struct group_page *out,
    struct core_err *e)
{
	struct buf	 sql, count;
	struct fsql	 f;
	enum core_status st;
	const char	*lim, *off, *sort = q->sort ? q->sort : "created_at";
	size_t		 where;
	int		 nfilter;
	bool		 desc;
	PGresult	*r;

	memset(out, 0, sizeof(*out));
	if ((st = core_check_page(q->limit, e)) != CORE_OK)
		return st;
	if ((desc = *sort == '-'))
		sort++;
	if (strcmp(sort, "name") != 0 && strcmp(sort, "created_at") != 0)
		return core_fail(e, CORE_INVALID, "sort", "sort must be name or created_at");
	if (filter_terms(q->filter) > FILTER_MAX_TERMS)
		return core_fail(e, CORE_INVALID, "filter", "a filter takes at most %d terms",
		    FILTER_MAX_TERMS);
	buf_init(&sql);
	buf_init(&count);
	memset(&f, 0, sizeof(f));
	f.sql = &sql;
	f.first_param = 1;
	buf_puts(&sql, GROUP_SELECT);
	where = sql.len;
	if (q->filter != NULL) {
		buf_puts(&sql, " AND ");
		if (filter_compile(c->arena, q->filter, group_filter_fields, group_filter_nfields,
		    "not filterable by ", &f, e) != 0) {
			st = CORE_INVALID;
			goto done;
		}
	}
	nfilter = f.nparams;
	buf_puts(&count, "SELECT count(*) FROM gatehouse.groups g WHERE g.org_id = gatehouse.current_org()");
	buf_append(&count, sql.data + where, sql.len - where);
	lim = arena_printf(c->arena, "%d", q->limit);
	off = arena_printf(c->arena, "%d", q->offset > 0 ? q->offset : 0);
	buf_printf(&sql, " ORDER BY %s %s, g.id %s LIMIT $%d::int", strcmp(sort, "name") == 0 ?
	    "g.name_lc" : "g.created_at", desc ? "DESC" : "ASC", desc ? "DESC" : "ASC",
	    fsql_param(&f, lim));
	buf_printf(&sql, " OFFSET $%d::int", fsql_param(&f, off));
	if (lim == NULL || off == NULL || sql.failed || count.failed) {
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
		goto done;
	}
	if ((st = core_begin(c, e)) != CORE_OK)
		goto done;
	if ((r = db_exec_sql(buf_cstr(&sql), f.nparams, f.params)) == NULL) {
		st = core_abort(core_db_fail(e, "group list"));
		goto done;
	}
	out->n = (size_t)PQntuples(r);
	if ((out->groups = arena_alloc(c->arena, (out->n ? out->n : 1) * sizeof(*out->groups)))
	    == NULL) {
		PQclear(r);
		st = core_abort(core_fail(e, CORE_INTERNAL, NULL, "out of memory"));
		goto done;
	}
	for (size_t i = 0; i < out->n; i++)
		rows_fill(&groups_rows, c->arena, r, (int)i, &out->groups[i]);
	PQclear(r);
	/* A page that is not full, and not past the end, tells the total itself. */
	if (out->n < (size_t)q->limit && (out->n > 0 || q->offset <= 0))
		out->total = (q->offset > 0 ? q->offset : 0) + (int64_t)out->n;
	else if ((r = db_exec_sql(buf_cstr(&count), nfilter, f.params)) == NULL) {
		st = core_abort(core_db_fail(e, "group count"));
		goto done;
	} else {
		out->total = db_int(r, 0, 0);
		PQclear(r);
	}
	st = core_commit(e);
done:
	buf_free(&sql);
	buf_free(&count);
	return st;
}

/* --- changing ---------------------------------------------------------------- */

/* A change in progress: the group, and what its audit event will say. */
struct gchange {
	struct group	 g;
	char		 gid[CORE_ID_LEN];
	const char	*name, *external_id;	/* the new ones */
	struct buf	 added, removed;	/* JSON lists of uids, without brackets */
	bool		 changed;
};

/* "{uid,uid}" of n uids, each checked to be a UUID (so the literal needs no quoting). */
static enum core_status
uid_array(struct arena *a, const char *const *uids, size_t n, const char **out,
    struct core_err *e)
{
	struct buf b;

	if (n > GROUP_MAX_MEMBERS_CHANGED)
		return core_fail(e, CORE_TOO_LARGE, "members", "at most %d members in one change",
		    GROUP_MAX_MEMBERS_CHANGED);
	buf_init(&b);
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (uids[i] == NULL || !valid_uuid(uids[i])) {
			buf_free(&b);
			return core_fail(e, CORE_INVALID, "members",
			    "members: \"%.40s\" is not the id of a user", uids[i] ? uids[i] : "");
		}
		buf_printf(&b, "%s%s", i ? "," : "", uids[i]);
	}
	buf_putc(&b, '}');
	*out = b.failed ? NULL : arena_strndup(a, b.data, b.len);
	buf_free(&b);
	return *out ? CORE_OK : core_fail(e, CORE_INTERNAL, NULL, "out of memory");
}

/* Every named user is a user of the org the actor may act on, and not a guest. */
static enum core_status
check_joining(struct core_ctx *c, const char *const *uids, size_t n, const char *lit,
    struct core_err *e)
{
	const char	*p[1] = { lit };
	enum level	 l;
	PGresult	*r;
	size_t		 found;

	if ((r = db_exec(&st_named_users, p)) == NULL)
		return core_db_fail(e, "members");
	found = (size_t)PQntuples(r);
	for (size_t i = 0; i < found; i++) {
		if (level_parse(db_value(r, (int)i, 1), &l) != 0 || l > core_actor_level(c)) {
			PQclear(r);
			return core_fail(e, CORE_FORBIDDEN, "members",
			    "members: a user above your access level cannot be added");
		}
		if (l == LEVEL_GUEST) {
			core_fail(e, CORE_INVALID, "members", "members: %.40s is a guest: a guest "
			    "cannot join groups", db_value(r, (int)i, 0));
			PQclear(r);
			return CORE_INVALID;
		}
	}
	PQclear(r);
	if (found < n) {
		/* Which one: the first uid no row answered for. */
		for (size_t i = 0; i < n; i++) {
			struct user_ref ref = { UKEY_UID, uids[i] };
			struct user u;

			if (users_load(c, &ref, false, &u, e) != CORE_OK)
				return core_fail(e, CORE_INVALID, "members",
				    "members: no user with id %.40s in the organisation", uids[i]);
		}
	}
	return CORE_OK;
}

/* Runs a statement returning changed uids ($1 the group, $2 lit) and adds them to list. */
static enum core_status
members_run(struct gchange *g, struct db_stmt *stmt, const char *lit, struct buf *list,
    struct core_err *e)
{
	const char	*p[2] = { g->gid, lit };
	struct jsonw	 w;
	PGresult	*r;

	if ((r = db_exec(stmt, p)) == NULL)
		return core_db_fail(e, "group members");
	for (int i = 0; i < PQntuples(r); i++) {
		if (list->len > 0)
			buf_putc(list, ',');
		jsonw_init(&w, list);
		jsonw_str(&w, db_value(r, i, 0));
		g->changed = true;
	}
	PQclear(r);
	return CORE_OK;
}

/* Those leaving (named, or all but the named) must be within the actor's level. */
static enum core_status
check_leaving(struct core_ctx *c, struct gchange *g, const char *lit, bool named,
    struct core_err *e)
{
	const char	*p[3] = { g->gid, lit, named ? "true" : "false" };
	enum level	 l;
	PGresult	*r;

	if ((r = db_exec(&st_members_leaving, p)) == NULL)
		return core_db_fail(e, "group members");
	for (int i = 0; i < PQntuples(r); i++)
		if (level_parse(db_value(r, i, 0), &l) != 0 || l > core_actor_level(c)) {
			PQclear(r);
			return core_fail(e, CORE_FORBIDDEN, "members",
			    "members: a user above your access level cannot be removed");
		}
	PQclear(r);
	return CORE_OK;
}

/* One change, inside the transaction. */
static enum core_status
apply(struct core_ctx *c, struct gchange *g, const struct group_change *ch, struct core_err *e)
{
	enum core_status st;
	const char	*lit;

	switch (ch->kind) {
	case GCH_NAME:
		if ((st = core_check_line(ch->value, "name", 100, e)) != CORE_OK)
			return st;
		g->name = ch->value;
		return CORE_OK;
	case GCH_EXTERNAL_ID:
		if (ch->value == NULL || (*ch->value != '\0' && !valid_line(ch->value, 256)))
			return core_fail(e, CORE_INVALID, "external_id",
			    "external_id must be at most 256 bytes of text on one line");
		g->external_id = ch->value;
		return CORE_OK;
	case GCH_ADD:
	case GCH_REMOVE:
	case GCH_SET:
		break;
	default:
		return core_fail(e, CORE_INTERNAL, NULL, "unknown group change");
	}
	if ((st = uid_array(c->arena, ch->uids, ch->n, &lit, e)) != CORE_OK)
		return st;
	if (ch->kind != GCH_ADD &&
	    (st = check_leaving(c, g, lit, ch->kind == GCH_REMOVE, e)) != CORE_OK)
		return st;
	if (ch->kind == GCH_REMOVE) {
		size_t before = g->removed.len;

		if ((st = members_run(g, &st_members_remove, lit, &g->removed, e)) != CORE_OK)
			return st;
		if (ch->strict && g->removed.len == before)
			return core_fail(e, CORE_NOT_FOUND, "members", "no member matches");
		return CORE_OK;
	}
	if (ch->kind == GCH_SET &&
	    (st = members_run(g, &st_members_keep, lit, &g->removed, e)) != CORE_OK)
		return st;
	if ((st = check_joining(c, ch->uids, ch->n, lit, e)) != CORE_OK)
		return st;
	return members_run(g, &st_members_add, lit, &g->added, e);
}

/* Writes the new name and external id, and the audit event; the transaction goes on. */
static enum core_status
finish(struct core_ctx *c, struct gchange *g, const char *action, const struct group *old,
    struct core_err *e)
{
	struct buf	 b;
	struct jsonw	 w;
	bool		 renamed = old == NULL || strcmp(old->name, g->name) != 0;
	bool		 external = old == NULL ? *g->external_id != '\0' :
			    strcmp(old->external_id, g->external_id) != 0;
	PGresult	*r;

	if (old != NULL && (renamed || external)) {
		const char *p[3] = { g->gid, renamed ? g->name : NULL,
		    external ? g->external_id : NULL };

		if ((r = db_exec(&st_group_set, p)) == NULL)
			return core_db_fail(e, "group");
		PQclear(r);
		g->changed = true;
	}
	if (old != NULL && !g->changed)
		return CORE_OK;
	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	if (old == NULL)
		audit_change(&w, "key", NULL, g->g.key);
	if (renamed)
		audit_change(&w, "name", old ? old->name : NULL, g->name);
	if (external)
		audit_change(&w, "external_id", old ? old->external_id : NULL, g->external_id);
	jsonw_obj_close(&w);
	/* The member lists, spliced in before the closing brace. */
	if (!b.failed && (g->added.len > 0 || g->removed.len > 0)) {
		b.len--;
		buf_printf(&b, "%s\"members\":{\"added\":[%.*s],\"removed\":[%.*s]}}",
		    b.len > 1 ? "," : "", (int)g->added.len, g->added.data ? g->added.data : "",
		    (int)g->removed.len, g->removed.data ? g->removed.data : "");
	}
	return audit_buf(c, action, "group", g->g.key, &b, e);
}

static void
gchange_free(struct gchange *g)
{
	buf_free(&g->added);
	buf_free(&g->removed);
}

/* A key from a name: spaces, "/" and "," become "-", cut to fit; "group" when nothing is left. */
static char *
key_from(struct arena *a, const char *name)
{
	size_t	 n = strlen(name);
	char	*k, *o;

	if (n > 90) {
		/* Cut where a character starts, never inside its UTF-8 sequence. */
		n = 90;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	if ((k = o = arena_strndup(a, name, n)) == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		*o++ = (*p <= ' ' || *p == '/' || *p == ',' || *p == 0x7f) ? '-' : (char)*p;
	*o = '\0';
	return groups_key_ok(k) ? k : arena_strdup(a, "group");
}

/* The key of a new group named name: its own, or with a random suffix when taken. */
static enum core_status
new_key(struct core_ctx *c, const char *name, const char **out, struct core_err *e)
{
	char		*k = key_from(c->arena, name);
	const char	*p[1] = { k };
	unsigned char	 rnd[4];
	PGresult	*r;
	bool		 taken;

	if (k == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if ((r = db_exec(&st_key_taken, p)) == NULL)
		return core_db_fail(e, "group");
	taken = PQntuples(r) > 0;
	PQclear(r);
	if (!taken) {
		*out = k;
		return CORE_OK;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return core_fail(e, CORE_INTERNAL, NULL, "random number generator failed");
	*out = arena_printf(c->arena, "%s-%02x%02x%02x%02x", k, rnd[0], rnd[1], rnd[2], rnd[3]);
	return *out ? CORE_OK : core_fail(e, CORE_INTERNAL, NULL, "out of memory");
}

enum core_status
groups_provision_create(struct core_ctx *c, const char *name, const char *external_id,
    const char *const *uids, size_t n, struct group *out, struct core_err *e)
{
	struct gchange		 g;
	struct group_change	 add = { GCH_ADD, NULL, uids, n, false };
	const char		*key = NULL, *uid;
	enum core_status	 st;
	PGresult		*r;

	memset(&g, 0, sizeof(g));
	if ((st = core_check_line(name, "name", 100, e)) != CORE_OK)
		return st;
	if (external_id == NULL)
		external_id = "";
	if (*external_id != '\0' && !valid_line(external_id, 256))
		return core_fail(e, CORE_INVALID, "external_id",
		    "external_id must be at most 256 bytes of text on one line");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = new_key(c, name, &key, e)) != CORE_OK)
		return core_abort(st);
	{
		const char *p[3] = { key, name, external_id };

		if ((r = db_exec(&st_group_new, p)) == NULL)
			return core_abort(core_taken(e, "name", "group",
			    "a group with key \"%.100s\" already exists", key));
	}
	uid = db_text(c->arena, r, 0, 0);
	PQclear(r);
	buf_init(&g.added);
	buf_init(&g.removed);
	g.name = name;
	g.external_id = external_id;
	if ((st = load_uid(c, &st_group_by_uid_lock, uid, &g.g, e)) == CORE_OK) {
		core_id_text(g.g.id, g.gid);
		if ((n == 0 || (st = apply(c, &g, &add, e)) == CORE_OK) &&
		    (st = finish(c, &g, "group.create", NULL, e)) == CORE_OK)
			st = load_uid(c, &st_group_by_uid, uid, out, e);
	}
	gchange_free(&g);
	return core_end(st, e);
}

enum core_status
groups_provision_change(struct core_ctx *c, const char *uid, const struct group_change *ch,
    size_t n, int if_version, struct group *out, struct core_err *e)
{
	struct gchange	 g;
	enum core_status st;

	memset(&g, 0, sizeof(g));
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load_uid(c, &st_group_by_uid_lock, uid, &g.g, e)) != CORE_OK ||
	    (st = core_check_version((int)g.g.version, if_version, "group", e)) != CORE_OK)
		return core_abort(st);
	core_id_text(g.g.id, g.gid);
	g.name = g.g.name;
	g.external_id = g.g.external_id;
	buf_init(&g.added);
	buf_init(&g.removed);
	for (size_t i = 0; i < n; i++)
		if ((st = apply(c, &g, &ch[i], e)) != CORE_OK) {
			gchange_free(&g);
			return core_abort(st);
		}
	st = finish(c, &g, "group.update", &g.g, e);
	gchange_free(&g);
	if (st != CORE_OK)
		return core_abort(st);
	if (!g.changed) {
		*out = g.g;
		db_rollback();
		return CORE_OK;
	}
	if ((st = load_uid(c, &st_group_by_uid, uid, out, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
groups_delete_uid(struct core_ctx *c, const char *uid, int if_version, struct core_err *e)
{
	static const struct groups_reach reach = { &st_group_reach, &st_group_remove, "group",
		"members" };
	struct group	 g;
	enum core_status st;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = load_uid(c, &st_group_by_uid_lock, uid, &g, e)) != CORE_OK ||
	    (st = core_check_version((int)g.version, if_version, "group", e)) != CORE_OK)
		return core_abort(st);
	return core_end(groups_delete_reaching(c, &reach, g.id, g.key, g.name, g.members, e), e);
}
