/* multipart.c: multipart/form-data (RFC 7578) text fields into the parameter view. */
#define _GNU_SOURCE		/* memmem */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gatehouse/arena.h"
#include "gatehouse/params.h"

#define BOUNDARY_MAX	70	/* RFC 2046 */

static enum parse_status
fail(struct parse_error *e, enum parse_status st, const char *field, size_t flen, const char *msg)
{
	e->status = st;
	snprintf(e->field, sizeof(e->field), "%.*s", field ? (int)(flen < 63 ? flen : 63) : 0,
	    field ? field : "");
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return st;
}

static size_t
remaining(const char *p, const char *end)
{
	return p < end ? (size_t)(end - p) : 0;
}

/*
 * Finds parameter `key` in a header value such as
 * `form-data; name="a"; filename="b"`. Sets *val and *vlen (quotes removed, but
 * backslash escapes left in: names with quotes are not supported) and
 * returns 1 if present, 0 if absent, -1 if malformed.
 */
static int
header_param(const char *h, size_t hlen, const char *key, const char **val, size_t *vlen)
{
	const char	*s = h, *end = h + hlen;
	size_t		 klen = strlen(key);

	while (s < end) {
		const char *semi, *eq, *vs, *ve;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if ((eq = memchr(s, '=', (size_t)(end - s))) == NULL)
			return 0;
		semi = memchr(s, ';', (size_t)(end - s));
		if (semi != NULL && semi < eq) {	/* a bare token such as form-data */
			s = semi + 1;
			continue;
		}
		vs = eq + 1;
		if (vs < end && *vs == '"') {
			vs++;
			if ((ve = memchr(vs, '"', (size_t)(end - vs))) == NULL)
				return -1;
			semi = memchr(ve, ';', remaining(ve, end));
		} else {
			semi = memchr(vs, ';', remaining(vs, end));
			ve = semi != NULL ? semi : end;
			while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
		}
		if ((size_t)(eq - s) == klen && strncasecmp(s, key, klen) == 0) {
			*val = vs;
			*vlen = (size_t)(ve - vs);
			return 1;
		}
		if (semi == NULL)
			return 0;
		s = semi + 1;
	}
	return 0;
}

/* Extracts the boundary from a Content-Type value; 0 on success. */
static int
boundary_get(const char *ctype, char *out, size_t outsz, size_t *outlen)
{
	const char	*v;
	size_t		 vlen;

	if (header_param(ctype, strlen(ctype), "boundary", &v, &vlen) != 1 ||
	    vlen == 0 || vlen > BOUNDARY_MAX || vlen + 3 > outsz)
		return -1;
	out[0] = '-';
	out[1] = '-';
	memcpy(out + 2, v, vlen);
	*outlen = vlen + 2;
	out[*outlen] = '\0';
	return 0;
}

enum parse_status
multipart_parse(struct arena *a, struct params *p, const struct parse_limits *lim,
    const char *ctype, const char *data, size_t len, struct parse_error *e)
{
	char		 delim[BOUNDARY_MAX + 3];
	size_t		 dlen;
	const char	*s, *end = data + len;

	if (boundary_get(ctype, delim, sizeof(delim), &dlen) != 0)
		return fail(e, PARSE_SYNTAX, NULL, 0, "multipart/form-data without a valid boundary");

	/* The first delimiter may follow a preamble; it starts the body or a line. */
	if (len >= dlen && memcmp(data, delim, dlen) == 0)
		s = data + dlen;
	else {
		const char *m = NULL;
		for (const char *q = data; q < end; q++) {
			q = memmem(q, (size_t)(end - q), delim, dlen);
			if (q == NULL)
				break;
			if (q - data >= 2 && q[-2] == '\r' && q[-1] == '\n') {
				m = q;
				break;
			}
		}
		if (m == NULL)
			return fail(e, PARSE_SYNTAX, NULL, 0, "multipart body has no opening boundary");
		s = m + dlen;
	}

	for (;;) {
		const char *hend, *content, *next, *name = NULL, *fname;
		size_t nlen = 0, fnlen, hl;
		int rc;

		if (end - s >= 2 && s[0] == '-' && s[1] == '-')
			return PARSE_OK;		/* closing delimiter */
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
			return fail(e, PARSE_SYNTAX, NULL, 0, "malformed multipart boundary line");
		s += 2;
		if ((hend = memmem(s, (size_t)(end - s), "\r\n\r\n", 4)) != NULL)
			content = hend + 4;
		else if (end - s >= 2 && s[0] == '\r' && s[1] == '\n')
			return fail(e, PARSE_SYNTAX, NULL, 0, "multipart part without Content-Disposition");
		else
			return fail(e, PARSE_SYNTAX, NULL, 0, "unterminated multipart part headers");

		/* Headers: only Content-Disposition matters; others are ignored. */
		for (const char *h = s; h < hend; ) {
			const char *eol = memmem(h, (size_t)(hend + 2 - h), "\r\n", 2);
			const char *colon;

			if (eol == NULL)
				eol = hend;
			hl = (size_t)(eol - h);
			colon = memchr(h, ':', hl);
			if (colon != NULL && (size_t)(colon - h) == 19 &&
			    strncasecmp(h, "content-disposition", 19) == 0) {
				const char *v = colon + 1;
				size_t vl = (size_t)(eol - v);

				while (vl && (*v == ' ' || *v == '\t')) {
					v++;
					vl--;
				}
				if (vl < 9 || strncasecmp(v, "form-data", 9) != 0)
					return fail(e, PARSE_SYNTAX, NULL, 0,
					    "multipart part is not form-data");
				rc = header_param(v, vl, "name", &name, &nlen);
				if (rc < 0)
					return fail(e, PARSE_SYNTAX, NULL, 0,
					    "malformed Content-Disposition in multipart part");
				/* RFC 6266 filename* is an upload as much as filename is. */
				if (header_param(v, vl, "filename", &fname, &fnlen) != 0 ||
				    header_param(v, vl, "filename*", &fname, &fnlen) != 0)
					return fail(e, PARSE_UNSUPPORTED, name, nlen,
					    "file uploads are not accepted");
			}
			h = eol + 2;
		}
		if (name == NULL || nlen == 0)
			return fail(e, PARSE_SYNTAX, NULL, 0, "multipart part without a field name");

		/* The part ends at CRLF + delimiter. */
		next = NULL;
		for (const char *q = content; q < end; q++) {
			q = memmem(q, (size_t)(end - q), delim, dlen);
			if (q == NULL)
				break;
			if (q - content >= 2 && q[-2] == '\r' && q[-1] == '\n') {
				next = q;
				break;
			}
		}
		if (next == NULL)
			return fail(e, PARSE_SYNTAX, name, nlen, "multipart part is not terminated");
		rc = params_add(a, p, lim, name, nlen, content, (size_t)(next - 2 - content),
		    PARAM_TEXT, e);
		if (rc != PARSE_OK)
			return (enum parse_status)rc;
		s = next + dlen;
	}
}
