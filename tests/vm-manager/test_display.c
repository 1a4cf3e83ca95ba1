/*
 * vol_display_own, the daemon's taking of a display socket that a device
 * model made in a directory its uid may write: what is planted there in
 * place of the socket (a symlink, a file, another uid's socket) must be
 * refused and left as it was.  Needs root (chown); the suite
 * tests/vm-manager/test-vmd.sh does the symlink case against the real
 * daemon and a real QEMU.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../vm-manager/vmd.h"
#include "../lib/tap.h"

#define DM_UID		66001	/* the qube's device model */
#define OTHER_UID	66002	/* another qube's */
#define DISPLAY_UID	66500	/* the render-server's */

enum plant { SOCKET, SYMLINK, REGULAR, NOTHING, DIR_SYMLINK };

static const struct tcase {
	const char	*what;
	enum plant	 plant;
	uid_t		 owner;		/* of what is planted */
	int		 rc;		/* vol_display_own's */
} cases[] = {
	{ "the device model's socket", SOCKET, DM_UID, 0 },
	{ "a socket owned already (re-adoption)", SOCKET, DISPLAY_UID, 0 },
	{ "another uid's socket", SOCKET, OTHER_UID, -1 },
	{ "a symlink to the test's file", SYMLINK, DM_UID, -1 },
	{ "a regular file of the device model's", REGULAR, DM_UID, -1 },
	{ "nothing", NOTHING, DM_UID, -1 },
	{ "a symlink for the directory", DIR_SYMLINK, DM_UID, -1 },
};

static void
make_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		abort();
	close(fd);
}

/* "uid mode" of path, not following a symlink in its last name. */
static const char *
owner_mode(const char *path, char *buf, size_t bufsz)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		snprintf(buf, bufsz, "none");
	else
		snprintf(buf, bufsz, "%u %o", (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	return buf;
}

int
main(void)
{
	static struct vmd vmd;
	struct vmd_qube q;
	const struct tcase *t;
	char tmp[] = "/tmp/test-vmd-display.XXXXXX", dir[64], sock[128];
	char victim[64], other[64], want[64], got[64];
	size_t i;
	int fd;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to chown\n");
		return 0;
	}
	if (mkdtemp(tmp) == NULL)
		abort();
	snprintf(vmd.display_dir, sizeof(vmd.display_dir), "%s", tmp);
	vmd.qemu_uid = 65000;		/* libvirt's: q.dm_uid overrides it */
	vmd.display_uid = DISPLAY_UID;
	vmd.display_gid = DISPLAY_UID;
	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	snprintf(other, sizeof(other), "%s/elsewhere", tmp);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		memset(&q, 0, sizeof(q));
		snprintf(q.name, sizeof(q.name), "q%zu", i);
		q.dm_uid = DM_UID;
		snprintf(dir, sizeof(dir), "%s/%s", tmp, q.name);
		snprintf(sock, sizeof(sock), "%s/vnc.sock", dir);
		snprintf(q.display_socket, sizeof(q.display_socket), "%s",
		    sock);
		unlink(victim);
		if ((fd = open(victim, O_WRONLY | O_CREAT, 0644)) == -1)
			abort();
		close(fd);
		if (t->plant == DIR_SYMLINK) {
			/* a real socket, behind a symlinked directory */
			mkdir(other, 0700);
			snprintf(sock, sizeof(sock), "%s/vnc.sock", other);
			unlink(sock);
			make_socket(sock);
			if (symlink(other, dir) == -1)
				abort();
		} else if (mkdir(dir, 0700) == -1)
			abort();
		switch (t->plant) {
		case SOCKET:
			make_socket(sock);
			break;
		case SYMLINK:
			if (symlink(victim, sock) == -1)
				abort();
			break;
		case REGULAR:
			if ((fd = open(sock, O_WRONLY | O_CREAT, 0644)) == -1)
				abort();
			close(fd);
			break;
		default:
			break;
		}
		if (t->plant != NOTHING && lchown(sock, t->owner, t->owner) == -1)
			abort();
		snprintf(want, sizeof(want), "%s", t->rc == 0 ?
		    "66500 600" : t->plant == NOTHING ? "none" :
		    owner_mode(sock, got, sizeof(got)));
		is_int(vol_display_own(&vmd, &q), t->rc, "%s: %s", t->what,
		    t->rc == 0 ? "taken" : "refused");
		is_str(owner_mode(sock, got, sizeof(got)), want,
		    "%s: owner and mode after", t->what);
		is_str(owner_mode(victim, got, sizeof(got)), "0 644",
		    "%s: the test's file is untouched", t->what);
	}
	snprintf(dir, sizeof(dir), "rm -rf '%s'", tmp);
	if (system(dir) != 0)
		diag("cannot remove %s", tmp);
	return done_testing();
}
