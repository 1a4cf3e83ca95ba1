/*
 * The viewer-to-server RFB stream, checked and rewritten before
 * libvncserver sees it (a pure function of the bytes, fuzzed):
 *
 *   - ClientInit: the shared flag is forced on (no viewer can push the
 *     others off);
 *   - SetPixelFormat, FramebufferUpdateRequest, KeyEvent, PointerEvent
 *     pass;
 *   - SetEncodings keeps only Raw, CopyRect, Tight, ZRLE and the pseudo
 *     encodings we serve (DesktopSize, ExtendedDesktopSize, DesktopName,
 *     LastRect, quality, compression, subsampling); a viewer that asks for Tight without
 *     saying a quality gets TurboVNC's "perceptually lossless" preset
 *     (JPEG quality 95, 4:4:4);
 *   - SetDesktopSize (ExtendedDesktopSize's request) passes as the
 *     framebuffer size it asks for, its screen list replaced by one screen
 *     of that size at 0,0 (a qube has one screen); one with no screen
 *     breaks the protocol.  Whether the size is acceptable is decided
 *     after the filter (vnc.c);
 *   - ClientCutText is dropped (no clipboard through this path);
 *   - anything else closes the connection.
 */
#ifndef RS_FILTER_H
#define RS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define RS_FILTER_MAX_ENC 256	  /* encodings in one SetEncodings */
#define RS_FILTER_MAX_SCREENS 255 /* SetDesktopSize's count is a byte */
/* The longest message held whole: SetEncodings or SetDesktopSize. */
#define RS_FILTER_MSG_MAX (8 + 16 * RS_FILTER_MAX_SCREENS)
/* What a SetDesktopSize becomes: the header and one screen. */
#define RS_FILTER_DESKTOP_SIZE_LEN (8 + 16)
#define RS_FILTER_MAX_CUT (1u << 20)
/* The most one message can produce: SetEncodings plus two we add. */
#define RS_FILTER_OUT_MAX (4 + 4 * (RS_FILTER_MAX_ENC + 2))

#define RS_FILTER_DEFAULT_QUALITY 95

struct rs_filter {
	int state;
	uint8_t msg[RS_FILTER_MSG_MAX > 4 + 4 * RS_FILTER_MAX_ENC ?
		RS_FILTER_MSG_MAX :
		4 + 4 * RS_FILTER_MAX_ENC];
	size_t len;	     /* bytes of msg held */
	uint32_t skip;	     /* cut text bytes still to drop */
	int default_quality; /* 1..100, 0 = none */
};

void rs_filter_init(struct rs_filter *, int default_quality);

/*
 * Consumes bytes from in (sets *used), appends what libvncserver may see
 * to out (at most outsz, sets *outlen); stops early when out has less
 * than RS_FILTER_OUT_MAX free.  Returns 0, or -1 if the viewer broke the
 * protocol (close the connection).
 */
int rs_filter_feed(struct rs_filter *, const uint8_t *in, size_t len,
    size_t *used, uint8_t *out, size_t outsz, size_t *outlen);

#endif
