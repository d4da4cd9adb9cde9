/*
 * fuzz-body.c: libFuzzer harness for req_parse, the request layer's path
 * from Content-Length and Content-Type to the form, multipart or JSON parser
 * and then the query string. The body comes through the transport's read
 * callback from memory, in chunks of a size the input picks, as FastCGI
 * delivers it.
 *
 * Input: one byte of options, then the Content-Type up to a newline, the
 * query string up to a newline, and the body. Options pick how
 * Content-Length relates to the body (exact, promising more, absent, or not a
 * number), the chunk size and a small or large max_body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/json.h"
#include "gatehouse/params.h"
#include "gatehouse/request.h"

static const struct parse_limits lim = {
	.max_fields = 32, .max_field_len = 256, .max_depth = 8, .max_nodes = 256,
};

enum cl_mode { CL_EXACT, CL_SHORT_BODY, CL_ABSENT, CL_GARBAGE };

struct reader {
	const char	*data;
	size_t		 len, off;
	size_t		 chunk;
	size_t		 declared;	/* what Content-Length promised */
	int		 calls;
};

static ssize_t
mem_read(void *io, char *buf, size_t n)
{
	struct reader	*rd = io;
	size_t		 k = rd->len - rd->off;

	rd->calls++;
	/* req_parse asks only for what Content-Length still owes. */
	if (n == 0 || rd->off + n > rd->declared)
		abort();
	if (k > n)
		k = n;
	if (k > rd->chunk)
		k = rd->chunk;
	memcpy(buf, rd->data + rd->off, k);
	rd->off += k;
	return (ssize_t)k;
}

/* Next field of the input up to '\n' (or the end), as an exactly sized C string. */
static char *
take_line(const char **in, size_t *left)
{
	const char	*nl = memchr(*in, '\n', *left);
	size_t		 n = nl ? (size_t)(nl - *in) : *left;
	char		*s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, *in, n);
	s[n] = '\0';
	*in += nl ? n + 1 : n;
	*left -= nl ? n + 1 : n;
	return s;
}

/* A message for the client: present and terminated within its buffer. */
static int
msg_ok(const char *msg, size_t size)
{
	return memchr(msg, '\0', size) != NULL && msg[0] != '\0';
}

/* True when "json" occurs in s, in any case. */
static int
mentions_json(const char *s)
{
	for (; *s; s++)
		if (strncasecmp(s, "json", 4) == 0)
			return 1;
	return 0;
}

static void
check_params(const struct request *r, size_t max)
{
	if (r->params.n > max)
		abort();
	for (size_t i = 0; i < r->params.n; i++) {
		const struct param *p = &r->params.v[i];

		if (p->name == NULL || p->value == NULL || strlen(p->value) != p->len ||
		    p->len > lim.max_field_len || strlen(p->name) > lim.max_field_len ||
		    (unsigned)p->kind > PARAM_NULL)
			abort();
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*in = (const char *)data;
	char			*ctype, *query, *body, *env[6], cl[48], *ctenv, *urienv;
	size_t			 left, bodylen, max_body;
	enum cl_mode		 mode;
	struct reader		 rd;
	struct arena		 a;
	struct buf		 hdr, out;
	struct request		 r;
	struct parse_error	 e;
	int			 st, k = 0;

	if (size < 1)
		return 0;
	mode = (enum cl_mode)(data[0] & 3);
	max_body = data[0] & 4 ? 64 : 64 * 1024;
	in++;
	left = size - 1;
	ctype = take_line(&in, &left);
	query = take_line(&in, &left);
	bodylen = left;
	if ((body = malloc(bodylen ? bodylen : 1)) == NULL)
		abort();
	memcpy(body, in, bodylen);

	memset(&rd, 0, sizeof(rd));
	rd.data = body;
	rd.len = bodylen;
	rd.chunk = 1 + (data[0] >> 3) * 37;
	rd.declared = bodylen + (mode == CL_SHORT_BODY);
	switch (mode) {
	case CL_EXACT:
	case CL_SHORT_BODY:
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", rd.declared);
		env[k++] = cl;
		break;
	case CL_GARBAGE:
		/* What strtoull would take but a Content-Length is not. */
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s%zu",
		    data[0] & 8 ? "+" : data[0] & 16 ? " " : "-", bodylen);
		env[k++] = cl;
		break;
	case CL_ABSENT:
		break;
	}
	if ((ctenv = malloc(strlen(ctype) + sizeof("CONTENT_TYPE="))) == NULL ||
	    (urienv = malloc(strlen(query) + sizeof("REQUEST_URI=/x?"))) == NULL)
		abort();
	sprintf(ctenv, "CONTENT_TYPE=%s", ctype);
	sprintf(urienv, "REQUEST_URI=/x?%s", query);
	env[k++] = (char *)"REQUEST_METHOD=POST";
	env[k++] = ctenv;
	env[k++] = urienv;
	env[k] = NULL;

	arena_init(&a, 1 << 20);
	buf_init(&hdr);
	buf_init(&out);
	req_init(&r, &a, env, mem_read, &rd, &hdr, &out);
	if (strcmp(r.query, query) != 0 || strcmp(r.content_type, ctype) != 0)
		abort();
	st = req_parse(&r, max_body, &lim, &e);

	if (st != 0 && st != 400 && st != 413 && st != 415)
		abort();
	if (st != 0 && (e.status <= PARSE_OK || e.status >= PARSE__MAX ||
	    !msg_ok(e.msg, sizeof(e.msg)) || memchr(e.field, '\0', sizeof(e.field)) == NULL))
		abort();
	/* Without a number of bytes to expect, the body is never read. */
	if ((mode == CL_ABSENT || mode == CL_GARBAGE) && rd.calls != 0)
		abort();
	if (mode == CL_GARBAGE && (st != 400 || r.body != NULL))
		abort();
	if ((mode == CL_EXACT || mode == CL_SHORT_BODY) && rd.declared > max_body &&
	    (st != 413 || rd.calls != 0))
		abort();
	/* A body that ends before Content-Length does is refused, whatever its type. */
	if (mode == CL_SHORT_BODY && rd.declared <= max_body && st != 400)
		abort();
	if (st == 415 && (e.status != PARSE_UNSUPPORTED || r.body_len == 0))
		abort();
	if (r.json != NULL && (r.body_len == 0 || !mentions_json(ctype)))
		abort();
	if (st == 0) {
		if (mode == CL_EXACT && bodylen > 0 &&
		    (r.body_len != bodylen || memcmp(r.body, body, bodylen) != 0 ||
		    r.body[bodylen] != '\0' || rd.off != bodylen))
			abort();
		if (mode != CL_EXACT && r.body != NULL)
			abort();
		check_params(&r, lim.max_fields);
	}

	buf_free(&hdr);
	buf_free(&out);
	arena_free(&a);
	free(ctenv);
	free(urienv);
	free(body);
	free(ctype);
	free(query);
	return 0;
}
