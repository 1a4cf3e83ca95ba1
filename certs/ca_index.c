/*
 * The index: one line per certificate the CA ever issued.  The file is the
 * CA's commit point (written whole to a temporary file, fsync()ed and
 * renamed), and a file is hostile input, so the parser is strict: exactly
 * one canonical spelling of every file is accepted, and
 * ca_index_format(ca_index_parse(x)) == x.  Grammar (fields separated by
 * exactly one space, every line ends with "\n", printable ASCII only):
 *
 *   tessera-ca-index 1
 *   crlnumber N
 *   cert SERIAL STATUS KIND NAME NOT_BEFORE NOT_AFTER REVOKED ROLE FP SANS
 *
 * SERIAL   32 lowercase hex digits, first one 0-7, not all zero
 * STATUS   valid | revoked | superseded
 * KIND     server | client
 * NAME     [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 characters
 * NOT_*    seconds since the epoch (decimal, no leading zeros)
 * REVOKED  seconds since the epoch when STATUS is revoked, else "-"
 * ROLE     viewer | admin for a client, "-" for a server
 * FP       64 lowercase hex digits: SHA-256 of the certificate (DER)
 * SANS     dns:HOST and ip:ADDR joined by ",", at least one for a
 *          server; "-" for a client
 *
 * Serials are unique; a name has at most one record that is not
 * superseded.  No I/O and no OpenSSL here, so the fuzzer links just this.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_index.h"
#include "hex.h"

#define CA_INDEX_MAGIC "tessera-ca-index 1"
#define CA_NFIELDS 11

struct ca_parser {
	const char *buf;
	size_t len, pos;
	size_t lineno;
	char *err;
	size_t errlen;
};

static const char *kinds[] = { "server", "client" };
static const char *statuses[] = { "valid", "revoked", "superseded" };
static const char *roles[] = { "-", "viewer", "admin" };

bool
ca_name_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (i >= CA_NAME_MAX)
			return false;
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return i > 0;
}

/* A host name: labels of [A-Za-z0-9-], not starting or ending with '-';
 * the first label may be "*". */
bool
ca_dns_valid(const char *s)
{
	size_t i, label = 0, len;

	len = strlen(s);
	if (len == 0 || len > CA_DNS_MAX)
		return false;
	if (s[0] == '*') {
		if (s[1] != '.' || s[2] == '\0')
			return false;
		s += 2;
	}
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[i - 1] != '-';
}

/* Parse an IPv4 or IPv6 address and write its canonical form. */
int
ca_ip_canon(const char *s, char *out, size_t outlen)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, outlen) ? 0 : -1;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, outlen) ? 0 : -1;
	return -1;
}

const char *
ca_kind_str(enum ca_kind k)
{
	return kinds[k];
}

const char *
ca_status_str(enum ca_status s)
{
	return statuses[s];
}

const char *
ca_role_str(enum ca_role r)
{
	return roles[r];
}

int
ca_role_parse(const char *s, enum ca_role *r)
{
	if (strcmp(s, "viewer") == 0)
		*r = CA_ROLE_VIEWER;
	else if (strcmp(s, "admin") == 0)
		*r = CA_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

void
ca_index_init(struct ca_index *idx)
{
	memset(idx, 0, sizeof(*idx));
}

void
ca_entry_finish(struct ca_entry *e)
{
	free(e->sans);
	e->sans = NULL;
	e->nsans = 0;
}

void
ca_index_free(struct ca_index *idx)
{
	size_t i;

	if (idx == NULL)
		return;
	for (i = 0; i < idx->n; i++)
		ca_entry_finish(&idx->v[i]);
	free(idx->v);
	ca_index_init(idx);
}

struct ca_entry *
ca_index_current(const struct ca_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (idx->v[i].status != CA_ST_SUPERSEDED &&
		    strcmp(idx->v[i].name, name) == 0)
			return &idx->v[i];
	return NULL;
}

bool
ca_index_has_name(const struct ca_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (strcmp(idx->v[i].name, name) == 0)
			return true;
	return false;
}

bool
ca_index_has_serial(const struct ca_index *idx, const unsigned char *serial)
{
	size_t i;

	for (i = 0; i < idx->n; i++)
		if (memcmp(idx->v[i].serial, serial, CA_SERIAL_LEN) == 0)
			return true;
	return false;
}

/* Append e; the index takes its SAN array (e->sans is NULL after). */
int
ca_index_add(struct ca_index *idx, struct ca_entry *e)
{
	struct ca_entry *v;
	size_t cap;

	if (idx->n == idx->cap) {
		cap = idx->cap ? idx->cap * 2 : 16;
		v = reallocarray(idx->v, cap, sizeof(*v));
		if (v == NULL)
			return -1;
		idx->v = v;
		idx->cap = cap;
	}
	idx->v[idx->n++] = *e;
	e->sans = NULL;
	e->nsans = 0;
	return 0;
}

/* --- parser --- */

__attribute__((format(printf, 2, 3))) static int
perr(struct ca_parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "line %zu: %s", p->lineno, msg);
	return -1;
}

/*
 * Next line into line (NUL-terminated, newline dropped).  Returns 1 with a
 * line, 0 at end of file, -1 on error.
 */
static int
next_line(struct ca_parser *p, char *line, size_t linesz)
{
	const char *nl;
	size_t n, i;

	if (p->pos == p->len)
		return 0;
	p->lineno++;
	nl = memchr(p->buf + p->pos, '\n', p->len - p->pos);
	if (nl == NULL)
		return perr(p, "truncated (no newline at end)");
	n = (size_t)(nl - (p->buf + p->pos));
	if (n >= linesz)
		return perr(p, "line too long");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p->buf[p->pos + i];

		if (c < 0x20 || c > 0x7e)
			return perr(p, "bad character 0x%02x", c);
	}
	memcpy(line, p->buf + p->pos, n);
	line[n] = '\0';
	p->pos += n + 1;
	return 1;
}

/* Split line in place at single spaces into exactly n fields. */
static int
split(struct ca_parser *p, char *line, char **f, size_t n)
{
	size_t i = 0;
	char *s = line, *sp;

	for (;;) {
		if (i == n)
			return perr(p, "too many fields");
		f[i++] = s;
		sp = strchr(s, ' ');
		if (sp != NULL)
			*sp = '\0';
		if (*s == '\0')
			return perr(p, "empty field %zu", i);
		if (sp == NULL)
			break;
		s = sp + 1;
	}
	if (i != n)
		return perr(p, "%zu fields, want %zu", i, n);
	return 0;
}

/* Decimal, no sign, no leading zeros, at most max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
parse_time(const char *s, int64_t *out)
{
	uint64_t v;

	if (parse_u64(s, (uint64_t)CA_TIME_MAX, &v) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/*
 * Exactly 2n hex digits, in lower case: the index is written that way, and
 * tsr_hex_decode() alone would take upper case too.
 */
static int
parse_hex(const char *s, unsigned char *out, size_t n)
{
	if (s[strspn(s, "0123456789abcdef")] != '\0')
		return -1;
	return tsr_hex_decode(s, out, n);
}

static int
parse_enum(const char *s, const char **names, size_t n, int *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -1;
}

static int
parse_san(struct ca_parser *p, char *s, struct ca_san *san)
{
	char canon[INET6_ADDRSTRLEN];

	if (strncmp(s, "dns:", 4) == 0) {
		if (!ca_dns_valid(s + 4))
			return perr(p, "bad DNS name in SANs");
		san->type = CA_SAN_DNS;
		strcpy(san->value, s + 4);
	} else if (strncmp(s, "ip:", 3) == 0) {
		if (ca_ip_canon(s + 3, canon, sizeof(canon)) == -1 ||
		    strcmp(canon, s + 3) != 0)
			return perr(p, "bad IP address in SANs");
		san->type = CA_SAN_IP;
		strcpy(san->value, canon);
	} else
		return perr(p, "bad SAN type");
	return 0;
}

static int
parse_sans(struct ca_parser *p, char *s, struct ca_entry *e)
{
	char *item, *comma;

	if (strcmp(s, "-") == 0)
		return 0;
	e->sans = calloc(CA_SAN_MAX, sizeof(*e->sans));
	if (e->sans == NULL)
		return perr(p, "out of memory");
	for (item = s; item != NULL; item = comma) {
		comma = strchr(item, ',');
		if (comma != NULL)
			*comma++ = '\0';
		if (e->nsans == CA_SAN_MAX)
			return perr(p, "more than %d SANs", CA_SAN_MAX);
		if (parse_san(p, item, &e->sans[e->nsans]) == -1)
			return -1;
		e->nsans++;
	}
	return 0;
}

/* Checks that need several fields. */
static int
check_entry(struct ca_parser *p, const struct ca_entry *e)
{
	if (e->not_before >= e->not_after)
		return perr(p, "not_before is not before not_after");
	if ((e->status == CA_ST_REVOKED) != (e->revoked_at != -1))
		return perr(p, "revocation time does not match status");
	if (e->kind == CA_KIND_SERVER &&
	    (e->role != CA_ROLE_NONE || e->nsans == 0))
		return perr(p, "a server has SANs and no role");
	if (e->kind == CA_KIND_CLIENT &&
	    (e->role == CA_ROLE_NONE || e->nsans != 0))
		return perr(p, "a client has a role and no SANs");
	return 0;
}

static int
parse_serial(struct ca_parser *p, const char *s, unsigned char *serial)
{
	static const unsigned char zero[CA_SERIAL_LEN];

	if (parse_hex(s, serial, CA_SERIAL_LEN) == -1 || (serial[0] & 0x80) ||
	    memcmp(serial, zero, CA_SERIAL_LEN) == 0)
		return perr(p, "bad serial");
	return 0;
}

static int
parse_fields(struct ca_parser *p, char **f, struct ca_entry *e)
{
	int v;

	if (strcmp(f[0], "cert") != 0)
		return perr(p, "unknown record \"%.16s\"", f[0]);
	if (parse_serial(p, f[1], e->serial) == -1)
		return -1;
	if (parse_enum(f[2], statuses, 3, &v) == -1)
		return perr(p, "bad status");
	e->status = (enum ca_status)v;
	if (parse_enum(f[3], kinds, 2, &v) == -1)
		return perr(p, "bad kind");
	e->kind = (enum ca_kind)v;
	if (!ca_name_valid(f[4]))
		return perr(p, "bad name");
	strcpy(e->name, f[4]);
	if (parse_time(f[5], &e->not_before) == -1 ||
	    parse_time(f[6], &e->not_after) == -1)
		return perr(p, "bad validity time");
	if (strcmp(f[7], "-") == 0)
		e->revoked_at = -1;
	else if (parse_time(f[7], &e->revoked_at) == -1)
		return perr(p, "bad revocation time");
	if (parse_enum(f[8], roles, 3, &v) == -1)
		return perr(p, "bad role");
	e->role = (enum ca_role)v;
	if (parse_hex(f[9], e->fp, CA_FP_LEN) == -1)
		return perr(p, "bad fingerprint");
	if (parse_sans(p, f[10], e) == -1)
		return -1;
	return check_entry(p, e);
}

static int
parse_cert(struct ca_parser *p, struct ca_index *idx, char *line)
{
	struct ca_entry e;
	char *f[CA_NFIELDS];

	memset(&e, 0, sizeof(e));
	if (split(p, line, f, CA_NFIELDS) == -1 || parse_fields(p, f, &e) == -1)
		goto fail;
	if (ca_index_has_serial(idx, e.serial)) {
		perr(p, "duplicate serial");
		goto fail;
	}
	if (e.status != CA_ST_SUPERSEDED && ca_index_current(idx, e.name)) {
		perr(p, "two current certificates named %s", e.name);
		goto fail;
	}
	if (ca_index_add(idx, &e) == -1) {
		perr(p, "out of memory");
		goto fail;
	}
	return 0;
fail:
	ca_entry_finish(&e);
	return -1;
}

static int
parse_header(struct ca_parser *p, struct ca_index *idx, char *line,
    size_t linesz)
{
	char *f[2];

	if (next_line(p, line, linesz) != 1)
		return p->lineno ? -1 : perr(p, "empty file");
	if (strcmp(line, CA_INDEX_MAGIC) != 0)
		return perr(p, "not a tessera-ca index (version 1)");
	if (next_line(p, line, linesz) != 1)
		return p->pos == p->len ? perr(p, "no crlnumber line") : -1;
	if (split(p, line, f, 2) == -1)
		return -1;
	if (strcmp(f[0], "crlnumber") != 0 ||
	    parse_u64(f[1], INT64_MAX, &idx->crlnumber) == -1)
		return perr(p, "bad crlnumber line");
	return 0;
}

/*
 * Parse the index in buf.  On error returns -1 with a message ("line N:
 * what") in err and idx empty.
 */
int
ca_index_parse(struct ca_index *idx, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct ca_parser p;
	char *line;
	int r;

	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.len = len;
	p.err = err;
	p.errlen = errlen;
	ca_index_init(idx);
	if (len > CA_INDEX_MAX) {
		perr(&p, "file too large");
		return -1;
	}
	if ((line = malloc(CA_LINE_MAX)) == NULL) {
		perr(&p, "out of memory");
		return -1;
	}
	if (parse_header(&p, idx, line, CA_LINE_MAX) == -1)
		goto fail;
	while ((r = next_line(&p, line, CA_LINE_MAX)) == 1)
		if (parse_cert(&p, idx, line) == -1)
			goto fail;
	if (r == -1)
		goto fail;
	free(line);
	return 0;
fail:
	free(line);
	ca_index_free(idx);
	return -1;
}

/* --- writer --- */

struct ca_buf {
	char *p;
	size_t len, cap;
	int err;
};

__attribute__((format(printf, 2, 3))) static void
bprintf(struct ca_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *np;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap * 2 + (size_t)n + 1;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

static void
format_entry(struct ca_buf *b, const struct ca_entry *e)
{
	char serial[2 * CA_SERIAL_LEN + 1], fp[2 * CA_FP_LEN + 1];
	char revoked[24];
	size_t i;

	tsr_hex_encode(e->serial, CA_SERIAL_LEN, serial);
	tsr_hex_encode(e->fp, CA_FP_LEN, fp);
	if (e->revoked_at == -1)
		strcpy(revoked, "-");
	else
		snprintf(revoked, sizeof(revoked), "%lld",
		    (long long)e->revoked_at);
	bprintf(b, "cert %s %s %s %s %lld %lld %s %s %s ", serial,
	    ca_status_str(e->status), ca_kind_str(e->kind), e->name,
	    (long long)e->not_before, (long long)e->not_after, revoked,
	    ca_role_str(e->role), fp);
	if (e->nsans == 0)
		bprintf(b, "-");
	for (i = 0; i < e->nsans; i++)
		bprintf(b, "%s%s:%s", i ? "," : "",
		    e->sans[i].type == CA_SAN_DNS ? "dns" : "ip",
		    e->sans[i].value);
	bprintf(b, "\n");
}

/* The file for idx, in a malloc()ed buffer (not NUL-terminated). */
int
ca_index_format(const struct ca_index *idx, char **out, size_t *outlen)
{
	struct ca_buf b;
	size_t i;

	memset(&b, 0, sizeof(b));
	b.cap = 4096;
	if ((b.p = malloc(b.cap)) == NULL)
		return -1;
	bprintf(&b, "%s\ncrlnumber %llu\n", CA_INDEX_MAGIC,
	    (unsigned long long)idx->crlnumber);
	for (i = 0; i < idx->n; i++)
		format_entry(&b, &idx->v[i]);
	if (b.err) {
		free(b.p);
		errno = ENOMEM;
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}
