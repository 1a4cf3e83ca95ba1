/*
 * One VNC viewer connection (conn.c): our TLS and VeNCrypt in front,
 * libvncserver behind a plaintext socketpair.  conn.c knows nothing of
 * the screens: whoever spawns a connection says where its socketpair's
 * other end goes (vnc.c's screens), so the dependency runs one way.
 */
#ifndef RS_CONN_H
#define RS_CONN_H

#include <sys/socket.h>

#include <openssl/ssl.h>

/* TLS contexts (loaded before the privilege drop). */
struct rs_conn_ctx {
	SSL_CTX *cert;	/* X509None: client certificate required */
	SSL_CTX *plain; /* X509Plain: server certificate only */
};
extern struct rs_conn_ctx rs_conn_ctx;

/*
 * Takes a plaintext end of a socketpair for the inner RFB session, framed
 * or not (X509Plain or X509None); closes fd in any case.  Returns 0 or -1.
 */
typedef int (*rs_conn_attach_fn)(int fd, int framed);

/* Milliseconds from accept to SecurityResult (default 5000); set before
 * the first connection. */
extern int rs_conn_handshake_ms;

/* A new TCP connection from sa: refused (closed) when its address or all
 * addresses have too many connections in their handshake, else handled in
 * a thread of its own, its inner session handed to attach once the viewer
 * is in. */
void rs_conn_spawn(int fd, const struct sockaddr *sa, socklen_t salen,
    rs_conn_attach_fn attach);
/* accept() failed with errno err: how many milliseconds the listener
 * should not poll (0 unless the process is out of descriptors). */
int rs_conn_accept_failed(int err);
/* Refuses new connections, ends the live ones and waits for their
 * threads (up to timeout_ms): 0, or -1 if some are still there. */
int rs_conn_stop_all(int timeout_ms);

#endif
