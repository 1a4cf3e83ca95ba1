/*
 * tessera-view-decoder's RDP side: FreeRDP's client core and its software
 * GDI, drawing straight into the shared framebuffer.
 *
 * Security: TLS only (no RDP standard security, no NLA); the server's
 * certificate chain is checked here against --ca and must name --host
 * (FreeRDP's own store is never consulted: it would write known_hosts).
 * We log on with the ticket tessera-vmd gave the compositor; tessera-render
 * redeems it with tessera-vmd and serves the qube's screen without a frame.
 *
 * Codecs: what tessera-render sends a client that offers RemoteFX and no
 * GFX (RemoteFX surface bits); planar bitmaps otherwise.
 *
 * Size: the Display Control channel (MS-RDPEDISP, FreeRDP's disp addin on
 * its drdynvc, both linked in statically: nothing is loaded from disk).
 * A size the compositor asks for goes out as one primary monitor, its
 * width and height rounded down to even (the spec wants even widths; the
 * server pads its picture to even sizes), once the server has sent its
 * caps; until then the latest request waits.  The qube's new size comes
 * back as a desktop resize: a new framebuffer.  FreeRDP calls the
 * channel's callbacks on its drdynvc thread, hence rd.disp_lock.
 *
 * Keys: the compositor sends X keysyms (US layout for shifted keys); they
 * become the scancodes of a US keyboard, and other Latin-1 characters
 * Unicode key events.  The pointer: RFB's button mask becomes RDP's
 * button and wheel flags.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/addin.h>
#include <freerdp/channels/disp.h>
#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>
#include <freerdp/client/disp.h>
#include <freerdp/codec/color.h>
#include <freerdp/event.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/input.h>
#include <freerdp/scancode.h>
#include <freerdp/settings.h>
#include <freerdp/update.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "decoder.h"
#include "log.h"
#include "proto.h"

#define RDP_FORMAT PIXEL_FORMAT_BGRX32 /* 0x00RRGGBB, little endian */
#define RDP_MAX_HANDLES 32

static struct {
	freerdp *inst;
	X509_STORE *ca;
	int buttons; /* RFB mask held */
	int px, py;

	/* Display control: the channel's callbacks run on FreeRDP's drdynvc
	 * thread, everything else on ours. */
	pthread_mutex_t disp_lock;
	DispClientContext *disp; /* under disp_lock: the channel is open */
	int disp_ready;		 /* under disp_lock: its caps came */
	UINT32 disp_max_area;	 /* under disp_lock: from the caps */
	HANDLE disp_wake;	 /* caps came: send what waits */
	int want_w, want_h;	 /* a size not sent yet, 0 = none */
} rd = { .disp_lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- the server's certificate ---- */

static int
load_ca(void)
{
	if ((rd.ca = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(rd.ca, tv_opt.ca) != 1) {
		log_warnx("--ca %s: no certificates could be read", tv_opt.ca);
		return -1;
	}
	return 0;
}

/* 2 (accept, for this connection only) or 0. */
static int
verify_x509(freerdp *inst, const BYTE *pem, size_t len, const char *hostname,
    UINT16 port, DWORD flags)
{
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *leaf = NULL, *x;
	BIO *bio;
	int ok = 0, rc;

	(void)inst;
	(void)hostname; /* FreeRDP's is our socket's, not the host */
	(void)port;
	if (flags & (VERIFY_CERT_FLAG_GATEWAY | VERIFY_CERT_FLAG_REDIRECT)) {
		log_warnx("refused: a gateway or redirection certificate");
		tv_refused = 1;
		return 0;
	}
	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if ((chain = sk_X509_new_null()) != NULL)
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(chain, x))
				X509_free(x);
	ERR_clear_error();
	BIO_free(bio);
	if (leaf == NULL || chain == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, rd.ca, leaf, chain))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	/* an address is checked as one, a name as a DNS name */
	if (X509_VERIFY_PARAM_set1_ip_asc(param, tv_opt.host) != 1 &&
	    X509_VERIFY_PARAM_set1_host(param, tv_opt.host, 0) != 1)
		goto out;
	ERR_clear_error();
	if ((rc = X509_verify_cert(ctx)) == 1)
		ok = 2;
	else
		log_warnx("refused: the server's certificate: %s",
		    X509_verify_cert_error_string(
			X509_STORE_CTX_get_error(ctx)));
out:
	if (!ok)
		tv_refused = 1;
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return ok;
}

/* ---- the picture ---- */

static void
no_free(void *p)
{
	(void)p; /* the mapping belongs to main.c */
}

static BOOL
begin_paint(rdpContext *ctx)
{
	ctx->gdi->primary->hdc->hwnd->invalid->null = TRUE;
	ctx->gdi->primary->hdc->hwnd->ninvalid = 0;
	return TRUE;
}

static BOOL
end_paint(rdpContext *ctx)
{
	HGDI_WND hwnd = ctx->gdi->primary->hdc->hwnd;
	int i;

	for (i = 0; i < hwnd->ninvalid; i++)
		tv_damage(hwnd->cinvalid[i].x, hwnd->cinvalid[i].y,
		    hwnd->cinvalid[i].w, hwnd->cinvalid[i].h);
	hwnd->ninvalid = 0;
	hwnd->invalid->null = TRUE;
	tv_damage_flush();
	return TRUE;
}

static BOOL
desktop_resize(rdpContext *ctx)
{
	rdpSettings *st = ctx->settings;
	uint8_t *p;
	int w = (int)st->DesktopWidth, h = (int)st->DesktopHeight;

	/* the old buffer goes away here, before the GDI lets go of it:
	 * nothing is drawn in between */
	if ((p = tv_fb_new(w, h)) == NULL)
		return FALSE;
	return gdi_resize_ex(ctx->gdi, (UINT32)w, (UINT32)h, (UINT32)w * 4,
	    RDP_FORMAT, p, no_free);
}

/* ---- display control ---- */

static int lost(void);

/* The server's caps (drdynvc thread): layouts may go out now. */
static UINT
disp_caps(DispClientContext *d, UINT32 max_monitors, UINT32 area_a,
    UINT32 area_b)
{
	uint64_t area = (uint64_t)area_a * area_b * max_monitors;

	(void)d;
	pthread_mutex_lock(&rd.disp_lock);
	rd.disp_ready = max_monitors >= 1;
	rd.disp_max_area = area > UINT32_MAX ? UINT32_MAX : (UINT32)area;
	pthread_mutex_unlock(&rd.disp_lock);
	log_debug("display control: %u monitor(s), area %ux%u", max_monitors,
	    area_a, area_b);
	SetEvent(rd.disp_wake);
	return CHANNEL_RC_OK;
}

static void
on_channel_connected(void *ctx, ChannelConnectedEventArgs *e)
{
	DispClientContext *d = e->pInterface;

	(void)ctx;
	if (strcmp(e->name, DISP_DVC_CHANNEL_NAME) != 0 || d == NULL)
		return;
	pthread_mutex_lock(&rd.disp_lock);
	d->DisplayControlCaps = disp_caps;
	rd.disp = d;
	rd.disp_ready = 0;
	pthread_mutex_unlock(&rd.disp_lock);
}

static void
on_channel_disconnected(void *ctx, ChannelDisconnectedEventArgs *e)
{
	(void)ctx;
	if (strcmp(e->name, DISP_DVC_CHANNEL_NAME) != 0)
		return;
	pthread_mutex_lock(&rd.disp_lock);
	rd.disp = NULL;
	rd.disp_ready = 0;
	pthread_mutex_unlock(&rd.disp_lock);
}

/* Sends the size that waits, if the channel takes it now.  0 or -1. */
static int
disp_send(void)
{
	DISPLAY_CONTROL_MONITOR_LAYOUT m;
	UINT rc = CHANNEL_RC_OK;
	int w = rd.want_w, h = rd.want_h;

	if (w == 0)
		return 0;
	pthread_mutex_lock(&rd.disp_lock);
	if (rd.disp == NULL || !rd.disp_ready) {
		pthread_mutex_unlock(&rd.disp_lock);
		log_debug("resize to %dx%d: when the display control channel "
			  "is open",
		    w, h);
		return 0;
	}
	rd.want_w = rd.want_h = 0;
	if ((uint64_t)w * (uint64_t)h > rd.disp_max_area) {
		pthread_mutex_unlock(&rd.disp_lock);
		log_info("resize to %dx%d: larger than the server takes", w, h);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.Flags = DISPLAY_CONTROL_MONITOR_PRIMARY;
	m.Width = (UINT32)w;
	m.Height = (UINT32)h;
	m.Orientation = ORIENTATION_LANDSCAPE;
	m.DesktopScaleFactor = 100;
	m.DeviceScaleFactor = 100;
	/* under the lock: the channel cannot be announced closed meanwhile */
	rc = rd.disp->SendMonitorLayout(rd.disp, 1, &m);
	pthread_mutex_unlock(&rd.disp_lock);
	if (rc != CHANNEL_RC_OK)
		return lost();
	log_info("asked the server for %dx%d", w, h);
	return 0;
}

/* ---- connecting ---- */

static BOOL
pre_connect(freerdp *inst)
{
	rdpSettings *st = inst->settings;

	st->RdpSecurity = FALSE;
	st->TlsSecurity = TRUE;
	st->NlaSecurity = FALSE;
	st->ExtSecurity = FALSE;
	st->ExternalCertificateManagement = TRUE;
	st->ColorDepth = 32;
	st->SoftwareGdi = TRUE;
	st->RemoteFxCodec = FALSE; /* lossless planar instead */
	st->NSCodec = FALSE;
	st->SupportGraphicsPipeline = FALSE;
	st->SurfaceCommandsEnabled = TRUE;
	st->FrameMarkerCommandEnabled = TRUE;
	st->FastPathOutput = TRUE;
	st->FastPathInput = TRUE;
	st->BitmapCacheEnabled = FALSE;
	st->OffscreenSupportLevel = 0;
	st->GlyphSupportLevel = GLYPH_SUPPORT_NONE;
	st->AudioPlayback = FALSE;
	st->RedirectClipboard = FALSE;
	st->DeviceRedirection = FALSE;
	st->AutoReconnectionEnabled = FALSE;
	/* display control on drdynvc, from the addins linked in */
	st->SupportDisplayControl = TRUE;
	st->DynamicResolutionUpdate = TRUE;
	if (freerdp_register_addin_provider(
		freerdp_channels_load_static_addin_entry, 0) != 0 ||
	    PubSub_SubscribeChannelConnected(inst->context->pubSub,
		on_channel_connected) != 0 ||
	    PubSub_SubscribeChannelDisconnected(inst->context->pubSub,
		on_channel_disconnected) != 0 ||
	    !freerdp_client_load_addins(inst->context->channels, st)) {
		log_warnx("loading the display control channel failed");
		return FALSE;
	}
	return TRUE;
}

static BOOL
post_connect(freerdp *inst)
{
	rdpSettings *st = inst->settings;
	int w = (int)st->DesktopWidth, h = (int)st->DesktopHeight;
	uint8_t *p;

	if ((p = tv_fb_new(w, h)) == NULL)
		return FALSE;
	if (!gdi_init_ex(inst, RDP_FORMAT, (UINT32)w * 4, p, no_free))
		return FALSE;
	inst->update->BeginPaint = begin_paint;
	inst->update->EndPaint = end_paint;
	inst->update->DesktopResize = desktop_resize;
	log_info("handshake done: RDP over TLS, %dx%d", w, h);
	return TRUE;
}

static int
rdp_open(int sock)
{
	char host[24];
	rdpSettings *st;

	WLog_SetLogLevel(WLog_GetRoot(),
	    tv_opt.verbose >= 2 ? WLOG_DEBUG :
		tv_opt.verbose	? WLOG_INFO :
				  WLOG_ERROR);
	if (load_ca() == -1)
		return EXIT_USAGE;
	if ((rd.disp_wake = CreateEvent(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (rd.inst = freerdp_new()) == NULL)
		return EXIT_LOST;
	rd.inst->PreConnect = pre_connect;
	rd.inst->PostConnect = post_connect;
	rd.inst->VerifyX509Certificate = verify_x509;
	if (!freerdp_context_new(rd.inst))
		return EXIT_LOST;
	st = rd.inst->settings;
	/* "|": FreeRDP's way of saying the port is a connected socket */
	snprintf(host, sizeof(host), "|%d", sock);
	if (!freerdp_settings_set_string(st, FreeRDP_ServerHostname, host) ||
	    !freerdp_settings_set_uint32(st, FreeRDP_ServerPort,
		(UINT32)sock) ||
	    !freerdp_settings_set_string(st, FreeRDP_Username, tv_opt.user) ||
	    !freerdp_settings_set_string(st, FreeRDP_Password, tv_opt.pass))
		return EXIT_LOST;
	explicit_bzero(tv_opt.pass, sizeof(tv_opt.pass));
	if (!freerdp_connect(rd.inst)) {
		if (!tv_refused)
			log_warnx("refused: the handshake failed (%s)",
			    freerdp_get_last_error_string(
				freerdp_get_last_error(rd.inst->context)));
		return EXIT_REFUSED;
	}
	if (st->Password != NULL)
		explicit_bzero(st->Password, strlen(st->Password));
	return 0;
}

static int
rdp_fds(struct pollfd *pfd, int max)
{
	HANDLE h[RDP_MAX_HANDLES];
	DWORD i, n;
	int fd, k = 0;

	n = freerdp_get_event_handles(rd.inst->context, h, RDP_MAX_HANDLES - 1);
	h[n++] = rd.disp_wake;
	for (i = 0; i < n && k < max; i++) {
		if ((fd = GetEventFileDescriptor(h[i])) < 0)
			continue;
		pfd[k].fd = fd;
		pfd[k].events = POLLIN;
		k++;
	}
	return k;
}

static int
rdp_pending(void)
{
	return 0; /* FreeRDP drains TLS's buffer when it reads */
}

static int
rdp_pump(void)
{
	if (!freerdp_check_event_handles(rd.inst->context) ||
	    freerdp_shall_disconnect(rd.inst)) {
		log_warnx("connection lost: %s",
		    freerdp_get_last_error_string(
			freerdp_get_last_error(rd.inst->context)));
		return -1;
	}
	if (WaitForSingleObject(rd.disp_wake, 0) == WAIT_OBJECT_0) {
		ResetEvent(rd.disp_wake);
		return disp_send();
	}
	return 0;
}

/* ---- input ---- */

static int
lost(void)
{
	log_warnx("connection lost (sending)");
	return -1;
}

/* A keysym's key on a US keyboard (set 1, KBDEXT for E0 keys), or 0. */
static UINT32
us_scancode(uint32_t ks)
{
	static const char row_sym[] = "1234567890-=qwertyuiop[]asdfghjkl;'`"
				      "\\zxcvbnm,./ ";
	static const unsigned char row_code[] = {
		0x02,
		0x03,
		0x04,
		0x05,
		0x06,
		0x07,
		0x08,
		0x09,
		0x0a,
		0x0b,
		0x0c,
		0x0d,
		0x10,
		0x11,
		0x12,
		0x13,
		0x14,
		0x15,
		0x16,
		0x17,
		0x18,
		0x19,
		0x1a,
		0x1b,
		0x1e,
		0x1f,
		0x20,
		0x21,
		0x22,
		0x23,
		0x24,
		0x25,
		0x26,
		0x27,
		0x28,
		0x29,
		0x2b,
		0x2c,
		0x2d,
		0x2e,
		0x2f,
		0x30,
		0x31,
		0x32,
		0x33,
		0x34,
		0x35,
		0x39,
	};
	static const char shifted[] = "!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:\"~"
				      "|ZXCVBNM<>?";
	static const struct {
		uint32_t ks;
		UINT32 code;
	} special[] = {
		{ 0xff1b, 0x01 },
		{ 0xff08, 0x0e },
		{ 0xff09, 0x0f },
		{ 0xff0d, 0x1c },
		{ 0xffe3, 0x1d },
		{ 0xffe1, 0x2a },
		{ 0xffe2, 0x36 },
		{ 0xffe9, 0x38 },
		{ 0xffe5, 0x3a },
		{ 0xffc8, 0x57 },
		{ 0xffc9, 0x58 },
		{ 0xff8d, KBDEXT | 0x1c },
		{ 0xffe4, KBDEXT | 0x1d },
		{ 0xffea, KBDEXT | 0x38 },
		{ 0xff50, KBDEXT | 0x47 },
		{ 0xff52, KBDEXT | 0x48 },
		{ 0xff55, KBDEXT | 0x49 },
		{ 0xff51, KBDEXT | 0x4b },
		{ 0xff53, KBDEXT | 0x4d },
		{ 0xff57, KBDEXT | 0x4f },
		{ 0xff54, KBDEXT | 0x50 },
		{ 0xff56, KBDEXT | 0x51 },
		{ 0xff63, KBDEXT | 0x52 },
		{ 0xffff, KBDEXT | 0x53 },
		{ 0xffeb, KBDEXT | 0x5b },
		{ 0xffec, KBDEXT | 0x5c },
		{ 0xff67, KBDEXT | 0x5d },
	};
	const char *p;
	size_t i;

	if (ks >= 0x20 && ks < 0x7f) {
		if ((p = strchr(row_sym, (int)ks)) != NULL)
			return row_code[p - row_sym];
		if ((p = strchr(shifted, (int)ks)) != NULL)
			return row_code[p - shifted];
		return 0;
	}
	if (ks >= 0xffbe && ks <= 0xffc7) /* F1 to F10 */
		return 0x3b + (ks - 0xffbe);
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (special[i].ks == ks)
			return special[i].code;
	return 0;
}

static int
rdp_key(int down, uint32_t ks)
{
	rdpInput *in = rd.inst->input;
	UINT32 code = us_scancode(ks);

	if (code != 0)
		return freerdp_input_send_keyboard_event_ex(in,
			   down ? TRUE : FALSE, code) ?
		    0 :
		    lost();
	/* Latin-1 beyond ASCII, and Unicode keysyms (0x01000000 | U) */
	if ((ks >= 0xa0 && ks <= 0xff) || (ks > 0x01000000 && ks <= 0x0100ffff))
		return freerdp_input_send_unicode_keyboard_event(in,
			   down ? 0 : KBD_FLAGS_RELEASE,
			   (UINT16)(ks & 0xffff)) ?
		    0 :
		    lost();
	log_debug("keysym 0x%x has no key here", ks);
	return 0;
}

static int
rdp_pointer(int x, int y, int buttons)
{
	static const struct {
		int bit;
		UINT16 flag;
	} map[] = {
		{ 1, PTR_FLAGS_BUTTON1 },
		{ 4, PTR_FLAGS_BUTTON2 },
		{ 2, PTR_FLAGS_BUTTON3 },
	};
	rdpInput *in = rd.inst->input;
	size_t i;
	int changed = buttons ^ rd.buttons;

	if ((x != rd.px || y != rd.py || changed == 0) &&
	    !freerdp_input_send_mouse_event(in, PTR_FLAGS_MOVE, (UINT16)x,
		(UINT16)y))
		return lost();
	rd.px = x;
	rd.py = y;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((changed & map[i].bit) &&
		    !freerdp_input_send_mouse_event(in,
			map[i].flag |
			    ((buttons & map[i].bit) ? PTR_FLAGS_DOWN : 0),
			(UINT16)x, (UINT16)y))
			return lost();
	/* wheel: RFB presses buttons 4 and 5, one notch each */
	if ((changed & buttons & 8) &&
	    !freerdp_input_send_mouse_event(in, PTR_FLAGS_WHEEL | 0x0078,
		(UINT16)x, (UINT16)y))
		return lost();
	if ((changed & buttons & 16) &&
	    !freerdp_input_send_mouse_event(in,
		PTR_FLAGS_WHEEL | PTR_FLAGS_WHEEL_NEGATIVE | 0x0088, (UINT16)x,
		(UINT16)y))
		return lost();
	rd.buttons = buttons;
	return 0;
}

static int
rdp_resize(int w, int h)
{
	w &= ~1;
	h &= ~1;
	if (w < DISPLAY_CONTROL_MIN_MONITOR_WIDTH ||
	    w > DISPLAY_CONTROL_MAX_MONITOR_WIDTH ||
	    h < DISPLAY_CONTROL_MIN_MONITOR_HEIGHT ||
	    h > DISPLAY_CONTROL_MAX_MONITOR_HEIGHT) {
		log_debug("resize to %dx%d: outside what RDP can ask for", w,
		    h);
		return 0;
	}
	rd.want_w = w;
	rd.want_h = h;
	return disp_send();
}

const struct tv_proto tv_proto_rdp = {
	.name = "rdp",
	.open = rdp_open,
	.fds = rdp_fds,
	.pending = rdp_pending,
	.pump = rdp_pump,
	.key = rdp_key,
	.pointer = rdp_pointer,
	.resize = rdp_resize,
};
