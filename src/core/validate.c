/* validate.c: field checks used by core operations before anything touches the database. */
#include <ctype.h>
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/validate.h"

/* A dot-separated run of labels: no empty label, none starting or ending with '-' in a domain. */
static bool
labels_ok(const char *s, const char *end, bool domain)
{
	const char *l = s;

	if (s == end)
		return false;
	for (const char *p = s; p <= end; p++) {
		if (p == end || *p == '.') {
			if (p == l)
				return false;		/* empty label: leading, trailing or double dot */
			if (domain && (l[0] == '-' || p[-1] == '-'))
				return false;
			l = p + 1;
		}
	}
	return true;
}

bool
valid_email(const char *s)
{
	const char	*at = strchr(s, '@'), *end;
	size_t		 n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64)
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr("\"(),:;<>[\\]", *c))
			return false;
	end = s + n;
	/* The domain needs at least one dot. */
	return labels_ok(s, at, false) && labels_ok(at + 1, end, true) && strchr(at + 1, '.') != NULL &&
	    utf8_valid(s, n);
}

/* Code points that render as nothing or as a space, so two names could look alike. */
static bool
invisible_at(const unsigned char *p)
{
	if (p[0] == 0xc2 && p[1] == 0xa0)				/* no-break space */
		return true;
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8f || (p[2] >= 0xa8 && p[2] <= 0xaf)))
		return true;						/* U+2000–200F, 2028–202F */
	if (p[0] == 0xe2 && p[1] == 0x81 && (p[2] >= 0x9f && p[2] <= 0xaf))
		return true;						/* U+205F–206F */
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)		/* ideographic space */
		return true;
	return p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf;		/* BOM */
}

bool
valid_username(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100 || !utf8_valid(s, n))
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= ' ' || *c == 0x7f || ((size_t)((const char *)c - s) + 3 <= n + 1 &&
		    *c >= 0xc2 && invisible_at(c)))
			return false;
	return true;
}

static bool
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	/* 29 February only in leap years. */
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

bool
valid_datetime(const char *s)
{
	char date[11];
	const char *t;

	if (strlen(s) < 10)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!valid_date(date))
		return false;
	t = s + 10;
	if (*t == '\0')
		return true;
	if (*t != 'T' && *t != ' ')
		return false;
	t++;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[0] > '2' ||
	    (t[0] == '2' && t[1] > '3') || t[3] > '5')
		return false;
	t += 5;
	if (*t == ':') {
		if (!digits(t + 1, 2) || t[1] > '5')
			return false;
		t += 3;
		if (*t == '.') {
			int n = 0;
			for (t++; isdigit((unsigned char)*t) && n < 9; t++)
				n++;
			if (n == 0)
				return false;
		}
	}
	if (*t == 'Z')
		return t[1] == '\0';
	if (*t == '+' || *t == '-')
		return digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) && t[6] == '\0';
	return *t == '\0';
}

bool
valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool
valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max || !utf8_valid(s, n))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') || *p == 0x7f)
			return false;
	return true;
}

bool
valid_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 18 && s[0] != '0' && strspn(s, "0123456789") == n;
}
