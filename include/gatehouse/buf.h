/* buf.h: growable byte buffer and a streaming JSON writer on top of it. */
#ifndef GATEHOUSE_BUF_H
#define GATEHOUSE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	bool	 failed;	/* sticky: an allocation failed, contents are incomplete */
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Wipes the contents (OPENSSL_cleanse) before reset: for buffers that held secrets. */
void	 buf_wipe(struct buf *);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
/* The decimal digits of v, without printf's cost (a response has several). */
void	 buf_putint(struct buf *, int64_t);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* NUL-terminated view of the contents (valid until the next append). */
const char *buf_cstr(struct buf *);

/*
 * JSON writer: the caller emits structure, the writer places commas.
 * Nesting is bounded; misuse sets buf->failed rather than writing bad JSON.
 */
#define JSONW_DEPTH 32

struct jsonw {
	struct buf	*b;
	int		 depth;
	bool		 first[JSONW_DEPTH];	/* no comma before next item */
	bool		 after_key;
};

void	jsonw_init(struct jsonw *, struct buf *);
void	jsonw_obj_open(struct jsonw *);
void	jsonw_obj_close(struct jsonw *);
void	jsonw_arr_open(struct jsonw *);
void	jsonw_arr_close(struct jsonw *);
void	jsonw_key(struct jsonw *, const char *);
void	jsonw_str(struct jsonw *, const char *);		/* NULL writes null */
void	jsonw_strn(struct jsonw *, const char *, size_t);
void	jsonw_int(struct jsonw *, int64_t);
void	jsonw_bool(struct jsonw *, bool);
void	jsonw_null(struct jsonw *);
/* Already-encoded JSON text (e.g. a jsonb column), inserted as one value. */
void	jsonw_raw(struct jsonw *, const char *, size_t);
/* Shorthands for "key": value. */
void	jsonw_kstr(struct jsonw *, const char *, const char *);
void	jsonw_kint(struct jsonw *, const char *, int64_t);
void	jsonw_kbool(struct jsonw *, const char *, bool);

/* Appends s with JSON string escaping (no quotes); invalid UTF-8 becomes U+FFFD. */
void	json_escape(struct buf *, const char *, size_t);
/* True when the n bytes at s are well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF). */
bool	utf8_valid(const char *s, size_t n);
/* Bytes of the well-formed UTF-8 character at s (of at most n bytes), or 0 when it is not one. */
size_t	utf8_char_len(const char *s, size_t n);

#endif
