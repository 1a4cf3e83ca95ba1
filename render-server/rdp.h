/*
 * tessera-render's RDP output (FreeRDP 2.11 server).
 *
 * Security: TLS only (no RDP standard security, no NLA), with the
 * render-server's certificate and key (PEM files; RSA or EC keys).  The
 * client's user name and password from its logon info (Client Info PDU,
 * sent inside TLS) are checked with auth_password before anything of the
 * qube is sent; a wrong password ends the connection.  auth_password
 * returns -1 (refused), 0 (allowed) or 1 (allowed, and the viewer draws
 * the trust frame itself: tessera-view with a ticket).
 *
 * Picture: the qube's screen inside a frame of its label colour (title strip
 * on top), drawn by the server, so a third-party viewer still sees which
 * qube it is; the qube's pixels are clipped to the inside.  For a viewer
 * that draws its own frame, the qube's screen alone (padded to even sizes
 * with black).  Codecs, per
 * client: GFX with H.264 (AVC420) when the client offers it, GFX planar when
 * it offers GFX without H.264, RemoteFX surface bits when it offers
 * RemoteFX, planar bitmap updates otherwise.
 *
 * Size: the Display Control channel (MS-RDPEDISP) is opened with clients
 * that take dynamic channels; a monitor layout of one primary monitor asks
 * for the qube's size (a framed viewer's monitor holds the frame, which is
 * taken off), within TSR_SCREEN_* (others are refused, the channel stays).
 * A layout without one primary monitor at (0,0), or more than 10 a second,
 * closes the connection (rdp_disp_check.h); one FreeRDP's parser refuses
 * ends the channel.  The qube's new size reaches every viewer as a
 * desktop resize (GFX: a new surface).
 *
 * Input: RDP scancodes go to the qube as XT scancodes (rs_input_key with
 * keysym 0), Unicode key events as keysyms, the pointer in qube pixels
 * (framed coordinates translated and clipped into the qube's area).
 *
 * Each viewer has its own thread and its own pace: damage is coalesced per
 * viewer while it is busy, and sent once the qube's update that brought it
 * is complete (or 40 ms later), at most max_fps times a second; with
 * RemoteFX each update goes between surface frame markers when the client
 * takes them.  A viewer that has not finished its handshake
 * within the handshake deadline, or whose socket stops taking data for the
 * write-stall limit, is disconnected; nobody else waits for it.
 */
#ifndef RS_RDP_H
#define RS_RDP_H

#include <stddef.h>

#include "rs.h"

/*
 * Verifies a viewer's credentials: returns 0 if they are valid, anything
 * else to refuse.  Called from a viewer's thread (several may call at once).
 */
typedef int (*rdp_auth_fn)(const char *user, const char *pass);

/*
 * Starts the RDP server on listen_addr ("127.0.0.1", "0.0.0.0", "::", a
 * host name) and *bound_port (0: any free port; the port bound is written
 * back).  cert and key are PEM files, read here once (nothing is read from disk
 * later, so privileges can be dropped after).
 * fb must stay valid until rdp_stop(); q is copied.  Returns 0, or -1 with
 * a message in err.  Only one RDP server per process.
 */
int rdp_start(struct rs_fb *fb, const struct rs_qube *q,
    const char *listen_addr, int *bound_port, const char *cert, const char *key,
    int (*auth_password)(const char *user, const char *pass), char *err,
    size_t errlen);

/* Disconnects every viewer, stops listening, joins the threads. */
void rdp_stop(void);

/* Limits (before rdp_start; 0 keeps the default). */
struct rdp_limits {
	int handshake_ms;    /* connect to first frame (default 5000) */
	int stall_ms;	     /* one write may block this long (default 15000) */
	int max_peers;	     /* viewers at once (default 8) */
	int max_fps;	     /* updates per second per viewer (default 30) */
	int unauth_per_addr; /* before Activate, from one address (2); half
				 * of max_peers from all addresses */
};
void rdp_set_limits(const struct rdp_limits *);

/* Counters, for tests and logs. */
struct rdp_stats {
	int peers;		 /* connected now */
	unsigned long accepted;	 /* connections accepted */
	unsigned long refused;	 /* wrong credentials */
	unsigned long timed_out; /* handshake deadline or write stall */
	unsigned long frames;	 /* updates sent, all viewers */
};
void rdp_get_stats(struct rdp_stats *);

/*
 * The framed RDP picture: the qube's screen where the VNC frame has it
 * (frame.h), padded to multiples of 4; rs_frame_draw() paints the frame.
 */
struct rdp_layout {
	int qw, qh; /* the qube's screen */
	int fw, fh; /* the framed picture: multiples of 4 */
	int ox, oy; /* where the qube's (0,0) is in it */
};
void rdp_layout(int qw, int qh, struct rdp_layout *);
/* The same without the frame, for a viewer that draws its own: padded
 * only to even sizes (the padding stays black). */
void rdp_layout_plain(int qw, int qh, struct rdp_layout *);

/*
 * RDP keyboard event to an XT scancode as QEMU's extended key event takes it
 * (E0-prefixed keys with bit 7 set, Pause as 0xc6).  *e1 carries the state
 * of an E1 sequence between calls (start at 0).  Returns the scancode, or 0
 * for nothing to send; *down is set to 1 for a press, 0 for a release.
 */
unsigned rdp_key_to_xt(unsigned flags, unsigned code, int *e1, int *down);

/* RDP pointer flags to RFB's button mask, given the buttons held before. */
int rdp_pointer_buttons(unsigned flags, int held);

#endif
