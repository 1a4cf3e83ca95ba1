/*
 * rdp-check: checks a screenshot of an RDP client showing a framed test
 * qube, pixel by pixel, and prints TAP.
 *
 *   rdp-check SHOT.ppm --qube WxH --label COLOUR [--name QUBE] [--at X,Y]
 *       [--tol N] [--min PERCENT] [--echo TEXT] [--prefix TEXT]
 *       [--counter-file F]
 *
 * The framed picture (render-server/rdp.h's layout) is expected with its
 * top-left corner at X,Y (default 0,0) of the screenshot (a P6 PPM, e.g.
 * from `import -window root`).  Checks:
 *   - the frame, as render-server/frame.c draws it: every pixel of the
 *     title strip and the borders that is not title text is the label
 *     colour (within --tol per channel; lossy codecs: pixels next to the
 *     text or to the qube's area are not counted);
 *   - the title "[QUBE] LABEL" (QUBE default "work"): its text pixels are
 *     the text colour (--tol 0: all of them, exactly; otherwise at least
 *     90% nearer the text colour than the label colour);
 *   - the colour bars and the gradient of the qube's picture
 *     (tests/images/pattern.h) at --min percent of their pixels or more
 *     (default 99.5; the pointer marker may cover a few);
 *   - with --echo, the echo line shows "echo: TEXT_";
 *   - the frame counter decodes (exact modes only: --tol 0); its value goes
 *     to --counter-file.
 * --tol 0 means exact (planar); lossy codecs need a tolerance.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "label.h"
#include "pattern.h"
#include "ppm.h"
#include "rdp.h"
#include "tap.h"

static uint32_t *shot;
static int sw, sh;

static int
close_to(uint32_t a, uint32_t b, int tol)
{
	int s;

	for (s = 0; s <= 16; s += 8) {
		int d = (int)(a >> s & 255) - (int)(b >> s & 255);
		if (d < -tol || d > tol)
			return 0;
	}
	return 1;
}

static uint32_t
px(int x, int y)
{
	if (x < 0 || y < 0 || x >= sw || y >= sh)
		return 0xff000000u; /* matches nothing */
	return shot[(size_t)y * (size_t)sw + (size_t)x];
}

int
main(int argc, char **argv)
{
	const char *path, *echo = NULL, *prefix = "", *counter_file = NULL;
	struct tsr_label label;
	struct rdp_layout l;
	struct rs_qube q;
	uint32_t *frame, fg;
	long tgood = 0, ttotal = 0;
	const char *name = "work";
	struct pat_opts o;
	struct pat_state s;
	uint32_t *want, counter, first_bad = 0, first_want = 0;
	int qw = 0, qh = 0, ax = 0, ay = 0, tol = 0, i, x, y, have_label = 0;
	double min = 99.5;
	long good, total, bad_x = -1, bad_y = -1;

	if (argc < 2)
		return 2;
	path = argv[1];
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return 2;
		if (strcmp(a, "--qube") == 0 &&
		    sscanf(v, "%dx%d", &qw, &qh) == 2)
			;
		else if (strcmp(a, "--label") == 0 &&
		    tsr_label_parse(v, &label) == 0)
			have_label = 1;
		else if (strcmp(a, "--name") == 0 && strlen(v) < sizeof(q.name))
			name = v;
		else if (strcmp(a, "--at") == 0 &&
		    sscanf(v, "%d,%d", &ax, &ay) == 2)
			;
		else if (strcmp(a, "--tol") == 0)
			tol = atoi(v);
		else if (strcmp(a, "--min") == 0)
			min = atof(v);
		else if (strcmp(a, "--echo") == 0)
			echo = v;
		else if (strcmp(a, "--prefix") == 0)
			prefix = v;
		else if (strcmp(a, "--counter-file") == 0)
			counter_file = v;
		else {
			fprintf(stderr, "rdp-check: bad option %s %s\n", a, v);
			return 2;
		}
		i++;
	}
	if (qw < PAT_MIN_W || qh < PAT_MIN_H || qw > PAT_MAX_W ||
	    qh > PAT_MAX_H || !have_label)
		return 2;
	if ((shot = tsr_ppm_read(path, &sw, &sh)) == NULL) {
		ok(0, "%sscreenshot %s readable", prefix, path);
		return done_testing();
	}
	rdp_layout(qw, qh, &l);
	if (!ok(sw >= ax + l.fw && sh >= ay + l.fh,
		"%sscreenshot %dx%d holds the %dx%d picture", prefix, sw, sh,
		l.fw, l.fh))
		return done_testing();

	/* The frame: everything outside the qube's area, as frame.c draws it
	 * (inside: a value no frame pixel has). */
	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "%s", name);
	q.label = label;
	fg = tsr_label_text_rgb(label.rgb) & 0xffffff;
	frame = malloc((size_t)l.fw * (size_t)l.fh * 4);
	if (frame == NULL)
		return 1;
	for (i = 0; i < l.fw * l.fh; i++)
		frame[i] = 0xff000000u;
	rs_frame_draw(frame, l.fw, l.fh, l.qw, l.qh, &q, RS_PIX_RGB);
#define FRAME(x, y) \
	(((x) < 0 || (y) < 0 || (x) >= l.fw || (y) >= l.fh) ? \
		(label.rgb & 0xffffff) : \
		frame[(size_t)(y) * (size_t)l.fw + (size_t)(x)])
	good = total = 0;
	for (y = 0; y < l.fh; y++) {
		for (x = 0; x < l.fw; x++) {
			uint32_t w = FRAME(x, y), g = px(ax + x, ay + y);
			int near_text = 0, dx, dy;

			if (w == 0xff000000u)
				continue; /* the qube's area */
			if (w == fg && fg != (label.rgb & 0xffffff)) {
				int dg = 0, db = 0, sft;
				ttotal++;
				for (sft = 0; sft <= 16; sft += 8) {
					int c = (int)(g >> sft & 255);
					dg += abs(c - (int)(fg >> sft & 255));
					db += abs(
					    c - (int)(label.rgb >> sft & 255));
				}
				if (tol == 0 ? g == fg : dg < db)
					tgood++;
				continue;
			}
			/* lossy: the text and the qube's picture bleed
			 * into the pixels next to them */
			if (tol > 0)
				for (dy = -1; dy <= 1; dy++)
					for (dx = -1; dx <= 1; dx++)
						if (FRAME(x + dx, y + dy) ==
							fg ||
						    FRAME(x + dx, y + dy) ==
							0xff000000u)
							near_text = 1;
			if (near_text)
				continue;
			total++;
			if (close_to(g, label.rgb, tol))
				good++;
			else if (bad_x < 0)
				bad_x = x, bad_y = y, first_bad = g;
		}
	}
	if (!ok(good == total, "%sthe frame is %s (%ld of %ld pixels)", prefix,
		label.name, good, total))
		diag("first wrong pixel at %ld,%ld: %06x", bad_x, bad_y,
		    first_bad);
	ok(ttotal > 100 &&
		(tol == 0 ? tgood == ttotal : tgood * 10 >= ttotal * 9),
	    "%sthe title reads \"[%s] %s\" (%ld of %ld text pixels in %06x)",
	    prefix, q.name, label.name, tgood, ttotal, fg);
	free(frame);

	/* The qube's picture. */
	pat_opts_init(&o);
	pat_state_init(&s);
	if (echo)
		snprintf(s.echo, sizeof(s.echo), "%s", echo);
	want = calloc((size_t)qw * (size_t)qh, 4);
	if (want == NULL)
		return 1;
	pat_draw(want, (size_t)qw, qw, qh, &o, &s,
	    (struct pat_rect){ 0, 0, qw, qh });

#define REGION(desc, y0, y1, need) \
	do { \
		good = total = 0; \
		bad_x = -1; \
		for (y = (y0); y < (y1); y++) \
			for (x = 0; x < qw; x++) { \
				uint32_t g = px(ax + l.ox + x, ay + l.oy + y); \
				uint32_t w = \
				    want[(size_t)y * (size_t)qw + (size_t)x]; \
				total++; \
				if (close_to(g, w, tol)) \
					good++; \
				else if (bad_x < 0) \
					bad_x = x, bad_y = y, first_bad = g, \
					first_want = w; \
			} \
		if (!ok(good * 100.0 >= (need)*total, \
			"%s%s (%.2f%% of %ld pixels)", prefix, desc, \
			good * 100.0 / (double)total, total)) \
			diag("first wrong pixel at %ld,%ld: %06x, want %06x", \
			    bad_x, bad_y, first_bad, first_want); \
	} while (0)

	REGION("the colour bars", 0, PAT_BAR_H, min);
	REGION("the gradient", PAT_GRAD_Y, qh, min);
	if (echo) {
		char text[PAT_ECHO_MAX + 16];
		pat_echo_text(qw, &s, text, sizeof(text));
		REGION(text, PAT_ECHO_Y, PAT_ECHO_Y + PAT_FONT_H,
		    tol == 0 ? 100.0 : min);
	}
	if (tol == 0) {
		int dec =
		    pat_decode_counter(&shot[(size_t)(ay + l.oy) * (size_t)sw +
					   (size_t)(ax + l.ox)],
			(size_t)sw, qw, qh, &counter);
		if (ok(dec == 0, "%sthe frame counter decodes", prefix)) {
			diag("counter %u", counter);
			if (counter_file) {
				FILE *f = fopen(counter_file, "w");
				if (f) {
					fprintf(f, "%u\n", counter);
					fclose(f);
				}
			}
		}
	}
	free(want);
	free(shot);
	return done_testing();
}
