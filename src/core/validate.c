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

/* Code points that render as nothing or as a space, so two names could look alike. */
static bool
invisible(unsigned cp)
{
	static const struct { unsigned lo, hi; } ranges[] = {
		{ 0x0000, 0x0020 }, { 0x007f, 0x00a0 },	/* controls, space, C1, no-break space */
		{ 0x00ad, 0x00ad }, { 0x034f, 0x034f },	/* soft hyphen, grapheme joiner */
		{ 0x061c, 0x061c }, { 0x115f, 0x1160 },	/* Arabic letter mark, Hangul fillers */
		{ 0x1680, 0x1680 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f },	/* spaces, zero-width, bidi marks */
		{ 0x205f, 0x206f }, { 0x2800, 0x2800 },	/* math space, word joiner, braille blank */
		{ 0x3000, 0x3000 }, { 0x3164, 0x3164 },	/* ideographic space, Hangul filler */
		{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },	/* variation selectors, BOM */
		{ 0xffa0, 0xffa0 }, { 0xfff0, 0xfffb },
		{ 0xe0000, 0xe0fff },			/* tags, variation selectors supplement */
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return true;
	return false;
}

/* Valid UTF-8 of at most max bytes with no control, space or invisible character. */
static bool
visible_text(const char *s, size_t max)
{
	size_t n = strlen(s), chars = 0;

	if (n == 0 || !utf8_valid(s, n))
		return false;
	/* max counts characters (code points), as the messages say, not bytes. */
	for (const unsigned char *p = (const unsigned char *)s; *p; chars++) {
		unsigned cp;
		int len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;

		cp = len == 1 ? *p : (unsigned)(*p & (0x7f >> len));
		for (int i = 1; i < len; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		if (invisible(cp))
			return false;
		p += len;
	}
	return chars <= max;
}

bool
valid_email(const char *s)
{
	const char	*at = strchr(s, '@'), *end;
	size_t		 n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s || strchr(at + 1, '@') != NULL || at - s > 64 ||
	    !visible_text(s, 254))
		return false;
	/*
	 * ASCII only: an address is somewhere mail must reach, and the mailer
	 * speaks plain SMTP (no SMTPUTF8); an internationalised domain is given
	 * in its xn-- form.
	 */
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c >= 0x80 || strchr("\"(),:;<>[\\]", *c))
			return false;
	end = s + n;
	/* The domain needs at least one dot. */
	return labels_ok(s, at, false) && labels_ok(at + 1, end, true) && strchr(at + 1, '.') != NULL;
}

bool
valid_username(const char *s)
{
	return visible_text(s, 100);
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
		/* Offsets PostgreSQL takes: at most 15:59 either way. */
		return digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2) && t[6] == '\0' &&
		    (t[1] == '0' || (t[1] == '1' && t[2] <= '5')) && t[4] <= '5';
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
valid_line(const char *s, size_t max)
{
	return valid_text(s, max) && strpbrk(s, "\t\r\n") == NULL;
}

bool
valid_name(const char *s, size_t max)
{
	if (!valid_line(s, max))
		return false;
	/* U+202A–U+202E are E2 80 AA–AE; U+2066–U+2069 are E2 81 A6–A9. */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
		    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
			return false;
	return true;
}

bool
valid_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 18 && s[0] != '0' && strspn(s, "0123456789") == n;
}
