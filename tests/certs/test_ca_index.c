/*
 * Table-driven tests of tessera-ca's index parser and name checks: every
 * accepted file must format back to exactly itself, every rejected one
 * must say which line is wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "../../certs/ca_index.h"
#include "../lib/tap.h"

#define H "tessera-ca-index 1\ncrlnumber 3\n"
#define SER "0123456789abcdef0123456789abcdef"
#define FP \
	"00112233445566778899aabbccddeeff" \
	"00112233445566778899aabbccddeeff"
#define SRV(st, rev, sans) \
	"cert " SER " " st " server web 1000 2000 " rev " - " FP " " sans "\n"
#define CLI(ser, st, name, role) \
	"cert " ser " " st " client " name " 1000 2000 - " role " " FP " -\n"
#define SER2 "7fffffffffffffffffffffffffffffff"
#define SER3 "00000000000000000000000000000001"
#define NUL_IN "tessera-ca-index 1\ncrlnumber 3\0\n"

struct pcase {
	const char *what;
	const char *in;
	const char *err; /* NULL: must parse */
};

static const struct pcase pcases[] = {
	{ "header only", H, NULL },
	{ "a server", H SRV("valid", "-", "dns:web.local,ip:10.0.0.1"), NULL },
	{ "a revoked server", H SRV("revoked", "1500", "dns:a"), NULL },
	{ "IPv6 SAN", H SRV("valid", "-", "ip:::1,ip:fe80::1"), NULL },
	{ "wildcard SAN", H SRV("valid", "-", "dns:*.lab.example"), NULL },
	{ "clients",
	    H CLI(SER, "valid", "alice", "viewer")
		CLI(SER2, "valid", "bob", "admin"),
	    NULL },
	{ "superseded and current of one name",
	    H CLI(SER, "superseded", "alice", "viewer")
		CLI(SER2, "valid", "alice", "viewer"),
	    NULL },
	{ "lowest serial", H CLI(SER3, "valid", "a", "viewer"), NULL },

	{ "empty file", "", "line 0: empty file" },
	{ "bad magic", "tessera-ca-index 2\ncrlnumber 0\n", "line 1:" },
	{ "no crlnumber", "tessera-ca-index 1\n", "no crlnumber" },
	{ "truncated", H "cert " SER " valid", "line 3: truncated" },
	{ "no final newline", "tessera-ca-index 1\ncrlnumber 3", "truncated" },
	{ "CRLF", "tessera-ca-index 1\r\ncrlnumber 3\n", "bad character" },
	{ "tab", "tessera-ca-index 1\ncrlnumber\t3\n", "bad character" },
	{ "non-ASCII", H CLI(SER, "valid", "\xc3\xa9", "viewer"),
	    "bad character" },
	{ "empty line", H "\n", "line 3: empty field" },
	{ "double space", "tessera-ca-index 1\ncrlnumber  3\n", "empty field" },
	{ "trailing space", "tessera-ca-index 1\ncrlnumber 3 \n", "fields" },
	{ "leading zero", "tessera-ca-index 1\ncrlnumber 03\n", "crlnumber" },
	{ "negative", "tessera-ca-index 1\ncrlnumber -3\n", "crlnumber" },
	{ "huge crlnumber",
	    "tessera-ca-index 1\ncrlnumber 9223372036854775808"
	    "\n",
	    "crlnumber" },
	{ "unknown record", H "key x\n", "fields" },
	{ "short serial", H CLI("0123", "valid", "a", "viewer"), "bad serial" },
	{ "uppercase serial",
	    H CLI("0123456789ABCDEF0123456789ABCDEF", "valid", "a", "viewer"),
	    "bad serial" },
	{ "negative serial",
	    H CLI("8123456789abcdef0123456789abcdef", "valid", "a", "viewer"),
	    "bad serial" },
	{ "zero serial",
	    H CLI("00000000000000000000000000000000", "valid", "a", "viewer"),
	    "bad serial" },
	{ "bad status", H CLI(SER, "expired", "a", "viewer"), "bad status" },
	{ "bad name ..", H CLI(SER, "valid", "..", "viewer"), "bad name" },
	{ "bad name slash", H CLI(SER, "valid", "a/b", "viewer"), "bad name" },
	{ "name too long",
	    H CLI(SER, "valid",
		"a1234567890123456789012345678"
		"901234567890123456789012345678901234",
		"viewer"),
	    "bad name" },
	{ "client without role", H CLI(SER, "valid", "a", "-"), "role" },
	{ "bad role", H CLI(SER, "valid", "a", "root"), "bad role" },
	{ "server without SAN", H SRV("valid", "-", "-"), "SANs" },
	{ "revoked without time", H SRV("revoked", "-", "dns:a"),
	    "revocation" },
	{ "valid with time", H SRV("valid", "5", "dns:a"), "revocation" },
	{ "bad DNS", H SRV("valid", "-", "dns:-a"), "DNS" },
	{ "empty SAN", H SRV("valid", "-", "dns:a,"), "SAN" },
	{ "bad IP", H SRV("valid", "-", "ip:1.2.3"), "IP" },
	{ "non-canonical IP", H SRV("valid", "-", "ip:0:0::1"), "IP" },
	{ "unknown SAN", H SRV("valid", "-", "uri:x"), "SAN type" },
	{ "time order",
	    H "cert " SER " valid client a 2000 1000 - viewer " FP " -\n",
	    "not_before" },
	{ "time too big",
	    H "cert " SER " valid client a 1 253402300800 - "
	      "viewer " FP " -\n",
	    "validity" },
	{ "short fingerprint",
	    H "cert " SER " valid client a 1 2 - viewer "
	      "00 -\n",
	    "fingerprint" },
	{ "duplicate serial",
	    H CLI(SER, "valid", "a", "viewer") CLI(SER, "valid", "b", "viewer"),
	    "line 4: duplicate serial" },
	{ "two current",
	    H CLI(SER, "valid", "a", "viewer")
		CLI(SER2, "revoked", "a", "viewer"),
	    "line 4:" },
	{ "too many fields",
	    H "cert " SER " valid client a 1 2 - viewer " FP " - x\n",
	    "too many fields" },
};

static void
test_parse(const struct pcase *c, size_t len)
{
	struct ca_index idx;
	char err[300] = "", *out = NULL;
	size_t outlen = 0;
	int r;

	r = ca_index_parse(&idx, c->in, len, err, sizeof(err));
	if (c->err == NULL) {
		if (!ok(r == 0, "parses: %s", c->what)) {
			diag("  %s", err);
			return;
		}
		ok(ca_index_format(&idx, &out, &outlen) == 0 && outlen == len &&
			memcmp(out, c->in, len) == 0,
		    "formats back to itself: %s", c->what);
		free(out);
		ca_index_free(&idx);
	} else {
		if (!ok(r == -1 && strstr(err, c->err) != NULL && idx.n == 0 &&
			    idx.v == NULL,
			"rejects: %s", c->what))
			diag("  r=%d err=\"%s\", want \"%s\"", r, err, c->err);
	}
}

static void
test_index(void)
{
	static const struct pcase nul = { "NUL byte", NUL_IN, "bad character" };
	size_t i;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++)
		test_parse(&pcases[i], strlen(pcases[i].in));
	test_parse(&nul, sizeof(NUL_IN) - 1);
}

/* Built by hand, formatted, parsed: the same records. */
static void
test_roundtrip(void)
{
	struct ca_index idx, back;
	struct ca_entry e;
	char err[300], *out;
	size_t len;

	ca_index_init(&idx);
	memset(&e, 0, sizeof(e));
	e.serial[15] = 7;
	e.kind = CA_KIND_SERVER;
	strcpy(e.name, "vmd.host-1");
	e.not_before = 0;
	e.not_after = 253402300799;
	e.revoked_at = -1;
	e.sans = calloc(2, sizeof(*e.sans));
	e.nsans = 2;
	e.sans[0].type = CA_SAN_DNS;
	strcpy(e.sans[0].value, "vmd.example");
	e.sans[1].type = CA_SAN_IP;
	strcpy(e.sans[1].value, "192.0.2.1");
	ok(ca_index_add(&idx, &e) == 0 && e.sans == NULL, "add takes the SANs");
	idx.crlnumber = 42;
	ok(ca_index_format(&idx, &out, &len) == 0, "format");
	ok(ca_index_parse(&back, out, len, err, sizeof(err)) == 0 &&
		back.n == 1 && back.crlnumber == 42 &&
		strcmp(back.v[0].name, "vmd.host-1") == 0 &&
		back.v[0].nsans == 2 && back.v[0].not_after == 253402300799 &&
		back.v[0].serial[15] == 7,
	    "parse(format(x)) == x");
	ok(ca_index_has_name(&back, "vmd.host-1") &&
		!ca_index_has_name(&back, "vmd") &&
		ca_index_current(&back, "vmd.host-1") == &back.v[0],
	    "lookups by name");
	free(out);
	ca_index_free(&back);
	ca_index_free(&idx);
}

struct scase {
	const char *s;
	int ok;
};

static void
test_names(void)
{
	static const struct scase names[] = {
		{ "a", 1 },
		{ "web-1.lab_x", 1 },
		{ "0", 1 },
		{ "", 0 },
		{ "../x", 0 },
		{ ".x", 0 },
		{ "-x", 0 },
		{ "_x", 0 },
		{ "a/b", 0 },
		{ "a b", 0 },
		{ "caf\xc3\xa9", 0 },
		{ "a\n", 0 },
		{ "a123456789012345678901234567890123456789012345678901234"
		  "567890123",
		    1 },
		{ "a123456789012345678901234567890123456789012345678901234"
		  "5678901234",
		    0 },
	};
	static const struct scase dns[] = {
		{ "localhost", 1 },
		{ "a.b-c.example", 1 },
		{ "*.lab", 1 },
		{ "", 0 },
		{ "a..b", 0 },
		{ "a.", 0 },
		{ ".a", 0 },
		{ "-a", 0 },
		{ "a-", 0 },
		{ "a_b", 0 },
		{ "*", 0 },
		{ "a.*.b", 0 },
		{ "a,b", 0 },
		{ "a:b", 0 },
	};
	static const struct {
		const char *in, *out;
	} ips[] = {
		{ "127.0.0.1", "127.0.0.1" },
		{ "::1", "::1" },
		{ "0:0::1", "::1" },
		{ "FE80::1", "fe80::1" },
		{ "1.2.3", NULL },
		{ "256.1.1.1", NULL },
		{ "", NULL },
		{ "localhost", NULL },
		{ "1.2.3.4/8", NULL },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(ca_name_valid(names[i].s) == names[i].ok, "name %zu %s", i,
		    names[i].ok ? "ok" : "refused");
	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		ok(ca_dns_valid(dns[i].s) == dns[i].ok, "DNS \"%s\" %s",
		    dns[i].s, dns[i].ok ? "ok" : "refused");
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		int r = ca_ip_canon(ips[i].in, buf, sizeof(buf));

		if (ips[i].out != NULL)
			ok(r == 0 && strcmp(buf, ips[i].out) == 0,
			    "IP \"%s\" is %s", ips[i].in, ips[i].out);
		else
			ok(r == -1, "IP \"%s\" refused", ips[i].in);
	}
}

int
main(void)
{
	test_index();
	test_roundtrip();
	test_names();
	return done_testing();
}
