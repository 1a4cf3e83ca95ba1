/*
 * tessera-render's RDP output: a FreeRDP 2.11 server.  See rdp.h.  This
 * file is the server and each peer's lifecycle; the picture and encoders
 * are rdp_enc.c's, the Display Control channel rdp_disp.c's, input
 * rdp_input.c's (rdp_peer.h says what they share).
 *
 * Threads:
 *   - the listener thread accepts connections (FreeRDP's listener on a
 *     socket we bind ourselves, so port 0 works) and is the watchdog: a peer
 *     past its handshake deadline, or stuck in one write for too long, gets
 *     its socket shut down, which ends its thread; peers before Activate
 *     are admitted by common/admit.c (lim.unauth_per_addr from one address,
 *     half the peer slots in all, so that viewers who logged on keep the
 *     other half), and the listener pauses when accept runs out of
 *     descriptors;
 *   - one thread per peer runs FreeRDP's protocol, copies the damaged parts
 *     of the shared framebuffer into its own framed picture (its "canvas")
 *     and encodes them at its own pace, once the source update they came
 *     in is complete (fb->frames has moved on), all of them in one frame;
 *   - FreeRDP's GFX channel has a thread per peer too; it only sets flags;
 *   - so has its Display Control channel (MS-RDPEDISP): it hands the
 *     client's monitor layouts to rdp_disp.c, which passes the size on
 *     to the qube (rs_input_resize, thread-safe) or flags the peer to be
 *     closed.
 *
 * Locks: fb->lock (the shared framebuffer) is taken before rdp_srv.lock
 * (the peer list, each peer's pending damage, the counters), never the
 * other way round: the damage callbacks run with fb->lock held and take
 * rdp_srv.lock; peer threads take each alone.  Nothing that can block on
 * the network is done under either.
 *
 * Untrusted input parsed by the RDP output: none of the wire formats
 * (FreeRDP parses the protocol); we only range-check what FreeRDP hands us
 * (scancodes and pointer coordinates in rdp_input.c, GFX capability sets in
 * rdp_enc.c, the user name and password strings here, monitor layouts in
 * rdp_disp_check.c).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <freerdp/channels/channels.h>
#include <freerdp/channels/wtsvc.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>
#include <winpr/wtsapi.h>

#include "clock.h"
#include "log.h"
#include "rdp_peer.h"

#define GFX_MAX_UNACKED 2     /* GFX frames in flight */
#define GFX_ACK_WAIT_MS 2000  /* then send anyway */
#define GFX_CAPS_WAIT_MS 5000 /* a client that offers GFX and never says */
#define SETTLE_MS 40	      /* longest wait for the rest of a source update */
#define SETTLE_POLL_MS 2      /* how often to look meanwhile */
#define RDP_ACCEPT_PAUSE_MS 250 /* after accept failed for descriptors */

struct rdp_srv rdp_srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.lim = { 5000, 15000, 8, 30, 2 },
};

void
rdp_set_limits(const struct rdp_limits *l)
{
	pthread_mutex_lock(&rdp_srv.lock);
	if (l->handshake_ms > 0)
		rdp_srv.lim.handshake_ms = l->handshake_ms;
	if (l->stall_ms > 0)
		rdp_srv.lim.stall_ms = l->stall_ms;
	if (l->max_peers > 0)
		rdp_srv.lim.max_peers = l->max_peers;
	if (l->max_fps > 0)
		rdp_srv.lim.max_fps = l->max_fps;
	if (l->unauth_per_addr > 0)
		rdp_srv.lim.unauth_per_addr = l->unauth_per_addr;
	pthread_mutex_unlock(&rdp_srv.lock);
}

void
rdp_get_stats(struct rdp_stats *st)
{
	pthread_mutex_lock(&rdp_srv.lock);
	*st = rdp_srv.st;
	pthread_mutex_unlock(&rdp_srv.lock);
}

/* fb->lock held (input thread). */
static void
on_fb_damage(void *arg, const struct rs_rect *r)
{
	struct peer *p;

	(void)arg;
	pthread_mutex_lock(&rdp_srv.lock);
	for (p = rdp_srv.peers; p != NULL; p = p->next) {
		if (p->dmg.n == 0)
			p->dmg_since = (long long)tsr_mono_ms();
		rs_damage_add(&p->dmg, r, RDP_DAMAGE_MAX);
		/* fb->frames counts complete source updates: the one this
		 * rectangle belongs to is complete once it has moved on. */
		p->dmg_seq = rdp_srv.fb->frames;
		SetEvent(p->wake);
	}
	pthread_mutex_unlock(&rdp_srv.lock);
}

/*
 * Whether the source update that brought the latest pending damage is
 * still arriving (more of its rectangles to come): encoding now would send
 * a picture half old, half new, and the rest a frame interval later.
 */
static int
source_update_open(struct peer *p)
{
	int open;

	pthread_mutex_lock(&rdp_srv.fb->lock);
	open = rdp_srv.fb->frames == p->pend_seq;
	pthread_mutex_unlock(&rdp_srv.fb->lock);
	return open;
}

static void
on_fb_resize(void *arg, int w, int h)
{
	struct peer *p;

	(void)arg;
	(void)w;
	(void)h;
	pthread_mutex_lock(&rdp_srv.lock);
	for (p = rdp_srv.peers; p != NULL; p = p->next) {
		p->resized = 1;
		SetEvent(p->wake);
	}
	pthread_mutex_unlock(&rdp_srv.lock);
}

/* ---- FreeRDP peer callbacks (the peer's thread) ---- */

static BOOL
peer_ctx_new(freerdp_peer *client, rdpContext *ctx)
{
	struct peer *p = (struct peer *)ctx;

	p->client = client;
	p->vcm = WTSOpenServerA((LPSTR)client->context);
	if (p->vcm == NULL || p->vcm == INVALID_HANDLE_VALUE)
		return FALSE;
	p->wake =
	    CreateEvent(NULL, TRUE, FALSE, NULL); /* WinPR has no auto-reset */
	if (p->wake == NULL || rdp_enc_new(p) == -1)
		return FALSE;
	return TRUE;
}

static void
peer_ctx_free(freerdp_peer *client, rdpContext *ctx)
{
	struct peer *p = (struct peer *)ctx;

	(void)client;
	/* the channels first: they run on the virtual channel manager */
	rdp_disp_free(p);
	rdp_enc_free(p);
	if (p->vcm != NULL && p->vcm != INVALID_HANDLE_VALUE)
		WTSCloseServer(p->vcm);
	if (p->wake != NULL)
		CloseHandle(p->wake);
}

static void
wipe(char *s)
{
	if (s != NULL) {
		volatile char *v = s;
		while (*v != '\0')
			*v++ = '\0';
	}
}

/*
 * After the Client Info PDU (inside TLS), before the server says anything
 * about the session: check the credentials and fix the desktop size.
 */
static BOOL
peer_capabilities(freerdp_peer *client)
{
	struct peer *p = (struct peer *)client->context;
	rdpSettings *st = client->settings;
	char user[64];
	int ok, rc = -1;

	if (!p->authed) {
		if (rdp_srv.auth != NULL && st->Username != NULL &&
		    st->Password != NULL)
			rc = rdp_srv.auth(st->Username, st->Password);
		ok = rc >= 0;
		p->unframed = rc == 1;
		log_escape(user, sizeof(user), st->Username ? st->Username : "",
		    st->Username ? strlen(st->Username) : 0);
		wipe(st->Password);
		if (!ok) {
			log_warnx("rdp: %s: refused user \"%s\"", p->host,
			    user);
			pthread_mutex_lock(&rdp_srv.lock);
			rdp_srv.st.refused++;
			pthread_mutex_unlock(&rdp_srv.lock);
			return FALSE;
		}
		log_info("rdp: %s: user \"%s\" logged on (%s)", p->host, user,
		    p->unframed ? "unframed" : "framed");
		p->authed = 1;
	}
	if (rdp_canvas_layout(p) < 0)
		return FALSE;
	st->DesktopWidth = (UINT32)p->lay.fw;
	st->DesktopHeight = (UINT32)p->lay.fh;
	st->ColorDepth = 32;
	return TRUE;
}

static BOOL
peer_post_connect(freerdp_peer *client)
{
	struct peer *p = (struct peer *)client->context;

	if (!p->authed)
		return FALSE; /* Capabilities runs first; never skip it */
	if (client->settings->RemoteFxCodec &&
	    !rfx_context_reset(p->rfx, (UINT32)p->lay.fw, (UINT32)p->lay.fh))
		client->settings->RemoteFxCodec = FALSE;
	return TRUE;
}

/* The peer no longer counts as one in its handshake (rdp_srv.lock). */
static void
ungate(struct peer *p)
{
	if (p->gated) {
		tsr_admit_leave(&rdp_srv.gate, &p->key);
		p->gated = 0;
	}
}

static BOOL
peer_activate(freerdp_peer *client)
{
	struct peer *p = (struct peer *)client->context;

	if (!p->authed)
		return FALSE;
	p->active = 1;
	pthread_mutex_lock(&rdp_srv.lock);
	p->deadline = 0;
	ungate(p);
	pthread_mutex_unlock(&rdp_srv.lock);
	rdp_pend_full(p);
	SetEvent(p->wake);
	return TRUE;
}

static BOOL
peer_refresh_rect(rdpContext *ctx, BYTE count, const RECTANGLE_16 *areas)
{
	struct peer *p = (struct peer *)ctx;
	BYTE i;

	for (i = 0; i < count; i++) {
		struct rs_rect r = { areas[i].left, areas[i].top,
			areas[i].right - areas[i].left + 1,
			areas[i].bottom - areas[i].top + 1 };
		if (rs_rect_clip(&r, p->lay.fw, p->lay.fh) == 0)
			rs_damage_add(&p->pend, &r, RDP_DAMAGE_MAX);
	}
	if (count == 0)
		rdp_pend_full(p);
	SetEvent(p->wake);
	return TRUE;
}

static BOOL
peer_suppress_output(rdpContext *ctx, BYTE allow, const RECTANGLE_16 *area)
{
	struct peer *p = (struct peer *)ctx;

	(void)area;
	p->suppress = !allow;
	if (allow) {
		rdp_pend_full(p);
		SetEvent(p->wake);
	}
	return TRUE;
}

/* The qube's size changed: new layout; tell the client.  -1 = give up. */
static int
peer_resize(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;
	int changed = rdp_canvas_layout(p);

	if (changed <= 0)
		return changed;
	log_info("rdp: %s: qube resized to %dx%d", p->host, p->lay.qw,
	    p->lay.qh);
	st->DesktopWidth = (UINT32)p->lay.fw;
	st->DesktopHeight = (UINT32)p->lay.fh;
	if (st->RemoteFxCodec &&
	    !rfx_context_reset(p->rfx, (UINT32)p->lay.fw, (UINT32)p->lay.fh))
		return -1;
	if (!p->active)
		return 0; /* the size goes out with the activation */
	if (atomic_load(&p->gfx_state) == GFX_READY)
		return rdp_gfx_surface(p);
	if (!st->DesktopResize) {
		log_warnx("rdp: %s: client cannot resize its desktop", p->host);
		return -1;
	}
	/* A deactivation-reactivation: Activate comes again. */
	p->active = 0;
	if (!p->ctx.update->DesktopResize(&p->ctx))
		return -1;
	return 0;
}

/* Sends what is pending if the peer may take it now.  Returns -1 on a
 * fatal error, else the ms to wait before trying again (-2 = no timer). */
static int
peer_update(struct peer *p)
{
	struct rs_damage d;
	int resized, i, gs;
	uint64_t seq;
	long long now, since;

	pthread_mutex_lock(&rdp_srv.lock);
	d = p->dmg;
	p->dmg.n = 0;
	seq = p->dmg_seq;
	since = p->dmg_since;
	p->dmg_since = 0;
	resized = p->resized;
	p->resized = 0;
	pthread_mutex_unlock(&rdp_srv.lock);

	if (resized && peer_resize(p) < 0)
		return -1;
	for (i = 0; i < d.n; i++) {
		struct rs_rect r = d.r[i];
		r.x += p->lay.ox;
		r.y += p->lay.oy;
		rs_damage_add(&p->pend, &r, RDP_DAMAGE_MAX);
	}
	if (d.n > 0) {
		p->pend_seq = seq;
		if (!p->pend_src)
			p->pend_since = since;
		p->pend_src = 1;
	}
	if (!p->active || p->suppress || p->pend.n == 0)
		return -2;

	now = (long long)tsr_mono_ms();
	gs = atomic_load(&p->gfx_state);
	if (gs == GFX_OPENING) {
		if (now - p->gfx_since < GFX_CAPS_WAIT_MS)
			return (int)(GFX_CAPS_WAIT_MS - (now - p->gfx_since));
		log_warnx("rdp: %s: no GFX capabilities from the client",
		    p->host);
		atomic_store(&p->gfx_state, GFX_NONE);
		p->ctx.settings->SupportGraphicsPipeline = FALSE;
		gs = GFX_NONE;
	}
	if (now < p->next_ms)
		return (int)(p->next_ms - now);
	if (gs == GFX_READY) {
		if (!p->gfx_surface && rdp_gfx_surface(p) < 0)
			return -1;
		if (!atomic_load(&p->gfx_noack) &&
		    atomic_load(&p->gfx_unacked) >= GFX_MAX_UNACKED) {
			if (now - p->last_ack_ms < GFX_ACK_WAIT_MS)
				return GFX_ACK_WAIT_MS; /* an ack wakes us */
			atomic_store(&p->gfx_unacked, 0);
		}
	}
	/* One update per source update, whole: wait for the rest of it (a
	 * bounded time: a source that stalls mid-update still gets shown). */
	if (p->pend_src && now - p->pend_since < SETTLE_MS &&
	    source_update_open(p))
		return SETTLE_POLL_MS;
	if (rdp_canvas_fill(p) < 0) {
		pthread_mutex_lock(&rdp_srv.lock);
		p->resized = 1;
		pthread_mutex_unlock(&rdp_srv.lock);
		return 0;
	}
	if (!p->logged_codec) {
		log_info("rdp: %s: %dx%d, %s", p->host, p->lay.fw, p->lay.fh,
		    rdp_codec_name(p));
		p->logged_codec = 1;
	}
	if (rdp_enc_send(p, gs == GFX_READY) < 0)
		return -1;
	p->last_ack_ms = now;
	p->pend.n = 0;
	p->pend_src = 0;
	p->next_ms = now + 1000 / rdp_srv.lim.max_fps;
	return -2;
}

static void *
peer_thread(void *arg)
{
	struct peer *p = arg;
	freerdp_peer *client = p->client;
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	DWORD n, k, timeout;
	int wait = -2;
	long long deadline;

	for (;;) {
		n = client->GetEventHandles(client, h,
		    MAXIMUM_WAIT_OBJECTS - 3);
		if (n == 0)
			break;
		h[n++] = WTSVirtualChannelManagerGetEventHandle(p->vcm);
		h[n++] = p->wake;
		h[n++] = rdp_srv.stop;
		pthread_mutex_lock(&rdp_srv.lock);
		deadline = p->deadline;
		pthread_mutex_unlock(&rdp_srv.lock);
		timeout = wait >= 0 ? (DWORD)wait : 1000;
		if (deadline > 0) {
			long long left = deadline - (long long)tsr_mono_ms();
			if (left <= 0) {
				log_warnx("rdp: %s: handshake deadline passed",
				    p->host);
				pthread_mutex_lock(&rdp_srv.lock);
				rdp_srv.st.timed_out++;
				pthread_mutex_unlock(&rdp_srv.lock);
				break;
			}
			if (left < (long long)timeout)
				timeout = (DWORD)left;
		}
		k = WaitForMultipleObjects(n, h, FALSE, timeout);
		if (k == WAIT_FAILED)
			break;
		ResetEvent(p->wake); /* before peer_update() takes the damage */
		if (WaitForSingleObject(rdp_srv.stop, 0) == WAIT_OBJECT_0)
			break;
		if (!client->CheckFileDescriptor(client))
			break;
		if (!WTSVirtualChannelManagerCheckFileDescriptor(p->vcm))
			break;
		if (rdp_gfx_open(p) < 0 || rdp_disp_poll(p) < 0)
			break;
		wait = peer_update(p);
		if (wait == -1)
			break;
	}
	return NULL;
}

static void *
peer_main(void *arg)
{
	struct peer *p = arg, **pp;
	freerdp_peer *client = p->client;

	peer_thread(p);
	pthread_mutex_lock(&rdp_srv.lock);
	for (pp = &rdp_srv.peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	ungate(p);
	pthread_mutex_unlock(&rdp_srv.lock);
	log_info("rdp: %s: disconnected", p->host);
	client->Disconnect(client);
	freerdp_peer_context_free(client);
	freerdp_peer_free(client);

	pthread_mutex_lock(&rdp_srv.lock);
	rdp_srv.npeers--;
	rdp_srv.st.peers = rdp_srv.npeers;
	pthread_cond_broadcast(&rdp_srv.cond);
	pthread_mutex_unlock(&rdp_srv.lock);
	return NULL;
}

static BOOL
on_accepted(freerdp_listener *l, freerdp_peer *client)
{
	rdpSettings *st;
	struct peer *p;
	pthread_attr_t attr;
	pthread_t t;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct tsr_admit_key key;
	char why[128];
	int full, refused = 0;

	(void)l;
	if (getpeername(client->sockfd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    tsr_admit_key(&key, (struct sockaddr *)&ss, sslen) == -1) {
		log_warnx("rdp: %s: no IPv4 or IPv6 peer address, refused",
		    client->hostname);
		return FALSE;
	}
	pthread_mutex_lock(&rdp_srv.lock);
	full = rdp_srv.npeers >= rdp_srv.lim.max_peers || !rdp_srv.running;
	if (!full)
		refused = tsr_admit_enter(&rdp_srv.gate, &key, why,
			      sizeof(why)) == -1;
	pthread_mutex_unlock(&rdp_srv.lock);
	if (full) {
		log_warnx("rdp: %s: too many viewers, refused",
		    client->hostname);
		return FALSE;
	}
	if (refused) {
		log_info("rdp: %s: refused: %s", client->hostname, why);
		return FALSE;
	}
	client->ContextSize = sizeof(struct peer);
	client->ContextNew = peer_ctx_new;
	client->ContextFree = peer_ctx_free;
	if (!freerdp_peer_context_new(client))
		goto fail_gated;
	p = (struct peer *)client->context;
	p->key = key;
	p->gated = 1;
	p->fd = client->sockfd;
	snprintf(p->host, sizeof(p->host), "%s", client->hostname);

	st = client->settings;
	/* In memory: nothing is read from disk after rdp_start (privileges
	 * may be dropped and the filesystem sandboxed by then). */
	if (!freerdp_settings_set_string(st, FreeRDP_CertificateContent,
		rdp_srv.cert) ||
	    !freerdp_settings_set_string(st, FreeRDP_PrivateKeyContent,
		rdp_srv.key))
		goto fail;
	st->RdpSecurity = FALSE;
	st->TlsSecurity = TRUE;
	st->NlaSecurity = FALSE;
	st->ExtSecurity = FALSE;
	freerdp_settings_set_uint16(st, FreeRDP_TLSMinVersion,
	    0x0303 /* TLS 1.2 */);
	st->ColorDepth = 32;
	st->NSCodec = FALSE;
	st->RemoteFxCodec = TRUE;
	st->SupportGraphicsPipeline = TRUE;
	st->GfxH264 = FALSE;
	st->DrawAllowSkipAlpha = TRUE;
	st->DrawAllowColorSubsampling = TRUE;
	st->DrawAllowDynamicColorFidelity = TRUE;
	st->FrameMarkerCommandEnabled = TRUE;
	st->SurfaceFrameMarkerEnabled = TRUE;
	st->RefreshRect = TRUE;
	st->SuppressOutput = TRUE;
	st->DesktopResize = TRUE;
	st->AudioPlayback = FALSE;
	st->RedirectClipboard = FALSE;

	client->Capabilities = peer_capabilities;
	client->PostConnect = peer_post_connect;
	client->Activate = peer_activate;
	rdp_input_init(client);
	client->update->RefreshRect = peer_refresh_rect;
	client->update->SuppressOutput = peer_suppress_output;
	if (!client->Initialize(client))
		goto fail;

	pthread_mutex_lock(&rdp_srv.lock);
	p->deadline = (long long)tsr_mono_ms() + rdp_srv.lim.handshake_ms;
	p->next = rdp_srv.peers;
	rdp_srv.peers = p;
	rdp_srv.npeers++;
	rdp_srv.st.peers = rdp_srv.npeers;
	rdp_srv.st.accepted++;
	pthread_mutex_unlock(&rdp_srv.lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, peer_main, p) != 0) {
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&rdp_srv.lock);
		rdp_srv.peers = p->next; /* still first: we hold the only ref */
		rdp_srv.npeers--;
		rdp_srv.st.peers = rdp_srv.npeers;
		pthread_mutex_unlock(&rdp_srv.lock);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	log_info("rdp: %s: connected", p->host);
	return TRUE;
fail:
	freerdp_peer_context_free(client);
fail_gated:
	pthread_mutex_lock(&rdp_srv.lock);
	tsr_admit_leave(&rdp_srv.gate, &key);
	pthread_mutex_unlock(&rdp_srv.lock);
	return FALSE;
}

/* The watchdog: a peer blocked in a TLS handshake or a write never comes
 * back to its loop; shutting its socket down makes that call fail. */
static void
watchdog(void)
{
	struct peer *p;
	long long now = (long long)tsr_mono_ms();

	pthread_mutex_lock(&rdp_srv.lock);
	for (p = rdp_srv.peers; p != NULL; p = p->next) {
		if (p->killed)
			continue;
		if ((p->deadline > 0 && now > p->deadline + 1000) ||
		    (p->send_since > 0 &&
			now - p->send_since > rdp_srv.lim.stall_ms)) {
			log_warnx("rdp: %s: %s, disconnecting", p->host,
			    p->deadline > 0 ? "handshake deadline passed" :
					      "write stalled");
			shutdown(p->fd, SHUT_RDWR);
			p->killed = 1;
			rdp_srv.st.timed_out++;
		}
	}
	pthread_mutex_unlock(&rdp_srv.lock);
}

static void *
listener_thread(void *arg)
{
	freerdp_listener *l = arg;
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	DWORD n;
	int e, pause_ms;

	for (;;) {
		pthread_mutex_lock(&rdp_srv.lock);
		pause_ms = tsr_admit_paused(&rdp_srv.gate, tsr_mono_ms());
		pthread_mutex_unlock(&rdp_srv.lock);
		if (pause_ms > 0) {
			/* out of descriptors: leave the listener alone, the
			 * connection stays in its backlog */
			if (WaitForSingleObject(rdp_srv.stop,
				(DWORD)pause_ms) != WAIT_TIMEOUT)
				break;
			watchdog();
			continue;
		}
		n = l->GetEventHandles(l, h, MAXIMUM_WAIT_OBJECTS - 1);
		if (n == 0)
			break;
		h[n++] = rdp_srv.stop;
		if (WaitForMultipleObjects(n, h, FALSE, 250) == WAIT_FAILED)
			break;
		if (WaitForSingleObject(rdp_srv.stop, 0) == WAIT_OBJECT_0)
			break;
		errno = 0;
		if (!l->CheckFileDescriptor(l)) {
			e = errno;
			log_warnx("rdp: accept failed: %s", strerror(e));
			pthread_mutex_lock(&rdp_srv.lock);
			tsr_admit_accept_failed(&rdp_srv.gate, e,
			    tsr_mono_ms());
			pthread_mutex_unlock(&rdp_srv.lock);
		}
		watchdog();
	}
	return NULL;
}

static int
bind_socket(const char *addr, int *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char serv[16];
	int fd = -1, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(serv, sizeof(serv), "%d", *port);
	e = getaddrinfo(addr, serv, &hints, &res);
	if (e != 0) {
		snprintf(err, errlen, "%s: %s", addr ? addr : "*",
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 16) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s port %d: %s", addr ? addr : "*",
		    *port, strerror(errno));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
}

/* The whole of a PEM file, NUL-terminated (at most 1 MiB). */
static char *
read_pem(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(1 << 20);
	n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	if (buf == NULL || ferror(f) || n == 0 || n == (1 << 20) - 1) {
		snprintf(err, errlen, "%s: cannot read (or too large)", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void
free_pem(char **p)
{
	if (*p != NULL) {
		wipe(*p);
		free(*p);
		*p = NULL;
	}
}

int
rdp_start(struct rs_fb *fb, const struct rs_qube *q, const char *listen_addr,
    int *bound_port, const char *cert, const char *key,
    int (*auth_password)(const char *user, const char *pass), char *err,
    size_t errlen)
{
	int fd, port = bound_port ? *bound_port : 0;

	if (rdp_srv.running) {
		snprintf(err, errlen, "the RDP server is already running");
		return -1;
	}
	if (fb == NULL || q == NULL || cert == NULL || key == NULL ||
	    auth_password == NULL) {
		snprintf(err, errlen, "rdp_start: missing argument");
		return -1;
	}
	rdp_srv.cert = read_pem(cert, err, errlen);
	if (rdp_srv.cert == NULL)
		return -1;
	rdp_srv.key = read_pem(key, err, errlen);
	if (rdp_srv.key == NULL) {
		free_pem(&rdp_srv.cert);
		return -1;
	}
	if (getenv("WLOG_LEVEL") == NULL)
		WLog_SetLogLevel(WLog_GetRoot(), WLOG_ERROR);
	WTSRegisterWtsApiFunctionTable(FreeRDP_InitWtsApi());

	fd = bind_socket(listen_addr, &port, err, errlen);
	if (fd < 0) {
		free_pem(&rdp_srv.cert);
		free_pem(&rdp_srv.key);
		return -1;
	}
	rdp_srv.fb = fb;
	rdp_srv.q = *q;
	rdp_srv.auth = auth_password;
	rdp_srv.stop = CreateEvent(NULL, TRUE, FALSE, NULL);
	rdp_srv.listener = freerdp_listener_new();
	if (rdp_srv.cert == NULL || rdp_srv.key == NULL ||
	    rdp_srv.stop == NULL || rdp_srv.listener == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rdp_srv.listener->PeerAccepted = on_accepted;
	if (!rdp_srv.listener->OpenFromSocket(rdp_srv.listener, fd)) {
		snprintf(err, errlen, "FreeRDP cannot listen on the socket");
		goto fail;
	}
	fd = -1; /* the listener's now */
	if (rdp_srv.listening_on != fb) {
		if (rs_fb_listen(fb, on_fb_damage, on_fb_resize, NULL) != 0) {
			snprintf(err, errlen, "too many framebuffer listeners");
			goto fail;
		}
		rdp_srv.listening_on = fb;
	}
	memset(&rdp_srv.st, 0, sizeof(rdp_srv.st));
	tsr_admit_init(&rdp_srv.gate, rdp_srv.lim.unauth_per_addr,
	    rdp_srv.lim.max_peers / 2, RDP_ACCEPT_PAUSE_MS);
	rdp_srv.running = 1;
	if (pthread_create(&rdp_srv.thread, NULL, listener_thread,
		rdp_srv.listener) != 0) {
		rdp_srv.running = 0;
		snprintf(err, errlen, "pthread_create failed");
		goto fail;
	}
	if (bound_port)
		*bound_port = port;
	log_info("rdp: listening on %s port %d",
	    listen_addr ? listen_addr : "*", port);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (rdp_srv.listener != NULL) {
		rdp_srv.listener->Close(rdp_srv.listener);
		freerdp_listener_free(rdp_srv.listener);
		rdp_srv.listener = NULL;
	}
	if (rdp_srv.stop != NULL)
		CloseHandle(rdp_srv.stop);
	rdp_srv.stop = NULL;
	free_pem(&rdp_srv.cert);
	free_pem(&rdp_srv.key);
	return -1;
}

void
rdp_stop(void)
{
	struct peer *p;

	if (!rdp_srv.running)
		return;
	pthread_mutex_lock(&rdp_srv.lock);
	rdp_srv.running = 0;
	pthread_mutex_unlock(&rdp_srv.lock);
	SetEvent(rdp_srv.stop);
	pthread_join(rdp_srv.thread, NULL);
	pthread_mutex_lock(&rdp_srv.lock);
	for (p = rdp_srv.peers; p != NULL; p = p->next)
		shutdown(p->fd, SHUT_RDWR); /* ends handshakes in progress */
	while (rdp_srv.npeers > 0)
		pthread_cond_wait(&rdp_srv.cond, &rdp_srv.lock);
	pthread_mutex_unlock(&rdp_srv.lock);
	rdp_srv.listener->Close(rdp_srv.listener);
	freerdp_listener_free(rdp_srv.listener);
	rdp_srv.listener = NULL;
	CloseHandle(rdp_srv.stop);
	rdp_srv.stop = NULL;
	free_pem(&rdp_srv.cert);
	free_pem(&rdp_srv.key);
}
