/*
 * Window maths: metrics for a DPI, the tiled grid, the frame's parts, and
 * the mapping between screen and qube pixels.  No SDL here, so the unit
 * tests can check it exhaustively.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view.h"

void
tv_metrics_for_dpi(struct tv_metrics *m, float dpi)
{
	int s = 1;

	if (dpi > 0 && isfinite(dpi))
		s = (int)lroundf(dpi / 96.0f);
	if (s < 1)
		s = 1;
	if (s > 4)
		s = 4;
	m->scale = s;
	m->border = 4 * s;
	m->title = 24 * s; /* a 16 px glyph with 4 px above and below */
	m->panel = 24 * s;
	m->gap = 4 * s;
}

/*
 * The number of columns that shows n 16:10 pictures largest: for each
 * choice, the scale at which a picture fills its cell's inside.
 */
int
tv_grid_cols(const struct tv_metrics *m, struct tv_rect ws, int n)
{
	int c, rows, best = 1;
	double s, best_s = -1, cw, ch;

	for (c = 1; c <= n; c++) {
		rows = (n + c - 1) / c;
		if ((rows - 1) * c >= n)
			continue; /* a whole row would stay empty */
		cw = (double)ws.w / c - 2 * m->gap - 2 * m->border;
		ch = (double)ws.h / rows - 2 * m->gap - m->title - m->border;
		s = cw / 16 < ch / 10 ? cw / 16 : ch / 10;
		if (s > best_s + 1e-9) {
			best_s = s;
			best = c;
		}
	}
	return best;
}

struct tv_rect
tv_grid_cell(const struct tv_metrics *m, struct tv_rect ws, int n, int k)
{
	struct tv_rect r = { ws.x, ws.y, ws.w, ws.h };
	int cols, rows, col, row, x0, x1, y0, y1;

	if (n < 1 || k < 0 || k >= n)
		return r;
	cols = tv_grid_cols(m, ws, n);
	rows = (n + cols - 1) / cols;
	col = k % cols;
	row = k / cols;
	x0 = ws.x + (int)((long)ws.w * col / cols);
	x1 = ws.x + (int)((long)ws.w * (col + 1) / cols);
	y0 = ws.y + (int)((long)ws.h * row / rows);
	y1 = ws.y + (int)((long)ws.h * (row + 1) / rows);
	r.x = x0 + m->gap;
	r.y = y0 + m->gap;
	r.w = x1 - x0 - 2 * m->gap;
	r.h = y1 - y0 - 2 * m->gap;
	if (r.w < 1)
		r.w = 1;
	if (r.h < 1)
		r.h = 1;
	return r;
}

struct tv_rect
tv_inside(const struct tv_metrics *m, struct tv_rect win)
{
	struct tv_rect r;

	r.x = win.x + m->border;
	r.y = win.y + m->title;
	r.w = win.w - 2 * m->border;
	r.h = win.h - m->title - m->border;
	if (r.w < 0)
		r.w = 0;
	if (r.h < 0)
		r.h = 0;
	return r;
}

struct tv_rect
tv_content(struct tv_rect in, int w, int h)
{
	struct tv_rect r = { in.x, in.y, 0, 0 };

	if (w <= 0 || h <= 0 || in.w <= 0 || in.h <= 0)
		return r;
	if (w <= in.w && h <= in.h) {
		r.w = w;
		r.h = h;
		return r;
	}
	/* scale down to the tighter side; round down, never outside */
	if ((long long)w * in.h > (long long)h * in.w) {
		r.w = in.w;
		r.h = (int)((long long)h * in.w / w);
	} else {
		r.h = in.h;
		r.w = (int)((long long)w * in.h / h);
	}
	if (r.w < 1)
		r.w = 1;
	if (r.h < 1)
		r.h = 1;
	return r;
}

int
tv_to_qube(struct tv_rect c, int w, int h, int sx, int sy, int *qx, int *qy)
{
	if (!tv_in_rect(c, sx, sy) || w <= 0 || h <= 0)
		return -1;
	*qx = (int)((long long)(sx - c.x) * w / c.w);
	*qy = (int)((long long)(sy - c.y) * h / c.h);
	if (*qx >= w)
		*qx = w - 1;
	if (*qy >= h)
		*qy = h - 1;
	return 0;
}

int
tv_in_rect(struct tv_rect r, int x, int y)
{
	return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

struct tv_rect
tv_rect_union(struct tv_rect a, struct tv_rect b)
{
	struct tv_rect r;
	int x1, y1;

	if (a.w <= 0 || a.h <= 0)
		return b;
	if (b.w <= 0 || b.h <= 0)
		return a;
	r.x = a.x < b.x ? a.x : b.x;
	r.y = a.y < b.y ? a.y : b.y;
	x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
	y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
	r.w = x1 - r.x;
	r.h = y1 - r.y;
	return r;
}

struct tv_rect
tv_rect_clip(struct tv_rect a, struct tv_rect b)
{
	struct tv_rect r;
	int x1, y1;

	r.x = a.x > b.x ? a.x : b.x;
	r.y = a.y > b.y ? a.y : b.y;
	x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
	y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
	r.w = x1 > r.x ? x1 - r.x : 0;
	r.h = y1 > r.y ? y1 - r.y : 0;
	return r;
}

struct tv_rect
tv_button(const struct tv_metrics *m, struct tv_rect win, enum tv_part which)
{
	/* square buttons at the right of the title bar: [_][#] */
	int sz = m->title - 2 * m->scale * 3;
	struct tv_rect r = { 0, win.y + 3 * m->scale, sz, sz };

	r.x = win.x + win.w - m->border - sz;
	if (which == TV_PART_CLOSE_MIN)
		r.x -= sz + 2 * m->scale;
	return r;
}

enum tv_part
tv_hit(const struct tv_metrics *m, struct tv_rect win, int x, int y)
{
	struct tv_rect in = tv_inside(m, win);
	struct tv_rect corner;
	int c = 4 * m->border;

	if (!tv_in_rect(win, x, y))
		return TV_PART_NONE;
	corner.x = win.x + win.w - c;
	corner.y = win.y + win.h - c;
	corner.w = corner.h = c;
	if (!tv_in_rect(in, x, y) && tv_in_rect(corner, x, y))
		return TV_PART_RESIZE;
	if (y < win.y + m->title) {
		if (tv_in_rect(tv_button(m, win, TV_PART_MAX), x, y))
			return TV_PART_MAX;
		if (tv_in_rect(tv_button(m, win, TV_PART_CLOSE_MIN), x, y))
			return TV_PART_CLOSE_MIN;
		return TV_PART_TITLE;
	}
	if (tv_in_rect(in, x, y))
		return TV_PART_CONTENT;
	return TV_PART_BORDER;
}

struct tv_rect
tv_constrain(const struct tv_metrics *m, struct tv_rect w, struct tv_rect ws)
{
	int minw = 2 * m->border + 16 * 8 * m->scale;
	int minh = m->title + m->border + 32 * m->scale;

	if (w.w < minw)
		w.w = minw;
	if (w.h < minh)
		w.h = minh;
	if (w.w > ws.w)
		w.w = ws.w;
	if (w.h > ws.h)
		w.h = ws.h;
	/* the whole title bar stays on the workspace */
	if (w.x < ws.x)
		w.x = ws.x;
	if (w.y < ws.y)
		w.y = ws.y;
	if (w.x + w.w > ws.x + ws.w)
		w.x = ws.x + ws.w - w.w;
	if (w.y + w.h > ws.y + ws.h)
		w.y = ws.y + ws.h - w.h;
	return w;
}

void
tv_title(char *buf, size_t bufsz, const char *host, const char *name,
    const char *label)
{
	char hn[TV_HOST_NAME_MAX + TSR_QUBE_NAME_MAX + 1];
	size_t i;

	if (host != NULL && *host != '\0') {
		snprintf(hn, sizeof(hn), "%s/%s", host, name);
		name = hn;
	}
	tsr_frame_title(buf, bufsz, name, label);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '?';
}
