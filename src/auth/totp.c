/* totp.c: RFC 6238 codes and base32 secrets (totp.h). */
#include <string.h>

#include <openssl/evp.h>

#include "gatehouse/totp.h"

long
totp_code(const unsigned char *key, size_t keylen, uint64_t counter)
{
	unsigned char	 msg[8], mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;
	unsigned	 off;
	uint32_t	 bin;

	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)(counter & 0xff);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, keylen, msg, sizeof(msg), mac,
	    sizeof(mac), &maclen) == NULL || maclen != 20)
		return -1;
	/* RFC 4226 §5.3: dynamic truncation. */
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	return (long)(bin % 1000000);
}

int64_t
totp_step(int64_t unix_time)
{
	return unix_time / TOTP_STEP;
}

int64_t
totp_match(const unsigned char *key, size_t keylen, const char *code, int64_t now_step,
    int64_t last_step)
{
	int64_t	found = -1;
	long	want = 0;

	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return -1;
	for (int i = 0; i < TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9')
			return -1;
		want = want * 10 + (code[i] - '0');
	}
	/* Every step of the window is computed, so the time does not tell which matched. */
	for (int64_t s = now_step - TOTP_WINDOW; s <= now_step + TOTP_WINDOW; s++)
		if (s > last_step && s >= 0 && totp_code(key, keylen, (uint64_t)s) == want &&
		    found < 0)
			found = s;
	return found;
}

void
totp_base32(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t		  o = 0;
	unsigned	  bits = 0, acc = 0;

	for (size_t i = 0; i < n && o + 1 < outsz; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5 && o + 1 < outsz) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && o + 1 < outsz)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	if (outsz > 0)
		out[o] = '\0';
}
