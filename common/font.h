/*
 * The glyphs of printable ASCII (0x20..0x7e), 8x16, one byte per row, bit
 * 7 = leftmost pixel: generated at build time by common/psf2c.c from
 * Debian's console-setup Lat15-Fixed16 font.
 */
#ifndef TSR_FONT_H_INCLUDED
#define TSR_FONT_H_INCLUDED

#include <stdint.h>

#define TSR_FONT_W 8
#define TSR_FONT_H 16
#define TSR_FONT_FIRST 0x20
#define TSR_FONT_LAST 0x7e

extern const uint8_t tsr_font[TSR_FONT_LAST - TSR_FONT_FIRST + 1][TSR_FONT_H];

#endif
