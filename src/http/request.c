/* request.c: request fields from CGI parameters, body reading and parsing, response assembly. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/rand.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/json.h"
#include "gatehouse/log.h"
#include "gatehouse/request.h"
#include "gatehouse/router.h"

/*
 * Whether s is an IPv4 or IPv6 address. nginx listening on a unix socket
 * passes "unix:", which is no address for the audit trail to record.
 */
static bool
is_ip(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];

	return s != NULL && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

const char *
req_env(const struct request *r, const char *name)
{
	size_t n = strlen(name);

	for (char **e = r->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *
req_header(const struct request *r, const char *name)
{
	char	 key[128] = "HTTP_";
	size_t	 i;

	for (i = 0; name[i] != '\0' && i + 6 < sizeof(key); i++)
		key[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[5 + i] = '\0';
	return req_env(r, key);
}

const char *
req_path_param(const struct request *r, const char *name)
{
	for (size_t i = 0; i < r->npath; i++)
		if (strcmp(r->path_names[i], name) == 0)
			return r->path_values[i];
	return NULL;
}

const char *
req_cookie(const struct request *r, const char *name)
{
	const char	*h = req_header(r, "Cookie"), *found = NULL, *s, *end, *eq;
	size_t		 n = strlen(name), vlen = 0;

	for (s = h; s != NULL && *s != '\0'; s = *end ? end + 1 : end) {
		while (*s == ' ' || *s == '\t')
			s++;
		end = s + strcspn(s, ";");
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq == NULL || (size_t)(eq - s) != n || strncmp(s, name, n) != 0)
			continue;
		if (found != NULL)
			return NULL;	/* two of them: trust neither */
		found = eq + 1;
		vlen = (size_t)(end - found);
		while (vlen > 0 && (found[vlen - 1] == ' ' || found[vlen - 1] == '\t'))
			vlen--;
	}
	if (found == NULL)
		return NULL;
	for (size_t i = 0; i < vlen; i++)
		if ((unsigned char)found[i] < 0x20 || found[i] == 0x7f)
			return NULL;
	return arena_strndup(r->arena, found, vlen);
}

const char *
req_param(const struct request *r, const char *name)
{
	return params_get(&r->params, name);
}

/*
 * A new request id: 8 random bytes drawn once per process, then a count, in
 * hex. Ids only tell requests apart (a client may send its own), so they need
 * not be unpredictable, and RAND_bytes cost ~6% of a read's CPU. A fork
 * clears the random part (pthread_atfork), so each worker draws its own; a
 * getpid() a request to notice the fork was a system call a request.
 */
static bool	id_drawn;

static void
request_id_forked(void)
{
	id_drawn = false;
}

static void
request_id_new(char id[REQ_ID_MAX + 1])
{
	static unsigned char	 rnd[12];
	static uint32_t		 seq;
	static int		 watching = -1;	/* once: whether the handler is in place */

	if (watching < 0)
		watching = pthread_atfork(NULL, NULL, request_id_forked) == 0;
	if (!id_drawn || !watching) {
		if (RAND_bytes(rnd, 8) != 1)
			memset(rnd, 0, 8);
		id_drawn = true;
		seq = 0;
	}
	seq++;
	for (int i = 0; i < 4; i++)
		rnd[8 + i] = (unsigned char)(seq >> (24 - 8 * i));
	base16_encode(rnd, sizeof(rnd), id);	/* 24 characters, within REQ_ID_MAX */
}

/* An incoming request id is kept only if short and plain, so logs stay clean. */
static bool
request_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n >= REQ_ID_MAX || !(isalnum((unsigned char)s[n]) || s[n] == '-' ||
		    s[n] == '_' || s[n] == '.'))
			return false;
	return n > 0;
}

void
req_init(struct request *r, struct arena *a, char **env, req_read_fn rd, void *io,
    struct buf *hdr, struct buf *out)
{
	const char	*uri, *q, *id;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->arena = a;
	r->env = env;
	r->read = rd;
	r->io = io;
	r->hdr = hdr;
	r->out = out;
	buf_reset(hdr);
	buf_reset(out);
	r->status = 200;
	r->out_type = "application/json";

	r->method = req_env(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->head = strcmp(r->method, "HEAD") == 0;
	r->content_type = req_env(r, "CONTENT_TYPE");
	r->remote_addr = req_env(r, "REMOTE_ADDR");
	r->client_ip = is_ip(r->remote_addr) ? r->remote_addr : NULL;

	/* REQUEST_URI is the path as sent; CGI servers may only give SCRIPT_NAME + PATH_INFO. */
	if ((uri = req_env(r, "REQUEST_URI")) != NULL) {
		q = strchr(uri, '?');
		r->path = q ? arena_strndup(a, uri, (size_t)(q - uri)) : uri;
		r->query = q ? q + 1 : "";
	} else {
		const char *sn = req_env(r, "SCRIPT_NAME"), *pi = req_env(r, "PATH_INFO");

		r->path = arena_printf(a, "%s%s", sn ? sn : "", pi ? pi : "");
		r->query = req_env(r, "QUERY_STRING");
	}
	if (r->path == NULL || r->path[0] == '\0')
		r->path = "/";
	if (r->query == NULL)
		r->query = "";

	if ((id = req_header(r, "X-Request-Id")) != NULL && request_id_ok(id))
		snprintf(r->id, sizeof(r->id), "%s", id);
	else
		request_id_new(r->id);
}

static bool
media_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* application/json and any structured-syntax +json type (application/scim+json). */
static bool
media_is_json(const char *ct)
{
	const char *semi = strchr(ct, ';'), *end = semi ? semi : ct + strlen(ct);

	while (end > ct && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (media_is(ct, "application/json"))
		return true;
	return strncasecmp(ct, "application/", 12) == 0 && end - ct > 17 &&
	    strncasecmp(end - 5, "+json", 5) == 0;
}

/* Records why and returns the status to answer. */
static int
perr(struct parse_error *e, enum parse_status st, int http, const char *msg)
{
	e->status = st;
	e->field[0] = '\0';
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return http;
}

/* Field count, length and depth limits are the client's error (400); only size is 413. */
static int
parse_http_status(int st)
{
	return st == PARSE_NOMEM ? 413 : st == PARSE_UNSUPPORTED ? 415 : 400;
}

int
req_parse(struct request *r, size_t max_body, const struct parse_limits *lim,
    struct parse_error *e)
{
	const char	*cl = req_env(r, "CONTENT_LENGTH");
	char		*body, *end;
	size_t		 len = 0, got = 0;
	int		 st = PARSE_OK;

	memset(e, 0, sizeof(*e));
	if (cl != NULL && *cl != '\0') {
		unsigned long long v;

		if (!isdigit((unsigned char)*cl))
			return perr(e, PARSE_SYNTAX, 400, "invalid Content-Length");
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0')
			return perr(e, PARSE_SYNTAX, 400, "invalid Content-Length");
		if (v > max_body) {
			char msg[96];

			snprintf(msg, sizeof(msg), "request body is larger than %zu bytes", max_body);
			return perr(e, PARSE_LIMIT, 413, msg);
		}
		len = (size_t)v;
	}
	if (len > 0) {
		const char *ct = r->content_type;

		if ((body = arena_alloc(r->arena, len + 1)) == NULL)
			return perr(e, PARSE_NOMEM, 413, "request body too large to process");
		while (got < len) {
			ssize_t n = r->read(r->io, body + got, len - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < len)
			return perr(e, PARSE_SYNTAX, 400, "request body is shorter than its Content-Length");
		body[len] = '\0';
		r->body = body;
		r->body_len = len;

		if (ct == NULL || *ct == '\0') {
			e->status = PARSE_UNSUPPORTED;
			snprintf(e->msg, sizeof(e->msg), "a request body needs a Content-Type");
			return 415;
		}
		if (media_is(ct, "application/x-www-form-urlencoded"))
			st = form_parse(r->arena, &r->params, lim, body, len, e);
		else if (media_is(ct, "multipart/form-data"))
			st = multipart_parse(r->arena, &r->params, lim, ct, body, len, e);
		else if (media_is_json(ct))
			st = json_body_parse(r->arena, &r->params, lim, body, len, &r->json, e);
		else {
			e->status = PARSE_UNSUPPORTED;
			snprintf(e->msg, sizeof(e->msg), "unsupported Content-Type; send "
			    "application/json, application/x-www-form-urlencoded or multipart/form-data");
			return 415;
		}
		if (st != PARSE_OK)
			return parse_http_status(st);
	}
	st = form_parse(r->arena, &r->params, lim, r->query, strlen(r->query), e);
	if (st != PARSE_OK)
		return parse_http_status(st);
	return 0;
}

void
resp_header(struct request *r, const char *name, const char *value)
{
	/* Header values come from code, but refuse line breaks all the same. */
	if (strpbrk(value, "\r\n") != NULL || strpbrk(name, "\r\n: ") != NULL) {
		log_error("refused header %s with a line break", name);
		return;
	}
	buf_printf(r->hdr, "%s: %s\r\n", name, value);
}

void
resp_start(struct request *r, int status, const char *content_type)
{
	r->status = status;
	r->out_type = content_type;
	buf_reset(r->out);
}

const char *
http_reason(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

void
resp_serialize(struct request *r, struct buf *w)
{
	if (r->out->failed) {
		/* The body could not be built completely: never send half of it. */
		r->status = 500;
		r->out_type = "application/problem+json";
		buf_reset(r->out);
		buf_puts(r->out, "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500}");
	}
	/* Pieces rather than printf: on a small read these lines cost ~5% of the worker. */
	buf_reset(w);
	buf_puts(w, "Status: ");
	buf_putint(w, r->status);
	buf_putc(w, ' ');
	buf_puts(w, http_reason(r->status));
	if (r->status != 204 && r->status != 304) {
		buf_puts(w, "\r\nContent-Type: ");
		buf_puts(w, r->out_type);
		buf_puts(w, "\r\nContent-Length: ");
		buf_putint(w, (int64_t)r->out->len);
	}
	buf_puts(w, "\r\nX-Request-Id: ");
	buf_puts(w, r->id);
	buf_puts(w, "\r\n");
	/* Defaults for an API; HTML handlers add their own CSP via resp_header. */
	buf_puts(w, "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Cache-Control: no-store\r\n"
	    "Cross-Origin-Resource-Policy: same-origin\r\n");
	if (strstr(r->hdr->len ? r->hdr->data : "", "Content-Security-Policy:") == NULL)
		buf_puts(w, "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n");
	if (r->hdr->len)
		buf_append(w, r->hdr->data, r->hdr->len);
	buf_puts(w, "\r\n");
	if (!r->head && r->out->len)
		buf_append(w, r->out->data, r->out->len);
}

void
req_log(const struct request *r)
{
	struct timespec	 now;
	struct buf	 b;
	struct jsonw	 w;
	char		 ts[32], msbuf[32];
	struct tm	 tm;
	time_t		 t = time(NULL);
	double		 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - r->started.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - r->started.tv_nsec) / 1e6;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "ts", ts);
	jsonw_kstr(&w, "type", "access");
	jsonw_kstr(&w, "id", r->id);
	jsonw_kstr(&w, "method", r->method);
	/* The route pattern, not the path: paths can carry e-mail addresses. */
	jsonw_kstr(&w, "route", r->route ? ((const struct route *)r->route)->pattern : "-");
	jsonw_kint(&w, "status", r->status);
	snprintf(msbuf, sizeof(msbuf), "%.3f", ms);
	jsonw_key(&w, "ms");
	jsonw_raw(&w, msbuf, strlen(msbuf));
	jsonw_kstr(&w, "addr", r->remote_addr ? r->remote_addr : "-");
	jsonw_obj_close(&w);
	buf_putc(&b, '\n');
	if (!b.failed)
		log_line(b.data, b.len);
	buf_free(&b);
}
