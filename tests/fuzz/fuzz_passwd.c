/* tessera-render's password file lines (render-server/passwd.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../render-server/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_pw e;

	if (rs_pw_parse_line((const char *)data, size, &e) == 0) {
		if (strlen(e.user) == 0 || strlen(e.user) > RS_PW_USER_MAX ||
		    e.saltlen > RS_PW_SALT_MAX || e.hashlen > RS_PW_HASH_MAX ||
		    (e.N & (e.N - 1)) != 0)
			__builtin_trap();
	}
	return 0;
}
