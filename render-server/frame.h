/*
 * The trust frame third-party viewers see: the qube's screen inside a
 * border of its label colour, with a title strip naming the qube, all
 * drawn here from what the host said (never from the qube).
 */
#ifndef RS_FRAME_H
#define RS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "rs.h"

#define RS_FRAME_BORDER 4 /* left, right, bottom */
#define RS_FRAME_TITLE 24 /* top strip */
#define RS_FRAME_TEXT_X 8
#define RS_FRAME_TEXT_Y 4

/* The framed size for a qube screen of w x h. */
#define RS_FRAMED_W(w) ((w) + 2 * RS_FRAME_BORDER)
#define RS_FRAMED_H(h) ((h) + RS_FRAME_TITLE + RS_FRAME_BORDER)

/* The pixel order of the buffer a frame is drawn into. */
enum rs_pix_order {
	RS_PIX_VNC, /* libvncserver's default 32-bit order: red low */
	RS_PIX_RGB, /* 0x00RRGGBB: the shadow's, FreeRDP's BGRX32 */
};

/*
 * Draws the border and title into pix (fw x fh, row stride fw) around a
 * qube area of qw x qh at (RS_FRAME_BORDER, RS_FRAME_TITLE): everything
 * outside that area is painted (padding right of and below it too, when
 * fw x fh is larger than RS_FRAMED_W(qw) x RS_FRAMED_H(qh)); the inside
 * is left alone.  The one frame drawing, for VNC and RDP alike.
 */
void rs_frame_draw(uint32_t *pix, int fw, int fh, int qw, int qh,
    const struct rs_qube *, enum rs_pix_order);

/* 0x00RRGGBB to libvncserver's default 32-bit order (red low). */
static inline uint32_t
rs_rgb_to_vnc(uint32_t v)
{
	return (v >> 16 & 0xffu) | (v & 0xff00u) | (v & 0xffu) << 16;
}

#endif
