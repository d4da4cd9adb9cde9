/*
 * fuzz-reqid.c: libFuzzer harness for how req_init takes an incoming
 * X-Request-Id. The id ends up in every log line and in the response
 * headers, so whatever arrives, r->id must be 1..REQ_ID_MAX bytes of
 * [A-Za-z0-9._-]; it is the sent id exactly when that already is one, and
 * otherwise a fresh 24-hex-digit id. The serialised response carries it in
 * exactly one header line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/request.h"

#define ID_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

static ssize_t
no_body(void *io, char *buf, size_t n)
{
	(void)io;
	(void)buf;
	(void)n;
	abort();	/* nothing here reads a body */
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 key[] = "HTTP_X_REQUEST_ID=";
	char			*hdrenv, *env[3], *line;
	const char		*sent;
	size_t			 n, idlen;
	struct arena		 a;
	struct buf		 hdr, out, wire;
	struct request		 r;
	int			 keep;

	/* The header value as FastCGI hands it over: a C string. */
	n = strnlen((const char *)data, size);
	if ((hdrenv = malloc(sizeof(key) + n)) == NULL)
		return 0;
	memcpy(hdrenv, key, sizeof(key) - 1);
	memcpy(hdrenv + sizeof(key) - 1, data, n);
	hdrenv[sizeof(key) - 1 + n] = '\0';
	sent = hdrenv + sizeof(key) - 1;
	env[0] = (char *)"REQUEST_URI=/";
	env[1] = hdrenv;
	env[2] = NULL;
	keep = n >= 1 && n <= REQ_ID_MAX && strspn(sent, ID_CHARS) == n;

	arena_init(&a, 64 * 1024);
	buf_init(&hdr);
	buf_init(&out);
	buf_init(&wire);
	req_init(&r, &a, env, no_body, NULL, &hdr, &out);

	idlen = strnlen(r.id, sizeof(r.id));
	if (idlen == 0 || idlen > REQ_ID_MAX || strspn(r.id, ID_CHARS) != idlen)
		abort();
	if (keep && strcmp(r.id, sent) != 0)
		abort();
	if (!keep && (idlen != 24 || strspn(r.id, "0123456789abcdef") != 24))
		abort();

	resp_serialize(&r, &wire);
	if (wire.failed || (line = strstr(buf_cstr(&wire), "\r\nX-Request-Id: ")) == NULL)
		abort();
	line += strlen("\r\nX-Request-Id: ");
	if (strncmp(line, r.id, idlen) != 0 || strncmp(line + idlen, "\r\n", 2) != 0 ||
	    strstr(line, "\r\nX-Request-Id: ") != NULL)
		abort();

	buf_free(&hdr);
	buf_free(&out);
	buf_free(&wire);
	arena_free(&a);
	free(hdrenv);
	return 0;
}
