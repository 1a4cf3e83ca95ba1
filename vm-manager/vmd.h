/*
 * tessera-vmd: the qube store, qube lifecycle through libvirt, policy and
 * the Admin API.  One process, one event loop (libvirt's default loop, so
 * hypervisor events and our sockets are served by the same thread):
 *
 *   vmd.c        start-up, options, signals, the loop; hypervisor
 *                events to subscribers
 *   control.c    Admin API connections: unix socket and mutual TLS
 *   api.c        the method table: arguments, the target, the policy
 *   lifecycle.c  the methods that make, change, run and remove qubes
 *   display.c    the display methods and RDP tickets
 *   hv.c         libvirt: connection, events, domains, reconnection
 *   volume.c     qcow2 volumes and template files
 *   render.c     a render-server per running qube
 *   store.c      SQLite
 *   props.c      the qube property table
 *   policy.c     the policy files
 *   domxml.c     domain XML / xl configs
 *   kvm.c        does KVM work here
 *
 * Calls run one way: vmd.c sets up the others; control.c hands requests
 * to api.c, which runs the methods; the methods use hv.c, volume.c,
 * render.c and the store.  hv.c reports domain events through the
 * handlers vmd.c gives it (struct hv_handlers), never by calling up.
 */
#ifndef VMD_H
#define VMD_H

#include <sys/queue.h>
#include <sys/types.h>

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <openssl/ssl.h>

#include "admit.h"
#include "api.h"
#include "facts.h"
#include "policy.h"
#include "qube.h"
#include "store.h"
#include "tls.h"

struct vmd_conn;
struct hv_handlers;

/* A request whose reply waits for an event (shutdown --wait). */
struct vmd_waiter {
	TAILQ_ENTRY(vmd_waiter) entry;
	struct vmd_conn *conn;
	int64_t id;
	char qube[TSR_QUBE_NAME_MAX + 1];
	int timer; /* libvirt timeout id */
};
TAILQ_HEAD(vmd_waiters, vmd_waiter);

/* A secret a viewer logs on to a render-server with (RDP has no client
 * certificates): good for one qube, while the connection it came from
 * stays open. */
struct vmd_ticket {
	char qube[TSR_QUBE_NAME_MAX + 1];
	unsigned char secret[TSR_TICKET_BYTES];
};
#define VMD_TICKET_MAX 256 /* per connection */

struct vmd_conn {
	TAILQ_ENTRY(vmd_conn) entry;
	struct vmd *vmd;
	int fd;
	int watch; /* libvirt handle id */
	SSL *ssl;  /* NULL on the unix socket */
	int handshaking;
	struct tsr_admit_key key; /* TLS: its address */
	int gated;		  /* counted in vmd->admit */
	int timer;		  /* handshake / idle timeout */
	struct vmd_caller caller; /* points into the cred_* below */
	char cred_user[64];
	char cred_cn[TSR_TLS_CN_MAX + 1];
	char cred_groups[32][64];
	const char *cred_group_names[32];
	char who[96]; /* for the log */
	struct tsr_lines in;
	char *out; /* queued output */
	size_t outlen, outcap;
	int subscribed;
	int waiting;  /* a reply is pending */
	int closing;  /* close once out is flushed */
	int draining; /* closing: reading to EOF */
	int dead;
	/* a render-server we started: it may only ask about its qube */
	char render_qube[TSR_QUBE_NAME_MAX + 1];
	struct vmd_ticket *tickets; /* display.endpoint's, for RDP */
	size_t ntickets;
};
TAILQ_HEAD(vmd_conns, vmd_conn);

struct vmd {
	char state_dir[VMD_PATH_MAX];
	char qubes_dir[VMD_PATH_MAX];
	char display_dir[VMD_PATH_MAX];
	char policy_dir[VMD_PATH_MAX];
	char sock_path[VMD_PATH_MAX];
	struct vmd_store *store;
	struct vmd_policy *policy;

	char uri[128];
	enum vmd_hv hv;
	virConnectPtr virt;
	const struct hv_handlers *hv_on; /* set by vmd.c */
	int lifecycle_cb;
	int reconnect_timer;

	int unix_fd, unix_watch;
	int tls_fd, tls_watch;
	SSL_CTX *tls_ctx;
	int handshake_ms;	/* 0: HANDSHAKE_TIMEOUT_MS */
	struct tsr_admit admit; /* TLS peers in their handshake */
	int accept_paused;	/* out of descriptors */

	uid_t display_uid; /* owner of display sockets */
	gid_t display_gid;

	struct { /* render-servers; bin NULL: none */
		const char *bin;
		const char *addr;	 /* where they listen */
		const char *public_host; /* what viewers are told */
		int port_base;
		const char *cert, *key, *ca, *crl, *passwd, *user;
		char fingerprint[96];
	} render;

	struct vmd_conns conns;
	struct vmd_waiters waiters;
	int quit;
};

/* control.c */
int control_listen_unix(struct vmd *);
int control_listen_tls(struct vmd *, const char *addr, const char *cert,
    const char *key, const char *ca, const char *crl);
void control_close_all(struct vmd *);
/* The daemon's end of a socketpair given to a render-server for qube. */
int control_adopt_render(struct vmd *, int fd, const char *qube);
void control_send(struct vmd_conn *, char *line); /* takes line */
void control_flush(struct vmd_conn *);		  /* now, as far as it goes */
void control_close(struct vmd_conn *);
void control_resume(struct vmd_conn *); /* after a deferred reply */
/* Sends an event to every subscriber allowed to see the subject. */
void control_event(struct vmd *, const char *event, const struct vmd_qube *q,
    json_t *data);

/*
 * One Admin API call: the connection it came on, the request and, for
 * methods about a qube, the target and its power state.
 */
struct vmd_call {
	struct vmd_conn *conn;
	struct vmd *vmd;
	struct tsr_api_req *req;
	struct vmd_qube q; /* the target, when there is one */
	enum tsr_power power;
};

/* api.c */
void api_dispatch(struct vmd_conn *, struct tsr_api_req *);
int api_target_of(struct vmd *, const struct vmd_qube *, struct vmd_target *);
/* Replies to a call; sends the error reply. */
void api_ok(struct vmd_call *, json_t *result);
__attribute__((format(printf, 3, 4))) void api_err(struct vmd_call *,
    const char *code, const char *fmt, ...);
/* The qube object of q, with its power state now. */
void api_send_qube(struct vmd_call *, const struct vmd_qube *q);
/* May this connection's caller call method on q (NULL: @host)? */
int api_allowed(struct vmd_conn *, const char *method,
    const struct vmd_qube *q);
/* Qube lookup for vmd_prop_set: arg is the call; hidden qubes are not found. */
int api_lookup(void *arg, const char *name, struct vmd_qube *out);

/* lifecycle.c: the methods (called from api.c's table) */
void m_vm_create(struct vmd_call *);
void m_vm_clone(struct vmd_call *);
void m_vm_remove(struct vmd_call *);
void m_vm_set(struct vmd_call *);
void m_vm_start(struct vmd_call *);
void m_vm_shutdown(struct vmd_call *);
void m_vm_kill(struct vmd_call *);
void m_vm_pause(struct vmd_call *);
void m_vm_unpause(struct vmd_call *);
void m_dispvm_create(struct vmd_call *);
void m_template_import(struct vmd_call *);
/* lifecycle.c: for the daemon */
void life_autostart(struct vmd *);
/* A qube found running after a restart of the daemon. */
void life_adopt(struct vmd *, const struct vmd_qube *);
/* A qube stopped: a disposable goes away. */
void life_dispose(struct vmd *, const char *name);
/* A qube stopped: vm.shutdown --wait callers get their reply. */
void life_waiters_notify(struct vmd *, const char *qube);
/* A connection closes: its waiting calls go. */
void life_waiter_cancel(struct vmd_conn *);

/* display.c: the methods */
void m_display_endpoint(struct vmd_call *);
void m_display_authorize(struct vmd_call *);

/* hv.c */
/* What hv.c tells the rest of the daemon about domains, all by name. */
struct hv_handlers {
	void (*started)(struct vmd *, const char *name);
	void (*paused)(struct vmd *, const char *name, int paused);
	void (*stopped)(struct vmd *, const char *name,
	    const char *reason); /* shutdown, killed, crashed */
	/* hv_reconcile found q running: take it back */
	void (*adopt)(struct vmd *, const struct vmd_qube *q);
};
int hv_open(struct vmd *, const struct hv_handlers *);
void hv_close(struct vmd *);
int hv_connected(struct vmd *);
int hv_define(struct vmd *, struct vmd_qube *, char *err, size_t errlen);
int hv_undefine(struct vmd *, const char *name);
int hv_start(struct vmd *, const char *name, char *err, size_t errlen);
int hv_shutdown(struct vmd *, const char *name, char *err, size_t errlen);
int hv_kill(struct vmd *, const char *name, char *err, size_t errlen);
int hv_pause(struct vmd *, const char *name, int pause, char *err,
    size_t errlen);
enum tsr_power hv_power(struct vmd *, const char *name);
/* Power state of every domain, for listing: a name -> power lookup. */
struct hv_states;
struct hv_states *hv_states_get(struct vmd *);
enum tsr_power hv_states_find(struct hv_states *, const char *name);
void hv_states_free(struct hv_states *);
/* On start and after a reconnection: re-adopt, clean up. */
void hv_reconcile(struct vmd *);

/* volume.c */
int vol_qube_dir(struct vmd *, const char *name, char *out, size_t outsz);
int vol_paths(struct vmd *, struct vmd_qube *);
int vol_create(struct vmd *, struct vmd_qube *, char *err, size_t errlen);
int vol_prepare_start(struct vmd *, struct vmd_qube *, char *err,
    size_t errlen);
int vol_remove(struct vmd *, const char *name);
/* Copies with progress(arg, done, total) now and then, if progress is set. */
typedef void (*vol_progress_fn)(void *arg, const char *what, uint64_t done,
    uint64_t total);
int vol_import_file(struct vmd *, const char *src, const char *dst, char *err,
    size_t errlen);
/* The file open on in; what names it in messages and progress. */
int vol_import_fd(struct vmd *, int in, const char *what, const char *dst,
    vol_progress_fn progress, void *arg, char *err, size_t errlen);
int vol_import_disk(struct vmd *, int in, struct vmd_qube *, char *err,
    size_t errlen);
int vol_clone(struct vmd *, const struct vmd_qube *src, struct vmd_qube *dst,
    char *err, size_t errlen);

/* render.c */
void render_start(struct vmd *, const char *qube);
void render_stop(struct vmd *, const char *qube);
void render_reap(struct vmd *);
void render_stop_all(struct vmd *);
json_t *render_endpoint(struct vmd *, const char *qube);

/* vmd.c */
void vmd_crash_point(const char *name);

/* kvm.c */
int kvm_works(void);

#endif
