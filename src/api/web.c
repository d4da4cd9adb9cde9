/*
 * web.c: the HTML pages (prefix "/"): the registration and password-reset
 * links Gatehouse e-mails, as small forms that work without JavaScript,
 * and the dialect that renders every failure as a page. The pages only
 * translate: tokens, passwords and accounts are the core's (users_redeem).
 * Every value a page shows goes through html_escape; the Content-Security-
 * Policy allows the one stylesheet, and no script but the security key's
 * file on the pages that offer one (web_webauthn.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/html.h"
#include "gatehouse/request.h"
#include "gatehouse/secret.h"
#include "gatehouse/tokens.h"
#include "gatehouse/users.h"

#include "web.h"

#define CSP	"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';" \
		" frame-ancestors 'none'; base-uri 'none'"
/* A page with a security key's form: the same, and the one same-origin script file. */
#define CSP_SCRIPT	CSP "; script-src 'self'"

/* --- the page ------------------------------------------------------------------------- */

static void
page_begin(struct request *r, int status, const char *title, bool error, bool script)
{
	resp_start(r, status, "text/html; charset=utf-8");
	resp_header(r, "Content-Security-Policy", script ? CSP_SCRIPT : CSP);
	buf_puts(r->out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	/* A screen reader hears first that the form came back with errors. */
	if (error)
		buf_puts(r->out, "Error: ");
	html_puts(r->out, title);
	buf_puts(r->out, " - Gatehouse</title>\n"
	    "<link rel=\"stylesheet\" href=\"/assets/gatehouse.css\">\n");
	if (script)
		buf_puts(r->out, "<script src=\"/assets/webauthn.js\" defer></script>\n");
	buf_puts(r->out, "</head>\n<body>\n<main id=\"main\">\n<h1>");
	html_puts(r->out, title);
	buf_puts(r->out, "</h1>\n");
}

void
web_page_begin(struct request *r, int status, const char *title, bool error)
{
	page_begin(r, status, title, error, false);
}

void
web_page_begin_script(struct request *r, int status, const char *title, bool error)
{
	page_begin(r, status, title, error, true);
}

void
web_page_end(struct request *r)
{
	buf_puts(r->out, "</main>\n</body>\n</html>\n");
}

/* Escaped text with its first letter capitalised: core messages start in lower case. */
void
web_sentence(struct buf *b, const char *text)
{
	if (text[0] >= 'a' && text[0] <= 'z') {
		buf_putc(b, (char)(text[0] - 'a' + 'A'));
		text++;
	}
	html_puts(b, text);
}

void
web_para(struct request *r, const char *text)
{
	buf_puts(r->out, "<p>");
	web_sentence(r->out, text);
	buf_puts(r->out, "</p>\n");
}

void
web_message_page(struct request *r, int status, const char *title, const char *text)
{
	web_page_begin(r, status, title, false);
	web_para(r, text);
	web_page_end(r);
}

void
web_error_summary(struct request *r, const char *field, const char *msg)
{
	buf_puts(r->out, "<div class=\"error-summary\" role=\"alert\" "
	    "aria-labelledby=\"error-summary-title\" tabindex=\"-1\">\n"
	    "<h2 id=\"error-summary-title\">There is a problem</h2>\n<ul>\n<li><a href=\"#");
	html_puts(r->out, field);
	buf_puts(r->out, "\">");
	web_sentence(r->out, msg);
	buf_puts(r->out, "</a></li>\n</ul>\n</div>\n");
}

/* --- the dialect ------------------------------------------------------------------------ */

/* Every route is public: a link's token is the credential, checked by the core. */
static int
web_guard(struct request *r)
{
	(void)r;
	return 0;
}

void
web_error(struct request *r, int status, const char *field, const char *detail)
{
	const char *title;

	switch (status) {
	case 404:	title = "Page not found"; break;
	case 405:	title = "This page does not take that request"; break;
	case 503:	title = "Please try again in a moment"; break;
	default:	title = status >= 500 ? "Something went wrong" : "There is a problem"; break;
	}
	web_page_begin(r, status, title, false);
	web_para(r, detail ? detail : http_reason(status));
	if (field != NULL && *field != '\0') {
		buf_puts(r->out, "<p>The field at fault: <code>");
		html_puts(r->out, field);
		buf_puts(r->out, "</code></p>\n");
	}
	web_page_end(r);
}

const struct dialect dialect_web = {
	.name = "web",
	.prefix = "",
	.guard = web_guard,
	.error = web_error,
};

/* --- CSRF: a double-submit cookie --------------------------------------------------------- */

/*
 * The form's hidden field must equal a random cookie that only this site
 * can set (__Host- over HTTPS) and that no other site's page can read or
 * make a browser send with a POST (SameSite=Lax), so a page elsewhere cannot
 * post a form in the user's name. Lax rather than Strict: a link opened from
 * a webmail keeps the cookie an open tab's form already carries.
 */
bool
web_secure(const struct request *r)
{
	const char *https = req_env(r, "HTTPS");

	return https != NULL && strcasecmp(https, "on") == 0;
}

static const char *
csrf_cookie_name(const struct request *r)
{
	return web_secure(r) ? "__Host-gh_csrf" : "gh_csrf";
}

static bool
csrf_shaped(const char *v)
{
	return v != NULL && strlen(v) == SECRET_LEN &&
	    strspn(v, base64_chars(BASE64_URL)) == SECRET_LEN;
}

/* The request's CSRF value, or a new one set as the cookie; NULL when none could be made. */
const char *
web_csrf_value(struct request *r)
{
	const char	*name = csrf_cookie_name(r), *v = req_cookie(r, name);
	char		*fresh;
	unsigned char	 digest[SECRET_DIGEST_LEN];

	if (csrf_shaped(v))
		return v;
	if ((fresh = arena_alloc(r->arena, SECRET_LEN + 1)) == NULL ||
	    secret_new(fresh, SECRET_LEN + 1, digest) != 0)
		return NULL;
	resp_header(r, "Set-Cookie", arena_printf(r->arena, "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Lax%s", name, fresh, name[0] == '_' ? "; Secure" : ""));
	return fresh;
}

bool
web_csrf_ok(struct request *r, const char *field)
{
	const char *cookie = req_cookie(r, csrf_cookie_name(r));

	return csrf_shaped(cookie) && csrf_shaped(field) &&
	    CRYPTO_memcmp(cookie, field, SECRET_LEN) == 0;
}

/* --- the link pages ------------------------------------------------------------------------ */

/* What differs between the two links. */
static const struct link_page {
	const char	*path;
	const char	*title;
	const char	*submit;
	const char	*done_title;
	const char	*done;		/* after the user's name and org */
	const char	*again;		/* how to get a new link */
} link_pages[] = {
	[TOKEN_REGISTRATION] = { "/register", "Set up your account", "Activate my account",
	    "Your account is ready", "is active and its password is set. You can sign in now.",
	    "ask an administrator of your organisation to invite you again" },
	[TOKEN_PASSWORD_RESET] = { "/reset", "Choose a new password", "Change my password",
	    "Your password has been changed",
	    "has its new password. Every other session of the account has been signed out.",
	    "ask for a new password-reset link" },
};

/* "<strong>username</strong> at <strong>org</strong>": who the link is for. */
static void
who(struct request *r, const struct token_info *t)
{
	buf_puts(r->out, "<strong>");
	html_puts(r->out, t->username);
	buf_puts(r->out, "</strong> at <strong>");
	html_puts(r->out, t->org_name);
	buf_puts(r->out, "</strong>");
}

/* A link that does not work: why, and what to do. */
static void
state_page(struct request *r, enum token_purpose p, enum token_state st)
{
	const struct link_page	*lp = &link_pages[p];
	char			 text[300];

	switch (st) {
	case TOKEN_USED:
		snprintf(text, sizeof(text), "Each link works once. If you chose your password with "
		    "it, sign in with that password; if you need a new link, %s.", lp->again);
		web_message_page(r, 410, "This link has already been used", text);
		break;
	case TOKEN_EXPIRED:
		snprintf(text, sizeof(text), "Links work for a limited time only. To get a new one, "
		    "%s.", lp->again);
		web_message_page(r, 410, "This link has expired", text);
		break;
	case TOKEN_INACTIVE:
		web_message_page(r, 403, "This link cannot be used", "The account it was sent for is not "
		    "active or has no password to set. Ask an administrator of your organisation.");
		break;
	default:
		snprintf(text, sizeof(text), "Check that you opened or copied the whole link from the "
		    "e-mail. If it still does not work, %s.", lp->again);
		web_message_page(r, 404, "This link is not valid", text);
		break;
	}
}

void
web_field(struct request *r, const char *type, const char *id, const char *label,
    const char *hint, const char *error, const char *autocomplete, const char *value)
{
	buf_printf(r->out, "<div class=\"field%s\">\n<label for=\"%s\">%s</label>\n",
	    error ? " field-error" : "", id, label);
	if (hint != NULL)
		buf_printf(r->out, "<p class=\"hint\" id=\"%s-hint\">%s</p>\n", id, hint);
	if (error != NULL) {
		buf_printf(r->out, "<p class=\"error-message\" id=\"%s-error\">"
		    "<span class=\"visually-hidden\">Error: </span>", id);
		web_sentence(r->out, error);
		buf_puts(r->out, "</p>\n");
	}
	buf_printf(r->out, "<input id=\"%s\" name=\"%s\" type=\"%s\" autocomplete=\"%s\" "
	    "required", id, id, type, autocomplete);
	/* Names and codes are typed as they are: no spelling fixes, no capitals. */
	if (strcmp(type, "text") == 0)
		buf_puts(r->out, " spellcheck=\"false\" autocapitalize=\"none\"");
	if (strcmp(autocomplete, "one-time-code") == 0)
		buf_puts(r->out, " inputmode=\"numeric\"");
	if (hint != NULL || error != NULL) {
		buf_puts(r->out, " aria-describedby=\"");
		if (hint != NULL)
			buf_printf(r->out, "%s-hint", id);
		if (error != NULL)
			buf_printf(r->out, "%s%s-error", hint ? " " : "", id);
		buf_putc(r->out, '"');
	}
	if (error != NULL)
		buf_puts(r->out, " aria-invalid=\"true\"");
	if (value != NULL) {
		buf_puts(r->out, " value=\"");
		html_puts(r->out, value);
		buf_putc(r->out, '"');
	}
	buf_puts(r->out, ">\n</div>\n");
}

/*
 * The form of a working link; with an error (field and message) it comes
 * back with an error summary that links to the field, the token kept.
 */
static void
form_page(struct request *r, int status, enum token_purpose p, const char *token,
    const struct token_info *t, const char *field, const char *msg)
{
	const struct link_page	*lp = &link_pages[p];
	const char		*csrf = web_csrf_value(r);
	char			 hint[120];

	if (csrf == NULL) {
		web_error(r, 500, NULL, "the form could not be prepared; try again");
		return;
	}
	web_page_begin(r, status, lp->title, msg != NULL);
	if (msg != NULL)
		web_error_summary(r, field, msg);
	buf_puts(r->out, t->password ? "<p>Choose a password for " : "<p>Activate ");
	who(r, t);
	buf_puts(r->out, t->password ? ".</p>\n" : ". It has no password here: you sign in "
	    "through your organisation's own sign-in.</p>\n");
	buf_puts(r->out, "<form method=\"post\" action=\"");
	buf_puts(r->out, lp->path);
	buf_puts(r->out, "\">\n<input type=\"hidden\" name=\"token\" value=\"");
	html_puts(r->out, token);
	buf_puts(r->out, "\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
	html_puts(r->out, csrf);
	if (!t->password) {
		buf_printf(r->out, "\">\n<button type=\"submit\">%s</button>\n</form>\n",
		    lp->submit);
		web_page_end(r);
		return;
	}
	/* For password managers: the account the new password belongs to. */
	buf_puts(r->out, "\">\n<div class=\"field\">\n<label for=\"username\">Username</label>\n"
	    "<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" "
	    "readonly value=\"");
	html_puts(r->out, t->username);
	buf_puts(r->out, "\">\n</div>\n");
	snprintf(hint, sizeof(hint), "At least %d characters. A few unrelated words make a "
	    "strong password that is easy to remember.", t->password_min);
	web_field(r, "password", "password", "New password", hint,
	    field && strcmp(field, "password") == 0 ? msg : NULL, "new-password", NULL);
	web_field(r, "password", "password_confirm", "Type the new password again", NULL,
	    field && strcmp(field, "password_confirm") == 0 ? msg : NULL, "new-password", NULL);
	buf_printf(r->out, "<button type=\"submit\">%s</button>\n</form>\n", lp->submit);
	web_page_end(r);
}

/* GET: the form of a working link, or why the link does not work. */
static void
show(struct request *r, enum token_purpose p)
{
	static const char *const known[] = { "token", NULL };
	const char		*token = NULL;
	struct token_info	 t;
	struct core_ctx		 c;
	struct core_err		 e;

	if (!api_begin(r, known, &c) || api_str(r, "token", &token) != 0)
		return;
	if (token == NULL || *token == '\0') {
		state_page(r, p, TOKEN_UNKNOWN);
		return;
	}
	if (tokens_check(&c, token, p, &t, &e) == CORE_OK)
		form_page(r, 200, p, token, &t, NULL, NULL);
	else if (strcmp(e.field, "token") == 0)
		state_page(r, p, t.state);
	else
		api_fail(r, &e);
}

/* POST: sets the password through the core, or shows the form again with what is wrong. */
static void
submit(struct request *r, enum token_purpose p)
{
	static const char *const known[] = { "token", "csrf", "username", "password",
		"password_confirm", NULL };
	const struct link_page	*lp = &link_pages[p];
	const char		*token = NULL, *csrf = NULL, *user = NULL, *pw = NULL, *again = NULL;
	struct token_info	 t;
	struct core_ctx		 c;
	struct core_err		 e;

	if (!api_begin(r, known, &c) || api_str(r, "token", &token) != 0 ||
	    api_str(r, "csrf", &csrf) != 0 || api_str(r, "username", &user) != 0 ||
	    api_str(r, "password", &pw) != 0 || api_str(r, "password_confirm", &again) != 0)
		return;
	if (token == NULL || *token == '\0') {
		state_page(r, p, TOKEN_UNKNOWN);
		return;
	}
	if (!web_csrf_ok(r, csrf)) {
		web_page_begin(r, 403, "This form has expired", false);
		buf_puts(r->out, "<p>The form could not be checked: your browser may have lost its "
		    "cookie. <a href=\"");
		buf_puts(r->out, lp->path);
		buf_puts(r->out, "?token=");
		html_puts(r->out, api_path_escape(r, token));
		buf_puts(r->out, "\">Open the form again</a> and resubmit it.</p>\n");
		web_page_end(r);
		return;
	}
	if (pw != NULL && *pw != '\0' && (again == NULL || strcmp(pw, again) != 0)) {
		/* The form's own check: the two fields must agree before the core sees either. */
		if (tokens_check(&c, token, p, &t, &e) == CORE_OK)
			form_page(r, 422, p, token, &t, "password_confirm",
			    "the two passwords do not match");
		else if (strcmp(e.field, "token") == 0)
			state_page(r, p, t.state);
		else
			api_fail(r, &e);
		return;
	}
	if (users_redeem(&c, p, token, pw, &t, &e) == CORE_OK) {
		web_page_begin(r, 200, lp->done_title, false);
		buf_puts(r->out, "<p>The account ");
		who(r, &t);
		buf_puts(r->out, " ");
		buf_puts(r->out, t.password ? lp->done : "is active. Sign in through your "
		    "organisation's own sign-in.");
		buf_puts(r->out, "</p>\n");
		web_page_end(r);
	} else if (strcmp(e.field, "token") == 0)
		state_page(r, p, t.state);
	else if (e.status == CORE_INVALID && strcmp(e.field, "password") == 0)
		form_page(r, 422, p, token, &t, "password", e.msg);
	else
		api_fail(r, &e);
}

static void h_register_get(struct request *r) { show(r, TOKEN_REGISTRATION); }
static void h_register_post(struct request *r) { submit(r, TOKEN_REGISTRATION); }
static void h_reset_get(struct request *r) { show(r, TOKEN_PASSWORD_RESET); }
static void h_reset_post(struct request *r) { submit(r, TOKEN_PASSWORD_RESET); }

/* The one stylesheet: readable, and focus always visible. */
static void
h_css(struct request *r)
{
	static const char css[] =
	    "body{font:1.125rem/1.5 system-ui,sans-serif;margin:0;color:#0b0c0c;background:#fff}\n"
	    "main{max-width:36rem;margin:2rem auto;padding:0 1rem}\n"
	    "h1{font-size:2rem;line-height:1.2}\n"
	    ".field{margin:1.5rem 0}\n"
	    "label{display:block;font-weight:700}\n"
	    ".hint{color:#505a5f;margin:.25rem 0}\n"
	    "input{font:inherit;width:100%;box-sizing:border-box;padding:.4rem;"
	    "border:2px solid #0b0c0c}\n"
	    "input[readonly]{background:#f3f2f1}\n"
	    "button{font:inherit;padding:.5rem 1rem;border:0;background:#00703c;color:#fff}\n"
	    "a:focus,input:focus,button:focus,.error-summary:focus{outline:3px solid #fd0;"
	    "outline-offset:0}\n"
	    ".error-summary{border:4px solid #d4351c;padding:1rem;margin-bottom:1.5rem}\n"
	    ".error-summary h2{margin-top:0}\n"
	    ".field-error{border-left:4px solid #d4351c;padding-left:.75rem}\n"
	    ".field-error input{border-color:#d4351c}\n"
	    ".error-message{color:#d4351c;font-weight:700;margin:.25rem 0}\n"
	    ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;"
	    "clip:rect(0 0 0 0);white-space:nowrap}\n"
	    "[hidden]{display:none}\n";

	web_asset(r, "text/css; charset=utf-8", css, sizeof(css) - 1);
}

void
web_asset(struct request *r, const char *ctype, const char *text, size_t n)
{
	resp_start(r, 200, ctype);
	buf_append(r->out, text, n);
}

/* Fields that are lists: none; every field is one value. */
#define P	ROUTE_PUBLIC
static const struct route routes[] = {
	{ "GET",  "/register",			h_register_get,	 &dialect_web, P, 0, NULL, false },
	{ "POST", "/register",			h_register_post, &dialect_web, P, 0, NULL, false },
	{ "GET",  "/reset",			h_reset_get,	 &dialect_web, P, 0, NULL, false },
	{ "POST", "/reset",			h_reset_post,	 &dialect_web, P, 0, NULL, false },
	{ "GET",  "/assets/gatehouse.css",	h_css,		 &dialect_web, P, 0, NULL, false },
};
#undef P
static const struct route_list web_routes = ROUTE_LIST(routes);
static const struct route_list *const web_lists[] = { &web_routes, &web_signin_routes,
	&web_webauthn_routes, NULL };

const struct surface surface_web = { &dialect_web, web_lists };
