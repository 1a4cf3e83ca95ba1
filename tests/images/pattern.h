/*
 * The test qube's picture, as a pure function.
 *
 * Shared by the guest program (tests/images/testqube.c), which draws it into a
 * DRM dumb buffer, and by host-side tests, which draw the same picture into
 * memory and compare it pixel by pixel with what they read over VNC.  Every
 * pixel is a function of (width, height, options, state) only.
 *
 * Pixels are XRGB8888 in host order (0x00RRGGBB).  Layout, top to bottom
 * (all numbers in pixels, screen at least 640x480):
 *
 *   y [0, 120)     nine vertical colour bars, bar i covering
 *                  x [i*W/9, (i+1)*W/9): the eight Qubes label colours
 *                  (red orange yellow green gray blue purple black), then white
 *   y [120, 232)   panel, background PAT_PANEL_BG, holding:
 *     y [132, 148)   frame counter: 32 blocks of 16x16 at x = 16 + 16*i,
 *                    i = 0 is bit 31; white (0xffffff) = 1, black = 0
 *     y [148, 164)   the same 32 blocks complemented (a torn frame shows up
 *                    as a block equal to the one above it)
 *     y [176, 192)   echo line, text "echo: <typed text>_" at x = 16
 *     y [200, 216)   status line, text
 *                    "frame <n> key <code> mod <m> ptr <x>,<y> btn <b>" at x = 16
 *   y [232, H)     gradient: with xs = x + scroll*counter, ys = y - 232:
 *                  r = xs & 255, g = ys & 255, b = 64*(xs >> 8 & 3) + 16*(ys >> 8 & 3)
 *
 * Text is 8x16 glyphs (from Debian's console-setup Lat15-Fixed16 font,
 * converted at build time), white on the panel background.
 *
 * Drawn over that, in this order:
 *   - the pointer marker, once the qube has seen an absolute pointer event:
 *     a cross centred on the pointer, arms 7 px long and 3 px thick, magenta
 *     (0xff00ff), cyan (0x00ffff) while a button is held;
 *   - in spoof mode, a fake trust frame: an 8 px band along the four screen
 *     edges and a 24 px title bar at the top, in the spoof colour, with the
 *     fake title at (8, 4) in black on light colours and white otherwise;
 *   - the two counter rows (so neither marker nor spoof can hide them).
 */
#ifndef TSR_TEST_PATTERN_H
#define TSR_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define PAT_MIN_W 640
#define PAT_MIN_H 480
#define PAT_MAX_W 4096
#define PAT_MAX_H 4096

#define PAT_BAR_H 120
#define PAT_NBARS 9
#define PAT_PANEL_Y 120
#define PAT_PANEL_END 232
#define PAT_PANEL_BG 0x202020u
#define PAT_TEXT_FG 0xffffffu
#define PAT_CTR_X 16
#define PAT_CTR_Y 132
#define PAT_CTR_INV_Y 148
#define PAT_CTR_BLOCK 16
#define PAT_CTR_BITS 32
#define PAT_ECHO_X 16
#define PAT_ECHO_Y 176
#define PAT_STATUS_X 16
#define PAT_STATUS_Y 200
#define PAT_GRAD_Y PAT_PANEL_END

#define PAT_MARK_ARM 7
#define PAT_MARK_HALF 1
#define PAT_MARK_COLOUR 0xff00ffu
#define PAT_MARK_PRESSED 0x00ffffu

#define PAT_SPOOF_BORDER 8
#define PAT_SPOOF_TITLE_H 24
#define PAT_SPOOF_TEXT_X 8
#define PAT_SPOOF_TEXT_Y 4

#define PAT_FONT_W 8
#define PAT_FONT_H 16
#define PAT_FONT_FIRST 0x20
#define PAT_FONT_LAST 0x7e

#define PAT_ECHO_MAX \
	256 /* characters kept; the line shows the tail that fits */
#define PAT_TITLE_MAX 64

/* Modifier bits in pat_state.mods. */
#define PAT_MOD_SHIFT 1u
#define PAT_MOD_CTRL 2u
#define PAT_MOD_ALT 4u
#define PAT_MOD_META 8u

/* Button bits in pat_state.buttons. */
#define PAT_BTN_LEFT 1u
#define PAT_BTN_RIGHT 2u
#define PAT_BTN_MIDDLE 4u

/* Generated at build time from a Debian console font: glyphs for
 * PAT_FONT_FIRST..PAT_FONT_LAST, one byte per row, bit 7 = leftmost pixel. */
extern const uint8_t pat_font[PAT_FONT_LAST - PAT_FONT_FIRST + 1][PAT_FONT_H];

/* Options fixed for a qube's lifetime (from its kernel command line). */
struct pat_opts {
	int spoof;		   /* draw a fake trust frame */
	uint32_t spoof_rgb;	   /* its colour */
	char title[PAT_TITLE_MAX]; /* its title text */
	int scroll;		   /* gradient moves this many px per frame */
};

/* What changes while the qube runs. */
struct pat_state {
	uint32_t counter;
	char echo[PAT_ECHO_MAX + 1];
	unsigned key;	  /* evdev code of the last key pressed, 0 = none */
	unsigned mods;	  /* PAT_MOD_* held */
	int ptr_x, ptr_y; /* pointer in pixels, -1,-1 = no pointer seen yet */
	unsigned buttons; /* PAT_BTN_* held */
};

struct pat_rect {
	int x0, y0, x1, y1; /* half-open: [x0, x1) x [y0, y1) */
};

/* The nine bar colours, left to right. */
extern const uint32_t pat_bar_rgb[PAT_NBARS];

void pat_opts_init(struct pat_opts *o);
void pat_state_init(struct pat_state *s);

/*
 * Colour by label name ("red" ... "black", "white") or "#rrggbb"/"rrggbb".
 * Returns 0, or -1 if the text is neither.
 */
int pat_parse_colour(const char *text, uint32_t *rgb);

/* Draw the pixels of the picture inside clip into pix (stride in pixels). */
void pat_draw(uint32_t *pix, size_t stride, int w, int h,
    const struct pat_opts *o, const struct pat_state *s, struct pat_rect clip);

/*
 * Rectangles that differ between the pictures for states a and b (same
 * screen and options): at most PAT_MAX_DAMAGE, written to out; returns the
 * count.  Drawing those rectangles of b over a picture of a gives b.
 */
#define PAT_MAX_DAMAGE 6
int pat_damage(int w, int h, const struct pat_opts *o,
    const struct pat_state *a, const struct pat_state *b, struct pat_rect *out);

/*
 * The counter read back from a picture: 0 and *counter set if every block of
 * both rows is uniformly black or white and the rows are complements, -1
 * otherwise (torn, or not our picture).
 */
int pat_decode_counter(const uint32_t *pix, size_t stride, int w, int h,
    uint32_t *counter);

/* The texts of the two lines, as drawn (tail-clipped to the screen width). */
void pat_echo_text(int w, const struct pat_state *s, char *buf, size_t len);
void pat_status_text(int w, const struct pat_state *s, char *buf, size_t len);

/*
 * Absolute axis value to pixel, rounded: v in [min, max] maps onto
 * [0, size-1].  QEMU's VNC server maps pixel x to x * 0x7fff / (size-1)
 * (truncated); this inverts that exactly for size < 16384.
 */
int pat_abs_to_px(long v, long min, long max, int size);
/* Pixel to the axis value QEMU's VNC would send for it (range 0..0x7fff). */
long pat_px_to_abs(int px, int size);

#endif
