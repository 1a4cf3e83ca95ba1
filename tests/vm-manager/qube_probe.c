/*
 * qube-probe: is a test qube alive on this display socket?
 *
 *   qube-probe SOCKET [--timeout-ms N] [--frames N]
 *
 * Connects to a qube's VNC unix socket (retrying until the socket exists
 * and answers), reads frames with raw encoding, following the display's
 * size changes (NewFBSize: the qube sets its mode after the firmware's),
 * and waits until it has seen N frames (default 2) that carry the test
 * pattern's colour bars and a valid frame counter, with the counter
 * advancing.  Prints
 * "ok WxH counter=C first_frame_ms=T" (T from the start of the probe to the
 * first valid frame) and exits 0, or prints why not and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "clock.h"
#include "pattern.h"
#include "qemu_vnc.h"

static long long t0;
static int want_frames = 2, seen, bad_bars;
static uint32_t last_counter;
static long long first_ms = -1;
static int handshake; /* in rfbInitClient */

/* Raw pixels, and size changes as NewFBSize (see qemu_vnc.h). */
static const int32_t encodings[] = { rfbEncodingRaw,
	(int32_t)rfbEncodingNewFBSize };

static uint32_t
px(rfbClient *cl, int x, int y)
{
	const uint8_t *p = cl->frameBuffer + ((size_t)y * cl->width + x) * 4;

	/* libvncclient's default format: 32 bpp, red in the low byte */
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void
check_frame(rfbClient *cl)
{
	uint32_t *pix, counter;
	int i, x, y;

	if (cl->width < PAT_MIN_W || cl->height < PAT_MIN_H)
		return;
	for (i = 0; i < PAT_NBARS; i++) {
		x = (2 * i + 1) * cl->width / (2 * PAT_NBARS);
		if (px(cl, x, PAT_BAR_H / 2) != pat_bar_rgb[i]) {
			bad_bars++;
			return;
		}
	}
	if ((pix = malloc((size_t)cl->width * PAT_PANEL_END * 4)) == NULL)
		return;
	for (y = 0; y < PAT_PANEL_END; y++)
		for (x = 0; x < cl->width; x++)
			pix[(size_t)y * cl->width + x] = px(cl, x, y);
	if (pat_decode_counter(pix, (size_t)cl->width, cl->width, PAT_PANEL_END,
		&counter) == 0 &&
	    (seen == 0 || counter != last_counter)) {
		if (seen == 0)
			first_ms = (long long)tsr_mono_ms() - t0;
		seen++;
		last_counter = counter;
	}
	free(pix);
}

static void
on_update(rfbClient *cl)
{
	check_frame(cl);
}

/*
 * A framebuffer of the display's size: in rfbInitClient after ServerInit
 * (before libvncclient sends its pixel format and encodings), then at
 * every size change.
 */
static rfbBool
on_alloc(rfbClient *cl)
{
	uint8_t *fb;

	if (handshake) {
		handshake = 0;
		if (!rs_qemu_set_encodings(cl, encodings,
			sizeof(encodings) / sizeof(encodings[0])))
			return FALSE;
	}
	if (cl->width <= 0 || cl->height <= 0 || cl->width > PAT_MAX_W ||
	    cl->height > PAT_MAX_H)
		return FALSE;
	if ((fb = calloc((size_t)cl->width * (size_t)cl->height, 4)) == NULL)
		return FALSE;
	free(cl->frameBuffer);
	cl->frameBuffer = fb;
	return TRUE;
}

static rfbClient *
try_connect(const char *sock)
{
	rfbClient *cl = rfbGetClient(8, 3, 4);
	int argc = 1;
	char *argv[] = { "qube-probe", NULL };

	free(cl->serverHost);
	cl->serverHost = strdup(sock);
	cl->appData.encodingsString = "raw";
	cl->MallocFrameBuffer = on_alloc;
	cl->FinishedFrameBufferUpdate = on_update;
	cl->canHandleNewFBSize = TRUE;
	handshake = 1;
	if (!rfbInitClient(cl, &argc, argv)) {
		handshake = 0;
		return NULL; /* rfbInitClient frees cl on failure */
	}
	return cl;
}

/* libvncclient leaves the framebuffer to its application. */
static void
client_free(rfbClient *cl)
{
	free(cl->frameBuffer);
	cl->frameBuffer = NULL;
	rfbClientCleanup(cl);
}

static void
quiet(const char *fmt, ...)
{
	(void)fmt;
}

int
main(int argc, char **argv)
{
	long long timeout = 60000;
	const char *sock = NULL;
	rfbClient *cl = NULL;
	int i, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			timeout = atoll(argv[++i]);
		else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc)
			want_frames = atoi(argv[++i]);
		else if (argv[i][0] != '-' && sock == NULL)
			sock = argv[i];
		else {
			fprintf(stderr,
			    "usage: qube-probe SOCKET "
			    "[--timeout-ms N] [--frames N]\n");
			return 2;
		}
	}
	if (sock == NULL) {
		fprintf(stderr,
		    "usage: qube-probe SOCKET [--timeout-ms N] "
		    "[--frames N]\n");
		return 2;
	}
	rfbClientLog = quiet;
	rfbClientErr = quiet;
	t0 = (long long)tsr_mono_ms();
	while ((long long)tsr_mono_ms() - t0 < timeout) {
		if (cl == NULL) {
			if (access(sock, F_OK) == -1 ||
			    (cl = try_connect(sock)) == NULL) {
				usleep(20000);
				continue;
			}
		}
		n = WaitForMessage(cl, 100000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			client_free(cl);
			cl = NULL; /* the qube restarted: connect again */
			continue;
		}
		if (seen >= want_frames) {
			printf("ok %dx%d counter=%u first_frame_ms=%lld\n",
			    cl->width, cl->height, last_counter, first_ms);
			client_free(cl);
			return 0;
		}
	}
	printf("no test pattern on %s within %lld ms (%s, %d valid frames, "
	       "%d without the bars)\n",
	    sock, timeout, cl ? "connected" : "never connected", seen,
	    bad_bars);
	if (cl)
		client_free(cl);
	return 1;
}
