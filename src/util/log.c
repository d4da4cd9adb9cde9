/*
 * log.c: structured logging to stderr, one line per event. Access lines are
 * kept until the worker has answered what it had, then written together.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gatehouse/buf.h"
#include "gatehouse/log.h"

static enum log_level	 min_level = LOG_INFO;
static const char	*const level_names[LOG__MAX] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level l)
{
	min_level = l;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < LOG__MAX; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

/*
 * Access lines not yet written. At most PIPE_BUF bytes: one write(2) of them
 * stays whole when stderr is a pipe the other workers write to as well (a
 * file is opened O_APPEND). Lost if the worker dies before it writes them:
 * a crash, or the master's kill when a drain outlives its deadline.
 */
static char	kept[PIPE_BUF];
static size_t	kept_len;

static void
write_line(const char *s, size_t n)
{
	/* A single write keeps lines from concurrent workers whole. */
	ssize_t w = write(STDERR_FILENO, s, n);
	(void)w;
}

void
log_flush(void)
{
	if (kept_len > 0)
		write_line(kept, kept_len);
	kept_len = 0;
}

void
log_line(const char *s, size_t n)
{
	if (kept_len + n > sizeof(kept))
		log_flush();
	if (n > sizeof(kept)) {
		write_line(s, n);
		return;
	}
	memcpy(kept + kept_len, s, n);
	kept_len += n;
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	char		 msg[8192], ts[32];
	struct buf	 b;
	struct jsonw	 w;
	struct timespec	 now;
	struct tm	 tm;
	va_list		 ap;

	if (l < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "ts", ts);
	jsonw_kstr(&w, "level", level_names[l]);
	jsonw_kint(&w, "pid", (int64_t)getpid());
	jsonw_kstr(&w, "msg", msg);
	jsonw_obj_close(&w);
	buf_putc(&b, '\n');
	log_flush();
	if (!b.failed)
		write_line(b.data, b.len);
	buf_free(&b);
}
