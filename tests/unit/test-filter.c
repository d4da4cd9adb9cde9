/*
 * test-filter.c: the Lucene `q` parser, read through a compact print of the
 * tree it builds, and the compiler to parameterised SQL on a small field table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/filter.h"

struct fx {
	struct arena	a;
	struct core_err	e;
	struct buf	out;
};

static int
setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	arena_init(&f.a, 4 << 20);
	buf_init(&f.out);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	buf_free(&f->out);
	arena_free(&f->a);
	return 0;
}

/* --- a compact print of the tree ------------------------------------------------ */

/*
 * (and A B), (or A B), (not A); a comparison is field, operator, quoted
 * value: title="Ada", id>="5", email^="ada" (prefix), email$="x" (suffix),
 * email~="x" (contains), email*="a*b" (wildcard), title? (present),
 * id["1" TO "5"} (range, brackets as given).
 */
static void
print(struct buf *b, const struct fnode *n)
{
	static const char *const ops[FOP__MAX] = {
		[FOP_EQ] = "=", [FOP_NE] = "!=", [FOP_GT] = ">", [FOP_GE] = ">=",
		[FOP_LT] = "<", [FOP_LE] = "<=", [FOP_PREFIX] = "^=", [FOP_SUFFIX] = "$=",
		[FOP_CONTAINS] = "~=", [FOP_WILDCARD] = "*=",
	};

	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		buf_puts(b, n->kind == FN_AND ? "(and " : "(or ");
		print(b, n->a);
		buf_putc(b, ' ');
		print(b, n->b);
		buf_putc(b, ')');
		break;
	case FN_NOT:
		buf_puts(b, "(not ");
		print(b, n->a);
		buf_putc(b, ')');
		break;
	case FN_VALUE:		/* SCIM's; the Lucene parser makes none */
		buf_printf(b, "%s[", n->field);
		print(b, n->a);
		buf_putc(b, ']');
		break;
	case FN_CMP:
		if (n->op == FOP_PRESENT)
			buf_printf(b, "%s?", n->field);
		else if (n->op == FOP_RANGE)
			buf_printf(b, "%s%c\"%s\" TO \"%s\"%c", n->field, n->lo_incl ? '[' : '{',
			    n->value, n->value2, n->hi_incl ? ']' : '}');
		else
			buf_printf(b, "%s%s\"%s\"", n->field, ops[n->op], n->value);
		break;
	}
}

/* The tree for q as text, or "error: <message>" after checking the error names q. */
static const char *
parse(struct fx *f, const char *q)
{
	struct fnode *n;

	memset(&f->e, 0, sizeof(f->e));
	buf_reset(&f->out);
	if ((n = filter_parse_lucene(&f->a, q, &f->e)) == NULL) {
		assert_int_equal(f->e.status, CORE_INVALID);
		assert_string_equal(f->e.field, "q");
		buf_printf(&f->out, "error: %s", f->e.msg);
	} else
		print(&f->out, n);
	return buf_cstr(&f->out);
}

/* Runs each {q, want} row through fn (parse, or compile below) and compares. */
static void
check_table(struct fx *f, const char *(*fn)(struct fx *, const char *),
    const char *const (*t)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = fn(f, t[i][0]);

		if (strcmp(got, t[i][1]) != 0)
			fail_msg("q=%s\n  got  %s\n  want %s", t[i][0], got, t[i][1]);
	}
}

#define CHECK_TABLE(f, fn, t)	check_table((f), (fn), (t), sizeof(t) / sizeof((t)[0]))

/* --- terms --------------------------------------------------------------------- */

static const char *const terms[][2] = {
	{ "name:ada",			"name=\"ada\"" },
	{ "first_name:Ada",		"first_name=\"Ada\"" },
	{ "a:b:c",			"a=\"b:c\"" },		/* only the first colon separates */
	{ "a:-1",			"a=\"-1\"" },
	{ "a:1-2",			"a=\"1-2\"" },
	{ "NOTE:1",			"NOTE=\"1\"" },		/* keywords only as whole words */
	{ "ORG:1 OR ANDY:2",		"(or ORG=\"1\" ANDY=\"2\")" },
	/* Comparison prefixes. */
	{ "age:>5",			"age>\"5\"" },
	{ "age:>=5",			"age>=\"5\"" },
	{ "age:<5",			"age<\"5\"" },
	{ "age:<=5",			"age<=\"5\"" },
	{ "d:>=2024-01-01 AND d:<2025-01-01", "(and d>=\"2024-01-01\" d<\"2025-01-01\")" },
	/* Wildcards. */
	{ "name:*",			"name?" },
	{ "name:ada*",			"name^=\"ada\"" },
	{ "name:*ada",			"name$=\"ada\"" },
	{ "name:*ada*",			"name~=\"ada\"" },
	{ "name:a*b",			"name*=\"a*b\"" },
	{ "name:*a*b",			"name*=\"*a*b\"" },
	{ "name:a*b*",			"name*=\"a*b*\"" },
};

static void
terms_and_operators(void **state)
{
	CHECK_TABLE(*state, parse, terms);
}

static const char *const phrases[][2] = {
	{ "name:\"ada lovelace\"",	"name=\"ada lovelace\"" },
	{ "name:\"a AND b OR c\"",	"name=\"a AND b OR c\"" },	/* keywords are text in a phrase */
	{ "name:\"(x) y:z\"",		"name=\"(x) y:z\"" },
	{ "name:\"a*\"",		"name=\"a*\"" },		/* no wildcards in a phrase */
	{ "name:\"a\\\"b\"",		"name=\"a\"b\"" },		/* \" inside a phrase */
	{ "name:\"x\\\\y\"",		"name=\"x\\y\"" },		/* \\ is one backslash */
	{ "name:\"x\" OR name:\"y\"",	"(or name=\"x\" name=\"y\")" },
};

static void
quoted_phrases(void **state)
{
	CHECK_TABLE(*state, parse, phrases);
}

static const char *const escapes[][2] = {
	{ "name:a\\ b",			"name=\"a b\"" },
	{ "name:a\\:b",			"name=\"a:b\"" },
	{ "a\\:b:1",			"a:b=\"1\"" },		/* an escaped colon stays in the field */
	{ "name:a\\(b\\)",		"name=\"a(b)\"" },
	{ "name:a\\\\",			"name=\"a\\\"" },
	{ "name:\\\"x",			"name=\"\"x\"" },
	{ "a:[x\\ y TO z]",		"a[\"x y\" TO \"z\"]" },
	{ "a:[x TO y\\]z]",		"a[\"x\" TO \"y]z\"]" },
};

static void
backslash_escapes(void **state)
{
	CHECK_TABLE(*state, parse, escapes);
}

static const char *const ranges[][2] = {
	{ "age:[1 TO 5]",		"age[\"1\" TO \"5\"]" },
	{ "age:{1 TO 5}",		"age{\"1\" TO \"5\"}" },
	{ "age:[1 TO 5}",		"age[\"1\" TO \"5\"}" },
	{ "age:{1 TO 5]",		"age{\"1\" TO \"5\"]" },
	{ "age:[* TO 5]",		"age[\"*\" TO \"5\"]" },
	{ "age:[1 TO *]",		"age[\"1\" TO \"*\"]" },
	{ "age:[  1   TO   5  ]",	"age[\"1\" TO \"5\"]" },
	{ "d:[2024-01-01 TO 2024-12-31]", "d[\"2024-01-01\" TO \"2024-12-31\"]" },
	{ "a:[1 TO 5] OR b:{a TO z}",	"(or a[\"1\" TO \"5\"] b{\"a\" TO \"z\"})" },
	{ "a:[1 TO 5] x:1",		"(and a[\"1\" TO \"5\"] x=\"1\")" },
};

static void
range_queries(void **state)
{
	CHECK_TABLE(*state, parse, ranges);
}

/* --- structure ------------------------------------------------------------------ */

static const char *const precedence[][2] = {
	/* Adjacent terms are ANDed; AND and OR associate to the left. */
	{ "a:1 b:2",			"(and a=\"1\" b=\"2\")" },
	{ "a:1\tb:2",			"(and a=\"1\" b=\"2\")" },
	{ "a:1 a:2 a:3",		"(and (and a=\"1\" a=\"2\") a=\"3\")" },
	{ "a:1 AND b:2",		"(and a=\"1\" b=\"2\")" },
	{ "a:1 && b:2",			"(and a=\"1\" b=\"2\")" },
	{ "a:1 AND b:2 AND c:3",	"(and (and a=\"1\" b=\"2\") c=\"3\")" },
	{ "a:1 OR b:2",			"(or a=\"1\" b=\"2\")" },
	{ "a:1 OR b:2 OR c:3",		"(or (or a=\"1\" b=\"2\") c=\"3\")" },
	/* AND binds tighter than OR, explicit or implicit. */
	{ "a:1 OR b:2 AND c:3",		"(or a=\"1\" (and b=\"2\" c=\"3\"))" },
	{ "a:1 AND b:2 OR c:3",		"(or (and a=\"1\" b=\"2\") c=\"3\")" },
	{ "a:1 b:2 OR c:3",		"(or (and a=\"1\" b=\"2\") c=\"3\")" },
	{ "a:1 OR b:2 c:3",		"(or a=\"1\" (and b=\"2\" c=\"3\"))" },
	{ "a:1 AND b:2 OR c:3 AND d:4",	"(or (and a=\"1\" b=\"2\") (and c=\"3\" d=\"4\"))" },
	/* Parentheses override. */
	{ "(a:1 OR b:2) AND c:3",	"(and (or a=\"1\" b=\"2\") c=\"3\")" },
	{ "a:1 AND (b:2 OR c:3) d:4",	"(and (and a=\"1\" (or b=\"2\" c=\"3\")) d=\"4\")" },
	{ "(a:1 OR (b:2 AND c:3))",	"(or a=\"1\" (and b=\"2\" c=\"3\"))" },
	{ "((a:1))",			"a=\"1\"" },
	{ "(a:1) (b:2)",		"(and a=\"1\" b=\"2\")" },
	{ "a:1 OR(b:2)",		"(or a=\"1\" b=\"2\")" },
	{ "a:1 AND(b:2)",		"(and a=\"1\" b=\"2\")" },
	{ "  a:1  ",			"a=\"1\"" },
	/* NOT, - and + bind tightest. */
	{ "NOT a:1",			"(not a=\"1\")" },
	{ "NOT(a:1)",			"(not a=\"1\")" },
	{ "NOT a:1 AND b:2",		"(and (not a=\"1\") b=\"2\")" },
	{ "NOT a:1 OR b:2",		"(or (not a=\"1\") b=\"2\")" },
	{ "a:1 NOT b:2",		"(and a=\"1\" (not b=\"2\"))" },
	{ "a:1 AND NOT b:2",		"(and a=\"1\" (not b=\"2\"))" },
	{ "a:1 OR NOT b:2",		"(or a=\"1\" (not b=\"2\"))" },
	{ "NOT NOT a:1",		"(not (not a=\"1\"))" },
	{ "-a:1",			"(not a=\"1\")" },
	{ "--a:1",			"(not (not a=\"1\"))" },
	{ "-(a:1 OR b:2)",		"(not (or a=\"1\" b=\"2\"))" },
	{ "a:1 -b:2",			"(and a=\"1\" (not b=\"2\"))" },
	{ "a:1 AND -b:2",		"(and a=\"1\" (not b=\"2\"))" },
	{ "a:1 -b:2 OR c:3",		"(or (and a=\"1\" (not b=\"2\")) c=\"3\")" },
	{ "-a:1 OR b:2",		"(or (not a=\"1\") b=\"2\")" },
	{ "+a:1",			"a=\"1\"" },
	{ "+a:1 -b:2",			"(and a=\"1\" (not b=\"2\"))" },
	{ "a:1 +b:2",			"(and a=\"1\" b=\"2\")" },
	{ "-+a:1",			"(not a=\"1\")" },
	/* A phrase or range ends its term without a space. */
	{ "a:\"x\"b:2",			"(and a=\"x\" b=\"2\")" },
	{ "a:[a TO b]c:1",		"(and a[\"a\" TO \"b\"] c=\"1\")" },
};

static void
precedence_and_grouping(void **state)
{
	CHECK_TABLE(*state, parse, precedence);
}

/* --- errors --------------------------------------------------------------------- */

static const char *const errors[][2] = {
	{ "",				"error: expected a term" },
	{ "   ",			"error: expected a term" },
	{ "NOT",			"error: expected a term" },
	{ "-",				"error: expected a term" },
	{ "()",				"error: expected a term" },
	{ "a:1 AND",			"error: expected a term" },
	{ "a:1 OR",			"error: expected a term" },
	{ "a",				"error: expected field:value" },
	{ ":1",				"error: expected field:value" },
	{ "a :1",			"error: expected field:value" },
	{ "AND a:1",			"error: expected field:value" },
	{ "OR a:1",			"error: expected field:value" },
	{ "a:1 AND AND b:2",		"error: expected field:value" },
	{ "a:1 OR OR b:2",		"error: expected field:value" },
	{ "a:",				"error: expected a value after ':'" },
	{ "a:)",			"error: expected a value after ':'" },
	{ "a:>",			"error: empty value after an operator" },
	{ "a:<=",			"error: empty value after an operator" },
	{ "a:\"open",			"error: unterminated quoted phrase" },
	{ "a:\"a\\\"",			"error: unterminated quoted phrase" },
	{ "a:[1 5]",			"error: range needs [low TO high]" },
	{ "a:[ TO 5]",			"error: range needs [low TO high]" },
	{ "a:[1 TO]",			"error: range needs [low TO high]" },
	{ "a:[1 TO ]",			"error: range bounds must not be empty" },
	{ "a:[1 TO 5",			"error: range is not closed with ] or }" },
	{ "a:[1 TO 2 TO 3]",		"error: range is not closed with ] or }" },
	{ "(a:1",			"error: missing closing parenthesis" },
	{ "((a:1) OR b:2",		"error: missing closing parenthesis" },
	{ "a:1)",			"error: unbalanced closing parenthesis" },
	{ "a:[1 TO 5]x",		"error: expected field:value" },
};

static void
errors_name_q(void **state)
{
	CHECK_TABLE(*state, parse, errors);
}

/* --- limits --------------------------------------------------------------------- */

/* n copies of unit joined by sep, wrapped in pre/post n times if nest. */
static char *
repeat(struct fx *f, const char *unit, const char *sep, int n)
{
	struct buf b;
	char *s;

	buf_init(&b);
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, sep);
		buf_puts(&b, unit);
	}
	s = arena_strdup(&f->a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static char *
nest(struct fx *f, const char *open, const char *inner, const char *close, int n)
{
	struct buf b;
	char *s;

	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_puts(&b, open);
	buf_puts(&b, inner);
	for (int i = 0; i < n; i++)
		buf_puts(&b, close);
	s = arena_strdup(&f->a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
term_limit(void **state)
{
	struct fx *f = *state;

	assert_null(strstr(parse(f, repeat(f, "a:1", " ", FILTER_MAX_TERMS)), "error"));
	assert_null(strstr(parse(f, repeat(f, "a:1", " OR ", FILTER_MAX_TERMS)), "error"));
	assert_string_equal(parse(f, repeat(f, "a:1", " ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms");
	assert_string_equal(parse(f, repeat(f, "a:1", " OR ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms");
	/* Ranges are one term each. */
	assert_string_equal(parse(f, repeat(f, "a:[1 TO 2]", " ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms");
}

static void
depth_limit(void **state)
{
	struct fx *f = *state;

	assert_string_equal(parse(f, nest(f, "(", "a:1", ")", FILTER_MAX_DEPTH)), "a=\"1\"");
	assert_string_equal(parse(f, nest(f, "(", "a:1", ")", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply");
	assert_null(strstr(parse(f, nest(f, "-", "a:1", "", FILTER_MAX_DEPTH)), "error"));
	assert_string_equal(parse(f, nest(f, "-", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply");
	assert_null(strstr(parse(f, nest(f, "NOT ", "a:1", "", FILTER_MAX_DEPTH)), "error"));
	assert_string_equal(parse(f, nest(f, "NOT ", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply");
	/* NOT and parentheses count together. */
	assert_null(strstr(parse(f, nest(f, "-(", "a:1", ")", FILTER_MAX_DEPTH / 2)), "error"));
	assert_string_equal(parse(f, nest(f, "-(", "a:1", ")", FILTER_MAX_DEPTH / 2 + 1)),
	    "error: query nests too deeply");
	/* Depth is nesting, not how many groups there are side by side. */
	assert_null(strstr(parse(f, repeat(f, nest(f, "(", "a:1", ")", FILTER_MAX_DEPTH), " ", 4)),
	    "error"));
}

static void
length_limit(void **state)
{
	struct fx	*f = *state;
	char		 q[4098];

	memcpy(q, "a:", 2);
	memset(q + 2, 'x', sizeof(q) - 3);
	q[4096] = '\0';
	assert_null(strstr(parse(f, q), "error"));
	q[4096] = 'x';
	q[4097] = '\0';
	assert_string_equal(parse(f, q), "error: query is longer than 4096 bytes");
}

/* --- compiler ------------------------------------------------------------------- */

static const char *const statuses[] = { "active", "disabled", NULL };

static const struct ffield fields[] = {
	{ "id",		"u.id",		FT_INT,   NULL, NULL, NULL, NULL },
	{ "uid",	"u.uid",	FT_UUID,  NULL, NULL, NULL, NULL },
	{ "email",	"u.email_lc",	FT_LOWER, NULL, NULL, NULL, "u.email_rev_lc" },
	{ "username",	"u.username_lc", FT_LOWER, NULL, "u.id IN (SELECT s('username', ", "))", NULL },
	{ "title",	"u.title",	FT_TEXT,  NULL, NULL, NULL, NULL },
	{ "active",	"u.active",	FT_BOOL,  NULL, NULL, NULL, NULL },
	{ "status",	"u.status",	FT_ENUM,  statuses, NULL, NULL, NULL },
	{ "born",	"u.born",	FT_DATE,  NULL, NULL, NULL, NULL },
	{ "seen",	"u.seen",	FT_TIME,  NULL, NULL, NULL, NULL },
};

/*
 * q compiled with parameters from $first: "<sql> | p1 | p2 …", or
 * "error <field>: <message>".
 */
static const char *
compile(struct fx *f, const char *q, int first)
{
	struct fnode	*n;
	struct buf	 sql;
	struct fsql	 o;

	memset(&f->e, 0, sizeof(f->e));
	buf_reset(&f->out);
	if ((n = filter_parse_lucene(&f->a, q, &f->e)) == NULL)
		fail_msg("q=%s does not parse: %s", q, f->e.msg);
	buf_init(&sql);
	memset(&o, 0, sizeof(o));
	o.sql = &sql;
	o.first_param = first;
	if (filter_compile(&f->a, n, fields, sizeof(fields) / sizeof(fields[0]),
	    "not filterable by ", &o, &f->e) != 0) {
		assert_int_equal(f->e.status, CORE_INVALID);
		buf_printf(&f->out, "error %s: %s", f->e.field, f->e.msg);
	} else {
		buf_puts(&f->out, buf_cstr(&sql));
		for (int i = 0; i < o.nparams; i++)
			buf_printf(&f->out, " | %s", o.params[i]);
	}
	buf_free(&sql);
	return buf_cstr(&f->out);
}

static const char *const compiled[][2] = {
	/* Text compares case-insensitively; FT_LOWER lowers only the parameter, in "C". */
	{ "title:Ada",		"lower(u.title) = lower($1::text) | Ada" },
	{ "title:\"Ada L\"",	"lower(u.title) = lower($1::text) | Ada L" },
	{ "email:Ada@X.org",	"u.email_lc = lower($1::text) COLLATE \"C\" | Ada@X.org" },
	{ "email:[a TO m}",	"(u.email_lc >= lower($1::text) COLLATE \"C\" AND "
				"u.email_lc < lower($2::text) COLLATE \"C\") | a | m" },
	/* Ranges on other text compare the stored text in the database's collation (docs/README.md). */
	{ "title:[a TO m]",	"(u.title >= $1::text AND u.title <= $2::text) | a | m" },
	{ "title:>b",		"u.title > $1::text | b" },
	/* A prefix on FT_LOWER is a byte range; a suffix one on the reversed column. */
	{ "email:ada*",		"(u.email_lc >= lower($1::text) COLLATE \"C\" AND u.email_lc < "
				"lower($2::text) COLLATE \"C\" || U&'\\+10FFFF') | ada | ada" },
	{ "email:*@x.org",	"(u.email_rev_lc >= reverse(lower($1::text)) COLLATE \"C\" AND "
				"u.email_rev_lc < reverse(lower($2::text)) COLLATE \"C\" || U&'\\+10FFFF')"
				" | @x.org | @x.org" },
	/* Other wildcards are LIKE patterns with %, _ and \ escaped. */
	{ "email:*ada*",	"lower(u.email_lc) LIKE lower($1) ESCAPE '\\' | %ada%" },
	{ "title:ada*",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | ada%" },
	{ "title:*ada",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | %ada" },
	{ "title:a*b",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | a%b" },
	{ "title:*5%_\\\\*",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | %5\\%\\_\\\\%" },
	/* A field with a search function gets the pattern through it. */
	{ "username:*ad",	"u.id IN (SELECT s('username', lower($1::text))) | %ad" },
	{ "username:a*d*",	"u.id IN (SELECT s('username', lower($1::text))) | a%d%" },
	{ "title:*",		"(u.title IS NOT NULL AND u.title <> '')" },
	{ "active:*",		"(u.active IS NOT NULL)" },
	/* Typed values are checked, cast and canonicalised. */
	{ "id:42",		"u.id = $1::bigint | 42" },
	{ "id:0",		"u.id = $1::bigint | 0" },
	{ "id:>5",		"u.id > $1::bigint | 5" },
	{ "id:[1 TO 10}",	"(u.id >= $1::bigint AND u.id < $2::bigint) | 1 | 10" },
	{ "id:[* TO 10]",	"(u.id <= $1::bigint) | 10" },
	{ "id:{5 TO *]",	"(u.id > $1::bigint) | 5" },
	{ "active:TRUE",	"u.active = $1::boolean | true" },
	{ "active:False",	"u.active = $1::boolean | false" },
	{ "status:Active",	"u.status = $1::text | active" },
	{ "uid:123e4567-e89b-12d3-a456-426614174000",
				"u.uid = $1::uuid | 123e4567-e89b-12d3-a456-426614174000" },
	{ "born:2024-02-29",	"u.born = $1::date | 2024-02-29" },
	{ "born:[2024-01-01 TO 2024-12-31]",
				"(u.born >= $1::date AND u.born <= $2::date) | 2024-01-01 | 2024-12-31" },
	/* A date against a timestamp is the whole day. */
	{ "seen:2024-05-01",	"(u.seen >= $1::date AND u.seen < $2::date + 1) | 2024-05-01 | 2024-05-01" },
	{ "-seen:2024-05-01",	"NOT ((u.seen >= $1::date AND u.seen < $2::date + 1)) | 2024-05-01 | 2024-05-01" },
	{ "seen:2024-05-01T10:00:00Z", "u.seen = $1::timestamptz | 2024-05-01T10:00:00Z" },
	/* Structure, and parameters numbered in order. */
	{ "-(title:a OR email:b) id:3",
				"(NOT ((lower(u.title) = lower($1::text) OR u.email_lc = lower($2::text) "
				"COLLATE \"C\")) AND u.id = $3::bigint) | a | b | 3" },
	{ "title:a OR title:b AND NOT id:3",
				"(lower(u.title) = lower($1::text) OR (lower(u.title) = lower($2::text) "
				"AND NOT (u.id = $3::bigint))) | a | b | 3" },
	/* Values never reach the SQL text. */
	{ "title:\"x') OR 1=1 --\"", "lower(u.title) = lower($1::text) | x') OR 1=1 --" },
};

static const char *
compile_from_1(struct fx *f, const char *q)
{
	return compile(f, q, 1);
}

static void
compiles_to_parameterised_sql(void **state)
{
	CHECK_TABLE(*state, compile_from_1, compiled);
}

static void
parameters_start_at_first_param(void **state)
{
	assert_string_equal(compile(*state, "id:1 OR email:b*", 4),
	    "(u.id = $4::bigint OR (u.email_lc >= lower($5::text) COLLATE \"C\" AND u.email_lc < "
	    "lower($6::text) COLLATE \"C\" || U&'\\+10FFFF')) | 1 | b | b");
}

static const char *const refused[][2] = {
	{ "nope:1",		"error nope: not filterable by nope" },
	{ "title:1 AND nope:2",	"error nope: not filterable by nope" },
	{ "Title:x",		"error Title: not filterable by Title" },	/* names are exact */
	{ "id:042",		"error id: id must be a whole number" },
	{ "id:-1",		"error id: id must be a whole number" },
	{ "id:abc",		"error id: id must be a whole number" },
	{ "id:[1 TO x]",	"error id: id must be a whole number" },
	{ "id:1*",		"error id: id takes no wildcards" },
	{ "active:yes",		"error active: active must be true or false" },
	{ "active:>true",	"error active: active can only be compared for equality" },
	{ "active:[false TO true]", "error active: active can only be compared for equality" },
	{ "status:gone",	"error status: status must be one of its listed values" },
	{ "status:act*",	"error status: status takes no wildcards" },
	{ "uid:nope",		"error uid: uid must be a UUID" },
	{ "born:2023-02-29",	"error born: born must be a date (YYYY-MM-DD)" },
	{ "seen:yesterday",	"error seen: seen must be an ISO 8601 date or time" },
	{ "title:\"\x01\"",	"error title: title must be text" },
	{ "title:\xff",		"error title: title must be text" },
	{ "title:*\xc3*",	"error title: title must be text" },
};

static void
compile_errors_name_the_field(void **state)
{
	CHECK_TABLE(*state, compile_from_1, refused);
}

/* An unknown field's name is bounded in the message, however long it is. */
static void
unknown_long_field_is_bounded(void **state)
{
	struct fx	*f = *state;
	char		 q[300];

	memset(q, 'f', 200);
	memcpy(q + 200, ":1", 3);
	compile(f, q, 1);
	assert_int_equal(f->e.status, CORE_INVALID);
	assert_int_equal(strlen(f->e.field), sizeof(f->e.field) - 1);
	assert_int_equal(strlen(f->e.msg), strlen("not filterable by ") + 64);
}

/* Trees built by code can hold more values than a query can: the parameter array is bounded. */
static void
too_many_values(void **state)
{
	struct fx	*f = *state;
	struct fnode	*v[FILTER_MAX_PARAMS + 1], *n;
	struct buf	 sql;
	struct fsql	 o;
	size_t		 k = sizeof(v) / sizeof(v[0]);

	/* Balanced, so that the depth limit is not what stops it. */
	for (size_t i = 0; i < k; i++)
		v[i] = filter_cmp(&f->a, "id", FOP_EQ, "1");
	for (; k > 1; k = (k + 1) / 2)
		for (size_t i = 0; i < k; i += 2)
			v[i / 2] = i + 1 < k ? filter_and(&f->a, v[i], v[i + 1]) : v[i];
	n = v[0];
	buf_init(&sql);
	memset(&o, 0, sizeof(o));
	o.sql = &sql;
	o.first_param = 1;
	assert_int_equal(filter_compile(&f->a, n, fields, sizeof(fields) / sizeof(fields[0]),
	    "not filterable by ", &o, &f->e), -1);
	assert_string_equal(f->e.field, "q");
	assert_string_equal(f->e.msg, "query has too many values");
	assert_int_equal(o.nparams, FILTER_MAX_PARAMS);
	buf_free(&sql);
}

/* A query at the term limit, every term a prefix (two values each), still fits. */
static void
most_values_a_query_can_make_fit(void **state)
{
	struct fx *f = *state;

	assert_null(strstr(compile(f, repeat(f, "email:a*", " ", FILTER_MAX_TERMS), 1), "error"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(terms_and_operators, setup, teardown),
		cmocka_unit_test_setup_teardown(quoted_phrases, setup, teardown),
		cmocka_unit_test_setup_teardown(backslash_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(range_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(precedence_and_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_name_q, setup, teardown),
		cmocka_unit_test_setup_teardown(term_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(length_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(compiles_to_parameterised_sql, setup, teardown),
		cmocka_unit_test_setup_teardown(parameters_start_at_first_param, setup, teardown),
		cmocka_unit_test_setup_teardown(compile_errors_name_the_field, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_long_field_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many_values, setup, teardown),
		cmocka_unit_test_setup_teardown(most_values_a_query_can_make_fit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
