/* libFuzzer target: the QMP reply reader (tests/images/qmp.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../images/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	/* The whole input, then line by line as the client reads it. */
	(void)qmp_classify(p, size);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		(void)qmp_classify(p, len);
		p += len + 1;
	}
	return 0;
}
