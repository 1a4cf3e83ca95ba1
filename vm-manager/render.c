/*
 * One tessera-render per running qube: started when the qube starts (or is
 * re-adopted), stopped when it stops, restarted with backoff when it dies
 * while its qube runs.  Each gets a slot; its VNC port is base + 2*slot and
 * its RDP port base + 2*slot + 1.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vmd.h"

#define RENDER_SLOTS 256
#define BACKOFF_MAX_MS 30000

extern char **environ;

struct render {
	TAILQ_ENTRY(render) entry;
	struct vmd *vmd;
	char qube[TSR_QUBE_NAME_MAX + 1];
	pid_t pid; /* 0: not running */
	int slot;
	int backoff_ms;
	int timer; /* pending restart, or -1 */
	time_t started;
	int stopping;
};
static TAILQ_HEAD(, render) renders = TAILQ_HEAD_INITIALIZER(renders);

static struct render *
render_find(const char *qube)
{
	struct render *r;

	TAILQ_FOREACH(r, &renders, entry)
		if (strcmp(r->qube, qube) == 0)
			return r;
	return NULL;
}

static int
free_slot(void)
{
	struct render *r;
	int s;

	for (s = 0; s < RENDER_SLOTS; s++) {
		TAILQ_FOREACH(r, &renders, entry)
			if (r->slot == s)
				break;
		if (r == NULL)
			return s;
	}
	return -1;
}

static void
port_str(char *buf, size_t sz, const char *addr, int port)
{
	snprintf(buf, sz, strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
}

static int
render_spawn(struct vmd *vmd, struct render *r)
{
	struct vmd_qube q;
	char vnc[128], rdp[128];
	const char *argv[40];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int n = 0, sv[2], rc;

	if (vmd_store_get(vmd->store, r->qube, &q, NULL) != 1 ||
	    vol_paths(vmd, &q) == -1)
		return -1;
	port_str(vnc, sizeof(vnc), vmd->render.addr,
	    vmd->render.port_base + 2 * r->slot);
	port_str(rdp, sizeof(rdp), vmd->render.addr,
	    vmd->render.port_base + 2 * r->slot + 1);
	argv[n++] = vmd->render.bin;
	argv[n++] = "-d"; /* foreground, logging to our stderr */
	argv[n++] = "--qube";
	argv[n++] = q.name;
	argv[n++] = "--label";
	argv[n++] = q.label.name;
	argv[n++] = "--display";
	argv[n++] = q.display_socket;
	argv[n++] = "--vnc";
	argv[n++] = vnc;
	argv[n++] = "--rdp";
	argv[n++] = rdp;
	argv[n++] = "--cert";
	argv[n++] = vmd->render.cert;
	argv[n++] = "--key";
	argv[n++] = vmd->render.key;
	argv[n++] = "--ca";
	argv[n++] = vmd->render.ca;
	if (vmd->render.crl) {
		argv[n++] = "--crl";
		argv[n++] = vmd->render.crl;
	}
	if (vmd->render.passwd) {
		argv[n++] = "--passwd";
		argv[n++] = vmd->render.passwd;
	}
	argv[n++] = "--vmd";
	argv[n++] = "fd:3";
	if (vmd->render.user) {
		argv[n++] = "--user";
		argv[n++] = vmd->render.user;
	}
	argv[n] = NULL;
	/* its line to us: fd 3 in the child, an Admin API connection here */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", r->qube);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	rc = posix_spawn(&pid, vmd->render.bin, &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		errno = rc;
		log_warn("%s: cannot start %s", r->qube, vmd->render.bin);
		close(sv[0]);
		return -1;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (control_adopt_render(vmd, sv[0], r->qube) == -1)
		log_warnx("%s: no line to the render-server", r->qube);
	r->pid = pid;
	r->started = time(NULL);
	log_info("%s: render-server started (pid %d, vnc %s, rdp %s)", r->qube,
	    (int)pid, vnc, rdp);
	return 0;
}

void
render_start(struct vmd *vmd, const char *qube)
{
	struct render *r;

	if (vmd->render.bin == NULL || (r = render_find(qube)) != NULL)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	snprintf(r->qube, sizeof(r->qube), "%s", qube);
	r->vmd = vmd;
	r->timer = -1;
	r->backoff_ms = 500;
	if ((r->slot = free_slot()) == -1) {
		log_warnx("%s: no free render-server slot", qube);
		free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&renders, r, entry);
	render_spawn(vmd, r);
}

static void
render_forget(struct render *r)
{
	if (r->timer != -1)
		virEventRemoveTimeout(r->timer);
	TAILQ_REMOVE(&renders, r, entry);
	free(r);
}

void
render_stop(struct vmd *vmd, const char *qube)
{
	struct render *r;

	(void)vmd;
	if ((r = render_find(qube)) == NULL)
		return;
	if (r->pid > 0) {
		r->stopping = 1;
		kill(r->pid, SIGTERM); /* reaped in render_reap() */
	} else {
		render_forget(r);
	}
}

static void
restart_timer(int timer, void *arg)
{
	struct render *r = arg;

	virEventRemoveTimeout(timer);
	r->timer = -1;
	render_spawn(r->vmd, r);
}

void
render_reap(struct vmd *vmd)
{
	struct render *r, *next;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (r = TAILQ_FIRST(&renders); r; r = next) {
			next = TAILQ_NEXT(r, entry);
			if (r->pid != pid)
				continue;
			r->pid = 0;
			if (r->stopping ||
			    hv_power(vmd, r->qube) == TSR_POWER_HALTED) {
				render_forget(r);
				break;
			}
			if (time(NULL) - r->started > 60)
				r->backoff_ms = 500; /* it ran a while */
			log_warnx(
			    "%s: render-server %s (status %d); restarting "
			    "in %d ms",
			    r->qube,
			    WIFSIGNALED(status) ? "was killed" : "exited",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
						  WEXITSTATUS(status),
			    r->backoff_ms);
			r->timer = virEventAddTimeout(r->backoff_ms,
			    restart_timer, r, NULL);
			r->backoff_ms *= 2;
			if (r->backoff_ms > BACKOFF_MAX_MS)
				r->backoff_ms = BACKOFF_MAX_MS;
			break;
		}
	}
}

void
render_stop_all(struct vmd *vmd)
{
	struct render *r;

	(void)vmd;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	TAILQ_FOREACH(r, &renders, entry)
		if (r->pid > 0)
			kill(r->pid, SIGTERM);
	/* two seconds to go, then SIGKILL: the daemon's exit never hangs */
	for (i = 0; i < 40; i++) {
		TAILQ_FOREACH(r, &renders, entry)
			if (r->pid > 0 &&
			    waitpid(r->pid, NULL, WNOHANG) == r->pid)
				r->pid = 0;
		TAILQ_FOREACH(r, &renders, entry)
			if (r->pid > 0)
				break;
		if (r == NULL)
			break;
		nanosleep(&ts, NULL);
	}
	while ((r = TAILQ_FIRST(&renders)) != NULL) {
		if (r->pid > 0) {
			log_warnx(
			    "%s: render-server ignores SIGTERM; killing it",
			    r->qube);
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
		}
		render_forget(r);
	}
}

json_t *
render_endpoint(struct vmd *vmd, const char *qube)
{
	struct render *r = render_find(qube);

	if (r == NULL || vmd->render.bin == NULL)
		return NULL;
	return json_pack("{s:s, s:i, s:i, s:s, s:b}", "host",
	    vmd->render.public_host ? vmd->render.public_host :
				      vmd->render.addr,
	    "vnc_port", vmd->render.port_base + 2 * r->slot, "rdp_port",
	    vmd->render.port_base + 2 * r->slot + 1, "fingerprint",
	    vmd->render.fingerprint, "running", r->pid > 0);
}
