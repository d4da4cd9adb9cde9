/* etag.c: our entity tags, and If-Match lists parsed to the letter of RFC 9110. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gatehouse/etag.h"

static bool
ows(char c)
{
	return c == ' ' || c == '\t';
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool
etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* The version an opaque tag's content of n bytes names, or -1 if it is not one of ours. */
static long
our_version(const char *s, size_t n)
{
	long v = 0;

	/* Plain decimal only: no sign, no leading zero, no more digits than the maximum has. */
	if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= ETAG_VERSION_MAX ? v : -1;
}

/*
 * Reads one entity-tag at *s and advances past it. Returns 1 when it is
 * well-formed (*v: its version, or -1 when foreign), 0 when it is not.
 */
static int
entity_tag(const char **s, long *v)
{
	const char *p = *s, *open;

	if (strncmp(p, "W/", 2) == 0)
		p += 2;
	if (*p != '"')
		return 0;
	open = ++p;
	while (etagc((unsigned char)*p))
		p++;
	if (*p != '"')
		return 0;
	*v = our_version(open, (size_t)(p - open));
	*s = p + 1;
	return 1;
}

/*
 * Steps the list at *s past its separators (elements are separated by OWS
 * "," OWS, empty ones allowed: RFC 9110 §5.6.1) to the next entity-tag:
 * 1 with *v its version (-1: foreign), 0 at the end, -1 when malformed.
 */
static int
next_tag(const char **s, long *v)
{
	while (ows(**s) || **s == ',')
		(*s)++;
	if (**s == '\0')
		return 0;
	if (!entity_tag(s, v))
		return -1;
	while (ows(**s))
		(*s)++;
	return **s == ',' || **s == '\0' ? 1 : -1;
}

/* Whether value is "*" (with OWS about it): 1, 0 if not, -1 if "*" is followed by more. */
static int
star(const char **s)
{
	while (ows(**s))
		(*s)++;
	if (**s != '*')
		return 0;
	for ((*s)++; ows(**s); (*s)++)
		;
	return **s == '\0' ? 1 : -1;
}

enum etag_result
etag_parse_if_match(const char *value, int *version)
{
	const char	*s = value;
	long		 found = -1, v;
	bool		 any_tag = false;
	int		 got;

	*version = -1;
	if (value == NULL)
		return ETAG_ANY;
	if ((got = star(&s)) != 0)
		return got > 0 ? ETAG_ANY : ETAG_BAD;
	while ((got = next_tag(&s, &v)) > 0) {
		any_tag = true;
		if (v >= 0) {
			if (found >= 0 && found != v)
				return ETAG_BAD;
			found = v;
		}
	}
	if (got < 0 || !any_tag)
		return ETAG_BAD;
	if (found < 0)
		return ETAG_FOREIGN;
	*version = (int)found;
	return ETAG_VERSION;
}

bool
etag_list_has(const char *value, int version)
{
	const char	*s = value;
	long		 v;
	bool		 hit = false;
	int		 got;

	if (value == NULL)
		return false;
	if ((got = star(&s)) != 0)
		return got > 0;
	/* Any element naming version matches; a malformed list matches nothing. */
	while ((got = next_tag(&s, &v)) > 0)
		hit |= v == version;
	return got == 0 && hit;
}

void
etag_format(char *buf, size_t size, int version)
{
	snprintf(buf, size, "\"%d\"", version);
}
