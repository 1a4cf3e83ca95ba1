/*
 * Domain XML and xl config for a qube.  See domxml.h.
 *
 * Every string from the qube record is printable ASCII (checked first) and
 * escaped for where it lands: XML text/attributes, xl quoted strings, QEMU
 * option values.  The output is built in one growing buffer; the only
 * failure after the checks is running out of memory.
 *
 * Display: QEMU/KVM get VNC on the qube's unix socket through libvirt's
 * <graphics socket=...>.  libvirt's libxl driver cannot do that: its
 * libxlMakeVfb() only copies a listen *address* into libxl (a socket listen
 * becomes 127.0.0.1 with a bogus display number), and libxl's own vnclisten
 * has no unix-socket form except a parsing accident ("unix:..." passes
 * through because it contains a ':'), which libvirt's schema rejects.  So
 * on Xen we disable libxl's VNC where libvirt lets us, and give the device
 * model `-vnc unix:PATH` through <xen:commandline> (libxl's
 * device_model_args, appended after libxl's own `-vnc none`).  QEMU 7.2
 * accepts `-vnc none ... -vnc unix:PATH` and serves the socket (checked).
 *  - HVM: no <graphics> at all; the emulated VGA is shown on the socket.
 *  - PVH: the framebuffer is a PV vfb, and libvirt only creates one from a
 *    <graphics> element, so libxl's VNC also listens on 127.0.0.1 (port
 *    from libvirt's allocator).  Nothing uses it; it is loopback only and
 *    dom0 runs no untrusted code, but it has no authentication: prefer HVM
 *    until libvirt's libxl driver learns socket listens.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domxml.h"

#define SUN_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */

struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Only used for short fixed text and numbers: strings go through
	 * the escaping functions. */
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

/* XML-escaped, good for both text and attribute values. */
static void
sb_xml(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '\'':
			sb_puts(b, "&apos;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		default:
			sb_add(b, s, 1);
			break;
		}
	}
}

/* A QEMU option value (commas doubled), then XML-escaped. */
static void
sb_xml_qemuopt(struct sbuf *b, const char *s)
{
	char c[2] = { 0, 0 };

	for (; *s != '\0'; s++) {
		c[0] = *s;
		sb_xml(b, c);
		if (*s == ',')
			sb_puts(b, ",");
	}
}

/* The inside of an xl "quoted string": backslash and quote escaped. */
static void
sb_xl(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_puts(b, "\\");
		sb_add(b, s, 1);
	}
}

/* The same, for a QEMU option value inside an xl string. */
static void
sb_xl_qemuopt(struct sbuf *b, const char *s)
{
	char c[2] = { 0, 0 };

	for (; *s != '\0'; s++) {
		c[0] = *s;
		sb_xl(b, c);
		if (*s == ',')
			sb_puts(b, ",");
	}
}

static int
finish(struct sbuf *b, char **outp, char *err, size_t errlen)
{
	if (b->oom) {
		free(b->s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*outp = b->s;
	return 0;
}

const char *
vmd_hv_name(enum vmd_hv hv)
{
	switch (hv) {
	case VMD_HV_QEMU:
		return "qemu";
	case VMD_HV_KVM:
		return "kvm";
	case VMD_HV_XEN_PVH:
		return "xen-pvh";
	case VMD_HV_XEN_HVM:
		return "xen-hvm";
	}
	return NULL;
}

static int
is_xen(enum vmd_hv hv)
{
	return hv == VMD_HV_XEN_PVH || hv == VMD_HV_XEN_HVM;
}

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* NUL-terminated within size, and printable ASCII only. */
static int
printable(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		if (s[i] == '\0')
			return 1;
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return 0;
}

/* A qube name, NUL-terminated within size. */
static int
name_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n < size && tsr_qube_name_validn(s, n);
}

static int
uuid_ok(const char *s, size_t size)
{
	size_t i;

	if (!printable(s, size))
		return 0;
	if (s[0] == '\0')
		return 1; /* libvirt makes one up */
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
			       (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return s[36] == '\0';
}

static int
check_path(const char *what, const char *s, size_t size, char *err,
    size_t errlen)
{
	if (!printable(s, size))
		return fail(err, errlen,
		    "%s: control or non-ASCII character, or unterminated",
		    what);
	if (s[0] != '\0' && s[0] != '/')
		return fail(err, errlen, "%s: not an absolute path", what);
	return 0;
}

#define CHECK_PATH(field) \
	if (check_path(#field, q->field, sizeof(q->field), err, errlen) < 0) \
	return -1

int
vmd_domxml_check(const struct vmd_qube *q, enum vmd_hv hv, char *err,
    size_t errlen)
{
	struct tsr_label l;

	if (vmd_hv_name(hv) == NULL)
		return fail(err, errlen, "unknown hypervisor flavour %d",
		    (int)hv);
	if (!name_ok(q->name, sizeof(q->name)))
		return fail(err, errlen,
		    "name: not a qube name ([a-z][a-z0-9-]{0,30})");
	if (!uuid_ok(q->uuid, sizeof(q->uuid)))
		return fail(err, errlen,
		    "uuid: not a lower-case 8-4-4-4-12 UUID");
	if (vmd_class_name(q->klass) == NULL)
		return fail(err, errlen, "class: unknown class %d",
		    (int)q->klass);
	if (!printable(q->label.name, sizeof(q->label.name)) ||
	    tsr_label_parse(q->label.name, &l) < 0 || l.rgb != q->label.rgb)
		return fail(err, errlen, "label: not a label or #rrggbb");

	switch (q->klass) {
	case VMD_CLASS_APP:
	case VMD_CLASS_DISPOSABLE:
		if (q->template_name[0] == '\0')
			return fail(err, errlen, "template: %s qube needs one",
			    q->klass == VMD_CLASS_APP ? "an app" :
							"a disposable");
		if (!name_ok(q->template_name, sizeof(q->template_name)))
			return fail(err, errlen, "template: not a qube name");
		break;
	case VMD_CLASS_TEMPLATE:
	case VMD_CLASS_STANDALONE:
		if (q->template_name[0] != '\0')
			return fail(err, errlen, "template: a %s qube has none",
			    vmd_class_name(q->klass));
		break;
	}

	if (q->memory_mib < 1 || q->memory_mib > VMD_MEMORY_MAX_MIB)
		return fail(err, errlen, "memory: %u MiB is not in 1..%u",
		    (unsigned)q->memory_mib, VMD_MEMORY_MAX_MIB);
	if (q->vcpus < 1 || q->vcpus > VMD_VCPUS_MAX)
		return fail(err, errlen, "vcpus: %u is not in 1..%u",
		    (unsigned)q->vcpus, VMD_VCPUS_MAX);

	CHECK_PATH(kernel);
	CHECK_PATH(initrd);
	CHECK_PATH(root_volume);
	CHECK_PATH(private_volume);
	CHECK_PATH(display_socket);
	CHECK_PATH(console_log);
	if (!printable(q->kernel_opts, sizeof(q->kernel_opts)))
		return fail(err, errlen,
		    "kernel_opts: control or non-ASCII "
		    "character, or unterminated");

	if (q->kernel[0] == '\0') {
		if (q->root_volume[0] == '\0')
			return fail(err, errlen,
			    "nothing to boot: no kernel and no root volume");
		if (hv == VMD_HV_XEN_PVH)
			return fail(err, errlen,
			    "kernel: Xen PVH cannot boot from disk");
		if (q->initrd[0] != '\0')
			return fail(err, errlen,
			    "initrd: given without kernel");
		if (q->kernel_opts[0] != '\0')
			return fail(err, errlen,
			    "kernel_opts: given without kernel");
	}
	if (q->display_socket[0] == '\0')
		return fail(err, errlen, "display_socket: none given");
	if (strlen(q->display_socket) > SUN_PATH_MAX)
		return fail(err, errlen, "display_socket: longer than %d bytes",
		    SUN_PATH_MAX);
	return 0;
}

/* --- libvirt domain XML ----------------------------------------------- */

static void
x_elem(struct sbuf *b, const char *indent, const char *tag, const char *val)
{
	sb_printf(b, "%s<%s>", indent, tag);
	sb_xml(b, val);
	sb_printf(b, "</%s>\n", tag);
}

static void
x_metadata(struct sbuf *b, const struct vmd_qube *q)
{
	char hex[8];

	sb_puts(b,
	    "  <metadata>\n"
	    "    <tessera:qube xmlns:tessera='" VMD_XMLNS "'>\n");
	x_elem(b, "      ", "tessera:class", vmd_class_name(q->klass));
	sb_printf(b, "      <tessera:label rgb='%s'>",
	    tsr_label_hex(q->label.rgb, hex, sizeof(hex)));
	sb_xml(b, q->label.name);
	sb_puts(b, "</tessera:label>\n");
	if (q->template_name[0] != '\0')
		x_elem(b, "      ", "tessera:template", q->template_name);
	sb_puts(b,
	    "    </tessera:qube>\n"
	    "  </metadata>\n");
}

static void
x_os(struct sbuf *b, const struct vmd_qube *q, enum vmd_hv hv)
{
	sb_puts(b, "  <os>\n");
	switch (hv) {
	case VMD_HV_QEMU:
	case VMD_HV_KVM:
		sb_puts(b,
		    "    <type arch='x86_64' machine='q35'>hvm</type>\n");
		break;
	case VMD_HV_XEN_PVH:
		sb_puts(b,
		    "    <type arch='x86_64' machine='xenpvh'>xenpvh"
		    "</type>\n");
		break;
	case VMD_HV_XEN_HVM:
		sb_puts(b,
		    "    <type arch='x86_64' machine='xenfv'>hvm</type>\n");
		break;
	}
	if (q->kernel[0] != '\0') {
		x_elem(b, "    ", "kernel", q->kernel);
		if (q->initrd[0] != '\0')
			x_elem(b, "    ", "initrd", q->initrd);
		sb_printf(b, "    <cmdline>console=%s",
		    hv == VMD_HV_XEN_PVH ? "hvc0" : "ttyS0");
		if (q->kernel_opts[0] != '\0') {
			sb_puts(b, " ");
			sb_xml(b, q->kernel_opts);
		}
		sb_puts(b, "</cmdline>\n");
	} else {
		sb_puts(b, "    <boot dev='hd'/>\n");
	}
	sb_puts(b, "  </os>\n");
}

static void
x_disk(struct sbuf *b, const char *path, const char *dev, enum vmd_hv hv)
{
	sb_puts(b, "    <disk type='file' device='disk'>\n");
	if (is_xen(hv))
		/* driver qemu = libxl's qdisk backend, which reads qcow2 */
		sb_puts(b, "      <driver name='qemu' type='qcow2'/>\n");
	else
		sb_puts(b,
		    "      <driver name='qemu' type='qcow2' "
		    "discard='unmap'/>\n");
	sb_puts(b, "      <source file='");
	sb_xml(b, path);
	sb_puts(b, "'/>\n");
	sb_printf(b, "      <target dev='%s%s' bus='%s'/>\n",
	    is_xen(hv) ? "xvd" : "vd", dev, is_xen(hv) ? "xen" : "virtio");
	sb_puts(b, "    </disk>\n");
}

static void
x_serial(struct sbuf *b, const struct vmd_qube *q)
{
	if (q->console_log[0] != '\0') {
		sb_puts(b,
		    "    <serial type='file'>\n"
		    "      <source path='");
		sb_xml(b, q->console_log);
		sb_puts(b,
		    "'/>\n"
		    "      <target port='0'/>\n"
		    "    </serial>\n");
	} else {
		sb_puts(b,
		    "    <serial type='pty'>\n"
		    "      <target port='0'/>\n"
		    "    </serial>\n");
	}
}

int
vmd_domxml(const struct vmd_qube *q, enum vmd_hv hv, char **xmlp, char *err,
    size_t errlen)
{
	struct sbuf b = { 0 };

	*xmlp = NULL;
	if (vmd_domxml_check(q, hv, err, errlen) < 0)
		return -1;

	switch (hv) {
	case VMD_HV_QEMU:
		sb_puts(&b, "<domain type='qemu'>\n");
		break;
	case VMD_HV_KVM:
		sb_puts(&b, "<domain type='kvm'>\n");
		break;
	case VMD_HV_XEN_PVH:
	case VMD_HV_XEN_HVM:
		sb_puts(&b,
		    "<domain type='xen' "
		    "xmlns:xen='http://libvirt.org/schemas/domain/xen/1.0'>\n");
		break;
	}
	x_elem(&b, "  ", "name", q->name);
	if (q->uuid[0] != '\0')
		x_elem(&b, "  ", "uuid", q->uuid);
	x_metadata(&b, q);
	/* No ballooning yet: the qube has all its memory from the start. */
	sb_printf(&b, "  <memory unit='MiB'>%u</memory>\n",
	    (unsigned)q->memory_mib);
	sb_printf(&b, "  <currentMemory unit='MiB'>%u</currentMemory>\n",
	    (unsigned)q->memory_mib);
	sb_printf(&b, "  <vcpu placement='static'>%u</vcpu>\n",
	    (unsigned)q->vcpus);
	x_os(&b, q, hv);

	switch (hv) {
	case VMD_HV_QEMU:
		sb_puts(&b,
		    "  <features>\n"
		    "    <acpi/>\n"
		    "  </features>\n"
		    "  <clock offset='utc'/>\n");
		break;
	case VMD_HV_KVM:
		sb_puts(&b,
		    "  <features>\n"
		    "    <acpi/>\n"
		    "  </features>\n"
		    "  <cpu mode='host-passthrough'/>\n"
		    "  <clock offset='utc'/>\n");
		break;
	case VMD_HV_XEN_PVH:
		/* tsc_mode native: PVH guests hang without it under nested
		 * TCG (MEASURED.md); harmless with an invariant TSC. */
		sb_puts(&b,
		    "  <clock offset='utc'>\n"
		    "    <timer name='tsc' mode='native'/>\n"
		    "  </clock>\n");
		break;
	case VMD_HV_XEN_HVM:
		sb_puts(&b,
		    "  <features>\n"
		    "    <acpi/>\n"
		    "    <apic/>\n"
		    "    <pae/>\n"
		    "  </features>\n"
		    "  <clock offset='utc'/>\n");
		break;
	}
	/*
	 * As in Qubes, every way out destroys the domain: the daemon makes an
	 * app qube's root overlay fresh at each start, so it restarts qubes
	 * itself rather than let libvirt reboot them on stale volumes.
	 */
	sb_puts(&b,
	    "  <on_poweroff>destroy</on_poweroff>\n"
	    "  <on_reboot>destroy</on_reboot>\n"
	    "  <on_crash>destroy</on_crash>\n"
	    "  <devices>\n");
	if (q->root_volume[0] != '\0')
		x_disk(&b, q->root_volume, "a", hv);
	if (q->private_volume[0] != '\0')
		x_disk(&b, q->private_volume, "b", hv);

	/* No network card: netvm is not implemented, and libvirt's default
	 * NAT network cannot start on our hosts (DESIGN.md). */
	switch (hv) {
	case VMD_HV_QEMU:
	case VMD_HV_KVM:
		/* virtio input needs no USB controller: one device fewer. */
		sb_puts(&b, "    <controller type='usb' model='none'/>\n");
		x_serial(&b, q);
		sb_puts(&b,
		    "    <input type='tablet' bus='virtio'/>\n"
		    "    <input type='keyboard' bus='virtio'/>\n"
		    "    <graphics type='vnc' socket='");
		sb_xml(&b, q->display_socket);
		/* virtio-gpu (as libvirt's primary video, virtio-vga): QEMU's
		 * VNC passes a viewer's size request to it (SetDesktopSize),
		 * the qube sees a hotplug and a new preferred mode.
		 * bochs-display and the standard VGA take no size request. */
		sb_puts(&b,
		    "'/>\n"
		    "    <video>\n"
		    "      <model type='virtio'/>\n"
		    "    </video>\n"
		    "    <memballoon model='none'/>\n"
		    "  </devices>\n");
		break;
	case VMD_HV_XEN_PVH:
		/* The PV console goes through xenconsoled; console_log does
		 * not apply (xenconsoled --log=guest keeps the logs).  Input
		 * is xen-kbdfront, added by libvirt with the vfb. */
		sb_puts(&b,
		    "    <console type='pty'>\n"
		    "      <target type='xen' port='0'/>\n"
		    "    </console>\n"
		    "    <graphics type='vnc' autoport='yes'>\n"
		    "      <listen type='address' address='127.0.0.1'/>\n"
		    "    </graphics>\n"
		    "  </devices>\n");
		break;
	case VMD_HV_XEN_HVM:
		x_serial(&b, q);
		/* libxl wants at least 16 MiB for the standard VGA. */
		sb_puts(&b,
		    "    <input type='tablet' bus='usb'/>\n"
		    "    <video>\n"
		    "      <model type='vga' vram='16384' heads='1' "
		    "primary='yes'/>\n"
		    "    </video>\n"
		    "  </devices>\n");
		break;
	}
	if (is_xen(hv)) {
		sb_puts(&b,
		    "  <xen:commandline>\n"
		    "    <xen:arg value='-vnc'/>\n"
		    "    <xen:arg value='unix:");
		sb_xml_qemuopt(&b, q->display_socket);
		sb_puts(&b,
		    "'/>\n"
		    "  </xen:commandline>\n");
	}
	sb_puts(&b, "</domain>\n");
	return finish(&b, xmlp, err, errlen);
}

/* --- xl config -------------------------------------------------------- */

static void
xl_str(struct sbuf *b, const char *key, const char *val)
{
	sb_printf(b, "%s = \"", key);
	sb_xl(b, val);
	sb_puts(b, "\"\n");
}

static void
xl_disk(struct sbuf *b, const char *path, const char *dev)
{
	/* target= must come last: it may contain commas. */
	sb_printf(b,
	    "\"format=qcow2,vdev=xvd%s,access=rw,backendtype=qdisk,"
	    "target=",
	    dev);
	sb_xl(b, path);
	sb_puts(b, "\"");
}

int
vmd_xl_cfg(const struct vmd_qube *q, enum vmd_hv hv, char **cfgp, char *err,
    size_t errlen)
{
	struct sbuf b = { 0 };
	char hex[8];

	*cfgp = NULL;
	if (!is_xen(hv))
		return fail(err, errlen, "xl config: only for Xen flavours");
	if (vmd_domxml_check(q, hv, err, errlen) < 0)
		return -1;

	sb_printf(&b,
	    "# xl config of qube %s, written by tessera-vmd: the "
	    "equivalent of its\n# libvirt domain XML (%s).\n",
	    q->name, vmd_hv_name(hv));
	sb_printf(&b, "# class %s, label %s (%s)", vmd_class_name(q->klass),
	    q->label.name, tsr_label_hex(q->label.rgb, hex, sizeof(hex)));
	if (q->template_name[0] != '\0')
		sb_printf(&b, ", template %s", q->template_name);
	sb_puts(&b, "\n");

	xl_str(&b, "name", q->name);
	if (q->uuid[0] != '\0')
		xl_str(&b, "uuid", q->uuid);
	xl_str(&b, "type", hv == VMD_HV_XEN_PVH ? "pvh" : "hvm");
	sb_printf(&b, "memory = %u\nmaxmem = %u\nvcpus = %u\n",
	    (unsigned)q->memory_mib, (unsigned)q->memory_mib,
	    (unsigned)q->vcpus);
	if (q->kernel[0] != '\0') {
		xl_str(&b, "kernel", q->kernel);
		if (q->initrd[0] != '\0')
			xl_str(&b, "ramdisk", q->initrd);
		sb_printf(&b, "cmdline = \"console=%s",
		    hv == VMD_HV_XEN_PVH ? "hvc0" : "ttyS0");
		if (q->kernel_opts[0] != '\0') {
			sb_puts(&b, " ");
			sb_xl(&b, q->kernel_opts);
		}
		sb_puts(&b, "\"\n");
	} else {
		xl_str(&b, "boot", "c");
	}
	if (hv == VMD_HV_XEN_PVH)
		xl_str(&b, "tsc_mode", "native");
	else
		sb_puts(&b, "acpi = 1\napic = 1\npae = 1\n");
	sb_puts(&b,
	    "on_poweroff = \"destroy\"\n"
	    "on_reboot = \"destroy\"\n"
	    "on_crash = \"destroy\"\n");

	if (q->root_volume[0] != '\0' || q->private_volume[0] != '\0') {
		sb_puts(&b, "disk = [ ");
		if (q->root_volume[0] != '\0')
			xl_disk(&b, q->root_volume, "a");
		if (q->root_volume[0] != '\0' && q->private_volume[0] != '\0')
			sb_puts(&b, ", ");
		if (q->private_volume[0] != '\0')
			xl_disk(&b, q->private_volume, "b");
		sb_puts(&b, " ]\n");
	}

	if (hv == VMD_HV_XEN_PVH) {
		sb_puts(&b,
		    "vfb = [ \"vnc=1,vnclisten=127.0.0.1,vncunused=1\" ]\n");
	} else {
		if (q->console_log[0] != '\0') {
			sb_puts(&b, "serial = \"file:");
			sb_xl(&b, q->console_log);
			sb_puts(&b, "\"\n");
		} else {
			xl_str(&b, "serial", "pty");
		}
		sb_puts(&b,
		    "vnc = 0\nsdl = 0\n"
		    "vga = \"stdvga\"\nvideoram = 16\n"
		    "usbdevice = [ \"tablet\" ]\n");
	}
	sb_puts(&b, "device_model_args = [ \"-vnc\", \"unix:");
	sb_xl_qemuopt(&b, q->display_socket);
	sb_puts(&b, "\" ]\n");
	return finish(&b, cfgp, err, errlen);
}
