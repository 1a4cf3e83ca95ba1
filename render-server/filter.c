/*
 * Viewer-to-server RFB message filter; see filter.h.  All input is
 * untrusted.
 */
#include <string.h>

#include "bytes.h"
#include "filter.h"

enum { ST_INIT, ST_MSG, ST_SKIP };

/* RFB client message types */
#define MSG_SET_PIXEL_FORMAT 0
#define MSG_SET_ENCODINGS 2
#define MSG_FB_UPDATE_REQUEST 3
#define MSG_KEY 4
#define MSG_POINTER 5
#define MSG_CUT_TEXT 6
#define MSG_SET_DESKTOP_SIZE 251

/* encodings */
#define ENC_RAW 0
#define ENC_COPYRECT 1
#define ENC_TIGHT 7
#define ENC_ZRLE 16
#define ENC_QUALITY_0 (-32)
#define ENC_QUALITY_9 (-23)
#define ENC_DESKTOP_SIZE (-223)
#define ENC_LAST_RECT (-224)
#define ENC_COMPRESS_0 (-256)
#define ENC_COMPRESS_9 (-247)
#define ENC_DESKTOP_NAME (-307)
#define ENC_EXT_DESKTOP_SIZE (-308)
#define ENC_FINE_QUALITY_0 (-512)
#define ENC_FINE_QUALITY_100 (-412)
#define ENC_SUBSAMP_1X (-768)
#define ENC_SUBSAMP_GRAY (-763)

void
rs_filter_init(struct rs_filter *f, int default_quality)
{
	memset(f, 0, sizeof(*f));
	f->state = ST_INIT;
	f->default_quality = default_quality;
}

/* The length of the message in f->msg, 0 if not known yet, -1 if bad. */
static long
msg_len(const struct rs_filter *f)
{
	uint16_t n;

	switch (f->msg[0]) {
	case MSG_SET_PIXEL_FORMAT:
		return 20;
	case MSG_SET_ENCODINGS:
		if (f->len < 4)
			return 0;
		n = (uint16_t)(f->msg[2] << 8 | f->msg[3]);
		if (n > RS_FILTER_MAX_ENC)
			return -1;
		return 4 + 4 * (long)n;
	case MSG_FB_UPDATE_REQUEST:
		return 10;
	case MSG_KEY:
		return 8;
	case MSG_POINTER:
		return 6;
	case MSG_CUT_TEXT:
		return 8; /* the header; the text is skipped */
	case MSG_SET_DESKTOP_SIZE:
		if (f->len < 7)
			return 0;
		if (f->msg[6] == 0)
			return -1; /* no screen at all */
		return 8 + 16 * (long)f->msg[6];
	default:
		return -1;
	}
}

static int
allowed(int32_t e)
{
	return e == ENC_RAW || e == ENC_COPYRECT || e == ENC_TIGHT ||
	    e == ENC_ZRLE || e == ENC_DESKTOP_SIZE || e == ENC_LAST_RECT ||
	    e == ENC_DESKTOP_NAME || e == ENC_EXT_DESKTOP_SIZE ||
	    (e >= ENC_QUALITY_0 && e <= ENC_QUALITY_9) ||
	    (e >= ENC_COMPRESS_0 && e <= ENC_COMPRESS_9) ||
	    (e > ENC_FINE_QUALITY_0 && e <= ENC_FINE_QUALITY_100) ||
	    (e >= ENC_SUBSAMP_1X && e <= ENC_SUBSAMP_GRAY);
}

/* Rewrites a SetEncodings message into out; returns its length. */
static size_t
set_encodings(const struct rs_filter *f, uint8_t *out)
{
	size_t n = (size_t)(f->msg[2] << 8 | f->msg[3]), i, k = 0;
	int tight = 0, quality = 0, subsamp = 0, real = 0;
	int32_t e;

	for (i = 0; i < n; i++) {
		e = (int32_t)be32(f->msg + 4 + 4 * i);
		if (!allowed(e))
			continue;
		if (e == ENC_TIGHT)
			tight = 1;
		if (e >= 0)
			real = 1;
		if ((e >= ENC_QUALITY_0 && e <= ENC_QUALITY_9) ||
		    (e > ENC_FINE_QUALITY_0 && e <= ENC_FINE_QUALITY_100))
			quality = 1;
		if (e >= ENC_SUBSAMP_1X && e <= ENC_SUBSAMP_GRAY)
			subsamp = 1;
		put32(out + 4 + 4 * k++, (uint32_t)e);
	}
	if (!real)
		put32(out + 4 + 4 * k++, ENC_RAW);
	if (tight && !quality && f->default_quality > 0 &&
	    f->default_quality <= 100) {
		put32(out + 4 + 4 * k++,
		    (uint32_t)(ENC_FINE_QUALITY_0 + f->default_quality));
		if (!subsamp)
			put32(out + 4 + 4 * k++, (uint32_t)ENC_SUBSAMP_1X);
	}
	out[0] = MSG_SET_ENCODINGS;
	out[1] = 0;
	out[2] = (uint8_t)(k >> 8);
	out[3] = (uint8_t)k;
	return 4 + 4 * k;
}

/*
 * Rewrites a SetDesktopSize message into out: the framebuffer size the
 * viewer asks for, as one screen at 0,0 of that size; returns its length.
 */
static size_t
set_desktop_size(const struct rs_filter *f, uint8_t *out)
{
	out[0] = MSG_SET_DESKTOP_SIZE;
	out[1] = 0;
	memcpy(out + 2, f->msg + 2, 4); /* width, height */
	out[6] = 1;			/* screens */
	out[7] = 0;
	put32(out + 8, 1);		 /* id */
	memset(out + 12, 0, 4);		 /* x, y */
	memcpy(out + 16, f->msg + 2, 4); /* width, height */
	put32(out + 20, 0);		 /* flags */
	return RS_FILTER_DESKTOP_SIZE_LEN;
}

int
rs_filter_feed(struct rs_filter *f, const uint8_t *in, size_t len, size_t *used,
    uint8_t *out, size_t outsz, size_t *outlen)
{
	long need;
	size_t n;

	*used = 0;
	*outlen = 0;
	while (*used < len && outsz - *outlen >= RS_FILTER_OUT_MAX) {
		switch (f->state) {
		case ST_INIT:
			(*used)++; /* ClientInit: always shared */
			out[(*outlen)++] = 1;
			f->state = ST_MSG;
			continue;
		case ST_SKIP:
			n = len - *used;
			if (n > f->skip)
				n = f->skip;
			*used += n;
			f->skip -= (uint32_t)n;
			if (f->skip == 0)
				f->state = ST_MSG;
			continue;
		}
		if (f->len == 0)
			f->msg[f->len++] = in[(*used)++];
		while ((need = msg_len(f)) == 0 && *used < len)
			f->msg[f->len++] = in[(*used)++];
		if (need < 0)
			return -1;
		if (need == 0)
			return 0;
		n = (size_t)need - f->len;
		if (n > len - *used)
			n = len - *used;
		memcpy(f->msg + f->len, in + *used, n);
		f->len += n;
		*used += n;
		if (f->len < (size_t)need)
			return 0;
		switch (f->msg[0]) {
		case MSG_SET_ENCODINGS:
			*outlen += set_encodings(f, out + *outlen);
			break;
		case MSG_SET_DESKTOP_SIZE:
			*outlen += set_desktop_size(f, out + *outlen);
			break;
		case MSG_CUT_TEXT:
			f->skip = be32(f->msg + 4);
			if (f->skip > RS_FILTER_MAX_CUT)
				return -1;
			if (f->skip > 0)
				f->state = ST_SKIP;
			break;
		default:
			memcpy(out + *outlen, f->msg, (size_t)need);
			*outlen += (size_t)need;
			break;
		}
		f->len = 0;
	}
	return 0;
}
