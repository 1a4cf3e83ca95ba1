/*
 * The VNC output: our own listener, libvncserver's encoders behind a
 * plaintext socketpair (vnc.c); each viewer's TLS is conn.c's (conn.h).
 */
#ifndef RS_VNC_H
#define RS_VNC_H

/* Binds ADDR:PORT (port 0: any; *port gets the one bound).  Before the
 * privilege drop. */
int rs_vnc_listen(const char *addrport, int *port);
/* The two screens (framed for X509Plain, unframed for X509None). */
int rs_vnc_init(void);
/* The update and accept threads.  After the privilege drop. */
int rs_vnc_start(void);

/* Stops accepting, ends every viewer, stops the threads and frees the
 * screens (after rs_vnc_start, or after rs_vnc_init only).  0 or -1. */
int rs_vnc_stop(void);

#endif
