/* mail.c: the message templates and the whole message of an outbox row (see mail.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/html.h"
#include "gatehouse/mail.h"
#include "gatehouse/mime.h"
#include "gatehouse/secret.h"

/*
 * A template: paragraphs before and after its link, in plain words with
 * placeholders — {org}, {name} (the first name, or else the username),
 * {username}, {expiry} (" and expires on <date>", or nothing), {reason} —
 * that mail_render fills, escaped for the HTML part.
 */
struct tmpl {
	const char	*name;
	const char	*subject;
	const char	*link_path;	/* NULL: no link; "": the site itself; else a page taking ?token= */
	const char	*action;	/* the link's words in the HTML part */
	const char	*before[3];
	const char	*after[3];
};

static const struct tmpl tmpls[MAIL__MAX] = {
	[MAIL_REGISTRATION] = { "registration", "Your invitation to {org}", "/register",
	    "Choose your password",
	    { "Hello {name},",
	      "You have been invited to {org}. To activate your account {username}, choose a password:" },
	    { "This link works once{expiry}.",
	      "If you did not expect this invitation, you can ignore this message." } },
	[MAIL_PASSWORD_RESET] = { "password_reset", "Reset your {org} password", "/reset",
	    "Choose a new password",
	    { "Hello {name},",
	      "Someone asked to reset the password of your {org} account {username}. "
	      "If it was you, choose a new password:" },
	    { "This link works once{expiry}.",
	      "If you did not ask for this, ignore this message: your password stays as it is." } },
	[MAIL_WELCOME] = { "welcome", "Welcome to {org}", "", "Go to {org}",
	    { "Hello {name},", "Your {org} account {username} is active." },
	    { "If you did not set it up yourself, tell an administrator of {org} at once." } },
	[MAIL_ACCOUNT_DISABLED] = { "account_disabled", "Your {org} account has been disabled", NULL,
	    NULL,
	    { "Hello {name},", "Your {org} account {username} has been disabled {reason}." },
	    { "If you still need it, ask an administrator of {org} to enable it again." } },
};

int
mail_template_parse(const char *name, enum mail_template *t)
{
	for (int i = 0; name != NULL && i < MAIL__MAX; i++)
		if (strcmp(tmpls[i].name, name) == 0) {
			*t = (enum mail_template)i;
			return 0;
		}
	return -1;
}

const char *
mail_template_name(enum mail_template t)
{
	return t < MAIL__MAX ? tmpls[t].name : "unknown";
}

bool
mail_public_url_ok(const char *u)
{
	size_t skip;

	if (u == NULL)
		return false;
	if (strncmp(u, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(u, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	if (u[skip] == '\0' || u[skip] == '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'<>\\`{}|^?#", *p) != NULL)
			return false;
	return strlen(u) <= 512;
}

/* Everything a placeholder can stand for, resolved once. */
struct fill {
	const char	*org, *name, *username, *reason;
	char		 expiry[48];
};

/* " and expires on 2024-05-01 13:00 UTC" from ISO 8601 UTC, or "" when there is none. */
static void
expiry_words(const char *iso, char out[48])
{
	out[0] = '\0';
	if (iso != NULL && strlen(iso) >= 16 && iso[4] == '-' && iso[10] == 'T' && iso[13] == ':')
		snprintf(out, 48, " and expires on %.10s %.5s UTC", iso, iso + 11);
}

/* Writes s with its placeholders filled, escaped for HTML when html. */
static void
expand(struct buf *b, const char *s, const struct fill *f, bool html)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "{org}", offsetof(struct fill, org) },
		{ "{name}", offsetof(struct fill, name) },
		{ "{username}", offsetof(struct fill, username) },
		{ "{reason}", offsetof(struct fill, reason) },
	};

	while (*s) {
		const char	*open = strchr(s, '{'), *v = NULL;
		size_t		 klen = 0;

		if (open == NULL)
			open = s + strlen(s);
		buf_append(b, s, (size_t)(open - s));	/* template text: trusted, no markup */
		if (*open == '\0')
			break;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && v == NULL; i++)
			if (strncmp(open, keys[i].key, strlen(keys[i].key)) == 0) {
				v = *(const char *const *)((const char *)f + keys[i].off);
				klen = strlen(keys[i].key);
			}
		if (v == NULL && strncmp(open, "{expiry}", 8) == 0) {
			v = f->expiry;
			klen = 8;
		}
		if (v == NULL) {		/* not a placeholder: a literal brace */
			buf_putc(b, '{');
			s = open + 1;
			continue;
		}
		if (html)
			html_puts(b, v);
		else
			buf_puts(b, v);
		s = open + klen;
	}
}

/* Up to three paragraphs, to the text part and, escaped, to the HTML part. */
static void
paragraphs(struct buf *text, struct buf *html, const char *const p[3], const struct fill *f)
{
	for (size_t i = 0; i < 3 && p[i] != NULL; i++) {
		expand(text, p[i], f, false);
		buf_puts(text, "\n\n");
		buf_puts(html, "<p>");
		expand(html, p[i], f, true);
		buf_puts(html, "</p>\n");
	}
}

/* Writes public_url + path (+ ?token=token) to link; the token's shape keeps it URL-safe. */
static int
build_link(struct buf *link, const char *public_url, const char *path, const char *token,
    const char **why)
{
	int64_t		 org, id;
	const char	*secret;
	size_t		 n = strlen(public_url);

	if (*path != '\0' && (token == NULL || secret_parse(token, "gt", &org, &id, &secret) != 0)) {
		*why = "the message's link token is missing or malformed";
		return -1;
	}
	while (n > 0 && public_url[n - 1] == '/')
		n--;
	buf_append(link, public_url, n);
	if (*path == '\0')
		buf_putc(link, '/');
	else
		buf_printf(link, "%s?token=%s", path, token);
	return 0;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

int
mail_render(enum mail_template t, const struct mail_vars *v, const char *public_url,
    struct buf *subject, struct buf *text, struct buf *html, const char **why)
{
	const struct tmpl	*m;
	struct fill		 f;
	struct buf		 link;
	int			 rc = -1;

	if (t >= MAIL__MAX) {
		*why = "unknown template";
		return -1;
	}
	m = &tmpls[t];
	memset(&f, 0, sizeof(f));
	f.org = nonempty(v->org_name);
	f.username = nonempty(v->username);
	f.name = nonempty(v->first_name) ? v->first_name : f.username;
	expiry_words(v->expires_at, f.expiry);
	if (t == MAIL_ACCOUNT_DISABLED) {
		f.reason = v->reason != NULL && strcmp(v->reason, "inactivity") == 0 ?
		    "because it has not been used for a while" : "by an administrator";
	}
	if (f.org == NULL || f.username == NULL) {
		*why = f.org == NULL ? "the org has no name" : "the message names no user";
		return -1;
	}
	buf_init(&link);
	if (m->link_path != NULL &&
	    build_link(&link, public_url ? public_url : "", m->link_path, v->token, why) != 0)
		goto out;

	expand(subject, m->subject, &f, false);
	buf_puts(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>");
	expand(html, m->subject, &f, true);
	buf_puts(html, "</title></head>\n<body>\n");
	paragraphs(text, html, m->before, &f);
	if (m->link_path != NULL) {
		buf_printf(text, "%s\n\n", buf_cstr(&link));
		buf_puts(html, "<p><a href=\"");
		html_puts(html, buf_cstr(&link));
		buf_puts(html, "\">");
		expand(html, m->action, &f, true);
		buf_puts(html, "</a></p>\n<p>Or copy this address into your browser: ");
		html_puts(html, buf_cstr(&link));
		buf_puts(html, "</p>\n");
	}
	paragraphs(text, html, m->after, &f);
	buf_puts(text, "-- \n");
	expand(text, "{org}", &f, false);
	buf_puts(text, "\n");
	buf_puts(html, "<p>&mdash; ");
	expand(html, "{org}", &f, true);
	buf_puts(html, "</p>\n</body>\n</html>\n");
	if (subject->failed || text->failed || html->failed || link.failed) {
		*why = "out of memory";
		goto out;
	}
	rc = 0;
out:
	buf_wipe(&link);	/* it held the token */
	buf_free(&link);
	return rc;
}

int
mail_compose(struct buf *out, const struct mail_item *it, const struct mail_site *site,
    const char **why)
{
	struct buf		 subject, text, html;
	struct mime_message	 m;
	const char		*at = site->from_addr ? strchr(site->from_addr, '@') : NULL;
	char			 mid[320];
	int			 rc = -1;

	if (at == NULL || !mime_addr_ok(site->from_addr)) {
		*why = "from address";
		return -1;
	}
	buf_init(&subject);
	buf_init(&text);
	buf_init(&html);
	if (mail_render(it->template, &it->vars, site->public_url, &subject, &text, &html, why) != 0)
		goto out;
	snprintf(mid, sizeof(mid), "gatehouse.%lld.%lld%s", (long long)it->org_id, (long long)it->id, at);
	memset(&m, 0, sizeof(m));
	m.from_name = it->vars.org_name;
	m.from_addr = site->from_addr;
	m.to_addr = it->to_addr;
	m.subject = buf_cstr(&subject);
	m.message_id = mid;
	m.date = it->created;
	m.text = buf_cstr(&text);
	m.html = buf_cstr(&html);
	rc = mime_write(out, &m, why);
out:
	/* The bodies held the link and its token. */
	buf_wipe(&text);
	buf_wipe(&html);
	buf_free(&subject);
	buf_free(&text);
	buf_free(&html);
	return rc;
}
