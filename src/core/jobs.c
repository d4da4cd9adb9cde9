/* jobs.c: jobs as a resource (accept, poll, list, cancel) and the runner's claim and steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/jobs.h"
#include "gatehouse/log.h"
#include "gatehouse/password.h"
#include "gatehouse/seal.h"
#include "gatehouse/validate.h"
#include "hold.h"
#include "rows.h"

#define JOB_COLS \
	"j.id, j.kind, j.status, j.total," \
	" count(*) FILTER (WHERE i.status = 'pending')," \
	" count(*) FILTER (WHERE i.status = 'succeeded')," \
	" count(*) FILTER (WHERE i.status = 'failed')," \
	" count(*) FILTER (WHERE i.status = 'cancelled')," \
	" gatehouse.iso(j.created_at), gatehouse.iso(j.started_at), gatehouse.iso(j.finished_at)," \
	" gatehouse.iso(j.finished_at + interval '7 days')"	/* JOBS_KEEP_DAYS */
#define JOB_FROM \
	" FROM gatehouse.jobs j JOIN gatehouse.job_items i ON i.org_id = j.org_id AND i.job_id = j.id" \
	" WHERE j.org_id = gatehouse.current_org()"

DB_STMT(st_job_id, 0, "SELECT nextval('gatehouse.ids')");
DB_STMT(st_job_insert, 6,
    "INSERT INTO gatehouse.jobs (org_id, id, kind, total, seal_key, actor_key_id, actor_user_id,"
    " actor_level, actor_ref, request_id)"
    " SELECT gatehouse.current_org(), $1::bigint, $2, $3::integer, $4, nullif($5::jsonb->>'key', '')::bigint,"
    "  nullif($5::jsonb->>'user', '')::bigint, $5::jsonb->>'level', $5::jsonb->>'ref', $6");
/* $2: [{"payload": {...}, "sealed": "<hex>" or null}, …] in item order. */
DB_STMT(st_job_items, 2,
    "INSERT INTO gatehouse.job_items (org_id, job_id, pos, payload, sealed)"
    " SELECT gatehouse.current_org(), $1::bigint, (x.n - 1)::integer, x.v->'payload',"
    "  decode(x.v->>'sealed', 'hex')"
    " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(v, n)");
DB_STMT(st_job_notify, 0, "SELECT pg_notify('gatehouse_jobs', '')");
DB_STMT(st_job_get, 1, "SELECT " JOB_COLS JOB_FROM " AND j.id = $1::bigint GROUP BY j.org_id, j.id");
DB_STMT(st_job_list, 1,
    "SELECT " JOB_COLS JOB_FROM " AND j.id IN (SELECT id FROM gatehouse.jobs"
    "  WHERE org_id = gatehouse.current_org() ORDER BY id DESC LIMIT $1::integer)"
    " GROUP BY j.org_id, j.id ORDER BY j.id DESC");
DB_STMT(st_job_results, 1,
    "SELECT pos, status, result_status, result::text FROM gatehouse.job_items"
    " WHERE org_id = gatehouse.current_org() AND job_id = $1::bigint AND status <> 'pending'"
    " ORDER BY pos");
DB_STMT(st_job_lock, 1,
    "SELECT status FROM gatehouse.jobs WHERE org_id = gatehouse.current_org() AND id = $1::bigint"
    " FOR UPDATE");
DB_STMT(st_job_cancel, 1,
    "WITH c AS (UPDATE gatehouse.jobs SET status = 'cancelled', finished_at = now()"
    "  WHERE org_id = gatehouse.current_org() AND id = $1::bigint RETURNING id)"
    " UPDATE gatehouse.job_items SET status = 'cancelled', payload = NULL, sealed = NULL,"
    "  finished_at = now()"
    " WHERE org_id = gatehouse.current_org() AND job_id = (SELECT id FROM c) AND status = 'pending'");
DB_STMT(st_runner_beat, 1, "SELECT gatehouse.job_runner_beat($1)");
DB_STMT(st_jobs_purge, 0, "SELECT gatehouse.jobs_purge() + gatehouse.idempotency_purge()");
DB_STMT(st_job_claim, 1, "SELECT org_id, id FROM gatehouse.job_claim($1) WHERE id IS NOT NULL");
DB_STMT(st_job_actor, 1,
    "SELECT actor_key_id, actor_user_id, actor_level, actor_ref, request_id"
    " FROM gatehouse.jobs WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
/* The next pending item, locked: a second runner on the same job waits for it. */
DB_STMT(st_item_next, 1,
    "SELECT pos, payload::text, encode(sealed, 'hex') FROM gatehouse.job_items"
    " WHERE org_id = gatehouse.current_org() AND job_id = $1::bigint AND status = 'pending'"
    " ORDER BY pos LIMIT 1 FOR UPDATE");
DB_STMT(st_item_done, 5,
    "UPDATE gatehouse.job_items SET status = $3, result_status = $4::integer, result = $5::jsonb,"
    " payload = NULL, sealed = NULL, finished_at = now()"
    " WHERE org_id = gatehouse.current_org() AND job_id = $1::bigint AND pos = $2::integer"
    " AND status = 'pending'");
/* Ends a running job with no item left; a cancelled one stays so. */
DB_STMT(st_job_finish, 1,
    "UPDATE gatehouse.jobs SET status = 'finished', finished_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint AND status = 'running'"
    " AND NOT EXISTS (SELECT 1 FROM gatehouse.job_items WHERE org_id = gatehouse.current_org()"
    "  AND job_id = $1::bigint AND status = 'pending')"
    " RETURNING 1");

static const struct rows_col job_cols[] = {
	ROWS_INT(struct job, id), ROWS_TEXT(struct job, kind), ROWS_TEXT(struct job, status),
	ROWS_INT(struct job, total), ROWS_INT(struct job, pending),
	ROWS_INT(struct job, succeeded), ROWS_INT(struct job, failed),
	ROWS_INT(struct job, cancelled), ROWS_TEXT(struct job, created_at),
	ROWS_TEXT(struct job, started_at), ROWS_TEXT(struct job, finished_at),
	ROWS_TEXT(struct job, expires_at),
};
static const struct rows_kind job_kind = {
	"job", sizeof(job_cols) / sizeof(job_cols[0]), sizeof(struct job), job_cols, NULL
};
static const struct rows_col result_cols[] = {
	ROWS_INT(struct job_result, pos), ROWS_TEXT(struct job_result, status),
	ROWS_INT(struct job_result, code), ROWS_TEXT(struct job_result, result),
};
static const struct rows_kind result_kind = {
	"job result", sizeof(result_cols) / sizeof(result_cols[0]), sizeof(struct job_result),
	result_cols, NULL
};

_Static_assert(SEAL_PLAIN_MAX >= 4 * PASSWORD_MAX_CHARS, "a seal holds any password");

bool
jobs_available(void)
{
	return seal_ready();
}

/* What a sealed password of item pos of a job is bound to. */
static void
item_aad(char *aad, size_t size, int64_t org, int64_t job, size_t pos)
{
	snprintf(aad, size, "gatehouse job %lld/%lld/%zu", (long long)org, (long long)job, pos);
}

/* Appends item i as {"payload": …, "sealed": …} to w; -1 when its password cannot be sealed. */
static int
item_json(struct jsonw *w, const struct core_ctx *c, int64_t job, size_t i,
    const struct job_item_in *it)
{
	unsigned char	 sealed[SEAL_PLAIN_MAX + SEAL_OVERHEAD];
	char		 hex[2 * sizeof(sealed) + 1], aad[96];
	size_t		 n;

	jsonw_obj_open(w);
	jsonw_key(w, "payload");
	jsonw_raw(w, it->payload, strlen(it->payload));
	jsonw_key(w, "sealed");
	if (it->password == NULL)
		jsonw_null(w);
	else {
		n = strlen(it->password);
		item_aad(aad, sizeof(aad), c->org_id, job, i);
		if (n > SEAL_PLAIN_MAX || seal(it->password, n, aad, sealed) != 0)
			return -1;
		base16_encode(sealed, n + SEAL_OVERHEAD, hex);
		jsonw_str(w, hex);
	}
	jsonw_obj_close(w);
	return 0;
}

/* The actor as the job keeps it: {"key", "user", "level", "ref"}. */
static void
actor_json(struct buf *b, const struct core_ctx *c)
{
	const struct principal	*p = c->actor;
	struct jsonw		 w;
	char			 id[CORE_ID_LEN];

	jsonw_init(&w, b);
	jsonw_obj_open(&w);
	core_id_text(p ? p->key_id : 0, id);
	jsonw_kstr(&w, "key", p && p->key_id ? id : "");
	core_id_text(p ? p->user_id : 0, id);
	jsonw_kstr(&w, "user", p && p->user_id ? id : "");
	jsonw_kstr(&w, "level", level_name(core_actor_level(c)));
	jsonw_kstr(&w, "ref", p ? (p->email ? p->email : p->key_ref) : "gatehousectl");
	jsonw_obj_close(&w);
}

enum core_status
jobs_create(struct core_ctx *c, const char *kind, const struct job_item_in *items, size_t n,
    struct job *out, struct core_err *e)
{
	struct buf	 list, actor;
	struct jsonw	 w;
	char		 id[CORE_ID_LEN], total[CORE_ID_LEN];
	const char	*p[6] = { id, kind, total, seal_id(), NULL, c->request_id ? c->request_id : "" };
	const char	*pi[2] = { id, NULL };
	enum core_status st;
	PGresult	*r;
	int64_t		 job;
	int		 bad = 0;

	if (!seal_ready())
		return core_fail(e, CORE_UNAVAILABLE, NULL, "this server runs no jobs");
	if (n == 0 || n > JOBS_MAX_ITEMS)
		return core_fail(e, CORE_TOO_LARGE, NULL, "a job has 1 to %d items", JOBS_MAX_ITEMS);
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_job_id, NULL)) == NULL)
		return core_abort(core_db_fail(e, "job"));
	job = db_int(r, 0, 0);
	PQclear(r);
	core_id_text(job, id);
	core_id_text((int64_t)n, total);
	buf_init(&list);
	buf_init(&actor);
	jsonw_init(&w, &list);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n && bad == 0; i++)
		bad = item_json(&w, c, job, i, &items[i]);
	jsonw_arr_close(&w);
	actor_json(&actor, c);
	if (bad != 0 || list.failed || actor.failed)
		st = core_fail(e, CORE_INTERNAL, NULL, "the job could not be sealed");
	else {
		p[4] = buf_cstr(&actor);
		pi[1] = buf_cstr(&list);
		if ((r = db_exec(&st_job_insert, p)) == NULL ||
		    (PQclear(r), r = db_exec(&st_job_items, pi)) == NULL ||
		    (PQclear(r), r = db_exec(&st_job_notify, NULL)) == NULL)
			st = core_db_fail(e, "job");
		PQclear(r);
	}
	buf_wipe(&list);
	buf_free(&list);
	buf_free(&actor);
	if (st != CORE_OK)
		return core_abort(st);
	if ((st = rows_one(c, &st_job_get, (const char *const[]){ id }, &job_kind, out, NULL,
	    "no such job", e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
jobs_get(struct core_ctx *c, const char *id, struct job *out, struct job_result **res,
    size_t *nres, struct core_err *e)
{
	enum core_status st;
	void		*v = NULL;

	*res = NULL;
	*nres = 0;
	if (!valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, "id", "no such job");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	st = rows_one(c, &st_job_get, (const char *const[]){ id }, &job_kind, out, "id",
	    "no such job", e);
	if (st == CORE_OK && res != NULL)
		st = rows_read(c, &st_job_results, id, &result_kind, "job results", &v, nres, e);
	if (res != NULL)
		*res = v;
	return core_end(st, e);
}

enum core_status
jobs_list(struct core_ctx *c, int limit, struct job **out, size_t *n, struct core_err *e)
{
	char		 lim[CORE_ID_LEN];
	enum core_status st;
	void		*v = NULL;

	if ((st = core_check_page(limit, e)) != CORE_OK)
		return st;
	core_id_text(limit, lim);
	st = rows_read(c, &st_job_list, lim, &job_kind, "jobs", &v, n, e);
	*out = v;
	return st;
}

enum core_status
jobs_cancel(struct core_ctx *c, const char *id, struct job *out, struct core_err *e)
{
	enum core_status st;
	PGresult	*r;
	const char	*status;
	bool		 open;

	if (!valid_id(id))
		return core_fail(e, CORE_NOT_FOUND, "id", "no such job");
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	/* Locked: the runner's finish and this cancel cannot cross. */
	if ((r = db_exec(&st_job_lock, (const char *const[]){ id })) == NULL)
		return core_abort(core_db_fail(e, "job"));
	status = PQntuples(r) == 1 ? db_value(r, 0, 0) : NULL;
	open = status != NULL && (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0);
	PQclear(r);
	if (status == NULL)
		return core_abort(core_fail(e, CORE_NOT_FOUND, "id", "no such job"));
	if (!open)
		return core_abort(core_fail(e, CORE_CONFLICT, "id", "the job has already ended"));
	if ((r = db_exec(&st_job_cancel, (const char *const[]){ id })) == NULL)
		return core_abort(core_db_fail(e, "job"));
	PQclear(r);
	if ((st = rows_one(c, &st_job_get, (const char *const[]){ id }, &job_kind, out, "id",
	    "no such job", e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

/* --- the runner ------------------------------------------------------------------------- */

int
jobs_wait(int timeout_ms)
{
	return db_wait("gatehouse_jobs", timeout_ms);
}

int
jobs_beat(void)
{
	PGresult *r = db_exec(&st_runner_beat, (const char *const[]){ seal_id() });

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

long
jobs_purge(void)
{
	PGresult	*r;
	long		 n;

	if ((r = db_exec(&st_jobs_purge, NULL)) == NULL)
		return -1;
	n = (long)db_int(r, 0, 0);
	PQclear(r);
	return n;
}

enum core_status
jobs_claim(struct core_ctx *c, struct job_run *j, bool *found, struct core_err *e)
{
	PGresult	*r;
	char		 id[CORE_ID_LEN];
	enum core_status st;
	const char	*level;

	*found = false;
	memset(j, 0, sizeof(*j));
	/* Across orgs, through the one function that may: it commits on its own. */
	if ((r = db_exec(&st_job_claim, (const char *const[]){ seal_id() })) == NULL)
		return core_db_fail(e, "job claim");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return CORE_OK;
	}
	j->org_id = db_int(r, 0, 0);
	j->id = db_int(r, 0, 1);
	PQclear(r);
	c->org_id = j->org_id;
	core_id_text(j->id, id);
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_job_actor, (const char *const[]){ id })) == NULL)
		return core_abort(core_db_fail(e, "job"));
	level = PQntuples(r) == 1 ? db_value(r, 0, 2) : NULL;
	if (level == NULL || level_parse(level, &j->actor.level) != 0) {
		PQclear(r);
		return core_abort(core_fail(e, CORE_INTERNAL, NULL, "job %s has no actor", id));
	}
	j->actor.org_id = j->org_id;
	j->actor.key_id = db_int(r, 0, 0);
	j->actor.user_id = db_int(r, 0, 1);
	snprintf(j->actor_ref, sizeof(j->actor_ref), "%s", db_value(r, 0, 3) ? db_value(r, 0, 3) : "");
	snprintf(j->request_id, sizeof(j->request_id), "%s", db_value(r, 0, 4) ? db_value(r, 0, 4) : "");
	/* The audit trail names the actor by its display form, as when the job was accepted. */
	snprintf(j->actor.key_ref, sizeof(j->actor.key_ref), "%.47s", j->actor_ref);
	j->actor.email = j->actor_ref;
	PQclear(r);
	*found = true;
	return core_commit(e);
}

/* The failure of an item whose password no runner can open any more. */
static void
unsealable(struct buf *b, int *code)
{
	struct jsonw w;

	*code = 503;
	jsonw_init(&w, b);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "field", "password");
	jsonw_kstr(&w, "detail", "the server that accepted this job stopped before this item ran; "
	    "its password was kept only encrypted under a key in that server's memory, which is "
	    "gone: send this user again");
	jsonw_obj_close(&w);
}

/* Records item pos's outcome in the open transaction. */
static enum core_status
item_record(const char *job, const char *pos, int code, struct buf *result, struct core_err *e)
{
	char		 scode[CORE_ID_LEN];
	const char	*p[5] = { job, pos, code >= 200 && code <= 299 ? "succeeded" : "failed", scode,
	    result->failed || result->len == 0 ? "{}" : buf_cstr(result) };
	PGresult	*r;

	core_id_text(code, scode);
	if ((r = db_exec(&st_item_done, p)) == NULL)
		return core_db_fail(e, "job item");
	PQclear(r);
	return CORE_OK;
}

enum core_status
jobs_step(struct core_ctx *c, const struct job_run *j, job_item_fn fn, void *arg, bool *more,
    struct core_err *e)
{
	char		 job[CORE_ID_LEN], pos[CORE_ID_LEN], aad[96], pw[SEAL_PLAIN_MAX + 1];
	unsigned char	 sealed[SEAL_PLAIN_MAX + SEAL_OVERHEAD];
	const char	*hex, *payload;
	struct buf	 result;
	enum core_status st;
	PGresult	*r;
	int		 code = 0;
	bool		 has_pw = false, opened = false;

	*more = false;
	c->org_id = j->org_id;
	core_id_text(j->id, job);
	if ((st = core_hold(c, e)) != CORE_OK)
		return st;
	if ((r = db_exec(&st_job_lock, (const char *const[]){ job })) == NULL)
		return core_release(core_db_fail(e, "job"), e);
	if (PQntuples(r) != 1 || strcmp(db_value(r, 0, 0) ? db_value(r, 0, 0) : "", "running") != 0) {
		PQclear(r);
		return core_release(CORE_OK, e);	/* cancelled (or gone) meanwhile */
	}
	PQclear(r);
	if ((r = db_exec(&st_item_next, (const char *const[]){ job })) == NULL)
		return core_release(core_db_fail(e, "job item"), e);
	if (PQntuples(r) == 0) {
		PQclear(r);
		if ((r = db_exec(&st_job_finish, (const char *const[]){ job })) == NULL)
			return core_release(core_db_fail(e, "job"), e);
		PQclear(r);
		return core_release(CORE_OK, e);
	}
	*more = true;
	snprintf(pos, sizeof(pos), "%s", db_value(r, 0, 0) ? db_value(r, 0, 0) : "0");
	payload = db_text(c->arena, r, 0, 1);
	hex = db_value(r, 0, 2);
	if (hex != NULL) {
		long len = base16_decode(hex, sealed, sizeof(sealed));

		has_pw = true;
		item_aad(aad, sizeof(aad), j->org_id, j->id, (size_t)strtoul(pos, NULL, 10));
		/* Bad text opens nothing: the item is reported unsealable, as for a wrong key. */
		opened = len > 0 && seal_open(sealed, (size_t)len, aad, pw, sizeof(pw)) == 0;
	}
	PQclear(r);
	buf_init(&result);
	if (payload == NULL)
		st = core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	else if (has_pw && !opened)
		unsealable(&result, &code);
	else
		st = fn(c, payload, has_pw ? pw : NULL, &code, &result, arg);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (st != CORE_OK) {
		buf_free(&result);
		return core_release(st, e);	/* the item runs again later */
	}
	/* The item's own failure rolled back its work alone (core_abort inside a hold). */
	if (!db_in_tx()) {
		buf_free(&result);
		return core_release(CORE_OK, e);	/* the connection went: it runs again */
	}
	st = item_record(job, pos, code, &result, e);
	buf_free(&result);
	return core_release(st, e);
}
