/* request.h: one HTTP request as a FastCGI worker sees it, and the response being built. */
#ifndef GATEHOUSE_REQUEST_H
#define GATEHOUSE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "gatehouse/buf.h"
#include "gatehouse/params.h"

struct arena;
struct json;
struct route;
struct principal;

#define REQ_MAX_PATH_PARAMS	4
#define REQ_ID_MAX		64

/* How the transport (FastCGI or CGI) hands over the body. */
typedef ssize_t (*req_read_fn)(void *io, char *buf, size_t n);

struct request {
	struct arena		*arena;
	char			**env;		/* CGI/FastCGI parameters */
	req_read_fn		 read;
	void			*io;

	const char		*method;
	const char		*path;		/* as sent (still percent-encoded), without the query */
	const char		*query;		/* raw */
	const char		*content_type;
	const char		*remote_addr;	/* REMOTE_ADDR as given, for the access log */
	const char		*client_ip;	/* remote_addr if an IP address, else NULL */
	char			 id[REQ_ID_MAX + 1];
	struct timespec		 started;
	struct timespec		 deadline;	/* CLOCK_MONOTONIC; zero: none */

	const char		*body;
	size_t			 body_len;
	struct params		 params;	/* body first, then query string */
	struct json		*json;		/* JSON body, or NULL */

	const struct route	*route;
	size_t			 npath;
	const char		*path_names[REQ_MAX_PATH_PARAMS];
	const char		*path_values[REQ_MAX_PATH_PARAMS];
	struct principal	*principal;

	/* Response. */
	int			 status;
	const char		*out_type;
	struct buf		*hdr;		/* extra header lines, each ending in CRLF */
	struct buf		*out;		/* body */
	bool			 head;		/* HEAD: send headers only */
};

/* Initialises r for one exchange; hdr and out are reset, not freed. */
void	 req_init(struct request *, struct arena *, char **env, req_read_fn, void *io,
	    struct buf *hdr, struct buf *out);
const char *req_env(const struct request *, const char *name);
/* Request header by its HTTP name ("X-Request-Id"), or NULL. */
const char *req_header(const struct request *, const char *name);
const char *req_path_param(const struct request *, const char *name);
/*
 * The value of cookie name from the Cookie header (RFC 6265 §5.4: pairs
 * separated by "; "), copied into the request's arena; NULL when absent,
 * given more than once, or holding a control character.
 */
const char *req_cookie(const struct request *, const char *name);
const char *req_param(const struct request *, const char *name);

/*
 * Reads and parses the body by Content-Type into params/json, then the query
 * string. Returns 0, or the HTTP status to answer (400, 413, 415) with err
 * describing why.
 */
int	 req_parse(struct request *, size_t max_body, const struct parse_limits *,
	    struct parse_error *err);

void	 resp_header(struct request *, const char *name, const char *value);
/* Sets status and content type and clears any body written so far. */
void	 resp_start(struct request *, int status, const char *content_type);
/* Serialises status line, headers and body for the transport. */
void	 resp_serialize(struct request *, struct buf *wire);
const char *http_reason(int status);

/* One JSON access-log line: request id, route, status, latency. Never values. */
void	 req_log(const struct request *);

#endif
