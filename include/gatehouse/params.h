/* params.h: one name → values view of a request's query string and body, and the parsers that fill it. */
#ifndef GATEHOUSE_PARAMS_H
#define GATEHOUSE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct json;

/* How a value arrived: lets validators tell JSON true from the string "true". */
enum param_kind { PARAM_TEXT, PARAM_NUMBER, PARAM_BOOL, PARAM_NULL };

struct param {
	const char	*name;
	const char	*value;		/* NUL-terminated, NUL-free; "" for PARAM_NULL */
	size_t		 len;
	enum param_kind	 kind;
};

struct params {
	struct param	*v;
	size_t		 n, cap;
};

struct parse_limits {
	size_t	max_fields;	/* parameters in the whole request */
	size_t	max_field_len;	/* bytes of one name or value */
	int	max_depth;	/* JSON nesting */
	size_t	max_nodes;	/* JSON values */
};

enum parse_status {
	PARSE_OK = 0,
	PARSE_SYNTAX,		/* malformed input */
	PARSE_LIMIT,		/* a bound was exceeded */
	PARSE_UNSUPPORTED,	/* well-formed but not accepted (file upload) */
	PARSE_NOMEM,
	PARSE__MAX
};

/* Why parsing stopped: a message for the client and, when known, the field. */
struct parse_error {
	enum parse_status	 status;
	char			 field[64];
	char			 msg[160];
};

int	params_add(struct arena *, struct params *, const struct parse_limits *,
	    const char *name, size_t nlen, const char *value, size_t vlen,
	    enum param_kind, struct parse_error *);
/* First value of name, or NULL. */
const struct param *params_find(const struct params *, const char *name);
const char *params_get(const struct params *, const char *name);
size_t	params_count(const struct params *, const char *name);

/* application/x-www-form-urlencoded and query strings (same grammar). */
enum parse_status form_parse(struct arena *, struct params *, const struct parse_limits *,
	    const char *data, size_t len, struct parse_error *);

/*
 * multipart/form-data with the boundary from the Content-Type header value
 * `ctype`. Text fields only: a part with a filename is refused.
 */
enum parse_status multipart_parse(struct arena *, struct params *, const struct parse_limits *,
	    const char *ctype, const char *data, size_t len, struct parse_error *);

/*
 * application/json into a tree (see json.h). When the root is an object its
 * scalar members, and arrays of scalars, are also added to params.
 */
enum parse_status json_body_parse(struct arena *, struct params *, const struct parse_limits *,
	    const char *data, size_t len, struct json **root, struct parse_error *);

/* Decodes %XX (and "+" as a space when plus) into out, which has room for len + 1 bytes; -1 on a bad escape. */
int	url_decode(const char *in, size_t len, char *out, size_t *outlen, bool plus);

#endif
