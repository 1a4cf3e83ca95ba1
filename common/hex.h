/* Lower-case hexadecimal, for tickets, serials and fingerprints. */
#ifndef TSR_HEX_H
#define TSR_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int tsr_hex_digit(char c);

/* n bytes as 2n lower-case hex digits and a NUL into out (2n+1 bytes). */
char *tsr_hex_encode(const void *p, size_t n, char *out);

/*
 * Exactly 2n hex digits (either case) at s, then the end of s, into n
 * bytes at out: 0, or -1 (out may be partly written).
 */
int tsr_hex_decode(const char *s, void *out, size_t n);

#endif
