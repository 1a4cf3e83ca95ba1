/*
 * After setup: another user, no supplementary groups, no new privileges,
 * and a seccomp filter that allows what the running threads need (sockets
 * that are already open, unix sockets for the device model and
 * tessera-vmd, memory, threads, time; with RDP, what FreeRDP and its
 * encoders need on top) and kills the process on anything else.  No file
 * is opened after setup: the key, certificates and password file are
 * already in memory, for VNC and RDP alike.
 */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define RS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RS_ASAN 1
#endif
#endif
#ifdef RS_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

int
rs_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("--user %s: no such user", user);
		return -1;
	}
	if (setgroups(0, NULL) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("dropping privileges to %s", user);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		log_warnx("could regain root after dropping privileges");
		return -1;
	}
#ifdef RS_ASAN
	/* LeakSanitizer stops the threads with ptrace at exit: a process
	 * that changed its uid is not dumpable, so it could not */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

static const int allowed[] = {
	/* I/O on descriptors we hold; ioctl: isatty() on stderr (logging) */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(close),
	SCMP_SYS(fcntl),
	SCMP_SYS(lseek),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(pipe),
	SCMP_SYS(pipe2),
	SCMP_SYS(ioctl),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	/* sockets: viewers, the socketpairs, the device model, tessera-vmd;
	 * shutdown also ends stalled viewers (both protocols) */
	SCMP_SYS(accept),
	SCMP_SYS(accept4),
	SCMP_SYS(connect),
	SCMP_SYS(socketpair),
	SCMP_SYS(shutdown),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendto),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendmsg),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	/* memory */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	/* threads (ours, libvncserver's, FreeRDP's and WinPR's, FFmpeg's
	 * and libx264's encoder threads); sched_getaffinity: how many CPUs
	 * (libx264, FFmpeg, and glibc's get_nprocs once /sys is refused) */
	SCMP_SYS(clone),
	SCMP_SYS(clone3),
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(get_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(set_tid_address),
	/* signals, time, randomness */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(tgkill),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	SCMP_SYS(getrandom),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(prlimit64),
	SCMP_SYS(getrlimit),
};

/*
 * The RDP output on top (rdp*.c: FreeRDP, WinPR, FFmpeg/libx264).  Found by
 * tracing tessera-render under real xfreerdp clients (planar, GFX H.264,
 * RemoteFX), connect to disconnect and shutdown.  Not needed: epoll and
 * timerfd (WinPR waits with poll; no waitable timers on the server side),
 * and no file: the certificate and key are in memory (rdp_start), WinPR's
 * registry file (/etc/winpr/HKLM.reg) and /proc/stat are refused softly.
 */
static const int allowed_rdp[] = {
	/* WinPR's events (CreateEvent: an eventfd each), in every peer */
	SCMP_SYS(eventfd2),
	/* WinPR's GetComputerName (gethostname) for each peer's settings */
	SCMP_SYS(uname),
};

/* What AddressSanitizer's runtime needs on top (its reports, leak check). */
static const int allowed_asan[] = {
	SCMP_SYS(readlink),
	SCMP_SYS(ptrace),
	SCMP_SYS(prctl),
	SCMP_SYS(wait4),
	SCMP_SYS(getppid),
	SCMP_SYS(kill),
	SCMP_SYS(sched_getparam),
	SCMP_SYS(getdents),
	SCMP_SYS(getdents64),
	SCMP_SYS(msync),
	SCMP_SYS(stat),
	SCMP_SYS(lstat),
	SCMP_SYS(mincore),
};


int
rs_sandbox(int rdp)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;


	/* glibc reads /sys/devices/system/cpu/online when a thread needs a
	 * new malloc arena, unless the number of arenas is fixed */
	mallopt(M_ARENA_MAX, 4);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	/* threads started before (RDP's) get the filter too */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	/* opening fails, softly: glibc and OpenSSL probe files
	 * (/sys/devices/system/cpu/online...) and cope without them */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		 SCMP_SYS(openat), 0)) < 0)
		goto fail;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i],
			 0)) < 0)
			goto fail;
	for (i = 0; rdp && i < sizeof(allowed_rdp) / sizeof(allowed_rdp[0]);
	     i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_rdp[i],
			 0)) < 0)
			goto fail;
	/* new sockets: unix only (device model, tessera-vmd, syslog) */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		 SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) < 0)
		goto fail;
#ifdef RS_ASAN
	for (i = 0; i < sizeof(allowed_asan) / sizeof(allowed_asan[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_asan[i],
			 0)) < 0)
			goto fail;
	/* LeakSanitizer's tracer reads /proc/self/task and /proc/self/maps
	 * with the old open(2) (glibc, and so everything else, uses openat,
	 * which stays refused): read only */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
		 SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY))) < 0)
		goto fail;
#else
	(void)allowed_asan;
#endif
#ifdef RS_ASAN
	/* the sanitizers' reports name functions through llvm-symbolizer, a
	 * process of its own: start it now (it cannot be exec'd later), so
	 * that suppressions by function name work */
	{
		char buf[128];

		__sanitizer_symbolize_pc(__builtin_return_address(0), "%F", buf,
		    sizeof(buf));
	}
#endif
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	log_warnx("seccomp: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}
