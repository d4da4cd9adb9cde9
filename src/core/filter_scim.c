/*
 * filter_scim.c: the SCIM filter grammar (RFC 7644 §3.4.2.2) and PATCH paths
 * (§3.5.2) into the one filter AST of filter.h, which filter.c compiles.
 *
 * Grammar, loosest first (keywords and operators in any case):
 *
 *	filter	:= or
 *	or	:= and ("or" and)*
 *	and	:= unary ("and" unary)*
 *	unary	:= "not" "(" or ")" | "(" or ")" | term
 *	term	:= path "[" or "]" ["." name (op value | "pr")]
 *		 | path "pr" | path op value
 *	path	:= [uri ":"] name ["." name]
 *	op	:= eq | ne | co | sw | ew | gt | ge | lt | le
 *	value	:= JSON string | JSON number | true | false | null | bare word
 *
 * Inside [ ] names are relative to the attribute and [ ] cannot nest.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/filter.h"

#define SCIM_FILTER_MAX	4096	/* bytes of a filter or path */

struct sparse {
	struct arena	*a;
	const char	*s;		/* cursor */
	const char	*what;		/* "filter" or "path": the field errors name */
	int		 terms;
	int		 depth;
	bool		 in_value;	/* inside [ ]: no nested value paths */
	struct core_err	*e;
	bool		 failed;
};

static struct fnode *sp_or(struct sparse *);

static void
sfail(struct sparse *p, const char *msg)
{
	if (!p->failed)
		core_fail(p->e, CORE_INVALID, p->what, "%s", msg);
	p->failed = true;
}

static void
sp_ws(struct sparse *p)
{
	while (*p->s == ' ' || *p->s == '\t')
		p->s++;
}

/* True (and consumed) when the input continues with word w, in any case, as a whole word. */
static bool
sp_word(struct sparse *p, const char *w)
{
	size_t n = strlen(w);
	char c;

	if (strncasecmp(p->s, w, n) != 0)
		return false;
	c = p->s[n];
	if (isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '$')
		return false;
	p->s += n;
	return true;
}

static struct fnode *
sp_node(struct sparse *p, enum fnode_kind k, struct fnode *a, struct fnode *b)
{
	struct fnode *n = arena_alloc(p->a, sizeof(*n));

	if (n == NULL) {
		sfail(p, "filter too large");
		return NULL;
	}
	n->kind = k;
	n->a = a;
	n->b = b;
	return n;
}

static bool
name_start(char c)
{
	return isalpha((unsigned char)c) || c == '$';
}

static bool
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '$';
}

/* Checks name("." name)? over [s, end). */
static bool
names_ok(const char *s, const char *end)
{
	int dots = 0;

	if (s == end || !name_start(*s))
		return false;
	for (const char *c = s + 1; c < end; c++) {
		if (*c == '.') {
			if (++dots > 1 || c + 1 == end || !name_start(c[1]))
				return false;
		} else if (!name_char(*c))
			return false;
	}
	return true;
}

/*
 * An attribute path: [uri ":"] name ["." name]. The URI runs to the last
 * ':' (schema URNs hold dots, "2.0"), so what follows it is the name.
 */
static char *
sp_path(struct sparse *p)
{
	const char *start = p->s, *colon = NULL;

	while (*p->s && (name_char(*p->s) || *p->s == '.' || *p->s == ':')) {
		if (*p->s == ':')
			colon = p->s;
		p->s++;
	}
	if (!names_ok(colon ? colon + 1 : start, p->s) || (colon && colon == start)) {
		sfail(p, "expected an attribute name");
		return NULL;
	}
	return arena_strndup(p->a, start, (size_t)(p->s - start));
}

/* Appends the UTF-8 of code point cp. */
static void
put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | cp >> 6));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | cp >> 12));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | cp >> 18));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Four hex digits at s, or -1. */
static long
hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return v;
}

/* A JSON string (RFC 8259 escapes, \u with surrogate pairs); NUL is refused. */
static char *
sp_string(struct sparse *p)
{
	struct buf	 b;
	char		*out = NULL;

	buf_init(&b);
	p->s++;
	while (*p->s && *p->s != '"') {
		unsigned char ch = (unsigned char)*p->s;

		if (ch < 0x20) {
			sfail(p, "control character in a string");
			goto done;
		}
		if (ch != '\\') {
			buf_putc(&b, *p->s++);
			continue;
		}
		p->s++;
		switch (*p->s) {
		case '"': case '\\': case '/':
			buf_putc(&b, *p->s);
			break;
		case 'b': buf_putc(&b, '\b'); break;
		case 'f': buf_putc(&b, '\f'); break;
		case 'n': buf_putc(&b, '\n'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'u': {
			long cp = hex4(p->s + 1), lo;

			if (cp < 0) {
				sfail(p, "bad \\u escape in a string");
				goto done;
			}
			p->s += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->s[1] != '\\' || p->s[2] != 'u' || (lo = hex4(p->s + 3)) < 0xdc00 ||
				    lo > 0xdfff) {
					sfail(p, "unpaired surrogate in a string");
					goto done;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p->s += 6;
			} else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
				sfail(p, "bad \\u escape in a string");
				goto done;
			}
			put_utf8(&b, (unsigned)cp);
			break;
		}
		default:
			sfail(p, "bad escape in a string");
			goto done;
		}
		p->s++;
	}
	if (*p->s != '"') {
		sfail(p, "unterminated string");
		goto done;
	}
	p->s++;
	if (b.failed)
		sfail(p, "filter too large");
	else
		out = arena_strndup(p->a, b.data ? b.data : "", b.len);
done:
	buf_free(&b);
	return out;
}

/* A JSON number over [s, end). */
static bool
json_number(const char *s, const char *end)
{
	if (s < end && *s == '-')
		s++;
	if (s == end || !isdigit((unsigned char)*s))
		return false;
	if (*s == '0')
		s++;
	else
		while (s < end && isdigit((unsigned char)*s))
			s++;
	if (s < end && *s == '.') {
		if (++s == end || !isdigit((unsigned char)*s))
			return false;
		while (s < end && isdigit((unsigned char)*s))
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s == end || !isdigit((unsigned char)*s))
			return false;
		while (s < end && isdigit((unsigned char)*s))
			s++;
	}
	return s == end;
}

/*
 * A comparison value into n: a string; true, false or a number as their
 * text; null as a presence test (eq null: absent, ne null: present).
 */
static void
sp_value(struct sparse *p, struct fnode *n, bool *negate)
{
	const char *start = p->s;

	*negate = false;
	if (*p->s == '"') {
		n->value = sp_string(p);
		return;
	}
	while (*p->s && *p->s != ' ' && *p->s != '\t' && *p->s != ')' && *p->s != ']' &&
	    *p->s != '(' && *p->s != '[' && *p->s != '"')
		p->s++;
	if (p->s == start) {
		sfail(p, "expected a value");
		return;
	}
	if ((size_t)(p->s - start) == 4 && strncasecmp(start, "null", 4) == 0) {
		if (n->op != FOP_EQ && n->op != FOP_NE) {
			sfail(p, "null can only be compared with eq or ne");
			return;
		}
		*negate = n->op == FOP_EQ;
		n->op = FOP_PRESENT;
		n->value = "";
		return;
	}
	if (((size_t)(p->s - start) == 4 && strncasecmp(start, "true", 4) == 0) ||
	    ((size_t)(p->s - start) == 5 && strncasecmp(start, "false", 5) == 0))
		n->value = start[0] == 't' || start[0] == 'T' ? "true" : "false";
	else if (json_number(start, p->s))
		n->value = arena_strndup(p->a, start, (size_t)(p->s - start));
	else	/* an unquoted word: a string, as identity providers send it */
		n->value = arena_strndup(p->a, start, (size_t)(p->s - start));
	if (n->value == NULL)
		sfail(p, "filter too large");
}

static const struct { const char *name; enum fop op; } ops[] = {
	{ "eq", FOP_EQ }, { "ne", FOP_NE }, { "co", FOP_CONTAINS }, { "sw", FOP_PREFIX },
	{ "ew", FOP_SUFFIX }, { "gt", FOP_GT }, { "ge", FOP_GE }, { "lt", FOP_LT }, { "le", FOP_LE },
};

/* "pr", or an operator and its value, after an attribute path, into a comparison node. */
static struct fnode *
sp_compare(struct sparse *p, const char *field)
{
	struct fnode	*n;
	bool		 negate, found = false;

	if (++p->terms > FILTER_MAX_TERMS) {
		sfail(p, "filter has too many terms");
		return NULL;
	}
	if ((n = sp_node(p, FN_CMP, NULL, NULL)) == NULL)
		return NULL;
	n->field = field;
	if (*p->s != ' ' && *p->s != '\t') {
		sfail(p, "expected an operator after the attribute");
		return NULL;
	}
	sp_ws(p);
	if (sp_word(p, "pr")) {
		n->op = FOP_PRESENT;
		n->value = "";
		return n;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !found; i++)
		if (sp_word(p, ops[i].name)) {
			n->op = ops[i].op;
			found = true;
		}
	if (!found) {
		sfail(p, "expected an operator: eq, ne, co, sw, ew, gt, ge, lt, le or pr");
		return NULL;
	}
	if (*p->s != ' ' && *p->s != '\t') {
		sfail(p, "expected a value after the operator");
		return NULL;
	}
	sp_ws(p);
	sp_value(p, n, &negate);
	if (p->failed)
		return NULL;
	return negate ? sp_node(p, FN_NOT, n, NULL) : n;
}

/* attr[filter], and the .sub op value that may follow it. */
static struct fnode *
sp_valuepath(struct sparse *p, const char *field)
{
	struct fnode	*inner, *n;
	const char	*start;

	if (p->in_value) {
		sfail(p, "value filters cannot nest");
		return NULL;
	}
	if (strchr(strrchr(field, ':') ? strrchr(field, ':') : field, '.') != NULL) {
		sfail(p, "a value filter applies to an attribute, not a sub-attribute");
		return NULL;
	}
	p->s++;
	p->in_value = true;
	inner = sp_or(p);
	p->in_value = false;
	if (inner == NULL)
		return NULL;
	sp_ws(p);
	if (*p->s != ']') {
		sfail(p, "missing ]");
		return NULL;
	}
	p->s++;
	if (*p->s == '.') {
		struct fnode *cmp;

		start = ++p->s;
		while (name_char(*p->s))
			p->s++;
		if (!names_ok(start, p->s)) {
			sfail(p, "expected a sub-attribute name after ].");
			return NULL;
		}
		if ((cmp = sp_compare(p, arena_strndup(p->a, start, (size_t)(p->s - start)))) == NULL ||
		    (inner = sp_node(p, FN_AND, inner, cmp)) == NULL)
			return NULL;
	}
	if ((n = sp_node(p, FN_VALUE, inner, NULL)) != NULL)
		n->field = field;
	return n;
}

static struct fnode *
sp_group(struct sparse *p)
{
	struct fnode *n;

	if (++p->depth > FILTER_MAX_DEPTH) {
		sfail(p, "filter nests too deeply");
		return NULL;
	}
	p->s++;
	if ((n = sp_or(p)) == NULL)
		return NULL;
	sp_ws(p);
	if (*p->s != ')') {
		sfail(p, "missing closing parenthesis");
		return NULL;
	}
	p->s++;
	p->depth--;
	return n;
}

static struct fnode *
sp_unary(struct sparse *p)
{
	struct fnode	*n;
	const char	*field, *save;

	sp_ws(p);
	save = p->s;
	if (sp_word(p, "not")) {
		sp_ws(p);
		if (*p->s == '(') {
			if ((n = sp_group(p)) == NULL)
				return NULL;
			return sp_node(p, FN_NOT, n, NULL);
		}
		p->s = save;	/* an attribute named "not…" */
	}
	if (*p->s == '(')
		return sp_group(p);
	if (*p->s == '\0' || *p->s == ')' || *p->s == ']') {
		sfail(p, "expected a comparison");
		return NULL;
	}
	if ((field = sp_path(p)) == NULL)
		return NULL;
	if (*p->s == '[')
		return sp_valuepath(p, field);
	return sp_compare(p, field);
}

/* One operator between terms: and/or need spaces on both sides. */
static bool
sp_logical(struct sparse *p, const char *w)
{
	const char *save = p->s;

	if (*p->s != ' ' && *p->s != '\t')
		return false;
	sp_ws(p);
	if (sp_word(p, w) && (*p->s == ' ' || *p->s == '\t' || *p->s == '('))
		return true;
	p->s = save;
	return false;
}

static struct fnode *
sp_and(struct sparse *p)
{
	struct fnode *l = sp_unary(p), *r;

	while (l != NULL && !p->failed && sp_logical(p, "and")) {
		if ((r = sp_unary(p)) == NULL)
			return NULL;
		l = sp_node(p, FN_AND, l, r);
	}
	return l;
}

static struct fnode *
sp_or(struct sparse *p)
{
	struct fnode *l = sp_and(p), *r;

	while (l != NULL && !p->failed && sp_logical(p, "or")) {
		if ((r = sp_and(p)) == NULL)
			return NULL;
		l = sp_node(p, FN_OR, l, r);
	}
	return l;
}

struct fnode *
filter_parse_scim(struct arena *a, const char *filter, struct core_err *e)
{
	struct sparse	 p = { .a = a, .s = filter, .what = "filter", .e = e };
	struct fnode	*n;

	if (strlen(filter) > SCIM_FILTER_MAX) {
		core_fail(e, CORE_INVALID, "filter", "filter is longer than %d bytes", SCIM_FILTER_MAX);
		return NULL;
	}
	n = sp_or(&p);
	sp_ws(&p);
	if (n != NULL && !p.failed && *p.s != '\0')
		sfail(&p, *p.s == ')' ? "unbalanced closing parenthesis" :
		    *p.s == ']' ? "unbalanced ]" : "expected and, or or the end of the filter");
	return p.failed ? NULL : n;
}

int
filter_scim_path(struct arena *a, const char *path, struct fpath *out, struct core_err *e)
{
	struct sparse	 p = { .a = a, .s = path, .what = "path", .e = e };
	char		*raw, *colon, *dot;

	memset(out, 0, sizeof(*out));
	if (strlen(path) > SCIM_FILTER_MAX) {
		core_fail(e, CORE_INVALID, "path", "path is longer than %d bytes", SCIM_FILTER_MAX);
		return -1;
	}
	if ((raw = sp_path(&p)) == NULL)
		return -1;
	if ((colon = strrchr(raw, ':')) != NULL) {
		*colon = '\0';
		out->uri = raw;
		raw = colon + 1;
	}
	if ((dot = strchr(raw, '.')) != NULL) {
		*dot = '\0';
		out->sub = dot + 1;
	}
	out->attr = raw;
	if (*p.s == '[') {
		if (out->sub != NULL) {
			sfail(&p, "a value filter applies to an attribute, not a sub-attribute");
			return -1;
		}
		p.s++;
		p.in_value = true;
		out->filter = sp_or(&p);
		sp_ws(&p);
		if (p.failed)
			return -1;
		if (*p.s != ']') {
			sfail(&p, "missing ]");
			return -1;
		}
		p.s++;
		if (*p.s == '.') {
			const char *start = ++p.s;

			while (name_char(*p.s))
				p.s++;
			if (!names_ok(start, p.s) || memchr(start, '.', (size_t)(p.s - start))) {
				sfail(&p, "expected a sub-attribute name after ].");
				return -1;
			}
			out->sub = arena_strndup(a, start, (size_t)(p.s - start));
		}
	}
	if (*p.s != '\0') {
		sfail(&p, "unexpected text after the path");
		return -1;
	}
	return p.failed ? -1 : 0;
}
