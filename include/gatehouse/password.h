/* password.h: password policy (NIST SP 800-63B) and memory-hard hashing into PHC strings. */
#ifndef GATEHOUSE_PASSWORD_H
#define GATEHOUSE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PASSWORD_MAX_CHARS	256	/* Unicode code points */
#define PASSWORD_MIN_DEFAULT	12	/* an org's min_chars when it sets none (0) */
#define PASSWORD_MIN_FLOOR	8	/* NIST's floor: a lower min_chars is raised to it */
#define PHC_MAX			192	/* big enough for any PHC string we emit or accept */

enum pw_check {
	PW_OK,
	PW_TOO_SHORT,
	PW_TOO_LONG,
	PW_COMMON,
	PW_IS_IDENTITY,
	PW_BAD_ENCODING,
	PW__MAX
};

/*
 * Checks a proposed password against the policy, in this order:
 * BAD_ENCODING if pw is NULL, not valid UTF-8 (overlong forms, surrogates
 * and code points past U+10FFFF are invalid) or holds a control character
 * (C0, DEL or C1); TOO_LONG past PASSWORD_MAX_CHARS code points; TOO_SHORT
 * under min_chars code points (0 means PASSWORD_MIN_DEFAULT, values under
 * PASSWORD_MIN_FLOOR are raised to it, values over PASSWORD_MAX_CHARS
 * lowered to it); COMMON if on the bundled list, ignoring ASCII case;
 * IS_IDENTITY if equal, ignoring ASCII case, to the username, the e-mail
 * address or the e-mail's local part (NULL or empty ones are skipped).
 * Input over 4 * PASSWORD_MAX_CHARS bytes is TOO_LONG unread. A C string
 * ends at its first NUL, so the request layer must refuse a field that
 * holds one (its length differs from strlen).
 */
enum pw_check	 password_check(const char *pw, size_t min_chars, const char *username,
		    const char *email);
/*
 * Writes a message for a client naming the rule that failed, such as
 * "password must be at least 12 characters", into buf and returns buf.
 * min_chars is the value given to password_check. Never names the password.
 */
const char	*password_check_message(enum pw_check, size_t min_chars, char *buf, size_t len);

/* True if lower (already ASCII-lowercased) is on the bundled common-password list. */
bool		 password_is_common(const char *lower);

/*
 * Hashing. The current algorithm is Argon2id (m=19456 KiB, t=2, p=1) when
 * the OpenSSL in use provides it (3.2 and later), else scrypt (N=2^17, r=8,
 * p=1; 128 MiB per hash). Salts are 16 random bytes, keys 32 bytes, and the
 * result is a PHC string: $argon2id$v=19$m=..,t=..,p=..$salt$key or
 * $scrypt$ln=..,r=..,p=..$salt$key in unpadded standard base64.
 *
 * FOR TESTS ONLY: GATEHOUSE_PASSWORD_COST=test in the environment switches
 * the current parameters to cheap ones (scrypt ln=10; Argon2id m=1024, t=1).
 * It is read whenever the current parameters are needed (hash, unusable,
 * the rehash decision), so tests may change it between calls; set it before
 * any thread starts. Never set it in production. Verification itself
 * always uses what the stored string says.
 */

/* Hashes pw (at most 4 * PASSWORD_MAX_CHARS bytes, not empty) into out. 0 on success. */
int		 password_hash(const char *pw, char out[PHC_MAX]);
/*
 * Verifies pw against a stored PHC string: 1 match, 0 mismatch (also for
 * an empty or over-long pw), -1 for a malformed string, parameters outside
 * the accepted bounds, Argon2id without OpenSSL support, or an error. The
 * bounds cap what a tampered row can make one verification spend:
 * scrypt ln 1..20, r 1..32, p 1..16, 128·r·N at most 256 MiB, r·N·p at most
 * 2^24; Argon2id v=19, m 8p..262144 KiB, t 1..16, p 1..16, m·t at most 2^20;
 * salt 8..48 bytes, key 16..64 bytes. The derived key is compared in
 * constant time. On a match *needs_rehash (may be NULL) says whether the
 * stored algorithm, any parameter, the salt or the key length is below the
 * current one; it is false otherwise.
 */
int		 password_verify(const char *pw, const char *phc, bool *needs_rehash);
/*
 * Hashes pws[0..n) into out[0..n) on up to threads threads (0: one per
 * online CPU; never more than n or 64), the caller's among them. Each
 * scrypt hash holds 128 MiB while it runs. 0 when all succeeded; a failed
 * entry is left empty. Once deadline (CLOCK_MONOTONIC; NULL or zero: none)
 * has passed no further hash is started, and the answer is 1: the caller
 * has run out of time, and the hashes made are of no use to it.
 */
int		 password_hash_many(const char *const *pws, size_t n, char (*out)[PHC_MAX],
		    int threads, const struct timespec *deadline);
/*
 * Writes a PHC string in the current format whose salt and key are random
 * bytes no password was ever derived to: it verifies against nothing, at
 * the cost of a real verification. For accounts without a password yet.
 */
int		 password_unusable(char out[PHC_MAX]);
/* "argon2id" or "scrypt": the algorithm new hashes use. */
const char	*password_algorithm(void);

#endif
