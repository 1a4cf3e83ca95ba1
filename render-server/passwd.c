/*
 * Hashed passwords for third-party viewers: scrypt (OpenSSL EVP_KDF).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "log.h"
#include "passwd.h"

#define PW_N_MAX (1u << 20)
#define PW_R_MAX 32
#define PW_P_MAX 16
#define PW_MAXMEM (1ull << 30)
#define PW_LINE_MAX 512

int
rs_pw_user_ok(const char *user)
{
	size_t i, n = strlen(user);

	if (n == 0 || n > RS_PW_USER_MAX || user[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = user[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '-'))
			return 0;
	}
	return 1;
}

/* Base64 of exactly the characters s[0..len): 0 with *outlen, or -1. */
static int
b64_decode(const char *s, size_t len, uint8_t *out, size_t outsz,
    size_t *outlen)
{
	uint8_t tmp[128];
	int n, pad = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(tmp))
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (n < 0 || n - pad <= 0 || (size_t)(n - pad) > outsz)
		return -1;
	memcpy(out, tmp, (size_t)(n - pad));
	*outlen = (size_t)(n - pad);
	return 0;
}

static int
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x == 0 || x > max)
		return -1;
	*v = x;
	return 0;
}

int
rs_pw_parse_line(const char *line, size_t len, struct rs_pw *e)
{
	const char *p = line, *end = line + len, *f[6];
	size_t flen[6], ulen;
	uint64_t v;
	int i;

	memset(e, 0, sizeof(*e));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 1;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	for (ulen = 0; p + ulen < end && p[ulen] != ':'; ulen++)
		;
	if (p + ulen == end || ulen > RS_PW_USER_MAX)
		return -1;
	memcpy(e->user, p, ulen);
	e->user[ulen] = '\0';
	if (!rs_pw_user_ok(e->user))
		return -1;
	p += ulen + 1;
	/* scrypt$N$r$p$salt$hash */
	for (i = 0; i < 6; i++) {
		f[i] = p;
		while (p < end && *p != '$')
			p++;
		flen[i] = (size_t)(p - f[i]);
		if (i < 5) {
			if (p == end)
				return -1;
			p++;
		}
	}
	if (p != end)
		return -1;
	if (flen[0] != 6 || memcmp(f[0], "scrypt", 6) != 0)
		return -1;
	if (parse_u64(f[1], flen[1], PW_N_MAX, &v) == -1 ||
	    (v & (v - 1)) != 0 || v < 2)
		return -1;
	e->N = v;
	if (parse_u64(f[2], flen[2], PW_R_MAX, &v) == -1)
		return -1;
	e->r = (uint32_t)v;
	if (parse_u64(f[3], flen[3], PW_P_MAX, &v) == -1)
		return -1;
	e->p = (uint32_t)v;
	if (b64_decode(f[4], flen[4], e->salt, sizeof(e->salt), &e->saltlen) ==
		-1 ||
	    e->saltlen < 8)
		return -1;
	if (b64_decode(f[5], flen[5], e->hash, sizeof(e->hash), &e->hashlen) ==
		-1 ||
	    e->hashlen < 16)
		return -1;
	return 0;
}

int
rs_pw_load(const char *path, struct rs_pw **out, size_t *n)
{
	struct rs_pw *v = NULL, *nv, e;
	char line[PW_LINE_MAX + 2];
	size_t cnt = 0, len, lineno = 0, i;
	FILE *f;
	int rc;

	if ((f = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			log_warnx("%s:%zu: line too long", path, lineno);
			goto fail;
		}
		if ((rc = rs_pw_parse_line(line, len, &e)) == 1)
			continue;
		if (rc == -1) {
			log_warnx("%s:%zu: not user:scrypt$N$r$p$salt$hash",
			    path, lineno);
			goto fail;
		}
		for (i = 0; i < cnt; i++)
			if (strcmp(v[i].user, e.user) == 0) {
				log_warnx("%s:%zu: %s again", path, lineno,
				    e.user);
				goto fail;
			}
		if ((nv = reallocarray(v, cnt + 1, sizeof(*v))) == NULL)
			goto fail;
		v = nv;
		v[cnt++] = e;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*out = v;
	*n = cnt;
	return 0;
fail:
	fclose(f);
	free(v);
	return -1;
}

static int
kdf(const char *pass, const uint8_t *salt, size_t saltlen, uint64_t N,
    uint32_t r, uint32_t p, uint8_t *out, size_t outlen)
{
	EVP_KDF *k;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[7], *q = params;
	uint64_t maxmem = PW_MAXMEM;
	int rc = -1;

	if ((k = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL)
		return -1;
	if ((ctx = EVP_KDF_CTX_new(k)) == NULL)
		goto out;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)pass, strlen(pass));
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &N);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ =
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(k);
	return rc;
}

int
rs_pw_verify(const struct rs_pw *e, const char *pass)
{
	uint8_t h[RS_PW_HASH_MAX];
	int rc = -1;

	if (kdf(pass, e->salt, e->saltlen, e->N, e->r, e->p, h, e->hashlen) ==
		0 &&
	    CRYPTO_memcmp(h, e->hash, e->hashlen) == 0)
		rc = 0;
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

void
rs_pw_dummy(const char *pass)
{
	static const uint8_t salt[RS_PW_SALT_LEN];
	uint8_t h[RS_PW_HASH_LEN];

	kdf(pass, salt, sizeof(salt), RS_PW_N, RS_PW_R, RS_PW_P, h, sizeof(h));
}

int
rs_pw_make(const char *user, const char *pass, char *buf, size_t bufsz)
{
	uint8_t salt[RS_PW_SALT_LEN], h[RS_PW_HASH_LEN];
	char s64[64], h64[64];
	int n;

	if (!rs_pw_user_ok(user) || RAND_bytes(salt, sizeof(salt)) != 1 ||
	    kdf(pass, salt, sizeof(salt), RS_PW_N, RS_PW_R, RS_PW_P, h,
		sizeof(h)) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)s64, salt, sizeof(salt));
	EVP_EncodeBlock((unsigned char *)h64, h, sizeof(h));
	OPENSSL_cleanse(h, sizeof(h));
	n = snprintf(buf, bufsz, "%s:scrypt$%u$%u$%u$%s$%s", user, RS_PW_N,
	    RS_PW_R, RS_PW_P, s64, h64);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int
rs_pw_set(const char *path, const char *user, const char *pass)
{
	char newline[PW_LINE_MAX], line[PW_LINE_MAX + 2], tmp[PATH_MAX];
	FILE *in = NULL, *out = NULL;
	size_t ulen = strlen(user);
	int fd = -1, replaced = 0, rc = -1;

	if (rs_pw_make(user, pass, newline, sizeof(newline)) == -1) {
		log_warnx(
		    "cannot hash the password (user name [A-Za-z0-9._-])");
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
		-1 ||
	    (out = fdopen(fd, "w")) == NULL) {
		log_warn("%s", tmp);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((in = fopen(path, "re")) == NULL && errno != ENOENT) {
		log_warn("%s", path);
		goto out;
	}
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, user, ulen) == 0 && line[ulen] == ':') {
			if (!replaced)
				fprintf(out, "%s\n", newline);
			replaced = 1;
			continue;
		}
		fputs(line, out);
		if (line[strlen(line) - 1] != '\n')
			fputc('\n', out);
	}
	if (!replaced)
		fprintf(out, "%s\n", newline);
	if (fflush(out) != 0 || fsync(fileno(out)) == -1 || ferror(out)) {
		log_warn("%s", tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		goto out;
	}
	rc = 0;
out:
	if (in)
		fclose(in);
	fclose(out);
	if (rc == -1)
		unlink(tmp);
	OPENSSL_cleanse(newline, sizeof(newline));
	return rc;
}
