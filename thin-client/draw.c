/*
 * Drawing: the font atlas, text, trust frames, the panel and the
 * overview.  Every colour and every letter outside a qube's picture comes
 * from the host's data.
 */
#include <string.h>

#include <SDL.h>

#include "draw.h"
#include "font.h"
#include "label.h"

#define NGLYPHS	(TSR_FONT_LAST - TSR_FONT_FIRST + 1)

int
tv_draw_init(struct tv_draw *d, SDL_Renderer *r)
{
	uint32_t *pix;
	int g, x, y, w = NGLYPHS * TSR_FONT_W;

	memset(d, 0, sizeof(*d));
	d->r = r;
	d->font = SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888,
	    SDL_TEXTUREACCESS_STATIC, w, TSR_FONT_H);
	if (d->font == NULL)
		return -1;
	if ((pix = calloc((size_t)w * TSR_FONT_H, 4)) == NULL)
		return -1;
	for (g = 0; g < NGLYPHS; g++)
		for (y = 0; y < TSR_FONT_H; y++)
			for (x = 0; x < TSR_FONT_W; x++)
				if (tsr_font[g][y] & (0x80 >> x))
					pix[(size_t)y * w + g * TSR_FONT_W +
					    x] = 0xffffffffu;
	SDL_UpdateTexture(d->font, NULL, pix, w * 4);
	free(pix);
	SDL_SetTextureBlendMode(d->font, SDL_BLENDMODE_BLEND);
	SDL_SetTextureScaleMode(d->font, SDL_ScaleModeNearest);
	return 0;
}

void
tv_draw_fini(struct tv_draw *d)
{
	if (d->font != NULL)
		SDL_DestroyTexture(d->font);
	d->font = NULL;
}

void
tv_fill(struct tv_draw *d, struct tv_rect r, uint32_t rgb)
{
	SDL_Rect s = { r.x, r.y, r.w, r.h };

	if (r.w <= 0 || r.h <= 0)
		return;
	SDL_SetRenderDrawBlendMode(d->r, SDL_BLENDMODE_NONE);
	SDL_SetRenderDrawColor(d->r, rgb >> 16 & 0xff, rgb >> 8 & 0xff,
	    rgb & 0xff, 0xff);
	SDL_RenderFillRect(d->r, &s);
}

void
tv_shade(struct tv_draw *d, struct tv_rect r, uint8_t alpha)
{
	SDL_Rect s = { r.x, r.y, r.w, r.h };

	if (r.w <= 0 || r.h <= 0)
		return;
	SDL_SetRenderDrawBlendMode(d->r, SDL_BLENDMODE_BLEND);
	SDL_SetRenderDrawColor(d->r, 0, 0, 0, alpha);
	SDL_RenderFillRect(d->r, &s);
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
	SDL_Rect src = { 0, 0, TSR_FONT_W, TSR_FONT_H };
	SDL_Rect dst = { x, y, TSR_FONT_W * scale, TSR_FONT_H * scale };
	unsigned char c;

	SDL_SetTextureColorMod(d->font, rgb >> 16 & 0xff, rgb >> 8 & 0xff,
	    rgb & 0xff);
	for (; *s != '\0'; s++) {
		if (maxw >= 0 && dst.x + dst.w > x + maxw)
			break;
		c = (unsigned char)*s;
		if (c < TSR_FONT_FIRST || c > TSR_FONT_LAST)
			c = '?';
		src.x = (c - TSR_FONT_FIRST) * TSR_FONT_W;
		SDL_RenderCopy(d->r, d->font, &src, &dst);
		dst.x += dst.w;
	}
	return dst.x - x;
}

void
tv_draw_frame(struct tv_draw *d, const struct tv_metrics *m,
    struct tv_rect win, uint32_t rgb, const char *title, int focused)
{
	uint32_t fg = tsr_label_text_rgb(rgb);
	struct tv_rect in = tv_inside(m, win), b;
	int s = m->scale, tx = win.x + m->border + 4 * s;
	int maxw;

	/* the frame: everything of the window outside the inside */
	tv_fill(d, (struct tv_rect){ win.x, win.y, win.w, m->title }, rgb);
	tv_fill(d, (struct tv_rect){ win.x, in.y, m->border, in.h }, rgb);
	tv_fill(d, (struct tv_rect){ in.x + in.w, in.y,
	    win.x + win.w - in.x - in.w, in.h }, rgb);
	tv_fill(d, (struct tv_rect){ win.x, in.y + in.h, win.w,
	    win.y + win.h - in.y - in.h }, rgb);
	if (focused) {
		/* the focused window: a solid mark before its title */
		tv_fill(d, (struct tv_rect){ tx, win.y + 8 * s, 8 * s,
		    8 * s }, fg);
		tx += 12 * s;
	}
	b = tv_button(m, win, TV_PART_CLOSE_MIN);
	maxw = b.x - 4 * s - tx;
	if (maxw > 0)
		tv_text(d, tx, win.y + 4 * s, s, maxw, title, fg);
	/* minimise: a bar at the bottom of its box; maximise: a box */
	tv_outline(d, b, s, fg);
	tv_fill(d, (struct tv_rect){ b.x + 3 * s, b.y + b.h - 5 * s,
	    b.w - 6 * s, 2 * s }, fg);
	b = tv_button(m, win, TV_PART_MAX);
	tv_outline(d, b, s, fg);
	tv_fill(d, (struct tv_rect){ b.x + 3 * s, b.y + 3 * s, b.w - 6 * s,
	    2 * s }, fg);
	tv_outline(d, (struct tv_rect){ b.x + 3 * s, b.y + 3 * s, b.w - 6 * s,
	    b.h - 6 * s }, s, fg);
}
