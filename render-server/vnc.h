/*
 * The VNC output: our own listener and TLS (conn.c), libvncserver's
 * encoders behind a plaintext socketpair (vnc.c).
 */
#ifndef RS_VNC_H
#define RS_VNC_H

#include <openssl/ssl.h>

/* Binds ADDR:PORT (port 0: any; *port gets the one bound).  Before the
 * privilege drop. */
int rs_vnc_listen(const char *addrport, int *port);
/* The two screens (framed for X509Plain, unframed for X509None). */
int rs_vnc_init(void);
/* The update and accept threads.  After the privilege drop. */
int rs_vnc_start(void);

/* Gives one end of a socketpair to libvncserver (framed or not); it
 * closes fd in any case.  Returns 0 or -1. */
int rs_vnc_attach(int fd, int framed);

/* conn.c: TLS contexts (loaded before the privilege drop). */
struct rs_conn_ctx {
	SSL_CTX	*cert;		/* X509None: client certificate required */
	SSL_CTX	*plain;		/* X509Plain: server certificate only */
};
extern struct rs_conn_ctx rs_conn_ctx;

/* A new TCP connection: handled in a thread of its own. */
void rs_conn_spawn(int fd);
/* Refuses new connections, ends the live ones and waits for their
 * threads (up to timeout_ms): 0, or -1 if some are still there. */
int rs_conn_stop_all(int timeout_ms);

/* Stops accepting, ends every viewer, stops the threads and frees the
 * screens (after rs_vnc_start, or after rs_vnc_init only).  0 or -1. */
int rs_vnc_stop(void);

#endif
