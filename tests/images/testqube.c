/*
 * testqube: the program a Tessera test qube runs.
 *
 * Draws the picture of pattern.h on the qube's display through DRM/KMS dumb
 * buffers (two buffers and page flips, or one buffer and DIRTYFB), echoes
 * keys typed on any keyboard and follows an absolute pointer (tablet), and
 * animates the frame counter at tessera.fps frames per second.  Talks to the
 * test harness through the serial console:
 *
 *   TESSERA-QUBE-READY <W>x<H> driver=<name> present=<flip|dirty> fps=<n>
 *       once the first frame is on the display;
 *   TESSERA-QUBE-MODE <W>x<H>
 *       each time it follows a new preferred mode of its display (see below);
 *   TESSERA-QUBE-ERROR: <what>
 *       when it gives up (the init script then powers the qube off).
 *
 * Options (kernel command line, read from /proc/cmdline):
 *   tessera.fps=N          frames per second of the counter, 0 = static (default 10)
 *   tessera.size=WxH       mode to set, kept; "preferred" (the default): the
 *                          connector's preferred mode, followed when it changes
 *   tessera.spoof=COLOUR   draw a fake trust frame in COLOUR (label name or #rrggbb)
 *   tessera.title=TEXT     the fake frame's title (quote it if it has spaces)
 *   tessera.scroll=N       move the gradient N px per frame (large damage)
 *   tessera.present=flip|dirty   page flips (default) or DIRTYFB on one buffer
 *   tessera.debug=1        log input events on the console
 *
 * Without tessera.size the display follows its preferred mode: when the host
 * changes it (virtio-gpu turns a display size request of the host's VNC
 * client into a hotplug event and a new EDID), the kernel sends a uevent;
 * testqube listens for uevents of the drm subsystem and also probes the
 * connector every DISPLAY_SCAN_MS in case one is missed, then sets the new
 * preferred mode on new buffers and draws the whole picture again.
 *
 * No libdrm: the few ioctls it needs are called directly, so the program
 * links statically with nothing but libc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <linux/input.h>
#include <linux/netlink.h>

#include "pattern.h"

#define MAX_INPUTS 16
#define MAX_MODES 128
#define CARD "/dev/dri/card0"
#define CARD_WAIT_MS 15000
#define RESCAN_MS 2000
#define INPUT_WAIT_MS 3000 /* for a keyboard and a tablet before READY */
#define FLIP_TIMEOUT_MS 5000
#define DISPLAY_SCAN_MS 2000 /* probe the connector for a new preferred mode */

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
	int valid;             /* drawn holds what the buffer shows */
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
	int uevent_fd;         /* kernel uevents (netlink), or -1 */
	int mode_check;        /* look for a new preferred mode when no flip is pending */
	int refused_w, refused_h; /* a preferred mode not followed (said once) */
	struct pat_state st;
	struct input in[MAX_INPUTS];
	int nin;
	unsigned modkeys; /* bit per modifier key held (left/right separately) */
};

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((noreturn))
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	printf("TESSERA-QUBE-ERROR: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", strerror(e));
	fflush(stdout);
	exit(1);
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));
	return r;
}

/* ---- options ---- */

static void
set_option(struct options *o, const char *key, const char *val)
{
	char *end;
	long n;

	if (strcmp(key, "tessera.fps") == 0) {
		n = strtol(val, &end, 10);
		if (*end == '\0' && n >= 0 && n <= 1000)
			o->fps = (int)n;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.fps");
	} else if (strcmp(key, "tessera.size") == 0) {
		int w, h;
		char x;
		if (strcmp(val, "preferred") == 0)
			o->want_w = o->want_h = 0;
		else if (sscanf(val, "%d%c%d", &w, &x, &h) == 3 && x == 'x' && w >= PAT_MIN_W &&
		    w <= PAT_MAX_W && h >= PAT_MIN_H && h <= PAT_MAX_H) {
			o->want_w = w;
			o->want_h = h;
		} else
			say("TESSERA-QUBE-WARNING: bad tessera.size");
	} else if (strcmp(key, "tessera.spoof") == 0) {
		if (pat_parse_colour(val, &o->pat.spoof_rgb) == 0)
			o->pat.spoof = 1;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.spoof");
	} else if (strcmp(key, "tessera.title") == 0) {
		snprintf(o->pat.title, sizeof(o->pat.title), "%s", val);
	} else if (strcmp(key, "tessera.scroll") == 0) {
		n = strtol(val, &end, 10);
		if (*end == '\0' && n >= 0 && n <= 4096)
			o->pat.scroll = (int)n;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.scroll");
	} else if (strcmp(key, "tessera.present") == 0) {
		if (strcmp(val, "dirty") == 0)
			o->present_dirty = 1;
		else if (strcmp(val, "flip") == 0)
			o->present_dirty = 0;
		else
			say("TESSERA-QUBE-WARNING: bad tessera.present");
	} else if (strcmp(key, "tessera.debug") == 0) {
		o->debug = atoi(val);
	}
}

/* Split the kernel command line the way the kernel does: words separated by
 * spaces, double quotes group (and are removed). */
static void
parse_cmdline(struct options *o, char *p)
{
	char word[512];

	while (*p) {
		size_t n = 0;
		int quoted = 0;
		char *eq;

		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (*p && (quoted || (*p != ' ' && *p != '\n' && *p != '\t'))) {
			if (*p == '"')
				quoted = !quoted;
			else if (n + 1 < sizeof(word))
				word[n++] = *p;
			p++;
		}
		word[n] = '\0';
		if ((eq = strchr(word, '=')) != NULL) {
			*eq = '\0';
			set_option(o, word, eq + 1);
		}
	}
}

static void
read_options(struct options *o)
{
	char line[4096];
	FILE *f;

	memset(o, 0, sizeof(*o));
	o->fps = 10;
	pat_opts_init(&o->pat);
	if ((f = fopen("/proc/cmdline", "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL)
		parse_cmdline(o, line);
	fclose(f);
}

/* ---- DRM ---- */

/* The mode to set from a connector's list, into *out; 0, or -1 if none. */
static int
pick_mode(const struct qube *q, const struct drm_mode_modeinfo *modes, int n,
    struct drm_mode_modeinfo *out)
{
	const struct drm_mode_modeinfo *m = NULL;
	int i, w = q->opt.want_w, h = q->opt.want_h;

	for (i = 0; i < n && !m; i++)
		if (w && modes[i].hdisplay == w && modes[i].vdisplay == h)
			m = &modes[i];
	for (i = 0; i < n && !m && !w; i++)
		if (modes[i].type & DRM_MODE_TYPE_PREFERRED)
			m = &modes[i];
	if (!m && !w && n > 0)
		m = &modes[0];
	if (m) {
		*out = *m;
	} else if (w) {
		/* Virtual displays take any timing: make one up. */
		struct drm_mode_modeinfo *u = out;
		memset(u, 0, sizeof(*u));
		u->hdisplay = (uint16_t)w;
		u->hsync_start = (uint16_t)(w + 8);
		u->hsync_end = (uint16_t)(w + 16);
		u->htotal = (uint16_t)(w + 24);
		u->vdisplay = (uint16_t)h;
		u->vsync_start = (uint16_t)(h + 1);
		u->vsync_end = (uint16_t)(h + 2);
		u->vtotal = (uint16_t)(h + 3);
		u->vrefresh = 60;
		u->clock = (uint32_t)((uint64_t)u->htotal * u->vtotal * 60 / 1000);
		u->type = DRM_MODE_TYPE_USERDEF;
		snprintf(u->name, sizeof(u->name), "%dx%d", w, h);
	} else
		return -1;
	return 0;
}

static void
drm_setup(struct qube *q)
{
	struct drm_mode_card_res res;
	struct drm_version ver;
	uint32_t conns[32], encs[32], crtcs[32];
	int64_t deadline = now_us() + CARD_WAIT_MS * 1000;
	unsigned i;

	while ((q->fd = open(CARD, O_RDWR | O_CLOEXEC)) < 0) {
		if (now_us() > deadline)
			die("no display: cannot open %s", CARD);
		usleep(50 * 1000);
	}

	memset(&ver, 0, sizeof(ver));
	ver.name = q->driver;
	ver.name_len = sizeof(q->driver) - 1;
	if (xioctl(q->fd, DRM_IOCTL_VERSION, &ver) < 0)
		die("DRM_IOCTL_VERSION");

	memset(&res, 0, sizeof(res));
	res.connector_id_ptr = (uintptr_t)conns;
	res.count_connectors = 32;
	res.encoder_id_ptr = (uintptr_t)encs;
	res.count_encoders = 32;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.count_crtcs = 32;
	if (xioctl(q->fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
		die("DRM_IOCTL_MODE_GETRESOURCES");
	if (res.count_connectors > 32 || res.count_encoders > 32 || res.count_crtcs > 32)
		die("too many connectors/encoders/crtcs");

	for (i = 0; i < res.count_connectors && !q->conn_id; i++) {
		static struct drm_mode_modeinfo modes[MAX_MODES];
		uint32_t cencs[32];
		struct drm_mode_get_connector c;
		struct drm_mode_get_encoder e;

		memset(&c, 0, sizeof(c));
		c.connector_id = conns[i];
		if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0) /* probes */
			continue;
		if (c.connection != 1 /* connected */ || c.count_modes == 0)
			continue;
		c.modes_ptr = (uintptr_t)modes;
		c.count_modes = c.count_modes > MAX_MODES ? MAX_MODES : c.count_modes;
		c.encoders_ptr = (uintptr_t)cencs;
		c.count_encoders = c.count_encoders > 32 ? 32 : c.count_encoders;
		c.count_props = 0;
		if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
			continue;
		if (pick_mode(q, modes, (int)(c.count_modes > MAX_MODES ? MAX_MODES : c.count_modes),
		    &q->mode) < 0)
			continue;
		q->w = q->mode.hdisplay;
		q->h = q->mode.vdisplay;

		memset(&e, 0, sizeof(e));
		e.encoder_id = c.encoder_id ? c.encoder_id : (c.count_encoders ? cencs[0] : 0);
		if (e.encoder_id == 0 || xioctl(q->fd, DRM_IOCTL_MODE_GETENCODER, &e) < 0)
			continue;
		if (e.crtc_id) {
			q->crtc_id = e.crtc_id;
		} else {
			unsigned k;
			for (k = 0; k < res.count_crtcs; k++)
				if (e.possible_crtcs & (1u << k)) {
					q->crtc_id = crtcs[k];
					break;
				}
		}
		if (q->crtc_id)
			q->conn_id = conns[i];
	}
	if (!q->conn_id)
		die("no connected display with a usable mode");
}

static int
buffer_create(struct qube *q, struct buffer *b)
{
	struct drm_mode_create_dumb cd;
	struct drm_mode_fb_cmd fb;
	struct drm_mode_map_dumb md;
	struct drm_mode_destroy_dumb dd;
	void *map;

	memset(&cd, 0, sizeof(cd));
	cd.width = (uint32_t)q->w;
	cd.height = (uint32_t)q->h;
	cd.bpp = 32;
	if (xioctl(q->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd) < 0)
		return -1;
	memset(&fb, 0, sizeof(fb));
	fb.width = cd.width;
	fb.height = cd.height;
	fb.pitch = cd.pitch;
	fb.bpp = 32;
	fb.depth = 24;
	fb.handle = cd.handle;
	if (xioctl(q->fd, DRM_IOCTL_MODE_ADDFB, &fb) < 0)
		goto fail;
	memset(&md, 0, sizeof(md));
	md.handle = cd.handle;
	if (xioctl(q->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) < 0)
		goto fail_fb;
	map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd, (off_t)md.offset);
	if (map == MAP_FAILED)
		goto fail_fb;
	b->handle = cd.handle;
	b->fb_id = fb.fb_id;
	b->pitch = cd.pitch;
	b->size = cd.size;
	b->map = map;
	b->valid = 0;
	return 0;
fail_fb:
	xioctl(q->fd, DRM_IOCTL_MODE_RMFB, &fb.fb_id);
fail:
	memset(&dd, 0, sizeof(dd));
	dd.handle = cd.handle;
	xioctl(q->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	return -1;
}

static int
set_crtc(struct qube *q, struct buffer *b)
{
	struct drm_mode_crtc c;

	memset(&c, 0, sizeof(c));
	c.crtc_id = q->crtc_id;
	c.fb_id = b->fb_id;
	c.set_connectors_ptr = (uintptr_t)&q->conn_id;
	c.count_connectors = 1;
	c.mode = q->mode;
	c.mode_valid = 1;
	return xioctl(q->fd, DRM_IOCTL_MODE_SETCRTC, &c);
}

static void
dirty_fb(struct qube *q, struct buffer *b, const struct pat_rect *r, int n)
{
	struct drm_clip_rect clips[PAT_MAX_DAMAGE];
	struct drm_mode_fb_dirty_cmd d;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int x0 = r[i].x0 < 0 ? 0 : r[i].x0, y0 = r[i].y0 < 0 ? 0 : r[i].y0;
		int x1 = r[i].x1 > q->w ? q->w : r[i].x1, y1 = r[i].y1 > q->h ? q->h : r[i].y1;
		if (x0 >= x1 || y0 >= y1)
			continue;
		clips[k].x1 = (unsigned short)x0;
		clips[k].y1 = (unsigned short)y0;
		clips[k].x2 = (unsigned short)x1;
		clips[k].y2 = (unsigned short)y1;
		k++;
	}
	if (k == 0)
		return;
	memset(&d, 0, sizeof(d));
	d.fb_id = b->fb_id;
	d.num_clips = (uint32_t)k;
	d.clips_ptr = (uintptr_t)clips;
	/* Drivers that scan out of memory the host reads directly return ENOSYS. */
	if (xioctl(q->fd, DRM_IOCTL_MODE_DIRTYFB, &d) < 0 && errno != ENOSYS)
		say("TESSERA-QUBE-WARNING: DIRTYFB: %s", strerror(errno));
}

/* Bring buffer b up to the current state; returns the damage drawn. */
static int
render(struct qube *q, struct buffer *b, struct pat_rect *dmg)
{
	int n, i;

	if (!b->valid) {
		dmg[0].x0 = dmg[0].y0 = 0;
		dmg[0].x1 = q->w;
		dmg[0].y1 = q->h;
		n = 1;
	} else
		n = pat_damage(q->w, q->h, &q->opt.pat, &b->drawn, &q->st, dmg);
	for (i = 0; i < n; i++)
		pat_draw(b->map, b->pitch / 4, q->w, q->h, &q->opt.pat, &q->st, dmg[i]);
	b->drawn = q->st;
	b->valid = 1;
	return n;
}

static int
state_equal(const struct pat_state *a, const struct pat_state *b)
{
	return a->counter == b->counter && a->key == b->key && a->mods == b->mods &&
	    a->ptr_x == b->ptr_x && a->ptr_y == b->ptr_y && a->buttons == b->buttons &&
	    strcmp(a->echo, b->echo) == 0;
}

static void
present(struct qube *q)
{
	struct pat_rect dmg[PAT_MAX_DAMAGE];
	struct drm_mode_crtc_page_flip pf;
	struct buffer *b;
	int n;

	if (q->nbuf == 1) {
		b = &q->buf[0];
		n = render(q, b, dmg);
		dirty_fb(q, b, dmg, n);
		return;
	}
	b = &q->buf[!q->front];
	render(q, b, dmg);
	memset(&pf, 0, sizeof(pf));
	pf.crtc_id = q->crtc_id;
	pf.fb_id = b->fb_id;
	pf.flags = DRM_MODE_PAGE_FLIP_EVENT;
	pf.user_data = 1;
	if (ioctl(q->fd, DRM_IOCTL_MODE_PAGE_FLIP, &pf) == 0) {
		q->flip_pending = 1;
		q->flip_time = now_us();
		return;
	}
	if (errno == EBUSY) /* retry after the pending event */
		return;
	/* No page flips: present synchronously. */
	say("TESSERA-QUBE-WARNING: page flip failed (%s), using SETCRTC", strerror(errno));
	if (set_crtc(q, b) < 0)
		die("SETCRTC");
	q->front = !q->front;
}

static void
drm_events(struct qube *q)
{
	char buf[1024];
	ssize_t n, off = 0;

	n = read(q->fd, buf, sizeof(buf));
	if (n <= 0)
		return;
	while (off + (ssize_t)sizeof(struct drm_event) <= n) {
		struct drm_event ev;
		memcpy(&ev, buf + off, sizeof(ev));
		if (ev.length < sizeof(ev))
			break;
		if (ev.type == DRM_EVENT_FLIP_COMPLETE && q->flip_pending) {
			q->flip_pending = 0;
			q->front = !q->front;
		}
		off += ev.length;
	}
}

static void
buffer_destroy(struct qube *q, struct buffer *b)
{
	struct drm_mode_destroy_dumb dd;

	if (b->map == NULL)
		return;
	munmap(b->map, b->size);
	xioctl(q->fd, DRM_IOCTL_MODE_RMFB, &b->fb_id);
	memset(&dd, 0, sizeof(dd));
	dd.handle = b->handle;
	xioctl(q->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	memset(b, 0, sizeof(*b));
}

/* Probes q's connector (the kernel asks the display again); the mode
 * pick_mode chooses from its list goes to *out.  0, or -1. */
static int
probe_mode(struct qube *q, struct drm_mode_modeinfo *out)
{
	static struct drm_mode_modeinfo modes[MAX_MODES];
	struct drm_mode_get_connector c;

	memset(&c, 0, sizeof(c));
	c.connector_id = q->conn_id;
	if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
		return -1;
	if (c.connection != 1 || c.count_modes == 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.connector_id = q->conn_id;
	c.modes_ptr = (uintptr_t)modes;
	c.count_modes = MAX_MODES;
	if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
		return -1;
	return pick_mode(q, modes, (int)(c.count_modes > MAX_MODES ? MAX_MODES : c.count_modes),
	    out);
}

/*
 * Sets the connector's preferred mode if it changed (not with tessera.size):
 * new buffers of the new size, the whole picture drawn on the first, then
 * the old buffers go.  Waits for a pending page flip first.
 */
static void
follow_display(struct qube *q)
{
	struct drm_mode_modeinfo m;
	struct buffer old[2];
	struct pat_rect dmg[PAT_MAX_DAMAGE];
	int i, n, w, h;

	if (q->opt.want_w)
		return;
	if (q->flip_pending) {
		q->mode_check = 1;
		return;
	}
	q->mode_check = 0;
	if (probe_mode(q, &m) < 0)
		return;
	w = m.hdisplay;
	h = m.vdisplay;
	if (w == q->w && h == q->h)
		return;
	if (w < PAT_MIN_W || h < PAT_MIN_H || w > PAT_MAX_W || h > PAT_MAX_H) {
		if (w == q->refused_w && h == q->refused_h)
			return;
		q->refused_w = w;
		q->refused_h = h;
		say("TESSERA-QUBE-WARNING: preferred mode %dx%d is outside %dx%d..%dx%d: kept %dx%d",
		    w, h, PAT_MIN_W, PAT_MIN_H, PAT_MAX_W, PAT_MAX_H, q->w, q->h);
		return;
	}
	memcpy(old, q->buf, sizeof(old));
	memset(q->buf, 0, sizeof(q->buf));
	q->w = w;
	q->h = h;
	for (i = 0; i < q->nbuf; i++)
		if (buffer_create(q, &q->buf[i]) < 0)
			break;
	if (i < q->nbuf) {
		say("TESSERA-QUBE-WARNING: no %dx%d buffers (%s): kept %dx%d", w, h,
		    strerror(errno), q->mode.hdisplay, q->mode.vdisplay);
		while (i-- > 0)
			buffer_destroy(q, &q->buf[i]);
		memcpy(q->buf, old, sizeof(old));
		q->w = q->mode.hdisplay;
		q->h = q->mode.vdisplay;
		return;
	}
	if (q->st.ptr_x >= w)
		q->st.ptr_x = w - 1;
	if (q->st.ptr_y >= h)
		q->st.ptr_y = h - 1;
	n = render(q, &q->buf[0], dmg);
	q->mode = m;
	if (set_crtc(q, &q->buf[0]) < 0)
		die("SETCRTC %dx%d", w, h);
	dirty_fb(q, &q->buf[0], dmg, n);
	q->front = 0;
	for (i = 0; i < 2; i++)
		buffer_destroy(q, &old[i]);
	say("TESSERA-QUBE-MODE %dx%d", w, h);
}

/* Kernel uevents (no udev here): the drm subsystem's announce hotplugs. */
static int
uevent_open(void)
{
	struct sockaddr_nl sa;
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1; /* the kernel's broadcast group */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drains the uevent socket; 1 if a drm device changed. */
static int
uevent_read(int fd)
{
	char buf[4096];
	ssize_t n;
	int drm = 0;

	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		char *p = buf, *end = buf + n;

		buf[n] = '\0';
		for (; p < end; p += strlen(p) + 1)
			if (strcmp(p, "SUBSYSTEM=drm") == 0)
				drm = 1;
	}
	return drm;
}

/* ---- input ---- */

#define BITS_LONG (sizeof(long) * CHAR_BIT)
#define NLONGS(n) (((n) + BITS_LONG - 1) / BITS_LONG)
#define TEST_BIT(b, a) (((a)[(b) / BITS_LONG] >> ((b) % BITS_LONG)) & 1)

static void
input_scan(struct qube *q)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/input")) == NULL)
		return;
	while ((de = readdir(d)) != NULL && q->nin < MAX_INPUTS) {
		unsigned long evbits[NLONGS(EV_MAX + 1)];
		struct input *in;
		char path[64];
		int num, i, fd, known = 0;

		if (sscanf(de->d_name, "event%d", &num) != 1)
			continue;
		for (i = 0; i < q->nin; i++)
			known |= q->in[i].num == num;
		if (known)
			continue;
		snprintf(path, sizeof(path), "/dev/input/event%d", num);
		if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		memset(evbits, 0, sizeof(evbits));
		if (ioctl(fd, EVIOCGBIT(0, sizeof(evbits)), evbits) < 0) {
			close(fd);
			continue;
		}
		in = &q->in[q->nin++];
		memset(in, 0, sizeof(*in));
		in->fd = fd;
		in->num = num;
		if (TEST_BIT(EV_KEY, evbits)) {
			unsigned long keybits[NLONGS(KEY_MAX + 1)];
			memset(keybits, 0, sizeof(keybits));
			if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keybits)), keybits) >= 0)
				in->keys = TEST_BIT(KEY_A, keybits) && TEST_BIT(KEY_ENTER, keybits);
		}
		if (TEST_BIT(EV_ABS, evbits)) {
			struct input_absinfo ax, ay;
			if (ioctl(fd, EVIOCGABS(ABS_X), &ax) == 0 &&
			    ioctl(fd, EVIOCGABS(ABS_Y), &ay) == 0) {
				in->abs = 1;
				in->min_x = ax.minimum;
				in->max_x = ax.maximum;
				in->min_y = ay.minimum;
				in->max_y = ay.maximum;
				in->abs_x = ax.value;
				in->abs_y = ay.value;
			}
		}
		/* Keep keys away from the console (no Ctrl-Alt-Del reboot, no tty echo). */
		if (ioctl(fd, EVIOCGRAB, (void *)1) < 0)
			say("TESSERA-QUBE-WARNING: cannot grab %s", path);
		if (q->opt.debug) {
			char name[64] = "";
			ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
			say("TESSERA-QUBE-INPUT %s \"%s\"%s", path, name, in->abs ? " abs" : "");
		}
	}
	closedir(d);
}

/* US layout: unshifted and shifted character per evdev key code. */
static const char keymap[KEY_SPACE + 1][2] = {
	[KEY_1] = { '1', '!' }, [KEY_2] = { '2', '@' }, [KEY_3] = { '3', '#' },
	[KEY_4] = { '4', '$' }, [KEY_5] = { '5', '%' }, [KEY_6] = { '6', '^' },
	[KEY_7] = { '7', '&' }, [KEY_8] = { '8', '*' }, [KEY_9] = { '9', '(' },
	[KEY_0] = { '0', ')' }, [KEY_MINUS] = { '-', '_' }, [KEY_EQUAL] = { '=', '+' },
	[KEY_Q] = { 'q', 'Q' }, [KEY_W] = { 'w', 'W' }, [KEY_E] = { 'e', 'E' },
	[KEY_R] = { 'r', 'R' }, [KEY_T] = { 't', 'T' }, [KEY_Y] = { 'y', 'Y' },
	[KEY_U] = { 'u', 'U' }, [KEY_I] = { 'i', 'I' }, [KEY_O] = { 'o', 'O' },
	[KEY_P] = { 'p', 'P' }, [KEY_LEFTBRACE] = { '[', '{' }, [KEY_RIGHTBRACE] = { ']', '}' },
	[KEY_A] = { 'a', 'A' }, [KEY_S] = { 's', 'S' }, [KEY_D] = { 'd', 'D' },
	[KEY_F] = { 'f', 'F' }, [KEY_G] = { 'g', 'G' }, [KEY_H] = { 'h', 'H' },
	[KEY_J] = { 'j', 'J' }, [KEY_K] = { 'k', 'K' }, [KEY_L] = { 'l', 'L' },
	[KEY_SEMICOLON] = { ';', ':' }, [KEY_APOSTROPHE] = { '\'', '"' },
	[KEY_GRAVE] = { '`', '~' }, [KEY_BACKSLASH] = { '\\', '|' }, [KEY_Z] = { 'z', 'Z' },
	[KEY_X] = { 'x', 'X' }, [KEY_C] = { 'c', 'C' }, [KEY_V] = { 'v', 'V' },
	[KEY_B] = { 'b', 'B' }, [KEY_N] = { 'n', 'N' }, [KEY_M] = { 'm', 'M' },
	[KEY_COMMA] = { ',', '<' }, [KEY_DOT] = { '.', '>' }, [KEY_SLASH] = { '/', '?' },
	[KEY_SPACE] = { ' ', ' ' },
};

static const struct {
	unsigned code, bit;
} modkeys[] = {
	{ KEY_LEFTSHIFT, PAT_MOD_SHIFT }, { KEY_RIGHTSHIFT, PAT_MOD_SHIFT },
	{ KEY_LEFTCTRL, PAT_MOD_CTRL },   { KEY_RIGHTCTRL, PAT_MOD_CTRL },
	{ KEY_LEFTALT, PAT_MOD_ALT },     { KEY_RIGHTALT, PAT_MOD_ALT },
	{ KEY_LEFTMETA, PAT_MOD_META },   { KEY_RIGHTMETA, PAT_MOD_META },
};

static void
key_event(struct qube *q, unsigned code, int value)
{
	struct pat_state *s = &q->st;
	size_t i, n;

	if (value == 2) /* autorepeat: ignored, so the screen is deterministic */
		return;
	if (code == KEY_POWER && value) {
		/* ACPI power button (a host's "shutdown"): power off cleanly */
		say("TESSERA-QUBE-POWEROFF");
		sync();
		reboot(RB_POWER_OFF);
		return;
	}
	if (code == BTN_LEFT || code == BTN_RIGHT || code == BTN_MIDDLE) {
		unsigned bit = code == BTN_LEFT ? PAT_BTN_LEFT :
		    code == BTN_RIGHT	       ? PAT_BTN_RIGHT :
						 PAT_BTN_MIDDLE;
		if (value)
			s->buttons |= bit;
		else
			s->buttons &= ~bit;
		return;
	}
	if (code >= BTN_MISC && code < KEY_OK)
		return; /* other buttons (tablet tools, joysticks) */
	for (i = 0; i < sizeof(modkeys) / sizeof(modkeys[0]); i++) {
		if (modkeys[i].code != code)
			continue;
		if (value)
			q->modkeys |= 1u << i;
		else
			q->modkeys &= ~(1u << i);
	}
	s->mods = 0;
	for (i = 0; i < sizeof(modkeys) / sizeof(modkeys[0]); i++)
		if (q->modkeys & (1u << i))
			s->mods |= modkeys[i].bit;
	if (!value)
		return;

	s->key = code;
	n = strlen(s->echo);
	if (code == KEY_BACKSPACE) {
		if (n > 0)
			s->echo[n - 1] = '\0';
	} else if (code == KEY_ENTER || code == KEY_KPENTER) {
		memset(s->echo, 0, sizeof(s->echo));
	} else if (code < sizeof(keymap) / sizeof(keymap[0]) && keymap[code][0] &&
	    !(s->mods & (PAT_MOD_CTRL | PAT_MOD_ALT | PAT_MOD_META))) {
		if (n == PAT_ECHO_MAX) {
			memmove(s->echo, s->echo + 1, n - 1);
			n--;
		}
		s->echo[n] = keymap[code][(s->mods & PAT_MOD_SHIFT) != 0];
		s->echo[n + 1] = '\0';
	}
}

static int
input_read(struct qube *q, struct input *in)
{
	struct input_event ev[64];
	ssize_t n;
	size_t i;

	while ((n = read(in->fd, ev, sizeof(ev))) > 0) {
		for (i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			if (q->opt.debug && ev[i].type != EV_SYN && ev[i].type != EV_MSC)
				say("TESSERA-QUBE-EVENT event%d type %u code %u value %d", in->num,
				    ev[i].type, ev[i].code, ev[i].value);
			switch (ev[i].type) {
			case EV_KEY:
				key_event(q, ev[i].code, ev[i].value);
				break;
			case EV_ABS:
				if (!in->abs)
					break;
				if (ev[i].code == ABS_X) {
					in->abs_x = ev[i].value;
					in->abs_moved = 1;
				} else if (ev[i].code == ABS_Y) {
					in->abs_y = ev[i].value;
					in->abs_moved = 1;
				}
				break;
			case EV_SYN:
				if (ev[i].code == SYN_REPORT && in->abs_moved) {
					q->st.ptr_x = pat_abs_to_px(in->abs_x, in->min_x, in->max_x, q->w);
					q->st.ptr_y = pat_abs_to_px(in->abs_y, in->min_y, in->max_y, q->h);
					in->abs_moved = 0;
				}
				break;
			}
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1; /* device gone */
	return 0;
}

static void
input_drop(struct qube *q, int i)
{
	close(q->in[i].fd);
	q->in[i] = q->in[--q->nin];
}

/* ---- main loop ---- */

int
main(void)
{
	static struct qube q;
	int64_t next_tick, next_scan, next_display, period;
	int i, nfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	read_options(&q.opt);
	pat_state_init(&q.st);
	drm_setup(&q);

	q.nbuf = q.opt.present_dirty ? 1 : 2;
	for (i = 0; i < q.nbuf; i++)
		if (buffer_create(&q, &q.buf[i]) < 0) {
			if (i == 0)
				die("cannot create a %dx%d dumb buffer", q.w, q.h);
			say("TESSERA-QUBE-WARNING: one buffer only (%s): using DIRTYFB", strerror(errno));
			q.nbuf = 1;
		}
	{
		struct pat_rect dmg[PAT_MAX_DAMAGE];
		int n = render(&q, &q.buf[0], dmg);
		if (set_crtc(&q, &q.buf[0]) < 0)
			die("SETCRTC %dx%d", q.w, q.h);
		dirty_fb(&q, &q.buf[0], dmg, n);
		q.front = 0;
	}
	/* The first key must not be lost: wait (a little) for the input devices. */
	{
		int64_t until = now_us() + INPUT_WAIT_MS * 1000;
		for (;;) {
			int keys = 0, abs = 0;
			input_scan(&q);
			for (i = 0; i < q.nin; i++) {
				keys |= q.in[i].keys;
				abs |= q.in[i].abs;
			}
			if ((keys && abs) || now_us() > until)
				break;
			usleep(50 * 1000);
		}
	}
	q.uevent_fd = q.opt.want_w ? -1 : uevent_open();
	say("TESSERA-QUBE-READY %dx%d driver=%s present=%s fps=%d", q.w, q.h, q.driver,
	    q.nbuf == 2 ? "flip" : "dirty", q.opt.fps);

	period = q.opt.fps > 0 ? 1000000 / q.opt.fps : 0;
	next_scan = now_us() + RESCAN_MS * 1000;
	next_display = now_us() + DISPLAY_SCAN_MS * 1000;
	next_tick = now_us() + period;
	for (;;) {
		struct pollfd pfd[MAX_INPUTS + 2];
		int64_t t = now_us(), wait = next_scan - t;
		int n;

		if (period && next_tick - t < wait)
			wait = next_tick - t;
		if (!q.opt.want_w && next_display - t < wait)
			wait = next_display - t;
		if (q.flip_pending && q.flip_time + FLIP_TIMEOUT_MS * 1000 - t < wait)
			wait = q.flip_time + FLIP_TIMEOUT_MS * 1000 - t;
		if (wait < 0)
			wait = 0;
		pfd[0].fd = q.fd;
		pfd[0].events = POLLIN;
		for (i = 0; i < q.nin; i++) {
			pfd[i + 1].fd = q.in[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		nfd = q.nin + 1;
		if (q.uevent_fd >= 0) {
			pfd[nfd].fd = q.uevent_fd;
			pfd[nfd++].events = POLLIN;
		}
		n = poll(pfd, (nfds_t)nfd, (int)((wait + 999) / 1000));
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0 && (pfd[0].revents & POLLIN))
			drm_events(&q);
		if (n > 0 && q.uevent_fd >= 0 && pfd[nfd - 1].revents &&
		    uevent_read(q.uevent_fd))
			follow_display(&q);
		if (q.mode_check && !q.flip_pending)
			follow_display(&q);
		for (i = q.nin - 1; n > 0 && i >= 0; i--)
			if (pfd[i + 1].revents && input_read(&q, &q.in[i]) < 0)
				input_drop(&q, i);

		t = now_us();
		if (period && t >= next_tick) {
			q.st.counter++;
			next_tick += period;
			if (next_tick <= t) /* fell behind: do not catch up in a burst */
				next_tick = t + period;
		}
		if (t >= next_scan) {
			input_scan(&q);
			next_scan = t + RESCAN_MS * 1000;
		}
		if (!q.opt.want_w && t >= next_display) {
			follow_display(&q);
			next_display = t + DISPLAY_SCAN_MS * 1000;
		}
		if (q.flip_pending && t - q.flip_time > FLIP_TIMEOUT_MS * 1000) {
			say("TESSERA-QUBE-WARNING: no page flip event after %d ms", FLIP_TIMEOUT_MS);
			q.flip_pending = 0;
			q.front = !q.front;
		}
		if (!q.flip_pending && !state_equal(&q.buf[q.nbuf == 2 ? q.front : 0].drawn, &q.st))
			present(&q);
	}
}
