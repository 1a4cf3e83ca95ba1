/*
 * RFB 3.8 + VeNCrypt 0.2, server side, as a state machine over bytes.
 * See vencrypt.h for the exchange.  Everything the client sends is
 * untrusted; nothing here allocates.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "bytes.h"
#include "vencrypt.h"

enum {
	ST_VERSION,	/* want 12 bytes: "RFB 003.008\n" */
	ST_SECTYPE,	/* want 1 byte: 19 */
	ST_VCVERSION,	/* want 2 bytes: 0 2 */
	ST_SUBTYPE,	/* want 4 bytes: 260 or 262 */
	ST_TLS,		/* waiting for the caller's TLS handshake */
	ST_PLAIN_LENS,	/* want 8 bytes: ulen plen */
	ST_PLAIN_CREDS, /* want ulen + plen bytes */
	ST_DONE,
	ST_FAILED,
};

#define RFB_SEC_VENCRYPT 19

static const char server_version[] = "RFB 003.008\n";

size_t
rs_vc_start(struct rs_vc *vc, uint8_t *out, size_t outsz)
{
	memset(vc, 0, sizeof(*vc));
	vc->state = ST_VERSION;
	if (outsz < 12)
		return 0;
	memcpy(out, server_version, 12);
	return 12;
}

static enum rs_vc_status
fail(struct rs_vc *vc, const char *why)
{
	vc->state = ST_FAILED;
	vc->why = why;
	rs_vc_clear(vc);
	return RS_VC_FAIL;
}

/* How many bytes the current state needs in vc->buf. */
static size_t
want(const struct rs_vc *vc)
{
	switch (vc->state) {
	case ST_VERSION:
		return 12;
	case ST_SECTYPE:
		return 1;
	case ST_VCVERSION:
		return 2;
	case ST_SUBTYPE:
		return 4;
	case ST_PLAIN_LENS:
		return 8;
	case ST_PLAIN_CREDS:
		return 8 + (size_t)be32(vc->buf) + (size_t)be32(vc->buf + 4);
	default:
		return 0;
	}
}

/* A whole step is in vc->buf: act on it. */
static enum rs_vc_status
step(struct rs_vc *vc, uint8_t *out, size_t *outlen)
{
	uint32_t ulen, plen, sub;

	switch (vc->state) {
	case ST_VERSION:
		/* 3.8 only: VeNCrypt needs 3.7's negotiation and 3.8's
		 * SecurityResult for every type */
		if (memcmp(vc->buf, server_version, 12) != 0)
			return fail(vc, "not RFB 3.8");
		out[0] = 1;
		out[1] = RFB_SEC_VENCRYPT;
		*outlen = 2;
		vc->state = ST_SECTYPE;
		break;
	case ST_SECTYPE:
		if (vc->buf[0] != RFB_SEC_VENCRYPT)
			return fail(vc, "security type other than VeNCrypt");
		out[0] = 0;
		out[1] = 2;
		*outlen = 2;
		vc->state = ST_VCVERSION;
		break;
	case ST_VCVERSION:
		if (vc->buf[0] != 0 || vc->buf[1] != 2) {
			out[0] = 0xff;
			*outlen = 1;
			vc->state = ST_FAILED;
			vc->why = "VeNCrypt version other than 0.2";
			return RS_VC_FAIL;
		}
		out[0] = 0; /* version accepted */
		out[1] = 2; /* two subtypes */
		put32(out + 2, RS_VC_X509NONE);
		put32(out + 6, RS_VC_X509PLAIN);
		*outlen = 10;
		vc->state = ST_SUBTYPE;
		break;
	case ST_SUBTYPE:
		sub = be32(vc->buf);
		if (sub != RS_VC_X509NONE && sub != RS_VC_X509PLAIN) {
			out[0] = 0; /* rejected */
			*outlen = 1;
			vc->state = ST_FAILED;
			vc->why = "VeNCrypt subtype not offered";
			return RS_VC_FAIL;
		}
		vc->subtype = sub;
		out[0] = 1; /* accepted */
		*outlen = 1;
		vc->state = ST_TLS;
		vc->len = 0;
		return RS_VC_TLS;
	case ST_PLAIN_LENS:
		ulen = be32(vc->buf);
		plen = be32(vc->buf + 4);
		if (ulen == 0 || ulen > RS_VC_CRED_MAX || plen > RS_VC_CRED_MAX)
			return fail(vc, "credentials too long or empty");
		vc->state = ST_PLAIN_CREDS;
		return RS_VC_MORE; /* keep buf: want() reads the lengths */
	case ST_PLAIN_CREDS:
		ulen = be32(vc->buf);
		plen = be32(vc->buf + 4);
		memcpy(vc->user, vc->buf + 8, ulen);
		vc->user[ulen] = '\0';
		memcpy(vc->pass, vc->buf + 8 + ulen, plen);
		vc->pass[plen] = '\0';
		OPENSSL_cleanse(vc->buf, sizeof(vc->buf));
		if (strlen(vc->user) != ulen || strlen(vc->pass) != plen)
			return fail(vc, "NUL in credentials");
		vc->state = ST_DONE;
		vc->len = 0;
		return RS_VC_CREDS;
	default:
		return fail(vc, "unexpected data");
	}
	vc->len = 0;
	return RS_VC_MORE;
}

enum rs_vc_status
rs_vc_input(struct rs_vc *vc, const uint8_t *in, size_t len, size_t *used,
    uint8_t *out, size_t *outlen)
{
	enum rs_vc_status st;
	size_t need, n;

	*used = 0;
	*outlen = 0;
	for (;;) {
		if (vc->state == ST_FAILED)
			return RS_VC_FAIL;
		if (vc->state == ST_TLS || vc->state == ST_DONE) {
			if (*used < len)
				return fail(vc, "data before our answer");
			return RS_VC_MORE;
		}
		need = want(vc);
		if (need > sizeof(vc->buf))
			return fail(vc, "step too long");
		if (vc->len < need) {
			n = need - vc->len;
			if (n > len - *used)
				n = len - *used;
			memcpy(vc->buf + vc->len, in + *used, n);
			vc->len += n;
			*used += n;
		}
		if (vc->len < need)
			return RS_VC_MORE;
		st = step(vc, out, outlen);
		if (st != RS_VC_MORE || *outlen > 0)
			return st;
		/* no answer needed (the plain lengths): go on */
	}
}

enum rs_vc_status
rs_vc_tls_up(struct rs_vc *vc)
{
	if (vc->state != ST_TLS)
		return fail(vc, "TLS at the wrong time");
	if (vc->subtype == RS_VC_X509NONE) {
		vc->state = ST_DONE;
		return RS_VC_CERT;
	}
	vc->state = ST_PLAIN_LENS;
	vc->len = 0;
	return RS_VC_MORE;
}

size_t
rs_vc_result(int ok, const char *reason, uint8_t *out, size_t outsz)
{
	size_t rlen = reason ? strlen(reason) : 0;

	if (ok) {
		if (outsz < 4)
			return 0;
		put32(out, 0);
		return 4;
	}
	if (outsz < 8 + rlen)
		rlen = outsz < 8 ? 0 : outsz - 8;
	if (outsz < 8)
		return 0;
	put32(out, 1);
	put32(out + 4, (uint32_t)rlen);
	memcpy(out + 8, reason, rlen);
	return 8 + rlen;
}

void
rs_vc_clear(struct rs_vc *vc)
{
	OPENSSL_cleanse(vc->pass, sizeof(vc->pass));
	OPENSSL_cleanse(vc->buf, sizeof(vc->buf));
}
