/*
 * The geometry of the framed picture sent to RDP viewers: the qube's screen
 * at (RS_FRAME_BORDER, RS_FRAME_TITLE) as in the VNC frame, the whole
 * padded to multiples of 4 on the right and at the bottom.  The frame
 * itself is drawn by frame.c's rs_frame_draw (RS_PIX_RGB), as for VNC.
 */
#include "frame.h"
#include "rdp.h"

void
rdp_layout(int qw, int qh, struct rdp_layout *l)
{
	l->qw = qw;
	l->qh = qh;
	l->ox = RS_FRAME_BORDER;
	l->oy = RS_FRAME_TITLE;
	/* Multiples of 4: RDP bitmap updates and H.264 both want that; the
	 * right and bottom borders take the padding. */
	l->fw = (RS_FRAMED_W(qw) + 3) & ~3;
	l->fh = (RS_FRAMED_H(qh) + 3) & ~3;
}

void
rdp_layout_plain(int qw, int qh, struct rdp_layout *l)
{
	l->qw = qw;
	l->qh = qh;
	l->ox = 0;
	l->oy = 0;
	l->fw = (qw + 3) & ~3;
	l->fh = (qh + 3) & ~3;
}
