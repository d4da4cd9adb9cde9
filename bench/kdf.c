/*
 * kdf.c: how long the password KDF alone takes to hash N passwords on every
 * core at the production cost — the floor under bulk creation with
 * passwords, which the CreateUsers scenario (bench/createusers.sh) is shown
 * beside. Usage: kdf [N] (default 1000); prints one line,
 * "kdf N SECONDS ALGORITHM CORES CPU_SECONDS": the wall time, and the CPU time
 * of all its threads (on a busy machine the wall time stretches; the CPU time
 * per hash does not, much).
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "gatehouse/password.h"

int
main(int argc, char **argv)
{
	long		  n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	const char	**pws;
	char		(*out)[PHC_MAX];
	struct timespec	  a, b;
	struct rusage	  ru;

	if (n < 1 || n > 100000) {
		fprintf(stderr, "usage: kdf [N], 1 to 100000\n");
		return 2;
	}
	if (getenv("GATEHOUSE_PASSWORD_COST") != NULL) {
		fprintf(stderr, "kdf: GATEHOUSE_PASSWORD_COST is set: unset it to measure the production cost\n");
		return 2;
	}
	pws = calloc((size_t)n, sizeof(*pws));
	out = calloc((size_t)n, sizeof(*out));
	if (pws == NULL || out == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		char *pw = malloc(48);

		if (pw == NULL)
			return 1;
		snprintf(pw, 48, "correct horse battery staple %ld", i);
		pws[i] = pw;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (password_hash_many(pws, (size_t)n, out, 0, NULL) != 0) {
		fprintf(stderr, "kdf: hashing failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	printf("kdf %ld %.3f %s %ld %.3f\n", n,
	    (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, password_algorithm(),
	    sysconf(_SC_NPROCESSORS_ONLN),
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
