/*
 * fuzz-lucene.c: libFuzzer harness for filter_parse_lucene and filter_compile.
 * The input is a `q` value. An accepted query must give a well-formed tree
 * within the term limit; written back out as Lucene text (escaped, with only
 * the parentheses the precedence needs) it must parse to the same tree. The
 * tree is then compiled against a small field table of every type (three
 * of them taking bare terms): the SQL must be made of the compiler's words
 * only (so no value reached it), number its placeholders in order and
 * balance its parentheses. A refusal must name the field, or q with the
 * character it stopped at.
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

/* One field of each type and each SQL shape; names short enough for the fuzzer to find. */
static const char *const choices[] = { "on", "off", NULL };
static const struct ffield fields[] = {
	{ .name = "t", .sql = "u.t", .type = FT_TEXT },
	{ .name = "w", .sql = "u.w", .type = FT_TEXT, .like_pre = "u.id IN (SELECT f('w', ",
	  .like_post = "))", .bare = true },
	{ .name = "l", .sql = "u.l", .type = FT_LOWER, .rev_sql = "u.l_rev", .bare = true },
	{ .name = "s", .sql = "u.s", .type = FT_LOWER, .like_pre = "u.id IN (SELECT f('s', ",
	  .like_post = "))", .bare = true },
	{ .name = "b", .sql = "u.b", .type = FT_BOOL },
	{ .name = "i", .sql = "u.i", .type = FT_INT },
	{ .name = "d", .sql = "u.d", .type = FT_DATE },
	{ .name = "m", .sql = "u.m", .type = FT_TIME },
	{ .name = "e", .sql = "u.e", .type = FT_ENUM, .choices = choices },
	{ .name = "u", .sql = "u.u", .type = FT_UUID },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/* --- the tree ------------------------------------------------------------------ */

/* Checks shape and counts comparisons; returns the tree's height. */
static int
check_tree(const struct fnode *n, int *terms)
{
	int l, r;

	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		if (n->a == NULL || n->b == NULL)
			abort();
		l = check_tree(n->a, terms);
		r = check_tree(n->b, terms);
		return 1 + (l > r ? l : r);
	case FN_NOT:
		if (n->a == NULL || n->b != NULL)
			abort();
		return 1 + check_tree(n->a, terms);
	case FN_CMP:
		(*terms)++;
		/* A bare term has no field; a named one is never empty. */
		if ((n->field != NULL && n->field[0] == '\0') || (unsigned)n->op >= FOP__MAX ||
		    n->op == FOP_NE)
			abort();
		/* A range has at least one end ([* TO *] is presence); NULL is an open end. */
		if (n->op == FOP_RANGE) {
			if (n->value == NULL && n->value2 == NULL)
				abort();
			return 1;
		}
		if (n->value == NULL)
			abort();
		/* Only a phrase may be empty; a present test carries "". */
		if (n->value[0] == '\0' && n->op != FOP_EQ && n->op != FOP_PRESENT)
			abort();
		return 1;
	}
	abort();
}

/* A canonical print, to compare two trees. */
static void
print(struct buf *b, const struct fnode *n)
{
	switch (n->kind) {
	case FN_AND:
	case FN_OR:
	case FN_NOT:
		buf_printf(b, "(%d ", (int)n->kind);
		print(b, n->a);
		if (n->b != NULL) {
			buf_putc(b, ' ');
			print(b, n->b);
		}
		buf_putc(b, ')');
		break;
	case FN_CMP:
		if (n->field == NULL)
			buf_puts(b, "[bare");
		else
			buf_printf(b, "[%zu:%s", strlen(n->field), n->field);
		buf_printf(b, " %d", (int)n->op);
		if (n->value != NULL)
			buf_printf(b, " %zu:%s", strlen(n->value), n->value);
		else
			buf_puts(b, " open");
		if (n->op == FOP_RANGE) {
			buf_printf(b, " %d%d", n->lo_incl, n->hi_incl);
			if (n->value2 != NULL)
				buf_printf(b, " %zu:%s", strlen(n->value2), n->value2);
			else
				buf_puts(b, " open");
		}
		buf_putc(b, ']');
		break;
	}
}

/* --- writing a tree back as Lucene text ---------------------------------------- */

/* Literal text: a backslash before every byte that could end or change a token. */
static void
put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s))
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

/* A FOP_WILDCARD pattern: its bare * and ? stay bare, \x is a literal x. */
static void
put_pattern(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '*' || *s == '?') {
			buf_putc(b, *s);
			continue;
		}
		if (*s == '\\' && s[1] != '\0')
			s++;
		if (!isalnum((unsigned char)*s))
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

static void
put_phrase(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void
unparse(struct buf *b, const struct fnode *n);

static void
unparse_group(struct buf *b, const struct fnode *n, int paren)
{
	if (paren)
		buf_putc(b, '(');
	unparse(b, n);
	if (paren)
		buf_putc(b, ')');
}

static void
unparse(struct buf *b, const struct fnode *n)
{
	switch (n->kind) {
	case FN_AND:
		/* Left-associative, and tighter than OR. */
		unparse_group(b, n->a, n->a->kind == FN_OR);
		buf_puts(b, " AND ");
		unparse_group(b, n->b, n->b->kind == FN_OR || n->b->kind == FN_AND);
		return;
	case FN_OR:
		unparse_group(b, n->a, 0);
		buf_puts(b, " OR ");
		unparse_group(b, n->b, n->b->kind == FN_OR);
		return;
	case FN_NOT:
		buf_putc(b, '-');
		unparse_group(b, n->a, n->a->kind == FN_OR || n->a->kind == FN_AND);
		return;
	case FN_CMP:
		break;
	}
	if (n->field != NULL) {
		put_escaped(b, n->field);
		buf_putc(b, ':');
	}
	switch (n->op) {
	case FOP_EQ:
		put_phrase(b, n->value);
		break;
	case FOP_GT:
	case FOP_GE:
	case FOP_LT:
	case FOP_LE:
		buf_puts(b, n->op == FOP_GT ? ">" : n->op == FOP_GE ? ">=" :
		    n->op == FOP_LT ? "<" : "<=");
		put_escaped(b, n->value);
		break;
	case FOP_PREFIX:
		put_escaped(b, n->value);
		buf_putc(b, '*');
		break;
	case FOP_SUFFIX:
	case FOP_CONTAINS:
		buf_putc(b, '*');
		put_escaped(b, n->value);
		if (n->op == FOP_CONTAINS)
			buf_putc(b, '*');
		break;
	case FOP_WILDCARD:
		put_pattern(b, n->value);
		break;
	case FOP_PRESENT:
		buf_putc(b, '*');
		break;
	case FOP_RANGE:
		/* Bounds as phrases (literal), an open end as a bare *. */
		buf_putc(b, n->lo_incl ? '[' : '{');
		if (n->value != NULL)
			put_phrase(b, n->value);
		else
			buf_putc(b, '*');
		buf_puts(b, " TO ");
		if (n->value2 != NULL)
			put_phrase(b, n->value2);
		else
			buf_putc(b, '*');
		buf_putc(b, n->hi_incl ? ']' : '}');
		break;
	default:
		abort();
	}
}

static void
check_round_trip(const struct fnode *n)
{
	struct arena	 a;
	struct buf	 text, want, got;
	struct core_err	 e;
	struct fnode	*again;

	buf_init(&text);
	unparse(&text, n);
	if (text.failed)
		abort();
	/* Escapes can push a query at the length limit past it. */
	if (text.len > 4096) {
		buf_free(&text);
		return;
	}
	arena_init(&a, 1 << 20);
	buf_init(&want);
	buf_init(&got);
	if ((again = filter_parse_lucene(&a, buf_cstr(&text), &e)) == NULL) {
		fprintf(stderr, "written back as \"%s\", refused: %s\n", buf_cstr(&text), e.msg);
		abort();
	}
	print(&want, n);
	print(&got, again);
	if (strcmp(buf_cstr(&want), buf_cstr(&got)) != 0) {
		fprintf(stderr, "written back as \"%s\"\n  tree  %s\n  again %s\n", buf_cstr(&text),
		    buf_cstr(&want), buf_cstr(&got));
		abort();
	}
	buf_free(&text);
	buf_free(&want);
	buf_free(&got);
	arena_free(&a);
}

/* --- compiling --------------------------------------------------------------------- */

/* Words the compiler may write: SQL, and the table's own expressions. */
static const char *const sql_words[] = {
	"AND", "OR", "NOT", "IS", "NULL", "LIKE", "ESCAPE", "COLLATE", "TRUE", "IN", "SELECT",
	"lower", "reverse", "f", "U", "text", "boolean", "bigint", "date", "timestamptz", "uuid",
	"gatehouse.utc_day", "DISTINCT", "FROM", "NULLIF", "interval",
	"u.id", "u.t", "u.w", "u.l", "u.l_rev", "u.s", "u.b", "u.i", "u.d", "u.m", "u.e", "u.u",
};
/*
 * The only literals: the empty string, LIKE's escape, the top code point, search function
 * arguments, the spans a time less precise than the microsecond stands for.
 */
static const char *const sql_literals[] = { "''", "'\\'", "'\\+10FFFF'", "'w'", "'s'",
	"'1 minute'", "'1 second'", "'100 milliseconds'", "'10 milliseconds'", "'1 millisecond'",
	"'100 microseconds'", "'10 microseconds'" };

static int
listed(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

/*
 * The SQL is made of listed words, listed literals, "C", punctuation and
 * numbers only, so no value reached it; placeholders run $first.. in order,
 * each once; parentheses balance.
 */
static void
check_sql(const char *sql, const struct fsql *o)
{
	int		 next = o->first_param, depth = 0;
	const char	*s = sql, *end;

	while (*s) {
		if (*s == '\'') {
			if ((end = strchr(s + 1, '\'')) == NULL ||
			    !listed(sql_literals, sizeof(sql_literals) / sizeof(sql_literals[0]), s,
			    (size_t)(end + 1 - s)))
				abort();
			s = end + 1;
		} else if (*s == '"') {
			if (strncmp(s, "\"C\"", 3) != 0)
				abort();
			s += 3;
		} else if (isalpha((unsigned char)*s)) {
			for (end = s; isalnum((unsigned char)*end) || *end == '_' || *end == '.'; end++)
				;
			if (!listed(sql_words, sizeof(sql_words) / sizeof(sql_words[0]), s,
			    (size_t)(end - s)))
				abort();
			s = end;
		} else if (*s == '$') {
			long v = strtol(s + 1, (char **)&end, 10);

			if (end == s + 1 || v != next++)
				abort();
			s = end;
		} else if (*s == '(' || *s == ')') {
			depth += *s == '(' ? 1 : -1;
			if (depth < 0)
				abort();
			s++;
		} else if (strchr(" ,:<>=+|&1", *s) != NULL)
			s++;
		else
			abort();
	}
	if (depth != 0 || next != o->first_param + o->nparams)
		abort();
}

static int
known_field(const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return 1;
	return 0;
}

static void
compile(struct arena *a, const struct fnode *n, uint8_t first)
{
	struct buf	sql;
	struct fsql	o;
	struct core_err	e;

	buf_init(&sql);
	memset(&o, 0, sizeof(o));
	memset(&e, 0, sizeof(e));
	o.sql = &sql;
	o.first_param = 1 + first % 8;
	if (filter_compile(a, n, fields, NFIELDS, "not filterable by ", &o, &e) == 0) {
		if (sql.failed || sql.len == 0 || o.nparams > FILTER_MAX_PARAMS)
			abort();
		check_sql(buf_cstr(&sql), &o);
		for (int i = 0; i < o.nparams; i++)
			if (o.params[i] == NULL)
				abort();
	} else if (e.status != CORE_INVALID || e.msg[0] == '\0' ||
	    (strcmp(e.field, "q") != 0 && !known_field(e.field) &&
	    strncmp(e.msg, "not filterable by ", 18) != 0))
		abort();
	buf_free(&sql);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct core_err	 e;
	struct fnode	*n;
	char		*q;
	int		 terms = 0;

	/* The query as the request layer hands it over: a C string, exactly sized. */
	if ((q = malloc(size + 1)) == NULL)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';

	arena_init(&a, 4 << 20);
	memset(&e, 0, sizeof(e));
	if ((n = filter_parse_lucene(&a, q, &e)) != NULL) {
		if (strlen(q) > 4096)
			abort();
		/* Each level of the tree is a binary operator, or a NOT within the depth limit. */
		if (check_tree(n, &terms) > FILTER_MAX_TERMS + FILTER_MAX_DEPTH || terms == 0 ||
		    terms > FILTER_MAX_TERMS)
			abort();
		check_round_trip(n);
		compile(&a, n, size ? data[0] : 0);
	} else if (e.status != CORE_INVALID || strcmp(e.field, "q") != 0 || e.msg[0] == '\0')
		abort();
	arena_free(&a);
	free(q);
	return 0;
}
