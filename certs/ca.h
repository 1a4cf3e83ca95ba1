/*
 * tessera-ca: the Tessera PKI.  Shared declarations.
 *
 * ca.c        command line: options, usage, main
 * ca_cmd.c    the commands, one function each
 * ca_index.c  the index file: strict parser and writer (no I/O, no OpenSSL;
 *             this is the fuzz target), name/DNS/IP validation
 * ca_file.c   the CA directory: lock, atomic writes, recovery
 * ca_x509.c   keys, certificates, CRL, PKCS#12 (OpenSSL 3 EVP)
 */
#ifndef CA_H
#define CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CA_SERIAL_LEN	16		/* random 128-bit serial, top bit 0 */
#define CA_FP_LEN	32		/* SHA-256 */
#define CA_FP_STRLEN	(CA_FP_LEN * 3)	/* "AB:CD:...:EF" + NUL */
#define CA_NAME_MAX	64
#define CA_DNS_MAX	253
#define CA_SAN_MAX	32
#define CA_DAYS_MAX	3650
#define CA_TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */
#define CA_INDEX_MAX	(64 * 1024 * 1024)	/* refuse bigger index files */
#define CA_LINE_MAX	16384

enum ca_kind { CA_KIND_SERVER, CA_KIND_CLIENT };
enum ca_status { CA_ST_VALID, CA_ST_REVOKED, CA_ST_SUPERSEDED };
enum ca_role { CA_ROLE_NONE, CA_ROLE_VIEWER, CA_ROLE_ADMIN };
enum ca_santype { CA_SAN_DNS, CA_SAN_IP };

struct ca_san {
	enum ca_santype	 type;
	char		 value[CA_DNS_MAX + 1];	/* IPs in inet_ntop form */
};

/* One certificate issued by the CA. */
struct ca_entry {
	unsigned char	 serial[CA_SERIAL_LEN];
	enum ca_status	 status;
	enum ca_kind	 kind;
	char		 name[CA_NAME_MAX + 1];
	int64_t		 not_before;		/* seconds since the epoch */
	int64_t		 not_after;
	int64_t		 revoked_at;		/* -1 unless revoked */
	enum ca_role	 role;			/* NONE for servers */
	unsigned char	 fp[CA_FP_LEN];		/* SHA-256 of the DER cert */
	size_t		 nsans;
	struct ca_san	*sans;			/* owned */
};

struct ca_index {
	uint64_t	 crlnumber;		/* last CRL number used */
	size_t		 n, cap;
	struct ca_entry	*v;
};

/* ca_index.c */
bool	 ca_name_valid(const char *);
bool	 ca_dns_valid(const char *);
int	 ca_ip_canon(const char *, char *, size_t);
const char *ca_kind_str(enum ca_kind);
const char *ca_status_str(enum ca_status);
const char *ca_role_str(enum ca_role);
int	 ca_role_parse(const char *, enum ca_role *);
void	 ca_index_init(struct ca_index *);
void	 ca_index_free(struct ca_index *);
void	 ca_entry_finish(struct ca_entry *);
int	 ca_index_parse(struct ca_index *, const char *, size_t, char *,
	    size_t);
int	 ca_index_format(const struct ca_index *, char **, size_t *);
int	 ca_index_add(struct ca_index *, struct ca_entry *);
struct ca_entry *ca_index_current(const struct ca_index *, const char *);
bool	 ca_index_has_name(const struct ca_index *, const char *);
bool	 ca_index_has_serial(const struct ca_index *, const unsigned char *);
void	 ca_hex(const unsigned char *, size_t, char *);

/* ca_file.c */
struct ca_dir {
	const char	*path;
	int		 fd;		/* the CA directory */
	int		 issued;	/* DIR/issued */
	int		 archive;	/* DIR/archive */
	int		 lock;		/* DIR/lock, flock()ed */
};

#define CA_MODE_KEY	0600
#define CA_MODE_PUB	0644

void	 ca_dir_init(struct ca_dir *);
void	 ca_dir_close(struct ca_dir *);
int	 ca_dir_create(struct ca_dir *, const char *);
int	 ca_dir_open(struct ca_dir *, const char *);
int	 ca_dir_lock(struct ca_dir *);
int	 ca_file_exists(int, const char *);
int	 ca_file_read(int, const char *, size_t, char **, size_t *);
int	 ca_file_write_excl(int, const char *, const void *, size_t, int);
int	 ca_file_replace(int, const char *, const void *, size_t, int);
int	 ca_fsync_dir(int);
int	 ca_index_load(struct ca_dir *, struct ca_index *);
int	 ca_index_store(struct ca_dir *, const struct ca_index *);
int	 ca_pass_read(const char *, char *, size_t);
int	 ca_recover(struct ca_dir *, const struct ca_index *);
void	 ca_crashpoint(const char *);
bool	 ca_has_suffix(const char *, const char *);

/* ca_x509.c */
struct evp_pkey_st;
struct x509_st;

struct ca_issue {
	struct ca_entry		 e;	/* filled in: serial, fp */
	struct evp_pkey_st	*key;
	struct x509_st		*cert;
	char			*key_pem, *cert_pem, *p12;
	size_t			 key_pem_len, cert_pem_len, p12_len;
};

struct ca_keys {
	struct evp_pkey_st	*key;
	struct x509_st		*cert;
};

int	 ca_serial_new(const struct ca_index *, unsigned char *);
int	 ca_keys_load(struct ca_dir *, struct ca_keys *);
void	 ca_keys_free(struct ca_keys *);
int	 ca_make_ca(const char *, int64_t, int64_t, struct ca_issue *);
int	 ca_make_leaf(const struct ca_keys *, struct ca_issue *);
int	 ca_make_p12(const struct ca_keys *, struct ca_issue *, const char *);
void	 ca_issue_free(struct ca_issue *);
int	 ca_make_crl(const struct ca_keys *, const struct ca_index *, int64_t,
	    int, char **, size_t *);
int	 ca_cert_serial(const char *, size_t, unsigned char *);
int	 ca_cert_fingerprint(const char *, size_t, unsigned char *);
int64_t	 ca_cert_not_after(const struct ca_keys *);
void	 ca_fp_format(const unsigned char *, char *);

/* ca.c, ca_cmd.c */
#define CA_DEFAULT_DIR	"/etc/tessera/ca"
#define CA_DEFAULT_NAME	"Tessera CA"
#define CA_DAYS_CA	3650
#define CA_DAYS_LEAF	365
#define CA_DAYS_CRL	30
#define CA_RENEW_DAYS	30	/* renew refuses with more left than this */
#define CA_BACKDATE	300	/* not_before = now - 5 min, for clock skew */
#define CA_PASS_MAX	1024
#define CA_DAY		INT64_C(86400)

struct ca_opts {
	const char	*dir;
	const char	*caname;
	const char	*pass_file;
	const char	*role;
	int		 days;		/* 0: the command's default */
	int64_t		 not_before;	/* -1: now */
	int		 p12, force, json;
	struct ca_san	 sans[CA_SAN_MAX];
	size_t		 nsans;
};

__attribute__((format(printf, 2, 3), noreturn))
void	 ca_usage(const char *, const char *, ...);
int	 cmd_init(struct ca_opts *, int, char **);
int	 cmd_issue(struct ca_opts *, int, char **);
int	 cmd_list(struct ca_opts *, int, char **);
int	 cmd_revoke(struct ca_opts *, int, char **);
int	 cmd_crl(struct ca_opts *, int, char **);
int	 cmd_renew(struct ca_opts *, int, char **);
int	 cmd_fingerprint(struct ca_opts *, int, char **);

#endif
