/*
 * The privilege drop and the seccomp filter (sandbox.c).
 */
#ifndef RS_SANDBOX_H
#define RS_SANDBOX_H

/* Becomes user (no-op for NULL): groups, gid, uid.  0 or -1. */
int rs_drop_privileges(const char *user);
/* no_new_privs and the seccomp filter for every thread of the process
 * (rdp: also read-only opens, which rdp.c needs for now).  0 or -1. */
int rs_sandbox(int rdp);

#endif
