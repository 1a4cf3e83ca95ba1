/* Recordings, frame codes and timestamps for the render-server benchmarks:
 * see rec.h. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "rec.h"

int64_t
rec_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
rec_lat_frame(struct rec_lat *l, const struct rec_times *t, uint32_t k,
    int64_t now)
{
	if (k < l->last_k || k >= t->nframes || t->t[k] == 0)
		return -1;
	if (k == l->last_k)
		return 0;
	l->last_k = k;
	if (l->seen < REC_MAX_SAMPLES)
		l->ms[l->seen] = (double)(now - t->t[k]) / 1e6;
	l->seen++;
	return 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
rec_pct(double *v, int n, double p)
{
	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1) + 0.5)];
}

void
rec_lat_print(struct rec_lat *l, uint32_t nframes, unsigned long long bytes,
    double psnr, int updates)
{
	int n = (int)nframes - 1;
	int kept = l->seen < REC_MAX_SAMPLES ? l->seen : REC_MAX_SAMPLES;

	printf(
	    "frames %d seen %d bytes %llu bpf %.0f lat_med %.1f lat_p95 %.1f "
	    "psnr %.2f updates %d\n",
	    n, l->seen, bytes, (double)bytes / n, rec_pct(l->ms, kept, 0.5),
	    rec_pct(l->ms, kept, 0.95), psnr, updates);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int
rec_open(struct rec *r, const char *path)
{
	struct stat st;
	int fd;

	memset(r, 0, sizeof(*r));
	r->idx = -1;
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_size < 24) {
		close(fd);
		return -1;
	}
	r->size = (size_t)st.st_size;
	r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -1;
	}
	if (memcmp(r->map, REC_MAGIC, 8) != 0)
		goto bad;
	r->w = get32(r->map + 8);
	r->h = get32(r->map + 12);
	r->n = get32(r->map + 16);
	r->fps = get32(r->map + 20);
	if (r->w == 0 || r->h == 0 || r->w > REC_MAX_DIM || r->h > REC_MAX_DIM)
		goto bad;
	r->off = 24;
	r->cur = calloc((size_t)r->w * r->h, 4);
	r->tmp = malloc((size_t)r->w * r->h * 4);
	if (r->cur == NULL || r->tmp == NULL)
		goto bad;
	return 0;
bad:
	rec_close(r);
	errno = EINVAL;
	return -1;
}

int
rec_next(struct rec *r)
{
	uLongf len = (uLongf)r->w * r->h * 4;
	uint32_t clen, scene, *d;
	size_t i, n = (size_t)r->w * r->h;

	if (r->idx + 1 >= (int)r->n || r->size - r->off < 8)
		return -1;
	scene = get32(r->map + r->off);
	clen = get32(r->map + r->off + 4);
	if (clen > r->size - r->off - 8)
		return -1;
	if (uncompress(r->tmp, &len, r->map + r->off + 8, clen) != Z_OK ||
	    len != (uLongf)n * 4)
		return -1;
	d = (uint32_t *)(void *)r->tmp;
	for (i = 0; i < n; i++)
		r->cur[i] ^= d[i];
	r->off += 8 + clen;
	r->idx++;
	r->scene = scene;
	return 0;
}

int
rec_seek(struct rec *r, int k)
{
	if (k < 0 || k >= (int)r->n)
		return -1;
	if (k < r->idx) {
		r->off = 24;
		r->idx = -1;
		memset(r->cur, 0, (size_t)r->w * r->h * 4);
	}
	while (r->idx < k)
		if (rec_next(r) == -1)
			return -1;
	return 0;
}

void
rec_close(struct rec *r)
{
	if (r->map)
		munmap(r->map, r->size);
	free(r->cur);
	free(r->tmp);
	memset(r, 0, sizeof(*r));
}

static int
put32(FILE *f, uint32_t v)
{
	return fwrite(&v, 4, 1, f) == 1 ? 0 : -1;
}

int
rec_create(struct rec_writer *wr, const char *path, uint32_t w, uint32_t h,
    uint32_t fps)
{
	memset(wr, 0, sizeof(*wr));
	if (w == 0 || h == 0 || w > REC_MAX_DIM || h > REC_MAX_DIM)
		return -1;
	wr->w = w;
	wr->h = h;
	wr->tmpsz = compressBound((uLong)w * h * 4);
	wr->prev = calloc((size_t)w * h, 4);
	wr->tmp = malloc(wr->tmpsz + (size_t)w * h * 4);
	if (wr->prev == NULL || wr->tmp == NULL ||
	    (wr->f = fopen(path, "wb")) == NULL) {
		free(wr->prev);
		free(wr->tmp);
		return -1;
	}
	if (fwrite(REC_MAGIC, 8, 1, wr->f) != 1 || put32(wr->f, w) ||
	    put32(wr->f, h) || put32(wr->f, 0) || put32(wr->f, fps))
		return -1;
	return 0;
}

int
rec_add(struct rec_writer *wr, const uint32_t *pix, uint32_t scene)
{
	size_t i, n = (size_t)wr->w * wr->h;
	uint32_t *x = (uint32_t *)(void *)(wr->tmp + wr->tmpsz);
	uLongf len = wr->tmpsz;

	for (i = 0; i < n; i++) {
		x[i] = (pix[i] & 0xffffffu) ^ wr->prev[i];
		wr->prev[i] = pix[i] & 0xffffffu;
	}
	if (compress2(wr->tmp, &len, (const Bytef *)x, (uLong)n * 4, 1) != Z_OK)
		return -1;
	if (put32(wr->f, scene) || put32(wr->f, (uint32_t)len) ||
	    fwrite(wr->tmp, 1, len, wr->f) != len)
		return -1;
	wr->n++;
	return 0;
}

int
rec_finish(struct rec_writer *wr)
{
	int rc = 0;

	if (fseek(wr->f, 16, SEEK_SET) == -1 || put32(wr->f, wr->n))
		rc = -1;
	if (fclose(wr->f) == EOF)
		rc = -1;
	free(wr->prev);
	free(wr->tmp);
	return rc;
}

void
rec_code_stamp(uint32_t *pix, size_t stride, int x, int y, uint32_t k)
{
	int i, row, col;
	uint32_t bit, v;

	for (i = 0; i < REC_CODE_BITS; i++) {
		bit = k >> (REC_CODE_BITS - 1 - i) & 1;
		for (row = 0; row < REC_CODE_H; row++) {
			v = (row < REC_CODE_B ? bit : !bit) ? 0xffffffu : 0;
			for (col = 0; col < REC_CODE_B; col++)
				pix[(size_t)(y + row) * stride + x +
				    i * REC_CODE_B + col] = v;
		}
	}
}

/* the mean of a block's inner pixels, thresholded at mid-grey */
static int
block_bit(const uint32_t *pix, size_t stride, int x, int y)
{
	int row, col, sum = 0;
	uint32_t v;

	for (row = 2; row < REC_CODE_B - 2; row++)
		for (col = 2; col < REC_CODE_B - 2; col++) {
			v = pix[(size_t)(y + row) * stride + x + col];
			sum += (int)(v & 0xff) + (int)(v >> 8 & 0xff) +
			    (int)(v >> 16 & 0xff);
		}
	return sum > 384 * (REC_CODE_B - 4) * (REC_CODE_B - 4);
}

int
rec_code_read(const uint32_t *pix, size_t stride, int w, int h, int x, int y,
    uint32_t *k)
{
	uint32_t a = 0, b = 0;
	int i;

	if (x < 0 || y < 0 || x + REC_CODE_W > w || y + REC_CODE_H > h)
		return -1;
	for (i = 0; i < REC_CODE_BITS; i++) {
		a = a << 1 |
		    (uint32_t)block_bit(pix, stride, x + i * REC_CODE_B, y);
		b = b << 1 |
		    (uint32_t)block_bit(pix, stride, x + i * REC_CODE_B,
			y + REC_CODE_B);
	}
	if ((a ^ b) != (1u << REC_CODE_BITS) - 1)
		return -1;
	*k = a;
	return 0;
}

struct rec_times *
rec_times_map(const char *path, uint32_t nframes, int create)
{
	struct rec_times *t;
	struct stat st;
	size_t size;
	int fd;

	if (create) {
		size = sizeof(*t) + (size_t)nframes * sizeof(int64_t);
		if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) == -1)
			return NULL;
		if (ftruncate(fd, (off_t)size) == -1) {
			close(fd);
			return NULL;
		}
	} else {
		if ((fd = open(path, O_RDONLY)) == -1)
			return NULL;
		if (fstat(fd, &st) == -1 || (size_t)st.st_size < sizeof(*t)) {
			close(fd);
			return NULL;
		}
		size = (size_t)st.st_size;
	}
	t = mmap(NULL, size, create ? PROT_READ | PROT_WRITE : PROT_READ,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (t == MAP_FAILED)
		return NULL;
	if (create) {
		t->nframes = nframes;
		t->magic = REC_TIMES_MAGIC;
	} else if (t->magic != REC_TIMES_MAGIC ||
	    size < sizeof(*t) + (size_t)t->nframes * sizeof(int64_t)) {
		munmap(t, size);
		return NULL;
	}
	return t;
}

#define TILE 64

int
rec_diff(const uint32_t *a, const uint32_t *b, int w, int h,
    struct rec_rect *out, int max)
{
	int tx, ty, ntx = (w + TILE - 1) / TILE, n = 0, run = -1, y, tw, th;
	int changed;

	for (ty = 0; ty * TILE < h; ty++) {
		th = h - ty * TILE < TILE ? h - ty * TILE : TILE;
		run = -1;
		for (tx = 0; tx <= ntx; tx++) {
			changed = 0;
			if (tx < ntx) {
				tw =
				    w - tx * TILE < TILE ? w - tx * TILE : TILE;
				for (y = ty * TILE;
				     y < ty * TILE + th && !changed; y++)
					changed =
					    memcmp(a + (size_t)y * w +
						    tx * TILE,
						b + (size_t)y * w + tx * TILE,
						(size_t)tw * 4) != 0;
			}
			if (changed && run == -1)
				run = tx;
			if (!changed && run != -1) {
				if (n == max) {
					out[0] =
					    (struct rec_rect){ 0, 0, w, h };
					return 1;
				}
				out[n].x = run * TILE;
				out[n].y = ty * TILE;
				out[n].w = (tx * TILE > w ? w : tx * TILE) -
				    run * TILE;
				out[n].h = th;
				/* the same run as the row above: grow that one */
				if (n > 0 && out[n - 1].x == out[n].x &&
				    out[n - 1].w == out[n].w &&
				    out[n - 1].y + out[n - 1].h == out[n].y)
					out[n - 1].h += th;
				else
					n++;
				run = -1;
			}
		}
	}
	return n;
}

double
rec_psnr(const uint8_t *fb, size_t stride, int ox, int oy, const uint32_t *src,
    int w, int h)
{
	double se = 0;
	long n = 0;
	int x, y, c, d;
	uint32_t a, b;

	for (y = 0; y < h; y += 2)
		for (x = y < REC_CODE_H ? REC_CODE_W : 0; x < w; x++) {
			memcpy(&a,
			    fb + (size_t)(y + oy) * stride +
				(size_t)(x + ox) * 4,
			    4);
			b = src[(size_t)y * w + x];
			for (c = 0; c < 24; c += 8) {
				d = (int)(a >> c & 0xff) - (int)(b >> c & 0xff);
				se += d * d;
			}
			n += 3;
		}
	return se == 0 ? 99 : 10 * log10(255.0 * 255 * n / se);
}

void
rec_quality_frame(struct rec_quality *q, double psnr, int is_new)
{
	if (is_new && q->have) {
		q->sum += q->pending;
		q->n++;
	}
	q->pending = psnr;
	q->have = 1;
}

double
rec_quality_mean(struct rec_quality *q)
{
	rec_quality_frame(q, 0, 1);
	q->have = 0;
	return q->n ? q->sum / q->n : 0;
}
