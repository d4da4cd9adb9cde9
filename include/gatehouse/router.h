/* router.h: static route tables and dispatch; the HTTP layer knows dialects only through this interface. */
#ifndef GATEHOUSE_ROUTER_H
#define GATEHOUSE_ROUTER_H

#include <stddef.h>

#include "gatehouse/params.h"

struct request;
struct route;

typedef void (*route_handler)(struct request *);

/*
 * A dialect: how requests under one prefix authenticate and how their errors
 * look. guard() authenticates and checks req->route's needs; it returns 0 to
 * proceed, or renders the error itself and returns -1.
 */
struct dialect {
	const char	*name;
	const char	*prefix;	/* "/canary"; "" matches everything */
	int		(*guard)(struct request *);
	void		(*error)(struct request *, int status, const char *field, const char *detail);
};

#define ROUTE_PUBLIC	(-1)		/* no authentication */

struct route {
	const char		*method;
	const char		*pattern;	/* "/api/v1/users/{uid}" */
	route_handler		 handler;
	const struct dialect	*dialect;
	int			 need;		/* minimum access level, or ROUTE_PUBLIC */
	unsigned		 flags;		/* dialect-defined (e.g. tier exclusions) */
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

/* The whole request: route, parse, guard, handler, errors in the dialect's shape. */
void	router_dispatch(const struct route_table *, struct request *, size_t max_body,
	    const struct parse_limits *);

#endif
