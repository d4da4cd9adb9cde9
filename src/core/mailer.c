/* mailer.c: the outbox delivery loop of gatehousectl mailer (see mailer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/db.h"
#include "gatehouse/log.h"
#include "gatehouse/mailer.h"

#define CHANNEL		"gatehouse_outbox"
#define IDLE_MS		60000	/* a look at the outbox at least this often */
#define BUSY_MS		1000	/* a due message held by another mailer: look again after */
#define DOWN_MAX_S	30	/* the longest wait for a database that went away */

/* sql/005_mail.sql: the claim locks the row until this transaction ends. */
DB_STMT(st_claim, 1,
    "SELECT org_id, id, org_name, to_addr, template, username, first_name, token, expires_at,"
    " reason, attempts, created_epoch FROM gatehouse.outbox_claim($1::timestamptz)");
DB_STMT(st_now, 0, "SELECT now()");
DB_STMT(st_next_due, 0, "SELECT gatehouse.outbox_next_due()");
DB_STMT(st_sent, 1,
    "UPDATE gatehouse.outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL,"
    " payload = payload - 'token' WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_retry, 3,
    "UPDATE gatehouse.outbox SET attempts = attempts + 1, last_error = $2,"
    " next_attempt_at = now() + make_interval(secs => $3::int)"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");
DB_STMT(st_failed, 2,
    "UPDATE gatehouse.outbox SET attempts = attempts + 1, failed_at = now(), last_error = $2,"
    " payload = payload - 'token' WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

int
mailer_backoff(int attempts, int max)
{
	int s = 1;

	for (int i = 1; i < attempts && s < max; i++)
		s *= 2;
	return s < max ? s : max;
}

enum step {
	STEP_DONE,	/* a message was handled (whatever became of it) */
	STEP_IDLE,	/* nothing is due that another mailer does not hold */
	STEP_DOWN,	/* the database cannot be used now */
};

/* Records what became of the message in hand, in its transaction. */
static int
record(const struct mail_item *it, enum mail_outcome o, int attempts, int retry_max,
    const char *err)
{
	char		 sid[CORE_ID_LEN], wait[16];
	const char	*p[3] = { sid, err, wait };
	PGresult	*r;

	core_id_text(it->id, sid);
	snprintf(wait, sizeof(wait), "%d", mailer_backoff(attempts + 1, retry_max));
	r = db_exec(o == MAIL_SENT ? &st_sent : o == MAIL_TEMPORARY ? &st_retry : &st_failed, p);
	if (r == NULL)
		return -1;
	PQclear(r);
	switch (o) {
	case MAIL_SENT:
		log_info("mail %lld.%lld (%s) sent", (long long)it->org_id, (long long)it->id,
		    mail_template_name(it->template));
		break;
	case MAIL_TEMPORARY:
		log_warn("mail %lld.%lld (%s): attempt %d failed, next in %s s: %s",
		    (long long)it->org_id, (long long)it->id, mail_template_name(it->template),
		    attempts + 1, wait, err);
		break;
	case MAIL_PERMANENT:
		log_warn("mail %lld.%lld (%s) failed for good: %s", (long long)it->org_id,
		    (long long)it->id, mail_template_name(it->template), err);
		break;
	}
	return 0;
}

/* Claims, composes, sends and marks one message, in one transaction. */
static enum step
deliver_one(const struct mailer_opts *o, const struct mailer_transport *t, const char *before,
    struct arena *a, struct mailer_stats *stats)
{
	const char		*p[1] = { before };
	struct mail_item	 it;
	struct buf		 msg;
	enum mail_outcome	 out;
	const char		*why, *tmpl;
	char			 err[256] = "";
	char			*token;
	int			 attempts;
	PGresult		*r;

	/* Org 0 is no tenant: nothing is visible until the claimed message names its org. */
	if (db_begin(0) != DB_OK)
		return STEP_DOWN;
	if ((r = db_exec(&st_claim, p)) == NULL) {
		db_rollback();
		return STEP_DOWN;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return db_commit() == DB_OK ? STEP_IDLE : STEP_DOWN;
	}
	memset(&it, 0, sizeof(it));
	it.org_id = db_int(r, 0, 0);
	it.id = db_int(r, 0, 1);
	it.vars.org_name = db_text(a, r, 0, 2);
	it.to_addr = db_text(a, r, 0, 3);
	tmpl = db_value(r, 0, 4);
	it.vars.username = db_text(a, r, 0, 5);
	it.vars.first_name = db_text(a, r, 0, 6);
	it.vars.token = token = (char *)db_text(a, r, 0, 7);
	it.vars.expires_at = db_text(a, r, 0, 8);
	it.vars.reason = db_text(a, r, 0, 9);
	attempts = (int)db_int(r, 0, 10);
	it.created = (time_t)db_int(r, 0, 11);
	if (mail_template_parse(tmpl, &it.template) != 0)
		it.template = MAIL__MAX;	/* composing refuses it below */
	PQclear(r);
	if (db_tenant(it.org_id) != DB_OK)
		return STEP_DOWN;

	buf_init(&msg);
	if (it.to_addr == NULL || mail_compose(&msg, &it, &o->site, &why) != 0) {
		out = MAIL_PERMANENT;
		snprintf(err, sizeof(err), "cannot be composed: %s", it.to_addr ? why : "no address");
	} else
		out = t->send(t->arg, o->site.from_addr, it.to_addr, msg.data, msg.len, err,
		    sizeof(err));
	buf_wipe(&msg);
	buf_free(&msg);
	if (token != NULL)
		OPENSSL_cleanse(token, strlen(token));

	if (record(&it, out, attempts, o->retry_max, err) != 0 || db_commit() != DB_OK) {
		/* The row is still unsent: it goes again, with the same Message-ID. */
		log_warn("mail %lld.%lld: could not record the attempt; it will be made again",
		    (long long)it.org_id, (long long)it.id);
		db_rollback();
		return STEP_DOWN;
	}
	if (out == MAIL_SENT)
		stats->sent++;
	else if (out == MAIL_TEMPORARY)
		stats->retried++;
	else
		stats->failed++;
	return STEP_DONE;
}

/* Milliseconds the loop may sleep before something falls due; -1 when the database is away. */
static int
idle_wait(void)
{
	PGresult	*r = db_exec(&st_next_due, NULL);
	const char	*v;
	double		 s;

	if (r == NULL)
		return -1;
	v = db_value(r, 0, 0);
	s = v ? strtod(v, NULL) : IDLE_MS / 1000.0;
	PQclear(r);
	if (s * 1000 < BUSY_MS)
		return BUSY_MS;
	return s * 1000 > IDLE_MS ? IDLE_MS : (int)(s * 1000);
}

/* Sleeps up to seconds, waking early when *stop is set. */
static void
nap(int seconds, volatile sig_atomic_t *stop)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	for (int i = 0; i < seconds * 10 && !*stop; i++)
		nanosleep(&ts, NULL);
}

/* The database's clock now, as text for a statement; NULL when it cannot be read. */
static char *
db_now(struct arena *a)
{
	PGresult	*r = db_exec(&st_now, NULL);
	char		*now;

	if (r == NULL)
		return NULL;
	now = (char *)db_text(a, r, 0, 0);
	PQclear(r);
	return now;
}

int
mailer_run(const struct mailer_opts *o, const struct mailer_transport *t, struct mailer_stats *stats)
{
	struct arena	 a, keep;
	const char	*before = NULL;
	int		 down = 0, wait;

	arena_init(&a, 0);
	arena_init(&keep, 0);
	/* One pass: what is due as it starts, each message at most once. */
	if (o->once && (before = db_now(&keep)) == NULL) {
		arena_free(&keep);
		arena_free(&a);
		return -1;
	}
	while (!*o->stop) {
		enum step s = deliver_one(o, t, before, &a, stats);

		arena_reset(&a);
		if (s == STEP_IDLE && o->once)
			break;
		if (s == STEP_IDLE && (wait = idle_wait()) >= 0 && db_wait(CHANNEL, wait) >= 0) {
			down = 0;
			continue;
		}
		if (s == STEP_DONE) {
			down = 0;
			continue;
		}
		/* The database went away: back off, and reconnect on the next attempt. */
		if (o->once) {
			arena_free(&keep);
			arena_free(&a);
			return -1;
		}
		if (down++ == 0)
			log_warn("mailer: database unavailable, retrying");
		db_close();
		nap(mailer_backoff(down, DOWN_MAX_S), o->stop);
	}
	arena_free(&keep);
	arena_free(&a);
	return 0;
}
