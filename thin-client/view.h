/*
 * tessera-view: a qube as the compositor knows it (struct tv_qube), and
 * the SDL-free window maths of layout.c, which the unit tests and
 * view-check use without the rest.  The compositor's whole state is in
 * server.h.  Everything a window shows outside the qube's own pixels
 * (frame colour, name, label, state) comes from a host's tessera-vmd,
 * never from the qube or its decoder.
 */
#ifndef TV_VIEW_H
#define TV_VIEW_H

#include <stdint.h>
#include <sys/types.h>

#include "facts.h"

#define TV_MAX_HOSTS 16
#define TV_MAX_QUBES 64
/* A host's name in titles (host.h: tv_host.name), with its NUL. */
#define TV_HOST_NAME_MAX 64
/* A title, "[host/name] label", with its NUL. */
#define TV_TITLE_MAX (TV_HOST_NAME_MAX + TSR_QUBE_NAME_MAX + 16)

struct tv_rect {
	int x, y, w, h;
};

/* What a host said about one qube. */
struct tv_info {
	char name[TSR_QUBE_NAME_MAX + 1]; /* a valid qube name */
	char label[8];			  /* "blue" or "#rrggbb" */
	uint32_t rgb;			  /* 0x00rrggbb */
	enum tsr_power state;
};

struct tv_qube {
	int used;
	int host; /* index into the host table */
	struct tv_info info;
	char title[TV_TITLE_MAX]; /* "[host/name] label" */

	/* where its render-server is (from display.endpoint) */
	char ep_host[256];
	int ep_port;
	int ep_rdp; /* RDP, logging on with the ticket */
	char ep_user[64];
	char ep_pass[128];

	/* the decoder process and its picture */
	pid_t pid;
	int ctl;       /* SOCK_SEQPACKET to the decoder */
	int connected; /* handshake done, pictures coming */
	int fb_w, fb_h;
	uint32_t *fb; /* read-only mapping of its memfd */
	size_t fb_len;
	struct tv_rect damage; /* union of damage not yet uploaded */
	int ack_due;	       /* TV_ACK once what came is shown */
	int failures;	       /* decoder exits in a row */
	uint64_t restart_at;   /* ms: start the decoder again then */
	uint64_t started_at;
	uint64_t pong_at; /* ms: its last TV_PONG (or connect) */
	int ping_seq, pong;
	unsigned keys_down[16]; /* keysyms sent down, not yet up */
	int nkeys_down;
	int last_px, last_py, last_buttons;

	/* its window */
	struct tv_rect win;
	int placed; /* moved or resized by the user */
	int minimized;
	int maximized;
	struct tv_rect restore; /* before maximising */

	/* asking the qube to take its window's inside size (wm.c) */
	uint64_t req_due;   /* ms: ask then (0: nothing to ask) */
	uint64_t req_at;    /* ms: last asked */
	uint64_t req_dec;   /* started_at of the decoder last asked */
	uint64_t req_ready; /* ms: that decoder can pass a request */
	int z;		    /* stacking: higher is on top */
};

/* The frame's measurements, scaled with the display's DPI. */
struct tv_metrics {
	int scale;  /* 1, 2, ...: glyph and line scale */
	int border; /* frame width: left, right, bottom */
	int title;  /* title bar height (the top of the frame) */
	int panel;  /* the panel's height, at the top */
	int gap;    /* between tiled windows */
};

/* layout.c: window maths, free of SDL. */
void tv_metrics_for_dpi(struct tv_metrics *, float dpi);
/* Columns of the grid for n windows: the one that shows 16:10 pictures
 * largest. */
int tv_grid_cols(const struct tv_metrics *, struct tv_rect ws, int n);
/* Window k of n in a grid over the workspace. */
struct tv_rect tv_grid_cell(const struct tv_metrics *, struct tv_rect ws, int n,
    int k);
/* The area inside a window's frame. */
struct tv_rect tv_inside(const struct tv_metrics *, struct tv_rect win);
/* Where a w x h picture goes inside: 1:1 at the top left when it fits,
 * else scaled down keeping its aspect; never outside `inside`. */
struct tv_rect tv_content(struct tv_rect inside, int w, int h);
/* Screen point to picture pixel; 0, or -1 if outside the content. */
int tv_to_qube(struct tv_rect content, int w, int h, int sx, int sy, int *qx,
    int *qy);
int tv_in_rect(struct tv_rect, int x, int y);
struct tv_rect tv_rect_union(struct tv_rect, struct tv_rect);
struct tv_rect tv_rect_clip(struct tv_rect, struct tv_rect bounds);

enum tv_part {
	TV_PART_NONE,
	TV_PART_TITLE,
	TV_PART_CLOSE_MIN, /* the minimise button */
	TV_PART_MAX,	   /* the maximise button */
	TV_PART_RESIZE,	   /* bottom right corner */
	TV_PART_BORDER,
	TV_PART_CONTENT,
};
/* Which part of a window (frame included) is at (x, y). */
enum tv_part tv_hit(const struct tv_metrics *, struct tv_rect win, int x,
    int y);
/* The title bar's buttons. */
struct tv_rect tv_button(const struct tv_metrics *, struct tv_rect win,
    enum tv_part);
/* Keeps a window's title bar reachable inside the workspace, and its size
 * at least the minimum. */
struct tv_rect tv_constrain(const struct tv_metrics *, struct tv_rect win,
    struct tv_rect ws);

/*
 * The title: tsr_frame_title() of the qube's name, or of "host/name" when
 * host is not empty; printable ASCII (anything else becomes '?').
 */
void tv_title(char *buf, size_t bufsz, const char *host, const char *name,
    const char *label);

#endif
