/* log.c: structured logging to stderr, one line per event, one write(2) per line. */
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

void
log_line(const char *s, size_t n)
{
	/* A single write keeps lines from concurrent workers whole. */
	ssize_t w = write(STDERR_FILENO, s, n);
	(void)w;
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
	if (!b.failed)
		log_line(b.data, b.len);
	buf_free(&b);
}
