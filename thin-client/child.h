/*
 * The compositor's side of the decoder processes (child.c): start one,
 * read and check what it sends, talk to it, stop it, restart it after it
 * exits.  The decoder process itself is decoder/.
 */
#ifndef TV_CHILD_H
#define TV_CHILD_H

#include "view.h"

struct tv_creds {
	const char *ca, *cert, *key;
	const char *decoder; /* path of tessera-view-decoder */
};

/* Starts q's decoder for its endpoint.  0 or -1. */
int tv_child_start(struct tv_qube *, const struct tv_creds *, uint64_t now);
/*
 * Reads what q's decoder sent.  Returns 2 if its state or buffer changed
 * (the window must be drawn again), 1 if only parts of its picture did
 * (q->damage), 0 if nothing did, -1 if the decoder broke the protocol (it
 * is then killed).
 */
int tv_child_read(struct tv_qube *, uint64_t now);
/* Kills q's decoder and forgets its picture (the pid stays until reaped). */
void tv_child_stop(struct tv_qube *);
/* Sends a message to q's decoder, if it runs. */
void tv_child_send(struct tv_qube *, uint32_t type, int a, int b, int c);
/* q's decoder exited (reaped): schedules its restart with backoff. */
void tv_child_exited(struct tv_qube *, int status, uint64_t now);

#endif
