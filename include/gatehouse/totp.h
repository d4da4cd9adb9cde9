/*
 * totp.h: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) as
 * authenticator apps make them — HMAC-SHA-1, 6 digits, 30-second steps —
 * and the base32 (RFC 4648) text their secrets travel in.
 */
#ifndef GATEHOUSE_TOTP_H
#define GATEHOUSE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES	20	/* 160 bits, RFC 4226's recommendation */
#define TOTP_STEP		30	/* seconds */
#define TOTP_DIGITS		6
#define TOTP_WINDOW		1	/* steps either side of now a code may be from */
#define TOTP_B32_MAX		64	/* base32 of a secret, NUL-terminated */

/* The code (0 to 999999) of counter under key; -1 when HMAC fails. */
long	totp_code(const unsigned char *key, size_t keylen, uint64_t counter);
/* The step of a Unix time. */
int64_t	totp_step(int64_t unix_time);
/*
 * The step, from now_step - TOTP_WINDOW to now_step + TOTP_WINDOW and later
 * than last_step (a code is accepted once), whose code is the 6 digits of
 * code; -1 when none is (or code is not 6 digits).
 */
int64_t	totp_match(const unsigned char *key, size_t keylen, const char *code, int64_t now_step,
	    int64_t last_step);
/* Unpadded upper-case base32 of n bytes into out (at least (8n + 4) / 5 + 1 bytes). */
void	totp_base32(const unsigned char *in, size_t n, char *out, size_t outsz);

#endif
