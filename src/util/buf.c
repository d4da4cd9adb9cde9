/* buf.c: growable buffer and JSON writer used for every response body. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gatehouse/buf.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	buf_reset(b);
}

static bool
buf_grow(struct buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->failed)
		return false;
	if (more < b->cap - b->len)
		return true;
	if (more > (size_t)1 << 30) {
		b->failed = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_putint(struct buf *b, int64_t v)
{
	char		 d[24], *p = d + sizeof(d);
	uint64_t	 m = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + m % 10);
	while ((m /= 10) != 0);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(d + sizeof(d) - p));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_grow(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	if (b->data == NULL) {
		if (!buf_grow(b, 1))
			return "";
		b->data[0] = '\0';
	}
	return b->data;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates, and code points past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

size_t
utf8_char_len(const char *s, size_t n)
{
	return n == 0 ? 0 : utf8_seq((const unsigned char *)s, n);
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_seq(u + i, n - i)) == 0)
			return false;
		i += len;
	}
	return true;
}

/*
 * The bytes that go out as they are: printable ASCII but for the ones
 * json_escape rewrites. Most of a response is these, and a look-up here
 * instead of the switch below halved the cost of rendering a user.
 */
#define PLAIN(c)	((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\' && \
	(c) != '<' && (c) != '>' && (c) != '&')
#define PLAIN4(c)	PLAIN(c), PLAIN((c) + 1), PLAIN((c) + 2), PLAIN((c) + 3)
#define PLAIN16(c)	PLAIN4(c), PLAIN4((c) + 4), PLAIN4((c) + 8), PLAIN4((c) + 12)
static const bool json_plain[256] = {
	PLAIN16(0x00), PLAIN16(0x10), PLAIN16(0x20), PLAIN16(0x30),
	PLAIN16(0x40), PLAIN16(0x50), PLAIN16(0x60), PLAIN16(0x70),	/* 0x80 up: UTF-8, checked */
};

void
json_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t	 i = 0, run = 0;
	char	 esc[6];

	while (i < n) {
		unsigned char c = u[i];
		const char *rep = NULL;
		size_t replen = 2, adv = 1;

		if (json_plain[c]) {
			run++;
			i++;
			continue;
		}

		switch (c) {
		case '"':  rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		case '<':
		case '>':
		case '&':
			/* Escaped so JSON is inert if a browser sniffs it as HTML. */
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			rep = esc; replen = 6;
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
				esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
				rep = esc; replen = 6;
			} else if (c >= 0x80 && (adv = utf8_seq(u + i, n - i)) == 0) {
				/* JSON is UTF-8: an invalid byte becomes U+FFFD, never passes through. */
				rep = "\\ufffd"; replen = 6; adv = 1;
			}
		}
		if (rep == NULL) {
			run += adv;
			i += adv;
			continue;
		}
		if (run)
			buf_append(b, s + i - run, run);
		run = 0;
		buf_append(b, rep, replen);
		i += adv;
	}
	if (run)
		buf_append(b, s + n - run, run);
}

void
jsonw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

/* Writes the comma that separates this value from the previous sibling. */
static void
jsonw_sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		buf_putc(w->b, ',');
	w->first[w->depth] = false;
}

static void
jsonw_open(struct jsonw *w, char c)
{
	jsonw_sep(w);
	if (w->depth + 1 >= JSONW_DEPTH) {
		w->b->failed = true;
		return;
	}
	buf_putc(w->b, c);
	w->first[++w->depth] = true;
}

static void
jsonw_close(struct jsonw *w, char c)
{
	if (w->depth == 0) {
		w->b->failed = true;
		return;
	}
	w->depth--;
	buf_putc(w->b, c);
}

void jsonw_obj_open(struct jsonw *w) { jsonw_open(w, '{'); }
void jsonw_obj_close(struct jsonw *w) { jsonw_close(w, '}'); }
void jsonw_arr_open(struct jsonw *w) { jsonw_open(w, '['); }
void jsonw_arr_close(struct jsonw *w) { jsonw_close(w, ']'); }

void
jsonw_key(struct jsonw *w, const char *k)
{
	jsonw_sep(w);
	buf_putc(w->b, '"');
	json_escape(w->b, k, strlen(k));
	buf_append(w->b, "\":", 2);
	w->after_key = true;
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	jsonw_sep(w);
	buf_putc(w->b, '"');
	json_escape(w->b, s, n);
	buf_putc(w->b, '"');
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	jsonw_sep(w);
	buf_putint(w->b, v);
}

void
jsonw_bool(struct jsonw *w, bool v)
{
	jsonw_sep(w);
	buf_puts(w->b, v ? "true" : "false");
}

void
jsonw_null(struct jsonw *w)
{
	jsonw_sep(w);
	buf_append(w->b, "null", 4);
}

void
jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	jsonw_sep(w);
	buf_append(w->b, s, n);
}

void jsonw_kstr(struct jsonw *w, const char *k, const char *v) { jsonw_key(w, k); jsonw_str(w, v); }
void jsonw_kint(struct jsonw *w, const char *k, int64_t v) { jsonw_key(w, k); jsonw_int(w, v); }
void jsonw_kbool(struct jsonw *w, const char *k, bool v) { jsonw_key(w, k); jsonw_bool(w, v); }
