/*
 * bench-rdpc: the measuring RDP client of the render-server benchmarks
 * (FreeRDP 2, no window: FreeRDP's software GDI decodes into memory).
 *
 *   bench-rdpc --port P --user U --pass P --times FILE [--rec FILE]
 *       [--codec rfx|gfx] [--code-at X,Y] [--timeout S]
 *
 * TLS security (the server's certificate is not checked: the benchmark's
 * own servers on the loopback).  --codec rfx: RemoteFX surface bits;
 * gfx: the graphics pipeline with H.264 (AVC420) offered, the codec the
 * server then picks.  After each painted update it reads the frame code
 * (rec.h) at --code-at, and counts latency, bytes (TCP socket, TLS
 * included) and PSNR (with --rec) as bench-vncc does.  Prints
 *   frames N seen N bytes N bpf N lat_med MS lat_p95 MS psnr DB updates N
 * where an update is a complete frame: at its end marker when the server
 * sends surface frame markers, at the end of a GFX frame, else at the end
 * of each painted update.  With BENCH_RDPC_TRACE=FILE, one line per update
 * goes to FILE: "update frame is_new latency_ms psnr".
 */
#include <dirent.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tcp.h>

#include <freerdp/addin.h>
#include <freerdp/client/channels.h>
#include <freerdp/client/cmdline.h>
#include <freerdp/client/rdpgfx.h>
#include <freerdp/event.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/gdi/gfx.h>
#include <winpr/synch.h>

#include "rec.h"

static struct {
	const char *user, *pass, *codec;
	int port, code_x, code_y;
} o = { .codec = "rfx" };

static struct rec_times *times;
static struct rec rec;
static int have_rec;
static struct rec_lat lat;
static int updates;
static struct rec_quality quality;
static pcRdpgfxUpdateSurfaces gdi_update_surfaces;
static FILE *trace; /* BENCH_RDPC_TRACE: one line per painted update */

/* What is painted now: a new frame number? */
static void
check(rdpContext *ctx)
{
	rdpGdi *gdi = ctx->gdi;
	int64_t now = rec_now_ns();
	uint32_t k;
	int is_new;

	updates++;
	if (gdi == NULL || gdi->primary_buffer == NULL || times == NULL ||
	    !times->started || gdi->stride % 4 != 0 ||
	    rec_code_read((const uint32_t *)(void *)gdi->primary_buffer,
		gdi->stride / 4, gdi->width, gdi->height, o.code_x, o.code_y,
		&k) == -1)
		return;
	if ((is_new = rec_lat_frame(&lat, times, k, now)) == -1)
		return;
	if (have_rec && o.code_x + (int)rec.w <= gdi->width &&
	    o.code_y + (int)rec.h <= gdi->height &&
	    rec_seek(&rec, (int)k) == 0) {
		double q = rec_psnr(gdi->primary_buffer, gdi->stride, o.code_x,
		    o.code_y, rec.cur, (int)rec.w, (int)rec.h);

		rec_quality_frame(&quality, q, is_new);
		if (trace)
			fprintf(trace, "%d %u %d %.1f %.2f\n", updates, k,
			    is_new, (double)(now - times->t[k]) / 1e6, q);
	}
}

/* With surface frame markers, a frame is complete at its end marker;
 * with the graphics pipeline, at the end of its frame (update_surfaces:
 * the paint it does in between is not one more); otherwise at the end of
 * each update. */
static int markers, gfx;
static pSurfaceFrameMarker gdi_frame_marker;

static BOOL
end_paint(rdpContext *ctx)
{
	if (!markers && !gfx)
		check(ctx);
	return TRUE;
}

static BOOL
frame_marker(rdpContext *ctx, const SURFACE_FRAME_MARKER *m)
{
	BOOL rc = gdi_frame_marker ? gdi_frame_marker(ctx, m) : TRUE;

	markers = 1;
	if (m->frameAction == SURFACECMD_FRAMEACTION_END)
		check(ctx);
	return rc;
}

static BOOL
desktop_resize(rdpContext *ctx)
{
	return gdi_resize(ctx->gdi, ctx->settings->DesktopWidth,
	    ctx->settings->DesktopHeight);
}

static UINT
update_surfaces(RdpgfxClientContext *g)
{
	UINT rc = gdi_update_surfaces(g);
	rdpGdi *gdi = g->custom;

	gfx = 1;
	check(gdi->context);
	return rc;
}

static void
on_channel_connected(void *arg, ChannelConnectedEventArgs *e)
{
	rdpContext *ctx = arg;

	if (strcmp(e->name, RDPGFX_DVC_CHANNEL_NAME) == 0) {
		RdpgfxClientContext *g = e->pInterface;

		gdi_graphics_pipeline_init(ctx->gdi, g);
		gdi_update_surfaces = g->UpdateSurfaces;
		g->UpdateSurfaces = update_surfaces;
	}
}

static void
on_channel_disconnected(void *arg, ChannelDisconnectedEventArgs *e)
{
	rdpContext *ctx = arg;

	if (strcmp(e->name, RDPGFX_DVC_CHANNEL_NAME) == 0) {
		gdi_graphics_pipeline_uninit(ctx->gdi, e->pInterface);
		gfx = 0;
	}
}

static BOOL
pre_connect(freerdp *instance)
{
	rdpContext *ctx = instance->context;

	PubSub_SubscribeChannelConnected(ctx->pubSub, on_channel_connected);
	PubSub_SubscribeChannelDisconnected(ctx->pubSub,
	    on_channel_disconnected);
	return freerdp_client_load_addins(ctx->channels, instance->settings);
}

static BOOL
post_connect(freerdp *instance)
{
	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32))
		return FALSE;
	instance->update->EndPaint = end_paint;
	gdi_frame_marker = instance->update->SurfaceFrameMarker;
	instance->update->SurfaceFrameMarker = frame_marker;
	instance->update->DesktopResize = desktop_resize;
	return TRUE;
}

static DWORD
verify_certificate(freerdp *instance, const char *host, UINT16 port,
    const char *cn, const char *subject, const char *issuer,
    const char *fingerprint, DWORD flags)
{
	(void)instance;
	(void)host;
	(void)port;
	(void)cn;
	(void)subject;
	(void)issuer;
	(void)fingerprint;
	(void)flags;
	return 2; /* this session only */
}

static BOOL
client_new(freerdp *instance, rdpContext *ctx)
{
	(void)ctx;
	instance->PreConnect = pre_connect;
	instance->PostConnect = post_connect;
	instance->VerifyCertificateEx = verify_certificate;
	return TRUE;
}

/* Bytes received on our TCP connection to the server's port. */
static unsigned long long
tcp_bytes(void)
{
	struct sockaddr_storage ss;
	struct tcp_info ti;
	struct dirent *d;
	socklen_t len;
	DIR *dir;
	unsigned long long b = 0;
	int fd;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		fd = atoi(d->d_name);
		len = sizeof(ss);
		if (d->d_name[0] == '.' ||
		    getpeername(fd, (struct sockaddr *)&ss, &len) == -1 ||
		    ss.ss_family != AF_INET ||
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) != o.port)
			continue;
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
			b += ti.tcpi_bytes_received;
	}
	closedir(dir);
	return b;
}

static void
rdp_quiet(void)
{
	if (getenv("BENCH_RDPC_DEBUG") == NULL)
		setenv("WLOG_LEVEL", "OFF", 0);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "pass", required_argument, NULL, 'P' },
		{ "times", required_argument, NULL, 'T' },
		{ "rec", required_argument, NULL, 'r' },
		{ "codec", required_argument, NULL, 'C' },
		{ "code-at", required_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	RDP_CLIENT_ENTRY_POINTS ep;
	const char *timesf = NULL, *recf = NULL;
	rdpContext *ctx;
	rdpSettings *s;
	freerdp *instance;
	HANDLE handles[64];
	DWORD nh;
	int64_t deadline, done_at = 0;
	unsigned long long b0 = 0, b1;
	int ch, timeout_s = 120, started = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'P':
			o.pass = optarg;
			break;
		case 'T':
			timesf = optarg;
			break;
		case 'r':
			recf = optarg;
			break;
		case 'C':
			o.codec = optarg;
			break;
		case 'x':
			if (sscanf(optarg, "%d,%d", &o.code_x, &o.code_y) != 2)
				return 2;
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (o.port <= 0 || !o.user || !o.pass || !timesf || optind != argc ||
	    (strcmp(o.codec, "rfx") != 0 && strcmp(o.codec, "gfx") != 0))
		return 2;
	rdp_quiet();
	signal(SIGPIPE, SIG_IGN);
	if (getenv("BENCH_RDPC_TRACE") != NULL &&
	    (trace = fopen(getenv("BENCH_RDPC_TRACE"), "w")) == NULL)
		return 1;
	if ((times = rec_times_map(timesf, 0, 0)) == NULL) {
		fprintf(stderr, "bench-rdpc: cannot read %s\n", timesf);
		return 1;
	}
	if (recf) {
		if (rec_open(&rec, recf) == -1) {
			fprintf(stderr, "bench-rdpc: cannot read %s\n", recf);
			return 1;
		}
		have_rec = 1;
	}
	freerdp_register_addin_provider(
	    freerdp_channels_load_static_addin_entry, 0);
	memset(&ep, 0, sizeof(ep));
	ep.Size = sizeof(ep);
	ep.Version = RDP_CLIENT_INTERFACE_VERSION;
	ep.ContextSize = sizeof(rdpContext);
	ep.ClientNew = client_new;
	if ((ctx = freerdp_client_context_new(&ep)) == NULL)
		return 1;
	instance = ctx->instance;
	s = ctx->settings;
	if (!freerdp_settings_set_string(s, FreeRDP_ServerHostname,
		"127.0.0.1") ||
	    !freerdp_settings_set_string(s, FreeRDP_Username, o.user) ||
	    !freerdp_settings_set_string(s, FreeRDP_Password, o.pass))
		return 1;
	freerdp_settings_set_uint32(s, FreeRDP_ServerPort, (UINT32)o.port);
	freerdp_settings_set_bool(s, FreeRDP_RdpSecurity, FALSE);
	freerdp_settings_set_bool(s, FreeRDP_TlsSecurity, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_NlaSecurity, FALSE);
	freerdp_settings_set_bool(s, FreeRDP_ExtSecurity, FALSE);
	freerdp_settings_set_bool(s, FreeRDP_IgnoreCertificate, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_AutoLogonEnabled, TRUE);
	freerdp_settings_set_uint32(s, FreeRDP_ColorDepth, 32);
	freerdp_settings_set_uint32(s, FreeRDP_DesktopWidth, 1024);
	freerdp_settings_set_uint32(s, FreeRDP_DesktopHeight, 768);
	freerdp_settings_set_bool(s, FreeRDP_SoftwareGdi, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_FastPathOutput, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_FrameMarkerCommandEnabled, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_SurfaceFrameMarkerEnabled, TRUE);
	if (strcmp(o.codec, "rfx") == 0) {
		freerdp_settings_set_bool(s, FreeRDP_RemoteFxCodec, TRUE);
		freerdp_settings_set_bool(s, FreeRDP_SupportGraphicsPipeline,
		    FALSE);
	} else {
		freerdp_settings_set_bool(s, FreeRDP_SupportGraphicsPipeline,
		    TRUE);
		freerdp_settings_set_bool(s, FreeRDP_GfxH264, TRUE);
		freerdp_settings_set_bool(s, FreeRDP_GfxAVC444, FALSE);
		freerdp_settings_set_bool(s, FreeRDP_RemoteFxCodec, TRUE);
	}
	if (!freerdp_connect(instance)) {
		printf("failed: cannot connect (error 0x%08x)\n",
		    freerdp_get_last_error(ctx));
		return 3;
	}
	deadline = rec_now_ns() + (int64_t)timeout_s * 1000000000;
	while (rec_now_ns() < deadline && !freerdp_shall_disconnect(instance)) {
		if (!started && times->started) {
			started = 1;
			b0 = tcp_bytes();
		}
		if (started && times->done && done_at == 0)
			done_at = rec_now_ns();
		if (done_at &&
		    (lat.last_k + 1 >= times->nframes ||
			rec_now_ns() - done_at > 2000000000LL))
			break;
		nh = freerdp_get_event_handles(ctx, handles, 64);
		if (nh == 0)
			break;
		WaitForMultipleObjects(nh, handles, FALSE, 5);
		if (!freerdp_check_event_handles(ctx)) {
			printf(
			    "failed: the connection ended after %d updates\n",
			    updates);
			return 1;
		}
	}
	b1 = tcp_bytes();
	if (!done_at) {
		printf("failed: timed out (%d frames seen)\n", lat.seen);
		return 1;
	}
	rec_lat_print(&lat, times->nframes, b1 - b0, rec_quality_mean(&quality),
	    updates);
	freerdp_disconnect(instance);
	freerdp_client_context_free(ctx);
	if (have_rec)
		rec_close(&rec);
	return 0;
}
