/*
 * tessera-view: the trusted compositor.  Every qube the viewer may see is
 * shown in a window framed in its label colour, with a title bar naming
 * it; a black panel lists the qubes; keyboard input goes only to the
 * focused qube and the pointer only to the qube under it.  Ctrl+Alt+Home
 * (the secure attention key, never forwarded) toggles the overview, in
 * which no qube gets any input and every window shows its label.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>

#include "child.h"
#include "draw.h"
#include "host.h"
#include "label.h"
#include "log.h"
#include "proto.h"
#include "view.h"

#define PANEL_BG	0x000000u
#define DESK_BG		0x303030u
#define EMPTY_BG	0x101010u
#define PANEL_FG	0xffffffu
#define PANEL_DIM	0x9a9a9au
#define PING_MS		2000
#define HUNG_MS		10000
/*
 * A qube is asked to take its window's inside size (TV_RESIZE) once the
 * window has kept a new size for RESIZE_HOLD_MS (a drag asks when it
 * pauses or ends, not at every motion), at most once every RESIZE_GAP_MS,
 * and again whenever its decoder is new (RESIZE_READY_MS after it
 * connected, or at its first picture update: by then it has learnt whether
 * the server takes size requests).
 */
#define RESIZE_HOLD_MS	300
#define RESIZE_GAP_MS	300
#define RESIZE_READY_MS	1000

static const char usage_text[] =
"usage: tessera-view [-v] [--kiosk] [--config FILE] [--ca FILE --cert FILE\n"
"                    --key FILE] [--geometry WxH] [--scale N]\n"
"                    [--state-file FILE] [--stats N] [--protocol vnc|rdp]\n"
"                    [HOST[:PORT] | SOCKET]...\n"
"\n"
"Shows the qubes of each host's tessera-vmd, each in a frame of its\n"
"label colour.  A host is HOST[:PORT] (mutual TLS, port 7443 by default)\n"
"or the path of a local tessera-vmd's unix socket.\n"
"\n"
"  -c, --config FILE     read hosts and certificates from FILE (lines:\n"
"                        host SPEC, ca FILE, cert FILE, key FILE,\n"
"                        protocol vnc|rdp, kiosk)\n"
"      --ca FILE         the hosts' CA certificate\n"
"      --cert FILE       this viewer's client certificate\n"
"      --key FILE        its key\n"
"      --kiosk           full screen on KMS/DRM, no desktop underneath\n"
"      --geometry WxH    the window's size (default 1280x800)\n"
"      --scale N         frame and text scale (default: from the DPI)\n"
"      --state-file FILE write the layout there whenever it changes\n"
"      --stats N         every N composited frames, log the time each took\n"
"      --protocol P      vnc (default: VeNCrypt with this certificate) or\n"
"                        rdp (TLS, logging on with a ticket from the host)\n"
"      --decoder PATH    the decoder program (default: next to this one)\n"
"  -v, --verbose         more logging (twice: the libraries' too)\n"
"  -h, --help            this text\n"
"\n"
"Keys: Ctrl+Alt+Home toggles the overview (no qube gets input; Esc leaves\n"
"it too).  Click a window to focus it; drag its title bar to move it, its\n"
"bottom right corner to resize it; its buttons minimise and maximise it\n"
"(double-click on the title also maximises).  The panel at the top lists\n"
"the qubes; click one to bring it back, or its start/stop button.\n";

struct drag {
	int		 active;	/* 1 move, 2 resize */
	struct tv_qube	*q;
	int		 x0, y0;
	struct tv_rect	 win0;
};

struct panel_item {
	struct tv_qube	*q;
	char		 text[2 * TV_NAME_MAX + 24];
	struct tv_rect	 entry, button;
	int		 has_button;
	const char	*button_text;
};

static struct {
	SDL_Window	*win;
	struct tv_draw	 d;		/* the canvas: the whole screen */
	struct tv_rect	 rep[32];	/* regions to paint again */
	int		 nrep;
	int		 damaged;	/* some picture changed */
	struct tv_metrics m;
	int		 sw, sh;
	int		 kiosk;
	int		 scale;
	struct tv_host	 hosts[TV_MAX_HOSTS];
	int		 nhosts;
	struct tv_qube	 q[TV_MAX_QUBES];
	struct tv_qube	*focus;
	struct tv_qube	*pointer_q;	/* last qube that got pointer events */
	int		 overview;
	int		 sak_down;	/* swallow the SAK key's release */
	int		 buttons;	/* RFB button mask held */
	struct drag	 drag;
	int		 ztop;
	int		 dirty;
	int		 layout_dirty;
	const char	*state_file;
	char		 notice[200];
	uint64_t	 notice_at;
	uint64_t	 last_ping;
	uint64_t	 last_click;
	struct tv_qube	*last_click_q;
	struct tv_creds	 creds;
	int		 rdp;		/* displays over RDP, not VNC */
	Uint32		 wake_ev;
} v;

static volatile sig_atomic_t stop;

/*
 * The decoder watcher: a thread that polls every decoder's line and wakes
 * the main loop as soon as one has something, so a picture reaches the
 * screen without waiting for the loop's tick.  It waits until the main
 * loop has read (drained) before it polls again.
 */
static struct {
	pthread_mutex_t	 mu;
	int		 fds[TV_MAX_QUBES];
	int		 nfds;
	int		 pipe[2];	/* main loop -> watcher: the set changed */
	SDL_sem		*drained;
} wt = { .mu = PTHREAD_MUTEX_INITIALIZER, .pipe = { -1, -1 } };

static void wake(void);

static void *
watcher(void *arg)
{
	struct pollfd p[TV_MAX_QUBES + 1];
	char buf[64];
	int i, n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&wt.mu);
		n = wt.nfds;
		for (i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){ wt.fds[i], POLLIN, 0 };
		pthread_mutex_unlock(&wt.mu);
		p[0] = (struct pollfd){ wt.pipe[0], POLLIN, 0 };
		if (poll(p, (nfds_t)n + 1, -1) <= 0)
			continue;
		if (p[0].revents) {
			if (read(wt.pipe[0], buf, sizeof(buf)) == 0)
				return NULL;
			continue;
		}
		while (SDL_SemTryWait(wt.drained) == 0)
			;
		wake();
		SDL_SemWaitTimeout(wt.drained, 100);
	}
}

/* Tells the watcher which lines to poll, when they changed. */
static void
watch_decoders(void)
{
	int fds[TV_MAX_QUBES], i, n = 0, same;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (v.q[i].ctl != -1)
			fds[n++] = v.q[i].ctl;
	pthread_mutex_lock(&wt.mu);
	same = n == wt.nfds && memcmp(fds, wt.fds, n * sizeof(int)) == 0;
	if (!same) {
		memcpy(wt.fds, fds, n * sizeof(int));
		wt.nfds = n;
	}
	pthread_mutex_unlock(&wt.mu);
	if (!same && write(wt.pipe[1], "", 1) == -1 && errno != EAGAIN)
		log_warn("watcher");
	if (SDL_SemValue(wt.drained) == 0)
		SDL_SemPost(wt.drained);
}

static int
watcher_start(void)
{
	pthread_t th;

	if (pipe2(wt.pipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (wt.drained = SDL_CreateSemaphore(0)) == NULL)
		return -1;
	if (pthread_create(&th, NULL, watcher, NULL) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

/*
 * --stats N: the time of each render() (painting the changed regions and
 * copying them to the window) on the monotonic clock and in this thread's
 * CPU time; every N frames one line "stats: N frames wall mean M median D
 * max X cpu mean C ms renderer software".
 */
static struct {
	int	 every, n;
	double	*wall, *cpu;	/* ms, n of them */
} stats;

static double
ts_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
stats_add(const struct timespec *w0, const struct timespec *c0)
{
	struct timespec w1, c1;
	double wsum = 0, csum = 0;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &w1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	stats.wall[stats.n] = ts_ms(w0, &w1);
	stats.cpu[stats.n] = ts_ms(c0, &c1);
	if (++stats.n < stats.every)
		return;
	for (i = 0; i < stats.n; i++) {
		wsum += stats.wall[i];
		csum += stats.cpu[i];
	}
	qsort(stats.wall, (size_t)stats.n, sizeof(double), dcmp);
	log_info("stats: %d frames wall mean %.3f median %.3f max %.3f cpu "
	    "mean %.3f ms renderer software", stats.n, wsum / stats.n,
	    stats.wall[stats.n / 2], stats.wall[stats.n - 1], csum / stats.n);
	stats.n = 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
wake(void)
{
	SDL_Event e;

	memset(&e, 0, sizeof(e));
	e.type = v.wake_ev;
	SDL_PushEvent(&e);
}

static struct tv_rect
workspace(void)
{
	return (struct tv_rect){ 0, v.m.panel, v.sw, v.sh - v.m.panel };
}

/* A qube has a window while it runs (or is paused). */
static int
shown(const struct tv_qube *q)
{
	return q->used && (strcmp(q->info.state, "running") == 0 ||
	    strcmp(q->info.state, "paused") == 0);
}

static int
visible(const struct tv_qube *q)
{
	return shown(q) && !q->minimized;
}

static struct tv_qube *
find(int host, const char *name)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (v.q[i].used && v.q[i].host == host &&
		    strcmp(v.q[i].info.name, name) == 0)
			return &v.q[i];
	return NULL;
}

/* Qubes in a stable order: host, then name. */
static int
qcmp(const void *a, const void *b)
{
	const struct tv_qube *x = *(struct tv_qube *const *)a;
	const struct tv_qube *y = *(struct tv_qube *const *)b;

	if (x->host != y->host)
		return x->host - y->host;
	return strcmp(x->info.name, y->info.name);
}

static int
sorted(struct tv_qube **out)
{
	int i, n = 0;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (v.q[i].used)
			out[n++] = &v.q[i];
	qsort(out, (size_t)n, sizeof(out[0]), qcmp);
	return n;
}

static void
set_title(struct tv_qube *q)
{
	tv_title(q->title, sizeof(q->title), v.hosts[q->host].name,
	    q->info.name, q->info.label);
}

/* q's window changed size: ask its qube once the size holds. */
static void
send_resize(struct tv_qube *q)
{
	q->req_due = now_ms() + RESIZE_HOLD_MS;
}

/* Sends the size requests that are due (see RESIZE_HOLD_MS). */
static void
resize_requests(uint64_t now)
{
	struct tv_qube *q;
	struct tv_rect in;
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++) {
		q = &v.q[i];
		if (!q->used || !q->connected || q->fb == NULL)
			continue;
		if (q->req_dec != q->started_at) {
			/* a new decoder: ask again once it can pass it on */
			q->req_dec = q->started_at;
			q->req_ready = now + RESIZE_READY_MS;
			q->req_due = now;
		}
		if (q->req_due == 0 || now < q->req_due ||
		    now < q->req_ready || now - q->req_at < RESIZE_GAP_MS)
			continue;
		q->req_due = 0;
		if (!visible(q))
			continue;
		in = tv_inside(&v.m, q->win);
		if (in.w <= 0 || in.h <= 0 ||
		    (in.w == q->fb_w && in.h == q->fb_h))
			continue;
		tv_child_send(q, TV_RESIZE, in.w, in.h, 0);
		q->req_at = now;
		log_debug("%s: asking for %dx%d", q->info.name, in.w, in.h);
	}
}

/* Tiles every window the user has not placed. */
static void
retile(void)
{
	struct tv_qube *all[TV_MAX_QUBES], *t[TV_MAX_QUBES];
	int i, n, k = 0;

	n = sorted(all);
	for (i = 0; i < n; i++)
		if (visible(all[i]) && !all[i]->placed && !all[i]->maximized)
			t[k++] = all[i];
	for (i = 0; i < k; i++) {
		struct tv_rect w = tv_grid_cell(&v.m, workspace(), k, i);

		if (memcmp(&w, &t[i]->win, sizeof(w)) != 0) {
			t[i]->win = w;
			send_resize(t[i]);
		}
	}
	for (i = 0; i < n; i++) {
		struct tv_rect w = all[i]->win;

		if (all[i]->maximized)
			all[i]->win = workspace();
		else if (all[i]->placed)
			all[i]->win = tv_constrain(&v.m, all[i]->win,
			    workspace());
		if (all[i]->win.w != w.w || all[i]->win.h != w.h)
			send_resize(all[i]);
	}
	v.layout_dirty = 0;
	v.dirty = 1;
}

/* A canvas of the window's size; everything is painted again. */
static void
resize_canvas(void)
{
	int w, h;

	SDL_GetWindowSize(v.win, &w, &h);
	if (v.d.s != NULL && w == v.sw && h == v.sh)
		return;
	tv_draw_fini(&v.d);
	if (tv_draw_init(&v.d, w, h) == -1)
		fatalx("canvas %dx%d: %s", w, h, SDL_GetError());
	v.sw = w;
	v.sh = h;
	v.layout_dirty = 1;
	v.dirty = 1;
}

static void
raise_q(struct tv_qube *q)
{
	q->z = ++v.ztop;
}

/* Releases every key q still holds down, so none sticks. */
static void
release_keys(struct tv_qube *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nkeys_down; i++)
		tv_child_send(q, TV_KEY, 0, (int)q->keys_down[i], 0);
	q->nkeys_down = 0;
}

static void
set_focus(struct tv_qube *q)
{
	if (v.focus == q)
		return;
	release_keys(v.focus);
	v.focus = q;
	if (q != NULL)
		raise_q(q);
	v.dirty = 1;
}

static void
forget(struct tv_qube *q)
{
	if (q->pid > 0 || q->ctl != -1)
		tv_child_stop(q);
	if (v.focus == q)
		v.focus = NULL;
	if (v.pointer_q == q)
		v.pointer_q = NULL;
	if (v.drag.q == q)
		v.drag.active = 0;
	/* the pid is kept until reaped; the slot is free for a new qube
	 * only then */
	q->used = 0;
	q->ep_port = 0;
	v.layout_dirty = 1;
}

static struct tv_qube *
slot(void)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (!v.q[i].used && v.q[i].pid <= 0) {
			struct tv_qube *q = &v.q[i];

			memset(q, 0, sizeof(*q));
			q->ctl = -1;
			return q;
		}
	return NULL;
}

static void
notice(const char *fmt, const char *a, const char *b)
{
	snprintf(v.notice, sizeof(v.notice), fmt, a, b);
	v.notice_at = now_ms();
	v.dirty = 1;
}

static void
host_events(void)
{
	struct tv_ev *e, *next;
	struct tv_qube *q;
	int i;

	for (e = tv_hosts_take(); e != NULL; e = next) {
		next = e->next;
		q = find(e->host, e->info.name);
		switch (e->kind) {
		case TV_EV_QUBE:
			if (q == NULL) {
				if ((q = slot()) == NULL) {
					log_warnx("too many qubes; %s not shown",
					    e->info.name);
					break;
				}
				q->used = 1;
				q->host = e->host;
				q->z = ++v.ztop;
			}
			if (strcmp(q->info.state, e->info.state) != 0 ||
			    q->info.rgb != e->info.rgb)
				v.layout_dirty = 1;
			q->info = e->info;
			set_title(q);
			if (!shown(q) && (q->pid > 0 || q->ctl != -1)) {
				tv_child_stop(q);
				q->ep_port = 0;
			}
			v.dirty = 1;
			break;
		case TV_EV_GONE:
			if (q != NULL)
				forget(q);
			break;
		case TV_EV_ENDPOINT:
			if (q == NULL)
				break;
			if (strcmp(q->ep_host, e->ep_host) != 0 ||
			    q->ep_port != e->ep_port) {
				if (q->pid > 0)
					tv_child_stop(q);
				snprintf(q->ep_host, sizeof(q->ep_host), "%s",
				    e->ep_host);
				q->ep_port = e->ep_port;
				q->failures = 0;
				q->restart_at = 0;
			}
			/* a new ticket replaces the old one at the host */
			q->ep_rdp = v.hosts[e->host].rdp;
			memcpy(q->ep_user, e->ep_user, sizeof(q->ep_user));
			memcpy(q->ep_pass, e->ep_pass, sizeof(q->ep_pass));
			explicit_bzero(e->ep_pass, sizeof(e->ep_pass));
			v.dirty = 1;
			break;
		case TV_EV_HOST_UP:
			v.hosts[e->host].up = 1;
			v.hosts[e->host].err[0] = '\0';
			log_info("host %s: connected", v.hosts[e->host].spec);
			v.dirty = 1;
			break;
		case TV_EV_HOST_DOWN:
			if (v.hosts[e->host].up ||
			    strcmp(v.hosts[e->host].err, e->text) != 0)
				log_warnx("host %s: %s",
				    v.hosts[e->host].spec, e->text);
			v.hosts[e->host].up = 0;
			snprintf(v.hosts[e->host].err,
			    sizeof(v.hosts[e->host].err), "%s", e->text);
			for (i = 0; i < TV_MAX_QUBES; i++)
				if (v.q[i].used && v.q[i].host == e->host)
					forget(&v.q[i]);
			v.dirty = 1;
			break;
		case TV_EV_NOTICE:
			notice("%s%s", e->text, "");
			log_info("%s", e->text);
			break;
		}
		free(e);
	}
}

/* Starts decoders that are due, reads the running ones, reaps exits. */
static void
decoders(uint64_t now)
{
	struct tv_qube *q;
	pid_t pid;
	int i, st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < TV_MAX_QUBES; i++)
			if (v.q[i].pid == pid) {
				tv_child_exited(&v.q[i], st, now);
				v.dirty = 1;
			}
	for (i = 0; i < TV_MAX_QUBES; i++) {
		q = &v.q[i];
		if (!q->used)
			continue;
		if (q->ctl != -1) {
			int r = tv_child_read(q, now);

			if (r == 1 && q->req_dec == q->started_at &&
			    q->connected && q->req_ready > now)
				q->req_ready = now;	/* pictures come */
			if (r == 1)
				v.damaged = 1;
			else if (r != 0)
				v.dirty = 1;
		}
		if (q->connected && now - q->pong_at > HUNG_MS) {
			log_warnx("%s: decoder %d does not answer; stopping it",
			    q->info.name, (int)q->pid);
			tv_child_stop(q);
			v.dirty = 1;
		}
		if (q->pid <= 0 && shown(q) && q->ep_port > 0 &&
		    now >= q->restart_at &&
		    tv_child_start(q, &v.creds, now) == 0)
			v.dirty = 1;
	}
	if (now - v.last_ping >= PING_MS) {
		v.last_ping = now;
		for (i = 0; i < TV_MAX_QUBES; i++)
			if (v.q[i].used && v.q[i].connected)
				tv_child_send(&v.q[i], TV_PING, ++v.q[i].ping_seq,
				    0, 0);
	}
}

/* Asks for region r of the screen to be painted again. */
static void
repaint_add(struct tv_rect r)
{
	int i;

	r = tv_rect_clip(r, (struct tv_rect){ 0, 0, v.sw, v.sh });
	if (r.w <= 0 || r.h <= 0)
		return;
	for (i = 0; i < v.nrep; i++)
		if (tv_rect_clip(r, v.rep[i]).w > 0 &&
		    tv_rect_clip(r, v.rep[i]).h > 0) {
			/* overlapping regions merge */
			v.rep[i] = tv_rect_union(v.rep[i], r);
			return;
		}
	if (v.nrep == (int)(sizeof(v.rep) / sizeof(v.rep[0]))) {
		v.rep[0] = tv_rect_union(v.rep[0], r);
		for (i = 1; i < v.nrep; i++)
			v.rep[0] = tv_rect_union(v.rep[0], v.rep[i]);
		v.nrep = 1;
		return;
	}
	v.rep[v.nrep++] = r;
}

/* The screen region that shows q's picture damage (inside its frame). */
static void
damage_to_screen(struct tv_qube *q)
{
	struct tv_rect in = tv_inside(&v.m, q->win), c, d = q->damage, r;

	q->damage = (struct tv_rect){ 0, 0, 0, 0 };
	if (q->fb == NULL || !visible(q) || d.w <= 0 || d.h <= 0)
		return;
	c = tv_content(in, q->fb_w, q->fb_h);
	if (c.w <= 0 || c.h <= 0)
		return;
	/* scaled: the canvas pixels whose samples fall in d, and one more */
	r.x = c.x + (int)((long long)d.x * c.w / q->fb_w) - 1;
	r.y = c.y + (int)((long long)d.y * c.h / q->fb_h) - 1;
	r.w = c.x + (int)(((long long)(d.x + d.w) * c.w + q->fb_w - 1) /
	    q->fb_w) + 1 - r.x;
	r.h = c.y + (int)(((long long)(d.y + d.h) * c.h + q->fb_h - 1) /
	    q->fb_h) + 1 - r.y;
	repaint_add(tv_rect_clip(r, in));
}

static int
zcmp(const void *a, const void *b)
{
	const struct tv_qube *x = *(struct tv_qube *const *)a;
	const struct tv_qube *y = *(struct tv_qube *const *)b;

	return x->z - y->z;
}

/* Visible windows, bottom first. */
static int
stacked(struct tv_qube **out)
{
	int i, n = 0;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (visible(&v.q[i]))
			out[n++] = &v.q[i];
	qsort(out, (size_t)n, sizeof(out[0]), zcmp);
	return n;
}

static const char *
status_text(const struct tv_qube *q)
{
	if (strcmp(q->info.state, "paused") == 0)
		return "paused";
	if (q->ep_port <= 0)
		return "no display access";
	if (q->connected && q->fb != NULL)
		return NULL;
	if (q->pid > 0)
		return "connecting...";
	return "disconnected";
}

static void
draw_window(struct tv_qube *q)
{
	struct tv_rect in = tv_inside(&v.m, q->win), c, old;
	const char *st = status_text(q);
	int s = v.m.scale, pic = q->fb != NULL && q->connected;

	tv_draw_frame(&v.d, &v.m, q->win, q->info.rgb, q->title,
	    q == v.focus);
	if (in.w <= 0 || in.h <= 0)
		return;
	/* the qube's pixels: never outside the inside */
	old = tv_clip(&v.d, tv_rect_clip(in, v.d.clip));
	c = pic ? tv_content(in, q->fb_w, q->fb_h) :
	    (struct tv_rect){ in.x, in.y, 0, 0 };
	if (pic)
		tv_picture(&v.d, q->fb, q->fb_w, q->fb_h, c);
	/* around the picture */
	tv_fill(&v.d, (struct tv_rect){ c.x + c.w, in.y,
	    in.x + in.w - c.x - c.w, in.h }, EMPTY_BG);
	tv_fill(&v.d, (struct tv_rect){ in.x, c.y + c.h, c.w,
	    in.y + in.h - c.y - c.h }, EMPTY_BG);
	if (st != NULL) {
		if (pic)
			tv_shade(&v.d, in, 160);
		tv_text(&v.d, in.x + 8 * s, in.y + 8 * s, s, in.w - 16 * s,
		    st, PANEL_FG);
	}
	if (v.overview) {
		/* the label, large, over a darkened picture */
		int ts = 2 * s, tw = tv_text_width(q->title, ts);
		struct tv_rect box;

		tv_shade(&v.d, in, 200);
		box.w = tw + 16 * s;
		box.h = 16 * ts + 12 * s;
		if (box.w > in.w)
			box.w = in.w;
		box.x = in.x + (in.w - box.w) / 2;
		box.y = in.y + (in.h - box.h) / 2;
		tv_fill(&v.d, box, q->info.rgb);
		tv_text(&v.d, box.x + 8 * s, box.y + 6 * s, ts, box.w - 8 * s,
		    q->title, tsr_label_text_rgb(q->info.rgb));
	}
	tv_clip(&v.d, old);
}

static const char *
button_for(const struct tv_qube *q)
{
	if (strcmp(q->info.state, "halted") == 0)
		return "start";
	if (strcmp(q->info.state, "running") == 0 ||
	    strcmp(q->info.state, "paused") == 0)
		return "stop";
	return NULL;
}

/*
 * Lays out the panel's entries, left to right (also for clicks): name and
 * state; when they do not all fit, the names alone (the state then shows
 * as the text's brightness); *hidden says how many still did not fit.
 */
static int
panel_layout(struct panel_item *it, int compact, int *hidden)
{
	struct tv_qube *all[TV_MAX_QUBES];
	int i, n = sorted(all), k = 0, s = v.m.scale, x = 8 * s, w, bw;
	const struct tv_host *h;

	*hidden = 0;
	for (i = 0; i < n; i++) {
		struct tv_qube *q = all[i];

		h = &v.hosts[q->host];
		snprintf(it[k].text, sizeof(it[k].text), "%s%s%s%s%s%s",
		    h->name, h->name[0] ? "/" : "", q->info.name,
		    compact ? "" : " (", compact ? "" : q->info.state,
		    compact ? "" : ")");
		w = 16 * s + tv_text_width(it[k].text, s);
		it[k].q = q;
		it[k].button_text = button_for(q);
		it[k].has_button = it[k].button_text != NULL;
		bw = it[k].has_button ?
		    tv_text_width(it[k].button_text, s) + 8 * s : 0;
		if (bw > 0)
			w += 8 * s + bw;
		if (x + w > v.sw - 48 * s) {
			*hidden = n - i;
			break;
		}
		it[k].entry = (struct tv_rect){ x, 0, w, v.m.panel };
		if (bw > 0)
			it[k].button = (struct tv_rect){ x + w - bw,
			    3 * s, bw, v.m.panel - 6 * s };
		x += w + 16 * s;
		k++;
	}
	return k;
}

static int
panel_items(struct panel_item *it, int *hidden)
{
	int n = panel_layout(it, 0, hidden);

	if (*hidden > 0)
		n = panel_layout(it, 1, hidden);
	return n;
}

static void
draw_panel(uint64_t now)
{
	struct panel_item it[TV_MAX_QUBES];
	int i, hidden, n = panel_items(it, &hidden), s = v.m.scale, x, x0;
	const char *msg = NULL;
	char buf[300];

	tv_fill(&v.d, (struct tv_rect){ 0, 0, v.sw, v.m.panel }, PANEL_BG);
	for (i = 0; i < n; i++) {
		struct tv_qube *q = it[i].q;

		x = it[i].entry.x;
		/* the swatch, outlined so a black label shows too */
		tv_fill(&v.d, (struct tv_rect){ x, 4 * s, 12 * s,
		    v.m.panel - 8 * s }, q->info.rgb);
		tv_outline(&v.d, (struct tv_rect){ x, 4 * s, 12 * s,
		    v.m.panel - 8 * s }, s, PANEL_DIM);
		tv_text(&v.d, x + 16 * s, 4 * s, s, -1, it[i].text,
		    shown(q) ? PANEL_FG : PANEL_DIM);
		if (q == v.focus)
			tv_fill(&v.d, (struct tv_rect){ x + 16 * s,
			    v.m.panel - 3 * s, tv_text_width(it[i].text, s),
			    s }, PANEL_FG);
		if (it[i].has_button) {
			tv_outline(&v.d, it[i].button, s, PANEL_DIM);
			tv_text(&v.d, it[i].button.x + 4 * s,
			    it[i].button.y + (it[i].button.h - 16 * s) / 2, s,
			    -1, it[i].button_text, PANEL_FG);
		}
	}
	x0 = n > 0 ? it[n - 1].entry.x + it[n - 1].entry.w + 16 * s : 8 * s;
	if (hidden > 0) {
		snprintf(buf, sizeof(buf), "+%d", hidden);
		x0 += tv_text(&v.d, x0 - 8 * s, 4 * s, s, -1, buf, PANEL_FG);
	}
	if (v.overview)
		msg = "OVERVIEW: input to qubes is off (Ctrl+Alt+Home)";
	else if (v.notice[0] != '\0' && now - v.notice_at < 10000)
		msg = v.notice;
	else
		for (i = 0; i < v.nhosts; i++)
			if (!v.hosts[i].up && v.hosts[i].err[0] != '\0') {
				snprintf(buf, sizeof(buf), "%s: %s",
				    v.hosts[i].spec, v.hosts[i].err);
				msg = buf;
				break;
			}
	if (msg != NULL) {
		int w = tv_text_width(msg, s);

		x = v.sw - 8 * s - w;
		if (x < x0)
			x = x0;
		if (x < v.sw - 8 * s)
			tv_text(&v.d, x, 4 * s, s, v.sw - x - 8 * s, msg,
		    v.overview ? 0xffd700u : PANEL_FG);
	}
}

static void
write_state(void)
{
	struct tv_qube *all[TV_MAX_QUBES];
	char tmp[4096];
	FILE *f;
	int i, n;

	if (v.state_file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", v.state_file);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "screen %d %d panel %d border %d title %d scale %d "
	    "overview %d focus %s\n", v.sw, v.sh, v.m.panel, v.m.border,
	    v.m.title, v.m.scale, v.overview,
	    v.focus ? v.focus->info.name : "-");
	n = sorted(all);
	for (i = 0; i < n; i++) {
		struct tv_qube *q = all[i];
		struct tv_rect in = tv_inside(&v.m, q->win);
		struct tv_rect c = tv_content(in, q->fb_w, q->fb_h);

		fprintf(f, "qube %s host %d label %s rgb %06x state %s "
		    "shown %d win %d %d %d %d inside %d %d %d %d "
		    "content %d %d %d %d fb %d %d decoder %d connected %d "
		    "z %d\n", q->info.name, q->host, q->info.label,
		    q->info.rgb, q->info.state, visible(q), q->win.x, q->win.y,
		    q->win.w, q->win.h, in.x, in.y, in.w, in.h, c.x, c.y,
		    c.w, c.h, q->fb_w, q->fb_h, (int)q->pid,
		    q->connected && q->fb != NULL, q->z);
	}
	fclose(f);
	rename(tmp, v.state_file);
}

/* Paints region r of the canvas: desktop, windows bottom to top, panel. */
static void
paint(struct tv_rect r, uint64_t now)
{
	struct tv_qube *st[TV_MAX_QUBES];
	struct tv_rect old = tv_clip(&v.d, r);
	int i, n;

	tv_fill(&v.d, r, DESK_BG);
	n = stacked(st);
	for (i = 0; i < n; i++)
		if (tv_rect_clip(st[i]->win, r).w > 0 &&
		    tv_rect_clip(st[i]->win, r).h > 0)
			draw_window(st[i]);
	if (r.y < v.m.panel)
		draw_panel(now);	/* last: nothing covers it */
	tv_clip(&v.d, old);
}

/* Copies the painted regions to the window. */
static void
present(void)
{
	SDL_Surface *ws = SDL_GetWindowSurface(v.win);
	SDL_Rect rs[32], a, b;
	int i;

	if (ws == NULL) {
		log_warnx("window surface: %s", SDL_GetError());
		return;
	}
	for (i = 0; i < v.nrep; i++) {
		a = b = rs[i] = (SDL_Rect){ v.rep[i].x, v.rep[i].y,
		    v.rep[i].w, v.rep[i].h };
		SDL_BlitSurface(v.d.s, &a, ws, &b);
	}
	SDL_UpdateWindowSurfaceRects(v.win, rs, v.nrep);
	v.nrep = 0;
}

static void
render(uint64_t now)
{
	struct timespec w0, c0;
	int i;

	if (stats.every > 0) {
		clock_gettime(CLOCK_MONOTONIC, &w0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	}
	if (v.layout_dirty)
		retile();
	if (v.dirty) {
		/* anything but a picture changed: everything again */
		v.nrep = 0;
		for (i = 0; i < TV_MAX_QUBES; i++)
			v.q[i].damage = (struct tv_rect){ 0, 0, 0, 0 };
		repaint_add((struct tv_rect){ 0, 0, v.sw, v.sh });
	} else
		for (i = 0; i < TV_MAX_QUBES; i++)
			if (v.q[i].used && v.q[i].damage.w > 0)
				damage_to_screen(&v.q[i]);
	for (i = 0; i < v.nrep; i++)
		paint(v.rep[i], now);
	present();
	if (stats.every > 0)
		stats_add(&w0, &c0);
	if (v.dirty)
		write_state();
	v.dirty = 0;
	v.damaged = 0;
}

/* Tells each decoder whose news render() has shown that it may go on. */
static void
ack_decoders(void)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (v.q[i].ack_due) {
			v.q[i].ack_due = 0;
			tv_child_send(&v.q[i], TV_ACK, 0, 0, 0);
		}
}

/* The topmost visible window at (x, y). */
static struct tv_qube *
window_at(int x, int y)
{
	struct tv_qube *st[TV_MAX_QUBES];
	int n = stacked(st);

	while (n-- > 0)
		if (tv_in_rect(st[n]->win, x, y))
			return st[n];
	return NULL;
}

static void
pointer_to(struct tv_qube *q, int x, int y, int buttons)
{
	struct tv_rect c;
	int qx, qy;

	/* a qube the pointer left gets its buttons released */
	if (v.pointer_q != NULL && v.pointer_q != q) {
		if (v.pointer_q->last_buttons != 0)
			tv_child_send(v.pointer_q, TV_POINTER,
			    v.pointer_q->last_px, v.pointer_q->last_py, 0);
		v.pointer_q->last_buttons = 0;
		v.pointer_q = NULL;
	}
	if (q == NULL || v.overview || q->fb == NULL)
		return;
	c = tv_content(tv_inside(&v.m, q->win), q->fb_w, q->fb_h);
	if (tv_to_qube(c, q->fb_w, q->fb_h, x, y, &qx, &qy) == -1) {
		if (v.pointer_q == q && q->last_buttons != 0)
			tv_child_send(q, TV_POINTER, q->last_px, q->last_py, 0);
		q->last_buttons = 0;
		v.pointer_q = NULL;
		return;
	}
	tv_child_send(q, TV_POINTER, qx, qy, buttons);
	q->last_px = qx;
	q->last_py = qy;
	q->last_buttons = buttons;
	v.pointer_q = q;
}

static void
toggle_max(struct tv_qube *q)
{
	if (q->maximized) {
		q->maximized = 0;
		q->win = q->restore;
	} else {
		q->restore = q->win;
		q->maximized = 1;
		q->win = workspace();
	}
	send_resize(q);
	v.layout_dirty = 1;
}

static void
panel_click(int x, int y)
{
	struct panel_item it[TV_MAX_QUBES];
	int i, hidden, n = panel_items(it, &hidden);

	for (i = 0; i < n; i++) {
		struct tv_qube *q = it[i].q;

		if (!tv_in_rect(it[i].entry, x, y))
			continue;
		if (it[i].has_button && tv_in_rect(it[i].button, x, y)) {
			const char *m = strcmp(it[i].button_text, "start") ==
			    0 ? "vm.start" : "vm.shutdown";

			notice("%s %s...", m, q->info.name);
			tv_host_command(&v.hosts[q->host], q->host, m,
			    q->info.name);
			return;
		}
		if (q->minimized) {
			q->minimized = 0;
			v.layout_dirty = 1;
		}
		if (shown(q))
			set_focus(q);
		return;
	}
}

static void
mouse_down(const SDL_MouseButtonEvent *b)
{
	struct tv_qube *q;
	enum tv_part part;
	uint64_t now = now_ms();

	if (b->y < v.m.panel) {
		if (b->button == SDL_BUTTON_LEFT)
			panel_click(b->x, b->y);
		return;
	}
	if ((q = window_at(b->x, b->y)) == NULL)
		return;
	set_focus(q);
	part = tv_hit(&v.m, q->win, b->x, b->y);
	if (v.overview)
		return;		/* the overview only chooses the focus */
	if (part == TV_PART_CONTENT) {
		pointer_to(q, b->x, b->y, v.buttons);
		return;
	}
	if (b->button != SDL_BUTTON_LEFT)
		return;
	switch (part) {
	case TV_PART_CLOSE_MIN:
		q->minimized = 1;
		if (v.focus == q)
			set_focus(NULL);
		v.layout_dirty = 1;
		break;
	case TV_PART_MAX:
		toggle_max(q);
		break;
	case TV_PART_TITLE:
		if (v.last_click_q == q && now - v.last_click < 400) {
			toggle_max(q);
			v.last_click_q = NULL;
			break;
		}
		v.last_click = now;
		v.last_click_q = q;
		if (q->maximized)
			break;
		v.drag = (struct drag){ 1, q, b->x, b->y, q->win };
		break;
	case TV_PART_RESIZE:
		if (q->maximized)
			break;
		v.drag = (struct drag){ 2, q, b->x, b->y, q->win };
		break;
	default:
		break;
	}
}

static void
mouse_drag(int x, int y)
{
	struct tv_qube *q = v.drag.q;
	struct tv_rect w = v.drag.win0;

	if (v.drag.active == 1) {
		w.x += x - v.drag.x0;
		w.y += y - v.drag.y0;
	} else {
		w.w += x - v.drag.x0;
		w.h += y - v.drag.y0;
	}
	w = tv_constrain(&v.m, w, workspace());
	if (w.w != q->win.w || w.h != q->win.h)
		send_resize(q);
	q->win = w;
	q->placed = 1;
	v.dirty = 1;
}

static int
rfb_button(int sdl)
{
	switch (sdl) {
	case SDL_BUTTON_LEFT:	return 1;
	case SDL_BUTTON_MIDDLE:	return 2;
	case SDL_BUTTON_RIGHT:	return 4;
	default:		return 0;
	}
}

/* An SDL key to the X keysym RFB wants (a US layout for shifted keys). */
static unsigned
keysym(const SDL_Keysym *k)
{
	static const char shifted_from[] = "`1234567890-=[]\\;',./";
	static const char shifted_to[] = "~!@#$%^&*()_+{}|:\"<>?";
	SDL_Keycode c = k->sym;
	int shift = (k->mod & KMOD_SHIFT) != 0;
	const char *p;

	if (c >= 'a' && c <= 'z') {
		if (shift != ((k->mod & KMOD_CAPS) != 0))
			return (unsigned)(c - 'a' + 'A');
		return (unsigned)c;
	}
	if (c >= 0x20 && c < 0x7f) {
		if (shift && (p = strchr(shifted_from, (int)c)) != NULL)
			return (unsigned char)shifted_to[p - shifted_from];
		return (unsigned)c;
	}
	if (c >= SDLK_F1 && c <= SDLK_F12)
		return 0xffbe + (unsigned)(c - SDLK_F1);
	switch (c) {
	case SDLK_RETURN:	return 0xff0d;
	case SDLK_KP_ENTER:	return 0xff8d;
	case SDLK_BACKSPACE:	return 0xff08;
	case SDLK_TAB:		return 0xff09;
	case SDLK_ESCAPE:	return 0xff1b;
	case SDLK_DELETE:	return 0xffff;
	case SDLK_INSERT:	return 0xff63;
	case SDLK_HOME:		return 0xff50;
	case SDLK_END:		return 0xff57;
	case SDLK_PAGEUP:	return 0xff55;
	case SDLK_PAGEDOWN:	return 0xff56;
	case SDLK_LEFT:		return 0xff51;
	case SDLK_UP:		return 0xff52;
	case SDLK_RIGHT:	return 0xff53;
	case SDLK_DOWN:		return 0xff54;
	case SDLK_LSHIFT:	return 0xffe1;
	case SDLK_RSHIFT:	return 0xffe2;
	case SDLK_LCTRL:	return 0xffe3;
	case SDLK_RCTRL:	return 0xffe4;
	case SDLK_CAPSLOCK:	return 0xffe5;
	case SDLK_LALT:		return 0xffe9;
	case SDLK_RALT:		return 0xffea;
	case SDLK_LGUI:		return 0xffeb;
	case SDLK_RGUI:		return 0xffec;
	case SDLK_MENU:		return 0xff67;
	default:		return 0;
	}
}

static int
is_sak(const SDL_KeyboardEvent *k)
{
	return k->keysym.sym == SDLK_HOME && (k->keysym.mod & KMOD_CTRL) &&
	    (k->keysym.mod & KMOD_ALT);
}

static void
key(const SDL_KeyboardEvent *k)
{
	struct tv_qube *q = v.focus;
	unsigned ks;
	int i;

	if (k->type == SDL_KEYDOWN && is_sak(k)) {
		v.sak_down = 1;
		if (!v.overview)
			release_keys(q);
		v.overview = !v.overview;
		v.dirty = 1;
		log_info("overview %s", v.overview ? "on" : "off");
		return;
	}
	if (k->keysym.sym == SDLK_HOME && v.sak_down) {
		if (k->type == SDL_KEYUP)
			v.sak_down = 0;
		return;
	}
	if (v.overview) {
		if (k->type == SDL_KEYDOWN && k->keysym.sym == SDLK_ESCAPE) {
			v.overview = 0;
			v.dirty = 1;
			log_info("overview off");
		}
		return;		/* no qube gets a key in the overview */
	}
	if (q == NULL || !visible(q) || (ks = keysym(&k->keysym)) == 0)
		return;
	if (k->type == SDL_KEYDOWN) {
		for (i = 0; i < q->nkeys_down; i++)
			if (q->keys_down[i] == ks)
				break;
		if (i == q->nkeys_down &&
		    q->nkeys_down < (int)(sizeof(q->keys_down) /
		    sizeof(q->keys_down[0])))
			q->keys_down[q->nkeys_down++] = ks;
		tv_child_send(q, TV_KEY, 1, (int)ks, 0);
	} else {
		for (i = 0; i < q->nkeys_down; i++)
			if (q->keys_down[i] == ks) {
				q->keys_down[i] = q->keys_down[--q->nkeys_down];
				break;
			}
		tv_child_send(q, TV_KEY, 0, (int)ks, 0);
	}
}

static void
event(const SDL_Event *e)
{
	struct tv_qube *q;
	int mx, my, bit;

	switch (e->type) {
	case SDL_QUIT:
		if (!v.kiosk)
			stop = 1;
		break;
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
			resize_canvas();
		if (e->window.event == SDL_WINDOWEVENT_FOCUS_LOST)
			release_keys(v.focus);
		v.dirty = 1;
		break;
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		key(&e->key);
		break;
	case SDL_MOUSEBUTTONDOWN:
		if ((bit = rfb_button(e->button.button)) != 0)
			v.buttons |= bit;
		mouse_down(&e->button);
		break;
	case SDL_MOUSEBUTTONUP:
		if ((bit = rfb_button(e->button.button)) != 0)
			v.buttons &= ~bit;
		if (v.drag.active) {
			if (e->button.button == SDL_BUTTON_LEFT) {
				if (v.drag.active == 2)
					send_resize(v.drag.q);
				v.drag.active = 0;
			}
			break;
		}
		q = window_at(e->button.x, e->button.y);
		pointer_to(q, e->button.x, e->button.y, v.buttons);
		break;
	case SDL_MOUSEMOTION:
		if (v.drag.active) {
			mouse_drag(e->motion.x, e->motion.y);
			break;
		}
		q = e->motion.y >= v.m.panel ?
		    window_at(e->motion.x, e->motion.y) : NULL;
		pointer_to(q, e->motion.x, e->motion.y, v.buttons);
		break;
	case SDL_MOUSEWHEEL:
		SDL_GetMouseState(&mx, &my);
		q = window_at(mx, my);
		if (q == NULL || e->wheel.y == 0)
			break;
		bit = e->wheel.y > 0 ? 8 : 16;
		pointer_to(q, mx, my, v.buttons | bit);
		pointer_to(q, mx, my, v.buttons);
		break;
	default:
		break;
	}
}

static int
add_host(const char *spec)
{
	struct tv_host *h;

	if (v.nhosts == TV_MAX_HOSTS) {
		log_warnx("at most %d hosts", TV_MAX_HOSTS);
		return -1;
	}
	if (*spec == '\0' || strlen(spec) >= sizeof(h->spec)) {
		log_warnx("bad host: %s", spec);
		return -1;
	}
	h = &v.hosts[v.nhosts++];
	snprintf(h->spec, sizeof(h->spec), "%s", spec);
	return 0;
}

static char *
keep(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

static int
set_protocol(const char *s)
{
	if (strcmp(s, "vnc") != 0 && strcmp(s, "rdp") != 0) {
		log_warnx("protocol %s: want vnc or rdp", s);
		return -1;
	}
	v.rdp = strcmp(s, "rdp") == 0;
	return 0;
}

static int
read_config(const char *path)
{
	char line[1024], *k, *val, *end;
	FILE *f;
	int n = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if ((end = strchr(line, '#')) != NULL)
			*end = '\0';
		k = line + strspn(line, " \t\r\n");
		if (*k == '\0')
			continue;
		val = k + strcspn(k, " \t\r\n");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		val[strcspn(val, " \t\r\n")] = '\0';
		if (strcmp(k, "kiosk") == 0 && *val == '\0')
			v.kiosk = 1;
		else if (*val == '\0')
			goto bad;
		else if (strcmp(k, "host") == 0) {
			if (add_host(val) == -1)
				goto bad;
		} else if (strcmp(k, "ca") == 0)
			v.creds.ca = keep(val);
		else if (strcmp(k, "cert") == 0)
			v.creds.cert = keep(val);
		else if (strcmp(k, "key") == 0)
			v.creds.key = keep(val);
		else if (strcmp(k, "protocol") == 0) {
			if (set_protocol(val) == -1)
				goto bad;
		} else
			goto bad;
	}
	fclose(f);
	return 0;
bad:
	log_warnx("%s:%d: not understood", path, n);
	fclose(f);
	return -1;
}

/* Host names in titles: only when there is more than one host. */
static void
name_hosts(void)
{
	int i;
	size_t n;

	for (i = 0; i < v.nhosts && v.nhosts > 1; i++) {
		struct tv_host *h = &v.hosts[i];

		if (h->spec[0] == '/') {
			snprintf(h->name, sizeof(h->name), "local");
			continue;
		}
		n = strcspn(h->spec, ":");
		if (h->spec[0] == '[')
			n = strcspn(h->spec, "]") + 1;
		if (n >= sizeof(h->name))
			n = sizeof(h->name) - 1;
		memcpy(h->name, h->spec, n);
		h->name[n] = '\0';
	}
	for (i = 0; i < v.nhosts; i++) {
		v.hosts[i].ca = v.creds.ca;
		v.hosts[i].cert = v.creds.cert;
		v.hosts[i].key = v.creds.key;
		v.hosts[i].rdp = v.rdp;
	}
}

static const char *
decoder_path(void)
{
	static char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 64);
	char *slash;

	if (n <= 0)
		return "tessera-view-decoder";
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return "tessera-view-decoder";
	strcpy(slash + 1, "tessera-view-decoder");
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 1 },
		{ "cert", required_argument, NULL, 2 },
		{ "key", required_argument, NULL, 3 },
		{ "kiosk", no_argument, NULL, 4 },
		{ "geometry", required_argument, NULL, 5 },
		{ "scale", required_argument, NULL, 6 },
		{ "state-file", required_argument, NULL, 7 },
		{ "decoder", required_argument, NULL, 8 },
		{ "stats", required_argument, NULL, 9 },
		{ "protocol", required_argument, NULL, 10 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, verbose = 0, w = 1280, h = 800, x, y, i;
	SDL_Rect bounds;
	float dpi = 96;
	Uint32 flags = SDL_WINDOW_RESIZABLE;
	struct sigaction sa;
	SDL_Event e;
	uint64_t now;

	log_init("tessera-view", 1, 0);
	for (i = 0; i < TV_MAX_QUBES; i++)
		v.q[i].ctl = -1;
	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (read_config(optarg) == -1)
				return 2;
			break;
		case 1: v.creds.ca = optarg; break;
		case 2: v.creds.cert = optarg; break;
		case 3: v.creds.key = optarg; break;
		case 4: v.kiosk = 1; break;
		case 5:
			if (sscanf(optarg, "%dx%d", &w, &h) != 2 || w < 320 ||
			    h < 200 || w > 16384 || h > 16384) {
				log_warnx("bad geometry: %s", optarg);
				return 2;
			}
			break;
		case 6:
			v.scale = atoi(optarg);
			if (v.scale < 1 || v.scale > 4) {
				log_warnx("--scale is 1 to 4");
				return 2;
			}
			break;
		case 7: v.state_file = optarg; break;
		case 8: v.creds.decoder = optarg; break;
		case 9:
			stats.every = atoi(optarg);
			if (stats.every < 1 || stats.every > 100000) {
				log_warnx("--stats is 1 to 100000");
				return 2;
			}
			stats.wall = calloc((size_t)stats.every, sizeof(double));
			stats.cpu = calloc((size_t)stats.every, sizeof(double));
			if (stats.wall == NULL || stats.cpu == NULL)
				fatal("calloc");
			break;
		case 10:
			if (set_protocol(optarg) == -1)
				return 2;
			break;
		case 'v': verbose++; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	log_setverbose(verbose);
	for (i = optind; i < argc; i++)
		if (add_host(argv[i]) == -1)
			return 2;
	if (v.nhosts == 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	for (i = 0; i < v.nhosts; i++)
		if (v.hosts[i].spec[0] != '/' && (v.creds.ca == NULL ||
		    v.creds.cert == NULL || v.creds.key == NULL)) {
			log_warnx("a host over the network needs --ca, --cert "
			    "and --key");
			return 2;
		}
	if (v.creds.ca == NULL || v.creds.cert == NULL || v.creds.key == NULL) {
		log_warnx("the displays need --ca, --cert and --key");
		return 2;
	}
	if (v.creds.decoder == NULL)
		v.creds.decoder = decoder_path();
	name_hosts();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
	if (v.kiosk) {
		setenv("SDL_VIDEODRIVER", "kmsdrm", 0);
		flags = SDL_WINDOW_FULLSCREEN_DESKTOP;
	}
	if (SDL_Init(SDL_INIT_VIDEO) != 0)
		fatalx("SDL: %s", SDL_GetError());
	/* X11 and Wayland have a framebuffer of their own (shared memory):
	 * no GL is needed to show the canvas; KMS/DRM goes through SDL's
	 * renderer (the driver's name is "KMSDRM": compared without case) */
	if (SDL_strcasecmp(SDL_GetCurrentVideoDriver(), "kmsdrm") != 0)
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	if ((v.wake_ev = SDL_RegisterEvents(1)) == (Uint32)-1)
		fatalx("SDL: no user events");
	x = y = SDL_WINDOWPOS_CENTERED;
	if (v.kiosk && SDL_GetDisplayBounds(0, &bounds) == 0) {
		/* the whole screen, also where no window manager places it */
		x = bounds.x;
		y = bounds.y;
		w = bounds.w;
		h = bounds.h;
	}
	v.win = SDL_CreateWindow("Tessera", x, y, w, h, flags);
	if (v.win == NULL)
		fatalx("SDL window: %s", SDL_GetError());
	resize_canvas();
	if (v.scale == 0 && SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(v.win),
	    &dpi, NULL, NULL) != 0)
		dpi = 96;
	tv_metrics_for_dpi(&v.m, v.scale ? 96.0f * v.scale : dpi);
	log_info("%dx%d, scale %d, %s video, %d host%s", v.sw, v.sh,
	    v.m.scale, SDL_GetCurrentVideoDriver(), v.nhosts,
	    v.nhosts == 1 ? "" : "s");

	if (tv_hosts_start(v.hosts, v.nhosts, wake) == -1)
		fatalx("cannot start the host threads");
	v.dirty = 1;
	if (watcher_start() == -1)
		fatal("cannot start the decoder watcher");
	while (!stop) {
		if (SDL_WaitEventTimeout(&e, 50)) {
			do
				event(&e);
			while (SDL_PollEvent(&e));
		}
		now = now_ms();
		host_events();
		decoders(now);
		resize_requests(now);
		watch_decoders();
		if (v.notice[0] != '\0' && now - v.notice_at >= 10000) {
			v.notice[0] = '\0';
			v.dirty = 1;
		}
		if (v.dirty || v.layout_dirty || v.damaged)
			render(now);
		ack_decoders();
	}
	log_info("stopping");
	for (i = 0; i < TV_MAX_QUBES; i++)
		if (v.q[i].pid > 0 || v.q[i].ctl != -1) {
			tv_child_stop(&v.q[i]);
			if (v.q[i].pid > 0)
				waitpid(v.q[i].pid, NULL, 0);
		}
	tv_draw_fini(&v.d);
	SDL_DestroyWindow(v.win);
	SDL_Quit();
	return 0;
}
