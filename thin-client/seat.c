/*
 * tessera-view's seat: the focus, keys to the focused qube only (every key
 * it holds released when it loses the focus), the pointer to the qube
 * under it only, clicks on frames and the panel, and the secure attention
 * key (Ctrl+Alt+Home), caught before any key is routed: it toggles the
 * overview, in which no qube gets any input.
 */
#include <string.h>

#include <SDL.h>

#include "child.h"
#include "clock.h"
#include "log.h"
#include "proto.h"
#include "server.h"

/* Releases every key q still holds down, so none sticks. */
static void
release_keys(struct tv_qube *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nkeys_down; i++)
		tv_child_send(q, TV_KEY, 0, (int)q->keys_down[i], 0);
	q->nkeys_down = 0;
}

void
tv_set_focus(struct tv_qube *q)
{
	if (srv.focus == q)
		return;
	release_keys(srv.focus);
	srv.focus = q;
	if (q != NULL)
		tv_raise(q);
	srv.dirty = 1;
}

static void
pointer_to(struct tv_qube *q, int x, int y, int buttons)
{
	struct tv_rect c;
	int qx, qy;

	/* a qube the pointer left gets its buttons released */
	if (srv.pointer_q != NULL && srv.pointer_q != q) {
		if (srv.pointer_q->last_buttons != 0)
			tv_child_send(srv.pointer_q, TV_POINTER,
			    srv.pointer_q->last_px, srv.pointer_q->last_py, 0);
		srv.pointer_q->last_buttons = 0;
		srv.pointer_q = NULL;
	}
	if (q == NULL || srv.overview || q->fb == NULL)
		return;
	c = tv_content(tv_inside(&srv.m, q->win), q->fb_w, q->fb_h);
	if (tv_to_qube(c, q->fb_w, q->fb_h, x, y, &qx, &qy) == -1) {
		if (srv.pointer_q == q && q->last_buttons != 0)
			tv_child_send(q, TV_POINTER, q->last_px, q->last_py, 0);
		q->last_buttons = 0;
		srv.pointer_q = NULL;
		return;
	}
	tv_child_send(q, TV_POINTER, qx, qy, buttons);
	q->last_px = qx;
	q->last_py = qy;
	q->last_buttons = buttons;
	srv.pointer_q = q;
}

static void
panel_click(int x, int y)
{
	struct tv_panel_item it[TV_MAX_QUBES];
	int i, hidden, n = tv_panel_items(it, &hidden);

	for (i = 0; i < n; i++) {
		struct tv_qube *q = it[i].q;

		if (!tv_in_rect(it[i].entry, x, y))
			continue;
		if (it[i].has_button && tv_in_rect(it[i].button, x, y)) {
			const char *m =
			    strcmp(it[i].button_text, "start") == 0 ?
			    "vm.start" :
			    "vm.shutdown";

			tv_notice("%s %s...", m, q->info.name);
			tv_host_command(&srv.hosts[q->host], q->host, m,
			    q->info.name);
			return;
		}
		if (q->minimized) {
			q->minimized = 0;
			srv.layout_dirty = 1;
		}
		if (tv_shown(q))
			tv_set_focus(q);
		return;
	}
}

static void
mouse_down(const SDL_MouseButtonEvent *b)
{
	struct tv_qube *q;
	enum tv_part part;
	uint64_t now = tsr_mono_ms();

	if (b->y < srv.m.panel) {
		if (b->button == SDL_BUTTON_LEFT)
			panel_click(b->x, b->y);
		return;
	}
	if ((q = tv_window_at(b->x, b->y)) == NULL)
		return;
	tv_set_focus(q);
	part = tv_hit(&srv.m, q->win, b->x, b->y);
	if (srv.overview)
		return; /* the overview only chooses the focus */
	if (part == TV_PART_CONTENT) {
		pointer_to(q, b->x, b->y, srv.buttons);
		return;
	}
	if (b->button != SDL_BUTTON_LEFT)
		return;
	switch (part) {
	case TV_PART_CLOSE_MIN:
		q->minimized = 1;
		if (srv.focus == q)
			tv_set_focus(NULL);
		srv.layout_dirty = 1;
		break;
	case TV_PART_MAX:
		tv_toggle_max(q);
		break;
	case TV_PART_TITLE:
		if (srv.last_click_q == q && now - srv.last_click < 400) {
			tv_toggle_max(q);
			srv.last_click_q = NULL;
			break;
		}
		srv.last_click = now;
		srv.last_click_q = q;
		if (q->maximized)
			break;
		srv.drag = (struct tv_drag){ 1, q, b->x, b->y, q->win };
		break;
	case TV_PART_RESIZE:
		if (q->maximized)
			break;
		srv.drag = (struct tv_drag){ 2, q, b->x, b->y, q->win };
		break;
	default:
		break;
	}
}

static int
rfb_button(int sdl)
{
	switch (sdl) {
	case SDL_BUTTON_LEFT:
		return 1;
	case SDL_BUTTON_MIDDLE:
		return 2;
	case SDL_BUTTON_RIGHT:
		return 4;
	default:
		return 0;
	}
}

/* An SDL key to the X keysym RFB wants (a US layout for shifted keys). */
static unsigned
keysym(const SDL_Keysym *k)
{
	static const char shifted_from[] = "`1234567890-=[]\\;',./";
	static const char shifted_to[] = "~!@#$%^&*()_+{}|:\"<>?";
	SDL_Keycode c = k->sym;
	int shift = (k->mod & KMOD_SHIFT) != 0;
	const char *p;

	if (c >= 'a' && c <= 'z') {
		if (shift != ((k->mod & KMOD_CAPS) != 0))
			return (unsigned)(c - 'a' + 'A');
		return (unsigned)c;
	}
	if (c >= 0x20 && c < 0x7f) {
		if (shift && (p = strchr(shifted_from, (int)c)) != NULL)
			return (unsigned char)shifted_to[p - shifted_from];
		return (unsigned)c;
	}
	if (c >= SDLK_F1 && c <= SDLK_F12)
		return 0xffbe + (unsigned)(c - SDLK_F1);
	switch (c) {
	case SDLK_RETURN:
		return 0xff0d;
	case SDLK_KP_ENTER:
		return 0xff8d;
	case SDLK_BACKSPACE:
		return 0xff08;
	case SDLK_TAB:
		return 0xff09;
	case SDLK_ESCAPE:
		return 0xff1b;
	case SDLK_DELETE:
		return 0xffff;
	case SDLK_INSERT:
		return 0xff63;
	case SDLK_HOME:
		return 0xff50;
	case SDLK_END:
		return 0xff57;
	case SDLK_PAGEUP:
		return 0xff55;
	case SDLK_PAGEDOWN:
		return 0xff56;
	case SDLK_LEFT:
		return 0xff51;
	case SDLK_UP:
		return 0xff52;
	case SDLK_RIGHT:
		return 0xff53;
	case SDLK_DOWN:
		return 0xff54;
	case SDLK_LSHIFT:
		return 0xffe1;
	case SDLK_RSHIFT:
		return 0xffe2;
	case SDLK_LCTRL:
		return 0xffe3;
	case SDLK_RCTRL:
		return 0xffe4;
	case SDLK_CAPSLOCK:
		return 0xffe5;
	case SDLK_LALT:
		return 0xffe9;
	case SDLK_RALT:
		return 0xffea;
	case SDLK_LGUI:
		return 0xffeb;
	case SDLK_RGUI:
		return 0xffec;
	case SDLK_MENU:
		return 0xff67;
	default:
		return 0;
	}
}

static int
is_sak(const SDL_KeyboardEvent *k)
{
	return k->keysym.sym == SDLK_HOME && (k->keysym.mod & KMOD_CTRL) &&
	    (k->keysym.mod & KMOD_ALT);
}

static void
key(const SDL_KeyboardEvent *k)
{
	struct tv_qube *q = srv.focus;
	unsigned ks;
	int i;

	if (k->type == SDL_KEYDOWN && is_sak(k)) {
		srv.sak_down = 1;
		if (!srv.overview)
			release_keys(q);
		srv.overview = !srv.overview;
		srv.dirty = 1;
		log_info("overview %s", srv.overview ? "on" : "off");
		return;
	}
	if (k->keysym.sym == SDLK_HOME && srv.sak_down) {
		if (k->type == SDL_KEYUP)
			srv.sak_down = 0;
		return;
	}
	if (srv.overview) {
		if (k->type == SDL_KEYDOWN && k->keysym.sym == SDLK_ESCAPE) {
			srv.overview = 0;
			srv.dirty = 1;
			log_info("overview off");
		}
		return; /* no qube gets a key in the overview */
	}
	if (q == NULL || !tv_visible(q) || (ks = keysym(&k->keysym)) == 0)
		return;
	if (k->type == SDL_KEYDOWN) {
		for (i = 0; i < q->nkeys_down; i++)
			if (q->keys_down[i] == ks)
				break;
		if (i == q->nkeys_down &&
		    q->nkeys_down <
			(int)(sizeof(q->keys_down) / sizeof(q->keys_down[0])))
			q->keys_down[q->nkeys_down++] = ks;
		tv_child_send(q, TV_KEY, 1, (int)ks, 0);
	} else {
		for (i = 0; i < q->nkeys_down; i++)
			if (q->keys_down[i] == ks) {
				q->keys_down[i] = q->keys_down[--q->nkeys_down];
				break;
			}
		tv_child_send(q, TV_KEY, 0, (int)ks, 0);
	}
}

void
tv_seat_event(const SDL_Event *e)
{
	struct tv_qube *q;
	int mx, my, bit;

	switch (e->type) {
	case SDL_QUIT:
		if (!srv.kiosk)
			srv.stop = 1;
		break;
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
			tv_canvas_resize();
		if (e->window.event == SDL_WINDOWEVENT_FOCUS_LOST)
			release_keys(srv.focus);
		srv.dirty = 1;
		break;
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		key(&e->key);
		break;
	case SDL_MOUSEBUTTONDOWN:
		if ((bit = rfb_button(e->button.button)) != 0)
			srv.buttons |= bit;
		mouse_down(&e->button);
		break;
	case SDL_MOUSEBUTTONUP:
		if ((bit = rfb_button(e->button.button)) != 0)
			srv.buttons &= ~bit;
		if (srv.drag.active) {
			if (e->button.button == SDL_BUTTON_LEFT) {
				if (srv.drag.active == 2)
					tv_ask_resize(srv.drag.q);
				srv.drag.active = 0;
			}
			break;
		}
		q = tv_window_at(e->button.x, e->button.y);
		pointer_to(q, e->button.x, e->button.y, srv.buttons);
		break;
	case SDL_MOUSEMOTION:
		if (srv.drag.active) {
			tv_drag_to(e->motion.x, e->motion.y);
			break;
		}
		q = e->motion.y >= srv.m.panel ?
		    tv_window_at(e->motion.x, e->motion.y) :
		    NULL;
		pointer_to(q, e->motion.x, e->motion.y, srv.buttons);
		break;
	case SDL_MOUSEWHEEL:
		SDL_GetMouseState(&mx, &my);
		q = tv_window_at(mx, my);
		if (q == NULL || e->wheel.y == 0)
			break;
		bit = e->wheel.y > 0 ? 8 : 16;
		pointer_to(q, mx, my, srv.buttons | bit);
		pointer_to(q, mx, my, srv.buttons);
		break;
	default:
		break;
	}
}
