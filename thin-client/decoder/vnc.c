/*
 * tessera-view-decoder's VNC side: libvncclient on the connected socket,
 * VeNCrypt with subtype X509None only (our client certificate; the
 * server's certificate must chain to --ca and name --host), the encodings
 * tessera-render sends (Tight, ZRLE, raw).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <rfb/rfbclient.h>

#include "decoder.h"
#include "log.h"
#include "proto.h"

static struct {
	rfbClient *cl;
	char lastlib[256]; /* libvncclient's last message */
} vn;

static void
lib_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0)
		return;
	/* what the server controls (names, reasons) is escaped */
	log_escape(vn.lastlib, sizeof(vn.lastlib), buf, n);
	if (tv_opt.verbose >= 1)
		log_debug("libvncclient: %s", vn.lastlib);
}

static rfbBool
alloc_fb(rfbClient *cl)
{
	uint8_t *p;

	/* the handshake must have been X509None: nothing else gets a
	 * picture (anonymous TLS and no TLS at all reach this point) */
	if (cl->authScheme != rfbVeNCrypt ||
	    cl->subAuthScheme != rfbVeNCryptX509None) {
		log_warnx("refused: the server chose security %u/%u, not "
			  "VeNCrypt X509None",
		    (unsigned)cl->authScheme, (unsigned)cl->subAuthScheme);
		tv_refused = 1;
		return FALSE;
	}
	if (cl->format.bitsPerPixel != 32) {
		log_warnx("refused: %d bits per pixel",
		    cl->format.bitsPerPixel);
		return FALSE;
	}
	if ((p = tv_fb_new(cl->width, cl->height)) == NULL)
		return FALSE;
	cl->frameBuffer = p;
	return TRUE;
}

static void
got_update(rfbClient *cl, int x, int y, int w, int h)
{
	(void)cl;
	tv_damage(x, y, w, h);
}

static void
finished_update(rfbClient *cl)
{
	(void)cl;
	tv_damage_flush();
}

/* ---- credentials: X509 only, and only for X509None ---- */

static char *
get_password(rfbClient *cl)
{
	(void)cl;
	log_warnx("refused: the server asked for a VNC password");
	tv_refused = 1;
	return NULL;
}

static rfbCredential *
get_credential(rfbClient *cl, int type)
{
	rfbCredential *c;

	if (type != rfbCredentialTypeX509 || cl->authScheme != rfbVeNCrypt ||
	    cl->subAuthScheme != rfbVeNCryptX509None) {
		log_warnx("refused: the server asked for credentials of type "
			  "%d (security %u/%u), not an X509None certificate",
		    type, (unsigned)cl->authScheme,
		    (unsigned)cl->subAuthScheme);
		tv_refused = 1;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->x509Credential.x509CACertFile = strdup(tv_opt.ca);
	c->x509Credential.x509ClientCertFile = strdup(tv_opt.cert);
	c->x509Credential.x509ClientKeyFile = strdup(tv_opt.key);
	c->x509Credential.x509CrlVerifyMode = rfbX509CrlVerifyNone;
	if (c->x509Credential.x509CACertFile == NULL ||
	    c->x509Credential.x509ClientCertFile == NULL ||
	    c->x509Credential.x509ClientKeyFile == NULL) {
		free(c->x509Credential.x509CACertFile);
		free(c->x509Credential.x509ClientCertFile);
		free(c->x509Credential.x509ClientKeyFile);
		free(c);
		return NULL;
	}
	return c;
}

static int
vnc_open(int sock)
{
	uint32_t auth[] = { rfbVeNCrypt, 0 };
	char name[80];
	int n, w, h;

	rfbClientLog = lib_log;
	rfbClientErr = lib_log;
	/* 8 bits a channel, 32 bits a pixel: 0x00RRGGBB in memory */
	if ((vn.cl = rfbGetClient(8, 3, 4)) == NULL)
		return EXIT_LOST;
	vn.cl->format.redShift = 16;
	vn.cl->format.greenShift = 8;
	vn.cl->format.blueShift = 0;
	vn.cl->programName = "tessera-view-decoder";
	vn.cl->serverHost = strdup(tv_opt.host); /* the certificate names it */
	vn.cl->serverPort = tv_opt.port_num;
	/* the socket is ours, already connected: libvncclient takes it */
	vn.cl->listenSpecified = TRUE;
	vn.cl->sock = sock;
	vn.cl->MallocFrameBuffer = alloc_fb;
	vn.cl->GotFrameBufferUpdate = got_update;
	vn.cl->FinishedFrameBufferUpdate = finished_update;
	vn.cl->GetPassword = get_password;
	vn.cl->GetCredential = get_credential;
	vn.cl->canHandleNewFBSize = TRUE;
	/* what tessera-render sends; Tight with JPEG at quality level 9
	 * (perceptually lossless), zlib level 1 (loopback: cheap) */
	vn.cl->appData.encodingsString = "tight zrle raw";
	vn.cl->appData.enableJPEG = TRUE;
	vn.cl->appData.qualityLevel = 9;
	vn.cl->appData.compressLevel = 1;
	vn.cl->appData.shareDesktop = TRUE;
	SetClientAuthSchemes(vn.cl, auth, -1);
	if (vn.cl->serverHost == NULL)
		return EXIT_LOST;
	if (!rfbInitClient(vn.cl, NULL, NULL)) {
		/* rfbInitClient freed the client and closed the socket */
		vn.cl = NULL;
		if (!tv_refused)
			log_warnx("refused: the handshake failed (%s)",
			    vn.lastlib[0] ? vn.lastlib : "no reason given");
		return EXIT_REFUSED;
	}
	n = vn.cl->desktopName ? (int)strlen(vn.cl->desktopName) : 0;
	log_escape(name, sizeof(name), n ? vn.cl->desktopName : "", (size_t)n);
	tv_fb_size(&w, &h);
	log_info("handshake done: VeNCrypt X509None, \"%s\" %dx%d", name, w, h);
	/* from now on a stalled half-message ends the connection */
	vn.cl->readTimeout = TV_READ_TIMEOUT_S;
	if (fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) == -1) {
		log_warn("fcntl");
		return EXIT_LOST;
	}
	return 0;
}

static int
vnc_fds(struct pollfd *pfd, int max)
{
	if (max < 1)
		return 0;
	pfd[0].fd = vn.cl->sock;
	pfd[0].events = POLLIN;
	return 1;
}

/* Decrypted or read-ahead bytes that poll() cannot see. */
static int
vnc_pending(void)
{
	if (vn.cl->buffered > 0)
		return 1;
	return vn.cl->tlsSession != NULL &&
	    gnutls_record_check_pending((gnutls_session_t)vn.cl->tlsSession) >
	    0;
}

static int
vnc_pump(void)
{
	vn.lastlib[0] = '\0';
	if (!HandleRFBServerMessage(vn.cl)) {
		log_warnx("connection lost: %s",
		    vn.lastlib[0] ? vn.lastlib :
				    "the server broke the protocol");
		return -1;
	}
	return 0;
}

static int
lost(void)
{
	log_warnx("connection lost (sending): %s", vn.lastlib);
	return -1;
}

static int
vnc_key(int down, uint32_t keysym)
{
	return SendKeyEvent(vn.cl, keysym, down ? TRUE : FALSE) ? 0 : lost();
}

static int
vnc_pointer(int x, int y, int buttons)
{
	return SendPointerEvent(vn.cl, x, y, buttons) ? 0 : lost();
}

static int
vnc_resize(int w, int h)
{
	/* only a server that told us its screen layout
	 * (ExtendedDesktopSize) takes SetDesktopSize */
	if (vn.cl->screen.width == 0 && vn.cl->screen.height == 0) {
		log_debug("resize to %dx%d: the server cannot", w, h);
		return 0;
	}
	return SendExtDesktopSize(vn.cl, (uint16_t)w, (uint16_t)h) ? 0 : lost();
}

const struct tv_proto tv_proto_vnc = {
	.name = "vnc",
	.open = vnc_open,
	.fds = vnc_fds,
	.pending = vnc_pending,
	.pump = vnc_pump,
	.key = vnc_key,
	.pointer = vnc_pointer,
	.resize = vnc_resize,
};
