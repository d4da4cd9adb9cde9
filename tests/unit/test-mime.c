/* test-mime.c: the MIME writer — headers nobody can inject into, encoded-words, both bodies, addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gatehouse/base64.h"
#include "gatehouse/buf.h"
#include "gatehouse/mime.h"

/* 2024-02-29 13:05:09 UTC, a Thursday. */
#define T0	1709211909

static struct mime_message
message(void)
{
	struct mime_message m;

	memset(&m, 0, sizeof(m));
	m.from_name = "Acme";
	m.from_addr = "noreply@acme.example";
	m.to_addr = "ada@example.com";
	m.subject = "Your invitation to Acme";
	m.message_id = "gatehouse.1.2@acme.example";
	m.date = T0;
	m.text = "Hello Ada,\n\nhttps://gh.example/register?token=abc\n";
	m.html = "<p>Hello Ada,</p>\n";
	return m;
}

/* Writes m; the header block (up to the blank line) into head, all of it into all. */
static void
write_ok(const struct mime_message *m, struct buf *all, char *head, size_t headsz)
{
	const char	*why = NULL, *end;

	buf_init(all);
	assert_int_equal(mime_write(all, m, &why), 0);
	end = strstr(buf_cstr(all), "\r\n\r\n");
	assert_non_null(end);
	assert_true((size_t)(end - all->data) < headsz);
	memcpy(head, all->data, (size_t)(end - all->data) + 2);
	head[end - all->data + 2] = '\0';
}

/* Every header line starts with one of the writer's names, or continues the one before. */
static void
assert_only_our_headers(const char *head)
{
	static const char *const names[] = { "From: ", "To: ", "Subject: ", "Date: ",
		"Message-ID: ", "Auto-Submitted: ", "MIME-Version: ", "Content-Type: ", NULL };
	int count = 0;

	for (const char *l = head; *l; ) {
		const char	*eol = strstr(l, "\r\n");
		bool		 known = l[0] == ' ';

		assert_non_null(eol);
		for (int i = 0; names[i] && !known; i++)
			known = strncmp(l, names[i], strlen(names[i])) == 0;
		if (!known)
			fail_msg("unexpected header line: %.*s", (int)(eol - l), l);
		assert_true(eol - l <= 78);
		assert_null(memchr(l, '\n', (size_t)(eol - l)));
		assert_null(memchr(l, '\r', (size_t)(eol - l)));
		count += l[0] != ' ';
		l = eol + 2;
	}
	assert_int_equal(count, 8);
}

/* The text of a header's encoded-words (RFC 2047 B, UTF-8) decoded and joined into out. */
static void
decode_words(const char *head, const char *name, char *out, size_t outsz)
{
	const char	*p = strstr(head, name), *end;
	size_t		 o = 0;

	assert_non_null(p);
	p += strlen(name);
	/* The header ends at the first line break not followed by a space. */
	for (end = p; (end = strstr(end, "\r\n")) != NULL && end[2] == ' '; end += 2)
		;
	assert_non_null(end);
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL && p < end) {
		const char	*s = p + 10, *e = strstr(s, "?=");
		size_t		 len;
		long		 n;

		assert_non_null(e);
		len = (size_t)(e - s);
		while (len > 0 && s[len - 1] == '=')
			len--;
		n = base64_decode(BASE64_STD, s, len, (unsigned char *)out + o, outsz - o - 1);
		assert_true(n >= 0);
		o += (size_t)n;
		p = e + 2;
	}
	out[o] = '\0';
}

static void
a_plain_message_has_every_header(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[2048];

	(void)state;
	write_ok(&m, &b, head, sizeof(head));
	assert_only_our_headers(head);
	assert_non_null(strstr(head, "From: \"Acme\" <noreply@acme.example>\r\n"));
	assert_non_null(strstr(head, "To: <ada@example.com>\r\n"));
	assert_non_null(strstr(head, "Subject: Your invitation to Acme\r\n"));
	assert_non_null(strstr(head, "Date: Thu, 29 Feb 2024 13:05:09 +0000\r\n"));
	assert_non_null(strstr(head, "Message-ID: <gatehouse.1.2@acme.example>\r\n"));
	assert_non_null(strstr(head, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(head, "Content-Type: multipart/alternative; boundary="));
	buf_free(&b);
}

static void
both_parts_are_utf8_and_the_multipart_closes(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[2048];
	const char		*body, *text, *html;

	(void)state;
	write_ok(&m, &b, head, sizeof(head));
	body = strstr(b.data, "\r\n\r\n") + 4;
	text = strstr(body, "Content-Type: text/plain; charset=utf-8\r\n");
	html = strstr(body, "Content-Type: text/html; charset=utf-8\r\n");
	assert_non_null(text);
	assert_non_null(html);
	assert_true(text < html);
	/* Plain ASCII travels as it is: the link stays on one line. */
	assert_non_null(strstr(text, "Content-Transfer-Encoding: 7bit\r\n\r\nHello Ada,\r\n\r\n"
	    "https://gh.example/register?token=abc\r\n"));
	assert_non_null(strstr(html, "<p>Hello Ada,</p>\r\n"));
	assert_non_null(strstr(b.data, "--=_gatehouse_alternative--\r\n"));
	/* Nothing but CRLF ends a line anywhere. */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			assert_int_equal(b.data[i - 1], '\r');
	buf_free(&b);
}

static void
a_line_break_in_the_subject_cannot_add_a_header(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[4096], words[256];

	(void)state;
	m.subject = "Hello\r\nBcc: everyone@evil.example\r\n\r\n<html>";
	write_ok(&m, &b, head, sizeof(head));
	assert_only_our_headers(head);
	assert_null(strstr(b.data, "\nBcc:"));
	decode_words(head, "Subject: ", words, sizeof(words));
	assert_string_equal(words, m.subject);
	buf_free(&b);
}

static void
a_line_break_in_the_display_name_cannot_add_a_header(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[4096], words[256];

	(void)state;
	m.from_name = "Acme\nReply-To: thief@evil.example";
	write_ok(&m, &b, head, sizeof(head));
	assert_only_our_headers(head);
	assert_null(strstr(b.data, "\nReply-To:"));
	decode_words(head, "From: ", words, sizeof(words));
	assert_string_equal(words, m.from_name);
	/* A quote cannot close the quoted-string either: that name is encoded too. */
	m.from_name = "Acme\" <thief@evil.example>, \"x";
	buf_free(&b);
	write_ok(&m, &b, head, sizeof(head));
	assert_null(strstr(head, "<thief@"));
	decode_words(head, "From: ", words, sizeof(words));
	assert_string_equal(words, m.from_name);
	buf_free(&b);
}

static void
a_utf8_subject_is_encoded_in_short_words_without_splitting_a_character(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[4096], words[512];

	(void)state;
	m.subject = "Willkommen bei Müller & Söhne — 東京支社のアカウントへようこそ 🙂🙂🙂";
	m.from_name = "Müller & Söhne";
	write_ok(&m, &b, head, sizeof(head));
	assert_only_our_headers(head);
	decode_words(head, "Subject: ", words, sizeof(words));
	assert_string_equal(words, m.subject);
	decode_words(head, "From: ", words, sizeof(words));
	assert_string_equal(words, m.from_name);
	/* Each word on its own decodes to whole characters (no lone continuation byte at a start). */
	for (const char *p = strstr(head, "Subject: "); (p = strstr(p, "=?UTF-8?B?")) != NULL; p++) {
		unsigned char	 raw[64];
		const char	*e = strstr(p + 10, "?=");
		size_t		 len = (size_t)(e - p - 10);
		long		 n;

		while (len > 0 && p[10 + len - 1] == '=')
			len--;
		n = base64_decode(BASE64_STD, p + 10, len, raw, sizeof(raw));
		assert_true(n > 0 && n <= 36);
		assert_true((raw[0] & 0xc0) != 0x80);
		if (strncmp(e + 2, "\r\n", 2) == 0 && e[4] != ' ')
			break;
	}
	buf_free(&b);
}

static void
a_long_ascii_subject_is_folded_at_spaces(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[4096], joined[512];
	const char		*s, *e;
	size_t			 o = 0;

	(void)state;
	m.subject = "Reset your password at The Very Long Organisation Name of the Northern "
	    "Regional Offices Incorporated";
	write_ok(&m, &b, head, sizeof(head));
	assert_only_our_headers(head);
	/* Unfolding (dropping each CRLF before a space) gives the subject back. */
	s = strstr(head, "Subject: ") + 9;
	e = strstr(s, "\r\nDate:");
	for (const char *p = s; p < e; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			joined[o++] = *p;
		else
			p++;
	joined[o] = '\0';
	assert_string_equal(joined, m.subject);
	buf_free(&b);
}

static void
text_that_looks_like_an_encoded_word_is_encoded(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	char			 head[4096], words[256];

	(void)state;
	m.subject = "=?UTF-8?B?SGk=?= spoof";
	write_ok(&m, &b, head, sizeof(head));
	decode_words(head, "Subject: ", words, sizeof(words));
	assert_string_equal(words, m.subject);
	buf_free(&b);
}

static void
a_body_with_utf8_is_quoted_printable(void **state)
{
	struct mime_message	 m = message();
	struct buf		 b;
	const char		*text, *end;

	(void)state;
	m.text = "Grüße = 100%\ntrailing space \n.leading dot\n"
	    "0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\n";
	write_ok(&m, &b, (char[2048]){ 0 }, 2048);
	text = strstr(b.data, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	assert_non_null(text);
	text += 47;
	end = strstr(text, "--=_gatehouse_alternative");
	assert_non_null(strstr(text, "Gr=C3=BC=C3=9Fe =3D 100%\r\n"));
	assert_non_null(strstr(text, "trailing space=20\r\n"));
	assert_non_null(strstr(text, "=2Eleading dot\r\n"));
	for (const char *l = text; l < end; ) {
		const char *eol = strstr(l, "\r\n");

		assert_true(eol - l <= 76);
		for (const char *c = l; c < eol; c++)
			assert_true(*c >= 32 && *c < 127);
		l = eol + 2;
	}
	buf_free(&b);
}

static void
the_same_message_gives_the_same_bytes(void **state)
{
	struct mime_message	 m = message();
	struct buf		 a, b;
	const char		*why;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	assert_int_equal(mime_write(&a, &m, &why), 0);
	assert_int_equal(mime_write(&b, &m, &why), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	buf_free(&a);
	buf_free(&b);
}

static void
addresses_that_could_break_a_header_or_smtp_are_refused(void **state)
{
	static const char *const bad[] = { "", "a@", "@b.c", "ab", "a@b@c", "a b@c.d",
		"a@b.c\r\nBcc: x@y.z", "a@b.c>", "<a@b.c", "a,b@c.d", "a;b@c.d", "a@(b).c",
		"\"a\"@b.c", "a\\b@c.d", "zoë@example.com", "a@b.c\n", "a:b@c.d", NULL };
	static const char *const good[] = { "a@b.c", "first.last+tag@sub.example.com",
		"o'brien@example.ie", "x_y-z@example.com", NULL };
	struct mime_message	 m = message();
	struct buf		 b;
	const char		*why = NULL;

	(void)state;
	for (int i = 0; bad[i]; i++)
		if (mime_addr_ok(bad[i]))
			fail_msg("took %s", bad[i]);
	for (int i = 0; good[i]; i++)
		if (!mime_addr_ok(good[i]))
			fail_msg("refused %s", good[i]);
	assert_false(mime_addr_ok(NULL));
	buf_init(&b);
	m.to_addr = "victim@example.com\r\nBcc: all@example.com";
	assert_int_equal(mime_write(&b, &m, &why), -1);
	assert_string_equal(why, "to address");
	m = message();
	m.from_addr = "no reply@example.com";
	assert_int_equal(mime_write(&b, &m, &why), -1);
	assert_string_equal(why, "from address");
	m = message();
	m.message_id = "id>\r\nX: y";
	assert_int_equal(mime_write(&b, &m, &why), -1);
	assert_string_equal(why, "message id");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_plain_message_has_every_header),
		cmocka_unit_test(both_parts_are_utf8_and_the_multipart_closes),
		cmocka_unit_test(a_line_break_in_the_subject_cannot_add_a_header),
		cmocka_unit_test(a_line_break_in_the_display_name_cannot_add_a_header),
		cmocka_unit_test(a_utf8_subject_is_encoded_in_short_words_without_splitting_a_character),
		cmocka_unit_test(a_long_ascii_subject_is_folded_at_spaces),
		cmocka_unit_test(text_that_looks_like_an_encoded_word_is_encoded),
		cmocka_unit_test(a_body_with_utf8_is_quoted_printable),
		cmocka_unit_test(the_same_message_gives_the_same_bytes),
		cmocka_unit_test(addresses_that_could_break_a_header_or_smtp_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
