/*
 * web_webauthn.c: security keys on the pages — the second sign-in step with
 * a key, a key added at enrolment or on /account, and the list of keys with
 * their remove buttons. Only navigator.credentials needs JavaScript: one
 * static same-origin script (/assets/webauthn.js, allowed by the CSP of the
 * pages that load it) reads the challenge from the form's data- attributes
 * and posts the browser's answer, base64url, in the form's hidden fields
 * with its CSRF token. Without it the forms stay hidden and the page says a
 * key needs JavaScript. Every check is the core's (signin_webauthn.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "gatehouse/api.h"
#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/html.h"
#include "gatehouse/request.h"
#include "gatehouse/signin.h"
#include "gatehouse/webauthn.h"

#include "web.h"

#define SITE_MAX	256

/* The site keys are bound to; set once per configuration, before any request. */
static char		site_origin[SITE_MAX], site_rp_id[SITE_MAX];
static struct webauthn_rp site = { site_rp_id, site_origin };
static bool		site_on;

int
api_webauthn_site(const char *url, const char *rp_id, char *err, size_t errlen)
{
	const char	*host, *end, *colon;
	size_t		 schemelen, hostlen, n;
	char		 origin[SITE_MAX], id[SITE_MAX];

	site_on = false;
	if (url == NULL || *url == '\0')
		return 0;
	if (strncasecmp(url, "https://", 8) == 0)
		schemelen = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		schemelen = 7;
	else
		goto bad_url;
	host = url + schemelen;
	end = host + strcspn(host, "/?#");
	/* The host and an optional port: no user, no IPv6 literal, nothing empty. */
	colon = memchr(host, ':', (size_t)(end - host));
	hostlen = (size_t)((colon ? colon : end) - host);
	if (hostlen == 0 || (size_t)(end - url) >= SITE_MAX)
		goto bad_url;
	for (const char *p = host; p < end; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' ||
		    (p >= colon && colon != NULL && (*p == ':' ? p == colon : isdigit((unsigned char)*p)))))
			goto bad_url;
	if (colon != NULL && colon + 1 == end)
		goto bad_url;
	/* An origin is serialised without its scheme's default port. */
	n = (size_t)(end - url);
	if (colon != NULL && ((schemelen == 8 && strncmp(colon, ":443", 4) == 0 && end - colon == 4) ||
	    (schemelen == 7 && strncmp(colon, ":80", 3) == 0 && end - colon == 3)))
		n = (size_t)(colon - url);
	for (size_t i = 0; i < n; i++)
		origin[i] = (char)tolower((unsigned char)url[i]);
	origin[n] = '\0';
	if (rp_id == NULL || *rp_id == '\0') {
		memcpy(id, origin + schemelen, hostlen);
		id[hostlen] = '\0';
	} else {
		/* The RP ID is the host or a domain the host is under (WebAuthn §5.1.3). */
		if ((n = strlen(rp_id)) >= SITE_MAX || n > hostlen || strspn(rp_id,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n ||
		    strncasecmp(origin + schemelen + hostlen - n, rp_id, n) != 0 ||
		    (n < hostlen && origin[schemelen + hostlen - n - 1] != '.') || rp_id[0] == '.') {
			snprintf(err, errlen, "webauthn_rp_id: expected the host of public_url or a "
			    "domain it is under, got \"%.64s\"", rp_id);
			return -1;
		}
		for (size_t i = 0; i <= n; i++)
			id[i] = (char)tolower((unsigned char)rp_id[i]);
	}
	memcpy(site_origin, origin, sizeof(origin));
	memcpy(site_rp_id, id, sizeof(id));
	site_on = true;
	return 0;
bad_url:
	snprintf(err, errlen, "public_url: expected http:// or https:// and a host name, got "
	    "\"%.64s\"", url);
	return -1;
}

const char *
api_public_origin(void)
{
	return site_on ? site_origin : NULL;
}

bool
web_webauthn_on(void)
{
	return site_on;
}

/* --- the forms ------------------------------------------------------------------------ */

/* data-NAME="value", escaped. */
static void
data_attr(struct request *r, const char *name, const char *value)
{
	buf_printf(r->out, " data-%s=\"", name);
	html_puts(r->out, value);
	buf_putc(r->out, '"');
}

/* The key ids, space-separated, as one data- attribute. */
static void
data_ids(struct request *r, const struct webauthn_begin *b)
{
	buf_puts(r->out, " data-credentials=\"");
	for (size_t i = 0; i < b->n; i++)
		buf_printf(r->out, "%s%s", i ? " " : "", b->cred_ids[i]);
	buf_putc(r->out, '"');
}

/* What a page without the script shows in place of a key's form. */
static void
no_script(struct request *r, const char *others)
{
	buf_puts(r->out, "<p data-webauthn-nojs>A security key needs JavaScript, which is off or "
	    "blocked in this browser.");
	if (others != NULL)
		buf_printf(r->out, " %s", others);
	buf_puts(r->out, "</p>\n");
}

/*
 * The opening of a key's form: hidden until the script shows it, the
 * challenge and the site in data- attributes, the CSRF field.
 */
static bool
key_form_open(struct request *r, const char *action, const char *kind,
    const struct webauthn_begin *b)
{
	const char *csrf = web_csrf_value(r);

	if (csrf == NULL) {
		web_error(r, 500, NULL, "the form could not be prepared; try again");
		return false;
	}
	buf_printf(r->out, "<form method=\"post\" action=\"%s\" data-webauthn=\"%s\"", action, kind);
	data_attr(r, "challenge", b->challenge);
	data_attr(r, "rp-id", site.id);
	data_ids(r, b);
	return true;
}

/* The form's end: its hidden answer fields, the place for the script's error, the button. */
static void
key_form_close(struct request *r, const char *const *fields, const char *csrf,
    const char *button)
{
	buf_puts(r->out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_puts(r->out, csrf);
	buf_puts(r->out, "\">\n");
	for (; *fields != NULL; fields++)
		buf_printf(r->out, "<input type=\"hidden\" name=\"%s\" value=\"\">\n", *fields);
	buf_printf(r->out, "<p class=\"error-message\" data-webauthn-error role=\"alert\" hidden>"
	    "</p>\n<button type=\"submit\" id=\"webauthn\">%s</button>\n</form>\n", button);
}

void
web_webauthn_get_form(struct request *r, struct core_ctx *c, const struct session *s,
    bool has_totp)
{
	static const char *const fields[] = { "credential_id", "client_data",
		"authenticator_data", "signature", NULL };
	struct webauthn_begin	 b;
	struct core_err		 e;

	buf_puts(r->out, "<h2>Use your security key</h2>\n");
	if (signin_webauthn_begin(c, s, false, &b, &e) != CORE_OK) {
		web_para(r, "The security key cannot be used just now. Reload the page to try again.");
		return;
	}
	no_script(r, has_totp ? "Enter a code from your authenticator app below instead." :
	    "Turn JavaScript on for this site, or ask your administrator to reset your "
	    "two-factor authentication.");
	if (!key_form_open(r, "/login/webauthn", "get", &b))
		return;
	buf_puts(r->out, " hidden>\n");
	web_para(r, "Insert or touch your security key when your browser asks for it.");
	key_form_close(r, fields, web_csrf_value(r), "Use your security key");
}

void
web_webauthn_create_form(struct request *r, struct core_ctx *c, const struct session *s,
    const char *action, const char *error)
{
	static const char *const fields[] = { "client_data", "attestation", NULL };
	char			 user[BASE64_LEN(64) + 1];
	struct webauthn_begin	 b;
	struct core_err		 e;

	if (signin_webauthn_begin(c, s, true, &b, &e) != CORE_OK) {
		web_para(r, "A security key cannot be added just now. Reload the page to try again.");
		return;
	}
	no_script(r, NULL);
	if (!key_form_open(r, action, "create", &b))
		return;
	/* The user handle is the account's uid: opaque, and no personal data. */
	base64_encode(BASE64_URL, s->actor.user_uid, strnlen(s->actor.user_uid, 64), user);
	data_attr(r, "rp-name", s->org_name);
	data_attr(r, "user-id", user);
	data_attr(r, "user-name", s->username);
	buf_puts(r->out, " hidden>\n");
	web_field(r, "text", "label", "Name of the key", "So you can tell your keys apart, such "
	    "as \"blue key\" or \"laptop\"", error, "off", "");
	key_form_close(r, fields, web_csrf_value(r), "Add a security key");
}

void
web_webauthn_keys(struct request *r, struct core_ctx *c, const struct session *s,
    const char *field, const char *msg)
{
	struct webauthn_key	*k = NULL;
	size_t			 n = 0;
	struct core_err		 e;
	char			 id[CORE_ID_LEN];

	buf_puts(r->out, "<h2>Security keys</h2>\n");
	if (signin_webauthn_keys(c, s, &k, &n, &e) != CORE_OK) {
		web_para(r, "Your security keys cannot be listed just now.");
		return;
	}
	if (n == 0)
		web_para(r, "None.");
	else
		buf_puts(r->out, "<ul class=\"keys\">\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(r->out, "<li><strong>");
		html_puts(r->out, k[i].label);
		buf_puts(r->out, "</strong>, added ");
		html_puts(r->out, k[i].created_at);
		buf_puts(r->out, k[i].last_used_at ? ", last used " : ", not used yet");
		if (k[i].last_used_at != NULL)
			html_puts(r->out, k[i].last_used_at);
		buf_puts(r->out, ".\n");
		if (web_form_open(r, "/account/webauthn/remove")) {
			core_id_text(k[i].id, id);
			buf_printf(r->out, "<input type=\"hidden\" name=\"key\" value=\"%s\">\n"
			    "<button type=\"submit\">Remove ", id);
			html_puts(r->out, k[i].label);
			buf_puts(r->out, "</button>\n</form>\n</li>\n");
		}
	}
	if (n > 0)
		buf_puts(r->out, "</ul>\n");
	if (!web_webauthn_on())
		return;
	if (n >= WEBAUTHN_KEYS_MAX)
		web_para(r, "You have as many security keys as you may: remove one to add another.");
	else
		web_webauthn_create_form(r, c, s, "/account/webauthn",
		    field && strcmp(field, "label") == 0 ? msg : NULL);
}

/* --- the answers -------------------------------------------------------------------- */

/* POST /login/webauthn: the second step with a key. */
static void
h_get_post(struct request *r)
{
	static const char *const known[] = { "csrf", "credential_id", "client_data",
		"authenticator_data", "signature", NULL };
	const char		*csrf = NULL, *id = NULL, *cd = NULL, *ad = NULL, *sig = NULL;
	struct signin_result	 res;
	struct core_ctx		 c;
	struct session		 s;
	struct core_err		 e;
	enum core_status	 st;

	if (api_known_only(r, known) != 0 || api_str(r, "csrf", &csrf) != 0 ||
	    api_str(r, "credential_id", &id) != 0 || api_str(r, "client_data", &cd) != 0 ||
	    api_str(r, "authenticator_data", &ad) != 0 || api_str(r, "signature", &sig) != 0 ||
	    !web_session_at(r, SIGNIN_TOTP, &c, &s, true, csrf))
		return;
	if (!site_on) {
		web_error(r, 404, NULL, "this site does not take security keys");
		return;
	}
	st = signin_webauthn(&c, &s, &site, id, cd, ad, sig, &res, &e);
	web_second_step_answer(r, &c, &s, st, &res, &e, "webauthn",
	    "the security key was not accepted");
}

/* POST /account/webauthn and /login/enrol/webauthn (the route's flag: the stage). */
static void
h_create_post(struct request *r)
{
	static const char *const known[] = { "csrf", "label", "client_data", "attestation", NULL };
	enum signin_stage	 want = (enum signin_stage)r->route->flags;
	const char		*csrf = NULL, *label = NULL, *cd = NULL, *att = NULL;
	struct signin_result	 res;
	struct core_ctx		 c;
	struct session		 s;
	struct core_err		 e;
	enum core_status	 st;

	if (api_known_only(r, known) != 0 || api_str(r, "csrf", &csrf) != 0 ||
	    api_str(r, "label", &label) != 0 || api_str(r, "client_data", &cd) != 0 ||
	    api_str(r, "attestation", &att) != 0 || !web_session_at(r, want, &c, &s, true, csrf))
		return;
	if (!site_on) {
		web_error(r, 404, NULL, "this site does not take security keys");
		return;
	}
	st = signin_webauthn_register(&c, &s, &site, label, cd, att, &res, &e);
	if (st == CORE_OK && res.cookie[0] != '\0') {
		web_set_session_cookie(r, res.cookie);
		OPENSSL_cleanse(res.cookie, sizeof(res.cookie));
		web_see_other(r, "/account");
	} else if (st == CORE_OK) {
		s.webauthn_keys++;
		web_account_page(r, &c, &s, 200, NULL, NULL, "Your security key has been added.");
	} else if ((st == CORE_INVALID || st == CORE_CONFLICT) && e.field[0] != '\0' &&
	    strcmp(e.field, "csrf") != 0) {
		/* The one field the user sees is the label: every refusal is shown there. */
		if (want == SIGNIN_ENROL)
			web_enrol_page(r, &c, &s, st == CORE_CONFLICT ? 409 : 422, e.msg);
		else
			web_account_page(r, &c, &s, st == CORE_CONFLICT ? 409 : 422, "label", e.msg,
			    NULL);
	} else
		api_fail(r, &e);
}

/* POST /account/webauthn/remove: one of the user's keys. */
static void
h_remove_post(struct request *r)
{
	static const char *const known[] = { "csrf", "key", NULL };
	const char	*csrf = NULL, *key = NULL;
	struct core_ctx	 c;
	struct session	 s;
	struct core_err	 e;

	if (api_known_only(r, known) != 0 || api_str(r, "csrf", &csrf) != 0 ||
	    api_str(r, "key", &key) != 0 || !web_session_at(r, SIGNIN_DONE, &c, &s, true, csrf))
		return;
	if (api_ok(r, signin_webauthn_remove(&c, &s, key, &e), &e) != 0)
		return;
	s.webauthn_keys--;
	web_account_page(r, &c, &s, 200, NULL, NULL, "The security key has been removed. Every "
	    "other session has been signed out.");
}

/*
 * The one script: it only calls navigator.credentials for a form marked
 * data-webauthn and fills the form's hidden fields with the answer.
 */
static void
h_js(struct request *r)
{
	static const char js[] =
	    "/* webauthn.js: security keys for Gatehouse's pages; nothing else needs a script. */\n"
	    "(function () {\n"
	    "\t'use strict';\n"
	    "\tfunction b64u(buf) {\n"
	    "\t\tvar s = '', b = new Uint8Array(buf);\n"
	    "\t\tfor (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);\n"
	    "\t\treturn btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');\n"
	    "\t}\n"
	    "\tfunction bytes(s) {\n"
	    "\t\ts = s.replace(/-/g, '+').replace(/_/g, '/');\n"
	    "\t\tvar bin = atob(s + '==='.slice((s.length + 3) % 4)), b = new Uint8Array(bin.length);\n"
	    "\t\tfor (var i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);\n"
	    "\t\treturn b;\n"
	    "\t}\n"
	    "\tfunction ids(d) {\n"
	    "\t\treturn d.credentials ? d.credentials.split(' ').map(function (id) {\n"
	    "\t\t\treturn { type: 'public-key', id: bytes(id) };\n"
	    "\t\t}) : [];\n"
	    "\t}\n"
	    "\tfunction ask(form) {\n"
	    "\t\tvar d = form.dataset, f = form.elements;\n"
	    "\t\tif (d.webauthn === 'create')\n"
	    "\t\t\treturn navigator.credentials.create({ publicKey: {\n"
	    "\t\t\t\tchallenge: bytes(d.challenge), rp: { id: d.rpId, name: d.rpName },\n"
	    "\t\t\t\tuser: { id: bytes(d.userId), name: d.userName, displayName: d.userName },\n"
	    "\t\t\t\tpubKeyCredParams: [{ type: 'public-key', alg: -7 },\n"
	    "\t\t\t\t    { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }],\n"
	    "\t\t\t\texcludeCredentials: ids(d), attestation: 'none', timeout: 300000,\n"
	    "\t\t\t\tauthenticatorSelection: { residentKey: 'discouraged',\n"
	    "\t\t\t\t    userVerification: 'preferred' } } }).then(function (c) {\n"
	    "\t\t\t\tf.client_data.value = b64u(c.response.clientDataJSON);\n"
	    "\t\t\t\tf.attestation.value = b64u(c.response.attestationObject);\n"
	    "\t\t\t});\n"
	    "\t\treturn navigator.credentials.get({ publicKey: {\n"
	    "\t\t\tchallenge: bytes(d.challenge), rpId: d.rpId, allowCredentials: ids(d),\n"
	    "\t\t\tuserVerification: 'preferred', timeout: 300000 } }).then(function (c) {\n"
	    "\t\t\tf.credential_id.value = b64u(c.rawId);\n"
	    "\t\t\tf.client_data.value = b64u(c.response.clientDataJSON);\n"
	    "\t\t\tf.authenticator_data.value = b64u(c.response.authenticatorData);\n"
	    "\t\t\tf.signature.value = b64u(c.response.signature);\n"
	    "\t\t});\n"
	    "\t}\n"
	    "\tvar able = window.PublicKeyCredential && navigator.credentials;\n"
	    "\tdocument.querySelectorAll('[data-webauthn-nojs]').forEach(function (p) {\n"
	    "\t\tif (able) p.hidden = true;\n"
	    "\t\telse p.textContent = 'This browser cannot use security keys.';\n"
	    "\t});\n"
	    "\tif (!able) return;\n"
	    "\tdocument.querySelectorAll('form[data-webauthn]').forEach(function (form) {\n"
	    "\t\tvar busy = false, err = form.querySelector('[data-webauthn-error]');\n"
	    "\t\tform.hidden = false;\n"
	    "\t\tform.addEventListener('submit', function (ev) {\n"
	    "\t\t\tev.preventDefault();\n"
	    "\t\t\tif (busy) return;\n"
	    "\t\t\tbusy = true;\n"
	    "\t\t\terr.hidden = true;\n"
	    "\t\t\task(form).then(function () { form.submit(); }, function (e) {\n"
	    "\t\t\t\tbusy = false;\n"
	    "\t\t\t\terr.textContent = e && e.name === 'NotAllowedError' ?\n"
	    "\t\t\t\t    'The security key did not answer, or the request was cancelled. Try again.' :\n"
	    "\t\t\t\t    'The security key could not be used: ' + (e && e.message || e);\n"
	    "\t\t\t\terr.hidden = false;\n"
	    "\t\t\t});\n"
	    "\t\t});\n"
	    "\t});\n"
	    "})();\n";

	web_asset(r, "text/javascript; charset=utf-8", js, sizeof(js) - 1);
}

#define P	ROUTE_PUBLIC
static const struct route routes[] = {
	{ "GET",  "/assets/webauthn.js",	h_js,		&dialect_web, P, 0, NULL, false },
	{ "POST", "/login/webauthn",		h_get_post,	&dialect_web, P, 0, NULL, false },
	{ "POST", "/login/enrol/webauthn",	h_create_post,	&dialect_web, P, SIGNIN_ENROL,
	  NULL, false },
	{ "POST", "/account/webauthn",		h_create_post,	&dialect_web, P, SIGNIN_DONE,
	  NULL, false },
	{ "POST", "/account/webauthn/remove",	h_remove_post,	&dialect_web, P, 0, NULL, false },
};
#undef P
const struct route_list web_webauthn_routes = ROUTE_LIST(routes);
