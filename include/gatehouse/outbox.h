/* outbox.h: e-mail queued in the transaction of the change that causes it. */
#ifndef GATEHOUSE_OUTBOX_H
#define GATEHOUSE_OUTBOX_H

#include "gatehouse/core.h"
#include "gatehouse/mail.h"

/* Queues one message; payload is a JSON object. Runs inside the caller's transaction. */
int	outbox_queue(struct core_ctx *, const char *to, const char *template, const char *payload);
/*
 * Queues template to the address with the variables it shows (those not
 * NULL; org_name is not kept: the mailer shows the org's name as it is when
 * the message is sent). Inside the caller's transaction; the payload, which
 * may hold a link's token, is wiped from memory after. 0 on success.
 */
int	outbox_queue_mail(struct core_ctx *, const char *to, enum mail_template,
	    const struct mail_vars *);

#endif
