/* log.h: one JSON object per line on stderr; never pass secrets here. */
#ifndef GATEHOUSE_LOG_H
#define GATEHOUSE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG__MAX };

void	log_set_level(enum log_level);
int	log_level_parse(const char *, enum log_level *);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Keeps an already-formatted JSON line (the access log) until log_flush,
 * which a worker calls once it has answered the requests it had: one
 * write(2) for several requests. Every other line is written at once, after
 * the lines kept (so the log stays in order).
 */
void	log_line(const char *, size_t);
/* Writes the lines log_line kept. */
void	log_flush(void);

#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)

#endif
