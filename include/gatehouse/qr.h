/* qr.h: a text's QR code as SVG markup, drawn by the server (no outside service sees the text). */
#ifndef GATEHOUSE_QR_H
#define GATEHOUSE_QR_H

struct buf;

/*
 * Appends an inline <svg> of text's QR code (error correction M, a 4-module
 * quiet zone, dark on light) with label (escaped) as its accessible name.
 * 0, or -1 when the text does not fit a QR code or memory ran out.
 */
int	qr_svg(struct buf *, const char *text, const char *label);

#endif
