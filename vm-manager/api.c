/*
 * The Admin API methods.  Every call passes the policy first; a caller
 * that may not even list a qube is told it does not exist.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "domxml.h"
#include "log.h"
#include "vmd.h"

#define DEFAULT_MEMORY	256
#define DEFAULT_SHUTDOWN_TIMEOUT 60

struct call {
	struct vmd_conn		*conn;
	struct vmd		*vmd;
	struct tsr_api_req	*req;
	struct vmd_qube		 q;	/* the target, when there is one */
	enum vmd_power		 power;
};

static void
reply_ok(struct call *c, json_t *result)
{
	control_send(c->conn, tsr_api_reply_ok(c->req->id, result));
}

__attribute__((format(printf, 3, 4))) static void
reply_err(struct call *c, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	control_send(c->conn, tsr_api_reply_err(c->req->id, code, "%s", msg));
}

const char *
vmd_power_name(enum vmd_power p)
{
	static const char *const names[] = {
		"halted", "starting", "running", "paused", "shutting-down",
	};
	return (unsigned)p < 5 ? names[p] : "halted";
}

int
vmd_valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VMD_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int
reserved_name(const char *s)
{
	return strcmp(s, "dom0") == 0 || strcmp(s, "host") == 0 ||
	    strncmp(s, "disp", 4) == 0;
}

static int
valid_tag(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VMD_TAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
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

static int
allowed(struct vmd_conn *conn, const char *method, const struct vmd_qube *q)
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

json_t *
api_qube_json(struct vmd *vmd, const struct vmd_qube *q, enum vmd_power p)
{
	json_t *o, *tags = json_array();
	char hex[8];
	int i;

	(void)vmd;
	for (i = 0; i < q->ntags; i++)
		json_array_append_new(tags, json_string(q->tags[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, "
	    "s:s, s:s, s:s, s:s, s:o}",
	    "name", q->name, "uuid", q->uuid,
	    "class", vmd_class_name(q->klass),
	    "label", q->label.name,
	    "color", tsr_label_hex(q->label.rgb, hex, sizeof(hex)),
	    "template", q->template_name,
	    "state", vmd_power_name(p),
	    "memory", (int)q->memory_mib, "vcpus", (int)q->vcpus,
	    "autostart", q->autostart,
	    "default_dispvm", q->default_dispvm,
	    "kernel", q->kernel, "initrd", q->initrd,
	    "kernel_opts", q->kernel_opts, "tags", tags);
	return o;
}

/*
 * Loads the call's target qube and checks the policy.  On failure the
 * error reply is sent and -1 returned.
 */
static int
load_target(struct call *c)
{
	const char *name = c->req->target;
	enum vmd_qstate st;
	int found = 0;

	if (vmd_valid_name(name))
		found = vmd_store_get(c->vmd->store, name, &c->q, &st) == 1 &&
		    st == VMD_Q_READY;
	/* a render-server we started asks about its own qube, nothing else */
	if (c->conn->render_qube[0] != '\0') {
		if (!found || strcmp(c->conn->render_qube, c->q.name) != 0 ||
		    strcmp(c->req->method, "display.authorize") != 0) {
			reply_err(c, "denied", "a render-server asks about its "
			    "own qube only");
			return -1;
		}
		c->power = hv_power(c->vmd, c->q.name);
		return 0;
	}
	if (!found || (!allowed(c->conn, c->req->method, &c->q) &&
	    !allowed(c->conn, "vm.list", &c->q))) {
		char esc[80];
		reply_err(c, "no-such-qube", "no qube named %s",
		    log_escape(esc, sizeof(esc), name, strlen(name)));
		return -1;
	}
	if (!allowed(c->conn, c->req->method, &c->q)) {
		reply_err(c, "denied", "%s on %s: denied by policy",
		    c->req->method, name);
		return -1;
	}
	c->power = hv_power(c->vmd, c->q.name);
	return 0;
}

static void
send_qube(struct call *c, const struct vmd_qube *q)
{
	reply_ok(c, api_qube_json(c->vmd, q, hv_power(c->vmd, q->name)));
}

/* --- vm.list, vm.get, label.list --- */

struct list_ctx {
	struct call		*c;
	json_t			*arr;
	struct hv_states	*st;
};

static int
list_one(const struct vmd_qube *q, enum vmd_qstate qs, void *arg)
{
	struct list_ctx *l = arg;

	if (qs == VMD_Q_READY && allowed(l->c->conn, "vm.list", q))
		json_array_append_new(l->arr, api_qube_json(l->c->vmd, q,
		    hv_states_find(l->st, q->name)));
	return 0;
}

static void
m_vm_list(struct call *c)
{
	struct list_ctx l = { c, json_array(), hv_states_get(c->vmd) };

	if (vmd_store_foreach(c->vmd->store, list_one, &l) == -1) {
		json_decref(l.arr);
		hv_states_free(l.st);
		reply_err(c, "internal", "cannot read the store");
		return;
	}
	hv_states_free(l.st);
	reply_ok(c, l.arr);
}

static void
m_vm_get(struct call *c)
{
	reply_ok(c, api_qube_json(c->vmd, &c->q, c->power));
}

static void
m_label_list(struct call *c)
{
	json_t *arr = json_array();
	char hex[8];
	int i;

	for (i = 0; i < TSR_NLABELS; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name",
		    tsr_labels[i].name, "color", tsr_label_hex(tsr_labels[i].rgb,
		    hex, sizeof(hex))));
	reply_ok(c, arr);
}

/* --- properties --- */

static int
file_ok(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (path[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	return 0;
}

/*
 * Sets one property from JSON.  Returns 0, or -1 with the reason in err.
 * Changes to a running qube's hardware take effect at its next start.
 */
static int
set_prop(struct vmd *vmd, struct vmd_qube *q, const char *key, json_t *v,
    char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	json_int_t n;

	if (strcmp(key, "label") == 0) {
		if (s == NULL || tsr_label_parse(s, &q->label) == -1)
			goto bad;
	} else if (strcmp(key, "memory") == 0) {
		if (!json_is_integer(v) || (n = json_integer_value(v)) < 32 ||
		    n > VMD_MEMORY_MAX_MIB)
			goto bad;
		q->memory_mib = (uint32_t)n;
	} else if (strcmp(key, "vcpus") == 0) {
		if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 ||
		    n > VMD_VCPUS_MAX)
			goto bad;
		q->vcpus = (uint32_t)n;
	} else if (strcmp(key, "kernel") == 0 || strcmp(key, "initrd") == 0) {
		char *dst = key[0] == 'k' ? q->kernel : q->initrd;
		if (s == NULL || strlen(s) >= VMD_PATH_MAX)
			goto bad;
		if (s[0] && file_ok(s, err, errlen) == -1)
			return -1;
		snprintf(dst, VMD_PATH_MAX, "%s", s);
	} else if (strcmp(key, "kernel_opts") == 0) {
		size_t i;
		if (s == NULL || strlen(s) >= VMD_KOPTS_MAX)
			goto bad;
		for (i = 0; s[i]; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				goto bad;
		snprintf(q->kernel_opts, sizeof(q->kernel_opts), "%s", s);
	} else if (strcmp(key, "autostart") == 0) {
		if (!json_is_boolean(v))
			goto bad;
		q->autostart = json_is_true(v);
	} else if (strcmp(key, "default_dispvm") == 0 ||
	    strcmp(key, "template") == 0) {
		struct vmd_qube *t;
		int isdef = key[0] == 'd', rc;
		char *dst = isdef ? q->default_dispvm : q->template_name;

		if (s == NULL || (s[0] && !vmd_valid_name(s)))
			goto bad;
		if (!isdef && q->klass != VMD_CLASS_APP &&
		    q->klass != VMD_CLASS_DISPOSABLE) {
			snprintf(err, errlen, "a %s has no template",
			    vmd_class_name(q->klass));
			return -1;
		}
		if (s[0] || !isdef) {
			if ((t = malloc(sizeof(*t))) == NULL)
				goto bad;
			rc = vmd_store_get(vmd->store, s, t, NULL);
			rc = rc == 1 && (isdef ? (t->klass == VMD_CLASS_APP ||
			    t->klass == VMD_CLASS_TEMPLATE) :
			    t->klass == VMD_CLASS_TEMPLATE);
			free(t);
			if (!rc) {
				snprintf(err, errlen, "%s: no such %s", s,
				    isdef ? "qube" : "template");
				return -1;
			}
		}
		snprintf(dst, VMD_NAME_MAX + 1, "%s", s);
	} else if (strcmp(key, "tags") == 0) {
		size_t i;
		json_t *e;
		if (!json_is_array(v) || json_array_size(v) > VMD_TAGS_MAX)
			goto bad;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || !valid_tag(json_string_value(e)))
				goto bad;
			snprintf(q->tags[i], sizeof(q->tags[i]), "%s",
			    json_string_value(e));
		}
		q->ntags = (int)json_array_size(v);
	} else {
		snprintf(err, errlen, "%.40s: no such property", key);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "%.40s: invalid value", key);
	return -1;
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
	char name[VMD_NAME_MAX + 1];
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

static void
m_vm_create(struct call *c)
{
	static const char *const known[] = { "name", "label", "class",
	    "template", "memory", "vcpus", "kernel", "initrd", "kernel_opts",
	    "autostart", "tags", "default_dispvm", NULL };
	json_t *args = c->req->args, *v;
	struct vmd_qube *q = &c->q;
	const char *key, *code, *s;
	struct vmd_qube t;
	char err[512];
	int i, have_tmpl = 0;

	memset(q, 0, sizeof(*q));
	json_object_foreach(args, key, v) {
		for (i = 0; known[i] && strcmp(known[i], key); i++)
			;
		if (known[i] == NULL) {
			reply_err(c, "invalid", "%.40s: unknown argument", key);
			return;
		}
	}
	s = json_string_value(json_object_get(args, "name"));
	if (s == NULL || !vmd_valid_name(s) || reserved_name(s)) {
		reply_err(c, "invalid", "a qube name is [a-z][a-z0-9-]{0,30}, "
		    "not dom0, host or disp*");
		return;
	}
	snprintf(q->name, sizeof(q->name), "%s", s);
	s = json_string_value(json_object_get(args, "class"));
	if (s == NULL)
		q->klass = VMD_CLASS_APP;
	else if (vmd_class_parse(s, &q->klass) == -1 ||
	    q->klass == VMD_CLASS_DISPOSABLE) {
		reply_err(c, "invalid", "class is template, app or standalone "
		    "(disposables come from dispvm.create)");
		return;
	}
	q->memory_mib = DEFAULT_MEMORY;
	q->vcpus = 1;
	if ((v = json_object_get(args, "template")) != NULL &&
	    json_is_string(v) && json_string_length(v) > 0) {
		s = json_string_value(v);
		if (!vmd_valid_name(s) ||
		    vmd_store_get(c->vmd->store, s, &t, NULL) != 1 ||
		    t.klass != VMD_CLASS_TEMPLATE ||
		    !allowed(c->conn, "vm.list", &t)) {
			reply_err(c, "invalid", "no template named %s",
			    vmd_valid_name(s) ? s : "(invalid)");
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
		reply_err(c, "invalid", "an app qube needs a template");
		return;
	}
	if (json_object_get(args, "label") == NULL) {
		reply_err(c, "invalid", "a qube needs a label");
		return;
	}
	json_object_foreach(args, key, v) {
		if (strcmp(key, "name") == 0 || strcmp(key, "class") == 0 ||
		    strcmp(key, "template") == 0)
			continue;
		if (set_prop(c->vmd, q, key, v, err, sizeof(err)) == -1) {
			reply_err(c, "invalid", "%s", err);
			return;
		}
	}
	/* A standalone made from a template starts as a copy of it. */
	if (q->klass == VMD_CLASS_STANDALONE && have_tmpl) {
		if (!q->kernel[0])
			resolve_boot(c->vmd, q, err, sizeof(err));
	}
	if (q->klass != VMD_CLASS_APP && !q->kernel[0]) {
		reply_err(c, "invalid", "a %s needs a kernel",
		    vmd_class_name(q->klass));
		return;
	}
	if (!allowed(c->conn, "vm.create", q)) {
		reply_err(c, "denied", "vm.create of %s: denied by policy",
		    q->name);
		return;
	}
	new_uuid(q);
	if (create_qube(c->vmd, q, "exists", err, sizeof(err), &code) == -1) {
		reply_err(c, code, "%s", err);
		return;
	}
	if (q->klass == VMD_CLASS_STANDALONE && have_tmpl) {
		struct vmd_qube src = t;
		vol_paths(c->vmd, &src);
		vol_paths(c->vmd, q);
		if (vol_import_file(c->vmd, src.root_volume, q->root_volume, err,
		    sizeof(err)) == -1)
			log_warnx("%s: %s", q->name, err);
	}
	log_info("%s: created %s, label %s, by %s", q->name,
	    vmd_class_name(q->klass), q->label.name, c->conn->who);
	send_qube(c, q);
}

static void
m_vm_clone(struct call *c)
{
	const char *s = json_string_value(json_object_get(c->req->args, "name"));
	json_t *label = json_object_get(c->req->args, "label");
	struct vmd_qube dst;
	const char *code;
	char err[512];

	if (s == NULL || !vmd_valid_name(s) || reserved_name(s)) {
		reply_err(c, "invalid", "invalid name for the clone");
		return;
	}
	if (c->q.klass == VMD_CLASS_DISPOSABLE) {
		reply_err(c, "invalid", "a disposable cannot be cloned");
		return;
	}
	if (c->power != VMD_HALTED) {
		reply_err(c, "state", "%s is %s; shut it down first", c->q.name,
		    vmd_power_name(c->power));
		return;
	}
	dst = c->q;
	snprintf(dst.name, sizeof(dst.name), "%s", s);
	if (label && set_prop(c->vmd, &dst, "label", label, err,
	    sizeof(err)) == -1) {
		reply_err(c, "invalid", "%s", err);
		return;
	}
	if (!allowed(c->conn, "vm.create", &dst)) {
		reply_err(c, "denied", "vm.create of %s: denied by policy", s);
		return;
	}
	new_uuid(&dst);
	if (vmd_store_insert(c->vmd->store, &dst, err, sizeof(err)) == -1) {
		reply_err(c, errno == EEXIST ? "exists" : "internal", "%s", err);
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
	send_qube(c, &dst);
	return;
undo:
	vol_remove(c->vmd, dst.name);
	vmd_store_delete(c->vmd->store, dst.name);
	reply_err(c, code, "%s", err);
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

static void
m_vm_remove(struct call *c)
{
	int users;

	if (c->power != VMD_HALTED) {
		reply_err(c, "busy", "%s is %s; shut it down first", c->q.name,
		    vmd_power_name(c->power));
		return;
	}
	if ((users = vmd_store_template_users(c->vmd->store, c->q.name)) != 0) {
		reply_err(c, "busy", "%s is the template of %d qube%s",
		    c->q.name, users, users == 1 ? "" : "s");
		return;
	}
	if (remove_qube(c->vmd, &c->q) == -1) {
		reply_err(c, "internal", "cannot remove %s", c->q.name);
		return;
	}
	log_info("%s: removed by %s", c->q.name, c->conn->who);
	reply_ok(c, NULL);
}

static void
m_vm_set(struct call *c)
{
	const char *prop = json_string_value(json_object_get(c->req->args,
	    "property"));
	json_t *v = json_object_get(c->req->args, "value");
	char err[512];

	if (prop == NULL || v == NULL) {
		reply_err(c, "invalid", "vm.set needs property and value");
		return;
	}
	if (strcmp(prop, "template") == 0 && c->power != VMD_HALTED) {
		reply_err(c, "state", "%s is running", c->q.name);
		return;
	}
	if (set_prop(c->vmd, &c->q, prop, v, err, sizeof(err)) == -1) {
		reply_err(c, "invalid", "%s", err);
		return;
	}
	/* a qube may not be relabelled into a colour the caller can't use */
	if (!allowed(c->conn, "vm.set", &c->q)) {
		reply_err(c, "denied", "vm.set on %s: denied by policy",
		    c->q.name);
		return;
	}
	if (vmd_store_update(c->vmd->store, &c->q, err, sizeof(err)) == -1) {
		reply_err(c, "internal", "%s", err);
		return;
	}
	control_event(c->vmd, "property-set", &c->q, json_pack("{s:s, s:O}",
	    "property", prop, "value", v));
	send_qube(c, &c->q);
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
	if (chown(q->display_socket, vmd->display_uid, vmd->display_gid) == -1 ||
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

static void
m_vm_start(struct call *c)
{
	char err[512];

	if (c->q.klass == VMD_CLASS_TEMPLATE) {
		if (vmd_store_template_users(c->vmd->store, c->q.name) > 0)
			log_info("%s: starting a template that has qubes; they "
			    "see its changes at their next start", c->q.name);
	}
	if (c->power != VMD_HALTED) {
		reply_err(c, "state", "%s is already %s", c->q.name,
		    vmd_power_name(c->power));
		return;
	}
	if (start_qube(c->vmd, &c->q, err, sizeof(err)) == -1) {
		reply_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: started by %s", c->q.name, c->conn->who);
	send_qube(c, &c->q);
}

static void
waiter_timeout(int timer, void *arg)
{
	struct vmd_waiter *w = arg;
	struct vmd_conn *conn = w->conn;
	struct vmd *vmd = conn->vmd;

	virEventRemoveTimeout(timer);
	TAILQ_REMOVE(&vmd->waiters, w, entry);
	control_send(conn, tsr_api_reply_err(w->id, "timeout",
	    "%s did not stop in time", w->qube));
	free(w);
	control_resume(conn);
}

void
api_waiters_notify(struct vmd *vmd, const char *qube)
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
api_waiter_cancel(struct vmd_conn *conn)
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

static void
m_vm_shutdown(struct call *c)
{
	json_t *wait = json_object_get(c->req->args, "wait");
	json_t *tmo = json_object_get(c->req->args, "timeout");
	json_int_t secs = DEFAULT_SHUTDOWN_TIMEOUT;
	struct vmd_waiter *w;
	char err[512];

	if (tmo && (!json_is_integer(tmo) || (secs = json_integer_value(tmo)) <
	    1 || secs > 3600)) {
		reply_err(c, "invalid", "timeout is 1 to 3600 seconds");
		return;
	}
	if (c->power == VMD_HALTED) {
		reply_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	if (hv_shutdown(c->vmd, c->q.name, err, sizeof(err)) == -1) {
		reply_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: shutdown asked by %s", c->q.name, c->conn->who);
	if (!json_is_true(wait)) {
		reply_ok(c, NULL);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		reply_err(c, "internal", "out of memory");
		return;
	}
	w->conn = c->conn;
	w->id = c->req->id;
	snprintf(w->qube, sizeof(w->qube), "%s", c->q.name);
	w->timer = virEventAddTimeout((int)secs * 1000, waiter_timeout, w,
	    NULL);
	TAILQ_INSERT_TAIL(&c->vmd->waiters, w, entry);
	c->conn->waiting = 1;	/* no more requests until this reply */
	/* it may have stopped already, before we registered */
	if (hv_power(c->vmd, c->q.name) == VMD_HALTED)
		api_waiters_notify(c->vmd, c->q.name);
}

static void
m_vm_kill(struct call *c)
{
	char err[512];

	if (c->power == VMD_HALTED) {
		reply_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	if (hv_kill(c->vmd, c->q.name, err, sizeof(err)) == -1) {
		reply_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: killed by %s", c->q.name, c->conn->who);
	reply_ok(c, NULL);
}

static void
pause_common(struct call *c, int pause)
{
	char err[512];

	if (c->power != (pause ? VMD_RUNNING : VMD_PAUSED)) {
		reply_err(c, "state", "%s is %s", c->q.name,
		    vmd_power_name(c->power));
		return;
	}
	if (hv_pause(c->vmd, c->q.name, pause, err, sizeof(err)) == -1) {
		reply_err(c, "hypervisor", "%s", err);
		return;
	}
	send_qube(c, &c->q);
}

static void m_vm_pause(struct call *c) { pause_common(c, 1); }
static void m_vm_unpause(struct call *c) { pause_common(c, 0); }

static void
m_dispvm_create(struct call *c)
{
	struct vmd_qube *base = &c->q, d;
	const char *code;
	char err[512];

	if (base->klass == VMD_CLASS_DISPOSABLE ||
	    base->klass == VMD_CLASS_STANDALONE) {
		/* a qube's default disposable template, as in Qubes */
		if (!base->default_dispvm[0] || vmd_store_get(c->vmd->store,
		    base->default_dispvm, base, NULL) != 1) {
			reply_err(c, "invalid", "%s has no default disposable "
			    "template", c->req->target);
			return;
		}
	}
	memset(&d, 0, sizeof(d));
	if (vmd_store_next_disp_name(c->vmd->store, d.name, sizeof(d.name)) ==
	    -1) {
		reply_err(c, "busy", "no free disposable name");
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
	if (!allowed(c->conn, "dispvm.create", &d)) {
		reply_err(c, "denied", "dispvm.create: denied by policy");
		return;
	}
	new_uuid(&d);
	if (create_qube(c->vmd, &d, "busy", err, sizeof(err), &code) == -1) {
		reply_err(c, code, "%s", err);
		return;
	}
	if (start_qube(c->vmd, &d, err, sizeof(err)) == -1) {
		remove_qube(c->vmd, &d);
		reply_err(c, "hypervisor", "%s", err);
		return;
	}
	log_info("%s: disposable from %s started by %s", d.name, base->name,
	    c->conn->who);
	send_qube(c, &d);
}

/* Progress of a long copy, to the caller only, sent at once. */
static void
import_progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	struct call *c = arg;
	const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;

	control_send(c->conn, tsr_api_event("progress", NULL, json_pack(
	    "{s:I, s:s, s:I, s:I}", "id", (json_int_t)c->req->id, "file", base,
	    "done", (json_int_t)done, "total", (json_int_t)total)));
	control_flush(c->conn);
}

static void
m_template_import(struct call *c)
{
	json_t *args = c->req->args;
	const char *name = json_string_value(json_object_get(args, "name"));
	const char *kernel = json_string_value(json_object_get(args, "kernel"));
	const char *initrd = json_string_value(json_object_get(args, "initrd"));
	const char *label = json_string_value(json_object_get(args, "label"));
	const char *opts = json_string_value(json_object_get(args,
	    "kernel_opts"));
	const char *disk;
	struct vmd_qube *q = &c->q;
	char dir[VMD_PATH_MAX], err[512];
	const char *code;

	memset(q, 0, sizeof(*q));
	if (name == NULL || !vmd_valid_name(name) || reserved_name(name)) {
		reply_err(c, "invalid", "invalid template name");
		return;
	}
	if (kernel == NULL || file_ok(kernel, err, sizeof(err)) == -1 ||
	    (initrd && file_ok(initrd, err, sizeof(err)) == -1)) {
		reply_err(c, "invalid", "%s", kernel ? err : "a kernel is needed");
		return;
	}
	disk = json_string_value(json_object_get(args, "disk"));
	if (json_object_get(args, "disk") && (disk == NULL ||
	    file_ok(disk, err, sizeof(err)) == -1)) {
		reply_err(c, "invalid", "%s", disk ? err : "disk: a path");
		return;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->klass = VMD_CLASS_TEMPLATE;
	if (tsr_label_parse(label ? label : "black", &q->label) == -1) {
		reply_err(c, "invalid", "invalid label");
		return;
	}
	if (opts && set_prop(c->vmd, q, "kernel_opts", json_object_get(args,
	    "kernel_opts"), err, sizeof(err)) == -1) {
		reply_err(c, "invalid", "%s", err);
		return;
	}
	q->memory_mib = DEFAULT_MEMORY;
	q->vcpus = 1;
	if (!allowed(c->conn, "template.import", q)) {
		reply_err(c, "denied", "template.import: denied by policy");
		return;
	}
	if (vol_qube_dir(c->vmd, name, dir, sizeof(dir)) == -1 ||
	    (size_t)snprintf(q->kernel, sizeof(q->kernel), "%s/vmlinuz", dir) >=
	    sizeof(q->kernel) || (initrd && (size_t)snprintf(q->initrd,
	    sizeof(q->initrd), "%s/initrd", dir) >= sizeof(q->initrd))) {
		reply_err(c, "internal", "state directory path too long");
		return;
	}
	new_uuid(q);
	if (vmd_store_insert(c->vmd->store, q, err, sizeof(err)) == -1) {
		reply_err(c, errno == EEXIST ? "exists" : "internal", "%s", err);
		return;
	}
	code = "internal";
	if (vol_create(c->vmd, q, err, sizeof(err)) == -1 ||
	    vol_import_file_progress(c->vmd, kernel, q->kernel, import_progress,
	    c, err, sizeof(err)) == -1 || (initrd &&
	    vol_import_file_progress(c->vmd, initrd, q->initrd, import_progress,
	    c, err, sizeof(err)) == -1) ||
	    (disk && vol_import_disk(c->vmd, disk, q, err, sizeof(err)) == -1))
		goto undo;
	code = "hypervisor";
	if (hv_define(c->vmd, q, err, sizeof(err)) == -1)
		goto undo;
	vmd_store_set_state(c->vmd->store, q->name, VMD_Q_READY);
	control_event(c->vmd, "qube-added", q, NULL);
	log_info("%s: template imported by %s", q->name, c->conn->who);
	send_qube(c, q);
	return;
undo:
	vol_remove(c->vmd, q->name);
	vmd_store_delete(c->vmd->store, q->name);
	reply_err(c, code, "%s", err);
}

static void
m_events_subscribe(struct call *c)
{
	c->conn->subscribed = 1;
	reply_ok(c, NULL);
	control_send(c->conn, tsr_api_event("connection-established", NULL,
	    NULL));
}

/*
 * A ticket for the caller to log on to the qube's render-server over RDP
 * (user VMD_TICKET_USER, the secret in hex as the password).  It stands
 * for this connection's caller, on this qube, until the connection closes;
 * asking again replaces it.  The render-server redeems it with
 * display.authorize, and the policy is checked then, as for a certificate.
 */
static int
ticket_issue(struct call *c, json_t *ep)
{
	struct vmd_conn *conn = c->conn;
	struct vmd_ticket *t = NULL, *nt;
	char hex[2 * sizeof(t->secret) + 1];
	size_t i;

	for (i = 0; i < conn->ntickets; i++)
		if (strcmp(conn->tickets[i].qube, c->q.name) == 0)
			t = &conn->tickets[i];
	if (t == NULL) {
		if (conn->ntickets >= VMD_TICKET_MAX ||
		    (nt = realloc(conn->tickets, (conn->ntickets + 1) *
		    sizeof(*nt))) == NULL)
			return -1;
		conn->tickets = nt;
		t = &conn->tickets[conn->ntickets++];
		snprintf(t->qube, sizeof(t->qube), "%s", c->q.name);
	}
	if (RAND_bytes(t->secret, sizeof(t->secret)) != 1)
		return -1;
	for (i = 0; i < sizeof(t->secret); i++)
		snprintf(hex + 2 * i, 3, "%02x", t->secret[i]);
	json_object_set_new(ep, "rdp_user", json_string(VMD_TICKET_USER));
	json_object_set_new(ep, "rdp_password", json_string(hex));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

/* The connection whose ticket for qube this is, or NULL. */
static struct vmd_conn *
ticket_find(struct vmd *vmd, const char *qube, const char *hex)
{
	unsigned char secret[sizeof(((struct vmd_ticket *)0)->secret)];
	struct vmd_conn *conn, *found = NULL;
	unsigned v;
	size_t i;

	if (strlen(hex) != 2 * sizeof(secret))
		return NULL;
	for (i = 0; i < sizeof(secret); i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]))
			return NULL;
		secret[i] = (unsigned char)v;
	}
	TAILQ_FOREACH(conn, &vmd->conns, entry) {
		if (conn->dead || conn->render_qube[0] != '\0')
			continue;
		for (i = 0; i < conn->ntickets; i++)
			if (strcmp(conn->tickets[i].qube, qube) == 0 &&
			    CRYPTO_memcmp(conn->tickets[i].secret, secret,
			    sizeof(secret)) == 0)
				found = conn;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return found;
}

static void
m_display_endpoint(struct call *c)
{
	json_t *ep;

	if (c->power == VMD_HALTED) {
		reply_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	vol_paths(c->vmd, &c->q);
	ep = render_endpoint(c->vmd, c->q.name);
	if (ep == NULL && c->conn->ssl != NULL) {
		reply_err(c, "unavailable", "%s has no network display",
		    c->q.name);
		return;
	}
	if (ep == NULL)
		ep = json_object();
	else if (json_is_true(json_object_get(c->req->args, "ticket")) &&
	    ticket_issue(c, ep) == -1) {
		json_decref(ep);
		reply_err(c, "internal", "no ticket for %s", c->q.name);
		return;
	}
	/* the device model's socket is for local callers only */
	if (c->conn->ssl == NULL)
		json_object_set_new(ep, "socket", json_string(c->q.display_socket));
	json_object_set_new(ep, "label", json_string(c->q.label.name));
	reply_ok(c, ep);
}

/*
 * A render-server asks whether a viewer may see a qube: the caller (the
 * render-server) must be allowed display.authorize, and the viewer
 * display.connect.  Viewers with a certificate are cert:CN / role:ROLE;
 * viewers with a password are login:NAME (never a unix user).
 */
static void
m_display_authorize(struct call *c)
{
	const char *cn = json_string_value(json_object_get(c->req->args, "cn"));
	const char *role = json_string_value(json_object_get(c->req->args,
	    "role"));
	const char *user = json_string_value(json_object_get(c->req->args,
	    "user"));
	const char *ticket = json_string_value(json_object_get(c->req->args,
	    "ticket"));
	struct vmd_caller viewer;
	struct vmd_target t;
	int ok;

	memset(&viewer, 0, sizeof(viewer));
	if (ticket != NULL && !cn && !user) {
		struct vmd_conn *holder = ticket_find(c->vmd, c->q.name,
		    ticket);

		api_target_of(c->vmd, &c->q, &t);
		ok = holder != NULL && vmd_policy_check(c->vmd->policy,
		    "display.connect", &holder->caller, &t, NULL);
		log_info("%s: viewer %s%s on %s: %s", c->conn->who,
		    holder ? holder->who : "with an unknown ticket",
		    holder ? " (ticket)" : "", c->q.name,
		    ok ? "allowed" : "refused");
		if (!ok) {
			reply_ok(c, json_pack("{s:b}", "allowed", 0));
			return;
		}
		/* tessera-view (certificate or local) draws the frame */
		reply_ok(c, json_pack("{s:b, s:s, s:b}", "allowed", 1,
		    "viewer", holder->who, "unframed",
		    holder->caller.kind != VMD_CALLER_LOGIN));
		return;
	}
	if (cn && !user) {
		viewer.kind = VMD_CALLER_CERT;
		viewer.cn = cn;
		viewer.role = role == NULL ? VMD_ROLE_NONE :
		    strcmp(role, "viewer") == 0 ? VMD_ROLE_VIEWER :
		    strcmp(role, "admin") == 0 ? VMD_ROLE_ADMIN : VMD_ROLE_NONE;
	} else if (user && !cn) {
		viewer.kind = VMD_CALLER_LOGIN;
		viewer.user = user;
	} else {
		reply_err(c, "invalid", "display.authorize wants cn (and role), "
		    "user, or ticket");
		return;
	}
	api_target_of(c->vmd, &c->q, &t);
	ok = vmd_policy_check(c->vmd->policy, "display.connect", &viewer, &t,
	    NULL);
	log_info("%s: viewer %s%s on %s: %s", c->conn->who, cn ? "cert:" :
	    "user:", cn ? cn : user, c->q.name, ok ? "allowed" : "refused");
	reply_ok(c, json_pack("{s:b}", "allowed", ok));
}

static const struct method {
	const char	*name;
	void		(*fn)(struct call *);
	int		 target;	/* 1: needs one, 2: optional */
} methods[] = {
	{ "vm.list",		m_vm_list,		0 },
	{ "vm.get",		m_vm_get,		1 },
	{ "vm.create",		m_vm_create,		0 },
	{ "vm.clone",		m_vm_clone,		1 },
	{ "vm.remove",		m_vm_remove,		1 },
	{ "vm.set",		m_vm_set,		1 },
	{ "vm.start",		m_vm_start,		1 },
	{ "vm.shutdown",	m_vm_shutdown,		1 },
	{ "vm.kill",		m_vm_kill,		1 },
	{ "vm.pause",		m_vm_pause,		1 },
	{ "vm.unpause",		m_vm_unpause,		1 },
	{ "dispvm.create",	m_dispvm_create,	1 },
	{ "template.import",	m_template_import,	0 },
	{ "label.list",		m_label_list,		0 },
	{ "events.subscribe",	m_events_subscribe,	0 },
	{ "display.endpoint",	m_display_endpoint,	1 },
	{ "display.authorize",	m_display_authorize,	1 },
};

void
api_dispatch(struct vmd_conn *conn, struct tsr_api_req *req)
{
	struct call *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		control_send(conn, tsr_api_reply_err(req->id, "internal",
		    "out of memory"));
		return;
	}
	c->conn = conn;
	c->vmd = conn->vmd;
	c->req = req;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, req->method) == 0)
			break;
	if (conn->render_qube[0] != '\0' && (i == sizeof(methods) /
	    sizeof(methods[0]) || methods[i].fn != m_display_authorize)) {
		reply_err(c, "denied", "a render-server may only ask "
		    "display.authorize");
		goto out;
	}
	if (i == sizeof(methods) / sizeof(methods[0])) {
		reply_err(c, "bad-request", "no method %s", req->method);
		goto out;
	}
	if (methods[i].target == 1 && req->target[0] == '\0') {
		reply_err(c, "bad-request", "%s needs a target", req->method);
		goto out;
	}
	if (methods[i].target == 0 && req->target[0] != '\0') {
		reply_err(c, "bad-request", "%s takes no target", req->method);
		goto out;
	}
	if (methods[i].target) {
		if (load_target(c) == -1)
			goto out;
	} else if (methods[i].fn != m_vm_create &&
	    methods[i].fn != m_template_import && methods[i].fn != m_vm_list &&
	    !allowed(conn, req->method, NULL)) {
		/*
		 * host-level calls; create and import check their new qube,
		 * vm.list filters per qube
		 */
		reply_err(c, "denied", "%s: denied by policy", req->method);
		goto out;
	}
	methods[i].fn(c);
out:
	free(c);
}

/* At the daemon's start: qubes marked autostart that are not running. */
struct autostart {
	struct vmd	*vmd;
	char		(*names)[VMD_NAME_MAX + 1];
	size_t		 n, cap;
};

static int
autostart_one(const struct vmd_qube *q, enum vmd_qstate st, void *arg)
{
	struct autostart *a = arg;
	void *nv;

	if (st != VMD_Q_READY || !q->autostart ||
	    q->klass == VMD_CLASS_TEMPLATE)
		return 0;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 8;
		if ((nv = realloc(a->names, a->cap * sizeof(*a->names))) == NULL)
			return 1;
		a->names = nv;
	}
	snprintf(a->names[a->n++], VMD_NAME_MAX + 1, "%s", q->name);
	return 0;
}

void
api_autostart(struct vmd *vmd)
{
	struct autostart a = { .vmd = vmd };
	struct vmd_qube q;
	char err[512];
	size_t i;

	vmd_store_foreach(vmd->store, autostart_one, &a);
	for (i = 0; i < a.n; i++) {
		if (vmd_store_get(vmd->store, a.names[i], &q, NULL) != 1 ||
		    hv_power(vmd, q.name) != VMD_HALTED)
			continue;
		if (start_qube(vmd, &q, err, sizeof(err)) == -1)
			log_warnx("%s: autostart failed: %s", q.name, err);
		else
			log_info("%s: started (autostart)", q.name);
	}
	free(a.names);
}

/* A qube found running after a restart of the daemon. */
void
api_adopt(struct vmd *vmd, const struct vmd_qube *q)
{
	struct vmd_qube a = *q;

	if (vol_paths(vmd, &a) == 0)
		own_display(vmd, &a);
	log_info("%s: running, re-adopted", q->name);
	render_start(vmd, q->name);
}

/* Called from vmd.c when a qube stopped: disposables go away. */
void vmd_dispose(struct vmd *, const char *name);
void
vmd_dispose(struct vmd *vmd, const char *name)
{
	struct vmd_qube q;

	if (vmd_store_get(vmd->store, name, &q, NULL) != 1 ||
	    q.klass != VMD_CLASS_DISPOSABLE)
		return;
	if (remove_qube(vmd, &q) == 0)
		log_info("%s: disposable stopped and discarded", name);
}
