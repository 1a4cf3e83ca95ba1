/*
 * tessera-render: one process per running qube.  It reads the qube's
 * screen from its device model's VNC unix socket (input.c) into a shadow
 * framebuffer (fb.c), and serves it to viewers over VNC behind our own TLS
 * (vnc.c, conn.c, vencrypt.c) and over RDP (rdp*.c).  Viewers' keyboard and
 * pointer go back to the qube through input.c.  Who may connect is decided
 * in auth.c, for both protocols.
 *
 * Threads: the input thread owns the connection to the device model; each
 * output protocol runs its own threads.  The shadow framebuffer is shared
 * under its lock; outputs learn of changes through damage callbacks.
 */
#ifndef RS_H
#define RS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "facts.h"
#include "label.h"

/* The largest qube screen we accept from a device model. */
#define RS_MAX_W 8192
#define RS_MAX_H 8192

struct rs_rect {
	int x, y, w, h;
};

/*
 * Called with the framebuffer locked, from the input thread: keep it short
 * (record the rectangle, signal a thread of your own); never block on a
 * viewer here.
 */
typedef void (*rs_damage_fn)(void *arg, const struct rs_rect *r);
/* Called with the framebuffer locked when the qube's resolution changes
 * (fb->pix already has the new size, contents black). */
typedef void (*rs_resize_fn)(void *arg, int w, int h);

#define RS_MAX_LISTENERS 16

struct rs_fb {
	pthread_mutex_t lock;
	uint32_t *pix; /* 0x00RRGGBB, w * h, row stride w */
	int w, h;
	uint64_t frames; /* complete updates received */
	int connected;	 /* to the device model */
	struct {
		rs_damage_fn damage;
		rs_resize_fn resize;
		void *arg;
	} listeners[RS_MAX_LISTENERS];
	int nlisteners;
};

/* What the host said about the qube: drawn in frames, never from the qube. */
struct rs_qube {
	char name[TSR_QUBE_NAME_MAX + 1];
	struct tsr_label label;
};

/* The one shadow framebuffer of this process (fb.c). */
extern struct rs_fb rs_fb;

/* fb.c */
int rs_fb_init(struct rs_fb *, int w, int h);
int rs_fb_listen(struct rs_fb *, rs_damage_fn, rs_resize_fn, void *arg);
/* Input thread only, with fb->lock held. */
int rs_fb_resize_locked(struct rs_fb *, int w, int h);
void rs_fb_damage_locked(struct rs_fb *, const struct rs_rect *);

/*
 * Damage lists: a rectangle inside one already listed adds nothing, one
 * that covers a listed one takes its place; beyond max rectangles (at
 * most RS_DAMAGE_MAX) the list becomes their bounding box.  The outputs
 * choose max: VNC keeps many small rectangles (libvncserver makes a region
 * of them), RDP few (each costs a message and its tiles).
 */
#define RS_DAMAGE_MAX 32
struct rs_damage {
	struct rs_rect r[RS_DAMAGE_MAX];
	int n;
};
void rs_damage_add(struct rs_damage *, const struct rs_rect *, int max);
/* Clips r to [0,w) x [0,h); returns 0 if anything is left. */
int rs_rect_clip(struct rs_rect *r, int w, int h);

/* input.c: the connection to the device model (its VNC unix socket). */
int rs_input_start(const char *display_sock);
void rs_input_stop(void);

/* Input to the qube (thread-safe).  Keys as X keysyms, or as XT scancodes
 * (QEMU's extended key event) when keysym is 0. */
void rs_input_key(uint32_t keysym, uint32_t xt_scancode, int down);
/* Pointer in qube pixels, clipped to its screen; buttons as RFB's mask. */
void rs_input_pointer(int x, int y, int buttons);
/*
 * Asks the device model for a w x h screen (thread-safe; the caller has
 * checked the size with tsr_screen_size_ok): the input thread sends the
 * latest request only, at most one every RS_RESIZE_GAP_MS.  Returns 0, or
 * -1 if no device model is connected.
 */
int rs_input_resize(int w, int h);

/*
 * auth.c: may this viewer connect?  Both return 0 (yes) or -1 (no, and
 * why is logged).  Without --vmd, any certificate that passed TLS
 * verification and any user in --passwd with the right password may;
 * with --vmd, tessera-vmd's display.authorize decides as well.
 */
int rs_auth_init(const char *qube, const char *passwd_file,
    const char *vmd_sock);
int rs_auth_cert(const char *cn, const char *role);
/*
 * User TSR_TICKET_USER is a viewer holding a ticket from tessera-vmd's
 * display.endpoint (the password): only with --vmd, which redeems it.
 * Returns 1 for a ticket whose holder draws the trust frame itself
 * (tessera-view, with its certificate), 0 for other allowed viewers.
 */
int rs_auth_password(const char *user, const char *pass);
/* At shutdown, once no viewer thread is left. */
void rs_auth_free(void);

/* The qube and its label, as given on the command line (main.c). */
extern struct rs_qube rs_qube;

/* The command line (main.c); paths are read during setup only. */
struct rs_opts {
	const char *display; /* --display: device model's VNC socket */
	const char *vnc;     /* --vnc ADDR:PORT, or NULL */
	const char *rdp;     /* --rdp ADDR:PORT, or NULL */
	const char *cert, *key, *ca, *crl;
	const char *passwd; /* hashed credentials (passwd.h) */
	const char *vmd;    /* tessera-vmd's socket, or NULL */
	const char *user;   /* run as */
	int foreground, verbose;
};
extern struct rs_opts rs_opts;

#endif
