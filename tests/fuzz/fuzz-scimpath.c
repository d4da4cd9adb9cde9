/*
 * fuzz-scimpath.c: libFuzzer harness for filter_scim_path, the PATCH path
 * parser. The input is a `path`. An accepted path has an attribute name
 * (and maybe a URI, a sub-attribute, a well-formed value filter); written
 * back as [uri:]attr[filter][.sub] it parses to the same parts. A refusal
 * names "path".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/filter.h"

#include "scim-tree.h"

/* A path's parts as one comparable line. */
static void
parts(struct buf *b, const struct fpath *p)
{
	buf_printf(b, "%s|%s|%s|", p->uri ? p->uri : "-", p->attr, p->sub ? p->sub : "-");
	if (p->filter != NULL)
		tree_print(b, p->filter);
}

static void
write_path(struct buf *b, const struct fpath *p)
{
	if (p->uri != NULL)
		buf_printf(b, "%s:", p->uri);
	buf_puts(b, p->attr);
	if (p->filter != NULL) {
		buf_putc(b, '[');
		unparse(b, p->filter);
		buf_putc(b, ']');
	}
	if (p->sub != NULL)
		buf_printf(b, ".%s", p->sub);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct core_err	 e;
	struct fpath	 p, q;
	struct buf	 text, want, got;
	char		*in;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	arena_init(&a, 4 << 20);
	memset(&e, 0, sizeof(e));
	if (filter_scim_path(&a, in, &p, &e) != 0) {
		if (e.status != CORE_INVALID || strcmp(e.field, "path") != 0 || e.msg[0] == '\0')
			abort();
		goto done;
	}
	if (p.attr == NULL || p.attr[0] == '\0' || strpbrk(p.attr, ".:[] ") != NULL ||
	    (p.uri != NULL && p.uri[0] == '\0') ||
	    (p.sub != NULL && (p.sub[0] == '\0' || strpbrk(p.sub, ".:[] ") != NULL)) ||
	    (p.filter != NULL && tree_ok(p.filter, 1) > FILTER_MAX_TERMS))
		abort();
	buf_init(&text);
	buf_init(&want);
	buf_init(&got);
	write_path(&text, &p);
	if (!text.failed && text.len <= 4096) {
		if (filter_scim_path(&a, buf_cstr(&text), &q, &e) != 0) {
			fprintf(stderr, "written back as %s: %s\n", buf_cstr(&text), e.msg);
			abort();
		}
		parts(&want, &p);
		parts(&got, &q);
		if (strcmp(buf_cstr(&want), buf_cstr(&got)) != 0) {
			fprintf(stderr, "%s\n  was   %s\n  again %s\n", buf_cstr(&text), buf_cstr(&want),
			    buf_cstr(&got));
			abort();
		}
	}
	buf_free(&text);
	buf_free(&want);
	buf_free(&got);
done:
	arena_free(&a);
	free(in);
	return 0;
}
