/* principal.h: who is calling — org, user or service key, and access level. */
#ifndef GATEHOUSE_PRINCIPAL_H
#define GATEHOUSE_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#include "gatehouse/level.h"

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
	int64_t		 session_id;	/* a user signed in through the pages; else 0 */
};

#endif
