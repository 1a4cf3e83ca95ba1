/*
 * Unit tests of tessera-render's pure parts: the VeNCrypt state machine,
 * the viewer message filter, the password file, damage lists, RDP's
 * Display Control checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "frame.h"
#include "log.h"
#include "passwd.h"
#include "rdp_disp_check.h"
#include "rs.h"
#include "tap.h"
#include "vencrypt.h"

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Runs a client script through the machine, one byte at a time. */
static enum rs_vc_status
feed(struct rs_vc *vc, const uint8_t *in, size_t len, uint8_t *out,
    size_t *outtotal)
{
	enum rs_vc_status st = RS_VC_MORE;
	size_t i, used, outlen;

	*outtotal = 0;
	for (i = 0; i < len; i++) {
		st =
		    rs_vc_input(vc, in + i, 1, &used, out + *outtotal, &outlen);
		*outtotal += outlen;
		if (st != RS_VC_MORE)
			return st;
	}
	return st;
}

static void
test_vencrypt(void)
{
	struct rs_vc vc;
	uint8_t out[256], in[64];
	size_t n, outlen;
	enum rs_vc_status st;

	n = rs_vc_start(&vc, out, sizeof(out));
	ok(n == 12 && memcmp(out, "RFB 003.008\n", 12) == 0,
	    "server version 3.8");
	st = feed(&vc, (const uint8_t *)"RFB 003.008\n", 12, out, &outlen);
	ok(st == RS_VC_MORE && outlen == 2 && out[0] == 1 && out[1] == 19,
	    "one security type offered: VeNCrypt (19)");
	st = feed(&vc, (const uint8_t *)"\x13", 1, out, &outlen);
	ok(outlen == 2 && out[0] == 0 && out[1] == 2, "VeNCrypt 0.2");
	st = feed(&vc, (const uint8_t *)"\x00\x02", 2, out, &outlen);
	ok(outlen == 10 && out[0] == 0 && out[1] == 2 &&
		memcmp(out + 2, "\0\0\x01\x04\0\0\x01\x06", 8) == 0,
	    "subtypes X509None (260) and X509Plain (262) only");
	put32(in, 262);
	st = feed(&vc, in, 4, out, &outlen);
	ok(st == RS_VC_TLS && outlen == 1 && out[0] == 1,
	    "X509Plain accepted: TLS");
	ok(rs_vc_tls_up(&vc) == RS_VC_MORE, "after TLS, credentials");
	put32(in, 3);
	put32(in + 4, 4);
	memcpy(in + 8, "bobpass", 7);
	st = feed(&vc, in, 15, out, &outlen);
	ok(st == RS_VC_CREDS && strcmp(vc.user, "bob") == 0 &&
		strcmp(vc.pass, "pass") == 0,
	    "credentials parsed");

	/* refusals */
	rs_vc_start(&vc, out, sizeof(out));
	st = feed(&vc, (const uint8_t *)"RFB 003.003\n", 12, out, &outlen);
	ok(st == RS_VC_FAIL, "RFB 3.3 refused");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n", 12, out, &outlen);
	ok(feed(&vc, (const uint8_t *)"\x01", 1, out, &outlen) == RS_VC_FAIL,
	    "security type None refused");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n", 12, out, &outlen);
	ok(feed(&vc, (const uint8_t *)"\x02", 1, out, &outlen) == RS_VC_FAIL,
	    "security type VncAuth refused");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n\x13\x00\x02", 15, out,
	    &outlen);
	put32(in, 257);
	st = feed(&vc, in, 4, out, &outlen);
	ok(st == RS_VC_FAIL && outlen == 1 && out[0] == 0,
	    "TLSNone (anonymous TLS) refused");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n\x13\x00\x02", 15, out,
	    &outlen);
	put32(in, 256);
	ok(feed(&vc, in, 4, out, &outlen) == RS_VC_FAIL,
	    "Plain (no TLS) refused");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n\x13\x00\x02", 15, out,
	    &outlen);
	put32(in, 260);
	ok(feed(&vc, in, 4, out, &outlen) == RS_VC_TLS &&
		rs_vc_tls_up(&vc) == RS_VC_CERT,
	    "X509None: check the certificate");
	rs_vc_start(&vc, out, sizeof(out));
	feed(&vc, (const uint8_t *)"RFB 003.008\n\x13\x00\x02", 15, out,
	    &outlen);
	put32(in, 262);
	feed(&vc, in, 4, out, &outlen);
	rs_vc_tls_up(&vc);
	put32(in, 1000);
	put32(in + 4, 1);
	ok(feed(&vc, in, 8, out, &outlen) == RS_VC_FAIL,
	    "over-long user refused");
	n = rs_vc_result(0, "no", out, sizeof(out));
	ok(n == 10 && memcmp(out, "\0\0\0\x01\0\0\0\x02no", 10) == 0,
	    "SecurityResult failed with a reason");
}

static size_t
filter_all(struct rs_filter *f, const uint8_t *in, size_t len, uint8_t *out,
    int *rc)
{
	size_t used, outlen, total = 0, off = 0;

	*rc = 0;
	while (off < len) {
		if (rs_filter_feed(f, in + off, len - off, &used, out + total,
			RS_FILTER_OUT_MAX * 4, &outlen) == -1) {
			*rc = -1;
			return total;
		}
		off += used;
		total += outlen;
		if (used == 0 && outlen == 0)
			break;
	}
	return total;
}

/* SetDesktopSize and the ExtendedDesktopSize encoding. */
static void
test_filter_desktop_size(void)
{
	static uint8_t in[8 + 16 * 255 + 64];
	uint8_t out[RS_FILTER_OUT_MAX * 8];
	const uint8_t want[24] = {
		251, 0, 0x04, 0x00, 0x03, 0x00, 1, 0, /* 1024x768, 1 screen */
		0, 0, 0, 1, 0, 0, 0, 0,		      /* id 1 at 0,0 */
		0x04, 0x00, 0x03, 0x00, 0, 0, 0, 0,   /* 1024x768, flags 0 */
	};
	struct rs_filter f;
	size_t n, i, used, outlen, total;
	int rc;

	rs_filter_init(&f, 95);
	memset(in, 0, sizeof(in));
	in[0] = 1; /* ClientInit */
	in[1] = 2; /* SetEncodings: raw, ExtendedDesktopSize */
	in[4] = 2;
	put32(in + 5, 0);
	put32(in + 9, (uint32_t)-308);
	n = filter_all(&f, in, 13, out, &rc);
	ok(rc == 0 && n == 13 && memcmp(out + 1, in + 1, 12) == 0,
	    "SetEncodings keeps ExtendedDesktopSize");
	/* two screens, odd values in them: one screen of the whole size */
	memset(in, 0, sizeof(in));
	in[0] = 251;
	in[2] = 0x04;
	in[4] = 0x03;
	in[6] = 2;
	for (i = 8; i < 8 + 32; i++)
		in[i] = (uint8_t)(0xa0 + i);
	n = filter_all(&f, in, 8 + 32, out, &rc);
	ok(rc == 0 && n == 24 && memcmp(out, want, 24) == 0,
	    "SetDesktopSize: two screens become one of the size asked");
	/* byte by byte, with 255 screens */
	in[6] = 255;
	total = 0;
	for (i = 0; i < 8 + 16 * 255; i++) {
		if (rs_filter_feed(&f, in + i, 1, &used, out + total,
			sizeof(out) - total, &outlen) == -1 ||
		    used != 1)
			break;
		total += outlen;
	}
	ok(i == 8 + 16 * 255 && total == 24 && memcmp(out, want, 24) == 0,
	    "... 255 screens fed a byte at a time: one message, at the end");
	/* what follows is a message again: a pointer event passes */
	memcpy(in, "\x05\x01\x00\x0a\x00\x14", 6);
	n = filter_all(&f, in, 6, out, &rc);
	ok(rc == 0 && n == 6 && out[0] == 5, "... and the stream goes on");
	/* no screen at all breaks the protocol */
	memset(in, 0, 8);
	in[0] = 251;
	in[2] = 4;
	filter_all(&f, in, 8, out, &rc);
	ok(rc == -1, "SetDesktopSize with no screen closes the connection");
}

static void
test_filter(void)
{
	struct rs_filter f;
	uint8_t in[256], out[RS_FILTER_OUT_MAX * 8];
	size_t n;
	int rc;

	rs_filter_init(&f, 95);
	in[0] = 0; /* ClientInit, not shared */
	n = filter_all(&f, in, 1, out, &rc);
	ok(rc == 0 && n == 1 && out[0] == 1, "ClientInit is always shared");
	/* SetEncodings: tight, hextile (5), zrle, cursor (-239) */
	memset(in, 0, sizeof(in));
	in[0] = 2;
	in[3] = 4;
	put32(in + 4, 7);
	put32(in + 8, 5);
	put32(in + 12, 16);
	put32(in + 16, (uint32_t)-239);
	n = filter_all(&f, in, 20, out, &rc);
	ok(rc == 0 && n == 4 + 4 * 4 && out[3] == 4, "SetEncodings rewritten");
	ok(memcmp(out + 4, "\0\0\0\x07\0\0\0\x10", 8) == 0,
	    "... Tight and ZRLE kept, Hextile and the cursor dropped");
	ok(memcmp(out + 12, "\xff\xff\xfe\x5f\xff\xff\xfd\x00", 8) == 0,
	    "... quality 95 and 4:4:4 added for Tight");
	/* with a quality of the viewer's own: nothing added */
	in[3] = 2;
	put32(in + 4, 7);
	put32(in + 8, (uint32_t)-26); /* quality level 6 */
	n = filter_all(&f, in, 12, out, &rc);
	ok(rc == 0 && n == 12, "the viewer's own quality is honoured");
	/* cut text is dropped, pointer passes */
	memset(in, 0, sizeof(in));
	in[0] = 6;
	put32(in + 4, 5);
	memcpy(in + 8, "hello", 5);
	in[13] = 5;
	in[14] = 1;
	in[16] = 10;
	in[18] = 20;
	n = filter_all(&f, in, 19, out, &rc);
	ok(rc == 0 && n == 6 && out[0] == 5, "cut text dropped, pointer kept");
	in[0] = 150; /* EnableContinuousUpdates: not served */
	filter_all(&f, in, 10, out, &rc);
	ok(rc == -1, "an unknown message closes the connection");
	rs_filter_init(&f, 95);
	memcpy(in, "\x01\x02\x00\xff\xff", 5); /* ClientInit, SetEncodings */
	filter_all(&f, in, 5, out, &rc);
	ok(rc == -1, "SetEncodings with 65535 entries closes the connection");
	test_filter_desktop_size();
}

static void
test_passwd(void)
{
	char line[512], path[] = "/tmp/test-render-pw.XXXXXX";
	struct rs_pw e, *v = NULL;
	size_t n = 0;
	int fd;

	ok(rs_pw_make("bob", "secret", line, sizeof(line)) == 0,
	    "a password line is made");
	ok(rs_pw_parse_line(line, strlen(line), &e) == 0 &&
		strcmp(e.user, "bob") == 0 && e.N == RS_PW_N,
	    "... and parsed back");
	ok(rs_pw_verify(&e, "secret") == 0, "the right password matches");
	ok(rs_pw_verify(&e, "secreT") == -1, "a wrong one does not");
	ok(rs_pw_parse_line("# x", 3, &e) == 1, "comments are skipped");
	ok(rs_pw_parse_line(
	       "bob:scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==", 54,
	       &e) == -1,
	    "N not a power of two is refused");
	ok(rs_pw_parse_line("b b:x", 5, &e) == -1,
	    "bad user names are refused");
	ok(rs_pw_parse_line(
	       "bob:scrypt$16$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==", 55,
	       &e) == 0,
	    "a valid line parses");
	if ((fd = mkstemp(path)) == -1)
		return;
	close(fd);
	unlink(path);
	ok(rs_pw_set(path, "bob", "one") == 0 &&
		rs_pw_set(path, "carol", "two") == 0 &&
		rs_pw_set(path, "bob", "three") == 0,
	    "rs_pw_set adds and replaces");
	ok(rs_pw_load(path, &v, &n) == 0 && n == 2 &&
		strcmp(v[0].user, "bob") == 0 &&
		rs_pw_verify(&v[0], "three") == 0,
	    "... the file holds the new password, once");
	free(v);
	unlink(path);
}

static void
test_damage(void)
{
	struct rs_damage d = { .n = 0 };
	struct rs_rect r = { 10, 10, 5, 5 }, big = { 0, 0, 100, 100 };
	int i;

	rs_damage_add(&d, &r, RS_DAMAGE_MAX);
	rs_damage_add(&d, &r, RS_DAMAGE_MAX);
	ok(d.n == 1, "a repeated rectangle is kept once");
	rs_damage_add(&d, &big, RS_DAMAGE_MAX);
	ok(d.n == 1 && d.r[0].w == 100, "a covering rectangle replaces it");
	d.n = 0;
	for (i = 0; i < RS_DAMAGE_MAX + 1; i++) {
		struct rs_rect s = { i * 10, 0, 5, 5 };

		rs_damage_add(&d, &s, RS_DAMAGE_MAX);
	}
	ok(d.n == 1 && d.r[0].x == 0 && d.r[0].w == RS_DAMAGE_MAX * 10 + 5,
	    "too many rectangles become their bounding box");
	d.n = 0;
	for (i = 0; i < 8; i++) {
		struct rs_rect s = { i * 10, 0, 5, 5 };

		rs_damage_add(&d, &s, 8);
	}
	ok(d.n == 8, "a list of at most 8 holds 8");
	rs_damage_add(&d, &r, 8);
	ok(d.n == 1 && d.r[0].x == 0 && d.r[0].w == 75 && d.r[0].h == 15,
	    "... and the ninth makes it their bounding box");
	r = (struct rs_rect){ -5, -5, 10, 10 };
	ok(rs_rect_clip(&r, 8, 8) == 0 && r.x == 0 && r.w == 5,
	    "clipping to the screen");
	r = (struct rs_rect){ 10, 10, 10, 10 };
	ok(rs_rect_clip(&r, 8, 8) == -1, "a rectangle off screen is nothing");
}

/* One monitor layout per line: what the client sent, framed or not, and
 * the verdict with the qube size or the reason. */
static const struct disp_case {
	const char *name;
	size_t nmon;
	uint32_t flags;
	int32_t left, top;
	uint32_t w, h, orient;
	int framed;
	enum rdp_disp_verdict want;
	int qw, qh;
	const char *why;
} disp_cases[] = {
	{ "unframed 1024x768", 1, 1, 0, 0, 1024, 768, 0, 0, RDP_DISP_RESIZE,
	    1024, 768, NULL },
	{ "framed: the frame is taken off", 1, 1, 0, 0, RS_FRAMED_W(1024),
	    RS_FRAMED_H(768), 0, 1, RDP_DISP_RESIZE, 1024, 768, NULL },
	{ "the smallest qube", 1, 1, 0, 0, TSR_SCREEN_MIN_W, TSR_SCREEN_MIN_H,
	    0, 0, RDP_DISP_RESIZE, TSR_SCREEN_MIN_W, TSR_SCREEN_MIN_H, NULL },
	{ "the largest qube, framed", 1, 1, 0, 0, RS_FRAMED_W(TSR_SCREEN_MAX_W),
	    RS_FRAMED_H(TSR_SCREEN_MAX_H), 0, 1, RDP_DISP_RESIZE,
	    TSR_SCREEN_MAX_W, TSR_SCREEN_MAX_H, NULL },
	{ "odd sizes are taken", 1, 1, 0, 0, 1023, 767, 0, 0, RDP_DISP_RESIZE,
	    1023, 767, NULL },
	{ "too wide", 1, 1, 0, 0, TSR_SCREEN_MAX_W + 2, 768, 0, 0,
	    RDP_DISP_REFUSE, 0, 0, "too large" },
	{ "too narrow", 1, 1, 0, 0, TSR_SCREEN_MIN_W - 2, 768, 0, 0,
	    RDP_DISP_REFUSE, 0, 0, "too small" },
	{ "framed: the frame leaves too little", 1, 1, 0, 0,
	    TSR_SCREEN_MIN_W + 2, 400, 0, 1, RDP_DISP_REFUSE, 0, 0,
	    "too small" },
	{ "rotated", 1, 1, 0, 0, 1024, 768, 90, 0, RDP_DISP_REFUSE, 0, 0,
	    "rotated by 90" },
	{ "no monitor", 0, 1, 0, 0, 1024, 768, 0, 0, RDP_DISP_BROKEN, 0, 0,
	    "a layout without exactly one monitor" },
	{ "two monitors", 2, 1, 0, 0, 1024, 768, 0, 0, RDP_DISP_BROKEN, 0, 0,
	    "a layout without exactly one monitor" },
	{ "not primary", 1, 0, 0, 0, 1024, 768, 0, 0, RDP_DISP_BROKEN, 0, 0,
	    "a monitor that is not primary at (0,0)" },
	{ "not at (0,0)", 1, 1, 0, -10, 1024, 768, 0, 0, RDP_DISP_BROKEN, 0, 0,
	    "a monitor that is not primary at (0,0)" },
	{ "narrower than the protocol allows", 1, 1, 0, 0, 199, 768, 0, 0,
	    RDP_DISP_BROKEN, 0, 0, "a monitor size out of range" },
	{ "higher than the protocol allows", 1, 1, 0, 0, 1024, 8193, 0, 0,
	    RDP_DISP_BROKEN, 0, 0, "a monitor size out of range" },
};

static void
test_disp(void)
{
	struct rdp_disp_monitor mon[2];
	struct rdp_disp_rate rate;
	enum rdp_disp_verdict v;
	const struct disp_case *c;
	char why[64];
	size_t i;
	int w, h, n;

	for (i = 0; i < sizeof(disp_cases) / sizeof(disp_cases[0]); i++) {
		c = &disp_cases[i];
		memset(&rate, 0, sizeof(rate));
		mon[0] = (struct rdp_disp_monitor){ c->flags, c->left, c->top,
			c->w, c->h, c->orient };
		mon[1] = mon[0];
		w = h = 0;
		why[0] = '\0';
		v = rdp_disp_check(&rate, 5000, c->nmon ? mon : NULL, c->nmon,
		    c->framed, &w, &h, why, sizeof(why));
		if (c->want == RDP_DISP_RESIZE)
			ok(v == c->want && w == c->qw && h == c->qh,
			    "display control: %s", c->name);
		else
			ok(v == c->want && strcmp(why, c->why) == 0,
			    "display control: %s (%s)", c->name, why);
	}

	/* the flood limit: RDP_DISP_MAX_PER_S a second, then broken */
	memset(&rate, 0, sizeof(rate));
	mon[0] = (struct rdp_disp_monitor){ 1, 0, 0, 1024, 768, 0 };
	for (n = 0; n < RDP_DISP_MAX_PER_S; n++)
		if (rdp_disp_check(&rate, 1000 + (uint64_t)n * 50, mon, 1, 0,
			&w, &h, why, sizeof(why)) != RDP_DISP_RESIZE)
			break;
	ok(n == RDP_DISP_MAX_PER_S, "display control: %d layouts in a second",
	    RDP_DISP_MAX_PER_S);
	ok(rdp_disp_check(&rate, 1999, mon, 1, 0, &w, &h, why, sizeof(why)) ==
		    RDP_DISP_BROKEN &&
		strcmp(why, "too many monitor layouts") == 0,
	    "display control: one more in the same second is a flood");
	ok(rdp_disp_check(&rate, 3000, mon, 1, 0, &w, &h, why, sizeof(why)) ==
		RDP_DISP_RESIZE,
	    "display control: the next second starts afresh");
}

int
main(void)
{
	log_init("test-render-unit", 1, 0);
	test_vencrypt();
	test_filter();
	test_passwd();
	test_damage();
	test_disp();
	return done_testing();
}
