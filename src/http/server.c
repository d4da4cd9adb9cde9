/* server.c: prefork supervision of FastCGI workers, and the single-worker and CGI entry points. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/log.h"
#include "gatehouse/request.h"
#include "gatehouse/server.h"

#define ARENA_LIMIT	(64u << 20)	/* per request, on top of the body limit */
#define DRAIN_SECONDS	30
#define DRAIN_IDLE_MS	2000		/* past nginx's 1 s upstream keepalive_timeout */
#define STDIN_DRAIN_MAX	(64u << 10)	/* unread body worth reading to keep a connection */
#define BACKOFF_MAX_MS	30000
#define HEALTHY_SECONDS	10		/* a worker that lived this long resets its back-off */

extern char **environ;

/* Worker state touched by the signal handler. */
static volatile sig_atomic_t worker_stop;
static volatile sig_atomic_t worker_idle;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	/* Waiting for a request: nothing in flight, so leave now. */
	if (worker_idle)
		_exit(0);
}

static ssize_t
fcgi_read(void *io, char *buf, size_t n)
{
	int want = n > 1 << 30 ? 1 << 30 : (int)n;

	return FCGX_GetStr(buf, want, (FCGX_Stream *)io);
}

static ssize_t
stdin_read(void *io, char *buf, size_t n)
{
	(void)io;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t	 none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sa.sa_flags = SA_RESTART;	/* in-flight reads and writes are not cut short */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Reads what is left of the request's stdin, up to its end record, so that
 * the next request on a kept connection starts on a record boundary. A body
 * larger than limit (one that was refused unread) is not worth reading:
 * the connection is closed instead.
 */
static void
stdin_drain(FCGX_Request *fr, size_t limit)
{
	char	buf[4096];
	size_t	total = 0;
	int	n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), fr->in)) > 0) {
		total += (size_t)n;
		if (total > limit) {
			fr->keepConnection = 0;
			break;
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

enum kept { KEPT_REQUEST, KEPT_CLOSED, KEPT_IDLE, KEPT_INTERRUPTED };

/*
 * Waits up to ms (-1: no limit) for the next request on a kept connection.
 * KEPT_CLOSED when nginx closed it, KEPT_IDLE when the time ran out,
 * KEPT_INTERRUPTED when a signal arrived (the caller re-evaluates).
 */
static enum kept
kept_wait(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		c;
	ssize_t		n;
	int		rc = poll(&pfd, 1, ms);

	if (rc < 0)
		return errno == EINTR ? KEPT_INTERRUPTED : KEPT_CLOSED;
	if (rc == 0)
		return KEPT_IDLE;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return KEPT_REQUEST;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return KEPT_INTERRUPTED;
	return KEPT_CLOSED;
}

/* Accept loop shared by prefork workers and spawned workers. */
static int
worker_loop(int listen_fd, long max_requests, const struct server_app *app)
{
	FCGX_Request	 fr;
	struct arena	 arena;
	struct buf	 hdr, out, wire;
	long		 served = 0;

	worker_signals();
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("FastCGI initialisation failed");
		return 1;
	}
	if (app->worker_start != NULL && app->worker_start() != 0)
		return 1;
	arena_init(&arena, ARENA_LIMIT);
	buf_init(&hdr);
	buf_init(&out);
	buf_init(&wire);

	for (;;) {
		struct request r;
		bool draining = worker_stop || (max_requests != 0 && served >= max_requests);

		if (fr.ipcFd >= 0) {
			/*
			 * nginx keeps this connection for its next request. Closing it
			 * ourselves races a request nginx may be sending on it, and nginx
			 * does not retry a POST; so a worker that is leaving serves on
			 * until nginx lets go (keepalive_timeout, keepalive_requests).
			 */
			enum kept k = kept_wait(fr.ipcFd, draining ? DRAIN_IDLE_MS : -1);

			if (k == KEPT_INTERRUPTED)
				continue;
			if (k != KEPT_REQUEST) {
				FCGX_Free(&fr, 1);
				if (draining)
					break;
				continue;
			}
		} else if (draining)
			break;
		/* Blocked in accept() with no connection: nothing in flight, SIGTERM may _exit. */
		worker_idle = fr.ipcFd < 0;
		if (worker_idle && worker_stop)
			break;
		if (FCGX_Accept_r(&fr) < 0) {
			worker_idle = 0;
			break;
		}
		worker_idle = 0;
		req_init(&r, &arena, fr.envp, fcgi_read, fr.in, &hdr, &out);
		app->handle(&r);
		resp_serialize(&r, &wire);
		FCGX_PutStr(wire.data, (int)wire.len, fr.out);
		req_log(&r);		/* before Finish_r, which frees the parameters */
		stdin_drain(&fr, STDIN_DRAIN_MAX);
		FCGX_Finish_r(&fr);
		/* Request bodies may hold passwords: wipe before reuse. */
		buf_wipe(&wire);
		buf_wipe(&out);
		arena_reset(&arena);
		served++;
	}
	if (app->worker_stop != NULL)
		app->worker_stop();
	buf_free(&hdr);
	buf_free(&out);
	buf_free(&wire);
	arena_free(&arena);
	return 0;
}

int
server_inherited_socket(void)
{
	return !FCGX_IsCGI();
}

int
server_single(int listen_fd, long max_requests, const struct server_app *app)
{
	return worker_loop(listen_fd, max_requests, app);
}

int
server_cgi(const struct server_app *app)
{
	struct arena	 arena;
	struct buf	 hdr, out, wire;
	struct request	 r;
	size_t		 off = 0;
	int		 rc;

	arena_init(&arena, ARENA_LIMIT);
	buf_init(&hdr);
	buf_init(&out);
	buf_init(&wire);
	if (app->worker_start != NULL && app->worker_start() != 0)
		return 1;
	req_init(&r, &arena, environ, stdin_read, NULL, &hdr, &out);
	app->handle(&r);
	resp_serialize(&r, &wire);
	while (off < wire.len) {
		ssize_t n = write(STDOUT_FILENO, wire.data + off, wire.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	rc = off == wire.len ? 0 : 1;
	req_log(&r);
	if (app->worker_stop != NULL)
		app->worker_stop();
	buf_wipe(&out);
	buf_wipe(&wire);
	buf_free(&hdr);
	buf_free(&out);
	buf_free(&wire);
	arena_free(&arena);
	return rc;
}

/* --- prefork master ------------------------------------------------------ */

struct slot {
	pid_t		pid;		/* 0: empty */
	unsigned	gen;		/* configuration generation it was started with */
	int		crashes;	/* consecutive quick failures */
	struct timespec	started;
	struct timespec	restart_at;	/* when empty: earliest restart */
};

static double
ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static int
open_listener(const struct server_opts *o)
{
	int		 fd;
	const char	*colon = strrchr(o->socket, ':');

	if (o->socket[0] != '/' && colon != NULL) {
		fd = FCGX_OpenSocket(o->socket, 1024);
	} else {
		if (unlink(o->socket) != 0 && errno != ENOENT) {
			log_error("cannot remove stale socket %s: %s", o->socket, strerror(errno));
			return -1;
		}
		fd = FCGX_OpenSocket(o->socket, 1024);
		if (fd >= 0 && chmod(o->socket, (mode_t)o->socket_mode) != 0) {
			log_error("chmod %s: %s", o->socket, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (fd < 0)
		log_error("cannot listen on %s", o->socket);
	return fd;
}

static pid_t
spawn(int fd, struct slot *s, unsigned gen, const struct server_opts *o,
    const struct server_app *app)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(worker_loop(fd, o->max_requests, app));
	s->pid = pid;
	s->gen = gen;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	return pid;
}

int
server_prefork(struct server_opts *o, const struct server_app *app)
{
	struct slot	*slots = NULL;
	size_t		 nslots = 0;
	unsigned	 gen = 0;
	sigset_t	 set;
	int		 fd, stopping = 0;
	struct timespec	 drain_deadline = { 0, 0 };

	if (FCGX_Init() != 0 || (fd = open_listener(o)) < 0)
		return 1;

	/* The master takes its signals synchronously with sigtimedwait: no handlers, no races. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((slots = calloc((size_t)o->workers, sizeof(*slots))) == NULL)
		return 1;
	nslots = (size_t)o->workers;
	log_info("listening on %s with %d workers", o->socket, o->workers);

	for (;;) {
		struct timespec	 now, wait = { 0, 250 * 1000 * 1000 };
		siginfo_t	 si;
		int		 sig, status, live = 0;
		pid_t		 pid;

		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Start workers whose slot is empty and whose back-off has passed. */
		for (size_t i = 0; i < nslots && !stopping; i++)
			if (slots[i].pid == 0 && slots[i].gen == gen &&
			    ts_sec(&now) >= ts_sec(&slots[i].restart_at))
				spawn(fd, &slots[i], gen, o, app);

		sig = sigtimedwait(&set, &si, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				log_info("draining workers");
				stopping = 1;
				clock_gettime(CLOCK_MONOTONIC, &drain_deadline);
				drain_deadline.tv_sec += DRAIN_SECONDS;
				for (size_t i = 0; i < nslots; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGTERM);
			}
		} else if (sig == SIGHUP && !stopping) {
			struct slot *ns;
			size_t old = nslots;

			if (app->reload(o) != 0) {
				log_error("reload failed; keeping the running configuration");
				continue;
			}
			/* New generation in fresh slots; the old ones drain and are dropped. */
			gen++;
			if ((ns = realloc(slots, (old + (size_t)o->workers) * sizeof(*ns))) == NULL)
				continue;
			slots = ns;
			memset(slots + old, 0, (size_t)o->workers * sizeof(*ns));
			nslots = old + (size_t)o->workers;
			for (size_t i = old; i < nslots; i++)
				slots[i].gen = gen;
			/* Old slots drain; an empty one (a restart pending) is retired, not refilled. */
			for (size_t i = 0; i < old; i++) {
				if (slots[i].pid > 0)
					kill(slots[i].pid, SIGTERM);
				else
					slots[i].pid = -1;
			}
			log_info("reloaded: %d workers, generation %u", o->workers, gen);
		}

		/* Reap every child that has ended. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (size_t i = 0; i < nslots; i++) {
				struct slot *s = &slots[i];
				bool crashed;
				double lived;

				if (s->pid != pid)
					continue;
				s->pid = 0;
				clock_gettime(CLOCK_MONOTONIC, &now);
				if (stopping || s->gen != gen) {
					s->pid = -1;	/* retired: never restarted */
					break;
				}
				crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
				lived = ts_sec(&now) - ts_sec(&s->started);
				if (!crashed || lived >= HEALTHY_SECONDS)
					s->crashes = 0;
				if (crashed) {
					long ms = 100L << (s->crashes < 9 ? s->crashes : 9);

					if (ms > BACKOFF_MAX_MS)
						ms = BACKOFF_MAX_MS;
					s->crashes++;
					s->restart_at = now;
					s->restart_at.tv_sec += ms / 1000;
					s->restart_at.tv_nsec += (ms % 1000) * 1000000L;
					if (s->restart_at.tv_nsec >= 1000000000L) {
						s->restart_at.tv_sec++;
						s->restart_at.tv_nsec -= 1000000000L;
					}
					if (WIFSIGNALED(status))
						log_warn("worker %d killed by signal %d; restarting in %ld ms",
						    (int)pid, WTERMSIG(status), ms);
					else
						log_warn("worker %d exited with %d; restarting in %ld ms",
						    (int)pid, WEXITSTATUS(status), ms);
				} else
					s->restart_at = now;	/* recycled after max-requests */
				break;
			}
		}

		/* Compact retired slots so reloads do not grow the table forever. */
		for (size_t i = 0; i < nslots; ) {
			if (slots[i].pid == -1) {
				memmove(&slots[i], &slots[i + 1], (nslots - i - 1) * sizeof(*slots));
				nslots--;
			} else
				i++;
		}
		for (size_t i = 0; i < nslots; i++)
			if (slots[i].pid > 0)
				live++;
		if (stopping) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (live == 0)
				break;
			if (ts_sec(&now) >= ts_sec(&drain_deadline)) {
				log_warn("drain timed out; killing %d workers", live);
				for (size_t i = 0; i < nslots; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGKILL);
				drain_deadline.tv_sec += 5;
			}
		}
	}
	if (o->socket[0] == '/')
		unlink(o->socket);
	free(slots);
	log_info("stopped");
	return 0;
}
