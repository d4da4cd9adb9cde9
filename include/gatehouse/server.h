/* server.h: the FastCGI process model (prefork master, spawned worker, plain CGI). */
#ifndef GATEHOUSE_SERVER_H
#define GATEHOUSE_SERVER_H

#include <signal.h>
#include <stddef.h>

struct request;

struct server_opts {
	const char	*socket;	/* PATH or HOST:PORT */
	int		 socket_mode;
	int		 workers;
	long		 max_requests;	/* per worker; 0 = never recycle */
};

struct server_app {
	/* In each worker after fork; non-zero makes the worker exit (and be restarted). */
	int	(*worker_start)(void);
	/* Fills in the response for one request. */
	void	(*handle)(struct request *);
	void	(*worker_stop)(void);
	/* Master, on SIGHUP: re-read configuration into *opts; 0 on success. */
	int	(*reload)(struct server_opts *opts);
	/*
	 * When set, the prefork master also runs this in a child of its own,
	 * supervised like a worker (restarted with back-off when it dies) but
	 * never accepting connections: long work, away from kept ones. It
	 * returns (the exit code) soon after *stop becomes non-zero (SIGTERM).
	 */
	int	(*runner)(volatile sig_atomic_t *stop);
};

/* Binds the socket, forks and supervises workers until SIGTERM/SIGINT. Returns an exit code. */
int	server_prefork(struct server_opts *, const struct server_app *);
/* One worker on an inherited listening socket (spawn-fcgi, mod_fcgid). */
int	server_single(int listen_fd, long max_requests, const struct server_app *);
/* One request as plain CGI: environment, stdin, stdout. */
int	server_cgi(const struct server_app *);
/* 1 when fd 0 is a listening socket handed over by a spawner. */
int	server_inherited_socket(void);

#endif
