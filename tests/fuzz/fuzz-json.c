/*
 * fuzz-json.c: libFuzzer harness for json_parse/json_body_parse. An accepted
 * document must respect every limit, and writing its tree back out with the
 * JSON writer must give a document that parses to the same tree.
 * Every string and member name in an accepted tree must be well-formed UTF-8
 * (checked here independently of the parser), or the writer would turn bytes
 * into U+FFFD and the round trip would change the data.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/json.h"
#include "gatehouse/params.h"

/* max_depth stays below JSONW_DEPTH so the writer can always re-emit the tree. */
static const struct parse_limits lim = {
	.max_fields = 32, .max_field_len = 256, .max_depth = 16, .max_nodes = 512,
};

/* True when s[0..n) is UTF-8 as RFC 3629 defines it (no overlongs, surrogates or > U+10FFFF). */
static bool
fuzz_utf8_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n; ) {
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return false;
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] >= 0xa0) ||
		    (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] >= 0x90))
			return false;
		i += len;
	}
	return true;
}

/* Checks one node and its children against the limits and for UTF-8; counts nodes. */
static void
check_tree(const struct json *j, int depth, size_t *nodes)
{
	if (++*nodes > lim.max_nodes)
		abort();
	switch (j->type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth + 1 > lim.max_depth)
			abort();
		if (j->type == JSON_OBJECT && j->n > lim.max_fields)
			abort();
		for (size_t i = 0; i < j->n; i++) {
			if (j->type == JSON_OBJECT) {
				if (j->keylens[i] == 0 || j->keylens[i] > lim.max_field_len ||
				    strlen(j->keys[i]) != j->keylens[i])
					abort();
				for (size_t k = 0; k < i; k++)
					if (strcmp(j->keys[k], j->keys[i]) == 0)
						abort();
				if (json_get(j, j->keys[i]) != j->items[i])
					abort();
				if (!fuzz_utf8_ok(j->keys[i], j->keylens[i]))
					abort();
			}
			check_tree(j->items[i], depth + 1, nodes);
		}
		break;
	case JSON_NULL:
	case JSON_BOOL:
	case JSON_NUMBER:
	case JSON_STRING:
		if (j->str == NULL || strlen(j->str) != j->len || j->len > lim.max_field_len)
			abort();
		if (j->type == JSON_BOOL && strcmp(j->str, j->boolean ? "true" : "false") != 0)
			abort();
		if (!fuzz_utf8_ok(j->str, j->len))
			abort();
		break;
	default:
		abort();
	}
}

static void
write_tree(struct jsonw *w, const struct json *j)
{
	switch (j->type) {
	case JSON_OBJECT:
		jsonw_obj_open(w);
		for (size_t i = 0; i < j->n; i++) {
			jsonw_key(w, j->keys[i]);
			write_tree(w, j->items[i]);
		}
		jsonw_obj_close(w);
		break;
	case JSON_ARRAY:
		jsonw_arr_open(w);
		for (size_t i = 0; i < j->n; i++)
			write_tree(w, j->items[i]);
		jsonw_arr_close(w);
		break;
	case JSON_NULL:		jsonw_null(w); break;
	case JSON_BOOL:		jsonw_bool(w, j->boolean); break;
	case JSON_NUMBER:	jsonw_raw(w, j->str, j->len); break;
	case JSON_STRING:	jsonw_strn(w, j->str, j->len); break;
	}
}

static void
same_tree(const struct json *x, const struct json *y)
{
	if (x->type != y->type || x->n != y->n || x->len != y->len || x->boolean != y->boolean)
		abort();
	if (x->str != NULL && memcmp(x->str, y->str, x->len) != 0)
		abort();
	for (size_t i = 0; i < x->n; i++) {
		if (x->type == JSON_OBJECT && (x->keylens[i] != y->keylens[i] ||
		    memcmp(x->keys[i], y->keys[i], x->keylens[i]) != 0))
			abort();
		same_tree(x->items[i], y->items[i]);
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		 a, a2;
	struct params		 p;
	struct parse_error	 e, e2;
	struct json		*root = NULL, *again;
	struct buf		 b;
	struct jsonw		 w;
	enum parse_status	 st;
	size_t			 nodes = 0;

	arena_init(&a, 1024 * 1024);
	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	st = json_body_parse(&a, &p, &lim, (const char *)data, size, &root, &e);
	if (st != PARSE_OK) {
		if (st >= PARSE__MAX || e.status != st ||
		    memchr(e.field, '\0', sizeof(e.field)) == NULL ||
		    memchr(e.msg, '\0', sizeof(e.msg)) == NULL || e.msg[0] == '\0')
			abort();
		arena_free(&a);
		return 0;
	}
	if (root == NULL)
		abort();
	check_tree(root, 0, &nodes);
	for (size_t i = 0; i < p.n; i++)
		if (strlen(p.v[i].value) != p.v[i].len || p.v[i].kind > PARAM_NULL ||
		    json_get(root, p.v[i].name) == NULL)
			abort();

	buf_init(&b);
	jsonw_init(&w, &b);
	write_tree(&w, root);
	if (b.failed)
		abort();
	arena_init(&a2, 0);
	if ((again = json_parse(&a2, &lim, b.data, b.len, &e2)) == NULL)
		abort();
	same_tree(root, again);
	arena_free(&a2);
	buf_free(&b);
	arena_free(&a);
	return 0;
}
