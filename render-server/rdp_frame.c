/*
 * The geometry of the framed picture sent to RDP viewers: the qube's screen
 * at (RS_FRAME_BORDER, RS_FRAME_TITLE) as in the VNC frame, the whole
 * padded to multiples of 4 on the right and at the bottom (the unframed
 * picture only to even sizes).  The frame
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
	/* Even: H.264's 4:2:0 wants that.  No more, so that a viewer that
	 * asks for an even size (Display Control widths are) gets a
	 * picture of exactly that size. */
	l->fw = (qw + 1) & ~1;
	l->fh = (qh + 1) & ~1;
}
