/* deadline.c: CLOCK_MONOTONIC deadlines, which a change of the wall clock cannot move. */
#include "gatehouse/deadline.h"

bool
deadline_passed(const struct timespec *d)
{
	struct timespec now;

	if (d->tv_sec == 0 && d->tv_nsec == 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

double
mono_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
