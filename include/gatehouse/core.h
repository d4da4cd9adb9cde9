/* core.h: domain operations shared by every API surface and the CLI; no HTTP, no dialect. */
#ifndef GATEHOUSE_CORE_H
#define GATEHOUSE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "gatehouse/apikey.h"
#include "gatehouse/principal.h"

struct arena;

enum core_status {
	CORE_OK = 0,
	CORE_INVALID,		/* 400: a field is wrong; err.field names it */
	CORE_UNAUTHORIZED,	/* 401 */
	CORE_FORBIDDEN,		/* 403 */
	CORE_NOT_FOUND,		/* 404 */
	CORE_CONFLICT,		/* 409: e.g. username taken */
	CORE_PRECONDITION,	/* 412: stale version */
	CORE_UNAVAILABLE,	/* 503: database down */
	CORE_INTERNAL,		/* 500 */
	CORE__MAX
};

struct core_err {
	enum core_status	status;
	char			field[64];
	char			msg[200];
};

/* Who acts, for authorisation and the audit trail. */
struct core_ctx {
	struct arena		*arena;
	int64_t			 org_id;
	const struct principal	*actor;		/* NULL: the operator CLI */
	const char		*request_id;
	const char		*address;
};

enum core_status core_fail(struct core_err *, enum core_status, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Maps the last database failure to a core status with a message. */
enum core_status core_db_fail(struct core_err *, const char *what);
int		 core_http_status(enum core_status);

/* Orgs (operator). */
enum core_status org_create(const char *name, const char *tier, int64_t *id, struct core_err *);
enum core_status org_find(const char *name, int64_t *id, struct core_err *);

/* Users: the creation the CLI needs; the full set arrives with the user domain. */
struct user_new {
	const char	*email;
	const char	*username;	/* defaults to the e-mail */
	enum level	 level;
};
enum core_status user_create_basic(struct core_ctx *, const struct user_new *, int64_t *id,
		    struct core_err *);
enum core_status user_find_by_email(struct core_ctx *, const char *email, int64_t *id,
		    struct core_err *);

/*
 * API keys: writes the full key, shown once, to key_out. expires_in is in
 * seconds from now; 0 means the key does not expire.
 */
enum core_status apikey_create(struct core_ctx *, int64_t user_id, const char *name,
		    int64_t expires_in, char key_out[APIKEY_MAX], struct core_err *);
/* Revokes a key by its public reference gh_<org>k<id>; it stops working at once. */
enum core_status apikey_revoke(struct core_ctx *, const char *ref, struct core_err *);

#endif
