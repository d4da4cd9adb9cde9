/* keys.h: API keys as a resource — issue, list, revoke — with ownership rules. */
#ifndef GATEHOUSE_KEYS_H
#define GATEHOUSE_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/apikey.h"
#include "gatehouse/core.h"

struct api_key {
	const char	*ref;		/* gh_<org>k<id>: public */
	const char	*name;
	const char	*user_uid;	/* NULL for a service key */
	const char	*user_email;
	const char	*access_level;
	const char	*expires_at, *last_used_at, *revoked_at, *created_at;
};

struct user_ref;

/*
 * Issues a key for the user who names (NULL: the calling user). Writes the
 * full key, shown once, to key_out. expires_in is in seconds; 0 means no
 * expiry. A key for another user needs admin over that user; below admin the
 * answer is 403 whether or not that user exists.
 */
enum core_status keys_create(struct core_ctx *, const struct user_ref *who, const char *name,
		    int64_t expires_in, char key_out[APIKEY_MAX], struct api_key *out,
		    struct core_err *);
/* Revokes by reference; a user may revoke their own keys, an admin any below them. */
enum core_status keys_revoke(struct core_ctx *, const char *ref, struct core_err *);
/* The caller's own keys, or (all, for an admin) every key of the org. */
enum core_status keys_list(struct core_ctx *, bool all, struct api_key **out, size_t *n,
		    struct core_err *);

#endif
