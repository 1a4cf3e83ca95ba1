/*
 * Admission of unauthenticated connections; see admit.h.  The table is a
 * plain array searched in full: it holds at most TSR_ADMIT_MAX keys, one
 * for each address with a connection still in its handshake.
 *
 * What is weak: an attacker with many addresses (many /64s, or a botnet)
 * still fills the total; what the total guarantees is that authenticated
 * connections keep their room, and the short handshake deadlines of the
 * callers empty it again.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"

void
tsr_admit_init(struct tsr_admit *a, int per_addr, int total, int backoff_ms)
{
	memset(a, 0, sizeof(*a));
	a->per_addr = per_addr > 0 ? per_addr : 1;
	a->total = total > 0 && total <= TSR_ADMIT_MAX ? total : TSR_ADMIT_MAX;
	a->backoff_ms = backoff_ms > 0 ? backoff_ms : 1;
}

int
tsr_admit_key(struct tsr_admit_key *k, const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET && len >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		k->fam = 4;
		memcpy(k->b, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (memcmp(sin6->sin6_addr.s6_addr, mapped, 12) == 0) {
			k->fam = 4;
			memcpy(k->b, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->fam = 6;
			memcpy(k->b, sin6->sin6_addr.s6_addr, 8);
		}
		return 0;
	}
	return -1;
}

static int
same(const struct tsr_admit_key *x, const struct tsr_admit_key *y)
{
	return x->fam == y->fam && memcmp(x->b, y->b, sizeof(x->b)) == 0;
}

int
tsr_admit_enter(struct tsr_admit *a, const struct tsr_admit_key *k, char *err,
    size_t errlen)
{
	int i, free_slot = -1;

	if (a->n >= a->total) {
		snprintf(err, errlen,
		    "%d connections in their handshake "
		    "already",
		    a->n);
		return -1;
	}
	for (i = 0; i < a->total; i++) {
		if (a->slot[i].n == 0) {
			if (free_slot == -1)
				free_slot = i;
			continue;
		}
		if (!same(&a->slot[i].key, k))
			continue;
		if (a->slot[i].n >= a->per_addr) {
			snprintf(err, errlen,
			    "%d connections from this "
			    "address in their handshake already",
			    a->slot[i].n);
			return -1;
		}
		a->slot[i].n++;
		a->n++;
		return 0;
	}
	/* n < total, and each used slot holds at least one: one is free */
	a->slot[free_slot].key = *k;
	a->slot[free_slot].n = 1;
	a->n++;
	return 0;
}

void
tsr_admit_leave(struct tsr_admit *a, const struct tsr_admit_key *k)
{
	int i;

	for (i = 0; i < a->total; i++) {
		if (a->slot[i].n > 0 && same(&a->slot[i].key, k)) {
			a->slot[i].n--;
			a->n--;
			return;
		}
	}
}

int
tsr_admit_accept_failed(struct tsr_admit *a, int err, uint64_t now)
{
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		return 0;
	a->paused_until = now + (uint64_t)a->backoff_ms;
	return 1;
}

int
tsr_admit_paused(const struct tsr_admit *a, uint64_t now)
{
	return a->paused_until > now ? (int)(a->paused_until - now) : 0;
}
