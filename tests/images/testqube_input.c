/*
 * testqube's input: every /dev/input/event* device, grabbed; keys typed
 * are echoed (US layout) and an absolute pointer (tablet) is followed,
 * into the pattern's state.  The ACPI power button powers the qube off.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <unistd.h>

#include <linux/input.h>

#include "testqube.h"

#define BITS_LONG (sizeof(long) * CHAR_BIT)
#define NLONGS(n) (((n) + BITS_LONG - 1) / BITS_LONG)
#define TEST_BIT(b, a) (((a)[(b) / BITS_LONG] >> ((b) % BITS_LONG)) & 1)

void
input_scan(struct qube *q)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/input")) == NULL)
		return;
	while ((de = readdir(d)) != NULL && q->nin < MAX_INPUTS) {
		unsigned long evbits[NLONGS(EV_MAX + 1)];
		struct input *in;
		char path[64];
		int num, i, fd, known = 0;

		if (sscanf(de->d_name, "event%d", &num) != 1)
			continue;
		for (i = 0; i < q->nin; i++)
			known |= q->in[i].num == num;
		if (known)
			continue;
		snprintf(path, sizeof(path), "/dev/input/event%d", num);
		if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		memset(evbits, 0, sizeof(evbits));
		if (ioctl(fd, EVIOCGBIT(0, sizeof(evbits)), evbits) < 0) {
			close(fd);
			continue;
		}
		in = &q->in[q->nin++];
		memset(in, 0, sizeof(*in));
		in->fd = fd;
		in->num = num;
		if (TEST_BIT(EV_KEY, evbits)) {
			unsigned long keybits[NLONGS(KEY_MAX + 1)];
			memset(keybits, 0, sizeof(keybits));
			if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keybits)),
				keybits) >= 0)
				in->keys = TEST_BIT(KEY_A, keybits) &&
				    TEST_BIT(KEY_ENTER, keybits);
		}
		if (TEST_BIT(EV_ABS, evbits)) {
			struct input_absinfo ax, ay;
			if (ioctl(fd, EVIOCGABS(ABS_X), &ax) == 0 &&
			    ioctl(fd, EVIOCGABS(ABS_Y), &ay) == 0) {
				in->abs = 1;
				in->min_x = ax.minimum;
				in->max_x = ax.maximum;
				in->min_y = ay.minimum;
				in->max_y = ay.maximum;
				in->abs_x = ax.value;
				in->abs_y = ay.value;
			}
		}
		/* Keep keys away from the console (no Ctrl-Alt-Del reboot, no tty echo). */
		if (ioctl(fd, EVIOCGRAB, (void *)1) < 0)
			say("TESSERA-QUBE-WARNING: cannot grab %s", path);
		if (q->opt.debug) {
			char name[64] = "";
			ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
			say("TESSERA-QUBE-INPUT %s \"%s\"%s", path, name,
			    in->abs ? " abs" : "");
		}
	}
	closedir(d);
}

/* US layout: unshifted and shifted character per evdev key code. */
static const char keymap[KEY_SPACE + 1][2] = {
	[KEY_1] = { '1', '!' },
	[KEY_2] = { '2', '@' },
	[KEY_3] = { '3', '#' },
	[KEY_4] = { '4', '$' },
	[KEY_5] = { '5', '%' },
	[KEY_6] = { '6', '^' },
	[KEY_7] = { '7', '&' },
	[KEY_8] = { '8', '*' },
	[KEY_9] = { '9', '(' },
	[KEY_0] = { '0', ')' },
	[KEY_MINUS] = { '-', '_' },
	[KEY_EQUAL] = { '=', '+' },
	[KEY_Q] = { 'q', 'Q' },
	[KEY_W] = { 'w', 'W' },
	[KEY_E] = { 'e', 'E' },
	[KEY_R] = { 'r', 'R' },
	[KEY_T] = { 't', 'T' },
	[KEY_Y] = { 'y', 'Y' },
	[KEY_U] = { 'u', 'U' },
	[KEY_I] = { 'i', 'I' },
	[KEY_O] = { 'o', 'O' },
	[KEY_P] = { 'p', 'P' },
	[KEY_LEFTBRACE] = { '[', '{' },
	[KEY_RIGHTBRACE] = { ']', '}' },
	[KEY_A] = { 'a', 'A' },
	[KEY_S] = { 's', 'S' },
	[KEY_D] = { 'd', 'D' },
	[KEY_F] = { 'f', 'F' },
	[KEY_G] = { 'g', 'G' },
	[KEY_H] = { 'h', 'H' },
	[KEY_J] = { 'j', 'J' },
	[KEY_K] = { 'k', 'K' },
	[KEY_L] = { 'l', 'L' },
	[KEY_SEMICOLON] = { ';', ':' },
	[KEY_APOSTROPHE] = { '\'', '"' },
	[KEY_GRAVE] = { '`', '~' },
	[KEY_BACKSLASH] = { '\\', '|' },
	[KEY_Z] = { 'z', 'Z' },
	[KEY_X] = { 'x', 'X' },
	[KEY_C] = { 'c', 'C' },
	[KEY_V] = { 'v', 'V' },
	[KEY_B] = { 'b', 'B' },
	[KEY_N] = { 'n', 'N' },
	[KEY_M] = { 'm', 'M' },
	[KEY_COMMA] = { ',', '<' },
	[KEY_DOT] = { '.', '>' },
	[KEY_SLASH] = { '/', '?' },
	[KEY_SPACE] = { ' ', ' ' },
};

static const struct {
	unsigned code, bit;
} modkeys[] = {
	{ KEY_LEFTSHIFT, PAT_MOD_SHIFT },
	{ KEY_RIGHTSHIFT, PAT_MOD_SHIFT },
	{ KEY_LEFTCTRL, PAT_MOD_CTRL },
	{ KEY_RIGHTCTRL, PAT_MOD_CTRL },
	{ KEY_LEFTALT, PAT_MOD_ALT },
	{ KEY_RIGHTALT, PAT_MOD_ALT },
	{ KEY_LEFTMETA, PAT_MOD_META },
	{ KEY_RIGHTMETA, PAT_MOD_META },
};

static void
key_event(struct qube *q, unsigned code, int value)
{
	struct pat_state *s = &q->st;
	size_t i, n;

	if (value ==
	    2) /* autorepeat: ignored, so the screen is deterministic */
		return;
	if (code == KEY_POWER && value) {
		/* ACPI power button (a host's "shutdown"): power off cleanly */
		say("TESSERA-QUBE-POWEROFF");
		sync();
		reboot(RB_POWER_OFF);
		return;
	}
	if (code == BTN_LEFT || code == BTN_RIGHT || code == BTN_MIDDLE) {
		unsigned bit = code == BTN_LEFT ? PAT_BTN_LEFT :
		    code == BTN_RIGHT		? PAT_BTN_RIGHT :
						  PAT_BTN_MIDDLE;
		if (value)
			s->buttons |= bit;
		else
			s->buttons &= ~bit;
		return;
	}
	if (code >= BTN_MISC && code < KEY_OK)
		return; /* other buttons (tablet tools, joysticks) */
	for (i = 0; i < sizeof(modkeys) / sizeof(modkeys[0]); i++) {
		if (modkeys[i].code != code)
			continue;
		if (value)
			q->modkeys |= 1u << i;
		else
			q->modkeys &= ~(1u << i);
	}
	s->mods = 0;
	for (i = 0; i < sizeof(modkeys) / sizeof(modkeys[0]); i++)
		if (q->modkeys & (1u << i))
			s->mods |= modkeys[i].bit;
	if (!value)
		return;

	s->key = code;
	n = strlen(s->echo);
	if (code == KEY_BACKSPACE) {
		if (n > 0)
			s->echo[n - 1] = '\0';
	} else if (code == KEY_ENTER || code == KEY_KPENTER) {
		memset(s->echo, 0, sizeof(s->echo));
	} else if (code < sizeof(keymap) / sizeof(keymap[0]) &&
	    keymap[code][0] &&
	    !(s->mods & (PAT_MOD_CTRL | PAT_MOD_ALT | PAT_MOD_META))) {
		if (n == PAT_ECHO_MAX) {
			memmove(s->echo, s->echo + 1, n - 1);
			n--;
		}
		s->echo[n] = keymap[code][(s->mods & PAT_MOD_SHIFT) != 0];
		s->echo[n + 1] = '\0';
	}
}

int
input_read(struct qube *q, struct input *in)
{
	struct input_event ev[64];
	ssize_t n;
	size_t i;

	while ((n = read(in->fd, ev, sizeof(ev))) > 0) {
		for (i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			if (q->opt.debug && ev[i].type != EV_SYN &&
			    ev[i].type != EV_MSC)
				say("TESSERA-QUBE-EVENT event%d type %u code %u value %d",
				    in->num, ev[i].type, ev[i].code,
				    ev[i].value);
			switch (ev[i].type) {
			case EV_KEY:
				key_event(q, ev[i].code, ev[i].value);
				break;
			case EV_ABS:
				if (!in->abs)
					break;
				if (ev[i].code == ABS_X) {
					in->abs_x = ev[i].value;
					in->abs_moved = 1;
				} else if (ev[i].code == ABS_Y) {
					in->abs_y = ev[i].value;
					in->abs_moved = 1;
				}
				break;
			case EV_SYN:
				if (ev[i].code == SYN_REPORT && in->abs_moved) {
					q->st.ptr_x = pat_abs_to_px(in->abs_x,
					    in->min_x, in->max_x, q->w);
					q->st.ptr_y = pat_abs_to_px(in->abs_y,
					    in->min_y, in->max_y, q->h);
					in->abs_moved = 0;
				}
				break;
			}
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1; /* device gone */
	return 0;
}

void
input_drop(struct qube *q, int i)
{
	close(q->in[i].fd);
	q->in[i] = q->in[--q->nin];
}
