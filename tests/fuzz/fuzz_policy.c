/*
 * Policy files are written by administrators, and later through the Admin
 * API's policy methods: parse anything, and when it parses, ask it a few
 * questions.  Invariants: a refusal always says "t.policy:" something, an
 * accepted policy answers 0 or 1 and names a line it has.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../vm-manager/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "vm.start", "label.list",
		"display.endpoint", "vm.kill", "" };
	static const char *const groups[] = { "lab", "wheel" };
	static const char *const tags[] = { "lab" };
	const struct vmd_caller callers[] = {
		{ .kind = VMD_CALLER_UNIX,
		    .user = "alice",
		    .groups = groups,
		    .ngroups = 2 },
		{ .kind = VMD_CALLER_UNIX },
		{ .kind = VMD_CALLER_CERT,
		    .cn = "lab-terminal-3",
		    .role = VMD_ROLE_VIEWER },
		{ .kind = VMD_CALLER_CERT,
		    .cn = "alice",
		    .role = VMD_ROLE_ADMIN },
	};
	const struct vmd_target targets[] = {
		{ .name = "work",
		    .label = { "blue", 0x3465a4 },
		    .tags = tags,
		    .ntags = 1 },
		{ .name = "vault", .label = { "black", 0 } },
		{ .name = NULL },
	};
	struct vmd_policy_where w;
	struct vmd_policy *pol;
	char err[512];
	size_t m, c, t;
	int r;

	err[0] = '\0';
	pol = vmd_policy_load_buf("t.policy", data, size, err, sizeof(err));
	if (pol == NULL) {
		if (strncmp(err, "t.policy:", 9) != 0)
			__builtin_trap();
		return 0;
	}
	for (m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
		for (c = 0; c < sizeof(callers) / sizeof(callers[0]); c++)
			for (t = 0; t < 4; t++) {
				r = vmd_policy_check_where(pol, methods[m],
				    &callers[c], t < 3 ? &targets[t] : NULL,
				    &w);
				if ((r != 0 && r != 1) || w.line < 0 ||
				    (w.line > 0 &&
					(w.file == NULL ||
					    strcmp(w.file, "t.policy") != 0)) ||
				    (r == 1 && w.line == 0))
					__builtin_trap();
			}
	vmd_policy_free(pol);
	return 0;
}
