#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <string.h>

#include "admit.h"
#include "../lib/tap.h"

static int
key(struct tsr_admit_key *k, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1)
		return tsr_admit_key(k, (struct sockaddr *)&sin, sizeof(sin));
	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1)
		return tsr_admit_key(k, (struct sockaddr *)&sin6, sizeof(sin6));
	return -1;
}

int
main(void)
{
	/* per address 2, total 4: one step each, in order, on one table */
	static const struct {
		const char *addr;
		int enter; /* 1 enter, 0 leave */
		int want;  /* enter's result */
		int n;	   /* counted afterwards */
	} steps[] = {
		{ "127.0.0.2", 1, 0, 1 }, { "127.0.0.2", 1, 0, 2 },
		{ "127.0.0.2", 1, -1, 2 },	  /* the address is full */
		{ "::ffff:127.0.0.2", 1, -1, 2 }, /* mapped: the same one */
		{ "127.0.0.1", 1, 0, 3 },	  /* another is not */
		{ "2001:db8:0:1::1", 1, 0, 4 },
		{ "2001:db8:0:2::1", 1, -1, 4 }, /* the total is full */
		{ "127.0.0.2", 0, 0, 3 },
		{ "2001:db8:0:1::2", 1, 0, 4 }, /* the same /64 */
		{ "2001:db8:0:1::2", 0, 0, 3 },
		{ "2001:db8:0:1:ffff::", 1, 0, 4 },
		{ "2001:db8:0:1::3", 1, -1, 4 }, /* total again */
		{ "127.0.0.1", 0, 0, 3 },
		{ "2001:db8:0:1::3", 1, -1, 3 }, /* /64 full */
		{ "2001:db8:0:2::1", 1, 0, 4 },	 /* the next /64 is not */
		{ "10.0.0.9", 0, 0, 4 }, /* leave of a stranger: nothing */
	};
	struct tsr_admit a;
	struct tsr_admit_key k, k2;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char err[128];
	size_t i;
	int r;

	tsr_admit_init(&a, 2, 4, 500);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (key(&k, steps[i].addr) == -1) {
			ok(0, "step %zu: key of %s", i, steps[i].addr);
			continue;
		}
		err[0] = '\0';
		if (steps[i].enter) {
			r = tsr_admit_enter(&a, &k, err, sizeof(err));
			ok(r == steps[i].want && (r == 0 || err[0] != '\0'),
			    "step %zu: %s %s (%s)", i, steps[i].addr,
			    steps[i].want == 0 ? "admitted" : "refused", err);
		} else {
			tsr_admit_leave(&a, &k);
			ok(1, "step %zu: %s leaves", i, steps[i].addr);
		}
		is_int(a.n, steps[i].n, "step %zu: %d counted", i, steps[i].n);
	}

	ok(tsr_admit_key(&k, (struct sockaddr *)&sun, sizeof(sun)) == -1,
	    "a unix address has no key");
	ok(key(&k, "1.2.3.4") == 0 && k.fam == 4, "IPv4 key");
	ok(key(&k2, "::ffff:1.2.3.4") == 0 && k2.fam == 4 &&
		memcmp(k.b, k2.b, sizeof(k.b)) == 0,
	    "IPv4-mapped key is IPv4");

	/* a total above the table is the table */
	tsr_admit_init(&a, 1000, 1000, 0);
	is_int(a.total, TSR_ADMIT_MAX, "total clamped to TSR_ADMIT_MAX");
	for (i = 0, r = 0; i < TSR_ADMIT_MAX + 1 && r == 0; i++)
		r = tsr_admit_enter(&a, &k, err, sizeof(err));
	is_int((int)i, TSR_ADMIT_MAX + 1, "refused after the table is full");

	/* accept back-off */
	tsr_admit_init(&a, 1, 1, 500);
	is_int(tsr_admit_paused(&a, 1000), 0, "not paused at first");
	is_int(tsr_admit_accept_failed(&a, ECONNABORTED, 1000), 0,
	    "ECONNABORTED: no pause");
	is_int(tsr_admit_paused(&a, 1000), 0, "still not paused");
	is_int(tsr_admit_accept_failed(&a, EMFILE, 1000), 1, "EMFILE: pause");
	is_int(tsr_admit_paused(&a, 1100), 400, "400 ms left at +100");
	is_int(tsr_admit_paused(&a, 1500), 0, "over at +500");
	is_int(tsr_admit_accept_failed(&a, ENFILE, 2000), 1, "ENFILE: pause");
	return done_testing();
}
