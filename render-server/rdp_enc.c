/*
 * An RDP viewer's picture and its encoders (the peer's thread).  The
 * picture is the peer's own canvas: the qube's screen inside the trust
 * frame (rdp_layout), or alone for a viewer that draws its own frame
 * (rdp_layout_plain); the pending damage's pixels are copied into it from
 * the shared framebuffer, then encoded, all of it in one frame:
 *
 *   - GFX with H.264 (AVC420) when the client offers it: the whole picture;
 *   - GFX planar when it offers GFX without H.264: 64x64 tiles;
 *   - RemoteFX surface bits when it offers RemoteFX, between surface frame
 *     markers when it takes them;
 *   - planar bitmap updates otherwise.
 *
 * The GFX channel's callbacks (its own thread) only set the peer's flags.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <freerdp/channels/wtsvc.h>
#include <freerdp/codec/color.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>
#include <winpr/crt.h>
#include <winpr/synch.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "rdp_peer.h"

#define UPDATE_BUDGET (256 * 1024) /* bytes per BitmapUpdate PDU */

int
rdp_enc_new(struct peer *p)
{
	p->planar = freerdp_bitmap_planar_context_new(PLANAR_FORMAT_HEADER_NA |
		PLANAR_FORMAT_HEADER_RLE,
	    RDP_TILE, RDP_TILE);
	p->rfx = rfx_context_new(TRUE);
	p->rfx_s = Stream_New(NULL, 64 * 1024);
	if (p->planar == NULL || p->rfx == NULL || p->rfx_s == NULL)
		return -1;
	rfx_context_set_pixel_format(p->rfx, PIXEL_FORMAT_BGRX32);
	return 0;
}

void
rdp_enc_free(struct peer *p)
{
	if (p->gfx != NULL) {
		p->gfx->Close(p->gfx);
		rdpgfx_server_context_free(p->gfx);
		p->gfx = NULL;
	}
	if (p->h264 != NULL) {
		/* FreeRDP 2.11's h264_context_free() forgets the encoder's
		 * YUV buffers (avc420_ensure_buffer's); ours to free. */
		for (int i = 0; i < 3; i++) {
			_aligned_free(p->h264->pYUVData[i]);
			p->h264->pYUVData[i] = NULL;
		}
		h264_context_free(p->h264);
		p->h264 = NULL;
	}
	if (p->planar != NULL)
		freerdp_bitmap_planar_context_free(p->planar);
	if (p->rfx != NULL)
		rfx_context_free(p->rfx);
	if (p->rfx_s != NULL)
		Stream_Free(p->rfx_s, TRUE);
	p->planar = NULL;
	p->rfx = NULL;
	p->rfx_s = NULL;
	free(p->canvas);
	p->canvas = NULL;
}

void
rdp_pend_full(struct peer *p)
{
	p->pend.n = 1;
	p->pend.r[0] = (struct rs_rect){ 0, 0, p->lay.fw, p->lay.fh };
}

/* The qube's area starts black and is filled by the next update. */
int
rdp_canvas_layout(struct peer *p)
{
	struct rdp_layout l;
	uint32_t *c;
	int qw, qh;

	pthread_mutex_lock(&rdp_srv.fb->lock);
	qw = rdp_srv.fb->w;
	qh = rdp_srv.fb->h;
	pthread_mutex_unlock(&rdp_srv.fb->lock);
	if (qw <= 0 || qh <= 0) { /* not connected to the qube yet */
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
		rs_frame_draw(p->canvas, l.fw, l.fh, l.qw, l.qh, &rdp_srv.q,
		    RS_PIX_RGB);
	rdp_pend_full(p);
	return 1;
}

int
rdp_canvas_fill(struct peer *p)
{
	struct rs_fb *fb = rdp_srv.fb;
	struct rs_rect r;
	int i, y, rc = 0;

	pthread_mutex_lock(&fb->lock);
	if (fb->pix == NULL || fb->w <= 0) {
		pthread_mutex_unlock(&fb->lock);
		return 0; /* nothing yet: the black inside stays */
	}
	if (fb->w != p->lay.qw || fb->h != p->lay.qh) {
		rc = -1;
	} else {
		for (i = 0; i < p->pend.n; i++) {
			r = p->pend.r[i];
			r.x -= p->lay.ox;
			r.y -= p->lay.oy;
			if (rs_rect_clip(&r, fb->w, fb->h) == -1)
				continue;
			for (y = r.y; y < r.y + r.h; y++)
				memcpy(&p->canvas[(size_t)(y + p->lay.oy) *
					       (size_t)p->lay.fw +
					   (size_t)(r.x + p->lay.ox)],
				    &fb->pix[(size_t)y * (size_t)fb->w +
					(size_t)r.x],
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
	pthread_mutex_lock(&rdp_srv.lock);
	p->send_since = (long long)tsr_mono_ms();
	pthread_mutex_unlock(&rdp_srv.lock);
}

static void
write_end(struct peer *p)
{
	pthread_mutex_lock(&rdp_srv.lock);
	p->send_since = 0;
	rdp_srv.st.frames++;
	pthread_mutex_unlock(&rdp_srv.lock);
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
planar_tile(struct peer *p, int x, int y, int w, int h, int topdown,
    UINT32 *len)
{
	const uint32_t *src =
	    &p->canvas[(size_t)y * (size_t)p->lay.fw + (size_t)x];
	uint32_t flip[RDP_TILE * RDP_TILE];
	UINT32 stride = (UINT32)p->lay.fw * 4;
	int row;

	*len = 0;
	if (topdown) {
		for (row = 0; row < h; row++)
			memcpy(&flip[(size_t)(h - 1 - row) * (size_t)w],
			    &src[(size_t)row * (size_t)p->lay.fw],
			    (size_t)w * 4);
		src = flip;
		stride = (UINT32)w * 4;
	}
	return freerdp_bitmap_compress_planar(p->planar, (const BYTE *)src,
	    PIXEL_FORMAT_BGRX32, (UINT32)w, (UINT32)h, stride, NULL, len);
}

/* A planar tile's consumer: it owns data (and frees it). */
typedef int (*tile_fn)(struct peer *, void *arg, int x, int y, int w, int h,
    BYTE *data, UINT32 len);

/* Every pending rectangle, aligned to 4 and clipped to the canvas, as
 * planar tiles of at most RDP_TILE x RDP_TILE to fn, in order: 0, or -1
 * at the first failure. */
static int
planar_tiles(struct peer *p, int topdown, tile_fn fn, void *arg)
{
	struct rs_rect r;
	int k, x, y, w, h;
	UINT32 len;
	BYTE *data;

	for (k = 0; k < p->pend.n; k++) {
		r = align4(p->pend.r[k]);
		if (rs_rect_clip(&r, p->lay.fw, p->lay.fh) == -1)
			continue;
		for (y = r.y; y < r.y + r.h; y += RDP_TILE) {
			for (x = r.x; x < r.x + r.w; x += RDP_TILE) {
				w = r.x + r.w - x < RDP_TILE ? r.x + r.w - x :
							       RDP_TILE;
				h = r.y + r.h - y < RDP_TILE ? r.y + r.h - y :
							       RDP_TILE;
				data =
				    planar_tile(p, x, y, w, h, topdown, &len);
				if (data == NULL ||
				    fn(p, arg, x, y, w, h, data, len) == -1)
					return -1;
			}
		}
	}
	return 0;
}

/* Legacy bitmap updates: tiles gathered up to a PDU's budget. */
struct bitmaps {
	BITMAP_DATA *bd;
	size_t n, cap;
	size_t bytes, budget;
};

/* Sends the tiles gathered (if any) as one BitmapUpdate and lets them go. */
static int
bitmaps_flush(struct peer *p, struct bitmaps *b)
{
	BITMAP_UPDATE bu;
	size_t i;
	int rc = 0;

	if (b->n > 0) {
		memset(&bu, 0, sizeof(bu));
		bu.count = bu.number = (UINT32)b->n;
		bu.rectangles = b->bd;
		if (!p->ctx.update->BitmapUpdate(&p->ctx, &bu))
			rc = -1;
	}
	for (i = 0; i < b->n; i++)
		free(b->bd[i].bitmapDataStream);
	b->n = 0;
	b->bytes = 0;
	return rc;
}

static int
bitmaps_tile(struct peer *p, void *arg, int x, int y, int w, int h, BYTE *data,
    UINT32 len)
{
	struct bitmaps *b = arg;
	BITMAP_DATA *d;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		BITMAP_DATA *n = realloc(b->bd, ncap * sizeof(*b->bd));

		if (n == NULL) {
			free(data);
			return -1;
		}
		b->bd = n;
		b->cap = ncap;
	}
	d = &b->bd[b->n++];
	memset(d, 0, sizeof(*d));
	d->destLeft = (UINT32)x;
	d->destTop = (UINT32)y;
	d->destRight = (UINT32)(x + w - 1);
	d->destBottom = (UINT32)(y + h - 1);
	d->width = (UINT32)w;
	d->height = (UINT32)h;
	d->bitsPerPixel = 32;
	d->compressed = TRUE;
	d->bitmapDataStream = data;
	d->bitmapLength = len;
	d->cbCompMainBodySize = len;
	d->cbScanWidth = (UINT32)w * 4;
	d->cbUncompressedSize = (UINT32)(w * h * 4);
	b->bytes += len + 32;
	if (b->bytes >= b->budget)
		return bitmaps_flush(p, b);
	return 0;
}

/* Legacy planar BitmapUpdates, 64x64 tiles, several PDUs if large. */
static int
send_planar(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;
	struct bitmaps b = { .budget = UPDATE_BUDGET };
	size_t i;
	int rc;

	if (st->MultifragMaxRequestSize > 4096 &&
	    st->MultifragMaxRequestSize - 2048 < b.budget)
		b.budget = st->MultifragMaxRequestSize - 2048;
	/* The client decodes planar with R and B swapped unless we mirror
	 * its DrawAllowDynamicColorFidelity (DESIGN.md, known traps). */
	freerdp_planar_switch_bgr(p->planar, st->DrawAllowDynamicColorFidelity);
	write_begin(p);
	rc = planar_tiles(p, 0, bitmaps_tile, &b);
	if (rc == 0)
		rc = bitmaps_flush(p, &b);
	for (i = 0; i < b.n; i++)
		free(b.bd[i].bitmapDataStream);
	free(b.bd);
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
	RFX_RECT rects[RDP_DAMAGE_MAX];
	RFX_MESSAGE *msgs;
	SURFACE_BITS_COMMAND cmd;
	size_t nmsg = 0, i, maxsz;
	int k, n = 0, rc = 0, markers = st->SurfaceFrameMarkerEnabled;
	UINT32 frame_id = 0;
	BOOL ok;

	for (k = 0; k < p->pend.n; k++) {
		struct rs_rect r = p->pend.r[k];
		if (rs_rect_clip(&r, p->lay.fw, p->lay.fh) == -1)
			continue;
		rects[n].x = (UINT16)r.x;
		rects[n].y = (UINT16)r.y;
		rects[n].width = (UINT16)r.w;
		rects[n].height = (UINT16)r.h;
		n++;
	}
	if (n == 0)
		return 0;
	maxsz = st->MultifragMaxRequestSize ? st->MultifragMaxRequestSize :
					      0x3F0000;
	msgs = rfx_encode_messages_ex(p->rfx, rects, (size_t)n,
	    (const BYTE *)p->canvas, (UINT32)p->lay.fw, (UINT32)p->lay.fh,
	    (UINT32)p->lay.fw * 4, &nmsg, maxsz);
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
				cmd.bmp.bitmapDataLength =
				    (UINT32)Stream_GetPosition(p->rfx_s);
				cmd.bmp.bitmapData = Stream_Buffer(p->rfx_s);
				cmd.skipCompression = TRUE;
				if (markers)
					ok = up->SurfaceFrameBits(&p->ctx, &cmd,
					    i == 0, i + 1 == nmsg, frame_id);
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

int
rdp_gfx_surface(struct peer *p)
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
	rdp_pend_full(p);
	return 0;
}

static void
gfx_frame_ids(struct peer *p, RDPGFX_START_FRAME_PDU *s,
    RDPGFX_END_FRAME_PDU *e)
{
	struct timespec ts;
	long sec;

	clock_gettime(CLOCK_REALTIME, &ts);
	sec = (long)(ts.tv_sec % 86400);
	s->frameId = e->frameId = ++p->frame_id;
	s->timestamp = (UINT32)((sec / 3600) << 22 | (sec / 60 % 60) << 16 |
	    (sec % 60) << 10 | ts.tv_nsec / 1000000);
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

	if (avc420_compress(p->h264, (const BYTE *)p->canvas,
		PIXEL_FORMAT_BGRX32, (UINT32)p->lay.fw * 4, (UINT32)p->lay.fw,
		(UINT32)p->lay.fh, &data, &len) < 0)
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

static int
gfx_tile(struct peer *p, void *arg, int x, int y, int w, int h, BYTE *data,
    UINT32 len)
{
	RDPGFX_SURFACE_COMMAND cmd;
	UINT rc;

	(void)arg;
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
	rc = p->gfx->SurfaceCommand(p->gfx, &cmd);
	free(data);
	return rc == CHANNEL_RC_OK ? 0 : -1;
}

/* GFX without H.264: planar tiles in one GFX frame. */
static int
send_gfx_planar(struct peer *p)
{
	RdpgfxServerContext *g = p->gfx;
	RDPGFX_START_FRAME_PDU s;
	RDPGFX_END_FRAME_PDU e;
	int rc = 0;

	/* The client's GFX planar path never switches to BGR. */
	freerdp_planar_switch_bgr(p->planar, FALSE);
	gfx_frame_ids(p, &s, &e);
	write_begin(p);
	if (g->StartFrame(g, &s) != CHANNEL_RC_OK ||
	    planar_tiles(p, 1, gfx_tile, NULL) == -1)
		rc = -1;
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
		RDPGFX_CAPVERSION_107,
		RDPGFX_CAPVERSION_106,
		RDPGFX_CAPVERSION_106_ERR,
		RDPGFX_CAPVERSION_105,
		RDPGFX_CAPVERSION_104,
		RDPGFX_CAPVERSION_103,
		RDPGFX_CAPVERSION_102,
		RDPGFX_CAPVERSION_101,
		RDPGFX_CAPVERSION_10,
		RDPGFX_CAPVERSION_81,
		RDPGFX_CAPVERSION_8,
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
			if (caps_h264(caps.version, caps.flags) &&
			    p->h264 == NULL) {
				H264_CONTEXT *h = h264_context_new(TRUE);
				if (h != NULL) {
					h->RateControlMode =
					    H264_RATECONTROL_VBR;
					h->BitRate = 10000000;
					h->FrameRate =
					    (FLOAT)rdp_srv.lim.max_fps;
					h->QP = 22;
					if (h264_context_reset(h,
						(UINT32)p->lay.fw,
						(UINT32)p->lay.fh))
						p->h264 = h;
					else
						h264_context_free(h);
				}
			}
			h264 = caps_h264(caps.version, caps.flags) &&
			    p->h264 != NULL;
			if (!h264) {
				if (caps.version == RDPGFX_CAPVERSION_81)
					caps.flags &=
					    ~RDPGFX_CAPS_FLAG_AVC420_ENABLED;
				else if (caps.version != RDPGFX_CAPVERSION_8)
					caps.flags |=
					    RDPGFX_CAPS_FLAG_AVC_DISABLED;
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

int
rdp_gfx_open(struct peer *p)
{
	rdpSettings *st = p->ctx.settings;

	if (!p->active || !st->SupportGraphicsPipeline || p->gfx != NULL)
		return 0;
	if (!WTSVirtualChannelManagerIsChannelJoined(p->vcm, "drdynvc")) {
		st->SupportGraphicsPipeline = FALSE; /* no dynamic channels */
		return 0;
	}
	if (WTSVirtualChannelManagerGetDrdynvcState(p->vcm) !=
	    DRDYNVC_STATE_READY) {
		if (p->gfx_since == 0)
			p->gfx_since = (long long)tsr_mono_ms();
		atomic_store(&p->gfx_state, GFX_OPENING); /* hold updates */
		return 0;
	}
	p->gfx = rdpgfx_server_context_new(p->vcm);
	if (p->gfx == NULL)
		return -1;
	p->gfx->rdpcontext = &p->ctx;
	p->gfx->custom = p;
	p->gfx->CapsAdvertise = gfx_caps_advertise;
	p->gfx->FrameAcknowledge = gfx_frame_ack;
	p->gfx_since = (long long)tsr_mono_ms();
	atomic_store(&p->gfx_state, GFX_OPENING);
	if (!p->gfx->Open(p->gfx)) {
		log_warnx("rdp: %s: cannot open the GFX channel", p->host);
		st->SupportGraphicsPipeline = FALSE;
		atomic_store(&p->gfx_state, GFX_NONE);
	}
	return 0;
}

const char *
rdp_codec_name(struct peer *p)
{
	if (atomic_load(&p->gfx_state) == GFX_READY)
		return atomic_load(&p->gfx_h264) ? "GFX H.264 (AVC420)" :
						   "GFX planar";
	if (p->ctx.settings->RemoteFxCodec)
		return "RemoteFX";
	return "planar";
}

int
rdp_enc_send(struct peer *p, int gfx)
{
	if (gfx)
		return atomic_load(&p->gfx_h264) ? send_gfx_h264(p) :
						   send_gfx_planar(p);
	if (p->ctx.settings->RemoteFxCodec)
		return send_rfx(p);
	return send_planar(p);
}
