/*
 * Domain XML and xl config, in libvirt's xml2argv style: each case is
 * tests/vm-manager/domxml/NAME.in, a key=value description of a qube
 * record, and its golden outputs NAME.FLAVOUR.xml (qemu, kvm, xen-pvh,
 * xen-hvm), NAME.FLAVOUR.xl (Xen flavours) and, when some flavour must
 * fail, NAME.err ("FLAVOUR: message" a line).
 *
 *   TSR_REGENERATE=1 build/tests/test-vmd-domxml   rewrites the goldens
 *
 * then review the diff by eye.  Below the cases, table-driven checks of
 * the record validation.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domxml.h"
#include "../lib/tap.h"

static char datadir[1024];
static int regenerate;

static const struct {
	enum vmd_hv hv;
	const char *name;
} flavours[] = {
	{ VMD_HV_QEMU, "qemu" },
	{ VMD_HV_KVM, "kvm" },
	{ VMD_HV_XEN_PVH, "xen-pvh" },
	{ VMD_HV_XEN_HVM, "xen-hvm" },
};
#define NFLAVOURS (sizeof(flavours) / sizeof(flavours[0]))
#define DEFAULT_FLAVOURS ((1u << 0) | (1u << 2) | (1u << 3))

static const char *const cases[] = {
#define DO_TEST(name) name,
	DO_TEST("template-debian") DO_TEST("appvm-blue") DO_TEST("disposable")
	    DO_TEST("standalone-disk-boot") DO_TEST("kvm")
		DO_TEST("custom-label") DO_TEST("hostile-strings")
		    DO_TEST("initramfs-only") DO_TEST("no-kernel-no-disk")
			DO_TEST("memory-zero")
#undef DO_TEST
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* --- a small growing string -------------------------------------------- */

struct str {
	char *s;
	size_t len;
};

static void
str_add(struct str *b, const char *s)
{
	size_t n = strlen(s);

	if ((b->s = realloc(b->s, b->len + n + 1)) == NULL)
		abort();
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* --- files ------------------------------------------------------------- */

static char *
slurp(const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Compares got with the golden file (or rewrites it). */
static void
golden(const char *file, const char *got)
{
	char path[1200];
	char *want;
	size_t i, line = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", datadir, file);
	if (regenerate) {
		if ((f = fopen(path, "w")) == NULL || fputs(got, f) == EOF ||
		    fclose(f) == EOF) {
			ok(0, "%s: regenerated (%s)", file, strerror(errno));
			return;
		}
		ok(1, "%s: regenerated", file);
		return;
	}
	if ((want = slurp(path)) == NULL) {
		ok(0, "%s matches", file);
		diag("  cannot read %s: %s (TSR_REGENERATE=1 writes it)", path,
		    strerror(errno));
		return;
	}
	if (!ok(strcmp(got, want) == 0, "%s matches", file)) {
		for (i = 0; got[i] != '\0' && got[i] == want[i]; i++)
			if (got[i] == '\n')
				line++;
		diag("  first difference on line %zu", line);
		diag("  --- got:\n%s", got);
	}
	free(want);
}

/* A stale golden file for an output that is no longer produced. */
static void
no_golden(const char *file)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s", datadir, file);
	if (regenerate && exists(path))
		unlink(path);
	else if (exists(path))
		ok(0, "%s is stale: that output is not produced", file);
}

/* --- NAME.in ----------------------------------------------------------- */

static int
set(char *field, size_t size, const char *val)
{
	return (size_t)snprintf(field, size, "%s", val) < size ? 0 : -1;
}

/* Applies key=value to q (and the flavour mask). */
static int
apply(struct vmd_qube *q, unsigned *mask, const char *key, const char *val)
{
	char *list, *tok, *save;
	size_t i;
	int rc = 0;

#define FIELD(k, f) \
	if (strcmp(key, k) == 0) \
	return set(q->f, sizeof(q->f), val)
	FIELD("name", name);
	FIELD("uuid", uuid);
	FIELD("template", template_name);
	FIELD("kernel", kernel);
	FIELD("initrd", initrd);
	FIELD("kernel_opts", kernel_opts);
	FIELD("root", root_volume);
	FIELD("private", private_volume);
	FIELD("display", display_socket);
	FIELD("console_log", console_log);
#undef FIELD
	if (strcmp(key, "memory") == 0) {
		q->memory_mib = (uint32_t)strtoul(val, NULL, 10);
		return 0;
	}
	if (strcmp(key, "vcpus") == 0) {
		q->vcpus = (uint32_t)strtoul(val, NULL, 10);
		return 0;
	}
	if (strcmp(key, "label") == 0)
		return tsr_label_parse(val, &q->label);
	if (strcmp(key, "class") == 0) {
		static const char *const names[] = { "template", "app",
			"disposable", "standalone" };

		for (i = 0; i < 4; i++)
			if (strcmp(val, names[i]) == 0) {
				q->klass = (enum vmd_class)i;
				return 0;
			}
		return -1;
	}
	if (strcmp(key, "hv") == 0) {
		if ((list = strdup(val)) == NULL)
			abort();
		*mask = 0;
		for (tok = strtok_r(list, ",", &save); tok != NULL && rc == 0;
		     tok = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < NFLAVOURS; i++)
				if (strcmp(tok, flavours[i].name) == 0)
					break;
			if (i == NFLAVOURS)
				rc = -1;
			else
				*mask |= 1u << i;
		}
		free(list);
		return rc;
	}
	return -1;
}

/* A default qube that the .in files and the table below modify. */
static void
base_qube(struct vmd_qube *q)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "work");
	q->klass = VMD_CLASS_STANDALONE;
	tsr_label_parse("gray", &q->label);
	q->memory_mib = 512;
	q->vcpus = 1;
	snprintf(q->kernel, sizeof(q->kernel), "/boot/vmlinuz");
	snprintf(q->root_volume, sizeof(q->root_volume), "/var/lib/root.qcow2");
	snprintf(q->display_socket, sizeof(q->display_socket),
	    "/run/tessera/work.vnc");
}

static int
read_in(const char *name, struct vmd_qube *q, unsigned *mask)
{
	char path[1200], *buf, *line, *save, *eq;
	int lineno = 0, rc = 0;

	snprintf(path, sizeof(path), "%s/%s.in", datadir, name);
	if ((buf = slurp(path)) == NULL) {
		diag("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	memset(q, 0, sizeof(*q));
	*mask = DEFAULT_FLAVOURS;
	for (line = strtok_r(buf, "\n", &save); line != NULL && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			diag("%s: line %d: no '='", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		if (apply(q, mask, line, eq + 1) < 0) {
			diag("%s: bad %s", path, line);
			rc = -1;
		}
	}
	free(buf);
	return rc;
}

/* --- one case ---------------------------------------------------------- */

static void
do_test(const char *name)
{
	struct vmd_qube q;
	struct str errs = { 0 };
	char file[256], err[256], err2[256], line[400];
	char *xml, *xml2, *cfg;
	unsigned mask;
	size_t i;
	int rc;

	if (!ok(read_in(name, &q, &mask) == 0, "%s.in parses", name))
		return;
	for (i = 0; i < NFLAVOURS; i++) {
		const char *fl = flavours[i].name;
		enum vmd_hv hv = flavours[i].hv;
		int xen = hv == VMD_HV_XEN_PVH || hv == VMD_HV_XEN_HVM;

		snprintf(file, sizeof(file), "%s.%s.xml", name, fl);
		if (!(mask & (1u << i))) {
			no_golden(file);
			snprintf(file, sizeof(file), "%s.%s.xl", name, fl);
			no_golden(file);
			continue;
		}
		err[0] = '\0';
		rc = vmd_domxml(&q, hv, &xml, err, sizeof(err));
		if (rc == 0) {
			golden(file, xml);
			/* deterministic: the same record, the same bytes */
			ok(vmd_domxml(&q, hv, &xml2, err2, sizeof(err2)) == 0 &&
				strcmp(xml, xml2) == 0,
			    "%s: %s is deterministic", name, fl);
			free(xml2);
			free(xml);
		} else {
			ok(xml == NULL && err[0] != '\0',
			    "%s: %s fails with a reason and no output", name,
			    fl);
			snprintf(line, sizeof(line), "%s: %s\n", fl, err);
			str_add(&errs, line);
			no_golden(file);
		}

		snprintf(file, sizeof(file), "%s.%s.xl", name, fl);
		err2[0] = '\0';
		if (vmd_xl_cfg(&q, hv, &cfg, err2, sizeof(err2)) == 0) {
			ok(xen && rc == 0,
			    "%s: xl config only for Xen, and "
			    "only when the XML can be made (%s)",
			    name, fl);
			golden(file, cfg);
			free(cfg);
		} else {
			ok(cfg == NULL &&
				(xen ? strcmp(err, err2) == 0 :
				       strstr(err2, "Xen") != NULL),
			    "%s: %s: xl config refused for the same reason",
			    name, fl);
			no_golden(file);
		}
	}
	snprintf(file, sizeof(file), "%s.err", name);
	if (errs.len > 0)
		golden(file, errs.s);
	else
		no_golden(file);
	free(errs.s);
}

/* Every NAME.in is listed in cases[], every golden has its NAME.in. */
static void
check_listed(void)
{
	DIR *d;
	struct dirent *de;
	char stem[256], *dot;
	size_t i, n = 0, unlisted = 0;

	if ((d = opendir(datadir)) == NULL) {
		ok(0, "open %s: %s", datadir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(stem, sizeof(stem), "%s", de->d_name);
		if ((dot = strchr(stem, '.')) == NULL)
			continue;
		*dot = '\0';
		for (i = 0; i < NCASES; i++)
			if (strcmp(stem, cases[i]) == 0)
				break;
		if (i == NCASES) {
			diag("  %s belongs to no DO_TEST case", de->d_name);
			unlisted++;
		}
		n++;
	}
	closedir(d);
	ok(unlisted == 0 && n > 0,
	    "every file in tests/vm-manager/domxml has "
	    "its DO_TEST line (%zu files)",
	    n);
}

/* --- table-driven checks of the record ----------------------------------- */

static void
check_table(void)
{
	static const struct {
		const char *desc;
		const char *key, *val; /* applied to base_qube */
		enum vmd_hv hv;
		const char *want; /* error start; NULL = ok */
	} t[] = {
		{ "base qube", "name", "work", VMD_HV_QEMU, NULL },
		{ "name uppercase", "name", "Work", VMD_HV_QEMU, "name:" },
		{ "name empty", "name", "", VMD_HV_QEMU, "name:" },
		{ "name leading dash", "name", "-w", VMD_HV_QEMU, "name:" },
		{ "name with dot", "name", "a.b", VMD_HV_QEMU, "name:" },
		{ "name 31 chars", "name", "abcdefghijabcdefghijabcdefghija",
		    VMD_HV_QEMU, NULL },
		{ "uuid upper case", "uuid",
		    "0F9A2C1E-3B4D-4E5F-8A6B-7C8D9E0F1A2B", VMD_HV_QEMU,
		    "uuid:" },
		{ "uuid short", "uuid", "0f9a2c1e-3b4d", VMD_HV_QEMU, "uuid:" },
		{ "uuid no dashes", "uuid",
		    "0f9a2c1e03b4d04e5f08a6b07c8d9e0f1a2b", VMD_HV_QEMU,
		    "uuid:" },
		{ "uuid ok", "uuid", "0f9a2c1e-3b4d-4e5f-8a6b-7c8d9e0f1a2b",
		    VMD_HV_QEMU, NULL },
		{ "memory 0", "memory", "0", VMD_HV_XEN_HVM, "memory:" },
		{ "memory 1 TiB", "memory", "1048576", VMD_HV_QEMU, NULL },
		{ "memory over 1 TiB", "memory", "1048577", VMD_HV_QEMU,
		    "memory:" },
		{ "vcpus 0", "vcpus", "0", VMD_HV_QEMU, "vcpus:" },
		{ "vcpus 128", "vcpus", "128", VMD_HV_XEN_HVM, NULL },
		{ "vcpus 129", "vcpus", "129", VMD_HV_XEN_HVM, "vcpus:" },
		{ "relative kernel", "kernel", "boot/vmlinuz", VMD_HV_QEMU,
		    "kernel: not an absolute" },
		{ "relative root", "root", "root.qcow2", VMD_HV_XEN_PVH,
		    "root_volume: not an absolute" },
		{ "relative console log", "console_log", "log", VMD_HV_QEMU,
		    "console_log: not an absolute" },
		{ "newline in kernel_opts", "kernel_opts", "a\nb", VMD_HV_QEMU,
		    "kernel_opts: control" },
		{ "tab in kernel_opts", "kernel_opts", "a\tb", VMD_HV_QEMU,
		    "kernel_opts: control" },
		{ "UTF-8 in kernel_opts", "kernel_opts", "caf\xc3\xa9",
		    VMD_HV_QEMU, "kernel_opts: control or non-ASCII" },
		{ "DEL in private path", "private", "/a\x7f", VMD_HV_QEMU,
		    "private_volume: control" },
		{ "no display socket", "display", "", VMD_HV_QEMU,
		    "display_socket: none" },
		{ "display socket of 107 bytes", "display",
		    "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    VMD_HV_QEMU, NULL },
		{ "display socket of 108 bytes", "display",
		    "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    VMD_HV_QEMU, "display_socket: longer" },
		{ "no kernel: disk boot on QEMU", "kernel", "", VMD_HV_QEMU,
		    NULL },
		{ "no kernel: disk boot on Xen HVM", "kernel", "",
		    VMD_HV_XEN_HVM, NULL },
		{ "no kernel: no disk boot on PVH", "kernel", "",
		    VMD_HV_XEN_PVH, "kernel: Xen PVH" },
		{ "app qube without template", "class", "app", VMD_HV_QEMU,
		    "template: an app qube needs one" },
		{ "disposable without template", "class", "disposable",
		    VMD_HV_QEMU, "template: a disposable qube needs one" },
		{ "standalone with template", "template", "debian-12",
		    VMD_HV_QEMU, "template: a standalone qube has none" },
		{ "unknown flavour", "name", "work", (enum vmd_hv)42,
		    "unknown hypervisor" },
	};
	struct vmd_qube q;
	char err[256], *xml;
	unsigned mask;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		base_qube(&q);
		if (apply(&q, &mask, t[i].key, t[i].val) < 0) {
			ok(0, "table: %s: applies", t[i].desc);
			continue;
		}
		err[0] = '\0';
		rc = vmd_domxml(&q, t[i].hv, &xml, err, sizeof(err));
		if (t[i].want == NULL) {
			if (!ok(rc == 0 && xml != NULL, "table: %s: accepted",
				t[i].desc))
				diag("  error: %s", err);
		} else if (!ok(rc == -1 && xml == NULL &&
				   strncmp(err, t[i].want, strlen(t[i].want)) ==
				       0,
			       "table: %s: refused", t[i].desc)) {
			diag("  got \"%s\", want \"%s...\"", err, t[i].want);
		}
		free(xml);
	}

	/* What key=value cannot say. */
	base_qube(&q);
	memset(q.kernel, 'a', sizeof(q.kernel));
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, err, sizeof(err)) == -1 &&
		strncmp(err, "kernel:", 7) == 0,
	    "unterminated field refused");
	base_qube(&q);
	q.label.rgb = 0xcc0000; /* name still "gray" */
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, err, sizeof(err)) == -1 &&
		strncmp(err, "label:", 6) == 0,
	    "label name and colour disagree");
	base_qube(&q);
	q.klass = (enum vmd_class)9;
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, err, sizeof(err)) == -1 &&
		strncmp(err, "class:", 6) == 0,
	    "unknown class refused");
	base_qube(&q);
	ok(vmd_xl_cfg(&q, VMD_HV_KVM, &xml, err, sizeof(err)) == -1 &&
		xml == NULL,
	    "no xl config for KVM");
	base_qube(&q);
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, NULL, 0) == 0,
	    "err buffer may be NULL with length 0");
	free(xml);
	q.memory_mib = 0;
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, NULL, 0) == -1,
	    "... and failure still reported");
	ok(vmd_domxml(&q, VMD_HV_QEMU, &xml, err, 8) == -1 && strlen(err) == 7,
	    "long reason truncated to errlen");

	is_str(vmd_hv_name(VMD_HV_XEN_PVH), "xen-pvh", "hv name");
	ok(vmd_hv_name((enum vmd_hv)7) == NULL, "unknown hv name is NULL");
	is_str(vmd_class_name(VMD_CLASS_DISPOSABLE), "disposable",
	    "class name");
}

int
main(void)
{
	const char *root = getenv("TSR_ROOT");
	const char *regen = getenv("TSR_REGENERATE");
	size_t i;

	snprintf(datadir, sizeof(datadir), "%s/tests/vm-manager/domxml",
	    root ? root : ".");
	regenerate = regen != NULL && regen[0] != '\0' && strcmp(regen, "0");
	for (i = 0; i < NCASES; i++)
		do_test(cases[i]);
	check_listed();
	check_table();
	return done_testing();
}
