/*
 * A minimal QMP (QEMU Machine Protocol) client for tests: connect to a
 * monitor's unix socket, negotiate, send commands, wait for their replies.
 *
 * QEMU's replies are read through qmp_classify(), a small strict JSON
 * reader that only tells what kind of message a line is (fuzzed:
 * tests/fuzz/fuzz_qmp_reply.c).  Replies are not otherwise interpreted.
 */
#ifndef TSR_TEST_QMP_H
#define TSR_TEST_QMP_H

#include <stddef.h>

#define QMP_LINE_MAX 65536

enum qmp_kind {
	QMP_BAD = -1,  /* not one JSON object */
	QMP_OTHER = 0, /* a JSON object without a key QMP knows */
	QMP_GREETING,  /* {"QMP": ...} */
	QMP_RETURN,    /* {"return": ...} */
	QMP_ERROR,     /* {"error": ...} */
	QMP_EVENT,     /* {"event": ...} */
};

struct qmp {
	int fd;
	size_t len;
	char buf[QMP_LINE_MAX];
};

/*
 * What a line from QEMU is: the first of the keys "QMP", "return", "error",
 * "event" found at the top level of the object (QMP_OTHER if none), or
 * QMP_BAD if the bytes are not exactly one JSON object (surrounding
 * whitespace allowed).
 */
enum qmp_kind qmp_classify(const char *line, size_t len);

/* Connect to the socket at path (retrying until timeout_ms: QEMU may still
 * be starting), read the greeting, enter command mode.  0 or -1 (err). */
int qmp_open(struct qmp *q, const char *path, int timeout_ms, char *err,
    size_t errlen);

/* Send one command (a JSON object, no newline) and wait for its reply,
 * skipping events.  0 on "return", -1 on "error", timeout or I/O failure
 * (err says which, with the reply's text made printable). */
int qmp_command(struct qmp *q, const char *json, int timeout_ms, char *err,
    size_t errlen);

void qmp_close(struct qmp *q);

#endif
