/*
 * testqube: the program a Tessera test qube runs.
 *
 * Draws the picture of pattern.h on the qube's display through DRM/KMS dumb
 * buffers (two buffers and page flips, or one buffer and DIRTYFB), echoes
 * keys typed on any keyboard and follows an absolute pointer (tablet), and
 * animates the frame counter at tessera.fps frames per second.  Talks to the
 * test harness through the serial console:
 *
 *   TESSERA-QUBE-READY <W>x<H> driver=<name> present=<flip|dirty> fps=<n>
 *       once the first frame is on the display;
 *   TESSERA-QUBE-MODE <W>x<H>
 *       each time it follows a new preferred mode of its display (see below);
 *   TESSERA-QUBE-ERROR: <what>
 *       when it gives up (the init script then powers the qube off).
 *
 * Options (kernel command line, read from /proc/cmdline):
 *   tessera.fps=N          frames per second of the counter, 0 = static (default 10)
 *   tessera.size=WxH       mode to set, kept; "preferred" (the default): the
 *                          connector's preferred mode, followed when it changes
 *   tessera.spoof=COLOUR   draw a fake trust frame in COLOUR (label name or #rrggbb)
 *   tessera.title=TEXT     the fake frame's title (quote it if it has spaces)
 *   tessera.scroll=N       move the gradient N px per frame (large damage)
 *   tessera.present=flip|dirty   page flips (default) or DIRTYFB on one buffer
 *   tessera.debug=1        log input events on the console
 *
 * Without tessera.size the display follows its preferred mode: when the host
 * changes it (virtio-gpu turns a display size request of the host's VNC
 * client into a hotplug event and a new EDID), the kernel sends a uevent;
 * testqube listens for uevents of the drm subsystem and also probes the
 * connector every DISPLAY_SCAN_MS in case one is missed, then sets the new
 * preferred mode on new buffers and draws the whole picture again.
 *
 * No libdrm: the few ioctls it needs are called directly, so the program
 * links statically with nothing but libc.
 *
 * This file: the options, the console messages and the main loop; the
 * display is testqube_drm.c's, the keyboards and the tablet
 * testqube_input.c's (testqube.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testqube.h"

#define RESCAN_MS 2000
#define INPUT_WAIT_MS 3000 /* for a keyboard and a tablet before READY */
#define FLIP_TIMEOUT_MS 5000
#define DISPLAY_SCAN_MS 2000 /* probe the connector for a new preferred mode */

void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	printf("TESSERA-QUBE-ERROR: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", strerror(e));
	fflush(stdout);
	exit(1);
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- options ---- */

static void
set_option(struct options *o, const char *key, const char *val)
{
	char *end;
	long n;

	if (strcmp(key, "tessera.fps") == 0) {
		n = strtol(val, &end, 10);
		if (*end == '\0' && n >= 0 && n <= 1000)
			o->fps = (int)n;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.fps");
	} else if (strcmp(key, "tessera.size") == 0) {
		int w, h;
		char x;
		if (strcmp(val, "preferred") == 0)
			o->want_w = o->want_h = 0;
		else if (sscanf(val, "%d%c%d", &w, &x, &h) == 3 && x == 'x' &&
		    w >= PAT_MIN_W && w <= PAT_MAX_W && h >= PAT_MIN_H &&
		    h <= PAT_MAX_H) {
			o->want_w = w;
			o->want_h = h;
		} else
			say("TESSERA-QUBE-WARNING: bad tessera.size");
	} else if (strcmp(key, "tessera.spoof") == 0) {
		if (pat_parse_colour(val, &o->pat.spoof_rgb) == 0)
			o->pat.spoof = 1;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.spoof");
	} else if (strcmp(key, "tessera.title") == 0) {
		snprintf(o->pat.title, sizeof(o->pat.title), "%s", val);
	} else if (strcmp(key, "tessera.scroll") == 0) {
		n = strtol(val, &end, 10);
		if (*end == '\0' && n >= 0 && n <= 4096)
			o->pat.scroll = (int)n;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.scroll");
	} else if (strcmp(key, "tessera.present") == 0) {
		if (strcmp(val, "dirty") == 0)
			o->present_dirty = 1;
		else if (strcmp(val, "flip") == 0)
			o->present_dirty = 0;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.present");
	} else if (strcmp(key, "tessera.debug") == 0) {
		o->debug = atoi(val);
	}
}

/* Split the kernel command line the way the kernel does: words separated by
 * spaces, double quotes group (and are removed). */
static void
parse_cmdline(struct options *o, char *p)
{
	char word[512];

	while (*p) {
		size_t n = 0;
		int quoted = 0;
		char *eq;

		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (
		    *p && (quoted || (*p != ' ' && *p != '\n' && *p != '\t'))) {
			if (*p == '"')
				quoted = !quoted;
			else if (n + 1 < sizeof(word))
				word[n++] = *p;
			p++;
		}
		word[n] = '\0';
		if ((eq = strchr(word, '=')) != NULL) {
			*eq = '\0';
			set_option(o, word, eq + 1);
		}
	}
}

static void
read_options(struct options *o)
{
	char line[4096];
	FILE *f;

	memset(o, 0, sizeof(*o));
	o->fps = 10;
	pat_opts_init(&o->pat);
	if ((f = fopen("/proc/cmdline", "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL)
		parse_cmdline(o, line);
	fclose(f);
}

/* ---- main loop ---- */

int
main(void)
{
	static struct qube q;
	int64_t next_tick, next_scan, next_display, period;
	int i, nfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	read_options(&q.opt);
	pat_state_init(&q.st);
	drm_setup(&q);

	q.nbuf = q.opt.present_dirty ? 1 : 2;
	for (i = 0; i < q.nbuf; i++)
		if (buffer_create(&q, &q.buf[i]) < 0) {
			if (i == 0)
				die("cannot create a %dx%d dumb buffer", q.w,
				    q.h);
			say("TESSERA-QUBE-WARNING: one buffer only (%s): using DIRTYFB",
			    strerror(errno));
			q.nbuf = 1;
		}
	{
		struct pat_rect dmg[PAT_MAX_DAMAGE];
		int n = render(&q, &q.buf[0], dmg);
		if (set_crtc(&q, &q.buf[0]) < 0)
			die("SETCRTC %dx%d", q.w, q.h);
		dirty_fb(&q, &q.buf[0], dmg, n);
		q.front = 0;
	}
	/* The first key must not be lost: wait (a little) for the input devices. */
	{
		int64_t until = now_us() + INPUT_WAIT_MS * 1000;
		for (;;) {
			int keys = 0, abs = 0;
			input_scan(&q);
			for (i = 0; i < q.nin; i++) {
				keys |= q.in[i].keys;
				abs |= q.in[i].abs;
			}
			if ((keys && abs) || now_us() > until)
				break;
			usleep(50 * 1000);
		}
	}
	q.uevent_fd = q.opt.want_w ? -1 : uevent_open();
	say("TESSERA-QUBE-READY %dx%d driver=%s present=%s fps=%d", q.w, q.h,
	    q.driver, q.nbuf == 2 ? "flip" : "dirty", q.opt.fps);

	period = q.opt.fps > 0 ? 1000000 / q.opt.fps : 0;
	next_scan = now_us() + RESCAN_MS * 1000;
	next_display = now_us() + DISPLAY_SCAN_MS * 1000;
	next_tick = now_us() + period;
	for (;;) {
		struct pollfd pfd[MAX_INPUTS + 2];
		int64_t t = now_us(), wait = next_scan - t;
		int n;

		if (period && next_tick - t < wait)
			wait = next_tick - t;
		if (!q.opt.want_w && next_display - t < wait)
			wait = next_display - t;
		if (q.flip_pending &&
		    q.flip_time + FLIP_TIMEOUT_MS * 1000 - t < wait)
			wait = q.flip_time + FLIP_TIMEOUT_MS * 1000 - t;
		if (wait < 0)
			wait = 0;
		pfd[0].fd = q.fd;
		pfd[0].events = POLLIN;
		for (i = 0; i < q.nin; i++) {
			pfd[i + 1].fd = q.in[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		nfd = q.nin + 1;
		if (q.uevent_fd >= 0) {
			pfd[nfd].fd = q.uevent_fd;
			pfd[nfd++].events = POLLIN;
		}
		n = poll(pfd, (nfds_t)nfd, (int)((wait + 999) / 1000));
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0 && (pfd[0].revents & POLLIN))
			drm_events(&q);
		if (n > 0 && q.uevent_fd >= 0 && pfd[nfd - 1].revents &&
		    uevent_read(q.uevent_fd))
			follow_display(&q);
		if (q.mode_check && !q.flip_pending)
			follow_display(&q);
		for (i = q.nin - 1; n > 0 && i >= 0; i--)
			if (pfd[i + 1].revents && input_read(&q, &q.in[i]) < 0)
				input_drop(&q, i);

		t = now_us();
		if (period && t >= next_tick) {
			q.st.counter++;
			next_tick += period;
			if (next_tick <=
			    t) /* fell behind: do not catch up in a burst */
				next_tick = t + period;
		}
		if (t >= next_scan) {
			input_scan(&q);
			next_scan = t + RESCAN_MS * 1000;
		}
		if (!q.opt.want_w && t >= next_display) {
			follow_display(&q);
			next_display = t + DISPLAY_SCAN_MS * 1000;
		}
		if (q.flip_pending &&
		    t - q.flip_time > FLIP_TIMEOUT_MS * 1000) {
			say("TESSERA-QUBE-WARNING: no page flip event after %d ms",
			    FLIP_TIMEOUT_MS);
			q.flip_pending = 0;
			q.front = !q.front;
		}
		if (!q.flip_pending &&
		    !state_equal(&q.buf[q.nbuf == 2 ? q.front : 0].drawn,
			&q.st))
			present(&q);
	}
}
