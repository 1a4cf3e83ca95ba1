#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "label.h"

const struct tsr_label tsr_labels[TSR_NLABELS] = {
	{ "red", 0xcc0000 },
	{ "orange", 0xf57900 },
	{ "yellow", 0xedd400 },
	{ "green", 0x73d216 },
	{ "gray", 0x555555 },
	{ "blue", 0x3465a4 },
	{ "purple", 0x75507b },
	{ "black", 0x000000 },
};

const struct tsr_label *
tsr_label_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < TSR_NLABELS; i++)
		if (strcmp(tsr_labels[i].name, name) == 0)
			return &tsr_labels[i];
	return NULL;
}

int
tsr_label_parse(const char *s, struct tsr_label *out)
{
	const struct tsr_label *l;
	uint32_t rgb = 0;
	int i, v;

	if (s == NULL)
		return -1;
	if ((l = tsr_label_lookup(s)) != NULL) {
		*out = *l;
		return 0;
	}
	if (s[0] != '#' || strlen(s) != 7)
		return -1;
	for (i = 1; i < 7; i++) {
		if ((v = tsr_hex_digit(s[i])) < 0)
			return -1;
		rgb = (rgb << 4) | (uint32_t)v;
	}
	out->rgb = rgb;
	tsr_label_hex(rgb, out->name, sizeof(out->name));
	return 0;
}

char *
tsr_label_hex(uint32_t rgb, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "#%06x", (unsigned)(rgb & 0xffffff));
	return buf;
}

uint32_t
tsr_label_text_rgb(uint32_t rgb)
{
	unsigned r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;

	/* ITU-R BT.601 luma, integer */
	return (299 * r + 587 * g + 114 * b) / 1000 > 150 ? 0x000000 : 0xffffff;
}
