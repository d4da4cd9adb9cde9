/* validate.h: small pure checks shared by every surface (kcgi-style validators). */
#ifndef GATEHOUSE_VALIDATE_H
#define GATEHOUSE_VALIDATE_H

#include <stdbool.h>

/* addr-spec without comments or quoted local parts; at most 254 bytes. */
bool	valid_email(const char *);
/* 1–100 bytes, no whitespace or control characters. */
bool	valid_username(const char *);
/* A calendar date YYYY-MM-DD (ISO 8601, years 1900–9999). */
bool	valid_date(const char *);
/* ISO 8601 date, or date-time with optional fraction and Z or ±hh:mm offset. */
bool	valid_datetime(const char *);
/* 8-4-4-4-12 hexadecimal UUID. */
bool	valid_uuid(const char *);
/* At most max bytes of valid UTF-8 without control characters (tab and newlines allowed). */
bool	valid_text(const char *, size_t max);
/* valid_text on one line: no tab or line break either. */
bool	valid_line(const char *, size_t max);
/*
 * A name as people and e-mails show it: valid_line ("" too), and no bidi
 * embedding, override or isolate control (U+202A–U+202E, U+2066–U+2069),
 * which would make it read as something else.
 */
bool	valid_name(const char *, size_t max);
/* Decimal integer without sign or leading zeros, at most 18 digits. */
bool	valid_id(const char *);

#endif
