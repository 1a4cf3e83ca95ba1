/*
 * bench-record: records an X screen into a recording (rec.h).
 *
 *   bench-record --display :N --out FILE [--fps 15] [--frames 150]
 *   bench-record --merge OUT IN...
 *
 * The first form grabs the whole root window --frames times, --fps times a
 * second (XGetImage), into a new recording.  The second concatenates
 * recordings of the same size into one, each input becoming a scene
 * (0, 1, ...).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "rec.h"

/* the 8 most significant bits of the channel under mask */
static uint32_t
chan(unsigned long p, unsigned long mask)
{
	int bits = 0;

	if (mask == 0)
		return 0;
	while (!(mask & 1)) {
		mask >>= 1;
		p >>= 1;
	}
	for (; mask >> bits & 1; bits++)
		;
	p &= mask;
	return (uint32_t)(bits >= 8 ? p >> (bits - 8) : p << (8 - bits)) & 0xff;
}

static int
record(const char *display, const char *out, int fps, int frames)
{
	struct rec_writer wr;
	Display *dpy;
	XImage *img;
	uint32_t *pix;
	int64_t next, now;
	struct timespec ts;
	int w, h, i, x, y, nshort = 0;
	Window root;

	if ((dpy = XOpenDisplay(display)) == NULL) {
		fprintf(stderr, "bench-record: cannot open display %s\n",
		    display);
		return 1;
	}
	root = DefaultRootWindow(dpy);
	w = DisplayWidth(dpy, DefaultScreen(dpy));
	h = DisplayHeight(dpy, DefaultScreen(dpy));
	if ((pix = malloc((size_t)w * h * 4)) == NULL ||
	    rec_create(&wr, out, (uint32_t)w, (uint32_t)h, (uint32_t)fps) ==
		-1) {
		fprintf(stderr, "bench-record: cannot create %s\n", out);
		return 1;
	}
	next = rec_now_ns();
	for (i = 0; i < frames; i++) {
		img = XGetImage(dpy, root, 0, 0, (unsigned)w, (unsigned)h,
		    AllPlanes, ZPixmap);
		if (img == NULL) {
			fprintf(stderr, "bench-record: XGetImage failed\n");
			return 1;
		}
		if (img->bits_per_pixel == 32 && img->red_mask == 0xff0000 &&
		    img->green_mask == 0xff00 && img->blue_mask == 0xff) {
			for (y = 0; y < h; y++)
				memcpy(pix + (size_t)y * w,
				    img->data + (size_t)y * img->bytes_per_line,
				    (size_t)w * 4);
		} else {
			for (y = 0; y < h; y++)
				for (x = 0; x < w; x++) {
					unsigned long p = XGetPixel(img, x, y);

					pix[(size_t)y * w + x] =
					    chan(p, img->red_mask) << 16 |
					    chan(p, img->green_mask) << 8 |
					    chan(p, img->blue_mask);
				}
		}
		XDestroyImage(img);
		if (rec_add(&wr, pix, 0) == -1) {
			fprintf(stderr, "bench-record: cannot write %s\n", out);
			return 1;
		}
		next += 1000000000 / fps;
		now = rec_now_ns();
		if (now < next) {
			ts.tv_sec = (time_t)((next - now) / 1000000000);
			ts.tv_nsec = (long)((next - now) % 1000000000);
			nanosleep(&ts, NULL);
		} else {
			nshort++;
			next = now;
		}
	}
	XCloseDisplay(dpy);
	free(pix);
	if (rec_finish(&wr) == -1) {
		fprintf(stderr, "bench-record: cannot write %s\n", out);
		return 1;
	}
	printf("recorded %d frames of %dx%d at %d fps (%d late)\n", frames, w,
	    h, fps, nshort);
	return 0;
}

static int
merge(const char *out, int n, char **in)
{
	struct rec_writer wr;
	struct rec r;
	int i, frames = 0;

	for (i = 0; i < n; i++) {
		if (rec_open(&r, in[i]) == -1) {
			fprintf(stderr, "bench-record: cannot read %s\n",
			    in[i]);
			return 1;
		}
		if (i == 0 && rec_create(&wr, out, r.w, r.h, r.fps) == -1) {
			fprintf(stderr, "bench-record: cannot create %s\n",
			    out);
			return 1;
		}
		if (r.w != wr.w || r.h != wr.h) {
			fprintf(stderr,
			    "bench-record: %s is %ux%u, not %ux%u\n", in[i],
			    r.w, r.h, wr.w, wr.h);
			return 1;
		}
		while (rec_next(&r) == 0) {
			if (rec_add(&wr, r.cur, (uint32_t)i) == -1)
				return 1;
			frames++;
		}
		if (r.idx + 1 != (int)r.n) {
			fprintf(stderr, "bench-record: %s is truncated\n",
			    in[i]);
			return 1;
		}
		rec_close(&r);
	}
	if (n == 0 || rec_finish(&wr) == -1)
		return 1;
	printf("merged %d scenes, %d frames\n", n, frames);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "display", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "fps", required_argument, NULL, 'f' },
		{ "frames", required_argument, NULL, 'n' },
		{ "merge", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *display = NULL, *out = NULL, *mout = NULL;
	int ch, fps = 15, frames = 150;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			display = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			fps = atoi(optarg);
			break;
		case 'n':
			frames = atoi(optarg);
			break;
		case 'm':
			mout = optarg;
			break;
		default:
			return 2;
		}
	}
	if (mout)
		return merge(mout, argc - optind, argv + optind);
	if (display == NULL || out == NULL || fps < 1 || fps > 1000 ||
	    frames < 1 || optind != argc) {
		fprintf(stderr,
		    "usage: bench-record --display :N --out FILE "
		    "[--fps N] [--frames N] | --merge OUT IN...\n");
		return 2;
	}
	return record(display, out, fps, frames);
}
