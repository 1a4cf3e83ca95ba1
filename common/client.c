#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "client.h"
#include "tls.h"

struct tsr_client {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	struct tsr_lines in;
	int64_t next_id;
	void (*on_event)(const struct tsr_api_msg *, void *);
	void *on_event_arg;
};

static struct tsr_client *
client_new(int fd)
{
	struct tsr_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->next_id = 1;
	tsr_lines_init_max(&c->in, TSR_API_REPLY_MAX);
	return c;
}

struct tsr_client *
tsr_client_adopt(int fd)
{
	return client_new(fd);
}

struct tsr_client *
tsr_client_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	return client_new(fd);
}

struct tsr_client *
tsr_client_tls(const char *hostport, const char *ca, const char *cert,
    const char *key, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct tsr_client *c;
	char host[256], ebuf[256], *colon;
	int fd = -1, rc;

	snprintf(host, sizeof(host), "%s", hostport);
	if ((colon = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "%s: want HOST:PORT", hostport);
		return NULL;
	}
	*colon = '\0';
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return NULL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", hostport, strerror(errno));
		return NULL;
	}
	if ((c = client_new(fd)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->ctx = tsr_tls_client_ctx(ca, cert, key, err, errlen)) == NULL)
		goto fail;
	if ((c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1)
		goto tlsfail;
	SSL_set_tlsext_host_name(c->ssl, host);
	if (SSL_set1_host(c->ssl, host) != 1)
		goto tlsfail;
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK)
			snprintf(err, errlen, "%s: %s", hostport,
			    X509_verify_cert_error_string(v));
		else
			snprintf(err, errlen, "%s: TLS: %s", hostport,
			    tsr_tls_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	return c;
tlsfail:
	snprintf(err, errlen, "TLS: %s", tsr_tls_error(ebuf, sizeof(ebuf)));
fail:
	tsr_client_close(c);
	return NULL;
}

void
tsr_client_close(struct tsr_client *c)
{
	if (c == NULL)
		return;
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	close(c->fd);
	tsr_lines_finish(&c->in);
	free(c);
}

int
tsr_client_fd(struct tsr_client *c)
{
	return c->fd;
}

int
tsr_client_pending(struct tsr_client *c)
{
	/* a whole line buffered, or TLS bytes not yet read */
	if (c->in.buf &&
	    memchr(c->in.buf + c->in.off, '\n', c->in.len - c->in.off) != NULL)
		return 1;
	return c->ssl != NULL && SSL_pending(c->ssl) > 0;
}

void
tsr_client_on_event(struct tsr_client *c,
    void (*fn)(const struct tsr_api_msg *, void *), void *arg)
{
	c->on_event = fn;
	c->on_event_arg = arg;
}

static int
send_all(struct tsr_client *c, const char *buf, size_t n, char *err,
    size_t errlen)
{
	size_t done = 0, w;
	ssize_t r;

	while (done < n) {
		if (c->ssl) {
			if (SSL_write_ex(c->ssl, buf + done, n - done, &w) !=
			    1) {
				snprintf(err, errlen, "connection lost");
				return -1;
			}
			done += w;
		} else {
			r = send(c->fd, buf + done, n - done, MSG_NOSIGNAL);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				snprintf(err, errlen, "connection lost: %s",
				    strerror(errno));
				return -1;
			}
			done += (size_t)r;
		}
	}
	return 0;
}

int
tsr_client_next(struct tsr_client *c, struct tsr_api_msg *m, char *err,
    size_t errlen)
{
	char *line, *p;
	size_t len, room, got;
	ssize_t n;
	int rc;

	for (;;) {
		rc = tsr_lines_next(&c->in, &line, &len);
		if (rc == 1)
			return tsr_api_parse_msg(line, len, m, err, errlen);
		if (rc == -1) {
			snprintf(err, errlen, "message too long");
			return -1;
		}
		if ((p = tsr_lines_space(&c->in, &room)) == NULL) {
			snprintf(err, errlen, "message too long");
			return -1;
		}
		if (c->ssl) {
			if (SSL_read_ex(c->ssl, p, room, &got) != 1) {
				snprintf(err, errlen, "connection closed");
				return -1;
			}
			n = (ssize_t)got;
		} else {
			n = recv(c->fd, p, room, 0);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				snprintf(err, errlen, "connection closed");
				return -1;
			}
		}
		tsr_lines_commit(&c->in, (size_t)n);
	}
}

int
tsr_client_call(struct tsr_client *c, const char *method, const char *target,
    json_t *args, struct tsr_api_msg *m, char *err, size_t errlen)
{
	int64_t id = c->next_id++;
	char *line;
	int rc;

	if ((line = tsr_api_request(id, method, target, args)) == NULL) {
		snprintf(err, errlen, "cannot encode the request");
		return -1;
	}
	rc = send_all(c, line, strlen(line), err, errlen);
	free(line);
	if (rc == -1)
		return -1;
	for (;;) {
		if (tsr_client_next(c, m, err, errlen) == -1)
			return -1;
		if (m->kind == 'e') {
			if (c->on_event)
				c->on_event(m, c->on_event_arg);
			tsr_api_msg_free(m);
			continue;
		}
		if (m->id == id)
			return 0;
		if (m->id == -1 && !m->ok) {
			/* the server refused the line itself */
			return 0;
		}
		tsr_api_msg_free(m);
		snprintf(err, errlen, "reply to an unknown request");
		return -1;
	}
}
