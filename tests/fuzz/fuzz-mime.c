/*
 * fuzz-mime.c: libFuzzer harness for the MIME writer. The input is split at
 * NUL bytes into a display name, a subject, a recipient and a text body; no
 * value may add a header, end the header block early or break a line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gatehouse/buf.h"
#include "gatehouse/mime.h"

static const char *const names[] = { "From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
	"Auto-Submitted: ", "MIME-Version: ", "Content-Type: ", NULL };

static void
check(const struct buf *b)
{
	const char	*end = strstr(b->data, "\r\n\r\n");
	int		 headers = 0;

	if (end == NULL)
		abort();
	/* Every line of the whole message ends in CRLF and stays under SMTP's 1000 octets. */
	for (size_t i = 0, col = 0; i < b->len; i++, col++) {
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
		if (b->data[i] == '\r' && (i + 1 >= b->len || b->data[i + 1] != '\n'))
			abort();
		if (b->data[i] == '\0' || col > 998)
			abort();
		if (b->data[i] == '\n')
			col = (size_t)-1;
	}
	/* The header block holds the writer's eight headers and their continuations only. */
	for (const char *l = b->data; l < end + 2; ) {
		const char	*eol = strstr(l, "\r\n");
		bool		 known = l[0] == ' ';

		for (int i = 0; names[i] && !known; i++)
			if (strncmp(l, names[i], strlen(names[i])) == 0) {
				known = true;
				headers++;
			}
		if (!known)
			abort();
		for (const char *c = l; c < eol; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				abort();
		l = eol + 2;
	}
	if (headers != 8)
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*copy = malloc(size + 4), *part[4];
	struct mime_message	 m;
	struct buf		 b;
	const char		*why = NULL;
	size_t			 k = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(copy + size, 0, 4);
	part[0] = copy;
	for (size_t i = 0; i < size && k < 3; i++)
		if (copy[i] == '\0')
			part[++k] = copy + i + 1;
	while (k < 3)
		part[++k] = copy + size;
	memset(&m, 0, sizeof(m));
	m.from_name = part[0];
	m.subject = part[1];
	m.to_addr = part[2][0] ? part[2] : "ada@example.com";
	m.from_addr = "noreply@example.com";
	m.message_id = "gatehouse.1.1@example.com";
	m.date = 1709211909;
	m.text = part[3];
	m.html = part[3];
	buf_init(&b);
	if (mime_write(&b, &m, &why) == 0)
		check(&b);
	else if (why == NULL || mime_addr_ok(m.to_addr))
		abort();	/* only a bad recipient can fail here */
	buf_free(&b);
	free(copy);
	return 0;
}
