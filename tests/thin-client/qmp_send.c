/*
 * qmp-send: sends QMP commands to a QEMU monitor, in order.
 *
 *   qmp-send SOCKET ARG...
 *
 * Each ARG is one command (a JSON object, e.g.
 * {"execute":"screendump","arguments":{"filename":"/tmp/s.ppm"}}) or
 * "sleep:MS", a pause between two.  Exit 0 when every command returned,
 * 1 at the first that did not (error reply, timeout, connection lost: said
 * on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qmp.h"

#define CONNECT_MS 5000
#define COMMAND_MS 15000

int
main(int argc, char **argv)
{
	struct qmp q;
	struct timespec ts;
	char err[256], *end;
	long ms;
	int i;

	if (argc < 3) {
		fputs("usage: qmp-send SOCKET JSON|sleep:MS...\n", stderr);
		return 2;
	}
	if (qmp_open(&q, argv[1], CONNECT_MS, err, sizeof(err)) == -1) {
		fprintf(stderr, "qmp-send: %s: %s\n", argv[1], err);
		return 1;
	}
	for (i = 2; i < argc; i++) {
		if (strncmp(argv[i], "sleep:", 6) == 0) {
			ms = strtol(argv[i] + 6, &end, 10);
			if (*end != '\0' || ms < 0 || ms > 600000) {
				fprintf(stderr, "qmp-send: bad %s\n", argv[i]);
				qmp_close(&q);
				return 2;
			}
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = ms % 1000 * 1000000L;
			nanosleep(&ts, NULL);
			continue;
		}
		if (qmp_command(&q, argv[i], COMMAND_MS, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "qmp-send: %s: %s\n", argv[i], err);
			qmp_close(&q);
			return 1;
		}
	}
	qmp_close(&q);
	return 0;
}
