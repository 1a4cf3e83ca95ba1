/*
 * The input side: a libvncclient connection to the qube's device model
 * (its VNC server on a unix socket), raw and CopyRect only, into the
 * shadow framebuffer.  Reconnects when the device model goes away (the
 * qube rebooted, QEMU restarted); viewers stay connected meanwhile.
 *
 * QEMU 7.2 sometimes leaves a region stale after page flips
 * (tests/images/README.md), so every RS_FULL_MS we ask for a full,
 * non-incremental update; only pixels that really changed become damage.
 *
 * The qube's screen size follows the device model: we ask for size changes
 * as NewFBSize (see display_encodings), and each one reallocates the shadow
 * (rs_fb_resize_locked), which tells the outputs.
 *
 * Viewers' size requests (rs_input_resize) go to the device model as a raw
 * SetDesktopSize (libvncclient's SendExtDesktopSize needs an
 * ExtendedDesktopSize layout, which we do not take from QEMU).  QEMU 7.2
 * passes it to a display device that takes size hints (virtio-gpu: a
 * hotplug event and a new preferred mode in the qube) and answers "request
 * forwarded", or answers "invalid screen layout" (bochs-display, std VGA);
 * that answer is an ExtendedDesktopSize rectangle libvncclient drops.  The
 * qube's new size, if it takes one, then arrives as NewFBSize like any other.
 * Requests are coalesced: the latest one is sent, at most one every
 * RS_RESIZE_GAP_MS, so a viewer cannot make the qube set modes in a loop.
 *
 * Everything the device model sends is the qube's doing: sizes and rects
 * are untrusted and checked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include "clock.h"
#include "log.h"
#include "qemu_vnc.h"
#include "rs.h"

#define RS_FULL_MS 2000	     /* a non-incremental update this often */
#define RS_RETRY_MS 250	     /* reconnect delay */
#define RS_RESIZE_GAP_MS 250 /* between two size requests to the device model */
#define RFB_SET_DESKTOP_SIZE 251

static struct {
	pthread_t thread;
	int started;
	volatile int stop;
	char *sock;
	/* Serialises every write to the device model: the input thread's
	 * update requests and the viewers' key and pointer events. */
	pthread_mutex_t send_lock;
	rfbClient *cl;		/* under send_lock for writers */
	uint32_t *untrusted_fb; /* libvncclient's framebuffer */
	int last_buttons;
	int handshake;	    /* in rfbInitClient */
	int req_w, req_h;   /* size request not sent yet (0: none) */
	long long req_sent; /* when the last one went (ms) */
} in = { .send_lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * What we ask the device model for: raw and CopyRect pixels, size changes
 * as NewFBSize (qemu_vnc.h says why not ExtendedDesktopSize), and QEMU's
 * extended key events (keys as scancodes).
 */
static const int32_t display_encodings[] = {
	rfbEncodingRaw,
	rfbEncodingCopyRect,
	(int32_t)rfbEncodingNewFBSize,
	(int32_t)rfbEncodingQemuExtendedKeyEvent,
};

static void
vnc_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_lib(2, "display", fmt, ap);
	va_end(ap);
}

static void
vnc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_lib(0, "display", fmt, ap);
	va_end(ap);
}

/*
 * libvncclient asks for a framebuffer of the device model's size: once in
 * rfbInitClient, after ServerInit and before it sends the pixel format and
 * its encodings, then at every NewFBSize.
 */
static rfbBool
on_alloc(rfbClient *cl)
{
	int untrusted_w = cl->width, untrusted_h = cl->height;
	uint32_t *untrusted_fb;
	int rc;

	if (in.handshake) {
		in.handshake = 0;
		if (!rs_qemu_set_encodings(cl, display_encodings,
			sizeof(display_encodings) /
			    sizeof(display_encodings[0])))
			return FALSE;
	}

	if (untrusted_w <= 0 || untrusted_h <= 0 || untrusted_w > RS_MAX_W ||
	    untrusted_h > RS_MAX_H) {
		log_warnx("display: refusing a %dx%d screen", untrusted_w,
		    untrusted_h);
		return FALSE;
	}
	untrusted_fb = calloc((size_t)untrusted_w * (size_t)untrusted_h, 4);
	if (untrusted_fb == NULL)
		return FALSE;
	free(in.untrusted_fb);
	in.untrusted_fb = untrusted_fb;
	cl->frameBuffer = (uint8_t *)untrusted_fb;
	pthread_mutex_lock(&rs_fb.lock);
	rc = rs_fb_resize_locked(&rs_fb, untrusted_w, untrusted_h);
	pthread_mutex_unlock(&rs_fb.lock);
	if (rc == -1)
		return FALSE;
	log_info("display: %dx%d", untrusted_w, untrusted_h);
	return TRUE;
}

/*
 * A rectangle of libvncclient's framebuffer is new: copy what differs into
 * the shadow and report the bounding box of the change as damage.
 */
static void
on_update(rfbClient *cl, int x, int y, int w, int h)
{
	struct rs_rect r = { x, y, w, h };
	int row, col, x0, x1, y0 = -1, y1 = -1, bx0 = w, bx1 = -1;
	const uint32_t *src;
	uint32_t *dst;

	if (in.untrusted_fb == NULL ||
	    cl->frameBuffer != (uint8_t *)in.untrusted_fb)
		return;
	pthread_mutex_lock(&rs_fb.lock);
	if (rs_fb.w != cl->width || rs_fb.h != cl->height ||
	    rs_rect_clip(&r, rs_fb.w, rs_fb.h) == -1)
		goto out;
	for (row = r.y; row < r.y + r.h; row++) {
		src = in.untrusted_fb + (size_t)row * rs_fb.w + r.x;
		dst = rs_fb.pix + (size_t)row * rs_fb.w + r.x;
		if (memcmp(src, dst, (size_t)r.w * 4) == 0)
			continue;
		for (x0 = 0; x0 < r.w && src[x0] == dst[x0]; x0++)
			;
		for (x1 = r.w - 1; x1 > x0 && src[x1] == dst[x1]; x1--)
			;
		for (col = x0; col <= x1; col++)
			dst[col] = src[col] & 0xffffffu;
		if (y0 == -1)
			y0 = row;
		y1 = row;
		if (x0 < bx0)
			bx0 = x0;
		if (x1 > bx1)
			bx1 = x1;
	}
	if (y0 != -1) {
		struct rs_rect d = { r.x + bx0, y0, bx1 - bx0 + 1,
			y1 - y0 + 1 };

		rs_fb_damage_locked(&rs_fb, &d);
	}
out:
	pthread_mutex_unlock(&rs_fb.lock);
}

static void
on_finished(rfbClient *cl)
{
	(void)cl;
	pthread_mutex_lock(&rs_fb.lock);
	rs_fb.frames++;
	pthread_mutex_unlock(&rs_fb.lock);
}

static rfbClient *
display_connect(void)
{
	rfbClient *cl;
	int argc = 1;
	char *argv[] = { "tessera-render", NULL };

	if (access(in.sock, F_OK) == -1)
		return NULL;
	if ((cl = rfbGetClient(8, 3, 4)) == NULL)
		return NULL;
	/* 0x00RRGGBB in host order, the shadow's format */
	cl->format.redShift = 16;
	cl->format.greenShift = 8;
	cl->format.blueShift = 0;
	free(cl->serverHost); /* rfbGetClient's strdup("") */
	cl->serverHost = strdup(in.sock);
	/* on_alloc sends display_encodings instead of libvncclient's
	 * SetEncodings; were that one sent, it would ask for no more than
	 * these (and its pseudo-encodings) */
	cl->appData.encodingsString = "copyrect raw";
	cl->appData.shareDesktop = TRUE;
	cl->canHandleNewFBSize = TRUE;
	cl->MallocFrameBuffer = on_alloc;
	cl->GotFrameBufferUpdate = on_update;
	cl->FinishedFrameBufferUpdate = on_finished;
	cl->connectTimeout = 5;
	cl->readTimeout = 10;
	in.handshake = 1;
	if (!rfbInitClient(cl, &argc, argv)) {
		in.handshake = 0;
		return NULL; /* it freed cl */
	}
	return cl;
}

/* With send_lock held: the pending size request, if its time has come. */
static int
send_resize_locked(rfbClient *cl, long long now)
{
	uint8_t msg[24];
	int w = in.req_w, h = in.req_h;

	if (w == 0 || now - in.req_sent < RS_RESIZE_GAP_MS)
		return TRUE;
	in.req_w = in.req_h = 0;
	in.req_sent = now;
	memset(msg, 0, sizeof(msg));
	msg[0] = RFB_SET_DESKTOP_SIZE;
	msg[2] = (uint8_t)(w >> 8);
	msg[3] = (uint8_t)w;
	msg[4] = (uint8_t)(h >> 8);
	msg[5] = (uint8_t)h;
	msg[6] = 1; /* one screen: id 0 at 0,0 */
	msg[16] = msg[2];
	msg[17] = msg[3];
	msg[18] = msg[4];
	msg[19] = msg[5];
	log_info("display: asking the device model for %dx%d", w, h);
	return WriteToRFBServer(cl, (const char *)msg, sizeof(msg));
}

static void *
input_main(void *arg)
{
	long long last_full = 0, now;
	rfbClient *cl;
	int n, ok;

	(void)arg;
	while (!in.stop) {
		if ((cl = display_connect()) == NULL) {
			usleep(RS_RETRY_MS * 1000);
			continue;
		}
		log_info("display: connected to %s", in.sock);
		pthread_mutex_lock(&in.send_lock);
		in.cl = cl;
		pthread_mutex_unlock(&in.send_lock);
		pthread_mutex_lock(&rs_fb.lock);
		rs_fb.connected = 1;
		pthread_mutex_unlock(&rs_fb.lock);
		last_full = tsr_mono_ms();
		ok = 1;
		while (ok && !in.stop) {
			if ((n = WaitForMessage(cl, 100000)) < 0)
				break;
			pthread_mutex_lock(&in.send_lock);
			if (n > 0)
				ok = HandleRFBServerMessage(cl);
			now = tsr_mono_ms();
			if (ok)
				ok = send_resize_locked(cl, now);
			if (ok && now - last_full >= RS_FULL_MS) {
				ok = SendFramebufferUpdateRequest(cl, 0, 0,
				    cl->width, cl->height, FALSE);
				last_full = now;
			}
			pthread_mutex_unlock(&in.send_lock);
		}
		log_info("display: disconnected from %s", in.sock);
		pthread_mutex_lock(&in.send_lock);
		in.cl = NULL;
		in.req_w = in.req_h = 0;
		pthread_mutex_unlock(&in.send_lock);
		pthread_mutex_lock(&rs_fb.lock);
		rs_fb.connected = 0;
		pthread_mutex_unlock(&rs_fb.lock);
		rfbClientCleanup(cl);
		free(in.untrusted_fb);
		in.untrusted_fb = NULL;
		if (!in.stop)
			usleep(RS_RETRY_MS * 1000);
	}
	return NULL;
}

int
rs_input_start(const char *display_sock)
{
	rfbClientLog = vnc_log;
	rfbClientErr = vnc_err;
	if ((in.sock = strdup(display_sock)) == NULL)
		return -1;
	if (pthread_create(&in.thread, NULL, input_main, NULL) != 0) {
		free(in.sock);
		in.sock = NULL;
		return -1;
	}
	in.started = 1;
	return 0;
}

void
rs_input_stop(void)
{
	if (!in.started)
		return;
	in.stop = 1;
	pthread_join(in.thread, NULL);
	in.started = 0;
	free(in.sock);
	in.sock = NULL;
}

void
rs_input_key(uint32_t keysym, uint32_t xt_scancode, int down)
{
	pthread_mutex_lock(&in.send_lock);
	if (in.cl != NULL) {
		if (keysym != 0)
			SendKeyEvent(in.cl, keysym, down ? TRUE : FALSE);
		else if (xt_scancode != 0)
			SendExtendedKeyEvent(in.cl, 0, xt_scancode,
			    down ? TRUE : FALSE);
	}
	pthread_mutex_unlock(&in.send_lock);
}

void
rs_input_pointer(int x, int y, int buttons)
{
	int w, h;

	pthread_mutex_lock(&in.send_lock);
	if (in.cl != NULL) {
		w = in.cl->width;
		h = in.cl->height;
		if (x < 0)
			x = 0;
		if (y < 0)
			y = 0;
		if (x >= w)
			x = w - 1;
		if (y >= h)
			y = h - 1;
		SendPointerEvent(in.cl, x, y, buttons & 0xff);
		in.last_buttons = buttons;
	}
	pthread_mutex_unlock(&in.send_lock);
}

int
rs_input_resize(int w, int h)
{
	int rc = -1;

	pthread_mutex_lock(&in.send_lock);
	if (in.cl != NULL) {
		in.req_w = w;
		in.req_h = h;
		rc = 0;
	}
	pthread_mutex_unlock(&in.send_lock);
	return rc;
}
