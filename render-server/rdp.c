/*
 * tessera-render's RDP output: a FreeRDP 2.11 server.  See rdp.h.
 *
 * Threads:
 *   - the listener thread accepts connections (FreeRDP's listener on a
 *     socket we bind ourselves, so port 0 works) and is the watchdog: a peer
 *     past its handshake deadline, or stuck in one write for too long, gets
 *     its socket shut down, which ends its thread;
 *   - one thread per peer runs FreeRDP's protocol, copies the damaged parts
 *     of the shared framebuffer into its own framed picture (its "canvas")
 *     and encodes them at its own pace, once the source update they came
 *     in is complete (fb->frames has moved on), all of them in one frame;
 *   - FreeRDP's GFX channel has a thread per peer too; it only sets flags;
 *   - so has its Display Control channel (MS-RDPEDISP): it hands the
 *     client's monitor layouts to disp_layout(), which passes the size on
 *     to the qube (rs_input_resize, thread-safe) or flags the peer to be
 *     closed.
 *
 * Locks: fb->lock (the shared framebuffer) is taken before srv.lock (the
 * peer list, each peer's pending damage, the counters), never the other
 * way round: the damage callbacks run with fb->lock held and take srv.lock;
 * peer threads take each alone.  Nothing that can block on the network is
 * done under either.
 *
 * Untrusted input parsed here: none of the wire formats (FreeRDP parses the
 * protocol); we only range-check what FreeRDP hands us (scancodes, pointer
 * coordinates, GFX capability sets, the user name and password strings,
 * monitor layouts).
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
#include <time.h>
#include <unistd.h>

#include <freerdp/channels/channels.h>
#include <freerdp/channels/wtsvc.h>
#include <freerdp/codec/color.h>
#include <freerdp/codec/h264.h>
#include <freerdp/codec/planar.h>
#include <freerdp/codec/rfx.h>
#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/server/disp.h>
#include <freerdp/server/rdpgfx.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>
#include <winpr/crt.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>
#include <winpr/wtsapi.h>

#include "frame.h"
#include "log.h"
#include "rdp.h"

#define MAX_DAMAGE	8	/* rectangles kept per peer before merging */
#define TILE		64	/* planar tiles */
#define GFX_MAX_UNACKED	2	/* GFX frames in flight */
#define GFX_ACK_WAIT_MS	2000	/* then send anyway */
#define GFX_CAPS_WAIT_MS 5000	/* a client that offers GFX and never says */
#define UPDATE_BUDGET	(256 * 1024)	/* bytes per BitmapUpdate PDU */
#define SETTLE_MS	40	/* longest wait for the rest of a source update */
#define SETTLE_POLL_MS	2	/* how often to look meanwhile */
#define DISP_MAX_PER_S	10	/* monitor layouts a client may send a second */

enum disp_state {
	DISP_NONE,	/* not opened yet */
	DISP_OPENING,	/* create request sent, waiting for the client */
	DISP_CAPS,	/* the client took the channel: send our caps */
	DISP_READY,	/* caps sent: layouts are taken */
	DISP_OFF,	/* no dynamic channels, or the client refused it */
};

enum gfx_state {
	GFX_NONE,	/* not offered, or given up: legacy updates */
	GFX_OPENING,	/* channel opened, waiting for the client's caps */
	GFX_READY,	/* caps confirmed: GFX updates */
};

struct peer {
	rdpContext	 ctx;		/* first: FreeRDP allocates ContextSize */
	struct peer	*next;
	freerdp_peer	*client;
	HANDLE		 vcm;
	HANDLE		 wake;		/* damage, resize, ack (reset by the peer) */
	int		 fd;
	char		 host[64];

	/* Under srv.lock. */
	struct rs_rect	 dmg[MAX_DAMAGE];	/* qube coordinates */
	int		 ndmg;
	uint64_t	 dmg_seq;		/* fb->frames when damage last came */
	long long	 dmg_since;		/* ms the oldest of dmg came, 0 = none */
	int		 resized;
	int		 killed;		/* the watchdog shut it down */
	long long	 deadline;		/* handshake, ms; 0 once active */
	long long	 send_since;		/* ms a write began, 0 = none */

	/* Peer thread only (and FreeRDP callbacks, which run in it). */
	struct rdp_layout lay;
	uint32_t	*canvas;		/* lay.fw * lay.fh */
	struct rs_rect	 pend[MAX_DAMAGE];	/* canvas coordinates */
	int		 npend;
	int		 pend_src;		/* pend holds damage from the qube */
	uint64_t	 pend_seq;		/* dmg_seq of the latest of it */
	long long	 pend_since;		/* ms its oldest part came */
	int		 authed;
	int		 unframed;	/* the viewer draws the frame */
	int		 active;		/* between Activate and a resize */
	int		 suppress;		/* the client asked for no output */
	int		 e1;			/* keyboard E1 sequence */
	int		 buttons;		/* RFB mask held */
	long long	 next_ms;		/* earliest next update */
	long long	 gfx_since;		/* when GFX was opened */
	BITMAP_PLANAR_CONTEXT *planar;
	RFX_CONTEXT	*rfx;
	wStream		*rfx_s;
	RdpgfxServerContext *gfx;
	int		 gfx_surface;
	uint32_t	 frame_id;
	long long	 last_ack_ms;
	int		 logged_codec;

	/* Set by the GFX channel's thread. */
	_Atomic int	 gfx_state;
	_Atomic int	 gfx_h264;		/* AVC420 agreed */
	_Atomic int	 gfx_unacked;
	_Atomic int	 gfx_noack;		/* client suspended acks */
	H264_CONTEXT	*h264;			/* made in CapsAdvertise */

	/* Display control: opened by the peer thread; the layouts come on
	 * the channel's own thread (disp_win and disp_n are that thread's). */
	DispServerContext *disp;
	UINT32		 disp_id;		/* its dynamic channel */
	_Atomic int	 disp_state;
	_Atomic int	 disp_bad;		/* the client broke it: close */
	long long	 disp_win;		/* ms this second of layouts began */
	int		 disp_n;		/* layouts in it */
};

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 running;
	struct rs_fb	*fb;
	struct rs_qube	 q;
	char		*cert, *key;	/* PEM text, read once at start */
	rdp_auth_fn	 auth;
	freerdp_listener *listener;
	HANDLE		 stop;		/* manual-reset */
	pthread_t	 thread;
	struct peer	*peers;
	int		 npeers;	/* threads alive */
	struct rdp_limits lim;
	struct rdp_stats st;
	struct rs_fb	*listening_on;	/* rs_fb_listen() has no undo */
} srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.lim = { 10000, 15000, 8, 30 },
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
rdp_set_limits(const struct rdp_limits *l)
{
	pthread_mutex_lock(&srv.lock);
	if (l->handshake_ms > 0)
		srv.lim.handshake_ms = l->handshake_ms;
	if (l->stall_ms > 0)
		srv.lim.stall_ms = l->stall_ms;
	if (l->max_peers > 0)
		srv.lim.max_peers = l->max_peers;
	if (l->max_fps > 0)
		srv.lim.max_fps = l->max_fps;
	pthread_mutex_unlock(&srv.lock);
}

void
rdp_get_stats(struct rdp_stats *st)
{
	pthread_mutex_lock(&srv.lock);
	*st = srv.st;
	pthread_mutex_unlock(&srv.lock);
}

/* ---- damage ---- */

static int
rect_clip(struct rs_rect *r, int w, int h)
{
	int x1 = r->x + r->w, y1 = r->y + r->h;

	if (r->x < 0)
		r->x = 0;
	if (r->y < 0)
		r->y = 0;
	if (x1 > w)
		x1 = w;
	if (y1 > h)
		y1 = h;
	r->w = x1 - r->x;
	r->h = y1 - r->y;
	return r->w > 0 && r->h > 0;
}

static struct rs_rect
rect_union(const struct rs_rect *a, const struct rs_rect *b)
{
	struct rs_rect u;
	int x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
	int y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;

	u.x = a->x < b->x ? a->x : b->x;
	u.y = a->y < b->y ? a->y : b->y;
	u.w = x1 - u.x;
	u.h = y1 - u.y;
	return u;
}

static int
rect_touch(const struct rs_rect *a, const struct rs_rect *b)
{
	return a->x <= b->x + b->w && b->x <= a->x + a->w &&
	    a->y <= b->y + b->h && b->y <= a->y + a->h;
}

/* Adds r to a list of at most MAX_DAMAGE: merged with a rectangle it
 * touches, or everything merged into one when the list is full. */
static void
damage_add(struct rs_rect *list, int *n, const struct rs_rect *r)
{
	struct rs_rect u = *r;
	int i, merged;

	if (u.w <= 0 || u.h <= 0)
		return;
	do {
		merged = 0;
		for (i = 0; i < *n; i++) {
			if (rect_touch(&list[i], &u)) {
				u = rect_union(&list[i], &u);
				list[i] = list[--*n];
				merged = 1;
				break;
			}
		}
	} while (merged);
	if (*n == MAX_DAMAGE) {
		for (i = 0; i < *n; i++)
			u = rect_union(&list[i], &u);
		*n = 0;
	}
	list[(*n)++] = u;
}

/* fb->lock held (input thread). */
static void
on_fb_damage(void *arg, const struct rs_rect *r)
{
	struct peer *p;

	(void)arg;
	pthread_mutex_lock(&srv.lock);
	for (p = srv.peers; p != NULL; p = p->next) {
		if (p->ndmg == 0)
			p->dmg_since = now_ms();
		damage_add(p->dmg, &p->ndmg, r);
		/* fb->frames counts complete source updates: the one this
		 * rectangle belongs to is complete once it has moved on. */
		p->dmg_seq = srv.fb->frames;
		SetEvent(p->wake);
	}
	pthread_mutex_unlock(&srv.lock);
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

	pthread_mutex_lock(&srv.fb->lock);
	open = srv.fb->frames == p->pend_seq;
	pthread_mutex_unlock(&srv.fb->lock);
	return open;
}

static void
on_fb_resize(void *arg, int w, int h)
{
	struct peer *p;

	(void)arg;
	(void)w;
	(void)h;
	pthread_mutex_lock(&srv.lock);
	for (p = srv.peers; p != NULL; p = p->next) {
		p->resized = 1;
		SetEvent(p->wake);
	}
	pthread_mutex_unlock(&srv.lock);
}

static void
pend_full(struct peer *p)
{
	p->npend = 1;
	p->pend[0] = (struct rs_rect){ 0, 0, p->lay.fw, p->lay.fh };
}

/* ---- the framed picture ---- */

/* Lays the picture out for the qube's current size and draws the frame;
 * the qube's area starts black and is filled by the next update. */
static int
canvas_layout(struct peer *p)
{
	struct rdp_layout l;
	uint32_t *c;
	int qw, qh;

	pthread_mutex_lock(&srv.fb->lock);
	qw = srv.fb->w;
	qh = srv.fb->h;
	pthread_mutex_unlock(&srv.fb->lock);
	if (qw <= 0 || qh <= 0) {	/* not connected to the qube yet */
		qw = 640;
		qh = 480;
	}
	if (p->unframed)
		rdp_layout_plain(qw, qh, &l);
	else
		rdp_layout(qw, qh, &l);
	if (p->canvas != NULL && l.fw == p->lay.fw && l.fh == p->lay.fh &&
	    l.qw == p->lay.qw && l.qh == p->lay.qh)
		return 0;
	c = calloc((size_t)l.fw * (size_t)l.fh, sizeof(*c));
	if (c == NULL)
		return -1;
	free(p->canvas);
	p->canvas = c;
	p->lay = l;
	if (!p->unframed)
		rs_frame_draw(p->canvas, l.fw, l.fh, l.qw, l.qh, &srv.q,
		    RS_PIX_RGB);
	pend_full(p);
	return 1;
}

/* Copies the pending rectangles' qube pixels into the canvas.  Returns -1
 * if the qube's size changed under us (a resize is on its way). */
static int
canvas_fill(struct peer *p)
{
	struct rs_fb *fb = srv.fb;
	struct rs_rect r;
	int i, y, rc = 0;

	pthread_mutex_lock(&fb->lock);
	if (fb->pix == NULL || fb->w <= 0) {
		pthread_mutex_unlock(&fb->lock);
		return 0;	/* nothing yet: the black inside stays */
	}
	if (fb->w != p->lay.qw || fb->h != p->lay.qh) {
		rc = -1;
	} else {
		for (i = 0; i < p->npend; i++) {
			r = p->pend[i];
			r.x -= p->lay.ox;
			r.y -= p->lay.oy;
			if (!rect_clip(&r, fb->w, fb->h))
				continue;
			for (y = r.y; y < r.y + r.h; y++)
				memcpy(&p->canvas[(size_t)(y + p->lay.oy) * (size_t)p->lay.fw +
				    (size_t)(r.x + p->lay.ox)],
				    &fb->pix[(size_t)y * (size_t)fb->w + (size_t)r.x],
				    (size_t)r.w * 4);
		}
	}
	pthread_mutex_unlock(&fb->lock);
	return rc;
}

/* ---- encoders ---- */

static void
write_begin(struct peer *p)
{
	pthread_mutex_lock(&srv.lock);
	p->send_since = now_ms();
	pthread_mutex_unlock(&srv.lock);
}

static void
write_end(struct peer *p)
{
	pthread_mutex_lock(&srv.lock);
	p->send_since = 0;
	srv.st.frames++;
	pthread_mutex_unlock(&srv.lock);
}

/* Rectangle aligned to 4 pixels (callers clip it to the canvas again). */
static struct rs_rect
align4(struct rs_rect r)
{
	int x1 = (r.x + r.w + 3) & ~3, y1 = (r.y + r.h + 3) & ~3;

	r.x &= ~3;
	r.y &= ~3;
	r.w = x1 - r.x;
	r.h = y1 - r.y;
	return r;
}

/*
 * One planar-compressed tile.  Legacy bitmap updates are bottom-up, which
 * is what the compressor writes; GFX surfaces are top-down (the client
 * decodes GFX planar without flipping), so for GFX the tile is flipped
 * first.
 */
static BYTE *
planar_tile(struct peer *p, int x, int y, int w, int h, int topdown, UINT32 *len)
{
	const uint32_t *src = &p->canvas[(size_t)y * (size_t)p->lay.fw + (size_t)x];
	uint32_t flip[TILE * TILE];
	UINT32 stride = (UINT32)p->lay.fw * 4;
	int row;

	*len = 0;
	if (topdown) {
		for (row = 0; row < h; row++)
			memcpy(&flip[(size_t)(h - 1 - row) * (size_t)w],
			    &src[(size_t)row * (size_t)p->lay.fw], (size_t)w * 4);
		src = flip;
		stride = (UINT32)w * 4;
	}
	return freerdp_bitmap_compress_planar(p->planar, (const BYTE *)src, PIXEL_FORMAT_BGRX32,
	    (UINT32)w, (UINT32)h, stride, NULL, len);
}

/* Legacy planar BitmapUpdates, 64x64 tiles, several PDUs if large. */
static int
send_planar(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;
	rdpUpdate *up = p->ctx.update;
	BITMAP_DATA *bd = NULL;
	BITMAP_UPDATE bu;
	size_t nbd = 0, cap = 0, bytes = 0, i;
	size_t budget = UPDATE_BUDGET;
	struct rs_rect r;
	int k, x, y, rc = 0;

	if (st->MultifragMaxRequestSize > 4096 && st->MultifragMaxRequestSize - 2048 < budget)
		budget = st->MultifragMaxRequestSize - 2048;
	/* The client decodes planar with R and B swapped unless we mirror
	 * its DrawAllowDynamicColorFidelity (DESIGN.md, known traps). */
	freerdp_planar_switch_bgr(p->planar, st->DrawAllowDynamicColorFidelity);
	write_begin(p);
	for (k = 0; k < p->npend && rc == 0; k++) {
		r = align4(p->pend[k]);
		if (!rect_clip(&r, p->lay.fw, p->lay.fh))
			continue;
		for (y = r.y; y < r.y + r.h && rc == 0; y += TILE) {
			for (x = r.x; x < r.x + r.w && rc == 0; x += TILE) {
				int w = r.x + r.w - x < TILE ? r.x + r.w - x : TILE;
				int h = r.y + r.h - y < TILE ? r.y + r.h - y : TILE;
				BITMAP_DATA *b;
				UINT32 len;
				BYTE *data = planar_tile(p, x, y, w, h, 0, &len);

				if (data == NULL) {
					rc = -1;
					break;
				}
				if (nbd == cap) {
					size_t ncap = cap ? cap * 2 : 64;
					BITMAP_DATA *n = realloc(bd, ncap * sizeof(*bd));
					if (n == NULL) {
						free(data);
						rc = -1;
						break;
					}
					bd = n;
					cap = ncap;
				}
				b = &bd[nbd++];
				memset(b, 0, sizeof(*b));
				b->destLeft = (UINT32)x;
				b->destTop = (UINT32)y;
				b->destRight = (UINT32)(x + w - 1);
				b->destBottom = (UINT32)(y + h - 1);
				b->width = (UINT32)w;
				b->height = (UINT32)h;
				b->bitsPerPixel = 32;
				b->compressed = TRUE;
				b->bitmapDataStream = data;
				b->bitmapLength = len;
				b->cbCompMainBodySize = len;
				b->cbScanWidth = (UINT32)w * 4;
				b->cbUncompressedSize = (UINT32)(w * h * 4);
				bytes += len + 32;
				if (bytes >= budget) {
					memset(&bu, 0, sizeof(bu));
					bu.count = bu.number = (UINT32)nbd;
					bu.rectangles = bd;
					if (!up->BitmapUpdate(&p->ctx, &bu))
						rc = -1;
					for (i = 0; i < nbd; i++)
						free(bd[i].bitmapDataStream);
					nbd = 0;
					bytes = 0;
				}
			}
		}
	}
	if (rc == 0 && nbd > 0) {
		memset(&bu, 0, sizeof(bu));
		bu.count = bu.number = (UINT32)nbd;
		bu.rectangles = bd;
		if (!up->BitmapUpdate(&p->ctx, &bu))
			rc = -1;
	}
	for (i = 0; i < nbd; i++)
		free(bd[i].bitmapDataStream);
	free(bd);
	write_end(p);
	return rc;
}

/*
 * RemoteFX surface bits: every pending rectangle in one encoding, split
 * into as many messages as the client's request size needs, and those
 * between a begin and an end frame marker when the client takes them, so
 * that it shows the picture whole.
 */
static int
send_rfx(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;
	rdpUpdate *up = p->ctx.update;
	RFX_RECT rects[MAX_DAMAGE];
	RFX_MESSAGE *msgs;
	SURFACE_BITS_COMMAND cmd;
	size_t nmsg = 0, i, maxsz;
	int k, n = 0, rc = 0, markers = st->SurfaceFrameMarkerEnabled;
	UINT32 frame_id = 0;
	BOOL ok;

	for (k = 0; k < p->npend; k++) {
		struct rs_rect r = p->pend[k];
		if (!rect_clip(&r, p->lay.fw, p->lay.fh))
			continue;
		rects[n].x = (UINT16)r.x;
		rects[n].y = (UINT16)r.y;
		rects[n].width = (UINT16)r.w;
		rects[n].height = (UINT16)r.h;
		n++;
	}
	if (n == 0)
		return 0;
	maxsz = st->MultifragMaxRequestSize ? st->MultifragMaxRequestSize : 0x3F0000;
	msgs = rfx_encode_messages_ex(p->rfx, rects, (size_t)n, (const BYTE *)p->canvas,
	    (UINT32)p->lay.fw, (UINT32)p->lay.fh, (UINT32)p->lay.fw * 4, &nmsg, maxsz);
	if (msgs == NULL)
		return -1;
	if (markers)
		frame_id = ++p->frame_id;
	write_begin(p);
	for (i = 0; i < nmsg; i++) {
		if (rc == 0) {
			Stream_SetPosition(p->rfx_s, 0);
			if (!rfx_write_message(p->rfx, p->rfx_s, &msgs[i])) {
				rc = -1;
			} else {
				memset(&cmd, 0, sizeof(cmd));
				cmd.cmdType = CMDTYPE_STREAM_SURFACE_BITS;
				cmd.destRight = (UINT32)p->lay.fw;
				cmd.destBottom = (UINT32)p->lay.fh;
				cmd.bmp.codecID = (UINT16)st->RemoteFxCodecId;
				cmd.bmp.bpp = 32;
				cmd.bmp.width = (UINT16)p->lay.fw;
				cmd.bmp.height = (UINT16)p->lay.fh;
				cmd.bmp.bitmapDataLength = (UINT32)Stream_GetPosition(p->rfx_s);
				cmd.bmp.bitmapData = Stream_Buffer(p->rfx_s);
				cmd.skipCompression = TRUE;
				if (markers)
					ok = up->SurfaceFrameBits(&p->ctx, &cmd, i == 0,
					    i + 1 == nmsg, frame_id);
				else
					ok = up->SurfaceBits(&p->ctx, &cmd);
				if (!ok)
					rc = -1;
			}
		}
		rfx_message_free(p->rfx, &msgs[i]);
	}
	if (nmsg > 0)
		free(msgs[0].rects);
	free(msgs);
	write_end(p);
	return rc;
}

static int
gfx_make_surface(struct peer *p)
{
	RdpgfxServerContext *g = p->gfx;
	RDPGFX_RESET_GRAPHICS_PDU reset;
	RDPGFX_CREATE_SURFACE_PDU cs;
	RDPGFX_MAP_SURFACE_TO_OUTPUT_PDU map;
	RDPGFX_DELETE_SURFACE_PDU ds;
	MONITOR_DEF mon;

	if (p->gfx_surface) {
		ds.surfaceId = 0;
		if (g->DeleteSurface(g, &ds) != CHANNEL_RC_OK)
			return -1;
		p->gfx_surface = 0;
	}
	memset(&mon, 0, sizeof(mon));
	mon.right = p->lay.fw - 1;
	mon.bottom = p->lay.fh - 1;
	mon.flags = MONITOR_PRIMARY;
	reset.width = (UINT32)p->lay.fw;
	reset.height = (UINT32)p->lay.fh;
	reset.monitorCount = 1;
	reset.monitorDefArray = &mon;
	if (g->ResetGraphics(g, &reset) != CHANNEL_RC_OK)
		return -1;
	memset(&cs, 0, sizeof(cs));
	cs.surfaceId = 0;
	cs.width = (UINT16)p->lay.fw;
	cs.height = (UINT16)p->lay.fh;
	cs.pixelFormat = GFX_PIXEL_FORMAT_XRGB_8888;
	if (g->CreateSurface(g, &cs) != CHANNEL_RC_OK)
		return -1;
	memset(&map, 0, sizeof(map));
	if (g->MapSurfaceToOutput(g, &map) != CHANNEL_RC_OK)
		return -1;
	p->gfx_surface = 1;
	if (p->h264 != NULL &&
	    !h264_context_reset(p->h264, (UINT32)p->lay.fw, (UINT32)p->lay.fh))
		return -1;
	pend_full(p);
	return 0;
}

static void
gfx_frame_ids(struct peer *p, RDPGFX_START_FRAME_PDU *s, RDPGFX_END_FRAME_PDU *e)
{
	struct timespec ts;
	long sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	sec = (long)(ts.tv_sec % 86400);
	s->frameId = e->frameId = ++p->frame_id;
	s->timestamp = (UINT32)((sec / 3600) << 22 | (sec / 60 % 60) << 16 | (sec % 60) << 10 |
	    ts.tv_nsec / 1000000);
	atomic_fetch_add(&p->gfx_unacked, 1);
}

/* GFX H.264: the whole picture, as FreeRDP's encoder wants it. */
static int
send_gfx_h264(struct peer *p)
{
	RdpgfxServerContext *g = p->gfx;
	RDPGFX_SURFACE_COMMAND cmd;
	RDPGFX_START_FRAME_PDU s;
	RDPGFX_END_FRAME_PDU e;
	RDPGFX_AVC420_BITMAP_STREAM avc;
	RDPGFX_H264_QUANT_QUALITY qq;
	RECTANGLE_16 region;
	BYTE *data = NULL;
	UINT32 len = 0;
	UINT rc;

	if (avc420_compress(p->h264, (const BYTE *)p->canvas, PIXEL_FORMAT_BGRX32,
	    (UINT32)p->lay.fw * 4, (UINT32)p->lay.fw, (UINT32)p->lay.fh, &data, &len) < 0)
		return -1;
	if (data == NULL || len == 0)
		return 0;
	memset(&cmd, 0, sizeof(cmd));
	cmd.codecId = RDPGFX_CODECID_AVC420;
	cmd.format = PIXEL_FORMAT_BGRX32;
	cmd.right = (UINT32)p->lay.fw;
	cmd.bottom = (UINT32)p->lay.fh;
	cmd.width = (UINT32)p->lay.fw;
	cmd.height = (UINT32)p->lay.fh;
	region.left = 0;
	region.top = 0;
	region.right = (UINT16)p->lay.fw;
	region.bottom = (UINT16)p->lay.fh;
	memset(&qq, 0, sizeof(qq));
	qq.qp = 22;
	qq.qpVal = 22;
	qq.qualityVal = 100 - 22;
	avc.meta.numRegionRects = 1;
	avc.meta.regionRects = &region;
	avc.meta.quantQualityVals = &qq;
	avc.data = data;
	avc.length = len;
	cmd.extra = &avc;
	gfx_frame_ids(p, &s, &e);
	write_begin(p);
	rc = g->SurfaceFrameCommand(g, &cmd, &s, &e);
	write_end(p);
	return rc == CHANNEL_RC_OK ? 0 : -1;
}

/* GFX without H.264: planar tiles in one GFX frame. */
static int
send_gfx_planar(struct peer *p)
{
	RdpgfxServerContext *g = p->gfx;
	RDPGFX_SURFACE_COMMAND cmd;
	RDPGFX_START_FRAME_PDU s;
	RDPGFX_END_FRAME_PDU e;
	struct rs_rect r;
	int k, x, y, rc = 0;

	/* The client's GFX planar path never switches to BGR. */
	freerdp_planar_switch_bgr(p->planar, FALSE);
	gfx_frame_ids(p, &s, &e);
	write_begin(p);
	if (g->StartFrame(g, &s) != CHANNEL_RC_OK)
		rc = -1;
	for (k = 0; k < p->npend && rc == 0; k++) {
		r = align4(p->pend[k]);
		if (!rect_clip(&r, p->lay.fw, p->lay.fh))
			continue;
		for (y = r.y; y < r.y + r.h && rc == 0; y += TILE) {
			for (x = r.x; x < r.x + r.w && rc == 0; x += TILE) {
				int w = r.x + r.w - x < TILE ? r.x + r.w - x : TILE;
				int h = r.y + r.h - y < TILE ? r.y + r.h - y : TILE;
				UINT32 len;
				BYTE *data = planar_tile(p, x, y, w, h, 1, &len);

				if (data == NULL) {
					rc = -1;
					break;
				}
				memset(&cmd, 0, sizeof(cmd));
				cmd.codecId = RDPGFX_CODECID_PLANAR;
				cmd.format = PIXEL_FORMAT_BGRX32;
				cmd.left = (UINT32)x;
				cmd.top = (UINT32)y;
				cmd.right = (UINT32)(x + w);
				cmd.bottom = (UINT32)(y + h);
				cmd.width = (UINT32)w;
				cmd.height = (UINT32)h;
				cmd.data = data;
				cmd.length = len;
				if (g->SurfaceCommand(g, &cmd) != CHANNEL_RC_OK)
					rc = -1;
				free(data);
			}
		}
	}
	if (g->EndFrame(g, &e) != CHANNEL_RC_OK)
		rc = -1;
	write_end(p);
	return rc;
}

/* ---- GFX channel callbacks (its own thread) ---- */

static int
caps_h264(uint32_t version, uint32_t flags)
{
	if (version == RDPGFX_CAPVERSION_8)
		return 0;
	if (version == RDPGFX_CAPVERSION_81)
		return (flags & RDPGFX_CAPS_FLAG_AVC420_ENABLED) != 0;
	return (flags & RDPGFX_CAPS_FLAG_AVC_DISABLED) == 0;
}

static UINT
gfx_caps_advertise(RdpgfxServerContext *g, const RDPGFX_CAPS_ADVERTISE_PDU *adv)
{
	static const uint32_t prefer[] = {
		RDPGFX_CAPVERSION_107, RDPGFX_CAPVERSION_106, RDPGFX_CAPVERSION_106_ERR,
		RDPGFX_CAPVERSION_105, RDPGFX_CAPVERSION_104, RDPGFX_CAPVERSION_103,
		RDPGFX_CAPVERSION_102, RDPGFX_CAPVERSION_101, RDPGFX_CAPVERSION_10,
		RDPGFX_CAPVERSION_81, RDPGFX_CAPVERSION_8,
	};
	struct peer *p = g->custom;
	RDPGFX_CAPS_CONFIRM_PDU confirm;
	RDPGFX_CAPSET caps;
	size_t v;
	UINT16 i;
	int h264 = 0;

	for (v = 0; v < sizeof(prefer) / sizeof(prefer[0]); v++) {
		for (i = 0; i < adv->capsSetCount; i++) {
			if (adv->capsSets[i].version != prefer[v])
				continue;
			caps = adv->capsSets[i];
			if (caps_h264(caps.version, caps.flags) && p->h264 == NULL) {
				H264_CONTEXT *h = h264_context_new(TRUE);
				if (h != NULL) {
					h->RateControlMode = H264_RATECONTROL_VBR;
					h->BitRate = 10000000;
					h->FrameRate = (FLOAT)srv.lim.max_fps;
					h->QP = 22;
					if (h264_context_reset(h, (UINT32)p->lay.fw,
					    (UINT32)p->lay.fh))
						p->h264 = h;
					else
						h264_context_free(h);
				}
			}
			h264 = caps_h264(caps.version, caps.flags) && p->h264 != NULL;
			if (!h264) {
				if (caps.version == RDPGFX_CAPVERSION_81)
					caps.flags &= ~RDPGFX_CAPS_FLAG_AVC420_ENABLED;
				else if (caps.version != RDPGFX_CAPVERSION_8)
					caps.flags |= RDPGFX_CAPS_FLAG_AVC_DISABLED;
			}
			confirm.capsSet = &caps;
			if (g->CapsConfirm(g, &confirm) != CHANNEL_RC_OK)
				return ERROR_INTERNAL_ERROR;
			atomic_store(&p->gfx_h264, h264);
			atomic_store(&p->gfx_state, GFX_READY);
			SetEvent(p->wake);
			return CHANNEL_RC_OK;
		}
	}
	return CHANNEL_RC_UNSUPPORTED_VERSION;
}

static UINT
gfx_frame_ack(RdpgfxServerContext *g, const RDPGFX_FRAME_ACKNOWLEDGE_PDU *ack)
{
	struct peer *p = g->custom;

	if (ack->queueDepth == SUSPEND_FRAME_ACKNOWLEDGEMENT)
		atomic_store(&p->gfx_noack, 1);
	if (atomic_fetch_sub(&p->gfx_unacked, 1) <= 0)
		atomic_store(&p->gfx_unacked, 0);
	SetEvent(p->wake);
	return CHANNEL_RC_OK;
}

/* ---- Display Control channel (MS-RDPEDISP) ---- */

/* The client broke the channel's protocol: its connection is closed. */
static UINT
disp_broken(struct peer *p, const char *why)
{
	log_warnx("rdp: %s: display control: %s, disconnecting", p->host, why);
	atomic_store(&p->disp_bad, 1);
	SetEvent(p->wake);
	return ERROR_INVALID_DATA;
}

/*
 * A monitor layout from the client (the channel's thread).  FreeRDP has
 * checked the PDU's lengths, at most MaxNumMonitors monitors, each 200 to
 * 8192 pixels with a known orientation.  We take one primary monitor at
 * (0,0); a framed viewer's monitor holds the frame, which is taken off.
 * A size outside RS_REQ_* is refused and the channel stays open; anything
 * the protocol does not allow closes the connection.  So does a client
 * that sends more than DISP_MAX_PER_S layouts a second, which also ends
 * FreeRDP 2.11's parser looping on a PDU whose header gives a length
 * shorter than the PDU: it calls us again for the same bytes until we
 * return an error.
 */
static UINT
disp_layout(DispServerContext *ctx, const DISPLAY_CONTROL_MONITOR_LAYOUT_PDU *pdu)
{
	struct peer *p = ctx->custom;
	const DISPLAY_CONTROL_MONITOR_LAYOUT *m;
	long long now = now_ms();
	int w, h, mw, mh, why, same;

	if (p->disp_win == 0 || now - p->disp_win >= 1000) {
		p->disp_win = now;
		p->disp_n = 0;
	}
	if (++p->disp_n > DISP_MAX_PER_S)
		return disp_broken(p, "too many monitor layouts");
	if (pdu->NumMonitors != 1 || pdu->Monitors == NULL)
		return disp_broken(p, "a layout without exactly one monitor");
	m = &pdu->Monitors[0];
	if (!(m->Flags & DISPLAY_CONTROL_MONITOR_PRIMARY) || m->Left != 0 || m->Top != 0)
		return disp_broken(p, "a monitor that is not primary at (0,0)");
	if (m->Width < DISPLAY_CONTROL_MIN_MONITOR_WIDTH ||
	    m->Width > DISPLAY_CONTROL_MAX_MONITOR_WIDTH ||
	    m->Height < DISPLAY_CONTROL_MIN_MONITOR_HEIGHT ||
	    m->Height > DISPLAY_CONTROL_MAX_MONITOR_HEIGHT)
		return disp_broken(p, "a monitor size out of range");
	mw = (int)m->Width;
	mh = (int)m->Height;
	if (m->Orientation != ORIENTATION_LANDSCAPE) {
		log_info("rdp: %s: asked for %dx%d rotated by %u: refused", p->host, mw, mh,
		    (unsigned)m->Orientation);
		return CHANNEL_RC_OK;
	}
	w = mw;
	h = mh;
	if (!p->unframed) {
		w -= RS_FRAMED_W(0);
		h -= RS_FRAMED_H(0);
	}
	if ((why = rs_resize_check(w, h)) != 0) {
		log_info("rdp: %s: asked for %dx%d%s: refused (%s)", p->host, mw, mh,
		    p->unframed ? "" : " (framed)", why == 2 ? "too large" : "too small");
		return CHANNEL_RC_OK;
	}
	pthread_mutex_lock(&srv.fb->lock);
	same = srv.fb->w == w && srv.fb->h == h;
	pthread_mutex_unlock(&srv.fb->lock);
	if (same)
		return CHANNEL_RC_OK;
	if (rs_input_resize(w, h) == -1) {
		log_info("rdp: %s: asked for %dx%d: no device model", p->host, mw, mh);
		return CHANNEL_RC_OK;
	}
	log_info("rdp: %s: asked for %dx%d%s: the qube is asked for %dx%d", p->host, mw, mh,
	    p->unframed ? "" : " (framed)", w, h);
	return CHANNEL_RC_OK;
}

static BOOL
disp_id_assigned(DispServerContext *ctx, UINT32 id)
{
	struct peer *p = ctx->custom;

	p->disp_id = id;
	return TRUE;
}

/* The client's answer to a dynamic channel's create request (the peer's
 * thread, inside WTSVirtualChannelManagerCheckFileDescriptor). */
static BOOL
disp_created(void *arg, UINT32 id, INT32 status)
{
	struct peer *p = arg;

	if (p->disp == NULL || id != p->disp_id ||
	    atomic_load(&p->disp_state) != DISP_OPENING)
		return TRUE;
	if (status < 0) {
		log_info("rdp: %s: the client has no display control", p->host);
		atomic_store(&p->disp_state, DISP_OFF);
	} else {
		atomic_store(&p->disp_state, DISP_CAPS);
		SetEvent(p->wake);
	}
	return TRUE;
}

/* Opens the Display Control channel once the dynamic channels are up, and
 * sends our caps once the client has taken it.  -1 = close the peer. */
static int
disp_channel(struct peer *p)
{
	DispServerContext *d;

	if (atomic_load(&p->disp_bad))
		return -1;
	switch (atomic_load(&p->disp_state)) {
	case DISP_NONE:
		break;
	case DISP_CAPS:
		if (p->disp->DisplayControlCaps(p->disp) != CHANNEL_RC_OK) {
			log_warnx("rdp: %s: cannot send the display control caps", p->host);
			return -1;
		}
		atomic_store(&p->disp_state, DISP_READY);
		log_info("rdp: %s: display control open", p->host);
		return 0;
	default:
		return 0;
	}
	if (!p->active)
		return 0;
	if (!WTSVirtualChannelManagerIsChannelJoined(p->vcm, "drdynvc")) {
		atomic_store(&p->disp_state, DISP_OFF);
		return 0;
	}
	if (WTSVirtualChannelManagerGetDrdynvcState(p->vcm) != DRDYNVC_STATE_READY)
		return 0;
	if ((d = disp_server_context_new(p->vcm)) == NULL)
		return -1;
	d->custom = p;
	d->rdpcontext = &p->ctx;
	d->MaxNumMonitors = 1;
	/* the largest monitor we take: the largest qube, framed or not */
	d->MaxMonitorAreaFactorA = (UINT32)(p->unframed ? RS_REQ_MAX_W : RS_FRAMED_W(RS_REQ_MAX_W));
	d->MaxMonitorAreaFactorB = (UINT32)(p->unframed ? RS_REQ_MAX_H : RS_FRAMED_H(RS_REQ_MAX_H));
	d->DispMonitorLayout = disp_layout;
	d->ChannelIdAssigned = disp_id_assigned;
	p->disp = d;
	atomic_store(&p->disp_state, DISP_OPENING);
	WTSVirtualChannelManagerSetDVCCreationCallback(p->vcm, disp_created, p);
	if (d->Open(d) != CHANNEL_RC_OK) {
		log_warnx("rdp: %s: cannot open the display control channel", p->host);
		atomic_store(&p->disp_state, DISP_OFF);
	}
	return 0;
}

/* Stops the channel's thread and frees it (the peer's context going). */
static void
disp_free(struct peer *p)
{
	if (p->disp == NULL)
		return;
	if (p->vcm != NULL && p->vcm != INVALID_HANDLE_VALUE)
		WTSVirtualChannelManagerSetDVCCreationCallback(p->vcm, NULL, NULL);
	p->disp->Close(p->disp);
	disp_server_context_free(p->disp);
	p->disp = NULL;
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
	p->wake = CreateEvent(NULL, TRUE, FALSE, NULL);	/* WinPR has no auto-reset */
	p->planar = freerdp_bitmap_planar_context_new(PLANAR_FORMAT_HEADER_NA |
	    PLANAR_FORMAT_HEADER_RLE, TILE, TILE);
	p->rfx = rfx_context_new(TRUE);
	p->rfx_s = Stream_New(NULL, 64 * 1024);
	if (p->wake == NULL || p->planar == NULL || p->rfx == NULL || p->rfx_s == NULL)
		return FALSE;
	rfx_context_set_pixel_format(p->rfx, PIXEL_FORMAT_BGRX32);
	return TRUE;
}

static void
peer_ctx_free(freerdp_peer *client, rdpContext *ctx)
{
	struct peer *p = (struct peer *)ctx;

	(void)client;
	if (p->gfx != NULL) {
		p->gfx->Close(p->gfx);
		rdpgfx_server_context_free(p->gfx);
	}
	disp_free(p);
	if (p->h264 != NULL) {
		/* FreeRDP 2.11's h264_context_free() forgets the encoder's
		 * YUV buffers (avc420_ensure_buffer's); ours to free. */
		for (int i = 0; i < 3; i++) {
			_aligned_free(p->h264->pYUVData[i]);
			p->h264->pYUVData[i] = NULL;
		}
		h264_context_free(p->h264);
	}
	if (p->vcm != NULL && p->vcm != INVALID_HANDLE_VALUE)
		WTSCloseServer(p->vcm);
	if (p->wake != NULL)
		CloseHandle(p->wake);
	if (p->planar != NULL)
		freerdp_bitmap_planar_context_free(p->planar);
	if (p->rfx != NULL)
		rfx_context_free(p->rfx);
	if (p->rfx_s != NULL)
		Stream_Free(p->rfx_s, TRUE);
	free(p->canvas);
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
		if (srv.auth != NULL && st->Username != NULL &&
		    st->Password != NULL)
			rc = srv.auth(st->Username, st->Password);
		ok = rc >= 0;
		p->unframed = rc == 1;
		log_escape(user, sizeof(user), st->Username ? st->Username : "",
		    st->Username ? strlen(st->Username) : 0);
		wipe(st->Password);
		if (!ok) {
			log_warnx("rdp: %s: refused user \"%s\"", p->host, user);
			pthread_mutex_lock(&srv.lock);
			srv.st.refused++;
			pthread_mutex_unlock(&srv.lock);
			return FALSE;
		}
		log_info("rdp: %s: user \"%s\" logged on (%s)", p->host, user,
		    p->unframed ? "unframed" : "framed");
		p->authed = 1;
	}
	if (canvas_layout(p) < 0)
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
		return FALSE;	/* Capabilities runs first; never skip it */
	if (client->settings->RemoteFxCodec &&
	    !rfx_context_reset(p->rfx, (UINT32)p->lay.fw, (UINT32)p->lay.fh))
		client->settings->RemoteFxCodec = FALSE;
	return TRUE;
}

static BOOL
peer_activate(freerdp_peer *client)
{
	struct peer *p = (struct peer *)client->context;

	if (!p->authed)
		return FALSE;
	p->active = 1;
	pthread_mutex_lock(&srv.lock);
	p->deadline = 0;
	pthread_mutex_unlock(&srv.lock);
	pend_full(p);
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
		    areas[i].right - areas[i].left + 1, areas[i].bottom - areas[i].top + 1 };
		if (rect_clip(&r, p->lay.fw, p->lay.fh))
			damage_add(p->pend, &p->npend, &r);
	}
	if (count == 0)
		pend_full(p);
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
		pend_full(p);
		SetEvent(p->wake);
	}
	return TRUE;
}

static BOOL
peer_synchronize(rdpInput *in, UINT32 flags)
{
	(void)in;
	(void)flags;
	return TRUE;
}

static BOOL
peer_key(rdpInput *in, UINT16 flags, UINT16 code)
{
	struct peer *p = (struct peer *)in->context;
	int down;
	unsigned xt;

	if (!p->active)
		return TRUE;
	xt = rdp_key_to_xt(flags, code, &p->e1, &down);
	if (xt != 0)
		rs_input_key(0, xt, down);
	return TRUE;
}

static BOOL
peer_unicode_key(rdpInput *in, UINT16 flags, UINT16 code)
{
	struct peer *p = (struct peer *)in->context;
	uint32_t keysym;

	if (!p->active || code == 0 || (code >= 0xd800 && code <= 0xdfff))
		return TRUE;
	/* X keysyms: Latin-1 as itself, the rest of the BMP as 0x01000000+U. */
	keysym = code < 0x100 ? code : 0x01000000u | code;
	rs_input_key(keysym, 0, (flags & KBD_FLAGS_RELEASE) ? 0 : 1);
	return TRUE;
}

/* Framed coordinates to the qube's, clipped into its area. */
static void
pointer_to_qube(struct peer *p, UINT16 x, UINT16 y, int *qx, int *qy)
{
	*qx = (int)x - p->lay.ox;
	*qy = (int)y - p->lay.oy;
	if (*qx < 0)
		*qx = 0;
	if (*qy < 0)
		*qy = 0;
	if (*qx > p->lay.qw - 1)
		*qx = p->lay.qw - 1;
	if (*qy > p->lay.qh - 1)
		*qy = p->lay.qh - 1;
}

static BOOL
peer_mouse(rdpInput *in, UINT16 flags, UINT16 x, UINT16 y)
{
	struct peer *p = (struct peer *)in->context;
	int qx, qy, wheel;

	if (!p->active)
		return TRUE;
	pointer_to_qube(p, x, y, &qx, &qy);
	if (flags & PTR_FLAGS_WHEEL) {
		/* RFB: a click of button 4 (up) or 5 (down). */
		wheel = (flags & PTR_FLAGS_WHEEL_NEGATIVE) ? 16 : 8;
		rs_input_pointer(qx, qy, p->buttons | wheel);
		rs_input_pointer(qx, qy, p->buttons);
		return TRUE;
	}
	p->buttons = rdp_pointer_buttons(flags, p->buttons);
	rs_input_pointer(qx, qy, p->buttons);
	return TRUE;
}

static BOOL
peer_ext_mouse(rdpInput *in, UINT16 flags, UINT16 x, UINT16 y)
{
	struct peer *p = (struct peer *)in->context;
	int qx, qy;

	(void)flags;	/* buttons 4 and 5 (back, forward): not for the qube */
	if (!p->active)
		return TRUE;
	pointer_to_qube(p, x, y, &qx, &qy);
	rs_input_pointer(qx, qy, p->buttons);
	return TRUE;
}

/* ---- a peer's thread ---- */

static const char *
codec_name(struct peer *p)
{
	if (atomic_load(&p->gfx_state) == GFX_READY)
		return atomic_load(&p->gfx_h264) ? "GFX H.264 (AVC420)" : "GFX planar";
	if (p->ctx.settings->RemoteFxCodec)
		return "RemoteFX";
	return "planar";
}

/* The qube's size changed: new layout; tell the client.  -1 = give up. */
static int
peer_resize(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;
	int changed = canvas_layout(p);

	if (changed <= 0)
		return changed;
	log_info("rdp: %s: qube resized to %dx%d", p->host, p->lay.qw, p->lay.qh);
	st->DesktopWidth = (UINT32)p->lay.fw;
	st->DesktopHeight = (UINT32)p->lay.fh;
	if (st->RemoteFxCodec && !rfx_context_reset(p->rfx, (UINT32)p->lay.fw, (UINT32)p->lay.fh))
		return -1;
	if (!p->active)
		return 0;	/* the size goes out with the activation */
	if (atomic_load(&p->gfx_state) == GFX_READY)
		return gfx_make_surface(p);
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
	struct rs_rect d[MAX_DAMAGE];
	int nd, resized, i, gs, rc;
	uint64_t seq;
	long long now, since;

	pthread_mutex_lock(&srv.lock);
	nd = p->ndmg;
	memcpy(d, p->dmg, sizeof(d[0]) * (size_t)nd);
	p->ndmg = 0;
	seq = p->dmg_seq;
	since = p->dmg_since;
	p->dmg_since = 0;
	resized = p->resized;
	p->resized = 0;
	pthread_mutex_unlock(&srv.lock);

	if (resized && peer_resize(p) < 0)
		return -1;
	for (i = 0; i < nd; i++) {
		struct rs_rect r = d[i];
		r.x += p->lay.ox;
		r.y += p->lay.oy;
		damage_add(p->pend, &p->npend, &r);
	}
	if (nd > 0) {
		p->pend_seq = seq;
		if (!p->pend_src)
			p->pend_since = since;
		p->pend_src = 1;
	}
	if (!p->active || p->suppress || p->npend == 0)
		return -2;

	now = now_ms();
	gs = atomic_load(&p->gfx_state);
	if (gs == GFX_OPENING) {
		if (now - p->gfx_since < GFX_CAPS_WAIT_MS)
			return (int)(GFX_CAPS_WAIT_MS - (now - p->gfx_since));
		log_warnx("rdp: %s: no GFX capabilities from the client", p->host);
		atomic_store(&p->gfx_state, GFX_NONE);
		p->ctx.settings->SupportGraphicsPipeline = FALSE;
		gs = GFX_NONE;
	}
	if (now < p->next_ms)
		return (int)(p->next_ms - now);
	if (gs == GFX_READY) {
		if (!p->gfx_surface && gfx_make_surface(p) < 0)
			return -1;
		if (!atomic_load(&p->gfx_noack) &&
		    atomic_load(&p->gfx_unacked) >= GFX_MAX_UNACKED) {
			if (now - p->last_ack_ms < GFX_ACK_WAIT_MS)
				return GFX_ACK_WAIT_MS;	/* an ack wakes us */
			atomic_store(&p->gfx_unacked, 0);
		}
	}
	/* One update per source update, whole: wait for the rest of it (a
	 * bounded time: a source that stalls mid-update still gets shown). */
	if (p->pend_src && now - p->pend_since < SETTLE_MS && source_update_open(p))
		return SETTLE_POLL_MS;
	if (canvas_fill(p) < 0) {
		pthread_mutex_lock(&srv.lock);
		p->resized = 1;
		pthread_mutex_unlock(&srv.lock);
		return 0;
	}
	if (!p->logged_codec) {
		log_info("rdp: %s: %dx%d, %s", p->host, p->lay.fw, p->lay.fh, codec_name(p));
		p->logged_codec = 1;
	}
	if (gs == GFX_READY)
		rc = atomic_load(&p->gfx_h264) ? send_gfx_h264(p) : send_gfx_planar(p);
	else if (p->ctx.settings->RemoteFxCodec)
		rc = send_rfx(p);
	else
		rc = send_planar(p);
	if (rc < 0)
		return -1;
	p->last_ack_ms = now;
	p->npend = 0;
	p->pend_src = 0;
	p->next_ms = now + 1000 / srv.lim.max_fps;
	return -2;
}

/* Opens the GFX channel once the dynamic channels are up, if the client
 * asked for GFX. */
static int
peer_channels(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;

	if (!p->active || !st->SupportGraphicsPipeline || p->gfx != NULL)
		return 0;
	if (!WTSVirtualChannelManagerIsChannelJoined(p->vcm, "drdynvc")) {
		st->SupportGraphicsPipeline = FALSE;	/* no dynamic channels */
		return 0;
	}
	if (WTSVirtualChannelManagerGetDrdynvcState(p->vcm) != DRDYNVC_STATE_READY) {
		if (p->gfx_since == 0)
			p->gfx_since = now_ms();
		atomic_store(&p->gfx_state, GFX_OPENING);	/* hold updates */
		return 0;
	}
	p->gfx = rdpgfx_server_context_new(p->vcm);
	if (p->gfx == NULL)
		return -1;
	p->gfx->rdpcontext = &p->ctx;
	p->gfx->custom = p;
	p->gfx->CapsAdvertise = gfx_caps_advertise;
	p->gfx->FrameAcknowledge = gfx_frame_ack;
	p->gfx_since = now_ms();
	atomic_store(&p->gfx_state, GFX_OPENING);
	if (!p->gfx->Open(p->gfx)) {
		log_warnx("rdp: %s: cannot open the GFX channel", p->host);
		st->SupportGraphicsPipeline = FALSE;
		atomic_store(&p->gfx_state, GFX_NONE);
	}
	return 0;
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
		n = client->GetEventHandles(client, h, MAXIMUM_WAIT_OBJECTS - 3);
		if (n == 0)
			break;
		h[n++] = WTSVirtualChannelManagerGetEventHandle(p->vcm);
		h[n++] = p->wake;
		h[n++] = srv.stop;
		pthread_mutex_lock(&srv.lock);
		deadline = p->deadline;
		pthread_mutex_unlock(&srv.lock);
		timeout = wait >= 0 ? (DWORD)wait : 1000;
		if (deadline > 0) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				log_warnx("rdp: %s: handshake deadline passed", p->host);
				pthread_mutex_lock(&srv.lock);
				srv.st.timed_out++;
				pthread_mutex_unlock(&srv.lock);
				break;
			}
			if (left < (long long)timeout)
				timeout = (DWORD)left;
		}
		k = WaitForMultipleObjects(n, h, FALSE, timeout);
		if (k == WAIT_FAILED)
			break;
		ResetEvent(p->wake);	/* before peer_update() takes the damage */
		if (WaitForSingleObject(srv.stop, 0) == WAIT_OBJECT_0)
			break;
		if (!client->CheckFileDescriptor(client))
			break;
		if (!WTSVirtualChannelManagerCheckFileDescriptor(p->vcm))
			break;
		if (peer_channels(p) < 0 || disp_channel(p) < 0)
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
	pthread_mutex_lock(&srv.lock);
	for (pp = &srv.peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&srv.lock);
	log_info("rdp: %s: disconnected", p->host);
	client->Disconnect(client);
	freerdp_peer_context_free(client);
	freerdp_peer_free(client);

	pthread_mutex_lock(&srv.lock);
	srv.npeers--;
	srv.st.peers = srv.npeers;
	pthread_cond_broadcast(&srv.cond);
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

static BOOL
on_accepted(freerdp_listener *l, freerdp_peer *client)
{
	rdpSettings *st;
	struct peer *p;
	pthread_attr_t attr;
	pthread_t t;
	int full;

	(void)l;
	pthread_mutex_lock(&srv.lock);
	full = srv.npeers >= srv.lim.max_peers || !srv.running;
	pthread_mutex_unlock(&srv.lock);
	if (full) {
		log_warnx("rdp: %s: too many viewers, refused", client->hostname);
		return FALSE;
	}
	client->ContextSize = sizeof(struct peer);
	client->ContextNew = peer_ctx_new;
	client->ContextFree = peer_ctx_free;
	if (!freerdp_peer_context_new(client))
		return FALSE;
	p = (struct peer *)client->context;
	p->fd = client->sockfd;
	snprintf(p->host, sizeof(p->host), "%s", client->hostname);

	st = client->settings;
	/* In memory: nothing is read from disk after rdp_start (privileges
	 * may be dropped and the filesystem sandboxed by then). */
	if (!freerdp_settings_set_string(st, FreeRDP_CertificateContent, srv.cert) ||
	    !freerdp_settings_set_string(st, FreeRDP_PrivateKeyContent, srv.key))
		goto fail;
	st->RdpSecurity = FALSE;
	st->TlsSecurity = TRUE;
	st->NlaSecurity = FALSE;
	st->ExtSecurity = FALSE;
	freerdp_settings_set_uint16(st, FreeRDP_TLSMinVersion, 0x0303 /* TLS 1.2 */);
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
	client->input->SynchronizeEvent = peer_synchronize;
	client->input->KeyboardEvent = peer_key;
	client->input->UnicodeKeyboardEvent = peer_unicode_key;
	client->input->MouseEvent = peer_mouse;
	client->input->ExtendedMouseEvent = peer_ext_mouse;
	client->update->RefreshRect = peer_refresh_rect;
	client->update->SuppressOutput = peer_suppress_output;
	if (!client->Initialize(client))
		goto fail;

	pthread_mutex_lock(&srv.lock);
	p->deadline = now_ms() + srv.lim.handshake_ms;
	p->next = srv.peers;
	srv.peers = p;
	srv.npeers++;
	srv.st.peers = srv.npeers;
	srv.st.accepted++;
	pthread_mutex_unlock(&srv.lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, peer_main, p) != 0) {
		pthread_attr_destroy(&attr);
		pthread_mutex_lock(&srv.lock);
		srv.peers = p->next;	/* still first: we hold the only ref */
		srv.npeers--;
		srv.st.peers = srv.npeers;
		pthread_mutex_unlock(&srv.lock);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	log_info("rdp: %s: connected", p->host);
	return TRUE;
fail:
	freerdp_peer_context_free(client);
	return FALSE;
}

/* The watchdog: a peer blocked in a TLS handshake or a write never comes
 * back to its loop; shutting its socket down makes that call fail. */
static void
watchdog(void)
{
	struct peer *p;
	long long now = now_ms();

	pthread_mutex_lock(&srv.lock);
	for (p = srv.peers; p != NULL; p = p->next) {
		if (p->killed)
			continue;
		if ((p->deadline > 0 && now > p->deadline + 1000) ||
		    (p->send_since > 0 && now - p->send_since > srv.lim.stall_ms)) {
			log_warnx("rdp: %s: %s, disconnecting", p->host,
			    p->deadline > 0 ? "handshake deadline passed" : "write stalled");
			shutdown(p->fd, SHUT_RDWR);
			p->killed = 1;
			srv.st.timed_out++;
		}
	}
	pthread_mutex_unlock(&srv.lock);
}

static void *
listener_thread(void *arg)
{
	freerdp_listener *l = arg;
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	DWORD n;

	for (;;) {
		n = l->GetEventHandles(l, h, MAXIMUM_WAIT_OBJECTS - 1);
		if (n == 0)
			break;
		h[n++] = srv.stop;
		if (WaitForMultipleObjects(n, h, FALSE, 250) == WAIT_FAILED)
			break;
		if (WaitForSingleObject(srv.stop, 0) == WAIT_OBJECT_0)
			break;
		if (!l->CheckFileDescriptor(l))
			log_warnx("rdp: accept failed");
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
		snprintf(err, errlen, "%s: %s", addr ? addr : "*", gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s port %d: %s", addr ? addr : "*", *port, strerror(errno));
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
    int (*auth_password)(const char *user, const char *pass), char *err, size_t errlen)
{
	int fd, port = bound_port ? *bound_port : 0;

	if (srv.running) {
		snprintf(err, errlen, "the RDP server is already running");
		return -1;
	}
	if (fb == NULL || q == NULL || cert == NULL || key == NULL || auth_password == NULL) {
		snprintf(err, errlen, "rdp_start: missing argument");
		return -1;
	}
	srv.cert = read_pem(cert, err, errlen);
	if (srv.cert == NULL)
		return -1;
	srv.key = read_pem(key, err, errlen);
	if (srv.key == NULL) {
		free_pem(&srv.cert);
		return -1;
	}
	if (getenv("WLOG_LEVEL") == NULL)
		WLog_SetLogLevel(WLog_GetRoot(), WLOG_ERROR);
	WTSRegisterWtsApiFunctionTable(FreeRDP_InitWtsApi());

	fd = bind_socket(listen_addr, &port, err, errlen);
	if (fd < 0) {
		free_pem(&srv.cert);
		free_pem(&srv.key);
		return -1;
	}
	srv.fb = fb;
	srv.q = *q;
	srv.auth = auth_password;
	srv.stop = CreateEvent(NULL, TRUE, FALSE, NULL);
	srv.listener = freerdp_listener_new();
	if (srv.cert == NULL || srv.key == NULL || srv.stop == NULL || srv.listener == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv.listener->PeerAccepted = on_accepted;
	if (!srv.listener->OpenFromSocket(srv.listener, fd)) {
		snprintf(err, errlen, "FreeRDP cannot listen on the socket");
		goto fail;
	}
	fd = -1;	/* the listener's now */
	if (srv.listening_on != fb) {
		if (rs_fb_listen(fb, on_fb_damage, on_fb_resize, NULL) != 0) {
			snprintf(err, errlen, "too many framebuffer listeners");
			goto fail;
		}
		srv.listening_on = fb;
	}
	memset(&srv.st, 0, sizeof(srv.st));
	srv.running = 1;
	if (pthread_create(&srv.thread, NULL, listener_thread, srv.listener) != 0) {
		srv.running = 0;
		snprintf(err, errlen, "pthread_create failed");
		goto fail;
	}
	if (bound_port)
		*bound_port = port;
	log_info("rdp: listening on %s port %d", listen_addr ? listen_addr : "*", port);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (srv.listener != NULL) {
		srv.listener->Close(srv.listener);
		freerdp_listener_free(srv.listener);
		srv.listener = NULL;
	}
	if (srv.stop != NULL)
		CloseHandle(srv.stop);
	srv.stop = NULL;
	free_pem(&srv.cert);
	free_pem(&srv.key);
	return -1;
}

void
rdp_stop(void)
{
	struct peer *p;

	if (!srv.running)
		return;
	pthread_mutex_lock(&srv.lock);
	srv.running = 0;
	pthread_mutex_unlock(&srv.lock);
	SetEvent(srv.stop);
	pthread_join(srv.thread, NULL);
	pthread_mutex_lock(&srv.lock);
	for (p = srv.peers; p != NULL; p = p->next)
		shutdown(p->fd, SHUT_RDWR);	/* ends handshakes in progress */
	while (srv.npeers > 0)
		pthread_cond_wait(&srv.cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	srv.listener->Close(srv.listener);
	freerdp_listener_free(srv.listener);
	srv.listener = NULL;
	CloseHandle(srv.stop);
	srv.stop = NULL;
	free_pem(&srv.cert);
	free_pem(&srv.key);
}
