/* form.c: the parameter view, percent-decoding, and the urlencoded/query-string parser. */
#include <stdio.h>
#include <string.h>

#include "gatehouse/arena.h"
#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/params.h"

static void
perr_set(struct parse_error *e, enum parse_status st, const char *field, size_t flen, const char *msg)
{
	e->status = st;
	if (field != NULL)
		snprintf(e->field, sizeof(e->field), "%.*s", (int)(flen < 63 ? flen : 63), field);
	else
		e->field[0] = '\0';
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/*
 * The field's name for a message, so that every surface's error names it
 * (Canary's carries no separate field): the name when it is short, valid
 * text, else "a field".
 */
static const char *
label(const char *name, size_t nlen, char buf[72])
{
	if (name == NULL || nlen == 0 || nlen > 64 || memchr(name, '\0', nlen) != NULL ||
	    !utf8_valid(name, nlen))
		return "a field";
	memcpy(buf, name, nlen);
	buf[nlen] = '\0';
	return buf;
}

int
params_add(struct arena *a, struct params *p, const struct parse_limits *lim,
    const char *name, size_t nlen, const char *value, size_t vlen,
    enum param_kind kind, struct parse_error *e)
{
	struct param	*pv;
	char		 msg[160], lb[72];

	if (p->n >= lim->max_fields) {
		snprintf(msg, sizeof(msg), "too many fields (limit %zu)", lim->max_fields);
		perr_set(e, PARSE_LIMIT, NULL, 0, msg);
		return PARSE_LIMIT;
	}
	if (nlen > lim->max_field_len || vlen > lim->max_field_len) {
		snprintf(msg, sizeof(msg), "%s is longer than %zu bytes", label(name, nlen, lb),
		    lim->max_field_len);
		perr_set(e, PARSE_LIMIT, name, nlen, msg);
		return PARSE_LIMIT;
	}
	/* Strings must be NUL-free so that C string handling sees all of them. */
	if (memchr(name, '\0', nlen) != NULL || memchr(value, '\0', vlen) != NULL) {
		snprintf(msg, sizeof(msg), "%s contains a NUL byte",
		    label(name, strnlen(name, nlen), lb));
		perr_set(e, PARSE_SYNTAX, name, strnlen(name, nlen), msg);
		return PARSE_SYNTAX;
	}
	/* Every layer after this one (and PostgreSQL) may assume UTF-8 text. */
	if (!utf8_valid(name, nlen)) {
		perr_set(e, PARSE_SYNTAX, NULL, 0, "a field name is not valid UTF-8");
		return PARSE_SYNTAX;
	}
	if (!utf8_valid(value, vlen)) {
		snprintf(msg, sizeof(msg), "%s is not valid UTF-8", label(name, nlen, lb));
		perr_set(e, PARSE_SYNTAX, name, nlen, msg);
		return PARSE_SYNTAX;
	}
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct param *nv = arena_alloc(a, ncap * sizeof(*nv));

		if (nv == NULL)
			goto nomem;
		if (p->n)
			memcpy(nv, p->v, p->n * sizeof(*nv));
		p->v = nv;
		p->cap = ncap;
	}
	pv = &p->v[p->n];
	if ((pv->name = arena_strndup(a, name, nlen)) == NULL ||
	    (pv->value = arena_strndup(a, value, vlen)) == NULL)
		goto nomem;
	pv->len = vlen;
	pv->kind = kind;
	p->n++;
	return PARSE_OK;
nomem:
	perr_set(e, PARSE_NOMEM, NULL, 0, "request too large to process");
	return PARSE_NOMEM;
}

const struct param *
params_find(const struct params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

const char *
params_get(const struct params *p, const char *name)
{
	const struct param *pv = params_find(p, name);

	return pv != NULL ? pv->value : NULL;
}

size_t
params_count(const struct params *p, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			n++;
	return n;
}

int
url_decode(const char *in, size_t len, char *out, size_t *outlen, bool plus)
{
	size_t	 i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = base16_digit((unsigned char)in[i + 1]);
			lo = base16_digit((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus)
			out[o++] = ' ';
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

enum parse_status
form_parse(struct arena *a, struct params *p, const struct parse_limits *lim,
    const char *data, size_t len, struct parse_error *e)
{
	const char	*s = data, *end = data + len;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp != NULL ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pe - s));
		const char *ne = eq != NULL ? eq : pe;
		const char *vs = eq != NULL ? eq + 1 : pe;
		size_t nlen = (size_t)(ne - s), vlen = (size_t)(pe - vs), dn, dv;
		char *name, *value;
		int rc;

		if (pe == s) {		/* empty pair, e.g. "a=1&&b=2" */
			s = pe + 1;
			continue;
		}
		/* Encoded text may be three times the decoded limit; params_add checks the rest. */
		if (nlen / 3 > lim->max_field_len || vlen / 3 > lim->max_field_len) {
			char msg[160], lb[72];
			snprintf(msg, sizeof(msg), "%s is longer than %zu bytes",
			    label(s, nlen > 64 ? 65 : nlen, lb), lim->max_field_len);
			perr_set(e, PARSE_LIMIT, s, nlen > 63 ? 63 : nlen, msg);
			return PARSE_LIMIT;
		}
		if ((name = arena_alloc(a, nlen + 1)) == NULL ||
		    (value = arena_alloc(a, vlen + 1)) == NULL) {
			perr_set(e, PARSE_NOMEM, NULL, 0, "request too large to process");
			return PARSE_NOMEM;
		}
		if (url_decode(s, nlen, name, &dn, true) != 0) {
			perr_set(e, PARSE_SYNTAX, s, nlen, "malformed percent-encoding in field name");
			return PARSE_SYNTAX;
		}
		if (dn == 0) {
			perr_set(e, PARSE_SYNTAX, NULL, 0, "field with an empty name");
			return PARSE_SYNTAX;
		}
		if (url_decode(vs, vlen, value, &dv, true) != 0) {
			perr_set(e, PARSE_SYNTAX, name, dn, "malformed percent-encoding in value");
			return PARSE_SYNTAX;
		}
		if ((rc = params_add(a, p, lim, name, dn, value, dv, PARAM_TEXT, e)) != PARSE_OK)
			return (enum parse_status)rc;
		s = pe + 1;
	}
	return PARSE_OK;
}
