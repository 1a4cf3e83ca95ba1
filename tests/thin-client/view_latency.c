/*
 * view-latency: how long a test qube's frame takes from its display socket
 * to the screen of each viewer that shows it.
 *
 *   view-latency --socket PATH [--seconds S] [--warmup S] [--poll-us N]
 *                [--find-seconds S] NAME:X:Y...
 *
 * One thread reads the qube's VNC unix socket (QEMU's device model, raw
 * encoding, as qube-probe does) and notes on CLOCK_MONOTONIC when each value
 * of the frame counter first appears there: the reference time.  The main
 * thread polls the X screen ($DISPLAY) with XShmGetImage over the counter's
 * two rows in each viewer's picture, and notes when each value first
 * appears there.  NAME:X:Y is a viewer and where it shows the qube's pixel
 * (0,0) in root coordinates, roughly: the counter is looked for within
 * +-40 px of it, for up to --find-seconds (20), before the timing starts.
 *
 * After --seconds (20) it prints, for the values whose reference time is
 * after the first --warmup (2) seconds,
 *   reference frames N span_ms T realtime R
 *   target NAME at X,Y frames F matched M median A p95 B min C max D ms
 *       negative K polls P undecoded U
 * (one line; A..D: screen time minus reference time; the screen time is
 * when the grab that first shows the value returns), or "target NAME not
 * found".
 * Pixels within 15 of black or white count as black or white, so a
 * near-lossless encoding of the counter still decodes; a block that is
 * neither (a torn or blended frame) does not.  Exits 0 if the reference
 * saw frames and every target was found, 1 otherwise, 2 on bad usage.
 * Both threads ask for SCHED_FIFO (as root), so that a busy machine delays
 * their time stamps less; R is 0 if they did not get it.  K counts values
 * seen on the screen before the socket, U the grabs that did not decode.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <rfb/rfbclient.h>

#include "pattern.h"

#define MAX_TARGETS 4
#define MAX_VALUES 20000
#define SEARCH 40 /* px either side of the given origin */
/* the counter's two rows, from the left edge of its first block */
#define CTR_W (PAT_CTR_BITS * PAT_CTR_BLOCK)
#define CTR_H (2 * PAT_CTR_BLOCK)
/* a buffer pat_decode_counter takes: the rows above the counter unused */
#define BUF_W (PAT_CTR_X + CTR_W)
#define BUF_H (PAT_CTR_Y + CTR_H)

struct target {
	const char *name;
	int x, y; /* root coordinates of pixel (0,0) */
	int found;
	XImage *img;
	XShmSegmentInfo shm;
	uint32_t last; /* last value decoded, to skip repeats */
	int have_last;
	long polls, undecoded;
};

struct value {
	uint32_t counter;
	double ref;		 /* ms, 0 = not seen */
	double scr[MAX_TARGETS]; /* ms, 0 = not seen */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct value values[MAX_VALUES];
static int nvalues;
static volatile int stopping;
static struct target tg[MAX_TARGETS];
static int ntg;
static double t_start;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The entry for counter c (made if new), or NULL when the table is full;
 * called with mu held.  Recent values are at the end. */
static struct value *
value_of(uint32_t c)
{
	int i;

	for (i = nvalues - 1; i >= 0 && i >= nvalues - 512; i--)
		if (values[i].counter == c)
			return &values[i];
	if (nvalues == MAX_VALUES)
		return NULL;
	memset(&values[nvalues], 0, sizeof(values[0]));
	values[nvalues].counter = c;
	return &values[nvalues++];
}

/* Snaps near-black and near-white to black and white. */
static uint32_t
snap(uint32_t rgb)
{
	uint32_t r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;

	if (r <= 15 && g <= 15 && b <= 15)
		return 0;
	if (r >= 240 && g >= 240 && b >= 240)
		return 0xffffff;
	return rgb & 0xffffff;
}

/*
 * Decodes the counter from CTR_W x CTR_H pixels given by get(ctx, x, y),
 * x and y from the top left of the counter's first block.
 */
static int
decode(uint32_t (*get)(void *, int, int), void *ctx, uint32_t *counter)
{
	static uint32_t buf[BUF_W * BUF_H];
	int x, y;

	for (y = 0; y < CTR_H; y++)
		for (x = 0; x < CTR_W; x++)
			buf[(size_t)(PAT_CTR_Y + y) * BUF_W + PAT_CTR_X + x] =
			    snap(get(ctx, x, y));
	return pat_decode_counter(buf, BUF_W, BUF_W, BUF_H, counter);
}

/* --- the reference: the qube's display socket --- */

static uint32_t
fb_get(void *ctx, int x, int y)
{
	rfbClient *cl = ctx;
	const uint8_t *p = cl->frameBuffer +
	    ((size_t)(PAT_CTR_Y + y) * (size_t)cl->width +
		(size_t)(PAT_CTR_X + x)) *
		4;

	/* libvncclient's default format: 32 bpp, red in the low byte */
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void
on_update(rfbClient *cl)
{
	double t = now_ms();
	struct value *v;
	uint32_t c;

	if (cl->width < BUF_W || cl->height < BUF_H ||
	    decode(fb_get, cl, &c) != 0)
		return;
	pthread_mutex_lock(&mu);
	if ((v = value_of(c)) != NULL && v->ref == 0)
		v->ref = t;
	pthread_mutex_unlock(&mu);
}

static void
quiet(const char *fmt, ...)
{
	(void)fmt;
}

static rfbClient *
connect_socket(const char *path, double timeout_ms)
{
	double t0 = now_ms();
	rfbClient *cl;
	int argc = 1;
	char *argv[] = { "view-latency", NULL };

	while (now_ms() - t0 < timeout_ms) {
		cl = rfbGetClient(8, 3, 4);
		free(cl->serverHost);
		cl->serverHost = strdup(path);
		cl->appData.encodingsString = "raw";
		cl->appData.shareDesktop = TRUE;
		cl->FinishedFrameBufferUpdate = on_update;
		cl->canHandleNewFBSize = TRUE;
		if (rfbInitClient(cl, &argc, argv))
			return cl;
		/* rfbInitClient freed cl */
		usleep(100000);
	}
	return NULL;
}

/* SCHED_FIFO for the calling thread; 1 if it has it. */
static int
realtime(void)
{
	struct sched_param sp = { .sched_priority = 10 };

	return pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
}

static int reader_rt;

static void *
reader(void *arg)
{
	rfbClient *cl = arg;
	int n;

	reader_rt = realtime();

	while (!stopping) {
		n = WaitForMessage(cl, 100000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			fprintf(stderr,
			    "view-latency: the display socket "
			    "closed\n");
			break;
		}
	}
	return NULL;
}

/* --- the screen --- */

struct grab {
	XImage *img;
	int dx, dy; /* the counter's top left in img */
};

static uint32_t
img_get(void *ctx, int x, int y)
{
	struct grab *g = ctx;

	return (uint32_t)XGetPixel(g->img, g->dx + x, g->dy + y);
}

static XImage *
shm_image(Display *dpy, XShmSegmentInfo *shm, int w, int h)
{
	int scr = DefaultScreen(dpy);
	XImage *img;

	img = XShmCreateImage(dpy, DefaultVisual(dpy, scr),
	    (unsigned)DefaultDepth(dpy, scr), ZPixmap, NULL, shm, (unsigned)w,
	    (unsigned)h);
	if (img == NULL)
		return NULL;
	shm->shmid = shmget(IPC_PRIVATE,
	    (size_t)img->bytes_per_line * (size_t)img->height,
	    IPC_CREAT | 0600);
	if (shm->shmid == -1) {
		XDestroyImage(img);
		return NULL;
	}
	shm->shmaddr = img->data = shmat(shm->shmid, NULL, 0);
	/* gone once both sides detach, whatever happens to us */
	shmctl(shm->shmid, IPC_RMID, NULL);
	if (shm->shmaddr == (char *)-1) {
		XDestroyImage(img);
		return NULL;
	}
	shm->readOnly = False;
	if (!XShmAttach(dpy, shm)) {
		shmdt(shm->shmaddr);
		XDestroyImage(img);
		return NULL;
	}
	XSync(dpy, False);
	return img;
}

static void
shm_free(Display *dpy, XImage *img, XShmSegmentInfo *shm)
{
	XShmDetach(dpy, shm);
	XSync(dpy, False);
	shmdt(shm->shmaddr);
	img->data = NULL;
	XDestroyImage(img);
}

/* The pixel left of, and the one above, the first block: not black and
 * not white (the panel), so the blocks are not found one pixel off. */
static int
edges_ok(struct grab *g)
{
	uint32_t l = snap((uint32_t)XGetPixel(g->img, g->dx - 1, g->dy));
	uint32_t u = snap((uint32_t)XGetPixel(g->img, g->dx, g->dy - 1));

	return l != 0 && l != 0xffffff && u != 0 && u != 0xffffff;
}

/*
 * Looks for t's counter within SEARCH px of where it should be; 1 and
 * t->x, t->y corrected if it is there.
 */
static int
find_target(Display *dpy, struct target *t)
{
	int sw = DisplayWidth(dpy, DefaultScreen(dpy));
	int sh = DisplayHeight(dpy, DefaultScreen(dpy));
	int x0 = t->x + PAT_CTR_X - SEARCH, y0 = t->y + PAT_CTR_Y - SEARCH;
	int w = CTR_W + 2 * SEARCH, h = CTR_H + 2 * SEARCH, dx, dy, best = -1;
	int bx = 0, by = 0;
	struct grab g;
	uint32_t c, corner;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x0 + w > sw)
		w = sw - x0;
	if (y0 + h > sh)
		h = sh - y0;
	if (w < CTR_W + 1 || h < CTR_H + 1)
		return 0;
	g.img = XGetImage(dpy, DefaultRootWindow(dpy), x0, y0, (unsigned)w,
	    (unsigned)h, AllPlanes, ZPixmap);
	if (g.img == NULL)
		return 0;
	for (dy = 1; dy + CTR_H <= h; dy++)
		for (dx = 1; dx + CTR_W <= w; dx++) {
			int d = abs(x0 + dx - (t->x + PAT_CTR_X)) +
			    abs(y0 + dy - (t->y + PAT_CTR_Y));

			if (best != -1 && d >= best)
				continue;
			g.dx = dx;
			g.dy = dy;
			/* cheap tests first: a block's corner, the panel */
			corner = snap(img_get(&g, 0, 0));
			if ((corner != 0 && corner != 0xffffff) ||
			    !edges_ok(&g))
				continue;
			if (decode(img_get, &g, &c) == 0) {
				best = d;
				bx = x0 + dx - PAT_CTR_X;
				by = y0 + dy - PAT_CTR_Y;
			}
		}
	XDestroyImage(g.img);
	if (best == -1)
		return 0;
	t->x = bx;
	t->y = by;
	return 1;
}

static void
poll_target(Display *dpy, int k)
{
	struct target *t = &tg[k];
	struct grab g = { t->img, 0, 0 };
	struct value *v;
	double t1;
	uint32_t c;

	if (!XShmGetImage(dpy, DefaultRootWindow(dpy), t->img, t->x + PAT_CTR_X,
		t->y + PAT_CTR_Y, AllPlanes))
		return;
	t1 = now_ms();
	t->polls++;
	if (decode(img_get, &g, &c) != 0) {
		t->undecoded++;
		return;
	}
	if (t->have_last && c == t->last)
		return;
	t->last = c;
	t->have_last = 1;
	pthread_mutex_lock(&mu);
	if ((v = value_of(c)) != NULL && v->scr[k] == 0)
		v->scr[k] = t1;
	pthread_mutex_unlock(&mu);
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
quantile(const double *d, int n, double q)
{
	int i = (int)(q * (n - 1) + 0.5);

	return d[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: view-latency --socket PATH [--seconds S] "
	    "[--warmup S] [--poll-us N]\n"
	    "                    [--find-seconds S] NAME:X:Y...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	double seconds = 20, warmup = 2, find_s = 20, t_end, first = 0,
	       last = 0;
	long poll_us = 1000;
	static double lat[MAX_VALUES];
	Display *dpy;
	rfbClient *cl;
	pthread_t th;
	int i, k, n, nref, missing = 0, major, minor, rt;
	Bool pix;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
			warmup = atof(argv[++i]);
		else if (strcmp(argv[i], "--find-seconds") == 0 && i + 1 < argc)
			find_s = atof(argv[++i]);
		else if (strcmp(argv[i], "--poll-us") == 0 && i + 1 < argc)
			poll_us = atol(argv[++i]);
		else if (argv[i][0] != '-' && ntg < MAX_TARGETS) {
			char *p = strchr(argv[i], ':');

			if (p == NULL ||
			    sscanf(p + 1, "%d:%d", &tg[ntg].x, &tg[ntg].y) != 2)
				usage();
			*p = '\0';
			tg[ntg++].name = argv[i];
		} else
			usage();
	}
	if (sock == NULL || ntg == 0 || seconds <= warmup || poll_us < 0)
		usage();
	rfbClientLog = quiet;
	rfbClientErr = quiet;
	if ((dpy = XOpenDisplay(NULL)) == NULL) {
		fprintf(stderr, "view-latency: cannot open the display\n");
		return 1;
	}
	if (!XShmQueryVersion(dpy, &major, &minor, &pix)) {
		fprintf(stderr, "view-latency: the X server has no MIT-SHM\n");
		return 1;
	}
	if ((cl = connect_socket(sock, 10000)) == NULL) {
		fprintf(stderr, "view-latency: cannot read %s\n", sock);
		return 1;
	}

	/* where each viewer shows the counter */
	t_end = now_ms() + find_s * 1000;
	for (;;) {
		n = 0;
		for (k = 0; k < ntg; k++)
			n += tg[k].found ||
			    (tg[k].found = find_target(dpy, &tg[k]));
		if (n == ntg || now_ms() > t_end)
			break;
		/* keep the socket read meanwhile */
		if (WaitForMessage(cl, 200000) > 0 &&
		    !HandleRFBServerMessage(cl))
			break;
	}
	for (k = 0; k < ntg; k++)
		if (tg[k].found &&
		    (tg[k].img = shm_image(dpy, &tg[k].shm, CTR_W, CTR_H)) ==
			NULL) {
			fprintf(stderr, "view-latency: no shared image\n");
			return 1;
		}

	pthread_mutex_lock(&mu);
	nvalues = 0; /* what came while looking does not count */
	pthread_mutex_unlock(&mu);
	t_start = now_ms();
	if (pthread_create(&th, NULL, reader, cl) != 0) {
		fprintf(stderr, "view-latency: pthread_create failed\n");
		return 1;
	}
	rt = realtime();
	t_end = t_start + seconds * 1000;
	while (now_ms() < t_end) {
		for (k = 0; k < ntg; k++)
			if (tg[k].found)
				poll_target(dpy, k);
		if (poll_us > 0)
			usleep((useconds_t)poll_us);
	}
	stopping = 1;
	pthread_join(th, NULL);

	nref = 0;
	for (i = 0; i < nvalues; i++)
		if (values[i].ref >= t_start + warmup * 1000) {
			if (nref++ == 0)
				first = values[i].ref;
			last = values[i].ref;
		}
	printf("reference frames %d span_ms %.0f realtime %d\n", nref,
	    last - first, rt && reader_rt);
	for (k = 0; k < ntg; k++) {
		int seen = 0, neg = 0;

		if (!tg[k].found) {
			printf("target %s not found\n", tg[k].name);
			missing++;
			continue;
		}
		n = 0;
		for (i = 0; i < nvalues; i++) {
			if (values[i].scr[k] == 0 ||
			    values[i].scr[k] < t_start + warmup * 1000)
				continue;
			seen++;
			if (values[i].ref >= t_start + warmup * 1000 &&
			    (lat[n++] = values[i].scr[k] - values[i].ref) < 0)
				neg++;
		}
		qsort(lat, (size_t)n, sizeof(lat[0]), dcmp);
		printf("target %s at %d,%d frames %d matched %d", tg[k].name,
		    tg[k].x, tg[k].y, seen, n);
		if (n > 0)
			printf(" median %.1f p95 %.1f min %.1f max %.1f ms",
			    quantile(lat, n, 0.5), quantile(lat, n, 0.95),
			    lat[0], lat[n - 1]);
		printf(" negative %d polls %ld undecoded %ld\n", neg,
		    tg[k].polls, tg[k].undecoded);
		shm_free(dpy, tg[k].img, &tg[k].shm);
	}
	free(cl->frameBuffer);
	cl->frameBuffer = NULL;
	rfbClientCleanup(cl);
	XCloseDisplay(dpy);
	return nref > 0 && missing == 0 ? 0 : 1;
}
