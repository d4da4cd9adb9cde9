/*
 * bench/noop.c: the ceiling for the load scenarios. A FastCGI responder that
 * does no work: it binds a unix socket, forks N workers and each one answers
 * every request with the same 11-byte JSON body. Its workers hold and poll
 * their connections exactly as gatehouse's do (src/http/connset.c), so nginx
 * in front of this, with the same upstream settings as the gatehouse site, is
 * the most any FastCGI application behind that nginx could do on this machine.
 *
 *   noop SOCKET WORKERS [MODE]      e.g. noop /tmp/noop.sock 8 0666
 *
 * Stops on SIGTERM/SIGINT (the master signals its workers, which drain, and
 * removes the socket).
 * Build: cc -O2 -Iinclude bench/noop.c src/http/connset.c -o noop \
 *            $(pkg-config --cflags --libs fcgi libcrypto)
 */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gatehouse/connset.h"

#define MAX_WORKERS 256

static const char response[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 11\r\n"
	"\r\n"
	"{\"ok\":true}";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void serve(FCGX_Request *req, void *arg)
{
	(void)arg;
	FCGX_PutStr(response, (int)sizeof response - 1, req->out);
}

static void worker(int fd, struct connset_share *share, size_t slot)
{
	struct connset_opts o = { .listen_fd = fd, .serve = serve, .share = share, .slot = slot };

	connset_signals();
	_exit(connset_run(&o) == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_WORKERS];
	int n, i, fd;
	mode_t mode = 0600;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s SOCKET WORKERS [MODE]\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	if (n < 1 || n > MAX_WORKERS) {
		fprintf(stderr, "noop: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}
	if (argc == 4)
		mode = (mode_t)strtol(argv[3], NULL, 8);

	if (FCGX_Init() != 0) {
		fprintf(stderr, "noop: FCGX_Init failed\n");
		return 1;
	}
	unlink(argv[1]);
	/* Backlog as large as nginx's burst: wrk opens its connections at once. */
	fd = FCGX_OpenSocket(argv[1], 1024);
	if (fd < 0) {
		fprintf(stderr, "noop: cannot listen on %s\n", argv[1]);
		return 1;
	}
	if (chmod(argv[1], mode) != 0) {
		fprintf(stderr, "noop: chmod %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	/* As gatehouse's master does: new connections go to the worker holding fewest. */
	struct connset_share *share = connset_share_new((size_t)n);
	for (i = 0; i < n; i++)
		connset_share_set(share, (size_t)i, 0);

	/* No SA_RESTART: the signal must interrupt wait() below. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("noop: fork");
			n = i;
			stop = 1;
			break;
		}
		if (pids[i] == 0)
			worker(fd, share, (size_t)i);
	}

	/* Wait for a signal; a worker that dies is not replaced (the run is short). */
	while (!stop) {
		pid_t p = wait(NULL);
		if (p < 0 && errno == ECHILD)
			break;
	}
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	unlink(argv[1]);
	return 0;
}
