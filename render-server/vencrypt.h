/*
 * The server side of RFB 3.8 + VeNCrypt 0.2 (security type 19), as a pure
 * state machine over bytes: no sockets, no TLS, so it can be fuzzed.
 *
 *   S: "RFB 003.008\n"            C: "RFB 003.008\n"
 *   S: [1] [19]                   C: 19
 *   S: 0 2                        C: 0 2
 *   S: 0 [2] 260 262 (u32 BE)     C: 260 | 262
 *   S: 1                          (TLS handshake: RS_VC_TLS)
 *   X509Plain, inside TLS:        C: ulen plen (u32 BE) user pass
 *
 * Only X509None (client certificate required) and X509Plain are ever
 * offered or accepted: never None, VncAuth or anonymous TLS.  The caller
 * sends the SecurityResult once it has checked the certificate or the
 * password (rs_vc_result).
 */
#ifndef RS_VENCRYPT_H
#define RS_VENCRYPT_H

#include <stddef.h>
#include <stdint.h>

#define RS_VC_X509NONE 260
#define RS_VC_X509PLAIN 262
#define RS_VC_CRED_MAX 255

enum rs_vc_status {
	RS_VC_MORE,  /* feed more bytes */
	RS_VC_TLS,   /* send the output, then start TLS; call rs_vc_tls_up */
	RS_VC_CERT,  /* X509None over TLS: check the client certificate */
	RS_VC_CREDS, /* X509Plain: check vc->user / vc->pass */
	RS_VC_FAIL,  /* close the connection (vc->why says why) */
};

struct rs_vc {
	int state;
	uint8_t buf[8 + 2 * RS_VC_CRED_MAX];
	size_t len;
	uint32_t subtype;
	char user[RS_VC_CRED_MAX + 1];
	char pass[RS_VC_CRED_MAX + 1];
	const char *why;
};

/* Starts a handshake: writes the server's version (12 bytes) to out. */
size_t rs_vc_start(struct rs_vc *, uint8_t *out, size_t outsz);

/*
 * Feeds bytes from the client.  *used is set to how many were consumed;
 * the reply to send is written to out (at most RS_VC_OUT_MAX bytes) and
 * its length to *outlen.  Bytes beyond a step that needs an answer first
 * are left unconsumed (a conforming client never sends them; a caller may
 * treat them as an error).
 */
#define RS_VC_OUT_MAX 16
enum rs_vc_status rs_vc_input(struct rs_vc *, const uint8_t *in, size_t len,
    size_t *used, uint8_t *out, size_t *outlen);

/* TLS is up: RS_VC_CERT for X509None, RS_VC_MORE for X509Plain. */
enum rs_vc_status rs_vc_tls_up(struct rs_vc *);

/* The SecurityResult: ok, or failed with a reason (RFB 3.8). */
size_t rs_vc_result(int ok, const char *reason, uint8_t *out, size_t outsz);

/* Forgets the password. */
void rs_vc_clear(struct rs_vc *);

#endif
