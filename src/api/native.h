/* native.h: what the native API's files (/api/v1) share among themselves; no other surface includes it. */
#ifndef GATEHOUSE_API_NATIVE_H
#define GATEHOUSE_API_NATIVE_H

#include <stddef.h>

#include "gatehouse/router.h"

struct jsonw;
struct user;

struct route_list;

extern const struct dialect	 dialect_native;
/* The route tables of native_users.c, native_groups.c and native_org.c. */
extern const struct route_list	 native_user_routes, native_group_routes, native_org_routes;

/* The native representation of a user. */
void	native_user_json(struct jsonw *, const struct user *);
/* One user as the whole response, with its version as the ETag (and Location on 201). */
void	native_reply_user(struct request *, int status, const struct user *);

#endif
