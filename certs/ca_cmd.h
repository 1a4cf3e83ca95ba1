/*
 * The commands of tessera-ca (ca_cmd.c), one function each, and the
 * options and defaults they share with the command line (ca.c).
 */
#ifndef CA_CMD_H
#define CA_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "ca_index.h"

#define CA_DEFAULT_DIR "/etc/tessera/ca"
#define CA_DEFAULT_NAME "Tessera CA"
#define CA_DAYS_CA 3650
#define CA_DAYS_LEAF 365
#define CA_DAYS_CRL 30
#define CA_RENEW_DAYS 30 /* renew refuses with more left than this */
#define CA_BACKDATE 300	 /* not_before = now - 5 min, for clock skew */
#define CA_PASS_MAX 1024
#define CA_DAY INT64_C(86400)

struct ca_opts {
	const char *dir;
	const char *caname;
	const char *pass_file;
	const char *role;
	int days;	    /* 0: the command's default */
	int64_t not_before; /* -1: now */
	int p12, force, json;
	struct ca_san sans[CA_SAN_MAX];
	size_t nsans;
};

int cmd_init(struct ca_opts *, int, char **);
int cmd_issue(struct ca_opts *, int, char **);
int cmd_list(struct ca_opts *, int, char **);
int cmd_revoke(struct ca_opts *, int, char **);
int cmd_crl(struct ca_opts *, int, char **);
int cmd_renew(struct ca_opts *, int, char **);
int cmd_fingerprint(struct ca_opts *, int, char **);

#endif
