/* user_create.c: creating users, one or a batch, with credentials, invitations and audit. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/db.h"
#include "gatehouse/outbox.h"
#include "gatehouse/password.h"
#include "gatehouse/tokens.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "users_internal.h"

#define INVITE_TTL	(7 * 86400)

/* Answers the new user whole, so creating needs no reload. */
DB_STMT(st_user_insert, 3, USER_RETURNING(
    "INSERT INTO gatehouse.users (org_id, username, email, first_name, middle_name, last_name,"
    " preferred_first_name, title, department, employee_type, start_date, end_date,"
    " in_audit_scope, auth_method, team_id, access_level, roles, note, summary_email,"
    " status, password_hash, invited_at, confirmed_at)"
    " SELECT gatehouse.current_org(), p->>'username', p->>'email',"
    "  coalesce(p->>'first_name', ''), coalesce(p->>'middle_name', ''), coalesce(p->>'last_name', ''),"
    "  coalesce(p->>'preferred_first_name', ''), coalesce(p->>'title', ''),"
    "  coalesce(p->>'department', ''), coalesce(p->>'employee_type', 'employee'),"
    "  (p->>'start_date')::date, (p->>'end_date')::date,"
    "  coalesce((p->>'in_audit_scope')::boolean, true), coalesce(p->>'auth_method', 'local'),"
    "  (p->>'team_id')::bigint, p->>'access_level',"
    "  coalesce(ARRAY(SELECT jsonb_array_elements_text(p->'roles')), '{}'),"
    "  coalesce(p->>'note', ''), coalesce((p->>'summary_email')::boolean, true),"
    "  $2, $3, CASE WHEN $2 = 'pending' THEN now() END, CASE WHEN $2 = 'active' THEN now() END"
    " FROM (SELECT $1::jsonb AS p) x"));

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

/*
 * Inserts one checked user inside the caller's transaction, with its
 * invitation and audit event. hash is the PHC string, or "" for none.
 */
static enum core_status
create_insert(struct core_ctx *c, const struct user_create *req, const struct user_patch *eff,
    enum level level, const char *hash, struct user *out, struct core_err *e)
{
	char			 token[SECRET_TOKEN_MAX] = "";
	const char		*params[3];
	struct buf		 json;
	enum core_status	 st;
	PGresult		*r;

	buf_init(&json);
	if ((st = users_patch_json(c, eff, &level, &json, e)) != CORE_OK ||
	    (st = users_may_set_level(c, LEVEL_USER, level, e)) != CORE_OK) {	/* a role may lift it */
		buf_free(&json);
		return st;
	}
	params[0] = json.data;
	params[1] = req->invite ? "pending" : "active";
	params[2] = hash[0] ? hash : NULL;
	r = db_exec(&st_user_insert, params);
	buf_free(&json);
	if (r == NULL) {
		st = users_unique_fail(e);
		/* A username the client did not send was its e-mail: name that field. */
		if (st == CORE_CONFLICT && !req->p.set[UF_USERNAME] && strcmp(e->field, "username") == 0)
			core_fail(e, CORE_CONFLICT, "email", "email is already in use as a username");
		return st;
	}
	if ((st = users_take(c, r, out, e)) != CORE_OK)
		return st;
	if (req->invite) {
		if (tokens_issue(c, out->id, TOKEN_REGISTRATION, INVITE_TTL, token) != 0)
			return core_db_fail(e, "invitation");
		if (req->send_email) {
			struct buf	pl;
			struct jsonw	w;
			int		rc;

			/* The mailer needs the token to build the link, and clears it once sent. */
			buf_init(&pl);
			jsonw_init(&w, &pl);
			jsonw_obj_open(&w);
			jsonw_kstr(&w, "username", eff->val[UF_USERNAME]);
			jsonw_kstr(&w, "token", token);
			jsonw_obj_close(&w);
			rc = pl.failed ? -1 : outbox_queue(c, eff->val[UF_EMAIL], "registration", pl.data);
			buf_wipe(&pl);
			buf_free(&pl);
			OPENSSL_cleanse(token, sizeof(token));
			if (rc != 0)
				return core_db_fail(e, "invitation e-mail");
		}
		OPENSSL_cleanse(token, sizeof(token));
	}
	return users_audit(c, "user.create", NULL, out, req->password ? "password" : NULL, e);
}

/*
 * Checks every requested password against the org's policy, read once (a
 * read of its own) and only when a password was given; a failing item gets
 * its own result. Returns a status other than CORE_OK only when the policy
 * could not be read.
 */
static enum core_status
password_policies(struct core_ctx *c, const struct user_create *reqs,
    const struct user_patch *effs, struct user_result *res, size_t n, struct core_err *e)
{
	enum core_status st;
	size_t		 min = 0;
	bool		 read = false;

	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK || reqs[i].password == NULL)
			continue;
		if (!read && (st = users_password_min(c, &min, e)) != CORE_OK)
			return st;
		read = true;
		res[i].status = users_check_password(reqs[i].password, min,
		    effs[i].val[UF_USERNAME], effs[i].val[UF_EMAIL], &res[i].err);
	}
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

enum core_status
users_create_many(struct core_ctx *c, const struct user_create *reqs, size_t n, bool atomic,
    struct user_result *res, size_t *failed)
{
	struct user_patch	*effs;
	enum level		*lvls;
	const char		**pws;		/* the passwords to hash, packed */
	size_t			*at, npw = 0;	/* pws[k] belongs to item at[k] */
	char			(*hashes)[PHC_MAX], (*packed)[PHC_MAX];
	enum core_status	 st = CORE_OK;

	*failed = n;
	memset(res, 0, n * sizeof(*res));
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
		res[0].status = st;
		*failed = 0;
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
	/* The slow part, on every core, before any lock is taken. */
	if (npw > 0 && password_hash_many(pws, npw, packed, 0) != 0) {
		*failed = 0;
		st = res[0].status = core_fail(&res[0].err, CORE_INTERNAL, NULL, "password hashing failed");
		goto out;
	}
	for (size_t k = 0; k < npw; k++)
		memcpy(hashes[at[k]], packed[k], PHC_MAX);
	for (size_t i = 0; i < n; i++)
		if (res[i].status == CORE_OK && reqs[i].invite && password_unusable(hashes[i]) != 0) {
			*failed = i;
			st = res[i].status = core_fail(&res[i].err, CORE_INTERNAL, NULL,
			    "random number generator failed");
			goto out;
		}

	if (atomic) {
		/* All or nothing: one transaction. */
		if ((st = core_begin(c, &res[0].err)) != CORE_OK) {
			res[0].status = st;
			*failed = 0;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if ((st = create_insert(c, &reqs[i], &effs[i], lvls[i], hashes[i],
			    &res[i].user, &res[i].err)) != CORE_OK) {
				res[i].status = st;
				*failed = i;
				core_abort(st);
				goto out;
			}
		if ((st = core_commit(&res[0].err)) != CORE_OK) {
			res[0].status = st;
			*failed = 0;
		}
		goto out;
	}
	/* Per item: each its own transaction and result. */
	for (size_t i = 0; i < n; i++) {
		if (res[i].status != CORE_OK)
			continue;
		if ((res[i].status = core_begin(c, &res[i].err)) != CORE_OK)
			continue;
		if ((res[i].status = create_insert(c, &reqs[i], &effs[i], lvls[i], hashes[i],
		    &res[i].user, &res[i].err)) != CORE_OK)
			core_abort(res[i].status);
		else
			res[i].status = core_commit(&res[i].err);
	}
out:
	OPENSSL_cleanse(hashes, n * sizeof(*hashes));
	OPENSSL_cleanse(packed, n * sizeof(*packed));
	free(hashes);
	free(packed);
	return st;
}
