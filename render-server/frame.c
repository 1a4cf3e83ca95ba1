/*
 * The trust frame, drawn into a framed picture (VNC and RDP alike).
 */
#include "facts.h"
#include "font.h"
#include "frame.h"

static void
fill(uint32_t *pix, int fw, int x0, int y0, int x1, int y1, uint32_t c)
{
	int x, y;

	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			pix[(size_t)y * fw + x] = c;
}

void
rs_frame_draw(uint32_t *pix, int fw, int fh, int qw, int qh,
    const struct rs_qube *q, enum rs_pix_order order)
{
	uint32_t bg = q->label.rgb & 0xffffffu;
	uint32_t fg = tsr_label_text_rgb(q->label.rgb) & 0xffffffu;
	int right = RS_FRAME_BORDER + qw, bottom = RS_FRAME_TITLE + qh;
	char title[80];
	const uint8_t *g;
	int i, x, y, cx;
	unsigned char ch;

	if (qw < 0 || qh < 0 || fw < RS_FRAMED_W(qw) || fh < RS_FRAMED_H(qh))
		return;
	if (order == RS_PIX_VNC) {
		bg = rs_rgb_to_vnc(bg);
		fg = rs_rgb_to_vnc(fg);
	}
	fill(pix, fw, 0, 0, fw, RS_FRAME_TITLE, bg); /* title strip */
	fill(pix, fw, 0, RS_FRAME_TITLE, RS_FRAME_BORDER, bottom, bg);
	fill(pix, fw, right, RS_FRAME_TITLE, fw, bottom, bg);
	fill(pix, fw, 0, bottom, fw, fh, bg);
	tsr_frame_title(title, sizeof(title), q->name, q->label.name);
	for (i = 0; title[i] != '\0'; i++) {
		cx = RS_FRAME_TEXT_X + i * TSR_FONT_W;
		if (cx + TSR_FONT_W > fw - RS_FRAME_BORDER)
			break;
		/* the font has printable ASCII only */
		ch = (unsigned char)title[i];
		if (ch < TSR_FONT_FIRST || ch > TSR_FONT_LAST)
			ch = '?';
		g = tsr_font[ch - TSR_FONT_FIRST];
		for (y = 0; y < TSR_FONT_H; y++)
			for (x = 0; x < TSR_FONT_W; x++)
				if (g[y] & (0x80 >> x))
					pix[(size_t)(RS_FRAME_TEXT_Y + y) * fw +
					    cx + x] = fg;
	}
}
