/* base64.c: unpadded base64 and base64url (RFC 4648 §4, §5), strict on decoding. */
#include <stdint.h>
#include <string.h>

#include "gatehouse/base64.h"

static const char alphabets[2][65] = {
	[BASE64_STD] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	[BASE64_URL] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

const char *
base64_chars(enum base64_alphabet al)
{
	return alphabets[al];
}

size_t
base64_encode(enum base64_alphabet al, const void *in, size_t n, char *out)
{
	const unsigned char	*p = in;
	const char		*chars = alphabets[al];
	uint32_t		 acc = 0;
	int			 bits = 0;
	size_t			 o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | p[i]) & 0xffff;
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = chars[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = chars[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

/* The value of c in the alphabet, or -1 (memchr, so that NUL is never a digit). */
static int
digit(const char *chars, char c)
{
	const char *p = memchr(chars, c, 64);

	return p == NULL ? -1 : (int)(p - chars);
}

long
base64_decode(enum base64_alphabet al, const char *in, size_t len, unsigned char *out,
    size_t max)
{
	const char	*chars = alphabets[al];
	uint32_t	 acc = 0;
	int		 bits = 0, v;
	size_t		 o = 0;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((v = digit(chars, in[i])) < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

void
base16_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
base16_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
base16_decode(const char *in, unsigned char *out, size_t max)
{
	size_t	len = strlen(in);
	int	hi, lo;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		if ((hi = base16_digit((unsigned char)in[2 * i])) < 0 ||
		    (lo = base16_digit((unsigned char)in[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}
