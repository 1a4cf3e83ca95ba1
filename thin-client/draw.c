/*
 * Drawing: text, trust frames and qube pictures on the compositor's
 * canvas.  Every colour and every letter outside a qube's picture comes
 * from the host's data.
 */
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "font.h"
#include "label.h"

int
tv_draw_init(struct tv_draw *d, int w, int h)
{
	memset(d, 0, sizeof(*d));
	d->s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32,
	    SDL_PIXELFORMAT_XRGB8888);
	if (d->s == NULL)
		return -1;
	d->clip = (struct tv_rect){ 0, 0, w, h };
	return 0;
}

void
tv_draw_fini(struct tv_draw *d)
{
	if (d->s != NULL)
		SDL_FreeSurface(d->s);
	d->s = NULL;
}

static uint32_t *
row(struct tv_draw *d, int y)
{
	return (uint32_t *)((uint8_t *)d->s->pixels + (size_t)y * d->s->pitch);
}

struct tv_rect
tv_clip(struct tv_draw *d, struct tv_rect r)
{
	struct tv_rect old = d->clip;

	d->clip = tv_rect_clip(r, (struct tv_rect){ 0, 0, d->s->w, d->s->h });
	return old;
}

void
tv_fill(struct tv_draw *d, struct tv_rect r, uint32_t rgb)
{
	int x, y;
	uint32_t *p;

	r = tv_rect_clip(r, d->clip);
	for (y = r.y; y < r.y + r.h; y++) {
		p = row(d, y) + r.x;
		for (x = 0; x < r.w; x++)
			p[x] = rgb & 0xffffffu;
	}
}

void
tv_shade(struct tv_draw *d, struct tv_rect r, uint8_t alpha)
{
	uint32_t k = 256u - alpha, v, *p;
	int x, y;

	r = tv_rect_clip(r, d->clip);
	for (y = r.y; y < r.y + r.h; y++) {
		p = row(d, y) + r.x;
		for (x = 0; x < r.w; x++) {
			v = p[x];
			p[x] = ((v >> 16 & 0xff) * k >> 8) << 16 |
			    ((v >> 8 & 0xff) * k >> 8) << 8 |
			    ((v & 0xff) * k >> 8);
		}
	}
}

void
tv_outline(struct tv_draw *d, struct tv_rect r, int t, uint32_t rgb)
{
	tv_fill(d, (struct tv_rect){ r.x, r.y, r.w, t }, rgb);
	tv_fill(d, (struct tv_rect){ r.x, r.y + r.h - t, r.w, t }, rgb);
	tv_fill(d, (struct tv_rect){ r.x, r.y, t, r.h }, rgb);
	tv_fill(d, (struct tv_rect){ r.x + r.w - t, r.y, t, r.h }, rgb);
}

int
tv_text_width(const char *s, int scale)
{
	return (int)strlen(s) * TSR_FONT_W * scale;
}

int
tv_text(struct tv_draw *d, int x, int y, int scale, int maxw, const char *s,
    uint32_t rgb)
{
	int cx = x, gw = TSR_FONT_W * scale, gx, gy;
	const uint8_t *g;
	unsigned char c;

	for (; *s != '\0'; s++, cx += gw) {
		if (maxw >= 0 && cx + gw > x + maxw)
			break;
		if (cx >= d->clip.x + d->clip.w || cx + gw <= d->clip.x)
			continue;
		c = (unsigned char)*s;
		if (c < TSR_FONT_FIRST || c > TSR_FONT_LAST)
			c = '?';
		g = tsr_font[c - TSR_FONT_FIRST];
		for (gy = 0; gy < TSR_FONT_H; gy++)
			for (gx = 0; gx < TSR_FONT_W; gx++)
				if (g[gy] & (0x80 >> gx))
					tv_fill(d,
					    (struct tv_rect){ cx + gx * scale,
						y + gy * scale, scale, scale },
					    rgb);
	}
	return cx - x;
}

void
tv_draw_frame(struct tv_draw *d, const struct tv_metrics *m, struct tv_rect win,
    uint32_t rgb, const char *title, int focused)
{
	uint32_t fg = tsr_label_text_rgb(rgb);
	struct tv_rect in = tv_inside(m, win), b;
	int s = m->scale, tx = win.x + m->border + 4 * s;
	int maxw;

	/* the frame: everything of the window outside the inside */
	tv_fill(d, (struct tv_rect){ win.x, win.y, win.w, m->title }, rgb);
	tv_fill(d, (struct tv_rect){ win.x, in.y, m->border, in.h }, rgb);
	tv_fill(d,
	    (struct tv_rect){ in.x + in.w, in.y, win.x + win.w - in.x - in.w,
		in.h },
	    rgb);
	tv_fill(d,
	    (struct tv_rect){ win.x, in.y + in.h, win.w,
		win.y + win.h - in.y - in.h },
	    rgb);
	if (focused) {
		/* the focused window: a solid mark before its title */
		tv_fill(d, (struct tv_rect){ tx, win.y + 8 * s, 8 * s, 8 * s },
		    fg);
		tx += 12 * s;
	}
	b = tv_button(m, win, TV_PART_CLOSE_MIN);
	maxw = b.x - 4 * s - tx;
	if (maxw > 0)
		tv_text(d, tx, win.y + 4 * s, s, maxw, title, fg);
	/* minimise: a bar at the bottom of its box; maximise: a box */
	tv_outline(d, b, s, fg);
	tv_fill(d,
	    (struct tv_rect){ b.x + 3 * s, b.y + b.h - 5 * s, b.w - 6 * s,
		2 * s },
	    fg);
	b = tv_button(m, win, TV_PART_MAX);
	tv_outline(d, b, s, fg);
	tv_fill(d,
	    (struct tv_rect){ b.x + 3 * s, b.y + 3 * s, b.w - 6 * s, 2 * s },
	    fg);
	tv_outline(d,
	    (struct tv_rect){ b.x + 3 * s, b.y + 3 * s, b.w - 6 * s,
		b.h - 6 * s },
	    s, fg);
}

void
tv_picture(struct tv_draw *d, const uint32_t *pix, int w, int h,
    struct tv_rect dst)
{
	struct tv_rect r = tv_rect_clip(dst, d->clip);
	int x, y, sx, sy, sy0, sy1, *x0, *x1;
	uint32_t r_, g, b, n, v, *p;
	const uint32_t *src;

	if (r.w <= 0 || r.h <= 0 || w <= 0 || h <= 0 || dst.w <= 0 ||
	    dst.h <= 0 || dst.w > w || dst.h > h)
		return;
	if (dst.w == w && dst.h == h) {
		for (y = r.y; y < r.y + r.h; y++)
			memcpy(row(d, y) + r.x,
			    pix + (size_t)(y - dst.y) * w + (r.x - dst.x),
			    (size_t)r.w * 4);
		return;
	}
	/* scaled down: each canvas pixel is the mean of the picture pixels
	 * it covers, so thin lines and small text stay legible */
	x0 = malloc((size_t)r.w * sizeof(int));
	x1 = malloc((size_t)r.w * sizeof(int));
	if (x0 == NULL || x1 == NULL) {
		free(x0);
		free(x1);
		return;
	}
	for (x = 0; x < r.w; x++) {
		x0[x] = (int)((long long)(r.x + x - dst.x) * w / dst.w);
		x1[x] = (int)((long long)(r.x + x - dst.x + 1) * w / dst.w);
		if (x1[x] <= x0[x])
			x1[x] = x0[x] + 1;
	}
	for (y = r.y; y < r.y + r.h; y++) {
		sy0 = (int)((long long)(y - dst.y) * h / dst.h);
		sy1 = (int)((long long)(y - dst.y + 1) * h / dst.h);
		if (sy1 <= sy0)
			sy1 = sy0 + 1;
		p = row(d, y) + r.x;
		for (x = 0; x < r.w; x++) {
			r_ = g = b = n = 0;
			for (sy = sy0; sy < sy1; sy++) {
				src = pix + (size_t)sy * w;
				for (sx = x0[x]; sx < x1[x]; sx++) {
					v = src[sx];
					r_ += v >> 16 & 0xff;
					g += v >> 8 & 0xff;
					b += v & 0xff;
					n++;
				}
			}
			p[x] = (r_ + n / 2) / n << 16 | (g + n / 2) / n << 8 |
			    (b + n / 2) / n;
		}
	}
	free(x0);
	free(x1);
}
