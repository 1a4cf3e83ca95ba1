/*
 * What the files of the RDP output share (private to rdp*.c): a viewer's
 * state (struct peer, FreeRDP's context), the server's (rdp_srv), and the
 * functions one file offers the others:
 *
 *   rdp.c        the server: listener, watchdog, each peer's lifecycle
 *                and thread, the damage it is told of;
 *   rdp_enc.c    a peer's picture (its canvas) and the encoders: planar
 *                bitmap updates, RemoteFX, the GFX channel (planar, H.264);
 *   rdp_disp.c   the Display Control channel (rdp_disp_check.c decides);
 *   rdp_input.c  keyboard and pointer to the qube.
 *
 * Locks as rdp.c's top comment says: fb->lock before rdp_srv.lock.
 */
#ifndef RS_RDP_PEER_H
#define RS_RDP_PEER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <freerdp/codec/h264.h>
#include <freerdp/codec/planar.h>
#include <freerdp/codec/rfx.h>
#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/server/disp.h>
#include <freerdp/server/rdpgfx.h>

#include "admit.h"
#include "rdp.h"
#include "rdp_disp_check.h"
#include "rs.h"

/* Rectangles kept per peer before they become their bounding box: each
 * costs a message and its tiles, and RemoteFX takes them in one array. */
#define RDP_DAMAGE_MAX 8
#define RDP_TILE 64 /* planar tiles */

enum disp_state {
	DISP_NONE,    /* not opened yet */
	DISP_OPENING, /* create request sent, waiting for the client */
	DISP_CAPS,    /* the client took the channel: send our caps */
	DISP_READY,   /* caps sent: layouts are taken */
	DISP_OFF,     /* no dynamic channels, or the client refused it */
};

enum gfx_state {
	GFX_NONE,    /* not offered, or given up: legacy updates */
	GFX_OPENING, /* channel opened, waiting for the client's caps */
	GFX_READY,   /* caps confirmed: GFX updates */
};

struct peer {
	rdpContext ctx; /* first: FreeRDP allocates ContextSize */
	struct peer *next;
	freerdp_peer *client;
	HANDLE vcm;
	HANDLE wake; /* damage, resize, ack (reset by the peer) */
	int fd;
	char host[64];

	/* Under rdp_srv.lock. */
	struct rs_damage dmg; /* qube coordinates */
	uint64_t dmg_seq;     /* fb->frames when damage last came */
	long long dmg_since;  /* ms the oldest of dmg came, 0 = none */
	int resized;
	int killed;		  /* the watchdog shut it down */
	long long deadline;	  /* handshake, ms; 0 once active */
	long long send_since;	  /* ms a write began, 0 = none */
	struct tsr_admit_key key; /* its address, for rdp_srv.gate */
	int gated;		  /* counted in rdp_srv.gate */

	/* Peer thread only (and FreeRDP callbacks, which run in it). */
	struct rdp_layout lay;
	uint32_t *canvas;      /* lay.fw * lay.fh */
	struct rs_damage pend; /* canvas coordinates */
	int pend_src;	       /* pend holds damage from the qube */
	uint64_t pend_seq;     /* dmg_seq of the latest of it */
	long long pend_since;  /* ms its oldest part came */
	int authed;
	int unframed;	     /* the viewer draws the frame */
	int active;	     /* between Activate and a resize */
	int suppress;	     /* the client asked for no output */
	int e1;		     /* keyboard E1 sequence */
	int buttons;	     /* RFB mask held */
	long long next_ms;   /* earliest next update */
	long long gfx_since; /* when GFX was opened */
	BITMAP_PLANAR_CONTEXT *planar;
	RFX_CONTEXT *rfx;
	wStream *rfx_s;
	RdpgfxServerContext *gfx;
	int gfx_surface;
	uint32_t frame_id;
	long long last_ack_ms;
	int logged_codec;

	/* Set by the GFX channel's thread. */
	_Atomic int gfx_state;
	_Atomic int gfx_h264; /* AVC420 agreed */
	_Atomic int gfx_unacked;
	_Atomic int gfx_noack; /* client suspended acks */
	H264_CONTEXT *h264;    /* made in CapsAdvertise */

	/* Display control: opened by the peer thread; the layouts come on
	 * the channel's own thread (disp_rate is that thread's). */
	DispServerContext *disp;
	UINT32 disp_id; /* its dynamic channel */
	_Atomic int disp_state;
	_Atomic int disp_bad; /* the client broke it: close */
	struct rdp_disp_rate disp_rate;
};

/* The one RDP server of the process (rdp.c). */
struct rdp_srv {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int running;
	struct rs_fb *fb;
	struct rs_qube q;
	char *cert, *key; /* PEM text, read once at start */
	rdp_auth_fn auth;
	freerdp_listener *listener;
	HANDLE stop; /* manual-reset */
	pthread_t thread;
	struct peer *peers;
	int npeers; /* threads alive */
	struct rdp_limits lim;
	struct tsr_admit gate; /* peers before Activate */
	struct rdp_stats st;
	struct rs_fb *listening_on; /* rs_fb_listen() has no undo */
};
extern struct rdp_srv rdp_srv;

/* rdp_enc.c: the picture and its encoders (the peer's thread). */
int rdp_enc_new(struct peer *);
void rdp_enc_free(struct peer *);
/* Lays the canvas out for the qube's size: 1 if it changed (the frame is
 * drawn, everything pending), 0 if not, -1 out of memory. */
int rdp_canvas_layout(struct peer *);
/* Copies the pending damage's qube pixels into the canvas: 0, or -1 if
 * the qube's size changed under us (a resize is on its way). */
int rdp_canvas_fill(struct peer *);
/* All of the canvas pending. */
void rdp_pend_full(struct peer *);
/* Encodes and sends what is pending, with the peer's codec (GFX if gfx,
 * its surface made): 0 or -1. */
int rdp_enc_send(struct peer *, int gfx);
/* Opens the GFX channel once dynamic channels are up, if the client asked
 * for GFX: 0, or -1 to close the peer. */
int rdp_gfx_open(struct peer *);
/* A new GFX surface of the canvas's size: 0 or -1. */
int rdp_gfx_surface(struct peer *);
/* The codec the peer gets, for the log. */
const char *rdp_codec_name(struct peer *);

/* rdp_disp.c: opens the Display Control channel when it can and answers
 * the client's caps: 0, or -1 to close the peer (it broke the channel). */
int rdp_disp_poll(struct peer *);
/* Stops the channel's thread and frees it (the peer's context going). */
void rdp_disp_free(struct peer *);

/* rdp_input.c: the peer's keyboard and pointer callbacks. */
void rdp_input_init(freerdp_peer *);

#endif
