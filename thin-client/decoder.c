/*
 * tessera-view-decoder: one qube's display, decoded in a process of its own.
 *
 *   tessera-view-decoder --host H --port P --ca CA.pem --cert CERT.pem
 *       --key KEY.pem [--name QUBE] [-v]
 *
 * tessera-view starts one per qube window, with its end of a SOCK_SEQPACKET
 * socketpair on fd 3 (proto.h).  The decoder connects to the qube's
 * tessera-render over TCP, then locks itself down (seccomp, stage 1: no new
 * sockets, no exec, no new processes, files read-only), and lets
 * libvncclient run the RFB handshake on that socket: VeNCrypt only, subtype
 * X509None only (our client certificate; the server's certificate must
 * chain to --ca and name --host).  The picture lands in a sealed memfd that
 * the compositor maps; after the first one exists a stricter filter
 * (stage 2: no files at all) covers the rest of the process's life, while
 * the qube's stream is parsed.
 *
 * To the compositor: TV_CONNECTED once, then TV_FB (with the memfd), then
 * TV_DAMAGE rectangles after each framebuffer update (at most
 * TV_DMG_MAX per update, else their bounding box); TV_FB again whenever
 * the qube's screen changes size; TV_PONG for each TV_PING (answered
 * from TV_CONNECTED on).  From the compositor: TV_KEY, TV_POINTER,
 * TV_RESIZE, TV_PING; anything else ends the process.
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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <rfb/rfbclient.h>
#include <seccomp.h>

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

#define TV_CTL_FD		3
#define TV_CONNECT_TIMEOUT_MS	10000
#define TV_HANDSHAKE_TIMEOUT_S	30	/* connected to first picture */
#define TV_READ_TIMEOUT_S	30	/* a message left half-sent */
#define TV_DMG_MAX		16	/* rectangles per update */

enum {
	EXIT_CLEAN = 0,
	EXIT_LOST = 1,
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,
};

struct rect {
	int x0, y0, x1, y1;	/* half-open */
};

static struct {
	const char *host, *port, *ca, *cert, *key, *name;
	int verbose;
	int sock;		/* to tessera-render */
	rfbClient *cl;
	/* the framebuffer: a shared mapping of a sealed memfd */
	uint8_t *fb;
	size_t fb_len;
	int fb_w, fb_h;
	int fb_fd;		/* not yet sent (only before TV_CONNECTED) */
	int connected;		/* TV_CONNECTED sent */
	struct rect dmg[TV_DMG_MAX];
	int ndmg;
	char lastlib[256];	/* libvncclient's last message, for errors */
	int refused;		/* we ended the handshake (and said why) */
} d = { .sock = -1, .fb_fd = -1 };

/* "tessera-view-decoder[QUBE]", for log_init() and the alarm's message */
static char log_ident_buf[112];

static void
usage(FILE *f)
{
	fprintf(f, "usage: tessera-view-decoder --host H --port P --ca CA.pem "
	    "--cert CERT.pem --key KEY.pem [--name QUBE] [-v]\n"
	    "  (started by tessera-view, its control socket on fd 3)\n");
}

/* ---- libvncclient's messages ---- */

static void
lib_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0)
		return;
	/* what the server controls (names, reasons) is escaped */
	log_escape(d.lastlib, sizeof(d.lastlib), buf, n);
	if (d.verbose >= 1)
		log_debug("libvncclient: %s", d.lastlib);
}

/* ---- the control socket ---- */

static void
ctl_send(uint32_t type, int a, int b, int c, int e, int fd)
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

static rfbBool
alloc_fb(rfbClient *cl)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	int w = cl->width, h = cl->height, fd;
	size_t len;
	void *p;

	/* the handshake must have been X509None: nothing else gets a
	 * picture (anonymous TLS and no TLS at all reach this point) */
	if (cl->authScheme != rfbVeNCrypt ||
	    cl->subAuthScheme != rfbVeNCryptX509None) {
		log_warnx("refused: the server chose security %u/%u, not "
		    "VeNCrypt X509None", (unsigned)cl->authScheme,
		    (unsigned)cl->subAuthScheme);
		d.refused = 1;
		return FALSE;
	}
	if (w < 1 || h < 1 || w > TV_MAX_W || h > TV_MAX_H) {
		log_warnx("refused: a framebuffer of %dx%d", w, h);
		d.refused = !d.connected;
		return FALSE;
	}
	if (cl->format.bitsPerPixel != 32) {
		log_warnx("refused: %d bits per pixel", cl->format.bitsPerPixel);
		d.refused = !d.connected;
		return FALSE;
	}
	len = (size_t)w * (size_t)h * 4;
	if ((fd = memfd_create("tessera-fb", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		log_warn("memfd_create");
		return FALSE;
	}
	if (ftruncate(fd, (off_t)len) == -1 ||
	    fcntl(fd, F_ADD_SEALS, seals) == -1) {
		log_warn("sizing and sealing the framebuffer");
		close(fd);
		return FALSE;
	}
	if ((p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		log_warn("mmap of the framebuffer");
		close(fd);
		return FALSE;
	}
	if (d.fb != NULL)
		munmap(d.fb, d.fb_len);
	d.fb = p;
	d.fb_len = len;
	d.fb_w = w;
	d.fb_h = h;
	d.ndmg = 0;
	cl->frameBuffer = p;
	log_info("framebuffer %dx%d", w, h);
	if (!d.connected) {
		/* the first one goes out after TV_CONNECTED */
		if (d.fb_fd != -1)
			close(d.fb_fd);
		d.fb_fd = fd;
		return TRUE;
	}
	ctl_send(TV_FB, w, h, 0, 0, fd);
	close(fd);
	return TRUE;
}

/* ---- damage ---- */

static void
got_update(rfbClient *cl, int x, int y, int w, int h)
{
	struct rect r;
	int i;

	(void)cl;
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
		if (d.dmg[i].x0 < r.x0) r.x0 = d.dmg[i].x0;
		if (d.dmg[i].y0 < r.y0) r.y0 = d.dmg[i].y0;
		if (d.dmg[i].x1 > r.x1) r.x1 = d.dmg[i].x1;
		if (d.dmg[i].y1 > r.y1) r.y1 = d.dmg[i].y1;
	}
	d.dmg[0] = r;
	d.ndmg = 1;
}

static void
finished_update(rfbClient *cl)
{
	int i;

	(void)cl;
	if (!d.connected)
		return;
	for (i = 0; i < d.ndmg; i++)
		ctl_send(TV_DAMAGE, d.dmg[i].x0, d.dmg[i].y0,
		    d.dmg[i].x1 - d.dmg[i].x0, d.dmg[i].y1 - d.dmg[i].y0, -1);
	d.ndmg = 0;
}

/* ---- credentials: X509 only, and only for X509None ---- */

static char *
get_password(rfbClient *cl)
{
	(void)cl;
	log_warnx("refused: the server asked for a VNC password");
	d.refused = 1;
	return NULL;
}

static rfbCredential *
get_credential(rfbClient *cl, int type)
{
	rfbCredential *c;

	if (type != rfbCredentialTypeX509 || cl->authScheme != rfbVeNCrypt ||
	    cl->subAuthScheme != rfbVeNCryptX509None) {
		log_warnx("refused: the server asked for credentials of type "
		    "%d (security %u/%u), not an X509None certificate", type,
		    (unsigned)cl->authScheme, (unsigned)cl->subAuthScheme);
		d.refused = 1;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->x509Credential.x509CACertFile = strdup(d.ca);
	c->x509Credential.x509ClientCertFile = strdup(d.cert);
	c->x509Credential.x509ClientKeyFile = strdup(d.key);
	c->x509Credential.x509CrlVerifyMode = rfbX509CrlVerifyNone;
	if (c->x509Credential.x509CACertFile == NULL ||
	    c->x509Credential.x509ClientCertFile == NULL ||
	    c->x509Credential.x509ClientKeyFile == NULL) {
		free(c->x509Credential.x509CACertFile);
		free(c->x509Credential.x509ClientCertFile);
		free(c->x509Credential.x509ClientKeyFile);
		free(c);
		return NULL;
	}
	return c;
}

/* ---- connecting ---- */

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected TCP socket (blocking), or -1. */
static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	long long deadline = mono_ms() + TV_CONNECT_TIMEOUT_MS, left;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, rc, err = 0, one = 1;

	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol)) == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do {
				left = deadline - mono_ms();
				rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
			} while (rc == -1 && errno == EINTR);
			sl = sizeof(err);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &err, &sl) == 0 && err == 0)
				break;
			if (rc == 0)
				err = ETIMEDOUT;
		} else {
			err = errno;
		}
		close(fd);
		fd = -1;
		if (mono_ms() >= deadline)
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
	const char *id = log_ident_buf[0] ? log_ident_buf :
	    "tessera-view-decoder";

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
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
	SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(memfd_create), SCMP_SYS(ftruncate),
	SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Stage 1 on top (the handshake): GnuTLS and glibc looking at files and
 * the system, the handshake's alarm, and loading stage 2. */
static const int allowed_handshake[] = {
	SCMP_SYS(statx), SCMP_SYS(pread64), SCMP_SYS(getdents64),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(uname),
	SCMP_SYS(sysinfo), SCMP_SYS(sched_getaffinity), SCMP_SYS(prlimit64),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(rt_sigaction), SCMP_SYS(alarm),
	SCMP_SYS(setitimer), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getpeername), SCMP_SYS(getsockname),
	SCMP_SYS(seccomp), SCMP_SYS(prctl), SCMP_SYS(ioctl),
};

/* What AddressSanitizer's runtime needs on top (reports, the leak check
 * at exit, which stops the process with a ptrace'ing thread). */
static const int allowed_asan[] = {
	SCMP_SYS(readlink), SCMP_SYS(ptrace), SCMP_SYS(prctl),
	SCMP_SYS(wait4), SCMP_SYS(getppid), SCMP_SYS(kill), SCMP_SYS(tgkill),
	SCMP_SYS(clone), SCMP_SYS(sched_getparam), SCMP_SYS(sched_yield),
	SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(msync),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(mincore),
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(ioctl),
	SCMP_SYS(getuid), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(sched_getaffinity),
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
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0)) < 0)
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
	if ((rc = add_list(ctx, allowed_common, sizeof(allowed_common) /
	    sizeof(allowed_common[0]))) < 0)
		goto fail;
	if (stage == 1) {
		if ((rc = add_list(ctx, allowed_handshake,
		    sizeof(allowed_handshake) /
		    sizeof(allowed_handshake[0]))) < 0)
			goto fail;
		/* the CA, certificate and key; GnuTLS's and glibc's
		 * configuration: read only */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
		    TV_OPEN_WRITE_BITS, O_RDONLY))) < 0)
			goto fail;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
		    O_ACCMODE, O_WRONLY))) < 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ,
		    O_ACCMODE, O_RDWR))) < 0)
			goto fail;
	} else {
		/* refused softly: a library probing a file copes */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    SCMP_SYS(openat), 0)) < 0)
			goto fail;
	}
#ifdef TV_ASAN
	if ((rc = add_list(ctx, allowed_asan, sizeof(allowed_asan) /
	    sizeof(allowed_asan[0]))) < 0)
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

		__sanitizer_symbolize_pc(__builtin_return_address(0), "%F",
		    buf, sizeof(buf));
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
			    "exiting", n);
			exit(EXIT_LOST);
		}
		memcpy(&m, buf, sizeof(m));
		switch (m.type) {
		case TV_KEY:
			/* X keysyms are 29 bits */
			if ((m.a != 0 && m.a != 1) || m.b < 0 ||
			    m.b > 0x1fffffff || m.c != 0 || m.d != 0)
				goto bad;
			if (!SendKeyEvent(d.cl, (uint32_t)m.b, m.a ? TRUE :
			    FALSE))
				goto lost;
			break;
		case TV_POINTER:
			if (m.c < 0 || m.c > 0xff || m.d != 0)
				goto bad;
			x = m.a < 0 ? 0 : m.a >= d.fb_w ? d.fb_w - 1 : m.a;
			y = m.b < 0 ? 0 : m.b >= d.fb_h ? d.fb_h - 1 : m.b;
			if (!SendPointerEvent(d.cl, x, y, m.c))
				goto lost;
			break;
		case TV_RESIZE:
			if (m.a < 1 || m.a > TV_MAX_W || m.b < 1 ||
			    m.b > TV_MAX_H || m.a > 0xffff || m.b > 0xffff ||
			    m.c != 0 || m.d != 0)
				goto bad;
			/* only a server that told us its screen layout
			 * (ExtendedDesktopSize) takes SetDesktopSize */
			if (d.cl->screen.width == 0 && d.cl->screen.height == 0) {
				log_debug("resize to %dx%d: the server cannot",
				    m.a, m.b);
				break;
			}
			if (!SendExtDesktopSize(d.cl, (uint16_t)m.a,
			    (uint16_t)m.b))
				goto lost;
			break;
		case TV_PING:
			if (m.b != 0 || m.c != 0 || m.d != 0)
				goto bad;
			ctl_send(TV_PONG, m.a, 0, 0, 0, -1);
			break;
		default:
			goto bad;
		}
	}
bad:
	log_warnx("the compositor sent a bad message (type %u): exiting",
	    m.type);
	exit(EXIT_LOST);
lost:
	log_warnx("connection lost (sending): %s", d.lastlib);
	exit(EXIT_LOST);
}

/* ---- main ---- */

/* Decrypted or read-ahead bytes that poll() cannot see. */
static int
server_pending(void)
{
	if (d.cl->buffered > 0)
		return 1;
	return d.cl->tlsSession != NULL &&
	    gnutls_record_check_pending((gnutls_session_t)d.cl->tlsSession) > 0;
}

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

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
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
	uint32_t auth[] = { rfbVeNCrypt, 0 };
	struct pollfd pfd[2];
	struct sigaction sa;
	char *end, name[80];
	long port;
	int ch, type, n, pending;
	socklen_t sl;

	log_init("tessera-view-decoder", 1, 0);
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': d.host = optarg; break;
		case 'p': d.port = optarg; break;
		case 'a': d.ca = optarg; break;
		case 'c': d.cert = optarg; break;
		case 'k': d.key = optarg; break;
		case 'n': d.name = optarg; break;
		case 'v': d.verbose++; break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || d.host == NULL || d.port == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (d.name != NULL) {
		log_escape(name, sizeof(name), d.name, strlen(d.name));
		snprintf(log_ident_buf, sizeof(log_ident_buf),
		    "tessera-view-decoder[%s]", name);
		log_init(log_ident_buf, 1, d.verbose);
	} else {
		log_setverbose(d.verbose);
	}
	errno = 0;
	port = strtol(d.port, &end, 10);
	if (errno || *end != '\0' || port < 1 || port > 65535) {
		log_warnx("--port %s: want 1 to 65535", d.port);
		return EXIT_USAGE;
	}
	if (check_file("--ca", d.ca) == -1 ||
	    check_file("--cert", d.cert) == -1 ||
	    check_file("--key", d.key) == -1)
		return EXIT_USAGE;
	sl = sizeof(type);
	if (getsockopt(TV_CTL_FD, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
	    type != SOCK_SEQPACKET) {
		log_warnx("fd 3 is not the compositor's SOCK_SEQPACKET socket");
		return EXIT_USAGE;
	}
	fcntl(TV_CTL_FD, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);

	rfbClientLog = lib_log;
	rfbClientErr = lib_log;

	if ((d.sock = tcp_connect(d.host, d.port)) == -1)
		return EXIT_REFUSED;
	log_info("connected to %s port %s", d.host, d.port);

	/* the handshake must end in time, whatever the server does */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(TV_HANDSHAKE_TIMEOUT_S);

	if (sandbox(1) == -1)
		return EXIT_LOST;

	/* 8 bits a channel, 32 bits a pixel: 0x00RRGGBB in memory */
	if ((d.cl = rfbGetClient(8, 3, 4)) == NULL)
		return EXIT_LOST;
	d.cl->format.redShift = 16;
	d.cl->format.greenShift = 8;
	d.cl->format.blueShift = 0;
	d.cl->programName = "tessera-view-decoder";
	d.cl->serverHost = strdup(d.host);	/* the certificate names it */
	d.cl->serverPort = (int)port;
	/* the socket is ours, already connected: libvncclient takes it */
	d.cl->listenSpecified = TRUE;
	d.cl->sock = d.sock;
	d.cl->MallocFrameBuffer = alloc_fb;
	d.cl->GotFrameBufferUpdate = got_update;
	d.cl->FinishedFrameBufferUpdate = finished_update;
	d.cl->GetPassword = get_password;
	d.cl->GetCredential = get_credential;
	d.cl->canHandleNewFBSize = TRUE;
	/* what tessera-render sends; Tight with JPEG at quality level 9
	 * (perceptually lossless), zlib level 1 (loopback: cheap) */
	d.cl->appData.encodingsString = "tight zrle raw";
	d.cl->appData.enableJPEG = TRUE;
	d.cl->appData.qualityLevel = 9;
	d.cl->appData.compressLevel = 1;
	d.cl->appData.shareDesktop = TRUE;
	SetClientAuthSchemes(d.cl, auth, -1);
	if (d.cl->serverHost == NULL)
		return EXIT_LOST;
	if (!rfbInitClient(d.cl, NULL, NULL)) {
		/* rfbInitClient freed the client and closed the socket */
		d.cl = NULL;
		if (!d.refused)
			log_warnx("refused: the handshake failed (%s)",
			    d.lastlib[0] ? d.lastlib : "no reason given");
		return EXIT_REFUSED;
	}
	alarm(0);
	if (d.fb == NULL || d.fb_fd == -1)
		return EXIT_REFUSED;
	n = d.cl->desktopName ? (int)strlen(d.cl->desktopName) : 0;
	log_escape(name, sizeof(name), n ? d.cl->desktopName : "", (size_t)n);
	log_info("handshake done: VeNCrypt X509None, \"%s\" %dx%d", name,
	    d.fb_w, d.fb_h);
	d.connected = 1;
	ctl_send(TV_CONNECTED, 0, 0, 0, 0, -1);
	ctl_send(TV_FB, d.fb_w, d.fb_h, 0, 0, d.fb_fd);
	close(d.fb_fd);
	d.fb_fd = -1;
	if (sandbox(2) == -1)
		return EXIT_LOST;

	/* from now on a stalled half-message ends the connection */
	d.cl->readTimeout = TV_READ_TIMEOUT_S;
	if (fcntl(d.cl->sock, F_SETFL, fcntl(d.cl->sock, F_GETFL) |
	    O_NONBLOCK) == -1) {
		log_warn("fcntl");
		return EXIT_LOST;
	}

	for (;;) {
		pending = server_pending();
		pfd[0].fd = d.cl->sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = TV_CTL_FD;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, pending ? 0 : -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return EXIT_LOST;
		}
		if (pfd[1].revents)
			ctl_input();
		if (pending || pfd[0].revents) {
			d.lastlib[0] = '\0';
			if (!HandleRFBServerMessage(d.cl)) {
				log_warnx("connection lost: %s", d.lastlib[0] ?
				    d.lastlib : "the server broke the protocol");
				return EXIT_LOST;
			}
		}
	}
}
