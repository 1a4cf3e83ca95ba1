/* Labels arrive from policy files, the Admin API and the CLI. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_label l;
	char s[16];

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tsr_label_parse(s, &l) == 0 && l.name[sizeof(l.name) - 1] != '\0')
		__builtin_trap();
	return 0;
}
