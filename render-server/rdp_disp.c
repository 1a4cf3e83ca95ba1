/*
 * The Display Control channel (MS-RDPEDISP) of an RDP viewer: opened by the
 * peer's thread once dynamic channels are up; the client's monitor layouts
 * come on the channel's own thread, are checked by rdp_disp_check() and
 * passed on to the qube (rs_input_resize, thread-safe), or flag the peer
 * to be closed.  The qube's new size reaches every viewer as a desktop
 * resize (rdp.c).
 */
#include <stdatomic.h>

#include <freerdp/channels/wtsvc.h>
#include <winpr/synch.h>

#include "clock.h"
#include "log.h"
#include "rdp_peer.h"

/* FreeRDP's bounds are the protocol's, which rdp_disp_check applies. */
_Static_assert(DISPLAY_CONTROL_MIN_MONITOR_WIDTH == RDP_DISP_MON_MIN &&
	DISPLAY_CONTROL_MIN_MONITOR_HEIGHT == RDP_DISP_MON_MIN &&
	DISPLAY_CONTROL_MAX_MONITOR_WIDTH == RDP_DISP_MON_MAX &&
	DISPLAY_CONTROL_MAX_MONITOR_HEIGHT == RDP_DISP_MON_MAX &&
	DISPLAY_CONTROL_MONITOR_PRIMARY == RDP_DISP_PRIMARY &&
	ORIENTATION_LANDSCAPE == RDP_DISP_LANDSCAPE,
    "Display Control constants");

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
 * 8192 pixels with a known orientation; rdp_disp_check decides the rest.
 * A refused size leaves the channel open; anything the protocol does not
 * allow closes the connection.
 */
static UINT
disp_layout(DispServerContext *ctx,
    const DISPLAY_CONTROL_MONITOR_LAYOUT_PDU *pdu)
{
	struct peer *p = ctx->custom;
	struct rdp_disp_monitor mon[1];
	const DISPLAY_CONTROL_MONITOR_LAYOUT *m = pdu->Monitors;
	char why[64];
	int w = 0, h = 0, mw = 0, mh = 0, same;
	size_t n = pdu->Monitors != NULL ? pdu->NumMonitors : 0;

	if (n == 1) {
		mon[0].flags = m->Flags;
		mon[0].left = m->Left;
		mon[0].top = m->Top;
		mon[0].width = m->Width;
		mon[0].height = m->Height;
		mon[0].orientation = m->Orientation;
		mw = (int)m->Width;
		mh = (int)m->Height;
	}
	switch (rdp_disp_check(&p->disp_rate, tsr_mono_ms(),
	    n == 1 ? mon : NULL, n, !p->unframed, &w, &h, why, sizeof(why))) {
	case RDP_DISP_BROKEN:
		return disp_broken(p, why);
	case RDP_DISP_REFUSE:
		log_info("rdp: %s: asked for %dx%d%s: refused (%s)", p->host,
		    mw, mh, p->unframed ? "" : " (framed)", why);
		return CHANNEL_RC_OK;
	case RDP_DISP_RESIZE:
		break;
	}
	pthread_mutex_lock(&rdp_srv.fb->lock);
	same = rdp_srv.fb->w == w && rdp_srv.fb->h == h;
	pthread_mutex_unlock(&rdp_srv.fb->lock);
	if (same)
		return CHANNEL_RC_OK;
	if (rs_input_resize(w, h) == -1) {
		log_info("rdp: %s: asked for %dx%d: no device model", p->host,
		    mw, mh);
		return CHANNEL_RC_OK;
	}
	log_info("rdp: %s: asked for %dx%d%s: the qube is asked for %dx%d",
	    p->host, mw, mh, p->unframed ? "" : " (framed)", w, h);
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
int
rdp_disp_poll(struct peer *p)
{
	DispServerContext *d;

	if (atomic_load(&p->disp_bad))
		return -1;
	switch (atomic_load(&p->disp_state)) {
	case DISP_NONE:
		break;
	case DISP_CAPS:
		if (p->disp->DisplayControlCaps(p->disp) != CHANNEL_RC_OK) {
			log_warnx(
			    "rdp: %s: cannot send the display control caps",
			    p->host);
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
	if (WTSVirtualChannelManagerGetDrdynvcState(p->vcm) !=
	    DRDYNVC_STATE_READY)
		return 0;
	if ((d = disp_server_context_new(p->vcm)) == NULL)
		return -1;
	d->custom = p;
	d->rdpcontext = &p->ctx;
	d->MaxNumMonitors = 1;
	/* the largest monitor we take: the largest qube, framed or not */
	rdp_disp_max_monitor(!p->unframed, &d->MaxMonitorAreaFactorA,
	    &d->MaxMonitorAreaFactorB);
	d->DispMonitorLayout = disp_layout;
	d->ChannelIdAssigned = disp_id_assigned;
	p->disp = d;
	atomic_store(&p->disp_state, DISP_OPENING);
	WTSVirtualChannelManagerSetDVCCreationCallback(p->vcm, disp_created, p);
	if (d->Open(d) != CHANNEL_RC_OK) {
		log_warnx("rdp: %s: cannot open the display control channel",
		    p->host);
		atomic_store(&p->disp_state, DISP_OFF);
	}
	return 0;
}

void
rdp_disp_free(struct peer *p)
{
	if (p->disp == NULL)
		return;
	if (p->vcm != NULL && p->vcm != INVALID_HANDLE_VALUE)
		WTSVirtualChannelManagerSetDVCCreationCallback(p->vcm, NULL,
		    NULL);
	p->disp->Close(p->disp);
	disp_server_context_free(p->disp);
	p->disp = NULL;
}
