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
filter_not(struct arena *a, struct fnode *n)
{
	return n == NULL ? NULL : node(a, FN_NOT, n, NULL);
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

/*
 * Recursive descent over the query text, one character at a time; every
 * failure names "q" and the character (counted from 1, in code points) it
 * was found at. Grammar, loosest first:
 *
 *	query	:= or
 *	or	:= and (("OR" | "||") and)*
 *	and	:= unary (["AND" | "&&"] unary)*	adjacent terms are ANDed
 *	unary	:= ("NOT" | "!" | "-") unary | "+" unary | primary
 *	primary	:= "(" or ")" | [field ":"] value | value
 *	value	:= "(" or ")" | phrase | range | word
 *
 * A value without a field belongs to the field of the group around it
 * (field:(a OR b)), or to no field at all: a bare term.
 */
struct lparse {
	struct arena	*a;
	const char	*q;		/* the whole query, for positions */
	const char	*s;		/* cursor */
	const char	*field;		/* inside field:( … ): the field of bare values */
	int		 terms;
	int		 depth;
	struct core_err	*e;
	bool		 failed;
};

/* A bare word with its escapes removed; esc[i] marks v[i] as escaped (so literal). */
struct word {
	char		*v;
	char		*esc;
	size_t		 n;
	const char	*at;		/* where it starts in the query */
};

static struct fnode *parse_or(struct lparse *);

/* The position of at in the query: code points before it, plus one. */
static int
charpos(const struct lparse *p, const char *at)
{
	int n = 1;

	for (const char *c = p->q; c < at && *c; c++)
		n += ((unsigned char)*c & 0xc0) != 0x80;
	return n;
}

static void
lfail(struct lparse *p, const char *at, const char *msg)
{
	if (!p->failed)
		core_fail(p->e, CORE_INVALID, "q", "%s at character %d", msg, charpos(p, at));
	p->failed = true;
}

static void
skip_ws(struct lparse *p)
{
	while (isspace((unsigned char)*p->s))
		p->s++;
}

/* True when s starts with the operator word kw standing alone. */
static bool
at_word(const char *s, const char *kw)
{
	size_t n = strlen(kw);

	return strncmp(s, kw, n) == 0 &&
	    (s[n] == '\0' || isspace((unsigned char)s[n]) || strchr("()\"[]{}", s[n]) != NULL);
}

static bool
at_or(const char *s)
{
	return strncmp(s, "||", 2) == 0 || at_word(s, "OR");
}

static bool
at_and(const char *s)
{
	return strncmp(s, "&&", 2) == 0 || at_word(s, "AND");
}

/* Any binary operator: where a term was expected, one is an error. */
static const char *
at_binary(const char *s)
{
	if (at_or(s))
		return *s == '|' ? "||" : "OR";
	if (at_and(s))
		return *s == '&' ? "&&" : "AND";
	return NULL;
}

/* Consumes a binary operator the at_ test found (two or three characters). */
static void
eat_op(struct lparse *p)
{
	p->s += at_word(p->s, "AND") ? 3 : 2;
}

/* Refuses a boost or fuzzy/proximity suffix right after a term, phrase, range or group. */
static void
no_suffix(struct lparse *p)
{
	if (*p->s == '^')
		lfail(p, p->s, "boosts (^) are not supported");
	else if (*p->s == '~')
		lfail(p, p->s, "fuzzy and proximity searches (~) are not supported");
}

/*
 * Reads a bare word up to whitespace or one of stops, removing backslash
 * escapes and remembering which characters were escaped. An unescaped ^
 * or ~ is a boost or a fuzzy search, which are refused. False on failure.
 */
static bool
read_word(struct lparse *p, const char *stops, struct word *w)
{
	struct buf	v, esc;
	bool		ok = true;

	buf_init(&v);
	buf_init(&esc);
	w->at = p->s;
	while (*p->s != '\0' && !isspace((unsigned char)*p->s) && strchr(stops, *p->s) == NULL) {
		char escaped = 0;

		if (*p->s == '\\') {
			if (p->s[1] == '\0') {
				lfail(p, p->s, "a backslash must be followed by the character it escapes");
				ok = false;
				break;
			}
			p->s++;
			escaped = 1;
		} else if (*p->s == '^' || *p->s == '~') {
			no_suffix(p);
			ok = false;
			break;
		}
		buf_putc(&v, *p->s++);
		buf_putc(&esc, escaped);
	}
	w->n = v.len;
	w->v = ok && !v.failed ? arena_strndup(p->a, v.data ? v.data : "", v.len) : NULL;
	w->esc = ok && !esc.failed ? arena_strndup(p->a, esc.data ? esc.data : "", esc.len) : NULL;
	buf_free(&v);
	buf_free(&esc);
	if (ok && (w->v == NULL || w->esc == NULL)) {
		lfail(p, w->at, "query too large");
		ok = false;
	}
	return ok;
}

/* Reads "…" at p->s: escapes make any character literal. NULL on failure. */
static char *
read_phrase(struct lparse *p)
{
	const char	*open = p->s;
	struct buf	 b;
	char		*out;

	buf_init(&b);
	p->s++;
	while (*p->s && *p->s != '"') {
		if (*p->s == '\\' && p->s[1] != '\0')
			p->s++;
		buf_putc(&b, *p->s++);
	}
	if (*p->s != '"') {
		buf_free(&b);
		lfail(p, open, "unterminated quoted phrase");
		return NULL;
	}
	p->s++;
	out = b.failed ? NULL : arena_strndup(p->a, b.data ? b.data : "", b.len);
	buf_free(&b);
	if (out == NULL)
		lfail(p, open, "query too large");
	return out;
}

/* A new comparison on the field of this context, counted against the term limit. */
static struct fnode *
new_term(struct lparse *p, const char *field, const char *at)
{
	struct fnode *n;

	if (++p->terms > FILTER_MAX_TERMS) {
		lfail(p, at, "query has too many terms");
		return NULL;
	}
	if ((n = filter_cmp(p->a, field, FOP_EQ, "")) == NULL)
		lfail(p, at, "query too large");
	return n;
}

/* Is character i of w an unescaped c? */
#define BARE(w, i, c)	((w)->v[i] == (c) && !(w)->esc[i])

/*
 * What a bare word means: a comparison (>, >=, <, <= in front), presence
 * (a lone *), a prefix, suffix or substring (stars only at its ends), any
 * other wildcard pattern (* and ?), or equality. Escaped characters are
 * always literal.
 */
static void
classify(struct lparse *p, const struct word *w, struct fnode *n)
{
	size_t		 skip = 0, stars = 0, marks = 0;
	bool		 lead, trail;
	struct buf	 pat;

	n->op = FOP_EQ;
	if (w->n >= 1 && (BARE(w, 0, '>') || BARE(w, 0, '<'))) {
		skip = w->n >= 2 && BARE(w, 1, '=') ? 2 : 1;
		n->op = w->v[0] == '>' ? (skip == 2 ? FOP_GE : FOP_GT) : (skip == 2 ? FOP_LE : FOP_LT);
	}
	for (size_t i = skip; i < w->n; i++) {
		stars += BARE(w, i, '*');
		marks += BARE(w, i, '?');
	}
	if (n->op != FOP_EQ) {
		if (skip == w->n)
			lfail(p, w->at, "empty value after an operator");
		else if (stars + marks > 0)
			lfail(p, w->at, "a comparison takes no wildcards");
		n->value = w->v + skip;
		return;
	}
	n->value = w->v;
	if (stars + marks == 0)
		return;
	if (stars == w->n) {
		n->op = FOP_PRESENT;
		n->value = "";
		return;
	}
	lead = BARE(w, 0, '*');
	trail = BARE(w, w->n - 1, '*');
	if (marks == 0 && stars == (size_t)lead + (size_t)trail) {
		n->op = lead && trail ? FOP_CONTAINS : lead ? FOP_SUFFIX : FOP_PREFIX;
		n->value = arena_strndup(p->a, w->v + lead, w->n - lead - trail);
		if (n->value == NULL)
			lfail(p, w->at, "query too large");
		return;
	}
	/* The pattern keeps its wildcards bare and escapes every literal *, ? and \. */
	buf_init(&pat);
	for (size_t i = 0; i < w->n; i++) {
		if (w->esc[i] && strchr("*?\\", w->v[i]) != NULL)
			buf_putc(&pat, '\\');
		buf_putc(&pat, w->v[i]);
	}
	n->op = FOP_WILDCARD;
	n->value = pat.failed ? NULL : arena_strndup(p->a, pat.data, pat.len);
	buf_free(&pat);
	if (n->value == NULL)
		lfail(p, w->at, "query too large");
}

/* One bound of a range: a phrase (literal), a lone * (open: NULL), or a word. */
static bool
range_bound(struct lparse *p, const char **out)
{
	struct word w;

	skip_ws(p);
	if (*p->s == '"')
		return (*out = read_phrase(p)) != NULL;
	if (!read_word(p, "()\"[]{}", &w))
		return false;
	if (w.n == 0) {
		lfail(p, p->s, "range bounds must not be empty");
		return false;
	}
	*out = w.n == 1 && BARE(&w, 0, '*') ? NULL : w.v;
	return true;
}

/* [low TO high], {low TO high} or either half of each; [* TO *] means "has a value". */
static struct fnode *
parse_range(struct lparse *p, const char *field, const char *at)
{
	struct fnode	*n;

	if ((n = new_term(p, field, at)) == NULL)
		return NULL;
	n->op = FOP_RANGE;
	n->lo_incl = *p->s++ == '[';
	if (!range_bound(p, &n->value))
		return NULL;
	skip_ws(p);
	if (!at_word(p->s, "TO")) {
		lfail(p, p->s, "range needs [low TO high]");
		return NULL;
	}
	p->s += 2;
	if (!range_bound(p, &n->value2))
		return NULL;
	skip_ws(p);
	if (*p->s != ']' && *p->s != '}') {
		lfail(p, p->s, "range is not closed with ] or }");
		return NULL;
	}
	n->hi_incl = *p->s++ == ']';
	if (n->value == NULL && n->value2 == NULL) {
		n->op = FOP_PRESENT;
		n->value = "";
	}
	return n;
}

/* ( … ): a group; inside field:( … ), values without a field belong to field. */
static struct fnode *
parse_group(struct lparse *p, const char *field)
{
	const char	*open = p->s, *outer = p->field;
	struct fnode	*n;

	if (++p->depth > FILTER_MAX_DEPTH) {
		lfail(p, open, "query nests too deeply");
		return NULL;
	}
	p->s++;
	p->field = field;
	n = parse_or(p);
	p->field = outer;
	if (n == NULL)
		return NULL;
	skip_ws(p);
	if (*p->s != ')') {
		lfail(p, *p->s ? p->s : open, "missing closing parenthesis");
		return NULL;
	}
	p->s++;
	p->depth--;
	return n;
}

/*
 * What follows field: (or stands alone): a group, a phrase, a range or a
 * word. at is where the clause began, for the term limit's error.
 */
static struct fnode *
parse_value(struct lparse *p, const char *field, const char *at)
{
	const char	*v = p->s;
	struct fnode	*n;
	struct word	 w;

	if (*p->s == '(')
		n = parse_group(p, field);
	else if (*p->s == '[' || *p->s == '{')
		n = parse_range(p, field, at);
	else if (*p->s == '"') {
		if ((n = new_term(p, field, at)) != NULL && (n->value = read_phrase(p)) == NULL)
			n = NULL;
	} else {
		if (*p->s == '\0' || *p->s == ')' || at_binary(p->s) != NULL || at_word(p->s, "NOT")) {
			lfail(p, v, "expected a value after ':'");
			return NULL;
		}
		if (*p->s == '/') {
			lfail(p, v, "regular expressions (/…/) are not supported");
			return NULL;
		}
		/* Only the first colon separates: the rest are the value's. */
		if (!read_word(p, "()\"", &w) || (n = new_term(p, field, at)) == NULL)
			return NULL;
		classify(p, &w, n);
		return p->failed ? NULL : n;
	}
	if (n != NULL)
		no_suffix(p);
	return p->failed ? NULL : n;
}

/* field:value, or a value of the group's field (a bare term outside any). */
static struct fnode *
parse_clause(struct lparse *p)
{
	const char	*at = p->s, *op;
	struct fnode	*n;
	struct word	 w;

	if ((op = at_binary(p->s)) != NULL) {
		lfail(p, at, *op == 'O' || *op == '|' ? "expected a term before OR" :
		    "expected a term before AND");
		return NULL;
	}
	if (*p->s == ':') {
		lfail(p, at, "expected a field name before ':'");
		return NULL;
	}
	if (*p->s == '(' || *p->s == '"' || *p->s == '[' || *p->s == '{')
		return parse_value(p, p->field, at);
	if (*p->s == '/') {
		lfail(p, at, "regular expressions (/…/) are not supported");
		return NULL;
	}
	if (!read_word(p, "()\":", &w))
		return NULL;
	skip_ws(p);
	if (*p->s == ':') {
		/* A field: its name is the word, escapes removed. */
		p->s++;
		skip_ws(p);
		return parse_value(p, w.v, at);
	}
	if ((n = new_term(p, p->field, at)) == NULL)
		return NULL;
	classify(p, &w, n);
	return p->failed ? NULL : n;
}

static struct fnode *
parse_unary(struct lparse *p)
{
	const char	*at;
	struct fnode	*n;
	bool		 neg;

	skip_ws(p);
	at = p->s;
	if (at_word(p->s, "NOT") || *p->s == '!' || *p->s == '-' || *p->s == '+') {
		neg = *p->s != '+';
		p->s += at_word(p->s, "NOT") ? 3 : 1;
		if (++p->depth > FILTER_MAX_DEPTH) {
			lfail(p, at, "query nests too deeply");
			return NULL;
		}
		n = parse_unary(p);
		p->depth--;
		return n == NULL ? NULL : neg ? node(p->a, FN_NOT, n, NULL) : n;
	}
	if (*p->s == '\0' || *p->s == ')') {
		lfail(p, p->s, "expected a term");
		return NULL;
	}
	return parse_clause(p);
}

static struct fnode *
parse_and(struct lparse *p)
{
	struct fnode *l = parse_unary(p), *r;

	while (l != NULL && !p->failed) {
		skip_ws(p);
		if (*p->s == '\0' || *p->s == ')' || at_or(p->s))
			break;
		if (at_and(p->s))
			eat_op(p);
		if ((r = parse_unary(p)) == NULL)
			return NULL;
		l = node(p->a, FN_AND, l, r);
	}
	return p->failed ? NULL : l;
}

static struct fnode *
parse_or(struct lparse *p)
{
	struct fnode *l = parse_and(p), *r;

	while (l != NULL && !p->failed) {
		skip_ws(p);
		if (!at_or(p->s))
			break;
		eat_op(p);
		if ((r = parse_and(p)) == NULL)
			return NULL;
		l = node(p->a, FN_OR, l, r);
	}
	return p->failed ? NULL : l;
}

struct fnode *
filter_parse_lucene(struct arena *a, const char *q, struct core_err *e)
{
	struct lparse	 p = { .a = a, .q = q, .s = q, .e = e };
	struct fnode	*n;

	if (strlen(q) > FILTER_MAX_QUERY) {
		core_fail(e, CORE_INVALID, "q", "query is longer than %d bytes", FILTER_MAX_QUERY);
		return NULL;
	}
	n = parse_or(&p);
	skip_ws(&p);
	if (n != NULL && !p.failed && *p.s != '\0')
		lfail(&p, p.s, *p.s == ')' ? "unbalanced closing parenthesis" : "unexpected text");
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

/*
 * A LIKE pattern, lowercased later in SQL: literal text with %, _ and \
 * escaped, between the anchors asked for; or (wild) a FOP_WILDCARD pattern,
 * whose bare * and ? become % and _ and whose \x is a literal x.
 */
static char *
like_pattern(struct arena *a, const char *v, bool lead, bool trail, bool wild)
{
	struct buf	 b;
	char		*out;

	buf_init(&b);
	if (lead)
		buf_putc(&b, '%');
	for (; *v; v++) {
		if (wild && (*v == '*' || *v == '?')) {
			buf_putc(&b, *v == '*' ? '%' : '_');
			continue;
		}
		if (wild && *v == '\\' && v[1] != '\0')
			v++;
		if (*v == '%' || *v == '_' || *v == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *v);
	}
	if (trail)
		buf_putc(&b, '%');
	out = b.failed ? NULL : arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* Checks v against f's type; *canon is the form the SQL gets (in the arena). */
static bool
value_ok(struct arena *a, const struct ffield *f, const char *v, const char **canon)
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
		/* A date-time stands for its date, as written (clients that only send date-times). */
		if (strlen(v) > 10 && valid_datetime(v))
			return (*canon = arena_strndup(a, v, 10)) != NULL;
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

static bool
is_text(const struct ffield *f)
{
	return f->type == FT_TEXT || f->type == FT_LOWER || f->type == FT_EXACT;
}

/* Presence: a value, and for text a value that is not empty. */
static int
compile_present(struct fcomp *c, const struct ffield *f)
{
	buf_printf(c->out->sql, is_text(f) ? "(%s IS NOT NULL AND %s <> '')" : "(%s IS NOT NULL)",
	    f->sql, f->sql);
	return 0;
}

/* Prefix, suffix, substring and wildcard matches, on text only. */
static int
compile_like(struct fcomp *c, const struct ffield *f, const struct fnode *n)
{
	struct buf	*s = c->out->sql;
	const char	*v = n->value;
	char		*pat;

	if (!is_text(f)) {
		core_fail(c->e, CORE_INVALID, f->name, "%s takes no wildcards", f->name);
		return -1;
	}
	if (!valid_text(v, 1024)) {
		core_fail(c->e, CORE_INVALID, f->name, strlen(v) > 1024 ?
		    "%s is longer than 1024 bytes" : "%s must be text", f->name);
		return -1;
	}
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
		if (param_in(c, v, "reverse(lower(", "::text)) COLLATE \"C\" || U&'\\+10FFFF'") != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	}
	pat = like_pattern(c->a, v, n->op == FOP_SUFFIX || n->op == FOP_CONTAINS,
	    n->op == FOP_PREFIX || n->op == FOP_CONTAINS, n->op == FOP_WILDCARD);
	if (pat == NULL) {
		core_fail(c->e, CORE_INVALID, "q", "query too large");
		return -1;
	}
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
	/* A lowercase column needs no lower() of its own. */
	buf_printf(s, f->type == FT_LOWER ? "%s LIKE lower(" : "lower(%s) LIKE lower(", f->sql);
	if (param(c, pat, "") != 0)
		return -1;
	buf_puts(s, ") ESCAPE '\\'");
	return 0;
}

/*
 * The span a valid date-time less precise than the stored microseconds
 * stands for, as the SQL that follows "($n" to add it to the value
 * ("::timestamptz + interval '…')"); NULL for a date alone (its UTC day,
 * below) or a value to the microsecond. Times are shown to the millisecond
 * (gatehouse.iso), so "eq" with a time as shown must find its row, and "gt"
 * it must not.
 */
static const char *
time_step(const char *v)
{
	static const char *const frac[] = { NULL, "::timestamptz + interval '100 milliseconds')",
		"::timestamptz + interval '10 milliseconds')", "::timestamptz + interval '1 millisecond')",
		"::timestamptz + interval '100 microseconds')", "::timestamptz + interval '10 microseconds')" };
	const char *t = v + 11;		/* after "YYYY-MM-DDT", valid_datetime's shape */
	size_t n;

	if (strlen(v) <= 10)
		return NULL;
	if (t[5] != ':')
		return "::timestamptz + interval '1 minute')";
	if (t[8] != '.')
		return "::timestamptz + interval '1 second')";
	n = strspn(t + 9, "0123456789");
	return n < sizeof(frac) / sizeof(frac[0]) ? frac[n] : NULL;
}

/*
 * One side of a comparison: sql op $n. A date against a timestamp stands
 * for its whole UTC day, and a time for the span its precision leaves
 * (time_step), so "after" starts at the next one and "up to" ends there.
 */
static int
compile_bound(struct fcomp *c, const struct ffield *f, enum fop op, const char *v)
{
	struct buf	*s = c->out->sql;
	const char	*step = f->type == FT_TIME ? time_step(v) : NULL;
	bool		 next = op == FOP_GT || op == FOP_LE;

	if (f->type == FT_TIME && strlen(v) == 10) {
		buf_printf(s, "%s %s ", f->sql, op == FOP_GT || op == FOP_GE ? ">=" : "<");
		return param_in(c, v, "gatehouse.utc_day(", next ? "::date + 1)" : "::date)");
	}
	if (step != NULL && op != FOP_EQ && op != FOP_NE) {
		buf_printf(s, "%s %s ", f->sql, op == FOP_GT || op == FOP_GE ? ">=" : "<");
		return param_in(c, v, next ? "(" : "", next ? step : "::timestamptz");
	}
	/*
	 * Text without a value is NULL or '', whichever its column keeps (a
	 * missing JSON member, no team, a blank name). Either way "ne" matches
	 * it, as "not (eq)" does, and an order comparison does not (a blank title
	 * is not "lt" anything).
	 */
	if (f->type == FT_LOWER || f->type == FT_EXACT) {
		bool	order = op != FOP_EQ && op != FOP_NE;
		int	rc;

		/* The column twice rather than NULLIF: a range on it is what its index serves. */
		if (order)
			buf_printf(s, "(%s <> '' AND ", f->sql);
		buf_printf(s, "%s %s ", f->sql, op == FOP_NE ? "IS DISTINCT FROM" : op_sql[op]);
		rc = f->type == FT_LOWER ? param_for(c, f, v, "") : param(c, v, "::text");
		if (rc == 0 && order)
			buf_putc(s, ')');
		return rc;
	}
	if (is_text(f) && (op == FOP_EQ || op == FOP_NE)) {
		buf_printf(s, "lower(%s) %s ", f->sql, op == FOP_NE ? "IS DISTINCT FROM" : "=");
		return param_in(c, v, "lower(", "::text)");
	}
	if (is_text(f)) {
		/* NULLIF: the expression once (team's is a subquery); these have no index. */
		buf_printf(s, "NULLIF(%s, '') %s ", f->sql, op_sql[op]);
		return param(c, v, "::text");
	}
	buf_printf(s, "%s %s ", f->sql, op_sql[op]);
	return param(c, v, type_cast(f->type));
}

/* A comparison n on the field f. */
static int
compile_on(struct fcomp *c, const struct ffield *f, const struct fnode *n)
{
	struct buf	*s = c->out->sql;
	const char	*v = n->value, *v2 = n->value2;

	switch (n->op) {
	case FOP_PRESENT:
		return compile_present(c, f);
	case FOP_PREFIX:
	case FOP_SUFFIX:
	case FOP_CONTAINS:
	case FOP_WILDCARD:
		return compile_like(c, f, n);
	default:
		break;
	}
	if ((f->type == FT_BOOL || f->type == FT_ENUM || f->type == FT_UUID) &&
	    n->op != FOP_EQ && n->op != FOP_NE) {
		core_fail(c->e, CORE_INVALID, f->name, "%s can only be compared for equality",
		    f->name);
		return -1;
	}
	if (n->op == FOP_RANGE) {
		if (v == NULL && v2 == NULL)
			return compile_present(c, f);
		if ((v != NULL && !value_ok(c->a, f, v, &v)) ||
		    (v2 != NULL && !value_ok(c->a, f, v2, &v2)))
			goto bad;
		buf_putc(s, '(');
		if (v != NULL && compile_bound(c, f, n->lo_incl ? FOP_GE : FOP_GT, v) != 0)
			return -1;
		if (v != NULL && v2 != NULL)
			buf_puts(s, " AND ");
		if (v2 != NULL && compile_bound(c, f, n->hi_incl ? FOP_LE : FOP_LT, v2) != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	}
	if (v == NULL || !value_ok(c->a, f, v, &v))
		goto bad;
	/* A date or a time against a timestamp, for (in)equality: the whole span it stands for. */
	if (f->type == FT_TIME && (strlen(v) == 10 || time_step(v) != NULL) &&
	    (n->op == FOP_EQ || n->op == FOP_NE)) {
		buf_printf(s, "%s(", n->op == FOP_NE ? "NOT " : "");
		if (compile_bound(c, f, FOP_GE, v) != 0)
			return -1;
		buf_puts(s, " AND ");
		if (compile_bound(c, f, FOP_LE, v) != 0)
			return -1;
		buf_putc(s, ')');
		return 0;
	}
	return compile_bound(c, f, n->op, v);
bad:
	if (is_text(f) && ((v != NULL && strlen(v) > 1024) || (v2 != NULL && strlen(v2) > 1024)))
		core_fail(c->e, CORE_INVALID, f->name, "%s is longer than 1024 bytes", f->name);
	else
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
	if (n->kind == FN_CMP && n->op == FOP_EQ && n->field != NULL &&
	    strcmp(n->field, "value") == 0)
		return n->value;
	return NULL;
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

/* A value path, attr[filter]: attr must have several values. */
static int
compile_value_path(struct fcomp *c, const struct fnode *n, int depth)
{
	const struct ffield *f = c->values || n->field == NULL ? NULL : field_named(c, n->field);

	if (f == NULL && c->values == NULL) {
		core_fail(c->e, CORE_INVALID, n->field ? n->field : "filter", "%s%.64s",
		    c->unknown_prefix, n->field ? n->field : "");
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
 * A comparison on a named field: inside a value filter, a sub-attribute of
 * the attribute filtered; outside, any field but those. A comparison of
 * "emails.value" outside becomes the value filter emails[value …]; one of
 * a multi-valued attribute itself, of its values' "value".
 */
static int
compile_named(struct fcomp *c, const struct fnode *n, int depth)
{
	const struct ffield	*f;
	const char		*name;
	struct fnode		 sub;

	if (c->values != NULL) {
		name = arena_printf(c->a, "%s.%s", c->values->name, n->field);
		f = name ? field_named(c, name) : NULL;
	} else if ((f = values_parent(c, n->field)) != NULL) {
		sub = *n;
		sub.field = n->field + strlen(f->name) + 1;
		return compile_values(c, f, &sub, depth);
	} else
		f = field_named(c, n->field);
	if (f == NULL) {
		core_fail(c->e, CORE_INVALID, n->field, "%s%.64s", c->unknown_prefix, n->field);
		return -1;
	}
	if (f->type == FT_VALUES)
		return compile_values_cmp(c, f, n, depth);
	return compile_on(c, f, n);
}

/* A comparison: on its field, or (a bare term) on each field that takes bare terms, ORed. */
static int
compile_cmp(struct fcomp *c, const struct fnode *n, int depth)
{
	size_t k = 0;

	if (n->field == NULL) {
		buf_putc(c->out->sql, '(');
		for (size_t i = 0; i < c->nfields; i++) {
			if (!c->fields[i].bare)
				continue;
			if (k++ > 0)
				buf_puts(c->out->sql, " OR ");
			if (compile_on(c, &c->fields[i], n) != 0)
				return -1;
		}
		buf_putc(c->out->sql, ')');
		if (k == 0) {
			core_fail(c->e, CORE_INVALID, "q",
			    "a term needs a field here (field:value)");
			return -1;
		}
		return 0;
	}
	return compile_named(c, n, depth);
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
		/*
		 * Lucene's NOT matches what does not match, a user without the
		 * field too: a comparison with NULL is unknown, never true.
		 */
		buf_putc(s, '(');
		if (compile(c, n->a, depth + 1) != 0)
			return -1;
		buf_puts(s, ") IS NOT TRUE");
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
