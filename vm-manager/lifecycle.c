/*
 * The methods that make, change, run and remove qubes (vm.create,
 * vm.clone, vm.remove, vm.set, vm.start, vm.shutdown, vm.kill, vm.pause,
 * vm.unpause, dispvm.create, template.import), and what the daemon does
 * to qubes on its own: autostart, re-adopting running qubes, discarding
 * stopped disposables, answering vm.shutdown --wait.  api.c has checked
 * the call's arguments, target and policy before a method here runs.
 */
#include <sys/fsuid.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "domxml.h"
#include "log.h"
#include "props.h"
#include "vmd.h"

#define DEFAULT_MEMORY 256
#define DEFAULT_SHUTDOWN_TIMEOUT 60

/*
 * Names the common rule allows but a new qube may not take: Qubes' dom0,
 * the policy's host, and disp*, which dispvm.create hands out.
 */
static int
reserved_name(const char *s)
{
	return strcmp(s, "dom0") == 0 || strcmp(s, "host") == 0 ||
	    strncmp(s, "disp", 4) == 0;
}

static void
new_uuid(struct vmd_qube *q)
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, q->uuid);
}

static int resolve_boot(struct vmd *, struct vmd_qube *, char *, size_t);

/*
 * Defines q as it will boot: a qube that inherits its kernel from its
 * template (and may bring its own options or initrd) is defined with that
 * kernel, as a start would; q itself keeps inheriting.
 */
static int
define_resolved(struct vmd *vmd, const struct vmd_qube *q, char *err,
    size_t errlen)
{
	struct vmd_qube *d;
	char ignored[256];
	int rc;

	if ((d = malloc(sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*d = *q;
	/* a template chain without a kernel boots from its disk */
	if (!d->kernel[0] && d->template_name[0])
		(void)resolve_boot(vmd, d, ignored, sizeof(ignored));
	rc = hv_define(vmd, d, err, errlen);
	free(d);
	return rc;
}

/*
 * Creates q (already filled and checked): store row, volumes, libvirt
 * definition, in that order, so that a crash at any point leaves a
 * "creating" row that the next start cleans up.
 */
static int
create_qube(struct vmd *vmd, struct vmd_qube *q, const char *code_on_exists,
    char *err, size_t errlen, const char **code)
{
	*code = "internal";
	if (vmd_store_insert(vmd->store, q, err, errlen) == -1) {
		if (errno == EEXIST)
			*code = code_on_exists;
		return -1;
	}
	vmd_crash_point("create-inserted");
	if (vol_paths(vmd, q) == -1 || vol_create(vmd, q, err, errlen) == -1)
		goto undo;
	vmd_crash_point("create-volumes");
	if (define_resolved(vmd, q, err, errlen) == -1) {
		*code = "hypervisor";
		goto undo;
	}
	vmd_crash_point("create-defined");
	if (vmd_store_set_state(vmd->store, q->name, VMD_Q_READY) == -1) {
		snprintf(err, errlen, "cannot update the store");
		hv_undefine(vmd, q->name);
		goto undo;
	}
	control_event(vmd, "qube-added", q, NULL);
	return 0;
undo:
	vol_remove(vmd, q->name);
	vmd_store_delete(vmd->store, q->name);
	return -1;
}

/* Boot files an app qube or disposable inherits from its template. */
static int
resolve_boot(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
{
	struct vmd_qube *t;
	char name[TSR_QUBE_NAME_MAX + 1];
	int depth;

	if (q->kernel[0])
		return 0;
	if ((t = malloc(sizeof(*t))) == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s", q->template_name);
	for (depth = 0; depth < 2 && name[0]; depth++) {
		if (vmd_store_get(vmd->store, name, t, NULL) != 1)
			break;
		if (t->kernel[0]) {
			snprintf(q->kernel, sizeof(q->kernel), "%s", t->kernel);
			if (!q->initrd[0])
				snprintf(q->initrd, sizeof(q->initrd), "%s",
				    t->initrd);
			if (!q->kernel_opts[0])
				snprintf(q->kernel_opts, sizeof(q->kernel_opts),
				    "%s", t->kernel_opts);
			free(t);
			return 0;
		}
		snprintf(name, sizeof(name), "%s", t->template_name);
	}
	free(t);
	snprintf(err, errlen, "%s has no kernel and neither has its template",
	    q->name);
	return -1;
}

void
m_vm_create(struct vmd_call *c)
{
	json_t *args = c->req->args, *v;
	struct vmd_qube *q = &c->q;
	const char *key, *code, *s;
	const struct vmd_prop *p;
	struct vmd_qube t;
	char err[512];
	int have_tmpl = 0;

	memset(q, 0, sizeof(*q));
	json_object_foreach(args, key, v) {
		if ((p = vmd_prop_find(key)) == NULL ||
		    !(p->flags & VMD_PF_CREATE)) {
			api_err(c, "invalid", "%.40s: unknown argument", key);
			return;
		}
	}
	s = json_string_value(json_object_get(args, "name"));
	if (s == NULL || !tsr_qube_name_valid(s) || reserved_name(s)) {
		api_err(c, "invalid",
		    "a qube name is [a-z][a-z0-9-]{0,30}, "
		    "not dom0, host or disp*");
		return;
	}
	snprintf(q->name, sizeof(q->name), "%s", s);
	s = json_string_value(json_object_get(args, "class"));
	if (s == NULL)
		q->klass = VMD_CLASS_APP;
	else if (vmd_class_parse(s, &q->klass) == -1 ||
	    q->klass == VMD_CLASS_DISPOSABLE) {
		api_err(c, "invalid",
		    "class is template, app or standalone "
		    "(disposables come from dispvm.create)");
		return;
	}
	q->memory_mib = DEFAULT_MEMORY;
	q->vcpus = 1;
	if ((v = json_object_get(args, "template")) != NULL &&
	    json_is_string(v) && json_string_length(v) > 0) {
		s = json_string_value(v);
		if (!tsr_qube_name_valid(s) ||
		    vmd_store_get(c->vmd->store, s, &t, NULL) != 1 ||
		    t.klass != VMD_CLASS_TEMPLATE ||
		    !api_allowed(c->conn, "vm.list", &t)) {
			api_err(c, "invalid", "no template named %s",
			    tsr_qube_name_valid(s) ? s : "(invalid)");
			return;
		}
		have_tmpl = 1;
		q->memory_mib = t.memory_mib;
		q->vcpus = t.vcpus;
		if (q->klass == VMD_CLASS_APP)
			snprintf(q->template_name, sizeof(q->template_name),
			    "%s", s);
	}
	if (q->klass == VMD_CLASS_APP && !have_tmpl) {
		api_err(c, "invalid", "an app qube needs a template");
		return;
	}
	if (json_object_get(args, "label") == NULL) {
		api_err(c, "invalid", "a qube needs a label");
		return;
	}
	/* name and class are set above, and so is the template we copy */
	json_object_foreach(args, key, v) {
		if (!(vmd_prop_find(key)->flags & VMD_PF_SET) ||
		    strcmp(key, "template") == 0)
			continue;
		if (vmd_prop_set(q, key, v, api_lookup, c, err, sizeof(err)) ==
		    -1) {
			api_err(c, "invalid", "%s", err);
			return;
		}
	}
	/* A standalone made from a template starts as a copy of it. */
	if (q->klass == VMD_CLASS_STANDALONE && have_tmpl) {
		if (!q->kernel[0])
			resolve_boot(c->vmd, q, err, sizeof(err));
	}
	if (q->klass != VMD_CLASS_APP && !q->kernel[0]) {
		api_err(c, "invalid", "a %s needs a kernel",
		    vmd_class_name(q->klass));
		return;
	}
	if (!api_allowed(c->conn, "vm.create", q)) {
		api_err(c, "denied", "vm.create of %s: denied by policy",
		    q->name);
		return;
	}
	new_uuid(q);
	if (create_qube(c->vmd, q, "exists", err, sizeof(err), &code) == -1) {
		api_err(c, code, "%s", err);
		return;
	}
	if (q->klass == VMD_CLASS_STANDALONE && have_tmpl) {
		struct vmd_qube src = t;
		vol_paths(c->vmd, &src);
		vol_paths(c->vmd, q);
		if (vol_import_file(c->vmd, src.root_volume, q->root_volume,
			err, sizeof(err)) == -1)
			log_warnx("%s: %s", q->name, err);
	}
	log_info("%s: created %s, label %s, by %s", q->name,
	    vmd_class_name(q->klass), q->label.name, c->conn->who);
	api_send_qube(c, q);
}

void
m_vm_clone(struct vmd_call *c)
{
	const char *s =
	    json_string_value(json_object_get(c->req->args, "name"));
	json_t *label = json_object_get(c->req->args, "label");
	struct vmd_qube dst;
	const char *code;
	char err[512];

	if (s == NULL || !tsr_qube_name_valid(s) || reserved_name(s)) {
		api_err(c, "invalid", "invalid name for the clone");
		return;
	}
	if (c->q.klass == VMD_CLASS_DISPOSABLE) {
		api_err(c, "invalid", "a disposable cannot be cloned");
		return;
	}
	if (c->power != TSR_POWER_HALTED) {
		api_err(c, "state", "%s is %s; shut it down first", c->q.name,
		    tsr_power_name(c->power));
		return;
	}
	dst = c->q;
	snprintf(dst.name, sizeof(dst.name), "%s", s);
	if (label &&
	    vmd_prop_set(&dst, "label", label, api_lookup, c, err,
		sizeof(err)) == -1) {
		api_err(c, "invalid", "%s", err);
		return;
	}
	if (!api_allowed(c->conn, "vm.create", &dst)) {
		api_err(c, "denied", "vm.create of %s: denied by policy", s);
		return;
	}
	new_uuid(&dst);
	if (vmd_store_insert(c->vmd->store, &dst, err, sizeof(err)) == -1) {
		api_err(c, errno == EEXIST ? "exists" : "internal", "%s", err);
		return;
	}
	if (vol_clone(c->vmd, &c->q, &dst, err, sizeof(err)) == -1 ||
	    vmd_store_update(c->vmd->store, &dst, err, sizeof(err)) == -1) {
		code = "internal";
		goto undo;
	}
	if (hv_define(c->vmd, &dst, err, sizeof(err)) == -1) {
		code = "hypervisor";
		goto undo;
	}
	vmd_store_set_state(c->vmd->store, dst.name, VMD_Q_READY);
	control_event(c->vmd, "qube-added", &dst, NULL);
	log_info("%s: cloned from %s by %s", dst.name, c->q.name, c->conn->who);
	api_send_qube(c, &dst);
	return;
undo:
	vol_remove(c->vmd, dst.name);
	vmd_store_delete(c->vmd->store, dst.name);
	api_err(c, code, "%s", err);
}

static int
remove_qube(struct vmd *vmd, struct vmd_qube *q)
{
	if (vmd_store_set_state(vmd->store, q->name, VMD_Q_REMOVING) == -1)
		return -1;
	hv_undefine(vmd, q->name);
	vol_remove(vmd, q->name);
	if (vmd_store_delete(vmd->store, q->name) == -1)
		return -1;
	control_event(vmd, "qube-removed", q, NULL);
	return 0;
}

void
m_vm_remove(struct vmd_call *c)
{
	int users;

	if (c->power != TSR_POWER_HALTED) {
		api_err(c, "busy", "%s is %s; shut it down first", c->q.name,
		    tsr_power_name(c->power));
		return;
	}
	if ((users = vmd_store_template_users(c->vmd->store, c->q.name)) != 0) {
		api_err(c, "busy", "%s is the template of %d qube%s", c->q.name,
		    users, users == 1 ? "" : "s");
		return;
	}
	if (remove_qube(c->vmd, &c->q) == -1) {
		api_err(c, "internal", "cannot remove %s", c->q.name);
		return;
	}
	log_info("%s: removed by %s", c->q.name, c->conn->who);
	api_ok(c, NULL);
}

void
m_vm_set(struct vmd_call *c)
{
	const char *prop =
	    json_string_value(json_object_get(c->req->args, "property"));
	json_t *v = json_object_get(c->req->args, "value");
	const struct vmd_prop *p;
	char err[512];

	if (prop == NULL || v == NULL) {
		api_err(c, "invalid", "vm.set needs property and value");
		return;
	}
	if ((p = vmd_prop_find(prop)) != NULL && (p->flags & VMD_PF_SET) &&
	    (p->flags & VMD_PF_HALTED) && c->power != TSR_POWER_HALTED) {
		api_err(c, "state", "%s is running", c->q.name);
		return;
	}
	if (vmd_prop_set(&c->q, prop, v, api_lookup, c, err, sizeof(err)) ==
	    -1) {
		api_err(c, "invalid", "%s", err);
		return;
	}
	/* a qube may not be relabelled into a colour the caller can't use */
	if (!api_allowed(c->conn, "vm.set", &c->q)) {
		api_err(c, "denied", "vm.set on %s: denied by policy",
		    c->q.name);
		return;
	}
	if (vmd_store_update(c->vmd->store, &c->q, err, sizeof(err)) == -1) {
		api_err(c, "internal", "%s", err);
		return;
	}
	control_event(c->vmd, "property-set", &c->q,
	    json_pack("{s:s, s:O}", "property", prop, "value", v));
	api_send_qube(c, &c->q);
}

/* The display socket belongs to the render-server's user, mode 0600. */
static void
own_display(struct vmd *vmd, const struct vmd_qube *q)
{
	if (q->display_socket[0] == '\0')
		return;
	int i;

	for (i = 0; i < 50 && access(q->display_socket, F_OK) == -1; i++)
		usleep(10000);
	if (chown(q->display_socket, vmd->display_uid, vmd->display_gid) ==
		-1 ||
	    chmod(q->display_socket, 0600) == -1)
		log_warn("%s: display socket %s", q->name, q->display_socket);
}

static int
start_qube(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
{
	if (resolve_boot(vmd, q, err, errlen) == -1 ||
	    vol_prepare_start(vmd, q, err, errlen) == -1)
		return -1;
	unlink(q->display_socket);
	control_event(vmd, "domain-pre-start", q, NULL);
	vmd_crash_point("start-prepared");
	if (hv_define(vmd, q, err, errlen) == -1 ||
	    hv_start(vmd, q->name, err, errlen) == -1)
		return -1;
	vmd_crash_point("start-started");
	own_display(vmd, q);
	return 0;
}

void
m_vm_start(struct vmd_call *c)
{
	char err[512];

	if (c->q.klass == VMD_CLASS_TEMPLATE) {
		if (vmd_store_template_users(c->vmd->store, c->q.name) > 0)
			log_info("%s: starting a template that has qubes; they "
				 "see its changes at their next start",
			    c->q.name);
	}
	if (c->power != TSR_POWER_HALTED) {
		api_err(c, "state", "%s is already %s", c->q.name,
		    tsr_power_name(c->power));
		return;
	}
	if (start_qube(c->vmd, &c->q, err, sizeof(err)) == -1) {
		api_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: started by %s", c->q.name, c->conn->who);
	api_send_qube(c, &c->q);
}

static void
waiter_timeout(int timer, void *arg)
{
	struct vmd_waiter *w = arg;
	struct vmd_conn *conn = w->conn;
	struct vmd *vmd = conn->vmd;

	virEventRemoveTimeout(timer);
	TAILQ_REMOVE(&vmd->waiters, w, entry);
	control_send(conn,
	    tsr_api_reply_err(w->id, "timeout", "%s did not stop in time",
		w->qube));
	free(w);
	control_resume(conn);
}

void
life_waiters_notify(struct vmd *vmd, const char *qube)
{
	struct vmd_waiter *w, *next;
	struct vmd_conn *conn;

	for (w = TAILQ_FIRST(&vmd->waiters); w; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (strcmp(w->qube, qube))
			continue;
		TAILQ_REMOVE(&vmd->waiters, w, entry);
		virEventRemoveTimeout(w->timer);
		conn = w->conn;
		control_send(conn, tsr_api_reply_ok(w->id, NULL));
		free(w);
		control_resume(conn);
	}
}

void
life_waiter_cancel(struct vmd_conn *conn)
{
	struct vmd_waiter *w, *next;

	for (w = TAILQ_FIRST(&conn->vmd->waiters); w; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->conn != conn)
			continue;
		TAILQ_REMOVE(&conn->vmd->waiters, w, entry);
		virEventRemoveTimeout(w->timer);
		free(w);
	}
}

void
m_vm_shutdown(struct vmd_call *c)
{
	json_t *wait = json_object_get(c->req->args, "wait");
	json_t *tmo = json_object_get(c->req->args, "timeout");
	json_int_t secs = DEFAULT_SHUTDOWN_TIMEOUT;
	struct vmd_waiter *w;
	char err[512];

	if (tmo &&
	    (!json_is_integer(tmo) || (secs = json_integer_value(tmo)) < 1 ||
		secs > 3600)) {
		api_err(c, "invalid", "timeout is 1 to 3600 seconds");
		return;
	}
	if (c->power == TSR_POWER_HALTED) {
		api_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	if (hv_shutdown(c->vmd, c->q.name, err, sizeof(err)) == -1) {
		api_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: shutdown asked by %s", c->q.name, c->conn->who);
	if (!json_is_true(wait)) {
		api_ok(c, NULL);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		api_err(c, "internal", "out of memory");
		return;
	}
	w->conn = c->conn;
	w->id = c->req->id;
	snprintf(w->qube, sizeof(w->qube), "%s", c->q.name);
	w->timer =
	    virEventAddTimeout((int)secs * 1000, waiter_timeout, w, NULL);
	TAILQ_INSERT_TAIL(&c->vmd->waiters, w, entry);
	c->conn->waiting = 1; /* no more requests until this reply */
	/* it may have stopped already, before we registered */
	if (hv_power(c->vmd, c->q.name) == TSR_POWER_HALTED)
		life_waiters_notify(c->vmd, c->q.name);
}

void
m_vm_kill(struct vmd_call *c)
{
	char err[512];

	if (c->power == TSR_POWER_HALTED) {
		api_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	if (hv_kill(c->vmd, c->q.name, err, sizeof(err)) == -1) {
		api_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: killed by %s", c->q.name, c->conn->who);
	api_ok(c, NULL);
}

static void
pause_common(struct vmd_call *c, int pause)
{
	char err[512];

	if (c->power != (pause ? TSR_POWER_RUNNING : TSR_POWER_PAUSED)) {
		api_err(c, "state", "%s is %s", c->q.name,
		    tsr_power_name(c->power));
		return;
	}
	if (hv_pause(c->vmd, c->q.name, pause, err, sizeof(err)) == -1) {
		api_err(c, "hypervisor", "%s", err);
		return;
	}
	api_send_qube(c, &c->q);
}

void
m_vm_pause(struct vmd_call *c)
{
	pause_common(c, 1);
}

void
m_vm_unpause(struct vmd_call *c)
{
	pause_common(c, 0);
}

void
m_dispvm_create(struct vmd_call *c)
{
	struct vmd_qube *base = &c->q, d;
	const char *code;
	char err[512];

	if (base->klass == VMD_CLASS_DISPOSABLE ||
	    base->klass == VMD_CLASS_STANDALONE) {
		/*
		 * a qube's default disposable template, as in Qubes; one the
		 * caller may not list is as good as none
		 */
		if (!base->default_dispvm[0] ||
		    api_lookup(c, base->default_dispvm, base) != 1) {
			api_err(c, "invalid",
			    "%s has no default disposable "
			    "template",
			    c->req->target);
			return;
		}
	}
	memset(&d, 0, sizeof(d));
	if (vmd_store_next_disp_name(c->vmd->store, d.name, sizeof(d.name)) ==
	    -1) {
		api_err(c, "busy", "no free disposable name");
		return;
	}
	d.klass = VMD_CLASS_DISPOSABLE;
	d.label = base->label;
	snprintf(d.template_name, sizeof(d.template_name), "%s", base->name);
	d.memory_mib = base->memory_mib;
	d.vcpus = base->vcpus;
	snprintf(d.kernel, sizeof(d.kernel), "%s", base->kernel);
	snprintf(d.initrd, sizeof(d.initrd), "%s", base->initrd);
	snprintf(d.kernel_opts, sizeof(d.kernel_opts), "%s", base->kernel_opts);
	if (!api_allowed(c->conn, "dispvm.create", &d)) {
		api_err(c, "denied", "dispvm.create: denied by policy");
		return;
	}
	new_uuid(&d);
	if (create_qube(c->vmd, &d, "busy", err, sizeof(err), &code) == -1) {
		api_err(c, code, "%s", err);
		return;
	}
	if (start_qube(c->vmd, &d, err, sizeof(err)) == -1) {
		remove_qube(c->vmd, &d);
		api_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: disposable from %s started by %s", d.name, base->name,
	    c->conn->who);
	api_send_qube(c, &d);
}

/* Progress of a long copy, to the caller only, sent at once. */
static void
import_progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	struct vmd_call *c = arg;

	control_send(c->conn,
	    tsr_api_event("progress", NULL,
		json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)c->req->id,
		    "file", what, "done", (json_int_t)done, "total",
		    (json_int_t)total)));
	control_flush(c->conn);
}

/*
 * Opens a file template.import names with the unix caller's own rights:
 * the file system uid and gid are the caller's for the open, which also
 * drops root's override of file permissions (tessera-vmd is
 * single-threaded: nothing else runs meanwhile).  The caller's
 * supplementary groups are not applied, so a file it reads only through
 * one is refused.  what names the argument in err; the path is never
 * repeated.  Returns the descriptor or -1.
 */
static int
open_as_caller(const struct vmd_caller *who, const char *what,
    const char *untrusted_path, char *err, size_t errlen)
{
	struct stat sb;
	int fd = -1;

	setfsgid(who->gid);
	setfsuid(who->uid);
	if ((uid_t)setfsuid((uid_t)-1) == who->uid &&
	    (gid_t)setfsgid((gid_t)-1) == who->gid)
		fd = open(untrusted_path,
		    O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	setfsuid(geteuid());
	setfsgid(getegid());
	if (fd != -1 && (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))) {
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		snprintf(err, errlen,
		    "%s: not a regular file the caller may "
		    "read",
		    what);
	return fd;
}

void
m_template_import(struct vmd_call *c)
{
	json_t *args = c->req->args;
	const char *name = json_string_value(json_object_get(args, "name"));
	const char *kernel = json_string_value(json_object_get(args, "kernel"));
	const char *initrd = json_string_value(json_object_get(args, "initrd"));
	const char *label = json_string_value(json_object_get(args, "label"));
	const char *opts =
	    json_string_value(json_object_get(args, "kernel_opts"));
	const char *disk = json_string_value(json_object_get(args, "disk"));
	struct vmd_qube *q = &c->q;
	char dir[VMD_PATH_MAX], err[512];
	const char *code;
	int kfd = -1, ifd = -1, dfd = -1;

	memset(q, 0, sizeof(*q));
	/*
	 * Host files go into the store only as a local user decides, read
	 * with that user's rights: never on a certificate holder's word.
	 */
	if (c->conn->caller.kind != VMD_CALLER_UNIX) {
		api_err(c, "denied",
		    "template.import: on the unix socket only");
		return;
	}
	if (name == NULL || !tsr_qube_name_valid(name) || reserved_name(name)) {
		api_err(c, "invalid", "invalid template name");
		return;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->klass = VMD_CLASS_TEMPLATE;
	if (tsr_label_parse(label ? label : "black", &q->label) == -1) {
		api_err(c, "invalid", "invalid label");
		return;
	}
	if (opts &&
	    vmd_prop_set(q, "kernel_opts", json_object_get(args, "kernel_opts"),
		api_lookup, c, err, sizeof(err)) == -1) {
		api_err(c, "invalid", "%s", err);
		return;
	}
	q->memory_mib = DEFAULT_MEMORY;
	q->vcpus = 1;
	if (!api_allowed(c->conn, "template.import", q)) {
		api_err(c, "denied", "template.import: denied by policy");
		return;
	}
	if (kernel == NULL ||
	    (json_object_get(args, "initrd") && initrd == NULL) ||
	    (json_object_get(args, "disk") && disk == NULL)) {
		api_err(c, "invalid",
		    "kernel, initrd and disk are paths "
		    "(kernel is needed)");
		return;
	}
	if ((kfd = open_as_caller(&c->conn->caller, "kernel", kernel, err,
		 sizeof(err))) == -1 ||
	    (initrd &&
		(ifd = open_as_caller(&c->conn->caller, "initrd", initrd, err,
		     sizeof(err))) == -1) ||
	    (disk &&
		(dfd = open_as_caller(&c->conn->caller, "disk", disk, err,
		     sizeof(err))) == -1)) {
		api_err(c, "invalid", "%s", err);
		goto out;
	}
	if (vol_qube_dir(c->vmd, name, dir, sizeof(dir)) == -1 ||
	    (size_t)snprintf(q->kernel, sizeof(q->kernel), "%s/vmlinuz", dir) >=
		sizeof(q->kernel) ||
	    (initrd &&
		(size_t)snprintf(q->initrd, sizeof(q->initrd), "%s/initrd",
		    dir) >= sizeof(q->initrd))) {
		api_err(c, "internal", "state directory path too long");
		goto out;
	}
	new_uuid(q);
	if (vmd_store_insert(c->vmd->store, q, err, sizeof(err)) == -1) {
		api_err(c, errno == EEXIST ? "exists" : "internal", "%s", err);
		goto out;
	}
	code = "internal";
	if (vol_create(c->vmd, q, err, sizeof(err)) == -1 ||
	    vol_import_fd(c->vmd, kfd, "kernel", q->kernel, import_progress, c,
		err, sizeof(err)) == -1 ||
	    (initrd &&
		vol_import_fd(c->vmd, ifd, "initrd", q->initrd, import_progress,
		    c, err, sizeof(err)) == -1))
		goto undo;
	code = "invalid";
	if (disk && vol_import_disk(c->vmd, dfd, q, err, sizeof(err)) == -1)
		goto undo;
	code = "hypervisor";
	if (hv_define(c->vmd, q, err, sizeof(err)) == -1)
		goto undo;
	vmd_store_set_state(c->vmd->store, q->name, VMD_Q_READY);
	control_event(c->vmd, "qube-added", q, NULL);
	log_info("%s: template imported by %s", q->name, c->conn->who);
	api_send_qube(c, q);
	goto out;
undo:
	vol_remove(c->vmd, q->name);
	vmd_store_delete(c->vmd->store, q->name);
	api_err(c, code, "%s", err);
out:
	if (kfd != -1)
		close(kfd);
	if (ifd != -1)
		close(ifd);
	if (dfd != -1)
		close(dfd);
}

/* At the daemon's start: qubes marked autostart that are not running. */
static int
autostart_want(const struct vmd_qube *q, enum vmd_qstate st, void *arg)
{
	(void)arg;
	return st == VMD_Q_READY && q->autostart &&
	    q->klass != VMD_CLASS_TEMPLATE;
}

void
life_autostart(struct vmd *vmd)
{
	struct vmd_qube q;
	vmd_name *names;
	char err[512];
	size_t i, n;

	names = vmd_store_names(vmd->store, autostart_want, NULL, &n);
	for (i = 0; i < n; i++) {
		if (vmd_store_get(vmd->store, names[i], &q, NULL) != 1 ||
		    hv_power(vmd, q.name) != TSR_POWER_HALTED)
			continue;
		if (start_qube(vmd, &q, err, sizeof(err)) == -1)
			log_warnx("%s: autostart failed: %s", q.name, err);
		else
			log_info("%s: started (autostart)", q.name);
	}
	free(names);
}

/* A qube found running after a restart of the daemon. */
void
life_adopt(struct vmd *vmd, const struct vmd_qube *q)
{
	struct vmd_qube a = *q;

	if (vol_paths(vmd, &a) == 0)
		own_display(vmd, &a);
	log_info("%s: running, re-adopted", q->name);
	render_start(vmd, q->name);
}

/* A qube stopped: a disposable goes away. */
void
life_dispose(struct vmd *vmd, const char *name)
{
	struct vmd_qube q;

	if (vmd_store_get(vmd->store, name, &q, NULL) != 1 ||
	    q.klass != VMD_CLASS_DISPOSABLE)
		return;
	if (remove_qube(vmd, &q) == 0)
		log_info("%s: disposable stopped and discarded", name);
}
