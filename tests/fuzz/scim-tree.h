/*
 * scim-tree.h: what the SCIM harnesses (fuzz-scimfilter.c, fuzz-scimpath.c)
 * share: checking a tree filter_scim.c built, printing it for comparison and
 * writing it back as SCIM filter text. Static functions, included by each.
 */
#ifndef FUZZ_SCIM_TREE_H
#define FUZZ_SCIM_TREE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/filter.h"

#include "scim-ops.h"

/* A well-formed tree: returns its comparisons (value paths count their own). */
static int
tree_ok(const struct fnode *n, int in_value)
{
	switch (n->kind) {
	case FN_AND:
	case FN_OR:
		if (n->a == NULL || n->b == NULL)
			abort();
		return tree_ok(n->a, in_value) + tree_ok(n->b, in_value);
	case FN_NOT:
		if (n->a == NULL || n->b != NULL)
			abort();
		return tree_ok(n->a, in_value);
	case FN_VALUE:
		if (in_value || n->a == NULL || n->field == NULL || n->field[0] == '\0')
			abort();
		return tree_ok(n->a, 1);
	case FN_CMP:
		if (n->field == NULL || n->field[0] == '\0' || n->value == NULL ||
		    n->op == FOP_WILDCARD || n->op == FOP_RANGE || (unsigned)n->op >= FOP__MAX ||
		    (n->op == FOP_PRESENT && n->value[0] != '\0'))
			abort();
		return 1;
	}
	abort();
}

/* Length-prefixed, so no value can pass for structure. */
static void
tree_print(struct buf *b, const struct fnode *n)
{
	if (n->kind == FN_CMP) {
		buf_printf(b, "<%zu:%s %d %zu:%s>", strlen(n->field), n->field, (int)n->op,
		    strlen(n->value), n->value);
		return;
	}
	buf_printf(b, "(%d", (int)n->kind);
	if (n->kind == FN_VALUE)
		buf_printf(b, " %zu:%s", strlen(n->field), n->field);
	buf_putc(b, ' ');
	tree_print(b, n->a);
	if (n->b != NULL) {
		buf_putc(b, ' ');
		tree_print(b, n->b);
	}
	buf_putc(b, ')');
}

/* A JSON string: every byte that is not printable ASCII, and " and \, escaped. */
static void
put_string(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

static void unparse(struct buf *, const struct fnode *);

/* n, in parentheses when its operator binds more loosely than where it stands. */
static void
operand(struct buf *b, const struct fnode *n, int paren)
{
	buf_puts(b, paren ? "(" : "");
	unparse(b, n);
	buf_puts(b, paren ? ")" : "");
}

static void
unparse(struct buf *b, const struct fnode *n)
{
	switch (n->kind) {
	case FN_AND:
		operand(b, n->a, n->a->kind == FN_OR);
		buf_puts(b, " and ");
		operand(b, n->b, n->b->kind != FN_CMP && n->b->kind != FN_VALUE &&
		    n->b->kind != FN_NOT);
		return;
	case FN_OR:
		operand(b, n->a, 0);
		buf_puts(b, " or ");
		operand(b, n->b, n->b->kind == FN_OR);
		return;
	case FN_NOT:
		buf_puts(b, "not (");
		unparse(b, n->a);
		buf_putc(b, ')');
		return;
	case FN_VALUE:
		buf_printf(b, "%s[", n->field);
		unparse(b, n->a);
		buf_putc(b, ']');
		return;
	case FN_CMP:
		break;
	}
	buf_printf(b, "%s ", n->field);
	if (n->op == FOP_PRESENT)
		buf_puts(b, "pr");
	else {
		buf_printf(b, "%s ", scim_op_names[n->op]);
		put_string(b, n->value);
	}
}

/*
 * Written back and parsed again by parse, a tree is the same tree (what a
 * longer text than the parser takes is left out).
 */
static void
round_trip(const struct fnode *n, const char *(*write)(struct buf *, const struct fnode *),
    struct fnode *(*parse)(struct arena *, const char *))
{
	struct arena	 a;
	struct buf	 text, want, got;
	struct fnode	*again;

	buf_init(&text);
	if (write(&text, n) == NULL || text.failed)
		abort();
	if (text.len <= 4096) {
		arena_init(&a, 1 << 20);
		buf_init(&want);
		buf_init(&got);
		if ((again = parse(&a, buf_cstr(&text))) == NULL) {
			fprintf(stderr, "written back as %s: refused\n", buf_cstr(&text));
			abort();
		}
		tree_print(&want, n);
		tree_print(&got, again);
		if (strcmp(buf_cstr(&want), buf_cstr(&got)) != 0) {
			fprintf(stderr, "written back as %s\n  tree  %s\n  again %s\n",
			    buf_cstr(&text), buf_cstr(&want), buf_cstr(&got));
			abort();
		}
		buf_free(&want);
		buf_free(&got);
		arena_free(&a);
	}
	buf_free(&text);
}

#endif
