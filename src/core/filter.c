/* filter.c: Lucene-style query parsing into a filter AST, and compilation to parameterised SQL. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/core.h"
#include "gatehouse/filter.h"
#include "gatehouse/validate.h"

/* --- construction ---------------------------------------------------------- */

static struct fnode *
node(struct arena *a, enum fnode_kind k, struct fnode *l, struct fnode *r)
{
	struct fnode *n = arena_alloc(a, sizeof(*n));

	if (n != NULL) {
		n->kind = k;
		n->a = l;
		n->b = r;
	}
	return n;
}

struct fnode *
filter_and(struct arena *a, struct fnode *l, struct fnode *r)
{
	if (l == NULL)
		return r;
	if (r == NULL)
		return l;
	return node(a, FN_AND, l, r);
}

struct fnode *
filter_cmp(struct arena *a, const char *field, enum fop op, const char *value)
{
	struct fnode *n = node(a, FN_CMP, NULL, NULL);

	if (n != NULL) {
		n->field = field;
		n->op = op;
		n->value = value;
	}
	return n;
}

/* --- Lucene parser ----------------------------------------------------------- */

struct lparse {
	struct arena	*a;
	const char	*s;		/* cursor */
	int		 terms;
	int		 depth;
	struct core_err	*e;
	bool		 failed;
};

static struct fnode *parse_or(struct lparse *);

static void
lfail(struct lparse *p, const char *msg)
{
	if (!p->failed)
		core_fail(p->e, CORE_INVALID, "q", "%s", msg);
	p->failed = true;
}

static void
skip_ws(struct lparse *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
}

/* True when the input continues with keyword kw as a whole word. */
static bool
keyword(struct lparse *p, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(p->s, kw, n) != 0)
		return false;
	if (p->s[n] != '\0' && !isspace((unsigned char)p->s[n]) && p->s[n] != '(')
		return false;
	p->s += n;
	return true;
}

/* Reads a bare word, honouring backslash escapes; stops at space, ')', or (if stop_colon) ':'. */
static char *
read_word(struct lparse *p, bool stop_colon, bool stop_bracket)
{
	struct buf	 b;
	char		*out;

	buf_init(&b);
	while (*p->s && !isspace((unsigned char)*p->s) && *p->s != ')' && *p->s != '(' &&
	    !(stop_colon && *p->s == ':') && !(stop_bracket && (*p->s == ']' || *p->s == '}'))) {
		if (*p->s == '\\' && p->s[1] != '\0')
			p->s++;
		buf_putc(&b, *p->s++);
	}
	out = b.failed ? NULL : arena_strndup(p->a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

static char *
read_phrase(struct lparse *p)
{
	struct buf	 b;
	char		*out;

	buf_init(&b);
	p->s++;					/* opening quote */
	while (*p->s && *p->s != '"') {
		if (*p->s == '\\' && p->s[1] != '\0')
			p->s++;
		buf_putc(&b, *p->s++);
	}
	if (*p->s != '"') {
		buf_free(&b);
		lfail(p, "unterminated quoted phrase");
		return NULL;
	}
	p->s++;
	out = b.failed ? NULL : arena_strndup(p->a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* Classifies a bare value by its wildcards and comparison prefix. */
static void
classify_value(struct lparse *p, struct fnode *n, char *v)
{
	size_t len = strlen(v);
	const char *inner;

	if (strncmp(v, ">=", 2) == 0 || strncmp(v, "<=", 2) == 0) {
		n->op = v[0] == '>' ? FOP_GE : FOP_LE;
		n->value = v + 2;
	} else if (v[0] == '>' || v[0] == '<') {
		n->op = v[0] == '>' ? FOP_GT : FOP_LT;
		n->value = v + 1;
	} else if (strcmp(v, "*") == 0) {
		n->op = FOP_PRESENT;
		n->value = "";
	} else if (strchr(v, '*') == NULL) {
		n->op = FOP_EQ;
		n->value = v;
	} else {
		inner = len > 2 ? strchr(v + 1, '*') : NULL;
		if (len > 2 && v[0] == '*' && v[len - 1] == '*' && inner == v + len - 1) {
			n->op = FOP_CONTAINS;
			v[len - 1] = '\0';
			n->value = v + 1;
		} else if (v[len - 1] == '*' && strchr(v, '*') == v + len - 1) {
			n->op = FOP_PREFIX;
			v[len - 1] = '\0';
			n->value = v;
		} else if (v[0] == '*' && strchr(v + 1, '*') == NULL) {
			n->op = FOP_SUFFIX;
			n->value = v + 1;
		} else {
			n->op = FOP_WILDCARD;
			n->value = v;
		}
	}
	if (n->value[0] == '\0' && n->op != FOP_PRESENT)
		lfail(p, "empty value after an operator");
}

static struct fnode *
parse_term(struct lparse *p)
{
	struct fnode	*n;
	char		*field;

	if (++p->terms > FILTER_MAX_TERMS) {
		lfail(p, "query has too many terms");
		return NULL;
	}
	field = read_word(p, true, false);
	if (field == NULL || *field == '\0' || *p->s != ':') {
		lfail(p, "expected field:value");
		return NULL;
	}
	p->s++;
	if ((n = filter_cmp(p->a, field, FOP_EQ, NULL)) == NULL) {
		lfail(p, "query too large");
		return NULL;
	}
	if (*p->s == '"') {
		n->value = read_phrase(p);
		n->op = FOP_EQ;
	} else if (*p->s == '[' || *p->s == '{') {
		n->op = FOP_RANGE;
		n->lo_incl = *p->s == '[';
		p->s++;
		skip_ws(p);
		n->value = read_word(p, false, true);
		skip_ws(p);
		if (!keyword(p, "TO")) {
			lfail(p, "range needs [low TO high]");
			return NULL;
		}
		skip_ws(p);
		n->value2 = read_word(p, false, true);
		skip_ws(p);
		if (*p->s != ']' && *p->s != '}') {
			lfail(p, "range is not closed with ] or }");
			return NULL;
		}
		n->hi_incl = *p->s == ']';
		p->s++;
		if (n->value == NULL || n->value2 == NULL || !*n->value || !*n->value2)
			lfail(p, "range bounds must not be empty");
	} else {
		char *v = read_word(p, false, false);

		if (v == NULL || *v == '\0') {
			lfail(p, "expected a value after ':'");
			return NULL;
		}
		classify_value(p, n, v);
	}
	return p->failed ? NULL : n;
}

static struct fnode *
parse_unary(struct lparse *p)
{
	struct fnode *n;

	skip_ws(p);
	if (keyword(p, "NOT") || (*p->s == '-' && p->s++)) {
		if (++p->depth > FILTER_MAX_DEPTH) {
			lfail(p, "query nests too deeply");
			return NULL;
		}
		n = parse_unary(p);
		p->depth--;
		return n ? node(p->a, FN_NOT, n, NULL) : NULL;
	}
	if (*p->s == '+')
		p->s++;
	if (*p->s == '(') {
		if (++p->depth > FILTER_MAX_DEPTH) {
			lfail(p, "query nests too deeply");
			return NULL;
		}
		p->s++;
		n = parse_or(p);
		skip_ws(p);
		if (*p->s != ')') {
			lfail(p, "missing closing parenthesis");
			return NULL;
		}
		p->s++;
		p->depth--;
		return n;
	}
	if (*p->s == '\0' || *p->s == ')') {
		lfail(p, "expected a term");
		return NULL;
	}
	return parse_term(p);
}

static struct fnode *
parse_and(struct lparse *p)
{
	struct fnode *l = parse_unary(p), *r;

	while (l != NULL && !p->failed) {
		skip_ws(p);
		if (*p->s == '\0' || *p->s == ')')
			break;
		if (strncmp(p->s, "OR", 2) == 0 && (p->s[2] == '\0' || isspace((unsigned char)p->s[2]) ||
		    p->s[2] == '('))
			break;
		if (keyword(p, "AND") || keyword(p, "&&"))
			skip_ws(p);
		if ((r = parse_unary(p)) == NULL)
			return NULL;
		l = node(p->a, FN_AND, l, r);
	}
	return l;
}

static struct fnode *
parse_or(struct lparse *p)
{
	struct fnode *l = parse_and(p), *r;

	while (l != NULL && !p->failed) {
		skip_ws(p);
		if (!keyword(p, "OR") && !keyword(p, "||"))
			break;
		if ((r = parse_and(p)) == NULL)
			return NULL;
		l = node(p->a, FN_OR, l, r);
	}
	return l;
}

struct fnode *
filter_parse_lucene(struct arena *a, const char *q, struct core_err *e)
{
	struct lparse	 p = { .a = a, .s = q, .e = e };
	struct fnode	*n;

	if (strlen(q) > 4096) {
		core_fail(e, CORE_INVALID, "q", "query is longer than 4096 bytes");
		return NULL;
	}
	n = parse_or(&p);
	skip_ws(&p);
	if (n != NULL && !p.failed && *p.s != '\0')
		lfail(&p, *p.s == ')' ? "unbalanced closing parenthesis" : "unexpected text in query");
	return p.failed ? NULL : n;
}

/* --- compiler ---------------------------------------------------------------- */

static const char *const op_sql[FOP__MAX] = {
	[FOP_EQ] = "=", [FOP_NE] = "<>", [FOP_GT] = ">", [FOP_GE] = ">=",
	[FOP_LT] = "<", [FOP_LE] = "<=",
};

struct fcomp {
	const struct ffield	*fields;
	size_t			 nfields;
	const char		*unknown_prefix;
	struct fsql		*out;
	struct core_err		*e;
	struct arena		*a;
	const struct ffield	*values;	/* inside a value filter: its attribute */
};

/* Adds a parameter and writes pre $n post (a cast, a function around it). */
static int
param_in(struct fcomp *c, const char *v, const char *pre, const char *post)
{
	int n;

	/* The compiler leaves the extra room to its caller. */
	if (c->out->nparams >= FILTER_MAX_PARAMS || (n = fsql_param(c->out, v)) < 0) {
		core_fail(c->e, CORE_INVALID, "q", "query has too many values");
		return -1;
	}
	buf_printf(c->out->sql, "%s$%d%s", pre, n, post);
	return 0;
}

int
fsql_param(struct fsql *f, const char *v)
{
	if (f->nparams < 0 || (size_t)f->nparams >= sizeof(f->params) / sizeof(f->params[0]))
		return -1;
	f->params[f->nparams++] = v;
	return f->first_param + f->nparams - 1;
}

size_t
filter_terms(const struct fnode *n)
{
	if (n == NULL)
		return 0;
	if (n->kind == FN_CMP)
		return 1;
	return filter_terms(n->a) + (n->kind == FN_NOT ? 0 : filter_terms(n->b));
}

static int
param(struct fcomp *c, const char *v, const char *cast)
{
	return param_in(c, v, "", cast);
}

/* A value for comparison with f's column: lowercased into "C" for FT_LOWER. */
static int
param_for(struct fcomp *c, const struct ffield *f, const char *v, const char *cast)
{
	if (f->type == FT_LOWER)
		return param_in(c, v, "lower(", "::text) COLLATE \"C\"");
	return param(c, v, cast);
}

/* Escapes LIKE metacharacters and turns * into %, around the requested anchors. */
static char *
like_pattern(struct arena *a, const char *v, bool lead, bool trail, bool stars)
{
	struct buf	 b;
	char		*out;

	buf_init(&b);
	if (lead)
		buf_putc(&b, '%');
	for (; *v; v++) {
		if (stars && *v == '*')
			buf_putc(&b, '%');
		else {
			if (*v == '%' || *v == '_' || *v == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *v);
		}
	}
	if (trail)
		buf_putc(&b, '%');
	out = b.failed ? NULL : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

static bool
value_ok(const struct ffield *f, const char *v, const char **canon)
{
	*canon = v;
	switch (f->type) {
	case FT_TEXT:
	case FT_LOWER:
	case FT_EXACT:
		return valid_text(v, 1024);
	case FT_VALUES:
		return false;
	case FT_BOOL:
		if (strcasecmp(v, "true") == 0)
			*canon = "true";
		else if (strcasecmp(v, "false") == 0)
			*canon = "false";
		else
			return false;
		return true;
	case FT_INT:
		return (v[0] == '0' && v[1] == '\0') || valid_id(v);
	case FT_DATE:
		return valid_date(v);
	case FT_TIME:
		return valid_datetime(v);
	case FT_UUID:
		return valid_uuid(v);
	case FT_ENUM:
		for (const char *const *c = f->choices; *c; c++)
			if (strcasecmp(*c, v) == 0) {
				*canon = *c;
				return true;
			}
		return false;
	}
	return false;
}

static const char *
type_cast(enum ftype t)
{
	switch (t) {
	case FT_BOOL:	return "::boolean";
	case FT_INT:	return "::bigint";
	case FT_DATE:	return "::date";
	case FT_TIME:	return "::timestamptz";
	case FT_UUID:	return "::uuid";
	default:	return "::text";
	}
}

static const char *
type_name(enum ftype t)
{
	switch (t) {
	case FT_BOOL:	return "true or false";
	case FT_INT:	return "a whole number";
	case FT_DATE:	return "a date (YYYY-MM-DD)";
	case FT_TIME:	return "an ISO 8601 date or time";
	case FT_UUID:	return "a UUID";
	case FT_ENUM:	return "one of its listed values";
	default:	return "text";
	}
}

static const struct ffield *cmp_field(struct fcomp *, const struct fnode *,
		    const struct ffield **);
static int compile_values(struct fcomp *, const struct ffield *, const struct fnode *, int);
static int compile_values_cmp(struct fcomp *, const struct ffield *, const struct fnode *, int);

static int
compile_cmp(struct fcomp *c, const struct fnode *n, int depth)
{
	const struct ffield	*f, *parent;
	struct buf		*s = c->out->sql;
	const char		*v = n->value, *v2 = n->value2, *cast;
	bool			 text;

	if ((f = cmp_field(c, n, &parent)) == NULL && parent != NULL) {
		struct fnode sub = *n;

		sub.field = n->field + strlen(parent->name) + 1;
		return compile_values(c, parent, &sub, depth);
	}
	if (f == NULL) {
		core_fail(c->e, CORE_INVALID, n->field, "%s%.64s", c->unknown_prefix, n->field);
		return -1;
	}
	if (f->type == FT_VALUES)
		return compile_values_cmp(c, f, n, depth);
	text = f->type == FT_TEXT || f->type == FT_LOWER || f->type == FT_EXACT;
	cast = type_cast(f->type);

	if (n->op == FOP_PRESENT) {
		buf_printf(s, text ? "(%s IS NOT NULL AND %s <> '')" : "(%s IS NOT NULL)", f->sql, f->sql);
		return 0;
	}
	if (n->op == FOP_PREFIX || n->op == FOP_SUFFIX || n->op == FOP_CONTAINS || n->op == FOP_WILDCARD) {
		char *pat;

		if (!text) {
			core_fail(c->e, CORE_INVALID, f->name, "%s takes no wildcards", f->name);
			return -1;
		}
		if (!valid_text(v, 1024))
			goto bad;
		if (n->op == FOP_PREFIX && f->type == FT_LOWER) {
			/* A byte range on a "C" column: leakproof, so the btree serves it. */
			buf_printf(s, "(%s >= ", f->sql);
			if (param_for(c, f, v, "") != 0)
				return -1;
			buf_printf(s, " AND %s < ", f->sql);
			if (param_in(c, v, "lower(", "::text) COLLATE \"C\" || U&'\\+10FFFF'") != 0)
				return -1;
			buf_putc(s, ')');
			return 0;
		}
		if (n->op == FOP_SUFFIX && f->rev_sql != NULL) {
			buf_printf(s, "(%s >= ", f->rev_sql);
			if (param_in(c, v, "reverse(lower(", "::text)) COLLATE \"C\"") != 0)
				return -1;
			buf_printf(s, " AND %s < ", f->rev_sql);
			if (param_in(c, v, "reverse(lower(",
			    "::text)) COLLATE \"C\" || U&'\\+10FFFF'") != 0)
				return -1;
			buf_putc(s, ')');
			return 0;
		}
		pat = like_pattern(c->a, v, n->op == FOP_SUFFIX || n->op == FOP_CONTAINS,
		    n->op == FOP_PREFIX || n->op == FOP_CONTAINS, n->op == FOP_WILDCARD);
		if (pat == NULL)
			goto bad;
		if (f->type == FT_EXACT) {
			buf_printf(s, "%s LIKE ", f->sql);
			if (param(c, pat, "::text") != 0)
				return -1;
			buf_puts(s, " ESCAPE '\\'");
			return 0;
		}
		if (f->like_pre != NULL) {
			buf_printf(s, "%slower(", f->like_pre);
			if (param(c, pat, "::text") != 0)
				return -1;
			buf_printf(s, ")%s", f->like_post);
			return 0;
		}
		buf_printf(s, "lower(%s) LIKE lower(", f->sql);
		if (param(c, pat, "") != 0)
			return -1;
		buf_puts(s, ") ESCAPE '\\'");
		return 0;
	}
	if ((f->type == FT_BOOL || f->type == FT_ENUM || f->type == FT_UUID) &&
	    n->op != FOP_EQ && n->op != FOP_NE) {
		core_fail(c->e, CORE_INVALID, f->name, "%s can only be compared for equality", f->name);
		return -1;
	}
	if (n->op == FOP_RANGE) {
		bool lo = strcmp(v, "*") != 0, hi = strcmp(v2, "*") != 0;

		if ((lo && !value_ok(f, v, &v)) || (hi && !value_ok(f, v2, &v2)))
			goto bad;
		buf_putc(s, '(');
		if (lo) {
			buf_printf(s, "%s %s ", f->sql, n->lo_incl ? ">=" : ">");
			if (param_for(c, f, v, cast) != 0)
				return -1;
		}
		if (lo && hi)
			buf_puts(s, " AND ");
		if (hi) {
			buf_printf(s, "%s %s ", f->sql, n->hi_incl ? "<=" : "<");
			if (param_for(c, f, v2, cast) != 0)
				return -1;
		}
		if (!lo && !hi)
			buf_puts(s, "TRUE");
		buf_putc(s, ')');
		return 0;
	}
	if (!value_ok(f, v, &v))
		goto bad;
	/* A whole day when a timestamp is compared for equality with a date. */
	if (f->type == FT_TIME && strlen(v) == 10 && (n->op == FOP_EQ || n->op == FOP_NE)) {
		buf_printf(s, "%s(%s >= ", n->op == FOP_NE ? "NOT " : "", f->sql);
		if (param(c, v, "::date") != 0)
			return -1;
		buf_printf(s, " AND %s < ", f->sql);
		if (param(c, v, "::date + 1") != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	}
	if (f->type == FT_LOWER || f->type == FT_EXACT) {
		buf_printf(s, "%s %s ", f->sql, op_sql[n->op]);
		return param_for(c, f, v, cast);
	}
	if (text && (n->op == FOP_EQ || n->op == FOP_NE))
		buf_printf(s, "lower(%s) %s lower(", f->sql, op_sql[n->op]);
	else
		buf_printf(s, "%s %s ", f->sql, op_sql[n->op]);
	if (param(c, v, cast) != 0)
		return -1;
	if (text && (n->op == FOP_EQ || n->op == FOP_NE))
		buf_putc(s, ')');
	return 0;
bad:
	core_fail(c->e, CORE_INVALID, f->name, "%s must be %s", f->name, type_name(f->type));
	return -1;
}

static int compile(struct fcomp *, const struct fnode *, int);

/* --- multi-valued attributes (SCIM value paths) ------------------------------- */

/* The field named exactly name, or NULL. */
static const struct ffield *
field_named(const struct fcomp *c, const char *name)
{
	for (size_t i = 0; i < c->nfields; i++)
		if (strcmp(c->fields[i].name, name) == 0)
			return &c->fields[i];
	return NULL;
}

/* The multi-valued attribute a dotted name is a sub-attribute of ("emails.value"), or NULL. */
static const struct ffield *
values_parent(const struct fcomp *c, const char *name)
{
	const char		*dot = strchr(name, '.');
	const struct ffield	*f;
	char			 head[64];

	if (dot == NULL || (size_t)(dot - name) >= sizeof(head))
		return NULL;
	memcpy(head, name, (size_t)(dot - name));
	head[dot - name] = '\0';
	f = field_named(c, head);
	return f != NULL && f->type == FT_VALUES ? f : NULL;
}

/* The text a top-level conjunct of n compares the sub-field "value" equal to, or NULL. */
static const char *
value_eq(const struct fnode *n)
{
	const char *v;

	if (n->kind == FN_AND)
		return (v = value_eq(n->a)) != NULL ? v : value_eq(n->b);
	if (n->kind == FN_CMP && n->op == FOP_EQ && strcmp(n->field, "value") == 0)
		return n->value;
	return NULL;
}

/*
 * The attribute itself: present when it has a value; any other comparison
 * is of its values' "value" (RFC 7644's emails co "example.com").
 */
static int
compile_values_cmp(struct fcomp *c, const struct ffield *f, const struct fnode *n, int depth)
{
	struct fnode sub = *n;

	if (n->op == FOP_PRESENT) {
		buf_printf(c->out->sql, "EXISTS (SELECT 1 FROM %s)", f->sql);
		return 0;
	}
	sub.field = "value";
	return compile_values(c, f, &sub, depth);
}

/*
 * EXISTS a value of attribute f for which sub holds, sub's field names read
 * as f's sub-attributes (c->values is f while it compiles).
 */
static int
compile_values(struct fcomp *c, const struct ffield *f, const struct fnode *sub, int depth)
{
	struct buf	*s = c->out->sql;
	const char	*v;

	if (c->values != NULL) {
		core_fail(c->e, CORE_INVALID, f->name, "value filters cannot nest");
		return -1;
	}
	buf_putc(s, '(');
	if (f->like_pre != NULL && (v = value_eq(sub)) != NULL && valid_text(v, 1024)) {
		buf_printf(s, "%slower(", f->like_pre);
		if (param(c, v, "::text") != 0)
			return -1;
		buf_printf(s, ")%s AND ", f->like_post);
	}
	buf_printf(s, "EXISTS (SELECT 1 FROM %s AND ", f->sql);
	c->values = f;
	if (compile(c, sub, depth + 1) != 0)
		return -1;
	c->values = NULL;
	buf_puts(s, "))");
	return 0;
}

/* A value path, attr[filter]: attr must have several values. */
static int
compile_value_path(struct fcomp *c, const struct fnode *n, int depth)
{
	const struct ffield *f = c->values ? NULL : field_named(c, n->field);

	if (f == NULL && c->values == NULL) {
		core_fail(c->e, CORE_INVALID, n->field, "%s%.64s", c->unknown_prefix, n->field);
		return -1;
	}
	if (f == NULL || f->type != FT_VALUES) {
		core_fail(c->e, CORE_INVALID, n->field, "%.64s takes no [filter]: it has one value",
		    n->field);
		return -1;
	}
	return compile_values(c, f, n->a, depth);
}

/*
 * The field a comparison names: inside a value filter, a sub-attribute of
 * the attribute filtered; outside, any field but those. A comparison of
 * "emails.value" outside becomes the value filter emails[value …] (*parent).
 */
static const struct ffield *
cmp_field(struct fcomp *c, const struct fnode *n, const struct ffield **parent)
{
	const char *name;

	*parent = NULL;
	if (c->values != NULL) {
		name = arena_printf(c->a, "%s.%s", c->values->name, n->field);
		return name ? field_named(c, name) : NULL;
	}
	if ((*parent = values_parent(c, n->field)) != NULL)
		return NULL;
	return field_named(c, n->field);
}

static int
compile(struct fcomp *c, const struct fnode *n, int depth)
{
	struct buf *s = c->out->sql;

	/* At most FILTER_MAX_TERMS leaves under binary nodes, and NOTs nested FILTER_MAX_DEPTH deep. */
	if (depth > FILTER_MAX_TERMS + FILTER_MAX_DEPTH) {
		core_fail(c->e, CORE_INVALID, "q", "query nests too deeply");
		return -1;
	}
	switch (n->kind) {
	case FN_CMP:
		return compile_cmp(c, n, depth);
	case FN_VALUE:
		return compile_value_path(c, n, depth);
	case FN_NOT:
		buf_puts(s, "NOT (");
		if (compile(c, n->a, depth + 1) != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	case FN_AND:
	case FN_OR:
		buf_putc(s, '(');
		if (compile(c, n->a, depth + 1) != 0)
			return -1;
		buf_puts(s, n->kind == FN_AND ? " AND " : " OR ");
		if (compile(c, n->b, depth + 1) != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	}
	return -1;
}

int
filter_compile(struct arena *a, const struct fnode *n, const struct ffield *fields,
    size_t nfields, const char *unknown_prefix, struct fsql *out, struct core_err *e)
{
	struct fcomp c = { fields, nfields, unknown_prefix, out, e, a, NULL };

	return compile(&c, n, 0);
}
