/*
 * RDP Display Control (MS-RDPEDISP): whether a client's monitor layout is
 * taken, refused, or ends its connection.  A pure function of the values
 * FreeRDP parsed and of the time, no FreeRDP types, so the unit test and
 * the fuzz target need no server (rdp_disp.c passes FreeRDP's values in).
 *
 *   - more than RDP_DISP_MAX_PER_S layouts in a second: broken (this also
 *     ends FreeRDP 2.11's parser looping on a PDU whose header gives a
 *     length shorter than the PDU: it calls us again for the same bytes
 *     until we return an error);
 *   - not exactly one monitor, not primary, not at (0,0), or a size
 *     outside the protocol's RDP_DISP_MON_MIN..RDP_DISP_MON_MAX: broken;
 *   - rotated: refused;
 *   - a framed viewer's monitor holds the trust frame, which is taken off;
 *     the qube's size then must pass tsr_screen_size_ok, else refused.
 *
 * Odd sizes are taken (the protocol says a width is even; the unframed
 * picture is padded to even sizes anyway, rdp_layout_plain).
 */
#ifndef RS_RDP_DISP_CHECK_H
#define RS_RDP_DISP_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define RDP_DISP_MAX_PER_S 10 /* layouts a client may send a second */
#define RDP_DISP_MON_MIN 200  /* a monitor's width and height */
#define RDP_DISP_MON_MAX 8192
#define RDP_DISP_PRIMARY 0x1 /* DISPLAYCONTROL_MONITOR_PRIMARY */
#define RDP_DISP_LANDSCAPE 0 /* orientation in degrees */

/* One monitor of a layout, as the client sent it. */
struct rdp_disp_monitor {
	uint32_t flags;
	int32_t left, top;
	uint32_t width, height;
	uint32_t orientation;
};

/* A client's layouts in the current second (zeroed at the start). */
struct rdp_disp_rate {
	uint64_t win; /* ms this second began, 0 = none yet */
	int n;	      /* layouts in it */
};

enum rdp_disp_verdict {
	RDP_DISP_RESIZE, /* ask the qube for *w x *h */
	RDP_DISP_REFUSE, /* refused, why says; the channel stays */
	RDP_DISP_BROKEN, /* the client broke the protocol: close it */
};

/*
 * Checks a layout of nmon monitors that came at now (ms, monotonic) from a
 * viewer that is framed or not.  mon holds them, or is NULL when they need
 * not be looked at (a count other than one is broken anyway).  On
 * RDP_DISP_RESIZE, *w x *h is the size the qube is asked for; otherwise
 * why (whylen bytes) says what was wrong.
 */
enum rdp_disp_verdict rdp_disp_check(struct rdp_disp_rate *rate, uint64_t now,
    const struct rdp_disp_monitor *mon, size_t nmon, int framed, int *w, int *h,
    char *why, size_t whylen);

/* The largest monitor a viewer may ask for: the largest qube screen,
 * framed or not. */
void rdp_disp_max_monitor(int framed, uint32_t *w, uint32_t *h);

#endif
