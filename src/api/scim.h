/*
 * scim.h: what the files of the SCIM 2.0 surface (/scim/v2, RFC 7643 and
 * RFC 7644) share among themselves; no other surface includes it.
 *
 *	scim.c		the dialect (errors, the bearer guard), discovery, list parameters
 *	scim_schema.c	the schemas as tables, and their /Schemas representation
 *	scim_tree.c	resources as JSON trees: canonical form, projection, value
 *			filters and the PATCH engine
 *	scim_users.c	/Users: users to trees and trees to the core's provisioning
 *	scim_groups.c	/Groups: groups to trees and requests to group changes
 */
#ifndef GATEHOUSE_API_SCIM_H
#define GATEHOUSE_API_SCIM_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/core.h"
#include "gatehouse/router.h"

struct arena;
struct fnode;
struct json;
struct jsonw;
struct request;
struct route_list;

#define SCIM_PREFIX	"/scim/v2"
#define SCIM_CT		"application/scim+json"

#define URN_USER	"urn:ietf:params:scim:schemas:core:2.0:User"
#define URN_GROUP	"urn:ietf:params:scim:schemas:core:2.0:Group"
#define URN_ENTERPRISE	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define URN_LIST	"urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define URN_ERROR	"urn:ietf:params:scim:api:messages:2.0:Error"
#define URN_PATCH	"urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define URN_SEARCH	"urn:ietf:params:scim:api:messages:2.0:SearchRequest"
#define URN_SPC		"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define URN_RTYPE	"urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define URN_SCHEMA	"urn:ietf:params:scim:schemas:core:2.0:Schema"

/* The largest page a list answers (ServiceProviderConfig filter.maxResults). */
#define SCIM_MAX_RESULTS	CORE_PAGE_MAX
#define SCIM_MAX_OPERATIONS	1000	/* operations in one PATCH */

extern const struct dialect	 dialect_scim;
extern const struct route_list	 scim_user_routes, scim_group_routes;

/* --- schemas (scim_schema.c) ----------------------------------------------- */

enum scim_type { ST_STRING, ST_BOOLEAN, ST_COMPLEX, ST_DATETIME, ST_REFERENCE };
enum scim_mut { SM_READWRITE, SM_READONLY, SM_IMMUTABLE, SM_WRITEONLY };
enum scim_ret { SR_DEFAULT, SR_ALWAYS, SR_NEVER, SR_REQUEST };

/* One attribute of a schema (RFC 7643 §7), with its sub-attributes. */
struct scim_attr {
	const char		*name;
	enum scim_type		 type;
	bool			 multi, required, case_exact;
	enum scim_mut		 mut;
	enum scim_ret		 ret;
	bool			 unique;	/* uniqueness "server" */
	const char		*desc;
	const char *const	*canon;		/* canonicalValues, NULL-terminated */
	const char *const	*refs;		/* referenceTypes */
	const struct scim_attr	*sub;
	size_t			 nsub;
};

struct scim_schema {
	const char		*id;		/* its URN */
	const char		*name, *desc;
	const struct scim_attr	*attrs;
	size_t			 n;
};

/*
 * A resource type: its core schema, at most one extension (a member named
 * by its URN), and the common attributes (id, externalId, meta) its trees
 * have beside them.
 */
struct scim_rtype {
	const char		 *name;		/* "User" */
	const char		 *endpoint;	/* "/Users" */
	const char		 *desc;
	const struct scim_schema *core;
	const struct scim_schema *ext;		/* NULL: none */
};

extern const struct scim_schema	scim_user_schema, scim_enterprise_schema, scim_group_schema;
extern const struct scim_rtype	scim_user_type, scim_group_type;
extern const struct scim_attr	scim_common[];		/* id, externalId, meta */
extern const size_t		scim_ncommon;

/* An attribute (or sub-attribute) by name in any case, or NULL. */
const struct scim_attr *scim_attr_find(const struct scim_attr *, size_t n, const char *name);
/*
 * The attribute a path names in a resource type: uri (NULL, the core
 * schema's, or the extension's; any case) and name. *ext is set when it is
 * the extension's. NULL when there is none.
 */
const struct scim_attr *scim_attr_of(const struct scim_rtype *, const char *uri, const char *name,
		    bool *ext);
/* Writes a schema's /Schemas representation, with its meta.location under base. */
void	scim_schema_json(struct jsonw *, const struct scim_schema *, const char *base);

/* --- the dialect and shared helpers (scim.c) ---------------------------------- */

/* A SCIM error (RFC 7644 §3.12): status as a string, scimType when not NULL. */
void	scim_error(struct request *, int status, const char *scim_type, const char *detail);
void	scim_errorf(struct request *, int status, const char *scim_type, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* The absolute URL of the SCIM root as the client reached it ("https://host/scim/v2"). */
const char *scim_base(struct request *);
/* Starts a SCIM JSON response. */
void	scim_begin(struct request *, int status, struct jsonw *);
/* Sets ETag to W/"version" and returns the same text (for meta.version). */
const char *scim_etag(struct request *, int version);
/*
 * If-None-Match on a GET (RFC 7644 §3.14): true when it names the resource's
 * version (or is "*"), after answering 304 with its ETag.
 */
bool	scim_not_modified(struct request *, int version);

/* The meta member of a resource: location is base + endpoint + "/" + id, version W/"n". */
struct json *scim_meta(struct request *, const struct scim_rtype *, const char *id,
	    const char *created, const char *modified, int version);
/*
 * Answers one resource (tree) as the request's attribute lists show it,
 * with its ETag, and (201) its Location.
 */
void	scim_reply(struct request *, int status, const struct scim_rtype *, const struct json *tree,
	    int version, const char *attributes, const char *excluded);
/* Answers a ListResponse of n resources from startIndex start, of total in all. */
void	scim_reply_list(struct request *, const struct scim_rtype *, struct json *const *trees,
	    size_t n, int64_t total, long start, const char *attributes, const char *excluded);

/* What a list or .search asks for (RFC 7644 §3.4.2, §3.4.3). */
struct scim_query {
	const char	*filter;	/* NULL: every resource */
	const char	*attributes, *excluded;	/* comma-separated, or NULL */
	const char	*sort_by;
	bool		 descending;
	long		 start;		/* 1-based */
	long		 count;		/* 0..SCIM_MAX_RESULTS */
};
/* The query from the query string (GET) or a SearchRequest body (.search): -1 when refused. */
int	scim_query_read(struct request *, bool search, struct scim_query *);

/* What a list of a resource type may be filtered and sorted by, in the core's names. */
struct scim_listing {
	const struct scim_rtype	*type;
	const struct scim_fmap	*filters;
	size_t			 nfilters;
	const struct scim_fmap	*sorts;
	size_t			 nsorts;
	const char		*sorts_text;	/* for the message: "userName or meta.created" */
};
/*
 * scim_query_read, then its filter in core fields (NULL: all) and its sort
 * as the core names it ("-" first for descending; NULL: the default order).
 * -1 when refused (the error answered).
 */
int	scim_list_read(struct request *, bool search, const struct scim_listing *,
	    struct scim_query *, struct fnode **filter, const char **sort);
/* The attributes/excludedAttributes query parameters of a single-resource request. */
int	scim_projection_read(struct request *, const char **attributes, const char **excluded);

/* --- trees (scim_tree.c) -------------------------------------------------------- */

/* New JSON values in the arena; str copies s (NULL gives null). */
struct json	*sj_object(struct arena *);
struct json	*sj_array(struct arena *);
struct json	*sj_str(struct arena *, const char *s);
struct json	*sj_bool(struct arena *, bool);
/* Member of an object by name in any case, or NULL. */
struct json	*sj_get(const struct json *, const char *name);
/* Sets (replacing a member of the same name in any case) or, with v NULL, deletes. */
int	 sj_set(struct arena *, struct json *obj, const char *name, struct json *v);
int	 sj_push(struct arena *, struct json *arr, struct json *v);
/* Removes item i of an array. */
void	 sj_drop(struct json *arr, size_t i);
/* Deep equality; member names in any case, strings exactly. */
bool	 sj_equal(const struct json *, const struct json *);
/* A string member's text, or NULL. */
const char *sj_text(const struct json *obj, const char *name);
void	 sj_write(struct jsonw *, const struct json *);

/*
 * A failure of the SCIM layer: HTTP status, scimType (NULL: none) and detail,
 * rendered by scim_fail.
 */
struct scim_err {
	int		 status;
	const char	*type;
	char		 detail[200];
};
int	 scim_errset(struct scim_err *, int status, const char *type, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 scim_fail(struct request *, const struct scim_err *);

/*
 * A request body as a canonical tree of the resource type: attribute names
 * as the schema spells them, null and unknown attributes dropped, read-only
 * attributes dropped, "True"/"False" text read as booleans, a lone value of a
 * multi-valued attribute made a list and a bare string where a complex value
 * belongs read as its "value". -1 with err on a value of the wrong type.
 */
int	 scim_canon(struct arena *, const struct scim_rtype *, const struct json *body,
	    struct json **out, struct scim_err *);
/* A shallow copy of an object or array, to change apart from the original. */
struct json	*sj_copy(struct arena *, const struct json *);
/* scim_errset of 500 "out of memory". */
int	 scim_oom(struct scim_err *);
/* One value (an item, for a multi-valued attribute) in canonical form; path names it in errors. */
int	 scim_canon_one(struct arena *, const struct scim_attr *, const char *path,
	    const struct json *v, struct json **out, struct scim_err *);
/* An attribute's value in canonical form (as scim_canon reads it): NULL when null or empty. */
int	 scim_canon_attr(struct arena *, const struct scim_attr *, const struct json *v,
	    struct json **out, struct scim_err *);
/* The value a path (without filter) has in a tree, or NULL. */
const struct json *scim_tree_get(const struct json *tree, const struct scim_rtype *,
	    const char *path);
/*
 * Whether a value of a multi-valued attribute (a JSON object) matches a
 * value filter over its sub-attributes (sub: their definitions).
 */
bool	 scim_match(const struct fnode *, const struct json *value, const struct scim_attr *sub,
	    size_t nsub);
/*
 * The tree as a response shows it (RFC 7644 §3.9): attributes (a list) or
 * excludedAttributes, returned characteristics honoured. -1 with err
 * (invalidValue/invalidFilter) on a bad list.
 */
int	 scim_project(struct arena *, const struct scim_rtype *, const struct json *tree,
	    const char *attributes, const char *excluded, struct json **out, struct scim_err *);
/* Whether a projection keeps attribute name of the core schema (for costly ones: members). */
bool	 scim_wants(const char *attributes, const char *excluded, const char *name);
/* --- PATCH (scim_patch.c) ------------------------------------------------------- */

enum scim_op { SOP_ADD, SOP_REMOVE, SOP_REPLACE };
typedef int (*scim_op_fn)(void *ctx, enum scim_op, const char *path, const struct json *value,
	    bool lenient, struct scim_err *);
/*
 * Calls fn for each operation of a PatchOp body in order (op in any case):
 * with its path, or — an add or replace without one — once for each member
 * of its value object, the member's name as the path and lenient set (a
 * name that is no attribute is then skipped, as on PUT). -1 with err when
 * the body is no PatchOp, or fn failed.
 */
int	 scim_patch_each(const struct json *body, scim_op_fn, void *ctx, struct scim_err *);
/*
 * Applies a PatchOp body (RFC 7644 §3.5.2) to a canonical tree in place,
 * op names in any case; readOnly attributes may only be "changed" to what
 * they are. -1 with err (invalidSyntax, invalidPath, noTarget, mutability,
 * invalidValue, invalidFilter, tooMany).
 */
int	 scim_patch(struct arena *, const struct scim_rtype *, struct json *tree,
	    const struct json *body, struct scim_err *);
/* Checks a request's "schemas" member names want (RFC 7644 §3.3): -1 with err when not. */
int	 scim_schemas_check(const struct json *body, const char *want, struct scim_err *);

/*
 * A list's core failure: its paging and sort are checked before, so a
 * value the core refuses is the filter's (invalidFilter), named as l's
 * client wrote it.
 */
void	scim_list_fail(struct request *, const struct scim_listing *, const struct core_err *);

/* --- filters ------------------------------------------------------------------ */

/* A SCIM attribute path and the core filter field it stands for. */
struct scim_fmap {
	const char	*scim;		/* "name.givenName", URN-qualified for an extension */
	const char	*core;		/* "first_name" */
};
/*
 * Parses a SCIM filter and renames its attributes to core fields by map
 * (names in any case, the core schema URN optional): NULL with err
 * (400 invalidFilter) on an invalid or unsupported filter.
 */
struct fnode	*scim_filter(struct arena *, const char *filter, const struct scim_rtype *,
		    const struct scim_fmap *, size_t nmap, struct scim_err *);

#endif
