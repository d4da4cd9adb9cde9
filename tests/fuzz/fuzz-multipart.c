/*
 * fuzz-multipart.c: libFuzzer harness for multipart_parse. The first line of
 * the input is the boundary (so the fuzzer controls both sides), the rest is
 * the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/params.h"

static const struct parse_limits lim = {
	.max_fields = 16, .max_field_len = 256, .max_depth = 8, .max_nodes = 256,
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*in = (const char *)data, *nl;
	size_t			 blen, bodylen;
	char			 ctype[128];
	char			*body;
	struct arena		 a;
	struct params		 p;
	struct parse_error	 e;
	enum parse_status	 st;

	if ((nl = memchr(in, '\n', size)) == NULL)
		return 0;
	blen = (size_t)(nl - in);
	if (blen > 80)
		return 0;
	/* The header value as a transport would hand it over: a C string. */
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%.*s", (int)blen, in);

	/* An exactly sized copy, so any read past the body is caught. */
	bodylen = size - blen - 1;
	if ((body = malloc(bodylen ? bodylen : 1)) == NULL)
		return 0;
	memcpy(body, nl + 1, bodylen);

	arena_init(&a, 256 * 1024);
	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	st = multipart_parse(&a, &p, &lim, ctype, body, bodylen, &e);
	if (st == PARSE_OK) {
		if (p.n > lim.max_fields)
			abort();
		for (size_t i = 0; i < p.n; i++)
			if (p.v[i].name[0] == '\0' || strlen(p.v[i].value) != p.v[i].len ||
			    p.v[i].len > lim.max_field_len || p.v[i].len > bodylen)
				abort();
	} else if (st >= PARSE__MAX || e.status != st ||
	    memchr(e.field, '\0', sizeof(e.field)) == NULL ||
	    memchr(e.msg, '\0', sizeof(e.msg)) == NULL)
		abort();
	arena_free(&a);
	free(body);
	return 0;
}
