/*
 * RDP input to what QEMU's VNC server takes: XT scancodes for keys (QEMU's
 * "qnum": the E0 prefix as bit 7) and RFB's button mask for the pointer.
 * Pure functions, no FreeRDP types, so the unit test needs no server.
 */
#include <stdint.h>

#include "rdp.h"

/* [MS-RDPBCGR] 2.2.8.1.1.3.1.1.1 keyboard flags, as FreeRDP passes them. */
#define KBD_EXTENDED 0x0100
#define KBD_EXTENDED1 0x0200
#define KBD_RELEASE 0x8000

/* 2.2.8.1.1.3.1.1.3 pointer flags. */
#define PTR_DOWN 0x8000
#define PTR_BUTTON1 0x1000 /* left */
#define PTR_BUTTON2 0x2000 /* right */
#define PTR_BUTTON3 0x4000 /* middle */

/* RFB's mask. */
#define RFB_LEFT 1
#define RFB_MIDDLE 2
#define RFB_RIGHT 4

#define XT_PAUSE 0xc6 /* E1 1D 45 in QEMU's numbering */

unsigned
rdp_key_to_xt(unsigned flags, unsigned code, int *e1, int *down)
{
	*down = (flags & KBD_RELEASE) ? 0 : 1;
	if (code == 0 || code > 0x7f) {
		*e1 = 0;
		return 0;
	}
	if (flags & KBD_EXTENDED1) {
		/* Pause: E1 1D then 45; the 1D says nothing by itself. */
		*e1 = (code == 0x1d);
		return 0;
	}
	if (*e1) {
		*e1 = 0;
		if (code == 0x45)
			return XT_PAUSE;
		return 0;
	}
	if (flags & KBD_EXTENDED) {
		/* E0 2A / E0 AA are fake shifts some keyboards add: drop. */
		if (code == 0x2a || code == 0x36)
			return 0;
		return 0x80 | code;
	}
	return code;
}

int
rdp_pointer_buttons(unsigned flags, int held)
{
	int b = 0;

	if (flags & PTR_BUTTON1)
		b |= RFB_LEFT;
	if (flags & PTR_BUTTON2)
		b |= RFB_RIGHT;
	if (flags & PTR_BUTTON3)
		b |= RFB_MIDDLE;
	if (b == 0)
		return held; /* a move, or a wheel event */
	return (flags & PTR_DOWN) ? (held | b) : (held & ~b);
}
