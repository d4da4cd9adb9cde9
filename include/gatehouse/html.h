/*
 * html.h: the one HTML escaping helper. Every value an HTML page shows —
 * text or attribute, from a request, the database or a message — goes
 * through it; markup is written by the page itself.
 */
#ifndef GATEHOUSE_HTML_H
#define GATEHOUSE_HTML_H

#include <stddef.h>

struct buf;

/*
 * Appends n bytes of s to b, safe as HTML text and as a quoted attribute
 * value: & < > " ' become &amp; &lt; &gt; &quot; &#39;. A byte that does not
 * start well-formed UTF-8, NUL and every other control character except tab,
 * line feed and carriage return (C0, DEL, C1) become U+FFFD. The output is
 * valid UTF-8 holding none of < > " ' and no & that does not start one of the
 * five entities.
 */
void	html_escape(struct buf *, const char *s, size_t n);
/* html_escape of a NUL-terminated string; NULL writes nothing. */
void	html_puts(struct buf *, const char *s);

#endif
