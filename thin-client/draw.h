/*
 * Drawing primitives of the compositor (draw.c), on an SDL renderer.
 */
#ifndef TV_DRAW_H
#define TV_DRAW_H

#include <SDL.h>

#include "view.h"

struct tv_draw {
	SDL_Renderer	*r;
	SDL_Texture	*font;	/* every glyph, white on transparent */
};

int tv_draw_init(struct tv_draw *, SDL_Renderer *);
void tv_draw_fini(struct tv_draw *);
void tv_fill(struct tv_draw *, struct tv_rect, uint32_t rgb);
/* Darkens r with black at this alpha. */
void tv_shade(struct tv_draw *, struct tv_rect, uint8_t alpha);
void tv_outline(struct tv_draw *, struct tv_rect, int thickness,
    uint32_t rgb);
int tv_text_width(const char *, int scale);
/* Draws s at (x, y); stops before maxw pixels (maxw -1: no limit).
 * Returns the width drawn. */
int tv_text(struct tv_draw *, int x, int y, int scale, int maxw,
    const char *s, uint32_t rgb);
/* The trust frame of a window: border, title bar with the title, and its
 * buttons, in the label colour; the inside is left alone. */
void tv_draw_frame(struct tv_draw *, const struct tv_metrics *,
    struct tv_rect win, uint32_t rgb, const char *title, int focused);

#endif
