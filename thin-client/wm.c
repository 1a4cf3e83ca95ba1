/*
 * tessera-view's window management: which qubes have windows, their
 * stacking, tiling every window the user has not placed, maximising,
 * moving and resizing with the pointer, and asking a qube to take its
 * window's inside size.  The maths is layout.c's; this file applies it to
 * srv (server.h).
 */
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "clock.h"
#include "facts.h"
#include "log.h"
#include "proto.h"
#include "server.h"

/*
 * A qube is asked to take its window's inside size (TV_RESIZE) once the
 * window has kept a new size for RESIZE_HOLD_MS (a drag asks when it
 * pauses or ends, not at every motion), at most once every RESIZE_GAP_MS,
 * and again whenever its decoder is new (RESIZE_READY_MS after it
 * connected, or at its first picture update: by then it has learnt whether
 * the server takes size requests).
 */
#define RESIZE_HOLD_MS 300
#define RESIZE_GAP_MS 300
#define RESIZE_READY_MS 1000

struct tv_rect
tv_workspace(void)
{
	return (struct tv_rect){ 0, srv.m.panel, srv.sw, srv.sh - srv.m.panel };
}

/* A qube has a window while it runs (or is paused). */
int
tv_shown(const struct tv_qube *q)
{
	return q->used &&
	    (q->info.state == TSR_POWER_RUNNING ||
		q->info.state == TSR_POWER_PAUSED);
}

int
tv_visible(const struct tv_qube *q)
{
	return tv_shown(q) && !q->minimized;
}

/* Qubes in a stable order: host, then name. */
static int
qcmp(const void *a, const void *b)
{
	const struct tv_qube *x = *(struct tv_qube *const *)a;
	const struct tv_qube *y = *(struct tv_qube *const *)b;

	if (x->host != y->host)
		return x->host - y->host;
	return strcmp(x->info.name, y->info.name);
}

int
tv_sorted(struct tv_qube **out)
{
	int i, n = 0;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (srv.q[i].used)
			out[n++] = &srv.q[i];
	qsort(out, (size_t)n, sizeof(out[0]), qcmp);
	return n;
}

static int
zcmp(const void *a, const void *b)
{
	const struct tv_qube *x = *(struct tv_qube *const *)a;
	const struct tv_qube *y = *(struct tv_qube *const *)b;

	return x->z - y->z;
}

/* Visible windows, bottom first. */
int
tv_stacked(struct tv_qube **out)
{
	int i, n = 0;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (tv_visible(&srv.q[i]))
			out[n++] = &srv.q[i];
	qsort(out, (size_t)n, sizeof(out[0]), zcmp);
	return n;
}

/* The topmost visible window at (x, y). */
struct tv_qube *
tv_window_at(int x, int y)
{
	struct tv_qube *st[TV_MAX_QUBES];
	int n = tv_stacked(st);

	while (n-- > 0)
		if (tv_in_rect(st[n]->win, x, y))
			return st[n];
	return NULL;
}

void
tv_raise(struct tv_qube *q)
{
	q->z = ++srv.ztop;
}

/* q's window changed size: ask its qube once the size holds. */
void
tv_ask_resize(struct tv_qube *q)
{
	q->req_due = tsr_mono_ms() + RESIZE_HOLD_MS;
}

/* Sends the size requests that are due (see RESIZE_HOLD_MS). */
void
tv_resize_requests(uint64_t now)
{
	struct tv_qube *q;
	struct tv_rect in;
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++) {
		q = &srv.q[i];
		if (!q->used || !q->connected || q->fb == NULL)
			continue;
		if (q->req_dec != q->started_at) {
			/* a new decoder: ask again once it can pass it on */
			q->req_dec = q->started_at;
			q->req_ready = now + RESIZE_READY_MS;
			q->req_due = now;
		}
		if (q->req_due == 0 || now < q->req_due || now < q->req_ready ||
		    now - q->req_at < RESIZE_GAP_MS)
			continue;
		q->req_due = 0;
		if (!tv_visible(q))
			continue;
		in = tv_inside(&srv.m, q->win);
		/* a size no qube takes is never asked for (facts.h) */
		if (!tsr_screen_size_ok(in.w, in.h) ||
		    (in.w == q->fb_w && in.h == q->fb_h))
			continue;
		tv_child_send(q, TV_RESIZE, in.w, in.h, 0);
		q->req_at = now;
		log_debug("%s: asking for %dx%d", q->info.name, in.w, in.h);
	}
}

/* Tiles every window the user has not placed. */
void
tv_retile(void)
{
	struct tv_qube *all[TV_MAX_QUBES], *t[TV_MAX_QUBES];
	int i, n, k = 0;

	n = tv_sorted(all);
	for (i = 0; i < n; i++)
		if (tv_visible(all[i]) && !all[i]->placed && !all[i]->maximized)
			t[k++] = all[i];
	for (i = 0; i < k; i++) {
		struct tv_rect w = tv_grid_cell(&srv.m, tv_workspace(), k, i);

		if (memcmp(&w, &t[i]->win, sizeof(w)) != 0) {
			t[i]->win = w;
			tv_ask_resize(t[i]);
		}
	}
	for (i = 0; i < n; i++) {
		struct tv_rect w = all[i]->win;

		if (all[i]->maximized)
			all[i]->win = tv_workspace();
		else if (all[i]->placed)
			all[i]->win =
			    tv_constrain(&srv.m, all[i]->win, tv_workspace());
		if (all[i]->win.w != w.w || all[i]->win.h != w.h)
			tv_ask_resize(all[i]);
	}
	srv.layout_dirty = 0;
	srv.dirty = 1;
}

void
tv_toggle_max(struct tv_qube *q)
{
	if (q->maximized) {
		q->maximized = 0;
		q->win = q->restore;
	} else {
		q->restore = q->win;
		q->maximized = 1;
		q->win = tv_workspace();
	}
	tv_ask_resize(q);
	srv.layout_dirty = 1;
}

void
tv_drag_to(int x, int y)
{
	struct tv_qube *q = srv.drag.q;
	struct tv_rect w = srv.drag.win0;

	if (srv.drag.active == 1) {
		w.x += x - srv.drag.x0;
		w.y += y - srv.drag.y0;
	} else {
		w.w += x - srv.drag.x0;
		w.h += y - srv.drag.y0;
	}
	w = tv_constrain(&srv.m, w, tv_workspace());
	if (w.w != q->win.w || w.h != q->win.h)
		tv_ask_resize(q);
	q->win = w;
	q->placed = 1;
	srv.dirty = 1;
}
