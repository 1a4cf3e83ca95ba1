/*
 * TLS for every Tessera listener and client: OpenSSL 3, TLS 1.2 at least,
 * certificates from tessera-ca, and (for mutual TLS) a peer certificate
 * that chains to the same CA.  No anonymous suites, no plaintext fallback.
 */
#ifndef TSR_TLS_H
#define TSR_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TSR_TLS_CN_MAX 64
#define TSR_TLS_ROLE_MAX 16

enum tsr_tls_verify {
	TSR_TLS_NO_PEER_CERT, /* server: do not ask for a client cert */
	TSR_TLS_REQUIRE_PEER, /* both: the peer must present a valid cert */
};

/*
 * A server context: our certificate and key, the CA that client
 * certificates must chain to (NULL with TSR_TLS_NO_PEER_CERT), and an
 * optional CRL file checked for every client certificate.
 */
SSL_CTX *tsr_tls_server_ctx(const char *cert, const char *key, const char *ca,
    const char *crl, enum tsr_tls_verify v, char *err, size_t errlen);

/*
 * A client context: the CA the server must chain to, and our certificate
 * and key (both NULL for no client certificate).
 */
SSL_CTX *tsr_tls_client_ctx(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen);

/* What a verified peer certificate says about its holder. */
struct tsr_tls_peer {
	char cn[TSR_TLS_CN_MAX + 1];	 /* subject CN */
	char role[TSR_TLS_ROLE_MAX + 1]; /* subject OU, "" if none */
	char fingerprint[96];		 /* SHA-256, AA:BB:... */
};

/* Fills p from the peer's certificate; -1 if there is none or it is odd. */
int tsr_tls_peer(SSL *ssl, struct tsr_tls_peer *p);

/* SHA-256 fingerprint of a PEM certificate file, as "AA:BB:...". */
int tsr_tls_cert_fingerprint(const char *path, char *out, size_t outsz);

/* The first OpenSSL error queued, as text (and the queue cleared). */
const char *tsr_tls_error(char *buf, size_t bufsz);

#endif
