/*
 * Admin API policy: who may call which method on which qube.
 *
 * Files /etc/tessera/policy.d/NAME.policy, read in C-locale lexical order
 * of NAME ([0-9a-z_.-]; other files are ignored), one rule a line:
 *
 *	METHOD	CALLER	TARGET	allow|deny
 *
 *   METHOD  vm.start (exact), vm.* (prefix, at a dot), or *
 *   CALLER  user:NAME, group:NAME (unix peer), cert:CN (certificate
 *           common name), role:viewer, role:admin (certificate role),
 *           login:NAME (a viewer that logged in to a render-server with a
 *           password), or *
 *   TARGET  a qube name, @label:COLOUR (label name or #rrggbb, compared
 *           by colour), @tag:TAG, @host (calls about no qube, such as
 *           label.list), or * (anything, @host included)
 *
 * Fields are separated by blanks; "#" at the start of a field starts a
 * comment.  The first rule that matches decides; no match denies.  A file
 * with any error is refused as a whole, with "file:line: reason".
 */
#ifndef VMD_POLICY_H
#define VMD_POLICY_H

#include <stddef.h>
#include <sys/types.h>

#include "label.h"

#define VMD_POLICY_LINE_MAX 1024	  /* bytes, without newline */
#define VMD_POLICY_FILE_MAX (1024 * 1024) /* bytes */

struct vmd_policy;

enum vmd_caller_kind {
	VMD_CALLER_UNIX,  /* local, on the unix socket (SO_PEERCRED) */
	VMD_CALLER_CERT,  /* remote, mutual TLS */
	VMD_CALLER_LOGIN, /* a viewer's password login at a render-server */
};

enum vmd_role {
	VMD_ROLE_NONE,
	VMD_ROLE_VIEWER,
	VMD_ROLE_ADMIN,
};

struct vmd_caller {
	enum vmd_caller_kind kind;
	/* VMD_CALLER_UNIX */
	uid_t uid;
	gid_t gid;
	const char *user;	   /* NULL: uid has no name;
						   the login name for LOGIN */
	const char *const *groups; /* names, primary one too */
	size_t ngroups;
	/* VMD_CALLER_CERT */
	const char *cn;	    /* certificate common name */
	enum vmd_role role; /* exact: admin is not viewer */
};

/* What a call is about.  A NULL target, or a NULL name, is @host. */
struct vmd_target {
	const char *name;
	struct tsr_label label;
	const char *const *tags;
	size_t ntags;
};

/* Where the deciding rule is; file NULL and line 0 for the default deny. */
struct vmd_policy_where {
	const char *file; /* valid while the policy is */
	int line;
};

/*
 * Reads every DIR/NAME.policy in order.  Returns a new policy, or NULL
 * with "file:line: reason" (or "path: reason") in err.  Nothing else is
 * touched: on failure the caller keeps its old policy.
 */
struct vmd_policy *vmd_policy_load_dir(const char *dir, char *err,
    size_t errlen);

/* Parses one file's contents (buf need not be NUL-terminated). */
struct vmd_policy *vmd_policy_load_buf(const char *name, const void *buf,
    size_t len, char *err, size_t errlen);

void vmd_policy_free(struct vmd_policy *pol);

/* Number of rules. */
size_t vmd_policy_nrules(const struct vmd_policy *pol);

/*
 * 1 to allow, 0 to deny.  rule_line, if not NULL, gets the line of the
 * deciding rule in its file (0: no rule matched).  A NULL policy, method
 * or caller denies.
 */
int vmd_policy_check(const struct vmd_policy *pol, const char *method,
    const struct vmd_caller *caller, const struct vmd_target *target,
    int *rule_line);

/* The same, and where the deciding rule is (file and line), for logs. */
int vmd_policy_check_where(const struct vmd_policy *pol, const char *method,
    const struct vmd_caller *caller, const struct vmd_target *target,
    struct vmd_policy_where *where);

#endif
