/*
 * Reading a QEMU display socket with libvncclient 0.9.14 (qemu_vnc.c):
 * shared by the render-server's input and the test tools that read a
 * qube's screen directly.
 */
#ifndef RS_QEMU_VNC_H
#define RS_QEMU_VNC_H

#include <stddef.h>
#include <stdint.h>

#include <rfb/rfbclient.h>

/*
 * Sends SetEncodings with exactly these n encodings, in place of
 * libvncclient's own.  Call it from the first MallocFrameBuffer of
 * rfbInitClient (after ServerInit, before libvncclient sends its pixel
 * format and encodings): libvncclient then sends the pixel format only.
 *
 * libvncclient always adds ExtendedDesktopSize to its own list; QEMU then
 * announces size changes that way only, with a screen of id 0, which
 * libvncclient 0.9.14 takes for an invalid layout and drops, new size and
 * all.  Asking for NewFBSize alone (in enc) keeps size changes coming.
 */
rfbBool rs_qemu_set_encodings(rfbClient *cl, const int32_t *enc, size_t n);

#endif
