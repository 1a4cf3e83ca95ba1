/*
 * The password file of third-party viewers (X509Plain, RDP): one line per
 * user, "user:scrypt$N$r$p$SALT$HASH" (salt and hash in base64; OpenSSL's
 * scrypt KDF).  "#" lines and empty lines are ignored.
 */
#ifndef RS_PASSWD_H
#define RS_PASSWD_H

#include <stddef.h>
#include <stdint.h>

#define RS_PW_USER_MAX 64
#define RS_PW_SALT_MAX 64
#define RS_PW_HASH_MAX 64

/* The parameters new hashes get: 32 MiB and ~0.1 s per check. */
#define RS_PW_N 32768
#define RS_PW_R 8
#define RS_PW_P 1
#define RS_PW_SALT_LEN 16
#define RS_PW_HASH_LEN 32

struct rs_pw {
	char user[RS_PW_USER_MAX + 1];
	uint64_t N;
	uint32_t r, p;
	uint8_t salt[RS_PW_SALT_MAX];
	size_t saltlen;
	uint8_t hash[RS_PW_HASH_MAX];
	size_t hashlen;
};

/* A user name we accept: [A-Za-z0-9._-], 1..RS_PW_USER_MAX, not "-" first. */
int rs_pw_user_ok(const char *user);

/* One line (no newline) into e: 0, 1 for a comment/blank, -1 if bad. */
int rs_pw_parse_line(const char *line, size_t len, struct rs_pw *e);

/* The whole file: 0 with *out (free()) and *n, or -1 (logged). */
int rs_pw_load(const char *path, struct rs_pw **out, size_t *n);

/* 0 if pass matches e (constant time in the hash), -1 otherwise. */
int rs_pw_verify(const struct rs_pw *e, const char *pass);

/* Burns the time of one verification (for unknown users). */
void rs_pw_dummy(const char *pass);

/* The line for user with a fresh salt, into buf. */
int rs_pw_make(const char *user, const char *pass, char *buf, size_t bufsz);

/* Adds or replaces user's line in path, atomically (mode 0600). */
int rs_pw_set(const char *path, const char *user, const char *pass);

#endif
