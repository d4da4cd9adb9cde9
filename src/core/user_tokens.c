/*
 * user_tokens.c: what users do with the links Gatehouse e-mails them —
 * redeeming a registration or password-reset link, and the reset link an
 * admin sends. Each one transaction with its audit event and its e-mail.
 */
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "gatehouse/audit.h"
#include "gatehouse/db.h"
#include "gatehouse/outbox.h"
#include "gatehouse/password.h"
#include "gatehouse/tokens.h"
#include "gatehouse/users.h"
#include "users_internal.h"

/* A pending account becomes active; a reset also lifts a lockout (the link proves the mailbox). */
DB_STMT(st_user_redeem, 2,
    "UPDATE gatehouse.users SET password_hash = $2, password_changed_at = now(),"
    " status = CASE WHEN status = 'pending' THEN 'active' ELSE status END,"
    " confirmed_at = coalesce(confirmed_at, now()), failed_logins = 0, locked_until = NULL,"
    " version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/*
 * An account that signs in elsewhere (SSO, LDAP…) has no password: its
 * invitation only confirms the address and activates it.
 */
DB_STMT(st_user_confirm, 1,
    "UPDATE gatehouse.users SET status = CASE WHEN status = 'pending' THEN 'active' ELSE status END,"
    " password_hash = NULL,"
    " confirmed_at = coalesce(confirmed_at, now()), version = version + 1, updated_at = now()"
    " WHERE org_id = gatehouse.current_org() AND id = $1::bigint");

/*
 * Sets the password (or, for a registration of an account without one,
 * only activates it) and everything that goes with it; inside tokens_open's
 * transaction.
 */
static enum core_status
redeem(struct core_ctx *c, enum token_purpose purpose, const char *password,
    struct token_info *t, struct core_err *e)
{
	struct user		 old, now;
	struct principal	 self;
	struct mail_vars	 v;
	enum core_status	 st;
	char			 hash[PHC_MAX], sid[CORE_ID_LEN];
	const char		*p[2] = { sid, hash };
	const struct principal	*was = c->actor;
	size_t			 min;
	PGresult		*r;

	if ((st = users_reload(c, t->user_id, &old, e)) != CORE_OK)
		return st;
	core_id_text(t->user_id, sid);
	if (strcmp(old.val[UF_AUTH_METHOD], "local") != 0) {
		if (purpose != TOKEN_REGISTRATION) {
			t->state = TOKEN_INACTIVE;
			return core_fail(e, CORE_CONFLICT, "token", "this account signs in with %s "
			    "and has no password", old.val[UF_AUTH_METHOD]);
		}
		if (password != NULL && *password != '\0')
			return core_fail(e, CORE_INVALID, "password", "this account signs in with %s "
			    "and has no password", old.val[UF_AUTH_METHOD]);
		r = db_exec(&st_user_confirm, p);
	} else {
		if (password == NULL || *password == '\0')
			return core_fail(e, CORE_INVALID, "password", "password is required");
		if ((st = users_password_min(c, &min, e)) != CORE_OK ||
		    (st = users_check_password(password, min, t->username, t->email, e)) != CORE_OK)
			return st;
		if (password_hash(password, hash) != 0)
			return core_fail(e, CORE_INTERNAL, NULL, "password hashing failed");
		r = db_exec(&st_user_redeem, p);
		OPENSSL_cleanse(hash, sizeof(hash));
	}
	if (r == NULL)
		return core_db_fail(e, "user");
	PQclear(r);
	if ((st = tokens_consume(t, e)) != CORE_OK ||
	    (st = users_end_sessions(c, t->user_id, e)) != CORE_OK ||
	    (st = users_reload(c, t->user_id, &now, e)) != CORE_OK)
		return st;
	/* The user acts, through their link. */
	memset(&self, 0, sizeof(self));
	self.org_id = c->org_id;
	self.org_name = t->org_name;
	self.user_id = t->user_id;
	self.user_uid = t->user_uid;
	self.username = t->username;
	self.email = t->email;
	self.level = now.level;
	c->actor = &self;
	st = users_audit(c, purpose == TOKEN_REGISTRATION ? "user.register" : "user.password_reset",
	    &old, &now, t->password ? "password" : NULL, e);
	c->actor = was;
	if (st != CORE_OK)
		return st;
	if (old.status == US_PENDING && now.status == US_ACTIVE) {
		memset(&v, 0, sizeof(v));
		v.username = now.val[UF_USERNAME];
		v.first_name = now.val[UF_FIRST_NAME];
		if (outbox_queue_mail(c, now.val[UF_EMAIL], MAIL_WELCOME, &v) != 0)
			return core_db_fail(e, "welcome e-mail");
	}
	return CORE_OK;
}

enum core_status
users_redeem(struct core_ctx *c, enum token_purpose purpose, const char *token,
    const char *password, struct token_info *t, struct core_err *e)
{
	enum core_status st;

	if (purpose != TOKEN_REGISTRATION && purpose != TOKEN_PASSWORD_RESET)
		return core_fail(e, CORE_INVALID, "token", "not a link that sets a password");
	if ((st = tokens_open(c, token, purpose, true, t, e)) != CORE_OK)
		return st;
	return core_end(redeem(c, purpose, password, t, e), e);
}

enum core_status
users_send_reset(struct core_ctx *c, const struct user_ref *ref, char *expires_at,
    struct core_err *e)
{
	struct user		 u;
	struct mail_vars	 v;
	enum core_status	 st;
	char			 token[SECRET_TOKEN_MAX] = "";
	int			 rc;

	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = users_load(c, ref, true, &u, e)) != CORE_OK)
		return core_abort(st);
	if ((st = users_own_or_admin(c, &u, "send another user a reset link", e)) != CORE_OK)
		return core_abort(st);
	if (u.status != US_ACTIVE && u.status != US_PENDING)
		return core_abort(core_fail(e, CORE_CONFLICT, NULL,
		    "the user is %s: enable them first", user_status_name(u.status)));
	if (strcmp(u.val[UF_AUTH_METHOD], "local") != 0)
		return core_abort(core_fail(e, CORE_CONFLICT, NULL,
		    "accounts with %s sign-in have no password", u.val[UF_AUTH_METHOD]));
	if (tokens_issue(c, u.id, TOKEN_PASSWORD_RESET, TOKEN_TTL_ORG, token, expires_at) != 0)
		return core_abort(core_db_fail(e, "reset link"));
	memset(&v, 0, sizeof(v));
	v.username = u.val[UF_USERNAME];
	v.first_name = u.val[UF_FIRST_NAME];
	v.token = token;
	v.expires_at = expires_at;
	rc = outbox_queue_mail(c, u.val[UF_EMAIL], MAIL_PASSWORD_RESET, &v);
	OPENSSL_cleanse(token, sizeof(token));
	if (rc != 0)
		return core_abort(core_db_fail(e, "reset e-mail"));
	if (audit_write(c, "user.password_reset_link", "user", u.uid, "{}") != 0)
		return core_abort(core_db_fail(e, "audit event"));
	return core_commit(e);
}
