/*
 * What the files of testqube share: testqube.c holds the options, the
 * main loop and the console messages, testqube_drm.c the display
 * (DRM/KMS dumb buffers, page flips or DIRTYFB, following the preferred
 * mode), testqube_input.c the keyboards and the tablet.
 */
#ifndef TESTQUBE_H
#define TESTQUBE_H

#include <stdint.h>

#include <drm.h>
#include <drm_mode.h>

#include "pattern.h"

#define MAX_INPUTS 16

struct options {
	int fps;
	int want_w, want_h;
	int present_dirty;
	int debug;
	struct pat_opts pat;
};

struct input {
	int fd;
	int num; /* N of /dev/input/eventN */
	int abs;
	int keys; /* has letter keys: a keyboard */
	long min_x, max_x, min_y, max_y;
	long abs_x, abs_y;
	int abs_moved;
};

struct buffer {
	uint32_t handle, fb_id, pitch;
	uint64_t size;
	uint32_t *map;
	int valid; /* drawn holds what the buffer shows */
	struct pat_state drawn;
};

struct qube {
	struct options opt;
	int fd;
	char driver[32];
	uint32_t conn_id, crtc_id;
	struct drm_mode_modeinfo mode;
	int w, h;
	struct buffer buf[2];
	int nbuf;
	int front;
	int flip_pending;
	int64_t flip_time;
	int uevent_fd; /* kernel uevents (netlink), or -1 */
	int mode_check; /* look for a new preferred mode when no flip is pending */
	int refused_w,
	    refused_h; /* a preferred mode not followed (said once) */
	struct pat_state st;
	struct input in[MAX_INPUTS];
	int nin;
	unsigned
	    modkeys; /* bit per modifier key held (left/right separately) */
};

/* testqube.c */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int64_t now_us(void);

/* testqube_drm.c */
void drm_setup(struct qube *q);
int buffer_create(struct qube *q, struct buffer *b);
int set_crtc(struct qube *q, struct buffer *b);
void dirty_fb(struct qube *q, struct buffer *b, const struct pat_rect *r,
    int n);
int render(struct qube *q, struct buffer *b, struct pat_rect *dmg);
int state_equal(const struct pat_state *a, const struct pat_state *b);
void present(struct qube *q);
void drm_events(struct qube *q);
void follow_display(struct qube *q);
int uevent_open(void);
int uevent_read(int fd);

/* testqube_input.c */
void input_scan(struct qube *q);
int input_read(struct qube *q, struct input *in);
void input_drop(struct qube *q, int i);

#endif
