/*
 * The Admin API's method table and what every call goes through before
 * its method runs: the method is known, the target is given or not as
 * the method wants, the target qube exists and the policy allows the
 * call (a caller that may not even list a qube is told it does not
 * exist).  Also the replies and the few methods that only read: vm.list,
 * vm.get, label.list, events.subscribe.  The methods that change qubes
 * are in lifecycle.c, the display methods in display.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "props.h"
#include "vmd.h"

void
api_ok(struct vmd_call *c, json_t *result)
{
	control_send(c->conn, tsr_api_reply_ok(c->req->id, result));
}

void
api_err(struct vmd_call *c, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	control_send(c->conn, tsr_api_reply_err(c->req->id, code, "%s", msg));
}

int
api_target_of(struct vmd *vmd, const struct vmd_qube *q, struct vmd_target *t)
{
	static const char *tagp[VMD_TAGS_MAX];
	int i;

	(void)vmd;
	for (i = 0; i < q->ntags; i++)
		tagp[i] = q->tags[i];
	t->name = q->name;
	t->label = q->label;
	t->tags = tagp;
	t->ntags = (size_t)q->ntags;
	return 0;
}

int
api_allowed(struct vmd_conn *conn, const char *method, const struct vmd_qube *q)
{
	struct vmd_target t;
	int line = 0, ok;

	if (q)
		api_target_of(conn->vmd, q, &t);
	ok = vmd_policy_check(conn->vmd->policy, method, &conn->caller,
	    q ? &t : NULL, &line);
	log_debug("%s: %s %s: %s (rule line %d)", conn->who, method,
	    q ? q->name : "@host", ok ? "allow" : "deny", line);
	return ok;
}

/*
 * Loads the call's target qube and checks the policy.  On failure the
 * error reply is sent and -1 returned.
 */
static int
load_target(struct vmd_call *c)
{
	const char *name = c->req->target;
	enum vmd_qstate st;
	int found = 0;

	if (tsr_qube_name_valid(name))
		found = vmd_store_get(c->vmd->store, name, &c->q, &st) == 1 &&
		    st == VMD_Q_READY;
	/*
	 * a render-server we started asks about its own qube, nothing else
	 * (api_dispatch let through only the method marked M_RENDER)
	 */
	if (c->conn->render_qube[0] != '\0') {
		if (!found || strcmp(c->conn->render_qube, c->q.name) != 0) {
			api_err(c, "denied",
			    "a render-server asks about its "
			    "own qube only");
			return -1;
		}
		c->power = hv_power(c->vmd, c->q.name);
		return 0;
	}
	if (!found ||
	    (!api_allowed(c->conn, c->req->method, &c->q) &&
		!api_allowed(c->conn, "vm.list", &c->q))) {
		char esc[80];
		api_err(c, "no-such-qube", "no qube named %s",
		    log_escape(esc, sizeof(esc), name, strlen(name)));
		return -1;
	}
	if (!api_allowed(c->conn, c->req->method, &c->q)) {
		api_err(c, "denied", "%s on %s: denied by policy",
		    c->req->method, name);
		return -1;
	}
	c->power = hv_power(c->vmd, c->q.name);
	return 0;
}

/*
 * The lookup vmd_prop_set uses for a property that names a qube (arg is
 * the call): a qube the caller may not list is not found, so naming it
 * in template or default_dispvm gets the same answer as a missing one.
 */
int
api_lookup(void *arg, const char *name, struct vmd_qube *out)
{
	struct vmd_call *c = arg;
	int rc;

	rc = vmd_store_get(c->vmd->store, name, out, NULL);
	if (rc == 1 && !api_allowed(c->conn, "vm.list", out))
		return 0;
	return rc;
}

void
api_send_qube(struct vmd_call *c, const struct vmd_qube *q)
{
	api_ok(c, vmd_qube_json(q, hv_power(c->vmd, q->name)));
}

/* --- vm.list, vm.get, label.list --- */

struct list_ctx {
	struct vmd_call *c;
	json_t *arr;
	struct hv_states *st;
};

static int
list_one(const struct vmd_qube *q, enum vmd_qstate qs, void *arg)
{
	struct list_ctx *l = arg;

	if (qs == VMD_Q_READY && api_allowed(l->c->conn, "vm.list", q))
		json_array_append_new(l->arr,
		    vmd_qube_json(q, hv_states_find(l->st, q->name)));
	return 0;
}

static void
m_vm_list(struct vmd_call *c)
{
	struct list_ctx l = { c, json_array(), hv_states_get(c->vmd) };

	if (vmd_store_foreach(c->vmd->store, list_one, &l) == -1) {
		json_decref(l.arr);
		hv_states_free(l.st);
		api_err(c, "internal", "cannot read the store");
		return;
	}
	hv_states_free(l.st);
	api_ok(c, l.arr);
}

static void
m_vm_get(struct vmd_call *c)
{
	api_ok(c, vmd_qube_json(&c->q, c->power));
}

static void
m_label_list(struct vmd_call *c)
{
	json_t *arr = json_array();
	char hex[8];
	int i;

	for (i = 0; i < TSR_NLABELS; i++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "name", tsr_labels[i].name, "color",
			tsr_label_hex(tsr_labels[i].rgb, hex, sizeof(hex))));
	api_ok(c, arr);
}

static void
m_events_subscribe(struct vmd_call *c)
{
	c->conn->subscribed = 1;
	api_ok(c, NULL);
	control_send(c->conn,
	    tsr_api_event("connection-established", NULL, NULL));
}

/*
 * Method flags.  M_QUBE: the target is a qube, loaded and checked against
 * the policy before the method runs; otherwise there is none.
 * M_OWN_POLICY: a method without a target that checks the policy itself,
 * per qube (vm.list filters, vm.create and template.import check the qube
 * they would make), so the @host check is not made.  M_RENDER: the one
 * method a render-server's own connection may call.
 */
#define M_QUBE 0x01
#define M_OWN_POLICY 0x02
#define M_RENDER 0x04

static const struct method {
	const char *name;
	void (*fn)(struct vmd_call *);
	unsigned flags;
} methods[] = {
	{ "vm.list", m_vm_list, M_OWN_POLICY },
	{ "vm.get", m_vm_get, M_QUBE },
	{ "vm.create", m_vm_create, M_OWN_POLICY },
	{ "vm.clone", m_vm_clone, M_QUBE },
	{ "vm.remove", m_vm_remove, M_QUBE },
	{ "vm.set", m_vm_set, M_QUBE },
	{ "vm.start", m_vm_start, M_QUBE },
	{ "vm.shutdown", m_vm_shutdown, M_QUBE },
	{ "vm.kill", m_vm_kill, M_QUBE },
	{ "vm.pause", m_vm_pause, M_QUBE },
	{ "vm.unpause", m_vm_unpause, M_QUBE },
	{ "dispvm.create", m_dispvm_create, M_QUBE },
	{ "template.import", m_template_import, M_OWN_POLICY },
	{ "label.list", m_label_list, 0 },
	{ "events.subscribe", m_events_subscribe, 0 },
	{ "display.endpoint", m_display_endpoint, M_QUBE },
	{ "display.authorize", m_display_authorize, M_QUBE | M_RENDER },
};

void
api_dispatch(struct vmd_conn *conn, struct tsr_api_req *req)
{
	const struct method *m = NULL;
	struct vmd_call *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		control_send(conn,
		    tsr_api_reply_err(req->id, "internal", "out of memory"));
		return;
	}
	c->conn = conn;
	c->vmd = conn->vmd;
	c->req = req;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, req->method) == 0)
			m = &methods[i];
	if (conn->render_qube[0] != '\0' &&
	    (m == NULL || !(m->flags & M_RENDER))) {
		api_err(c, "denied",
		    "a render-server may only ask "
		    "display.authorize");
		goto out;
	}
	if (m == NULL) {
		api_err(c, "bad-request", "no method %s", req->method);
		goto out;
	}
	if ((m->flags & M_QUBE) && req->target[0] == '\0') {
		api_err(c, "bad-request", "%s needs a target", req->method);
		goto out;
	}
	if (!(m->flags & M_QUBE) && req->target[0] != '\0') {
		api_err(c, "bad-request", "%s takes no target", req->method);
		goto out;
	}
	if (m->flags & M_QUBE) {
		if (load_target(c) == -1)
			goto out;
	} else if (!(m->flags & M_OWN_POLICY) &&
	    !api_allowed(conn, req->method, NULL)) {
		api_err(c, "denied", "%s: denied by policy", req->method);
		goto out;
	}
	m->fn(c);
out:
	free(c);
}
