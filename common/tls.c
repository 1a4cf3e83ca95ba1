#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

const char *
tsr_tls_error(char *buf, size_t bufsz)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, bufsz, "unknown TLS error");
	else
		ERR_error_string_n(e, buf, bufsz);
	ERR_clear_error();
	return buf;
}

static int
ctx_common(SSL_CTX *ctx, const char *ca, const char *cert, const char *key,
    char *err, size_t errlen)
{
	char ebuf[256];

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Forward-secret AEAD suites only for TLS 1.2; 1.3's are all fine. */
	if (SSL_CTX_set_cipher_list(ctx,
		"ECDHE+AESGCM:ECDHE+CHACHA20:"
		"!aNULL:!eNULL:!SHA1:!kRSA") != 1) {
		snprintf(err, errlen, "cipher list: %s",
		    tsr_tls_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	SSL_CTX_set_options(ctx,
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
		SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		snprintf(err, errlen, "%s: %s", ca,
		    tsr_tls_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (cert && SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "%s: %s", cert,
		    tsr_tls_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (key &&
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: %s", key,
		    tsr_tls_error(ebuf, sizeof(ebuf)));
		return -1;
	}
	if (cert && key && SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s does not match %s", key, cert);
		return -1;
	}
	return 0;
}

static int
load_crl(SSL_CTX *ctx, const char *crl, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_CRL *c = NULL;
	FILE *f;

	if ((f = fopen(crl, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open", crl);
		return -1;
	}
	c = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (c == NULL || X509_STORE_add_crl(store, c) != 1) {
		snprintf(err, errlen, "%s: not a CRL", crl);
		X509_CRL_free(c);
		return -1;
	}
	X509_CRL_free(c);
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	return 0;
}

SSL_CTX *
tsr_tls_server_ctx(const char *cert, const char *key, const char *ca,
    const char *crl, enum tsr_tls_verify v, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	if (ctx_common(ctx, v == TSR_TLS_REQUIRE_PEER ? ca : NULL, cert, key,
		err, errlen) == -1)
		goto fail;
	if (v == TSR_TLS_REQUIRE_PEER) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);

		if (names == NULL) {
			snprintf(err, errlen, "%s: no CA certificate", ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_verify_depth(ctx, 2);
		/* a client certificate must be for clientAuth */
		SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
		if (crl && load_crl(ctx, crl, err, errlen) == -1)
			goto fail;
	}
	/* no session tickets: every connection is verified afresh */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tsr_tls_client_ctx(const char *ca, const char *cert, const char *key, char *err,
    size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	if (ctx_common(ctx, ca, cert, key, err, errlen) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	/* the server's certificate must be for serverAuth */
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	return ctx;
}

static int
name_entry(X509_NAME *n, int nid, char *out, size_t outsz)
{
	const unsigned char *d;
	X509_NAME_ENTRY *e;
	ASN1_STRING *s;
	int i, len, k;

	out[0] = '\0';
	if ((i = X509_NAME_get_index_by_NID(n, nid, -1)) < 0)
		return 0;
	/* exactly one entry of this kind: no CN=a,CN=b games */
	if (X509_NAME_get_index_by_NID(n, nid, i) >= 0)
		return -1;
	e = X509_NAME_get_entry(n, i);
	s = X509_NAME_ENTRY_get_data(e);
	d = ASN1_STRING_get0_data(s);
	len = ASN1_STRING_length(s);
	if (len <= 0 || (size_t)len >= outsz)
		return -1;
	for (k = 0; k < len; k++)
		if (d[k] < 0x21 || d[k] > 0x7e)
			return -1;
	memcpy(out, d, (size_t)len);
	out[len] = '\0';
	return 0;
}

static int
fingerprint(X509 *x, char *out, size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;
	size_t o = 0;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || outsz < n * 3)
		return -1;
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, outsz - o, i ? ":%02X" : "%02X",
		    md[i]);
	return 0;
}

int
tsr_tls_peer(SSL *ssl, struct tsr_tls_peer *p)
{
	X509 *x;
	X509_NAME *n;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	if ((x = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	n = X509_get_subject_name(x);
	if (name_entry(n, NID_commonName, p->cn, sizeof(p->cn)) == 0 &&
	    p->cn[0] != '\0' &&
	    name_entry(n, NID_organizationalUnitName, p->role,
		sizeof(p->role)) == 0 &&
	    fingerprint(x, p->fingerprint, sizeof(p->fingerprint)) == 0)
		rc = 0;
	X509_free(x);
	return rc;
}

int
tsr_tls_cert_fingerprint(const char *path, char *out, size_t outsz)
{
	X509 *x;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return -1;
	rc = fingerprint(x, out, outsz);
	X509_free(x);
	return rc;
}
