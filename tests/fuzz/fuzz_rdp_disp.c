/*
 * tessera-render's RDP Display Control checks
 * (render-server/rdp_disp_check.c): arbitrary monitor layouts at
 * arbitrary times, framed or not, one after another on one rate window.
 * A layout taken must give a qube size within TSR_SCREEN_*; a refusal or a
 * break must say why; none is taken beyond RDP_DISP_MAX_PER_S layouts in
 * a second (counted from the first layout of that second, as a fixed
 * window: up to twice that may pass across a window's edge).
 *
 * Input: one byte of flags (bit 0 framed, bits 1-2 the monitor count),
 * then per layout a 2-byte time step (ms) and 24 bytes of monitor.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../render-server/rdp_disp_check.h"
#include "facts.h"

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdp_disp_rate rate = { 0, 0 };
	struct rdp_disp_monitor mon[3];
	enum rdp_disp_verdict v;
	uint64_t now = 1, win = 0;
	size_t off = 1, nmon, i;
	char why[64];
	int framed, w, h, seen = 0;

	if (size == 0)
		return 0;
	framed = data[0] & 1;
	nmon = (size_t)(data[0] >> 1 & 3);
	while (size - off >= 2 + 24) {
		now += (uint64_t)data[off] << 8 | data[off + 1];
		off += 2;
		mon[0].flags = get32(data + off);
		mon[0].left = (int32_t)get32(data + off + 4);
		mon[0].top = (int32_t)get32(data + off + 8);
		mon[0].width = get32(data + off + 12);
		mon[0].height = get32(data + off + 16);
		mon[0].orientation = get32(data + off + 20);
		off += 24;
		for (i = 1; i < 3; i++)
			mon[i] = mon[0];
		w = h = -1;
		why[0] = '\0';
		if (win == 0 || now - win >= 1000) {
			win = now;
			seen = 0;
		}
		seen++;
		v = rdp_disp_check(&rate, now, nmon ? mon : NULL, nmon, framed,
		    &w, &h, why, sizeof(why));
		if (v == RDP_DISP_RESIZE) {
			if (!tsr_screen_size_ok(w, h) ||
			    seen > RDP_DISP_MAX_PER_S)
				abort();
		} else if (why[0] == '\0' ||
		    memchr(why, '\0', sizeof(why)) == NULL) {
			abort();
		}
	}
	return 0;
}
