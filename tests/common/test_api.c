#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "../lib/tap.h"

static int
parses(const char *line)
{
	struct tsr_api_req r;
	char err[256];
	int rc =
	    tsr_api_parse_request(line, strlen(line), &r, err, sizeof(err));

	if (rc == 0)
		tsr_api_req_free(&r);
	return rc == 0;
}

static void
test_requests(void)
{
	static const char *bad[] = {
		"",
		"[]",
		"42",
		"nul",
		"{",
		"{}",
		"{\"method\":\"vm.list\"}", /* no id */
		"{\"id\":-1,\"method\":\"vm.list\"}",
		"{\"id\":1.5,\"method\":\"vm.list\"}",
		"{\"id\":\"1\",\"method\":\"vm.list\"}",
		"{\"id\":9007199254740993,\"method\":\"vm.list\"}",
		"{\"id\":1}",
		"{\"id\":1,\"method\":\"\"}",
		"{\"id\":1,\"method\":\"VM.list\"}",
		"{\"id\":1,\"method\":\"vm list\"}",
		"{\"id\":1,\"method\":7}",
		"{\"id\":1,\"method\":\"vm.get\",\"target\":\"a b\"}",
		"{\"id\":1,\"method\":\"vm.get\",\"target\":\"\\u0001\"}",
		"{\"id\":1,\"method\":\"vm.get\",\"target\":5}",
		"{\"id\":1,\"method\":\"vm.get\",\"args\":[]}",
		"{\"id\":1,\"method\":\"vm.get\",\"args\":\"x\"}",
		"{\"id\":1,\"method\":\"vm.get\",\"extra\":1}",
		"{\"id\":1,\"id\":2,\"method\":\"vm.get\"}", /* duplicate key */
		"{\"id\":1,\"method\":\"vm.get\"} trailing",
	};
	struct tsr_api_req r;
	char err[256], line[128];
	size_t i;

	const char *full = "{\"id\":7,\"method\":\"vm.start\","
			   "\"target\":\"work\",\"args\":{\"wait\":true}}";

	ok(tsr_api_parse_request(full, strlen(full), &r, err, sizeof(err)) == 0,
	    "a full request parses");
	ok(r.id == 7 && strcmp(r.method, "vm.start") == 0 &&
		strcmp(r.target, "work") == 0 &&
		json_is_true(json_object_get(r.args, "wait")),
	    "its fields");
	tsr_api_req_free(&r);
	ok(tsr_api_parse_request("{\"id\":0,\"method\":\"vm.list\"}", 27, &r,
	       err, sizeof(err)) == 0 &&
		r.target[0] == '\0' && json_is_object(r.args),
	    "target and args are optional");
	tsr_api_req_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!parses(bad[i]), "rejects %s", bad[i]);
	memcpy(line, "{\"id\":1,\"method\":\"vm.get\"}", 27);
	line[10] = '\0';
	ok(tsr_api_parse_request(line, 27, &r, err, sizeof(err)) == -1 &&
		strstr(err, "NUL") != NULL,
	    "rejects a NUL byte inside the line");
	{
		size_t n = TSR_API_LINE_MAX + 10;
		char *big = malloc(n);
		memset(big, ' ', n);
		memcpy(big, "{\"id\":1,\"method\":\"vm.get\"}", 27);
		ok(tsr_api_parse_request(big, n, &r, err, sizeof(err)) == -1 &&
			strstr(err, "too long") != NULL,
		    "rejects an over-long line");
		free(big);
	}
}

static void
test_messages(void)
{
	struct tsr_api_msg m;
	char err[256], *s;

	s = tsr_api_reply_ok(3, json_pack("{s:s}", "name", "work"));
	is_str(s, "{\"id\":3,\"ok\":true,\"result\":{\"name\":\"work\"}}\n",
	    "ok reply line");
	ok(tsr_api_parse_msg(s, strlen(s) - 1, &m, err, sizeof(err)) == 0 &&
		m.kind == 'r' && m.ok && m.id == 3 &&
		strcmp(json_string_value(json_object_get(m.result, "name")),
		    "work") == 0,
	    "ok reply round-trips");
	tsr_api_msg_free(&m);
	free(s);

	s = tsr_api_reply_err(4, "denied", "not allowed: %s", "vm.kill");
	ok(tsr_api_parse_msg(s, strlen(s) - 1, &m, err, sizeof(err)) == 0 &&
		!m.ok && strcmp(m.error_code, "denied") == 0 &&
		strcmp(m.error_message, "not allowed: vm.kill") == 0,
	    "error reply round-trips");
	tsr_api_msg_free(&m);
	free(s);

	s = tsr_api_reply_err(-1, "bad-request", "bad \xff byte");
	ok(s != NULL && strstr(s, "not UTF-8") != NULL &&
		strstr(s, "\"id\":null") != NULL,
	    "error reply survives a non-UTF-8 message");
	free(s);

	s = tsr_api_event("domain-start", "work", NULL);
	is_str(s,
	    "{\"event\":\"domain-start\",\"subject\":\"work\",\"data\":{}}\n",
	    "event line");
	ok(tsr_api_parse_msg(s, strlen(s) - 1, &m, err, sizeof(err)) == 0 &&
		m.kind == 'e' && strcmp(m.event, "domain-start") == 0 &&
		strcmp(m.subject, "work") == 0,
	    "event round-trips");
	tsr_api_msg_free(&m);
	free(s);

	s = tsr_api_request(9, "vm.get", "work", NULL);
	is_str(s, "{\"id\":9,\"method\":\"vm.get\",\"target\":\"work\"}\n",
	    "request line");
	free(s);
	s = tsr_api_event("x", NULL, json_pack("{s:s}", "k", "\xe2\x9c\x93"));
	ok(strstr(s, "\\u2713") != NULL, "output is ASCII-only");
	free(s);

	ok(tsr_api_parse_msg("{\"ok\":true}", 11, &m, err, sizeof(err)) == -1,
	    "a reply without id is refused");
	ok(tsr_api_parse_msg("{\"id\":1,\"ok\":false,\"error\":{}}", 30, &m,
	       err, sizeof(err)) == -1,
	    "an error without code is refused");
	ok(tsr_api_parse_msg("{\"event\":1,\"data\":{}}", 21, &m, err,
	       sizeof(err)) == -1,
	    "an event with a number name is refused");
}

static void
test_lines(void)
{
	struct tsr_lines l;
	char *p, *line;
	size_t room, len, i;
	int rc;

	tsr_lines_init(&l);
	p = tsr_lines_space(&l, &room);
	memcpy(p, "one\ntwo\r\nthr", 12);
	tsr_lines_commit(&l, 12);
	ok(tsr_lines_next(&l, &line, &len) == 1 && strcmp(line, "one") == 0,
	    "first line");
	ok(tsr_lines_next(&l, &line, &len) == 1 && strcmp(line, "two") == 0 &&
		len == 3,
	    "CRLF stripped");
	is_int(tsr_lines_next(&l, &line, &len), 0, "partial line waits");
	p = tsr_lines_space(&l, &room);
	memcpy(p, "ee\n", 3);
	tsr_lines_commit(&l, 3);
	ok(tsr_lines_next(&l, &line, &len) == 1 && strcmp(line, "three") == 0,
	    "partial line completed");

	/* A peer that never sends a newline is cut off at the limit. */
	rc = 0;
	for (i = 0; i < 100 && rc == 0; i++) {
		p = tsr_lines_space(&l, &room);
		if (p == NULL)
			break;
		memset(p, 'x', room);
		tsr_lines_commit(&l, room);
		rc = tsr_lines_next(&l, &line, &len);
	}
	if (rc == 0)
		rc = tsr_lines_next(&l, &line, &len);
	is_int(rc, -1, "an endless line is refused");
	ok(l.cap <= TSR_API_LINE_MAX + 1, "buffer stays bounded (%zu)", l.cap);
	tsr_lines_finish(&l);
}

/* vm.list over many qubes: a reply longer than any request may be. */
static void
test_long_reply(void)
{
	struct tsr_lines l;
	struct tsr_api_msg m;
	json_t *arr = json_array();
	char *line, *got, *p, err[256];
	size_t len, room, off = 0, n;
	int i, rc = 0;

	for (i = 0; i < 1000; i++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:s, s:i}", "name",
			"a-qube-with-a-long-enough-name", "kernel",
			"/var/lib/tessera/qubes/debian-12-minimal/vmlinuz",
			"initrd",
			"/var/lib/tessera/qubes/debian-12-minimal/initrd",
			"memory", 256));
	line = tsr_api_reply_ok(1, arr);
	len = strlen(line);
	ok(len > TSR_API_LINE_MAX,
	    "a 1000-qube reply is longer than a "
	    "request may be (%zu bytes)",
	    len);
	tsr_lines_init_max(&l, TSR_API_REPLY_MAX);
	while (off < len && rc == 0) {
		p = tsr_lines_space(&l, &room);
		n = room < len - off ? room : len - off;
		memcpy(p, line + off, n);
		tsr_lines_commit(&l, n);
		off += n;
		rc = tsr_lines_next(&l, &got, &n);
	}
	ok(rc == 1 && n == len - 1, "a client's line splitter takes it");
	ok(rc == 1 && tsr_api_parse_msg(got, n, &m, err, sizeof(err)) == 0 &&
		json_array_size(m.result) == 1000,
	    "and it parses");
	if (m.root)
		tsr_api_msg_free(&m);
	tsr_lines_finish(&l);
	free(line);
}

int
main(void)
{
	test_long_reply();
	test_requests();
	test_messages();
	test_lines();
	return done_testing();
}
