/* validate.h: small pure checks shared by every surface (kcgi-style validators). */
#ifndef GATEHOUSE_VALIDATE_H
#define GATEHOUSE_VALIDATE_H

#include <stdbool.h>

/* addr-spec without comments or quoted local parts; at most 254 bytes. */
bool	valid_email(const char *);
/* 1–100 bytes, no whitespace or control characters. */
bool	valid_username(const char *);

#endif
