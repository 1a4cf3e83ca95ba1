/*
 * The commands of tessera-ca, one function each.  Every command that
 * writes takes the CA's lock, completes or undoes what an interrupted run
 * left (ca_recover), checks all its input before it writes anything, and
 * commits by replacing the index (ca_index_store).  Each returns 0 or -1
 * after saying why; ca_usage() exits for a usage error.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "ca_cmd.h"
#include "ca_file.h"
#include "ca_index.h"
#include "ca_x509.h"
#include "hex.h"
#include "log.h"

/* A certificate name from the command line; says why when it is bad. */
static int
check_name(const char *s)
{
	char esc[80];

	if (ca_name_valid(s))
		return 0;
	log_escape(esc, sizeof(esc), s, strlen(s));
	if (s[0] == '\0')
		log_warnx("empty name");
	else if (strlen(s) > CA_NAME_MAX)
		log_warnx("name too long (at most %d characters)", CA_NAME_MAX);
	else
		log_warnx("bad name \"%s\": use [A-Za-z0-9][A-Za-z0-9._-]*",
		    esc);
	return -1;
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* Open, lock and recover the CA; load its index and (if ca) its keys. */
static int
ca_begin(struct ca_opts *o, struct ca_dir *d, struct ca_index *idx,
    struct ca_keys *ca)
{
	if (ca_dir_open(d, o->dir) == -1 || ca_dir_lock(d) == -1 ||
	    ca_index_load(d, idx) == -1 || ca_recover(d, idx) == -1)
		return -1;
	if (ca != NULL && ca_keys_load(d, ca) == -1)
		return -1;
	return 0;
}

static void
ca_end(struct ca_dir *d, struct ca_index *idx, struct ca_keys *ca)
{
	if (ca != NULL)
		ca_keys_free(ca);
	ca_index_free(idx);
	ca_dir_close(d);
}

/* Validity of a new certificate: [not_before, +days], inside the CA's. */
static int
leaf_times(const struct ca_opts *o, const struct ca_keys *ca,
    struct ca_entry *e)
{
	int64_t ca_end_t = ca_cert_not_after(ca);
	char buf[32];

	e->not_before =
	    o->not_before != -1 ? o->not_before : now() - CA_BACKDATE;
	e->not_after = e->not_before +
	    (int64_t)(o->days ? o->days : CA_DAYS_LEAF) * CA_DAY;
	if (ca_end_t == -1 || e->not_after > ca_end_t) {
		fmt_time(ca_end_t, buf, sizeof(buf));
		log_warnx("the certificate would outlive the CA (which "
			  "expires %s): use a smaller --days",
		    buf);
		return -1;
	}
	return 0;
}

static int
get_pass(const struct ca_opts *o, char *pass)
{
	if (!o->p12) {
		if (o->pass_file != NULL) {
			log_warnx("--pass-file without --p12");
			return -1;
		}
		return 0;
	}
	return ca_pass_read(o->pass_file, pass, CA_PASS_MAX);
}

static int
unlink_tmp(int dirfd, const char *name, const char *ext)
{
	char path[NAME_MAX + 1];

	snprintf(path, sizeof(path), "%s.%s.tmp", name, ext);
	if (unlinkat(dirfd, path, 0) == -1 && errno != ENOENT) {
		log_warn("unlink issued/%s", path);
		return -1;
	}
	return 0;
}

static int
stage_one(int dirfd, const char *name, const char *ext, const char *data,
    size_t len, int mode)
{
	char path[NAME_MAX + 1];

	if (unlink_tmp(dirfd, name, ext) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s.%s.tmp", name, ext);
	return ca_file_write_excl(dirfd, path, data, len, mode);
}

/*
 * Before the commit: write the new certificate, key and bundle as
 * issued/NAME.{crt,key,p12}.tmp.  The certificate comes first: ca_recover
 * goes by it.
 */
static int
stage_files(struct ca_dir *d, const struct ca_issue *iss)
{
	const char *name = iss->e.name;

	if (stage_one(d->issued, name, "crt", iss->cert_pem, iss->cert_pem_len,
		CA_MODE_PUB) == -1 ||
	    stage_one(d->issued, name, "key", iss->key_pem, iss->key_pem_len,
		CA_MODE_KEY) == -1 ||
	    (iss->p12 != NULL &&
		stage_one(d->issued, name, "p12", iss->p12, iss->p12_len,
		    CA_MODE_KEY) == -1) ||
	    ca_fsync_dir(d->issued) == -1)
		return -1;
	ca_crashpoint("staged");
	return 0;
}

/* A new key, certificate (and bundle) for e, with a fresh serial. */
static int
make_issue(const struct ca_keys *ca, const struct ca_index *idx,
    struct ca_issue *iss, const char *pass)
{
	if (ca_serial_new(idx, iss->e.serial) == -1 ||
	    ca_make_leaf(ca, iss) == -1)
		return -1;
	if (pass[0] != '\0' && ca_make_p12(ca, iss, pass) == -1)
		return -1;
	return 0;
}

static void
print_issued(const struct ca_dir *d, const struct ca_issue *iss)
{
	char serial[2 * CA_SERIAL_LEN + 1], end[32];

	tsr_hex_encode(iss->e.serial, CA_SERIAL_LEN, serial);
	fmt_time(iss->e.not_after, end, sizeof(end));
	printf("%s %s: serial %s, expires %s\n  %s/issued/%s.crt\n"
	       "  %s/issued/%s.key\n",
	    ca_kind_str(iss->e.kind), iss->e.name, serial, end, d->path,
	    iss->e.name, d->path, iss->e.name);
	if (iss->p12 != NULL)
		printf("  %s/issued/%s.p12\n", d->path, iss->e.name);
}

/* --- commands --- */

/*
 * init takes a directory that does not exist, is empty, or holds what an
 * interrupted init left; never one with a CA key or certificate, nor one
 * with other files (it would be made 0700).
 */
static int
init_check(struct ca_opts *o)
{
	static const char *ours[] = { ".", "..", "lock", "index", "crl.pem",
		"issued", "archive" };
	struct dirent *de;
	DIR *dir;
	size_t i;
	int r = 0;

	if ((dir = opendir(o->dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", o->dir);
		return -1;
	}
	while (r == 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, "ca.crt") == 0 ||
		    strcmp(de->d_name, "ca.key") == 0) {
			log_warnx("%s: a CA exists already (%s); not "
				  "overwriting it",
			    o->dir, de->d_name);
			r = -1;
			break;
		}
		for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			if (strcmp(de->d_name, ours[i]) == 0)
				break;
		if (i == sizeof(ours) / sizeof(ours[0]) &&
		    !ca_has_suffix(de->d_name, ".tmp")) {
			log_warnx("%s: not empty and not a CA; not using it",
			    o->dir);
			r = -1;
		}
	}
	closedir(dir);
	return r;
}

/* The CA: index and CRL first, then the key, ca.crt last (it marks a CA). */
static int
init_write(struct ca_dir *d, struct ca_opts *o, struct ca_issue *iss)
{
	struct ca_keys ca = { iss->key, iss->cert };
	struct ca_index idx;
	char *crl = NULL;
	size_t crllen;
	int r = -1;

	ca_index_init(&idx);
	idx.crlnumber = 1;
	if (ca_make_crl(&ca, &idx, now(), CA_DAYS_CRL, &crl, &crllen) == -1 ||
	    ca_index_store(d, &idx) == -1 ||
	    ca_file_replace(d->fd, "crl.pem", crl, crllen, CA_MODE_PUB) == -1 ||
	    ca_file_replace(d->fd, "ca.key", iss->key_pem, iss->key_pem_len,
		CA_MODE_KEY) == -1 ||
	    ca_file_replace(d->fd, "ca.crt", iss->cert_pem, iss->cert_pem_len,
		CA_MODE_PUB) == -1)
		goto out;
	printf("CA \"%s\" in %s\n", o->caname, d->path);
	r = 0;
out:
	free(crl);
	return r;
}

int
cmd_init(struct ca_opts *o, int argc, char **argv)
{
	struct ca_issue iss;
	struct ca_dir d;
	int64_t nb;
	int r = -1;

	(void)argv;
	if (argc != 0)
		ca_usage("init", "init takes no arguments");
	if (o->caname == NULL)
		o->caname = CA_DEFAULT_NAME;
	memset(&iss, 0, sizeof(iss));
	ca_dir_init(&d);
	if (init_check(o) == -1 || ca_dir_create(&d, o->dir) == -1 ||
	    ca_dir_lock(&d) == -1 || init_check(o) == -1)
		goto out;
	nb = o->not_before != -1 ? o->not_before : now() - CA_BACKDATE;
	if (ca_make_ca(o->caname, nb,
		nb + (int64_t)(o->days ? o->days : CA_DAYS_CA) * CA_DAY,
		&iss) == -1)
		goto out;
	r = init_write(&d, o, &iss);
out:
	ca_issue_free(&iss);
	ca_dir_close(&d);
	return r;
}

/* After the commit: move the staged files into place, certificate last. */
static int
publish_files(struct ca_dir *d, const struct ca_issue *iss)
{
	char from[NAME_MAX + 1], to[NAME_MAX + 1];
	static const char *exts[] = { "key", "p12", "crt" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (i == 1 && iss->p12 == NULL)
			continue;
		snprintf(from, sizeof(from), "%s.%s.tmp", iss->e.name, exts[i]);
		snprintf(to, sizeof(to), "%s.%s", iss->e.name, exts[i]);
		if (renameat(d->issued, from, d->issued, to) == -1) {
			log_warn("rename issued/%s", from);
			return -1;
		}
	}
	return ca_fsync_dir(d->issued);
}

/* Validate the issue command line into iss->e. */

/* The entry gets its own copy of n subject alternative names. */
static int
copy_sans(struct ca_entry *e, const struct ca_san *sans, size_t n)
{
	if (n == 0)
		return 0;
	if ((e->sans = calloc(n, sizeof(*e->sans))) == NULL) {
		log_warn("calloc");
		return -1;
	}
	memcpy(e->sans, sans, n * sizeof(*e->sans));
	e->nsans = n;
	return 0;
}

static int
issue_args(struct ca_opts *o, int argc, char **argv, struct ca_entry *e)
{
	if (argc != 2)
		ca_usage("issue",
		    "issue needs a kind (server or client) "
		    "and a name");
	if (strcmp(argv[0], "server") == 0)
		e->kind = CA_KIND_SERVER;
	else if (strcmp(argv[0], "client") == 0)
		e->kind = CA_KIND_CLIENT;
	else
		ca_usage("issue", "unknown kind \"%.20s\": server or client",
		    argv[0]);
	if (check_name(argv[1]) == -1)
		return -1;
	strcpy(e->name, argv[1]);
	if (e->kind == CA_KIND_SERVER) {
		if (o->role != NULL) {
			log_warnx("--role is for clients");
			return -1;
		}
		if (o->nsans == 0) {
			log_warnx("a server needs --dns or --ip");
			return -1;
		}
	} else {
		if (o->nsans != 0) {
			log_warnx("--dns and --ip are for servers");
			return -1;
		}
		if (ca_role_parse(o->role ? o->role : "viewer", &e->role) ==
		    -1) {
			log_warnx("bad --role: viewer or admin");
			return -1;
		}
	}
	return copy_sans(e, o->sans, o->nsans);
}

int
cmd_issue(struct ca_opts *o, int argc, char **argv)
{
	struct ca_issue iss;
	struct ca_index idx;
	struct ca_keys ca;
	struct ca_dir d;
	char pass[CA_PASS_MAX] = "";
	int r = -1;

	memset(&iss, 0, sizeof(iss));
	memset(&ca, 0, sizeof(ca));
	ca_index_init(&idx);
	ca_dir_init(&d);
	if (issue_args(o, argc, argv, &iss.e) == -1 ||
	    get_pass(o, pass) == -1 || ca_begin(o, &d, &idx, &ca) == -1)
		goto out;
	if (ca_index_has_name(&idx, iss.e.name)) {
		log_warnx("%s: the name is taken (see tessera-ca list)",
		    iss.e.name);
		goto out;
	}
	if (leaf_times(o, &ca, &iss.e) == -1 ||
	    make_issue(&ca, &idx, &iss, pass) == -1 ||
	    stage_files(&d, &iss) == -1)
		goto out;
	iss.e.status = CA_ST_VALID;
	iss.e.revoked_at = -1;
	if (ca_index_add(&idx, &iss.e) == -1) {
		log_warn("index");
		goto out;
	}
	if (ca_index_store(&d, &idx) == -1 || publish_files(&d, &iss) == -1)
		goto out;
	print_issued(&d, &iss);
	r = 0;
out:
	explicit_bzero(pass, sizeof(pass));
	ca_issue_free(&iss);
	ca_end(&d, &idx, &ca);
	return r;
}

static const char *
status_str(const struct ca_entry *e, int64_t t)
{
	if (e->status != CA_ST_VALID)
		return ca_status_str(e->status);
	return e->not_after <= t ? "expired" : "valid";
}

static void
list_json(const struct ca_index *idx, int64_t t)
{
	char serial[2 * CA_SERIAL_LEN + 1], fp[CA_FP_STRLEN];
	char nb[32], na[32];
	const struct ca_entry *e;
	size_t i, j;

	/* Every string here was validated to [A-Za-z0-9.:_*-]: no escaping. */
	printf("[");
	for (i = 0; i < idx->n; i++) {
		e = &idx->v[i];
		tsr_hex_encode(e->serial, CA_SERIAL_LEN, serial);
		ca_fp_format(e->fp, fp);
		fmt_time(e->not_before, nb, sizeof(nb));
		fmt_time(e->not_after, na, sizeof(na));
		printf("%s\n  {\"name\": \"%s\", \"kind\": \"%s\", "
		       "\"role\": %s%s%s, \"serial\": \"%s\", "
		       "\"not_before\": \"%s\", \"not_after\": \"%s\", "
		       "\"status\": \"%s\", \"sha256\": \"%s\", \"sans\": [",
		    i ? "," : "", e->name, ca_kind_str(e->kind),
		    e->role ? "\"" : "",
		    e->role ? ca_role_str(e->role) : "null",
		    e->role ? "\"" : "", serial, nb, na, status_str(e, t), fp);
		for (j = 0; j < e->nsans; j++)
			printf("%s\"%s:%s\"", j ? ", " : "",
			    e->sans[j].type == CA_SAN_DNS ? "DNS" : "IP",
			    e->sans[j].value);
		printf("]}");
	}
	printf("%s]\n", idx->n ? "\n" : "");
}

static void
list_text(const struct ca_index *idx, int64_t t)
{
	char serial[2 * CA_SERIAL_LEN + 1], fp[CA_FP_STRLEN], na[32];
	const struct ca_entry *e;
	int w = 4;
	size_t i;

	for (i = 0; i < idx->n; i++)
		if ((int)strlen(idx->v[i].name) > w)
			w = (int)strlen(idx->v[i].name);
	printf("%-*s  %-6s  %-6s  %-32s  %-20s  %-10s  %s\n", w, "NAME", "KIND",
	    "ROLE", "SERIAL", "EXPIRES", "STATUS", "SHA256");
	for (i = 0; i < idx->n; i++) {
		e = &idx->v[i];
		tsr_hex_encode(e->serial, CA_SERIAL_LEN, serial);
		ca_fp_format(e->fp, fp);
		fmt_time(e->not_after, na, sizeof(na));
		printf("%-*s  %-6s  %-6s  %-32s  %-20s  %-10s  %s\n", w,
		    e->name, ca_kind_str(e->kind), ca_role_str(e->role), serial,
		    na, status_str(e, t), fp);
	}
}

/* Read-only: the index is replaced atomically, so no lock is needed. */
int
cmd_list(struct ca_opts *o, int argc, char **argv)
{
	struct ca_index idx;
	struct ca_dir d;
	int r = -1;

	(void)argv;
	if (argc != 0)
		ca_usage("list", "list takes no arguments");
	ca_index_init(&idx);
	ca_dir_init(&d);
	if (ca_dir_open(&d, o->dir) == -1 || ca_index_load(&d, &idx) == -1)
		goto out;
	if (o->json)
		list_json(&idx, now());
	else
		list_text(&idx, now());
	r = 0;
out:
	ca_end(&d, &idx, NULL);
	return r;
}

/* Bump the CRL number, commit the index, write crl.pem. */
static int
write_crl(struct ca_dir *d, struct ca_index *idx, const struct ca_keys *ca,
    int days)
{
	char *crl = NULL;
	size_t len;
	int r = -1;

	idx->crlnumber++;
	if (ca_make_crl(ca, idx, now(), days, &crl, &len) == -1 ||
	    ca_index_store(d, idx) == -1)
		goto out;
	if (ca_file_replace(d->fd, "crl.pem", crl, len, CA_MODE_PUB) == -1) {
		log_warnx("the index is updated but crl.pem is not: run "
			  "tessera-ca crl");
		goto out;
	}
	r = 0;
out:
	free(crl);
	return r;
}

int
cmd_revoke(struct ca_opts *o, int argc, char **argv)
{
	struct ca_index idx;
	struct ca_keys ca;
	struct ca_entry *e;
	struct ca_dir d;
	int r = -1;

	if (argc != 1)
		ca_usage("revoke", "revoke needs a name");
	memset(&ca, 0, sizeof(ca));
	ca_index_init(&idx);
	ca_dir_init(&d);
	if (check_name(argv[0]) == -1 || ca_begin(o, &d, &idx, &ca) == -1)
		goto out;
	if ((e = ca_index_current(&idx, argv[0])) == NULL) {
		log_warnx("%s: no such certificate", argv[0]);
		goto out;
	}
	if (e->status == CA_ST_REVOKED) {
		log_warnx("%s: revoked already", argv[0]);
		goto out;
	}
	e->status = CA_ST_REVOKED;
	e->revoked_at = now();
	if (write_crl(&d, &idx, &ca, CA_DAYS_CRL) == -1)
		goto out;
	printf("revoked %s; CRL %s/crl.pem updated\n", argv[0], d.path);
	r = 0;
out:
	ca_end(&d, &idx, &ca);
	return r;
}

int
cmd_crl(struct ca_opts *o, int argc, char **argv)
{
	struct ca_index idx;
	struct ca_keys ca;
	struct ca_dir d;
	int r = -1;

	(void)argv;
	if (argc != 0)
		ca_usage("crl", "crl takes no arguments");
	memset(&ca, 0, sizeof(ca));
	ca_index_init(&idx);
	ca_dir_init(&d);
	if (ca_begin(o, &d, &idx, &ca) == -1 ||
	    write_crl(&d, &idx, &ca, o->days ? o->days : CA_DAYS_CRL) == -1)
		goto out;
	printf("%s/crl.pem\n", d.path);
	r = 0;
out:
	ca_end(&d, &idx, &ca);
	return r;
}

/* The certificate being renewed, if renew may go ahead. */
static struct ca_entry *
renew_check(const struct ca_opts *o, struct ca_index *idx, const char *name)
{
	struct ca_entry *e;
	int64_t left;

	if ((e = ca_index_current(idx, name)) == NULL) {
		log_warnx("%s: no such certificate", name);
		return NULL;
	}
	if (e->status == CA_ST_REVOKED) {
		log_warnx("%s: revoked; issue a new name instead", name);
		return NULL;
	}
	left = e->not_after - now();
	if (left >= CA_RENEW_DAYS * CA_DAY && !o->force) {
		log_warnx("%s: %lld days left; renew with --force", name,
		    (long long)(left / CA_DAY));
		return NULL;
	}
	return e;
}

/* Keep the old certificate as archive/SERIAL.crt; drop its old bundle. */
static int
archive_old(struct ca_dir *d, const struct ca_entry *old, int new_p12)
{
	char serial[2 * CA_SERIAL_LEN + 1], path[NAME_MAX + 1], *buf;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s.crt", old->name);
	if (ca_file_read(d->issued, path, 1 << 20, &buf, &len) == -1)
		return -1;
	tsr_hex_encode(old->serial, CA_SERIAL_LEN, serial);
	snprintf(path, sizeof(path), "%s.crt", serial);
	r = ca_file_replace(d->archive, path, buf, len, CA_MODE_PUB);
	free(buf);
	if (r == -1 || new_p12)
		return r;
	snprintf(path, sizeof(path), "%s.p12", old->name);
	if (unlinkat(d->issued, path, 0) == -1 && errno != ENOENT) {
		log_warn("unlink issued/%s", path);
		return -1;
	}
	return 0;
}

static int
renew_entry(struct ca_entry *new, const struct ca_entry *old)
{
	memset(new, 0, sizeof(*new));
	strcpy(new->name, old->name);
	new->kind = old->kind;
	new->role = old->role;
	new->status = CA_ST_VALID;
	new->revoked_at = -1;
	return copy_sans(new, old->sans, old->nsans);
}

int
cmd_renew(struct ca_opts *o, int argc, char **argv)
{
	struct ca_issue iss;
	struct ca_index idx;
	struct ca_entry *old;
	struct ca_keys ca;
	struct ca_dir d;
	char pass[CA_PASS_MAX] = "";
	size_t oldi;
	int r = -1;

	if (argc != 1)
		ca_usage("renew", "renew needs a name");
	memset(&iss, 0, sizeof(iss));
	memset(&ca, 0, sizeof(ca));
	ca_index_init(&idx);
	ca_dir_init(&d);
	if (check_name(argv[0]) == -1 || get_pass(o, pass) == -1 ||
	    ca_begin(o, &d, &idx, &ca) == -1 ||
	    (old = renew_check(o, &idx, argv[0])) == NULL)
		goto out;
	oldi = (size_t)(old - idx.v); /* ca_index_add may move it */
	if (renew_entry(&iss.e, old) == -1 ||
	    leaf_times(o, &ca, &iss.e) == -1 ||
	    make_issue(&ca, &idx, &iss, pass) == -1 ||
	    stage_files(&d, &iss) == -1 ||
	    archive_old(&d, old, iss.p12 != NULL) == -1)
		goto out;
	if (ca_index_add(&idx, &iss.e) == -1) {
		log_warn("index");
		goto out;
	}
	idx.v[oldi].status = CA_ST_SUPERSEDED;
	if (ca_index_store(&d, &idx) == -1 || publish_files(&d, &iss) == -1)
		goto out;
	print_issued(&d, &iss);
	r = 0;
out:
	explicit_bzero(pass, sizeof(pass));
	ca_issue_free(&iss);
	ca_end(&d, &idx, &ca);
	return r;
}

int
cmd_fingerprint(struct ca_opts *o, int argc, char **argv)
{
	unsigned char fp[CA_FP_LEN];
	char out[CA_FP_STRLEN], *buf;
	size_t len;
	int r;

	(void)o;
	if (argc != 1)
		ca_usage("fingerprint", "fingerprint needs a certificate file");
	if (ca_file_read(AT_FDCWD, argv[0], 1 << 20, &buf, &len) == -1)
		return -1;
	r = ca_cert_fingerprint(buf, len, fp);
	free(buf);
	if (r == -1)
		return -1;
	ca_fp_format(fp, out);
	printf("%s\n", out);
	return 0;
}
