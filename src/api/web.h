/*
 * web.h: what the HTML pages share (web.c: the page, its errors, CSRF,
 * fields) with the sign-in pages (web_signin.c). Not for other surfaces.
 */
#ifndef GATEHOUSE_WEB_H
#define GATEHOUSE_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/api.h"
#include "gatehouse/signin.h"

struct buf;
struct request;

extern const struct dialect dialect_web;
extern const struct route_list web_signin_routes;
extern const struct route_list web_webauthn_routes;

/* Starts a page: headers with the CSP, the title (prefixed "Error: " when error) and <h1>. */
void	web_page_begin(struct request *, int status, const char *title, bool error);
/* web_page_begin for a page with a security key's form: its script allowed and loaded. */
void	web_page_begin_script(struct request *, int status, const char *title, bool error);
void	web_page_end(struct request *);
/* Escaped text with its first letter capitalised. */
void	web_sentence(struct buf *, const char *text);
/* A paragraph of escaped text. */
void	web_para(struct request *, const char *text);
/* A whole page: a title and one paragraph. */
void	web_message_page(struct request *, int status, const char *title, const char *text);
/* The failure page of the dialect. */
void	web_error(struct request *, int status, const char *field, const char *detail);
/* An error summary (role="alert") whose one item links to the field. */
void	web_error_summary(struct request *, const char *field, const char *msg);
/* A static file of the pages: 200 with its type and text. */
void	web_asset(struct request *, const char *ctype, const char *text, size_t n);
/* Whether the request came over HTTPS: cookies are then __Host- and Secure. */
bool	web_secure(const struct request *);
/* The double-submit CSRF value (set as a cookie when new), or NULL. */
const char *web_csrf_value(struct request *);
/* Whether a form's CSRF field matches the cookie. */
bool	web_csrf_ok(struct request *, const char *field);
/*
 * One field of a form (type "text" or "password") with its label, hint and
 * error, described for assistive technology; value (escaped) is what the
 * user typed that is safe to show again (NULL for a password).
 */
void	web_field(struct request *, const char *type, const char *id, const char *label,
	    const char *hint, const char *error, const char *autocomplete, const char *value);

/* --- shared by the sign-in pages (web_signin.c) and the security key's (web_webauthn.c) --- */


/*
 * The request's session at the stage a page needs: true with c and s set;
 * false after sending the browser where it belongs. A POST must also carry
 * the session's CSRF token.
 */
bool	web_session_at(struct request *, enum signin_stage want, struct core_ctx *,
	    struct session *, bool post, const char *csrf);
/* Sets the session cookie (value NULL: clears it). */
void	web_set_session_cookie(struct request *, const char *value);
/* 303 to path. */
void	web_see_other(struct request *, const char *path);
/* The opening of a form posting to action, with the CSRF field; false after a 500. */
bool	web_form_open(struct request *, const char *action);
/* A form of one button (and the CSRF field). */
void	web_button_form(struct request *, const char *action, const char *label);
/*
 * What a second step's answer st comes to: signed in (303 to /account with
 * the new cookie), the page again with wrong under field, or the address's
 * wait (429 with Retry-After); any other failure as the dialect renders it.
 */
void	web_second_step_answer(struct request *, struct core_ctx *, const struct session *,
	    enum core_status st, struct signin_result *, const struct core_err *,
	    const char *field, const char *wrong);
/* The second step's page; field and msg name an error (or NULL). */
void	web_code_page(struct request *, struct core_ctx *, const struct session *, int status,
	    const char *field, const char *msg);
/* /account; field and msg name an error, notice says what was done (or NULL). */
void	web_account_page(struct request *, struct core_ctx *, const struct session *, int status,
	    const char *field, const char *msg, const char *notice);
/* The enrolment page, with msg for a code or key that did not work (or NULL). */
void	web_enrol_page(struct request *, struct core_ctx *, const struct session *, int status,
	    const char *msg);

/* --- security keys (web_webauthn.c) --------------------------------------------------- */

/* Whether the site offers security keys: public_url is set (see api_webauthn_site). */
bool	web_webauthn_on(void);
/* The second step's security key form (for a user with keys). */
void	web_webauthn_get_form(struct request *, struct core_ctx *, const struct session *,
	    bool has_totp);
/* /account's list of keys with their remove buttons, and the form that adds one. */
void	web_webauthn_keys(struct request *, struct core_ctx *, const struct session *,
	    const char *field, const char *msg);
/* The form that registers a key, posting to action. */
void	web_webauthn_create_form(struct request *, struct core_ctx *, const struct session *,
	    const char *action, const char *error);

#endif
