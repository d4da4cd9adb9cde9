/*
 * bench/pause.c: the machine's own tail at one connection. Two processes
 * play ping-pong over a socket pair, one request in flight, the answering
 * side spinning SPIN_US microseconds a request (about a do-nothing request's
 * time through nginx here), for SECONDS. No nginx, no FastCGI, no database:
 * what is left in its tail is the machine itself (on a virtual machine, the
 * moments the host does not run it).
 *
 * Its latencies go through the same coordinated-omission correction as wrk's
 * (wrk's stats_correct: a sample of n us adds one of n - k*mean for every
 * whole mean interval it holds), so its p99 over p50 is the floor under any
 * server's at the sweep's one-connection point in the same minute.
 *
 *   pause [SECONDS [SPIN_US]]         defaults 8 and 80
 *
 * Prints one line: requests/s, p50, p99, max (ms, corrected), the raw p99,
 * and how many requests took over 1 ms more than their service time.
 * Build: cc -O2 bench/pause.c -o pause
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_US 10000000u /* samples beyond 10 s land in the last bucket */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int xfer(int fd, int out)
{
	char b = 'x';
	ssize_t n;

	do
		n = out ? write(fd, &b, 1) : read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static void answer(int fd, uint64_t service)
{
	for (;;) {
		if (xfer(fd, 0) != 0)
			_exit(0);
		uint64_t until = now_us() + service;
		while (now_us() < until)
			;
		if (xfer(fd, 1) != 0)
			_exit(0);
	}
}

/* The latency at quantile q of a histogram of `count` samples, in us. */
static uint64_t quantile(const uint64_t *h, uint64_t count, uint64_t max, double q)
{
	uint64_t want = (uint64_t)(q * (double)count), seen = 0;

	for (uint64_t us = 0; us <= max; us++) {
		seen += h[us];
		if (seen > want)
			return us;
	}
	return max;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 8;
	uint64_t service = argc > 2 ? strtoull(argv[2], NULL, 10) : 80;
	int sv[2];

	if (seconds <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		fprintf(stderr, "usage: pause [SECONDS [SPIN_US]]\n");
		return 2;
	}
	pid_t child = fork();
	if (child < 0)
		return perror("fork"), 1;
	if (child == 0) {
		close(sv[0]);
		answer(sv[1], service);
	}
	close(sv[1]);

	uint64_t *h = calloc(MAX_US + 1, sizeof *h);
	if (!h)
		return perror("calloc"), 1;
	uint64_t count = 0, max = 0, paused = 0;
	uint64_t start = now_us(), end = start + (uint64_t)(seconds * 1e6), t = start;
	while (t < end) {
		if (xfer(sv[0], 1) != 0 || xfer(sv[0], 0) != 0)
			return perror("ping"), 1;
		uint64_t done = now_us(), us = done - t;
		if (us > MAX_US)
			us = MAX_US;
		h[us]++;
		count++;
		if (us > max)
			max = us;
		if (us > service + 1000)
			paused++;
		t = done;
	}
	close(sv[0]);
	waitpid(child, NULL, 0);

	if (count == 0 || t == start) {
		fprintf(stderr, "pause: no request completed\n");
		return 1;
	}
	uint64_t raw_p99 = quantile(h, count, max, 0.99);
	uint64_t requests = count, expected = (t - start) / count;

	if (expected == 0)
		expected = 1;	/* under 1 us a request: the correction's step stays positive */
	/* wrk's stats_correct, as it is: from 2 * expected up, each sample adds
	 * one at every whole interval below it down to above the interval. */
	for (uint64_t n = expected * 2; n <= max; n++) {
		for (uint64_t m = n - expected; h[n] && m > expected; m -= expected) {
			h[m] += h[n];
			count += h[n];
		}
	}
	printf("%.0f %.2f %.2f %.2f raw-p99 %.2f paused %llu\n",
	       (double)requests * 1e6 / (double)(t - start),
	       (double)quantile(h, count, max, 0.50) / 1000.0,
	       (double)quantile(h, count, max, 0.99) / 1000.0, (double)max / 1000.0,
	       (double)raw_p99 / 1000.0, (unsigned long long)paused);
	free(h);
	return 0;
}
