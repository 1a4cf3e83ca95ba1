/*
 * libFuzzer target: tessera-ca's index parser.  The index is a file, so
 * hostile input.  Besides memory errors (ASan/UBSan) it checks the parser's
 * promise: a file it accepts formats back to exactly the same bytes, and a
 * file it rejects leaves the index empty with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../certs/ca_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ca_index idx;
	char err[300], *out;
	size_t outlen;

	err[0] = '\0';
	if (ca_index_parse(&idx, (const char *)data, len, err, sizeof(err)) ==
	    -1) {
		if (idx.n != 0 || idx.v != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (ca_index_format(&idx, &out, &outlen) == -1)
		abort();
	if (outlen != len || memcmp(out, data, len) != 0)
		abort();
	free(out);
	ca_index_free(&idx);
	return 0;
}
