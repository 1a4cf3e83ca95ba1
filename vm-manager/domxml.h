/*
 * What libvirt (or xl) is told about a qube: its domain XML for QEMU/KVM
 * and for Xen's libxl driver, and the equivalent xl config for Xen.
 * Pure functions of the qube record: no libvirt connection, no I/O, and
 * the same record always gives the same bytes (golden-file tested).
 */
#ifndef VMD_DOMXML_H
#define VMD_DOMXML_H

#include <stddef.h>

#include "props.h"
#include "qube.h"

/* Our namespace in <metadata>, so a restarted daemon can re-adopt qubes. */
#define VMD_XMLNS "https://tessera.invalid/xmlns/qube/1"

/*
 * Checks that a qube record can be turned into a domain for this
 * hypervisor flavour: memory, vcpus, something to boot, absolute paths,
 * printable ASCII only.  Returns 0, or -1 with the reason in err.
 */
int vmd_domxml_check(const struct vmd_qube *q, enum vmd_hv hv, char *err,
    size_t errlen);

/*
 * Builds the libvirt domain XML for q.  On success returns 0 and stores a
 * NUL-terminated string in *xmlp that the caller frees.  On failure
 * returns -1, sets *xmlp to NULL and writes the reason into err.
 */
int vmd_domxml(const struct vmd_qube *q, enum vmd_hv hv, char **xmlp, char *err,
    size_t errlen);

/*
 * The xl(1) config equivalent to vmd_domxml() for the Xen flavours
 * (VMD_HV_XEN_PVH, VMD_HV_XEN_HVM); -1 for the others.  Same contract.
 */
int vmd_xl_cfg(const struct vmd_qube *q, enum vmd_hv hv, char **cfgp, char *err,
    size_t errlen);

/* "qemu", "kvm", "xen-pvh", "xen-hvm"; NULL for an unknown value. */
const char *vmd_hv_name(enum vmd_hv hv);

#endif
