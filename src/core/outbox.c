/* outbox.c: the e-mail outbox, written inside the caller's transaction and delivered at commit. */
#include <libpq-fe.h>

#include "gatehouse/buf.h"
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

int
outbox_queue_mail(struct core_ctx *c, const char *to, enum mail_template t,
    const struct mail_vars *v)
{
	/* The payload's names are those gatehouse.outbox_claim() reads (sql/005_mail.sql). */
	const struct { const char *name, *value; } fields[] = {
		{ "username", v->username }, { "first_name", v->first_name },
		{ "token", v->token }, { "expires_at", v->expires_at }, { "reason", v->reason },
	};
	struct buf	pl;
	struct jsonw	w;
	int		rc;

	buf_init(&pl);
	jsonw_init(&w, &pl);
	jsonw_obj_open(&w);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].value != NULL)
			jsonw_kstr(&w, fields[i].name, fields[i].value);
	jsonw_obj_close(&w);
	rc = pl.failed ? -1 : outbox_queue(c, to, mail_template_name(t), pl.data);
	buf_wipe(&pl);
	buf_free(&pl);
	return rc;
}
