/* Unit tests of the test qube's picture (pattern.c): no QEMU needed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "tap.h"

#define W 1280
#define H 800

static uint32_t *
frame(int w, int h, const struct pat_opts *o, const struct pat_state *s)
{
	struct pat_rect all = { 0, 0, w, h };
	uint32_t *p = malloc((size_t)w * (size_t)h * 4);

	if (!p)
		abort();
	memset(p, 0xab, (size_t)w * (size_t)h * 4);
	pat_draw(p, (size_t)w, w, h, o, s, all);
	return p;
}

/* Draw a, bring it to b through pat_damage, compare with b drawn whole. */
static int
damage_ok(int w, int h, const struct pat_opts *o, const struct pat_state *a,
    const struct pat_state *b)
{
	struct pat_rect r[PAT_MAX_DAMAGE];
	uint32_t *pa = frame(w, h, o, a), *pb = frame(w, h, o, b);
	int i, n = pat_damage(w, h, o, a, b, r), same;

	for (i = 0; i < n; i++)
		pat_draw(pa, (size_t)w, w, h, o, b, r[i]);
	same = memcmp(pa, pb, (size_t)w * (size_t)h * 4) == 0;
	free(pa);
	free(pb);
	return same;
}

int
main(void)
{
	struct pat_opts o, spoof;
	struct pat_state s, s2;
	uint32_t rgb = 0, c = 0, *p;
	char text[512];
	int i, sizes[] = { 640, 1024, 1280, 1920, 4096 };
	const uint32_t counters[] = { 0, 1, 0x80000000u, 0xdeadbeefu,
		0xffffffffu };

	pat_opts_init(&o);
	pat_state_init(&s);

	ok(pat_parse_colour("red", &rgb) == 0 && rgb == 0xcc0000,
	    "colour by label name");
	ok(pat_parse_colour("Purple", &rgb) == 0 && rgb == 0x75507b,
	    "label names ignore case");
	ok(pat_parse_colour("#3465a4", &rgb) == 0 && rgb == 0x3465a4,
	    "colour as #rrggbb");
	ok(pat_parse_colour("00ff7F", &rgb) == 0 && rgb == 0x00ff7f,
	    "colour as rrggbb");
	ok(pat_parse_colour("#12345", &rgb) < 0 &&
		pat_parse_colour("pink", &rgb) < 0 &&
		pat_parse_colour("#12345g", &rgb) < 0 &&
		pat_parse_colour("", &rgb) < 0,
	    "bad colours are refused");

	ok(memcmp(pat_font[0], "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0,
	    "font: space is blank");
	for (i = 0, c = 0; i < 16; i++)
		c += pat_font['A' - PAT_FONT_FIRST][i] != 0;
	ok(c >= 8, "font: 'A' has ink on %u rows", c);

	p = frame(W, H, &o, &s);
	for (i = 0; i < PAT_NBARS; i++) {
		int x = (2 * i + 1) * W / (2 * PAT_NBARS);
		if (p[(size_t)(PAT_BAR_H / 2) * W + x] != pat_bar_rgb[i])
			break;
	}
	ok(i == PAT_NBARS, "nine colour bars in label order");
	ok(p[(size_t)(PAT_PANEL_END - 1) * W + W - 1] == PAT_PANEL_BG,
	    "panel background");
	ok(p[(size_t)(H - 1) * W + 0] ==
		(((uint32_t)(H - 1 - PAT_GRAD_Y) & 255) << 8 |
		    16 * ((uint32_t)(H - 1 - PAT_GRAD_Y) >> 8 & 3)),
	    "gradient formula at the bottom-left pixel");
	free(p);

	for (i = 0; i < (int)(sizeof(counters) / sizeof(counters[0])); i++) {
		s.counter = counters[i];
		p = frame(W, H, &o, &s);
		c = 0;
		ok(pat_decode_counter(p, W, W, H, &c) == 0 && c == counters[i],
		    "counter 0x%08x reads back", counters[i]);
		p[(size_t)(PAT_CTR_Y + 5) * W + PAT_CTR_X + 3 * PAT_CTR_BLOCK +
		    7] ^= 0xffffff;
		ok(pat_decode_counter(p, W, W, H, &c) < 0,
		    "one flipped pixel makes counter 0x%08x unreadable",
		    counters[i]);
		free(p);
	}
	pat_state_init(&s);
	p = frame(W, H, &o, &s);
	for (i = 0; i < PAT_CTR_BLOCK; i++)
		memcpy(p + (size_t)(PAT_CTR_INV_Y + i) * W + PAT_CTR_X,
		    p + (size_t)(PAT_CTR_Y + i) * W + PAT_CTR_X,
		    PAT_CTR_BLOCK * 4);
	ok(pat_decode_counter(p, W, W, H, &c) < 0,
	    "a block equal to its complement is torn");
	free(p);

	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
		int px, bad = 0;
		for (px = 0; px < sizes[i]; px++)
			if (pat_abs_to_px(pat_px_to_abs(px, sizes[i]), 0,
				0x7fff, sizes[i]) != px)
				bad++;
		ok(bad == 0,
		    "pointer: every pixel of %d survives QEMU's axis scaling",
		    sizes[i]);
	}
	ok(pat_abs_to_px(-5, 0, 0x7fff, W) == 0 &&
		pat_abs_to_px(40000, 0, 0x7fff, W) == W - 1,
	    "pointer: out-of-range values clamp");

	pat_state_init(&s);
	for (i = 0; i < 300; i++)
		s.echo[i % PAT_ECHO_MAX] = (char)('a' + i % 26);
	s.echo[PAT_ECHO_MAX] = '\0';
	pat_echo_text(640, &s, text, sizeof(text));
	ok(strlen(text) == (640 - 2 * PAT_ECHO_X) / PAT_FONT_W &&
		strncmp(text, "echo: ", 6) == 0 &&
		text[strlen(text) - 1] == '_' &&
		text[strlen(text) - 2] == s.echo[PAT_ECHO_MAX - 1],
	    "a long echo shows its tail, within the width");
	s.ptr_x = 1234;
	s.ptr_y = 567;
	s.counter = 42;
	pat_status_text(W, &s, text, sizeof(text));
	is_str(text, "frame 42 key 0 mod 0 ptr 1234,567 btn 0", "status line");

	/* Damage: drawing only the rectangles pat_damage names gives the new frame. */
	pat_opts_init(&spoof);
	spoof.spoof = 1;
	spoof.spoof_rgb = 0xcc0000;
	pat_state_init(&s);
	s2 = s;
	s2.counter = 1;
	ok(damage_ok(W, H, &o, &s, &s2), "damage: counter");
	o.scroll = 7;
	ok(damage_ok(W, H, &o, &s, &s2),
	    "damage: counter with a scrolling gradient");
	o.scroll = 0;
	s2 = s;
	strcpy(s2.echo, "typed");
	s2.key = 30;
	ok(damage_ok(W, H, &o, &s, &s2), "damage: echo and key");
	s2.ptr_x = 5;
	s2.ptr_y = 140; /* marker under the counter rows */
	ok(damage_ok(W, H, &spoof, &s, &s2),
	    "damage: first pointer position, spoof on");
	s = s2;
	s2.ptr_x = W - 1;
	s2.ptr_y = H - 1;
	s2.buttons = PAT_BTN_LEFT;
	s2.counter = 99;
	ok(damage_ok(W, H, &spoof, &s, &s2),
	    "damage: pointer moved to a corner, button, counter");
	s = s2;
	s2.buttons = 0;
	s2.mods = PAT_MOD_CTRL;
	s2.echo[0] = '\0';
	ok(damage_ok(640, 480, &o, &s, &s2),
	    "damage: button released, echo cleared, at 640x480");
	ok(pat_damage(W, H, &o, &s2, &s2,
	       (struct pat_rect[PAT_MAX_DAMAGE]){ { 0, 0, 0, 0 } }) == 0,
	    "no change, no damage");

	/* Spoof: the frame and the title. */
	pat_state_init(&s);
	snprintf(spoof.title, sizeof(spoof.title), "[vault]");
	spoof.spoof_rgb = 0xedd400; /* yellow: black title text */
	p = frame(W, H, &spoof, &s);
	ok(p[0] == 0xedd400 && p[(size_t)(H - 1) * W + W - 1] == 0xedd400 &&
		p[(size_t)(H / 2) * W + PAT_SPOOF_BORDER - 1] == 0xedd400 &&
		p[(size_t)(H / 2) * W + PAT_SPOOF_BORDER] != 0xedd400,
	    "spoof: an 8 px band in the spoof colour");
	for (i = 0, c = 0; i < 8 * 16; i++)
		c += p[(size_t)(PAT_SPOOF_TEXT_Y + i / 8) * W +
			 PAT_SPOOF_TEXT_X + 8 + i % 8] == 0;
	ok(c > 10,
	    "spoof: the title is drawn in black on yellow (%u ink pixels in 'v')",
	    c);
	ok(pat_decode_counter(p, W, W, H, &c) == 0 && c == 0,
	    "spoof: the counter stays readable");
	free(p);

	return done_testing();
}
