/*
 * render-viewer: a test viewer of tessera-render, and a screenshot checker.
 *
 *   render-viewer --port P --ca F [--cert F --key F] [--host H]
 *       [--frames N] [--type TEXT] [--timeout S] [--slow-ms N]
 *       [--encodings "zrle raw"] [--jpeg TOLERANCE] [--want-size WxH]
 *       [--rows Y0,Y1] [--resizes N] [--ready-file F]
 *   render-viewer --check-shot FILE.ppm --qube NAME --label COLOUR
 *       --size WxH
 *
 * Viewer: libvncclient over VeNCrypt X509None with a client certificate
 * (restricted to VeNCrypt: it takes X509None, the first type offered).
 * Waits until it has seen N frames (default 3) whose counter advances and
 * that equal, pixel for pixel, the test qube's picture for that counter
 * (unframed; with --rows, only rows [Y0, Y1) are compared: a qube whose
 * pointer and keys others have moved still matches in its colour bars and
 * counter rows).  With --want-size, only frames of that size count; with
 * --resizes N, only frames after the server has changed the size N times
 * on this connection (DesktopSize); the sizes seen are printed.  With
 * --ready-file, creates F at the first frame that matches (any size), so
 * a test knows when to change the qube's size under it.  With --type,
 * types TEXT (as keysyms) and waits until the qube's echo line shows it.  Exits 0 on success, 3 if the connection was
 * refused or failed before the first frame, 1 otherwise; one line says
 * what happened.
 *
 * Checker: finds the trust frame in a screenshot (binary PPM) of a
 * third-party viewer and checks it pixel by pixel: every border and title
 * strip pixel is the label colour or, where the title's glyphs are, the
 * text colour; the qube's colour bars are inside at the right offsets.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "clock.h"
#include "frame.h"
#include "label.h"
#include "pattern.h"
#include "ppm.h"
#include "vncc_x509.h"

static struct {
	const char *ca, *cert, *key, *host;
	int port, frames, slow_ms;
	const char *type;
	const char *encodings;
	int jpeg_tolerance; /* lossy: compare within this, per channel */
	int want_w, want_h; /* count only frames of this size */
	int want_resizes;   /* ... and after this many size changes */
	int resizes;
	char sizes[256]; /* "WxH WxH ...", as the server sent them */
	const char *ready_file;
	int ready;
	int row0, row1; /* compare only these rows (row1 0: all) */
	int seen;
	uint32_t last;
	long mismatches;
	uint32_t *fb;
	int w, h;
	int updates;
} t = { .host = "127.0.0.1", .frames = 3, .encodings = "zrle raw" };

static void
quiet(const char *fmt, ...)
{
	va_list ap;

	if (getenv("RENDER_VIEWER_DEBUG") == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static rfbBool
on_alloc(rfbClient *cl)
{
	uint32_t *fb;
	size_t n;

	if (cl->width <= 0 || cl->height <= 0 || cl->width > PAT_MAX_W ||
	    cl->height > PAT_MAX_H)
		return FALSE;
	if ((fb = calloc((size_t)cl->width * cl->height, 4)) == NULL)
		return FALSE;
	if (t.fb != NULL)
		t.resizes++;
	free(t.fb);
	t.fb = fb;
	t.w = cl->width;
	t.h = cl->height;
	cl->frameBuffer = (uint8_t *)fb;
	n = strlen(t.sizes);
	if (n + 24 < sizeof(t.sizes))
		snprintf(t.sizes + n, sizeof(t.sizes) - n, "%s%dx%d",
		    n ? " " : "", t.w, t.h);
	return TRUE;
}

/* libvncclient's format: red in the low byte; pattern.h wants 0x00RRGGBB */
static uint32_t
px(int x, int y)
{
	uint32_t v = t.fb[(size_t)y * t.w + x];

	return (v & 0xff) << 16 | (v & 0xff00) | (v >> 16 & 0xff);
}

static void
on_finished(rfbClient *cl)
{
	(void)cl;
	t.updates++;
	if (t.slow_ms > 0)
		usleep((useconds_t)t.slow_ms * 1000);
}

/* The picture now, converted, or NULL if it is torn or not the pattern. */
static uint32_t *
snapshot(uint32_t *counter)
{
	uint32_t *pix;
	int x, y;

	if (t.w < PAT_MIN_W || t.h < PAT_MIN_H)
		return NULL;
	if ((pix = malloc((size_t)t.w * t.h * 4)) == NULL)
		return NULL;
	for (y = 0; y < t.h; y++)
		for (x = 0; x < t.w; x++)
			pix[(size_t)y * t.w + x] = px(x, y);
	if (t.jpeg_tolerance > 0) {
		uint32_t *q = malloc((size_t)t.w * PAT_PANEL_END * 4), v;

		if (q == NULL) {
			free(pix);
			return NULL;
		}
		/* JPEG rings at the blocks' edges: threshold the counter */
		for (y = 0; y < PAT_PANEL_END; y++)
			for (x = 0; x < t.w; x++) {
				v = pix[(size_t)y * t.w + x];
				q[(size_t)y * t.w + x] = (v >> 16 & 0xff) +
					    (v >> 8 & 0xff) + (v & 0xff) >
					384 ?
				    0xffffff :
				    0;
			}
		x = pat_decode_counter(q, (size_t)t.w, t.w, PAT_PANEL_END,
		    counter);
		free(q);
		if (x == -1) {
			free(pix);
			return NULL;
		}
		return pix;
	}
	if (pat_decode_counter(pix, (size_t)t.w, t.w, t.h, counter) == -1) {
		free(pix);
		return NULL;
	}
	return pix;
}

/* Pixels of rows [y0, y1) that differ from the picture for state s. */
static long
diff(const uint32_t *pix, const struct pat_state *s, int y0, int y1)
{
	struct pat_opts o;
	uint32_t *want;
	struct pat_rect all = { 0, 0, t.w, t.h };
	long n = 0;
	size_t i;

	pat_opts_init(&o);
	if ((want = malloc((size_t)t.w * t.h * 4)) == NULL)
		return -1;
	pat_draw(want, (size_t)t.w, t.w, t.h, &o, s, all);
	for (i = (size_t)y0 * t.w; i < (size_t)y1 * t.w; i++)
		if (t.jpeg_tolerance > 0) {
			int c, dd;

			for (c = 0; c < 24; c += 8) {
				dd = (int)(pix[i] >> c & 0xff) -
				    (int)(want[i] >> c & 0xff);
				if (dd > t.jpeg_tolerance ||
				    -dd > t.jpeg_tolerance) {
					n++;
					break;
				}
			}
		} else if (pix[i] != want[i]) {
			if (n++ == 0 && getenv("RENDER_VIEWER_DEBUG"))
				fprintf(stderr,
				    "diff at (%zu,%zu): #%06x want "
				    "#%06x\n",
				    i % t.w, i / t.w, pix[i], want[i]);
		}
	free(want);
	return n;
}

static int
keycode_of(char c)
{
	static const char row1[] = "1234567890", row2[] = "qwertyuiop",
			  row3[] = "asdfghjkl", row4[] = "zxcvbnm";
	const char *p;

	if (c == ' ')
		return 57;
	if ((p = strchr(row1, c)))
		return 2 + (int)(p - row1);
	if ((p = strchr(row2, c)))
		return 16 + (int)(p - row2);
	if ((p = strchr(row3, c)))
		return 30 + (int)(p - row3);
	if ((p = strchr(row4, c)))
		return 44 + (int)(p - row4);
	return 0;
}

static int
run_viewer(int timeout_s)
{
	uint32_t auth[] = { rfbVeNCrypt, 0 };
	uint64_t deadline = tsr_mono_ms() + (uint64_t)timeout_s * 1000, full_at;
	struct pat_state st;
	rfbClient *cl;
	uint32_t counter, *pix;
	int argc = 1, n, typed = 0, i;
	char *argv[] = { "render-viewer", NULL };
	long d;

	rfbClientLog = quiet;
	rfbClientErr = quiet;
	if ((cl = rfbGetClient(8, 3, 4)) == NULL)
		return 1;
	cl->serverHost = strdup(t.host);
	cl->serverPort = t.port;
	cl->MallocFrameBuffer = on_alloc;
	cl->FinishedFrameBufferUpdate = on_finished;
	tsr_vncc_x509(cl, t.ca, t.cert, t.key);
	cl->canHandleNewFBSize = TRUE;
	/* ZRLE is lossless; Tight gets JPEG (quality 95) by default */
	cl->appData.encodingsString = t.encodings;
	if (t.jpeg_tolerance > 0) {
		cl->appData.enableJPEG = TRUE;
		cl->appData.qualityLevel = 9;
	}
	SetClientAuthSchemes(cl, auth, -1);
	if (!rfbInitClient(cl, &argc, argv)) {
		printf("refused: the connection failed\n");
		return 3;
	}
	full_at = tsr_mono_ms() + 1500;
	pat_state_init(&st);
	while (tsr_mono_ms() < deadline) {
		n = WaitForMessage(cl, 100000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			printf("%s: the server closed the connection after %d "
			       "updates\n",
			    t.updates ? "failed" : "refused", t.updates);
			rfbClientCleanup(cl);
			return t.updates ? 1 : 3;
		}
		if (n == 0 || (pix = snapshot(&counter)) == NULL)
			continue;
		st.counter = counter;
		if (!typed) {
			d = diff(pix, &st, t.row0,
			    t.row1 > 0 && t.row1 < t.h ? t.row1 : t.h);
			if (t.jpeg_tolerance > 0 && d < (long)t.w * t.h / 100)
				d = 0; /* lossy: 99% of pixels close enough */
			if (d == 0 && t.ready_file != NULL && !t.ready) {
				FILE *f = fopen(t.ready_file, "w");

				if (f != NULL)
					fclose(f);
				t.ready = 1;
			}
			if (t.want_w > 0 &&
			    (t.w != t.want_w || t.h != t.want_h))
				d = -1; /* not yet */
			if (t.resizes < t.want_resizes)
				d = -1; /* not yet */
			if (d == 0 && (t.seen == 0 || counter != t.last)) {
				t.seen++;
				t.last = counter;
			} else if (d > 0) {
				t.mismatches++;
				if (tsr_mono_ms() > full_at) {
					/* a stale region? ask for everything */
					SendFramebufferUpdateRequest(cl, 0, 0,
					    t.w, t.h, FALSE);
					full_at = tsr_mono_ms() + 1500;
				}
			}
			if (t.seen >= t.frames && t.type == NULL) {
				printf(
				    "ok %dx%d: %d exact frames, last counter "
				    "%u, %ld mismatches on the way; sizes %s\n",
				    t.w, t.h, t.seen, t.last, t.mismatches,
				    t.sizes);
				free(pix);
				rfbClientCleanup(cl);
				return 0;
			}
			if (t.seen >= t.frames) {
				for (i = 0; t.type[i]; i++) {
					SendKeyEvent(cl, (uint8_t)t.type[i],
					    TRUE);
					SendKeyEvent(cl, (uint8_t)t.type[i],
					    FALSE);
				}
				typed = 1;
				snprintf(st.echo, sizeof(st.echo), "%s",
				    t.type);
				st.key = (unsigned)keycode_of(t.type[i - 1]);
			}
		} else if (diff(pix, &st, PAT_ECHO_Y,
			       PAT_ECHO_Y + PAT_FONT_H) == 0) {
			printf("ok %dx%d: %d exact frames, then the echo line "
			       "shows \"%s\"\n",
			    t.w, t.h, t.seen, t.type);
			free(pix);
			rfbClientCleanup(cl);
			return 0;
		}
		free(pix);
	}
	printf("failed: %d exact frames of %d in %d s (%d updates, %ld "
	       "mismatches; sizes %s)%s\n",
	    t.seen, t.frames, timeout_s, t.updates, t.mismatches, t.sizes,
	    typed ? "; the echo line never showed the text" : "");
	rfbClientCleanup(cl);
	return 1;
}

/* ---- screenshots ---- */


static int
check_shot(const char *path, const char *qube, const char *label, int qw,
    int qh)
{
	int sw, sh, fw = RS_FRAMED_W(qw), fh = RS_FRAMED_H(qh);
	int ox, oy, x, y, i, bad = 0, ink = 0, found = 0;
	uint32_t *s, bg, fg, want, got;
	struct tsr_label lab;
	char title[80];

	if (tsr_label_parse(label, &lab) == -1) {
		printf("bad label %s\n", label);
		return 1;
	}
	bg = lab.rgb;
	fg = tsr_label_text_rgb(bg);
	if ((s = tsr_ppm_read(path, &sw, &sh)) == NULL) {
		printf("cannot read %s\n", path);
		return 1;
	}
	/* the frame's top-left corner: the first label pixel whose whole
	 * top row and left column are the label colour */
	for (oy = 0; oy + fh <= sh && !found; oy++)
		for (ox = 0; ox + fw <= sw && !found; ox++) {
			if (s[(size_t)oy * sw + ox] != bg ||
			    s[(size_t)oy * sw + ox + fw - 1] != bg ||
			    s[(size_t)(oy + fh - 1) * sw + ox] != bg)
				continue;
			found = 1;
		}
	if (!found) {
		printf("no %dx%d frame of %s (#%06x) in the %dx%d screenshot\n",
		    fw, fh, label, bg, sw, sh);
		free(s);
		return 1;
	}
	ox--;
	oy--;
	snprintf(title, sizeof(title), "[%s] %s", qube, label);
	for (y = 0; y < fh; y++)
		for (x = 0; x < fw; x++) {
			int inside = x >= RS_FRAME_BORDER &&
			    x < fw - RS_FRAME_BORDER && y >= RS_FRAME_TITLE &&
			    y < fh - RS_FRAME_BORDER;

			if (inside)
				continue;
			want = bg;
			i = (x - RS_FRAME_TEXT_X) / PAT_FONT_W;
			if (y >= RS_FRAME_TEXT_Y &&
			    y < RS_FRAME_TEXT_Y + PAT_FONT_H &&
			    x >= RS_FRAME_TEXT_X && i < (int)strlen(title) &&
			    (pat_font[title[i] - PAT_FONT_FIRST]
				     [y - RS_FRAME_TEXT_Y] &
				(0x80 >>
				    ((x - RS_FRAME_TEXT_X) % PAT_FONT_W)))) {
				want = fg;
				ink++;
			}
			got = s[(size_t)(oy + y) * sw + ox + x];
			if (got != want && bad++ < 5)
				printf("# frame pixel (%d,%d): #%06x, want "
				       "#%06x\n",
				    x, y, got, want);
		}
	for (i = 0; i < PAT_NBARS; i++) {
		x = ox + RS_FRAME_BORDER + (2 * i + 1) * qw / (2 * PAT_NBARS);
		y = oy + RS_FRAME_TITLE + PAT_BAR_H / 2;
		got = s[(size_t)y * sw + x];
		if (got != pat_bar_rgb[i] && bad++ < 10)
			printf("# bar %d at (%d,%d): #%06x, want #%06x\n", i,
			    x - ox, y - oy, got, pat_bar_rgb[i]);
	}
	/* the qube's first row and column sit right inside the border */
	for (i = 0; i < PAT_NBARS; i++) {
		x = ox + RS_FRAME_BORDER + i * qw / PAT_NBARS + (i ? 1 : 0);
		got = s[(size_t)(oy + RS_FRAME_TITLE) * sw + x];
		if (got != pat_bar_rgb[i] && bad++ < 15)
			printf("# bar %d top-left pixel: #%06x, want #%06x\n",
			    i, got, pat_bar_rgb[i]);
	}
	free(s);
	if (bad || ink < 20) {
		printf("frame at (%d,%d): %d bad pixels, %d title pixels\n", ox,
		    oy, bad, ink);
		return 1;
	}
	printf("ok: %dx%d frame of %s at (%d,%d) in the %dx%d screenshot, "
	       "title \"%s\" (%d pixels), bars inside\n",
	    fw, fh, label, ox, oy, sw, sh, title, ink);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "frames", required_argument, NULL, 'f' },
		{ "encodings", required_argument, NULL, 'e' },
		{ "jpeg", required_argument, NULL, 'j' },
		{ "type", required_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 't' },
		{ "slow-ms", required_argument, NULL, 's' },
		{ "check-shot", required_argument, NULL, 'S' },
		{ "qube", required_argument, NULL, 'q' },
		{ "label", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 'z' },
		{ "want-size", required_argument, NULL, 'W' },
		{ "rows", required_argument, NULL, 'R' },
		{ "resizes", required_argument, NULL, 'r' },
		{ "ready-file", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *shot = NULL, *qube = "qube", *label = "red";
	int ch, timeout_s = 30, qw = 0, qh = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			t.port = atoi(optarg);
			break;
		case 'H':
			t.host = optarg;
			break;
		case 'a':
			t.ca = optarg;
			break;
		case 'c':
			t.cert = optarg;
			break;
		case 'k':
			t.key = optarg;
			break;
		case 'f':
			t.frames = atoi(optarg);
			break;
		case 'e':
			t.encodings = optarg;
			break;
		case 'j':
			t.jpeg_tolerance = atoi(optarg);
			break;
		case 'T':
			t.type = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		case 's':
			t.slow_ms = atoi(optarg);
			break;
		case 'S':
			shot = optarg;
			break;
		case 'q':
			qube = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'z':
			if (sscanf(optarg, "%dx%d", &qw, &qh) != 2)
				return 2;
			break;
		case 'W':
			if (sscanf(optarg, "%dx%d", &t.want_w, &t.want_h) != 2)
				return 2;
			break;
		case 'r':
			t.want_resizes = atoi(optarg);
			break;
		case 'F':
			t.ready_file = optarg;
			break;
		case 'R':
			if (sscanf(optarg, "%d,%d", &t.row0, &t.row1) != 2 ||
			    t.row0 < 0 || t.row1 <= t.row0)
				return 2;
			break;
		default:
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (shot)
		return check_shot(shot, qube, label, qw, qh);
	if (t.port <= 0 || t.ca == NULL)
		return 2;
	return run_viewer(timeout_s);
}
