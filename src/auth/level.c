/* level.c: the access-level ladder guest < user < admin < super. */
#include <string.h>

#include "gatehouse/level.h"

static const char *const names[LEVEL__MAX] = { "guest", "user", "admin", "super" };

const char *
level_name(enum level l)
{
	return l >= 0 && l < LEVEL__MAX ? names[l] : "guest";
}

const char *
level_a(enum level l)
{
	static const char *const with[LEVEL__MAX] = { "a guest", "a user", "an admin", "a super" };

	return l >= 0 && l < LEVEL__MAX ? with[l] : with[LEVEL_GUEST];
}

int
level_parse(const char *s, enum level *out)
{
	for (int i = 0; s != NULL && i < LEVEL__MAX; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum level)i;
			return 0;
		}
	return -1;
}
