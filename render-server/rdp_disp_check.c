/*
 * RDP Display Control: the checks of a client's monitor layout, as
 * rdp_disp_check.h says.  Pure: no FreeRDP types, no locks, no clock.
 */
#include <stdio.h>

#include "facts.h"
#include "frame.h"
#include "rdp_disp_check.h"

enum rdp_disp_verdict
rdp_disp_check(struct rdp_disp_rate *rate, uint64_t now,
    const struct rdp_disp_monitor *mon, size_t nmon, int framed, int *w, int *h,
    char *why, size_t whylen)
{
	const struct rdp_disp_monitor *m;
	long qw, qh;

	if (rate->win == 0 || now - rate->win >= 1000) {
		rate->win = now;
		rate->n = 0;
	}
	if (++rate->n > RDP_DISP_MAX_PER_S) {
		snprintf(why, whylen, "too many monitor layouts");
		return RDP_DISP_BROKEN;
	}
	if (nmon != 1 || mon == NULL) {
		snprintf(why, whylen, "a layout without exactly one monitor");
		return RDP_DISP_BROKEN;
	}
	m = &mon[0];
	if (!(m->flags & RDP_DISP_PRIMARY) || m->left != 0 || m->top != 0) {
		snprintf(why, whylen, "a monitor that is not primary at (0,0)");
		return RDP_DISP_BROKEN;
	}
	if (m->width < RDP_DISP_MON_MIN || m->width > RDP_DISP_MON_MAX ||
	    m->height < RDP_DISP_MON_MIN || m->height > RDP_DISP_MON_MAX) {
		snprintf(why, whylen, "a monitor size out of range");
		return RDP_DISP_BROKEN;
	}
	if (m->orientation != RDP_DISP_LANDSCAPE) {
		snprintf(why, whylen, "rotated by %u",
		    (unsigned)m->orientation);
		return RDP_DISP_REFUSE;
	}
	qw = (long)m->width;
	qh = (long)m->height;
	if (framed) {
		qw -= RS_FRAMED_W(0);
		qh -= RS_FRAMED_H(0);
	}
	if (!tsr_screen_size_ok(qw, qh)) {
		snprintf(why, whylen, "%s",
		    qw > TSR_SCREEN_MAX_W || qh > TSR_SCREEN_MAX_H ?
			"too large" :
			"too small");
		return RDP_DISP_REFUSE;
	}
	*w = (int)qw;
	*h = (int)qh;
	return RDP_DISP_RESIZE;
}

void
rdp_disp_max_monitor(int framed, uint32_t *w, uint32_t *h)
{
	*w = (uint32_t)(framed ? RS_FRAMED_W(TSR_SCREEN_MAX_W) :
				 TSR_SCREEN_MAX_W);
	*h = (uint32_t)(framed ? RS_FRAMED_H(TSR_SCREEN_MAX_H) :
				 TSR_SCREEN_MAX_H);
}
