/* api.h: the API surfaces (dialects) and the route tables they hand to the HTTP layer. */
#ifndef GATEHOUSE_API_H
#define GATEHOUSE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/router.h"

struct core_err;
struct request;
struct jsonw;

struct core_ctx;
struct user;

extern const struct dialect	 dialect_native;
extern const struct route	 native_routes[];
extern const size_t		 native_nroutes;
extern const struct route	 native_user_routes[];
extern const size_t		 native_user_nroutes;
extern const struct route	 native_group_routes[];
extern const size_t		 native_group_nroutes;
extern const struct route	 native_org_routes[];
extern const size_t		 native_org_nroutes;

/* The core context of an authenticated request: tenant, actor, request id, address. */
void	api_ctx(struct request *, struct core_ctx *);
/* The native representation of a user. */
void	native_user_json(struct jsonw *, const struct user *);

/* RFC 9457 problem+json naming the field when there is one. */
void	api_problem(struct request *, int status, const char *field, const char *detail);
/* Renders a core failure through the route's dialect. */
void	api_core_error(struct request *, const struct core_err *);
/*
 * Authenticates the API key taken from the request by the dialect and checks
 * the route's level. Renders 401/403/503 through the dialect and returns -1
 * on failure.
 */
int	api_authenticate_key(struct request *, const char *key);
/* 400 naming field, in the route's dialect. */
void	api_bad(struct request *, const char *field, const char *msg);
/*
 * Refuses a field the route does not know, naming it: in the query string,
 * a form body, or a JSON body (members of any type). 0 when all are known.
 */
int	api_known_only(struct request *, const char *const *known);
/*
 * Reads an optional integer parameter into *out (unchanged when absent).
 * Anything but a plain decimal in [min, max] renders 400 naming the field.
 */
int	api_int(struct request *, const char *name, long min, long max, long *out);
/*
 * Reads an optional boolean parameter: true/false in any case, or 1/0.
 * Absent gives dflt. Anything else renders 400 naming the field and returns -1.
 */
int	api_bool(struct request *, const char *name, bool dflt, bool *out);
/* Starts a JSON response body. */
void	api_json_begin(struct request *, int status, struct jsonw *);

/* Builds the process's route table from every surface (called once). */
int	api_routes(struct route_table *);

#endif
