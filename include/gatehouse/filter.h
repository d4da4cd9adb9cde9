/* filter.h: one filter AST, its parsers, and a compiler to parameterised SQL over a field whitelist. */
#ifndef GATEHOUSE_FILTER_H
#define GATEHOUSE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct buf;
struct core_err;

/*
 * FN_VALUE (SCIM's value path, emails[type eq "work"]): field names a
 * multi-valued attribute (FT_VALUES) and `a` a filter over the sub-attributes
 * of one of its values; it holds when some value matches.
 */
enum fnode_kind { FN_AND, FN_OR, FN_NOT, FN_CMP, FN_VALUE };

enum fop {
	FOP_EQ,		/* equal (text: case-insensitive) */
	FOP_NE,
	FOP_GT, FOP_GE, FOP_LT, FOP_LE,
	FOP_PREFIX,	/* starts with */
	FOP_SUFFIX,	/* ends with */
	FOP_CONTAINS,
	FOP_WILDCARD,	/* a pattern: bare * any run, bare ? one character, \x a literal x */
	FOP_PRESENT,	/* has a value (text: not empty) */
	FOP_RANGE,	/* value..value2, bounds inclusive per flag; NULL is open */
	FOP__MAX
};

/*
 * A comparison's value is literal text (only FOP_WILDCARD's is a pattern).
 * Its field is a name for the compiler's whitelist, or NULL: a bare term,
 * which applies to every field that takes bare terms (struct ffield.bare).
 * Parsers of other grammars (SCIM) build the same nodes.
 */
struct fnode {
	enum fnode_kind	 kind;
	struct fnode	*a, *b;		/* AND/OR: both; NOT, VALUE: a */
	const char	*field;
	enum fop	 op;
	const char	*value, *value2;
	bool		 lo_incl, hi_incl;
};

/*
 * FT_TEXT compares case-insensitively through lower(); FT_LOWER is a column
 * that already holds lowercase text collated "C", so comparisons stay
 * leakproof and indexed under row-level security. FT_EXACT compares text
 * as it is (case-sensitively) on a "C"-collated column. FT_VALUES is a
 * multi-valued attribute (see struct ffield).
 */
enum ftype { FT_TEXT, FT_LOWER, FT_BOOL, FT_INT, FT_DATE, FT_TIME, FT_ENUM, FT_UUID,
	FT_EXACT, FT_VALUES };

/* A filterable field: the client-facing name and the trusted SQL it stands for. */
struct ffield {
	const char		*name;
	const char		*sql;		/* column expression, from code only */
	enum ftype		 type;
	const char *const	*choices;	/* FT_ENUM: NULL-terminated */
	/*
	 * Optional: wildcard matches as like_pre + $n + like_post, where $n is
	 * a lowercased LIKE pattern (for a search function that can use a
	 * trigram index). Without it, lower(sql) LIKE $n.
	 */
	const char		*like_pre, *like_post;
	/* Optional, FT_LOWER: the column reversed, so a suffix is a range. */
	const char		*rev_sql;
	/* A bare term (no field) searches this field, ORed with the others that do. */
	bool			 bare;
};

/*
 * A multi-valued attribute (FT_VALUES, say "emails") has sql of the form
 * "<from list> WHERE <correlation>" over its values: a value filter becomes
 * EXISTS (SELECT 1 FROM sql AND <filter>). The fields of one value are the
 * rows of the same table named "emails.<sub>", whose sql reads the value
 * the from list names. "emails.value eq x" is the value filter
 * emails[value eq x]. like_pre/like_post, when set, wrap lowercase text that
 * some value's "value" equals: an indexed pre-filter added when a value
 * filter's top-level conjunction has value eq.
 */

#define FILTER_MAX_QUERY	4096	/* bytes of a q */
#define FILTER_MAX_TERMS	64
#define FILTER_MAX_DEPTH	16
#define FILTER_MAX_PARAMS	(2 * FILTER_MAX_TERMS)	/* a term takes at most two */
#define FSQL_EXTRA_PARAMS	4	/* room for the caller: a cursor, limit and offset */

/*
 * Lucene query syntax: field:value, field: value, field:"phrase",
 * wildcards * and ?, field:>v (>=, <, <=), field:[a TO b] / {a TO b} with
 * * for an open end, field:(a OR b), AND &&, OR ||, NOT ! -, +, parentheses,
 * backslash escapes; adjacent terms are ANDed; a term without a field is a
 * bare term. Boosts (^), fuzzy searches (~) and regular expressions are
 * refused. NULL with err (field "q", the message ending "at character N",
 * counted from 1 in code points) on a syntax error.
 */
struct fnode	*filter_parse_lucene(struct arena *, const char *q, struct core_err *);
/*
 * SCIM filter (RFC 7644 §3.4.2.2): attrPath op value, pr, and, or, not,
 * parentheses and value paths attr[filter], plus attr[filter].sub op value
 * (read as attr[filter and sub op value]). Operators and keywords are matched
 * in any case; attribute paths are kept as written (with a schema URN
 * prefix if given) for the caller to map; eq null and ne null test presence.
 * An unquoted value that is not true, false, null or a number is read as a
 * string (identity providers send them). NULL with err (field "filter") on
 * an invalid filter.
 */
struct fnode	*filter_parse_scim(struct arena *, const char *filter, struct core_err *);

/*
 * A SCIM PATCH path (RFC 7644 §3.5.2): attrPath, or attr[valFilter] with an
 * optional .subAttr. uri is a schema URN prefix or NULL; sub NULL when none;
 * filter the value filter (names relative to attr) or NULL.
 */
struct fpath {
	const char	*uri;
	const char	*attr;
	const char	*sub;
	struct fnode	*filter;
};
/* 0, or -1 with err (field "path") on an invalid path. */
int		 filter_scim_path(struct arena *, const char *path, struct fpath *out,
		    struct core_err *);

/* Conjunction helper: a AND b (either may be NULL). */
struct fnode	*filter_and(struct arena *, struct fnode *a, struct fnode *b);
struct fnode	*filter_cmp(struct arena *, const char *field, enum fop, const char *value);
/* NOT n (NULL when n is, or the arena is exhausted). */
struct fnode	*filter_not(struct arena *, struct fnode *n);

/* Compiled SQL fragment and its parameters, numbered from first_param. */
struct fsql {
	struct buf	*sql;
	const char	*params[FILTER_MAX_PARAMS + FSQL_EXTRA_PARAMS];
	int		 nparams;
	int		 first_param;
};

/*
 * Appends a parameter; returns its placeholder number ($n), or -1 when the
 * array is full. Every append goes through here.
 */
int	fsql_param(struct fsql *, const char *value);
/* Comparisons in a filter, to hold a combined filter to FILTER_MAX_TERMS. */
size_t	filter_terms(const struct fnode *);

/*
 * Appends a boolean SQL expression for n to out->sql. Unknown fields give
 * CORE_INVALID naming the field, with the message unknown_prefix + field
 * (e.g. "not filterable by ");
 * values are checked against the field's type. Derived values (LIKE
 * patterns) live in the arena, as long as out->params is used. 0 on success.
 */
int	filter_compile(struct arena *, const struct fnode *, const struct ffield *,
	    size_t nfields, const char *unknown_prefix, struct fsql *out, struct core_err *);

#endif
