/*
 * The line between tessera-view's compositor and one decoder process.
 *
 * A SOCK_SEQPACKET socketpair (fd 3 in the decoder): every message is one
 * fixed-size packet, struct tv_msg.  The decoder is treated as hostile: it
 * parses a qube's stream, so the compositor checks every packet with
 * tv_msg_check() and closes the line (killing the decoder) at the first
 * bad one.
 *
 * Decoder to compositor:
 *   TV_FB       a = width, b = height (pixels, 0x00RRGGBB, stride width*4),
 *               with a memfd (SCM_RIGHTS) of at least width*height*4 bytes,
 *               sealed against shrinking (F_SEAL_SHRINK) and further
 *               sealing (F_SEAL_SEAL).  Replaces the previous buffer; the
 *               whole picture counts as damaged.
 *   TV_DAMAGE   a, b, c, d = x, y, w, h: this rectangle of the current
 *               buffer changed (sent after each framebuffer update).
 *   TV_CONNECTED  the handshake with the render-server succeeded.
 *   TV_PONG     the answer to TV_PING (a decoder that stops answering is
 *               taken for hung and restarted).
 *
 * Compositor to decoder:
 *   TV_KEY      a = 1 down / 0 up, b = X keysym
 *   TV_POINTER  a, b = x, y in the qube's pixels, c = button mask (RFB)
 *   TV_RESIZE   a, b = the size the viewer's window would like, within
 *               the screen sizes a qube may be asked for
 *               (tsr_screen_size_ok(), facts.h)
 *   TV_PING     a = a sequence number, which TV_PONG repeats in its a
 *   TV_ACK      the compositor has shown what the decoder's last TV_FB or
 *               TV_DAMAGE said: until then the decoder leaves the server's
 *               next update unread (for at most TV_ACK_WAIT_MS), so a
 *               picture is never drawn while it is half rewritten
 */
#ifndef TV_PROTO_H
#define TV_PROTO_H

#include <stdint.h>

#define TV_MAX_W 8192
#define TV_MAX_H 8192

enum tv_msg_type {
	TV_FB = 1,
	TV_DAMAGE,
	TV_CONNECTED,
	TV_PONG,
	TV_KEY = 16,
	TV_POINTER,
	TV_RESIZE,
	TV_PING,
	TV_ACK,
};

#define TV_ACK_WAIT_MS 250

struct tv_msg {
	uint32_t type;
	int32_t a, b, c, d;
};

/*
 * Checks a packet of n bytes from a decoder, whose current buffer is
 * fb_w x fb_h (0 x 0 before its first TV_FB).  Returns 0 with the message
 * in *m (a TV_DAMAGE rectangle is inside the buffer and not empty), or -1
 * with the reason in err.
 */
int tv_msg_check(const void *buf, size_t n, int fb_w, int fb_h,
    struct tv_msg *m, char *err, size_t errlen);

/*
 * Checks a memfd offered with TV_FB for w x h: its size and seals.
 * Returns 0, or -1 with the reason in err.
 */
int tv_memfd_check(int fd, int w, int h, char *err, size_t errlen);

/* Sends one packet of n bytes (with fd, if not -1).  0 or -1 (errno
 * set). */
int tv_packet_send(int sock, const void *buf, size_t n, int fd);
/* Sends one message (with fd, if not -1).  0 or -1 (errno set). */
int tv_msg_send(int sock, uint32_t type, int32_t a, int32_t b, int32_t c,
    int32_t d, int fd);

/*
 * Receives one packet into buf (size bufsz) and at most one passed fd
 * (*fd, -1 if none; any extra fds are closed).  Returns the packet's
 * length, 0 at EOF, or -1 (errno set; EAGAIN when nothing waits).
 */
long tv_msg_recv(int sock, void *buf, size_t bufsz, int *fd);

#endif
