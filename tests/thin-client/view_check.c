/*
 * view-check: checks a screenshot of tessera-view against its state file.
 *
 *   view-check --shot FILE.ppm --state FILE [--frames] [--content]
 *       [--overview] [--panel] [--echo NAME=TEXT]...
 *       [--spoof NAME=COLOUR:TITLE]... [--forbid RRGGBB]... [--skip NAME]...
 *       [--offset X,Y]
 *
 * The state file says where every window is (tessera-view --state-file);
 * the screenshot (binary PPM, 8 bits a channel) is what the screen shows,
 * the viewer's window at --offset (default 0,0).
 *
 *   --frames    every pixel of every shown window's frame where that window
 *               is on top: the label colour, or the text colour exactly
 *               where the title's glyphs (the font, at the metrics' scale),
 *               the focus mark and the two buttons are; every pixel below
 *               the panel outside all windows is the desktop's 0x303030
 *   --content   every shown, connected window shows the test qube's picture
 *               1:1 at the top left of its inside: the colour bar rows
 *               equal the pattern's (with the fake frame of --spoof), and
 *               the frame counter decodes; prints "counter NAME N"
 *   --overview  every shown window's inside holds its label box: the label
 *               colour with the title at twice the scale, centred
 *   --panel     every pixel of the panel (the top strip, one host): an entry
 *               per qube in the state file's order, each a swatch of its
 *               label colour, "NAME (STATE)" (underlined when focused) and
 *               its start or stop button; the overview's message when the
 *               state says overview, no message otherwise; black elsewhere
 *   --skip      leaves NAME out of --content
 *   --fills     NAME's picture is exactly its window's inside size and
 *               fills it 1:1: every pixel of its gradient (the rows from
 *               PAT_GRAD_Y down, to the last row and column) is the
 *               pattern's within FILL_TOL a channel (the viewer's stream
 *               is Tight with JPEG), or the pointer marker's colour
 *   --echo      the echo line of NAME's picture is the pattern's for TEXT
 *   --forbid    no pixel outside the windows' insides has this colour
 *
 * Exit 0 when every check passes, 1 when one fails (with "# " lines on
 * what differs), 2 on bad usage or unreadable input.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "label.h"
#include "pattern.h"
#include "ppm.h"
#include "view.h"

#define DESK_BG 0x303030u
#define PANEL_BG 0x000000u
#define PANEL_FG 0xffffffu
#define PANEL_DIM 0x9a9a9au
#define OVERVIEW_FG 0xffd700u
#define OVERVIEW_MSG "OVERVIEW: input to qubes is off (Ctrl+Alt+Home)"
#define MAX_ARGS 16
#define FILL_TOL 16 /* per channel, for --fills */
/* A name as read from the state file (%63s): room beyond a valid one. */
#define VQ_NAME_MAX 64

struct vq {
	char name[VQ_NAME_MAX];
	char label[16];
	uint32_t rgb;
	char state[16];
	int host, shown, connected, z, fb_w, fb_h;
	struct tv_rect win, in, content;
};

static struct {
	int sw, sh, overview;
	char focus[VQ_NAME_MAX];
	struct tv_metrics m;
	struct vq q[TV_MAX_QUBES];
	int nq;
} st;

static uint32_t *shot;
static int shot_w, shot_h, off_x, off_y;
static int bad;

/* Prints the first few problems of one kind as diagnostics. */
static void complain(int *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
complain(int *count, const char *fmt, ...)
{
	va_list ap;

	bad++;
	if ((*count)++ >= 8)
		return;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}


static int
read_state(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	struct vq *q;
	int n = 0, pid;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n++ == 0) {
			if (sscanf(line,
				"screen %d %d panel %d border %d title %d "
				"scale %d overview %d focus %63s",
				&st.sw, &st.sh, &st.m.panel, &st.m.border,
				&st.m.title, &st.m.scale, &st.overview,
				st.focus) != 8)
				goto bad;
			continue;
		}
		if (st.nq == TV_MAX_QUBES)
			goto bad;
		q = &st.q[st.nq];
		if (sscanf(line,
			"qube %63s host %d label %15s rgb %x state %15s "
			"shown %d win %d %d %d %d inside %d %d %d %d content %d %d "
			"%d %d fb %d %d decoder %d connected %d z %d",
			q->name, &q->host, q->label, &q->rgb, q->state,
			&q->shown, &q->win.x, &q->win.y, &q->win.w, &q->win.h,
			&q->in.x, &q->in.y, &q->in.w, &q->in.h, &q->content.x,
			&q->content.y, &q->content.w, &q->content.h, &q->fb_w,
			&q->fb_h, &pid, &q->connected, &q->z) != 23)
			goto bad;
		st.nq++;
	}
	fclose(f);
	return n > 0 ? 0 : -1;
bad:
	fprintf(stderr, "view-check: %s: not understood: %s", path, line);
	fclose(f);
	return -1;
}

static const struct vq *
find(const char *name)
{
	int i;

	for (i = 0; i < st.nq; i++)
		if (strcmp(st.q[i].name, name) == 0)
			return &st.q[i];
	return NULL;
}

/* The screenshot's pixel at viewer coordinates. */
static uint32_t
px(int x, int y)
{
	return shot[(size_t)(y + off_y) * shot_w + x + off_x];
}

/* The topmost shown window at (x, y), or NULL. */
static const struct vq *
owner(int x, int y)
{
	const struct vq *top = NULL;
	int i;

	for (i = 0; i < st.nq; i++)
		if (st.q[i].shown && tv_in_rect(st.q[i].win, x, y) &&
		    (top == NULL || st.q[i].z > top->z))
			top = &st.q[i];
	return top;
}

/* Is (x, y) ink of text s drawn at (x0, y0), glyphs scaled by sc, with
 * at most maxw pixels of width (whole glyphs only; -1: no limit)? */
static int
text_ink(const char *s, int x0, int y0, int sc, int maxw, int x, int y)
{
	int gw = TSR_FONT_W * sc, i, gx, gy;
	unsigned char c;

	if (x < x0 || y < y0 || y >= y0 + TSR_FONT_H * sc)
		return 0;
	i = (x - x0) / gw;
	if (i >= (int)strlen(s) || (maxw >= 0 && (i + 1) * gw > maxw))
		return 0;
	c = (unsigned char)s[i];
	if (c < TSR_FONT_FIRST || c > TSR_FONT_LAST)
		c = '?';
	gx = (x - x0 - i * gw) / sc;
	gy = (y - y0) / sc;
	return (tsr_font[c - TSR_FONT_FIRST][gy] & (0x80 >> gx)) != 0;
}

static int
in_outline(struct tv_rect r, int t, int x, int y)
{
	struct tv_rect inner = { r.x + t, r.y + t, r.w - 2 * t, r.h - 2 * t };

	return tv_in_rect(r, x, y) && !tv_in_rect(inner, x, y);
}

/* What the frame of q shows at (x, y), a pixel of the frame; *ink is set
 * where that is the text colour. */
static uint32_t
frame_pixel(const struct vq *q, const char *title, int x, int y, int *ink)
{
	const struct tv_metrics *m = &st.m;
	int s = m->scale, tx = q->win.x + m->border + 4 * s, maxw;
	uint32_t fg = tsr_label_text_rgb(q->rgb);
	struct tv_rect mn = tv_button(m, q->win, TV_PART_CLOSE_MIN);
	struct tv_rect mx = tv_button(m, q->win, TV_PART_MAX);
	struct tv_rect r;

	*ink = 1;
	if (strcmp(q->name, st.focus) == 0) {
		r = (struct tv_rect){ tx, q->win.y + 8 * s, 8 * s, 8 * s };
		if (tv_in_rect(r, x, y))
			return fg;
		tx += 12 * s;
	}
	maxw = mn.x - 4 * s - tx;
	if (maxw > 0 && text_ink(title, tx, q->win.y + 4 * s, s, maxw, x, y))
		return fg;
	/* minimise: an outlined box with a bar at its bottom */
	if (in_outline(mn, s, x, y) ||
	    tv_in_rect((struct tv_rect){ mn.x + 3 * s, mn.y + mn.h - 5 * s,
			   mn.w - 6 * s, 2 * s },
		x, y))
		return fg;
	/* maximise: an outlined box holding a window with a thick top */
	r = (struct tv_rect){ mx.x + 3 * s, mx.y + 3 * s, mx.w - 6 * s,
		mx.h - 6 * s };
	if (in_outline(mx, s, x, y) || in_outline(r, s, x, y) ||
	    tv_in_rect((struct tv_rect){ r.x, r.y, r.w, 2 * s }, x, y))
		return fg;
	*ink = 0;
	return q->rgb;
}

static void
check_frames(void)
{
	int i, x, y, n, ink, inks, desk_bad = 0, frames = 0;
	char title[TV_TITLE_MAX];

	for (i = 0; i < st.nq; i++) {
		const struct vq *q = &st.q[i];
		struct tv_rect in = tv_inside(&st.m, q->win);
		uint32_t want, got;

		if (!q->shown)
			continue;
		frames++;
		n = 0;
		inks = 0;
		if (memcmp(&in, &q->in, sizeof(in)) != 0)
			complain(&n, "%s: inside %d,%d %dx%d, want %d,%d %dx%d",
			    q->name, q->in.x, q->in.y, q->in.w, q->in.h, in.x,
			    in.y, in.w, in.h);
		if (q->win.x < 0 || q->win.y < st.m.panel ||
		    q->win.x + q->win.w > st.sw ||
		    q->win.y + q->win.h > st.sh) {
			complain(&n,
			    "%s: window %d,%d %dx%d is not on the "
			    "workspace",
			    q->name, q->win.x, q->win.y, q->win.w, q->win.h);
			continue;
		}
		tv_title(title, sizeof(title), NULL, q->name, q->label);
		for (y = q->win.y; y < q->win.y + q->win.h; y++)
			for (x = q->win.x; x < q->win.x + q->win.w; x++) {
				if (tv_in_rect(in, x, y) || owner(x, y) != q)
					continue;
				want = frame_pixel(q, title, x, y, &ink);
				inks += ink;
				got = px(x, y);
				if (got != want)
					complain(&n,
					    "%s: frame pixel (%d,%d) "
					    "[window +%d,+%d]: #%06x, want #%06x",
					    q->name, x, y, x - q->win.x,
					    y - q->win.y, got, want);
			}
		/* the title's glyphs alone are far more than this */
		if (inks < 8 * (int)strlen(title))
			complain(&n, "%s: only %d text pixels in the title bar",
			    q->name, inks);
		printf("# %s: frame #%06x at %d,%d %dx%d, title \"%s\"%s: "
		       "%d bad pixels, %d text pixels\n",
		    q->name, q->rgb, q->win.x, q->win.y, q->win.w, q->win.h,
		    title, strcmp(q->name, st.focus) == 0 ? " (focused)" : "",
		    n, inks);
	}
	for (y = st.m.panel; y < st.sh; y++)
		for (x = 0; x < st.sw; x++)
			if (owner(x, y) == NULL && px(x, y) != DESK_BG)
				complain(&desk_bad,
				    "desktop pixel (%d,%d): "
				    "#%06x, want #%06x",
				    x, y, px(x, y), DESK_BG);
	printf("# %d frames; desktop: %d bad pixels\n", frames, desk_bad);
}

struct spoof {
	char name[VQ_NAME_MAX];
	struct pat_opts o;
};
static struct spoof spoofs[MAX_ARGS];
static int nspoofs;

static void
opts_for(const char *name, struct pat_opts *o)
{
	int i;

	pat_opts_init(o);
	for (i = 0; i < nspoofs; i++)
		if (strcmp(spoofs[i].name, name) == 0)
			*o = spoofs[i].o;
}

/* The picture of q as the screenshot shows it (fb_w x fb_h). */
static uint32_t *
picture(const struct vq *q)
{
	uint32_t *pix;
	int x, y;

	if ((pix = malloc((size_t)q->fb_w * q->fb_h * 4)) == NULL)
		return NULL;
	for (y = 0; y < q->fb_h; y++)
		for (x = 0; x < q->fb_w; x++)
			pix[(size_t)y * q->fb_w + x] =
			    px(q->content.x + x, q->content.y + y);
	return pix;
}

static int
one_to_one(const struct vq *q, int *n)
{
	if (!q->shown || !q->connected) {
		complain(n, "%s: not shown and connected", q->name);
		return 0;
	}
	if (q->fb_w < PAT_MIN_W || q->fb_h < PAT_MIN_H ||
	    q->content.x != q->in.x || q->content.y != q->in.y ||
	    q->content.w != q->fb_w || q->content.h != q->fb_h) {
		complain(n,
		    "%s: a %dx%d picture is not shown 1:1 at the inside's "
		    "origin (content %d,%d %dx%d)",
		    q->name, q->fb_w, q->fb_h, q->content.x, q->content.y,
		    q->content.w, q->content.h);
		return 0;
	}
	return 1;
}

static const char *skips[MAX_ARGS];
static int nskips;

static int
skipped(const char *name)
{
	int i;

	for (i = 0; i < nskips; i++)
		if (strcmp(skips[i], name) == 0)
			return 1;
	return 0;
}

static void
check_content(void)
{
	struct pat_opts o;
	struct pat_state s;
	uint32_t *pix, *want, ctr;
	int i, x, y, n;

	for (i = 0; i < st.nq; i++) {
		const struct vq *q = &st.q[i];

		n = 0;
		if (!q->shown || skipped(q->name))
			continue;
		if (!one_to_one(q, &n) || (pix = picture(q)) == NULL)
			continue;
		if (pat_decode_counter(pix, (size_t)q->fb_w, q->fb_w, q->fb_h,
			&ctr) == -1) {
			complain(&n, "%s: no frame counter in its picture",
			    q->name);
			free(pix);
			continue;
		}
		opts_for(q->name, &o);
		pat_state_init(&s);
		s.counter = ctr;
		if ((want = malloc((size_t)q->fb_w * q->fb_h * 4)) == NULL) {
			free(pix);
			continue;
		}
		pat_draw(want, (size_t)q->fb_w, q->fb_w, q->fb_h, &o, &s,
		    (struct pat_rect){ 0, 0, q->fb_w, PAT_PANEL_Y });
		for (y = 0; y < PAT_PANEL_Y; y++)
			for (x = 0; x < q->fb_w; x++) {
				size_t k = (size_t)y * q->fb_w + x;

				if (pix[k] != want[k])
					complain(&n,
					    "%s: picture pixel (%d,%d): "
					    "#%06x, want #%06x",
					    q->name, x, y, pix[k], want[k]);
			}
		printf("counter %s %u\n", q->name, ctr);
		free(want);
		free(pix);
	}
}

static int
near(uint32_t a, uint32_t b, int tol)
{
	int i, d;

	for (i = 0; i < 24; i += 8) {
		d = (int)(a >> i & 0xff) - (int)(b >> i & 0xff);
		if (d < -tol || d > tol)
			return 0;
	}
	return 1;
}

static void
check_fills(const char *name)
{
	const struct vq *q = find(name);
	struct pat_opts o;
	struct pat_state s;
	uint32_t *pix, *want;
	int x, y, n = 0;

	if (q == NULL) {
		complain(&n, "%s: not in the state file", name);
		return;
	}
	if (!one_to_one(q, &n))
		return;
	if (q->fb_w != q->in.w || q->fb_h != q->in.h) {
		complain(&n, "%s: a %dx%d picture in a %dx%d inside", name,
		    q->fb_w, q->fb_h, q->in.w, q->in.h);
		return;
	}
	if ((pix = picture(q)) == NULL)
		return;
	if ((want = malloc((size_t)q->fb_w * q->fb_h * 4)) == NULL) {
		free(pix);
		return;
	}
	opts_for(name, &o);
	pat_state_init(&s);
	pat_draw(want, (size_t)q->fb_w, q->fb_w, q->fb_h, &o, &s,
	    (struct pat_rect){ 0, PAT_GRAD_Y, q->fb_w, q->fb_h });
	for (y = PAT_GRAD_Y; y < q->fb_h; y++)
		for (x = 0; x < q->fb_w; x++) {
			size_t k = (size_t)y * q->fb_w + x;

			if (!near(pix[k], want[k], FILL_TOL) &&
			    !near(pix[k], PAT_MARK_COLOUR, FILL_TOL) &&
			    !near(pix[k], PAT_MARK_PRESSED, FILL_TOL))
				complain(&n,
				    "%s: gradient pixel (%d,%d): "
				    "#%06x, want #%06x",
				    name, x, y, pix[k], want[k]);
		}
	if (n == 0)
		printf("# %s: a %dx%d picture fills its inside\n", name,
		    q->fb_w, q->fb_h);
	free(want);
	free(pix);
}

static void
check_echo(const char *name, const char *text)
{
	const struct vq *q = find(name);
	struct pat_opts o;
	struct pat_state s;
	uint32_t *pix, *want;
	int x, y, n = 0;
	char line[PAT_ECHO_MAX + 16];

	if (q == NULL) {
		complain(&n, "%s: not in the state file", name);
		return;
	}
	if (!one_to_one(q, &n) || (pix = picture(q)) == NULL)
		return;
	if ((want = malloc((size_t)q->fb_w * q->fb_h * 4)) == NULL) {
		free(pix);
		return;
	}
	opts_for(name, &o);
	pat_state_init(&s);
	snprintf(s.echo, sizeof(s.echo), "%s", text);
	pat_draw(want, (size_t)q->fb_w, q->fb_w, q->fb_h, &o, &s,
	    (struct pat_rect){ 0, PAT_ECHO_Y, q->fb_w,
		PAT_ECHO_Y + PAT_FONT_H });
	pat_echo_text(q->fb_w, &s, line, sizeof(line));
	for (y = PAT_ECHO_Y; y < PAT_ECHO_Y + PAT_FONT_H; y++)
		for (x = 0; x < q->fb_w; x++) {
			size_t k = (size_t)y * q->fb_w + x;

			if (pix[k] != want[k])
				complain(&n,
				    "%s: echo line pixel (%d,%d): "
				    "#%06x, want #%06x (for \"%s\")",
				    name, x, y, pix[k], want[k], line);
		}
	if (n == 0)
		printf("# %s: echo line reads \"%s\"\n", name, line);
	free(want);
	free(pix);
}

static void
check_overview(void)
{
	int i, x, y, n = 0, s = st.m.scale, ts = 2 * s;
	char title[TV_TITLE_MAX];

	if (!st.overview) {
		complain(&n, "the state file says the overview is off");
		return;
	}
	for (i = 0; i < st.nq; i++) {
		const struct vq *q = &st.q[i];
		struct tv_rect box;
		uint32_t fg = tsr_label_text_rgb(q->rgb), want, got;
		int tw;

		if (!q->shown)
			continue;
		n = 0;
		tv_title(title, sizeof(title), NULL, q->name, q->label);
		tw = (int)strlen(title) * TSR_FONT_W * ts;
		box.w = tw + 16 * s;
		box.h = TSR_FONT_H * ts + 12 * s;
		if (box.w > q->in.w)
			box.w = q->in.w;
		box.x = q->in.x + (q->in.w - box.w) / 2;
		box.y = q->in.y + (q->in.h - box.h) / 2;
		box = tv_rect_clip(box, q->in);
		for (y = box.y; y < box.y + box.h; y++)
			for (x = box.x; x < box.x + box.w; x++) {
				if (owner(x, y) != q)
					continue;
				want = text_ink(title, box.x + 8 * s,
					   box.y + 6 * s, ts, box.w - 8 * s, x,
					   y) ?
				    fg :
				    q->rgb;
				got = px(x, y);
				if (got != want)
					complain(&n,
					    "%s: overview label pixel "
					    "(%d,%d): #%06x, want #%06x",
					    q->name, x, y, got, want);
			}
		printf("# %s: overview label box %d,%d %dx%d: %d bad pixels\n",
		    q->name, box.x, box.y, box.w, box.h, n);
	}
}

static int
in_box(int x0, int y0, int w, int h, int x, int y)
{
	return tv_in_rect((struct tv_rect){ x0, y0, w, h }, x, y);
}

/* What entry i of the panel shows at (x, y) of its rectangle, drawn in
 * the viewer's order: swatch, outline, text, focus line, button. */
static uint32_t
entry_pixel(const struct vq *q, int ex, const char *text, const char *btn,
    struct tv_rect b, int x, int y)
{
	int s = st.m.scale, p = st.m.panel,
	    tw = (int)strlen(text) * TSR_FONT_W * s;
	int running =
	    strcmp(q->state, "running") == 0 || strcmp(q->state, "paused") == 0;
	uint32_t c = PANEL_BG;

	if (in_box(ex, 4 * s, 12 * s, p - 8 * s, x, y))
		c = in_outline((struct tv_rect){ ex, 4 * s, 12 * s, p - 8 * s },
			s, x, y) ?
		    PANEL_DIM :
		    q->rgb;
	if (text_ink(text, ex + 16 * s, 4 * s, s, -1, x, y))
		c = running ? PANEL_FG : PANEL_DIM;
	if (strcmp(q->name, st.focus) == 0 &&
	    in_box(ex + 16 * s, p - 3 * s, tw, s, x, y))
		c = PANEL_FG;
	if (btn != NULL) {
		if (in_outline(b, s, x, y))
			c = PANEL_DIM;
		if (text_ink(btn, b.x + 4 * s, b.y + (b.h - 16 * s) / 2, s, -1,
			x, y))
			c = PANEL_FG;
	}
	return c;
}

static void
check_panel(void)
{
	int s = st.m.scale, p = st.m.panel, i, x, y, n = 0, ex = 8 * s, x0;
	int tw, w, bw, mx = -1, mw = 0;
	struct tv_rect e[TV_MAX_QUBES], b[TV_MAX_QUBES];
	char text[TV_MAX_QUBES][VQ_NAME_MAX + 24];
	const char *btn[TV_MAX_QUBES];
	uint32_t want, got;

	/* the entries, laid out as the viewer does */
	for (i = 0; i < st.nq; i++) {
		const struct vq *q = &st.q[i];

		if (q->host != 0) {
			complain(&n, "--panel: %s is of a second host",
			    q->name);
			return;
		}
		snprintf(text[i], sizeof(text[i]), "%s (%s)", q->name,
		    q->state);
		btn[i] = strcmp(q->state, "halted") == 0 ? "start" :
		    strcmp(q->state, "running") == 0 ||
			strcmp(q->state, "paused") == 0 ?
							   "stop" :
							   NULL;
		tw = (int)strlen(text[i]) * TSR_FONT_W * s;
		bw = btn[i] ? (int)strlen(btn[i]) * TSR_FONT_W * s + 8 * s : 0;
		w = 16 * s + tw + (bw > 0 ? 8 * s + bw : 0);
		if (ex + w > st.sw - 48 * s) {
			complain(&n,
			    "--panel: the entries do not fit at their "
			    "full length");
			return;
		}
		e[i] = (struct tv_rect){ ex, 0, w, p };
		b[i] = (struct tv_rect){ ex + w - bw, 3 * s, bw, p - 6 * s };
		ex += w + 16 * s;
	}
	x0 = st.nq > 0 ? ex : 8 * s;
	if (st.overview) {
		mw = (int)strlen(OVERVIEW_MSG) * TSR_FONT_W * s;
		mx = st.sw - 8 * s - mw;
		if (mx < x0)
			mx = x0;
	}
	for (y = 0; y < p; y++)
		for (x = 0; x < st.sw; x++) {
			want = PANEL_BG;
			for (i = 0; i < st.nq; i++)
				if (tv_in_rect(e[i], x, y))
					want = entry_pixel(&st.q[i], e[i].x,
					    text[i], btn[i], b[i], x, y);
			if (mx >= 0 && mx < st.sw - 8 * s &&
			    text_ink(OVERVIEW_MSG, mx, 4 * s, s,
				st.sw - mx - 8 * s, x, y))
				want = OVERVIEW_FG;
			got = px(x, y);
			if (got != want)
				complain(&n,
				    "panel pixel (%d,%d): #%06x, want "
				    "#%06x",
				    x, y, got, want);
		}
	printf("# panel: %d entries%s: %d bad pixels\n", st.nq,
	    st.overview ? " and the overview's message" : "", n);
}

static void
check_forbidden(uint32_t rgb)
{
	int i, x, y, n = 0, inside;

	for (y = 0; y < st.sh; y++)
		for (x = 0; x < st.sw; x++) {
			if (px(x, y) != rgb)
				continue;
			inside = 0;
			for (i = 0; i < st.nq; i++)
				if (st.q[i].shown &&
				    tv_in_rect(st.q[i].in, x, y) &&
				    owner(x, y) == &st.q[i])
					inside = 1;
			if (!inside)
				complain(&n,
				    "pixel (%d,%d) outside every "
				    "window's inside is #%06x",
				    x, y, rgb);
		}
	printf("# #%06x outside the insides: %d pixels\n", rgb, n);
}

static void
usage(void)
{
	fputs(
	    "usage: view-check --shot FILE.ppm --state FILE [--frames] "
	    "[--content]\n       [--overview] [--panel] [--echo NAME=TEXT]... "
	    "[--spoof NAME=COLOUR:TITLE]...\n       [--forbid RRGGBB]... "
	    "[--offset X,Y] [--skip NAME]... [--fills NAME]...\n",
	    stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shot", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 't' },
		{ "frames", no_argument, NULL, 'f' },
		{ "content", no_argument, NULL, 'c' },
		{ "overview", no_argument, NULL, 'o' },
		{ "panel", no_argument, NULL, 'P' },
		{ "echo", required_argument, NULL, 'e' },
		{ "fills", required_argument, NULL, 'F' },
		{ "spoof", required_argument, NULL, 'p' },
		{ "forbid", required_argument, NULL, 'x' },
		{ "offset", required_argument, NULL, 'O' },
		{ "skip", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *shot_path = NULL, *state_path = NULL;
	char *echo[MAX_ARGS], *fills[MAX_ARGS], *p, *colon;
	uint32_t forbid[MAX_ARGS];
	int ch, frames = 0, content = 0, overview = 0, panel = 0, necho = 0;
	int nforbid = 0, nfills = 0;
	int i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			shot_path = optarg;
			break;
		case 't':
			state_path = optarg;
			break;
		case 'f':
			frames = 1;
			break;
		case 'c':
			content = 1;
			break;
		case 'o':
			overview = 1;
			break;
		case 'P':
			panel = 1;
			break;
		case 'e':
			if (necho == MAX_ARGS || strchr(optarg, '=') == NULL)
				usage();
			echo[necho++] = optarg;
			break;
		case 'p':
			if (nspoofs == MAX_ARGS ||
			    (p = strchr(optarg, '=')) == NULL ||
			    (colon = strchr(p, ':')) == NULL)
				usage();
			*p++ = '\0';
			*colon++ = '\0';
			snprintf(spoofs[nspoofs].name,
			    sizeof(spoofs[nspoofs].name), "%s", optarg);
			pat_opts_init(&spoofs[nspoofs].o);
			if (pat_parse_colour(p, &spoofs[nspoofs].o.spoof_rgb))
				usage();
			spoofs[nspoofs].o.spoof = 1;
			snprintf(spoofs[nspoofs].o.title,
			    sizeof(spoofs[nspoofs].o.title), "%s", colon);
			nspoofs++;
			break;
		case 'x':
			if (nforbid == MAX_ARGS)
				usage();
			forbid[nforbid++] = (uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 'F':
			if (nfills == MAX_ARGS)
				usage();
			fills[nfills++] = optarg;
			break;
		case 'k':
			if (nskips == MAX_ARGS)
				usage();
			skips[nskips++] = optarg;
			break;
		case 'O':
			if (sscanf(optarg, "%d,%d", &off_x, &off_y) != 2)
				usage();
			break;
		default:
			usage();
		}
	}
	if (shot_path == NULL || state_path == NULL || optind != argc)
		usage();
	if (read_state(state_path) == -1) {
		fprintf(stderr, "view-check: cannot read %s\n", state_path);
		return 2;
	}
	if ((shot = tsr_ppm_read(shot_path, &shot_w, &shot_h)) == NULL) {
		fprintf(stderr, "view-check: cannot read %s\n", shot_path);
		return 2;
	}
	if (st.m.scale < 1 || st.m.scale > 4 || off_x < 0 || off_y < 0 ||
	    off_x + st.sw > shot_w || off_y + st.sh > shot_h) {
		fprintf(stderr,
		    "view-check: a %dx%d screen at %d,%d is not in "
		    "the %dx%d screenshot\n",
		    st.sw, st.sh, off_x, off_y, shot_w, shot_h);
		free(shot);
		return 2;
	}
	if (frames)
		check_frames();
	if (content)
		check_content();
	if (overview)
		check_overview();
	if (panel)
		check_panel();
	for (i = 0; i < necho; i++) {
		p = strchr(echo[i], '=');
		*p++ = '\0';
		check_echo(echo[i], p);
	}
	for (i = 0; i < nfills; i++)
		check_fills(fills[i]);
	for (i = 0; i < nforbid; i++)
		check_forbidden(forbid[i]);
	free(shot);
	printf("%s: %d bad\n", bad ? "FAILED" : "ok", bad);
	return bad ? 1 : 0;
}
