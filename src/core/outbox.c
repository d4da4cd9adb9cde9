/* outbox.c: the e-mail outbox, written inside the caller's transaction and delivered at commit. */
#include <libpq-fe.h>

#include "gatehouse/db.h"
#include "gatehouse/outbox.h"

DB_STMT(st_outbox_insert, 3,
    "INSERT INTO gatehouse.outbox (org_id, to_addr, template, payload)"
    " VALUES (gatehouse.current_org(), $1, $2, $3::jsonb)");
DB_STMT(st_outbox_notify, 0, "SELECT pg_notify('gatehouse_outbox', '')");

int
outbox_queue(struct core_ctx *c, const char *to, const char *template, const char *payload)
{
	const char	*p[3] = { to, template, payload };

	(void)c;
	/*
	 * Delivered to the mailer at commit, and only if the transaction commits;
	 * nobody reads either answer, so both go with the transaction's next round trip.
	 */
	if (db_defer(&st_outbox_insert, p) != DB_OK || db_defer(&st_outbox_notify, NULL) != DB_OK)
		return -1;
	return 0;
}
