/*
 * tessera-view-decoder: one qube's display, decoded in a process of its own.
 *
 *   tessera-view-decoder [--rdp] --host H --port P --ca CA.pem
 *       --cert CERT.pem --key KEY.pem [--name QUBE] [-v]
 *
 * tessera-view starts one per qube window, with its end of a SOCK_SEQPACKET
 * socketpair on fd 3 (proto.h).  The decoder connects to the qube's
 * tessera-render over TCP, then locks itself down (seccomp, stage 1: no new
 * sockets, no exec, no new processes, files read-only), and runs the
 * protocol's handshake on that socket:
 *
 *   - VNC (vnc.c, libvncclient): VeNCrypt only, subtype X509None
 *     only (our client certificate; the server's must chain to --ca and
 *     name --host);
 *   - RDP (--rdp, rdp.c, FreeRDP): TLS only; the server's
 *     certificate must chain to --ca and name --host; we log on with the
 *     ticket tessera-vmd gave the compositor (two lines on stdin: user,
 *     password), since RDP has no client certificates.
 *
 * The picture lands in a sealed memfd that the compositor maps; after the
 * first one exists a stricter filter (stage 2: no files at all) covers the
 * rest of the process's life, while the qube's stream is parsed.
 *
 * To the compositor: TV_CONNECTED once, then TV_FB (with the memfd), then
 * TV_DAMAGE rectangles after each update (at most TV_DMG_MAX per update,
 * else their bounding box); TV_FB again whenever the qube's screen changes
 * size; TV_PONG for each TV_PING (answered from TV_CONNECTED on).  From the
 * compositor: TV_KEY, TV_POINTER, TV_RESIZE, TV_PING, TV_ACK (after which
 * the next update is read: until then, for at most 250 ms, the server
 * waits, so the compositor never shows a picture half rewritten); anything else ends
 * the process.
 *
 * Exit status: 0 the compositor closed fd 3; 1 the connection was lost or
 * the server (or the compositor) broke the protocol; 2 usage; 3 could not
 * connect, or the handshake was refused or failed.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "clock.h"
#include "decoder.h"
#include "facts.h"
#include "log.h"
#include "proto.h"

#if defined(__SANITIZE_ADDRESS__)
#define TV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TV_ASAN 1
#endif
#endif
#ifdef TV_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define TV_CONNECT_TIMEOUT_MS 10000
#define TV_DMG_MAX 16 /* rectangles per update */

struct rect {
	int x0, y0, x1, y1; /* half-open */
};

struct tv_dec_opts tv_opt;
int tv_refused;

static struct {
	const struct tv_proto *proto;
	/* the framebuffer: a shared mapping of a sealed memfd */
	uint8_t *fb;
	size_t fb_len;
	int fb_w, fb_h;
	int fb_fd;     /* not yet sent (only before TV_CONNECTED) */
	int connected; /* TV_CONNECTED sent */
	struct rect dmg[TV_DMG_MAX];
	int ndmg;
	/* what was sent is not shown yet: the server waits (TV_ACK) */
	int await_ack;
	long long ack_deadline;
} d = { .fb_fd = -1 };

static void
await_ack(void)
{
	d.await_ack = 1;
	d.ack_deadline = (long long)tsr_mono_ms() + TV_ACK_WAIT_MS;
}

/* "tessera-view-decoder[QUBE]", for log_init() and the alarm's message */
static char log_ident_buf[112];

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tessera-view-decoder [--rdp] --host H --port P "
	    "--ca CA.pem --cert CERT.pem\n"
	    "           --key KEY.pem [--name QUBE] [-v]\n"
	    "  (started by tessera-view, its control socket on fd 3; with "
	    "--rdp, the\n  logon ticket's user and password on stdin, a "
	    "line each)\n");
}

/* ---- the control socket ---- */

void
tv_ctl_send(uint32_t type, int a, int b, int c, int e, int fd)
{
	if (tv_msg_send(TV_CTL_FD, type, a, b, c, e, fd) == -1) {
		if (errno == EPIPE || errno == ECONNRESET) {
			log_info("the compositor went away: exiting");
			exit(EXIT_CLEAN);
		}
		log_warn("sending to the compositor");
		exit(EXIT_LOST);
	}
}

/* ---- the framebuffer ---- */

uint8_t *
tv_fb_new(int w, int h)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	size_t len;
	void *p;
	int fd;

	if (w < 1 || h < 1 || w > TV_MAX_W || h > TV_MAX_H) {
		log_warnx("refused: a framebuffer of %dx%d", w, h);
		tv_refused = !d.connected;
		return NULL;
	}
	len = (size_t)w * (size_t)h * 4;
	if ((fd = memfd_create("tessera-fb",
		 MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1) {
		log_warn("memfd_create");
		return NULL;
	}
	if (ftruncate(fd, (off_t)len) == -1 ||
	    fcntl(fd, F_ADD_SEALS, seals) == -1) {
		log_warn("sizing and sealing the framebuffer");
		close(fd);
		return NULL;
	}
	if ((p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		log_warn("mmap of the framebuffer");
		close(fd);
		return NULL;
	}
	if (d.fb != NULL)
		munmap(d.fb, d.fb_len);
	d.fb = p;
	d.fb_len = len;
	d.fb_w = w;
	d.fb_h = h;
	d.ndmg = 0;
	log_info("framebuffer %dx%d", w, h);
	if (!d.connected) {
		/* the first one goes out after TV_CONNECTED */
		if (d.fb_fd != -1)
			close(d.fb_fd);
		d.fb_fd = fd;
		return p;
	}
	tv_ctl_send(TV_FB, w, h, 0, 0, fd);
	close(fd);
	await_ack();
	return p;
}

void
tv_fb_size(int *w, int *h)
{
	*w = d.fb_w;
	*h = d.fb_h;
}

/* ---- damage ---- */

void
tv_damage(int x, int y, int w, int h)
{
	struct rect r;
	int i;

	/* clipped to the buffer; empty ones dropped */
	r.x0 = x < 0 ? 0 : x;
	r.y0 = y < 0 ? 0 : y;
	r.x1 = x > d.fb_w - w ? d.fb_w : x + w;
	r.y1 = y > d.fb_h - h ? d.fb_h : y + h;
	if (w <= 0 || h <= 0 || r.x0 >= r.x1 || r.y0 >= r.y1)
		return;
	for (i = 0; i < d.ndmg; i++)
		if (r.x0 >= d.dmg[i].x0 && r.y0 >= d.dmg[i].y0 &&
		    r.x1 <= d.dmg[i].x1 && r.y1 <= d.dmg[i].y1)
			return;
	if (d.ndmg < TV_DMG_MAX) {
		d.dmg[d.ndmg++] = r;
		return;
	}
	/* too many: their bounding box */
	for (i = 0; i < d.ndmg; i++) {
		if (d.dmg[i].x0 < r.x0)
			r.x0 = d.dmg[i].x0;
		if (d.dmg[i].y0 < r.y0)
			r.y0 = d.dmg[i].y0;
		if (d.dmg[i].x1 > r.x1)
			r.x1 = d.dmg[i].x1;
		if (d.dmg[i].y1 > r.y1)
			r.y1 = d.dmg[i].y1;
	}
	d.dmg[0] = r;
	d.ndmg = 1;
}

void
tv_damage_flush(void)
{
	int i;

	if (!d.connected)
		return;
	for (i = 0; i < d.ndmg; i++)
		tv_ctl_send(TV_DAMAGE, d.dmg[i].x0, d.dmg[i].y0,
		    d.dmg[i].x1 - d.dmg[i].x0, d.dmg[i].y1 - d.dmg[i].y0, -1);
	if (d.ndmg > 0)
		await_ack();
	d.ndmg = 0;
}

/* ---- connecting ---- */
/* A connected TCP socket (blocking), or -1. */
static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	long long deadline, left;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, rc, err = 0, one = 1;

	deadline = (long long)tsr_mono_ms() + TV_CONNECT_TIMEOUT_MS;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family,
			 ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 ai->ai_protocol)) == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do {
				left = deadline - (long long)tsr_mono_ms();
				rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
			} while (rc == -1 && errno == EINTR);
			sl = sizeof(err);
			if (rc == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) ==
				0 &&
			    err == 0)
				break;
			if (rc == 0)
				err = ETIMEDOUT;
		} else {
			err = errno;
		}
		close(fd);
		fd = -1;
		if ((long long)tsr_mono_ms() >= deadline)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		log_warnx("connecting to %s port %s: %s", host, port,
		    strerror(err ? err : ETIMEDOUT));
		return -1;
	}
	/* libvncclient reads and writes it blocking during the handshake */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		log_warn("fcntl");
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
on_alarm(int sig)
{
	static const char msg[] = ": refused: no picture within the "
				  "handshake timeout\n";
	const char *id =
	    log_ident_buf[0] ? log_ident_buf : "tessera-view-decoder";

	(void)sig;
	/* only async-signal-safe calls here */
	(void)!write(STDERR_FILENO, id, strlen(id));
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EXIT_REFUSED);
}

/* ---- seccomp ---- */

/* Both stages: I/O on what we hold, memory, the framebuffer's memfds,
 * time, randomness, signals, exiting. */
static const int allowed_common[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(recvfrom),
	SCMP_SYS(sendto),
	SCMP_SYS(recvmsg),
	SCMP_SYS(sendmsg),
	SCMP_SYS(close),
	SCMP_SYS(fcntl),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	SCMP_SYS(memfd_create),
	SCMP_SYS(ftruncate),
	SCMP_SYS(futex),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(getrandom),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};

/* Stage 1 on top (the handshake): GnuTLS and glibc looking at files and
 * the system, the handshake's alarm, and loading stage 2. */
static const int allowed_handshake[] = {
	SCMP_SYS(statx),
	SCMP_SYS(pread64),
	SCMP_SYS(getdents64),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(uname),
	SCMP_SYS(sysinfo),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(prlimit64),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(alarm),
	SCMP_SYS(setitimer),
	SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getpeername),
	SCMP_SYS(getsockname),
	SCMP_SYS(seccomp),
	SCMP_SYS(prctl),
	SCMP_SYS(ioctl),
};

/* FreeRDP's decoders run on a thread pool (RemoteFX), and WinPR's events
 * are eventfds: threads, never processes (clone must carry CLONE_THREAD;
 * clone3, whose flags seccomp cannot see, fails so glibc falls back). */
static const int allowed_threads[] = {
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(eventfd2),
	SCMP_SYS(pipe2),
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(ioctl),
	SCMP_SYS(shutdown),
};

/* What AddressSanitizer's runtime needs on top (reports, the leak check
 * at exit, which stops the process with a ptrace'ing thread). */
static const int allowed_asan[] = {
	SCMP_SYS(readlink),
	SCMP_SYS(ptrace),
	SCMP_SYS(prctl),
	SCMP_SYS(wait4),
	SCMP_SYS(getppid),
	SCMP_SYS(kill),
	SCMP_SYS(tgkill),
	SCMP_SYS(clone),
	SCMP_SYS(sched_getparam),
	SCMP_SYS(sched_yield),
	SCMP_SYS(getdents),
	SCMP_SYS(getdents64),
	SCMP_SYS(msync),
	SCMP_SYS(stat),
	SCMP_SYS(lstat),
	SCMP_SYS(mincore),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(ioctl),
	SCMP_SYS(getuid),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address),
	SCMP_SYS(sched_getaffinity),
};

/* flags that make an open more than a read */
#define TV_OPEN_WRITE_BITS \
	(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY))

static int
add_list(scmp_filter_ctx ctx, const int *list, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0)) <
		    0)
			return rc;
	return 0;
}

/*
 * Stage 1 (handshake: files may be read), or stage 2 (no file at all:
 * open fails with EACCES).  Everything not listed kills the process:
 * socket, connect, bind, listen, accept, execve, fork and clone, ptrace...
 */
static int
sandbox(int stage)
{
	scmp_filter_ctx ctx;
	int rc;

	if (stage == 1 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	if ((rc = add_list(ctx, allowed_common,
		 sizeof(allowed_common) / sizeof(allowed_common[0]))) < 0)
		goto fail;
	if (d.proto == &tv_proto_rdp) {
		if ((rc = add_list(ctx, allowed_threads,
			 sizeof(allowed_threads) /
			     sizeof(allowed_threads[0]))) < 0)
			goto fail;
		/* FreeRDP makes its certificate store's directories even
		 * when it is not used: they "exist" */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone),
			 1,
			 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
			     CLONE_THREAD))) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
			 SCMP_SYS(clone3), 0)) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EEXIST),
			 SCMP_SYS(mkdir), 0)) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EEXIST),
			 SCMP_SYS(mkdirat), 0)) < 0)
			goto fail;
	}
	if (stage == 1) {
		if ((rc = add_list(ctx, allowed_handshake,
			 sizeof(allowed_handshake) /
			     sizeof(allowed_handshake[0]))) < 0)
			goto fail;
		/* the CA, certificate and key; GnuTLS's and glibc's
		 * configuration: read only */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
			 SCMP_SYS(openat), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, TV_OPEN_WRITE_BITS,
			     O_RDONLY))) < 0)
			goto fail;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
			 SCMP_SYS(openat), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_WRONLY))) <
			0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
			 SCMP_SYS(openat), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDWR))) < 0)
			goto fail;
	} else {
		/* refused softly: a library probing a file copes */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
			 SCMP_SYS(openat), 0)) < 0)
			goto fail;
	}
#ifdef TV_ASAN
	if ((rc = add_list(ctx, allowed_asan,
		 sizeof(allowed_asan) / sizeof(allowed_asan[0]))) < 0)
		goto fail;
	/* LeakSanitizer's tracer reads /proc/self/maps and the task list
	 * with the old open(2): read only */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
		 SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY))) < 0)
		goto fail;
	if (stage == 1) {
		/* the reports name functions through a symbolizer process:
		 * start it now, it cannot be exec'd later */
		char buf[128];

		__sanitizer_symbolize_pc(__builtin_return_address(0), "%F", buf,
		    sizeof(buf));
	}
#else
	(void)allowed_asan;
#endif
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	log_debug("seccomp stage %d", stage);
	return 0;
fail:
	log_warnx("seccomp stage %d: %s", stage, strerror(-rc));
	seccomp_release(ctx);
	return -1;
}

/* ---- the compositor's messages ---- */

/* Handles what waits on fd 3; returns only when it is drained. */
static void
ctl_input(void)
{
	struct tv_msg m;
	char buf[sizeof(m) + 1];
	long n;
	int fd, x, y;

	for (;;) {
		n = tv_msg_recv(TV_CTL_FD, buf, sizeof(buf), &fd);
		if (fd != -1) {
			close(fd);
			log_warnx("the compositor sent a descriptor: exiting");
			exit(EXIT_LOST);
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			if (errno == ECONNRESET) {
				log_info("the compositor went away: exiting");
				exit(EXIT_CLEAN);
			}
			log_warn("reading from the compositor");
			exit(EXIT_LOST);
		}
		if (n == 0) {
			log_info("the compositor closed the line: exiting");
			exit(EXIT_CLEAN);
		}
		if (n != (long)sizeof(m)) {
			log_warnx("the compositor sent a packet of %ld bytes: "
				  "exiting",
			    n);
			exit(EXIT_LOST);
		}
		memcpy(&m, buf, sizeof(m));
		switch (m.type) {
		case TV_KEY:
			/* X keysyms are 29 bits */
			if ((m.a != 0 && m.a != 1) || m.b < 0 ||
			    m.b > 0x1fffffff || m.c != 0 || m.d != 0)
				goto bad;
			if (d.proto->key(m.a, (uint32_t)m.b) == -1)
				exit(EXIT_LOST);
			break;
		case TV_POINTER:
			if (m.c < 0 || m.c > 0xff || m.d != 0)
				goto bad;
			x = m.a < 0 ? 0 : m.a >= d.fb_w ? d.fb_w - 1 : m.a;
			y = m.b < 0 ? 0 : m.b >= d.fb_h ? d.fb_h - 1 : m.b;
			if (d.proto->pointer(x, y, m.c) == -1)
				exit(EXIT_LOST);
			break;
		case TV_RESIZE:
			if (!tsr_screen_size_ok(m.a, m.b) || m.c != 0 ||
			    m.d != 0)
				goto bad;
			if (d.proto->resize(m.a, m.b) == -1)
				exit(EXIT_LOST);
			break;
		case TV_PING:
			if (m.b != 0 || m.c != 0 || m.d != 0)
				goto bad;
			tv_ctl_send(TV_PONG, m.a, 0, 0, 0, -1);
			break;
		case TV_ACK:
			if (m.a != 0 || m.b != 0 || m.c != 0 || m.d != 0)
				goto bad;
			d.await_ack = 0;
			break;
		default:
			goto bad;
		}
	}
bad:
	log_warnx("the compositor sent a bad message (type %u): exiting",
	    m.type);
	exit(EXIT_LOST);
}

/* ---- main ---- */

static int
check_file(const char *opt, const char *path)
{
	if (path == NULL) {
		log_warnx("%s is required", opt);
		return -1;
	}
	if (access(path, R_OK) == -1) {
		log_warn("%s %s", opt, path);
		return -1;
	}
	return 0;
}

/* The ticket's two lines on stdin (RDP).  0 or -1. */
static int
read_ticket(void)
{
	char buf[sizeof(tv_opt.user) + sizeof(tv_opt.pass) + 2], *nl;
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 &&
	    (n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("reading the ticket on stdin");
			return -1;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL ||
	    (size_t)(nl - buf) >= sizeof(tv_opt.user) || strlen(nl + 1) == 0 ||
	    nl[strlen(nl) - 1] != '\n' ||
	    strlen(nl + 1) > sizeof(tv_opt.pass)) {
		log_warnx("--rdp: want a user and a password on stdin, a "
			  "line each");
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	*nl = '\0';
	nl[1 + strlen(nl + 1) - 1] = '\0';
	memcpy(tv_opt.user, buf, strlen(buf) + 1);
	memcpy(tv_opt.pass, nl + 1, strlen(nl + 1) + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rdp", no_argument, NULL, 'r' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pollfd pfd[8];
	struct sigaction sa;
	char *end, name[80];
	long port;
	int ch, type, i, n, rc, pending, sock;
	long long left;
	socklen_t sl;

	d.proto = &tv_proto_vnc;
	log_init("tessera-view-decoder", 1, 0);
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			d.proto = &tv_proto_rdp;
			break;
		case 'H':
			tv_opt.host = optarg;
			break;
		case 'p':
			tv_opt.port = optarg;
			break;
		case 'a':
			tv_opt.ca = optarg;
			break;
		case 'c':
			tv_opt.cert = optarg;
			break;
		case 'k':
			tv_opt.key = optarg;
			break;
		case 'n':
			tv_opt.name = optarg;
			break;
		case 'v':
			tv_opt.verbose++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || tv_opt.host == NULL || tv_opt.port == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (tv_opt.name != NULL) {
		log_escape(name, sizeof(name), tv_opt.name,
		    strlen(tv_opt.name));
		snprintf(log_ident_buf, sizeof(log_ident_buf),
		    "tessera-view-decoder[%s]", name);
		log_init(log_ident_buf, 1, tv_opt.verbose);
	} else {
		log_setverbose(tv_opt.verbose);
	}
	errno = 0;
	port = strtol(tv_opt.port, &end, 10);
	if (errno || *end != '\0' || port < 1 || port > 65535) {
		log_warnx("--port %s: want 1 to 65535", tv_opt.port);
		return EXIT_USAGE;
	}
	tv_opt.port_num = (int)port;
	if (check_file("--ca", tv_opt.ca) == -1 ||
	    check_file("--cert", tv_opt.cert) == -1 ||
	    check_file("--key", tv_opt.key) == -1)
		return EXIT_USAGE;
	if (d.proto == &tv_proto_rdp && read_ticket() == -1)
		return EXIT_USAGE;
	sl = sizeof(type);
	if (getsockopt(TV_CTL_FD, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
	    type != SOCK_SEQPACKET) {
		log_warnx("fd 3 is not the compositor's SOCK_SEQPACKET socket");
		return EXIT_USAGE;
	}
	fcntl(TV_CTL_FD, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);

	if ((sock = tcp_connect(tv_opt.host, tv_opt.port)) == -1)
		return EXIT_REFUSED;
	log_info("connected to %s port %s (%s)", tv_opt.host, tv_opt.port,
	    d.proto->name);

	/* the handshake must end in time, whatever the server does */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(TV_HANDSHAKE_TIMEOUT_S);

	if (sandbox(1) == -1)
		return EXIT_LOST;
	if ((rc = d.proto->open(sock)) != 0)
		return rc;
	alarm(0);
	if (d.fb == NULL || d.fb_fd == -1)
		return EXIT_REFUSED;
	d.connected = 1;
	tv_ctl_send(TV_CONNECTED, 0, 0, 0, 0, -1);
	tv_ctl_send(TV_FB, d.fb_w, d.fb_h, 0, 0, d.fb_fd);
	close(d.fb_fd);
	d.fb_fd = -1;
	await_ack();
	/* whatever arrived with the first picture */
	tv_damage_flush();
	if (sandbox(2) == -1)
		return EXIT_LOST;

	for (;;) {
		/* while the compositor has not shown the last update, only
		 * its line is read (a late TV_ACK only delays the stream) */
		left =
		    d.await_ack ? d.ack_deadline - (long long)tsr_mono_ms() : 0;
		if (left <= 0)
			d.await_ack = 0;
		pending = d.await_ack ? 0 : d.proto->pending();
		pfd[0].fd = TV_CTL_FD;
		pfd[0].events = POLLIN;
		n = 1 +
		    (d.await_ack ?
			    0 :
			    d.proto->fds(pfd + 1,
				(int)(sizeof(pfd) / sizeof(pfd[0])) - 1));
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		if (poll(pfd, (nfds_t)n,
			pending		? 0 :
			    d.await_ack ? (int)left :
					  -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return EXIT_LOST;
		}
		if (pfd[0].revents)
			ctl_input();
		for (i = 1; i < n && !pending; i++)
			if (pfd[i].revents)
				pending = 1;
		if (pending && d.proto->pump() == -1)
			return EXIT_LOST;
	}
}
