/*
 * One VNC viewer connection, in a thread of its own: the VeNCrypt
 * handshake (vencrypt.c) with TLS terminated here (OpenSSL, common/tls.c),
 * the check of the certificate or password (auth.c), the inner RFB
 * handshake with libvncserver over a plaintext socketpair, then a pump of
 * bytes both ways, viewer-to-server through the message filter (filter.c).
 *
 * A viewer that stalls, sends garbage, or never finishes its handshake
 * (rs_conn_handshake_ms) loses its own connection and nothing else.
 * Connections still in their handshake are admitted by common/admit.c:
 * RS_UNAUTH_PER_ADDR from one address, RS_UNAUTH_MAX in all, so that a
 * flood of half-open connections cannot take the slots (RS_MAX_CONNS) of
 * viewers that have authenticated.  Each connection checks one password at
 * most, so these also bound the scrypt checks an address can have running.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "admit.h"
#include "clock.h"
#include "conn.h"
#include "filter.h"
#include "log.h"
#include "rs.h"
#include "tls.h"
#include "vencrypt.h"

#define RS_STALL_MS 30000 /* a viewer that reads nothing this long */
#define RS_MAX_CONNS 64
#define RS_UNAUTH_MAX (RS_MAX_CONNS / 2)
#define RS_UNAUTH_PER_ADDR 4
#define PUMP_BUF 65536

struct rs_conn_ctx rs_conn_ctx;

int rs_conn_handshake_ms = 5000; /* accept to SecurityResult */

static atomic_int nconns;
static atomic_uint conn_ids;

/* Connections before their SecurityResult (tsr_admit_init's values). */
static struct {
	pthread_mutex_t lock;
	struct tsr_admit a;
} gate = {
	PTHREAD_MUTEX_INITIALIZER,
	{ .per_addr = RS_UNAUTH_PER_ADDR,
	    .total = RS_UNAUTH_MAX,
	    .backoff_ms = 250 },
};

/* The live connections, so that shutdown can end them. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn *list;
	int n;
	int stopping;
} live = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0 };

struct conn {
	struct conn *next, **prevp; /* live.list, under live.lock */
	unsigned id;
	int fd; /* the viewer's TCP socket */
	int sp; /* our end of the socketpair */
	SSL *ssl;
	long long deadline;
	struct rs_vc vc;
	struct rs_filter filter;
	rs_conn_attach_fn attach; /* where the inner session goes */
	struct tsr_admit_key key; /* its address, as gate counts it */
	int gated;		  /* counted in gate */
	char who[96];
};

/* The connection no longer counts as unauthenticated. */
static void
ungate(struct conn *c)
{
	if (!c->gated)
		return;
	pthread_mutex_lock(&gate.lock);
	tsr_admit_leave(&gate.a, &c->key);
	pthread_mutex_unlock(&gate.lock);
	c->gated = 0;
}

static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - (long long)tsr_mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/* Plain or TLS read of what is there (at least one byte), by deadline. */
static ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;
	int r, e;

	for (;;) {
		if (c->ssl == NULL) {
			n = read(c->fd, buf, len);
			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (wait_fd(c->fd, POLLIN, c->deadline) == -1)
				return -1;
			continue;
		}
		ERR_clear_error();
		if ((r = SSL_read(c->ssl, buf, (int)len)) > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, c->deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, c->deadline);
		else
			return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
		if (r == -1)
			return -1;
	}
}

static int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;
	int r, e;

	while (len > 0) {
		if (c->ssl == NULL) {
			n = write(c->fd, p, len);
			if (n > 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (wait_fd(c->fd, POLLOUT, c->deadline) == -1)
				return -1;
			continue;
		}
		ERR_clear_error();
		if ((r = SSL_write(c->ssl, p, (int)len)) > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, c->deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, c->deadline);
		else
			return -1;
		if (r == -1)
			return -1;
	}
	return 0;
}

static int
tls_accept(struct conn *c, SSL_CTX *ctx)
{
	char ebuf[256];
	int r, e;

	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	SSL_set_mode(c->ssl,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_accept(c->ssl)) == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, c->deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, c->deadline);
		else {
			log_info("%s: TLS handshake failed: %s", c->who,
			    tsr_tls_error(ebuf, sizeof(ebuf)));
			return -1;
		}
		if (r == -1) {
			log_info("%s: TLS handshake timed out", c->who);
			return -1;
		}
	}
}

/* Reads exactly len bytes from our end of the socketpair. */
static int
sp_read_exact(struct conn *c, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if (wait_fd(c->sp, POLLIN, c->deadline) == -1)
			return -1;
		n = read(c->sp, p, len);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static int
sp_write_all(int fd, const void *buf, size_t len, long long deadline)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}

/*
 * The inner handshake with libvncserver: RFB 3.8, security type None
 * (on the socketpair only), its SecurityResult.
 */
static int
inner_handshake(struct conn *c, int framed)
{
	static const char version[] = "RFB 003.008\n";
	uint8_t buf[256], n;
	int sv[2], i, none = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	c->sp = sv[0];
	if (c->attach(sv[1], framed) == -1)
		return -1;
	if (fcntl(c->sp, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	if (sp_read_exact(c, buf, 12) == -1 || memcmp(buf, version, 12) != 0 ||
	    sp_write_all(c->sp, version, 12, c->deadline) == -1 ||
	    sp_read_exact(c, &n, 1) == -1 || n == 0 ||
	    sp_read_exact(c, buf, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf[i] == 1)
			none = 1;
	buf[0] = 1;
	if (!none || sp_write_all(c->sp, buf, 1, c->deadline) == -1 ||
	    sp_read_exact(c, buf, 4) == -1 || buf[0] != 0 || buf[1] != 0 ||
	    buf[2] != 0 || buf[3] != 0)
		return -1;
	return 0;
}

/* The VeNCrypt handshake and the authentication; 0 when authorised. */
static int
handshake(struct conn *c, int *framed)
{
	uint8_t in[512], out[RS_VC_OUT_MAX + 16], res[64];
	struct tsr_tls_peer peer;
	enum rs_vc_status st;
	size_t used, outlen, off;
	ssize_t n;
	int ok = 0;

	outlen = rs_vc_start(&c->vc, out, sizeof(out));
	if (conn_write(c, out, outlen) == -1)
		return -1;
	for (;;) {
		if ((n = conn_read(c, in, sizeof(in))) <= 0) {
			log_info("%s: %s during the handshake", c->who,
			    n == 0		   ? "closed" :
				errno == ETIMEDOUT ? "timed out" :
						     "read error");
			return -1;
		}
		off = 0;
		do {
			st = rs_vc_input(&c->vc, in + off, (size_t)n - off,
			    &used, out, &outlen);
			off += used;
			if (outlen > 0 && conn_write(c, out, outlen) == -1)
				return -1;
			if (st == RS_VC_FAIL) {
				log_info("%s: refused: %s", c->who, c->vc.why);
				return -1;
			}
			if (st == RS_VC_TLS) {
				if (off != (size_t)n) {
					log_info("%s: refused: data before "
						 "the TLS handshake",
					    c->who);
					return -1;
				}
				*framed = c->vc.subtype == RS_VC_X509PLAIN;
				if (tls_accept(c,
					*framed ? rs_conn_ctx.plain :
						  rs_conn_ctx.cert) == -1)
					return -1;
				st = rs_vc_tls_up(&c->vc);
			}
			if (st == RS_VC_CERT) {
				if (tsr_tls_peer(c->ssl, &peer) == -1) {
					log_info("%s: no usable client "
						 "certificate",
					    c->who);
					return -1;
				}
				snprintf(c->who, sizeof(c->who),
				    "vnc#%u cert:%s", c->id, peer.cn);
				ok = rs_auth_cert(peer.cn, peer.role) == 0;
				goto result;
			}
			if (st == RS_VC_CREDS) {
				char esc[64];

				log_escape(esc, sizeof(esc), c->vc.user,
				    strlen(c->vc.user));
				snprintf(c->who, sizeof(c->who),
				    "vnc#%u user:%s", c->id, esc);
				ok = rs_auth_password(c->vc.user, c->vc.pass) >=
				    0;
				rs_vc_clear(&c->vc);
				goto result;
			}
		} while (off < (size_t)n);
	}
result:
	if (!ok) {
		outlen =
		    rs_vc_result(0, "authentication failed", res, sizeof(res));
		conn_write(c, res, outlen);
		log_info("%s: refused", c->who);
		return -1;
	}
	if (inner_handshake(c, *framed) == -1) {
		log_warnx("%s: libvncserver handshake failed", c->who);
		return -1;
	}
	outlen = rs_vc_result(1, NULL, res, sizeof(res));
	if (conn_write(c, res, outlen) == -1)
		return -1;
	log_info("%s: connected (%s)", c->who, *framed ? "framed" : "unframed");
	return 0;
}

/*
 * Bytes both ways until either side closes: viewer -> filter -> socketpair,
 * socketpair -> TLS -> viewer.
 */
static void
pump(struct conn *c)
{
	uint8_t *tx = NULL, *rxin = NULL, *rxout = NULL;
	size_t txlen = 0, txoff = 0, rxlen = 0, rxoff = 0, inlen = 0, used;
	size_t outlen;
	long long last_tx = (long long)tsr_mono_ms();
	struct pollfd pfd[2];
	int r, e, tls_wants = 0, closing = 0;
	ssize_t n;

	if ((tx = malloc(PUMP_BUF)) == NULL ||
	    (rxin = malloc(PUMP_BUF)) == NULL ||
	    (rxout = malloc(PUMP_BUF)) == NULL)
		goto out;
	while (!closing) {
		/* viewer -> server: filter what we hold, write it */
		if (rxoff == rxlen && inlen > 0) {
			rxoff = rxlen = 0;
			if (rs_filter_feed(&c->filter, rxin, inlen, &used,
				rxout, PUMP_BUF, &outlen) == -1) {
				log_info("%s: protocol violation", c->who);
				goto out;
			}
			memmove(rxin, rxin + used, inlen - used);
			inlen -= used;
			rxlen = outlen;
		}
		if (rxoff < rxlen) {
			n = write(c->sp, rxout + rxoff, rxlen - rxoff);
			if (n > 0)
				rxoff += (size_t)n;
			else if (n == -1 && errno != EAGAIN && errno != EINTR)
				goto out;
		}
		/* read from the viewer while we have room */
		if (inlen < PUMP_BUF && rxoff == rxlen) {
			ERR_clear_error();
			r = SSL_read(c->ssl, rxin + inlen,
			    (int)(PUMP_BUF - inlen));
			if (r > 0) {
				inlen += (size_t)r;
				if (rs_filter_feed(&c->filter, rxin, inlen,
					&used, rxout, PUMP_BUF,
					&outlen) == -1) {
					log_info("%s: protocol violation",
					    c->who);
					goto out;
				}
				memmove(rxin, rxin + used, inlen - used);
				inlen -= used;
				rxoff = 0;
				rxlen = outlen;
			} else {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ)
					tls_wants |= POLLIN;
				else if (e == SSL_ERROR_WANT_WRITE)
					tls_wants |= POLLOUT;
				else
					goto out; /* closed, or an error */
			}
		}
		/* server -> viewer */
		if (txoff == txlen) {
			txoff = txlen = 0;
			n = read(c->sp, tx, PUMP_BUF);
			if (n == 0)
				goto out; /* libvncserver closed */
			if (n > 0)
				txlen = (size_t)n;
			else if (errno != EAGAIN && errno != EINTR)
				goto out;
		}
		if (txoff < txlen) {
			ERR_clear_error();
			r = SSL_write(c->ssl, tx + txoff, (int)(txlen - txoff));
			if (r > 0) {
				txoff += (size_t)r;
				last_tx = (long long)tsr_mono_ms();
			} else {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE)
					tls_wants |= POLLOUT;
				else if (e == SSL_ERROR_WANT_READ)
					tls_wants |= POLLIN;
				else
					goto out;
			}
		}
		if (txoff < txlen &&
		    (long long)tsr_mono_ms() - last_tx > RS_STALL_MS) {
			log_info("%s: stalled, closing", c->who);
			goto out;
		}
		if (txoff == txlen)
			last_tx = (long long)tsr_mono_ms();
		/* TLS holds decrypted bytes poll() cannot see */
		if (SSL_pending(c->ssl) > 0 && rxoff == rxlen &&
		    inlen < PUMP_BUF)
			continue;
		pfd[0].fd = c->fd;
		pfd[0].events = (short)tls_wants;
		if (inlen < PUMP_BUF && rxoff == rxlen)
			pfd[0].events |= POLLIN;
		if (txoff < txlen)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = c->sp;
		pfd[1].events = (short)((txoff == txlen ? POLLIN : 0) |
		    (rxoff < rxlen ? POLLOUT : 0));
		tls_wants = 0;
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			goto out;
		if ((pfd[0].revents & (POLLHUP | POLLERR)) &&
		    !(pfd[0].revents & POLLIN))
			closing = 1;
		if ((pfd[1].revents & (POLLHUP | POLLERR)) &&
		    !(pfd[1].revents & POLLIN))
			closing = 1;
	}
out:
	free(tx);
	free(rxin);
	free(rxout);
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	int framed = 0;

	if (handshake(c, &framed) == 0) {
		ungate(c);
		pump(c);
	}
	ungate(c);
	log_debug("%s: closed", c->who);
	pthread_mutex_lock(&live.lock);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	live.n--;
	pthread_cond_broadcast(&live.cond);
	pthread_mutex_unlock(&live.lock);
	rs_vc_clear(&c->vc);
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->sp != -1)
		close(c->sp);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&nconns, 1);
	return NULL;
}

void
rs_conn_spawn(int fd, const struct sockaddr *sa, socklen_t salen,
    rs_conn_attach_fn attach)
{
	pthread_attr_t attr;
	pthread_t t;
	struct tsr_admit_key key;
	struct conn *c;
	char err[128];
	int one = 1, r;

	if (atomic_fetch_add(&nconns, 1) >= RS_MAX_CONNS) {
		log_warnx("vnc: too many connections, refusing one");
		goto fail;
	}
	if (tsr_admit_key(&key, sa, salen) == -1) {
		log_warnx("vnc: a connection from neither IPv4 nor IPv6");
		goto fail;
	}
	pthread_mutex_lock(&gate.lock);
	r = tsr_admit_enter(&gate.a, &key, err, sizeof(err));
	pthread_mutex_unlock(&gate.lock);
	if (r == -1) {
		log_info("vnc: refused a connection: %s", err);
		goto fail;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail_gated;
	c->key = key;
	c->gated = 1;
	c->id = atomic_fetch_add(&conn_ids, 1) + 1;
	c->fd = fd;
	c->sp = -1;
	c->attach = attach;
	c->deadline = (long long)tsr_mono_ms() + rs_conn_handshake_ms;
	snprintf(c->who, sizeof(c->who), "vnc#%u", c->id);
	rs_filter_init(&c->filter, RS_FILTER_DEFAULT_QUALITY);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&live.lock);
	if (live.stopping || pthread_create(&t, &attr, conn_main, c) != 0) {
		pthread_mutex_unlock(&live.lock);
		pthread_attr_destroy(&attr);
		free(c);
		goto fail_gated;
	}
	/* the thread unlinks c under live.lock: it cannot before this */
	if ((c->next = live.list) != NULL)
		live.list->prevp = &c->next;
	c->prevp = &live.list;
	live.list = c;
	live.n++;
	pthread_mutex_unlock(&live.lock);
	pthread_attr_destroy(&attr);
	return;
fail_gated:
	pthread_mutex_lock(&gate.lock);
	tsr_admit_leave(&gate.a, &key);
	pthread_mutex_unlock(&gate.lock);
fail:
	atomic_fetch_sub(&nconns, 1);
	close(fd);
}

int
rs_conn_accept_failed(int err)
{
	uint64_t now = tsr_mono_ms();
	int ms;

	pthread_mutex_lock(&gate.lock);
	tsr_admit_accept_failed(&gate.a, err, now);
	ms = tsr_admit_paused(&gate.a, now);
	pthread_mutex_unlock(&gate.lock);
	return ms;
}

int
rs_conn_stop_all(int timeout_ms)
{
	struct conn *c;
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&live.lock);
	live.stopping = 1;
	/* every wait of a connection thread is a poll on its socket (or on
	 * the socketpair, which libvncserver's shutdown closes) */
	for (c = live.list; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	while (live.n > 0 && rc == 0)
		rc = pthread_cond_timedwait(&live.cond, &live.lock, &ts);
	rc = live.n > 0 ? -1 : 0;
	pthread_mutex_unlock(&live.lock);
	return rc;
}
