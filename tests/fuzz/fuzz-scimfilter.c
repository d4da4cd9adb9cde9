/*
 * fuzz-scimfilter.c: libFuzzer harness for filter_parse_scim and the compiler
 * of what SCIM added to the AST. The input is a `filter` value. An accepted
 * filter must give a well-formed tree within the limits that, written back
 * as SCIM text, parses to the same tree; compiled against a table of every
 * kind of field (case-exact text, multi-valued attributes and their values),
 * its SQL may hold only the table's expressions, SQL keywords and numbered
 * placeholders, in order, with balanced parentheses. Every refusal names the
 * filter or a field.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/filter.h"

#include "scim-tree.h"

/* Short names the fuzzer finds; v is one value of the multi-valued "m". */
static const struct ffield fields[] = {
	{ .name = "x",		.sql = "u.x",		.type = FT_EXACT },
	{ .name = "l",		.sql = "u.l",		.type = FT_LOWER },
	{ .name = "t",		.sql = "u.t",		.type = FT_TEXT },
	{ .name = "b",		.sql = "u.b",		.type = FT_BOOL },
	{ .name = "d",		.sql = "u.d",		.type = FT_TIME },
	{ .name = "m",		.sql = "j(u.m) v WHERE TRUE", .type = FT_VALUES,
	  .like_pre = "u.id IN (SELECT f(", .like_post = "))" },
	{ .name = "m.value",	.sql = "v.value",	.type = FT_TEXT },
	{ .name = "m.type",	.sql = "v.type",	.type = FT_EXACT },
	{ .name = "m.primary",	.sql = "v.primary",	.type = FT_BOOL },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static const char *
write_filter(struct buf *b, const struct fnode *n)
{
	unparse(b, n);
	return buf_cstr(b);
}

static struct fnode *
parse_again(struct arena *a, const char *text)
{
	struct core_err e;

	return filter_parse_scim(a, text, &e);
}

/* Whether [s, s+n) is a whole word of text. */
static int
word_of(const char *text, const char *s, size_t n)
{
	for (const char *p = text; p != NULL && *p; p++)
		if (strncmp(p, s, n) == 0 && (p == text || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '.' && p[n] != '_')
			return 1;
	return 0;
}

/* Whether [s, s+n) is a name the compiler may write: a keyword, or a word of the table's SQL. */
static int
allowed_word(const char *s, size_t n)
{
	static const char keywords[] = "AND OR NOT IS NULL LIKE ESCAPE COLLATE TRUE IN SELECT "
	    "EXISTS FROM WHERE lower U text boolean timestamptz date C gatehouse.utc_day "
	    "DISTINCT NULLIF interval";

	if (word_of(keywords, s, n))
		return 1;
	for (size_t i = 0; i < NFIELDS; i++)
		if (word_of(fields[i].sql, s, n) || word_of(fields[i].like_pre, s, n))
			return 1;
	return 0;
}

/* The length of the literal s starts with, if the compiler may write it, else 0. */
static size_t
literal(const char *s)
{
	static const char *const ok[] = { "''", "'\\'", "'\\+10FFFF'", "\"C\"", "'1 minute'",
		"'1 second'", "'100 milliseconds'", "'10 milliseconds'", "'1 millisecond'",
		"'100 microseconds'", "'10 microseconds'" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(s, ok[i], strlen(ok[i])) == 0)
			return strlen(ok[i]);
	return 0;
}

static void
must(int ok, const char *sql)
{
	if (!ok) {
		fprintf(stderr, "SQL not the compiler's own: %s\n", sql);
		abort();
	}
}

/*
 * The SQL holds allowed words, placeholders $first.. in order, allowed
 * literals, balanced parentheses and operators; nothing a value could bring.
 */
static void
sql_ok(const char *sql, const struct fsql *o)
{
	const char	*s = sql;
	int		 want = o->first_param, open = 0;
	size_t		 n;

	while (*s != '\0') {
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
		if (n > 0 && isalpha((unsigned char)*s)) {
			must(allowed_word(s, n), sql);
			s += n;
		} else if (*s == '$') {
			char *end;

			must(strtol(s + 1, &end, 10) == want++ && end > s + 1, sql);
			s = end;
		} else if ((n = literal(s)) > 0)
			s += n;
		else {
			open += *s == '(' ? 1 : *s == ')' ? -1 : 0;
			must(open >= 0 && strchr("() <>=&|:+1,", *s) != NULL, sql);
			s++;
		}
	}
	must(open == 0 && want == o->first_param + o->nparams, sql);
}

static int
field_named(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return 1;
	return 0;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text;
	struct fsql	 o;
	struct buf	 sql;
	struct arena	 a;
	struct fnode	*n;
	struct core_err	 e;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	arena_init(&a, 4 << 20);
	memset(&e, 0, sizeof(e));
	if ((n = filter_parse_scim(&a, text, &e)) == NULL) {
		if (e.status != CORE_INVALID || strcmp(e.field, "filter") != 0 || e.msg[0] == '\0')
			abort();
		goto done;
	}
	if (strlen(text) > 4096 || tree_ok(n, 0) > FILTER_MAX_TERMS)
		abort();
	round_trip(n, write_filter, parse_again);

	buf_init(&sql);
	memset(&o, 0, sizeof(o));
	o.sql = &sql;
	o.first_param = 1 + (size ? data[0] % 5 : 0);
	if (filter_compile(&a, n, fields, NFIELDS, "not filterable by ", &o, &e) == 0) {
		if (sql.failed || sql.len == 0 || o.nparams > FILTER_MAX_PARAMS)
			abort();
		sql_ok(buf_cstr(&sql), &o);
		for (int i = 0; i < o.nparams; i++)
			if (o.params[i] == NULL)
				abort();
	} else if (e.status != CORE_INVALID || e.msg[0] == '\0' ||
	    (!field_named(e.field) && strncmp(e.msg, "not filterable by ", 18) != 0 &&
	    strstr(e.msg, "[filter]") == NULL && strcmp(e.field, "q") != 0))
		abort();
	buf_free(&sql);
done:
	arena_free(&a);
	free(text);
	return 0;
}
