/* deadline.h: a point on CLOCK_MONOTONIC by which work must be done. */
#ifndef GATEHOUSE_DEADLINE_H
#define GATEHOUSE_DEADLINE_H

#include <stdbool.h>
#include <time.h>

/* True once d has passed; a zero d is no deadline and never passes. */
bool	deadline_passed(const struct timespec *d);
/* CLOCK_MONOTONIC now, in seconds with the fraction: for ages and intervals. */
double	mono_seconds(void);

#endif
