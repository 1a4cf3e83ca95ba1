/*
 * The qube property table (vm-manager/props.c): values vm.set and
 * vm.create take or refuse, one line per case; the qube object's keys
 * and forms; the table's own consistency; and that docs/admin-api.md's
 * property list is exactly the table (on a mismatch, the line it wants
 * is printed, to paste in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../vm-manager/props.h"
#include "../lib/tap.h"

/* The qubes vmd_prop_set may look up. */
static int
lookup(void *arg, const char *name, struct vmd_qube *out)
{
	static const struct {
		const char *name;
		enum vmd_class klass;
	} qubes[] = {
		{ "debian", VMD_CLASS_TEMPLATE },
		{ "bare", VMD_CLASS_TEMPLATE }, /* no boot files */
		{ "work", VMD_CLASS_APP },
		{ "vault", VMD_CLASS_STANDALONE },
		{ "disp7", VMD_CLASS_DISPOSABLE },
	};
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(qubes) / sizeof(qubes[0]); i++)
		if (strcmp(qubes[i].name, name) == 0) {
			memset(out, 0, sizeof(*out));
			snprintf(out->name, sizeof(out->name), "%s", name);
			out->klass = qubes[i].klass;
			if (strcmp(name, "debian") == 0) {
				snprintf(out->kernel, sizeof(out->kernel),
				    "/s/debian/vmlinuz");
				snprintf(out->initrd, sizeof(out->initrd),
				    "/s/debian/initrd");
			}
			return 1;
		}
	return 0;
}

/* A kernel_opts of 512 bytes: one too many. */
#define X64 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define LONG512 "\"" X64 X64 X64 X64 X64 X64 X64 X64 "\""

/* The one answer for a boot file that is not a template's. */
#define KBAD "kernel: the name of a template with one, or \"\""
#define IBAD "initrd: the name of a template with one, or \"\""

/*
 * key, JSON value, the class of the qube it is set on, and the error
 * wanted ("" for success).  After a success, the qube's JSON value of key
 * must be the one given (want_json, or the value itself when NULL).
 */
static const struct pcase {
	const char *key;
	const char *value;
	enum vmd_class klass;
	const char *err;
	const char *want_json;
} cases[] = {
	{ "label", "\"blue\"", VMD_CLASS_APP, "", NULL },
	{ "label", "\"#123456\"", VMD_CLASS_APP, "", NULL },
	{ "label", "\"mauve\"", VMD_CLASS_APP, "label: invalid value", NULL },
	{ "label", "3", VMD_CLASS_APP, "label: invalid value", NULL },
	{ "memory", "32", VMD_CLASS_APP, "", NULL },
	{ "memory", "1048576", VMD_CLASS_APP, "", NULL },
	{ "memory", "31", VMD_CLASS_APP, "memory: invalid value", NULL },
	{ "memory", "1048577", VMD_CLASS_APP, "memory: invalid value", NULL },
	{ "memory", "\"256\"", VMD_CLASS_APP, "memory: invalid value", NULL },
	{ "vcpus", "1", VMD_CLASS_APP, "", NULL },
	{ "vcpus", "128", VMD_CLASS_APP, "", NULL },
	{ "vcpus", "0", VMD_CLASS_APP, "vcpus: invalid value", NULL },
	{ "vcpus", "129", VMD_CLASS_APP, "vcpus: invalid value", NULL },
	{ "vcpus", "true", VMD_CLASS_APP, "vcpus: invalid value", NULL },
	{ "autostart", "true", VMD_CLASS_APP, "", NULL },
	{ "autostart", "false", VMD_CLASS_APP, "", NULL },
	{ "autostart", "1", VMD_CLASS_APP, "autostart: invalid value", NULL },
	{ "kernel", "\"\"", VMD_CLASS_APP, "", NULL },
	{ "kernel", "\"debian\"", VMD_CLASS_APP, "", "\"/s/debian/vmlinuz\"" },
	{ "initrd", "\"debian\"", VMD_CLASS_APP, "", "\"/s/debian/initrd\"" },
	/* a host path is refused alike whether or not it exists */
	{ "kernel", "\"/etc/passwd\"", VMD_CLASS_APP, KBAD, NULL },
	{ "kernel", "\"/nonexistent/k\"", VMD_CLASS_APP, KBAD, NULL },
	{ "kernel", "\"vmlinuz\"", VMD_CLASS_APP, KBAD, NULL },
	{ "kernel", "\"work\"", VMD_CLASS_APP, KBAD, NULL },
	{ "kernel", "\"bare\"", VMD_CLASS_APP, KBAD, NULL },
	{ "initrd", "\"/etc\"", VMD_CLASS_APP, IBAD, NULL },
	{ "initrd", "\"bare\"", VMD_CLASS_APP, IBAD, NULL },
	{ "initrd", "7", VMD_CLASS_APP, "initrd: invalid value", NULL },
	{ "kernel_opts", "\"console=ttyS0 quiet\"", VMD_CLASS_APP, "", NULL },
	{ "kernel_opts", "\"a\\tb\"", VMD_CLASS_APP,
	    "kernel_opts: invalid value", NULL },
	{ "kernel_opts", LONG512, VMD_CLASS_APP, "kernel_opts: invalid value",
	    NULL },
	{ "template", "\"debian\"", VMD_CLASS_APP, "", NULL },
	{ "template", "\"debian\"", VMD_CLASS_DISPOSABLE, "", NULL },
	{ "template", "\"work\"", VMD_CLASS_APP, "work: no such template",
	    NULL },
	{ "template", "\"\"", VMD_CLASS_APP, ": no such template", NULL },
	{ "template", "\"Debian\"", VMD_CLASS_APP, "template: invalid value",
	    NULL },
	{ "template", "\"debian\"", VMD_CLASS_STANDALONE,
	    "a standalone has no template", NULL },
	{ "template", "\"debian\"", VMD_CLASS_TEMPLATE,
	    "a template has no template", NULL },
	{ "default_dispvm", "\"\"", VMD_CLASS_APP, "", NULL },
	{ "default_dispvm", "\"work\"", VMD_CLASS_STANDALONE, "", NULL },
	{ "default_dispvm", "\"debian\"", VMD_CLASS_APP, "", NULL },
	{ "default_dispvm", "\"vault\"", VMD_CLASS_APP, "vault: no such qube",
	    NULL },
	{ "default_dispvm", "\"disp7\"", VMD_CLASS_APP, "disp7: no such qube",
	    NULL },
	{ "default_dispvm", "\"nobody\"", VMD_CLASS_APP, "nobody: no such qube",
	    NULL },
	{ "tags", "[]", VMD_CLASS_APP, "", NULL },
	{ "tags", "[\"lab\", \"a-b_c\", \"x1\"]", VMD_CLASS_APP, "", NULL },
	{ "tags", "[\"Lab\"]", VMD_CLASS_APP, "tags: invalid value", NULL },
	{ "tags", "[\"\"]", VMD_CLASS_APP, "tags: invalid value", NULL },
	{ "tags",
	    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
	    "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]",
	    VMD_CLASS_APP, "tags: invalid value", NULL },
	{ "tags", "\"lab\"", VMD_CLASS_APP, "tags: invalid value", NULL },
	{ "name", "\"other\"", VMD_CLASS_APP, "name: no such property", NULL },
	{ "class", "\"app\"", VMD_CLASS_APP, "class: no such property", NULL },
	{ "uuid", "\"x\"", VMD_CLASS_APP, "uuid: no such property", NULL },
	{ "state", "\"running\"", VMD_CLASS_APP, "state: no such property",
	    NULL },
	{ "color", "\"#ffffff\"", VMD_CLASS_APP, "color: no such property",
	    NULL },
	{ "maxmem", "512", VMD_CLASS_APP, "maxmem: no such property", NULL },
};

static void
do_case(const struct pcase *pc)
{
	struct vmd_qube q;
	json_error_t jerr;
	json_t *v, *o;
	char err[256] = "";
	char *got, *want;
	int rc;

	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "q");
	q.klass = pc->klass;
	v = json_loads(pc->value, JSON_DECODE_ANY, &jerr);
	if (!ok(v != NULL, "%s %.30s: the case parses", pc->key, pc->value))
		return;
	rc = vmd_prop_set(&q, pc->key, v, lookup, NULL, err, sizeof(err));
	if (pc->err[0] != '\0') {
		ok(rc == -1, "%s %.30s on a %s: refused", pc->key, pc->value,
		    vmd_class_name(pc->klass));
		is_str(err, pc->err, "... saying why");
	} else if (ok(rc == 0, "%s %.30s on a %s: taken (%s)", pc->key,
		       pc->value, vmd_class_name(pc->klass), err)) {
		o = vmd_qube_json(&q, TSR_POWER_HALTED);
		got = json_dumps(json_object_get(o, pc->key),
		    JSON_ENCODE_ANY | JSON_COMPACT);
		want = pc->want_json ?
		    strdup(pc->want_json) :
		    json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		is_str(got, want, "... and reported back");
		free(got);
		free(want);
		json_decref(o);
	}
	json_decref(v);
}

/* The qube object: every key, in order, in its JSON form. */
static void
check_json(void)
{
	struct vmd_qube q;
	json_t *o;
	char *s;

	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "work");
	snprintf(q.uuid, sizeof(q.uuid),
	    "00000000-0000-4000-8000-000000000001");
	q.klass = VMD_CLASS_APP;
	tsr_label_parse("blue", &q.label);
	snprintf(q.template_name, sizeof(q.template_name), "debian");
	q.memory_mib = 256;
	q.vcpus = 2;
	q.autostart = 1;
	snprintf(q.kernel, sizeof(q.kernel), "/k");
	snprintf(q.kernel_opts, sizeof(q.kernel_opts), "quiet");
	snprintf(q.tags[0], sizeof(q.tags[0]), "lab");
	q.ntags = 1;
	o = vmd_qube_json(&q, TSR_POWER_RUNNING);
	s = json_dumps(o, JSON_COMPACT);
	is_str(s,
	    "{\"name\":\"work\",\"uuid\":"
	    "\"00000000-0000-4000-8000-000000000001\",\"class\":\"app\","
	    "\"label\":\"blue\",\"color\":\"#3465a4\",\"template\":\"debian\","
	    "\"state\":\"running\",\"memory\":256,\"vcpus\":2,"
	    "\"autostart\":true,\"default_dispvm\":\"\",\"kernel\":\"/k\","
	    "\"initrd\":\"\",\"kernel_opts\":\"quiet\",\"tags\":[\"lab\"]}",
	    "the qube object");
	free(s);
	json_decref(o);
}

/* What the other parts rely on. */
static void
check_table(void)
{
	const struct vmd_prop *p;
	size_t i, j;
	int bad;

	for (i = 0, bad = 0; i < vmd_nprops; i++) {
		p = &vmd_props[i];
		if ((p->flags & VMD_PF_SET) && !(p->flags & VMD_PF_CREATE))
			bad++, diag("%s: vm.set but not vm.create", p->name);
		if (p->help == NULL || p->help[0] == '\0')
			bad++, diag("%s: no help", p->name);
		if (p->type == VMD_PT_UINT &&
		    (p->min > p->max || p->size != sizeof(uint32_t)))
			bad++, diag("%s: bounds or field size", p->name);
		for (j = 0; j < i; j++)
			if (strcmp(vmd_props[j].name, p->name) == 0)
				bad++, diag("%s: twice", p->name);
		if (vmd_prop_find(p->name) != p)
			bad++, diag("%s: not found", p->name);
	}
	ok(bad == 0, "the table is consistent");
	ok(vmd_props[0].column && (vmd_props[0].flags & VMD_PF_KEY),
	    "the store's key is the first stored column");
	ok(vmd_prop_find("nope") == NULL, "an unknown name is not found");
}

/* docs/admin-api.md lists exactly the table's properties. */
static void
check_doc(const char *root)
{
	char path[1024], line[1024], want[1024];
	size_t i = 0, n = 0;
	int in = 0, bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/admin-api.md", root);
	if (!ok((f = fopen(path, "r")) != NULL, "%s opens", path))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "## ", 3) == 0)
			in = strcmp(line, "## Qube properties\n") == 0;
		if (!in || strncmp(line, "| `", 3) != 0)
			continue;
		n++;
		if (i >= vmd_nprops) {
			bad++, diag("not in the table: %s", line);
			continue;
		}
		snprintf(want, sizeof(want), "| `%s` | %s | %s | %s |\n",
		    vmd_props[i].name, vmd_prop_type_name(vmd_props[i].type),
		    vmd_prop_access(&vmd_props[i]), vmd_props[i].help);
		if (strcmp(line, want) != 0)
			bad++, diag("want: %s", want);
		i++;
	}
	fclose(f);
	for (; i < vmd_nprops; i++)
		bad++,
		    diag("missing: | `%s` | %s | %s | %s |", vmd_props[i].name,
			vmd_prop_type_name(vmd_props[i].type),
			vmd_prop_access(&vmd_props[i]), vmd_props[i].help);
	ok(bad == 0 && n > 0,
	    "docs/admin-api.md lists the %zu properties of "
	    "the table, in its order and words",
	    vmd_nprops);
}

int
main(void)
{
	const char *root = getenv("TSR_ROOT");
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		do_case(&cases[i]);
	check_json();
	check_table();
	check_doc(root ? root : ".");
	return done_testing();
}
