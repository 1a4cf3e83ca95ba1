/*
 * test-qube-display: checks a running test qube through its device model.
 *
 *   test-qube-display --vnc SOCK --qmp SOCK --size WxH [--fps N]
 *       [--spoof COLOUR [--title TEXT]] [--scroll N] [--dump DIR] [--prefix TEXT]
 *       [--slow-ms N]
 *
 * Reads the qube's screen from QEMU's VNC unix socket with libvncclient (raw
 * encoding, so every pixel is exact), sends keys and absolute pointer events
 * through QMP (input-send-event), and compares whole frames with the picture
 * pattern.h defines for the state the qube should be in.  Prints TAP.  The
 * options must match the ones the qube was booted with (tests/images/run-qube).
 * --slow-ms makes it a slow viewer (it sleeps after each update).
 * On a mismatch, the frame got and the frame wanted are written as PPM to
 * DIR (if given).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "clock.h"
#include "pattern.h"
#include "qmp.h"
#include "tap.h"

#define CONNECT_MS 15000
#define FRAME_MS 15000 /* to see an expected frame */
#define QMP_MS 5000
#define WATCHDOG_S 240
#define FULL_MS 1500   /* no match for this long: ask for a full frame */
#define FAILED_MS 3000 /* wait after an earlier wait failed */

static struct {
	rfbClient *cl;
	uint32_t *fb;
	int w, h;
	int updates; /* complete framebuffer updates received */
	int dead;

	struct qmp qmp;
	struct pat_opts opts;
	int fps;
	const char *dump_dir;
	const char *prefix;
	uint32_t *want;

	/* the last mismatch, for diagnostics */
	long diff_pixels;
	int diff_x0, diff_y0, diff_x1, diff_y1;
	int torn;
	uint32_t last_counter;
	int healed; /* waits that needed a full refresh */
	int slow_ms;
	int failed_waits;
} t;

static void
watchdog(int sig)
{
	static const char msg[] = "# test-qube-display: watchdog expired\n";
	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(2);
}

static void
vnc_log(const char *fmt, ...)
{
	va_list ap;

	fputs("# vnc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void
vnc_quiet(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- VNC ---- */

static rfbBool
vnc_alloc(rfbClient *cl)
{
	size_t n = (size_t)cl->width * (size_t)cl->height;
	uint32_t *fb;

	if (cl->width <= 0 || cl->height <= 0 || cl->width > PAT_MAX_W ||
	    cl->height > PAT_MAX_H)
		return FALSE;
	fb = realloc(t.fb, n * 4);
	if (!fb)
		return FALSE;
	memset(fb, 0, n * 4);
	t.fb = fb;
	t.w = cl->width;
	t.h = cl->height;
	cl->frameBuffer = (uint8_t *)fb;
	return TRUE;
}

static void
vnc_finished(rfbClient *cl)
{
	(void)cl;
	t.updates++;
	if (t.slow_ms > 0) /* a slow viewer: QEMU encodes while we dawdle */
		usleep((useconds_t)t.slow_ms * 1000);
}

static int
vnc_connect(const char *path)
{
	uint64_t deadline = tsr_mono_ms() + CONNECT_MS;

	rfbClientLog = vnc_quiet;
	rfbClientErr = vnc_log;
	for (;;) {
		rfbClient *cl = rfbGetClient(8, 3, 4);
		if (!cl)
			return -1;
		/* 0x00RRGGBB in host order, as pattern.h draws. */
		cl->format.redShift = 16;
		cl->format.greenShift = 8;
		cl->format.blueShift = 0;
		cl->format.redMax = cl->format.greenMax = cl->format.blueMax =
		    255;
		cl->appData.encodingsString = "raw";
		cl->MallocFrameBuffer = vnc_alloc;
		cl->FinishedFrameBufferUpdate = vnc_finished;
		cl->canHandleNewFBSize = TRUE;
		free(cl->serverHost);	       /* rfbGetClient put "" there */
		cl->serverHost = strdup(path); /* a bare path: a unix socket */
		cl->serverPort = 0;
		if (rfbInitClient(cl, NULL, NULL)) { /* frees cl on failure */
			t.cl = cl;
			return 0;
		}
		if (tsr_mono_ms() > deadline)
			return -1;
		usleep(200 * 1000);
	}
}

/* Handle what the server sent within ms; -1 if the connection is gone. */
static int
vnc_pump(int ms)
{
	int n;

	if (t.dead)
		return -1;
	n = WaitForMessage(t.cl, (unsigned)ms * 1000);
	if (n < 0)
		return t.dead = 1, -1;
	if (n == 0)
		return 0;
	do {
		if (!HandleRFBServerMessage(t.cl))
			return t.dead = 1, -1;
	} while (t.cl->buffered > 0);
	return 0;
}

static void
vnc_close(void)
{
	if (t.cl) {
		t.cl->frameBuffer = NULL; /* ours */
		rfbClientCleanup(t.cl);
		t.cl = NULL;
	}
	free(t.fb);
	t.fb = NULL;
}

/* ---- frames ---- */

static void
dump_ppm(const char *name, const uint32_t *pix, int w, int h)
{
	char path[4096];
	FILE *f;
	int i;

	if (!t.dump_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.ppm", t.dump_dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		diag("cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "P6\n%d %d\n255\n", w, h);
	for (i = 0; i < w * h; i++) {
		putc(pix[i] >> 16 & 255, f);
		putc(pix[i] >> 8 & 255, f);
		putc(pix[i] & 255, f);
	}
	fclose(f);
	diag("wrote %s", path);
}

/*
 * Does the current frame show state s (whatever its counter)?  Sets
 * *counter to the counter shown.  0 = exact match; -1 otherwise (and the
 * t.diff_* / t.torn fields say why).
 */
static int
frame_matches(struct pat_state s, uint32_t *counter)
{
	struct pat_rect all = { 0, 0, t.w, t.h };
	long diff = 0;
	int x, y;

	if (pat_decode_counter(t.fb, (size_t)t.w, t.w, t.h, &s.counter) < 0) {
		t.torn = 1;
		return -1;
	}
	t.torn = 0;
	t.last_counter = s.counter;
	*counter = s.counter;
	pat_draw(t.want, (size_t)t.w, t.w, t.h, &t.opts, &s, all);
	t.diff_x0 = t.diff_y0 = INT32_MAX;
	t.diff_x1 = t.diff_y1 = -1;
	for (y = 0; y < t.h; y++) {
		const uint32_t *g = t.fb + (size_t)y * t.w,
			       *w = t.want + (size_t)y * t.w;
		if (memcmp(g, w, (size_t)t.w * 4) == 0)
			continue;
		for (x = 0; x < t.w; x++) {
			if ((g[x] & 0xffffff) == w[x])
				continue;
			diff++;
			if (x < t.diff_x0)
				t.diff_x0 = x;
			if (x > t.diff_x1)
				t.diff_x1 = x;
			if (y < t.diff_y0)
				t.diff_y0 = y;
			if (y > t.diff_y1)
				t.diff_y1 = y;
		}
	}
	t.diff_pixels = diff;
	return diff == 0 ? 0 : -1;
}

/*
 * Wait until the screen shows state s with a counter >= min_counter.
 * Returns 0 (and the counter shown) or -1 after timeout_ms, with diagnostics.
 */
static int
wait_state(const char *what, struct pat_state s, uint32_t min_counter,
    int timeout_ms, uint32_t *counter)
{
	uint64_t start, deadline, next_full;
	int seen = t.updates, checked = -1, full = 0;
	uint32_t c = 0;

	/* Once a wait failed, the qube's state is unknown: fail the rest fast. */
	if (t.failed_waits > 0 && timeout_ms > FAILED_MS)
		timeout_ms = FAILED_MS;
	start = tsr_mono_ms();
	deadline = start + timeout_ms;
	next_full = start + FULL_MS;
	for (;;) {
		if (t.updates != checked) {
			checked = t.updates;
			if (t.w > 0 && frame_matches(s, &c) == 0 &&
			    c >= min_counter) {
				if (counter)
					*counter = c;
				if (full) {
					t.healed++;
					diag(
					    "%s: matched only after %d full-refresh request(s)",
					    what, full);
				}
				return 0;
			}
		}
		/*
		 * QEMU 7.2's VNC server loses updates when the guest flips pages
		 * while an update is being encoded (vnc_abort_display_jobs drops
		 * the job, whose dirty bits are already cleared): the region stays
		 * stale until it changes again.  A non-incremental request makes
		 * it send everything.
		 */
		if (tsr_mono_ms() > next_full && !t.dead) {
			SendFramebufferUpdateRequest(t.cl, 0, 0, t.w, t.h,
			    FALSE);
			full++;
			next_full = tsr_mono_ms() + FULL_MS;
		}
		if (tsr_mono_ms() > deadline || vnc_pump(100) < 0)
			break;
	}
	t.failed_waits++;
	diag("%s: no matching frame in %d ms (%d updates, connection %s)", what,
	    timeout_ms, t.updates - seen, t.dead ? "lost" : "up");
	if (t.torn)
		diag(
		    "  last frame: counter rows unreadable (torn, or not the test pattern)");
	else if (c < min_counter && t.diff_pixels == 0)
		diag("  last frame: counter %u, wanted >= %u", c, min_counter);
	else
		diag(
		    "  last frame: counter %u, %ld pixels differ in [%d,%d]-[%d,%d]",
		    t.last_counter, t.diff_pixels, t.diff_x0, t.diff_y0,
		    t.diff_x1, t.diff_y1);
	{
		char text[PAT_ECHO_MAX + 64];
		s.counter = t.last_counter;
		pat_status_text(t.w, &s, text, sizeof(text));
		diag("  wanted status \"%s\"", text);
		pat_echo_text(t.w, &s, text, sizeof(text));
		diag("  wanted echo \"%s\"", text);
	}
	if (t.w > 0) {
		char name[256];
		snprintf(name, sizeof(name), "%s%s-got", t.prefix, what);
		for (char *p = name; *p; p++)
			if (*p == ' ' || *p == '/')
				*p = '_';
		dump_ppm(name, t.fb, t.w, t.h);
		memcpy(name + strlen(name) - 3, "want", 5);
		dump_ppm(name, t.want, t.w, t.h);
	}
	return -1;
}

/* ---- input through QMP ---- */

static int
qmp(const char *json)
{
	char err[512];

	if (qmp_command(&t.qmp, json, QMP_MS, err, sizeof(err)) < 0) {
		diag("%s", err);
		return -1;
	}
	return 0;
}

/* One input-send-event command, its events printed by fmt. */
__attribute__((format(printf, 1, 2))) static int
send_events(const char *fmt, ...)
{
	char events[192], json[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(events, sizeof(events), fmt, ap);
	va_end(ap);
	snprintf(json, sizeof(json),
	    "{\"execute\":\"input-send-event\","
	    "\"arguments\":{\"events\":[%s]}}",
	    events);
	return qmp(json);
}

static int
send_key(const char *qcode, int down)
{
	/* The PS/2 keyboard queues 16 bytes: give the guest time to drain it. */
	usleep(3000);
	return send_events("{\"type\":\"key\",\"data\":{\"down\":%s,"
			   "\"key\":{\"type\":\"qcode\",\"data\":\"%s\"}}}",
	    down ? "true" : "false", qcode);
}

static int
tap_key(const char *qcode)
{
	return send_key(qcode, 1) < 0 || send_key(qcode, 0) < 0 ? -1 : 0;
}

static int
send_pointer(int x, int y)
{
	return send_events(
	    "{\"type\":\"abs\",\"data\":{\"axis\":\"x\",\"value\":%ld}},"
	    "{\"type\":\"abs\",\"data\":{\"axis\":\"y\",\"value\":%ld}}",
	    pat_px_to_abs(x, t.w), pat_px_to_abs(y, t.h));
}

static int
send_button(const char *button, int down)
{
	return send_events("{\"type\":\"btn\",\"data\":{\"down\":%s,"
			   "\"button\":\"%s\"}}",
	    down ? "true" : "false", button);
}

/* US layout: character -> QEMU qcode, evdev code, shift. */
static const struct keydef {
	char c;
	const char *qcode;
	unsigned code;
	int shift;
} keydefs[] = {
	{ 'a', "a", KEY_A, 0 },
	{ 'b', "b", KEY_B, 0 },
	{ 'c', "c", KEY_C, 0 },
	{ 'd', "d", KEY_D, 0 },
	{ 'e', "e", KEY_E, 0 },
	{ 'f', "f", KEY_F, 0 },
	{ 'g', "g", KEY_G, 0 },
	{ 'h', "h", KEY_H, 0 },
	{ 'i', "i", KEY_I, 0 },
	{ 'j', "j", KEY_J, 0 },
	{ 'k', "k", KEY_K, 0 },
	{ 'l', "l", KEY_L, 0 },
	{ 'm', "m", KEY_M, 0 },
	{ 'n', "n", KEY_N, 0 },
	{ 'o', "o", KEY_O, 0 },
	{ 'p', "p", KEY_P, 0 },
	{ 'q', "q", KEY_Q, 0 },
	{ 'r', "r", KEY_R, 0 },
	{ 's', "s", KEY_S, 0 },
	{ 't', "t", KEY_T, 0 },
	{ 'u', "u", KEY_U, 0 },
	{ 'v', "v", KEY_V, 0 },
	{ 'w', "w", KEY_W, 0 },
	{ 'x', "x", KEY_X, 0 },
	{ 'y', "y", KEY_Y, 0 },
	{ 'z', "z", KEY_Z, 0 },
	{ '0', "0", KEY_0, 0 },
	{ '1', "1", KEY_1, 0 },
	{ '2', "2", KEY_2, 0 },
	{ '3', "3", KEY_3, 0 },
	{ '4', "4", KEY_4, 0 },
	{ '5', "5", KEY_5, 0 },
	{ '6', "6", KEY_6, 0 },
	{ '7', "7", KEY_7, 0 },
	{ '8', "8", KEY_8, 0 },
	{ '9', "9", KEY_9, 0 },
	{ ' ', "spc", KEY_SPACE, 0 },
	{ ',', "comma", KEY_COMMA, 0 },
	{ '.', "dot", KEY_DOT, 0 },
	{ '-', "minus", KEY_MINUS, 0 },
	{ '/', "slash", KEY_SLASH, 0 },
	{ '!', "1", KEY_1, 1 },
	{ '?', "slash", KEY_SLASH, 1 },
	{ ':', "semicolon", KEY_SEMICOLON, 1 },
	{ '_', "minus", KEY_MINUS, 1 },
};

static const struct keydef *
keydef_for(char c)
{
	size_t i;

	for (i = 0; i < sizeof(keydefs) / sizeof(keydefs[0]); i++) {
		if (keydefs[i].c == c)
			return &keydefs[i];
		if (c >= 'A' && c <= 'Z' && keydefs[i].c == c - 'A' + 'a')
			return &keydefs[i];
	}
	return NULL;
}

/*
 * Type text, updating s to the state it should leave.  The PS/2 keyboard
 * drops scancodes beyond its 16-byte queue if the guest falls behind, so
 * type a few characters at a time and wait to see them.
 */
#define TYPE_CHUNK 4
static int
type_text(const char *text, struct pat_state *s)
{
	int i;

	for (i = 0; text[i]; i++) {
		const struct keydef *k = keydef_for(text[i]);
		int shift;
		size_t n;

		if (!k) {
			diag("no key for '%c'", text[i]);
			return -1;
		}
		shift = k->shift || (text[i] >= 'A' && text[i] <= 'Z');
		if (shift && send_key("shift", 1) < 0)
			return -1;
		if (tap_key(k->qcode) < 0)
			return -1;
		if (shift && send_key("shift", 0) < 0)
			return -1;
		s->key = k->code;
		n = strlen(s->echo);
		if (n < PAT_ECHO_MAX) {
			s->echo[n] = text[i];
			s->echo[n + 1] = '\0';
		}
		if ((i % TYPE_CHUNK == TYPE_CHUNK - 1 || !text[i + 1]) &&
		    wait_state("typing", *s, 0, FRAME_MS, NULL) < 0)
			return -1;
	}
	return 0;
}

/* ---- the checks ---- */

static void
check_counter(const struct pat_state *s, uint32_t first)
{
	uint64_t end;
	uint32_t c = 0, prev = first;
	int distinct = 0, bad = 0, rc;

	if (t.fps == 0) {
		/* A static qube: nothing may move for a while. */
		end = tsr_mono_ms() + 1500;
		while (tsr_mono_ms() < end && vnc_pump(100) == 0)
			if (frame_matches(*s, &c) < 0 || c != 0)
				bad++;
		ok(bad == 0 && !t.dead,
		    "static qube (fps 0): the counter stays 0, the frame stays exact");
		return;
	}
	rc = wait_state("counter advances", *s, first + 2, FRAME_MS, &c);
	ok(rc == 0, "the frame counter advances (%u -> %u), frame exact", first,
	    c);

	/* How many distinct frames reach us in 2 s (diagnostic only). */
	end = tsr_mono_ms() + 2000;
	while (tsr_mono_ms() < end && vnc_pump(50) == 0) {
		if (frame_matches(*s, &c) == 0 && c != prev) {
			distinct++;
			prev = c;
		}
	}
	diag("%d distinct frames in 2 s over VNC (qube animates at %d fps)",
	    distinct, t.fps);
}

static void
check_spoof(void)
{
	uint32_t c = t.opts.spoof_rgb;
	int okay = t.w > 0;
	const int pts[][2] = {
		{ 0, 0 },
		{ t.w - 1, 0 },
		{ 0, t.h - 1 },
		{ t.w - 1, t.h - 1 },
		{ t.w / 2, PAT_SPOOF_TITLE_H - 1 },
		{ PAT_SPOOF_BORDER - 1, t.h / 2 },
		{ t.w - PAT_SPOOF_BORDER, t.h / 2 },
		{ t.w / 2, t.h - PAT_SPOOF_BORDER },
	};
	size_t i;

	for (i = 0; okay && i < sizeof(pts) / sizeof(pts[0]); i++) {
		uint32_t p =
		    t.fb[(size_t)pts[i][1] * t.w + pts[i][0]] & 0xffffff;
		if (p != c) {
			diag("pixel (%d,%d) is #%06x, wanted #%06x", pts[i][0],
			    pts[i][1], p, c);
			okay = 0;
		}
	}
	ok(okay,
	    "spoof: a fake trust frame in #%06x fills the screen's edges and title bar",
	    c);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vnc", required_argument, NULL, 'v' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "size", required_argument, NULL, 's' },
		{ "fps", required_argument, NULL, 'f' },
		{ "spoof", required_argument, NULL, 'S' },
		{ "title", required_argument, NULL, 'T' },
		{ "scroll", required_argument, NULL, 'r' },
		{ "dump", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "slow-ms", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vnc = NULL, *qmp_path = NULL;
	int want_w = 0, want_h = 0, o, i, rc;
	struct pat_state s;
	uint32_t first = 0;
	char err[512];

	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_S);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pat_opts_init(&t.opts);
	t.fps = 10;
	t.prefix = "";
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (o) {
		case 'v':
			vnc = optarg;
			break;
		case 'q':
			qmp_path = optarg;
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &want_w, &want_h) != 2)
				goto usage;
			break;
		case 'f':
			t.fps = atoi(optarg);
			break;
		case 'S':
			if (pat_parse_colour(optarg, &t.opts.spoof_rgb) < 0)
				goto usage;
			t.opts.spoof = 1;
			break;
		case 'T':
			snprintf(t.opts.title, sizeof(t.opts.title), "%s",
			    optarg);
			break;
		case 'r':
			t.opts.scroll = atoi(optarg);
			break;
		case 'd':
			t.dump_dir = optarg;
			break;
		case 'p':
			t.prefix = optarg;
			break;
		case 'w':
			t.slow_ms = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!vnc || !qmp_path || want_w <= 0 || want_h <= 0)
		goto usage;

	/* 1. The display. */
	if (!ok(vnc_connect(vnc) == 0,
		"VNC: connected to the qube's display at %s", vnc))
		return done_testing();
	/* QEMU may still show the boot-time size: wait for the qube's mode. */
	for (i = 0; i < 100 && (t.w != want_w || t.h != want_h); i++)
		if (vnc_pump(100) < 0)
			break;
	if (!ok(t.w == want_w && t.h == want_h, "the display is %dx%d", want_w,
		want_h)) {
		diag("  got %dx%d", t.w, t.h);
		vnc_close();
		return done_testing();
	}
	t.want = calloc((size_t)t.w * (size_t)t.h, 4);
	if (!t.want)
		return 1;

	pat_state_init(&s);
	rc = wait_state("first frame", s, 0, FRAME_MS, &first);
	ok(rc == 0,
	    "the first frame is the test pattern, pixel for pixel (counter %u)",
	    first);
	check_counter(&s, first);
	if (t.opts.spoof)
		check_spoof();

	/* 2. Keys, through QMP. */
	rc = qmp_open(&t.qmp, qmp_path, CONNECT_MS, err, sizeof(err));
	if (!ok(rc == 0, "QMP: connected to the qube's monitor")) {
		diag("%s", err);
		vnc_close();
		free(t.want);
		return done_testing();
	}
	{
		static const char text[] = "Hello, Tessera 42!";
		rc = type_text(text, &s);
		ok(rc == 0, "typed keys are echoed: \"%s\" (key %u)", text,
		    s.key);
	}
	rc = tap_key("backspace");
	s.echo[strlen(s.echo) - 1] = '\0';
	s.key = KEY_BACKSPACE;
	ok(rc == 0 && wait_state("backspace", s, 0, FRAME_MS, NULL) == 0,
	    "backspace deletes the last character");

	rc = send_key("ctrl", 1);
	rc |= tap_key("c");
	s.key = KEY_C;
	s.mods = PAT_MOD_CTRL;
	ok(rc == 0 && wait_state("ctrl-c", s, 0, FRAME_MS, NULL) == 0,
	    "ctrl held: status shows mod %u and key %u, nothing echoed", s.mods,
	    s.key);
	rc = send_key("ctrl", 0);
	s.mods = 0;
	ok(rc == 0 && wait_state("ctrl released", s, 0, FRAME_MS, NULL) == 0,
	    "ctrl released: mod 0");

	rc = tap_key("ret");
	memset(s.echo, 0, sizeof(s.echo));
	s.key = KEY_ENTER;
	ok(rc == 0 && wait_state("enter", s, 0, FRAME_MS, NULL) == 0,
	    "enter clears the echo line");

	/* 3. The absolute pointer (tablet). */
	{
		const int pos[][2] = {
			{ t.w / 2, t.h / 2 },
			{ 100, 300 },
			{ t.w - 1, t.h - 1 },
			{ 0, 0 },
			{ 333, 177 },
		};
		size_t k;
		for (k = 0; k < sizeof(pos) / sizeof(pos[0]); k++) {
			char what[64];
			rc = send_pointer(pos[k][0], pos[k][1]);
			s.ptr_x = pos[k][0];
			s.ptr_y = pos[k][1];
			snprintf(what, sizeof(what), "pointer %d,%d", s.ptr_x,
			    s.ptr_y);
			ok(rc == 0 &&
				wait_state(what, s, 0, FRAME_MS, NULL) == 0,
			    "the marker follows the pointer to %d,%d", s.ptr_x,
			    s.ptr_y);
		}
	}
	rc = send_button("left", 1);
	s.buttons = PAT_BTN_LEFT;
	ok(rc == 0 && wait_state("left button", s, 0, FRAME_MS, NULL) == 0,
	    "left button held: the marker turns cyan, btn %u", s.buttons);
	rc = send_button("left", 0);
	rc |= send_button("right", 1);
	s.buttons = PAT_BTN_RIGHT;
	ok(rc == 0 && wait_state("right button", s, 0, FRAME_MS, NULL) == 0,
	    "left released, right held: btn %u", s.buttons);
	rc = send_button("right", 0);
	s.buttons = 0;
	ok(rc == 0 && wait_state("buttons released", s, 0, FRAME_MS, NULL) == 0,
	    "buttons released: the marker is magenta again");

	/* Still alive and still animating after all that. */
	if (t.fps > 0) {
		uint32_t c = 0;
		rc = wait_state("still animating", s, t.last_counter + 1,
		    FRAME_MS, &c);
		ok(rc == 0, "the counter still advances (%u)", c);
	}

	if (t.healed)
		diag(
		    "%d wait(s) matched only after a full-refresh request: QEMU's VNC dropped "
		    "updates (or the qube was slow)",
		    t.healed);
	qmp_close(&t.qmp);
	vnc_close();
	free(t.want);
	return done_testing();

usage:
	fprintf(stderr,
	    "usage: test-qube-display --vnc SOCK --qmp SOCK --size WxH [--fps N]\n"
	    "       [--spoof COLOUR [--title TEXT]] [--scroll N] [--dump DIR] [--prefix TEXT]\n"
	    "       [--slow-ms N]   (sleep N ms after each update: a slow viewer)\n");
	return 2;
}
