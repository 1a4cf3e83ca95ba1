/*
 * The CA's index (ca_index.c): its entries, the strict parser and writer
 * of the index file (no I/O, no OpenSSL; the fuzz target), and the
 * checks of certificate names, DNS names and IP addresses.  The limits
 * here are the whole CA's.
 */
#ifndef CA_INDEX_H
#define CA_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CA_SERIAL_LEN 16	     /* random 128-bit serial, top bit 0 */
#define CA_FP_LEN 32		     /* SHA-256 */
#define CA_FP_STRLEN (CA_FP_LEN * 3) /* "AB:CD:...:EF" + NUL */
#define CA_NAME_MAX 64
#define CA_DNS_MAX 253
#define CA_SAN_MAX 32
#define CA_DAYS_MAX 3650
#define CA_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define CA_INDEX_MAX (64 * 1024 * 1024)	  /* refuse bigger index files */
#define CA_LINE_MAX 16384

enum ca_kind { CA_KIND_SERVER, CA_KIND_CLIENT };
enum ca_status { CA_ST_VALID, CA_ST_REVOKED, CA_ST_SUPERSEDED };
enum ca_role { CA_ROLE_NONE, CA_ROLE_VIEWER, CA_ROLE_ADMIN };
enum ca_santype { CA_SAN_DNS, CA_SAN_IP };

struct ca_san {
	enum ca_santype type;
	char value[CA_DNS_MAX + 1]; /* IPs in inet_ntop form */
};

/* One certificate issued by the CA. */
struct ca_entry {
	unsigned char serial[CA_SERIAL_LEN];
	enum ca_status status;
	enum ca_kind kind;
	char name[CA_NAME_MAX + 1];
	int64_t not_before; /* seconds since the epoch */
	int64_t not_after;
	int64_t revoked_at;	     /* -1 unless revoked */
	enum ca_role role;	     /* NONE for servers */
	unsigned char fp[CA_FP_LEN]; /* SHA-256 of the DER cert */
	size_t nsans;
	struct ca_san *sans; /* owned */
};

struct ca_index {
	uint64_t crlnumber; /* last CRL number used */
	size_t n, cap;
	struct ca_entry *v;
};

bool ca_name_valid(const char *);
bool ca_dns_valid(const char *);
int ca_ip_canon(const char *, char *, size_t);
const char *ca_kind_str(enum ca_kind);
const char *ca_status_str(enum ca_status);
const char *ca_role_str(enum ca_role);
int ca_role_parse(const char *, enum ca_role *);
void ca_index_init(struct ca_index *);
void ca_index_free(struct ca_index *);
void ca_entry_finish(struct ca_entry *);
int ca_index_parse(struct ca_index *, const char *, size_t, char *, size_t);
int ca_index_format(const struct ca_index *, char **, size_t *);
int ca_index_add(struct ca_index *, struct ca_entry *);
struct ca_entry *ca_index_current(const struct ca_index *, const char *);
bool ca_index_has_name(const struct ca_index *, const char *);
bool ca_index_has_serial(const struct ca_index *, const unsigned char *);

#endif
