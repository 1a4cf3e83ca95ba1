/* Minimal QMP client: see qmp.h. */
#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define JSON_MAX_DEPTH 64

/* ---- the JSON reader (untrusted bytes) ---- */

struct jp {
	const char *p, *end;
};

static int json_value(struct jp *j, int depth);

static void
skip_ws(struct jp *j)
{
	while (j->p < j->end &&
	    (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A string at j->p (on the opening quote).  If key_kind is not NULL, it gets
 * which QMP key the string is (QMP_OTHER for any other, or one with escapes). */
static int
json_string(struct jp *j, enum qmp_kind *key_kind)
{
	const char *start;
	int escaped = 0;
	size_t n;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	start = ++j->p;
	for (;;) {
		unsigned char c;
		if (j->p >= j->end)
			return -1;
		c = (unsigned char)*j->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			escaped = 1;
			if (++j->p >= j->end)
				return -1;
			switch (*j->p) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				j->p++;
				break;
			case 'u':
				if (j->end - j->p < 5 || !is_hex(j->p[1]) ||
				    !is_hex(j->p[2]) || !is_hex(j->p[3]) ||
				    !is_hex(j->p[4]))
					return -1;
				j->p += 5;
				break;
			default:
				return -1;
			}
			continue;
		}
		j->p++;
	}
	n = (size_t)(j->p - start);
	j->p++; /* closing quote */
	if (key_kind) {
		*key_kind = QMP_OTHER;
		if (escaped)
			return 0;
		if (n == 3 && memcmp(start, "QMP", 3) == 0)
			*key_kind = QMP_GREETING;
		else if (n == 6 && memcmp(start, "return", 6) == 0)
			*key_kind = QMP_RETURN;
		else if (n == 5 && memcmp(start, "error", 5) == 0)
			*key_kind = QMP_ERROR;
		else if (n == 5 && memcmp(start, "event", 5) == 0)
			*key_kind = QMP_EVENT;
	}
	return 0;
}

static int
json_number(struct jp *j)
{
	const char *s;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return -1;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (j->p < j->end && *j->p == '.') {
		s = ++j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == s)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		s = j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == s)
			return -1;
	}
	return 0;
}

static int
json_literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* White space, then c if it comes next: 1 if it did (and is passed). */
static int
json_eat(struct jp *j, char c)
{
	skip_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	return 0;
}

/* An object; *kind (if not NULL) gets the first QMP key among its members. */
static int
json_object(struct jp *j, int depth, enum qmp_kind *kind)
{
	if (depth > JSON_MAX_DEPTH || j->p >= j->end || *j->p != '{')
		return -1;
	j->p++;
	if (kind)
		*kind = QMP_OTHER;
	if (json_eat(j, '}'))
		return 0;
	for (;;) {
		enum qmp_kind k;
		skip_ws(j);
		if (json_string(j, &k) < 0)
			return -1;
		if (kind && *kind == QMP_OTHER)
			*kind = k;
		if (!json_eat(j, ':'))
			return -1;
		skip_ws(j);
		if (json_value(j, depth + 1) < 0)
			return -1;
		if (json_eat(j, '}'))
			return 0;
		if (!json_eat(j, ','))
			return -1;
	}
}

static int
json_array(struct jp *j, int depth)
{
	if (depth > JSON_MAX_DEPTH || j->p >= j->end || *j->p != '[')
		return -1;
	j->p++;
	if (json_eat(j, ']'))
		return 0;
	for (;;) {
		skip_ws(j);
		if (json_value(j, depth + 1) < 0)
			return -1;
		if (json_eat(j, ']'))
			return 0;
		if (!json_eat(j, ','))
			return -1;
	}
}

static int
json_value(struct jp *j, int depth)
{
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return json_object(j, depth, NULL);
	case '[':
		return json_array(j, depth);
	case '"':
		return json_string(j, NULL);
	case 't':
		return json_literal(j, "true");
	case 'f':
		return json_literal(j, "false");
	case 'n':
		return json_literal(j, "null");
	default:
		return json_number(j);
	}
}

enum qmp_kind
qmp_classify(const char *line, size_t len)
{
	struct jp j = { line, line + len };
	enum qmp_kind kind;

	skip_ws(&j);
	if (json_object(&j, 0, &kind) < 0)
		return QMP_BAD;
	skip_ws(&j);
	if (j.p != j.end)
		return QMP_BAD;
	return kind;
}

/* ---- the client ---- */

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Printable copy of (part of) a reply, for error messages. */
static void
printable(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (dstlen)
		dst[k] = '\0';
}

/* Next line into line (without the newline); 0, or -1 on timeout/EOF/error. */
static int
read_line(struct qmp *q, char **line, size_t *linelen, long long deadline,
    char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd pfd = { q->fd, POLLIN, 0 };
		long long left;
		ssize_t n;

		if (nl) {
			*line = q->buf;
			*linelen = (size_t)(nl - q->buf);
			return 0;
		}
		if (q->len == sizeof(q->buf)) {
			seterr(err, errlen, "QMP: line longer than %zu bytes",
			    sizeof(q->buf));
			return -1;
		}
		left = deadline - (long long)tsr_mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			seterr(err, errlen,
			    "QMP: timed out waiting for a reply");
			return -1;
		}
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			seterr(err, errlen, "QMP: connection closed%s%s",
			    n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return -1;
		}
		q->len += (size_t)n;
	}
}

static void
consume_line(struct qmp *q, size_t linelen)
{
	size_t used = linelen + 1;

	memmove(q->buf, q->buf + used, q->len - used);
	q->len -= used;
}

/* Wait for a message of kind want (or an error), skipping events. */
static int
wait_reply(struct qmp *q, enum qmp_kind want, long long deadline, char *err,
    size_t errlen)
{
	for (;;) {
		char *line, text[256];
		size_t len;
		enum qmp_kind k;

		if (read_line(q, &line, &len, deadline, err, errlen) < 0)
			return -1;
		k = qmp_classify(line, len);
		printable(text, sizeof(text), line, len);
		consume_line(q, len);
		if (k == want)
			return 0;
		if (k == QMP_EVENT)
			continue;
		if (k == QMP_ERROR)
			seterr(err, errlen, "QMP error: %s", text);
		else
			seterr(err, errlen, "QMP: unexpected reply: %s", text);
		return -1;
	}
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
qmp_open(struct qmp *q, const char *path, int timeout_ms, char *err,
    size_t errlen)
{
	struct sockaddr_un sa;
	long long deadline = (long long)tsr_mono_ms() + timeout_ms;

	q->fd = -1;
	q->len = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		seterr(err, errlen, "QMP: socket path too long");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0) {
			seterr(err, errlen, "QMP: socket: %s", strerror(errno));
			return -1;
		}
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(q->fd);
		q->fd = -1;
		if ((long long)tsr_mono_ms() >= deadline) {
			seterr(err, errlen, "QMP: cannot connect to %s: %s",
			    path, strerror(errno));
			return -1;
		}
		usleep(50 * 1000);
	}
	if (wait_reply(q, QMP_GREETING, deadline, err, errlen) < 0 ||
	    qmp_command(q, "{\"execute\":\"qmp_capabilities\"}",
		(int)(deadline - (long long)tsr_mono_ms()), err, errlen) < 0) {
		qmp_close(q);
		return -1;
	}
	return 0;
}

int
qmp_command(struct qmp *q, const char *json, int timeout_ms, char *err,
    size_t errlen)
{
	long long deadline =
	    (long long)tsr_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);

	if (write_all(q->fd, json, strlen(json)) < 0 ||
	    write_all(q->fd, "\n", 1) < 0) {
		seterr(err, errlen, "QMP: write: %s", strerror(errno));
		return -1;
	}
	return wait_reply(q, QMP_RETURN, deadline, err, errlen);
}

void
qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = 0;
}
