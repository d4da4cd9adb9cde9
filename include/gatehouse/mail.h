/*
 * mail.h: the messages Gatehouse sends — one template per reason, each
 * carrying the org's name — and the whole MIME message of an outbox row.
 * Pure: no database, no network (the mailer, mailer.h, does those).
 */
#ifndef GATEHOUSE_MAIL_H
#define GATEHOUSE_MAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct buf;

/* The outbox's template column names one of these. */
enum mail_template {
	MAIL_REGISTRATION,	/* "registration": an invitation with a link to /register */
	MAIL_PASSWORD_RESET,	/* "password_reset": a link to /reset */
	MAIL_WELCOME,		/* "welcome": the account is active */
	MAIL_ACCOUNT_DISABLED,	/* "account_disabled": by an admin or for inactivity */
	MAIL__MAX
};

/* A template by its outbox name; -1 when there is none. */
int		 mail_template_parse(const char *name, enum mail_template *);
const char	*mail_template_name(enum mail_template);

/* What a template may show; which ones it needs is up to the template. */
struct mail_vars {
	const char	*org_name;
	const char	*username;
	const char	*first_name;	/* NULL or "": greeted by username */
	const char	*token;		/* the link's single-use token (gt_<org>k<id>_<secret>) */
	const char	*expires_at;	/* ISO 8601 UTC: when the link stops working */
	const char	*reason;	/* account_disabled: "admin" or "inactivity" */
};

/* True for an http:// or https:// URL that links can be built on (no query, fragment, space or quote). */
bool	mail_public_url_ok(const char *url);

/*
 * Renders a template: its subject (one line), text and HTML (every value
 * escaped by html_escape) into the three buffers, links built on public_url.
 * 0, or -1 with *why (static text) when a variable the template needs is
 * missing or malformed: such a message can never be sent.
 */
int	mail_render(enum mail_template, const struct mail_vars *, const char *public_url,
	    struct buf *subject, struct buf *text, struct buf *html, const char **why);

/* Where a message comes from and how its links begin. */
struct mail_site {
	const char	*public_url;
	const char	*from_addr;	/* envelope sender and From address */
};

/* One outbox row to send. */
struct mail_item {
	int64_t			 org_id, id;
	enum mail_template	 template;
	const char		*to_addr;
	time_t			 created;	/* its Date: when the change that caused it committed */
	struct mail_vars	 vars;		/* org_name is also the From display name */
};

/*
 * The whole message of an outbox row into out (see mime.h). Its Message-ID,
 * <gatehouse.<org>.<id>@<the from address's domain>>, and every byte with it,
 * are the same each time the row is composed, so a message sent twice is
 * recognisably one. 0, or -1 with *why when it can never be sent.
 */
int	mail_compose(struct buf *out, const struct mail_item *, const struct mail_site *,
	    const char **why);

#endif
