/*
 * Volumes: one directory per qube under STATE/qubes/NAME holding
 *   root.qcow2     a template's or standalone's own root; for app qubes and
 *                  disposables an overlay on the template's root, made
 *                  fresh at every start
 *   private.qcow2  an app qube's persistent private volume (a disposable's
 *                  is an overlay, discarded with it)
 *   vmlinuz, initrd  a template's (or standalone's) own boot files
 * qemu-img does the qcow2 work; we never parse image contents.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmd.h"

#define ROOT_SIZE	"1G"
#define VOL_DISPLAY_SOCK "vnc.sock"	/* in display/NAME/ */
#define PRIVATE_SIZE	"2G"

extern char **environ;

int
vol_qube_dir(struct vmd *vmd, const char *name, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", vmd->qubes_dir, name) >=
	    outsz)
		return -1;
	return 0;
}

static int
join(char *out, size_t outsz, const char *dir, const char *file)
{
	return (size_t)snprintf(out, outsz, "%s/%s", dir, file) >= outsz ?
	    -1 : 0;
}

int
vol_paths(struct vmd *vmd, struct vmd_qube *q)
{
	char dir[VMD_PATH_MAX];

	if (vol_qube_dir(vmd, q->name, dir, sizeof(dir)) == -1 ||
	    join(q->root_volume, sizeof(q->root_volume), dir, "root.qcow2") ||
	    (size_t)snprintf(q->display_socket, sizeof(q->display_socket),
	    "%s/%s/%s", vmd->display_dir, q->name, VOL_DISPLAY_SOCK) >=
	    sizeof(q->display_socket))
		return -1;
	if (join(q->console_log, sizeof(q->console_log), dir, "console.log"))
		return -1;
	q->private_volume[0] = '\0';
	if (q->klass != VMD_CLASS_TEMPLATE &&
	    join(q->private_volume, sizeof(q->private_volume), dir,
	    "private.qcow2"))
		return -1;
	return 0;
}

/* Runs qemu-img with args; its stderr goes into err on failure. */
static int
qemu_img(char *err, size_t errlen, const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status, rc;
	mode_t old;
	pid_t pid;
	ssize_t n;
	size_t got = 0;
	char buf[512];

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* volumes are 0600: vol_give hands them to their device model */
	old = umask(066);
	rc = posix_spawnp(&pid, "qemu-img", &fa, NULL, (char *const *)argv,
	    environ);
	umask(old);
	if (rc != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "cannot run qemu-img");
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			got += (size_t)n;
	buf[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(err, errlen, "qemu-img %s: %s", argv[1], buf[0] ? buf :
	    "failed");
	return -1;
}

static int
img_create(const char *path, const char *backing, const char *size,
    char *err, size_t errlen)
{
	if (backing) {
		const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
		    "-b", backing, "-F", "qcow2", path, NULL };
		return qemu_img(err, errlen, argv);
	} else {
		const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
		    path, size, NULL };
		return qemu_img(err, errlen, argv);
	}
}

/* A new qube: its directory, its own root (templates, standalones), its
 * private volume (app qubes).  Overlays are made at start. */
int
vol_create(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
{
	char dir[VMD_PATH_MAX];

	if (vol_qube_dir(vmd, q->name, dir, sizeof(dir)) == -1 ||
	    vol_paths(vmd, q) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (mkdir(dir, 0711) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((q->klass == VMD_CLASS_TEMPLATE || q->klass == VMD_CLASS_STANDALONE)
	    && access(q->root_volume, F_OK) == -1 &&
	    img_create(q->root_volume, NULL, ROOT_SIZE, err, errlen) == -1)
		return -1;
	if ((q->klass == VMD_CLASS_APP || q->klass == VMD_CLASS_STANDALONE) &&
	    img_create(q->private_volume, NULL, PRIVATE_SIZE, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * Before a start: an app qube gets a fresh root overlay on its template's
 * root; a disposable gets overlays on its base (a template, or an app
 * qube whose private volume it starts from).
 */
int
vol_prepare_start(struct vmd *vmd, struct vmd_qube *q, char *err,
    size_t errlen)
{
	struct vmd_qube *base = NULL, *tmpl = NULL;
	int rc = -1;

	if (vol_paths(vmd, q) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (q->klass == VMD_CLASS_TEMPLATE || q->klass == VMD_CLASS_STANDALONE)
		return 0;
	base = calloc(1, sizeof(*base));
	tmpl = calloc(1, sizeof(*tmpl));
	if (base == NULL || tmpl == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (vmd_store_get(vmd->store, q->template_name, base, NULL) != 1) {
		snprintf(err, errlen, "template %s is gone", q->template_name);
		goto out;
	}
	vol_paths(vmd, base);
	*tmpl = *base;
	if (base->klass == VMD_CLASS_APP) {
		if (vmd_store_get(vmd->store, base->template_name, tmpl,
		    NULL) != 1) {
			snprintf(err, errlen, "template %s is gone",
			    base->template_name);
			goto out;
		}
		vol_paths(vmd, tmpl);
	}
	unlink(q->root_volume);
	/* a template's root is every device model's to read (a backing file) */
	if (chmod(tmpl->root_volume, 0644) == -1 ||
	    img_create(q->root_volume, tmpl->root_volume, NULL, err,
	    errlen) == -1)
		goto out;
	if (q->klass == VMD_CLASS_DISPOSABLE) {
		unlink(q->private_volume);
		/*
		 * The base's private volume is its own, and this disposable's
		 * to read: the disposable's gid, mode 0640.  Under KVM that
		 * gid is every device model's (kvm).
		 */
		if (base->klass == VMD_CLASS_APP) {
			if (vol_dm_uid(vmd, q, err, errlen) == -1)
				goto out;
			if (q->dm_uid != 0 && (chown(base->private_volume,
			    (uid_t)-1, q->dm_gid) == -1 ||
			    chmod(base->private_volume, 0640) == -1)) {
				snprintf(err, errlen, "%s: %s",
				    base->private_volume, strerror(errno));
				goto out;
			}
			rc = img_create(q->private_volume, base->private_volume,
			    NULL, err, errlen);
		} else
			rc = img_create(q->private_volume, NULL, PRIVATE_SIZE,
			    err, errlen);
		goto out;
	}
	rc = 0;
out:
	free(base);
	free(tmpl);
	return rc;
}

int
vol_give(const struct vmd_qube *q, char *err, size_t errlen)
{
	const char *vols[] = { q->root_volume, q->private_volume };
	size_t i;
	int fd;

	if (q->dm_uid == 0)
		return 0;
	for (i = 0; i < 2; i++) {
		if (vols[i][0] == '\0')
			continue;
		if (chown(vols[i], q->dm_uid, q->dm_gid) == -1 ||
		    chmod(vols[i], i == 0 && q->klass == VMD_CLASS_TEMPLATE ?
		    0644 : 0600) == -1) {
			snprintf(err, errlen, "%s: %s", vols[i],
			    strerror(errno));
			return -1;
		}
	}
	if (q->console_log[0] == '\0')
		return 0;
	if ((fd = open(q->console_log, O_WRONLY | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    fchown(fd, q->dm_uid, q->dm_gid) == -1) {
		snprintf(err, errlen, "%s: %s", q->console_log,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A template's root from a disk image of any format qemu-img reads. */
int
vol_import_disk(struct vmd *vmd, const char *src, struct vmd_qube *q,
    char *err, size_t errlen)
{
	char tmp[VMD_PATH_MAX + 8];
	const char *argv[] = { "qemu-img", "convert", "-q", "-O", "qcow2",
	    src, tmp, NULL };

	if (vol_paths(vmd, q) == -1 || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s.part", q->root_volume) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	unlink(tmp);
	if (qemu_img(err, errlen, argv) == -1) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, q->root_volume) == -1) {
		snprintf(err, errlen, "%s: %s", q->root_volume, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int display_remove(struct vmd *, const char *);

int
vol_dm_uid(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
{
	int i;

	q->dm_uid = q->dm_gid = 0;
	if (vmd->dm_uid_base == 0 || vmd->hv == VMD_HV_XEN_PVH ||
	    vmd->hv == VMD_HV_XEN_HVM)
		return 0;
	if ((i = vmd_store_dm_index(vmd->store, q->name)) < 0 ||
	    i >= VMD_DM_UIDS) {
		snprintf(err, errlen, "%s has no device-model uid (index %d "
		    "of %d)", q->name, i, VMD_DM_UIDS);
		return -1;
	}
	q->dm_uid = (uint32_t)(vmd->dm_uid_base + (unsigned)i);
	/* under KVM QEMU opens /dev/kvm (root:kvm 0660) itself */
	q->dm_gid = vmd->hv == VMD_HV_KVM && vmd->kvm_gid != 0 ?
	    vmd->kvm_gid : q->dm_uid;
	return 0;
}

/* The uid the qube's device model runs as. */
static uid_t
dm_uid(const struct vmd *vmd, const struct vmd_qube *q)
{
	return q->dm_uid != 0 ? q->dm_uid : vmd->qemu_uid;
}

int
vol_remove(struct vmd *vmd, const char *name)
{
	char dir[VMD_PATH_MAX], path[VMD_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (vol_qube_dir(vmd, name, dir, sizeof(dir)) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == -1) {
			log_warn("%s", path);
			rc = -1;
		}
	}
	closedir(d);
	if (rmdir(dir) == -1 && errno != ENOENT) {
		log_warn("%s", dir);
		rc = -1;
	}
	if (display_remove(vmd, name) == -1)
		rc = -1;
	return rc;
}

/*
 * Each qube's display socket is display/NAME/vnc.sock.  display/ is
 * root's, so a device model cannot put anything there; display/NAME is
 * the device model's own (it makes the socket), with the render-server's
 * group, mode 0710.  The directory is opened without following a symlink
 * all the same.
 */
static int
display_dir(struct vmd *vmd, const char *name, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", vmd->display_dir, name) >=
	    outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

#define DIR_FLAGS	(O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * The qube's display directory goes with all the device model put there
 * (its uid may be given to another qube), one level deep.
 */
static int
display_remove(struct vmd *vmd, const char *name)
{
	char dir[VMD_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int dfd;

	if (display_dir(vmd, name, dir, sizeof(dir)) == -1)
		return -1;
	if ((dfd = open(dir, O_RDONLY | DIR_FLAGS)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == -1 && (errno != EISDIR ||
		    unlinkat(dfd, de->d_name, AT_REMOVEDIR) == -1))
			log_warn("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (rmdir(dir) == -1 && errno != ENOENT) {
		log_warn("%s", dir);
		return -1;
	}
	return 0;
}

int
vol_display_prepare(struct vmd *vmd, const struct vmd_qube *q, char *err,
    size_t errlen)
{
	char dir[VMD_PATH_MAX];
	int dfd = -1;

	if (display_dir(vmd, q->name, dir, sizeof(dir)) == -1 ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    (dfd = open(dir, O_RDONLY | DIR_FLAGS)) == -1 ||
	    fchown(dfd, dm_uid(vmd, q), vmd->display_gid) == -1 ||
	    fchmod(dfd, 0710) == -1 ||
	    (unlinkat(dfd, VOL_DISPLAY_SOCK, 0) == -1 && errno != ENOENT)) {
		snprintf(err, errlen, "display directory of %s: %s", q->name,
		    strerror(errno));
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

int
vol_display_own(struct vmd *vmd, const struct vmd_qube *q)
{
	char dir[VMD_PATH_MAX], proc[64];
	struct stat st;
	int dfd, fd = -1, i;

	if (display_dir(vmd, q->name, dir, sizeof(dir)) == -1 ||
	    (dfd = open(dir, O_PATH | DIR_FLAGS)) == -1) {
		log_warn("%s: display directory", q->name);
		return -1;
	}
	/* QEMU makes the socket soon after it starts */
	for (i = 0; i < 50; i++) {
		fd = openat(dfd, VOL_DISPLAY_SOCK,
		    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1 || errno != ENOENT)
			break;
		usleep(10000);
	}
	close(dfd);
	if (fd == -1) {
		log_warn("%s: display socket %s", q->name, q->display_socket);
		return -1;
	}
	/*
	 * The same inode from here on: nothing can swap it underneath.  A
	 * qube re-adopted after a restart has its socket owned already.
	 */
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    (st.st_uid != dm_uid(vmd, q) && st.st_uid != vmd->display_uid)) {
		log_warnx("%s: %s is not a socket of uid %u: refused, left "
		    "alone", q->name, q->display_socket,
		    (unsigned)dm_uid(vmd, q));
		close(fd);
		return -1;
	}
	/* an O_PATH descriptor takes no fchmod; its /proc name does */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (fchownat(fd, "", vmd->display_uid, vmd->display_gid,
	    AT_EMPTY_PATH) == -1 || chmod(proc, 0600) == -1) {
		log_warn("%s: display socket %s", q->name, q->display_socket);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
vol_import_file(struct vmd *vmd, const char *src, const char *dst, char *err,
    size_t errlen)
{
	return vol_import_file_progress(vmd, src, dst, NULL, NULL, err, errlen);
}

/* Copies src to dst (a new file, 0644) and fsyncs it. */
int
vol_import_file_progress(struct vmd *vmd, const char *src, const char *dst,
    vol_progress_fn progress, void *arg, char *err, size_t errlen)
{
	uint64_t done = 0, step, next;
	char buf[65536], tmp[VMD_PATH_MAX + 8];
	int in = -1, out = -1, rc = -1;
	struct stat sb;
	ssize_t n;

	(void)vmd;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", dst) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(in, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", src);
		goto out;
	}
	step = (uint64_t)sb.st_size / 20;	/* every 5 % */
	next = step;
	unlink(tmp);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", src, strerror(errno));
			goto out;
		}
		if (write(out, buf, (size_t)n) != n) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		done += (uint64_t)n;
		if (progress && step > 0 && done >= next) {
			progress(arg, src, done, (uint64_t)sb.st_size);
			next += step;
		}
	}
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (rc == -1)
		unlink(tmp);
	return rc;
}

/* A clone: copies of the source's own volumes and boot files. */
int
vol_clone(struct vmd *vmd, const struct vmd_qube *src, struct vmd_qube *dst,
    char *err, size_t errlen)
{
	char sdir[VMD_PATH_MAX], ddir[VMD_PATH_MAX];
	char s[VMD_PATH_MAX + 16], d[VMD_PATH_MAX + 16];
	static const char *const files[] = {
		"root.qcow2", "private.qcow2", "vmlinuz", "initrd",
	};
	size_t i;

	if (vol_qube_dir(vmd, src->name, sdir, sizeof(sdir)) == -1 ||
	    vol_qube_dir(vmd, dst->name, ddir, sizeof(ddir)) == -1 ||
	    vol_paths(vmd, dst) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (mkdir(ddir, 0711) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", ddir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(s, sizeof(s), "%s/%s", sdir, files[i]);
		snprintf(d, sizeof(d), "%s/%s", ddir, files[i]);
		if (access(s, F_OK) == -1)
			continue;
		/* app qube roots are overlays, remade at start */
		if (src->klass == VMD_CLASS_APP && i == 0)
			continue;
		if (vol_import_file(vmd, s, d, err, errlen) == -1)
			return -1;
		/* a private volume stays its qube's alone (vol_give) */
		if (i == 1 && chmod(d, 0600) == -1) {
			snprintf(err, errlen, "%s: %s", d, strerror(errno));
			return -1;
		}
	}
	/* boot files that belonged to the source now belong to the clone */
	for (i = 2; i < 4; i++) {
		char *p = i == 2 ? dst->kernel : dst->initrd;
		const char *sp = i == 2 ? src->kernel : src->initrd;

		snprintf(s, sizeof(s), "%s/%s", sdir, files[i]);
		if (strcmp(sp, s) == 0 && join(p, VMD_PATH_MAX, ddir, files[i])) {
			snprintf(err, errlen, "path too long");
			return -1;
		}
	}
	return 0;
}
