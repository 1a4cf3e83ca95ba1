/*
 * The hosts tessera-view shows: one thread per host holds an Admin API
 * connection to its tessera-vmd (mutual TLS, or a unix socket on the same
 * machine), lists the qubes the viewer may see, asks where their displays
 * are, and follows events.  What it learns reaches the main thread as a
 * queue of tv_ev.
 */
#ifndef TV_HOST_H
#define TV_HOST_H

#include "view.h"

struct tv_host {
	char spec[256]; /* HOST[:PORT], or a unix socket path */
	/* in titles as name/qube; "" for one host */
	char name[TV_HOST_NAME_MAX];
	const char *ca, *cert, *key;
	int rdp;       /* displays over RDP, with tickets */
	int up;	       /* main thread: connected now */
	char err[200]; /* main thread: why not */
};

enum tv_ev_kind {
	TV_EV_QUBE,	/* info: a qube is visible, or changed */
	TV_EV_GONE,	/* info.name: removed, or no longer visible */
	TV_EV_ENDPOINT, /* info.name's display: ep_host, ep_port
				   (port 0: the viewer may not connect);
				   over RDP, the ticket in ep_user, ep_pass */
	TV_EV_HOST_UP,
	TV_EV_HOST_DOWN, /* text: why; its qubes are gone */
	TV_EV_NOTICE,	 /* text: a command's outcome */
};

struct tv_ev {
	enum tv_ev_kind kind;
	int host;
	struct tv_info info;
	char ep_host[256];
	int ep_port;
	char ep_user[64];
	char ep_pass[128];
	char text[200];
	struct tv_ev *next;
};

/* Starts a thread per host; wake() is called (from those threads) when
 * events wait. */
int tv_hosts_start(struct tv_host *, int n, void (*wake)(void));
/* Takes every waiting event, oldest first; free each with free(). */
struct tv_ev *tv_hosts_take(void);
/* Runs method (vm.start, vm.shutdown) on qube of host h in the background;
 * the outcome comes back as TV_EV_NOTICE. */
void tv_host_command(struct tv_host *, int h, const char *method,
    const char *qube);

#endif
