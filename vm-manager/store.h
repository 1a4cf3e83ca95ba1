/*
 * The qube store: SQLite in the state directory, with a schema version and
 * migrations.  Every change is one transaction, so a crash at any point
 * leaves either the old or the new record.  A qube being created or removed
 * is marked so (state "creating" / "removing") while its volumes are made
 * or deleted; on start the daemon finishes or undoes what a crash left.
 */
#ifndef VMD_STORE_H
#define VMD_STORE_H

#include <stddef.h>

#include "qube.h"

#define VMD_STORE_SCHEMA 1

struct vmd_store;

enum vmd_qstate {
	VMD_Q_CREATING,
	VMD_Q_READY,
	VMD_Q_REMOVING,
};

struct vmd_store *vmd_store_open(const char *path, char *err, size_t errlen);
void vmd_store_close(struct vmd_store *);
int vmd_store_schema(struct vmd_store *);

/* Insert q with state CREATING.  Fails (EEXIST in *err) if the name is taken. */
int vmd_store_insert(struct vmd_store *, const struct vmd_qube *q, char *err,
    size_t errlen);
int vmd_store_set_state(struct vmd_store *, const char *name,
    enum vmd_qstate st);
/* Replace every stored property of an existing qube (not its name). */
int vmd_store_update(struct vmd_store *, const struct vmd_qube *q, char *err,
    size_t errlen);
int vmd_store_delete(struct vmd_store *, const char *name);

/* 1 found, 0 not found, -1 error. */
int vmd_store_get(struct vmd_store *, const char *name, struct vmd_qube *q,
    enum vmd_qstate *st);

/* Calls fn for every qube, in name order; stops when fn returns non-zero. */
int vmd_store_foreach(struct vmd_store *,
    int (*fn)(const struct vmd_qube *, enum vmd_qstate, void *), void *arg);

/*
 * The names of the qubes want(q, state, arg) picks, in name order, for
 * work that changes the store and so cannot run inside a walk: an array
 * of *n names that the caller frees.  A failure (no memory, the store)
 * ends the list early.
 */
typedef char vmd_name[TSR_QUBE_NAME_MAX + 1];
vmd_name *vmd_store_names(struct vmd_store *,
    int (*want)(const struct vmd_qube *, enum vmd_qstate, void *), void *arg,
    size_t *n);

/* Number of qubes whose template is name. */
int vmd_store_template_users(struct vmd_store *, const char *name);

/* The lowest free dispNNNN name (disp1 .. disp9999). */
int vmd_store_next_disp_name(struct vmd_store *, char *name, size_t namesz);

const char *vmd_qstate_name(enum vmd_qstate);

#endif
