/* principal.h: who is calling — org, user or service key, access level — and the level ladder. */
#ifndef GATEHOUSE_PRINCIPAL_H
#define GATEHOUSE_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

/* One ladder for every dialect. */
enum level { LEVEL_GUEST, LEVEL_USER, LEVEL_ADMIN, LEVEL_SUPER, LEVEL__MAX };

const char	*level_name(enum level);
/* 0 and *out set when s names a level; -1 otherwise. */
int		 level_parse(const char *s, enum level *out);

struct principal {
	int64_t		 org_id;
	const char	*org_name;
	const char	*tier;
	int64_t		 user_id;	/* 0 for a service key */
	const char	*user_uid;	/* NULL for a service key */
	const char	*username;
	const char	*email;
	enum level	 level;
	int64_t		 key_id;
	char		 key_ref[48];	/* "gh_<org>k<id>": public, safe to log and show */
	const char	**scopes;
	size_t		 nscopes;
};

#endif
