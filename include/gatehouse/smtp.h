/*
 * smtp.h: one SMTP relay through libcurl — STARTTLS or implicit TLS, optional
 * AUTH — that hands over one message at a time, keeping its connection open
 * between messages. Only gatehousectl links it (and libcurl).
 */
#ifndef GATEHOUSE_SMTP_H
#define GATEHOUSE_SMTP_H

#include <stddef.h>

/* STARTTLS on an smtp:// relay (an smtps:// relay is TLS from the first byte). */
enum smtp_tls {
	SMTP_TLS_REQUIRE,	/* upgrade, or send nothing */
	SMTP_TLS_TRY,		/* upgrade when the relay offers it */
	SMTP_TLS_OFF,		/* never: a relay on loopback or a trusted link only */
	SMTP_TLS__MAX
};

struct smtp_opts {
	const char	*url;		/* smtp://host[:port] or smtps://host[:port] */
	enum smtp_tls	 tls;
	const char	*user;		/* AUTH when set */
	const char	*password;	/* never logged */
	const char	*ca_file;	/* certificates to trust instead of the system's; NULL: the system's */
	long		 timeout;	/* seconds for one message, connection included */
};

enum smtp_result {
	SMTP_SENT,		/* the relay accepted the message */
	SMTP_TEMPORARY,		/* anything that may work later: no connection, 4xx, TLS, AUTH */
	SMTP_PERMANENT,		/* the relay refused the recipient with 5xx */
};

struct smtp;

/* The names of smtp_tls, for the configuration ("require", "try", "off"); -1 for another. */
int		 smtp_tls_parse(const char *, enum smtp_tls *);
/* 0 when url is an smtp:// or smtps:// URL without credentials in it; else -1. */
int		 smtp_url_ok(const char *url);
/* A relay to send through, or NULL (libcurl could not start). Copies what it keeps. */
struct smtp	*smtp_new(const struct smtp_opts *);
/*
 * Sends len bytes of msg (a whole message, CRLF line ends) from → to (bare
 * addresses). err (errlen bytes) gets libcurl's reason on failure.
 */
enum smtp_result smtp_send(struct smtp *, const char *from, const char *to, const char *msg,
		    size_t len, char *err, size_t errlen);
void		 smtp_free(struct smtp *);

#endif
