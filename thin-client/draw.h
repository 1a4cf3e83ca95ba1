/*
 * Drawing of the compositor (draw.c): into a canvas of 0x00RRGGBB pixels
 * (an SDL_Surface in SDL_PIXELFORMAT_XRGB8888), always within the
 * canvas's clip rectangle.  Software only: the compositor repaints just
 * the regions that changed, and a GPU is never needed.
 */
#ifndef TV_DRAW_H
#define TV_DRAW_H

#include <stdint.h>

#include <SDL.h>

#include "view.h"

struct tv_draw {
	SDL_Surface *s; /* the canvas */
	struct tv_rect clip;
};

/* Creates a w x h canvas.  0 or -1. */
int tv_draw_init(struct tv_draw *, int w, int h);
void tv_draw_fini(struct tv_draw *);
/* Restricts drawing to r (within the canvas); returns the previous clip. */
struct tv_rect tv_clip(struct tv_draw *, struct tv_rect r);
void tv_fill(struct tv_draw *, struct tv_rect, uint32_t rgb);
/* Darkens r: every channel times (256 - alpha) / 256. */
void tv_shade(struct tv_draw *, struct tv_rect, uint8_t alpha);
void tv_outline(struct tv_draw *, struct tv_rect, int thickness, uint32_t rgb);
int tv_text_width(const char *, int scale);
/* Draws s at (x, y); stops before maxw pixels (maxw -1: no limit).
 * Returns the width drawn. */
int tv_text(struct tv_draw *, int x, int y, int scale, int maxw, const char *s,
    uint32_t rgb);
/* The trust frame of a window: border, title bar with the title, and its
 * buttons, in the label colour; the inside is left alone. */
void tv_draw_frame(struct tv_draw *, const struct tv_metrics *,
    struct tv_rect win, uint32_t rgb, const char *title, int focused);
/*
 * A w x h picture (0x00RRGGBB, stride w) shown in dst: copied 1:1 when
 * dst is w x h, else scaled down (each canvas pixel the mean of the
 * picture pixels it covers); never scaled up.
 */
void tv_picture(struct tv_draw *, const uint32_t *pix, int w, int h,
    struct tv_rect dst);

#endif
