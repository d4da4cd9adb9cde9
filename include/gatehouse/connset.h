/* connset.h: the FastCGI connections one worker holds, each served when it has a request. */
#ifndef GATEHOUSE_CONNSET_H
#define GATEHOUSE_CONNSET_H

#include <fcgiapp.h>

/*
 * Answers one request whose parameters FCGX_Accept_r has read: reads what it
 * needs of fr->in and writes the response to fr->out. The connection set then
 * reads stdin to its end record and finishes the request.
 */
typedef void	(*connset_serve_fn)(FCGX_Request *fr, void *arg);

/*
 * How many connections each worker of one master holds, in memory the
 * workers share (made before they are forked), one slot per worker. A new
 * connection is left, for a moment, to a worker that holds fewer.
 */
struct connset_share;

struct connset_opts {
	int			 listen_fd;
	long			 max_requests;	/* then drain, as on SIGTERM; 0: no limit */
	connset_serve_fn	 serve;
	void			*arg;
	/* After each round that served requests, before waiting again (may be NULL). */
	void			(*served)(void *arg);
	struct connset_share	*share;		/* NULL: this worker takes any it can */
	size_t			 slot;		/* this worker's slot in share */
};

/* A share of slots slots, all vacant; NULL when it cannot be mapped. */
struct connset_share	*connset_share_new(size_t slots);
/*
 * Sets what slot holds: a count, or -1 once its worker is gone. The master
 * sets each slot it hands out first, from one process: that also makes the
 * slot visible to the others.
 */
void			 connset_share_set(struct connset_share *, size_t slot, int held);

/*
 * Takes SIGTERM and SIGINT for the worker: from here on they only set a flag,
 * and are blocked except while connset_run waits. Call first in a worker, so
 * that a signal during its start-up is not lost. Ignores SIGPIPE.
 */
void	connset_signals(void);

/*
 * Accepts connections from listen_fd (made non-blocking) and serves requests
 * on every connection it holds, whichever has one, until SIGTERM/SIGINT or
 * max_requests. Then it drains: accepts no more, serves on until the web
 * server has closed every connection (or one stayed idle past its keep-alive
 * timeout) and returns 0. -1 with errno set when accepting fails for good.
 */
int	connset_run(const struct connset_opts *);

#endif
