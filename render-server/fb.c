/*
 * The shadow framebuffer: the qube's screen as last received from its
 * device model, and the listeners (output protocols) told of changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rs.h"

struct rs_fb rs_fb = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
rs_fb_init(struct rs_fb *fb, int w, int h)
{
	if (w <= 0 || h <= 0 || w > RS_MAX_W || h > RS_MAX_H)
		return -1;
	if ((fb->pix = calloc((size_t)w * (size_t)h, 4)) == NULL)
		return -1;
	fb->w = w;
	fb->h = h;
	return 0;
}

int
rs_fb_listen(struct rs_fb *fb, rs_damage_fn damage, rs_resize_fn resize,
    void *arg)
{
	int rc = -1;

	pthread_mutex_lock(&fb->lock);
	if (fb->nlisteners < RS_MAX_LISTENERS) {
		fb->listeners[fb->nlisteners].damage = damage;
		fb->listeners[fb->nlisteners].resize = resize;
		fb->listeners[fb->nlisteners].arg = arg;
		fb->nlisteners++;
		rc = 0;
	}
	pthread_mutex_unlock(&fb->lock);
	return rc;
}

int
rs_fb_resize_locked(struct rs_fb *fb, int w, int h)
{
	uint32_t *pix;
	int i;

	if (w <= 0 || h <= 0 || w > RS_MAX_W || h > RS_MAX_H)
		return -1;
	if (w == fb->w && h == fb->h)
		return 0;
	if ((pix = calloc((size_t)w * (size_t)h, 4)) == NULL)
		return -1;
	free(fb->pix);
	fb->pix = pix;
	fb->w = w;
	fb->h = h;
	for (i = 0; i < fb->nlisteners; i++)
		if (fb->listeners[i].resize)
			fb->listeners[i].resize(fb->listeners[i].arg, w, h);
	return 0;
}

void
rs_fb_damage_locked(struct rs_fb *fb, const struct rs_rect *r)
{
	int i;

	for (i = 0; i < fb->nlisteners; i++)
		if (fb->listeners[i].damage)
			fb->listeners[i].damage(fb->listeners[i].arg, r);
}

int
rs_rect_clip(struct rs_rect *r, int w, int h)
{
	int x1 = r->x + r->w, y1 = r->y + r->h;

	if (r->w <= 0 || r->h <= 0)
		return -1;
	if (r->x < 0)
		r->x = 0;
	if (r->y < 0)
		r->y = 0;
	if (x1 > w)
		x1 = w;
	if (y1 > h)
		y1 = h;
	if (x1 <= r->x || y1 <= r->y)
		return -1;
	r->w = x1 - r->x;
	r->h = y1 - r->y;
	return 0;
}

static void
rect_union(struct rs_rect *a, const struct rs_rect *b)
{
	int x0 = a->x < b->x ? a->x : b->x;
	int y0 = a->y < b->y ? a->y : b->y;
	int x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
	int y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;

	a->x = x0;
	a->y = y0;
	a->w = x1 - x0;
	a->h = y1 - y0;
}

static int
rect_contains(const struct rs_rect *a, const struct rs_rect *b)
{
	return b->x >= a->x && b->y >= a->y && b->x + b->w <= a->x + a->w &&
	    b->y + b->h <= a->y + a->h;
}

void
rs_damage_add(struct rs_damage *d, const struct rs_rect *r, int max)
{
	int i;

	if (r->w <= 0 || r->h <= 0)
		return;
	for (i = 0; i < d->n; i++) {
		if (rect_contains(&d->r[i], r))
			return;
		if (rect_contains(r, &d->r[i])) {
			d->r[i] = *r;
			return;
		}
	}
	if (max > RS_DAMAGE_MAX)
		max = RS_DAMAGE_MAX;
	if (d->n < max) {
		d->r[d->n++] = *r;
		return;
	}
	for (i = 1; i < d->n; i++)
		rect_union(&d->r[0], &d->r[i]);
	rect_union(&d->r[0], r);
	d->n = 1;
}
