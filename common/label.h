/*
 * Trust labels: the eight Qubes colours, plus any custom #rrggbb.
 * A label is what the host says about a qube; it is never taken from the
 * qube itself.
 */
#ifndef TSR_LABEL_H
#define TSR_LABEL_H

#include <stddef.h>
#include <stdint.h>

struct tsr_label {
	char name[8]; /* "red", ..., or "#rrggbb" */
	uint32_t rgb; /* 0x00rrggbb */
};

#define TSR_NLABELS 8

/* The built-in labels, in Qubes' order (red ... black). */
extern const struct tsr_label tsr_labels[TSR_NLABELS];

/*
 * Parse a label name ("blue", case-sensitive as in Qubes) or a custom
 * colour "#rrggbb" (hex digits, either case; stored in lower case).
 * Returns 0, or -1 for anything else.
 */
int tsr_label_parse(const char *s, struct tsr_label *out);

/* The built-in label with this name, or NULL. */
const struct tsr_label *tsr_label_lookup(const char *name);

/* Writes "#rrggbb" into buf (at least 8 bytes). */
char *tsr_label_hex(uint32_t rgb, char *buf, size_t bufsz);

/*
 * A text colour readable on this label's colour: black on light colours
 * (yellow), white on the rest.
 */
uint32_t tsr_label_text_rgb(uint32_t rgb);

#endif
