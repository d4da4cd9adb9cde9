/*
 * mailer.h: delivering the e-mail outbox (gatehousectl mailer). One message
 * at a time is claimed across every org with FOR UPDATE SKIP LOCKED, composed
 * (mail.h), handed to the transport and marked in the same transaction, so
 * several mailers never hold the same message. A message the relay accepted
 * is marked sent at once; if the mailer dies between the two, the row is
 * still unsent and goes out once more, with the same Message-ID.
 */
#ifndef GATEHOUSE_MAILER_H
#define GATEHOUSE_MAILER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/mail.h"

/* What became of one attempt to hand a message to the relay. */
enum mail_outcome {
	MAIL_SENT,		/* the relay accepted it */
	MAIL_TEMPORARY,		/* try again later: the relay is down, busy or refused for now */
	MAIL_PERMANENT,		/* the relay refused the recipient for good */
};

struct mailer_transport {
	/*
	 * Sends len bytes of msg from → to. err (errlen bytes) gets what went
	 * wrong, for the operator: never a credential.
	 */
	enum mail_outcome (*send)(void *arg, const char *from, const char *to, const char *msg,
			    size_t len, char *err, size_t errlen);
	void		 *arg;
};

struct mailer_opts {
	struct mail_site		 site;
	int				 retry_max;	/* seconds: the longest wait between attempts */
	bool				 once;		/* one pass over what is due, then return */
	volatile sig_atomic_t		*stop;		/* set by a signal: finish the message in hand */
};

struct mailer_stats {
	long	sent, retried, failed;
};

/*
 * Delivers the outbox until *stop is set: woken by NOTIFY gatehouse_outbox
 * at once, by a retry falling due, or every minute; rides out a database
 * that goes away (backing off up to 30 s) and a relay that does (each
 * message backing off 1, 2, 4 … seconds, at most retry_max; never dropped).
 * A message that cannot be composed, or whose recipient the relay refuses
 * for good, is marked failed with its error. The raw link token leaves the
 * row when the message is sent or fails. With once: tries each message due
 * when it starts at most once and returns, or -1 when the database cannot be
 * reached. Adds to stats.
 */
int	mailer_run(const struct mailer_opts *, const struct mailer_transport *,
	    struct mailer_stats *);

/* Seconds before the next attempt of a message that has failed attempts (>= 1) times: 1, 2, 4 … at most max. */
int	mailer_backoff(int attempts, int max);

#endif
