/* Facts that cross processes (facts.h). */
#include <stdio.h>
#include <string.h>

#include "facts.h"

static bool
name_char(char c, bool first)
{
	if (c >= 'a' && c <= 'z')
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '-');
}

bool
tsr_qube_name_validn(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TSR_QUBE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!name_char(s[i], i == 0))
			return false;
	return true;
}

bool
tsr_qube_name_valid(const char *s)
{
	return tsr_qube_name_validn(s, strnlen(s, TSR_QUBE_NAME_MAX + 1));
}

static const char *const power_names[TSR_NPOWER] = {
	"halted",
	"starting",
	"running",
	"paused",
	"shutting-down",
};

const char *
tsr_power_name(enum tsr_power p)
{
	return (unsigned)p < TSR_NPOWER ? power_names[p] : power_names[0];
}

int
tsr_power_parse(const char *s, enum tsr_power *out)
{
	int i;

	for (i = 0; i < TSR_NPOWER; i++)
		if (strcmp(s, power_names[i]) == 0) {
			*out = (enum tsr_power)i;
			return 0;
		}
	return -1;
}

char *
tsr_frame_title(char *buf, size_t bufsz, const char *name, const char *label)
{
	if (bufsz > 0)
		snprintf(buf, bufsz, "[%s] %s", name, label);
	return buf;
}

bool
tsr_screen_size_ok(long w, long h)
{
	return w >= TSR_SCREEN_MIN_W && w <= TSR_SCREEN_MAX_W &&
	    h >= TSR_SCREEN_MIN_H && h <= TSR_SCREEN_MAX_H;
}
