/* user_settings.c: settings users keep for themselves, which an admin may also set for them. */
#include <string.h>

#include "gatehouse/users.h"
#include "users_internal.h"

enum core_status
users_set_summary_email(struct core_ctx *c, const struct user_ref *ref, bool on, struct user *out,
    struct core_err *e)
{
	struct user_patch	 p;
	struct user		 u;
	char			 sid[CORE_ID_LEN];
	struct user_ref		 self = { UKEY_ID, sid };
	enum core_status	 st;

	memset(&p, 0, sizeof(p));
	if ((st = users_get(c, ref, &u, e)) != CORE_OK ||
	    (st = users_own_or_admin(c, &u, "change another user's summary e-mail", e)) != CORE_OK ||
	    (st = user_patch_set(c->arena, &p, UF_SUMMARY_EMAIL, on ? "true" : "false", e)) != CORE_OK)
		return st;
	/* By id: the user checked above, even if its e-mail changes in between. */
	core_id_text(u.id, sid);
	return users_update(c, &self, &p, CORE_ANY_VERSION, out, e);
}
