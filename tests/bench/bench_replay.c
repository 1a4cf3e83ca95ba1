/*
 * bench-replay: replays a recording (rec.h) into a framebuffer source, at
 * a fixed rate, each frame stamped with its number (rec_code_stamp).
 *
 *   bench-replay --rec FILE --times FILE (--vnc-socket PATH | --x-display :N)
 *       [--fps N] [--frames N]
 *
 *   --vnc-socket  a VNC server on a unix socket, the way a qube's device
 *                 model serves its display (libvncserver; only the tiles
 *                 that changed are marked modified, and the update goes
 *                 out at once to a viewer that has asked for one);
 *   --x-display   a full-screen override-redirect window on that X
 *                 display; only the tiles that changed are put (XPutImage).
 *
 * Frame 0 is shown at once and "ready" printed; SIGUSR1 starts the pacing:
 * frame i at start + (i - 1) / fps.  When each frame is on the screen its
 * time goes into the timestamp file (rec_times); after the last one "done"
 * is set there and on stdout.  It serves on until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <rfb/rfb.h>

#include "rec.h"

#define MAX_RECTS 512

static volatile sig_atomic_t go, quit;
static struct rec rec;
static struct rec_times *times;
static uint32_t *shown, *next;
static int fps, nframes;
static struct rec_rect rects[MAX_RECTS];

/* VNC */
static rfbScreenInfoPtr screen;
static int lsock = -1;

/* X */
static Display *dpy;
static Window win;
static GC gc;
static XImage *img;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		quit = 1;
}

static void
rfb_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static int
vnc_setup(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	rfbLog = rfb_quiet;
	rfbErr = rfb_quiet;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lsock, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lsock, 4) == -1)
		return -1;
	if ((screen = rfbGetScreen(NULL, NULL, (int)rec.w, (int)rec.h, 8, 3,
		 4)) == NULL)
		return -1;
	screen->serverFormat.redShift = 16;
	screen->serverFormat.greenShift = 8;
	screen->serverFormat.blueShift = 0;
	screen->frameBuffer = (char *)shown;
	screen->desktopName = "bench-replay";
	screen->autoPort = FALSE;
	screen->port = -1;
	screen->ipv6port = -1;
	screen->httpPort = -1;
	screen->http6Port = -1;
	screen->httpDir = NULL;
	screen->alwaysShared = TRUE;
	screen->deferUpdateTime = 0;
	rfbInitServer(screen);
	return 0;
}

/* Serves viewers for up to ms milliseconds. */
static void
vnc_serve(int ms)
{
	struct pollfd p = { .fd = lsock, .events = POLLIN };
	int fd;

	if (poll(&p, 1, 0) == 1 &&
	    (fd = accept4(lsock, NULL, NULL, SOCK_CLOEXEC)) != -1)
		rfbNewClient(screen, fd);
	rfbProcessEvents(screen, ms > 0 ? ms * 1000L : 0);
}

static int
x_setup(const char *display)
{
	XSetWindowAttributes a = { .override_redirect = True,
		.background_pixel = 0 };
	XEvent ev;
	int scr;

	if ((dpy = XOpenDisplay(display)) == NULL)
		return -1;
	scr = DefaultScreen(dpy);
	if (DefaultDepth(dpy, scr) != 24)
		return -1;
	win = XCreateWindow(dpy, RootWindow(dpy, scr), 0, 0, rec.w, rec.h, 0,
	    CopyFromParent, InputOutput, CopyFromParent,
	    CWOverrideRedirect | CWBackPixel, &a);
	XSelectInput(dpy, win, StructureNotifyMask);
	XMapRaised(dpy, win);
	do
		XNextEvent(dpy, &ev);
	while (ev.type != MapNotify);
	gc = XCreateGC(dpy, win, 0, NULL);
	img = XCreateImage(dpy, DefaultVisual(dpy, scr), 24, ZPixmap, 0,
	    (char *)next, rec.w, rec.h, 32, (int)rec.w * 4);
	return img == NULL ? -1 : 0;
}

/* Puts frame k (decoded in rec.cur) on the screen. */
static void
show(int k)
{
	int n, i, y;

	memcpy(next, rec.cur, (size_t)rec.w * rec.h * 4);
	rec_code_stamp(next, rec.w, 0, 0, (uint32_t)k);
	n = rec_diff(shown, next, (int)rec.w, (int)rec.h, rects, MAX_RECTS);
	for (i = 0; i < n; i++) {
		if (dpy)
			XPutImage(dpy, win, gc, img, rects[i].x, rects[i].y,
			    rects[i].x, rects[i].y, (unsigned)rects[i].w,
			    (unsigned)rects[i].h);
		for (y = rects[i].y; y < rects[i].y + rects[i].h; y++)
			memcpy(shown + (size_t)y * rec.w + rects[i].x,
			    next + (size_t)y * rec.w + rects[i].x,
			    (size_t)rects[i].w * 4);
		if (screen)
			rfbMarkRectAsModified(screen, rects[i].x, rects[i].y,
			    rects[i].x + rects[i].w, rects[i].y + rects[i].h);
	}
	if (dpy)
		XSync(dpy, False);
	times->t[k] = rec_now_ns();
	/* Out now to a viewer that has asked, as a device model does:
	 * rfbProcessEvents sends only after its wait for input, which would
	 * hold every other frame back until the next one is due. */
	if (screen)
		rfbProcessEvents(screen, 0);
}

static void
wait_ms(int ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	if (screen) {
		vnc_serve(ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rec", required_argument, NULL, 'r' },
		{ "times", required_argument, NULL, 't' },
		{ "vnc-socket", required_argument, NULL, 'v' },
		{ "x-display", required_argument, NULL, 'x' },
		{ "fps", required_argument, NULL, 'f' },
		{ "frames", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *recf = NULL, *timesf = NULL, *vsock = NULL, *xdisp = NULL;
	struct sigaction sa;
	int64_t start = 0, due, now;
	int ch, k = 1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			recf = optarg;
			break;
		case 't':
			timesf = optarg;
			break;
		case 'v':
			vsock = optarg;
			break;
		case 'x':
			xdisp = optarg;
			break;
		case 'f':
			fps = atoi(optarg);
			break;
		case 'n':
			nframes = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!recf || !timesf || !vsock == !xdisp || optind != argc) {
		fprintf(stderr,
		    "usage: bench-replay --rec FILE --times FILE "
		    "(--vnc-socket PATH | --x-display :N) [--fps N] "
		    "[--frames N]\n");
		return 2;
	}
	if (rec_open(&rec, recf) == -1 || rec_next(&rec) == -1) {
		fprintf(stderr, "bench-replay: cannot read %s\n", recf);
		return 1;
	}
	if (fps <= 0)
		fps = (int)rec.fps;
	if (nframes <= 0 || nframes > (int)rec.n)
		nframes = (int)rec.n;
	if (rec.w < REC_CODE_W || rec.h < REC_CODE_H || fps <= 0)
		return 1;
	if ((times = rec_times_map(timesf, (uint32_t)nframes, 1)) == NULL) {
		fprintf(stderr, "bench-replay: cannot make %s\n", timesf);
		return 1;
	}
	shown = calloc((size_t)rec.w * rec.h, 4);
	next = calloc((size_t)rec.w * rec.h, 4);
	if (shown == NULL || next == NULL)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (vsock && vnc_setup(vsock) == -1) {
		fprintf(stderr, "bench-replay: cannot serve on %s\n", vsock);
		return 1;
	}
	if (xdisp && x_setup(xdisp) == -1) {
		fprintf(stderr, "bench-replay: cannot use X display %s\n",
		    xdisp);
		return 1;
	}
	/* frame 0 is on the screen before anything is measured */
	for (int i = 0; i < 2; i++)
		show(0);
	printf("ready %ux%u %d frames at %d fps\n", rec.w, rec.h, nframes, fps);
	fflush(stdout);
	while (!quit) {
		if (!go || k >= nframes) {
			wait_ms(20);
			continue;
		}
		if (start == 0) {
			start = rec_now_ns();
			times->started = 1;
		}
		due = start + (int64_t)(k - 1) * 1000000000 / fps;
		now = rec_now_ns();
		if (now < due) {
			wait_ms((int)((due - now + 999999) / 1000000));
			continue;
		}
		if (rec_next(&rec) == -1) {
			fprintf(stderr,
			    "bench-replay: %s: frame %d unreadable\n", recf, k);
			return 1;
		}
		show(k);
		if (++k == nframes) {
			times->done = 1;
			printf("done\n");
			fflush(stdout);
		}
	}
	if (screen) {
		rfbShutdownServer(screen, TRUE);
		rfbScreenCleanup(screen);
	}
	if (lsock != -1) {
		close(lsock);
		unlink(vsock);
	}
	if (dpy) {
		img->data = NULL;
		XDestroyImage(img);
		XCloseDisplay(dpy);
	}
	rec_close(&rec);
	free(shown);
	free(next);
	return 0;
}
