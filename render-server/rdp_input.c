/*
 * An RDP viewer's keyboard and pointer, to the qube (FreeRDP's input
 * callbacks, on the peer's thread): scancodes as XT scancodes
 * (rs_input_key with keysym 0, rdp_keys.c maps them), Unicode key events
 * as keysyms, the pointer in qube pixels (framed coordinates translated
 * and clipped into the qube's area).  Nothing goes before the peer is
 * active (logged on, its picture laid out).
 */
#include <freerdp/input.h>

#include "rdp_peer.h"

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

	(void)flags; /* buttons 4 and 5 (back, forward): not for the qube */
	if (!p->active)
		return TRUE;
	pointer_to_qube(p, x, y, &qx, &qy);
	rs_input_pointer(qx, qy, p->buttons);
	return TRUE;
}

void
rdp_input_init(freerdp_peer *client)
{
	client->input->SynchronizeEvent = peer_synchronize;
	client->input->KeyboardEvent = peer_key;
	client->input->UnicodeKeyboardEvent = peer_unicode_key;
	client->input->MouseEvent = peer_mouse;
	client->input->ExtendedMouseEvent = peer_ext_mouse;
}
