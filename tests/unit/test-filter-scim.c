/*
 * test-filter-scim.c: the SCIM filter grammar (RFC 7644 §3.4.2.2) and PATCH
 * paths (§3.5.2) as filter_scim.c parses them, read through a print of the
 * tree in SCIM's own notation; and what the compiler makes of the nodes SCIM
 * added (value paths, case-exact text, multi-valued attributes).
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

#include "../fuzz/scim-ops.h"

/* One arena and one output buffer for the whole group (cmocka group setup). */
struct fx {
	struct arena	a;
	struct core_err	e;
	struct buf	out;
};
static struct fx fx;

static int
group_up(void **state)
{
	arena_init(&fx.a, 16 << 20);
	buf_init(&fx.out);
	(void)state;
	return 0;
}

static int
group_down(void **state)
{
	buf_free(&fx.out);
	arena_free(&fx.a);
	(void)state;
	return 0;
}

/*
 * SCIM notation with every group made explicit: {A and B}, {A or B},
 * not{A}, attr[filter], attr op "value", attr pr.
 */
static void
show(struct buf *b, const struct fnode *n)
{
	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		buf_putc(b, '{');
		show(b, n->a);
		buf_puts(b, n->kind == FN_AND ? " and " : " or ");
		show(b, n->b);
		buf_putc(b, '}');
		break;
	case FN_NOT:
		buf_puts(b, "not{");
		show(b, n->a);
		buf_putc(b, '}');
		break;
	case FN_VALUE:
		buf_printf(b, "%s[", n->field);
		show(b, n->a);
		buf_putc(b, ']');
		break;
	case FN_CMP:
		if (n->op == FOP_PRESENT)
			buf_printf(b, "%s pr", n->field);
		else
			buf_printf(b, "%s %s \"%s\"", n->field,
			    scim_op_names[n->op] ? scim_op_names[n->op] : "??", n->value);
		break;
	}
}

/* "error: <message>", after checking the failure is invalid input naming field. */
static const char *
refused(struct fx *f, const char *field)
{
	assert_int_equal(f->e.status, CORE_INVALID);
	assert_string_equal(f->e.field, field);
	buf_printf(&f->out, "error: %s", f->e.msg);
	return buf_cstr(&f->out);
}

/* The tree of a filter, or its refusal. */
static const char *
parse(struct fx *f, const char *s)
{
	struct fnode *n;

	buf_reset(&f->out);
	memset(&f->e, 0, sizeof(f->e));
	if ((n = filter_parse_scim(&f->a, s, &f->e)) == NULL)
		return refused(f, "filter");
	show(&f->out, n);
	return buf_cstr(&f->out);
}

/* A path as "uri|attr|sub|filter" (- for none), or its refusal. */
static const char *
path(struct fx *f, const char *s)
{
	struct fpath p;

	buf_reset(&f->out);
	memset(&f->e, 0, sizeof(f->e));
	if (filter_scim_path(&f->a, s, &p, &f->e) != 0)
		return refused(f, "path");
	buf_printf(&f->out, "%s|%s|%s|", p.uri ? p.uri : "-", p.attr, p.sub ? p.sub : "-");
	if (p.filter != NULL)
		show(&f->out, p.filter);
	else
		buf_putc(&f->out, '-');
	return buf_cstr(&f->out);
}

/* An input and what a reader makes of it. */
struct row {
	const char	*in;
	const char	*want;
};

/* Every row of a table through reader, each difference a failure naming the input. */
#define ROWS(reader, table)							\
	do {								\
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) {	\
			const char *got_ = reader(&fx, (table)[i_].in);		\
									\
			if (strcmp(got_, (table)[i_].want) != 0)		\
				fail_msg("input %s\n  got  %s\n  want %s",	\
				    (table)[i_].in, got_, (table)[i_].want);	\
		}							\
	} while (0)

/* --- the grammar ---------------------------------------------------------------- */

static const struct row comparisons[] = {
	/* RFC 7644 §3.4.2.2's own examples. */
	{ "userName eq \"bjensen\"",		"userName eq \"bjensen\"" },
	{ "name.familyName co \"O'Malley\"",	"name.familyName co \"O'Malley\"" },
	{ "userName sw \"J\"",			"userName sw \"J\"" },
	{ "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"",
	  "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"" },
	{ "title pr",				"title pr" },
	{ "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
	  "meta.lastModified gt \"2011-05-13T04:42:34Z\"" },
	{ "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
	  "meta.lastModified ge \"2011-05-13T04:42:34Z\"" },
	{ "meta.lastModified lt \"x\"",		"meta.lastModified lt \"x\"" },
	{ "meta.lastModified le \"x\"",		"meta.lastModified le \"x\"" },
	{ "userType ne \"Employee\"",		"userType ne \"Employee\"" },
	{ "emails ew \".org\"",			"emails ew \".org\"" },
	/* Operators and keywords in any case; attribute names kept as written. */
	{ "UserName EQ \"x\"",			"UserName eq \"x\"" },
	{ "title PR",				"title pr" },
	{ "a Eq \"1\" AnD b Pr",		"{a eq \"1\" and b pr}" },
	/* Values: JSON strings with escapes, true/false/numbers as text, null as presence. */
	{ "a eq \"q\\\"x\\\\y\\/z\"",		"a eq \"q\"x\\y/z\"" },
	{ "a eq \"\\u00e9\\ud83d\\ude00\\t\"",	"a eq \"\xc3\xa9\xf0\x9f\x98\x80\t\"" },
	{ "a eq \"\"",				"a eq \"\"" },
	{ "active eq true",			"active eq \"true\"" },
	{ "active eq False",			"active eq \"false\"" },
	{ "n gt -1.5e3",			"n gt \"-1.5e3\"" },
	{ "n eq 0",				"n eq \"0\"" },
	{ "title eq null",			"not{title pr}" },
	{ "title ne null",			"title pr" },
	/* An unquoted word is a string, as identity providers send them. */
	{ "externalId eq 9a1b-c",		"externalId eq \"9a1b-c\"" },
	{ "userName eq ada@x.example",		"userName eq \"ada@x.example\"" },
	{ "a eq 01",				"a eq \"01\"" },
	{ "a eq tru",				"a eq \"tru\"" },
	/* Attribute paths. */
	{ "$ref eq \"x\"",			"$ref eq \"x\"" },
	{ "x-y_z9 pr",				"x-y_z9 pr" },
	{ "notes pr",				"notes pr" },
	{ "orange eq \"1\"",			"orange eq \"1\"" },
};

static void
attribute_comparisons(void **state)
{
	(void)state;
	ROWS(parse, comparisons);
}

static const struct row logic[] = {
	/* and binds tighter than or; both associate to the left; not needs parentheses. */
	{ "a pr and b pr",			"{a pr and b pr}" },
	{ "a pr or b pr",			"{a pr or b pr}" },
	{ "a pr or b pr and c pr",		"{a pr or {b pr and c pr}}" },
	{ "a pr and b pr or c pr",		"{{a pr and b pr} or c pr}" },
	{ "a pr and b pr and c pr",		"{{a pr and b pr} and c pr}" },
	{ "(a pr or b pr) and c pr",		"{{a pr or b pr} and c pr}" },
	{ "not (a pr)",				"not{a pr}" },
	{ "not(a pr or b pr)",			"not{{a pr or b pr}}" },
	{ "a pr and not (b pr)",		"{a pr and not{b pr}}" },
	{ "((a pr))",				"a pr" },
	{ "  a pr  ",				"a pr" },
	{ "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
	  "{userType eq \"Employee\" and {emails co \"example.com\" or emails.value co \"example.org\"}}" },
	{ "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
	  "{userType ne \"Employee\" and not{{emails co \"example.com\" or emails.value co \"example.org\"}}}" },
	/* "and" inside a string is text. */
	{ "a eq \"x and y\" or b eq \"(\"",	"{a eq \"x and y\" or b eq \"(\"}" },
};

static void
logical_operators_and_grouping(void **state)
{
	(void)state;
	ROWS(parse, logic);
}

static const struct row value_paths[] = {
	{ "emails[type eq \"work\" and value co \"@example.com\"]",
	  "emails[{type eq \"work\" and value co \"@example.com\"}]" },
	{ "emails[type eq \"work\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
	  "{emails[type eq \"work\"] or ims[{type eq \"xmpp\" and value co \"@foo.com\"}]}" },
	{ "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
	  "{userType eq \"Employee\" and emails[{type eq \"work\" and value co \"@example.com\"}]}" },
	{ "members[value eq \"2819c223\"]",	"members[value eq \"2819c223\"]" },
	{ "emails[not (primary eq true)]",	"emails[not{primary eq \"true\"}]" },
	{ "emails[(type eq \"a\")]",		"emails[type eq \"a\"]" },
	/* A sub-attribute after ] is one more condition on the same value. */
	{ "emails[type eq \"work\"].value eq \"a@b.c\"",
	  "emails[{type eq \"work\" and value eq \"a@b.c\"}]" },
	{ "emails[type eq \"work\"].display pr", "emails[{type eq \"work\" and display pr}]" },
	{ "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]",
	  "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"]" },
};

static void
value_path_filters(void **state)
{
	(void)state;
	ROWS(parse, value_paths);
}

static const struct row errors[] = {
	{ "",					"error: expected a comparison" },
	{ "   ",				"error: expected a comparison" },
	{ "userName",				"error: expected an operator after the attribute" },
	{ "userName eq",			"error: expected a value after the operator" },
	{ "userName eq ",			"error: expected a value" },
	{ "userName is \"x\"",			"error: expected an operator: eq, ne, co, sw, ew, gt, ge, lt, le or pr" },
	{ "userName eq\"x\"",			"error: expected a value after the operator" },
	{ "1abc eq \"x\"",			"error: expected an attribute name" },
	{ "a..b eq \"x\"",			"error: expected an attribute name" },
	{ "a.b.c eq \"x\"",			"error: expected an attribute name" },
	{ ":a eq \"x\"",			"error: expected an attribute name" },
	{ "a eq \"x",				"error: unterminated string" },
	{ "a eq \"\\q\"",			"error: bad escape in a string" },
	{ "a eq \"\\u12\"",			"error: bad \\u escape in a string" },
	{ "a eq \"\\u0000\"",			"error: bad \\u escape in a string" },
	{ "a eq \"\\ud83d\"",			"error: unpaired surrogate in a string" },
	{ "a eq \"\\ude00\"",			"error: bad \\u escape in a string" },
	{ "a eq \"x\ty\"",			"error: control character in a string" },
	{ "a co null",				"error: null can only be compared with eq or ne" },
	{ "a pr and",				"error: expected and, or or the end of the filter" },
	{ "a pr or",				"error: expected and, or or the end of the filter" },
	{ "a pr b pr",				"error: expected and, or or the end of the filter" },
	{ "a pr andb pr",			"error: expected and, or or the end of the filter" },
	{ "(a pr",				"error: missing closing parenthesis" },
	{ "a pr)",				"error: unbalanced closing parenthesis" },
	{ "()",					"error: expected a comparison" },
	{ "not a pr",				"error: expected an operator: eq, ne, co, sw, ew, gt, ge, lt, le or pr" },
	{ "emails[type eq \"w\"",		"error: missing ]" },
	{ "emails[type eq \"w\"]]",		"error: unbalanced ]" },
	{ "emails[]",				"error: expected a comparison" },
	{ "emails[types[x pr]]",		"error: value filters cannot nest" },
	{ "name.givenName[x pr]",		"error: a value filter applies to an attribute, not a sub-attribute" },
	{ "emails[type pr].",			"error: expected a sub-attribute name after ]." },
	{ "emails[type pr].value",		"error: expected an operator after the attribute" },
	{ "a eq \"x\" \"y\"",			"error: expected and, or or the end of the filter" },
};

static void
errors_name_the_filter(void **state)
{
	(void)state;
	ROWS(parse, errors);
}

/* n copies of unit joined by sep. */
static char *
repeat(struct fx *f, const char *unit, const char *sep, int n)
{
	struct buf	 b;
	char		*s;

	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? sep : "", unit);
	s = arena_strdup(&f->a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* n opening parentheses, inner, n closing ones. */
static char *
nest(struct fx *f, const char *inner, int n)
{
	struct buf	 b;
	char		*s;

	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_putc(&b, '(');
	buf_puts(&b, inner);
	for (int i = 0; i < n; i++)
		buf_putc(&b, ')');
	s = arena_strdup(&f->a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
limits(void **state)
{
	(void)state;
	struct fx	*f = &fx;
	char		 big[4100];

	assert_null(strstr(parse(f, repeat(f, "a pr", " or ", FILTER_MAX_TERMS)), "error"));
	assert_string_equal(parse(f, repeat(f, "a pr", " or ", FILTER_MAX_TERMS + 1)),
	    "error: filter has too many terms");
	assert_string_equal(parse(f, repeat(f, "emails[a pr]", " and ", FILTER_MAX_TERMS + 1)),
	    "error: filter has too many terms");
	assert_string_equal(parse(f, nest(f, "a pr", FILTER_MAX_DEPTH)), "a pr");
	assert_string_equal(parse(f, nest(f, "a pr", FILTER_MAX_DEPTH + 1)),
	    "error: filter nests too deeply");
	/* 4096 bytes is the longest filter. */
	memcpy(big, "a eq \"", 6);
	memset(big + 6, 'x', 4089);
	memcpy(big + 4095, "\"", 2);
	assert_int_equal(strlen(big), 4096);
	assert_int_equal(strncmp(parse(f, big), "a eq \"xxx", 9), 0);
	memcpy(big + 4096, " ", 2);
	assert_string_equal(parse(f, big), "error: filter is longer than 4096 bytes");
}

/* --- PATCH paths ------------------------------------------------------------------ */

static const struct row paths[] = {
	{ "title",				"-|title|-|-" },
	{ "name.familyName",			"-|name|familyName|-" },
	{ "members",				"-|members|-|-" },
	{ "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
	  "-|members|-|value eq \"2819c223-7f76-453a-919d-413861904646\"" },
	{ "emails[type eq \"work\"].value",	"-|emails|value|type eq \"work\"" },
	{ "addresses[type eq \"work\" and primary eq true].streetAddress",
	  "-|addresses|streetAddress|{type eq \"work\" and primary eq \"true\"}" },
	{ "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User|employeeNumber|-|-" },
	{ "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User|manager|value|-" },
	{ "urn:ietf:params:scim:schemas:core:2.0:User:emails[primary eq true].value",
	  "urn:ietf:params:scim:schemas:core:2.0:User|emails|value|primary eq \"true\"" },
	/* The grammar's errors. */
	{ "",					"error: expected an attribute name" },
	{ "name.",				"error: expected an attribute name" },
	{ "name.given.x",			"error: expected an attribute name" },
	{ "title extra",			"error: unexpected text after the path" },
	{ "emails[type eq \"work\"",		"error: missing ]" },
	{ "emails[type eq]",			"error: expected a value after the operator" },
	{ "emails[type eq \"work\"].",		"error: expected a sub-attribute name after ]." },
	{ "emails[type eq \"work\"].value.x",	"error: unexpected text after the path" },
	{ "name.givenName[type pr]",		"error: a value filter applies to an attribute, not a sub-attribute" },
	{ "emails[x[y pr]]",			"error: value filters cannot nest" },
};

static void
patch_paths(void **state)
{
	(void)state;
	ROWS(path, paths);
}

/* --- compiling what SCIM added ------------------------------------------------------ */

static const struct ffield fields[] = {
	{ .name = "ext",	.sql = "u.ext",		.type = FT_EXACT },
	{ .name = "name",	.sql = "u.name_lc",	.type = FT_LOWER },
	{ .name = "emails",	.sql = "jsonb_array_elements(u.emails) v WHERE TRUE", .type = FT_VALUES,
	  .like_pre = "u.id IN (SELECT f(", .like_post = "))" },
	{ .name = "emails.value", .sql = "(v->>'value')", .type = FT_TEXT },
	{ .name = "emails.type", .sql = "(v->>'type')", .type = FT_TEXT },
	{ .name = "emails.primary", .sql = "(v->>'primary')::boolean", .type = FT_BOOL },
	{ .name = "phones",	.sql = "p WHERE p.u = u.id", .type = FT_VALUES },
	{ .name = "phones.value", .sql = "p.v",	.type = FT_TEXT },
};

/*
 * A SCIM filter as SQL: "<sql> | p1 | p2 …" with parameters from $1, or
 * "error <field>: <message>". The statement is built in the arena's text.
 */
static const char *
compile(struct fx *f, const char *s)
{
	struct fsql	 o = { .first_param = 1 };
	struct fnode	*n = parse(f, s) && strncmp(buf_cstr(&f->out), "error", 5) != 0 ?
			    filter_parse_scim(&f->a, s, &f->e) : NULL;
	struct buf	 sql;
	int		 rc;

	if (n == NULL)
		fail_msg("%s does not parse: %s", s, f->e.msg);
	buf_init(&sql);
	o.sql = &sql;
	rc = filter_compile(&f->a, n, fields, sizeof(fields) / sizeof(fields[0]),
	    "not filterable by ", &o, &f->e);
	buf_reset(&f->out);
	if (rc == 0) {
		buf_puts(&f->out, buf_cstr(&sql));
		for (int i = 0; i < o.nparams; i++)
			buf_printf(&f->out, " | %s", o.params[i]);
	} else {
		assert_int_equal(f->e.status, CORE_INVALID);
		buf_printf(&f->out, "error %s: %s", f->e.field, f->e.msg);
	}
	buf_free(&sql);
	return buf_cstr(&f->out);
}

static const struct row compiled[] = {
	/* Case-exact text: compared as it is, on its "C" column. */
	{ "ext eq \"AbC\"",		"u.ext = $1::text | AbC" },
	/* An unassigned value (NULL) is "ne" anything, as it is "not (eq)". */
	{ "ext ne \"AbC\"",		"u.ext IS DISTINCT FROM $1::text | AbC" },
	{ "ext sw \"Ab\"",		"u.ext LIKE $1::text ESCAPE '\\' | Ab%" },
	{ "ext co \"5%\"",		"u.ext LIKE $1::text ESCAPE '\\' | %5\\%%" },
	{ "ext pr",			"(u.ext IS NOT NULL AND u.ext <> '')" },
	{ "name eq \"AbC\"",		"u.name_lc = lower($1::text) COLLATE \"C\" | AbC" },
	/* A value path is EXISTS over the values; value eq adds the indexed pre-filter. */
	{ "emails[type eq \"work\"]",
	  "(EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v WHERE TRUE AND "
	  "lower((v->>'type')) = lower($1::text))) | work" },
	{ "emails[type eq \"work\" and value eq \"A@x\"]",
	  "(u.id IN (SELECT f(lower($1::text))) AND EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v "
	  "WHERE TRUE AND (lower((v->>'type')) = lower($2::text) AND lower((v->>'value')) = "
	  "lower($3::text)))) | A@x | work | A@x" },
	{ "emails[primary eq true]",
	  "(EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v WHERE TRUE AND "
	  "(v->>'primary')::boolean = $1::boolean)) | true" },
	/* A sub-attribute path, or the attribute itself, is a value filter on "value". */
	{ "emails.value eq \"A@x\"",
	  "(u.id IN (SELECT f(lower($1::text))) AND EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v "
	  "WHERE TRUE AND lower((v->>'value')) = lower($2::text))) | A@x | A@x" },
	{ "emails co \"@x\"",
	  "(EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v WHERE TRUE AND "
	  "lower((v->>'value')) LIKE lower($1) ESCAPE '\\')) | %@x%" },
	{ "phones[value sw \"+44\"]",
	  "(EXISTS (SELECT 1 FROM p WHERE p.u = u.id AND lower(p.v) LIKE lower($1) ESCAPE '\\')) | +44%" },
	{ "emails pr",			"EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v WHERE TRUE)" },
	{ "not (emails pr) or ext eq \"x\"",
	  "((EXISTS (SELECT 1 FROM jsonb_array_elements(u.emails) v WHERE TRUE)) IS NOT TRUE"
	  " OR u.ext = $1::text) | x" },
	/* Refusals name the field. */
	{ "ext[value pr]",		"error ext: ext takes no [filter]: it has one value" },
	{ "nope[value pr]",		"error nope: not filterable by nope" },
	{ "emails[nope eq \"x\"]",	"error nope: not filterable by nope" },
	{ "emails[primary gt true]",	"error emails.primary: emails.primary can only be compared for equality" },
	{ "emails.nope eq \"x\"",	"error nope: not filterable by nope" },
	{ "emails.value eq \"\\u0001\"",	"error emails.value: emails.value must be text" },
};

static void
compiles_what_scim_added(void **state)
{
	(void)state;
	ROWS(compile, compiled);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attribute_comparisons),
		cmocka_unit_test(logical_operators_and_grouping),
		cmocka_unit_test(value_path_filters),
		cmocka_unit_test(errors_name_the_filter),
		cmocka_unit_test(limits),
		cmocka_unit_test(patch_paths),
		cmocka_unit_test(compiles_what_scim_added),
	};

	return cmocka_run_group_tests(tests, group_up, group_down);
}
