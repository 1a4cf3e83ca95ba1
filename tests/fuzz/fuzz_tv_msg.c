/*
 * The compositor's check of every packet a decoder sends (thin-client/
 * proto.c, tv_msg_check).  The first four bytes pick the buffer size the
 * compositor believes in (0 x 0 before the first TV_FB is allowed); the
 * rest is the packet.  An accepted TV_DAMAGE must lie inside the buffer,
 * an accepted TV_FB within the limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../thin-client/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tv_msg m;
	char err[128];
	int w, h;

	if (size < 4)
		return 0;
	w = (data[0] | data[1] << 8) % (TV_MAX_W + 1);
	h = (data[2] | data[3] << 8) % (TV_MAX_H + 1);
	if (tv_msg_check(data + 4, size - 4, w, h, &m, err, sizeof(err)) ==
	    -1) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
		return 0;
	}
	switch (m.type) {
	case TV_DAMAGE:
		if (m.a < 0 || m.b < 0 || m.c < 1 || m.d < 1 ||
		    (long)m.a + m.c > w || (long)m.b + m.d > h)
			__builtin_trap();
		break;
	case TV_FB:
		if (m.a < 1 || m.a > TV_MAX_W || m.b < 1 || m.b > TV_MAX_H)
			__builtin_trap();
		break;
	case TV_CONNECTED:
	case TV_PONG:
		break;
	default:
		__builtin_trap();
	}
	return 0;
}
