/*
 * Recordings of desktop content for the render-server benchmarks, the
 * frame code stamped into replayed frames, and the timestamp file the
 * replayer and the measuring clients share.
 *
 * A recording: a header ("TSRREC1\n", then width, height, frame count and
 * frames per second as uint32 in host order), then per frame its scene
 * number and the length of its data (uint32 each) and the data: zlib of
 * the frame XORed with the one before (the first with black).  Pixels are
 * 0x00RRGGBB.
 *
 * The frame code: frame number k in 16 blocks of REC_CODE_B pixels, white
 * for 1, most significant first, in a row at (x, y); below it a row with
 * every bit inverted.  Lossy encoders keep it readable (it is thresholded
 * at mid-grey).
 *
 * The timestamp file: struct rec_times, then one int64 per frame: when
 * the replayer put it on the screen (CLOCK_MONOTONIC, ns; 0: not yet).
 */
#ifndef TSR_BENCH_REC_H
#define TSR_BENCH_REC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REC_MAGIC "TSRREC1\n"
#define REC_CODE_B 8
#define REC_CODE_BITS 16
#define REC_CODE_W (REC_CODE_B * REC_CODE_BITS)
#define REC_CODE_H (2 * REC_CODE_B)
#define REC_MAX_DIM 4096

struct rec {
	uint8_t *map;
	size_t size, off;
	uint32_t w, h, n, fps;
	uint32_t *cur;	/* the frame decoded last */
	int idx;	/* its number, -1 before the first */
	uint32_t scene; /* its scene */
	uint8_t *tmp;
};

int rec_open(struct rec *, const char *path);
int rec_next(struct rec *);	   /* 0, or -1 at the end or on error */
int rec_seek(struct rec *, int k); /* forward, or from the start */
void rec_close(struct rec *);

struct rec_writer {
	FILE *f;
	uint32_t w, h, n;
	uint32_t *prev;
	uint8_t *tmp;
	size_t tmpsz;
};

int rec_create(struct rec_writer *, const char *path, uint32_t w, uint32_t h,
    uint32_t fps);
int rec_add(struct rec_writer *, const uint32_t *pix, uint32_t scene);
int rec_finish(struct rec_writer *);

/* pix is 0x00RRGGBB (or any byte order: only the sum of bytes counts) */
void rec_code_stamp(uint32_t *pix, size_t stride, int x, int y, uint32_t k);
int rec_code_read(const uint32_t *pix, size_t stride, int w, int h, int x,
    int y, uint32_t *k);

struct rec_times {
	uint32_t magic;
	uint32_t nframes;
	volatile uint32_t started; /* pacing has begun */
	volatile uint32_t done;	   /* the last frame is on the screen */
	volatile int64_t t[];	   /* ns */
};
#define REC_TIMES_MAGIC 0x54535254u

struct rec_times *rec_times_map(const char *path, uint32_t nframes, int create);

struct rec_rect {
	int x, y, w, h;
};
/* Rectangles covering every pixel where a and b differ (tiles of 64x64
 * merged along rows); returns how many, at most max (then one covering
 * all). */
int rec_diff(const uint32_t *a, const uint32_t *b, int w, int h,
    struct rec_rect *out, int max);

int64_t rec_now_ns(void);

/* The latency of each new frame number a measuring client read off its
 * screen: ms since the replayer showed that frame. */
#define REC_MAX_SAMPLES 100000
struct rec_lat {
	uint32_t last_k; /* the newest frame seen */
	int seen;	 /* new frames seen */
	double ms[REC_MAX_SAMPLES];
};
/* Frame k read off the screen at now (rec_now_ns): 1 if it is new (its
 * latency is kept), 0 if it is the one seen last, -1 if the replayer has
 * not shown it or it is older (a misread code). */
int rec_lat_frame(struct rec_lat *, const struct rec_times *, uint32_t k,
    int64_t now);
/* The line a measuring client prints after a replay it followed to the
 * end: frames, seen, bytes, bpf, lat_med, lat_p95, psnr, updates. */
void rec_lat_print(struct rec_lat *, uint32_t nframes, unsigned long long bytes,
    double psnr, int updates);
/* The p quantile of the n values at v (sorted in place); -1 if n is 0. */
double rec_pct(double *v, int n, double p);

/* PSNR (dB; 99 if equal) of the picture at (ox, oy) in fb (stride in
 * bytes, 32-bit pixels) against src, every other row, the code strip
 * left out. */
double rec_psnr(const uint8_t *fb, size_t stride, int ox, int oy,
    const uint32_t *src, int w, int h);

/* Collects the PSNR of each frame as it stands last, before the next
 * one replaces it (an update may bring only part of a frame). */
struct rec_quality {
	double sum, pending;
	int n, have;
};
void rec_quality_frame(struct rec_quality *, double psnr, int is_new);
double rec_quality_mean(struct rec_quality *);

#endif
