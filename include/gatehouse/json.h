/* json.h: a read-only JSON tree parsed with yajl into a request's arena. */
#ifndef GATEHOUSE_JSON_H
#define GATEHOUSE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/params.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type	  type;
	const char	 *str;		/* STRING: value; NUMBER: its text; BOOL: "true"/"false" */
	size_t		  len;
	bool		  boolean;
	size_t		  n;		/* members or elements */
	const char	**keys;		/* OBJECT: member names (unique) */
	size_t		 *keylens;
	struct json	**items;
};

/* Parses data; NULL with err set on failure. Duplicate object keys are refused. */
struct json	*json_parse(struct arena *, const struct parse_limits *,
		    const char *data, size_t len, struct parse_error *);
/* Member of an object by name, or NULL (also when j is not an object). */
const struct json *json_get(const struct json *, const char *key);
/* Writes j back as JSON text, leaving out the object members of its top level named in skip. */
struct jsonw;
void		 json_write(struct jsonw *, const struct json *, const char *const *skip);

#endif
