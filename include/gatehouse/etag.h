/* etag.h: entity tags of versioned resources and the If-Match precondition (RFC 9110 §8.8.3, §13.1.1). */
#ifndef GATEHOUSE_ETAG_H
#define GATEHOUSE_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#define ETAG_VERSION_MAX	2000000000
#define ETAG_LEN		16	/* "2000000000" and its NUL, with room */

enum etag_result {
	ETAG_ANY,	/* header absent, or "*" */
	ETAG_VERSION,	/* the list names exactly one of our versions: *version */
	ETAG_FOREIGN,	/* well-formed, but no tag is one of ours: can never match (412) */
	ETAG_BAD,	/* not a valid entity-tag list (400), or names two different versions of ours */
};

/*
 * Reads an If-Match value (NULL when the header is absent). Our tags are
 * "N" and W/"N" for a version N in 0..ETAG_VERSION_MAX written in plain
 * decimal, compared weakly; any other well-formed tag is foreign. Sets
 * *version for ETAG_VERSION, -1 otherwise.
 */
enum etag_result etag_parse_if_match(const char *value, int *version);

/*
 * Whether an If-None-Match value ("*", or a list of tags of which any may
 * match) matches a resource at version: weakly, as RFC 9110 §13.1.2 asks.
 */
bool	etag_list_has(const char *value, int version);

/* Writes the ETag header value of version n ("N") into buf. */
void	etag_format(char *buf, size_t size, int version);

#endif
