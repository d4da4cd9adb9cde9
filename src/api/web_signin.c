/*
 * web_signin.c: the sign-in pages — /login (password, then a TOTP or
 * recovery code, or a security key: web_webauthn.c), /login/enrol (TOTP
 * set-up with a QR code drawn here, or a security key),
 * /account (who am I, password, summary e-mail, 2FA, sessions) and
 * /logout. They only translate: passwords, codes, sessions and lockouts are
 * the core's (signin.h). A session lives in a cookie (__Host-gh_session over
 * HTTPS); every form carries the double-submit CSRF token the session was
 * bound to at sign-in.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gatehouse/api.h"
#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/html.h"
#include "gatehouse/qr.h"
#include "gatehouse/request.h"
#include "gatehouse/signin.h"
#include "gatehouse/totp.h"
#include "gatehouse/userattrs.h"
#include "gatehouse/users.h"

#include "web.h"

/* Where each stage of a session belongs: nothing else is reachable before it is done. */
static const char *const stage_home[] = {
	[SIGNIN_DONE] = "/account", [SIGNIN_TOTP] = "/login/totp", [SIGNIN_ENROL] = "/login/enrol",
};

static const char *
session_cookie_name(const struct request *r)
{
	return web_secure(r) ? "__Host-gh_session" : "gh_session";
}

/*
 * Sets the session cookie (value NULL: clears it). HttpOnly and SameSite=Lax
 * always; Secure and the __Host- prefix over HTTPS. The plain-HTTP loopback
 * dev stack gets neither, as browsers refuse both there (docs/signin.md).
 */
void
web_set_session_cookie(struct request *r, const char *value)
{
	const char *name = session_cookie_name(r);

	resp_header(r, "Set-Cookie", arena_printf(r->arena, "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Lax%s%s", name, value ? value : "", web_secure(r) ? "; Secure" : "",
	    value ? "" : "; Max-Age=0"));
}

/* 303 to path, with a link for whatever does not follow it. */
void
web_see_other(struct request *r, const char *path)
{
	web_page_begin(r, 303, "Continue", false);
	resp_header(r, "Location", path);
	buf_puts(r->out, "<p><a href=\"");
	html_puts(r->out, path);
	buf_puts(r->out, "\">Continue</a></p>\n");
	web_page_end(r);
}

/*
 * The request's session at the stage a page needs: true with s and c set;
 * false after sending the browser where it belongs (sign-in, or the step
 * its session is at). A POST must also carry the session's CSRF token.
 */
bool
web_session_at(struct request *r, enum signin_stage want, struct core_ctx *c, struct session *s,
    bool post, const char *csrf)
{
	struct core_err e;

	api_ctx(r, c);
	if (signin_session(c, req_cookie(r, session_cookie_name(r)), s, &e) != CORE_OK) {
		if (e.status == CORE_UNAUTHORIZED)
			web_see_other(r, "/login");
		else
			api_fail(r, &e);
		return false;
	}
	if (post && !(web_csrf_ok(r, csrf) && signin_csrf_ok(s, csrf))) {
		web_message_page(r, 403, "This form has expired", "The form could not be checked: "
		    "your browser may have lost its cookie. Open the page again and resubmit it.");
		return false;
	}
	if (s->stage != want) {
		web_see_other(r, stage_home[s->stage]);
		return false;
	}
	return true;
}

/* The opening of a form posting to action, with the CSRF field. */
bool
web_form_open(struct request *r, const char *action)
{
	const char *csrf = web_csrf_value(r);

	if (csrf == NULL) {
		web_error(r, 500, NULL, "the form could not be prepared; try again");
		return false;
	}
	buf_printf(r->out, "<form method=\"post\" action=\"%s\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"", action);
	html_puts(r->out, csrf);
	buf_puts(r->out, "\">\n");
	return true;
}

/* A form of one button (and the CSRF field). */
void
web_button_form(struct request *r, const char *action, const char *label)
{
	if (web_form_open(r, action))
		buf_printf(r->out, "<button type=\"submit\">%s</button>\n</form>\n", label);
}

/* --- /login ---------------------------------------------------------------------------- */

static void
login_form(struct request *r, int status, const char *org, const char *login, const char *msg)
{
	web_page_begin(r, status, "Sign in", msg != NULL);
	if (msg != NULL)
		web_error_summary(r, "login", msg);
	if (!web_form_open(r, "/login"))
		return;
	web_field(r, "text", "org", "Organisation", NULL, NULL, "organization", org ? org : "");
	web_field(r, "text", "login", "Username or e-mail address", NULL, msg, "username",
	    login ? login : "");
	web_field(r, "password", "password", "Password", NULL, NULL, "current-password", NULL);
	buf_puts(r->out, "<button type=\"submit\">Sign in</button>\n</form>\n");
	web_page_end(r);
}

static void
h_login_get(struct request *r)
{
	static const char *const known[] = { "org", NULL };
	const char	*org = NULL;
	struct core_ctx	 c;

	if (api_begin(r, known, &c) && api_str(r, "org", &org) == 0)
		login_form(r, 200, org, NULL, NULL);
}

static void
h_login_post(struct request *r)
{
	static const char *const known[] = { "csrf", "org", "login", "password", NULL };
	const char		*csrf = NULL, *org = NULL, *login = NULL, *pw = NULL;
	struct signin_result	 res;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;
	char			 wait[16];

	if (!api_begin(r, known, &c) || api_str(r, "csrf", &csrf) != 0 ||
	    api_str(r, "org", &org) != 0 || api_str(r, "login", &login) != 0 ||
	    api_str(r, "password", &pw) != 0)
		return;
	if (!web_csrf_ok(r, csrf)) {
		web_message_page(r, 403, "This form has expired", "The form could not be checked: "
		    "your browser may have lost its cookie. Open the sign-in page again.");
		return;
	}
	st = signin_password(&c, org, login, pw, csrf, &res, &e);
	if (st == CORE_OK) {
		web_set_session_cookie(r, res.cookie);
		OPENSSL_cleanse(res.cookie, sizeof(res.cookie));
		web_see_other(r, stage_home[res.stage]);
	} else if (st == CORE_UNAUTHORIZED)
		login_form(r, 401, org, login, "wrong username or password");
	else if (st == CORE_UNAVAILABLE && strcmp(e.field, "address") == 0) {
		snprintf(wait, sizeof(wait), "%d", res.retry_after);
		login_form(r, 429, org, login, e.msg);
		resp_header(r, "Retry-After", wait);
	} else
		api_fail(r, &e);
}

/* --- the second factor ---------------------------------------------------------------------- */

/*
 * The second step: a security key when the user has one (and the site
 * offers them), a TOTP or recovery code when the user has TOTP. A user
 * whose only factor is a key is never asked for a code.
 */
void
web_code_page(struct request *r, struct core_ctx *c, const struct session *s, int status,
    const char *field, const char *msg)
{
	bool key = s->webauthn_keys > 0 && web_webauthn_on(), totp = s->totp_enabled || !key;

	if (key)
		web_page_begin_script(r, status, "Second step of sign-in", msg != NULL);
	else
		web_page_begin(r, status, "Enter your code", msg != NULL);
	if (msg != NULL)
		web_error_summary(r, field, msg);
	if (key)
		web_webauthn_get_form(r, c, s, s->totp_enabled);
	if (totp) {
		if (key)
			buf_puts(r->out, "<h2>Or enter a code</h2>\n");
		web_para(r, "Open your authenticator app and enter the 6-digit code it shows for "
		    "this account. If you cannot, enter one of your recovery codes.");
		if (!web_form_open(r, "/login/totp"))
			return;
		web_field(r, "text", "code", "Code", "6 digits, or a recovery code such as "
		    "abcde-fghij", field && strcmp(field, "code") == 0 ? msg : NULL, "off", "");
		buf_puts(r->out, "<button type=\"submit\">Continue</button>\n</form>\n");
	}
	web_button_form(r, "/logout", "Cancel and sign out");
	web_page_end(r);
}

/* The fields of a form that posts a code: false when a 400 was rendered. */
static bool
code_fields(struct request *r, const char **csrf, const char **code)
{
	static const char *const known[] = { "csrf", "code", NULL };

	*csrf = *code = NULL;
	return api_known_only(r, known) == 0 && api_str(r, "csrf", csrf) == 0 &&
	    api_str(r, "code", code) == 0;
}

static void
h_totp_post(struct request *r)
{
	const char		*csrf, *code;
	struct signin_result	 res;
	struct core_ctx		 c;
	struct session		 s;
	struct core_err		 e;
	enum core_status	 st;

	if (!code_fields(r, &csrf, &code) || !web_session_at(r, SIGNIN_TOTP, &c, &s, true, csrf))
		return;
	st = signin_totp(&c, &s, code, &res, &e);
	web_second_step_answer(r, &c, &s, st, &res, &e, "code", "wrong code");
}

void
web_second_step_answer(struct request *r, struct core_ctx *c, const struct session *s,
    enum core_status st, struct signin_result *res, const struct core_err *e, const char *field,
    const char *wrong)
{
	char wait[16];

	if (st == CORE_OK) {
		web_set_session_cookie(r, res->cookie);
		OPENSSL_cleanse(res->cookie, sizeof(res->cookie));
		web_see_other(r, "/account");
	} else if (st == CORE_UNAUTHORIZED)
		web_code_page(r, c, s, 401, field, wrong);
	else if (st == CORE_UNAVAILABLE && strcmp(e->field, "address") == 0) {
		snprintf(wait, sizeof(wait), "%d", res->retry_after);
		web_code_page(r, c, s, 429, field, e->msg);
		resp_header(r, "Retry-After", wait);
	} else
		api_fail(r, e);
}

/*
 * The set-up page: the secret as a QR code and as text, and the first code;
 * for a session that must enrol, a security key as the other way.
 */
void
web_enrol_page(struct request *r, struct core_ctx *c, const struct session *s, int status,
    const char *msg)
{
	bool key = s->stage == SIGNIN_ENROL && web_webauthn_on();

	char		 secret[TOTP_B32_MAX];
	const char	*uri;
	struct core_err	 e;

	if (signin_totp_begin(c, s, secret, &e) != CORE_OK) {
		api_fail(r, &e);
		return;
	}
	/* Key URI Format: otpauth://totp/<issuer>:<account>?secret=…&issuer=… */
	uri = arena_printf(r->arena, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
	    "&digits=%d&period=%d", api_path_escape(r, s->org_name), api_path_escape(r, s->username),
	    secret, api_path_escape(r, s->org_name), TOTP_DIGITS, TOTP_STEP);
	if (key)
		web_page_begin_script(r, status, "Set up two-factor authentication", msg != NULL);
	else
		web_page_begin(r, status, "Set up two-factor authentication", msg != NULL);
	if (msg != NULL)
		web_error_summary(r, "code", msg);
	if (s->stage == SIGNIN_ENROL)
		web_para(r, "Your organisation asks for a second step at sign-in. Set it up to "
		    "continue.");
	web_para(r, "Scan this QR code with an authenticator app, or type the key below into it.");
	if (uri == NULL || qr_svg(r->out, uri, "QR code of the key for your authenticator app") != 0)
		web_para(r, "The QR code could not be drawn: type the key instead.");
	buf_puts(r->out, "<p>Key: <code>");
	html_puts(r->out, secret);
	buf_puts(r->out, "</code></p>\n");
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!web_form_open(r, "/login/enrol"))
		return;
	web_field(r, "text", "code", "Code from the app", "The 6 digits the app shows now", msg,
	    "one-time-code", "");
	buf_puts(r->out, "<button type=\"submit\">Turn on two-factor authentication</button>\n"
	    "</form>\n");
	if (key) {
		buf_puts(r->out, "<h2>Or use a security key</h2>\n");
		web_webauthn_create_form(r, c, s, "/login/enrol/webauthn", NULL);
	}
	web_page_end(r);
}

/* Enrolment is for a session that must enrol, or a signed-in user without TOTP. */
static bool
enrol_session(struct request *r, struct core_ctx *c, struct session *s, bool post,
    const char *csrf)
{
	struct core_err e;

	api_ctx(r, c);
	if (signin_session(c, req_cookie(r, session_cookie_name(r)), s, &e) != CORE_OK) {
		web_see_other(r, "/login");
		return false;
	}
	if (s->stage == SIGNIN_DONE && !s->totp_enabled)
		return web_session_at(r, SIGNIN_DONE, c, s, post, csrf);
	return web_session_at(r, SIGNIN_ENROL, c, s, post, csrf);
}

static void
h_enrol_get(struct request *r)
{
	static const char *const known[] = { NULL };
	struct core_ctx	c;
	struct session	s;

	if (api_known_only(r, known) == 0 && enrol_session(r, &c, &s, false, NULL))
		web_enrol_page(r, &c, &s, 200, NULL);
}

static void
h_enrol_post(struct request *r)
{
	char			 codes[RECOVERY_CODES][RECOVERY_LEN];
	const char		*csrf, *code;
	struct signin_result	 res;
	struct session		 s;
	struct core_ctx		 c;
	struct core_err		 e;
	enum core_status	 st;

	if (!code_fields(r, &csrf, &code) || !enrol_session(r, &c, &s, true, csrf))
		return;
	if ((st = signin_totp_confirm(&c, &s, code, codes, &res, &e)) != CORE_OK) {
		if (st == CORE_INVALID && strcmp(e.field, "code") == 0)
			web_enrol_page(r, &c, &s, 422, e.msg);
		else
			api_fail(r, &e);
		return;
	}
	if (res.cookie[0] != '\0')
		web_set_session_cookie(r, res.cookie);
	OPENSSL_cleanse(res.cookie, sizeof(res.cookie));
	web_page_begin(r, 200, "Two-factor authentication is on", false);
	web_para(r, "Keep these recovery codes somewhere safe. Each one signs you in once if you "
	    "lose your device. They are shown only now.");
	buf_puts(r->out, "<ul class=\"codes\">\n");
	for (int i = 0; i < RECOVERY_CODES; i++) {
		buf_puts(r->out, "<li><code>");
		html_puts(r->out, codes[i]);
		buf_puts(r->out, "</code></li>\n");
	}
	buf_puts(r->out, "</ul>\n<p><a href=\"/account\">Continue to your account</a></p>\n");
	OPENSSL_cleanse(codes, sizeof(codes));
	web_page_end(r);
}

/* --- /account ---------------------------------------------------------------------------- */

void
web_account_page(struct request *r, struct core_ctx *c, const struct session *s, int status,
    const char *field, const char *msg, const char *notice)
{
	if (web_webauthn_on())
		web_page_begin_script(r, status, "Your account", msg != NULL);
	else
		web_page_begin(r, status, "Your account", msg != NULL);
	if (msg != NULL)
		web_error_summary(r, field, msg);
	if (notice != NULL)
		buf_printf(r->out, "<p class=\"notice\" role=\"status\">%s</p>\n", notice);
	buf_puts(r->out, "<p>Signed in as <strong>");
	html_puts(r->out, s->username);
	buf_puts(r->out, "</strong> (");
	html_puts(r->out, s->email);
	buf_puts(r->out, ") at <strong>");
	html_puts(r->out, s->org_name);
	buf_puts(r->out, "</strong>.</p>\n<h2>Two-factor authentication</h2>\n");
	if (s->totp_enabled) {
		web_para(r, "On: you sign in with a code from your authenticator app.");
		web_button_form(r, "/account/totp/reset", "Turn off and set up again");
	} else {
		web_para(r, s->webauthn_keys > 0 ? "No authenticator app: you sign in with a security "
		    "key (below)." : "Off.");
		buf_puts(r->out, "<p><a href=\"/login/enrol\">Set up two-factor authentication</a>"
		    "</p>\n");
	}
	web_webauthn_keys(r, c, s, field, msg);
	buf_puts(r->out, "<h2>Password</h2>\n");
	if (web_form_open(r, "/account/password")) {
		web_field(r, "password", "current_password", "Current password", NULL,
		    field && strcmp(field, "current_password") == 0 ? msg : NULL, "current-password",
		    NULL);
		web_field(r, "password", "password", "New password", NULL,
		    field && strcmp(field, "password") == 0 ? msg : NULL, "new-password", NULL);
		buf_puts(r->out, "<button type=\"submit\">Change my password</button>\n</form>\n");
	}
	buf_printf(r->out, "<h2>Summary e-mail</h2>\n<p>%s</p>\n",
	    s->summary_email ? "On: you get the summary e-mail." : "Off.");
	web_button_form(r, "/account/summary", s->summary_email ? "Turn the summary e-mail off" :
	    "Turn the summary e-mail on");
	buf_puts(r->out, "<h2>Sessions</h2>\n");
	web_button_form(r, "/logout", "Sign out");
	web_button_form(r, "/logout/everywhere", "Sign out everywhere");
	web_page_end(r);
}

/* GET /login/totp and /account: the page of a session at the route's stage (its flag). */
static void
h_stage_page(struct request *r)
{
	static const char *const known[] = { NULL };
	enum signin_stage	want = (enum signin_stage)r->route->flags;
	struct core_ctx		c;
	struct session		s;

	if (api_known_only(r, known) != 0 || !web_session_at(r, want, &c, &s, false, NULL))
		return;
	if (want == SIGNIN_TOTP)
		web_code_page(r, &c, &s, 200, NULL, NULL);
	else
		web_account_page(r, &c, &s, 200, NULL, NULL, NULL);
}

/* The session of a POST to /account/… with only the CSRF field (and names). */
static bool
account_post(struct request *r, const char *const *known, struct core_ctx *c, struct session *s)
{
	const char *csrf = NULL;

	return api_known_only(r, known) == 0 && api_str(r, "csrf", &csrf) == 0 &&
	    web_session_at(r, SIGNIN_DONE, c, s, true, csrf);
}

static void
h_account_password(struct request *r)
{
	static const char *const known[] = { "csrf", "current_password", "password", NULL };
	const char	*cur = NULL, *pw = NULL;
	struct user_ref	 self;
	struct core_ctx	 c;
	struct session	 s;
	struct core_err	 e;

	if (!account_post(r, known, &c, &s) || api_str(r, "current_password", &cur) != 0 ||
	    api_str(r, "password", &pw) != 0)
		return;
	self.kind = UKEY_UID;
	self.value = s.actor.user_uid;
	/* The core checks the current password and signs every other session out. */
	if (users_set_password(&c, &self, pw, cur, &e) == CORE_OK)
		web_account_page(r, &c, &s, 200, NULL, NULL, "Your password has been changed. Every other "
		    "session has been signed out.");
	else if (e.status == CORE_INVALID || e.status == CORE_FORBIDDEN)
		web_account_page(r, &c, &s, 422, strcmp(e.field, "current") == 0 ||
		    strcmp(e.field, "current_password") == 0 ? "current_password" : "password",
		    e.msg, NULL);
	else
		api_fail(r, &e);
}

/* The switches of /account, by route flag. */
enum { ACCOUNT_SUMMARY, ACCOUNT_TOTP_RESET };

/*
 * POST /account/summary turns the summary e-mail over; /account/totp/reset
 * turns TOTP off (the core keeps this session) and sends the user to set it
 * up again.
 */
static void
h_account_switch(struct request *r)
{
	static const char *const known[] = { "csrf", NULL };
	struct user_ref	 self;
	struct core_ctx	 c;
	struct session	 s;
	struct core_err	 e;
	struct user	 u;

	if (!account_post(r, known, &c, &s))
		return;
	self.kind = UKEY_UID;
	self.value = s.actor.user_uid;
	if (r->route->flags == ACCOUNT_TOTP_RESET) {
		if (api_ok(r, userattrs_mfa_reset(&c, &self, MFA_TOTP, &u, &e), &e) == 0)
			web_see_other(r, "/login/enrol");
		return;
	}
	if (api_ok(r, users_set_summary_email(&c, &self, !s.summary_email, &u, &e), &e) != 0)
		return;
	s.summary_email = !s.summary_email;
	web_account_page(r, &c, &s, 200, NULL, NULL, s.summary_email ? "The summary e-mail is on." :
	    "The summary e-mail is off.");
}

/* --- /logout ------------------------------------------------------------------------------ */

static void
logout(struct request *r, bool everywhere)
{
	static const char *const known[] = { "csrf", NULL };
	const char	*csrf = NULL;
	struct core_ctx	 c;
	struct session	 s;
	struct core_err	 e;
	enum core_status st;

	if (api_known_only(r, known) != 0 || api_str(r, "csrf", &csrf) != 0)
		return;
	api_ctx(r, &c);
	if (signin_session(&c, req_cookie(r, session_cookie_name(r)), &s, &e) != CORE_OK) {
		web_set_session_cookie(r, NULL);
		web_see_other(r, "/login");
		return;
	}
	if (!(web_csrf_ok(r, csrf) && signin_csrf_ok(&s, csrf))) {
		web_message_page(r, 403, "This form has expired", "The form could not be checked. "
		    "Open the page again and sign out from there.");
		return;
	}
	/* Everywhere needs a completed sign-in (the core's rule): say so as a page. */
	if ((st = signin_logout(&c, &s, everywhere, &e)) == CORE_FORBIDDEN) {
		web_message_page(r, 403, "Finish signing in first", "Signing out every session "
		    "needs a completed sign-in. Nothing was signed out.");
		return;
	}
	if (api_ok(r, st, &e) != 0)
		return;
	web_set_session_cookie(r, NULL);
	web_message_page(r, 200, "You are signed out", everywhere ? "Every session of your account "
	    "has been signed out." : "You have been signed out.");
}

static void h_logout(struct request *r) { logout(r, false); }
static void h_logout_everywhere(struct request *r) { logout(r, true); }

#define P	ROUTE_PUBLIC
static const struct route routes[] = {
	{ "GET",  "/login",			h_login_get,	     &dialect_web, P, 0, NULL, false },
	{ "POST", "/login",			h_login_post,	     &dialect_web, P, 0, NULL, false },
	{ "GET",  "/login/totp",		h_stage_page,	     &dialect_web, P, SIGNIN_TOTP, NULL, false },
	{ "POST", "/login/totp",		h_totp_post,	     &dialect_web, P, 0, NULL, false },
	{ "GET",  "/login/enrol",		h_enrol_get,	     &dialect_web, P, 0, NULL, false },
	{ "POST", "/login/enrol",		h_enrol_post,	     &dialect_web, P, 0, NULL, false },
	{ "GET",  "/account",			h_stage_page,	     &dialect_web, P, SIGNIN_DONE, NULL, false },
	{ "POST", "/account/password",		h_account_password,  &dialect_web, P, 0, NULL, false },
	{ "POST", "/account/summary",		h_account_switch,    &dialect_web, P, ACCOUNT_SUMMARY,
	  NULL, false },
	{ "POST", "/account/totp/reset",	h_account_switch,    &dialect_web, P, ACCOUNT_TOTP_RESET,
	  NULL, false },
	{ "POST", "/logout",			h_logout,	     &dialect_web, P, 0, NULL, false },
	{ "POST", "/logout/everywhere",		h_logout_everywhere, &dialect_web, P, 0, NULL, false },
};
#undef P
const struct route_list web_signin_routes = ROUTE_LIST(routes);
