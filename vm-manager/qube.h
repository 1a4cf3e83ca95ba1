/*
 * A qube as the vm-manager knows it: what is stored, what the domain XML
 * is generated from, what the Admin API reports.  Its properties are
 * described, for parsing, storing and reporting, by the table in props.c.
 */
#ifndef VMD_QUBE_H
#define VMD_QUBE_H

#include <stdint.h>

#include "facts.h"
#include "label.h"

#define VMD_PATH_MAX 512
#define VMD_KOPTS_MAX 512
#define VMD_TAGS_MAX 16
#define VMD_TAG_MAX 31

enum vmd_class {
	VMD_CLASS_TEMPLATE,
	VMD_CLASS_APP,
	VMD_CLASS_DISPOSABLE,
	VMD_CLASS_STANDALONE,
};

enum vmd_hv {
	VMD_HV_QEMU,	/* qemu:///system, domain type qemu (TCG) */
	VMD_HV_KVM,	/* qemu:///system, domain type kvm */
	VMD_HV_XEN_PVH, /* xen:///system, libxl PVH */
	VMD_HV_XEN_HVM, /* xen:///system, libxl HVM with a device model */
};

struct vmd_qube {
	char name[TSR_QUBE_NAME_MAX + 1];
	char uuid[37]; /* libvirt UUID, lower-case */
	enum vmd_class klass;
	struct tsr_label label;
	char template_name[TSR_QUBE_NAME_MAX + 1]; /* "" if none */
	uint32_t memory_mib;
	uint32_t vcpus;
	char kernel[VMD_PATH_MAX]; /* "" = boot from disk */
	char initrd[VMD_PATH_MAX];
	char kernel_opts[VMD_KOPTS_MAX];
	int autostart;
	char default_dispvm[TSR_QUBE_NAME_MAX + 1];
	char tags[VMD_TAGS_MAX][VMD_TAG_MAX + 1];
	int ntags;
	/* Resolved paths, filled by the store before generating XML. */
	char root_volume[VMD_PATH_MAX];	   /* qcow2 */
	char private_volume[VMD_PATH_MAX]; /* qcow2, "" if none */
	char display_socket[VMD_PATH_MAX]; /* VNC unix socket */
	char console_log[VMD_PATH_MAX];	   /* serial log, "" = pty */
};

#endif
