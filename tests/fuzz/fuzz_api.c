/*
 * Admin API input from a peer: bytes split into lines, each parsed as a
 * request (what the daemon reads) and as a reply/event (what a client reads).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsr_lines l;
	struct tsr_api_req req;
	struct tsr_api_msg msg;
	char err[256], *p, *line;
	size_t room, len, off = 0;
	int rc;

	tsr_lines_init(&l);
	while (off < size) {
		if ((p = tsr_lines_space(&l, &room)) == NULL)
			break;
		if (room > size - off)
			room = size - off;
		memcpy(p, data + off, room);
		tsr_lines_commit(&l, room);
		off += room;
		while ((rc = tsr_lines_next(&l, &line, &len)) == 1) {
			if (tsr_api_parse_request(line, len, &req, err,
				sizeof(err)) == 0)
				tsr_api_req_free(&req);
			if (tsr_api_parse_msg(line, len, &msg, err,
				sizeof(err)) == 0)
				tsr_api_msg_free(&msg);
		}
		if (rc == -1)
			break;
	}
	tsr_lines_finish(&l);
	return 0;
}
