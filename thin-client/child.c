/*
 * Decoder processes, seen from the compositor.  A decoder parses a qube's
 * stream, so everything it sends is checked (proto.c); at the first bad
 * packet it is killed, and its window says "disconnected" until the
 * restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proto.h"

static void
unmap(struct tv_qube *q)
{
	if (q->fb != NULL)
		munmap(q->fb, q->fb_len);
	q->fb = NULL;
	q->fb_len = 0;
	q->fb_w = q->fb_h = 0;
}

int
tv_child_start(struct tv_qube *q, const struct tv_creds *cr, uint64_t now)
{
	char port[16], ticket[sizeof(q->ep_user) + sizeof(q->ep_pass) + 2];
	int sv[2], tp[2] = { -1, -1 }, n;
	pid_t pid;

	if (q->pid > 0 || q->ep_port <= 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	/* over RDP the ticket goes in on stdin, never on the command line */
	if (q->ep_rdp) {
		n = snprintf(ticket, sizeof(ticket), "%s\n%s\n", q->ep_user,
		    q->ep_pass);
		if (pipe2(tp, O_CLOEXEC) == -1 || n < 0 ||
		    write(tp[1], ticket, (size_t)n) != n) {
			log_warn("the ticket's pipe");
			explicit_bzero(ticket, sizeof(ticket));
			close(sv[0]);
			close(sv[1]);
			if (tp[0] != -1)
				close(tp[0]);
			if (tp[1] != -1)
				close(tp[1]);
			return -1;
		}
		explicit_bzero(ticket, sizeof(ticket));
		close(tp[1]);
	}
	snprintf(port, sizeof(port), "%d", q->ep_port);
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		if (tp[0] != -1)
			close(tp[0]);
		return -1;
	}
	if (pid == 0) {
		/* fd 3 is the line; nothing else of ours stays open */
		if (dup2(sv[1], 3) == -1 ||
		    (tp[0] != -1 && dup2(tp[0], STDIN_FILENO) == -1))
			_exit(127);
		closefrom(4);
		signal(SIGPIPE, SIG_DFL);
		if (q->ep_rdp)
			execl(cr->decoder, "tessera-view-decoder", "--rdp",
			    "--host", q->ep_host, "--port", port, "--ca",
			    cr->ca, "--cert", cr->cert, "--key", cr->key,
			    "--name", q->info.name, (char *)NULL);
		else
			execl(cr->decoder, "tessera-view-decoder", "--host",
			    q->ep_host, "--port", port, "--ca", cr->ca,
			    "--cert", cr->cert, "--key", cr->key, "--name",
			    q->info.name, (char *)NULL);
		_exit(127);
	}
	if (tp[0] != -1)
		close(tp[0]);
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	q->ctl = sv[0];
	q->pid = pid;
	q->connected = 0;
	q->started_at = now;
	log_debug("%s: decoder %d for %s:%d", q->info.name, (int)pid,
	    q->ep_host, q->ep_port);
	return 0;
}

static void
broke(struct tv_qube *q, const char *why)
{
	log_warnx("%s: decoder %d: %s; stopping it", q->info.name, (int)q->pid,
	    why);
	tv_child_stop(q);
}

int
tv_child_read(struct tv_qube *q, uint64_t now)
{
	struct tv_msg m;
	char buf[sizeof(m) + 1], err[128];
	int changed = 0, fd;
	long n;
	void *p;
	size_t len;

	while (q->ctl != -1) {
		n = tv_msg_recv(q->ctl, buf, sizeof(buf), &fd);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* it exited or closed its end: the reaper restarts it */
			if (fd != -1)
				close(fd);
			close(q->ctl);
			q->ctl = -1;
			q->connected = 0;
			return 2;
		}
		if (tv_msg_check(buf, (size_t)n, q->fb_w, q->fb_h, &m, err,
			sizeof(err)) == -1) {
			if (fd != -1)
				close(fd);
			broke(q, err);
			return -1;
		}
		if (m.type != TV_FB && fd != -1) {
			close(fd);
			broke(q,
			    "a file descriptor with a message that "
			    "takes none");
			return -1;
		}
		switch (m.type) {
		case TV_FB:
			if (fd == -1) {
				broke(q, "a framebuffer without its memory");
				return -1;
			}
			if (tv_memfd_check(fd, m.a, m.b, err, sizeof(err)) ==
			    -1) {
				close(fd);
				broke(q, err);
				return -1;
			}
			len = (size_t)m.a * m.b * 4;
			p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			close(fd);
			if (p == MAP_FAILED) {
				broke(q, "cannot map its framebuffer");
				return -1;
			}
			unmap(q);
			q->fb = p;
			q->fb_len = len;
			q->fb_w = m.a;
			q->fb_h = m.b;
			q->damage = (struct tv_rect){ 0, 0, m.a, m.b };
			q->ack_due = 1;
			changed = 2;
			break;
		case TV_DAMAGE:
			q->damage = tv_rect_union(q->damage,
			    (struct tv_rect){ m.a, m.b, m.c, m.d });
			q->ack_due = 1;
			changed = changed > 1 ? changed : 1;
			break;
		case TV_CONNECTED:
			if (!q->connected)
				log_info("%s: connected to %s:%d", q->info.name,
				    q->ep_host, q->ep_port);
			q->connected = 1;
			q->pong_at = now;
			changed = 2;
			break;
		case TV_PONG:
			q->pong = m.a;
			q->pong_at = now;
			break;
		}
	}
	return changed;
}

void
tv_child_stop(struct tv_qube *q)
{
	if (q->pid > 0)
		kill(q->pid, SIGKILL);
	if (q->ctl != -1)
		close(q->ctl);
	q->ctl = -1;
	q->connected = 0;
	unmap(q);
	q->damage = (struct tv_rect){ 0, 0, 0, 0 };
	q->ack_due = 0;
	q->nkeys_down = 0;
}

void
tv_child_send(struct tv_qube *q, uint32_t type, int a, int b, int c)
{
	if (q->ctl == -1 || !q->connected)
		return;
	if (tv_msg_send(q->ctl, type, a, b, c, 0, -1) == -1 && errno != EAGAIN)
		log_debug("%s: decoder line: %s", q->info.name,
		    strerror(errno));
}

void
tv_child_exited(struct tv_qube *q, int status, uint64_t now)
{
	uint64_t delay;

	if (WIFSIGNALED(status))
		log_warnx("%s: decoder %d killed by signal %d", q->info.name,
		    (int)q->pid, WTERMSIG(status));
	else
		log_info("%s: decoder %d exited with %d", q->info.name,
		    (int)q->pid, WEXITSTATUS(status));
	q->pid = 0;
	tv_child_stop(q);
	/* a decoder that ran a while starts again at once */
	if (now - q->started_at > 10000)
		q->failures = 0;
	delay = q->failures >= 6 ? 16000 : 250ull << q->failures;
	q->failures++;
	q->restart_at = now + delay;
}
