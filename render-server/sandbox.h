/*
 * The privilege drop and the seccomp filter (sandbox.c).
 */
#ifndef RS_SANDBOX_H
#define RS_SANDBOX_H

/* Becomes user (no-op for NULL): groups, gid, uid.  0 or -1. */
int rs_drop_privileges(const char *user);
/* no_new_privs and the seccomp filter for every thread of the process
 * (rdp: also what the RDP output needs; still no file).  0 or -1. */
int rs_sandbox(int rdp);

#endif
