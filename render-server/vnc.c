/*
 * The VNC output.  Two libvncserver screens fed from the shadow
 * framebuffer: "plain" (the qube's screen as it is, for tessera-view,
 * which draws its own frame) and "framed" (inside the trust frame, for
 * third-party viewers).  libvncserver never listens: connections come
 * from conn.c as plaintext socketpairs through rfbNewClient(), each with
 * its own thread (rfbRunEventLoop in the background).
 *
 * The input thread only records damage; our update thread copies it into
 * both screens and tells libvncserver, so a slow viewer can never stall
 * the input side.
 *
 * Both screens announce ExtendedDesktopSize (one screen, libvncserver's
 * default layout) to viewers that ask for it, and take SetDesktopSize
 * (on_set_desktop_size): a viewer of the framed screen asks for the size
 * of the frame around the qube, so the frame is taken off first.  Sizes
 * outside TSR_SCREEN_* (tsr_screen_size_ok) are refused at once; others go to the device model
 * (input.c), and the answer is the qube's new size when it takes one
 * (libvncserver then tells every viewer, the asking one as "requested by
 * you").  Any viewer that may type into the qube may resize it; the last
 * request wins.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfb.h>

#include "conn.h"
#include "frame.h"
#include "log.h"
#include "rs.h"
#include "vnc.h"

struct screen {
	rfbScreenInfoPtr s;
	int framed;
	uint32_t *buf;	   /* in libvncserver's order */
	uint32_t *retired; /* freed at the next resize */
	int qw, qh;	   /* qube size it shows */
	char name[80];
};

static struct {
	int listen_fd;
	struct screen plain, framed;
	pthread_mutex_t lock; /* damage, wake */
	pthread_cond_t cond;
	struct rs_damage dmg;
	int wake;
	int stop; /* under lock */
	_Atomic int accept_stop;
	int started, accepting;
	pthread_t updater, acceptor;
	pthread_mutex_t attach_lock;
} v = {
	.listen_fd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.attach_lock = PTHREAD_MUTEX_INITIALIZER,
};

static void
rfb_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_lib(2, "libvncserver", fmt, ap);
	va_end(ap);
}

static void
rfb_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_lib(1, "libvncserver", fmt, ap);
	va_end(ap);
}

int
rs_vnc_listen(const char *addrport, int *port)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], *colon;
	const char *serv;
	int fd = -1, one = 1, rc;

	if (strlen(addrport) >= sizeof(host)) {
		log_warnx("--vnc: address too long");
		return -1;
	}
	strcpy(host, addrport);
	if ((colon = strrchr(host, ':')) == NULL) {
		log_warnx("--vnc: want ADDR:PORT");
		return -1;
	}
	*colon = '\0';
	serv = colon + 1;
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
	if ((rc = getaddrinfo(host[0] ? host : NULL, serv, &hints, &res)) !=
	    0) {
		log_warnx("--vnc %s: %s", addrport, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		goto fail;
	*port = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(res);
	v.listen_fd = fd;
	return 0;
fail:
	log_warn("--vnc %s", addrport);
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

/* ---- viewers' input ---- */

static void
on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	(void)cl;
	rs_input_key(keysym, 0, down ? 1 : 0);
}

static void
on_pointer(int buttons, int x, int y, rfbClientPtr cl)
{
	struct screen *sc = cl->screen->screenData;

	if (sc->framed) {
		x -= RS_FRAME_BORDER;
		y -= RS_FRAME_TITLE;
	}
	rs_input_pointer(x, y, buttons); /* clipped to the qube there */
}

/*
 * The answer to cl's SetDesktopSize goes with its next update: the one
 * libvncserver makes for it (ExtendedDesktopSize with the current size and
 * the status) waits for the client's output thread, which sleeps until
 * someone signals it, and libvncserver does not.
 */
static void
answer_now(rfbClientPtr cl)
{
	pthread_mutex_lock(&cl->updateMutex);
	cl->newFBSizePending = TRUE;
	pthread_cond_signal(&cl->updateCond);
	pthread_mutex_unlock(&cl->updateMutex);
}

static int
on_set_desktop_size(int width, int height, int nscreens,
    struct rfbExtDesktopScreen *screens, rfbClientPtr cl)
{
	struct screen *sc = cl->screen->screenData;
	int w = width, h = height, same;

	(void)nscreens; /* one screen, made so by filter.c */
	(void)screens;
	if (sc->framed) {
		w -= RS_FRAMED_W(0);
		h -= RS_FRAMED_H(0);
	}
	if (!tsr_screen_size_ok(w, h)) {
		log_info("vnc: a viewer asked for %dx%d%s: refused", width,
		    height, sc->framed ? " (framed)" : "");
		answer_now(cl);
		if (w > TSR_SCREEN_MAX_W || h > TSR_SCREEN_MAX_H)
			return rfbExtDesktopSize_OutOfResources;
		return rfbExtDesktopSize_InvalidScreenLayout;
	}
	pthread_mutex_lock(&rs_fb.lock);
	same = rs_fb.w == w && rs_fb.h == h;
	pthread_mutex_unlock(&rs_fb.lock);
	if (same) {
		answer_now(cl); /* nothing will change */
		return rfbExtDesktopSize_Success;
	}
	if (rs_input_resize(w, h) == -1) {
		log_info("vnc: a viewer asked for %dx%d: no device model",
		    width, height);
		answer_now(cl);
		return rfbExtDesktopSize_ResizeProhibited;
	}
	log_info("vnc: a viewer asked for %dx%d%s: the qube is asked for %dx%d",
	    width, height, sc->framed ? " (framed)" : "", w, h);
	return rfbExtDesktopSize_Success;
}

/* ---- the shadow's listener ---- */

static void
on_damage(void *arg, const struct rs_rect *r)
{
	(void)arg;
	pthread_mutex_lock(&v.lock);
	rs_damage_add(&v.dmg, r, RS_DAMAGE_MAX);
	v.wake = 1;
	pthread_cond_signal(&v.cond);
	pthread_mutex_unlock(&v.lock);
}

static void
on_resize(void *arg, int w, int h)
{
	(void)arg;
	(void)w;
	(void)h;
	pthread_mutex_lock(&v.lock);
	v.wake = 1;
	pthread_cond_signal(&v.cond);
	pthread_mutex_unlock(&v.lock);
}

/* Screen pixel (x, y) of the qube's rectangle r, from the shadow. */
static void
copy_rect(struct screen *sc, const struct rs_rect *r)
{
	int ox = sc->framed ? RS_FRAME_BORDER : 0;
	int oy = sc->framed ? RS_FRAME_TITLE : 0;
	int sw = sc->framed ? RS_FRAMED_W(sc->qw) : sc->qw;
	const uint32_t *src;
	uint32_t *dst;
	int x, y;

	for (y = r->y; y < r->y + r->h; y++) {
		src = rs_fb.pix + (size_t)y * rs_fb.w + r->x;
		dst = sc->buf + (size_t)(y + oy) * sw + ox + r->x;
		for (x = 0; x < r->w; x++)
			dst[x] = rs_rgb_to_vnc(src[x]);
	}
}

/* With rs_fb.lock held: new buffers for a new qube size. */
static int
realloc_screen(struct screen *sc, int w, int h)
{
	int sw = sc->framed ? RS_FRAMED_W(w) : w;
	int sh = sc->framed ? RS_FRAMED_H(h) : h;
	struct rs_rect all = { 0, 0, w, h };
	uint32_t *buf;

	if ((buf = calloc((size_t)sw * (size_t)sh, 4)) == NULL)
		return -1;
	free(sc->retired);
	sc->retired = sc->buf;
	sc->buf = buf;
	sc->qw = w;
	sc->qh = h;
	if (sc->framed)
		rs_frame_draw(buf, sw, sh, w, h, &rs_qube, RS_PIX_VNC);
	copy_rect(sc, &all);
	return 0;
}

static void
mark(struct screen *sc, const struct rs_rect *r)
{
	int ox = sc->framed ? RS_FRAME_BORDER : 0;
	int oy = sc->framed ? RS_FRAME_TITLE : 0;

	rfbMarkRectAsModified(sc->s, ox + r->x, oy + r->y, ox + r->x + r->w,
	    oy + r->y + r->h);
}

static void *
updater_main(void *arg)
{
	struct rs_damage d;
	struct screen *scs[2] = { &v.plain, &v.framed };
	int i, j, resized;
	struct rs_rect r;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&v.lock);
		while (!v.wake && !v.stop)
			pthread_cond_wait(&v.cond, &v.lock);
		if (v.stop) {
			pthread_mutex_unlock(&v.lock);
			break;
		}
		v.wake = 0;
		d = v.dmg;
		v.dmg.n = 0;
		pthread_mutex_unlock(&v.lock);

		resized = 0;
		pthread_mutex_lock(&rs_fb.lock);
		if (rs_fb.w != v.plain.qw || rs_fb.h != v.plain.qh) {
			if (realloc_screen(&v.plain, rs_fb.w, rs_fb.h) == 0 &&
			    realloc_screen(&v.framed, rs_fb.w, rs_fb.h) == 0)
				resized = 1;
		} else {
			for (i = 0; i < d.n; i++) {
				r = d.r[i];
				if (rs_rect_clip(&r, rs_fb.w, rs_fb.h) == -1) {
					d.r[i].w = 0;
					continue;
				}
				d.r[i] = r;
				for (j = 0; j < 2; j++)
					copy_rect(scs[j], &r);
			}
		}
		pthread_mutex_unlock(&rs_fb.lock);

		/* outside the shadow's lock: these may wait for viewers */
		if (resized) {
			for (j = 0; j < 2; j++) {
				struct screen *sc = scs[j];

				rfbNewFramebuffer(sc->s, (char *)sc->buf,
				    sc->framed ? RS_FRAMED_W(sc->qw) : sc->qw,
				    sc->framed ? RS_FRAMED_H(sc->qh) : sc->qh,
				    8, 3, 4);
			}
			log_debug("vnc: screens now %dx%d", v.plain.qw,
			    v.plain.qh);
			continue;
		}
		for (i = 0; i < d.n; i++)
			if (d.r[i].w > 0)
				for (j = 0; j < 2; j++)
					mark(scs[j], &d.r[i]);
	}
	return NULL;
}

static int
screen_init(struct screen *sc, int framed)
{
	rfbScreenInfoPtr s;
	int sw, sh;

	sc->framed = framed;
	sc->qw = rs_fb.w;
	sc->qh = rs_fb.h;
	sw = framed ? RS_FRAMED_W(sc->qw) : sc->qw;
	sh = framed ? RS_FRAMED_H(sc->qh) : sc->qh;
	if ((sc->buf = calloc((size_t)sw * (size_t)sh, 4)) == NULL)
		return -1;
	if (framed)
		rs_frame_draw(sc->buf, sw, sh, sc->qw, sc->qh, &rs_qube,
		    RS_PIX_VNC);
	if ((s = rfbGetScreen(NULL, NULL, sw, sh, 8, 3, 4)) == NULL)
		return -1;
	tsr_frame_title(sc->name, sizeof(sc->name), rs_qube.name,
	    rs_qube.label.name);
	s->desktopName = sc->name;
	s->frameBuffer = (char *)sc->buf;
	s->screenData = sc;
	/* never listen: connections come through rfbNewClient() */
	s->autoPort = FALSE;
	s->port = -1;
	s->ipv6port = -1;
	s->listenSock = RFB_INVALID_SOCKET;
	s->listen6Sock = RFB_INVALID_SOCKET;
	s->httpPort = -1;
	s->http6Port = -1;
	s->httpDir = NULL;
	s->httpListenSock = RFB_INVALID_SOCKET;
	s->httpListen6Sock = RFB_INVALID_SOCKET;
	s->udpPort = 0;
	/* a viewer cannot push the others off */
	s->alwaysShared = TRUE;
	s->neverShared = FALSE;
	s->dontDisconnect = TRUE;
	s->permitFileTransfer = FALSE;
	/* the qube's pointer is in its pixels; no cursor drawn by us */
	s->cursor = NULL;
	s->kbdAddEvent = on_key;
	s->ptrAddEvent = on_pointer;
	s->setDesktopSizeHook = on_set_desktop_size;
	s->deferUpdateTime = 5;
	rfbInitServer(s);
	if (s->listenSock != RFB_INVALID_SOCKET ||
	    s->listen6Sock != RFB_INVALID_SOCKET) {
		log_warnx("libvncserver opened a listening socket");
		return -1;
	}
	sc->s = s;
	return 0;
}

int
rs_vnc_init(void)
{
	rfbLog = rfb_log;
	rfbErr = rfb_err;
	/* a viewer that stops reading is dropped after this long */
	rfbMaxClientWait = 10000;
	if (screen_init(&v.plain, 0) == -1 || screen_init(&v.framed, 1) == -1)
		return -1;
	return rs_fb_listen(&rs_fb, on_damage, on_resize, NULL);
}

/* A viewer's inner session (conn.c): one end of a socketpair for
 * libvncserver, framed or not; fd is closed in any case. */
static int
vnc_attach(int fd, int framed)
{
	struct screen *sc = framed ? &v.framed : &v.plain;
	rfbClientPtr cl;

	/* libvncserver uses select(): descriptors beyond FD_SETSIZE would
	 * overflow its fd_sets */
	if (fd >= FD_SETSIZE) {
		close(fd);
		return -1;
	}
	pthread_mutex_lock(&v.attach_lock);
	cl = rfbNewClient(sc->s, fd);
	if (cl != NULL && !cl->onHold)
		rfbStartOnHoldClient(cl);
	pthread_mutex_unlock(&v.attach_lock);
	return cl == NULL ? -1 : 0;
}

static void *
acceptor_main(void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct pollfd pfd;
	int fd, n, pause_ms;

	(void)arg;
	pfd.fd = v.listen_fd;
	pfd.events = POLLIN;
	while (!v.accept_stop) {
		if ((n = poll(&pfd, 1, 250)) == 0)
			continue;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("vnc: poll");
			usleep(100000);
			continue;
		}
		sslen = sizeof(ss);
		if ((fd = accept4(v.listen_fd, (struct sockaddr *)&ss, &sslen,
			 SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("vnc: accept");
			/* out of descriptors: the connection stays in the
			 * backlog and poll() would say so again at once */
			if ((pause_ms = rs_conn_accept_failed(errno)) > 0)
				usleep((useconds_t)pause_ms * 1000);
			continue;
		}
		rs_conn_spawn(fd, (struct sockaddr *)&ss, sslen, vnc_attach);
	}
	return NULL;
}

int
rs_vnc_start(void)
{
	rfbRunEventLoop(v.plain.s, -1, TRUE);
	rfbRunEventLoop(v.framed.s, -1, TRUE);
	if (pthread_create(&v.updater, NULL, updater_main, NULL) != 0)
		return -1;
	v.started = 1;
	/* the first picture, whatever it is */
	on_resize(NULL, 0, 0);
	if (v.listen_fd != -1 &&
	    pthread_create(&v.acceptor, NULL, acceptor_main, NULL) != 0)
		return -1;
	v.accepting = v.listen_fd != -1;
	return 0;
}

static void
screen_free(struct screen *sc)
{
	int i;

	if (sc->s != NULL) {
		/* Our ends of the socketpairs are closed: let each client
		 * thread see it and leave first.  libvncserver 0.9.14's
		 * rfbShutdownServer lets go of a client before it closes it,
		 * so a client thread leaving meanwhile frees it under it. */
		for (i = 0; i < 500 &&
		     __atomic_load_n(&sc->s->clientHead, __ATOMIC_ACQUIRE) !=
			 NULL;
		     i++)
			usleep(10000);
		rfbShutdownServer(sc->s, TRUE);
		rfbScreenCleanup(sc->s);
		sc->s = NULL;
	}
	free(sc->buf);
	free(sc->retired);
	sc->buf = sc->retired = NULL;
}

int
rs_vnc_stop(void)
{
	int rc = 0;

	if (v.accepting) {
		v.accept_stop = 1;
		pthread_join(v.acceptor, NULL);
		v.accepting = 0;
	}
	if (v.listen_fd != -1) {
		close(v.listen_fd);
		v.listen_fd = -1;
	}
	/* our TLS ends first (each connection thread closes its end of the
	 * socketpair), then libvncserver's clients and event loops */
	if (rs_conn_stop_all(5000) == -1) {
		log_warnx("vnc: viewers still connected at shutdown");
		rc = -1;
	}
	if (v.started) {
		pthread_mutex_lock(&v.lock);
		v.stop = 1;
		pthread_cond_signal(&v.cond);
		pthread_mutex_unlock(&v.lock);
		pthread_join(v.updater, NULL);
		v.started = 0;
	}
	screen_free(&v.plain);
	screen_free(&v.framed);
	return rc;
}
