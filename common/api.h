/*
 * The Admin API wire format: line-delimited JSON, one object per line.
 *
 *   request  {"id":1,"method":"vm.start","target":"work","args":{...}}
 *   reply    {"id":1,"ok":true,"result":...}
 *            {"id":1,"ok":false,"error":{"code":"denied","message":"..."}}
 *   event    {"event":"domain-start","subject":"work","data":{...}}
 *
 * Everything here treats its input as hostile: lines are bounded, JSON is
 * parsed strictly (no duplicate keys, no NUL in strings), every field is
 * type-checked, and a bad request is an error reply, never a crash.
 */
#ifndef TSR_API_H
#define TSR_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TSR_API_LINE_MAX 65536	     /* bytes in a request, newline included */
#define TSR_API_REPLY_MAX (16 << 20) /* in a reply or event (vm.list) */
#define TSR_API_METHOD_MAX 63
#define TSR_API_TARGET_MAX 63

struct tsr_api_req {
	json_t *root; /* owns everything below */
	int64_t id;
	char method[TSR_API_METHOD_MAX + 1];
	char target[TSR_API_TARGET_MAX + 1]; /* "" if none */
	json_t *args;			     /* an object, never NULL */
};

/*
 * Parse one request line (without its newline).  Returns 0, or -1 with a
 * message for the peer in err.  On success release with tsr_api_req_free().
 */
int tsr_api_parse_request(const char *line, size_t len, struct tsr_api_req *req,
    char *err, size_t errlen);
void tsr_api_req_free(struct tsr_api_req *req);

/* Serialise a message as one line ending in "\n"; the caller frees it. */
char *tsr_api_request(int64_t id, const char *method, const char *target,
    json_t *args); /* steals args (may be NULL) */
char *tsr_api_reply_ok(int64_t id, json_t *result); /* steals result */
char *tsr_api_reply_err(int64_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *tsr_api_event(const char *event, const char *subject, json_t *data);

/*
 * A reply or event read by a client.  kind is 'r' (reply) or 'e' (event).
 * For replies: ok, result or error_code/error_message.  For events: event,
 * subject, data.
 */
struct tsr_api_msg {
	json_t *root;
	int kind;
	int64_t id;
	int ok;
	json_t *result;
	const char *error_code;
	const char *error_message;
	const char *event;
	const char *subject;
	json_t *data;
};
int tsr_api_parse_msg(const char *line, size_t len, struct tsr_api_msg *m,
    char *err, size_t errlen); /* lines up to TSR_API_REPLY_MAX */
void tsr_api_msg_free(struct tsr_api_msg *m);

/*
 * Splits a byte stream into lines of at most max bytes (TSR_API_LINE_MAX
 * when read by the daemon, TSR_API_REPLY_MAX when read by a client).
 * tsr_lines_next() returns 1 with a line (NUL-terminated, newline
 * stripped) valid until the next call, 0 when no whole line is buffered,
 * -1 when the peer sent an over-long line (the connection must be closed).
 */
struct tsr_lines {
	size_t max; /* longest line accepted, newline included */
	char *buf;
	size_t len; /* bytes buffered */
	size_t off; /* start of the unconsumed part */
	size_t cap;
};
void tsr_lines_init(struct tsr_lines *); /* max TSR_API_LINE_MAX */
void tsr_lines_init_max(struct tsr_lines *, size_t max);
void tsr_lines_finish(struct tsr_lines *);
/* Room to read into: *room bytes at the returned pointer (never 0). */
char *tsr_lines_space(struct tsr_lines *, size_t *room);
void tsr_lines_commit(struct tsr_lines *, size_t n);
int tsr_lines_next(struct tsr_lines *, char **line, size_t *len);

#endif
