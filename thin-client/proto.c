/*
 * The compositor-decoder line: packets, fds, and the checks on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"

int
tv_msg_check(const void *buf, size_t n, int fb_w, int fb_h, struct tv_msg *m,
    char *err, size_t errlen)
{
	if (n != sizeof(*m)) {
		snprintf(err, errlen, "packet of %zu bytes", n);
		return -1;
	}
	memcpy(m, buf, sizeof(*m));
	switch (m->type) {
	case TV_FB:
		if (m->a < 1 || m->a > TV_MAX_W || m->b < 1 ||
		    m->b > TV_MAX_H || m->c != 0 || m->d != 0) {
			snprintf(err, errlen, "bad framebuffer size %dx%d",
			    m->a, m->b);
			return -1;
		}
		return 0;
	case TV_DAMAGE:
		/* each bound on its own first: no sum can overflow */
		if (m->a < 0 || m->b < 0 || m->c < 1 || m->d < 1 ||
		    m->a >= fb_w || m->b >= fb_h || m->c > fb_w ||
		    m->d > fb_h || m->a + m->c > fb_w || m->b + m->d > fb_h) {
			snprintf(err, errlen,
			    "damage %dx%d+%d+%d outside the %dx%d buffer", m->c,
			    m->d, m->a, m->b, fb_w, fb_h);
			return -1;
		}
		return 0;
	case TV_CONNECTED:
		if (m->a != 0 || m->b != 0 || m->c != 0 || m->d != 0) {
			snprintf(err, errlen, "bad connected message");
			return -1;
		}
		return 0;
	case TV_PONG:
		if (m->b != 0 || m->c != 0 || m->d != 0) {
			snprintf(err, errlen, "bad pong message");
			return -1;
		}
		return 0;
	default:
		snprintf(err, errlen, "unknown message type %u", m->type);
		return -1;
	}
}

int
tv_memfd_check(int fd, int w, int h, char *err, size_t errlen)
{
	const int need = F_SEAL_SHRINK | F_SEAL_SEAL;
	struct stat st;
	int seals;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "framebuffer is not a memory file");
		return -1;
	}
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 || (seals & need) != need) {
		snprintf(err, errlen, "framebuffer memory file is not sealed");
		return -1;
	}
	if (st.st_size < (off_t)w * h * 4) {
		snprintf(err, errlen,
		    "framebuffer memory file too small "
		    "(%lld bytes for %dx%d)",
		    (long long)st.st_size, w, h);
		return -1;
	}
	return 0;
}

int
tv_packet_send(int sock, const void *buf, size_t n, int fd)
{
	struct iovec iov = { (void *)buf, n };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd != -1) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (r == (ssize_t)n)
			return 0;
		if (r == -1 && errno == EINTR)
			continue;
		if (r >= 0)
			errno = EMSGSIZE;
		return -1;
	}
}

int
tv_msg_send(int sock, uint32_t type, int32_t a, int32_t b, int32_t c, int32_t d,
    int fd)
{
	struct tv_msg m = { type, a, b, c, d };

	return tv_packet_send(sock, &m, sizeof(m), fd);
}

long
tv_msg_recv(int sock, void *buf, size_t bufsz, int *fd)
{
	struct iovec iov = { buf, bufsz };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t r;
	size_t i, nfd;
	int f;

	*fd = -1;
	do
		r = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (*fd == -1)
				*fd = f;
			else
				close(f);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		/* an oversized packet: report its size as bufsz + 1 */
		return (long)bufsz + 1;
	}
	return (long)r;
}
