/*
 * Keys, certificates, CRLs and PKCS#12 bundles with OpenSSL 3 (EVP, no
 * deprecated calls).  Keys are ECDSA P-256, signatures SHA-256.  Each
 * function reports its own errors (with OpenSSL's reason) and returns -1.
 */
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca_index.h"
#include "ca_x509.h"
#include "log.h"

#define CA_ORG "Tessera"
#define CA_P12_ITER 100000

static int
ssl_err(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warnx("%s: %s", what, buf);
	} else
		log_warnx("%s failed", what);
	ERR_clear_error();
	return -1;
}

/* Random positive 128-bit serial, not yet used in idx. */
int
ca_serial_new(const struct ca_index *idx, unsigned char *serial)
{
	static const unsigned char zero[CA_SERIAL_LEN];
	int i;

	for (i = 0; i < 16; i++) {
		if (RAND_bytes(serial, CA_SERIAL_LEN) != 1)
			return ssl_err("random serial");
		serial[0] &= 0x7f;
		if (memcmp(serial, zero, CA_SERIAL_LEN) != 0 &&
		    (idx == NULL || !ca_index_has_serial(idx, serial)))
			return 0;
	}
	log_warnx("cannot find an unused serial");
	return -1;
}

static ASN1_INTEGER *
serial_asn1(const unsigned char *serial)
{
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn;

	if ((bn = BN_bin2bn(serial, CA_SERIAL_LEN, NULL)) != NULL)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

static int
set_time(X509 *x, int64_t nb, int64_t na)
{
	ASN1_TIME *t;
	int ok;

	if ((t = ASN1_TIME_set(NULL, (time_t)nb)) == NULL)
		return -1;
	ok = X509_set1_notBefore(x, t);
	ASN1_TIME_free(t);
	if (!ok || (t = ASN1_TIME_set(NULL, (time_t)na)) == NULL)
		return -1;
	ok = X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	return ok ? 0 : -1;
}

static int
add_name(X509_NAME *n, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_ASC,
		   (const unsigned char *)value, -1, -1, 0) ?
	    0 :
	    -1;
}

/* O=Tessera[, OU=role], CN=cn */
static X509_NAME *
make_name(const char *cn, enum ca_role role)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (add_name(n, "O", CA_ORG) == -1 ||
	    (role != CA_ROLE_NONE &&
		add_name(n, "OU", ca_role_str(role)) == -1) ||
	    add_name(n, "CN", cn) == -1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;
	int ok;

	ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int
add_san(GENERAL_NAMES *gens, const struct ca_san *san)
{
	GENERAL_NAME *g;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_OCTET_STRING *ip = NULL;

	if ((g = GENERAL_NAME_new()) == NULL)
		return -1;
	if (san->type == CA_SAN_DNS) {
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, san->value, -1))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	} else {
		if ((ip = a2i_IPADDRESS(san->value)) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	}
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return -1;
	}
	return 0;
fail:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(g);
	return -1;
}

static int
add_sans(X509 *x, const struct ca_entry *e)
{
	GENERAL_NAMES *gens;
	size_t i;
	int r = -1;

	if (e->nsans == 0)
		return 0;
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return -1;
	for (i = 0; i < e->nsans; i++)
		if (add_san(gens, &e->sans[i]) == -1)
			goto out;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
		X509V3_ADD_DEFAULT) == 1)
		r = 0;
out:
	GENERAL_NAMES_free(gens);
	return r;
}

static int
leaf_exts(X509 *x, X509 *issuer, const struct ca_entry *e)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ==
		-1 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ==
		-1 ||
	    add_ext(x, &ctx, NID_ext_key_usage,
		e->kind == CA_KIND_SERVER ? "serverAuth" : "clientAuth") ==
		-1 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ==
		-1)
		return -1;
	return add_sans(x, e);
}

static int
ca_exts(X509 *x)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints,
		"critical,CA:TRUE,pathlen:0") == -1 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ==
		-1 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ==
		-1)
		return -1;
	return 0;
}

/* A certificate for e's subject and key, not yet signed or extended. */
static X509 *
make_cert(const struct ca_entry *e, const char *cn, EVP_PKEY *key)
{
	X509_NAME *name;
	ASN1_INTEGER *serial;
	X509 *x;
	int ok;

	if ((x = X509_new()) == NULL)
		return NULL;
	serial = serial_asn1(e->serial);
	name = make_name(cn, e->role);
	ok = serial != NULL && name != NULL &&
	    X509_set_version(x, X509_VERSION_3) &&
	    X509_set_serialNumber(x, serial) &&
	    X509_set_subject_name(x, name) && X509_set_pubkey(x, key) &&
	    set_time(x, e->not_before, e->not_after) == 0;
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* PEM of a certificate or (key != NULL) a private key, malloc()ed. */
static int
to_pem(X509 *x, EVP_PKEY *key, char **out, size_t *outlen)
{
	BIO *b;
	char *data;
	long n;
	int ok;

	if ((b = BIO_new(key ? BIO_s_secmem() : BIO_s_mem())) == NULL)
		return -1;
	if (key != NULL)
		ok =
		    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	if (ok && n > 0 && (*out = malloc((size_t)n)) != NULL) {
		memcpy(*out, data, (size_t)n);
		*outlen = (size_t)n;
	} else
		ok = 0;
	BIO_free(b);
	return ok ? 0 : -1;
}

static int
fingerprint(X509 *x, unsigned char *fp)
{
	unsigned int n;

	if (!X509_digest(x, EVP_sha256(), fp, &n) || n != CA_FP_LEN)
		return -1;
	return 0;
}

/* PEMs and fingerprint of iss->key and iss->cert. */
static int
finish_issue(struct ca_issue *iss)
{
	if (to_pem(NULL, iss->key, &iss->key_pem, &iss->key_pem_len) == -1 ||
	    to_pem(iss->cert, NULL, &iss->cert_pem, &iss->cert_pem_len) == -1 ||
	    fingerprint(iss->cert, iss->e.fp) == -1)
		return ssl_err("encode certificate");
	return 0;
}

static EVP_PKEY *
new_key(void)
{
	EVP_PKEY *key;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		ssl_err("generate P-256 key");
	return key;
}

/* A self-signed CA named cn; iss->e holds the times. */
int
ca_make_ca(const char *cn, int64_t nb, int64_t na, struct ca_issue *iss)
{
	iss->e.not_before = nb;
	iss->e.not_after = na;
	iss->e.role = CA_ROLE_NONE;
	if (ca_serial_new(NULL, iss->e.serial) == -1 ||
	    (iss->key = new_key()) == NULL)
		return -1;
	if ((iss->cert = make_cert(&iss->e, cn, iss->key)) == NULL ||
	    !X509_set_issuer_name(iss->cert,
		X509_get_subject_name(iss->cert)) ||
	    ca_exts(iss->cert) == -1 ||
	    !X509_sign(iss->cert, iss->key, EVP_sha256()))
		return ssl_err("make CA certificate");
	return finish_issue(iss);
}

/*
 * A key and certificate for iss->e (serial, name, kind, role, SANs and
 * times filled in by the caller), signed by the CA.  Sets iss->e.fp.
 */
int
ca_make_leaf(const struct ca_keys *ca, struct ca_issue *iss)
{
	if ((iss->key = new_key()) == NULL)
		return -1;
	if ((iss->cert = make_cert(&iss->e, iss->e.name, iss->key)) == NULL ||
	    !X509_set_issuer_name(iss->cert, X509_get_subject_name(ca->cert)) ||
	    leaf_exts(iss->cert, ca->cert, &iss->e) == -1 ||
	    !X509_sign(iss->cert, ca->key, EVP_sha256()))
		return ssl_err("make certificate");
	return finish_issue(iss);
}

/*
 * A PKCS#12 bundle of iss's key and certificate and the CA certificate:
 * AES-256-CBC with PBKDF2 (HMAC-SHA256) for both bags, SHA-256 MAC; what
 * browsers and "openssl pkcs12" without -legacy read.
 */
int
ca_make_p12(const struct ca_keys *ca, struct ca_issue *iss, const char *pass)
{
	STACK_OF(X509) * chain;
	PKCS12 *p12 = NULL;
	unsigned char *p;
	int n, r = -1;

	if ((chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, ca->cert))
		goto out;
	p12 = PKCS12_create_ex(pass, iss->e.name, iss->key, iss->cert, chain,
	    NID_aes_256_cbc, NID_aes_256_cbc, CA_P12_ITER, -1, 0, NULL, NULL);
	if (p12 == NULL ||
	    !PKCS12_set_mac(p12, pass, -1, NULL, 0, CA_P12_ITER, EVP_sha256()))
		goto out;
	if ((n = i2d_PKCS12(p12, NULL)) <= 0 ||
	    (iss->p12 = malloc((size_t)n)) == NULL)
		goto out;
	p = (unsigned char *)iss->p12;
	if (i2d_PKCS12(p12, &p) != n)
		goto out;
	iss->p12_len = (size_t)n;
	r = 0;
out:
	PKCS12_free(p12);
	sk_X509_free(chain); /* the CA certificate is not ours */
	return r == 0 ? 0 : ssl_err("make PKCS#12 bundle");
}

static void
free_secret(char *p, size_t len)
{
	if (p != NULL) {
		explicit_bzero(p, len);
		free(p);
	}
}

void
ca_issue_free(struct ca_issue *iss)
{
	EVP_PKEY_free(iss->key);
	X509_free(iss->cert);
	free_secret(iss->key_pem, iss->key_pem_len);
	free_secret(iss->p12, iss->p12_len);
	free(iss->cert_pem);
	ca_entry_finish(&iss->e);
	memset(iss, 0, sizeof(*iss));
}

static X509 *
read_cert(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	X509 *x = NULL;
	BIO *b;

	if (len > INT32_MAX)
		return NULL;
	if ((b = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (x == NULL) /* DER, then */
		x = d2i_X509(NULL, &p, (long)len);
	return x;
}

/* The CA's certificate, PEM or DER, into ca (ca_keys_free() frees it). */
int
ca_keys_cert(struct ca_keys *ca, const char *buf, size_t len)
{
	if ((ca->cert = read_cert(buf, len)) == NULL)
		return ssl_err("ca.crt");
	return 0;
}

/* The CA's private key (PEM) into ca, once its certificate is there. */
int
ca_keys_key(struct ca_keys *ca, const char *buf, size_t len)
{
	BIO *b;

	if (len > INT32_MAX)
		return ssl_err("ca.key");
	if ((b = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		ca->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (ca->key == NULL)
		return ssl_err("ca.key");
	if (!X509_check_private_key(ca->cert, ca->key))
		return ssl_err("ca.key does not match ca.crt");
	return 0;
}

void
ca_keys_free(struct ca_keys *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	memset(ca, 0, sizeof(*ca));
}

int64_t
ca_cert_not_after(const struct ca_keys *ca)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(ca->cert), &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

static int
add_revoked(X509_CRL *crl, const struct ca_entry *e)
{
	X509_REVOKED *rev;
	ASN1_INTEGER *serial;
	ASN1_TIME *t;
	int ok;

	if ((rev = X509_REVOKED_new()) == NULL)
		return -1;
	serial = serial_asn1(e->serial);
	t = ASN1_TIME_set(NULL, (time_t)e->revoked_at);
	ok = serial != NULL && t != NULL &&
	    X509_REVOKED_set_serialNumber(rev, serial) &&
	    X509_REVOKED_set_revocationDate(rev, t) &&
	    X509_CRL_add0_revoked(crl, rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(t);
	if (!ok) {
		X509_REVOKED_free(rev);
		return -1;
	}
	return 0;
}

static int
crl_times(X509_CRL *crl, int64_t now, int days)
{
	ASN1_TIME *t;
	int ok;

	if ((t = ASN1_TIME_set(NULL, (time_t)now)) == NULL)
		return -1;
	ok = X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)(now + (int64_t)days * 86400));
	if (!ok || t == NULL)
		return -1;
	ok = X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	return ok ? 0 : -1;
}

static int
crl_exts(X509_CRL *crl, X509 *issuer, uint64_t number)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_INTEGER *num;
	int ok;

	if ((num = ASN1_INTEGER_new()) == NULL)
		return -1;
	ok = ASN1_INTEGER_set_uint64(num, number) &&
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
	ASN1_INTEGER_free(num);
	if (!ok)
		return -1;
	X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
	    "keyid:always");
	if (ext == NULL)
		return -1;
	ok = X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* The CRL (PEM) of every revoked certificate in idx, number idx->crlnumber. */
int
ca_make_crl(const struct ca_keys *ca, const struct ca_index *idx, int64_t now,
    int days, char **out, size_t *outlen)
{
	X509_CRL *crl;
	BIO *b = NULL;
	char *data;
	size_t i;
	long n;
	int r = -1;

	if ((crl = X509_CRL_new()) == NULL)
		goto out;
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    crl_times(crl, now, days) == -1)
		goto out;
	for (i = 0; i < idx->n; i++)
		if (idx->v[i].status == CA_ST_REVOKED &&
		    add_revoked(crl, &idx->v[i]) == -1)
			goto out;
	if (!X509_CRL_sort(crl) ||
	    crl_exts(crl, ca->cert, idx->crlnumber) == -1 ||
	    !X509_CRL_sign(crl, ca->key, EVP_sha256()))
		goto out;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(b, crl) ||
	    (n = BIO_get_mem_data(b, &data)) <= 0 ||
	    (*out = malloc((size_t)n)) == NULL)
		goto out;
	memcpy(*out, data, (size_t)n);
	*outlen = (size_t)n;
	r = 0;
out:
	BIO_free(b);
	X509_CRL_free(crl);
	return r == 0 ? 0 : ssl_err("make CRL");
}

/* The serial of a certificate (PEM or DER), for recovery. */
int
ca_cert_serial(const char *buf, size_t len, unsigned char *serial)
{
	BIGNUM *bn = NULL;
	X509 *x;
	int r = -1;

	if ((x = read_cert(buf, len)) == NULL)
		goto out;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
		NULL ||
	    BN_is_negative(bn) ||
	    BN_bn2binpad(bn, serial, CA_SERIAL_LEN) != CA_SERIAL_LEN)
		goto out;
	r = 0;
out:
	BN_free(bn);
	X509_free(x);
	ERR_clear_error();
	return r;
}

int
ca_cert_fingerprint(const char *buf, size_t len, unsigned char *fp)
{
	X509 *x;
	int r;

	if ((x = read_cert(buf, len)) == NULL)
		return ssl_err("not a certificate");
	r = fingerprint(x, fp);
	X509_free(x);
	ERR_clear_error();
	return r;
}

/* "AB:CD:...", as "openssl x509 -fingerprint -sha256" prints it. */
void
ca_fp_format(const unsigned char *fp, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < CA_FP_LEN; i++) {
		out[3 * i] = hex[fp[i] >> 4];
		out[3 * i + 1] = hex[fp[i] & 0xf];
		out[3 * i + 2] = i + 1 < CA_FP_LEN ? ':' : '\0';
	}
}
