/*
 * tessera-render's viewer-to-server message filter
 * (render-server/filter.c): arbitrary bytes, arbitrary chunking.  What
 * comes out must itself be a stream the filter accepts unchanged in
 * length (after ClientInit), never larger than the bounds promised.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../render-server/filter.h"

static uint8_t out[RS_FILTER_OUT_MAX * 4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_filter f;
	size_t off = 0, used, outlen, chunk;

	if (size == 0)
		return 0;
	rs_filter_init(&f, data[0] % 101);
	off = 1;
	while (off < size) {
		chunk = 1 + data[off] % 64;
		off++;
		if (chunk > size - off)
			chunk = size - off;
		if (rs_filter_feed(&f, data + off, chunk, &used, out,
			sizeof(out), &outlen) == -1)
			break;
		if (used > chunk || outlen > sizeof(out))
			__builtin_trap();
		off += used;
		if (used == 0 && chunk > 0)
			break;
	}
	return 0;
}
