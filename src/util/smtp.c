/* smtp.c: SMTP through libcurl, one connection kept across messages (see smtp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "gatehouse/smtp.h"

struct smtp {
	CURL	*curl;
	char	*url, *user, *password, *ca_file;
	long	 timeout;
	int	 tls;
};

/* The message being uploaded, read by libcurl in pieces. */
struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload	*u = arg;
	size_t		 take = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

int
smtp_tls_parse(const char *s, enum smtp_tls *out)
{
	static const char *const names[SMTP_TLS__MAX] = { "require", "try", "off" };

	for (int i = 0; s != NULL && i < SMTP_TLS__MAX; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum smtp_tls)i;
			return 0;
		}
	return -1;
}

int
smtp_url_ok(const char *url)
{
	size_t skip;

	if (url == NULL)
		return -1;
	if (strncasecmp(url, "smtp://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "smtps://", 8) == 0)
		skip = 8;
	else
		return -1;
	if (url[skip] == '\0' || url[skip] == '/' || strlen(url) > 512)
		return -1;
	/* No user:password@ either: credentials belong in smtp_user and smtp_password, never in a logged URL. */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '@')
			return -1;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

struct smtp *
smtp_new(const struct smtp_opts *o)
{
	struct smtp *s;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->url = strdup(o->url);
	s->user = dup_or_null(o->user);
	s->password = dup_or_null(o->password);
	s->ca_file = dup_or_null(o->ca_file);
	s->timeout = o->timeout;
	s->tls = o->tls;
	if (s->url == NULL || (s->curl = curl_easy_init()) == NULL) {
		smtp_free(s);
		return NULL;
	}
	return s;
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);	/* says QUIT on a kept connection */
	if (s->password != NULL)
		OPENSSL_cleanse(s->password, strlen(s->password));
	free(s->url);
	free(s->user);
	free(s->password);
	free(s->ca_file);
	free(s);
}

enum smtp_result
smtp_send(struct smtp *s, const char *from, const char *to, const char *msg, size_t len,
    char *err, size_t errlen)
{
	static const long use_ssl[SMTP_TLS__MAX] = { CURLUSESSL_ALL, CURLUSESSL_TRY, CURLUSESSL_NONE };
	char			 cerr[CURL_ERROR_SIZE] = "", envfrom[300], envto[300];
	struct curl_slist	*rcpt = NULL;
	struct upload		 up = { msg, len };
	CURL			*c = s->curl;
	CURLcode		 rc;
	long			 code = 0;

	snprintf(envfrom, sizeof(envfrom), "<%s>", from);
	snprintf(envto, sizeof(envto), "<%s>", to);
	if ((rcpt = curl_slist_append(NULL, envto)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return SMTP_TEMPORARY;
	}
	/* The same handle each time, so libcurl keeps the connection for the next message. */
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl[s->tls]);
	if (s->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, envfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout < 10 ? s->timeout : 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(c);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK) {
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
		return SMTP_SENT;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	/*
	 * Only the recipient refused with 5xx is for good. libcurl names the
	 * command that failed; anything else (the sender, AUTH, a 4xx, no
	 * connection) may work after the relay or its configuration changes.
	 */
	if (code >= 500 && code < 600 && strncmp(cerr, "RCPT failed", 11) == 0)
		return SMTP_PERMANENT;
	return SMTP_TEMPORARY;
}
