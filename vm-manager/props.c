/*
 * The qube property table, and what is done with it: parsing a value
 * from the Admin API, writing the qube object.  See props.h.  A new
 * property is a field in struct vmd_qube, a row here (and, if it is
 * stored, a column in the store: a migration in store.c), and a line in
 * docs/admin-api.md's property list, which test-vmd-props checks.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"
#include "props.h"

#define F(field) \
	offsetof(struct vmd_qube, field), sizeof(((struct vmd_qube *)0)->field)
#define APPS \
	(VMD_CLASS_BIT(VMD_CLASS_APP) | VMD_CLASS_BIT(VMD_CLASS_DISPOSABLE))
#define TEMPLATES VMD_CLASS_BIT(VMD_CLASS_TEMPLATE)

/*
 * In the order of the Admin API's qube object.  CREATE: vm.create takes
 * it; SET: vm.set too; HALTED: only while halted; RESTART: a running
 * qube sees it at its next start.
 */
const struct vmd_prop vmd_props[] = {
	{ "name", VMD_PT_QUBE, VMD_PF_CREATE | VMD_PF_KEY, F(name), "name",
	    .help = "[a-z][a-z0-9-]{0,30}, not dom0, host or disp*" },
	{ "uuid", VMD_PT_TEXT, 0, F(uuid), "uuid",
	    .help = "the libvirt domain's UUID, made at creation" },
	{ "class", VMD_PT_CLASS, VMD_PF_CREATE, F(klass), "class",
	    .help = "template, app, disposable or standalone" },
	{ "label", VMD_PT_LABEL, VMD_PF_CREATE | VMD_PF_SET, F(label), "label",
	    .help = "the trust label: a name or #rrggbb" },
	{ "color", VMD_PT_COLOR, 0, F(label), NULL,
	    .help = "the label's colour, #rrggbb" },
	{ "template", VMD_PT_QUBE,
	    VMD_PF_CREATE | VMD_PF_SET | VMD_PF_HALTED | VMD_PF_RESTART |
		VMD_PF_NULL,
	    F(template_name), "template", .owners = APPS, .refs = TEMPLATES,
	    .help = "the template an app qube or disposable boots from" },
	{ "state", VMD_PT_POWER, 0, 0, 0, NULL,
	    .help = "halted, starting, running, paused or shutting-down" },
	{ "memory", VMD_PT_UINT, VMD_PF_CREATE | VMD_PF_SET | VMD_PF_RESTART,
	    F(memory_mib), "memory_mib", VMD_MEMORY_MIN_MIB, VMD_MEMORY_MAX_MIB,
	    .help = "memory in MiB, 32 to 1048576" },
	{ "vcpus", VMD_PT_UINT, VMD_PF_CREATE | VMD_PF_SET | VMD_PF_RESTART,
	    F(vcpus), "vcpus", 1, VMD_VCPUS_MAX,
	    .help = "virtual CPUs, 1 to 128" },
	{ "autostart", VMD_PT_BOOL, VMD_PF_CREATE | VMD_PF_SET, F(autostart),
	    "autostart", .help = "started when tessera-vmd starts" },
	{ "default_dispvm", VMD_PT_QUBE,
	    VMD_PF_CREATE | VMD_PF_SET | VMD_PF_NONE, F(default_dispvm),
	    "default_dispvm", .refs = VMD_CLASS_BIT(VMD_CLASS_APP) | TEMPLATES,
	    .help = "what dispvm.create on this qube makes disposables of" },
	{ "kernel", VMD_PT_PATH, VMD_PF_CREATE | VMD_PF_SET | VMD_PF_RESTART,
	    F(kernel), "kernel",
	    .help = "set as a template's name: its kernel; \"\": inherit" },
	{ "initrd", VMD_PT_PATH, VMD_PF_CREATE | VMD_PF_SET | VMD_PF_RESTART,
	    F(initrd), "initrd",
	    .help = "set as a template's name: its initrd; or \"\"" },
	{ "kernel_opts", VMD_PT_TEXT,
	    VMD_PF_CREATE | VMD_PF_SET | VMD_PF_RESTART, F(kernel_opts),
	    "kernel_opts", .help = "the kernel's command line" },
	{ "tags", VMD_PT_TAGS, VMD_PF_CREATE | VMD_PF_SET, F(tags), NULL,
	    .help = "up to 16 of [a-z0-9_-]{1,31}, for the policy" },
};
const size_t vmd_nprops = sizeof(vmd_props) / sizeof(vmd_props[0]);

const struct vmd_prop *
vmd_prop_find(const char *name)
{
	size_t i;

	for (i = 0; i < vmd_nprops; i++)
		if (strcmp(vmd_props[i].name, name) == 0)
			return &vmd_props[i];
	return NULL;
}

const char *
vmd_prop_type_name(enum vmd_prop_type t)
{
	static const char *const names[] = {
		[VMD_PT_TEXT] = "text",
		[VMD_PT_PATH] = "path",
		[VMD_PT_QUBE] = "qube",
		[VMD_PT_CLASS] = "class",
		[VMD_PT_LABEL] = "label",
		[VMD_PT_COLOR] = "colour",
		[VMD_PT_POWER] = "state",
		[VMD_PT_UINT] = "integer",
		[VMD_PT_BOOL] = "boolean",
		[VMD_PT_TAGS] = "tags",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *
vmd_prop_access(const struct vmd_prop *p)
{
	if (!(p->flags & VMD_PF_SET))
		return p->flags & VMD_PF_CREATE ? "create" : "read-only";
	if (p->flags & VMD_PF_HALTED)
		return "set, halted";
	return p->flags & VMD_PF_RESTART ? "set, restart" : "set";
}

static const char *const class_names[] = {
	[VMD_CLASS_TEMPLATE] = "template",
	[VMD_CLASS_APP] = "app",
	[VMD_CLASS_DISPOSABLE] = "disposable",
	[VMD_CLASS_STANDALONE] = "standalone",
};

const char *
vmd_class_name(enum vmd_class klass)
{
	return (unsigned)klass < 4 ? class_names[klass] : NULL;
}

int
vmd_class_parse(const char *s, enum vmd_class *c)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, class_names[i]) == 0) {
			*c = (enum vmd_class)i;
			return 0;
		}
	return -1;
}

static int
valid_tag(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > VMD_TAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
			isdigit((unsigned char)s[i]) || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	return 1;
}

/*
 * A boot file (kernel or initrd, p names which): set only as the name of
 * a template the caller may see, whose stored file of the same kind the
 * qube then boots, or "" (inherit the template's).  A host path is never
 * taken from the API: template.import copies files into the store.  The
 * answer for anything else is the same whether or not the value names
 * something that exists, and does not repeat it.
 */
static int
set_boot_file(struct vmd_qube *q, const struct vmd_prop *p, const char *s,
    vmd_qube_lookup lookup, void *arg, char *err, size_t errlen)
{
	struct vmd_qube *t;
	const char *file;
	int rc;

	if (s[0] == '\0') {
		((char *)q)[p->off] = '\0';
		return 0;
	}
	if (!tsr_qube_name_valid(s) || (t = malloc(sizeof(*t))) == NULL)
		goto bad;
	file = (const char *)t + p->off;
	rc = lookup(arg, s, t) == 1 && t->klass == VMD_CLASS_TEMPLATE &&
	    file[0] != '\0';
	if (rc)
		snprintf((char *)q + p->off, p->size, "%s", file);
	free(t);
	if (rc)
		return 0;
bad:
	snprintf(err, errlen, "%s: the name of a template with one, or \"\"",
	    p->name);
	return -1;
}

/*
 * A qube name another property names: valid, of a qube that exists and
 * is of a class in p->refs ("" only when p allows none).
 */
static int
set_qube_ref(struct vmd_qube *q, const struct vmd_prop *p, const char *s,
    vmd_qube_lookup lookup, void *arg, char *err, size_t errlen)
{
	struct vmd_qube *t;
	int rc;

	if (p->owners && !(p->owners & VMD_CLASS_BIT(q->klass))) {
		snprintf(err, errlen, "a %s has no %s",
		    vmd_class_name(q->klass), p->name);
		return -1;
	}
	if (s[0] || !(p->flags & VMD_PF_NONE)) {
		if ((t = malloc(sizeof(*t))) == NULL) {
			snprintf(err, errlen, "%.40s: invalid value", p->name);
			return -1;
		}
		rc = lookup(arg, s, t) == 1 &&
		    (p->refs & VMD_CLASS_BIT(t->klass));
		free(t);
		if (!rc) {
			snprintf(err, errlen, "%s: no such %s", s,
			    p->refs == TEMPLATES ? "template" : "qube");
			return -1;
		}
	}
	snprintf((char *)q + p->off, p->size, "%s", s);
	return 0;
}

int
vmd_prop_set(struct vmd_qube *q, const char *key, json_t *v,
    vmd_qube_lookup lookup, void *arg, char *err, size_t errlen)
{
	const struct vmd_prop *p = vmd_prop_find(key);
	const char *s = json_string_value(v);
	char *field;
	json_int_t n;
	json_t *e;
	size_t i;

	if (p == NULL || !(p->flags & VMD_PF_SET)) {
		snprintf(err, errlen, "%.40s: no such property", key);
		return -1;
	}
	field = (char *)q + p->off;
	switch (p->type) {
	case VMD_PT_LABEL:
		if (s == NULL ||
		    tsr_label_parse(s, (struct tsr_label *)field) == -1)
			goto bad;
		break;
	case VMD_PT_UINT:
		if (!json_is_integer(v) ||
		    (n = json_integer_value(v)) < (json_int_t)p->min ||
		    n > (json_int_t)p->max)
			goto bad;
		*(uint32_t *)field = (uint32_t)n;
		break;
	case VMD_PT_PATH:
		if (s == NULL)
			goto bad;
		return set_boot_file(q, p, s, lookup, arg, err, errlen);
	case VMD_PT_TEXT:
		if (s == NULL || strlen(s) >= p->size)
			goto bad;
		for (i = 0; s[i]; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				goto bad;
		snprintf(field, p->size, "%s", s);
		break;
	case VMD_PT_BOOL:
		if (!json_is_boolean(v))
			goto bad;
		*(int *)field = json_is_true(v);
		break;
	case VMD_PT_QUBE:
		if (s == NULL || (s[0] && !tsr_qube_name_valid(s)))
			goto bad;
		return set_qube_ref(q, p, s, lookup, arg, err, errlen);
	case VMD_PT_TAGS:
		if (!json_is_array(v) || json_array_size(v) > VMD_TAGS_MAX)
			goto bad;
		json_array_foreach(v, i, e) {
			if (!json_is_string(e) ||
			    !valid_tag(json_string_value(e)))
				goto bad;
			snprintf(q->tags[i], sizeof(q->tags[i]), "%s",
			    json_string_value(e));
		}
		q->ntags = (int)json_array_size(v);
		break;
	default:
		goto bad; /* not settable: no row says SET */
	}
	return 0;
bad:
	snprintf(err, errlen, "%.40s: invalid value", key);
	return -1;
}

static json_t *
prop_json(const struct vmd_qube *q, const struct vmd_prop *p,
    enum tsr_power power)
{
	const char *field = (const char *)q + p->off;
	json_t *tags;
	char hex[8];
	int i;

	switch (p->type) {
	case VMD_PT_TEXT:
	case VMD_PT_PATH:
	case VMD_PT_QUBE:
		return json_string(field);
	case VMD_PT_CLASS:
		return json_string(vmd_class_name(q->klass));
	case VMD_PT_LABEL:
		return json_string(((const struct tsr_label *)field)->name);
	case VMD_PT_COLOR:
		return json_string(
		    tsr_label_hex(((const struct tsr_label *)field)->rgb, hex,
			sizeof(hex)));
	case VMD_PT_POWER:
		return json_string(tsr_power_name(power));
	case VMD_PT_UINT:
		return json_integer(*(const uint32_t *)field);
	case VMD_PT_BOOL:
		return json_boolean(*(const int *)field);
	case VMD_PT_TAGS:
		tags = json_array();
		for (i = 0; i < q->ntags; i++)
			json_array_append_new(tags, json_string(q->tags[i]));
		return tags;
	}
	return json_null();
}

json_t *
vmd_qube_json(const struct vmd_qube *q, enum tsr_power power)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < vmd_nprops; i++)
		json_object_set_new(o, vmd_props[i].name,
		    prop_json(q, &vmd_props[i], power));
	return o;
}
