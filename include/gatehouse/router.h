/* router.h: static route tables and dispatch; the HTTP layer knows dialects only through this interface. */
#ifndef GATEHOUSE_ROUTER_H
#define GATEHOUSE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "gatehouse/params.h"

struct core_err;
struct request;
struct route;

typedef void (*route_handler)(struct request *);

/*
 * A dialect: how requests under one prefix authenticate and how their errors
 * look. guard() authenticates and checks req->route's needs; it returns 0 to
 * proceed, or renders the error itself and returns -1. error() renders a
 * failure of the transport (404, 405, 400/413/415 from parsing) by HTTP
 * status; fail(), when set, renders the failures of the API layer and the
 * core by their core status (see api.h), which this layer never looks into.
 */
struct dialect {
	const char	*name;
	const char	*prefix;	/* "/canary"; "" matches everything */
	int		(*guard)(struct request *);
	void		(*error)(struct request *, int status, const char *field, const char *detail);
	void		(*fail)(struct request *, const struct core_err *);
};

#define ROUTE_PUBLIC	(-1)		/* no authentication */

extern const char *const route_any_shape[];
#define ROUTE_ANY_SHAPE	route_any_shape

struct route {
	const char		*method;
	const char		*pattern;	/* "/api/v1/users/{uid}" */
	route_handler		 handler;
	const struct dialect	*dialect;
	int			 need;		/* minimum access level, or ROUTE_PUBLIC */
	unsigned		 flags;		/* dialect-defined (e.g. tier exclusions) */
	/*
	 * Every other field is a scalar: given once, never as a JSON array or
	 * object. These may repeat or be lists (NULL-terminated; NULL: none;
	 * ROUTE_ANY_SHAPE: any field, for a surface that checks the shape of
	 * its documents itself, as SCIM does by its schemas).
	 */
	const char *const	*lists;
	bool			 array_body;	/* a JSON array is accepted as the whole body */
};

struct route_table {
	const struct route	 *routes;
	size_t			  n;
	const struct dialect	**dialects;	/* for errors of unmatched paths, by prefix */
	size_t			  ndialects;
	const struct dialect	 *fallback;
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Matches method and path. On ROUTE_FOUND sets req->route and path params;
 * on ROUTE_BAD_METHOD writes the allowed methods to allow ("GET, POST").
 */
enum route_result router_match(const struct route_table *, struct request *,
	    char *allow, size_t allowsz);

/*
 * The request's fields against its route's shape: a JSON body is an object
 * (or an array where the route takes one), and every field not in the
 * route's lists arrives once and as a scalar. 0, or -1 with err naming the field.
 */
int	route_shape_check(const struct route *, const struct request *, struct parse_error *);

/* The whole request: route, parse, guard, shape, handler, errors in the dialect's shape. */
void	router_dispatch(const struct route_table *, struct request *, size_t max_body,
	    const struct parse_limits *);

#endif
