/*
 * Facts that cross processes: what a qube name may be, the names of the
 * power states, the user name a ticket logs on with, how a frame's title
 * reads, and the screen sizes a viewer may ask a qube for.  tessera-vmd,
 * tessera-render, tessera-view and the CLI all check against these, so
 * they can never disagree.
 */
#ifndef TSR_FACTS_H
#define TSR_FACTS_H

#include <stdbool.h>
#include <stddef.h>

/* A qube name: [a-z][a-z0-9-]{0,30}, as in Qubes less '_' and '.'. */
#define TSR_QUBE_NAME_MAX 31

/* s is a valid qube name (NUL-terminated). */
bool tsr_qube_name_valid(const char *s);

/* The first len bytes of s are a valid qube name (no NUL needed). */
bool tsr_qube_name_validn(const char *s, size_t len);

/* A qube's power state, as the Admin API names it. */
enum tsr_power {
	TSR_POWER_HALTED,
	TSR_POWER_STARTING,
	TSR_POWER_RUNNING,
	TSR_POWER_PAUSED,
	TSR_POWER_SHUTTING_DOWN,
};
#define TSR_NPOWER 5

/* "halted", ..., "shutting-down"; "halted" for anything out of range. */
const char *tsr_power_name(enum tsr_power p);

/* The state named s into *out: 0, or -1 for an unknown name. */
int tsr_power_parse(const char *s, enum tsr_power *out);

/*
 * The user name an RDP client logs on with when its password is a ticket
 * from display.endpoint.
 */
#define TSR_TICKET_USER "tessera-ticket"

/* A ticket is TSR_TICKET_BYTES random bytes, sent as lower-case hex. */
#define TSR_TICKET_BYTES 32

/*
 * A frame's title: "[name] label".  name may be "host/qube" in a viewer
 * of several hosts.  Truncated to fit bufsz; returns buf.
 */
char *tsr_frame_title(char *buf, size_t bufsz, const char *name,
    const char *label);

/*
 * The qube screen sizes a viewer may ask for (VNC SetDesktopSize, RDP's
 * Display Control, the viewer's own requests): a request outside is
 * refused; one inside goes to the device model, and the qube may still
 * keep its size.
 */
#define TSR_SCREEN_MIN_W 320
#define TSR_SCREEN_MIN_H 200
#define TSR_SCREEN_MAX_W 3840
#define TSR_SCREEN_MAX_H 2400

bool tsr_screen_size_ok(long w, long h);

#endif
