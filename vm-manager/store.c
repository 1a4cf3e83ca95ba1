/*
 * The qube store in SQLite (see store.h): a qube's row has one column per
 * stored property of the table in props.c, bound and read through it;
 * its tags are rows of their own table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "props.h"
#include "store.h"

struct vmd_store {
	sqlite3 *db;
	/* made from the property table (props.c) when the store opens */
	char insert_sql[1024];
	char update_sql[1024];
	char select_sql[1024];
};

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1.
 * Never edit one that has shipped; append a new one.
 */
static const char *const migrations[] = {
	"CREATE TABLE qubes ("
	"  name TEXT PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  class TEXT NOT NULL"
	"    CHECK (class IN ('template','app','disposable','standalone')),"
	"  label TEXT NOT NULL,"
	"  template TEXT REFERENCES qubes(name) ON DELETE RESTRICT,"
	"  memory_mib INTEGER NOT NULL CHECK (memory_mib > 0),"
	"  vcpus INTEGER NOT NULL CHECK (vcpus > 0),"
	"  kernel TEXT NOT NULL DEFAULT '',"
	"  initrd TEXT NOT NULL DEFAULT '',"
	"  kernel_opts TEXT NOT NULL DEFAULT '',"
	"  autostart INTEGER NOT NULL DEFAULT 0,"
	"  default_dispvm TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'creating'"
	"    CHECK (state IN ('creating','ready','removing'))"
	");"
	"CREATE TABLE tags ("
	"  qube TEXT NOT NULL REFERENCES qubes(name) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (qube, tag)"
	");",
};

static const char *const qstate_names[] = {
	[VMD_Q_CREATING] = "creating",
	[VMD_Q_READY] = "ready",
	[VMD_Q_REMOVING] = "removing",
};

const char *
vmd_qstate_name(enum vmd_qstate s)
{
	return (unsigned)s < 3 ? qstate_names[s] : "?";
}

static int
qstate_parse(const char *s, enum vmd_qstate *st)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, qstate_names[i]) == 0) {
			*st = (enum vmd_qstate)i;
			return 0;
		}
	return -1;
}

static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v = user_version(db);
	char sql[64];

	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v > VMD_STORE_SCHEMA) {
		snprintf(err, errlen,
		    "store has schema %d, newer than this "
		    "program's %d",
		    v, VMD_STORE_SCHEMA);
		return -1;
	}
	for (; v < VMD_STORE_SCHEMA; v++) {
		if (exec_sql(db, "BEGIN IMMEDIATE", err, errlen) == -1)
			return -1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(db, migrations[v], err, errlen) == -1 ||
		    exec_sql(db, sql, err, errlen) == -1 ||
		    exec_sql(db, "COMMIT", err, errlen) == -1) {
			exec_sql(db, "ROLLBACK", NULL, 0);
			return -1;
		}
	}
	return 0;
}

/* Appends to buf; -1 when it does not fit. */
static int
append(char *buf, size_t bufsz, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, bufsz - len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= bufsz - len ? -1 : 0;
}

/*
 * The statements that write and read a qube, one column per stored row of
 * the property table, in table order: parameter ?N and result column N-1
 * are the N-th stored property; the name comes first, so it is ?1.
 */
static int
make_sql(struct vmd_store *s)
{
	const struct vmd_prop *p;
	char *ins = s->insert_sql, *upd = s->update_sql, *sel = s->select_sql;
	size_t i, sz = sizeof(s->insert_sql);
	int n = 0, rc = 0;

	rc |= append(ins, sz, "INSERT INTO qubes (");
	rc |= append(upd, sz, "UPDATE qubes SET ");
	rc |= append(sel, sz, "SELECT ");
	for (i = 0; i < vmd_nprops; i++) {
		p = &vmd_props[i];
		if (p->column == NULL)
			continue;
		n++;
		rc |= append(ins, sz, "%s, ", p->column);
		rc |= append(sel, sz, "%s, ", p->column);
		if (!(p->flags & VMD_PF_KEY))
			rc |= append(upd, sz, "%s%s = ?%d",
			    upd[strlen(upd) - 1] == ' ' ? "" : ", ", p->column,
			    n);
	}
	rc |= append(ins, sz, "state) VALUES (");
	for (i = 1; i <= (size_t)n; i++)
		rc |= append(ins, sz, "?%zu, ", i);
	rc |= append(ins, sz, "'creating')");
	rc |= append(upd, sz, " WHERE name = ?1");
	rc |= append(sel, sz, "state FROM qubes ");
	return rc ? -1 : 0;
}

struct vmd_store *
vmd_store_open(const char *path, char *err, size_t errlen)
{
	struct vmd_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_FULLMUTEX,
		NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	if (make_sql(s) == -1) {
		snprintf(err, errlen,
		    "the property table makes too long a "
		    "statement");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL + FULL: a committed transaction survives a crash or power loss. */
	if (exec_sql(s->db, "PRAGMA journal_mode = WAL", err, errlen) == -1 ||
	    exec_sql(s->db, "PRAGMA synchronous = FULL", err, errlen) == -1 ||
	    exec_sql(s->db, "PRAGMA foreign_keys = ON", err, errlen) == -1 ||
	    migrate(s->db, err, errlen) == -1)
		goto fail;
	return s;
fail:
	vmd_store_close(s);
	return NULL;
}

void
vmd_store_close(struct vmd_store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

int
vmd_store_schema(struct vmd_store *s)
{
	return user_version(s->db);
}

static void
bind_props(sqlite3_stmt *st, const struct vmd_qube *q)
{
	const struct vmd_prop *p;
	const char *field;
	size_t i;
	int n = 0;

	for (i = 0; i < vmd_nprops; i++) {
		p = &vmd_props[i];
		if (p->column == NULL)
			continue;
		field = (const char *)q + p->off;
		n++;
		switch (p->type) {
		case VMD_PT_CLASS:
			field = vmd_class_name(q->klass);
			break;
		case VMD_PT_LABEL:
			field = ((const struct tsr_label *)field)->name;
			break;
		case VMD_PT_UINT:
			sqlite3_bind_int64(st, n, *(const uint32_t *)field);
			continue;
		case VMD_PT_BOOL:
			sqlite3_bind_int(st, n, *(const int *)field ? 1 : 0);
			continue;
		default:
			break;
		}
		if ((p->flags & VMD_PF_NULL) && field[0] == '\0')
			sqlite3_bind_null(st, n);
		else
			sqlite3_bind_text(st, n, field, -1, SQLITE_STATIC);
	}
}

static int
write_tags(sqlite3 *db, const struct vmd_qube *q, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int i, rc = -1;

	if (sqlite3_prepare_v2(db, "DELETE FROM tags WHERE qube = ?", -1, &st,
		NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO tags VALUES (?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < q->ntags; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q->tags[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int
vmd_store_insert(struct vmd_store *s, const struct vmd_qube *q, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (exec_sql(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM qubes WHERE name = ?", -1,
		&st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(err, errlen, "qube %s already exists", q->name);
		errno = EEXIST;
		goto fail_quiet;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, s->insert_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	bind_props(st, q);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (write_tags(s->db, q, err, errlen) == -1)
		goto fail_quiet;
	if (exec_sql(s->db, "COMMIT", err, errlen) == -1)
		goto fail_quiet;
	return 0;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
	errno = EIO;
fail_quiet:
	sqlite3_finalize(st);
	exec_sql(s->db, "ROLLBACK", NULL, 0);
	return -1;
}

int
vmd_store_update(struct vmd_store *s, const struct vmd_qube *q, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (exec_sql(s->db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, s->update_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	bind_props(st, q);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		snprintf(err, errlen, "no qube %s", q->name);
		errno = ENOENT;
		goto fail_quiet;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (write_tags(s->db, q, err, errlen) == -1 ||
	    exec_sql(s->db, "COMMIT", err, errlen) == -1)
		goto fail_quiet;
	return 0;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
	errno = EIO;
fail_quiet:
	sqlite3_finalize(st);
	exec_sql(s->db, "ROLLBACK", NULL, 0);
	return -1;
}

static int
exec_name(struct vmd_store *s, const char *sql, const char *name,
    const char *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (arg)
		sqlite3_bind_text(st, 2, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		errno = rc == SQLITE_CONSTRAINT ? EBUSY : EIO;
		return -1;
	}
	if (sqlite3_changes(s->db) != 1) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
vmd_store_set_state(struct vmd_store *s, const char *name, enum vmd_qstate st)
{
	return exec_name(s, "UPDATE qubes SET state = ?2 WHERE name = ?1", name,
	    vmd_qstate_name(st));
}

int
vmd_store_delete(struct vmd_store *s, const char *name)
{
	/* tags go with ON DELETE CASCADE; a template in use is RESTRICTed */
	return exec_name(s, "DELETE FROM qubes WHERE name = ?1", name, NULL);
}

static void
copy_col(char *dst, size_t dstsz, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(dst, dstsz, "%s", v ? (const char *)v : "");
}

static int
row_to_qube(struct vmd_store *s, sqlite3_stmt *st, struct vmd_qube *q,
    enum vmd_qstate *qs)
{
	const struct vmd_prop *p;
	sqlite3_stmt *tst;
	char buf[64], *field;
	size_t i;
	int col = 0;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < vmd_nprops; i++) {
		p = &vmd_props[i];
		if (p->column == NULL)
			continue;
		field = (char *)q + p->off;
		switch (p->type) {
		case VMD_PT_CLASS:
			copy_col(buf, sizeof(buf), st, col);
			if (vmd_class_parse(buf, &q->klass) == -1)
				return -1;
			break;
		case VMD_PT_LABEL:
			copy_col(buf, sizeof(buf), st, col);
			if (tsr_label_parse(buf, (struct tsr_label *)field) ==
			    -1)
				return -1;
			break;
		case VMD_PT_UINT:
			*(uint32_t *)field =
			    (uint32_t)sqlite3_column_int64(st, col);
			break;
		case VMD_PT_BOOL:
			*(int *)field = sqlite3_column_int(st, col);
			break;
		default:
			copy_col(field, p->size, st, col);
			break;
		}
		col++;
	}
	copy_col(buf, sizeof(buf), st, col);
	if (qstate_parse(buf, qs) == -1)
		return -1;

	if (sqlite3_prepare_v2(s->db,
		"SELECT tag FROM tags WHERE qube = ? "
		"ORDER BY tag",
		-1, &tst, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(tst, 1, q->name, -1, SQLITE_STATIC);
	while (sqlite3_step(tst) == SQLITE_ROW && q->ntags < VMD_TAGS_MAX) {
		copy_col(q->tags[q->ntags], sizeof(q->tags[0]), tst, 0);
		q->ntags++;
	}
	sqlite3_finalize(tst);
	return 0;
}

int
vmd_store_get(struct vmd_store *s, const char *name, struct vmd_qube *q,
    enum vmd_qstate *qs)
{
	char sql[sizeof(s->select_sql) + 32];
	sqlite3_stmt *st;
	enum vmd_qstate dummy;
	int rc, found = -1;

	snprintf(sql, sizeof(sql), "%sWHERE name = ?", s->select_sql);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		found = 0;
	else if (rc == SQLITE_ROW)
		found = row_to_qube(s, st, q, qs ? qs : &dummy) == 0 ? 1 : -1;
	sqlite3_finalize(st);
	return found;
}

int
vmd_store_foreach(struct vmd_store *s,
    int (*fn)(const struct vmd_qube *, enum vmd_qstate, void *), void *arg)
{
	char sql[sizeof(s->select_sql) + 32];
	sqlite3_stmt *st;
	struct vmd_qube *q;
	enum vmd_qstate qs;
	int rc, ret = 0;

	if ((q = malloc(sizeof(*q))) == NULL)
		return -1;

	snprintf(sql, sizeof(sql), "%sORDER BY name", s->select_sql);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		free(q);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_to_qube(s, st, q, &qs) == -1) {
			ret = -1;
			break;
		}
		if (fn(q, qs, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = -1;
	sqlite3_finalize(st);
	free(q);
	return ret;
}

struct names {
	int (*want)(const struct vmd_qube *, enum vmd_qstate, void *);
	void *arg;
	vmd_name *v;
	size_t n, cap;
};

static int
names_one(const struct vmd_qube *q, enum vmd_qstate st, void *arg)
{
	struct names *l = arg;
	void *nv;

	if (!l->want(q, st, l->arg))
		return 0;
	if (l->n == l->cap) {
		if ((nv = realloc(l->v,
			 (l->cap ? l->cap * 2 : 16) * sizeof(*l->v))) == NULL)
			return 1;
		l->v = nv;
		l->cap = l->cap ? l->cap * 2 : 16;
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", q->name);
	return 0;
}

vmd_name *
vmd_store_names(struct vmd_store *s,
    int (*want)(const struct vmd_qube *, enum vmd_qstate, void *), void *arg,
    size_t *n)
{
	struct names l = { .want = want, .arg = arg };

	vmd_store_foreach(s, names_one, &l);
	*n = l.n;
	return l.v;
}

int
vmd_store_template_users(struct vmd_store *s, const char *name)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(s->db,
		"SELECT count(*) FROM qubes WHERE "
		"template = ? OR default_dispvm = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
vmd_store_next_disp_name(struct vmd_store *s, char *name, size_t namesz)
{
	sqlite3_stmt *st;
	int n, rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM qubes WHERE name = ?", -1,
		&st, NULL) != SQLITE_OK)
		return -1;
	for (n = 1; n <= 9999; n++) {
		snprintf(name, namesz, "disp%d", n);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_finalize(st);
			return 0;
		}
		if (rc != SQLITE_ROW)
			break;
	}
	sqlite3_finalize(st);
	errno = ENOSPC;
	return -1;
}
