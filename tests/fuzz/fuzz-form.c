/* fuzz-form.c: libFuzzer harness for form_parse and url_decode (urlencoded bodies and query strings). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/params.h"

static const struct parse_limits lim = {
	.max_fields = 32, .max_field_len = 256, .max_depth = 8, .max_nodes = 256,
};

/* Every accepted parameter must honour the contract in params.h. */
static void
check_params(const struct params *p)
{
	if (p->n > lim.max_fields || p->n > p->cap)
		abort();
	for (size_t i = 0; i < p->n; i++) {
		const struct param *v = &p->v[i];

		if (v->name[0] == '\0' || strlen(v->name) > lim.max_field_len ||
		    strlen(v->value) != v->len || v->len > lim.max_field_len ||
		    v->kind != PARAM_TEXT)
			abort();
		if (params_find(p, v->name) == NULL || params_count(p, v->name) == 0)
			abort();
	}
}

static void
check_error(const struct parse_error *e, enum parse_status st)
{
	if (st <= PARSE_OK || st >= PARSE__MAX || e->status != st ||
	    memchr(e->field, '\0', sizeof(e->field)) == NULL ||
	    memchr(e->msg, '\0', sizeof(e->msg)) == NULL || e->msg[0] == '\0')
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		 a;
	struct params		 p;
	struct parse_error	 e;
	enum parse_status	 st;
	char			*out;
	size_t			 outlen;

	arena_init(&a, 256 * 1024);
	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	st = form_parse(&a, &p, &lim, (const char *)data, size, &e);
	if (st == PARSE_OK)
		check_params(&p);
	else
		check_error(&e, st);
	arena_free(&a);

	/* url_decode writes at most len + 1 bytes and never grows the text. */
	if ((out = malloc(size + 1)) != NULL) {
		for (int plus = 0; plus < 2; plus++)
			if (url_decode((const char *)data, size, out, &outlen, plus) == 0 &&
			    (outlen > size || out[outlen] != '\0'))
				abort();
		free(out);
	}
	return 0;
}
