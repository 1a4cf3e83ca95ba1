/*
 * Keys, certificates, CRLs and PKCS#12 bundles (ca_x509.c), made from and
 * into buffers in memory: reading and writing files is ca_file.c's.
 */
#ifndef CA_X509_H
#define CA_X509_H

#include <stddef.h>
#include <stdint.h>

#include "ca_index.h"

struct evp_pkey_st;
struct x509_st;

struct ca_issue {
	struct ca_entry e; /* filled in: serial, fp */
	struct evp_pkey_st *key;
	struct x509_st *cert;
	char *key_pem, *cert_pem, *p12;
	size_t key_pem_len, cert_pem_len, p12_len;
};

struct ca_keys {
	struct evp_pkey_st *key;
	struct x509_st *cert;
};

int ca_serial_new(const struct ca_index *, unsigned char *);
int ca_keys_cert(struct ca_keys *, const char *, size_t);
int ca_keys_key(struct ca_keys *, const char *, size_t);
void ca_keys_free(struct ca_keys *);
int ca_make_ca(const char *, int64_t, int64_t, struct ca_issue *);
int ca_make_leaf(const struct ca_keys *, struct ca_issue *);
int ca_make_p12(const struct ca_keys *, struct ca_issue *, const char *);
void ca_issue_free(struct ca_issue *);
int ca_make_crl(const struct ca_keys *, const struct ca_index *, int64_t, int,
    char **, size_t *);
int ca_cert_serial(const char *, size_t, unsigned char *);
int ca_cert_fingerprint(const char *, size_t, unsigned char *);
int64_t ca_cert_not_after(const struct ca_keys *);
void ca_fp_format(const unsigned char *, char *);

#endif
