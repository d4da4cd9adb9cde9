/* validate.c: field checks used by core operations before anything touches the database. */
#include <string.h>

#include "gatehouse/validate.h"

bool
valid_email(const char *s)
{
	const char	*at = strchr(s, '@'), *dot;
	size_t		 n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	if (at - s > 64)
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr("\"(),:;<>[\\]", *c))
			return false;
	dot = strrchr(at + 1, '.');
	/* The domain needs a dot that is neither first nor last, and no empty label. */
	return dot != NULL && dot != at + 1 && dot[1] != '\0' && strstr(at, "..") == NULL &&
	    at[1] != '.';
}

bool
valid_username(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}
