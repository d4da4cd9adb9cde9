/*
 * user_provision.c: users provisioned by an identity provider's directory
 * (SCIM): the directory's attributes replace the user's, its addresses
 * propose the sign-in e-mail, and its "active" disables or enables — each
 * request one transaction.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/rand.h>

#include "gatehouse/arena.h"
#include "gatehouse/db.h"
#include "gatehouse/users.h"
#include "gatehouse/validate.h"
#include "users_internal.h"

/* Someone other than user $2 (0: nobody yet) signs in with e-mail $1. */
DB_STMT(st_email_taken, 2,
    "SELECT 1 FROM gatehouse.users WHERE org_id = gatehouse.current_org()"
    " AND email_lc = lower($1) COLLATE \"C\" AND status <> 'removed' AND id <> $2::bigint");

/* An address under USER_NO_EMAIL_DOMAIN nobody else has: random, so never reused. */
static const char *
placeholder(struct arena *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 rnd[12];
	char		 local[2 * sizeof(rnd) + 1];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		local[2 * i] = hex[rnd[i] >> 4];
		local[2 * i + 1] = hex[rnd[i] & 15];
	}
	local[2 * sizeof(rnd)] = '\0';
	return arena_printf(a, "u-%s@%s", local, USER_NO_EMAIL_DOMAIN);
}

/*
 * The sign-in e-mail of user self (0 when new; current its present one):
 * the first candidate that is a valid address no other user signs in with,
 * else current, else a placeholder. Inside the caller's transaction.
 */
static enum core_status
pick_email(struct core_ctx *c, const struct user_provision *pv, int64_t self,
    const char *current, const char **out, struct core_err *e)
{
	char	 sid[CORE_ID_LEN];

	core_id_text(self, sid);
	for (size_t i = 0; i < pv->nemails && i < USER_MAX_SIGNIN; i++) {
		const char	*v = pv->emails[i], *p[2] = { v, sid };
		PGresult	*r;
		bool		 taken;

		if (v == NULL || !valid_email(v) || user_email_placeholder(v))
			continue;
		if ((r = db_exec(&st_email_taken, p)) == NULL)
			return core_db_fail(e, "email");
		taken = PQntuples(r) > 0;
		PQclear(r);
		if (!taken) {
			*out = v;
			return CORE_OK;
		}
	}
	if ((*out = current ? current : placeholder(c->arena)) == NULL)
		return core_fail(e, CORE_INTERNAL, NULL, "random number generator failed");
	return CORE_OK;
}

enum core_status
users_provision_create(struct core_ctx *c, const struct user_provision *pv, struct user *out,
    struct core_err *e)
{
	static const struct user_op_opts none = { NULL, false, CORE_ANY_VERSION };
	struct user_create	 req;
	enum core_status	 st;
	const char		*email;
	struct user		 created;

	memset(&req, 0, sizeof(req));
	req.p = pv->p;
	if (!req.p.set[UF_USERNAME])
		return core_fail(e, CORE_INVALID, "username", "username is required");
	/* The provider signs its users in: no password, no invitation. */
	if (!req.p.set[UF_AUTH_METHOD] &&
	    (st = user_patch_set(c->arena, &req.p, UF_AUTH_METHOD, "sso", e)) != CORE_OK)
		return st;
	if ((st = core_begin(c, e)) != CORE_OK)
		return st;
	if ((st = pick_email(c, pv, 0, NULL, &email, e)) != CORE_OK)
		return core_abort(st);
	req.p.set[UF_EMAIL] = true;
	req.p.val[UF_EMAIL] = email;
	if ((st = users_insert(c, &req, &created, e)) != CORE_OK)
		return core_abort(st);
	*out = created;
	if (pv->activity == UACT_DISABLE &&
	    (st = users_apply_in(c, &created, UOP_DISABLE, &none, out, e)) != CORE_OK)
		return core_abort(st);
	return core_commit(e);
}

enum core_status
users_provision_update(struct core_ctx *c, const struct user_ref *ref,
    const struct user_provision *pv, int if_version, struct user *out, struct core_err *e)
{
	static const struct user_op_opts none = { NULL, false, CORE_ANY_VERSION };
	struct user_patch	 p = pv->p;
	struct user		 old, cur;
	enum core_status	 st;
	const char		*email;

	if ((st = users_change_begin(c, ref, if_version, &old, e)) != CORE_OK)
		return st;
	if ((st = pick_email(c, pv, old.id, old.val[UF_EMAIL], &email, e)) != CORE_OK)
		return core_abort(st);
	p.set[UF_EMAIL] = true;
	p.val[UF_EMAIL] = email;
	if ((st = users_update_in(c, &old, &p, &cur, e)) != CORE_OK)
		return core_abort(st);
	*out = cur;
	/* Enabling leaves a suspended user suspended: suspension is Gatehouse's own hold. */
	if ((pv->activity == UACT_DISABLE && cur.status != US_DISABLED) ||
	    (pv->activity == UACT_ENABLE && cur.status == US_DISABLED))
		st = users_apply_in(c, &cur, pv->activity == UACT_DISABLE ? UOP_DISABLE :
		    UOP_ENABLE, &none, out, e);
	return core_end(st, e);
}
