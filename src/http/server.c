/* server.c: prefork supervision of FastCGI workers, and the single-worker and CGI entry points. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "gatehouse/arena.h"
#include "gatehouse/buf.h"
#include "gatehouse/connset.h"
#include "gatehouse/log.h"
#include "gatehouse/request.h"
#include "gatehouse/server.h"

#define ARENA_LIMIT	(64u << 20)	/* per request, on top of the body limit */
#define DRAIN_SECONDS	30
#define BACKOFF_MAX_MS	30000
#define HEALTHY_SECONDS	10		/* a worker that lived this long resets its back-off */
#define SHARE_SLOTS	2048		/* two generations of the largest pool, during a reload */

extern char **environ;

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

/* What a worker keeps across requests. */
struct worker {
	const struct server_app	*app;
	struct arena		 arena;
	struct buf		 hdr, out, wire;
};

/* One request, on whichever connection it came (connset_serve_fn). */
static void
worker_serve(FCGX_Request *fr, void *arg)
{
	struct worker	*w = arg;
	struct request	 r;

	req_init(&r, &w->arena, fr->envp, fcgi_read, fr->in, &w->hdr, &w->out);
	w->app->handle(&r);
	resp_serialize(&r, &w->wire);
	FCGX_PutStr(w->wire.data, (int)w->wire.len, fr->out);
	req_log(&r);		/* before Finish_r, which frees the parameters; kept until served */
	/* Request bodies may hold passwords: wipe before reuse. */
	buf_wipe(&w->wire);
	buf_wipe(&w->out);
	arena_reset(&w->arena);
}

/* A round of requests answered: their access lines go out in one write. */
static void
worker_served(void *arg)
{
	(void)arg;
	log_flush();
}

/*
 * A child's signals: the master's mask and dispositions are inherited, so
 * start from a clean slate; term, when set, handles SIGTERM and SIGINT from
 * before they are unblocked.
 */
static void
child_signals(void (*term)(int))
{
	struct sigaction	sa;
	sigset_t		none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	if (term != NULL) {
		sa.sa_handler = term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Worker loop shared by prefork workers and spawned workers: co says where to
 * accept and when to recycle; the requests go to app.
 */
static int
worker_loop(struct connset_opts co, const struct server_app *app)
{
	struct worker		w = { .app = app };
	int			rc;

	child_signals(NULL);
	connset_signals();	/* before anything slow: a SIGTERM now drains at once */

	if (app->worker_start != NULL && app->worker_start() != 0)
		return 1;
	co.serve = worker_serve;
	co.served = worker_served;
	co.arg = &w;
	arena_init(&w.arena, ARENA_LIMIT);
	buf_init(&w.hdr);
	buf_init(&w.out);
	buf_init(&w.wire);
	if ((rc = connset_run(&co)) != 0)
		log_error("worker: serving connections failed: %s", strerror(errno));
	log_flush();
	if (app->worker_stop != NULL)
		app->worker_stop();
	buf_free(&w.hdr);
	buf_free(&w.out);
	buf_free(&w.wire);
	arena_free(&w.arena);
	return rc == 0 ? 0 : 1;
}

int
server_inherited_socket(void)
{
	return !FCGX_IsCGI();
}

int
server_single(int listen_fd, long max_requests, const struct server_app *app)
{
	struct connset_opts co = { .listen_fd = listen_fd, .max_requests = max_requests };

	return worker_loop(co, app);
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
	log_flush();
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
	size_t		share_slot;	/* its worker's slot in the connection share */
	bool		runner;		/* the job runner's, not a worker's */
};

#define NO_SHARE_SLOT	((size_t)-1)

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

/*
 * Removes the socket's path if it is still the one we bound: a successor may
 * have bound the same path while this master drains.
 */
static void
listener_unlink(const struct server_opts *o, const struct stat *bound)
{
	struct stat st;

	if (o->socket[0] == '/' && stat(o->socket, &st) == 0 &&
	    st.st_dev == bound->st_dev && st.st_ino == bound->st_ino)
		unlink(o->socket);
}

/* The lowest slot of the connection share that no live worker uses. */
static size_t
share_slot_free(const struct slot *slots, size_t nslots)
{
	for (size_t ix = 0;; ix++) {
		size_t j;

		for (j = 0; j < nslots; j++)
			if (slots[j].pid > 0 && slots[j].share_slot == ix)
				break;
		if (j == nslots)
			return ix;
	}
}

static volatile sig_atomic_t runner_stop;

static void
runner_signal(int sig)
{
	(void)sig;
	runner_stop = 1;
}

/* The job runner's child: the master's signal state undone, SIGTERM asking it to stop. */
static int
runner_main(int listen_fd, const struct server_app *app)
{
	close(listen_fd);	/* it serves no connection, and must not hold the socket open */
	child_signals(runner_signal);
	return app->runner(&runner_stop);
}

/*
 * Starts the worker of slot s (or the runner, when it is the runner's); co
 * says where it accepts and which share slot is its.
 */
static pid_t
spawn(struct connset_opts co, struct slot *s, unsigned gen, const struct server_app *app)
{
	pid_t pid;

	if ((pid = fork()) < 0) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(s->runner ? runner_main(co.listen_fd, app) : worker_loop(co, app));
	s->pid = pid;
	s->gen = gen;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	if (s->runner) {
		s->share_slot = NO_SHARE_SLOT;
		return pid;
	}
	/* The master alone raises the share's high-water mark; the worker keeps its count. */
	connset_share_set(co.share, co.slot, 0);
	s->share_slot = co.slot;
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
	struct stat	 bound = { 0 };
	struct connset_share *share;

	if (FCGX_Init() != 0 || (fd = open_listener(o)) < 0)
		return 1;
	/* Without it workers still serve; they only take new connections less evenly. */
	if ((share = connset_share_new(SHARE_SLOTS)) == NULL)
		log_warn("no shared memory for connection counts: %s", strerror(errno));
	if (o->socket[0] == '/')
		stat(o->socket, &bound);

	/* The master takes its signals synchronously with sigtimedwait: no handlers, no races. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The workers' slots, and the runner's last. */
	nslots = (size_t)o->workers + (app->runner != NULL);
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return 1;
	slots[nslots - 1].runner = app->runner != NULL;
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
			    ts_sec(&now) >= ts_sec(&slots[i].restart_at)) {
				struct connset_opts co = {
					.listen_fd = fd,
					.max_requests = o->max_requests,
					.share = share,
					.slot = share_slot_free(slots, nslots),
				};

				spawn(co, &slots[i], gen, app);
			}

		sig = sigtimedwait(&set, &si, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				log_info("draining workers");
				/*
				 * Workers that drain accept no new connection: without
				 * the path nginx is refused at once, rather than left
				 * in the backlog until the socket closes.
				 */
				listener_unlink(o, &bound);
				stopping = 1;
				clock_gettime(CLOCK_MONOTONIC, &drain_deadline);
				drain_deadline.tv_sec += DRAIN_SECONDS;
				for (size_t i = 0; i < nslots; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGTERM);
			}
		} else if (sig == SIGHUP && !stopping) {
			struct slot *ns;
			size_t old = nslots, more;

			if (app->reload(o) != 0) {
				log_error("reload failed; keeping the running configuration");
				continue;
			}
			/* New generation in fresh slots; the old ones drain and are dropped. */
			gen++;
			more = (size_t)o->workers + (app->runner != NULL);
			if ((ns = realloc(slots, (old + more) * sizeof(*ns))) == NULL)
				continue;
			slots = ns;
			memset(slots + old, 0, more * sizeof(*ns));
			nslots = old + more;
			for (size_t i = old; i < nslots; i++)
				slots[i].gen = gen;
			slots[nslots - 1].runner = app->runner != NULL;
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
				if (!s->runner)
					connset_share_set(share, s->share_slot, -1);
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
	listener_unlink(o, &bound);
	free(slots);
	log_info("stopped");
	return 0;
}
