/*
 * Binary PPM (P6, 8 bits a channel) screenshots, as xwd | convert and
 * import write them, read by the test checkers.
 */
#ifndef TSR_PPM_H
#define TSR_PPM_H

#include <stdint.h>

/* The pixels as 0x00RRGGBB, row by row (free them), and the size; NULL
 * if the file is not such a PPM of at most 16384 x 16384. */
uint32_t *tsr_ppm_read(const char *path, int *w, int *h);

#endif
