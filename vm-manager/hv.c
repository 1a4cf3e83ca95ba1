/*
 * libvirt: the only way tessera-vmd touches the hypervisor.  Qubes are
 * persistent libvirt domains named after the qube and marked with our
 * metadata; their XML is regenerated from the store at every start.
 * Domain events go to the handlers given to hv_open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "domxml.h"
#include "log.h"
#include "vmd.h"

static void hv_try_reconnect(int timer, void *arg);

static void
hv_err(char *err, size_t errlen, const char *what)
{
	virErrorPtr e = virGetLastError();

	snprintf(err, errlen, "%s: %s", what,
	    e && e->message ? e->message : "libvirt error");
	virResetLastError();
}

/* libvirt's own error printing goes to stderr; we report errors ourselves. */
static void
hv_quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	log_debug("libvirt: %s", e->message ? e->message : "?");
}

/* A domain is one of our qubes only if its name and UUID are both ours:
 * another daemon on the same libvirt may have a qube of the same name. */
static int
ours(struct vmd *vmd, virDomainPtr dom, const char *name)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	struct vmd_qube *q;
	int r;

	if (virDomainGetUUIDString(dom, uuid) != 0 ||
	    (q = malloc(sizeof(*q))) == NULL)
		return 0;
	r = vmd_store_get(vmd->store, name, q, NULL) == 1 &&
	    strcasecmp(q->uuid, uuid) == 0;
	free(q);
	return r;
}

static int
hv_lifecycle(virConnectPtr c, virDomainPtr dom, int event, int detail,
    void *arg)
{
	struct vmd *vmd = arg;
	const char *name = virDomainGetName(dom);
	const char *reason = "shutdown";

	(void)c;
	if (name == NULL || !tsr_qube_name_valid(name) || !ours(vmd, dom, name))
		return 0;
	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		vmd->hv_on->started(vmd, name);
		break;
	case VIR_DOMAIN_EVENT_SUSPENDED:
		vmd->hv_on->paused(vmd, name, 1);
		break;
	case VIR_DOMAIN_EVENT_RESUMED:
		vmd->hv_on->paused(vmd, name, 0);
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		if (detail == VIR_DOMAIN_EVENT_STOPPED_DESTROYED)
			reason = "killed";
		else if (detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ||
		    detail == VIR_DOMAIN_EVENT_STOPPED_FAILED)
			reason = "crashed";
		vmd->hv_on->stopped(vmd, name, reason);
		break;
	default:
		break;
	}
	return 0;
}

static void
hv_closed(virConnectPtr c, int reason, void *arg)
{
	struct vmd *vmd = arg;

	(void)c;
	log_warnx("libvirt connection lost (reason %d); reconnecting", reason);
	if (vmd->reconnect_timer == -1)
		vmd->reconnect_timer =
		    virEventAddTimeout(1000, hv_try_reconnect, vmd, NULL);
}

static int
hv_connect(struct vmd *vmd)
{
	virConnectPtr c;

	if ((c = virConnectOpen(vmd->uri)) == NULL) {
		virErrorPtr e = virGetLastError();
		log_warnx("cannot connect to %s: %s", vmd->uri,
		    e && e->message ? e->message : "?");
		virResetLastError();
		return -1;
	}
	/* notice a dead libvirtd within ~15 s even when idle */
	if (virConnectSetKeepAlive(c, 5, 3) == -1)
		virResetLastError();
	vmd->lifecycle_cb = virConnectDomainEventRegisterAny(c, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(hv_lifecycle), vmd, NULL);
	if (vmd->lifecycle_cb < 0) {
		log_warnx("cannot subscribe to libvirt domain events");
		virConnectClose(c);
		return -1;
	}
	virConnectRegisterCloseCallback(c, hv_closed, vmd, NULL);
	vmd->virt = c;
	log_info("connected to %s", vmd->uri);
	return 0;
}

static void
hv_drop(struct vmd *vmd)
{
	if (vmd->virt == NULL)
		return;
	if (vmd->lifecycle_cb >= 0)
		virConnectDomainEventDeregisterAny(vmd->virt,
		    vmd->lifecycle_cb);
	virConnectUnregisterCloseCallback(vmd->virt, hv_closed);
	virConnectClose(vmd->virt);
	virResetLastError();
	vmd->virt = NULL;
	vmd->lifecycle_cb = -1;
}

static void
hv_try_reconnect(int timer, void *arg)
{
	struct vmd *vmd = arg;

	(void)timer;
	hv_drop(vmd);
	if (hv_connect(vmd) == -1)
		return; /* the timer fires again */
	virEventRemoveTimeout(vmd->reconnect_timer);
	vmd->reconnect_timer = -1;
	hv_reconcile(vmd);
}

int
hv_open(struct vmd *vmd, const struct hv_handlers *on)
{
	vmd->hv_on = on;
	virSetErrorFunc(NULL, hv_quiet);
	vmd->lifecycle_cb = -1;
	vmd->reconnect_timer = -1;
	if (hv_connect(vmd) == -1) {
		/* keep serving the store; connect when libvirtd comes up */
		vmd->reconnect_timer =
		    virEventAddTimeout(1000, hv_try_reconnect, vmd, NULL);
		return -1;
	}
	return 0;
}

void
hv_close(struct vmd *vmd)
{
	if (vmd->reconnect_timer != -1)
		virEventRemoveTimeout(vmd->reconnect_timer);
	vmd->reconnect_timer = -1;
	hv_drop(vmd);
}

int
hv_connected(struct vmd *vmd)
{
	return vmd->virt != NULL && virConnectIsAlive(vmd->virt) == 1;
}

static virDomainPtr
hv_lookup(struct vmd *vmd, const char *name, char *err, size_t errlen)
{
	virDomainPtr d;

	if (!hv_connected(vmd)) {
		snprintf(err, errlen, "not connected to the hypervisor (%s)",
		    vmd->uri);
		return NULL;
	}
	if ((d = virDomainLookupByName(vmd->virt, name)) == NULL)
		hv_err(err, errlen, name);
	return d;
}

int
hv_define(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
{
	virDomainPtr d;
	char *xml;

	if (!hv_connected(vmd)) {
		snprintf(err, errlen, "not connected to the hypervisor (%s)",
		    vmd->uri);
		return -1;
	}
	if (vmd_domxml(q, vmd->hv, &xml, err, errlen) == -1)
		return -1;
	d = virDomainDefineXMLFlags(vmd->virt, xml, VIR_DOMAIN_DEFINE_VALIDATE);
	free(xml);
	if (d == NULL) {
		hv_err(err, errlen, "define");
		return -1;
	}
	virDomainFree(d);
	return 0;
}

int
hv_undefine(struct vmd *vmd, const char *name)
{
	char err[256];
	virDomainPtr d;
	int rc;

	if ((d = hv_lookup(vmd, name, err, sizeof(err))) == NULL)
		return hv_connected(vmd) ? 0 : -1; /* nothing to undefine */
	rc = virDomainUndefineFlags(d,
	    VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
	if (rc == -1)
		rc = virDomainUndefine(d);
	if (rc == -1) {
		hv_err(err, sizeof(err), "undefine");
		log_warnx("%s: %s", name, err);
	}
	virDomainFree(d);
	return rc;
}

#define HV_SIMPLE(fname, call, what) \
	int fname(struct vmd *vmd, const char *name, char *err, size_t errlen) \
	{ \
		virDomainPtr d; \
		int rc; \
\
		if ((d = hv_lookup(vmd, name, err, errlen)) == NULL) \
			return -1; \
		if ((rc = call(d)) == -1) \
			hv_err(err, errlen, what); \
		virDomainFree(d); \
		return rc; \
	}

HV_SIMPLE(hv_start, virDomainCreate, "start")
HV_SIMPLE(hv_shutdown, virDomainShutdown, "shutdown")
HV_SIMPLE(hv_kill, virDomainDestroy, "kill")

int
hv_pause(struct vmd *vmd, const char *name, int pause, char *err, size_t errlen)
{
	virDomainPtr d;
	int rc;

	if ((d = hv_lookup(vmd, name, err, errlen)) == NULL)
		return -1;
	rc = pause ? virDomainSuspend(d) : virDomainResume(d);
	if (rc == -1)
		hv_err(err, errlen, pause ? "pause" : "unpause");
	virDomainFree(d);
	return rc;
}

static enum tsr_power
power_of(virDomainPtr d)
{
	int state, reason;

	if (virDomainGetState(d, &state, &reason, 0) == -1) {
		virResetLastError();
		return TSR_POWER_HALTED;
	}
	switch (state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return TSR_POWER_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return TSR_POWER_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return TSR_POWER_SHUTTING_DOWN;
	default:
		return TSR_POWER_HALTED;
	}
}

enum tsr_power
hv_power(struct vmd *vmd, const char *name)
{
	char err[256];
	virDomainPtr d;
	enum tsr_power p;

	if ((d = hv_lookup(vmd, name, err, sizeof(err))) == NULL)
		return TSR_POWER_HALTED;
	p = power_of(d);
	virDomainFree(d);
	return p;
}

struct hv_states {
	size_t n;
	struct hv_state {
		const char *name;
		enum tsr_power power;
	} * v;
	virDomainPtr *doms;
	int ndoms;
};

static int
state_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hv_state *)a)->name,
	    ((const struct hv_state *)b)->name);
}

struct hv_states *
hv_states_get(struct vmd *vmd)
{
	struct hv_states *s;
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (!hv_connected(vmd))
		return s;
	/* only active domains: a defined, inactive one is halted anyway */
	s->ndoms = virConnectListAllDomains(vmd->virt, &s->doms,
	    VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (s->ndoms < 0) {
		virResetLastError();
		s->ndoms = 0;
		return s;
	}
	if ((s->v = calloc((size_t)s->ndoms + 1, sizeof(*s->v))) == NULL)
		return s;
	for (i = 0; i < s->ndoms; i++) {
		s->v[s->n].name = virDomainGetName(s->doms[i]);
		s->v[s->n].power = power_of(s->doms[i]);
		if (s->v[s->n].name)
			s->n++;
	}
	qsort(s->v, s->n, sizeof(*s->v), state_cmp);
	return s;
}

enum tsr_power
hv_states_find(struct hv_states *s, const char *name)
{
	struct hv_state key = { .name = name }, *f;

	if (s == NULL || s->n == 0)
		return TSR_POWER_HALTED;
	f = bsearch(&key, s->v, s->n, sizeof(*s->v), state_cmp);
	return f ? f->power : TSR_POWER_HALTED;
}

void
hv_states_free(struct hv_states *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ndoms; i++)
		virDomainFree(s->doms[i]);
	free(s->doms);
	free(s->v);
	free(s);
}

/*
 * Bring the store and the hypervisor back in line after a start or a
 * reconnection: finish what a crash left half-done, re-adopt running
 * qubes, clean up disposables that stopped while we were away.
 */
struct reconcile {
	struct vmd *vmd;
	struct hv_states *st;
};

/* Picks the qubes to clean up; adopts the running ones on the way. */
static int
reconcile_one(const struct vmd_qube *q, enum vmd_qstate qs, void *arg)
{
	struct reconcile *r = arg;
	enum tsr_power p = hv_states_find(r->st, q->name);

	if (qs != VMD_Q_READY)
		return 1; /* a create or a remove did not finish */
	if (q->klass == VMD_CLASS_DISPOSABLE && p == TSR_POWER_HALTED)
		return 1; /* a disposable that stopped while we were away */
	if (p != TSR_POWER_HALTED)
		r->vmd->hv_on->adopt(r->vmd, q);
	return 0;
}

void
hv_reconcile(struct vmd *vmd)
{
	struct reconcile r = { .vmd = vmd };
	vmd_name *gone;
	char err[256];
	size_t i, ngone;

	if (!hv_connected(vmd))
		return;
	r.st = hv_states_get(vmd);
	gone = vmd_store_names(vmd->store, reconcile_one, &r, &ngone);
	for (i = 0; i < ngone; i++) {
		const char *name = gone[i];

		log_info("%s: cleaning up what was left half-made", name);
		if (hv_states_find(r.st, name) != TSR_POWER_HALTED &&
		    hv_kill(vmd, name, err, sizeof(err)) == -1)
			log_warnx("%s: %s", name, err);
		hv_undefine(vmd, name);
		vol_remove(vmd, name);
		if (vmd_store_delete(vmd->store, name) == -1)
			log_warn("%s: cannot remove from the store", name);
	}
	free(gone);
	hv_states_free(r.st);
}
