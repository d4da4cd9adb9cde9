/*
 * connset.c: the FastCGI connections one worker holds, polled together with
 * the listening socket.
 *
 * nginx keeps upstream connections open between requests (keepalive,
 * fastcgi_keep_conn) and may send the next request on any of them, or open a
 * new one when all are busy. libfcgi's accept loop binds a worker to one
 * connection until nginx lets it go, so with more connections than workers the
 * extra ones waited in the listen backlog, for seconds, while workers sat idle
 * on kept connections nobody was using. Here a worker accepts for itself and
 * waits on every connection it holds and on the listening socket at once,
 * serving whichever has a request. libfcgi still reads and writes each
 * request: every connection has its own FCGX_Request, whose ipcFd is set here.
 * Requests on one worker's connections queue behind each other, so a new
 * connection goes to the worker that holds the fewest (counts shared by the
 * master's workers).
 *
 * A kept connection is never closed from this side while nginx may still use
 * it: nginx does not retry a POST that fails on a reused connection. It is
 * closed when nginx closed it, when nginx's own request said not to keep it,
 * when a request on it stalls past nginx's own timeout, and, when draining,
 * once it has stayed idle longer than nginx's keep-alive timeout.
 *
 * A draining worker accepts no new connection, unless the socket's path is
 * gone (the master removes it when told to stop): then nothing new can
 * connect, and what is left in the backlog was sent before the stop, so it is
 * accepted and served too rather than reset when the socket closes.
 */
#define _GNU_SOURCE		/* ppoll, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "gatehouse/connset.h"

#define CONNS_MAX	256		/* per worker; bounded below RLIMIT_NOFILE too */
#define FDS_SPARE	32		/* descriptors left for the database, logs, … */
#define DRAIN_IDLE_MS	2000		/* past nginx's 1 s upstream keepalive_timeout */
#define STDIN_DRAIN_MAX	(64u << 10)	/* unread body worth reading to keep a connection */
#define ACCEPT_RETRY_MS	100		/* after running out of descriptors; backlog checks */
#define LEAVE_MS	2		/* a new connection left to a less busy worker */
#define IO_TIMEOUT_S	30		/* nginx's fastcgi_send/read_timeout */

struct conn {
	/*
	 * Between requests its stream and parameter pointers are NULL, so a
	 * conn may be moved (the array is compacted); never during a request.
	 * fr.ipcFd < 0: released, libfcgi closed the descriptor.
	 */
	FCGX_Request	fr;
	struct timespec	idle_since;	/* accepted, or its last request finished */
};

struct connset_share {
	size_t	slots;
	size_t	used;		/* slots below this may be in use */
	int	held[];		/* per slot: connections its worker holds; -1: none accepting */
};

static volatile sig_atomic_t stop;
static sigset_t wait_mask;	/* the signal mask while waiting: SIGTERM, SIGINT let through */

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

void
connset_signals(void)
{
	struct sigaction sa;
	sigset_t	 set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/*
	 * Blocked except inside ppoll: a request being read or answered is never
	 * cut short, and a signal that arrives between deciding to wait and
	 * waiting is taken by the wait itself, which then returns at once.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
}

struct connset_share *
connset_share_new(size_t slots)
{
	struct connset_share	*sh;

	sh = mmap(NULL, sizeof(*sh) + slots * sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	sh->slots = slots;
	for (size_t i = 0; i < slots; i++)
		sh->held[i] = -1;
	return sh;
}

void
connset_share_set(struct connset_share *sh, size_t slot, int held)
{
	if (sh == NULL || slot >= sh->slots)
		return;
	__atomic_store_n(&sh->held[slot], held, __ATOMIC_RELAXED);
	if (slot >= __atomic_load_n(&sh->used, __ATOMIC_RELAXED))
		__atomic_store_n(&sh->used, slot + 1, __ATOMIC_RELAXED);
}

/* The fewest connections any accepting worker holds; INT_MAX when none says. */
static int
share_fewest(const struct connset_share *sh)
{
	size_t	used = __atomic_load_n(&sh->used, __ATOMIC_RELAXED);
	int	fewest = INT_MAX;

	for (size_t i = 0; i < used && i < sh->slots; i++) {
		int h = __atomic_load_n(&sh->held[i], __ATOMIC_RELAXED);

		if (h >= 0 && h < fewest)
			fewest = h;
	}
	return fewest;
}

static long
ms_between(const struct timespec *from, const struct timespec *to)
{
	return (long)(to->tv_sec - from->tv_sec) * 1000 +
	    (to->tv_nsec - from->tv_nsec) / 1000000;
}

/* *t = now + ms */
static void
ms_from_now(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/*
 * libfcgi's FCGI_WEB_SERVER_ADDRS, kept now that the worker accepts itself:
 * when set, a TCP peer must be one of its comma-separated IPv4 addresses.
 */
static bool
peer_allowed(const struct sockaddr_storage *ss, const char *list)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char		 addr[INET_ADDRSTRLEN];
	size_t		 alen, len;

	if (ss->ss_family != AF_INET || list == NULL || *list == '\0')
		return true;
	if (inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr)) == NULL)
		return false;
	alen = strlen(addr);
	for (const char *p = list; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len == alen && memcmp(p, addr, len) == 0)
			return true;
	}
	return false;
}

/* The listening socket's path, when it is a unix socket reachable by one. */
struct origin {
	char	path[sizeof(((struct sockaddr_un *)NULL)->sun_path) + 1];
	dev_t	dev;
	ino_t	ino;
	bool	known;
};

static void
origin_find(int listen_fd, struct origin *og)
{
	struct sockaddr_un	sun;
	socklen_t		len = sizeof(sun);
	struct stat		st;
	size_t			n;

	og->known = false;
	if (getsockname(listen_fd, (struct sockaddr *)&sun, &len) != 0 ||
	    sun.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    sun.sun_path[0] == '\0')
		return;		/* TCP, unnamed or abstract: never gone */
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(sun.sun_path))
		n = sizeof(sun.sun_path);
	memcpy(og->path, sun.sun_path, n);	/* a full sun_path has no NUL */
	og->path[n] = '\0';
	if (stat(og->path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	og->dev = st.st_dev;
	og->ino = st.st_ino;
	og->known = true;
}

/* True once the socket's path is removed or names another socket: nobody new can connect. */
static bool
origin_gone(const struct origin *og)
{
	struct stat st;

	if (!og->known)
		return false;
	return stat(og->path, &st) != 0 || st.st_dev != og->dev || st.st_ino != og->ino;
}

static bool
pending(int listen_fd)
{
	struct pollfd pfd = { listen_fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

enum accepted { ACCEPT_OK, ACCEPT_NONE, ACCEPT_NOFDS, ACCEPT_FAILED };

/*
 * Accepts one waiting connection into c. ACCEPT_NONE when there was none
 * (another worker took it) or it went away or was refused; ACCEPT_NOFDS when
 * descriptors or memory ran out; ACCEPT_FAILED when the socket is unusable.
 */
static enum accepted
conn_accept(int listen_fd, struct conn *c, const char *allowed)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	struct timeval		tv = { IO_TIMEOUT_S, 0 };
	int			fd, one = 1;

	/* Blocking, unlike the listening socket: libfcgi reads and writes it. */
	fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0) {
		switch (errno) {
		case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
			return ACCEPT_NOFDS;
		case EBADF: case EFAULT: case EINVAL: case ENOTSOCK: case EOPNOTSUPP:
			return ACCEPT_FAILED;
		default:	/* EAGAIN, ECONNABORTED, a network's transient errors */
			return ACCEPT_NONE;
		}
	}
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!peer_allowed(&ss, allowed)) {
		close(fd);
		return ACCEPT_NONE;
	}
	/*
	 * A peer that stops mid-request would hold up every connection this
	 * worker serves: past nginx's own timeout the request fails instead.
	 */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* listen_sock -1: FCGX_Accept_r reads this connection and never accepts. */
	FCGX_InitRequest(&c->fr, -1, 0);
	c->fr.ipcFd = fd;
	c->fr.keepConnection = 1;	/* until its first BEGIN_REQUEST says */
	clock_gettime(CLOCK_MONOTONIC, &c->idle_since);
	return ACCEPT_OK;
}

/*
 * Reads what is left of the request's stdin, up to its end record, so that
 * the next request on a kept connection starts on a record boundary. A body
 * larger than limit (one that was refused unread) is not worth reading:
 * the connection is closed instead. nginx keeps a connection only once it
 * has sent the whole body, so it cannot have a next request on this one.
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

/*
 * Serves the request waiting on c; false when nginx closed the connection or
 * it broke off before a whole request's parameters (libfcgi then closed it,
 * and fr.ipcFd is -1). Afterwards the connection stays open unless nginx
 * asked otherwise or something failed.
 */
static bool
conn_serve(struct conn *c, const struct connset_opts *o)
{
	if (FCGX_Accept_r(&c->fr) < 0)
		return false;
	o->serve(&c->fr, o->arg);
	stdin_drain(&c->fr, STDIN_DRAIN_MAX);
	FCGX_Finish_r(&c->fr);
	clock_gettime(CLOCK_MONOTONIC, &c->idle_since);
	return true;
}

static size_t
conns_cap(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= CONNS_MAX + FDS_SPARE)
		return CONNS_MAX;
	return rl.rlim_cur > FDS_SPARE + 1 ? (size_t)(rl.rlim_cur - FDS_SPARE) : 1;
}

int
connset_run(const struct connset_opts *o)
{
	const char	*allowed = getenv("FCGI_WEB_SERVER_ADDRS");
	size_t		 cap = conns_cap(), n = 0;
	struct conn	*conns = NULL;
	struct pollfd	*pfd = NULL;
	struct timespec	 now, pause_until = { 0, 0 };
	struct origin	 og;
	long		 served = 0;
	bool		 deferred = false;
	int		 fl, broken = 0, rc = -1;

	if (FCGX_Init() != 0 ||
	    (fl = fcntl(o->listen_fd, F_GETFL)) < 0 ||
	    fcntl(o->listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (conns = calloc(cap, sizeof(*conns))) == NULL ||
	    (pfd = calloc(cap + 1, sizeof(*pfd))) == NULL)
		goto out;
	origin_find(o->listen_fd, &og);

	for (;;) {
		bool		 draining = stop || broken ||
				    (o->max_requests != 0 && served >= o->max_requests);
		bool		 backlog = draining && !broken && origin_gone(&og);
		bool		 accepting, ready = false;
		struct timespec	 ts, *tsp = NULL;
		long		 wait_ms = -1;
		size_t		 np = 0, i;

		if (draining && n == 0 && !(backlog && pending(o->listen_fd)))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (i = 0; i < n; i++) {
			pfd[np++] = (struct pollfd){ conns[i].fr.ipcFd, POLLIN, 0 };
			if (draining) {
				long left = DRAIN_IDLE_MS - ms_between(&conns[i].idle_since, &now);

				if (wait_ms < 0 || left < wait_ms)
					wait_ms = left < 0 ? 0 : left;
			}
		}
		accepting = (!draining || backlog) && n < cap;
		connset_share_set(o->share, o->slot, !draining && n < cap ? (int)n : -1);
		if (accepting && ms_between(&now, &pause_until) > 0) {
			long pause = ms_between(&now, &pause_until);

			accepting = false;
			if (wait_ms < 0 || pause < wait_ms)
				wait_ms = pause;
		}
		if (accepting)
			pfd[np++] = (struct pollfd){ o->listen_fd, POLLIN, 0 };
		/* Another draining worker may take the last one: look again soon. */
		if (backlog && (wait_ms < 0 || wait_ms > ACCEPT_RETRY_MS))
			wait_ms = ACCEPT_RETRY_MS;
		if (wait_ms >= 0) {
			ts.tv_sec = wait_ms / 1000;
			ts.tv_nsec = (wait_ms % 1000) * 1000000L;
			tsp = &ts;
		}
		if (ppoll(pfd, np, tsp, &wait_mask) < 0) {
			if (errno == EINTR)
				continue;	/* SIGTERM: draining now */
			goto out;
		}

		/*
		 * Every connection with a request is served, once per round. A
		 * readable stream socket only this worker reads holds a request or
		 * nginx's close: libfcgi reads either, and on a close (or a broken
		 * request) it closes the connection itself (fr.ipcFd < 0 below). No
		 * peek first: that was one more system call a request.
		 */
		for (i = 0; i < n; i++) {
			if (pfd[i].revents != 0 && conn_serve(&conns[i], o)) {
				ready = true;
				served++;
			}
		}
		if (ready && o->served != NULL)
			o->served(o->arg);
		if (draining) {
			/*
			 * nginx closes an idle upstream connection after its
			 * keepalive_timeout; one idle for longer belongs to a web
			 * server that keeps them longer, and would hold the drain
			 * until the master's deadline.
			 */
			clock_gettime(CLOCK_MONOTONIC, &now);
			for (i = 0; i < n; i++)
				if (conns[i].fr.ipcFd >= 0 &&
				    ms_between(&conns[i].idle_since, &now) >= DRAIN_IDLE_MS)
					FCGX_Free(&conns[i].fr, 1);
		}
		for (i = 0; i < n; ) {
			if (conns[i].fr.ipcFd < 0)
				conns[i] = conns[--n];
			else
				i++;
		}

		if (!accepting)
			continue;	/* draining, full, or pausing (deferred stays set) */
		if (!(pfd[np - 1].revents & POLLIN)) {
			deferred = false;
			continue;
		}
		/*
		 * One new connection per round, to the worker that holds the
		 * fewest (without a share: to one that has no request waiting).
		 * Any other leaves it to that one for LEAVE_MS, then takes it: a
		 * connection must never wait in the backlog for a worker to become
		 * free. Idle workers are woken together, so the one that runs first
		 * would otherwise take a whole burst of new connections.
		 */
		if (!deferred && !backlog &&
		    (o->share != NULL ? (int)n > share_fewest(o->share) : ready)) {
			deferred = true;
			ms_from_now(&pause_until, LEAVE_MS);
			continue;
		}
		deferred = false;
		switch (conn_accept(o->listen_fd, &conns[n], allowed)) {
		case ACCEPT_OK:
			n++;
			break;
		case ACCEPT_NOFDS:
			ms_from_now(&pause_until, ACCEPT_RETRY_MS);
			break;
		case ACCEPT_NONE:
			break;
		case ACCEPT_FAILED:
			/* Serve what is held, as a drain, then report it. */
			broken = errno;
			break;
		}
	}
	if (broken != 0)
		errno = broken;
	else
		rc = 0;
out:
	free(conns);
	free(pfd);
	return rc;
}
