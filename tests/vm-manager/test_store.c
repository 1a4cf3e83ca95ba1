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
	snprintf(q->uuid, sizeof(q->uuid),
	    "00000000-0000-4000-8000-%012d", ++n);
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
	    got.klass == VMD_CLASS_APP && strcmp(got.template_name, "debian") == 0 &&
	    strcmp(got.kernel_opts, "quiet 'x'") == 0 && got.memory_mib == 256,
	    "properties round-trip");
	ok(got.ntags == 2 && strcmp(got.tags[0], "audio") == 0 &&
	    strcmp(got.tags[1], "lab") == 0, "tags round-trip, sorted");
	is_int(vmd_store_get(s, "nosuch", &got, &st), 0, "get a missing qube");

	got.label = tsr_labels[0];
	got.ntags = 0;
	ok(vmd_store_update(s, &got, err, sizeof(err)) == 0, "update");
	ok(vmd_store_get(s, "work", &got, NULL) == 1 && got.label.rgb == 0xcc0000
	    && got.ntags == 0, "update stored label and tags");

	is_int(vmd_store_template_users(s, "debian"), 1, "template has one user");
	ok(vmd_store_delete(s, "debian") == -1, "a template in use cannot go");
	ok(vmd_store_get(s, "debian", &got, NULL) == 1, "and is still there");

	ok(vmd_store_next_disp_name(s, dname, sizeof(dname)) == 0 &&
	    strcmp(dname, "disp1") == 0, "first disposable name disp1");
	mkqube(&q, "disp1", VMD_CLASS_DISPOSABLE, "red", "debian");
	vmd_store_insert(s, &q, err, sizeof(err));
	ok(vmd_store_next_disp_name(s, dname, sizeof(dname)) == 0 &&
	    strcmp(dname, "disp2") == 0, "next disposable name disp2");

	ok(vmd_store_foreach(s, count_cb, names) == 0 &&
	    strcmp(names, "debian disp1 work ") == 0, "foreach in name order");
	ok(vmd_store_delete(s, "work") == 0 && vmd_store_delete(s, "disp1") == 0
	    && vmd_store_delete(s, "debian") == 0, "delete all");
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
	return done_testing();
}
