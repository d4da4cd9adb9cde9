/*
 * mime.h: an Internet message (RFC 5322) with a text and an HTML part
 * (RFC 2045/2046 multipart/alternative), written so that no value can add
 * or end a header: names and subjects outside printable ASCII become RFC 2047
 * encoded-words, addresses are checked before use, bodies are 7bit when
 * plain ASCII with short lines (links stay whole) and quoted-printable
 * otherwise, with CRLF line ends.
 */
#ifndef GATEHOUSE_MIME_H
#define GATEHOUSE_MIME_H

#include <stdbool.h>
#include <time.h>

struct buf;

struct mime_message {
	const char	*from_name;	/* display name, UTF-8; NULL or "" for none */
	const char	*from_addr;	/* addr-spec, checked by mime_addr_ok */
	const char	*to_addr;	/* addr-spec, checked by mime_addr_ok */
	const char	*subject;	/* UTF-8, one line */
	const char	*message_id;	/* id-left@id-right, without the angle brackets */
	time_t		 date;		/* the Date header */
	const char	*text;		/* UTF-8, lines ending in \n */
	const char	*html;		/* UTF-8 */
};

/*
 * True when a is an addr-spec this writer puts in a header and an SMTP
 * envelope as it is: 3 to 254 printable ASCII characters, one '@' with text
 * on both sides, and no space or special character that a header or an SMTP
 * command would read (the core takes non-ASCII addresses, which would need
 * SMTPUTF8: they fail here, and their message is not sent).
 */
bool	mime_addr_ok(const char *a);

/*
 * Writes the whole message to out (CRLF line ends). 0, or -1 with *why set
 * (a static string naming the bad field) when an address or the message id
 * is refused or out ran out of memory. Deterministic: the same message gives
 * the same bytes.
 */
int	mime_write(struct buf *out, const struct mime_message *, const char **why);

#endif
