/*
 * Volumes: one directory per qube under STATE/qubes/NAME holding
 *   root.qcow2     a template's or standalone's own root; for app qubes and
 *                  disposables an overlay on the template's root, made
 *                  fresh at every start
 *   private.qcow2  an app qube's persistent private volume (a disposable's
 *                  is an overlay, discarded with it)
 *   vmlinuz, initrd  a template's (or standalone's) own boot files
 * qemu-img does the qcow2 work; we read only what its info says of a disk
 * being imported, never image contents.
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

#define ROOT_SIZE "1G"
#define PRIVATE_SIZE "2G"

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
	return (size_t)snprintf(out, outsz, "%s/%s", dir, file) >= outsz ? -1 :
									   0;
}

int
vol_paths(struct vmd *vmd, struct vmd_qube *q)
{
	char dir[VMD_PATH_MAX];

	if (vol_qube_dir(vmd, q->name, dir, sizeof(dir)) == -1 ||
	    join(q->root_volume, sizeof(q->root_volume), dir, "root.qcow2") ||
	    (size_t)snprintf(q->display_socket, sizeof(q->display_socket),
		"%s/%s.vnc", vmd->display_dir,
		q->name) >= sizeof(q->display_socket))
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

/*
 * Runs qemu-img with args; its stderr goes into err on failure.  With out
 * set, its stdout (up to outsz - 1 bytes, NUL-terminated) goes there and
 * its stderr is dropped.
 */
static int
qemu_img_out(char *out, size_t outsz, char *err, size_t errlen,
    const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status;
	pid_t pid;
	ssize_t n;
	size_t got = 0;
	char ebuf[512], *buf = out ? out : ebuf;
	size_t bufsz = out ? outsz : sizeof(ebuf);

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], out ? 1 : 2);
	posix_spawn_file_actions_addopen(&fa, out ? 2 : 1, "/dev/null",
	    O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawnp(&pid, "qemu-img", &fa, NULL, (char *const *)argv,
		environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "cannot run qemu-img");
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while ((n = read(pfd[0], buf + got, bufsz - 1 - got)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			got += (size_t)n;
	buf[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (out)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(err, errlen, "qemu-img %s: %s", argv[1],
	    buf[0] ? buf : "failed");
	return -1;
}

static int
qemu_img(char *err, size_t errlen, const char *const argv[])
{
	return qemu_img_out(NULL, 0, err, errlen, argv);
}

static int
img_create(const char *path, const char *backing, const char *size, char *err,
    size_t errlen)
{
	if (backing) {
		const char *argv[] = { "qemu-img", "create", "-q", "-f",
			"qcow2", "-b", backing, "-F", "qcow2", path, NULL };
		return qemu_img(err, errlen, argv);
	} else {
		const char *argv[] = { "qemu-img", "create", "-q", "-f",
			"qcow2", path, size, NULL };
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
	if ((q->klass == VMD_CLASS_TEMPLATE ||
		q->klass == VMD_CLASS_STANDALONE) &&
	    access(q->root_volume, F_OK) == -1 &&
	    img_create(q->root_volume, NULL, ROOT_SIZE, err, errlen) == -1)
		return -1;
	if ((q->klass == VMD_CLASS_APP || q->klass == VMD_CLASS_STANDALONE) &&
	    img_create(q->private_volume, NULL, PRIVATE_SIZE, err, errlen) ==
		-1)
		return -1;
	return 0;
}

/*
 * Before a start: an app qube gets a fresh root overlay on its template's
 * root; a disposable gets overlays on its base (a template, or an app
 * qube whose private volume it starts from).
 */
int
vol_prepare_start(struct vmd *vmd, struct vmd_qube *q, char *err, size_t errlen)
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
	if (img_create(q->root_volume, tmpl->root_volume, NULL, err, errlen) ==
	    -1)
		goto out;
	if (q->klass == VMD_CLASS_DISPOSABLE) {
		unlink(q->private_volume);
		if (base->klass == VMD_CLASS_APP)
			rc = img_create(q->private_volume, base->private_volume,
			    NULL, err, errlen);
		else
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

/* A template's root from a disk image of any format qemu-img reads. */
/*
 * Whether an image qemu-img describes (info's JSON) may be converted: raw
 * or qcow2 only (other formats, vmdk for one, may name host files), and a
 * qcow2 without a backing file or an external data file.  On success the
 * format is in fmt.
 */
static int
disk_check(const char *info, char *fmt, size_t fmtsz, char *err, size_t errlen)
{
	json_t *o, *data;
	const char *f;
	int rc = -1;

	if ((o = json_loads(info, 0, NULL)) == NULL) {
		snprintf(err, errlen, "disk: qemu-img info gave no JSON");
		return -1;
	}
	f = json_string_value(json_object_get(o, "format"));
	data = json_object_get(json_object_get(o, "format-specific"), "data");
	if (f == NULL || (strcmp(f, "raw") != 0 && strcmp(f, "qcow2") != 0))
		snprintf(err, errlen, "disk: not a raw or qcow2 image");
	else if (json_object_get(o, "backing-filename") != NULL ||
	    json_object_get(o, "full-backing-filename") != NULL ||
	    json_object_get(data, "data-file") != NULL)
		snprintf(err, errlen,
		    "disk: an image with a backing file or "
		    "a data file is refused");
	else {
		snprintf(fmt, fmtsz, "%s", f);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/*
 * A template's root from a disk image the caller opened (in): the bytes
 * are first copied into the store, where the caller cannot change them
 * between the check and the conversion; qemu-img then looks only at that
 * copy, with the format it reported and without taking locks.
 */
int
vol_import_disk(struct vmd *vmd, int in, struct vmd_qube *q, char *err,
    size_t errlen)
{
	char src[VMD_PATH_MAX + 8], tmp[VMD_PATH_MAX + 8], fmt[8];
	char info[16384];
	const char *info_argv[] = { "qemu-img", "info", "-U", "--output=json",
		src, NULL };
	const char *argv[] = { "qemu-img", "convert", "-q", "-U", "-f", fmt,
		"-O", "qcow2", src, tmp, NULL };
	int rc = -1;

	if (vol_paths(vmd, q) == -1 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.part", q->root_volume) >=
		sizeof(tmp) ||
	    (size_t)snprintf(src, sizeof(src), "%s.src", q->root_volume) >=
		sizeof(src)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	unlink(tmp);
	if (vol_import_fd(vmd, in, "disk", src, NULL, NULL, err, errlen) == -1)
		return -1;
	if (qemu_img_out(info, sizeof(info), err, errlen, info_argv) == -1 ||
	    disk_check(info, fmt, sizeof(fmt), err, errlen) == -1 ||
	    qemu_img(err, errlen, argv) == -1)
		goto out;
	if (rename(tmp, q->root_volume) == -1) {
		snprintf(err, errlen, "%s: %s", q->root_volume,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	unlink(tmp);
	unlink(src);
	return rc;
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
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
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
	return rc;
}

int
vol_import_file(struct vmd *vmd, const char *src, const char *dst, char *err,
    size_t errlen)
{
	int in, rc;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		return -1;
	}
	rc = vol_import_fd(vmd, in, src, dst, NULL, NULL, err, errlen);
	close(in);
	return rc;
}

/*
 * Copies the regular file open on in (what names it in messages) to dst
 * (a new file, 0644) and fsyncs it.
 */
int
vol_import_fd(struct vmd *vmd, int in, const char *what, const char *dst,
    vol_progress_fn progress, void *arg, char *err, size_t errlen)
{
	uint64_t done = 0, step, next;
	char buf[65536], tmp[VMD_PATH_MAX + 8];
	int out = -1, rc = -1;
	struct stat sb;
	ssize_t n;

	(void)vmd;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.part", dst) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (fstat(in, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", what);
		return -1;
	}
	step = (uint64_t)sb.st_size / 20; /* every 5 % */
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
			snprintf(err, errlen, "%s: %s", what, strerror(errno));
			goto out;
		}
		if (write(out, buf, (size_t)n) != n) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		done += (uint64_t)n;
		if (progress && step > 0 && done >= next) {
			progress(arg, what, done, (uint64_t)sb.st_size);
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
		"root.qcow2",
		"private.qcow2",
		"vmlinuz",
		"initrd",
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
	}
	/* boot files that belonged to the source now belong to the clone */
	for (i = 2; i < 4; i++) {
		char *p = i == 2 ? dst->kernel : dst->initrd;
		const char *sp = i == 2 ? src->kernel : src->initrd;

		snprintf(s, sizeof(s), "%s/%s", sdir, files[i]);
		if (strcmp(sp, s) == 0 &&
		    join(p, VMD_PATH_MAX, ddir, files[i])) {
			snprintf(err, errlen, "path too long");
			return -1;
		}
	}
	return 0;
}
