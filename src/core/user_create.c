/* user_create.c: creating users, one or a batch, with credentials, invitations and audit. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/audit.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/outbox.h"
#include "gatehouse/password.h"
#include "gatehouse/tokens.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "users_internal.h"

/*
 * Inserts a batch in one statement: $1 is a JSON array of objects, each the
 * columns of a patch with "status" and "hash". A name already taken is no failure of the
 * statement (which would spoil the transaction for the items after it): that
 * item inserts nothing and answers no row, and st_user_taken tells which
 * name it was. Each row answered carries its item's position (1-based) last:
 * the one item whose username and e-mail it holds, the first when items
 * repeat both (a later one conflicts with it).
 */
DB_STMT(st_user_insert, 1,
    "WITH src AS (SELECT o, p FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY x(p, o)),"
    " u AS (INSERT INTO gatehouse.users (org_id, username, email, first_name, middle_name,"
    " last_name, preferred_first_name, title, department, employee_type, start_date, end_date,"
    " in_audit_scope, auth_method, team_id, access_level, roles, note, summary_email, mfa_required,"
    " department_id, access_role, onboarding_status, personnel_status, agent_acknowledged_at,"
    " manager_id, status, password_hash, invited_at, confirmed_at, external_id, display_name,"
    " formatted_name, preferred_language, employee_number, emails, phone_numbers, addresses)"
    " SELECT gatehouse.current_org(), p->>'username', p->>'email',"
    "  coalesce(p->>'first_name', ''), coalesce(p->>'middle_name', ''), coalesce(p->>'last_name', ''),"
    "  coalesce(p->>'preferred_first_name', ''), coalesce(p->>'title', ''),"
    "  coalesce(p->>'department', ''), coalesce(p->>'employee_type', 'employee'),"
    "  (p->>'start_date')::date, (p->>'end_date')::date,"
    "  coalesce((p->>'in_audit_scope')::boolean, true), coalesce(p->>'auth_method', 'local'),"
    "  (p->>'team_id')::bigint, p->>'access_level',"
    "  coalesce(ARRAY(SELECT jsonb_array_elements_text(p->'roles')), '{}'),"
    "  coalesce(p->>'note', ''), coalesce((p->>'summary_email')::boolean, true),"
    "  coalesce((p->>'mfa_required')::boolean, false),"
    "  p->>'department_id', p->>'access_role', p->>'onboarding_status', p->>'personnel_status',"
    "  (p->>'agent_acknowledged_at')::timestamptz, (p->>'manager_id')::bigint,"
    "  p->>'status', p->>'hash',"
    "  CASE WHEN p->>'status' = 'pending' THEN now() END,"
    "  CASE WHEN p->>'status' = 'active' THEN now() END,"
    "  coalesce(p->>'external_id', ''), coalesce(p->>'display_name', ''),"
    "  coalesce(p->>'formatted_name', ''), coalesce(p->>'preferred_language', ''),"
    "  coalesce(p->>'employee_number', ''), coalesce(p->'emails', '[]'),"
    "  coalesce(p->'phone_numbers', '[]'), coalesce(p->'addresses', '[]')"
    " FROM src ORDER BY o ON CONFLICT DO NOTHING RETURNING *)"
    " SELECT " USER_COLS ", k.o FROM u"
    " JOIN (SELECT min(o) AS o, lower(p->>'username') COLLATE \"C\" AS un,"
    "  lower(p->>'email') COLLATE \"C\" AS em FROM src GROUP BY 2, 3) k"
    "  ON k.un = u.username_lc AND k.em = u.email_lc"
    " LEFT JOIN gatehouse.teams t ON t.org_id = u.org_id AND t.id = u.team_id"
    " LEFT JOIN gatehouse.users m ON m.org_id = u.org_id AND m.id = u.manager_id"
    "  AND m.status <> 'removed' ORDER BY k.o");
DB_STMT(st_user_taken, 1,
    "SELECT EXISTS (SELECT 1 FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND status <> 'removed' AND username_lc = lower($1) COLLATE \"C\")");

/* Names the field whose value another user holds, after an insert that did nothing. */
static enum core_status
create_taken(const struct user_create *req, const char *username, struct core_err *e)
{
	const char	*p[1] = { username };
	PGresult	*r;
	bool		 name;

	if ((r = db_exec(&st_user_taken, p)) == NULL)
		return core_db_fail(e, "user");
	name = db_bool(r, 0, 0);
	PQclear(r);
	if (!name)
		return core_fail(e, CORE_CONFLICT, "email", "email is already in use");
	/* A username the client did not send was its e-mail: name that field. */
	if (!req->p.set[UF_USERNAME])
		return core_fail(e, CORE_CONFLICT, "email", "email is already in use as a username");
	return core_fail(e, CORE_CONFLICT, "username", "username is already taken");
}

/*
 * Checks a create request without touching the database: the credential
 * rules and who may grant the requested level. Fills the effective patch
 * (username defaults to the e-mail) and level.
 */
static enum core_status
create_checks(const struct core_ctx *c, const struct user_create *req, struct user_patch *eff,
    enum level *level, struct core_err *e)
{
	const struct user_patch	*p = &req->p;
	const char		*auth;

	if (!p->set[UF_EMAIL])
		return core_fail(e, CORE_INVALID, "email", "email is required");
	*eff = *p;
	if (!p->set[UF_USERNAME]) {
		/* The copy is a username like any other, and must pass its check. */
		if (!valid_username(p->val[UF_EMAIL]))
			return core_fail(e, CORE_INVALID, "username",
			    "username defaults to the e-mail, which is not a valid username; give one");
		eff->set[UF_USERNAME] = true;
		eff->val[UF_USERNAME] = p->val[UF_EMAIL];
	}
	*level = LEVEL_USER;
	if (p->set[UF_ACCESS_LEVEL])
		level_parse(p->val[UF_ACCESS_LEVEL], level);
	auth = p->set[UF_AUTH_METHOD] ? p->val[UF_AUTH_METHOD] : "local";
	if (req->password != NULL && req->invite)
		return core_fail(e, CORE_INVALID, "password",
		    "give a password or an invitation, not both");
	if (req->password != NULL && strcmp(auth, "local") != 0)
		return core_fail(e, CORE_INVALID, "password",
		    "accounts with %s sign-in have no password", auth);
	if (req->password == NULL && !req->invite && !req->keys_only && strcmp(auth, "local") == 0)
		return core_fail(e, CORE_INVALID, "password",
		    "a local account needs a password or an invitation");
	return users_may_set_level(c, LEVEL_USER, *level, e);
}

/* The registration token of a new pending user, and its e-mail unless the request says not. */
static enum core_status
create_invite(struct core_ctx *c, const struct user_create *req, const struct user_patch *eff,
    int64_t id, struct core_err *e)
{
	char		 token[SECRET_TOKEN_MAX] = "", expires[TOKEN_TIME_LEN] = "";
	struct mail_vars v = { NULL, eff->val[UF_USERNAME], eff->val[UF_FIRST_NAME], token,
	    expires, NULL };
	int		 rc = 0;

	if (tokens_issue(c, id, TOKEN_REGISTRATION, TOKEN_TTL_ORG, token, expires) != 0)
		return core_db_fail(e, "invitation");
	/* The mailer needs the token to build the link, and clears it once sent. */
	if (req->send_email)
		rc = outbox_queue_mail(c, eff->val[UF_EMAIL], MAIL_REGISTRATION, &v);
	OPENSSL_cleanse(token, sizeof(token));
	return rc == 0 ? CORE_OK : core_db_fail(e, "invitation e-mail");
}

/*
 * Writes one item of a batch to the array items: the columns of its patch
 * resolved against the org (a role may lift the level, which the actor must
 * be allowed to grant), its status and its hash ("" for none). On failure
 * the item is taken back out.
 */
static enum core_status
create_item(struct core_ctx *c, struct users_lookup *cache, const struct user_create *req,
    const struct user_patch *eff, enum level level, const char *hash, struct jsonw *items,
    struct core_err *e)
{
	struct jsonw	 mark = *items;
	size_t		 len = items->b->len;
	enum core_status st;

	jsonw_obj_open(items);
	if ((st = users_patch_json(c, eff, &level, cache, items, e)) != CORE_OK ||
	    (st = users_may_set_level(c, LEVEL_USER, level, e)) != CORE_OK) {
		*items = mark;
		items->b->len = len;
		return st;
	}
	jsonw_kstr(items, "status", req->invite ? "pending" : "active");
	jsonw_kstr(items, "hash", hash[0] ? hash : NULL);
	jsonw_obj_close(items);
	return CORE_OK;
}

/*
 * Checks every requested password against the org's policy (and the
 * request's own minimum, when higher), in one short transaction of its own;
 * a failing item gets its own result. Returns a status other than CORE_OK
 * only when the check itself could not run.
 */
static enum core_status
password_policies(struct core_ctx *c, const struct user_create *reqs,
    const struct user_patch *effs, struct user_result *res, size_t n, struct core_err *e)
{
	enum core_status st;
	size_t		 org_min = 0;
	bool		 read = false;

	for (size_t i = 0; i < n; i++) {
		size_t min;

		if (res[i].status != CORE_OK || reqs[i].password == NULL)
			continue;
		/* Read once, and only when a password needs it: a read of its own. */
		if (!read && (st = users_password_min(c, &org_min, e)) != CORE_OK)
			return st;
		read = true;
		min = reqs[i].password_min > org_min ? reqs[i].password_min : org_min;
		res[i].status = users_check_password(reqs[i].password, min,
		    effs[i].val[UF_USERNAME], effs[i].val[UF_EMAIL], &res[i].err);
	}
	return CORE_OK;
}

enum core_status
users_create_check(struct core_ctx *c, const struct user_create *reqs, size_t n, size_t *failed,
    struct core_err *e)
{
	struct user_result	*res = arena_alloc(c->arena, (n ? n : 1) * sizeof(*res));
	struct user_patch	*effs = arena_alloc(c->arena, (n ? n : 1) * sizeof(*effs));
	enum level		 level;
	enum core_status	 st;

	*failed = USERS_NO_ITEM;
	if (res == NULL || effs == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	memset(res, 0, (n ? n : 1) * sizeof(*res));
	for (size_t i = 0; i < n; i++)
		res[i].status = create_checks(c, &reqs[i], &effs[i], &level, &res[i].err);
	if ((st = password_policies(c, reqs, effs, res, n, e)) != CORE_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		if (res[i].status != CORE_OK) {
			*failed = i;
			*e = res[i].err;
			return res[i].status;
		}
	return CORE_OK;
}

size_t
users_bulk_passwords(const struct user_create *reqs, size_t n)
{
	size_t npw = 0;

	for (size_t i = 0; i < n; i++)
		npw += reqs[i].password != NULL;
	return npw;
}

enum core_status
users_bulk_check(const struct user_create *reqs, size_t n, const char *field, struct core_err *e)
{
	size_t npw = users_bulk_passwords(reqs, n);

	if (n == 0)
		return core_fail(e, CORE_INVALID, field, "%s must name at least one user", field);
	if (n > USERS_BULK_MAX)
		return core_fail(e, CORE_TOO_LARGE, field, "at most %d users in one request",
		    USERS_BULK_MAX);
	if (npw > USERS_BULK_PASSWORDS_MAX)
		return core_fail(e, CORE_TOO_LARGE, field,
		    "at most %d users with a password in one request (this has %zu): hashing takes"
		    " about half a second of CPU each; send them in smaller batches",
		    USERS_BULK_PASSWORDS_MAX, npw);
	return CORE_OK;
}

enum core_status
users_create(struct core_ctx *c, const struct user_create *req, struct user *out,
    struct core_err *e)
{
	struct user_result res;
	size_t failed;

	if (users_create_many(c, req, 1, true, &res, &failed) != CORE_OK) {
		*e = res.err;
		return res.status;
	}
	*out = res.user;
	return CORE_OK;
}

/*
 * Every item created so far fails with the batch: its transaction could not
 * commit. Returns that status.
 */
static enum core_status
batch_lost(struct user_result *res, size_t n, size_t why, enum core_status st)
{
	for (size_t i = 0; i < n; i++)
		if (i != why && res[i].status == CORE_OK) {
			res[i].status = st;
			res[i].err = res[why].err;
			memset(&res[i].user, 0, sizeof(res[i].user));
		}
	res[why].status = st;
	return st;
}

/* Runs the batch's insert; each row answered fills its item. done[k]: item pos[k] was inserted. */
static enum core_status
insert_items(struct core_ctx *c, struct buf *items, const size_t *pos, size_t k,
    struct user_result *res, bool *done, struct core_err *e)
{
	const char	*p[1] = { buf_cstr(items) };
	bool		 full = items->failed;
	PGresult	*r;

	r = full ? NULL : db_exec(&st_user_insert, p);
	buf_wipe(items);		/* it holds the password hashes */
	if (full)
		return core_fail(e, CORE_INTERNAL, NULL, "out of memory");
	if (r == NULL)
		return users_unique_fail(e);
	for (int row = 0; row < PQntuples(r); row++) {
		int64_t o = db_int(r, row, USER_NCOLS);

		if (o < 1 || (size_t)o > k)
			continue;	/* cannot happen: the statement answers positions 1..k */
		users_from_row(c->arena, r, row, &res[pos[o - 1]].user);
		done[o - 1] = true;
	}
	PQclear(r);
	return CORE_OK;
}

/* The created users' audit events, in one statement. */
static enum core_status
audit_items(struct core_ctx *c, const struct user_create *reqs, const struct user_result *res,
    size_t n, struct core_err *e)
{
	struct buf	 events, ch;
	struct jsonw	 w;
	enum core_status st;

	buf_init(&events);
	jsonw_init(&w, &events);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK)
			continue;
		buf_init(&ch);
		users_audit_changes(NULL, &res[i].user, reqs[i].password ? "password" : NULL, &ch);
		jsonw_obj_open(&w);
		jsonw_kstr(&w, "target", res[i].user.uid);
		jsonw_key(&w, "changes");
		jsonw_raw(&w, ch.data ? ch.data : "{}", ch.data ? ch.len : 2);
		jsonw_obj_close(&w);
		buf_free(&ch);
	}
	jsonw_arr_close(&w);
	st = events.failed ? core_fail(e, CORE_INTERNAL, NULL, "out of memory") :
	    audit_write_many(c, "user.create", "user", events.data, e);
	buf_free(&events);
	return st;
}

/*
 * Inserts the checked items inside the caller's transaction, with one
 * statement for the users and one for their audit events (and an invitation
 * for each pending one). atomic: the first failure ends it. Otherwise an
 * item fails alone, leaving nothing: a patch the org refuses (team, roles,
 * level) is found before the insert, and a taken name inserts nothing and
 * fails no statement; only a failed statement (the database went, or a bug)
 * spoils the transaction, and then the whole batch. On a failure that ends
 * it, *failed is the item whose result says why, and the caller aborts.
 */
static enum core_status
create_rows(struct core_ctx *c, const struct user_create *reqs, const struct user_patch *effs,
    const enum level *lvls, char (*hashes)[PHC_MAX], size_t n, bool atomic,
    struct user_result *res, size_t *failed)
{
	struct users_lookup	*cache = arena_alloc(c->arena, sizeof(*cache));
	size_t			*pos = arena_alloc(c->arena, n * sizeof(*pos)), k = 0;
	bool			*done = arena_alloc(c->arena, n * sizeof(*done));
	struct buf		 items;
	struct jsonw		 w;
	enum core_status	 st;

	*failed = 0;
	if (cache == NULL || pos == NULL || done == NULL)
		return core_fail(&res[0].err, CORE_INTERNAL, NULL, "out of memory");
	memset(cache, 0, sizeof(*cache));
	memset(done, 0, n * sizeof(*done));
	buf_init(&items);
	jsonw_init(&w, &items);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK)
			continue;
		st = create_item(c, cache, &reqs[i], &effs[i], lvls[i], hashes[i], &w, &res[i].err);
		if (st == CORE_OK) {
			pos[k++] = i;
			continue;
		}
		res[i].status = st;
		if (atomic || db_tx_failed()) {
			*failed = i;
			goto lost;
		}
	}
	jsonw_arr_close(&w);
	if (k > 0 && (st = insert_items(c, &items, pos, k, res, done, &res[pos[0]].err)) != CORE_OK) {
		*failed = pos[0];
		goto lost;
	}
	buf_free(&items);
	for (size_t j = 0; j < k; j++) {
		size_t i = pos[j];

		if (!done[j]) {
			st = res[i].status = create_taken(&reqs[i], effs[i].val[UF_USERNAME], &res[i].err);
			if (atomic || db_tx_failed()) {
				*failed = i;
				goto lost;
			}
		} else if (reqs[i].invite &&
		    (st = create_invite(c, &reqs[i], &effs[i], res[i].user.id, &res[i].err)) != CORE_OK) {
			*failed = i;
			goto lost;
		}
	}
	if (k > 0 && (st = audit_items(c, reqs, res, n, &res[pos[0]].err)) != CORE_OK) {
		*failed = pos[0];
		goto lost;
	}
	return CORE_OK;
lost:
	buf_wipe(&items);
	buf_free(&items);
	return st;
}

/* create_rows in a transaction of its own. */
static enum core_status
create_batch(struct core_ctx *c, const struct user_create *reqs, const struct user_patch *effs,
    const enum level *lvls, char (*hashes)[PHC_MAX], size_t n, bool atomic,
    struct user_result *res, size_t *failed)
{
	enum core_status st;

	*failed = 0;
	if ((st = core_begin(c, &res[0].err)) != CORE_OK)
		return batch_lost(res, n, 0, st);
	if ((st = create_rows(c, reqs, effs, lvls, hashes, n, atomic, res, failed)) != CORE_OK) {
		core_abort(st);
		return batch_lost(res, n, *failed, st);
	}
	if ((st = core_commit(&res[0].err)) != CORE_OK)
		return batch_lost(res, n, 0, st);	/* item 0's own failure gives way to it */
	return CORE_OK;
}

enum core_status
users_insert(struct core_ctx *c, const struct user_create *req, struct user *out,
    struct core_err *e)
{
	struct user_patch	 eff;
	struct user_result	 res;
	enum level		 level;
	enum core_status	 st;
	char			 hash[1][PHC_MAX] = { "" };
	size_t			 failed;

	/* A password is hashed before any lock, and an invitation needs an unusable one. */
	if (req->password != NULL || req->invite)
		return core_fail(e, CORE_INTERNAL, NULL, "users_insert takes neither");
	if ((st = create_checks(c, req, &eff, &level, e)) != CORE_OK)
		return st;
	memset(&res, 0, sizeof(res));
	if ((st = create_rows(c, req, &eff, &level, hash, 1, true, &res, &failed)) != CORE_OK) {
		*e = res.err;
		return st;
	}
	*out = res.user;
	return CORE_OK;
}

static bool
local(const struct user_patch *eff)
{
	return !eff->set[UF_AUTH_METHOD] || strcmp(eff->val[UF_AUTH_METHOD], "local") == 0;
}

enum core_status
users_create_many(struct core_ctx *c, const struct user_create *reqs, size_t n, bool atomic,
    struct user_result *res, size_t *failed)
{
	struct user_patch	*effs;
	enum level		*lvls;
	const char		**pws;		/* the passwords to hash, packed */
	size_t			*at, npw = 0;	/* pws[k] belongs to item at[k] */
	char			(*hashes)[PHC_MAX] = NULL, (*packed)[PHC_MAX] = NULL;
	enum core_status	 st = CORE_OK;
	int			 hashed;

	*failed = 0;
	memset(res, 0, (n ? n : 1) * sizeof(*res));
	if ((st = users_bulk_check(reqs, n, "users", &res[0].err)) != CORE_OK)
		return res[0].status = st;
	*failed = n;
	effs = arena_alloc(c->arena, n * sizeof(*effs));
	lvls = arena_alloc(c->arena, n * sizeof(*lvls));
	pws = arena_alloc(c->arena, n * sizeof(*pws));
	at = arena_alloc(c->arena, n * sizeof(*at));
	hashes = calloc(n, sizeof(*hashes));
	packed = calloc(n, sizeof(*packed));
	if (effs == NULL || lvls == NULL || pws == NULL || at == NULL || hashes == NULL ||
	    packed == NULL) {
		free(hashes);
		free(packed);
		*failed = 0;
		return res[0].status = core_fail(&res[0].err, CORE_INTERNAL, NULL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		res[i].status = create_checks(c, &reqs[i], &effs[i], &lvls[i], &res[i].err);
	if ((st = password_policies(c, reqs, effs, res, n, &res[0].err)) != CORE_OK) {
		*failed = 0;
		st = batch_lost(res, n, 0, st);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK && atomic) {
			*failed = i;
			st = res[i].status;
			goto out;
		}
		if (res[i].status == CORE_OK && reqs[i].password != NULL) {
			pws[npw] = reqs[i].password;
			at[npw++] = i;
		}
	}
	/*
	 * The slow part, on every core, before any lock is taken; it stops at
	 * the request's deadline, when the proxy is about to give up on it.
	 */
	if (npw > 0 && (hashed = password_hash_many(pws, npw, packed, 0, &c->deadline)) != 0) {
		*failed = at[0];
		if (hashed > 0)
			core_too_late(&res[at[0]].err);
		else
			core_fail(&res[at[0]].err, CORE_INTERNAL, NULL, "password hashing failed");
		st = batch_lost(res, n, at[0], hashed > 0 ? CORE_UNAVAILABLE : CORE_INTERNAL);
		goto out;
	}
	for (size_t k = 0; k < npw; k++)
		memcpy(hashes[at[k]], packed[k], PHC_MAX);
	for (size_t i = 0; i < n; i++)
		/* An invited local account holds a hash nobody knows until its link sets one. */
		if (res[i].status == CORE_OK && reqs[i].invite && local(&effs[i]) &&
		    password_unusable(hashes[i]) != 0) {
			*failed = i;
			core_fail(&res[i].err, CORE_INTERNAL, NULL, "random number generator failed");
			st = batch_lost(res, n, i, CORE_INTERNAL);
			goto out;
		}
	st = create_batch(c, reqs, effs, lvls, hashes, n, atomic, res, failed);
out:
	OPENSSL_cleanse(hashes, n * sizeof(*hashes));
	OPENSSL_cleanse(packed, n * sizeof(*packed));
	free(hashes);
	free(packed);
	return st;
}
