/* qr.c: QR codes as SVG (qr.h), encoded by libqrencode. */
#include <qrencode.h>

#include "gatehouse/buf.h"
#include "gatehouse/html.h"
#include "gatehouse/qr.h"

#define QUIET	4	/* modules of light margin the standard asks for */

int
qr_svg(struct buf *b, const char *text, const char *label)
{
	QRcode	*q;
	int	 w;

	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return -1;
	w = q->width + 2 * QUIET;
	buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", w, w, 6 * w, 6 * w);
	html_puts(b, label);
	buf_printf(b, "\" shape-rendering=\"crispEdges\">\n<rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/>\n<path fill=\"#000\" d=\"", w, w);
	/* One rectangle per run of dark modules in a row (bit 0 of each byte: dark). */
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; ) {
			int run = 0;

			while (x + run < q->width && (q->data[y * q->width + x + run] & 1))
				run++;
			if (run > 0)
				buf_printf(b, "M%d,%dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run > 0 ? run : 1;
		}
	buf_puts(b, "\"/>\n</svg>\n");
	QRcode_free(q);
	return b->failed ? -1 : 0;
}
