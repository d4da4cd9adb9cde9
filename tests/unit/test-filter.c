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
 * email~="x" (contains), email*="a*b" (wildcard pattern), title? (present),
 * id["1" TO *} (range, brackets as given, * an open end). A bare term's
 * field prints as _.
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
		buf_puts(b, n->field ? n->field : "_");
		if (n->op == FOP_PRESENT)
			buf_putc(b, '?');
		else if (n->op == FOP_RANGE) {
			buf_putc(b, n->lo_incl ? '[' : '{');
			buf_printf(b, n->value ? "\"%s\"" : "*", n->value);
			buf_puts(b, " TO ");
			buf_printf(b, n->value2 ? "\"%s\"" : "*", n->value2);
			buf_putc(b, n->hi_incl ? ']' : '}');
		} else
			buf_printf(b, "%s\"%s\"", ops[n->op], n->value);
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
	{ "name:**",			"name?" },
	{ "name:a?c",			"name*=\"a?c\"" },		/* ? is one character */
	{ "name:?",			"name*=\"?\"" },
	{ "name:*a?",			"name*=\"*a?\"" },
	/* Space around the colon, as Lucene allows. */
	{ "name: ada",			"name=\"ada\"" },
	{ "name :ada",			"name=\"ada\"" },
	{ "name  :  \"a b\"",		"name=\"a b\"" },
	{ "name: ada OR x:1",		"(or name=\"ada\" x=\"1\")" },
	/* Characters that only mean something at the start of a term. */
	{ "name:a-b+c!d",		"name=\"a-b+c!d\"" },
	{ "name:a[1]",			"name=\"a[1]\"" },
	{ "name:x&&y",			"name=\"x&&y\"" },	/* one word, as in Lucene */
};

/* A term without a field is a bare term: the compiler gives it to the fields that take one. */
static const char *const bare_terms[][2] = {
	{ "ada",			"_=\"ada\"" },
	{ "ada*",			"_^=\"ada\"" },
	{ "*ada*",			"_~=\"ada\"" },
	{ "\"ada lovelace\"",		"_=\"ada lovelace\"" },
	{ "[a TO b]",			"_[\"a\" TO \"b\"]" },
	{ "*",				"_?" },
	{ "ada OR grace",		"(or _=\"ada\" _=\"grace\")" },
	{ "ada title:cto",		"(and _=\"ada\" title=\"cto\")" },
	{ "-ada",			"(not _=\"ada\")" },
	{ "and",			"_=\"and\"" },		/* operators are upper case */
	{ "ORG",			"_=\"ORG\"" },
	/* Inside field:( … ) a term without a field takes the group's. */
	{ "name:(ada OR grace)",	"(or name=\"ada\" name=\"grace\")" },
	{ "name:(ada grace)",		"(and name=\"ada\" name=\"grace\")" },
	{ "name:(ada* -\"x y\")",	"(and name^=\"ada\" (not name=\"x y\"))" },
	{ "name:(ada OR email:x)",	"(or name=\"ada\" email=\"x\")" },
	{ "a:(b:(c) d)",		"(and b=\"c\" a=\"d\")" },
	{ "a:((x OR y) z)",		"(and (or a=\"x\" a=\"y\") a=\"z\")" },
	{ "a:([1 TO 2] OR *)",		"(or a[\"1\" TO \"2\"] a?)" },
	{ "a:(x) y",			"(and a=\"x\" _=\"y\")" },	/* the group ends its field */
	{ "name: (ada OR grace)",	"(or name=\"ada\" name=\"grace\")" },
};

static void
bare_terms_and_field_groups(void **state)
{
	CHECK_TABLE(*state, parse, bare_terms);
}

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
	/* Escapes are removed only after wildcards and comparisons are found. */
	{ "name:a\\*",			"name=\"a*\"" },
	{ "name:\\*",			"name=\"*\"" },
	{ "name:\\**",			"name^=\"*\"" },
	{ "name:*\\*",			"name$=\"*\"" },
	{ "name:a\\*b*",		"name^=\"a*b\"" },
	{ "name:*a\\**",		"name~=\"a*\"" },
	{ "name:a\\?",			"name=\"a?\"" },
	{ "name:a\\?b*",		"name^=\"a?b\"" },
	{ "name:a\\*b?",		"name*=\"a\\*b?\"" },	/* the pattern keeps the literal * escaped */
	{ "name:a\\\\*b?",		"name*=\"a\\\\*b?\"" },	/* an escaped backslash, then a wildcard */
	{ "name:\\>5",			"name=\">5\"" },
	{ "name:\\<=5",			"name=\"<=5\"" },
	{ "name:>\\*",			"name>\"*\"" },
	{ "name:\\/x/",			"name=\"/x/\"" },
	{ "name:a\\~",			"name=\"a~\"" },
	{ "name:a\\^2",			"name=\"a^2\"" },
	{ "\\-a:1",			"-a=\"1\"" },
	{ "\\!a:1",			"!a=\"1\"" },
	{ "\\+a:1",			"+a=\"1\"" },
	{ "name:\\(x\\)*",		"name^=\"(x)\"" },
	{ "name:caf\\\xc3\xa9",		"name=\"caf\xc3\xa9\"" },	/* an escaped multibyte character */
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
	{ "age:[* TO 5]",		"age[* TO \"5\"]" },
	{ "age:[1 TO *]",		"age[\"1\" TO *]" },
	{ "age:{* TO 5]",		"age{* TO \"5\"]" },
	/* Both ends open is Lucene's "has a value", not "anything at all". */
	{ "age:[* TO *]",		"age?" },
	{ "age:{* TO *}",		"age?" },
	/* Quoted bounds are literal, quotes and all removed; a quoted * is a star. */
	{ "a:[\"x\" TO \"y\"]",		"a[\"x\" TO \"y\"]" },
	{ "a:[\"a b\" TO \"c\\\"d\"]",	"a[\"a b\" TO \"c\"d\"]" },
	{ "a:[\"*\" TO *]",		"a[\"*\" TO *]" },
	{ "a:[x* TO y]",		"a[\"x*\" TO \"y\"]" },	/* no wildcards in a range */
	{ "a:[1 TO 5]OR b:1",		"(or a[\"1\" TO \"5\"] b=\"1\")" },
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
	{ "+-a:1",			"(not a=\"1\")" },
	{ "!a:1",			"(not a=\"1\")" },
	{ "! a:1",			"(not a=\"1\")" },
	{ "a:1 !b:2",			"(and a=\"1\" (not b=\"2\"))" },
	{ "NOT -a:1",			"(not (not a=\"1\"))" },
	{ "+(a:1 OR b:2)",		"(or a=\"1\" b=\"2\")" },
	/* || and && are OR and AND, with or without spaces around them. */
	{ "a:1 || b:2",			"(or a=\"1\" b=\"2\")" },
	{ "a:1 || b:2 && c:3",		"(or a=\"1\" (and b=\"2\" c=\"3\"))" },
	{ "a:1 ||b:2",			"(or a=\"1\" b=\"2\")" },
	{ "a:1 &&b:2 || c:3",		"(or (and a=\"1\" b=\"2\") c=\"3\")" },
	{ "(a:1)||(b:2)",		"(or a=\"1\" b=\"2\")" },
	{ "a:1 OR b:2 || c:3",		"(or (or a=\"1\" b=\"2\") c=\"3\")" },
	{ "NOT a:1 || NOT b:2",		"(or (not a=\"1\") (not b=\"2\"))" },
	/* A phrase or range ends its term without a space. */
	{ "a:\"x\"b:2",			"(and a=\"x\" b=\"2\")" },
	{ "a:[a TO b]c:1",		"(and a[\"a\" TO \"b\"] c=\"1\")" },
	{ "a:[1 TO 5]x",		"(and a[\"1\" TO \"5\"] _=\"x\")" },
};

static void
precedence_and_grouping(void **state)
{
	CHECK_TABLE(*state, parse, precedence);
}

/* --- errors --------------------------------------------------------------------- */

static const char *const errors[][2] = {
	{ "",				"error: expected a term at character 1" },
	{ "   ",			"error: expected a term at character 4" },
	{ "NOT",			"error: expected a term at character 4" },
	{ "-",				"error: expected a term at character 2" },
	{ "()",				"error: expected a term at character 2" },
	{ "a:1 AND",			"error: expected a term at character 8" },
	{ "a:1 OR",			"error: expected a term at character 7" },
	{ "a:1 ||",			"error: expected a term at character 7" },
	{ ":1",				"error: expected a field name before ':' at character 1" },
	{ "a:1 :2",			"error: expected a field name before ':' at character 5" },
	{ "AND a:1",			"error: expected a term before AND at character 1" },
	{ "OR a:1",			"error: expected a term before OR at character 1" },
	{ "|| a:1",			"error: expected a term before OR at character 1" },
	{ "&& a:1",			"error: expected a term before AND at character 1" },
	{ "a:1 AND AND b:2",		"error: expected a term before AND at character 9" },
	{ "a:1 OR OR b:2",		"error: expected a term before OR at character 8" },
	{ "a:1 AND OR b:2",		"error: expected a term before OR at character 9" },
	{ "a:1 OR && b:2",		"error: expected a term before AND at character 8" },
	{ "a:",				"error: expected a value after ':' at character 3" },
	{ "a:)",			"error: expected a value after ':' at character 3" },
	{ "a :",			"error: expected a value after ':' at character 4" },
	{ "a: AND b:1",			"error: expected a value after ':' at character 4" },
	{ "a:NOT",			"error: expected a value after ':' at character 3" },
	{ "a:>",			"error: empty value after an operator at character 3" },
	{ "a:<=",			"error: empty value after an operator at character 3" },
	{ "a:>5*",			"error: a comparison takes no wildcards at character 3" },
	{ "a:\"open",			"error: unterminated quoted phrase at character 3" },
	{ "a:\"a\\\"",			"error: unterminated quoted phrase at character 3" },
	{ "a:[1 5]",			"error: range needs [low TO high] at character 6" },
	{ "a:[ TO 5]",			"error: range needs [low TO high] at character 8" },
	{ "a:[1 TO]",			"error: range bounds must not be empty at character 8" },
	{ "a:[1 TO ]",			"error: range bounds must not be empty at character 9" },
	{ "a:[1 TO 5",			"error: range is not closed with ] or } at character 10" },
	{ "a:[1 TO 2 TO 3]",		"error: range is not closed with ] or } at character 11" },
	{ "a:[\"x TO y]",		"error: unterminated quoted phrase at character 4" },
	{ "(a:1",			"error: missing closing parenthesis at character 1" },
	{ "((a:1) OR b:2",		"error: missing closing parenthesis at character 1" },
	{ "a:(x OR y",			"error: missing closing parenthesis at character 3" },
	{ "a:1)",			"error: unbalanced closing parenthesis at character 4" },
	{ "a:1 )",			"error: unbalanced closing parenthesis at character 5" },
	/* A lone backslash at the end escapes nothing (Lucene refuses it too). */
	{ "a:b\\",			"error: a backslash must be followed by the character it escapes at character 4" },
	{ "a\\",			"error: a backslash must be followed by the character it escapes at character 2" },
	{ "a:[x TO y\\",		"error: a backslash must be followed by the character it escapes at character 10" },
	/* Fuzzy, proximity and boosts are refused, not read as part of a value. */
	{ "a:foo~",			"error: fuzzy and proximity searches (~) are not supported at character 6" },
	{ "a:foo~2",			"error: fuzzy and proximity searches (~) are not supported at character 6" },
	{ "a:\"x y\"~2",		"error: fuzzy and proximity searches (~) are not supported at character 8" },
	{ "a:foo^2",			"error: boosts (^) are not supported at character 6" },
	{ "(a:1)^2",			"error: boosts (^) are not supported at character 6" },
	{ "a:[1 TO 2]^3",		"error: boosts (^) are not supported at character 11" },
	{ "a:(x)~",			"error: fuzzy and proximity searches (~) are not supported at character 6" },
	{ "a:/ab+/",			"error: regular expressions (/…/) are not supported at character 3" },
	{ "/ab+/",			"error: regular expressions (/…/) are not supported at character 1" },
	/* Positions count characters, not bytes. */
	{ "n:\xc3\xa9\xc3\xa9 AND",	"error: expected a term at character 9" },
	{ "\xe2\x82\xac:\"x",		"error: unterminated quoted phrase at character 3" },
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
	/* The error points at the first term past the limit. */
	assert_string_equal(parse(f, repeat(f, "a:1", " ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms at character 257");
	assert_string_equal(parse(f, repeat(f, "a:1", " OR ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms at character 449");
	/* Ranges, bare terms and terms in field groups are one term each. */
	assert_string_equal(parse(f, repeat(f, "a:[1 TO 2]", " ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms at character 705");
	assert_string_equal(parse(f, repeat(f, "x", " ", FILTER_MAX_TERMS + 1)),
	    "error: query has too many terms at character 129");
	assert_null(strstr(parse(f, nest(f, "a:(", repeat(f, "x", " ", FILTER_MAX_TERMS), ")", 1)),
	    "error"));
	assert_string_equal(parse(f, nest(f, "a:(", repeat(f, "x", " ", FILTER_MAX_TERMS + 1), ")", 1)),
	    "error: query has too many terms at character 132");
}

static void
depth_limit(void **state)
{
	struct fx *f = *state;

	assert_string_equal(parse(f, nest(f, "(", "a:1", ")", FILTER_MAX_DEPTH)), "a=\"1\"");
	assert_string_equal(parse(f, nest(f, "(", "a:1", ")", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 17");
	assert_null(strstr(parse(f, nest(f, "-", "a:1", "", FILTER_MAX_DEPTH)), "error"));
	assert_string_equal(parse(f, nest(f, "-", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 17");
	assert_string_equal(parse(f, nest(f, "+", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 17");
	assert_string_equal(parse(f, nest(f, "!", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 17");
	assert_null(strstr(parse(f, nest(f, "NOT ", "a:1", "", FILTER_MAX_DEPTH)), "error"));
	assert_string_equal(parse(f, nest(f, "NOT ", "a:1", "", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 65");
	/* NOT and parentheses count together. */
	assert_null(strstr(parse(f, nest(f, "-(", "a:1", ")", FILTER_MAX_DEPTH / 2)), "error"));
	assert_string_equal(parse(f, nest(f, "-(", "a:1", ")", FILTER_MAX_DEPTH / 2 + 1)),
	    "error: query nests too deeply at character 17");
	/* Field groups nest like parentheses. */
	assert_null(strstr(parse(f, nest(f, "a:(", "x", ")", FILTER_MAX_DEPTH)), "error"));
	assert_string_equal(parse(f, nest(f, "a:(", "x", ")", FILTER_MAX_DEPTH + 1)),
	    "error: query nests too deeply at character 51");
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
	assert_int_equal(FILTER_MAX_QUERY, 4096);
}

/* --- compiler ------------------------------------------------------------------- */

static const char *const statuses[] = { "active", "disabled", NULL };

static const struct ffield fields[] = {
	{ .name = "id", .sql = "u.id", .type = FT_INT },
	{ .name = "uid", .sql = "u.uid", .type = FT_UUID },
	{ .name = "email", .sql = "u.email_lc", .type = FT_LOWER, .rev_sql = "u.email_rev_lc",
	  .bare = true },
	{ .name = "username", .sql = "u.username_lc", .type = FT_LOWER,
	  .like_pre = "u.id IN (SELECT s('username', ", .like_post = "))" },
	{ .name = "title", .sql = "u.title", .type = FT_TEXT, .bare = true },
	{ .name = "active", .sql = "u.active", .type = FT_BOOL },
	{ .name = "status", .sql = "u.status", .type = FT_ENUM, .choices = statuses },
	{ .name = "born", .sql = "u.born", .type = FT_DATE },
	{ .name = "seen", .sql = "u.seen", .type = FT_TIME },
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
	/* A blank is no value: it is in no range (NULL and '' alike). */
	{ "email:[a TO m}",	"((u.email_lc <> '' AND u.email_lc >= lower($1::text) COLLATE \"C\") AND "
				"(u.email_lc <> '' AND u.email_lc < lower($2::text) COLLATE \"C\")) | a | m" },
	/* Ranges on other text compare the stored text in the database's collation (docs/README.md). */
	{ "title:[a TO m]",	"(NULLIF(u.title, '') >= $1::text AND NULLIF(u.title, '') <= $2::text) | "
				"a | m" },
	{ "title:>b",		"NULLIF(u.title, '') > $1::text | b" },
	/* A prefix on FT_LOWER is a byte range; a suffix one on the reversed column. */
	{ "email:ada*",		"(u.email_lc >= lower($1::text) COLLATE \"C\" AND u.email_lc < "
				"lower($2::text) COLLATE \"C\" || U&'\\+10FFFF') | ada | ada" },
	{ "email:*@x.org",	"(u.email_rev_lc >= reverse(lower($1::text)) COLLATE \"C\" AND "
				"u.email_rev_lc < reverse(lower($2::text)) COLLATE \"C\" || U&'\\+10FFFF')"
				" | @x.org | @x.org" },
	/* Other wildcards are LIKE patterns with %, _ and \ escaped. */
	{ "email:*ada*",	"u.email_lc LIKE lower($1) ESCAPE '\\' | %ada%" },
	{ "title:ada*",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | ada%" },
	{ "title:*ada",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | %ada" },
	{ "title:a*b",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | a%b" },
	{ "title:*5%_\\\\*",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | %5\\%\\_\\\\%" },
	/* ? is one character; escaped wildcards are literal and never LIKE's. */
	{ "title:a?c",		"lower(u.title) LIKE lower($1) ESCAPE '\\' | a_c" },
	{ "title:a\\*b*",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | a*b%" },
	{ "title:*a\\?*b",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | %a?%b" },
	{ "title:a\\%*?",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | a\\%%_" },
	{ "title:a\\\\?",	"lower(u.title) LIKE lower($1) ESCAPE '\\' | a\\\\_" },
	{ "title:a\\*",		"lower(u.title) = lower($1::text) | a*" },
	{ "email:a_\\*",	"u.email_lc = lower($1::text) COLLATE \"C\" | a_*" },
	/* A field with a search function gets the pattern through it. */
	{ "username:*ad",	"u.id IN (SELECT s('username', lower($1::text))) | %ad" },
	{ "username:a*d*",	"u.id IN (SELECT s('username', lower($1::text))) | a%d%" },
	{ "title:*",		"(u.title IS NOT NULL AND u.title <> '')" },
	{ "active:*",		"(u.active IS NOT NULL)" },
	/* [* TO *] is presence too: never a TRUE that would match NULL. */
	{ "title:[* TO *]",	"(u.title IS NOT NULL AND u.title <> '')" },
	{ "id:{* TO *}",	"(u.id IS NOT NULL)" },
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
	{ "born:2024-02-29T23:30:00-05:00", "u.born = $1::date | 2024-02-29" },	/* its date, as written */
	{ "born:[2024-01-01 TO 2024-12-31]",
				"(u.born >= $1::date AND u.born <= $2::date) | 2024-01-01 | 2024-12-31" },
	/* A date against a timestamp is its whole UTC day, in every comparison. */
	{ "seen:2024-05-01",	"(u.seen >= gatehouse.utc_day($1::date) AND u.seen < gatehouse.utc_day($2::date + 1))"
				" | 2024-05-01 | 2024-05-01" },
	{ "-seen:2024-05-01",	"((u.seen >= gatehouse.utc_day($1::date) AND u.seen < "
				"gatehouse.utc_day($2::date + 1))) IS NOT TRUE | 2024-05-01 | 2024-05-01" },
	{ "seen:>2024-05-01",	"u.seen >= gatehouse.utc_day($1::date + 1) | 2024-05-01" },
	{ "seen:>=2024-05-01",	"u.seen >= gatehouse.utc_day($1::date) | 2024-05-01" },
	{ "seen:<2024-05-01",	"u.seen < gatehouse.utc_day($1::date) | 2024-05-01" },
	{ "seen:<=2024-05-01",	"u.seen < gatehouse.utc_day($1::date + 1) | 2024-05-01" },
	{ "seen:[2024-01-01 TO 2024-01-31]",
				"(u.seen >= gatehouse.utc_day($1::date) AND u.seen < gatehouse.utc_day($2::date + 1))"
				" | 2024-01-01 | 2024-01-31" },
	{ "seen:{2024-01-01 TO 2024-01-31}",
				"(u.seen >= gatehouse.utc_day($1::date + 1) AND u.seen < gatehouse.utc_day($2::date))"
				" | 2024-01-01 | 2024-01-31" },
	{ "seen:[2024-05-01T10:00:00Z TO *]", "(u.seen >= $1::timestamptz) | 2024-05-01T10:00:00Z" },
	/* A time stands for the span its precision leaves: times are shown to the ms. */
	{ "seen:2024-05-01T10:00:00Z", "(u.seen >= $1::timestamptz AND u.seen < ($2::timestamptz + "
				"interval '1 second')) | 2024-05-01T10:00:00Z | 2024-05-01T10:00:00Z" },
	{ "seen:2024-05-01T10:00:00.318Z", "(u.seen >= $1::timestamptz AND u.seen < ($2::timestamptz + "
				"interval '1 millisecond')) | 2024-05-01T10:00:00.318Z | 2024-05-01T10:00:00.318Z" },
	{ "seen:>2024-05-01T10:00:00.318Z", "u.seen >= ($1::timestamptz + interval '1 millisecond') | "
				"2024-05-01T10:00:00.318Z" },
	{ "seen:<=2024-05-01T10:00:00.3+02:00", "u.seen < ($1::timestamptz + interval '100 milliseconds') | "
				"2024-05-01T10:00:00.3+02:00" },
	{ "seen:<2024-05-01T10:00Z", "u.seen < $1::timestamptz | 2024-05-01T10:00Z" },
	{ "seen:>=2024-05-01T10:00Z", "u.seen >= $1::timestamptz | 2024-05-01T10:00Z" },
	{ "seen:>2024-05-01T10:00Z", "u.seen >= ($1::timestamptz + interval '1 minute') | 2024-05-01T10:00Z" },
	{ "seen:2024-05-01T10:00:00.318123Z", "u.seen = $1::timestamptz | 2024-05-01T10:00:00.318123Z" },
	/* A bare term is tried on every field that takes one (here email and title). */
	{ "ada",		"(u.email_lc = lower($1::text) COLLATE \"C\" OR lower(u.title) = lower($2::text))"
				" | ada | ada" },
	{ "ad*",		"((u.email_lc >= lower($1::text) COLLATE \"C\" AND u.email_lc < lower($2::text) "
				"COLLATE \"C\" || U&'\\+10FFFF') OR lower(u.title) LIKE lower($3) ESCAPE '\\')"
				" | ad | ad | ad%" },
	{ "* id:1",		"(((u.email_lc IS NOT NULL AND u.email_lc <> '') OR (u.title IS NOT NULL AND "
				"u.title <> '')) AND u.id = $1::bigint) | 1" },
	/* A field group gives each of its terms the field. */
	{ "title:(a OR b*)",	"(lower(u.title) = lower($1::text) OR lower(u.title) LIKE lower($2) ESCAPE '\\')"
				" | a | b%" },
	/* Structure, and parameters numbered in order. */
	{ "-(title:a OR email:b) id:3",
				"(((lower(u.title) = lower($1::text) OR u.email_lc = lower($2::text) "
				"COLLATE \"C\")) IS NOT TRUE AND u.id = $3::bigint) | a | b | 3" },
	/* NOT is "does not match", so a user without the field (NULL) is among them. */
	{ "title:a OR title:b AND NOT id:3",
				"(lower(u.title) = lower($1::text) OR (lower(u.title) = lower($2::text) "
				"AND (u.id = $3::bigint) IS NOT TRUE)) | a | b | 3" },
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
	{ "id:1?",		"error id: id takes no wildcards" },
	{ "id:[* TO x]",	"error id: id must be a whole number" },
	{ "seen:[* TO 2024-02-30]", "error seen: seen must be an ISO 8601 date or time" },
	{ "active:[true TO *]",	"error active: active can only be compared for equality" },
	/* A bare term fails on the first of its fields that refuses it. */
	{ "\"\x01\"",		"error email: email must be text" },
};

/* A table without fields for bare terms refuses them, naming q. */
static void
bare_terms_need_a_field_that_takes_them(void **state)
{
	static const struct ffield plain[] = {
		{ .name = "title", .sql = "u.title", .type = FT_TEXT },
	};
	struct fx	*f = *state;
	struct fnode	*n;
	struct buf	 sql;
	struct fsql	 o;

	assert_non_null(n = filter_parse_lucene(&f->a, "title:x OR ada", &f->e));
	buf_init(&sql);
	memset(&o, 0, sizeof(o));
	o.sql = &sql;
	o.first_param = 1;
	assert_int_equal(filter_compile(&f->a, n, plain, 1, "not filterable by ", &o, &f->e), -1);
	assert_int_equal(f->e.status, CORE_INVALID);
	assert_string_equal(f->e.field, "q");
	assert_string_equal(f->e.msg, "a term needs a field here (field:value)");
	buf_free(&sql);
}

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

/* A value over the text limit says so, rather than that it is not text. */
static void
long_values_name_the_limit(void **state)
{
	struct fx	*f = *state;
	char		 q[1200];

	memcpy(q, "title:", 6);
	memset(q + 6, 'a', 1100);
	q[1106] = '\0';
	compile(f, q, 1);
	assert_int_equal(f->e.status, CORE_INVALID);
	assert_string_equal(f->e.msg, "title is longer than 1024 bytes");
	memcpy(q + 1106, "*", 2);
	compile(f, q, 1);
	assert_int_equal(f->e.status, CORE_INVALID);
	assert_string_equal(f->e.msg, "title is longer than 1024 bytes");
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
		cmocka_unit_test_setup_teardown(bare_terms_and_field_groups, setup, teardown),
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
		cmocka_unit_test_setup_teardown(bare_terms_need_a_field_that_takes_them, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_long_field_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(long_values_name_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(too_many_values, setup, teardown),
		cmocka_unit_test_setup_teardown(most_values_a_query_can_make_fit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
