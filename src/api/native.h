/* native.h: what the native API's files (/api/v1) share among themselves; no other surface includes it. */
#ifndef GATEHOUSE_API_NATIVE_H
#define GATEHOUSE_API_NATIVE_H

#include <stddef.h>

#include "gatehouse/core.h"
#include "gatehouse/router.h"

struct jsonw;
struct user;

struct route_list;

extern const struct dialect	 dialect_native;
/* The route tables of native_users.c, native_groups.c, native_org.c and native_jobs.c. */
extern const struct route_list	 native_user_routes, native_group_routes, native_org_routes,
				 native_job_routes;

struct arena;
struct json;
struct user_create;

/* One JSON object (a bulk item) read into a create request. */
enum core_status native_user_item(struct arena *, const struct json *, struct user_create *,
	    struct core_err *);
/*
 * Accepts a bulk create too long for one request as a job: 202 with the job
 * and its Location. list: the items as sent; reqs: as read (their passwords).
 */
void	native_bulk_job(struct request *, const struct json *list, const struct user_create *reqs);

/* The native representation of a user. */
void	native_user_json(struct jsonw *, const struct user *);
/* One user as the whole response, with its version as the ETag (and Location on 201). */
void	native_reply_user(struct request *, int status, const struct user *);

#endif
