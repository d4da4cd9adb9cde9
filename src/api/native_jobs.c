/* native_jobs.c: /api/v1/jobs — bulk work too long for one request, and the runner that does it. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/jobs.h"
#include "gatehouse/json.h"
#include "gatehouse/log.h"
#include "gatehouse/password.h"
#include "gatehouse/request.h"
#include "gatehouse/signin.h"
#include "gatehouse/users.h"

#include "native.h"

#define RUNNER_ARENA	(16u << 20)
#define BEAT_SECONDS	2	/* well inside the 15 s after which a runner counts as gone */
#define PURGE_SECONDS	3600

/* The job's members, its object left open: the caller may add more and closes it. */
static void
job_open(struct jsonw *w, const struct job *j)
{
	jsonw_obj_open(w);
	jsonw_kint(w, "id", j->id);
	jsonw_kstr(w, "kind", j->kind);
	jsonw_kstr(w, "status", j->status);
	jsonw_kint(w, "total", j->total);
	jsonw_kint(w, "done", j->total - j->pending);
	jsonw_kint(w, "succeeded", j->succeeded);
	jsonw_kint(w, "failed", j->failed);
	jsonw_kint(w, "cancelled", j->cancelled);
	jsonw_kstr(w, "created_at", j->created_at);
	jsonw_kstr(w, "started_at", j->started_at);
	jsonw_kstr(w, "finished_at", j->finished_at);
	jsonw_kstr(w, "expires_at", j->expires_at);
}

static void
job_json(struct jsonw *w, const void *v)
{
	job_open(w, v);
	jsonw_obj_close(w);
}

/* The job with every ended item's result, as the whole answer. */
static void
reply_job(struct request *r, int status, const struct job *j, const struct job_result *res,
    size_t n)
{
	struct jsonw w;

	api_json_begin(r, status, &w);
	job_open(&w, j);
	jsonw_key(&w, "results");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&w);
		jsonw_kint(&w, "index", res[i].pos);
		jsonw_kstr(&w, "status", res[i].status);
		if (res[i].code != 0)
			jsonw_kint(&w, "code", res[i].code);
		if (res[i].result != NULL) {
			jsonw_key(&w, strcmp(res[i].status, "succeeded") == 0 ? "user" : "error");
			jsonw_raw(&w, res[i].result, strlen(res[i].result));
		}
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
}

static void
h_jobs_list(struct request *r)
{
	static const char *const known[] = { "limit", NULL };
	struct core_ctx	 c;
	struct core_err	 e;
	struct job	*jobs = NULL;
	size_t		 n = 0;
	long		 limit = CORE_PAGE_DEFAULT;
	enum core_status st;

	if (!api_begin(r, known, &c) || api_int(r, "limit", 1, CORE_PAGE_MAX, &limit) != 0)
		return;
	st = jobs_list(&c, (int)limit, &jobs, &n, &e);
	api_reply_list(r, st, &e, "jobs", jobs, n, sizeof(*jobs), job_json);
}

/* A job with its results, after cancelling it when cancel is set. */
static void
job_answer(struct request *r, bool cancel)
{
	static const char *const known[] = { NULL };
	const char		*id = req_path_param(r, "id");
	struct core_ctx		 c;
	struct core_err		 e;
	struct job		 j;
	struct job_result	*res;
	size_t			 n;

	if (!api_begin(r, known, &c))
		return;
	if ((cancel && jobs_cancel(&c, id, &j, &e) != CORE_OK) ||
	    jobs_get(&c, id, &j, &res, &n, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	reply_job(r, 200, &j, res, n);
}

static void
h_jobs_get(struct request *r)
{
	job_answer(r, false);
}

static void
h_jobs_cancel(struct request *r)
{
	job_answer(r, true);
}

void
native_bulk_job(struct request *r, const struct json *list, const struct user_create *reqs)
{
	static const char *const secret[] = { "password", NULL };
	struct job_item_in	*items = arena_alloc(r->arena, list->n * sizeof(*items));
	struct core_ctx		 c;
	struct core_err		 e;
	struct job		 j;
	struct buf		 b;
	struct jsonw		 w;
	enum core_status	 st = CORE_OK;
	size_t			 at;

	if (items == NULL) {
		api_failf(r, CORE_TOO_LARGE, "users", "too many users in one request");
		return;
	}
	/* Refused now, as a synchronous bulk create is, rather than item by item later. */
	api_ctx(r, &c);
	if (users_create_check(&c, reqs, list->n, &at, &e) != CORE_OK) {
		if (at == USERS_NO_ITEM)
			api_fail(r, &e);
		else
			api_item_fail(r, "users", at, &e);
		return;
	}
	/* Each item as sent, but its password, which is sealed apart. */
	for (size_t i = 0; i < list->n && st == CORE_OK; i++) {
		/* Longer than any password may be, and than a seal holds: the item's 400 now. */
		if (reqs[i].password != NULL && strlen(reqs[i].password) > 4 * PASSWORD_MAX_CHARS) {
			core_fail(&e, CORE_INVALID, "password", "password must be at most %d characters",
			    PASSWORD_MAX_CHARS);
			api_item_fail(r, "users", i, &e);
			return;
		}
		buf_init(&b);
		jsonw_init(&w, &b);
		json_write(&w, list->items[i], secret);
		items[i].payload = b.failed ? NULL : arena_strdup(r->arena, buf_cstr(&b));
		items[i].password = reqs[i].password;
		buf_free(&b);
		if (items[i].payload == NULL)
			st = core_fail(&e, CORE_INTERNAL, NULL, "out of memory");
	}
	if (st == CORE_OK)
		st = jobs_create(&c, "users.bulk", items, list->n, &j, &e);
	if (api_reply_one(r, st, &e, 202, &j, job_json) == CORE_OK)
		api_location(r, arena_printf(r->arena, "/api/v1/jobs/%lld", (long long)j.id));
}

/* --- the runner ------------------------------------------------------------------------- */

/* The answer of an item that failed: {"field", "detail"}. */
static void
item_error(struct buf *result, const struct core_err *e, int *code)
{
	struct jsonw w;

	*code = api_http_status(e->status);
	jsonw_init(&w, result);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "field", e->field[0] ? e->field : NULL);
	jsonw_kstr(&w, "detail", e->msg);
	jsonw_obj_close(&w);
}

/* One user of a users.bulk job (job_item_fn); arg: the parse limits. */
static enum core_status
job_user(struct core_ctx *c, const char *payload, const char *password, int *code,
    struct buf *result, void *arg)
{
	const struct parse_limits *lim = arg;
	struct parse_error	 pe;
	struct json		*item = json_parse(c->arena, lim, payload, strlen(payload), &pe);
	struct user_create	 req;
	struct user_result	 res;
	struct core_err		 e;
	struct jsonw		 w;
	size_t			 failed;

	if (item == NULL) {
		core_fail(&e, CORE_INTERNAL, NULL, "the item could not be read back");
		item_error(result, &e, code);
		return CORE_OK;
	}
	if (native_user_item(c->arena, item, &req, &e) != CORE_OK) {
		item_error(result, &e, code);
		return CORE_OK;
	}
	req.password = password;
	if (users_create_many(c, &req, 1, true, &res, &failed) != CORE_OK) {
		/* The database went: the item is not done, and runs again. */
		if (res.status == CORE_UNAVAILABLE)
			return CORE_UNAVAILABLE;
		item_error(result, &res.err, code);
		return CORE_OK;
	}
	*code = 201;
	jsonw_init(&w, result);
	native_user_json(&w, &res.user);
	return CORE_OK;
}

static time_t
mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/* Beats and purges when they are due. */
static void
runner_chores(time_t *beat, time_t *purge)
{
	time_t now = mono_now();

	if (now - *beat >= BEAT_SECONDS) {
		if (jobs_beat() != 0)
			log_warn("job runner: could not report itself alive");
		*beat = now;
	}
	if (now - *purge >= PURGE_SECONDS) {
		if (jobs_purge() < 0)
			log_warn("job runner: could not purge expired jobs and idempotency keys");
		*purge = now;
	}
}

int
api_jobs_run(volatile sig_atomic_t *stop, const struct parse_limits *lim)
{
	struct arena	 a;
	struct core_ctx	 c;
	struct core_err	 e;
	struct job_run	 run;
	time_t		 beat = 0, purge = 0;
	bool		 found, more, sealed = false;
	enum core_status st;

	arena_init(&a, RUNNER_ARENA);
	log_info("job runner started");
	while (!*stop) {
		runner_chores(&beat, &purge);
		memset(&c, 0, sizeof(c));
		c.arena = &a;
		arena_reset(&a);
		/* Once a runner, so at each start and reload: TOTP secrets plain or under an old key. */
		if (!sealed && !(sealed = totp_secrets_seal(&c, &e) == CORE_OK))
			log_warn("TOTP secrets: %s; trying again", e.msg);
		if ((st = jobs_claim(&c, &run, &found, &e)) != CORE_OK) {
			log_warn("job runner: %s", e.msg);
			poll(NULL, 0, 1000);
			continue;
		}
		if (!found) {
			/* Woken by a new job's NOTIFY; the wait also paces the beat. */
			if (jobs_wait(BEAT_SECONDS * 1000) < 0)
				poll(NULL, 0, 1000);
			continue;
		}
		c.actor = &run.actor;
		c.request_id = run.request_id;
		log_info("job %lld: running", (long long)run.id);
		do {
			arena_reset(&a);
			st = jobs_step(&c, &run, job_user, (void *)lim, &more, &e);
			runner_chores(&beat, &purge);
		} while (st == CORE_OK && more && !*stop);
		if (st != CORE_OK) {
			log_warn("job %lld: %s; trying again", (long long)run.id, e.msg);
			poll(NULL, 0, 1000);
		} else if (!more)
			log_info("job %lld: ended", (long long)run.id);
	}
	arena_free(&a);
	log_info("job runner stopped");
	return 0;
}

#define A	LEVEL_ADMIN
static const struct route routes[] = {
	{ "GET",  "/api/v1/jobs",		h_jobs_list,	&dialect_native, A, 0, NULL, false },
	{ "GET",  "/api/v1/jobs/{id}",		h_jobs_get,	&dialect_native, A, 0, NULL, false },
	{ "POST", "/api/v1/jobs/{id}/cancel",	h_jobs_cancel,	&dialect_native, A, 0, NULL, false },
};
#undef A
const struct route_list native_job_routes = ROUTE_LIST(routes);
