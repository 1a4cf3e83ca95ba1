/*
 * Admin API policy: parsing, every error with its file:line, matching
 * (first match, default deny, each caller and target form) and loading a
 * policy.d directory in lexical order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "../lib/tap.h"

static struct vmd_policy *
load(const char *text, char *err, size_t errlen)
{
	return vmd_policy_load_buf("t.policy", text, strlen(text), err, errlen);
}

/* --- callers and targets ------------------------------------------------ */

static const char *const alice_groups[] = { "alice", "lab", "wheel" };
static const struct vmd_caller alice = {
	.kind = VMD_CALLER_UNIX,
	.uid = 1000,
	.gid = 1000,
	.user = "alice",
	.groups = alice_groups,
	.ngroups = 3,
};
static const char *const bob_groups[] = { "bob" };
static const struct vmd_caller bob = {
	.kind = VMD_CALLER_UNIX,
	.uid = 1001,
	.gid = 1001,
	.user = "bob",
	.groups = bob_groups,
	.ngroups = 1,
};
static const struct vmd_caller nameless = {
	.kind = VMD_CALLER_UNIX,
	.uid = 4242,
	.gid = 4242,
};
static const struct vmd_caller term3 = {
	.kind = VMD_CALLER_CERT,
	.cn = "lab-terminal-3",
	.role = VMD_ROLE_VIEWER,
};
static const struct vmd_caller admin = {
	.kind = VMD_CALLER_CERT,
	.cn = "carol@example.org",
	.role = VMD_ROLE_ADMIN,
};
/* A certificate whose CN looks like a unix user: must not pass as one. */
static const struct vmd_caller cert_alice = {
	.kind = VMD_CALLER_CERT,
	.cn = "alice",
	.role = VMD_ROLE_NONE,
};
/* A password login at a render-server named like a unix user. */
static const struct vmd_caller login_bob = {
	.kind = VMD_CALLER_LOGIN,
	.user = "bob",
};

static const char *const work_tags[] = { "lab", "office" };
static struct vmd_target work, vault, custom_blue, host_named_null;
static const struct vmd_target red_x = {
	.name = "x",
	.label = { "red", 0xcc0000 },
};

static void
targets_init(void)
{
	work.name = "work";
	tsr_label_parse("blue", &work.label);
	work.tags = work_tags;
	work.ntags = 2;
	vault.name = "vault";
	tsr_label_parse("black", &vault.label);
	custom_blue.name = "blue-ish";
	tsr_label_parse("#3465A4", &custom_blue.label); /* same as blue */
	host_named_null.name = NULL;
	tsr_label_parse("red", &host_named_null.label);
}

/* --- matching ----------------------------------------------------------- */

static const char rules[] =
    "# Tessera test policy\n"
    "# METHOD CALLER TARGET ACTION\n"
    "\n"
    "vm.kill        user:bob        *               deny\n" /* 4 */
    "vm.*           user:bob        work            allow   # bob's\n"
    "label.list     *               @host           allow\n" /* 6 */
    "vm.start       group:lab       @tag:lab        allow\n"
    "display.*      role:viewer     @label:blue     allow\n" /* 8 */
    "vm.list        role:viewer     @host           allow\n"
    "*              role:admin      *               allow\n" /* 10 */
    "vm.get         cert:lab-terminal-3 vault       deny\n"
    "vm.get         role:viewer     *               allow\n" /* 12 */
    "vm.shutdown    user:alice      @label:#cc0000  allow\n"
    "vm.shutdown    user:alice      @label:black    deny\n" /* 14 */
    "	events.subscribe	*	*	allow\n"
    "vm.remove      cert:alice      *               allow\n" /* 16 */
    "vm.create      group:wheel     *               allow\n" /* 17 */
    "display.connect login:bob      work            allow";  /* 18, no \n */

static void
test_matching(void)
{
	static const struct {
		const char *method;
		const struct vmd_caller *caller;
		const struct vmd_target *target;
		int allow, line;
		const char *desc;
	} t[] = {
		{ "vm.kill", &bob, &work, 0, 4,
		    "first match wins: deny before bob's allow" },
		{ "vm.start", &bob, &work, 1, 5, "prefix vm.* and qube name" },
		{ "vm.start", &bob, &vault, 0, 0, "other qube: default deny" },
		{ "vm.start.x", &bob, &work, 1, 5,
		    "prefix covers deeper names" },
		{ "vmx.start", &bob, &work, 0, 0, "prefix stops at the dot" },
		{ "vm", &bob, &work, 0, 0, "prefix needs something after" },
		{ "label.list", &nameless, NULL, 1, 6, "@host for no target" },
		{ "label.list", &nameless, &host_named_null, 1, 6,
		    "@host for a target without a name" },
		{ "label.list", &nameless, &work, 0, 0,
		    "@host does not match a qube" },
		{ "vm.start", &alice, &work, 1, 7, "group and tag" },
		{ "vm.start", &alice, &vault, 0, 0, "untagged qube" },
		{ "vm.start", &bob, &vault, 0, 0, "not in the group" },
		{ "display.endpoint", &term3, &work, 1, 8, "role and label" },
		{ "display.endpoint", &term3, &custom_blue, 1, 8,
		    "a custom #3465a4 label is blue" },
		{ "display.endpoint", &term3, &vault, 0, 0, "other label" },
		{ "vm.list", &term3, NULL, 1, 9, "viewer on @host" },
		{ "vm.kill", &admin, &vault, 1, 10, "admin everything" },
		{ "vm.kill", &term3, &vault, 0, 0, "a viewer is not an admin" },
		{ "vm.get", &term3, &vault, 0, 11, "cert deny before role" },
		{ "vm.get", &term3, &work, 1, 12, "role allow after it" },
		{ "vm.get", &admin, &vault, 1, 10,
		    "an admin does not match role:viewer, role:admin first" },
		{ "vm.shutdown", &alice, &red_x, 1, 13,
		    "@label:#cc0000 is red" },
		{ "vm.shutdown", &alice, &vault, 0, 14, "@label:black deny" },
		{ "vm.shutdown", &alice, &work, 0, 0, "no label rule: deny" },
		{ "events.subscribe", &nameless, NULL, 1, 15,
		    "tabs separate fields; * matches @host" },
		{ "events.subscribe", &nameless, &vault, 1, 15,
		    "* matches any qube" },
		{ "vm.remove", &cert_alice, &work, 1, 16, "cert:alice" },
		{ "vm.remove", &alice, &work, 0, 0,
		    "unix user alice is not cert:alice" },
		{ "vm.create", &alice, &work, 1, 17, "group:wheel" },
		{ "display.connect", &login_bob, &work, 1, 18,
		    "last line without newline; login:bob" },
		{ "display.connect", &bob, &work, 0, 0,
		    "unix user bob is not login:bob" },
		{ "vm.start", &login_bob, &work, 0, 0,
		    "login:bob is not unix user bob" },
		{ "vm.create", &cert_alice, &work, 0, 0,
		    "a certificate is in no unix group" },
		{ "vm.kill", &nameless, &work, 0, 0,
		    "user:bob does not match a nameless uid" },
		{ "", &bob, &work, 0, 0, "empty method" },
	};
	struct vmd_policy_where w;
	struct vmd_policy *pol;
	char err[256] = "";
	size_t i;
	int line;

	pol = load(rules, err, sizeof(err));
	if (!ok(pol != NULL, "test policy loads"))
		diag("  %s", err);
	is_int(vmd_policy_nrules(pol), 15, "15 rules");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		line = -1;
		is_int(vmd_policy_check(pol, t[i].method, t[i].caller,
			   t[i].target, &line) *
			    1000 +
			line,
		    t[i].allow * 1000 + t[i].line, "%s %s: %s (line %d)",
		    t[i].method, t[i].allow ? "allowed" : "denied", t[i].desc,
		    t[i].line);
	}
	ok(vmd_policy_check_where(pol, "vm.kill", &bob, &work, &w) == 0 &&
		w.line == 4 && w.file != NULL &&
		strcmp(w.file, "t.policy") == 0,
	    "where: file and line of the deciding rule");
	ok(vmd_policy_check_where(pol, "zz.nope", &bob, &work, &w) == 0 &&
		w.line == 0 && w.file == NULL,
	    "where: default deny has none");
	ok(vmd_policy_check(pol, NULL, &bob, &work, NULL) == 0,
	    "NULL method denies");
	ok(vmd_policy_check(pol, "vm.start", NULL, &work, &line) == 0 &&
		line == 0,
	    "NULL caller denies");
	ok(vmd_policy_check(NULL, "vm.start", &bob, &work, &line) == 0 &&
		line == 0,
	    "NULL policy denies");
	vmd_policy_free(pol);
	vmd_policy_free(NULL);

	pol = load("", err, sizeof(err));
	ok(pol != NULL && vmd_policy_nrules(pol) == 0 &&
		vmd_policy_check(pol, "label.list", &alice, NULL, NULL) == 0,
	    "empty policy denies everything");
	vmd_policy_free(pol);
	pol =
	    load("# nothing\n\n   \n\t# indented comment\n", err, sizeof(err));
	ok(pol != NULL && vmd_policy_nrules(pol) == 0,
	    "comments and blank lines only");
	vmd_policy_free(pol);
	pol = load("* * * allow\n", err, sizeof(err));
	ok(pol != NULL &&
		vmd_policy_check(pol, "x.y", &nameless, NULL, NULL) == 1,
	    "* * * allow allows everything");
	vmd_policy_free(pol);
	pol = load("vm.start cert:a#b work#x allow\n", err, sizeof(err));
	ok(pol == NULL &&
		strcmp(err,
		    "t.policy:1: bad target 'work#x': "
		    "want a qube name, @label:COLOUR, @tag:TAG, @host or *") ==
		    0,
	    "# inside a field is not a comment");
	vmd_policy_free(pol);
	pol = load("vm.start cert:a#b work allow#x\n", err, sizeof(err));
	ok(pol == NULL, "... nor at the end of the action");
	vmd_policy_free(pol);
	pol = load("vm.start cert:a#b work allow #x\n", err, sizeof(err));
	ok(pol != NULL &&
		vmd_policy_check(pol, "vm.start",
		    &(struct vmd_caller){ .kind = VMD_CALLER_CERT,
			.cn = "a#b" },
		    &work, NULL) == 1,
	    "# after a blank starts a comment; "
	    "CN with #");
	vmd_policy_free(pol);
}

/* --- errors ------------------------------------------------------------- */

static void
test_errors(void)
{
	static char longline[1100], longok[1100], longtok[200];
	static const struct {
		const char *text;
		const char *want;
	} t[] = {
		{ "vm.start * * ask\n",
		    "t.policy:1: unknown action 'ask': want allow or deny" },
		{ "vm.start * * Allow\n",
		    "t.policy:1: unknown action 'Allow': want allow or deny" },
		{ "# c\n\nvm.start * *\n",
		    "t.policy:3: too few fields: want METHOD CALLER TARGET "
		    "allow|deny" },
		{ "vm.start\n",
		    "t.policy:1: too few fields: want METHOD CALLER TARGET "
		    "allow|deny" },
		{ "vm.start * * allow now\n",
		    "t.policy:1: too many fields: want METHOD CALLER TARGET "
		    "allow|deny" },
		{ "Vm.start * * allow\n",
		    "t.policy:1: bad method 'Vm.start': "
		    "want NAME.NAME, NAME.* or *" },
		{ "vm..start * * allow\n",
		    "t.policy:1: bad method "
		    "'vm..start': want NAME.NAME, NAME.* or *" },
		{ "vm. * * allow\n",
		    "t.policy:1: bad method 'vm.': want "
		    "NAME.NAME, NAME.* or *" },
		{ "vm* * * allow\n",
		    "t.policy:1: bad method 'vm*': want "
		    "NAME.NAME, NAME.* or *" },
		{ ".* * * allow\n",
		    "t.policy:1: bad method '.*': want "
		    "NAME.NAME, NAME.* or *" },
		{ "vm.st@rt * * allow\n",
		    "t.policy:1: bad method "
		    "'vm.st@rt': want NAME.NAME, NAME.* or *" },
		{ "vm.start alice * allow\n",
		    "t.policy:1: bad caller "
		    "'alice': want user:NAME, group:NAME, cert:CN, "
		    "role:viewer|admin, login:NAME or *" },
		{ "vm.start user: * allow\n",
		    "t.policy:1: bad caller "
		    "'user:': not a unix user or group name" },
		{ "vm.start user:-x * allow\n",
		    "t.policy:1: bad caller "
		    "'user:-x': not a unix user or group name" },
		{ "vm.start group:a/b * allow\n",
		    "t.policy:1: bad caller "
		    "'group:a/b': not a unix user or group name" },
		{ "vm.start user:abcdefghijabcdefghijabcdefghijabc * allow\n",
		    "t.policy:1: bad caller "
		    "'user:abcdefghijabcdefghijabcdefghijabc': not a unix "
		    "user or group name" },
		{ "vm.start cert: * allow\n",
		    "t.policy:1: bad caller "
		    "'cert:': common name empty or over 64 bytes" },
		{ "vm.start role:root * allow\n",
		    "t.policy:1: bad caller "
		    "'role:root': role is viewer or admin" },
		{ "vm.start * Work allow\n",
		    "t.policy:1: bad target 'Work': "
		    "want a qube name, @label:COLOUR, @tag:TAG, @host or *" },
		{ "vm.start * @dom0 allow\n",
		    "t.policy:1: bad target "
		    "'@dom0': want a qube name, @label:COLOUR, @tag:TAG, "
		    "@host or *" },
		{ "vm.start * @label:white allow\n",
		    "t.policy:1: bad target "
		    "'@label:white': not a label name or #rrggbb" },
		{ "vm.start * @label:#12345g allow\n",
		    "t.policy:1: bad "
		    "target '@label:#12345g': not a label name or #rrggbb" },
		{ "vm.start * @tag: allow\n",
		    "t.policy:1: bad target "
		    "'@tag:': tag is 1-31 of [A-Za-z0-9_.-]" },
		{ "vm.start * @tag:a:b allow\n",
		    "t.policy:1: bad target "
		    "'@tag:a:b': tag is 1-31 of [A-Za-z0-9_.-]" },
		{ "vm.start * abcdefghijabcdefghijabcdefghijab allow\n",
		    "t.policy:1: bad target "
		    "'abcdefghijabcdefghijabcdefghijab': want a qube name, "
		    "@label:COLOUR, @tag:TAG, @host or *" },
		{ "* * * allow\r\n", "t.policy:1: control character 0x0d" },
		{ "* * * allow\n\x1b[31m\n",
		    "t.policy:2: control character 0x1b" },
		{ "* * * deny\n* * * allow\x7f\n",
		    "t.policy:2: control character 0x7f" },
		{ "* * caf\xc3\xa9 allow\n",
		    "t.policy:1: non-ASCII byte 0xc3" },
		{ longline, "t.policy:2: line longer than 1024 bytes" },
		{ longtok, NULL }, /* filled in below */
	};
	struct vmd_policy *pol;
	char err[512], want[512];
	size_t i;

	/* line 2: 1025 bytes; a comment is no excuse */
	memset(longline, ' ', 2 + 1025);
	memcpy(longline, "#\n#", 3);
	memcpy(longline + 2 + 1025, "\n", 2);
	/* exactly 1024 bytes: fine */
	memset(longok, ' ', 1024);
	memcpy(longok, "* * * allow", 11);
	longok[1024] = '\0';
	/* a long token is cut short in the message */
	memset(longtok, 'a', 150);
	memcpy(longtok, "vm.", 3);
	memcpy(longtok + 150, " * * allow\n", 12);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *w = t[i].want;

		if (t[i].text == longtok) {
			snprintf(want, sizeof(want),
			    "t.policy:1: bad method "
			    "'%.64s...': want NAME.NAME, NAME.* or *",
			    longtok);
			w = want;
		}
		err[0] = '\0';
		pol = load(t[i].text, err, sizeof(err));
		if (!ok(pol == NULL && strcmp(err, w) == 0, "error: %s", w))
			diag("  got \"%s\"", err);
		vmd_policy_free(pol);
	}

	pol = vmd_policy_load_buf("t.policy", "* * * allow\n\0\n", 14, err,
	    sizeof(err));
	ok(pol == NULL && strcmp(err, "t.policy:2: NUL byte") == 0,
	    "error: t.policy:2: NUL byte");
	vmd_policy_free(pol);
	pol = vmd_policy_load_buf("t.policy", "* * * allow\0", 12, err,
	    sizeof(err));
	ok(pol == NULL && strcmp(err, "t.policy:1: NUL byte") == 0,
	    "error: NUL inside a rule line");
	vmd_policy_free(pol);

	pol = load(longok, err, sizeof(err));
	ok(pol != NULL && vmd_policy_nrules(pol) == 1,
	    "a line of exactly 1024 bytes is fine");
	vmd_policy_free(pol);

	pol = load("vm.start * * ask\n", err, 12);
	ok(pol == NULL && strcmp(err, "t.policy:1:") == 0,
	    "reason truncated to the buffer");
	pol = load("vm.start * * ask\n", NULL, 0);
	ok(pol == NULL, "no error buffer at all");
}

/* --- directories --------------------------------------------------------- */

static char tmpdir[512];

static void
put(const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		diag("cannot write %s: %s", path, strerror(errno));
		abort();
	}
}

static void
rm(const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (unlink(path) < 0 && rmdir(path) < 0)
		diag("cannot remove %s: %s", path, strerror(errno));
}

static void
test_dir(void)
{
	struct vmd_policy_where w;
	struct vmd_policy *pol, *old;
	char err[2048], want[2048], path[1024], *big;
	const char *base = getenv("TSR_TMP");
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "%s/policy.XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}

	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	ok(pol != NULL && vmd_policy_nrules(pol) == 0, "empty dir: no rules");
	vmd_policy_free(pol);

	/* "10-" < "50-" < "9-" in C-locale order, as Qubes does it */
	put("50-lab.policy",
	    "vm.start user:bob * deny\n"
	    "vm.start * work allow\n");
	put("9-default.policy", "# fallback\n* * * deny\nvm.stop * * allow\n");
	put("10-admins.policy", "\n\nvm.start user:bob work allow\n");
	put("README", "not a policy\n");
	put("x.policy~", "garbage ~~~\n");
	put(".hidden.policy", "garbage ...\n");
	put(".policy", "garbage ...\n");
	put("20-notes.policy.d", "garbage ...\n");
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	if (!ok(pol != NULL, "dir loads, other files ignored"))
		diag("  %s", err);
	is_int(vmd_policy_nrules(pol), 5, "5 rules from 3 files");
	snprintf(want, sizeof(want), "%s/10-admins.policy", tmpdir);
	ok(vmd_policy_check_where(pol, "vm.start", &bob, &work, &w) == 1 &&
		w.file && strcmp(w.file, want) == 0 && w.line == 3,
	    "10-admins.policy comes first (line 3)");
	snprintf(want, sizeof(want), "%s/50-lab.policy", tmpdir);
	ok(vmd_policy_check_where(pol, "vm.start", &bob, &vault, &w) == 0 &&
		w.file && strcmp(w.file, want) == 0 && w.line == 1,
	    "then 50-lab.policy");
	snprintf(want, sizeof(want), "%s/9-default.policy", tmpdir);
	ok(vmd_policy_check_where(pol, "vm.stop", &alice, &work, &w) == 0 &&
		w.file && strcmp(w.file, want) == 0 && w.line == 2,
	    "9-default.policy last: its deny-all hides its line 3");
	old = pol;

	/* errors name the file and line; the old policy is untouched */
	put("30-broken.policy", "vm.start * * allow\n\nvm.kill * * maybe\n");
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want),
	    "%s/30-broken.policy:3: unknown "
	    "action 'maybe': want allow or deny",
	    tmpdir);
	ok(pol == NULL && strcmp(err, want) == 0,
	    "error in one file refuses the directory, with file:line");
	ok(vmd_policy_check(old, "vm.start", &bob, &work, NULL) == 1,
	    "the previous policy still answers");
	rm("30-broken.policy");

	put("Upper.policy", "* * * allow\n");
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want),
	    "%s: policy file name with characters "
	    "outside [0-9a-z_.-]",
	    tmpdir);
	ok(pol == NULL && strcmp(err, want) == 0, "bad file name refused");
	rm("Upper.policy");

	snprintf(path, sizeof(path), "%s/40-dir.policy", tmpdir);
	mkdir(path, 0700);
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	ok(pol == NULL && strcmp(err, want) == 0, "a directory is refused");
	rm("40-dir.policy");

	snprintf(path, sizeof(path), "%s/40-fifo.policy", tmpdir);
	if (mkfifo(path, 0600) == 0) {
		pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
		snprintf(want, sizeof(want), "%s: not a regular file", path);
		ok(pol == NULL && strcmp(err, want) == 0,
		    "a FIFO is refused without blocking");
		rm("40-fifo.policy");
	}

	snprintf(path, sizeof(path), "%s/40-big.policy", tmpdir);
	if ((big = malloc(VMD_POLICY_FILE_MAX + 1)) == NULL)
		abort();
	memset(big, '\n', VMD_POLICY_FILE_MAX + 1);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(big, 1, VMD_POLICY_FILE_MAX + 1, f);
	fclose(f);
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	ok(pol == NULL && strcmp(err, want) == 0, "a file over 1 MiB");
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(big, 1, VMD_POLICY_FILE_MAX, f);
	fclose(f);
	free(big);
	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	ok(pol != NULL && vmd_policy_nrules(pol) == 5,
	    "a file of exactly 1 MiB (blank lines)");
	vmd_policy_free(pol);
	rm("40-big.policy");

	snprintf(path, sizeof(path), "%s/50-lab.policy", tmpdir);
	if (geteuid() != 0 && chmod(path, 0) == 0) {
		pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
		snprintf(want, sizeof(want), "%s: %s", path, strerror(EACCES));
		ok(pol == NULL && strcmp(err, want) == 0, "unreadable file");
		chmod(path, 0644);
	}

	vmd_policy_free(old);
	rm("50-lab.policy");
	rm("9-default.policy");
	rm("10-admins.policy");
	rm("README");
	rm("x.policy~");
	rm(".hidden.policy");
	rm(".policy");
	rm("20-notes.policy.d");
	rm(""); /* the directory itself */

	pol = vmd_policy_load_dir(tmpdir, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: %s", tmpdir, strerror(ENOENT));
	ok(pol == NULL && strcmp(err, want) == 0, "missing directory");
}

int
main(void)
{
	targets_init();
	test_matching();
	test_errors();
	test_dir();
	return done_testing();
}
