/*
 * The CA directory:
 *
 *   DIR/            0700
 *     lock          flock()ed by every command that writes
 *     ca.key ca.crt the CA
 *     index         the commit point (see ca_index.c)
 *     crl.pem
 *     issued/       NAME.crt, NAME.key (0600), NAME.p12 (0600)
 *     archive/      SERIAL.crt: certificates superseded by renew
 *
 * Every file is written whole under a temporary name ending in ".tmp"
 * (O_EXCL, fsync) and renamed into place, then the directory is fsync()ed.
 * Names never end in ".tmp", so temporary files cannot collide with real
 * ones; ca_recover() below deals with leftovers of an interrupted run.
 * Everything is relative to directory descriptors (openat and friends).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca_file.h"
#include "ca_index.h"
#include "ca_x509.h"
#include "log.h"

void
ca_dir_init(struct ca_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = d->issued = d->archive = d->lock = -1;
}

void
ca_dir_close(struct ca_dir *d)
{
	if (d->lock != -1)
		close(d->lock); /* drops the flock */
	if (d->archive != -1)
		close(d->archive);
	if (d->issued != -1)
		close(d->issued);
	if (d->fd != -1)
		close(d->fd);
	ca_dir_init(d);
}

int
ca_fsync_dir(int fd)
{
	if (fsync(fd) == -1) {
		log_warn("fsync directory");
		return -1;
	}
	return 0;
}

/* 1 if name exists in dirfd, 0 if not, -1 on error. */
int
ca_file_exists(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	log_warn("%s", name);
	return -1;
}

/* mkdir -p for the parents of path (0755), path itself 0700. */
static int
mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		log_warnx("%s: bad directory name", path);
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			log_warn("mkdir %s", buf);
			return -1;
		}
		buf[i] = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", path);
		return -1;
	}
	return 0;
}

static int
open_subdir(int dirfd, const char *name, int create)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", name);
		return -1;
	}
	fd = openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		log_warn("%s", name);
	return fd;
}

static int
open_lock(struct ca_dir *d)
{
	d->lock = openat(d->fd, "lock",
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->lock == -1) {
		log_warn("%s/lock", d->path);
		return -1;
	}
	return 0;
}

/* For init: make (or take) DIR with mode 0700 and its subdirectories. */
int
ca_dir_create(struct ca_dir *d, const char *path)
{
	d->path = path;
	if (mkdirs(path) == -1)
		return -1;
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (fchmod(d->fd, 0700) == -1) {
		log_warn("chmod %s", path);
		return -1;
	}
	if (open_lock(d) == -1)
		return -1;
	if ((d->issued = open_subdir(d->fd, "issued", 1)) == -1 ||
	    (d->archive = open_subdir(d->fd, "archive", 1)) == -1)
		return -1;
	return ca_fsync_dir(d->fd);
}

/* Open an existing CA. */
int
ca_dir_open(struct ca_dir *d, const char *path)
{
	int r;

	d->path = path;
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd == -1) {
		if (errno == ENOENT)
			log_warnx("no CA in %s (run tessera-ca init)", path);
		else
			log_warn("%s", path);
		return -1;
	}
	if ((r = ca_file_exists(d->fd, "ca.crt")) != 1) {
		if (r == 0)
			log_warnx("no CA in %s (run tessera-ca init)", path);
		return -1;
	}
	if ((d->issued = open_subdir(d->fd, "issued", 0)) == -1 ||
	    (d->archive = open_subdir(d->fd, "archive", 0)) == -1)
		return -1;
	return 0;
}

/* Take the CA's lock; waits for another tessera-ca that holds it. */
int
ca_dir_lock(struct ca_dir *d)
{
	if (d->lock == -1 && open_lock(d) == -1)
		return -1;
	while (flock(d->lock, LOCK_EX) == -1) {
		if (errno != EINTR) {
			log_warn("lock %s", d->path);
			return -1;
		}
	}
	return 0;
}

/*
 * Read a file of at most max bytes into a malloc()ed, NUL-terminated
 * buffer.  Inside the CA directory only regular files, never through a
 * symlink; a path from the command line (dirfd AT_FDCWD) may be either, or
 * a pipe.
 */
int
ca_file_read(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name,
	    O_RDONLY | O_CLOEXEC | (dirfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	if (fd == -1) {
		log_warn("%s", name);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", name);
		goto fail;
	}
	if (S_ISDIR(st.st_mode) ||
	    (dirfd != AT_FDCWD && !S_ISREG(st.st_mode))) {
		log_warnx("%s: not a regular file", name);
		goto fail;
	}
	/* sized to the file, so a secret is not copied around by realloc */
	cap = S_ISREG(st.st_mode) && (uintmax_t)st.st_size < max ?
	    (size_t)st.st_size + 1 :
	    4096;
	for (;;) {
		if (len == cap) {
			if (len > max) {
				log_warnx("%s: larger than %zu bytes", name,
				    max);
				goto fail;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				log_warn("%s", name);
				goto fail;
			}
			buf = nb;
		} else if (buf == NULL && (buf = malloc(cap + 1)) == NULL) {
			log_warn("%s", name);
			goto fail;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read %s", name);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	if (buf != NULL)
		explicit_bzero(buf, len);
	free(buf);
	close(fd);
	return -1;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Testing aid: TESSERA_CA_CRASH=POINT makes the process die at POINT as if
 * killed, leaving whatever it had written (tests/certs/test-ca.sh).
 */
void
ca_crashpoint(const char *point)
{
	const char *s = getenv("TESSERA_CA_CRASH");

	if (s != NULL && strcmp(s, point) == 0)
		_exit(99);
}

/* Create name (must not exist) with the given mode and contents; fsync. */
int
ca_file_write_excl(int dirfd, const char *name, const void *data, size_t len,
    int mode)
{
	size_t half;
	int fd;

	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		log_warn("create %s", name);
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) == -1) {
		log_warn("chmod %s", name);
		goto fail;
	}
	/* the index is written in two halves, to test a crash in between */
	half = strcmp(name, "index.tmp") == 0 ? len / 2 : len;
	if (write_all(fd, data, half) == -1)
		goto fail_write;
	if (half != len)
		ca_crashpoint("index-write");
	if (write_all(fd, (const char *)data + half, len - half) == -1 ||
	    fsync(fd) == -1)
		goto fail_write;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_write;
	}
	return 0;
fail_write:
	log_warn("write %s", name);
fail:
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, name, 0);
	return -1;
}

/* Atomically replace name with new contents: name.tmp, fsync, rename. */
int
ca_file_replace(int dirfd, const char *name, const void *data, size_t len,
    int mode)
{
	char tmp[NAME_MAX + 1];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp)) {
		log_warnx("%s: name too long", name);
		return -1;
	}
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT) {
		log_warn("unlink %s", tmp);
		return -1;
	}
	if (ca_file_write_excl(dirfd, tmp, data, len, mode) == -1)
		return -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		log_warn("rename %s", tmp);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return ca_fsync_dir(dirfd);
}

int
ca_index_load(struct ca_dir *d, struct ca_index *idx)
{
	char err[300], *buf;
	size_t len;
	int r;

	if (ca_file_read(d->fd, "index", CA_INDEX_MAX, &buf, &len) == -1)
		return -1;
	r = ca_index_parse(idx, buf, len, err, sizeof(err));
	if (r == -1)
		log_warnx("%s/index: %s", d->path, err);
	free(buf);
	return r;
}

int
ca_index_store(struct ca_dir *d, const struct ca_index *idx)
{
	char *buf;
	size_t len;
	int r;

	if (ca_index_format(idx, &buf, &len) == -1) {
		log_warn("index");
		return -1;
	}
	r = ca_file_replace(d->fd, "index", buf, len, CA_MODE_PUB);
	free(buf);
	if (r == 0)
		ca_crashpoint("commit");
	return r;
}

/* ca.crt and ca.key into ca; on failure ca_keys_free() frees what is there. */
int
ca_keys_load(struct ca_dir *d, struct ca_keys *ca)
{
	char *buf = NULL;
	size_t len;
	int r;

	memset(ca, 0, sizeof(*ca));
	if (ca_file_read(d->fd, "ca.crt", 1 << 20, &buf, &len) == -1)
		return -1;
	r = ca_keys_cert(ca, buf, len);
	free(buf);
	if (r == -1)
		return -1;
	if (ca_file_read(d->fd, "ca.key", 1 << 20, &buf, &len) == -1)
		return -1;
	r = ca_keys_key(ca, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

/*
 * Read a PKCS#12 passphrase: the first line of a file, or if path is NULL
 * $TESSERA_P12_PASS.  At most size - 1 bytes, not empty.
 */
int
ca_pass_read(const char *path, char *pass, size_t size)
{
	char *buf = NULL, *nl;
	const char *src;
	size_t len, flen = 0;

	if (path != NULL) {
		if (ca_file_read(AT_FDCWD, path, 4096, &buf, &flen) == -1)
			return -1;
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		src = buf;
	} else if ((src = getenv("TESSERA_P12_PASS")) == NULL) {
		log_warnx("--p12 needs a passphrase: --pass-file FILE or "
			  "TESSERA_P12_PASS");
		return -1;
	}
	len = strlen(src);
	if (len == 0 || len >= size) {
		log_warnx("the PKCS#12 passphrase must be 1 to %zu bytes",
		    size - 1);
		len = 0;
	} else
		memcpy(pass, src, len + 1);
	if (buf != NULL) {
		explicit_bzero(buf, flen);
		free(buf);
	}
	return len ? 0 : -1;
}

/* --- recovery --- */

struct ca_names {
	char **v;
	size_t n;
};

static void
names_free(struct ca_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
ca_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The names in dirfd that end in suffix. */
static int
list_suffix(int dirfd, const char *suffix, struct ca_names *l)
{
	struct dirent *de;
	char **v;
	DIR *dir;
	int fd, r = -1;

	memset(l, 0, sizeof(*l));
	if ((fd = dup(dirfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("opendir");
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(dir);
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (!ca_has_suffix(de->d_name, suffix))
			continue;
		if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL)
			goto out;
		l->v = v;
		if ((l->v[l->n] = strdup(de->d_name)) == NULL)
			goto out;
		l->n++;
	}
	if (errno == 0)
		r = 0;
out:
	if (r == -1) {
		log_warn("readdir");
		names_free(l);
	}
	closedir(dir);
	return r;
}

static int
unlink_all(int dirfd, const char *where, const struct ca_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (unlinkat(dirfd, l->v[i], 0) == -1 && errno != ENOENT) {
			log_warn("unlink %s%s", where, l->v[i]);
			return -1;
		}
		log_warnx("removed %s%s, left by an interrupted run", where,
		    l->v[i]);
	}
	return 0;
}

/* Does issued/NAME.crt.tmp hold the certificate the index has for NAME? */
static bool
committed(struct ca_dir *d, const struct ca_index *idx, const char *crttmp,
    const char *name)
{
	unsigned char serial[CA_SERIAL_LEN];
	const struct ca_entry *e;
	size_t len;
	char *buf;
	int r;

	if ((e = ca_index_current(idx, name)) == NULL)
		return false;
	if (ca_file_read(d->issued, crttmp, 1 << 20, &buf, &len) == -1)
		return false;
	r = ca_cert_serial(buf, len, serial);
	free(buf);
	return r == 0 && memcmp(serial, e->serial, CA_SERIAL_LEN) == 0;
}

/* Rename NAME.{key,p12,crt}.tmp into place, certificate last. */
static int
roll_forward(struct ca_dir *d, const char *name)
{
	static const char *exts[] = { "key", "p12", "crt" };
	char from[NAME_MAX + 1], to[NAME_MAX + 1];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s.%s.tmp", name, exts[i]);
		snprintf(to, sizeof(to), "%s.%s", name, exts[i]);
		if (renameat(d->issued, from, d->issued, to) == -1 &&
		    errno != ENOENT) {
			log_warn("rename issued/%s", from);
			return -1;
		}
	}
	log_warnx("completed the interrupted issue of %s", name);
	return 0;
}

/*
 * Called under the lock, before a command that writes.  A run that died
 * before its commit (the rename of index) leaves *.tmp files: remove them.
 * One that died after it may leave issued/NAME.*.tmp that the index
 * already names (the certificate's serial is the index's): move them into
 * place.  The certificate is staged first and published last, so any
 * leftover set that matters includes NAME.crt.tmp.
 */
int
ca_recover(struct ca_dir *d, const struct ca_index *idx)
{
	struct ca_names l;
	char name[CA_NAME_MAX + 1];
	size_t i, n;
	int r = -1;

	if (list_suffix(d->fd, ".tmp", &l) == -1)
		return -1;
	r = unlink_all(d->fd, "", &l);
	names_free(&l);
	if (r == -1 || list_suffix(d->archive, ".tmp", &l) == -1)
		return -1;
	r = unlink_all(d->archive, "archive/", &l);
	names_free(&l);
	if (r == -1 || list_suffix(d->issued, ".crt.tmp", &l) == -1)
		return -1;
	for (i = 0; i < l.n && r == 0; i++) {
		n = strlen(l.v[i]) - strlen(".crt.tmp");
		if (n >= sizeof(name))
			continue;
		memcpy(name, l.v[i], n);
		name[n] = '\0';
		if (ca_name_valid(name) && committed(d, idx, l.v[i], name))
			r = roll_forward(d, name);
	}
	names_free(&l);
	/* what is left was never committed */
	if (r == -1 || list_suffix(d->issued, ".tmp", &l) == -1)
		return -1;
	r = unlink_all(d->issued, "issued/", &l);
	names_free(&l);
	if (r == 0)
		r = ca_fsync_dir(d->issued);
	return r;
}
