/*
 * rdp-harness: tessera-render's RDP output (render-server/rdp*.c) on its
 * own, for tests and benchmarks with real RDP clients.
 *
 *   rdp-harness --cert PEM --key PEM --user U --pass P
 *       (--synthetic WxH [--fps N] | --vnc SOCK)
 *       [--listen ADDR] [--port N] [--name NAME] [--label COLOUR]
 *       [--port-file F] [--input-log F] [--stats F] [--seconds N]
 *       [--handshake-ms N] [--stall-ms N] [--max-peers N] [--max-fps N]
 *       [--unauth-per-addr N]
 *
 * It provides what the rest of tessera-render provides to the RDP output: a
 * shared framebuffer (struct rs_fb, fb.c's listeners) and rs_input_*.
 *   --synthetic  the test qube's picture (tests/images/pattern.h) drawn
 *                here, its counter advancing N times a second; keys typed
 *                (XT scancodes, US layout) go to its echo line as in the
 *                real qube, the pointer to its status line and marker;
 *   --vnc        a real qube's screen from QEMU's VNC unix socket
 *                (libvncclient, raw encoding); keys go back as QEMU
 *                extended key events, the pointer as pointer events.
 * Every key and pointer event is also written to --input-log.  --stats
 * gets rdp_get_stats() twice a second ("peers N accepted N refused N
 * timed_out N frames N").  The bound port goes to stdout ("PORT n") and
 * --port-file.  Ends on SIGTERM/SIGINT or after --seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "label.h"
#include "log.h"
#include "pattern.h"
#include "rdp.h"
#include "rs.h"

static struct rs_fb fb = { .lock = PTHREAD_MUTEX_INITIALIZER };
static volatile sig_atomic_t quit;
static pthread_mutex_t in_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *input_log;
static const char *opt_user, *opt_pass;

/* synthetic qube */
static struct pat_opts pat_o;
static struct pat_state pat_s; /* under fb.lock */
static int syn_fps = 10;

/* VNC qube */
static rfbClient *vnc;

/* fb.lock held. */
static void
fb_damage(int x, int y, int w, int h)
{
	struct rs_rect r = { x, y, w, h };

	rs_fb_damage_locked(&fb, &r);
}

static int
fb_resize(int w, int h)
{
	uint32_t *pix;
	int i;

	pix = calloc((size_t)w * (size_t)h, 4);
	if (pix == NULL)
		return -1;
	free(fb.pix);
	fb.pix = pix;
	fb.w = w;
	fb.h = h;
	for (i = 0; i < fb.nlisteners; i++)
		if (fb.listeners[i].resize)
			fb.listeners[i].resize(fb.listeners[i].arg, w, h);
	return 0;
}

/* ---- the synthetic qube ---- */

/* US layout, unshifted and shifted, for XT scancodes 0x02..0x39. */
static const char xt_plain[] = "\0\0"
			       "1234567890-=\0\0"
			       "qwertyuiop[]\0\0"
			       "asdfghjkl;'`\0\\"
			       "zxcvbnm,./\0*\0 ";
static const char xt_shift[] = "\0\0"
			       "!@#$%^&*()_+\0\0"
			       "QWERTYUIOP{}\0\0"
			       "ASDFGHJKL:\"~\0|"
			       "ZXCVBNM<>?\0*\0 ";

static void
syn_redraw(const struct pat_state *old)
{
	struct pat_rect d[PAT_MAX_DAMAGE];
	int i, n;

	n = pat_damage(fb.w, fb.h, &pat_o, old, &pat_s, d);
	for (i = 0; i < n; i++) {
		pat_draw(fb.pix, (size_t)fb.w, fb.w, fb.h, &pat_o, &pat_s,
		    d[i]);
		fb_damage(d[i].x0, d[i].y0, d[i].x1 - d[i].x0,
		    d[i].y1 - d[i].y0);
	}
	fb.frames++;
}

static void
syn_key(unsigned xt, int down)
{
	static int shift;
	struct pat_state old;
	size_t len;
	char c = 0;

	if (xt == 0x2a || xt == 0x36) {
		shift = down;
		return;
	}
	if (!down)
		return;
	pthread_mutex_lock(&fb.lock);
	old = pat_s;
	len = strlen(pat_s.echo);
	if (xt == 0x1c) {
		pat_s.echo[0] = '\0';
	} else if (xt == 0x0e) {
		if (len > 0)
			pat_s.echo[len - 1] = '\0';
	} else if (xt < sizeof(xt_plain) - 1) {
		c = shift ? xt_shift[xt] : xt_plain[xt];
		if (c != 0 && len < PAT_ECHO_MAX) {
			pat_s.echo[len] = c;
			pat_s.echo[len + 1] = '\0';
		}
	}
	pat_s.key = xt & 0x7f; /* evdev code == XT for the main block */
	syn_redraw(&old);
	pthread_mutex_unlock(&fb.lock);
}

static void *
syn_thread(void *arg)
{
	struct pat_state old;
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&fb.lock);
	pat_draw(fb.pix, (size_t)fb.w, fb.w, fb.h, &pat_o, &pat_s,
	    (struct pat_rect){ 0, 0, fb.w, fb.h });
	fb_damage(0, 0, fb.w, fb.h);
	fb.connected = 1;
	pthread_mutex_unlock(&fb.lock);
	while (!quit) {
		if (syn_fps <= 0) {
			usleep(100 * 1000);
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000000L / syn_fps;
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&fb.lock);
		old = pat_s;
		pat_s.counter++;
		syn_redraw(&old);
		pthread_mutex_unlock(&fb.lock);
	}
	return NULL;
}

/* ---- the VNC qube ---- */

static rfbBool
vnc_alloc(rfbClient *cl)
{
	size_t n = (size_t)cl->width * (size_t)cl->height;
	uint8_t *buf;

	if (cl->width <= 0 || cl->height <= 0 || cl->width > PAT_MAX_W ||
	    cl->height > PAT_MAX_H)
		return FALSE;
	buf = realloc(cl->frameBuffer, n * 4);
	if (buf == NULL)
		return FALSE;
	cl->frameBuffer = buf;
	pthread_mutex_lock(&fb.lock);
	fb_resize(cl->width, cl->height);
	pthread_mutex_unlock(&fb.lock);
	return TRUE;
}

static void
vnc_update(rfbClient *cl, int x, int y, int w, int h)
{
	const uint32_t *src = (const uint32_t *)cl->frameBuffer;
	int row;

	pthread_mutex_lock(&fb.lock);
	if (cl->width == fb.w && cl->height == fb.h && x >= 0 && y >= 0 &&
	    w > 0 && h > 0 && x + w <= fb.w && y + h <= fb.h) {
		for (row = y; row < y + h; row++)
			memcpy(&fb.pix[(size_t)row * (size_t)fb.w + (size_t)x],
			    &src[(size_t)row * (size_t)fb.w + (size_t)x],
			    (size_t)w * 4);
		fb_damage(x, y, w, h);
	}
	pthread_mutex_unlock(&fb.lock);
}

static void
vnc_finished(rfbClient *cl)
{
	(void)cl;
	pthread_mutex_lock(&fb.lock);
	fb.frames++;
	pthread_mutex_unlock(&fb.lock);
}

static void
vnc_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static int
vnc_connect(const char *path)
{
	int i;

	rfbClientLog = vnc_quiet;
	for (i = 0; i < 100; i++) {
		rfbClient *cl = rfbGetClient(8, 3, 4);
		if (cl == NULL)
			return -1;
		cl->format.redShift = 16;
		cl->format.greenShift = 8;
		cl->format.blueShift = 0;
		cl->format.redMax = cl->format.greenMax = cl->format.blueMax =
		    255;
		cl->appData.encodingsString = "raw";
		cl->MallocFrameBuffer = vnc_alloc;
		cl->GotFrameBufferUpdate = vnc_update;
		cl->FinishedFrameBufferUpdate = vnc_finished;
		cl->canHandleNewFBSize = TRUE;
		free(cl->serverHost);
		cl->serverHost = strdup(path);
		cl->serverPort = 0;
		if (rfbInitClient(cl, NULL, NULL)) {
			vnc = cl;
			pthread_mutex_lock(&fb.lock);
			fb.connected = 1;
			pthread_mutex_unlock(&fb.lock);
			return 0;
		}
		usleep(100 * 1000);
	}
	return -1;
}

static void *
vnc_thread(void *arg)
{
	time_t last_full = time(NULL);
	int n;

	(void)arg;
	while (!quit) {
		n = WaitForMessage(vnc, 100 * 1000);
		if (n < 0)
			break;
		if (n > 0 && !HandleRFBServerMessage(vnc))
			break;
		/* QEMU 7.2 can drop an update around page flips
		 * (tests/images/README.md): ask for everything now and then. */
		if (time(NULL) - last_full >= 3) {
			pthread_mutex_lock(&in_lock);
			SendFramebufferUpdateRequest(vnc, 0, 0, vnc->width,
			    vnc->height, FALSE);
			pthread_mutex_unlock(&in_lock);
			last_full = time(NULL);
		}
	}
	pthread_mutex_lock(&fb.lock);
	fb.connected = 0;
	pthread_mutex_unlock(&fb.lock);
	if (!quit)
		fprintf(stderr, "rdp-harness: the VNC connection ended\n");
	quit = 1;
	return NULL;
}

/* ---- input from the RDP output ---- */

void
rs_input_key(uint32_t keysym, uint32_t xt_scancode, int down)
{
	pthread_mutex_lock(&in_lock);
	if (input_log) {
		fprintf(input_log, "key keysym 0x%x xt 0x%x %s\n", keysym,
		    xt_scancode, down ? "down" : "up");
		fflush(input_log);
	}
	if (vnc != NULL && xt_scancode != 0)
		SendExtendedKeyEvent(vnc, keysym, xt_scancode,
		    down ? TRUE : FALSE);
	else if (vnc != NULL && keysym != 0)
		SendKeyEvent(vnc, keysym, down ? TRUE : FALSE);
	pthread_mutex_unlock(&in_lock);
	if (vnc == NULL && xt_scancode != 0)
		syn_key(xt_scancode, down);
}

void
rs_input_pointer(int x, int y, int buttons)
{
	struct pat_state old;

	pthread_mutex_lock(&in_lock);
	if (input_log) {
		fprintf(input_log, "pointer %d %d buttons %d\n", x, y, buttons);
		fflush(input_log);
	}
	if (vnc != NULL)
		SendPointerEvent(vnc, x, y, buttons);
	pthread_mutex_unlock(&in_lock);
	if (vnc == NULL) {
		pthread_mutex_lock(&fb.lock);
		old = pat_s;
		pat_s.ptr_x = x < 0 ? 0 : x >= fb.w ? fb.w - 1 : x;
		pat_s.ptr_y = y < 0 ? 0 : y >= fb.h ? fb.h - 1 : y;
		pat_s.buttons = (unsigned)((buttons & 1) |
		    (buttons & 4 ? 2 : 0) | (buttons & 2 ? 4 : 0));
		syn_redraw(&old);
		pthread_mutex_unlock(&fb.lock);
	}
}

/* Size requests: written to --input-log; the synthetic qube takes the
 * size at once, a VNC qube is asked with SetDesktopSize. */
int
rs_input_resize(int w, int h)
{
	int rc = 0;

	pthread_mutex_lock(&in_lock);
	if (input_log) {
		fprintf(input_log, "resize %d %d\n", w, h);
		fflush(input_log);
	}
	if (vnc != NULL && !SendExtDesktopSize(vnc, (uint16_t)w, (uint16_t)h))
		rc = -1;
	pthread_mutex_unlock(&in_lock);
	if (vnc == NULL) {
		pthread_mutex_lock(&fb.lock);
		if (fb_resize(w, h) == 0) {
			if (pat_s.ptr_x >= w)
				pat_s.ptr_x = w - 1;
			if (pat_s.ptr_y >= h)
				pat_s.ptr_y = h - 1;
			pat_draw(fb.pix, (size_t)fb.w, fb.w, fb.h, &pat_o,
			    &pat_s, (struct pat_rect){ 0, 0, fb.w, fb.h });
			fb_damage(0, 0, fb.w, fb.h);
		} else {
			rc = -1;
		}
		pthread_mutex_unlock(&fb.lock);
	}
	return rc;
}

/* ---- main ---- */

static int
auth(const char *user, const char *pass)
{
	return strcmp(user, opt_user) == 0 && strcmp(pass, opt_pass) == 0 ? 0 :
									    -1;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rdp-harness --cert PEM --key PEM --user U --pass P "
	    "(--synthetic WxH [--fps N] | --vnc SOCK) [--listen ADDR] [--port N] "
	    "[--name NAME] [--label COLOUR] [--port-file F] [--input-log F] [--stats F] "
	    "[--seconds N] [--handshake-ms N] [--stall-ms N] [--max-peers N] "
	    "[--max-fps N] [--unauth-per-addr N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cert", 1, 0, 'c' },
		{ "key", 1, 0, 'k' },
		{ "user", 1, 0, 'u' },
		{ "pass", 1, 0, 'p' },
		{ "synthetic", 1, 0, 's' },
		{ "fps", 1, 0, 'f' },
		{ "vnc", 1, 0, 'v' },
		{ "listen", 1, 0, 'l' },
		{ "port", 1, 0, 'P' },
		{ "name", 1, 0, 'n' },
		{ "label", 1, 0, 'L' },
		{ "port-file", 1, 0, 'F' },
		{ "input-log", 1, 0, 'I' },
		{ "stats", 1, 0, 'S' },
		{ "seconds", 1, 0, 'T' },
		{ "handshake-ms", 1, 0, 'H' },
		{ "stall-ms", 1, 0, 'W' },
		{ "max-peers", 1, 0, 'M' },
		{ "max-fps", 1, 0, 'R' },
		{ "unauth-per-addr", 1, 0, 'A' },
		{ 0, 0, 0, 0 },
	};
	const char *cert = NULL, *key = NULL, *vnc_path = NULL,
		   *listen_addr = "127.0.0.1";
	const char *port_file = NULL, *stats_file = NULL, *label = "blue",
		   *name = "work";
	struct rdp_limits lim = { 0 };
	struct rdp_stats st;
	struct rs_qube q;
	pthread_t t;
	char err[256];
	int c, port = 0, sw = 0, sh = 0, seconds = 0;
	long long ticks = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'u':
			opt_user = optarg;
			break;
		case 'p':
			opt_pass = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &sw, &sh) != 2 ||
			    sw < PAT_MIN_W || sh < PAT_MIN_H ||
			    sw > PAT_MAX_W || sh > PAT_MAX_H)
				usage();
			break;
		case 'f':
			syn_fps = atoi(optarg);
			break;
		case 'v':
			vnc_path = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'P':
			port = atoi(optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'L':
			label = optarg;
			break;
		case 'F':
			port_file = optarg;
			break;
		case 'I':
			input_log = fopen(optarg, "w");
			if (input_log == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		case 'S':
			stats_file = optarg;
			break;
		case 'T':
			seconds = atoi(optarg);
			break;
		case 'H':
			lim.handshake_ms = atoi(optarg);
			break;
		case 'W':
			lim.stall_ms = atoi(optarg);
			break;
		case 'M':
			lim.max_peers = atoi(optarg);
			break;
		case 'R':
			lim.max_fps = atoi(optarg);
			break;
		case 'A':
			lim.unauth_per_addr = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!cert || !key || !opt_user || !opt_pass ||
	    (sw == 0) == (vnc_path == NULL))
		usage();
	log_init("rdp-harness", 1, 0);
	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "%s", name);
	if (tsr_label_parse(label, &q.label) != 0) {
		fprintf(stderr, "rdp-harness: bad label %s\n", label);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	if (sw > 0) {
		pat_opts_init(&pat_o);
		pat_state_init(&pat_s);
		pthread_mutex_lock(&fb.lock);
		if (fb_resize(sw, sh) != 0)
			return 1;
		pthread_mutex_unlock(&fb.lock);
	} else if (vnc_connect(vnc_path) != 0) {
		fprintf(stderr, "rdp-harness: cannot connect to %s\n",
		    vnc_path);
		return 1;
	}
	rdp_set_limits(&lim);
	if (rdp_start(&fb, &q, listen_addr, &port, cert, key, auth, err,
		sizeof(err)) != 0) {
		fprintf(stderr, "rdp-harness: %s\n", err);
		return 1;
	}
	if (pthread_create(&t, NULL, sw > 0 ? syn_thread : vnc_thread, NULL) !=
	    0)
		return 1;
	printf("PORT %d\n", port);
	fflush(stdout);
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (f == NULL || fprintf(f, "%d\n", port) < 0 ||
		    fclose(f) != 0) {
			perror(port_file);
			return 1;
		}
	}
	while (!quit && (seconds == 0 || ticks < seconds * 10LL)) {
		usleep(100 * 1000);
		ticks++;
		if (stats_file && ticks % 5 == 0) {
			char tmp[4096];
			FILE *f;
			rdp_get_stats(&st);
			snprintf(tmp, sizeof(tmp), "%s.tmp", stats_file);
			f = fopen(tmp, "w");
			if (f != NULL) {
				fprintf(f,
				    "peers %d accepted %lu refused %lu timed_out %lu frames %lu\n",
				    st.peers, st.accepted, st.refused,
				    st.timed_out, st.frames);
				fclose(f);
				rename(tmp, stats_file);
			}
		}
	}
	quit = 1;
	rdp_stop();
	pthread_join(t, NULL);
	rdp_get_stats(&st);
	fprintf(stderr,
	    "rdp-harness: accepted %lu refused %lu timed_out %lu frames %lu\n",
	    st.accepted, st.refused, st.timed_out, st.frames);
	if (vnc != NULL) {
		free(
		    vnc->frameBuffer); /* ours (vnc_alloc), not libvncclient's */
		vnc->frameBuffer = NULL;
		rfbClientCleanup(vnc);
	}
	free(fb.pix);
	if (input_log)
		fclose(input_log);
	return 0;
}
