/* mime.c: the MIME writer (see mime.h): encoded-words, quoted-printable bodies, checked addresses. */
#include <stdio.h>
#include <string.h>

#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/mime.h"

/*
 * Quoted-printable never writes "=_" (a literal '=' is "=3D"), so a boundary
 * that starts with it cannot occur inside a part so encoded; a 7bit part is
 * checked for it (seven_bit).
 */
#define BOUNDARY	"=_gatehouse_alternative"
#define QP_LINE		76	/* characters of an encoded line, soft break included */
#define WORD_BYTES	36	/* bytes of text per encoded-word: 48 base64 characters */

bool
mime_addr_ok(const char *a)
{
	const char	*at;
	size_t		 n;

	if (a == NULL || (n = strlen(a)) < 3 || n > 254 || (at = strchr(a, '@')) == NULL ||
	    at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("()<>[]:;,\\\"", *p) != NULL)
			return false;
	return true;
}

/* True when s is printable ASCII only (spaces included), so it can stand in a header as it is. */
static bool
plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/*
 * Writes s as RFC 2047 B encoded-words of at most WORD_BYTES bytes each,
 * never splitting a UTF-8 character, folded onto lines of their own.
 */
static void
encoded_words(struct buf *b, const char *s)
{
	size_t	n = strlen(s), i = 0;
	char	out[BASE64_LEN(WORD_BYTES) + 4];

	while (i < n) {
		size_t take = 0, len, k;

		while (i + take < n) {
			len = utf8_char_len(s + i + take, n - i - take);
			if (len == 0)
				len = 1;	/* a stray byte travels alone, base64 keeps it inert */
			if (take + len > WORD_BYTES)
				break;
			take += len;
		}
		k = base64_encode(BASE64_STD, s + i, take, out);
		while (k % 4 != 0)
			out[k++] = '=';		/* RFC 2047 wants the padded form */
		out[k] = '\0';
		buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", out);
		i += take;
	}
}

/*
 * A header with free text: as it is when it is plain and short, folded at
 * spaces; otherwise encoded-words. A line break in s can never end the header.
 */
static void
text_header(struct buf *b, const char *name, const char *s)
{
	size_t col;

	buf_printf(b, "%s: ", name);
	/* "=?" in plain text would read as an encoded-word to a mail client. */
	if (!plain(s) || strstr(s, "=?") != NULL || strlen(s) > 900) {
		encoded_words(b, s);
		buf_puts(b, "\r\n");
		return;
	}
	col = strlen(name) + 2;
	while (*s) {
		size_t word = strcspn(s + 1, " ") + 1;

		if (col + word > 78 && col > strlen(name) + 2 && *s == ' ') {
			buf_puts(b, "\r\n");
			col = 0;
		}
		buf_append(b, s, word);
		col += word;
		s += word;
	}
	buf_puts(b, "\r\n");
}

/*
 * A display name and the space before the address: a quoted-string when
 * plain, else encoded-words with the address on a line of its own.
 */
static void
display_name(struct buf *b, const char *s)
{
	if (plain(s) && strpbrk(s, "\"\\") == NULL && strstr(s, "=?") == NULL && strlen(s) <= 48)
		buf_printf(b, "\"%s\" ", s);
	else {
		encoded_words(b, s);
		buf_puts(b, "\r\n ");
	}
}

/* RFC 5322 date-time in UTC, independent of the locale. */
static void
date_header(struct buf *b, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text whose lines end in \n (a
 * \r before it is dropped): CRLF line ends, lines of at most QP_LINE
 * characters with soft breaks, '=' and every byte outside printable ASCII
 * encoded, as are a space or tab before a line end and a '.' starting a line.
 */
static void
quoted_printable(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char	 enc[4];
		size_t	 w;
		bool	 eol_next = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');

		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n') {
			buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		if ((*p >= 33 && *p <= 126 && *p != '=' && !(*p == '.' && col == 0)) ||
		    ((*p == ' ' || *p == '\t') && !eol_next)) {
			enc[0] = (char)*p;
			w = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			w = 3;
		}
		/* Room for this and a soft break ("=") on the line. */
		if (col + w > QP_LINE - 1) {
			buf_puts(b, "=\r\n");
			col = 0;
			if (enc[0] == '.' && w == 1) {
				memcpy(enc, "=2E", 3);
				w = 3;
			}
		}
		buf_append(b, enc, w);
		col += w;
	}
	if (col > 0)
		buf_puts(b, "\r\n");
}

/*
 * True when text can travel as it is (7bit): ASCII without control
 * characters but tab and \n, lines of at most 998 bytes, and no line that
 * the boundary could be mistaken for. Links then stay whole for whoever
 * reads the raw message.
 */
static bool
seven_bit(const char *s)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n') {
			col = 0;
			continue;
		}
		if (*p >= 0x7f || (*p < 0x20 && *p != '\t') || ++col > 998 ||
		    (col == 1 && strncmp((const char *)p, "--" BOUNDARY, sizeof(BOUNDARY) + 1) == 0))
			return false;
	}
	return true;
}

static void
part(struct buf *b, const char *type, const char *body)
{
	bool plain7 = seven_bit(body);

	buf_printf(b, "--" BOUNDARY "\r\nContent-Type: %s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", type, plain7 ? "7bit" : "quoted-printable");
	if (!plain7) {
		quoted_printable(b, body);
		return;
	}
	for (const char *p = body; *p; ) {
		size_t n = strcspn(p, "\n");

		buf_append(b, p, n);
		buf_puts(b, "\r\n");
		p += n;
		if (*p == '\n')
			p++;
	}
}

int
mime_write(struct buf *b, const struct mime_message *m, const char **why)
{
	if (!mime_addr_ok(m->from_addr)) {
		*why = "from address";
		return -1;
	}
	if (!mime_addr_ok(m->to_addr)) {
		*why = "to address";
		return -1;
	}
	if (!mime_addr_ok(m->message_id)) {
		*why = "message id";
		return -1;
	}
	buf_puts(b, "From: ");
	if (m->from_name != NULL && *m->from_name != '\0')
		display_name(b, m->from_name);
	buf_printf(b, "<%s>\r\nTo: <%s>\r\n", m->from_addr, m->to_addr);
	text_header(b, "Subject", m->subject ? m->subject : "");
	date_header(b, m->date);
	buf_printf(b, "Message-ID: <%s>\r\n", m->message_id);
	/* RFC 3834: nobody's vacation reply should answer a machine. */
	buf_puts(b, "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"" BOUNDARY "\"\r\n"
	    "\r\n");
	part(b, "text/plain", m->text ? m->text : "");
	part(b, "text/html", m->html ? m->html : "");
	buf_puts(b, "--" BOUNDARY "--\r\n");
	if (b->failed) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}
