/*
 * decoder-probe: a stand-in compositor for testing tessera-view-decoder.
 *
 *   decoder-probe [--frames N] [--type TEXT] [--send KIND] [--want-exit N]
 *       [--timeout S] [--hold] -- DECODER [ARGS...]
 *
 * Makes the SOCK_SEQPACKET socketpair, starts DECODER with its end on
 * fd 3, and checks every packet the decoder sends (tv_msg_check, and
 * tv_memfd_check for each TV_FB, whose memfd it maps read-only).  Waits
 * for TV_CONNECTED and N frames (default 3) of the test qube whose
 * counter advances (decoded from the shared buffer after damage), and
 * sends a TV_PING and waits for its TV_PONG, and prints "frames: ..."
 * with the size, the counters, the bar colours' largest error, and the
 * decoder's Seccomp mode from /proc.  Then:
 *   --type TEXT   sends TEXT as TV_KEY presses and releases and waits until
 *                 the qube's echo line shows it;
 *   --send KIND   sends something the decoder must refuse: short, long,
 *                 unknown, badkey, badpointer, fd;
 *   --hold        waits (until the decoder exits or the timeout);
 * (with --want-size WxH, only frames of that size count: the qube's
 * screen changing size under the decoder brings a new TV_FB);
 * and finally closes its end, waits for the decoder to exit and wants
 * status 0, or the status given by --want-exit (with --frames 0, nothing
 * is waited for first: the refusals).  Exits 0 when all went as wanted,
 * 1 otherwise; one line says what happened.  DECODER_PROBE_DEBUG in the
 * environment shows how far the echo line is from the typed text.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "pattern.h"
#include "proto.h"

#define JPEG_TOLERANCE 32 /* per channel: Tight JPEG is near, not exact */
#define ECHO_SLACK 4	  /* echo line pixels allowed beyond that */

static struct {
	int frames, timeout_s, want_exit, hold;
	int want_w, want_h; /* count only frames of this size */
	int nfb;	    /* TV_FB messages seen */
	const char *type, *send;
	int sock;
	pid_t pid;
	const uint32_t *fb;
	size_t fb_len;
	int w, h;
	int connected, damaged;
	int pong;	   /* the last TV_PONG's sequence number */
	uint64_t deadline; /* ms, tsr_mono_ms() */
} p = { .frames = 3, .timeout_s = 60, .sock = -1, .pid = -1 };

static void
kill_decoder(void)
{
	if (p.pid > 0) {
		kill(p.pid, SIGKILL);
		waitpid(p.pid, NULL, 0);
		p.pid = -1;
	}
}

__attribute__((noreturn, format(printf, 1, 2))) static void
failed(const char *fmt, ...)
{
	va_list ap;

	printf("failed: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	kill_decoder();
	exit(1);
}

static pid_t
spawn(char **argv)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		failed("socketpair: %s", strerror(errno));
	if ((pid = fork()) == -1)
		failed("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(sv[1], 3) == -1)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "decoder-probe: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	p.sock = sv[0];
	return pid;
}

/* Handles one packet if one comes within ms; 0 on EOF, 1 otherwise. */
static int
pump(int ms)
{
	struct pollfd pfd = { p.sock, POLLIN, 0 };
	struct tv_msg m;
	char buf[sizeof(m) + 1], err[160];
	long n;
	int fd;
	void *map;

	if (poll(&pfd, 1, ms) <= 0)
		return 1;
	n = tv_msg_recv(p.sock, buf, sizeof(buf), &fd);
	if (n == -1 && errno == EAGAIN)
		return 1;
	if (n <= 0) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	if (tv_msg_check(buf, (size_t)n, p.w, p.h, &m, err, sizeof(err)) == -1)
		failed("the decoder sent a bad packet: %s", err);
	switch (m.type) {
	case TV_CONNECTED:
		if (p.connected)
			failed("TV_CONNECTED twice");
		p.connected = 1;
		break;
	case TV_FB:
		if (!p.connected)
			failed("TV_FB before TV_CONNECTED");
		if (fd == -1)
			failed("TV_FB without a memfd");
		if (tv_memfd_check(fd, m.a, m.b, err, sizeof(err)) == -1)
			failed("%s", err);
		if ((map = mmap(NULL, (size_t)m.a * m.b * 4, PROT_READ,
			 MAP_SHARED, fd, 0)) == MAP_FAILED)
			failed("mmap: %s", strerror(errno));
		close(fd);
		fd = -1;
		if (p.fb != NULL)
			munmap((void *)p.fb, p.fb_len);
		p.fb = map;
		p.fb_len = (size_t)m.a * m.b * 4;
		p.w = m.a;
		p.h = m.b;
		p.nfb++;
		p.damaged = 1;
		break;
	case TV_DAMAGE:
		p.damaged = 1;
		break;
	case TV_PONG:
		p.pong = m.a;
		break;
	}
	if (fd != -1)
		failed("a descriptor with a message other than TV_FB");
	return 1;
}

/* The counter in the shared buffer (thresholded: JPEG rings), or -1. */
static int
read_counter(uint32_t *counter)
{
	uint32_t *q, v;
	int x, y, r;

	if (p.fb == NULL || p.w < PAT_MIN_W || p.h < PAT_MIN_H)
		return -1;
	if ((q = malloc((size_t)p.w * PAT_PANEL_END * 4)) == NULL)
		return -1;
	for (y = 0; y < PAT_PANEL_END; y++)
		for (x = 0; x < p.w; x++) {
			v = p.fb[(size_t)y * p.w + x];
			q[(size_t)y * p.w + x] =
			    (v >> 16 & 0xff) + (v >> 8 & 0xff) + (v & 0xff) >
				384 ?
			    0xffffff :
			    0;
		}
	r = pat_decode_counter(q, (size_t)p.w, p.w, PAT_PANEL_END, counter);
	free(q);
	return r;
}

static int
channel_err(uint32_t a, uint32_t b)
{
	int c, e, m = 0;

	for (c = 0; c < 24; c += 8) {
		e = (int)(a >> c & 0xff) - (int)(b >> c & 0xff);
		if (e < 0)
			e = -e;
		if (e > m)
			m = e;
	}
	return m;
}

/* The largest per-channel error in the middle of the colour bars. */
static int
bars_error(void)
{
	int i, x, y, e, m = 0;

	for (i = 0; i < PAT_NBARS; i++) {
		x = (2 * i + 1) * p.w / (2 * PAT_NBARS);
		y = PAT_BAR_H / 2;
		e = channel_err(p.fb[(size_t)y * p.w + x], pat_bar_rgb[i]);
		if (e > m)
			m = e;
	}
	return m;
}

/* Pixels of the echo line that are not within tolerance of its text. */
static long
echo_mismatch(const char *text)
{
	struct pat_opts o;
	struct pat_state s;
	struct pat_rect clip = { 0, PAT_ECHO_Y, p.w, PAT_ECHO_Y + PAT_FONT_H };
	uint32_t *want;
	size_t i;
	long n = 0;

	pat_opts_init(&o);
	pat_state_init(&s);
	snprintf(s.echo, sizeof(s.echo), "%s", text);
	if ((want = calloc((size_t)p.w * p.h, 4)) == NULL)
		return -1;
	pat_draw(want, (size_t)p.w, p.w, p.h, &o, &s, clip);
	for (i = (size_t)PAT_ECHO_Y * p.w;
	     i < (size_t)(PAT_ECHO_Y + PAT_FONT_H) * p.w; i++)
		if (channel_err(p.fb[i], want[i]) > JPEG_TOLERANCE) {
			if (n++ < 8 && getenv("DECODER_PROBE_DEBUG"))
				fprintf(stderr,
				    "decoder-probe: (%zu,%zu) "
				    "#%06x, want #%06x\n",
				    i % p.w, i / p.w, p.fb[i], want[i]);
		}
	free(want);
	return n;
}

static int
seccomp_mode(void)
{
	char path[64], line[128];
	FILE *f;
	int mode = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p.pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

static void
send_raw(const void *buf, size_t n, int fd)
{
	if (tv_packet_send(p.sock, buf, n, fd) == -1)
		failed("sending to the decoder: %s", strerror(errno));
}

static void
send_bad(const char *kind)
{
	struct tv_msg m = { 0 };
	char big[64] = { 0 };

	if (strcmp(kind, "short") == 0) {
		send_raw("\x10\0\0", 3, -1);
	} else if (strcmp(kind, "long") == 0) {
		send_raw(big, sizeof(big), -1);
	} else if (strcmp(kind, "unknown") == 0) {
		m.type = 99;
		send_raw(&m, sizeof(m), -1);
	} else if (strcmp(kind, "badkey") == 0) {
		m.type = TV_KEY;
		m.a = 7;
		m.b = 'a';
		send_raw(&m, sizeof(m), -1);
	} else if (strcmp(kind, "badpointer") == 0) {
		m.type = TV_POINTER;
		m.a = 10;
		m.b = 10;
		m.c = 0x1000;
		send_raw(&m, sizeof(m), -1);
	} else if (strcmp(kind, "fd") == 0) {
		m.type = TV_KEY;
		m.a = 1;
		m.b = 'a';
		send_raw(&m, sizeof(m), STDIN_FILENO);
	} else {
		failed("unknown --send %s", kind);
	}
}

/* Waits for the decoder to exit; its status as "exit N" / "signal N". */
static int
reap(char *what, size_t len)
{
	int st, i;
	pid_t r;

	for (i = 0;; i++) {
		r = waitpid(p.pid, &st, WNOHANG);
		if (r == p.pid)
			break;
		if (tsr_mono_ms() > p.deadline) {
			snprintf(what, len, "still running after the timeout");
			kill_decoder();
			return -1;
		}
		/* keep reading: the decoder may be blocked sending to us */
		if (p.sock != -1 && pump(50) == 0) {
			close(p.sock);
			p.sock = -1;
		} else if (p.sock == -1) {
			usleep(50000);
		}
	}
	p.pid = -1;
	if (WIFEXITED(st)) {
		snprintf(what, len, "exit %d", WEXITSTATUS(st));
		return WEXITSTATUS(st);
	}
	snprintf(what, len, "signal %d", WTERMSIG(st));
	return 128 + WTERMSIG(st);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 'T' },
		{ "send", required_argument, NULL, 's' },
		{ "want-exit", required_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 't' },
		{ "hold", no_argument, NULL, 'H' },
		{ "want-size", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t counter, first = 0, last = 0;
	char what[64];
	int ch, seen = 0, rc, i, sc = -1, bars = -1;
	long mis = -1;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			p.frames = atoi(optarg);
			break;
		case 'T':
			p.type = optarg;
			break;
		case 's':
			p.send = optarg;
			break;
		case 'x':
			p.want_exit = atoi(optarg);
			break;
		case 't':
			p.timeout_s = atoi(optarg);
			break;
		case 'H':
			p.hold = 1;
			break;
		case 'W':
			if (sscanf(optarg, "%dx%d", &p.want_w, &p.want_h) != 2)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
		    "usage: decoder-probe [options] -- DECODER "
		    "[ARGS...]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	p.deadline = tsr_mono_ms() + (uint64_t)p.timeout_s * 1000;
	p.pid = spawn(argv + optind);

	/* frames whose counter advances */
	while (seen < p.frames && tsr_mono_ms() < p.deadline) {
		if (pump(100) == 0) {
			close(p.sock);
			p.sock = -1;
			rc = reap(what, sizeof(what));
			printf("failed: the decoder closed the line (%s) after "
			       "%d frames\n",
			    what, seen);
			return 1;
		}
		if (!p.damaged)
			continue;
		p.damaged = 0;
		/* the decoder may go on (TV_ACK) */
		tv_msg_send(p.sock, TV_ACK, 0, 0, 0, 0, -1);
		if (p.want_w > 0 && (p.w != p.want_w || p.h != p.want_h))
			continue;
		if (read_counter(&counter) == -1)
			continue;
		if (seen == 0 || counter != last) {
			if (seen == 0) {
				first = counter;
				sc = seccomp_mode();
				bars = bars_error();
			}
			seen++;
			last = counter;
		}
	}
	if (seen < p.frames)
		failed("%d frames of %d in %d s", seen, p.frames, p.timeout_s);
	if (p.frames > 0) {
		/* a TV_PING comes back as a TV_PONG */
		if (tv_msg_send(p.sock, TV_PING, 4242, 0, 0, 0, -1) == -1)
			failed("sending TV_PING: %s", strerror(errno));
		while (p.pong != 4242 && tsr_mono_ms() < p.deadline)
			if (pump(100) == 0)
				failed("the decoder closed the line");
		if (p.pong != 4242)
			failed("no TV_PONG for TV_PING");
		printf("frames: %d, %dx%d, counter %u -> %u, bars within %d, "
		       "seccomp %d, pong, %d buffers\n",
		    seen, p.w, p.h, first, last, bars, sc, p.nfb);
		fflush(stdout);
	}

	if (p.type != NULL) {
		for (i = 0; p.type[i]; i++) {
			if (tv_msg_send(p.sock, TV_KEY, 1,
				(unsigned char)p.type[i], 0, 0, -1) == -1 ||
			    tv_msg_send(p.sock, TV_KEY, 0,
				(unsigned char)p.type[i], 0, 0, -1) == -1)
				failed("sending keys: %s", strerror(errno));
		}
		/* a pointer event too, outside the buffer: clamped */
		tv_msg_send(p.sock, TV_POINTER, 100000, -5, 0, 0, -1);
		while (tsr_mono_ms() < p.deadline) {
			if (pump(100) == 0)
				failed("the decoder closed the line");
			if (!p.damaged)
				continue;
			p.damaged = 0;
			tv_msg_send(p.sock, TV_ACK, 0, 0, 0, 0, -1);
			/* the decoder may go on (TV_ACK) */
			tv_msg_send(p.sock, TV_ACK, 0, 0, 0, 0, -1);
			mis = echo_mismatch(p.type);
			if (getenv("DECODER_PROBE_DEBUG"))
				fprintf(stderr,
				    "decoder-probe: echo line: %ld "
				    "pixels off\n",
				    mis);
			if (mis >= 0 && mis <= ECHO_SLACK)
				break;
		}
		if (mis < 0 || mis > ECHO_SLACK)
			failed("the echo line never showed \"%s\"", p.type);
		printf("typed: the echo line shows \"%s\" (%ld pixels off)\n",
		    p.type, mis);
		fflush(stdout);
	}

	if (p.send != NULL)
		send_bad(p.send);
	if (p.hold || p.send != NULL || p.want_exit != 0) {
		/* the decoder ends on its own */
		rc = reap(what, sizeof(what));
	} else {
		close(p.sock);
		p.sock = -1;
		rc = reap(what, sizeof(what));
	}
	if (rc != p.want_exit) {
		printf("failed: the decoder ended with %s, wanted exit %d\n",
		    what, p.want_exit);
		return 1;
	}
	printf("ok: the decoder ended with %s\n", what);
	return 0;
}
