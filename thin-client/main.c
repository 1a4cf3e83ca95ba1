/*
 * tessera-view: the trusted compositor.  Every qube the viewer may see is
 * shown in a window framed in its label colour, with a title bar naming
 * it; a black panel lists the qubes; keyboard input goes only to the
 * focused qube and the pointer only to the qube under it.  Ctrl+Alt+Home
 * (the secure attention key, never forwarded) toggles the overview, in
 * which no qube gets any input and every window shows its label.
 *
 * This file: options and the config file, the main loop, the qube table
 * (what the hosts say, host.c) and the supervision of the decoders
 * (child.c).  The compositor's state is struct tv_server (server.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SDL.h>

#include "child.h"
#include "clock.h"
#include "facts.h"
#include "host.h"
#include "log.h"
#include "proto.h"
#include "server.h"

#define PING_MS 2000
#define HUNG_MS 10000

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

/* The compositor's state (server.h): one, the main thread's. */
struct tv_server srv;

/*
 * The decoder watcher: a thread that polls every decoder's line and wakes
 * the main loop as soon as one has something, so a picture reaches the
 * screen without waiting for the loop's tick.  It waits until the main
 * loop has read (drained) before it polls again.  Shared with that thread
 * (under mu), so it is kept apart from srv, which is the main thread's.
 */
static struct {
	pthread_mutex_t mu;
	int fds[TV_MAX_QUBES];
	int nfds;
	int pipe[2]; /* main loop -> watcher: the set changed */
	SDL_sem *drained;
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
		if (srv.q[i].ctl != -1)
			fds[n++] = srv.q[i].ctl;
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

static void
on_signal(int sig)
{
	(void)sig;
	srv.stop = 1;
}

static void
wake(void)
{
	SDL_Event e;

	memset(&e, 0, sizeof(e));
	e.type = srv.wake_ev;
	SDL_PushEvent(&e);
}

static struct tv_qube *
find(int host, const char *name)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (srv.q[i].used && srv.q[i].host == host &&
		    strcmp(srv.q[i].info.name, name) == 0)
			return &srv.q[i];
	return NULL;
}

static void
set_title(struct tv_qube *q)
{
	tv_title(q->title, sizeof(q->title), srv.hosts[q->host].name,
	    q->info.name, q->info.label);
}

static void
forget(struct tv_qube *q)
{
	if (q->pid > 0 || q->ctl != -1)
		tv_child_stop(q);
	if (srv.focus == q)
		srv.focus = NULL;
	if (srv.pointer_q == q)
		srv.pointer_q = NULL;
	if (srv.drag.q == q)
		srv.drag.active = 0;
	/* the pid is kept until reaped; the slot is free for a new qube
	 * only then */
	q->used = 0;
	q->ep_port = 0;
	srv.layout_dirty = 1;
}

static struct tv_qube *
slot(void)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (!srv.q[i].used && srv.q[i].pid <= 0) {
			struct tv_qube *q = &srv.q[i];

			memset(q, 0, sizeof(*q));
			q->ctl = -1;
			return q;
		}
	return NULL;
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
					log_warnx("too many qubes; %s not "
						  "shown",
					    e->info.name);
					break;
				}
				q->used = 1;
				q->host = e->host;
				q->z = ++srv.ztop;
				srv.layout_dirty = 1;
			}
			if (q->info.state != e->info.state ||
			    q->info.rgb != e->info.rgb)
				srv.layout_dirty = 1;
			q->info = e->info;
			set_title(q);
			if (!tv_shown(q) && (q->pid > 0 || q->ctl != -1)) {
				tv_child_stop(q);
				q->ep_port = 0;
			}
			srv.dirty = 1;
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
			q->ep_rdp = srv.hosts[e->host].rdp;
			memcpy(q->ep_user, e->ep_user, sizeof(q->ep_user));
			memcpy(q->ep_pass, e->ep_pass, sizeof(q->ep_pass));
			explicit_bzero(e->ep_pass, sizeof(e->ep_pass));
			srv.dirty = 1;
			break;
		case TV_EV_HOST_UP:
			srv.hosts[e->host].up = 1;
			srv.hosts[e->host].err[0] = '\0';
			log_info("host %s: connected", srv.hosts[e->host].spec);
			srv.dirty = 1;
			break;
		case TV_EV_HOST_DOWN:
			if (srv.hosts[e->host].up ||
			    strcmp(srv.hosts[e->host].err, e->text) != 0)
				log_warnx("host %s: %s",
				    srv.hosts[e->host].spec, e->text);
			srv.hosts[e->host].up = 0;
			snprintf(srv.hosts[e->host].err,
			    sizeof(srv.hosts[e->host].err), "%s", e->text);
			for (i = 0; i < TV_MAX_QUBES; i++)
				if (srv.q[i].used && srv.q[i].host == e->host)
					forget(&srv.q[i]);
			srv.dirty = 1;
			break;
		case TV_EV_NOTICE:
			tv_notice("%s%s", e->text, "");
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
			if (srv.q[i].pid == pid) {
				tv_child_exited(&srv.q[i], st, now);
				srv.dirty = 1;
			}
	for (i = 0; i < TV_MAX_QUBES; i++) {
		q = &srv.q[i];
		if (!q->used)
			continue;
		if (q->ctl != -1) {
			int r = tv_child_read(q, now);

			if (r == 1 && q->req_dec == q->started_at &&
			    q->connected && q->req_ready > now)
				q->req_ready = now; /* pictures come */
			if (r == 1)
				srv.damaged = 1;
			else if (r != 0)
				srv.dirty = 1;
		}
		if (q->connected && now - q->pong_at > HUNG_MS) {
			log_warnx("%s: decoder %d does not answer; stopping it",
			    q->info.name, (int)q->pid);
			tv_child_stop(q);
			srv.dirty = 1;
		}
		if (q->pid <= 0 && tv_shown(q) && q->ep_port > 0 &&
		    now >= q->restart_at &&
		    tv_child_start(q, &srv.creds, now) == 0)
			srv.dirty = 1;
	}
	if (now - srv.last_ping >= PING_MS) {
		srv.last_ping = now;
		for (i = 0; i < TV_MAX_QUBES; i++)
			if (srv.q[i].used && srv.q[i].connected)
				tv_child_send(&srv.q[i], TV_PING,
				    ++srv.q[i].ping_seq, 0, 0);
	}
}

/* Tells each decoder whose news tv_render() has shown that it may go on. */
static void
ack_decoders(void)
{
	int i;

	for (i = 0; i < TV_MAX_QUBES; i++)
		if (srv.q[i].ack_due) {
			srv.q[i].ack_due = 0;
			tv_child_send(&srv.q[i], TV_ACK, 0, 0, 0);
		}
}

static int
add_host(const char *spec)
{
	struct tv_host *h;

	if (srv.nhosts == TV_MAX_HOSTS) {
		log_warnx("at most %d hosts", TV_MAX_HOSTS);
		return -1;
	}
	if (*spec == '\0' || strlen(spec) >= sizeof(h->spec)) {
		log_warnx("bad host: %s", spec);
		return -1;
	}
	h = &srv.hosts[srv.nhosts++];
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
	srv.rdp = strcmp(s, "rdp") == 0;
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
			srv.kiosk = 1;
		else if (*val == '\0')
			goto bad;
		else if (strcmp(k, "host") == 0) {
			if (add_host(val) == -1)
				goto bad;
		} else if (strcmp(k, "ca") == 0)
			srv.creds.ca = keep(val);
		else if (strcmp(k, "cert") == 0)
			srv.creds.cert = keep(val);
		else if (strcmp(k, "key") == 0)
			srv.creds.key = keep(val);
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

	for (i = 0; i < srv.nhosts && srv.nhosts > 1; i++) {
		struct tv_host *h = &srv.hosts[i];

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
	for (i = 0; i < srv.nhosts; i++) {
		srv.hosts[i].ca = srv.creds.ca;
		srv.hosts[i].cert = srv.creds.cert;
		srv.hosts[i].key = srv.creds.key;
		srv.hosts[i].rdp = srv.rdp;
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
	struct tv_stats *st = &srv.stats;
	struct sigaction sa;
	SDL_Event e;
	uint64_t now;

	log_init("tessera-view", 1, 0);
	for (i = 0; i < TV_MAX_QUBES; i++)
		srv.q[i].ctl = -1;
	while ((ch = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (read_config(optarg) == -1)
				return 2;
			break;
		case 1:
			srv.creds.ca = optarg;
			break;
		case 2:
			srv.creds.cert = optarg;
			break;
		case 3:
			srv.creds.key = optarg;
			break;
		case 4:
			srv.kiosk = 1;
			break;
		case 5:
			if (sscanf(optarg, "%dx%d", &w, &h) != 2 ||
			    !tsr_screen_size_ok(w, h)) {
				log_warnx("bad geometry: %s", optarg);
				return 2;
			}
			break;
		case 6:
			srv.scale = atoi(optarg);
			if (srv.scale < 1 || srv.scale > 4) {
				log_warnx("--scale is 1 to 4");
				return 2;
			}
			break;
		case 7:
			srv.state_file = optarg;
			break;
		case 8:
			srv.creds.decoder = optarg;
			break;
		case 9:
			st->every = atoi(optarg);
			if (st->every < 1 || st->every > 100000) {
				log_warnx("--stats is 1 to 100000");
				return 2;
			}
			st->wall = calloc((size_t)st->every, sizeof(double));
			st->cpu = calloc((size_t)st->every, sizeof(double));
			if (st->wall == NULL || st->cpu == NULL)
				fatal("calloc");
			break;
		case 10:
			if (set_protocol(optarg) == -1)
				return 2;
			break;
		case 'v':
			verbose++;
			break;
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
	if (srv.nhosts == 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	for (i = 0; i < srv.nhosts; i++)
		if (srv.hosts[i].spec[0] != '/' &&
		    (srv.creds.ca == NULL || srv.creds.cert == NULL ||
			srv.creds.key == NULL)) {
			log_warnx("a host over the network needs --ca, --cert "
				  "and --key");
			return 2;
		}
	if (srv.creds.ca == NULL || srv.creds.cert == NULL ||
	    srv.creds.key == NULL) {
		log_warnx("the displays need --ca, --cert and --key");
		return 2;
	}
	if (srv.creds.decoder == NULL)
		srv.creds.decoder = decoder_path();
	name_hosts();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
	if (srv.kiosk) {
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
	if ((srv.wake_ev = SDL_RegisterEvents(1)) == (Uint32)-1)
		fatalx("SDL: no user events");
	x = y = SDL_WINDOWPOS_CENTERED;
	if (srv.kiosk && SDL_GetDisplayBounds(0, &bounds) == 0) {
		/* the whole screen, also where no window manager places it */
		x = bounds.x;
		y = bounds.y;
		w = bounds.w;
		h = bounds.h;
	}
	srv.win = SDL_CreateWindow("Tessera", x, y, w, h, flags);
	if (srv.win == NULL)
		fatalx("SDL window: %s", SDL_GetError());
	tv_canvas_resize();
	if (srv.scale == 0 &&
	    SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(srv.win), &dpi, NULL,
		NULL) != 0)
		dpi = 96;
	tv_metrics_for_dpi(&srv.m, srv.scale ? 96.0f * srv.scale : dpi);
	log_info("%dx%d, scale %d, %s video, %d host%s", srv.sw, srv.sh,
	    srv.m.scale, SDL_GetCurrentVideoDriver(), srv.nhosts,
	    srv.nhosts == 1 ? "" : "s");

	if (tv_hosts_start(srv.hosts, srv.nhosts, wake) == -1)
		fatalx("cannot start the host threads");
	srv.dirty = 1;
	if (watcher_start() == -1)
		fatal("cannot start the decoder watcher");
	while (!srv.stop) {
		if (SDL_WaitEventTimeout(&e, 50)) {
			do
				tv_seat_event(&e);
			while (SDL_PollEvent(&e));
		}
		now = tsr_mono_ms();
		host_events();
		decoders(now);
		tv_resize_requests(now);
		watch_decoders();
		if (srv.notice[0] != '\0' && now - srv.notice_at >= 10000) {
			srv.notice[0] = '\0';
			srv.dirty = 1;
		}
		if (srv.dirty || srv.layout_dirty || srv.damaged)
			tv_render(now);
		ack_decoders();
	}
	log_info("stopping");
	for (i = 0; i < TV_MAX_QUBES; i++)
		if (srv.q[i].pid > 0 || srv.q[i].ctl != -1) {
			tv_child_stop(&srv.q[i]);
			if (srv.q[i].pid > 0)
				waitpid(srv.q[i].pid, NULL, 0);
		}
	tv_draw_fini(&srv.d);
	SDL_DestroyWindow(srv.win);
	SDL_Quit();
	return 0;
}
