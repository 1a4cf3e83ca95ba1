/*
 * tessera-view's compositor: its one central state, struct tv_server, and
 * what its files offer each other.  The state is the main thread's: a
 * host thread (host.c) only reads its host's address and credentials in
 * it, set before the threads start, and the decoder watcher (main.c) keeps
 * its own.
 *
 *   main.c   options and config, the main loop, the qube table (events
 *            from the hosts), decoder supervision
 *   wm.c     window management: tiling, stacking, maximising, dragging,
 *            size requests to the qubes
 *   paint.c  painting: repaint regions, windows and frames, the panel,
 *            the state file, --stats
 *   seat.c   the seat: focus, keys, pointer, the secure attention key
 */
#ifndef TV_SERVER_H
#define TV_SERVER_H

#include <signal.h>
#include <stdint.h>

#include <SDL.h>

#include "child.h"
#include "draw.h"
#include "host.h"
#include "view.h"

/* A window being moved or resized with the pointer. */
struct tv_drag {
	int active; /* 1 move, 2 resize */
	struct tv_qube *q;
	int x0, y0;
	struct tv_rect win0;
};

/* One entry of the panel, as laid out for drawing and for clicks. */
struct tv_panel_item {
	struct tv_qube *q;
	char text[TV_HOST_NAME_MAX + TSR_QUBE_NAME_MAX + 24];
	struct tv_rect entry, button;
	int has_button;
	const char *button_text;
};

/*
 * --stats N: the time of each tv_render() (painting the changed regions
 * and copying them to the window) on the monotonic clock and in this
 * thread's CPU time; every N frames one line "stats: N frames wall mean M
 * median D max X cpu mean C ms renderer software".
 */
struct tv_stats {
	int every, n;
	double *wall, *cpu; /* ms, n of them */
};

struct tv_server {
	/* the screen */
	SDL_Window *win;
	struct tv_draw d;	/* the canvas: the whole screen */
	struct tv_rect rep[32]; /* regions to paint again */
	int nrep;
	int damaged; /* some picture changed */
	struct tv_metrics m;
	int sw, sh;
	int dirty;	  /* paint everything again */
	int layout_dirty; /* tile again first */
	char notice[200]; /* on the panel for 10 s */
	uint64_t notice_at;

	/* options */
	int kiosk;
	int scale;
	const char *state_file;
	struct tv_creds creds;
	int rdp; /* displays over RDP, not VNC */

	/* hosts and their qubes */
	struct tv_host hosts[TV_MAX_HOSTS];
	int nhosts;
	struct tv_qube q[TV_MAX_QUBES];
	int ztop; /* the highest z given */
	uint64_t last_ping;

	/* the seat */
	struct tv_qube *focus;
	struct tv_qube *pointer_q; /* last qube that got pointer events */
	int overview;
	int sak_down; /* swallow the SAK key's release */
	int buttons;  /* RFB button mask held */
	struct tv_drag drag;
	uint64_t last_click;
	struct tv_qube *last_click_q;

	struct tv_stats stats;

	Uint32 wake_ev; /* the SDL event that wakes the loop */
	/* SIGTERM, SIGINT, or the window was closed */
	volatile sig_atomic_t stop;
};

extern struct tv_server srv;

/* wm.c: window management */
/* The screen below the panel. */
struct tv_rect tv_workspace(void);
/* q has a window: it runs or is paused. */
int tv_shown(const struct tv_qube *q);
/* ... and it is not minimised. */
int tv_visible(const struct tv_qube *q);
/* Every qube in a stable order (host, then name) into out; how many. */
int tv_sorted(struct tv_qube **out);
/* The visible windows, bottom first, into out; how many. */
int tv_stacked(struct tv_qube **out);
/* The topmost visible window at (x, y), or NULL. */
struct tv_qube *tv_window_at(int x, int y);
void tv_raise(struct tv_qube *q);
/* q's window changed size: its qube is asked once the size holds. */
void tv_ask_resize(struct tv_qube *q);
/* Sends the size requests that are due. */
void tv_resize_requests(uint64_t now);
/* Tiles every window the user has not placed. */
void tv_retile(void);
void tv_toggle_max(struct tv_qube *q);
/* The pointer is at (x, y) during srv.drag. */
void tv_drag_to(int x, int y);

/* paint.c: painting */
/* A canvas of the window's size; everything is painted again. */
void tv_canvas_resize(void);
/* Shows fmt (with the strings a and b) on the panel for a while. */
void tv_notice(const char *fmt, const char *a, const char *b);
/* Lays out the panel's entries; *hidden: how many did not fit. */
int tv_panel_items(struct tv_panel_item *it, int *hidden);
/* Tiles if needed, paints what changed, shows it, writes the state file. */
void tv_render(uint64_t now);

/* seat.c: input */
void tv_set_focus(struct tv_qube *q);
/* Handles one SDL event. */
void tv_seat_event(const SDL_Event *e);

#endif
