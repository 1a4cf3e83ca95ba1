/* The facts every process shares (common/facts.h, clock.h, hex.h). */
#include <string.h>

#include "clock.h"
#include "facts.h"
#include "hex.h"
#include "../lib/tap.h"

int
main(void)
{
	static const char *good[] = {
		"a", "work", "sys-net", "disp1234", "a0", "x-",
		"abcdefghijklmnopqrstuvwxyz01234", /* 31 */
	};
	static const char *bad[] = {
		"",
		"Work",
		"0work",
		"-work",
		"work_1",
		"work.1",
		"wörk",
		"a b",
		"a/b",
		"[red]",
		"work\n",
		"abcdefghijklmnopqrstuvwxyz012345",
	};
	static const char *states[] = {
		"halted",
		"starting",
		"running",
		"paused",
		"shutting-down",
	};
	static const struct {
		long w, h;
		bool ok;
	} sizes[] = {
		{ 320, 200, true },
		{ 3840, 2400, true },
		{ 1280, 800, true },
		{ 319, 200, false },
		{ 320, 199, false },
		{ 3841, 2400, false },
		{ 3840, 2401, false },
		{ 0, 0, false },
		{ -1, 600, false },
		{ 1L << 40, 600, false },
	};
	unsigned char bytes[4], back[4] = { 0 };
	char buf[64], hex[9];
	enum tsr_power p;
	uint64_t t0, t1;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(tsr_qube_name_valid(good[i]), "name \"%s\" is valid",
		    good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!tsr_qube_name_valid(bad[i]), "name \"%s\" is refused",
		    bad[i]);
	ok(tsr_qube_name_validn("work, more", 4), "a counted name");
	ok(!tsr_qube_name_validn("work", 0), "an empty counted name");

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		is_str(tsr_power_name((enum tsr_power)i), states[i],
		    "power state %zu is %s", i, states[i]);
		ok(tsr_power_parse(states[i], &p) == 0 &&
			p == (enum tsr_power)i,
		    "%s parses back", states[i]);
	}
	is_str(tsr_power_name((enum tsr_power)99), "halted",
	    "an unknown state reads halted");
	ok(tsr_power_parse("Running", &p) == -1, "state names are exact");

	is_str(tsr_frame_title(buf, sizeof(buf), "work", "blue"), "[work] blue",
	    "a frame title");
	is_str(tsr_frame_title(buf, 8, "lab/work", "blue"), "[lab/wo",
	    "a frame title is cut to its buffer");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ok(tsr_screen_size_ok(sizes[i].w, sizes[i].h) == sizes[i].ok,
		    "%ldx%ld is %s", sizes[i].w, sizes[i].h,
		    sizes[i].ok ? "allowed" : "refused");

	memcpy(bytes, "\x00\x7f\xa5\xff", 4);
	is_str(tsr_hex_encode(bytes, 4, hex), "007fa5ff", "hex encoding");
	ok(tsr_hex_decode("007FA5ff", back, 4) == 0 &&
		memcmp(back, bytes, 4) == 0,
	    "hex decoding, either case");
	ok(tsr_hex_decode("007fa5f", back, 4) == -1, "too short");
	ok(tsr_hex_decode("007fa5ff0", back, 4) == -1, "too long");
	ok(tsr_hex_decode("007fa5fg", back, 4) == -1, "not a digit");
	ok(tsr_hex_decode("", back, 0) == 0, "no bytes");

	t0 = tsr_mono_us();
	t1 = tsr_mono_us();
	ok(t1 >= t0, "the clock does not go back");
	ok(tsr_mono_ms() >= t0 / 1000, "ms and us count from one start");
	return done_testing();
}
