/* The monotonic clock, in the units the programs count in. */
#ifndef TSR_CLOCK_H
#define TSR_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
uint64_t tsr_mono_ms(void);

/* Microseconds since the same start. */
uint64_t tsr_mono_us(void);

#endif
