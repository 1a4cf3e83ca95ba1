/*
 * Admin API connections.  The unix socket identifies callers by
 * SO_PEERCRED; the TLS port by their client certificate.  Every socket is
 * non-blocking and served by the one event loop, so a slow, stalled or
 * hostile peer only ever costs its own connection.
 *
 * TLS peers are admitted by common/admit.c until their handshake is done:
 * VMD_UNAUTH_PER_ADDR from one address, VMD_UNAUTH_MAX in all, each with
 * its deadline (--handshake-timeout), so half-open connections cannot
 * take the descriptors that callers with certificates need.  When accept
 * runs out of descriptors both listeners rest for VMD_ACCEPT_PAUSE_MS
 * instead of waking the loop again at once.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "clock.h"
#include "domxml.h"
#include "log.h"
#include "vmd.h"

#define HANDSHAKE_TIMEOUT_MS 5000
#define VMD_UNAUTH_PER_ADDR 8
#define VMD_UNAUTH_MAX 64
#define VMD_ACCEPT_PAUSE_MS 250
#define OUT_MAX (32u << 20) /* a subscriber that stops reading */

static void conn_io(int watch, int fd, int events, void *arg);
static void conn_process(struct vmd_conn *);

static void
conn_free(void *arg)
{
	struct vmd_conn *conn = arg;

	if (conn->ssl) {
		SSL_free(conn->ssl);
	}
	close(conn->fd);
	tsr_lines_finish(&conn->in);
	free(conn->out);
	if (conn->tickets != NULL)
		OPENSSL_cleanse(conn->tickets,
		    conn->ntickets * sizeof(*conn->tickets));
	free(conn->tickets);
	free(conn);
}

/* The TLS connection no longer counts as one in its handshake. */
static void
ungate(struct vmd_conn *conn)
{
	if (conn->gated) {
		tsr_admit_leave(&conn->vmd->admit, &conn->key);
		conn->gated = 0;
	}
}

void
control_close(struct vmd_conn *conn)
{
	struct vmd *vmd = conn->vmd;

	if (conn->dead)
		return;
	conn->dead = 1;
	ungate(conn);
	log_debug("%s: closed", conn->who);
	TAILQ_REMOVE(&vmd->conns, conn, entry);
	life_waiter_cancel(conn);
	if (conn->timer != -1)
		virEventRemoveTimeout(conn->timer);
	conn->timer = -1;
	/* conn_free runs once the loop lets go of the handle */
	virEventRemoveHandle(conn->watch);
}

static void
drain_timeout(int timer, void *arg)
{
	struct vmd_conn *conn = arg;

	(void)timer;
	control_close(conn);
}

/*
 * The last reply to a connection we are closing is flushed: send our end
 * of the stream, then read and drop what the peer still sends for a
 * moment, so that closing with unread data does not reset the connection
 * and destroy that reply before the peer reads it.
 */
static void
conn_finish(struct vmd_conn *conn)
{
	if (conn->draining || conn->dead)
		return;
	conn->draining = 1;
	if (conn->ssl)
		SSL_shutdown(conn->ssl);
	shutdown(conn->fd, SHUT_WR);
	if (conn->timer != -1)
		virEventRemoveTimeout(conn->timer);
	conn->timer = virEventAddTimeout(2000, drain_timeout, conn, NULL);
	virEventUpdateHandle(conn->watch, VIR_EVENT_HANDLE_READABLE);
}

static void
conn_drain(struct vmd_conn *conn)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(conn->fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		control_close(conn);
}

static void
conn_update(struct vmd_conn *conn)
{
	int ev = VIR_EVENT_HANDLE_READABLE;

	if (conn->dead)
		return;
	if (conn->outlen > 0 || (conn->ssl && SSL_want_write(conn->ssl)))
		ev |= VIR_EVENT_HANDLE_WRITABLE;
	virEventUpdateHandle(conn->watch, ev);
}

/* Writes what is queued; -1 when the connection is broken. */
static int
conn_flush(struct vmd_conn *conn)
{
	ssize_t n;
	size_t wn;

	while (conn->outlen > 0) {
		if (conn->ssl) {
			ERR_clear_error();
			if (SSL_write_ex(conn->ssl, conn->out, conn->outlen,
				&wn) == 1) {
				n = (ssize_t)wn;
			} else {
				int e = SSL_get_error(conn->ssl, 0);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					return 0;
				return -1;
			}
		} else {
			n = send(conn->fd, conn->out, conn->outlen,
			    MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					return 0;
				return -1;
			}
		}
		memmove(conn->out, conn->out + n, conn->outlen - (size_t)n);
		conn->outlen -= (size_t)n;
	}
	return 0;
}

void
control_send(struct vmd_conn *conn, char *line)
{
	size_t n;

	if (line == NULL || conn->dead) {
		free(line);
		return;
	}
	n = strlen(line);
	if (n > TSR_API_REPLY_MAX) {
		/* never break the framing a client relies on */
		log_warnx("%s: a reply of %zu bytes is too long", conn->who, n);
		free(line);
		line = tsr_api_reply_err(-1, "internal", "reply too long");
		n = strlen(line);
	}
	if (conn->outlen + n > OUT_MAX) {
		log_warnx("%s: not reading its replies; closing", conn->who);
		free(line);
		control_close(conn);
		return;
	}
	if (conn->outlen + n > conn->outcap) {
		size_t cap = conn->outcap ? conn->outcap : 4096;
		char *nb;
		while (cap < conn->outlen + n)
			cap *= 2;
		if ((nb = realloc(conn->out, cap)) == NULL) {
			free(line);
			control_close(conn);
			return;
		}
		conn->out = nb;
		conn->outcap = cap;
	}
	memcpy(conn->out + conn->outlen, line, n);
	conn->outlen += n;
	free(line);
	if (!conn->handshaking && conn_flush(conn) == -1) {
		control_close(conn);
		return;
	}
	conn_update(conn);
}

void
control_flush(struct vmd_conn *conn)
{
	if (!conn->dead && !conn->handshaking && conn_flush(conn) == -1)
		control_close(conn);
}

void
control_resume(struct vmd_conn *conn)
{
	conn->waiting = 0;
	if (!conn->dead)
		conn_process(conn);
}

void
control_event(struct vmd *vmd, const char *event, const struct vmd_qube *q,
    json_t *data)
{
	struct vmd_conn *conn, *next;
	struct vmd_target t;
	char *line = NULL;

	if (q)
		api_target_of(vmd, q, &t);
	if (q && data == NULL)
		data = json_pack("{s:s, s:s}", "label", q->label.name, "class",
		    vmd_class_name(q->klass));
	for (conn = TAILQ_FIRST(&vmd->conns); conn; conn = next) {
		next = TAILQ_NEXT(conn, entry);
		if (!conn->subscribed)
			continue;
		if (q &&
		    !vmd_policy_check(vmd->policy, "vm.list", &conn->caller, &t,
			NULL))
			continue;
		if (line == NULL) {
			line = tsr_api_event(event, q ? q->name : NULL,
			    json_incref(data));
			if (line == NULL)
				break;
		}
		control_send(conn, strdup(line));
	}
	free(line);
	json_decref(data);
}

/* Runs buffered requests, one at a time, until one has to wait. */
static void
conn_process(struct vmd_conn *conn)
{
	struct tsr_api_req req;
	char err[256], *line;
	size_t len;
	int rc;

	while (!conn->dead && !conn->waiting && !conn->closing) {
		rc = tsr_lines_next(&conn->in, &line, &len);
		if (rc == 0)
			break;
		if (rc == -1) {
			log_warnx("%s: message too long; closing", conn->who);
			control_send(conn,
			    tsr_api_reply_err(-1, "bad-request",
				"message too long"));
			conn->closing = 1;
			break;
		}
		if (len == 0)
			continue;
		if (tsr_api_parse_request(line, len, &req, err, sizeof(err)) ==
		    -1) {
			log_warnx("%s: bad request (%s); closing", conn->who,
			    err);
			control_send(conn,
			    tsr_api_reply_err(-1, "bad-request", "%s", err));
			conn->closing = 1;
			break;
		}
		api_dispatch(conn, &req);
		tsr_api_req_free(&req);
	}
	if (conn->closing && !conn->dead && conn->outlen == 0)
		conn_finish(conn);
}

static int
conn_read(struct vmd_conn *conn)
{
	size_t room, got;
	char *p;
	ssize_t n;

	for (;;) {
		if ((p = tsr_lines_space(&conn->in, &room)) == NULL)
			return 0; /* full: conn_process decides */
		if (conn->ssl) {
			ERR_clear_error();
			if (SSL_read_ex(conn->ssl, p, room, &got) != 1) {
				int e = SSL_get_error(conn->ssl, 0);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return 0;
				return -1; /* closed or broken */
			}
			n = (ssize_t)got;
		} else {
			n = recv(conn->fd, p, room, 0);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (n <= 0)
				return -1;
		}
		tsr_lines_commit(&conn->in, (size_t)n);
		/* while a reply is pending, buffer without limit checks */
		if (conn->waiting)
			return 0;
	}
}

static void
handshake_timeout(int timer, void *arg)
{
	struct vmd_conn *conn = arg;

	(void)timer;
	log_warnx("%s: TLS handshake timed out", conn->who);
	control_close(conn);
}

static void
set_cert_caller(struct vmd_conn *conn, const struct tsr_tls_peer *p)
{
	conn->caller.kind = VMD_CALLER_CERT;
	snprintf(conn->cred_cn, sizeof(conn->cred_cn), "%s", p->cn);
	conn->caller.cn = conn->cred_cn;
	if (strcmp(p->role, "viewer") == 0)
		conn->caller.role = VMD_ROLE_VIEWER;
	else if (strcmp(p->role, "admin") == 0)
		conn->caller.role = VMD_ROLE_ADMIN;
	else
		conn->caller.role = VMD_ROLE_NONE;
	snprintf(conn->who, sizeof(conn->who), "cert:%s", p->cn);
}

static int
conn_handshake(struct vmd_conn *conn)
{
	struct tsr_tls_peer peer;
	char ebuf[256];
	int r, e;

	ERR_clear_error();
	if ((r = SSL_accept(conn->ssl)) == 1) {
		if (tsr_tls_peer(conn->ssl, &peer) == -1) {
			log_warnx("%s: client certificate without a usable "
				  "name",
			    conn->who);
			return -1;
		}
		conn->handshaking = 0;
		ungate(conn);
		virEventRemoveTimeout(conn->timer);
		conn->timer = -1;
		set_cert_caller(conn, &peer);
		log_info("%s: connected (%s)", conn->who,
		    SSL_get_version(conn->ssl));
		return 0;
	}
	e = SSL_get_error(conn->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	log_warnx("%s: TLS handshake failed: %s", conn->who,
	    tsr_tls_error(ebuf, sizeof(ebuf)));
	return -1;
}

static void
conn_io(int watch, int fd, int events, void *arg)
{
	struct vmd_conn *conn = arg;

	(void)watch;
	(void)fd;
	if (conn->dead)
		return;
	if (conn->draining) {
		conn_drain(conn);
		return;
	}
	if (conn->handshaking) {
		if (conn_handshake(conn) == -1) {
			control_close(conn);
			return;
		}
		if (conn->handshaking) {
			conn_update(conn);
			return;
		}
	}
	if (events &
	    (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP |
		VIR_EVENT_HANDLE_ERROR)) {
		if (conn_read(conn) == -1) {
			control_close(conn);
			return;
		}
		conn_process(conn);
		if (conn->dead)
			return;
	}
	if (conn_flush(conn) == -1) {
		control_close(conn);
		return;
	}
	if (conn->closing && conn->outlen == 0) {
		conn_finish(conn);
		return;
	}
	conn_update(conn);
}

static struct vmd_conn *
conn_new(struct vmd *vmd, int fd)
{
	struct vmd_conn *conn;

	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		close(fd);
		return NULL;
	}
	conn->vmd = vmd;
	conn->fd = fd;
	conn->timer = -1;
	tsr_lines_init(&conn->in);
	conn->watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, conn_io,
	    conn, conn_free);
	if (conn->watch < 0) {
		tsr_lines_finish(&conn->in);
		free(conn);
		close(fd);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&vmd->conns, conn, entry);
	return conn;
}

static void
set_unix_caller(struct vmd_conn *conn, const struct ucred *cr)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp;
	char buf[4096];
	gid_t gids[32];
	int ng = 32, i, k = 0;

	conn->caller.kind = VMD_CALLER_UNIX;
	conn->caller.uid = cr->uid;
	conn->caller.gid = cr->gid;
	if (getpwuid_r(cr->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp) {
		snprintf(conn->cred_user, sizeof(conn->cred_user), "%s",
		    pw.pw_name);
		conn->caller.user = conn->cred_user;
		if (getgrouplist(pw.pw_name, cr->gid, gids, &ng) == -1)
			ng = 32;
	} else {
		gids[0] = cr->gid;
		ng = 1;
	}
	for (i = 0; i < ng && k < 32; i++) {
		grp = NULL;
		if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &grp) == 0 &&
		    grp) {
			snprintf(conn->cred_groups[k],
			    sizeof(conn->cred_groups[k]), "%s", gr.gr_name);
			conn->cred_group_names[k] = conn->cred_groups[k];
			k++;
		}
	}
	conn->caller.groups = conn->cred_group_names;
	conn->caller.ngroups = (size_t)k;
	snprintf(conn->who, sizeof(conn->who), "user:%s[%d]",
	    conn->caller.user ? conn->caller.user : "?", (int)cr->pid);
}

static void
accept_resume(int timer, void *arg)
{
	struct vmd *vmd = arg;

	virEventRemoveTimeout(timer);
	vmd->accept_paused = 0;
	if (vmd->unix_fd != -1)
		virEventUpdateHandle(vmd->unix_watch,
		    VIR_EVENT_HANDLE_READABLE);
	if (vmd->tls_fd != -1)
		virEventUpdateHandle(vmd->tls_watch, VIR_EVENT_HANDLE_READABLE);
}

/* accept() failed with err: out of descriptors, both listeners rest (the
 * connection stays in the backlog, and the loop would wake at once). */
static void
accept_failed(struct vmd *vmd, int err)
{
	if (err == EAGAIN || err == EINTR || err == ECONNABORTED)
		return;
	log_warnx("accept: %s", strerror(err));
	if (vmd->accept_paused ||
	    !tsr_admit_accept_failed(&vmd->admit, err, tsr_mono_ms()))
		return;
	if (virEventAddTimeout(VMD_ACCEPT_PAUSE_MS, accept_resume, vmd, NULL) <
	    0)
		return;
	vmd->accept_paused = 1;
	if (vmd->unix_fd != -1)
		virEventUpdateHandle(vmd->unix_watch, 0);
	if (vmd->tls_fd != -1)
		virEventUpdateHandle(vmd->tls_watch, 0);
}

static void
accept_unix(int watch, int fd, int events, void *arg)
{
	struct vmd *vmd = arg;
	struct vmd_conn *conn;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	int s;

	(void)watch;
	(void)events;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		accept_failed(vmd, errno);
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1) {
		log_warn("SO_PEERCRED");
		close(s);
		return;
	}
	if ((conn = conn_new(vmd, s)) == NULL)
		return;
	set_unix_caller(conn, &cr);
	log_debug("%s: connected", conn->who);
}

int
control_adopt_render(struct vmd *vmd, int fd, const char *qube)
{
	struct vmd_conn *conn;

	if ((conn = conn_new(vmd, fd)) == NULL)
		return -1;
	/* no policy identity at all: api.c lets it ask about its qube only */
	conn->caller.kind = VMD_CALLER_UNIX;
	conn->caller.uid = (uid_t)-1;
	conn->caller.gid = (gid_t)-1;
	snprintf(conn->render_qube, sizeof(conn->render_qube), "%s", qube);
	snprintf(conn->who, sizeof(conn->who), "render:%s", qube);
	return 0;
}

int
control_listen_unix(struct vmd *vmd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *g;
	mode_t old;
	int fd;

	if (strlen(vmd->sock_path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: path too long for a socket", vmd->sock_path);
		return -1;
	}
	strcpy(sun.sun_path, vmd->sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		 0)) == -1)
		return -1;
	unlink(vmd->sock_path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", vmd->sock_path);
		close(fd);
		return -1;
	}
	umask(old);
	/* members of the tessera group may connect; policy decides the rest */
	if ((g = getgrnam("tessera")) != NULL &&
	    chown(vmd->sock_path, 0, g->gr_gid) == -1)
		log_warn("chown %s", vmd->sock_path);
	if (listen(fd, 64) == -1) {
		close(fd);
		return -1;
	}
	tsr_admit_init(&vmd->admit, VMD_UNAUTH_PER_ADDR, VMD_UNAUTH_MAX,
	    VMD_ACCEPT_PAUSE_MS);
	vmd->unix_fd = fd;
	vmd->unix_watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE,
	    accept_unix, vmd, NULL);
	return 0;
}

static void
accept_tls(int watch, int fd, int events, void *arg)
{
	struct vmd *vmd = arg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct vmd_conn *conn;
	struct tsr_admit_key key;
	char host[NI_MAXHOST], serv[NI_MAXSERV], err[128];
	int s;

	(void)watch;
	(void)events;
	if ((s = accept4(fd, (struct sockaddr *)&ss, &sslen,
		 SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		accept_failed(vmd, errno);
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), serv,
		sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		strcpy(host, "?"), strcpy(serv, "?");
	err[0] = '\0';
	if (tsr_admit_key(&key, (struct sockaddr *)&ss, sslen) == -1)
		snprintf(err, sizeof(err), "neither IPv4 nor IPv6");
	else
		tsr_admit_enter(&vmd->admit, &key, err, sizeof(err));
	if (err[0] != '\0') {
		log_info("tls:%s:%s: refused: %s", host, serv, err);
		close(s);
		return;
	}
	if ((conn = conn_new(vmd, s)) == NULL) {
		tsr_admit_leave(&vmd->admit, &key);
		return;
	}
	conn->key = key;
	conn->gated = 1;
	snprintf(conn->who, sizeof(conn->who), "tls:%s:%s", host, serv);
	/* no identity until the handshake is done: deny everything */
	conn->caller.kind = VMD_CALLER_CERT;
	if ((conn->ssl = SSL_new(vmd->tls_ctx)) == NULL ||
	    SSL_set_fd(conn->ssl, s) != 1) {
		control_close(conn);
		return;
	}
	conn->handshaking = 1;
	conn->timer =
	    virEventAddTimeout(vmd->handshake_ms > 0 ? vmd->handshake_ms :
						       HANDSHAKE_TIMEOUT_MS,
		handshake_timeout, conn, NULL);
}

int
control_listen_tls(struct vmd *vmd, const char *addr, const char *cert,
    const char *key, const char *ca, const char *crl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	char host[256], err[512], *colon;
	const char *port;
	int fd, one = 1, rc;

	snprintf(host, sizeof(host), "%s", addr);
	if ((colon = strrchr(host, ':')) == NULL) {
		log_warnx("--listen wants ADDRESS:PORT, not %s", addr);
		return -1;
	}
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((vmd->tls_ctx = tsr_tls_server_ctx(cert, key, ca, crl,
		 TSR_TLS_REQUIRE_PEER, err, sizeof(err))) == NULL) {
		log_warnx("TLS: %s", err);
		return -1;
	}
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warnx("%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		log_warn("listen on %s", addr);
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	vmd->tls_fd = fd;
	vmd->tls_watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE,
	    accept_tls, vmd, NULL);
	return 0;
}

void
control_close_all(struct vmd *vmd)
{
	struct vmd_conn *conn;

	while ((conn = TAILQ_FIRST(&vmd->conns)) != NULL) {
		conn_flush(conn);
		control_close(conn);
	}
	if (vmd->unix_fd != -1) {
		virEventRemoveHandle(vmd->unix_watch);
		close(vmd->unix_fd);
		unlink(vmd->sock_path);
		vmd->unix_fd = -1;
	}
	if (vmd->tls_fd != -1) {
		virEventRemoveHandle(vmd->tls_watch);
		close(vmd->tls_fd);
		vmd->tls_fd = -1;
	}
}
