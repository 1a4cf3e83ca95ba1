#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* Method names: lower-case words separated by dots, as in "vm.start". */
static int
valid_method(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > TSR_API_METHOD_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Targets: printable ASCII without spaces; the receiver checks further. */
static int
valid_target(const char *s)
{
	size_t i, n = strlen(s);

	if (n > TSR_API_TARGET_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	return 1;
}

static json_t *
load_line(const char *line, size_t len, size_t max, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (len >= max) {
		snprintf(err, errlen, "message too long");
		return NULL;
	}
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in message");
		return NULL;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "invalid JSON at column %d: %.80s",
		    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a message must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

static int
get_id(json_t *root, int64_t *id, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, "id");

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > ((int64_t)1 << 53)) {
		snprintf(err, errlen,
		    "\"id\" must be an integer from 0 to 2^53");
		return -1;
	}
	*id = json_integer_value(v);
	return 0;
}

int
tsr_api_parse_request(const char *line, size_t len, struct tsr_api_req *req,
    char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	memset(req, 0, sizeof(*req));
	req->id = -1;
	if ((req->root = load_line(line, len, TSR_API_LINE_MAX, err, errlen)) ==
	    NULL)
		return -1;
	json_object_foreach(req->root, key, v) {
		if (strcmp(key, "id") && strcmp(key, "method") &&
		    strcmp(key, "target") && strcmp(key, "args")) {
			snprintf(err, errlen, "unknown field in request");
			goto fail;
		}
	}
	if (get_id(req->root, &req->id, err, errlen) == -1)
		goto fail;
	v = json_object_get(req->root, "method");
	if (!json_is_string(v) || !valid_method(json_string_value(v))) {
		snprintf(err, errlen, "\"method\" must be a method name");
		goto fail;
	}
	snprintf(req->method, sizeof(req->method), "%s", json_string_value(v));
	if ((v = json_object_get(req->root, "target")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_string(v) || !valid_target(json_string_value(v))) {
			snprintf(err, errlen,
			    "\"target\" must be a short "
			    "printable string");
			goto fail;
		}
		snprintf(req->target, sizeof(req->target), "%s",
		    json_string_value(v));
	}
	if ((v = json_object_get(req->root, "args")) == NULL ||
	    json_is_null(v)) {
		req->args = json_object();
		json_object_set_new(req->root, "args", req->args);
	} else if (json_is_object(v)) {
		req->args = v;
	} else {
		snprintf(err, errlen, "\"args\" must be an object");
		goto fail;
	}
	return 0;
fail:
	json_decref(req->root);
	req->root = NULL;
	return -1;
}

void
tsr_api_req_free(struct tsr_api_req *req)
{
	json_decref(req->root);
	req->root = NULL;
}

static char *
dump_line(json_t *obj)
{
	char *s, *line;
	size_t n;

	s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *
tsr_api_request(int64_t id, const char *method, const char *target,
    json_t *args)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "method", json_string(method));
	if (target && *target)
		json_object_set_new(o, "target", json_string(target));
	if (args)
		json_object_set_new(o, "args", args);
	return dump_line(o);
}

char *
tsr_api_reply_ok(int64_t id, json_t *result)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", result ? result : json_null());
	return dump_line(o);
}

char *
tsr_api_reply_err(int64_t id, const char *code, const char *fmt, ...)
{
	json_t *o = json_object(), *e = json_object(), *m;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(o, "id", id >= 0 ? json_integer(id) : json_null());
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(e, "code", json_string(code));
	/* json_string() refuses invalid UTF-8: never lose the reply over it */
	if ((m = json_string(msg)) == NULL)
		m = json_string("(message not UTF-8)");
	json_object_set_new(e, "message", m);
	json_object_set_new(o, "error", e);
	return dump_line(o);
}

char *
tsr_api_event(const char *event, const char *subject, json_t *data)
{
	json_t *o = json_object();

	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "subject",
	    subject && *subject ? json_string(subject) : json_null());
	json_object_set_new(o, "data", data ? data : json_object());
	return dump_line(o);
}

int
tsr_api_parse_msg(const char *line, size_t len, struct tsr_api_msg *m,
    char *err, size_t errlen)
{
	json_t *v, *e;

	memset(m, 0, sizeof(*m));
	if ((m->root = load_line(line, len, TSR_API_REPLY_MAX, err, errlen)) ==
	    NULL)
		return -1;
	if ((v = json_object_get(m->root, "event")) != NULL) {
		if (!json_is_string(v))
			goto bad;
		m->kind = 'e';
		m->event = json_string_value(v);
		v = json_object_get(m->root, "subject");
		if (json_is_string(v))
			m->subject = json_string_value(v);
		else if (v != NULL && !json_is_null(v))
			goto bad;
		m->data = json_object_get(m->root, "data");
		if (!json_is_object(m->data))
			goto bad;
		return 0;
	}
	m->kind = 'r';
	v = json_object_get(m->root, "id");
	if (json_is_null(v))
		m->id = -1;
	else if (get_id(m->root, &m->id, err, errlen) == -1)
		goto fail;
	v = json_object_get(m->root, "ok");
	if (!json_is_boolean(v))
		goto bad;
	m->ok = json_is_true(v);
	if (m->ok) {
		m->result = json_object_get(m->root, "result");
		if (m->result == NULL)
			goto bad;
		return 0;
	}
	e = json_object_get(m->root, "error");
	if (!json_is_object(e) || !json_is_string(json_object_get(e, "code")) ||
	    !json_is_string(json_object_get(e, "message")))
		goto bad;
	m->error_code = json_string_value(json_object_get(e, "code"));
	m->error_message = json_string_value(json_object_get(e, "message"));
	return 0;
bad:
	snprintf(err, errlen, "malformed reply or event");
fail:
	json_decref(m->root);
	m->root = NULL;
	return -1;
}

void
tsr_api_msg_free(struct tsr_api_msg *m)
{
	json_decref(m->root);
	m->root = NULL;
}

void
tsr_lines_init(struct tsr_lines *l)
{
	tsr_lines_init_max(l, TSR_API_LINE_MAX);
}

void
tsr_lines_init_max(struct tsr_lines *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
}

void
tsr_lines_finish(struct tsr_lines *l)
{
	size_t max = l->max;

	free(l->buf);
	memset(l, 0, sizeof(*l));
	l->max = max;
}

char *
tsr_lines_space(struct tsr_lines *l, size_t *room)
{
	size_t want;
	char *nb;

	if (l->off > 0) { /* slide the unconsumed part to the front */
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
	}
	if (l->cap - l->len < 4096 && l->cap < l->max + 1) {
		want = l->cap ? l->cap * 2 : 8192;
		if (want > l->max + 1)
			want = l->max + 1;
		if ((nb = realloc(l->buf, want)) != NULL) {
			l->buf = nb;
			l->cap = want;
		}
	}
	if (l->cap == l->len) {
		/* full without a newline: tsr_lines_next() reports it */
		*room = 0;
		return NULL;
	}
	*room = l->cap - l->len;
	return l->buf + l->len;
}

void
tsr_lines_commit(struct tsr_lines *l, size_t n)
{
	l->len += n;
}

int
tsr_lines_next(struct tsr_lines *l, char **line, size_t *len)
{
	char *start, *nl;
	size_t avail;

	if (l->buf == NULL)
		return 0;
	start = l->buf + l->off;
	avail = l->len - l->off;
	if ((nl = memchr(start, '\n', avail)) == NULL) {
		if (avail >= l->max)
			return -1;
		return 0;
	}
	*nl = '\0';
	*line = start;
	*len = (size_t)(nl - start);
	l->off += *len + 1;
	if (*len >= l->max)
		return -1;
	if (*len > 0 && start[*len - 1] == '\r')
		start[--*len] = '\0';
	return 1;
}
