/*
 * Inside tessera-view-decoder: what decoder/main.c (the process, its
 * control line, its framebuffer and its sandbox) offers the two protocol
 * sides, decoder/vnc.c (libvncclient) and decoder/rdp.c (FreeRDP).  The
 * compositor's side of the same processes is child.c.
 */
#ifndef TV_DECODER_H
#define TV_DECODER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

enum {
	EXIT_CLEAN = 0, /* the compositor closed fd 3 */
	EXIT_LOST = 1,	/* connection lost, or a protocol broken */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* could not connect, or the handshake failed */
};

#define TV_CTL_FD 3
#define TV_HANDSHAKE_TIMEOUT_S 30 /* connected to first picture */
#define TV_READ_TIMEOUT_S 30	  /* a message left half-sent */

struct tv_dec_opts {
	const char *host, *port, *ca, *cert, *key, *name;
	int port_num;
	int verbose;
	/* RDP: the ticket from tessera-vmd, read from stdin */
	char user[64];
	char pass[160];
};
extern struct tv_dec_opts tv_opt;

/* One protocol's side of the decoder. */
struct tv_proto {
	const char *name;
	/*
	 * Runs the handshake on sock (connected, blocking; the sandbox's
	 * stage 1 is on) until the first picture exists (tv_fb_new()).
	 * Returns 0, or the exit status (the reason is logged).
	 */
	int (*open)(int sock);
	/* The descriptors to wait on for the server; returns how many. */
	int (*fds)(struct pollfd *, int max);
	/* Data already read that poll() cannot see. */
	int (*pending)(void);
	/* Handles what the server sent: 0, or -1 (lost; logged). */
	int (*pump)(void);
	/* Input for the qube: 0, or -1 (lost; logged). */
	int (*key)(int down, uint32_t keysym);
	int (*pointer)(int x, int y, int buttons);
	int (*resize)(int w, int h);
};
extern const struct tv_proto tv_proto_vnc, tv_proto_rdp;

/* Sends a packet to the compositor; exits if the line is gone. */
void tv_ctl_send(uint32_t type, int a, int b, int c, int e, int fd);
/*
 * A new framebuffer of w x h XRGB8888 pixels in a sealed memfd, mapped
 * here read-write; the previous one is unmapped.  It reaches the
 * compositor now, or with TV_CONNECTED.  NULL on failure (logged); a size
 * out of bounds is refused.
 */
uint8_t *tv_fb_new(int w, int h);
void tv_fb_size(int *w, int *h);
/* Records a changed rectangle; tv_damage_flush() sends what was recorded. */
void tv_damage(int x, int y, int w, int h);
void tv_damage_flush(void);

/* Set when the decoder itself ended a handshake (and said why). */
extern int tv_refused;

#endif
