/*
 * Unit tests of tessera-view's window maths (layout.c) and its drawing
 * (draw.c) on an offscreen canvas: every frame pixel is checked against
 * the label colour and the font's glyphs, the inside is never touched,
 * and a picture never lands outside its clip.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "draw.h"
#include "font.h"
#include "label.h"
#include "proto.h"
#include "tap.h"
#include "view.h"

#define INSIDE_MARK 0xff00ffu /* pre-filled inside: must survive */

static int
rect_in(struct tv_rect a, struct tv_rect b)
{
	return a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w &&
	    a.y + a.h <= b.y + b.h;
}

static int
overlap(struct tv_rect a, struct tv_rect b)
{
	return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
	    b.y < a.y + a.h;
}

static void
test_metrics(void)
{
	struct tv_metrics m;

	tv_metrics_for_dpi(&m, 96);
	ok(m.scale == 1 && m.border == 4 && m.title == 24 && m.panel == 24,
	    "96 dpi: scale 1, a 4 px border and a 24 px title bar");
	tv_metrics_for_dpi(&m, 192);
	ok(m.scale == 2 && m.border == 8 && m.title == 48,
	    "192 dpi: everything twice as large");
	tv_metrics_for_dpi(&m, 0);
	is_int(m.scale, 1, "no DPI: scale 1");
	tv_metrics_for_dpi(&m, NAN);
	is_int(m.scale, 1, "a NaN DPI: scale 1");
	tv_metrics_for_dpi(&m, 5000);
	is_int(m.scale, 4, "a huge DPI: at most scale 4");
	tv_metrics_for_dpi(&m, 60);
	is_int(m.scale, 1, "a low DPI: at least scale 1");
}

static void
test_grid(void)
{
	static const struct tv_rect spaces[] = {
		{ 0, 24, 1280, 776 },
		{ 0, 24, 1920, 1056 },
		{ 0, 48, 3840, 2112 },
		{ 0, 24, 800, 1200 },
		{ 0, 24, 320, 176 },
	};
	struct tv_metrics m;
	struct tv_rect c[16];
	size_t s;
	int n, i, j, bad_in = 0, bad_overlap = 0, bad_size = 0;
	long area, used;

	tv_metrics_for_dpi(&m, 96);
	for (s = 0; s < sizeof(spaces) / sizeof(spaces[0]); s++)
		for (n = 1; n <= 16; n++) {
			area = used = 0;
			for (i = 0; i < n; i++) {
				c[i] = tv_grid_cell(&m, spaces[s], n, i);
				if (!rect_in(c[i], spaces[s]))
					bad_in++;
				if (c[i].w < 1 || c[i].h < 1)
					bad_size++;
				for (j = 0; j < i; j++)
					if (overlap(c[i], c[j]))
						bad_overlap++;
				used += (long)c[i].w * c[i].h;
			}
			area = (long)spaces[s].w * spaces[s].h;
			/* the grid leaves at most one row of cells empty */
			if (spaces[s].w >= 800 && used * 2 < area)
				bad_size++;
		}
	is_int(bad_in, 0,
	    "grid cells stay inside the workspace (1-16 "
	    "windows, 5 workspaces)");
	is_int(bad_overlap, 0, "grid cells never overlap");
	is_int(bad_size, 0, "grid cells are not empty and fill the space");
	c[0] = tv_grid_cell(&m, spaces[1], 3, 0);
	c[1] = tv_grid_cell(&m, spaces[1], 3, 1);
	ok(c[0].y == c[1].y && c[1].x > c[0].x,
	    "three windows on a wide screen: the first two side by side");
	c[0] = tv_grid_cell(&m, spaces[0], 1, 0);
	ok(c[0].x == 4 && c[0].y == 28 && c[0].w == 1272 && c[0].h == 768,
	    "one window fills the workspace but for the gap");
}

static void
test_content(void)
{
	struct tv_metrics m;
	struct tv_rect win = { 100, 50, 700, 500 }, in, c;
	int bad = 0, w, h, qx, qy, x, y;

	tv_metrics_for_dpi(&m, 96);
	in = tv_inside(&m, win);
	ok(in.x == 104 && in.y == 74 && in.w == 692 && in.h == 472,
	    "inside: border on three sides, title bar on top");
	c = tv_content(in, 640, 400);
	ok(c.x == in.x && c.y == in.y && c.w == 640 && c.h == 400,
	    "a picture that fits is shown 1:1 at the top left");
	c = tv_content(in, 1920, 1080);
	ok(c.w == 692 && c.h == 389 && rect_in(c, in),
	    "a larger picture is scaled down, keeping its aspect");
	for (w = 1; w <= 4096; w = w * 3 + 1)
		for (h = 1; h <= 4096; h = h * 5 + 3) {
			c = tv_content(in, w, h);
			if (!rect_in(c, in) || c.w < 1 || c.h < 1)
				bad++;
		}
	is_int(bad, 0, "content is inside the frame for every size");
	c = tv_content((struct tv_rect){ 0, 0, 0, 0 }, 640, 480);
	ok(c.w == 0 && c.h == 0, "nothing is shown in an empty inside");

	c = tv_content(in, 1920, 1080);
	bad = 0;
	for (y = c.y - 2; y < c.y + c.h + 2; y += 7)
		for (x = c.x - 2; x < c.x + c.w + 2; x += 5) {
			int r = tv_to_qube(c, 1920, 1080, x, y, &qx, &qy);

			if (r == 0 &&
			    (qx < 0 || qy < 0 || qx >= 1920 || qy >= 1080))
				bad++;
			if ((r == 0) != tv_in_rect(c, x, y))
				bad++;
		}
	is_int(bad, 0,
	    "screen to qube: only inside the content, always "
	    "within the picture");
	tv_to_qube(c, 1920, 1080, c.x + c.w - 1, c.y + c.h - 1, &qx, &qy);
	ok(qx >= 1915 && qy >= 1075, "the content's corner is the picture's");
}

static void
test_parts(void)
{
	struct tv_metrics m;
	struct tv_rect win = { 10, 40, 400, 300 }, ws = { 0, 24, 1280, 776 };
	struct tv_rect b1, b2, r;

	tv_metrics_for_dpi(&m, 96);
	b1 = tv_button(&m, win, TV_PART_CLOSE_MIN);
	b2 = tv_button(&m, win, TV_PART_MAX);
	ok(rect_in(b1, (struct tv_rect){ win.x, win.y, win.w, m.title }) &&
		rect_in(b2, (struct tv_rect){ win.x, win.y, win.w, m.title }) &&
		!overlap(b1, b2),
	    "the buttons are in the title bar, apart");
	is_int(tv_hit(&m, win, b1.x + 2, b1.y + 2), TV_PART_CLOSE_MIN,
	    "hit: the minimise button");
	is_int(tv_hit(&m, win, b2.x + 2, b2.y + 2), TV_PART_MAX,
	    "hit: the maximise button");
	is_int(tv_hit(&m, win, win.x + 30, win.y + 5), TV_PART_TITLE,
	    "hit: the title bar");
	is_int(tv_hit(&m, win, win.x + 100, win.y + 100), TV_PART_CONTENT,
	    "hit: the inside");
	is_int(tv_hit(&m, win, win.x + 1, win.y + 100), TV_PART_BORDER,
	    "hit: the left border");
	is_int(tv_hit(&m, win, win.x + win.w - 1, win.y + win.h - 1),
	    TV_PART_RESIZE, "hit: the bottom right corner resizes");
	is_int(tv_hit(&m, win, win.x + win.w, win.y), TV_PART_NONE,
	    "hit: outside");
	r = tv_constrain(&m, (struct tv_rect){ -500, -500, 50, 10 }, ws);
	ok(rect_in(r, ws) && r.w >= 2 * m.border + 128,
	    "a window dragged off the screen comes back whole, at its "
	    "minimum size");
	r = tv_constrain(&m, (struct tv_rect){ 1200, 700, 5000, 5000 }, ws);
	ok(rect_in(r, ws), "a window larger than the screen is cut to it");
}

static void
test_title(void)
{
	char buf[200];

	tv_title(buf, sizeof(buf), "", "work", "blue");
	is_str(buf, "[work] blue", "title of a qube");
	tv_title(buf, sizeof(buf), "host1", "work", "#102030");
	is_str(buf, "[host1/work] #102030", "title with its host");
	tv_title(buf, sizeof(buf), "", "a\x1b[31mb\xff", "red");
	is_str(buf, "[a?[31mb?] red", "control bytes are not drawn");
}

static void
test_proto(void)
{
	struct tv_msg m, in;
	char err[128];

	in = (struct tv_msg){ TV_DAMAGE, 10, 10, 20, 20 };
	is_int(tv_msg_check(&in, sizeof(in), 640, 480, &m, err, sizeof(err)), 0,
	    "damage inside the buffer");
	in = (struct tv_msg){ TV_DAMAGE, 630, 10, 20, 20 };
	is_int(tv_msg_check(&in, sizeof(in), 640, 480, &m, err, sizeof(err)),
	    -1, "damage past the right edge is refused");
	in = (struct tv_msg){ TV_DAMAGE, 0x7fffffff, 0, 2, 2 };
	is_int(tv_msg_check(&in, sizeof(in), 640, 480, &m, err, sizeof(err)),
	    -1, "damage at an overflowing offset is refused");
	in = (struct tv_msg){ TV_DAMAGE, 0, 0, 1, 1 };
	is_int(tv_msg_check(&in, sizeof(in), 0, 0, &m, err, sizeof(err)), -1,
	    "damage before any framebuffer is refused");
	in = (struct tv_msg){ TV_FB, 100000, 10, 0, 0 };
	is_int(tv_msg_check(&in, sizeof(in), 0, 0, &m, err, sizeof(err)), -1,
	    "an absurd framebuffer size is refused");
	in = (struct tv_msg){ TV_KEY, 1, 'a', 0, 0 };
	is_int(tv_msg_check(&in, sizeof(in), 640, 480, &m, err, sizeof(err)),
	    -1, "a decoder cannot send what only the compositor sends");
	is_int(tv_msg_check(&in, sizeof(in) - 1, 640, 480, &m, err,
		   sizeof(err)),
	    -1, "a short packet is refused");
}

/* --- drawing, read back from an offscreen renderer --- */

static uint32_t
px(const uint32_t *pix, int pw, int x, int y)
{
	return pix[(size_t)y * pw + x] & 0xffffffu;
}

/*
 * Checks every pixel of the frame of win drawn with title: border and
 * title bar in rgb, but where the title's glyphs, the focus mark or the
 * buttons are, in the text colour; returns the number of wrong pixels.
 */
static long
check_frame(const uint32_t *pix, int pw, const struct tv_metrics *m,
    struct tv_rect win, uint32_t rgb, const char *title, int focused,
    long *inside_touched, long *glyph_px)
{
	struct tv_rect in = tv_inside(m, win);
	uint32_t fg = tsr_label_text_rgb(rgb), got;
	int s = m->scale, tx = win.x + m->border + 4 * s, ty = win.y + 4 * s;
	struct tv_rect bmin = tv_button(m, win, TV_PART_CLOSE_MIN);
	struct tv_rect bmax = tv_button(m, win, TV_PART_MAX);
	long bad = 0;
	int x, y, i, gx, gy;
	unsigned char c;

	*inside_touched = 0;
	*glyph_px = 0;
	if (focused)
		tx += 12 * s;
	for (y = win.y; y < win.y + win.h; y++)
		for (x = win.x; x < win.x + win.w; x++) {
			got = px(pix, pw, x, y);
			if (tv_in_rect(in, x, y)) {
				if (got != INSIDE_MARK)
					(*inside_touched)++;
				continue;
			}
			if (y >= win.y + m->title) {
				bad += got != rgb; /* plain border */
				continue;
			}
			if (tv_in_rect(bmin, x, y) || tv_in_rect(bmax, x, y)) {
				bad += got != rgb && got != fg;
				continue;
			}
			if (focused &&
			    tv_in_rect((struct tv_rect){ tx - 12 * s,
					   win.y + 8 * s, 8 * s, 8 * s },
				x, y)) {
				bad += got != fg;
				continue;
			}
			/* a glyph pixel of the title, or the bar */
			i = (x - tx) / (TSR_FONT_W * s);
			gx = (x - tx) % (TSR_FONT_W * s) / s;
			gy = (y - ty) / s;
			if (x >= tx && y >= ty && gy < TSR_FONT_H &&
			    i < (int)strlen(title) &&
			    tx + (i + 1) * TSR_FONT_W * s <= bmin.x - 4 * s) {
				c = (unsigned char)title[i];
				if (tsr_font[c - TSR_FONT_FIRST][gy] &
				    (0x80 >> gx)) {
					bad += got != fg;
					(*glyph_px)++;
					continue;
				}
			}
			bad += got != rgb;
		}
	return bad;
}

static void
test_draw(void)
{
	static const struct {
		float dpi;
		const char *label;
		struct tv_rect win;
		int focused;
	} cases[] = {
		{ 96, "blue", { 20, 30, 500, 300 }, 0 },
		{ 96, "yellow", { 0, 24, 640, 200 }, 1 },
		{ 192, "red", { 40, 60, 900, 500 }, 1 },
		{ 96, "#102030", { 10, 10, 200, 100 }, 0 }, /* cut title */
		{ 288, "black", { 5, 5, 1000, 700 }, 0 },
	};
	struct tv_draw d;
	struct tv_metrics m;
	struct tsr_label l;
	uint32_t *pix;
	size_t k;
	int pw = 1100, ph = 800;
	char title[80];
	long bad, touched, glyphs;

	if (tv_draw_init(&d, pw, ph) == -1) {
		ok(0, "canvas: %s", SDL_GetError());
		return;
	}
	pix = d.s->pixels;
	is_int(d.s->pitch, pw * 4, "the canvas is 32-bit, rows unpadded");
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct tv_rect in;

		tv_metrics_for_dpi(&m, cases[k].dpi);
		tsr_label_parse(cases[k].label, &l);
		tv_title(title, sizeof(title), "", "qube-name", l.name);
		tv_fill(&d, (struct tv_rect){ 0, 0, pw, ph }, 0x303030);
		in = tv_inside(&m, cases[k].win);
		tv_fill(&d, in, INSIDE_MARK);
		tv_draw_frame(&d, &m, cases[k].win, l.rgb, title,
		    cases[k].focused);
		bad = check_frame(pix, pw, &m, cases[k].win, l.rgb, title,
		    cases[k].focused, &touched, &glyphs);
		is_int(bad, 0,
		    "frame %s at scale %d%s: every pixel is the "
		    "label colour, or the text colour on a glyph",
		    l.name, m.scale, cases[k].focused ? ", focused" : "");
		is_int(touched, 0, "... and the inside is left alone");
		ok(glyphs > 0, "... and the title's glyphs are there (%ld px)",
		    glyphs);
		ok(px(pix, pw, cases[k].win.x + cases[k].win.w,
		       cases[k].win.y + 5) == 0x303030,
		    "... and nothing is drawn outside the window");
	}
	tv_draw_fini(&d);
}

/* A hostile picture: every pixel the colour of another label. */
static void
test_picture(void)
{
	struct tv_draw d;
	struct tv_rect clip = { 100, 100, 300, 200 }, old, dst;
	uint32_t *pic, *pix;
	long outside = 0, wrong = 0;
	int x, y, i, w = 640, h = 480;

	if (tv_draw_init(&d, 800, 600) == -1) {
		ok(0, "canvas: %s", SDL_GetError());
		return;
	}
	pix = d.s->pixels;
	pic = malloc((size_t)w * h * 4);
	for (i = 0; i < w * h; i++)
		pic[i] = 0xcc0000;
	for (i = 0; i < 3; i++) {
		tv_fill(&d, (struct tv_rect){ 0, 0, 800, 600 }, 0x303030);
		old = tv_clip(&d, clip);
		/* 1:1 past the clip, scaled inside it, scaled past it */
		dst = i == 0 ? (struct tv_rect){ 50, 50, w, h } :
		    i == 1   ? (struct tv_rect){ 100, 100, 200, 150 } :
			       (struct tv_rect){ 90, 90, 500, 375 };
		tv_picture(&d, pic, w, h, dst);
		tv_clip(&d, old);
		for (y = 0; y < 600; y++)
			for (x = 0; x < 800; x++) {
				uint32_t v = px(pix, 800, x, y);
				int in =
				    tv_in_rect(tv_rect_clip(dst, clip), x, y);

				if (!in && v != 0x303030)
					outside++;
				if (in && v != 0xcc0000)
					wrong++;
			}
	}
	is_int(outside, 0,
	    "a picture never lands outside its clip, 1:1 or "
	    "scaled");
	is_int(wrong, 0, "... and fills the part of its place inside it");
	/* scaled down: means of what each pixel covers */
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			pic[(size_t)y * w + x] = (x + y) % 2 ? 0xffffff : 0;
	tv_picture(&d, pic, w, h, (struct tv_rect){ 0, 0, w / 2, h / 2 });
	wrong = 0;
	for (y = 0; y < h / 2; y++)
		for (x = 0; x < w / 2; x++)
			wrong += px(pix, 800, x, y) != 0x808080;
	is_int(wrong, 0, "a checkerboard scaled to half is an even grey");
	tv_fill(&d, (struct tv_rect){ 0, 0, 800, 600 }, 0x303030);
	tv_picture(&d, pic, w, h, (struct tv_rect){ 0, 0, w + 1, h });
	wrong = 0;
	for (i = 0; i < 800 * 600; i++)
		wrong += (pix[i] & 0xffffff) != 0x303030;
	is_int(wrong, 0, "a picture is never scaled up");
	free(pic);
	tv_draw_fini(&d);
}

int
main(void)
{
	test_metrics();
	test_grid();
	test_content();
	test_parts();
	test_title();
	test_proto();
	test_draw();
	test_picture();
	return done_testing();
}
