#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../vm-manager/store.h"
#include "../lib/tap.h"

static void
mkqube(struct vmd_qube *q, const char *name, enum vmd_class c,
    const char *label, const char *tmpl)
{
	static int n;

	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->uuid, sizeof(q->uuid), "00000000-0000-4000-8000-%012d",
	    ++n);
	q->klass = c;
	tsr_label_parse(label, &q->label);
	snprintf(q->template_name, sizeof(q->template_name), "%s", tmpl);
	q->memory_mib = 256;
	q->vcpus = 1;
	snprintf(q->kernel, sizeof(q->kernel), "/k");
	snprintf(q->kernel_opts, sizeof(q->kernel_opts), "quiet 'x'");
}

static int
count_cb(const struct vmd_qube *q, enum vmd_qstate st, void *arg)
{
	char *names = arg;

	(void)st;
	strcat(names, q->name);
	strcat(names, " ");
	return 0;
}

/*
 * A store as the first schema's code wrote it (schema 1, columns written
 * out by hand, not by the property table), with every property set: the
 * current code must read it all back, and write it in the same columns.
 */
static void
old_store(const char *dir)
{
	static const char *const sql =
	    "PRAGMA user_version = 1;"
	    "CREATE TABLE qubes (name TEXT PRIMARY KEY,"
	    "  uuid TEXT NOT NULL UNIQUE, class TEXT NOT NULL"
	    "  CHECK (class IN ('template','app','disposable','standalone')),"
	    "  label TEXT NOT NULL,"
	    "  template TEXT REFERENCES qubes(name) ON DELETE RESTRICT,"
	    "  memory_mib INTEGER NOT NULL CHECK (memory_mib > 0),"
	    "  vcpus INTEGER NOT NULL CHECK (vcpus > 0),"
	    "  kernel TEXT NOT NULL DEFAULT '', initrd TEXT NOT NULL DEFAULT '',"
	    "  kernel_opts TEXT NOT NULL DEFAULT '',"
	    "  autostart INTEGER NOT NULL DEFAULT 0,"
	    "  default_dispvm TEXT NOT NULL DEFAULT '',"
	    "  state TEXT NOT NULL DEFAULT 'creating'"
	    "  CHECK (state IN ('creating','ready','removing')));"
	    "CREATE TABLE tags (qube TEXT NOT NULL REFERENCES qubes(name)"
	    "  ON DELETE CASCADE, tag TEXT NOT NULL, PRIMARY KEY (qube, tag));"
	    "INSERT INTO qubes VALUES ('debian',"
	    "  '00000000-0000-4000-8000-000000000001', 'template', 'black',"
	    "  NULL, 512, 2, '/k', '/i', 'console=hvc0', 0, '', 'ready');"
	    "INSERT INTO qubes VALUES ('work',"
	    "  '00000000-0000-4000-8000-000000000002', 'app', '#123456',"
	    "  'debian', 300, 3, '', '', 'quiet', 1, 'debian', 'ready');"
	    "INSERT INTO tags VALUES ('work', 'lab'), ('work', 'b');";
	char path[512], err[256], *msg = NULL;
	struct vmd_store *s;
	struct vmd_qube q;
	enum vmd_qstate st;
	sqlite3 *db;
	int n = -1;

	snprintf(path, sizeof(path), "%s/old-store.db", dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		diag("making the old store: %s", msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	s = vmd_store_open(path, err, sizeof(err));
	if (!ok(s != NULL, "a schema 1 store opens (%s)", s ? "ok" : err))
		return;
	ok(vmd_store_get(s, "work", &q, &st) == 1 && st == VMD_Q_READY,
	    "its qube is there");
	ok(strcmp(q.uuid, "00000000-0000-4000-8000-000000000002") == 0 &&
		q.klass == VMD_CLASS_APP && q.label.rgb == 0x123456 &&
		strcmp(q.template_name, "debian") == 0 && q.memory_mib == 300 &&
		q.vcpus == 3 && q.kernel[0] == '\0' && q.initrd[0] == '\0' &&
		strcmp(q.kernel_opts, "quiet") == 0 && q.autostart == 1 &&
		strcmp(q.default_dispvm, "debian") == 0 && q.ntags == 2 &&
		strcmp(q.tags[0], "b") == 0 && strcmp(q.tags[1], "lab") == 0,
	    "with every property");
	ok(vmd_store_get(s, "debian", &q, &st) == 1 &&
		q.klass == VMD_CLASS_TEMPLATE && q.template_name[0] == '\0' &&
		strcmp(q.kernel, "/k") == 0 && strcmp(q.initrd, "/i") == 0 &&
		strcmp(q.kernel_opts, "console=hvc0") == 0 &&
		q.memory_mib == 512,
	    "and so is its template");
	q.vcpus = 4;
	ok(vmd_store_update(s, &q, err, sizeof(err)) == 0, "an update");
	vmd_store_close(s);
	if (sqlite3_open(path, &db) == SQLITE_OK) {
		sqlite3_stmt *stm;
		if (sqlite3_prepare_v2(db,
			"SELECT vcpus FROM qubes WHERE "
			"name = 'debian' AND template IS NULL",
			-1, &stm, NULL) == SQLITE_OK &&
		    sqlite3_step(stm) == SQLITE_ROW)
			n = sqlite3_column_int(stm, 0);
		sqlite3_finalize(stm);
		sqlite3_close(db);
	}
	is_int(n, 4, "goes to the old columns (no template is NULL)");
	unlink(path);
}

int
main(void)
{
	const char *tmp = getenv("TSR_TMP");
	char path[512], err[256], names[512] = "", dname[16];
	struct vmd_store *s;
	struct vmd_qube q, got;
	enum vmd_qstate st;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/store.db", tmp ? tmp : "/tmp");
	unlink(path);
	s = vmd_store_open(path, err, sizeof(err));
	ok(s != NULL, "open a new store (%s)", s ? "ok" : err);
	if (s == NULL)
		return done_testing();
	is_int(vmd_store_schema(s), VMD_STORE_SCHEMA, "schema version set");

	mkqube(&q, "debian", VMD_CLASS_TEMPLATE, "black", "");
	ok(vmd_store_insert(s, &q, err, sizeof(err)) == 0, "insert template");
	ok(vmd_store_get(s, "debian", &got, &st) == 1 && st == VMD_Q_CREATING,
	    "a new qube is 'creating'");
	ok(vmd_store_set_state(s, "debian", VMD_Q_READY) == 0, "mark ready");
	mkqube(&q, "work", VMD_CLASS_APP, "blue", "debian");
	q.ntags = 2;
	strcpy(q.tags[0], "lab");
	strcpy(q.tags[1], "audio");
	ok(vmd_store_insert(s, &q, err, sizeof(err)) == 0, "insert app qube");
	q.uuid[0] = 'f';
	ok(vmd_store_insert(s, &q, err, sizeof(err)) == -1 && errno == EEXIST,
	    "a second qube of the same name is refused");
	is_str(err, "qube work already exists", "with a clear error");
	mkqube(&q, "orphan", VMD_CLASS_APP, "red", "nosuch");
	ok(vmd_store_insert(s, &q, err, sizeof(err)) == -1,
	    "an app qube of a missing template is refused");

	ok(vmd_store_get(s, "work", &got, &st) == 1, "get work");
	ok(strcmp(got.label.name, "blue") == 0 && got.label.rgb == 0x3465a4 &&
		got.klass == VMD_CLASS_APP &&
		strcmp(got.template_name, "debian") == 0 &&
		strcmp(got.kernel_opts, "quiet 'x'") == 0 &&
		got.memory_mib == 256,
	    "properties round-trip");
	ok(got.ntags == 2 && strcmp(got.tags[0], "audio") == 0 &&
		strcmp(got.tags[1], "lab") == 0,
	    "tags round-trip, sorted");
	is_int(vmd_store_get(s, "nosuch", &got, &st), 0, "get a missing qube");

	got.label = tsr_labels[0];
	got.ntags = 0;
	ok(vmd_store_update(s, &got, err, sizeof(err)) == 0, "update");
	ok(vmd_store_get(s, "work", &got, NULL) == 1 &&
		got.label.rgb == 0xcc0000 && got.ntags == 0,
	    "update stored label and tags");

	is_int(vmd_store_template_users(s, "debian"), 1,
	    "template has one user");
	ok(vmd_store_delete(s, "debian") == -1, "a template in use cannot go");
	ok(vmd_store_get(s, "debian", &got, NULL) == 1, "and is still there");

	ok(vmd_store_next_disp_name(s, dname, sizeof(dname)) == 0 &&
		strcmp(dname, "disp1") == 0,
	    "first disposable name disp1");
	mkqube(&q, "disp1", VMD_CLASS_DISPOSABLE, "red", "debian");
	vmd_store_insert(s, &q, err, sizeof(err));
	ok(vmd_store_next_disp_name(s, dname, sizeof(dname)) == 0 &&
		strcmp(dname, "disp2") == 0,
	    "next disposable name disp2");

	ok(vmd_store_foreach(s, count_cb, names) == 0 &&
		strcmp(names, "debian disp1 work ") == 0,
	    "foreach in name order");
	ok(vmd_store_delete(s, "work") == 0 &&
		vmd_store_delete(s, "disp1") == 0 &&
		vmd_store_delete(s, "debian") == 0,
	    "delete all");
	ok(vmd_store_delete(s, "work") == -1 && errno == ENOENT,
	    "delete a missing qube");
	vmd_store_close(s);

	/* A store from a newer program is refused, not damaged. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	s = vmd_store_open(path, err, sizeof(err));
	ok(s == NULL && strstr(err, "newer") != NULL,
	    "a newer schema is refused (%s)", err);
	vmd_store_close(s);

	/* Garbage in place of the database. */
	{
		FILE *f = fopen(path, "w");
		fputs("this is not a database, just some text\n", f);
		fclose(f);
		unlink(strcat(strcpy(err, path), "-wal"));
		s = vmd_store_open(path, err, sizeof(err));
		ok(s == NULL, "a corrupt store is refused (%s)", err);
		vmd_store_close(s);
	}
	old_store(tmp ? tmp : "/tmp");
	return done_testing();
}
