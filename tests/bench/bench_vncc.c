/*
 * bench-vncc: the measuring VNC client of the render-server benchmarks.
 *
 *   bench-vncc (--host H --port P | --socket PATH) [--ca F --cert F --key F]
 *       --times FILE [--rec FILE] [--timeout S] [--quality Q]
 *   bench-vncc --pointer N --socket QEMU-SOCK --port P --ca F --cert F
 *       --key F [--timeout S]
 *
 * First form: while bench-replay paces a recording, asks for Tight with
 * TurboVNC's "perceptually lossless" preset (JPEG quality Q, default 95,
 * 4:4:4, compression level 1; CopyRect too) and reads every update.  It
 * reads the frame code (rec.h) at the top left of what it has after each
 * update: a new frame number k gives a latency, now minus when the
 * replayer put frame k on its screen.  Bytes are what the TCP socket
 * received (TLS included) from the first frame put to the last frame seen
 * (or 2 s after the replay ended).  With --rec, the PSNR of each frame
 * seen against the recording (the code strip left out).  With --ca,
 * VeNCrypt X509None with the client certificate (tessera-render);
 * otherwise whatever no-password security the server offers.  Prints one
 * line:
 *   frames N seen N bytes N bpf N lat_med MS lat_p95 MS psnr DB updates N
 *
 * Second form: two viewers of a test qube at once, one on its device
 * model's socket, one through tessera-render (ZRLE, X509None), and N
 * pointer moves sent through the first; each move's latency to each
 * viewer is until the pointer marker (tests/images/pattern.h) is at the
 * new place in its picture.  Prints
 *   moves N direct_med MS direct_p95 MS via_med MS via_p95 MS
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcp.h>
#include <rfb/rfbclient.h>

#include "pattern.h"
#include "rec.h"
#include "vncc_x509.h"


static struct {
	const char *host, *sock, *ca, *cert, *key;
	int port, quality;
} o = { .host = "127.0.0.1", .quality = 95 };

static struct rec_times *times;
static struct rec rec;
static int have_rec;
static struct rec_lat lat;
static int updates;
static struct rec_quality quality;

static void
quiet(const char *fmt, ...)
{
	va_list ap;

	if (getenv("BENCH_VNCC_DEBUG") == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static unsigned long long
tcp_bytes(rfbClient *cl)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (cl->sock == RFB_INVALID_SOCKET ||
	    getsockopt(cl->sock, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return 0;
	return ti.tcpi_bytes_received;
}

static void
on_finished(rfbClient *cl)
{
	uint32_t k;
	int64_t now = rec_now_ns();
	int is_new;

	updates++;
	if (times == NULL || !times->started ||
	    rec_code_read((uint32_t *)cl->frameBuffer, (size_t)cl->width,
		cl->width, cl->height, 0, 0, &k) == -1)
		return;
	if ((is_new = rec_lat_frame(&lat, times, k, now)) == -1)
		return;
	if (have_rec && rec.w == (uint32_t)cl->width &&
	    rec.h == (uint32_t)cl->height && rec_seek(&rec, (int)k) == 0)
		rec_quality_frame(&quality,
		    rec_psnr(cl->frameBuffer, (size_t)cl->width * 4, 0, 0,
			rec.cur, cl->width, cl->height),
		    is_new);
}

static rfbClient *
connect_viewer(const char *encodings, int tls)
{
	uint32_t auth[] = { rfbVeNCrypt, 0 };
	rfbClient *cl;
	int argc = 1;
	char *argv[] = { "bench-vncc", NULL };

	if ((cl = rfbGetClient(8, 3, 4)) == NULL)
		return NULL;
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	free(cl->serverHost);
	cl->serverHost = strdup(tls || !o.sock ? o.host : o.sock);
	cl->serverPort = o.port;
	tsr_vncc_x509(cl, o.ca, o.cert, o.key);
	cl->canHandleNewFBSize = TRUE;
	cl->appData.encodingsString = encodings;
	cl->appData.shareDesktop = TRUE;
	cl->appData.compressLevel = 1;
	cl->appData.qualityLevel = 9;
	cl->appData.enableJPEG = TRUE;
	cl->appData.useRemoteCursor = FALSE;
	if (tls)
		SetClientAuthSchemes(cl, auth, -1);
	if (!rfbInitClient(cl, &argc, argv))
		return NULL;
	return cl;
}

static void
put32(uint8_t *p, int32_t v)
{
	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
}

/* TurboVNC's "Tight + Perceptually Lossless JPEG" preset. */
static int
send_preset(rfbClient *cl)
{
	const int32_t enc[] = {
		7,		  /* Tight */
		1,		  /* CopyRect */
		0,		  /* Raw */
		-23,		  /* JPEG quality level 9 */
		-512 + o.quality, /* fine quality */
		-768,		  /* 4:4:4 (1X subsampling) */
		-256 + 1,	  /* compression level 1 */
		-223,		  /* DesktopSize */
		-224,		  /* LastRect */
		-258,		  /* QEMU extended key events: as in
					 * libvncclient's first list */
	};
	uint8_t msg[4 + sizeof(enc)];
	size_t i, n = sizeof(enc) / sizeof(enc[0]);

	msg[0] = rfbSetEncodings;
	msg[1] = 0;
	msg[2] = (uint8_t)(n >> 8);
	msg[3] = (uint8_t)n;
	for (i = 0; i < n; i++)
		put32(msg + 4 + 4 * i, enc[i]);
	return WriteToRFBServer(cl, (char *)msg, (unsigned)sizeof(msg)) ? 0 :
									  -1;
}

static int
run_replay(const char *timesf, const char *recf, int timeout_s)
{
	int64_t deadline = rec_now_ns() + (int64_t)timeout_s * 1000000000;
	int64_t done_at = 0;
	unsigned long long b0 = 0, b1 = 0;
	rfbClient *cl;
	int n, started = 0;

	if ((times = rec_times_map(timesf, 0, 0)) == NULL) {
		fprintf(stderr, "bench-vncc: cannot read %s\n", timesf);
		return 1;
	}
	if (recf) {
		if (rec_open(&rec, recf) == -1) {
			fprintf(stderr, "bench-vncc: cannot read %s\n", recf);
			return 1;
		}
		have_rec = 1;
	}
	if ((cl = connect_viewer("tight copyrect raw", o.ca != NULL)) == NULL) {
		printf("failed: cannot connect\n");
		return 3;
	}
	cl->FinishedFrameBufferUpdate = on_finished;
	if (send_preset(cl) == -1)
		return 1;
	SendFramebufferUpdateRequest(cl, 0, 0, cl->width, cl->height, FALSE);
	while (rec_now_ns() < deadline) {
		if (!started && times->started) {
			started = 1;
			b0 = tcp_bytes(cl);
		}
		if (started && times->done && done_at == 0)
			done_at = rec_now_ns();
		if (done_at &&
		    (lat.last_k + 1 >= times->nframes ||
			rec_now_ns() - done_at > 2000000000LL))
			break;
		n = WaitForMessage(cl, 5000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			printf("failed: the server closed the connection after "
			       "%d updates\n",
			    updates);
			return 1;
		}
	}
	b1 = tcp_bytes(cl);
	if (!done_at) {
		printf("failed: timed out (%d frames seen)\n", lat.seen);
		return 1;
	}
	rec_lat_print(&lat, times->nframes, b1 - b0, rec_quality_mean(&quality),
	    updates);
	rfbClientCleanup(cl);
	if (have_rec)
		rec_close(&rec);
	return 0;
}

/* ---- the pointer through a test qube ---- */

static int
marker_at(rfbClient *cl, int x, int y)
{
	uint32_t v;
	int d;

	if (x >= cl->width || y >= cl->height)
		return 0;
	v = ((uint32_t *)cl->frameBuffer)[(size_t)y * cl->width + x];
	d = abs((int)(v >> 16 & 0xff) - 0xff) + abs((int)(v >> 8 & 0xff)) +
	    abs((int)(v & 0xff) - 0xff);
	return d < 60;
}

static int
pump(rfbClient *cl)
{
	int n = WaitForMessage(cl, 1000);

	return n < 0 || (n > 0 && !HandleRFBServerMessage(cl)) ? -1 : 0;
}

static int
run_pointer(int moves, int timeout_s)
{
	static double ld[REC_MAX_SAMPLES], lv[REC_MAX_SAMPLES];
	rfbClient *direct, *via;
	int64_t t0, deadline,
	    end = rec_now_ns() + (int64_t)timeout_s * 1000000000;
	int i, nd = 0, nv = 0, x, y, got_d, got_v;
	const char *sock = o.sock;

	if ((direct = connect_viewer("raw", 0)) == NULL) {
		printf("failed: cannot connect to %s\n", sock);
		return 3;
	}
	o.sock = NULL;
	if ((via = connect_viewer("zrle raw", 1)) == NULL) {
		printf("failed: cannot connect to port %d\n", o.port);
		return 3;
	}
	/* the first pictures, and a pointer seen once */
	for (t0 = rec_now_ns(); rec_now_ns() - t0 < 2000000000LL;)
		if (pump(direct) == -1 || pump(via) == -1)
			return 1;
	for (i = 0; i < moves && i < REC_MAX_SAMPLES && rec_now_ns() < end;
	     i++) {
		x = direct->width / 4 + (i % 2) * direct->width / 2 + i % 7;
		y = direct->height * 2 / 3 + i % 5;
		got_d = got_v = 0;
		t0 = rec_now_ns();
		SendPointerEvent(direct, x, y, 0);
		deadline = t0 + 5000000000LL;
		while ((!got_d || !got_v) && rec_now_ns() < deadline) {
			if (pump(direct) == -1 || pump(via) == -1)
				return 1;
			if (!got_d && marker_at(direct, x, y)) {
				got_d = 1;
				ld[nd++] = (double)(rec_now_ns() - t0) / 1e6;
			}
			if (!got_v && marker_at(via, x, y)) {
				got_v = 1;
				lv[nv++] = (double)(rec_now_ns() - t0) / 1e6;
			}
		}
		/* let both settle before the next move */
		for (t0 = rec_now_ns(); rec_now_ns() - t0 < 150000000LL;)
			if (pump(direct) == -1 || pump(via) == -1)
				return 1;
	}
	if (nd == 0 || nv == 0) {
		printf("failed: the marker was seen %d times directly, %d "
		       "through tessera-render, of %d moves\n",
		    nd, nv, i);
		return 1;
	}
	printf("moves %d direct_n %d direct_med %.1f direct_p95 %.1f via_n %d "
	       "via_med %.1f via_p95 %.1f\n",
	    i, nd, rec_pct(ld, nd, 0.5), rec_pct(ld, nd, 0.95), nv,
	    rec_pct(lv, nv, 0.5), rec_pct(lv, nv, 0.95));
	rfbClientCleanup(direct);
	rfbClientCleanup(via);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "times", required_argument, NULL, 'T' },
		{ "rec", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quality", required_argument, NULL, 'q' },
		{ "pointer", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *timesf = NULL, *recf = NULL;
	int ch, timeout_s = 120, moves = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 's':
			o.sock = optarg;
			break;
		case 'a':
			o.ca = optarg;
			break;
		case 'c':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'T':
			timesf = optarg;
			break;
		case 'r':
			recf = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		case 'q':
			o.quality = atoi(optarg);
			break;
		case 'P':
			moves = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	rfbClientLog = quiet;
	rfbClientErr = quiet;
	signal(SIGPIPE, SIG_IGN);
	if (o.quality < 1 || o.quality > 100 || optind != argc ||
	    (o.ca && (!o.cert || !o.key)))
		return 2;
	if (moves > 0) {
		if (!o.sock || !o.port || !o.ca)
			return 2;
		return run_pointer(moves, timeout_s);
	}
	if (!timesf || (!o.sock && !o.port))
		return 2;
	return run_replay(timesf, recf, timeout_s);
}
