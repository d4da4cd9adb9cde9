/*
 * web.h: what the HTML pages share (web.c: the page, its errors, CSRF,
 * fields) with the sign-in pages (web_signin.c). Not for other surfaces.
 */
#ifndef GATEHOUSE_WEB_H
#define GATEHOUSE_WEB_H

#include <stdbool.h>

#include "gatehouse/api.h"

struct buf;
struct request;

extern const struct dialect dialect_web;
extern const struct route_list web_signin_routes;

/* Starts a page: headers with the CSP, the title (prefixed "Error: " when error) and <h1>. */
void	web_page_begin(struct request *, int status, const char *title, bool error);
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

#endif
