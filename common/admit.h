/*
 * Admission of connections that have not authenticated yet: how many one
 * source address may hold, how many all together, and a pause of the
 * listener after accept() ran out of descriptors.  Pure: the caller owns
 * the sockets, the clock and the locking.
 */
#ifndef TSR_ADMIT_H
#define TSR_ADMIT_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define TSR_ADMIT_MAX 64 /* largest total a listener may set */

/* A source address as counted: IPv4 whole, IPv6 by its /64 (one host
 * usually owns a /64), IPv4-mapped IPv6 as the IPv4 address. */
struct tsr_admit_key {
	uint8_t fam; /* 4 or 6 */
	uint8_t b[8];
};

struct tsr_admit {
	int per_addr;	       /* unauthenticated from one key */
	int total;	       /* from all keys, <= TSR_ADMIT_MAX */
	int backoff_ms;	       /* listener pause after EMFILE */
	int n;		       /* unauthenticated now */
	uint64_t paused_until; /* tsr_mono_ms() */
	struct {
		struct tsr_admit_key key;
		int n; /* 0: free slot */
	} slot[TSR_ADMIT_MAX];
};

void tsr_admit_init(struct tsr_admit *, int per_addr, int total,
    int backoff_ms);
/* 0, or -1 for an address that is neither IPv4 nor IPv6. */
int tsr_admit_key(struct tsr_admit_key *, const struct sockaddr *, socklen_t);
/* 0 and counted, or -1 with why in err: the caller closes the socket. */
int tsr_admit_enter(struct tsr_admit *, const struct tsr_admit_key *, char *err,
    size_t errlen);
/* The connection authenticated or closed: it no longer counts. */
void tsr_admit_leave(struct tsr_admit *, const struct tsr_admit_key *);
/* accept() failed with errno err at now: pause on a lack of descriptors
 * or memory (1 when it did), so the listener does not spin on it. */
int tsr_admit_accept_failed(struct tsr_admit *, int err, uint64_t now);
/* Milliseconds the listener stays paused from now, 0 when it is not. */
int tsr_admit_paused(const struct tsr_admit *, uint64_t now);

#endif
