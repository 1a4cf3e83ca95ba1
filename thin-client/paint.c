/*
 * tessera-view's painting: the regions of the screen to paint again (all
 * of it when anything but a picture changed, else the damage of the
 * pictures), the windows bottom to top with their frames and pictures,
 * the panel, the copy to the window, the state file (--state-file, for
 * tests) and the frame times (--stats).  Software only (draw.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>

#include "clock.h"
#include "draw.h"
#include "label.h"
#include "log.h"
#include "server.h"

#define PANEL_BG 0x000000u
#define DESK_BG 0x303030u
#define EMPTY_BG 0x101010u
#define PANEL_FG 0xffffffu
#define PANEL_DIM 0x9a9a9au

static double
ts_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
stats_add(const struct timespec *w0, const struct timespec *c0)
{
	struct tv_stats *st = &srv.stats;
	struct timespec w1, c1;
	double wsum = 0, csum = 0;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &w1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	st->wall[st->n] = ts_ms(w0, &w1);
	st->cpu[st->n] = ts_ms(c0, &c1);
	if (++st->n < st->every)
		return;
	for (i = 0; i < st->n; i++) {
		wsum += st->wall[i];
		csum += st->cpu[i];
	}
	qsort(st->wall, (size_t)st->n, sizeof(double), dcmp);
	log_info("stats: %d frames wall mean %.3f median %.3f max %.3f cpu "
		 "mean %.3f ms renderer software",
	    st->n, wsum / st->n, st->wall[st->n / 2], st->wall[st->n - 1],
	    csum / st->n);
	st->n = 0;
}

/* A canvas of the window's size; everything is painted again. */
void
tv_canvas_resize(void)
{
	int w, h;

	SDL_GetWindowSize(srv.win, &w, &h);
	if (srv.d.s != NULL && w == srv.sw && h == srv.sh)
		return;
	tv_draw_fini(&srv.d);
	if (tv_draw_init(&srv.d, w, h) == -1)
		fatalx("canvas %dx%d: %s", w, h, SDL_GetError());
	srv.sw = w;
	srv.sh = h;
	srv.layout_dirty = 1;
	srv.dirty = 1;
}

void
tv_notice(const char *fmt, const char *a, const char *b)
{
	snprintf(srv.notice, sizeof(srv.notice), fmt, a, b);
	srv.notice_at = tsr_mono_ms();
	srv.dirty = 1;
}

/* Asks for region r of the screen to be painted again. */
static void
repaint_add(struct tv_rect r)
{
	int i;

	r = tv_rect_clip(r, (struct tv_rect){ 0, 0, srv.sw, srv.sh });
	if (r.w <= 0 || r.h <= 0)
		return;
	for (i = 0; i < srv.nrep; i++)
		if (tv_rect_clip(r, srv.rep[i]).w > 0 &&
		    tv_rect_clip(r, srv.rep[i]).h > 0) {
			/* overlapping regions merge */
			srv.rep[i] = tv_rect_union(srv.rep[i], r);
			return;
		}
	if (srv.nrep == (int)(sizeof(srv.rep) / sizeof(srv.rep[0]))) {
		srv.rep[0] = tv_rect_union(srv.rep[0], r);
		for (i = 1; i < srv.nrep; i++)
			srv.rep[0] = tv_rect_union(srv.rep[0], srv.rep[i]);
		srv.nrep = 1;
		return;
	}
	srv.rep[srv.nrep++] = r;
}

/* The screen region that shows q's picture damage (inside its frame). */
static void
damage_to_screen(struct tv_qube *q)
{
	struct tv_rect in = tv_inside(&srv.m, q->win), c, d = q->damage, r;

	q->damage = (struct tv_rect){ 0, 0, 0, 0 };
	if (q->fb == NULL || !tv_visible(q) || d.w <= 0 || d.h <= 0)
		return;
	c = tv_content(in, q->fb_w, q->fb_h);
	if (c.w <= 0 || c.h <= 0)
		return;
	/* scaled: the canvas pixels whose samples fall in d, and one more */
	r.x = c.x + (int)((long long)d.x * c.w / q->fb_w) - 1;
	r.y = c.y + (int)((long long)d.y * c.h / q->fb_h) - 1;
	r.w = c.x +
	    (int)(((long long)(d.x + d.w) * c.w + q->fb_w - 1) / q->fb_w) + 1 -
	    r.x;
	r.h = c.y +
	    (int)(((long long)(d.y + d.h) * c.h + q->fb_h - 1) / q->fb_h) + 1 -
	    r.y;
	repaint_add(tv_rect_clip(r, in));
}

static const char *
status_text(const struct tv_qube *q)
{
	if (q->info.state == TSR_POWER_PAUSED)
		return "paused";
	if (q->ep_port <= 0)
		return "no display access";
	if (q->connected && q->fb != NULL)
		return NULL;
	if (q->pid > 0)
		return "connecting...";
	return "disconnected";
}

static void
draw_window(struct tv_qube *q)
{
	struct tv_rect in = tv_inside(&srv.m, q->win), c, old;
	const char *st = status_text(q);
	int s = srv.m.scale, pic = q->fb != NULL && q->connected;

	tv_draw_frame(&srv.d, &srv.m, q->win, q->info.rgb, q->title,
	    q == srv.focus);
	if (in.w <= 0 || in.h <= 0)
		return;
	/* the qube's pixels: never outside the inside */
	old = tv_clip(&srv.d, tv_rect_clip(in, srv.d.clip));
	c = pic ? tv_content(in, q->fb_w, q->fb_h) :
		  (struct tv_rect){ in.x, in.y, 0, 0 };
	if (pic)
		tv_picture(&srv.d, q->fb, q->fb_w, q->fb_h, c);
	/* around the picture */
	tv_fill(&srv.d,
	    (struct tv_rect){ c.x + c.w, in.y, in.x + in.w - c.x - c.w, in.h },
	    EMPTY_BG);
	tv_fill(&srv.d,
	    (struct tv_rect){ in.x, c.y + c.h, c.w, in.y + in.h - c.y - c.h },
	    EMPTY_BG);
	if (st != NULL) {
		if (pic)
			tv_shade(&srv.d, in, 160);
		tv_text(&srv.d, in.x + 8 * s, in.y + 8 * s, s, in.w - 16 * s,
		    st, PANEL_FG);
	}
	if (srv.overview) {
		/* the label, large, over a darkened picture */
		int ts = 2 * s, tw = tv_text_width(q->title, ts);
		struct tv_rect box;

		tv_shade(&srv.d, in, 200);
		box.w = tw + 16 * s;
		box.h = 16 * ts + 12 * s;
		if (box.w > in.w)
			box.w = in.w;
		box.x = in.x + (in.w - box.w) / 2;
		box.y = in.y + (in.h - box.h) / 2;
		tv_fill(&srv.d, box, q->info.rgb);
		tv_text(&srv.d, box.x + 8 * s, box.y + 6 * s, ts, box.w - 8 * s,
		    q->title, tsr_label_text_rgb(q->info.rgb));
	}
	tv_clip(&srv.d, old);
}

static const char *
button_for(const struct tv_qube *q)
{
	if (q->info.state == TSR_POWER_HALTED)
		return "start";
	if (q->info.state == TSR_POWER_RUNNING ||
	    q->info.state == TSR_POWER_PAUSED)
		return "stop";
	return NULL;
}

/*
 * Lays out the panel's entries, left to right (also for clicks): name and
 * state; when they do not all fit, the names alone (the state then shows
 * as the text's brightness); *hidden says how many still did not fit.
 */
static int
panel_layout(struct tv_panel_item *it, int compact, int *hidden)
{
	struct tv_qube *all[TV_MAX_QUBES];
	int i, n = tv_sorted(all), k = 0, s = srv.m.scale, x = 8 * s, w, bw;
	const struct tv_host *h;

	*hidden = 0;
	for (i = 0; i < n; i++) {
		struct tv_qube *q = all[i];

		h = &srv.hosts[q->host];
		snprintf(it[k].text, sizeof(it[k].text), "%s%s%s%s%s%s",
		    h->name, h->name[0] ? "/" : "", q->info.name,
		    compact ? "" : " (",
		    compact ? "" : tsr_power_name(q->info.state),
		    compact ? "" : ")");
		w = 16 * s + tv_text_width(it[k].text, s);
		it[k].q = q;
		it[k].button_text = button_for(q);
		it[k].has_button = it[k].button_text != NULL;
		bw = it[k].has_button ?
		    tv_text_width(it[k].button_text, s) + 8 * s :
		    0;
		if (bw > 0)
			w += 8 * s + bw;
		if (x + w > srv.sw - 48 * s) {
			*hidden = n - i;
			break;
		}
		it[k].entry = (struct tv_rect){ x, 0, w, srv.m.panel };
		if (bw > 0)
			it[k].button = (struct tv_rect){ x + w - bw, 3 * s, bw,
				srv.m.panel - 6 * s };
		x += w + 16 * s;
		k++;
	}
	return k;
}

int
tv_panel_items(struct tv_panel_item *it, int *hidden)
{
	int n = panel_layout(it, 0, hidden);

	if (*hidden > 0)
		n = panel_layout(it, 1, hidden);
	return n;
}

static void
draw_panel(uint64_t now)
{
	struct tv_panel_item it[TV_MAX_QUBES];
	int i, hidden, n = tv_panel_items(it, &hidden), s = srv.m.scale, x, x0;
	const char *msg = NULL;
	char buf[300];

	tv_fill(&srv.d, (struct tv_rect){ 0, 0, srv.sw, srv.m.panel },
	    PANEL_BG);
	for (i = 0; i < n; i++) {
		struct tv_qube *q = it[i].q;

		x = it[i].entry.x;
		/* the swatch, outlined so a black label shows too */
		tv_fill(&srv.d,
		    (struct tv_rect){ x, 4 * s, 12 * s, srv.m.panel - 8 * s },
		    q->info.rgb);
		tv_outline(&srv.d,
		    (struct tv_rect){ x, 4 * s, 12 * s, srv.m.panel - 8 * s },
		    s, PANEL_DIM);
		tv_text(&srv.d, x + 16 * s, 4 * s, s, -1, it[i].text,
		    tv_shown(q) ? PANEL_FG : PANEL_DIM);
		if (q == srv.focus)
			tv_fill(&srv.d,
			    (struct tv_rect){ x + 16 * s, srv.m.panel - 3 * s,
				tv_text_width(it[i].text, s), s },
			    PANEL_FG);
		if (it[i].has_button) {
			tv_outline(&srv.d, it[i].button, s, PANEL_DIM);
			tv_text(&srv.d, it[i].button.x + 4 * s,
			    it[i].button.y + (it[i].button.h - 16 * s) / 2, s,
			    -1, it[i].button_text, PANEL_FG);
		}
	}
	x0 = n > 0 ? it[n - 1].entry.x + it[n - 1].entry.w + 16 * s : 8 * s;
	if (hidden > 0) {
		snprintf(buf, sizeof(buf), "+%d", hidden);
		x0 += tv_text(&srv.d, x0 - 8 * s, 4 * s, s, -1, buf, PANEL_FG);
	}
	if (srv.overview)
		msg = "OVERVIEW: input to qubes is off (Ctrl+Alt+Home)";
	else if (srv.notice[0] != '\0' && now - srv.notice_at < 10000)
		msg = srv.notice;
	else
		for (i = 0; i < srv.nhosts; i++)
			if (!srv.hosts[i].up && srv.hosts[i].err[0] != '\0') {
				snprintf(buf, sizeof(buf), "%s: %s",
				    srv.hosts[i].spec, srv.hosts[i].err);
				msg = buf;
				break;
			}
	if (msg != NULL) {
		int w = tv_text_width(msg, s);

		x = srv.sw - 8 * s - w;
		if (x < x0)
			x = x0;
		if (x < srv.sw - 8 * s)
			tv_text(&srv.d, x, 4 * s, s, srv.sw - x - 8 * s, msg,
			    srv.overview ? 0xffd700u : PANEL_FG);
	}
}

static void
write_state(void)
{
	struct tv_qube *all[TV_MAX_QUBES];
	char tmp[4096];
	FILE *f;
	int i, n;

	if (srv.state_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", srv.state_file);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f,
	    "screen %d %d panel %d border %d title %d scale %d "
	    "overview %d focus %s\n",
	    srv.sw, srv.sh, srv.m.panel, srv.m.border, srv.m.title, srv.m.scale,
	    srv.overview, srv.focus ? srv.focus->info.name : "-");
	n = tv_sorted(all);
	for (i = 0; i < n; i++) {
		struct tv_qube *q = all[i];
		struct tv_rect in = tv_inside(&srv.m, q->win);
		struct tv_rect c = tv_content(in, q->fb_w, q->fb_h);

		fprintf(f,
		    "qube %s host %d label %s rgb %06x state %s "
		    "shown %d win %d %d %d %d inside %d %d %d %d "
		    "content %d %d %d %d fb %d %d decoder %d connected %d "
		    "z %d\n",
		    q->info.name, q->host, q->info.label, q->info.rgb,
		    tsr_power_name(q->info.state), tv_visible(q), q->win.x,
		    q->win.y, q->win.w, q->win.h, in.x, in.y, in.w, in.h, c.x,
		    c.y, c.w, c.h, q->fb_w, q->fb_h, (int)q->pid,
		    q->connected && q->fb != NULL, q->z);
	}
	fclose(f);
	rename(tmp, srv.state_file);
}

/* Paints region r of the canvas: desktop, windows bottom to top, panel. */
static void
paint(struct tv_rect r, uint64_t now)
{
	struct tv_qube *st[TV_MAX_QUBES];
	struct tv_rect old = tv_clip(&srv.d, r);
	int i, n;

	tv_fill(&srv.d, r, DESK_BG);
	n = tv_stacked(st);
	for (i = 0; i < n; i++)
		if (tv_rect_clip(st[i]->win, r).w > 0 &&
		    tv_rect_clip(st[i]->win, r).h > 0)
			draw_window(st[i]);
	if (r.y < srv.m.panel)
		draw_panel(now); /* last: nothing covers it */
	tv_clip(&srv.d, old);
}

/* Copies the painted regions to the window. */
static void
present(void)
{
	SDL_Surface *ws = SDL_GetWindowSurface(srv.win);
	SDL_Rect rs[32], a, b;
	int i;

	if (ws == NULL) {
		log_warnx("window surface: %s", SDL_GetError());
		return;
	}
	for (i = 0; i < srv.nrep; i++) {
		a = b = rs[i] = (SDL_Rect){ srv.rep[i].x, srv.rep[i].y,
			srv.rep[i].w, srv.rep[i].h };
		SDL_BlitSurface(srv.d.s, &a, ws, &b);
	}
	SDL_UpdateWindowSurfaceRects(srv.win, rs, srv.nrep);
	srv.nrep = 0;
}

void
tv_render(uint64_t now)
{
	struct timespec w0, c0;
	int i;

	if (srv.stats.every > 0) {
		clock_gettime(CLOCK_MONOTONIC, &w0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	}
	if (srv.layout_dirty)
		tv_retile();
	if (srv.dirty) {
		/* anything but a picture changed: everything again */
		srv.nrep = 0;
		for (i = 0; i < TV_MAX_QUBES; i++)
			srv.q[i].damage = (struct tv_rect){ 0, 0, 0, 0 };
		repaint_add((struct tv_rect){ 0, 0, srv.sw, srv.sh });
	} else
		for (i = 0; i < TV_MAX_QUBES; i++)
			if (srv.q[i].used && srv.q[i].damage.w > 0)
				damage_to_screen(&srv.q[i]);
	for (i = 0; i < srv.nrep; i++)
		paint(srv.rep[i], now);
	present();
	if (srv.stats.every > 0)
		stats_add(&w0, &c0);
	if (srv.dirty)
		write_state();
	srv.dirty = 0;
	srv.damaged = 0;
}
