/*
 * base64.h: RFC 4648 base64 and base64url without padding, and base16 (hex,
 * as PostgreSQL's encode(…, 'hex') writes it): the one codec every module uses.
 */
#ifndef GATEHOUSE_BASE64_H
#define GATEHOUSE_BASE64_H

#include <stddef.h>

enum base64_alphabet {
	BASE64_STD,	/* A-Z a-z 0-9 + /  (PHC strings) */
	BASE64_URL,	/* A-Z a-z 0-9 - _  (keys, tokens, cursors) */
};

/* Characters of the unpadded encoding of n bytes. */
#define BASE64_LEN(n)	(((n) * 4 + 2) / 3)

/* The 64 characters of an alphabet, for callers that check a text's shape. */
const char	*base64_chars(enum base64_alphabet);

/*
 * Encodes n bytes of in into out, which holds BASE64_LEN(n) + 1 bytes.
 * NUL-terminates out and returns the characters written.
 */
size_t	base64_encode(enum base64_alphabet, const void *in, size_t n, char *out);

/*
 * Decodes len characters of unpadded text into out (max bytes). Returns the
 * byte count, or -1 when a character is outside the alphabet (padding and NUL
 * included), len % 4 == 1, the result would exceed max, or the unused
 * trailing bits are not zero: only the canonical encoding of a byte string
 * is accepted, so no two texts decode to the same bytes.
 */
long	base64_decode(enum base64_alphabet, const char *in, size_t len, unsigned char *out,
	    size_t max);

/* The value of the hex digit c (either case), or -1. */
int	base16_digit(int c);
/* Lowercase base16 of n bytes into out, which holds 2n + 1 bytes; NUL-terminated. */
void	base16_encode(const void *in, size_t n, char *out);
/*
 * Decodes the NUL-terminated base16 text in (either case) into out (max
 * bytes). Returns the byte count, or -1 when a character is not a hex digit,
 * the length is odd, or the result would exceed max.
 */
long	base16_decode(const char *in, unsigned char *out, size_t max);

#endif
