/*
 * api.h: the toolkit every API surface (dialect) is built from, and the
 * surface descriptors the program hands to the HTTP layer.
 *
 * A surface is one file (or a few) that exports one `struct surface`: its
 * dialect hooks and its route tables. src/api/surfaces.c lists them; adding a
 * surface touches that list and nothing else shared. What surfaces have in
 * common lives here, once: the request context, strict parameter readers,
 * If-Match and ETags, reply helpers, bulk-item helpers and user lookups.
 */
#ifndef GATEHOUSE_API_H
#define GATEHOUSE_API_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/core.h"
#include "gatehouse/router.h"
#include "gatehouse/users.h"

struct arena;
struct request;
struct jsonw;
struct json;
struct user;
struct user_patch;
struct user_ref;
struct arena;

/* --- surfaces ----------------------------------------------------------------------- */

struct route_list {
	const struct route	*v;
	size_t			 n;
};
#define ROUTE_LIST(a)	{ (a), sizeof(a) / sizeof((a)[0]) }

/*
 * A surface: how its requests authenticate and how its errors look (the
 * dialect), and its routes. The dialect's `fail` hook, when set, renders
 * every failure of the API layer and the core (struct core_err: status,
 * field, message), so a surface can tell "username taken" from "concurrent
 * change"; when NULL, api_http_status maps the status for `error`.
 */
struct surface {
	const struct dialect		 *dialect;
	const struct route_list	*const	 *routes;	/* NULL-terminated */
};

/* Every surface of the program, NULL-terminated (src/api/surfaces.c). */
extern const struct surface *const api_surfaces[];

/* Builds a route table from surfaces (NULL-terminated); called once per process. */
int	api_routes(const struct surface *const *, struct route_table *);
/*
 * The job runner's loop (src/api/native_jobs.c): claims jobs and runs their
 * items until *stop; lim bounds the items it reads back. Returns 0.
 */
int	api_jobs_run(volatile sig_atomic_t *stop, const struct parse_limits *lim);

/*
 * The site security keys are bound to (src/api/web_webauthn.c): the origin
 * of public_url, and rp_id (NULL: public_url's host), which must be that
 * host or a domain it is under. public_url NULL: the pages offer no
 * security key. 0, or -1 with a message naming the key in err.
 */
int	api_webauthn_site(const char *public_url, const char *rp_id, char *err, size_t errlen);
/*
 * The origin of public_url as api_webauthn_site took it ("https://host[:port]",
 * lowercase, no default port), or NULL when none is configured. Links a
 * surface returns are built on it rather than on the client's Host header.
 */
const char *api_public_origin(void);

/* --- errors ------------------------------------------------------------------------- */

/* The native mapping of core statuses to HTTP statuses; dialects may map otherwise. */
int	api_http_status(enum core_status);
/*
 * The mapping of vendor APIs that document only 400, 401, 403, 404 and 5xx:
 * a conflict, a stale version or too many items is a bad request there.
 */
int	api_vendor_status(enum core_status);
/* Renders a failure through the route's dialect (its fail hook, or error with the mapped status). */
void	api_fail(struct request *, const struct core_err *);
/* api_fail of a new failure: status, the field it concerns (or NULL), and a message. */
void	api_failf(struct request *, enum core_status, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* 0 when st is CORE_OK; otherwise renders e (api_fail) and returns -1. */
int	api_ok(struct request *, enum core_status st, const struct core_err *e);
/* 400 naming field, in the route's dialect. */
void	api_bad(struct request *, const char *field, const char *msg);
/* RFC 9457 problem+json naming the field when there is one (the native error shape). */
void	api_problem(struct request *, int status, const char *field, const char *detail);

/* --- authentication ------------------------------------------------------------------ */

/*
 * Authenticates the API key the dialect took from the request and checks the
 * route's level. Renders 401/403/503 through the dialect and returns -1 on failure.
 */
int	api_authenticate_key(struct request *, const char *key);
/* The key of "Authorization: Bearer <key>" (scheme in any case), or NULL. */
const char *api_bearer(struct request *);
/* A guard: the key of Authorization: Bearer <key> (public routes pass), then api_authenticate_key. */
int	api_guard_bearer(struct request *);

/* --- the request ---------------------------------------------------------------------- */

/* The core context of an authenticated request: tenant, actor, request id, address. */
void	api_ctx(struct request *, struct core_ctx *);
/*
 * Refuses a field the route does not know, naming it: in the query string,
 * a form body, or a JSON body (members of any type). 0 when all are known.
 */
int	api_known_only(struct request *, const char *const *known);
/* api_known_only, then api_ctx: false when a 400 was rendered. */
bool	api_begin(struct request *, const char *const *known, struct core_ctx *);

/*
 * Runs the create handler fn under the request's Idempotency-Key, if it has
 * one (src/core/idempotency.c): the first successful answer commits with the
 * work and is replayed to a retry with the same request; the same key with
 * another request is 422; a bad key is 400 naming Idempotency-Key. secret:
 * the answer shows a secret once, so a retry gets 409 saying so instead.
 */
void	api_idempotent(struct request *, route_handler fn, bool secret);
/* Defines `static void name(struct request *)` running fn under api_idempotent. */
#define API_IDEMPOTENT(name, fn, secret)					\
static void								\
name(struct request *r)							\
{									\
	api_idempotent(r, fn, secret);					\
}

/*
 * Parameter readers. Each reads an optional field from the query string, a
 * form or a JSON body; a field given twice, or as a JSON list or object, is
 * refused. On bad input each renders 400 naming the field and returns -1;
 * absent leaves *out at its default (or dflt) and returns 0.
 */
int	api_str(struct request *, const char *name, const char **out);
/* api_str, but a JSON number or boolean is refused: the field is text. */
int	api_text(struct request *, const char *name, const char **out);
/* true/false in any case, or 1/0. */
int	api_bool(struct request *, const char *name, bool dflt, bool *out);
/* A plain decimal in [min, max]: no sign but '-', no spaces. */
int	api_int(struct request *, const char *name, long min, long max, long *out);
/* One of choices (NULL-terminated), in any case: *out is its index. */
int	api_enum(struct request *, const char *name, const char *const *choices, int *out);
/* A date (YYYY-MM-DD) or an ISO 8601 date-time with an offset PostgreSQL takes. */
int	api_datetime(struct request *, const char *name, const char **out);
/*
 * A list field: a JSON array in a JSON body, or JSON text in a form field
 * (or in a JSON string). Renders 400 and returns NULL when absent or not a list.
 */
const struct json *api_list(struct request *, const char *name);
/* A string or number's text, or NULL (other types, or text holding a NUL). */
const char *api_json_scalar(const struct json *);
/*
 * The smart cards of a list field (api_list): objects with a "number"
 * (string or number) and an optional "label" (or null), nothing else.
 * Renders 400 naming the field and returns -1 otherwise; *out, list->n of
 * them, lives in the request's arena.
 */
struct smartcard;
int	api_smartcards(struct request *, const char *name, const struct json *list,
	    struct smartcard **out);

/*
 * If-Match (RFC 9110 §13.1.1) as the version a write expects: CORE_ANY_VERSION
 * when absent or "*", CORE_NO_VERSION for tags that are not ours (412 when the
 * resource exists). A malformed header renders 400 and returns -1.
 */
int	api_if_match(struct request *, int *version);
/* Sets the ETag header of a resource at version. */
void	api_etag(struct request *, int version);
/* A path segment for a Location header: all but unreserved characters (and ":@") escaped. */
const char *api_path_escape(struct request *, const char *);
/* Sets Location when path is not NULL. */
void	api_location(struct request *, const char *path);

/* --- replies ------------------------------------------------------------------------- */

typedef void (*api_item_fn)(struct jsonw *, const void *);

/*
 * A JSON object written from a struct by a table of its members, so that a
 * surface's shapes are declarations: the member's name, the C type of the
 * struct field (const char * for STR and RAW, int64_t, bool) and its offset.
 * RAW is JSON text written as it is (it came from the database as JSON).
 */
enum api_mtype { API_STR, API_INT, API_BOOL, API_RAW };
struct api_member {
	const char	*name;
	enum api_mtype	 type;
	size_t		 off;
};
#define API_MEMBER(T, name, type, field)	{ name, type, offsetof(T, field) }
void	api_json_members(struct jsonw *, const void *v, const struct api_member *, size_t n);
/* Defines `static void fn(struct jsonw *, const void *)` writing a member table. */
#define API_OBJECT_FN(fn, table)						\
static void								\
fn(struct jsonw *w, const void *v)					\
{									\
	api_json_members(w, v, table, sizeof(table) / sizeof((table)[0]));	\
}

/* Starts a JSON response body. */
void	api_json_begin(struct request *, int status, struct jsonw *);
/* The outcome of a core call: its failure, or item(v) as the whole body. Returns st. */
enum core_status api_reply_one(struct request *, enum core_status, const struct core_err *,
	    int status, const void *v, api_item_fn);
/* The outcome of a core call: its failure, or {"<name>": [item(v[0]), …]}. */
void	api_reply_list(struct request *, enum core_status, const struct core_err *,
	    const char *name, const void *v, size_t n, size_t size, api_item_fn);
/* api_reply_list with the page's "next_cursor" member (null on the last page). */
void	api_reply_page(struct request *, enum core_status, const struct core_err *,
	    const char *name, const void *v, size_t n, size_t size, api_item_fn,
	    const char *next_cursor);
/* The outcome of a create: its failure, or 201 with item(v) and Location (when not NULL). */
void	api_reply_created(struct request *, enum core_status, const struct core_err *,
	    const void *v, api_item_fn, const char *location);
/* The outcome of a core call that answers nothing: its failure, or 204. */
void	api_reply_none(struct request *, enum core_status, const struct core_err *);

/* --- bulk items ------------------------------------------------------------------------ */

/* A boolean member of a JSON object, read as api_bool reads a parameter. */
enum core_status api_item_bool(const struct json *, const char *name, bool dflt, bool *out,
	    struct core_err *);
/* Names a failure by its item, "<list>[i].<field>", and renders it. */
void	api_item_fail(struct request *, const char *list, size_t i, struct core_err *);

/* --- users ------------------------------------------------------------------------- */

/*
 * A multi-valued user attribute (emails, phone_numbers, addresses) from a
 * JSON array of objects with SCIM's sub-attribute names in any case
 * ("value", "type", "streetAddress", …; "primary" true or false), into p.
 */
enum core_status api_user_values(struct arena *, struct user_patch *, enum ufield,
		    const struct json *, struct core_err *);
/* A user by uid, id, username or e-mail: 0, or the failure rendered and -1. */
int	api_user_get(struct request *, const struct user_ref *, struct user *out);
/*
 * DELETE of what path parameter param names, with If-Match (CORE_ANY_VERSION
 * when absent): fn(ctx, value, version), then 204 or its failure.
 */
void	api_delete(struct request *, const char *param,
	    enum core_status (*fn)(struct core_ctx *, const char *, int, struct core_err *));
/* api_delete of the user whose uid path parameter param names (users_remove). */
void	api_user_remove(struct request *, const char *param);

/*
 * Sets user field f (enum ufield) of a patch from a dialect's field called
 * name: the core's check, its failure naming name ("fname must be …" for
 * first_name). value NULL clears a nullable field.
 */
enum core_status api_item_patch(struct arena *, struct user_patch *, int f, const char *name,
	    const char *value, struct core_err *);
/* api_item_patch of parameter name, when given: 0, or 400 rendered and -1. */
int	api_patch_param(struct request *, struct user_patch *, int f, const char *name);

#endif
