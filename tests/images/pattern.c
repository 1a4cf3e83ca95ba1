/* The test qube's picture: see pattern.h for the layout. */
#include "pattern.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const uint32_t pat_bar_rgb[PAT_NBARS] = {
	0xcc0000, /* red */
	0xf57900, /* orange */
	0xedd400, /* yellow */
	0x73d216, /* green */
	0x555555, /* gray */
	0x3465a4, /* blue */
	0x75507b, /* purple */
	0x000000, /* black */
	0xffffff, /* white */
};

static const char *const bar_names[PAT_NBARS] = {
	"red",
	"orange",
	"yellow",
	"green",
	"gray",
	"blue",
	"purple",
	"black",
	"white",
};

void
pat_opts_init(struct pat_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->title, sizeof(o->title), "[vault] Tessera");
}

void
pat_state_init(struct pat_state *s)
{
	memset(s, 0, sizeof(*s));
	s->ptr_x = -1;
	s->ptr_y = -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pat_parse_colour(const char *text, uint32_t *rgb)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < PAT_NBARS; i++) {
		if (strcasecmp(text, bar_names[i]) == 0) {
			*rgb = pat_bar_rgb[i];
			return 0;
		}
	}
	if (text[0] == '#')
		text++;
	if (strlen(text) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		int d = hexval((unsigned char)text[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*rgb = v;
	return 0;
}

static struct pat_rect
rect(int x0, int y0, int x1, int y1)
{
	struct pat_rect r = { x0, y0, x1, y1 };
	return r;
}

static struct pat_rect
intersect(struct pat_rect a, struct pat_rect b)
{
	struct pat_rect r;

	r.x0 = a.x0 > b.x0 ? a.x0 : b.x0;
	r.y0 = a.y0 > b.y0 ? a.y0 : b.y0;
	r.x1 = a.x1 < b.x1 ? a.x1 : b.x1;
	r.y1 = a.y1 < b.y1 ? a.y1 : b.y1;
	if (r.x1 < r.x0)
		r.x1 = r.x0;
	if (r.y1 < r.y0)
		r.y1 = r.y0;
	return r;
}

static void
fill(uint32_t *pix, size_t stride, struct pat_rect clip, struct pat_rect r,
    uint32_t rgb)
{
	int x, y;

	r = intersect(r, clip);
	for (y = r.y0; y < r.y1; y++) {
		uint32_t *row = pix + (size_t)y * stride;
		for (x = r.x0; x < r.x1; x++)
			row[x] = rgb;
	}
}

static void
draw_text(uint32_t *pix, size_t stride, struct pat_rect clip, int x, int y,
    const char *text, uint32_t fg, uint32_t bg)
{
	for (; *text; text++, x += PAT_FONT_W) {
		struct pat_rect cell =
		    intersect(clip, rect(x, y, x + PAT_FONT_W, y + PAT_FONT_H));
		unsigned c = (unsigned char)*text;
		const uint8_t *g;
		int cx, cy;

		if (cell.x0 >= cell.x1 || cell.y0 >= cell.y1)
			continue;
		if (c < PAT_FONT_FIRST || c > PAT_FONT_LAST)
			c = '?';
		g = pat_font[c - PAT_FONT_FIRST];
		for (cy = cell.y0; cy < cell.y1; cy++) {
			uint32_t *row = pix + (size_t)cy * stride;
			uint8_t bits = g[cy - y];
			for (cx = cell.x0; cx < cell.x1; cx++)
				row[cx] = (bits & (0x80 >> (cx - x))) ? fg : bg;
		}
	}
}

static int
line_chars(int w)
{
	int n = (w - 2 * PAT_ECHO_X) / PAT_FONT_W;
	return n > 0 ? n : 0;
}

void
pat_echo_text(int w, const struct pat_state *s, char *buf, size_t len)
{
	int max = line_chars(w) - 7; /* "echo: " and "_" */
	size_t n = strnlen(s->echo, PAT_ECHO_MAX);
	const char *tail = s->echo;

	if (max < 0)
		max = 0;
	if (n > (size_t)max)
		tail += n - (size_t)max;
	snprintf(buf, len, "echo: %s_", tail);
}

void
pat_status_text(int w, const struct pat_state *s, char *buf, size_t len)
{
	size_t max = (size_t)line_chars(w);

	snprintf(buf, len, "frame %u key %u mod %u ptr %d,%d btn %u",
	    s->counter, s->key, s->mods, s->ptr_x, s->ptr_y, s->buttons);
	if (max < len)
		buf[max] = '\0';
}

static struct pat_rect
marker_rect(const struct pat_state *s)
{
	return rect(s->ptr_x - PAT_MARK_ARM, s->ptr_y - PAT_MARK_ARM,
	    s->ptr_x + PAT_MARK_ARM + 1, s->ptr_y + PAT_MARK_ARM + 1);
}

static void
draw_marker(uint32_t *pix, size_t stride, struct pat_rect clip,
    const struct pat_state *s)
{
	uint32_t c = s->buttons ? PAT_MARK_PRESSED : PAT_MARK_COLOUR;
	int x = s->ptr_x, y = s->ptr_y;

	if (x < 0 || y < 0)
		return;
	fill(pix, stride, clip,
	    rect(x - PAT_MARK_ARM, y - PAT_MARK_HALF, x + PAT_MARK_ARM + 1,
		y + PAT_MARK_HALF + 1),
	    c);
	fill(pix, stride, clip,
	    rect(x - PAT_MARK_HALF, y - PAT_MARK_ARM, x + PAT_MARK_HALF + 1,
		y + PAT_MARK_ARM + 1),
	    c);
}

static void
draw_gradient(uint32_t *pix, size_t stride, struct pat_rect r,
    const struct pat_opts *o, const struct pat_state *s)
{
	uint32_t shift = (uint32_t)o->scroll * s->counter;
	int x, y;

	for (y = r.y0; y < r.y1; y++) {
		uint32_t *row = pix + (size_t)y * stride;
		uint32_t gy = (uint32_t)(y - PAT_GRAD_Y), g = gy & 255,
			 bq = 16 * (gy >> 8 & 3);
		for (x = r.x0; x < r.x1; x++) {
			uint32_t xs = (uint32_t)x + shift;
			row[x] = (xs & 255) << 16 | g << 8 |
			    (64 * (xs >> 8 & 3) + bq);
		}
	}
}

static int
is_light(uint32_t rgb)
{
	uint32_t r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
	return 299 * r + 587 * g + 114 * b > 140000;
}

void
pat_draw(uint32_t *pix, size_t stride, int w, int h, const struct pat_opts *o,
    const struct pat_state *s, struct pat_rect clip)
{
	char text[PAT_ECHO_MAX + 64];
	int i;

	clip = intersect(clip, rect(0, 0, w, h));
	if (clip.x0 >= clip.x1 || clip.y0 >= clip.y1)
		return;

	for (i = 0; i < PAT_NBARS; i++)
		fill(pix, stride, clip,
		    rect(i * w / PAT_NBARS, 0, (i + 1) * w / PAT_NBARS,
			PAT_BAR_H),
		    pat_bar_rgb[i]);
	fill(pix, stride, clip, rect(0, PAT_PANEL_Y, w, PAT_PANEL_END),
	    PAT_PANEL_BG);
	pat_echo_text(w, s, text, sizeof(text));
	draw_text(pix, stride, clip, PAT_ECHO_X, PAT_ECHO_Y, text, PAT_TEXT_FG,
	    PAT_PANEL_BG);
	pat_status_text(w, s, text, sizeof(text));
	draw_text(pix, stride, clip, PAT_STATUS_X, PAT_STATUS_Y, text,
	    PAT_TEXT_FG, PAT_PANEL_BG);
	draw_gradient(pix, stride, intersect(clip, rect(0, PAT_GRAD_Y, w, h)),
	    o, s);

	draw_marker(pix, stride, clip, s);

	if (o->spoof) {
		uint32_t c = o->spoof_rgb;
		int b = PAT_SPOOF_BORDER;
		fill(pix, stride, clip, rect(0, 0, w, PAT_SPOOF_TITLE_H), c);
		fill(pix, stride, clip, rect(0, h - b, w, h), c);
		fill(pix, stride, clip, rect(0, 0, b, h), c);
		fill(pix, stride, clip, rect(w - b, 0, w, h), c);
		draw_text(pix, stride,
		    intersect(clip, rect(b, 0, w - b, PAT_SPOOF_TITLE_H)),
		    PAT_SPOOF_TEXT_X, PAT_SPOOF_TEXT_Y, o->title,
		    is_light(c) ? 0x000000 : 0xffffff, c);
	}

	for (i = 0; i < PAT_CTR_BITS; i++) {
		int bit = s->counter >> (PAT_CTR_BITS - 1 - i) & 1;
		int x = PAT_CTR_X + i * PAT_CTR_BLOCK;
		fill(pix, stride, clip,
		    rect(x, PAT_CTR_Y, x + PAT_CTR_BLOCK,
			PAT_CTR_Y + PAT_CTR_BLOCK),
		    bit ? 0xffffff : 0);
		fill(pix, stride, clip,
		    rect(x, PAT_CTR_INV_Y, x + PAT_CTR_BLOCK,
			PAT_CTR_INV_Y + PAT_CTR_BLOCK),
		    bit ? 0 : 0xffffff);
	}
}

int
pat_damage(int w, int h, const struct pat_opts *o, const struct pat_state *a,
    const struct pat_state *b, struct pat_rect *out)
{
	int n = 0;

	if (a->counter != b->counter) {
		out[n++] = rect(PAT_CTR_X, PAT_CTR_Y,
		    PAT_CTR_X + PAT_CTR_BITS * PAT_CTR_BLOCK,
		    PAT_CTR_INV_Y + PAT_CTR_BLOCK);
		if (o->scroll)
			out[n++] = rect(0, PAT_GRAD_Y, w, h);
	}
	if (a->counter != b->counter || a->key != b->key ||
	    a->mods != b->mods || a->ptr_x != b->ptr_x ||
	    a->ptr_y != b->ptr_y || a->buttons != b->buttons)
		out[n++] = rect(0, PAT_STATUS_Y, w, PAT_STATUS_Y + PAT_FONT_H);
	if (strncmp(a->echo, b->echo, sizeof(a->echo)) != 0)
		out[n++] = rect(0, PAT_ECHO_Y, w, PAT_ECHO_Y + PAT_FONT_H);
	if (a->ptr_x != b->ptr_x || a->ptr_y != b->ptr_y ||
	    (a->buttons != 0) != (b->buttons != 0)) {
		if (a->ptr_x >= 0 && a->ptr_y >= 0)
			out[n++] = marker_rect(a);
		if (b->ptr_x >= 0 && b->ptr_y >= 0)
			out[n++] = marker_rect(b);
	}
	return n;
}

static int
block_value(const uint32_t *pix, size_t stride, int x, int y)
{
	uint32_t first = pix[(size_t)y * stride + (size_t)x] & 0xffffff;
	int i, j;

	if (first != 0 && first != 0xffffff)
		return -1;
	for (j = 0; j < PAT_CTR_BLOCK; j++)
		for (i = 0; i < PAT_CTR_BLOCK; i++)
			if ((pix[(size_t)(y + j) * stride + (size_t)(x + i)] &
				0xffffff) != first)
				return -1;
	return first != 0;
}

int
pat_decode_counter(const uint32_t *pix, size_t stride, int w, int h,
    uint32_t *counter)
{
	uint32_t v = 0;
	int i;

	if (w < PAT_CTR_X + PAT_CTR_BITS * PAT_CTR_BLOCK ||
	    h < PAT_CTR_INV_Y + PAT_CTR_BLOCK)
		return -1;
	for (i = 0; i < PAT_CTR_BITS; i++) {
		int x = PAT_CTR_X + i * PAT_CTR_BLOCK;
		int bit = block_value(pix, stride, x, PAT_CTR_Y);
		int inv = block_value(pix, stride, x, PAT_CTR_INV_Y);
		if (bit < 0 || inv < 0 || bit == inv)
			return -1;
		v = v << 1 | (uint32_t)bit;
	}
	*counter = v;
	return 0;
}

int
pat_abs_to_px(long v, long min, long max, int size)
{
	long px;

	if (max <= min || size <= 1)
		return 0;
	if (v < min)
		v = min;
	if (v > max)
		v = max;
	px = ((v - min) * (long)(size - 1) + (max - min) / 2) / (max - min);
	return (int)px;
}

long
pat_px_to_abs(int px, int size)
{
	if (size <= 1)
		return 0;
	return (long)px * 0x7fff / (size - 1);
}
