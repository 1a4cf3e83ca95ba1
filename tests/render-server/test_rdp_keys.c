/* Unit tests of the RDP input mapping, frame layout and frame drawing
 * (render-server/rdp_keys.c, rdp_frame.c, and frame.c in RS_PIX_RGB order). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "label.h"
#include "rdp.h"
#include "tap.h"

static unsigned
key(unsigned flags, unsigned code, int *e1, int *down)
{
	return rdp_key_to_xt(flags, code, e1, down);
}

int
main(void)
{
	struct rs_qube q;
	struct rdp_layout l;
	uint32_t *pix;
	int e1 = 0, down = -1, b, x, y, inside_ok = 1, frame_ok = 1, text = 0;
	uint32_t fg;

	is_int(key(0x4000, 0x1e, &e1, &down), 0x1e, "A press: XT 0x1e");
	is_int(down, 1, "  ... down");
	is_int(key(0x8000, 0x1e, &e1, &down), 0x1e, "A release: XT 0x1e");
	is_int(down, 0, "  ... up");
	is_int(key(0x0100, 0x1d, &e1, &down), 0x9d, "right Ctrl (E0 1D): 0x9d");
	is_int(key(0x0100, 0x48, &e1, &down), 0xc8, "Up arrow (E0 48): 0xc8");
	is_int(key(0x0100 | 0x8000, 0x4d, &e1, &down), 0xcd,
	    "Right arrow release: 0xcd");
	is_int(down, 0, "  ... up");
	is_int(key(0x0100, 0x1c, &e1, &down), 0x9c,
	    "keypad Enter (E0 1C): 0x9c");
	is_int(key(0x0100, 0x5b, &e1, &down), 0xdb,
	    "left Windows (E0 5B): 0xdb");
	is_int(key(0x0100, 0x2a, &e1, &down), 0, "fake shift E0 2A dropped");
	is_int(key(0x0200, 0x1d, &e1, &down), 0,
	    "Pause, first half (E1 1D): nothing");
	is_int(key(0, 0x45, &e1, &down), 0xc6, "Pause, second half: 0xc6");
	is_int(key(0, 0x45, &e1, &down), 0x45, "NumLock afterwards: 0x45");
	is_int(key(0, 0x80, &e1, &down), 0, "code 0x80 refused");
	is_int(key(0, 0xffff, &e1, &down), 0, "code 0xffff refused");
	is_int(key(0, 0, &e1, &down), 0, "code 0 refused");

	b = rdp_pointer_buttons(0x8000 | 0x1000, 0);
	is_int(b, 1, "left down: mask 1");
	b = rdp_pointer_buttons(0x8000 | 0x2000, b);
	is_int(b, 5, "right down too: mask 5");
	b = rdp_pointer_buttons(0x0800, b);
	is_int(b, 5, "a move keeps the buttons");
	b = rdp_pointer_buttons(0x1000, b);
	is_int(b, 4, "left up: mask 4");
	b = rdp_pointer_buttons(0x8000 | 0x4000, b);
	is_int(b, 6, "middle down: mask 6");

	rdp_layout(1280, 800, &l);
	ok(l.fw % 4 == 0 && l.fh % 4 == 0,
	    "framed size %dx%d is a multiple of 4", l.fw, l.fh);
	ok(l.fw >= 1280 + 2 * RS_FRAME_BORDER &&
		l.fh >= 800 + RS_FRAME_TITLE + RS_FRAME_BORDER,
	    "the frame fits around the qube");
	rdp_layout(641, 481, &l);
	ok(l.fw % 4 == 0 && l.fh % 4 == 0 &&
		l.fw - l.ox - l.qw >= RS_FRAME_BORDER &&
		l.fh - l.oy - l.qh >= RS_FRAME_BORDER,
	    "odd sizes are padded on the right and bottom");

	memset(&q, 0, sizeof(q));
	strcpy(q.name, "work");
	if (tsr_label_parse("#3465a4", &q.label) != 0)
		return 1;
	fg = tsr_label_text_rgb(q.label.rgb) & 0xffffff;
	pix = calloc((size_t)l.fw * (size_t)l.fh, 4);
	for (y = 0; y < l.fh; y++)
		for (x = 0; x < l.fw; x++)
			pix[(size_t)y * (size_t)l.fw + (size_t)x] = 0x123456;
	rs_frame_draw(pix, l.fw, l.fh, l.qw, l.qh, &q, RS_PIX_RGB);
	for (y = 0; y < l.fh; y++)
		for (x = 0; x < l.fw; x++) {
			int in = x >= l.ox && x < l.ox + l.qw && y >= l.oy &&
			    y < l.oy + l.qh;
			uint32_t v = pix[(size_t)y * (size_t)l.fw + (size_t)x];
			if (in && v != 0x123456)
				inside_ok = 0;
			if (!in && v != 0x3465a4 &&
			    !(v == fg && y < RS_FRAME_TITLE))
				frame_ok = 0;
			if (!in && v == fg)
				text++;
		}
	ok(inside_ok, "the frame drawing leaves the qube's area alone");
	ok(frame_ok,
	    "the frame drawing paints everything else in the label colour "
	    "(0x00RRGGBB, padding included) or the title's text colour");
	ok(text > 100, "the title strip has text (%d pixels of %06x)", text,
	    fg);
	free(pix);
	return done_testing();
}
