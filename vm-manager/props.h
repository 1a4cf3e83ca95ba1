/*
 * The qube properties, in one table (props.c).  A row says a property's
 * name, its type and bounds, whether vm.create and vm.set take it, whether
 * a running qube sees a change only at its next start, where it lives in
 * struct vmd_qube, its column in the store and its help text.  From it:
 * vm.create's and vm.set's arguments are parsed (vmd_prop_set), the store
 * binds and reads its columns (store.c), the Admin API's qube object is
 * written (vmd_qube_json), the CLI types values and lists properties
 * (tessera prefs --help), and test-vmd-props checks that
 * docs/admin-api.md lists exactly these properties.
 *
 * Pure: no store, no libvirt.  What needs the store (does the template
 * exist?) is asked through a lookup function the caller gives.
 */
#ifndef VMD_PROPS_H
#define VMD_PROPS_H

#include <stddef.h>

#include <jansson.h>

#include "facts.h"
#include "qube.h"

#define VMD_MEMORY_MIN_MIB 32u		   /* what vm.set accepts */
#define VMD_MEMORY_MAX_MIB (1024u * 1024u) /* 1 TiB */
#define VMD_VCPUS_MAX 128u		   /* libxl's HVM limit */

enum vmd_prop_type {
	VMD_PT_TEXT,  /* printable ASCII, shorter than the field */
	VMD_PT_PATH,  /* a store path, set by a template's name */
	VMD_PT_QUBE,  /* a qube name, of a qube of a class in refs */
	VMD_PT_CLASS, /* enum vmd_class */
	VMD_PT_LABEL, /* struct tsr_label, by its name */
	VMD_PT_COLOR, /* the label's colour: reported, never stored */
	VMD_PT_POWER, /* the power state: from the hypervisor */
	VMD_PT_UINT,  /* uint32_t in min..max */
	VMD_PT_BOOL,  /* int, 0 or 1 */
	VMD_PT_TAGS,  /* tags[], ntags; stored in their own table */
};

#define VMD_PF_CREATE 0x01  /* vm.create takes it (and vm.set with SET) */
#define VMD_PF_SET 0x02	    /* vm.set takes it */
#define VMD_PF_HALTED 0x04  /* vm.set only while the qube is halted */
#define VMD_PF_RESTART 0x08 /* a running qube sees it at its next start */
#define VMD_PF_NONE 0x10    /* VMD_PT_QUBE: "" (none) is allowed */
#define VMD_PF_NULL 0x20    /* stored as NULL when "" */
#define VMD_PF_KEY 0x40	    /* the store's key, never updated */

/* A set of classes, for owners and refs. */
#define VMD_CLASS_BIT(c) (1u << (c))

struct vmd_prop {
	const char *name; /* in the API, its JSON and the CLI */
	enum vmd_prop_type type;
	unsigned flags;
	size_t off, size;	/* the field in vmd_qube */
	const char *column;	/* in the store; NULL: none */
	unsigned long min, max; /* VMD_PT_UINT */
	unsigned owners;	/* classes that have it; 0: all */
	unsigned refs;		/* VMD_PT_QUBE: what it names */
	const char *help;
};

extern const struct vmd_prop vmd_props[];
extern const size_t vmd_nprops;

/* The row named name, or NULL. */
const struct vmd_prop *vmd_prop_find(const char *name);

/* "text", "path", "qube", ..., for the documentation and the CLI. */
const char *vmd_prop_type_name(enum vmd_prop_type);

/*
 * Who may change it, in a word: "read-only", "create" (vm.create only),
 * "set" (vm.set too), "set, halted" (only while halted), "set, restart"
 * (a running qube sees it at its next start).
 */
const char *vmd_prop_access(const struct vmd_prop *);

/* Finds a qube by name: 1 found (into *out), 0 not found, -1 error. */
typedef int (
    *vmd_qube_lookup)(void *arg, const char *name, struct vmd_qube *out);

/*
 * Sets the property named key of q from the JSON value v, as vm.set and
 * vm.create do: only a property they take, checked against its type, its
 * bounds and (for qube names) the qubes lookup finds.  Returns 0, or -1
 * with the reason in err; q may be half-changed then.
 */
int vmd_prop_set(struct vmd_qube *q, const char *key, json_t *v,
    vmd_qube_lookup lookup, void *arg, char *err, size_t errlen);

/* The Admin API's qube object: every property, in table order. */
json_t *vmd_qube_json(const struct vmd_qube *q, enum tsr_power power);

/* "template", "app", "disposable", "standalone"; NULL if unknown. */
const char *vmd_class_name(enum vmd_class klass);
int vmd_class_parse(const char *, enum vmd_class *);

#endif
