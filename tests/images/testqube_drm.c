/*
 * testqube's display: the card's connector, CRTC and mode, dumb buffers
 * drawn with pattern.c and shown by page flips or DIRTYFB, and a new
 * preferred mode followed when the host changes it (uevents, probes).
 * No libdrm: the few ioctls it needs are called directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "testqube.h"

#define MAX_MODES 128
#define CARD "/dev/dri/card0"
#define CARD_WAIT_MS 15000

static int
xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));
	return r;
}

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
		u->clock =
		    (uint32_t)((uint64_t)u->htotal * u->vtotal * 60 / 1000);
		u->type = DRM_MODE_TYPE_USERDEF;
		snprintf(u->name, sizeof(u->name), "%dx%d", w, h);
	} else
		return -1;
	return 0;
}

void
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
	if (res.count_connectors > 32 || res.count_encoders > 32 ||
	    res.count_crtcs > 32)
		die("too many connectors/encoders/crtcs");

	for (i = 0; i < res.count_connectors && !q->conn_id; i++) {
		static struct drm_mode_modeinfo modes[MAX_MODES];
		uint32_t cencs[32];
		struct drm_mode_get_connector c;
		struct drm_mode_get_encoder e;

		memset(&c, 0, sizeof(c));
		c.connector_id = conns[i];
		if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) <
		    0) /* probes */
			continue;
		if (c.connection != 1 /* connected */ || c.count_modes == 0)
			continue;
		c.modes_ptr = (uintptr_t)modes;
		c.count_modes =
		    c.count_modes > MAX_MODES ? MAX_MODES : c.count_modes;
		c.encoders_ptr = (uintptr_t)cencs;
		c.count_encoders =
		    c.count_encoders > 32 ? 32 : c.count_encoders;
		c.count_props = 0;
		if (xioctl(q->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
			continue;
		if (pick_mode(q, modes,
			(int)(c.count_modes > MAX_MODES ? MAX_MODES :
							  c.count_modes),
			&q->mode) < 0)
			continue;
		q->w = q->mode.hdisplay;
		q->h = q->mode.vdisplay;

		memset(&e, 0, sizeof(e));
		e.encoder_id = c.encoder_id ? c.encoder_id :
					      (c.count_encoders ? cencs[0] : 0);
		if (e.encoder_id == 0 ||
		    xioctl(q->fd, DRM_IOCTL_MODE_GETENCODER, &e) < 0)
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

int
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
	map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
	    (off_t)md.offset);
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

int
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

void
dirty_fb(struct qube *q, struct buffer *b, const struct pat_rect *r, int n)
{
	struct drm_clip_rect clips[PAT_MAX_DAMAGE];
	struct drm_mode_fb_dirty_cmd d;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		int x0 = r[i].x0 < 0 ? 0 : r[i].x0,
		    y0 = r[i].y0 < 0 ? 0 : r[i].y0;
		int x1 = r[i].x1 > q->w ? q->w : r[i].x1,
		    y1 = r[i].y1 > q->h ? q->h : r[i].y1;
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
int
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
		pat_draw(b->map, b->pitch / 4, q->w, q->h, &q->opt.pat, &q->st,
		    dmg[i]);
	b->drawn = q->st;
	b->valid = 1;
	return n;
}

int
state_equal(const struct pat_state *a, const struct pat_state *b)
{
	return a->counter == b->counter && a->key == b->key &&
	    a->mods == b->mods && a->ptr_x == b->ptr_x &&
	    a->ptr_y == b->ptr_y && a->buttons == b->buttons &&
	    strcmp(a->echo, b->echo) == 0;
}

void
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
	say("TESSERA-QUBE-WARNING: page flip failed (%s), using SETCRTC",
	    strerror(errno));
	if (set_crtc(q, b) < 0)
		die("SETCRTC");
	q->front = !q->front;
}

void
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
	return pick_mode(q, modes,
	    (int)(c.count_modes > MAX_MODES ? MAX_MODES : c.count_modes), out);
}

/*
 * Sets the connector's preferred mode if it changed (not with tessera.size):
 * new buffers of the new size, the whole picture drawn on the first, then
 * the old buffers go.  Waits for a pending page flip first.
 */
void
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
		    w, h, PAT_MIN_W, PAT_MIN_H, PAT_MAX_W, PAT_MAX_H, q->w,
		    q->h);
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
		say("TESSERA-QUBE-WARNING: no %dx%d buffers (%s): kept %dx%d",
		    w, h, strerror(errno), q->mode.hdisplay, q->mode.vdisplay);
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
int
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
int
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
