/*
 * tessera: the command line for tessera-vmd.  Also answers as qvm-ls,
 * qvm-create, qvm-start, qvm-shutdown, qvm-kill, qvm-prefs, qvm-remove and
 * qvm-clone, with Qubes' main flags.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "label.h"
#include "props.h"

#define DEFAULT_SOCKET "/var/lib/tessera/control.sock"

static struct {
	const char *socket;
	const char *host, *cert, *key, *ca;
	int json;
} opt;

static struct tsr_client *cl;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tessera: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
connect_vmd(void)
{
	char err[512];

	if (cl)
		return;
	if (opt.host) {
		if (!opt.ca)
			die("--host needs --ca (and --cert, --key)");
		cl = tsr_client_tls(opt.host, opt.ca, opt.cert, opt.key, err,
		    sizeof(err));
	} else {
		cl = tsr_client_unix(opt.socket, err, sizeof(err));
	}
	if (cl == NULL)
		die("cannot reach tessera-vmd: %s", err);
}

/* Calls a method; on an error reply prints it and returns NULL. */
static json_t *
call(const char *method, const char *target, json_t *args, int *failed)
{
	struct tsr_api_msg m;
	char err[512];
	json_t *res;

	connect_vmd();
	if (tsr_client_call(cl, method, target, args, &m, err, sizeof(err)) ==
	    -1)
		die("%s", err);
	if (!m.ok) {
		fprintf(stderr, "tessera: %s\n", m.error_message);
		tsr_api_msg_free(&m);
		if (failed)
			*failed = 1;
		return NULL;
	}
	res = json_incref(m.result);
	tsr_api_msg_free(&m);
	return res;
}

static json_t *
call_or_die(const char *method, const char *target, json_t *args)
{
	int failed = 0;
	json_t *r = call(method, target, args, &failed);

	if (failed)
		exit(1);
	return r;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void
swatch(const char *hex)
{
	unsigned rgb;

	if (!isatty(1) || sscanf(hex, "#%6x", &rgb) != 1) {
		return;
	}
	printf("\033[38;2;%u;%u;%um\u2588\u2588\033[0m ", rgb >> 16,
	    (rgb >> 8) & 0xff, rgb & 0xff);
}

/* --- ls --- */

static int
cmd_ls(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
		{ "running", no_argument, NULL, 'r' },
		{ "raw-list", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int ch, running = 0, raw = 0;
	json_t *list, *q;
	size_t i;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'j':
			opt.json = 1;
			break;
		case 'r':
			running = 1;
			break;
		case 'R':
			raw = 1;
			break;
		case 'h':
			printf("usage: tessera ls [--json] [--running] "
			       "[--raw-list] [NAME...]\n");
			return 0;
		default:
			return 2;
		}
	}
	list = call_or_die("vm.list", NULL, NULL);
	if (opt.json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		return 0;
	}
	if (!raw)
		printf("%-3s%-20s %-13s %-10s %-8s %-16s %6s\n", "", "NAME",
		    "STATE", "CLASS", "LABEL", "TEMPLATE", "MEMORY");
	json_array_foreach(list, i, q) {
		int k, match = optind >= argc;
		for (k = optind; k < argc; k++)
			match |= strcmp(argv[k], str(q, "name")) == 0;
		if (!match ||
		    (running && strcmp(str(q, "state"), "halted") == 0))
			continue;
		if (raw) {
			printf("%s\n", str(q, "name"));
			continue;
		}
		if (isatty(1))
			swatch(str(q, "color"));
		else
			printf("   ");
		printf("%-20s %-13s %-10s %-8s %-16s %6lld\n", str(q, "name"),
		    str(q, "state"), str(q, "class"), str(q, "label"),
		    str(q, "template")[0] ? str(q, "template") : "-",
		    (long long)json_integer_value(
			json_object_get(q, "memory")));
	}
	json_decref(list);
	return 0;
}

/* --- create, clone, template import --- */

static const char *
qubes_class(const char *c)
{
	if (strcmp(c, "AppVM") == 0)
		return "app";
	if (strcmp(c, "TemplateVM") == 0)
		return "template";
	if (strcmp(c, "StandaloneVM") == 0)
		return "standalone";
	if (strcmp(c, "DispVM") == 0)
		return "disposable";
	return c;
}

/*
 * "key=value" as Qubes' --property: true and false are booleans, and the
 * property table says which properties are numbers and which lists.
 */
static json_t *
typed(const char *key, const char *v)
{
	const struct vmd_prop *p = vmd_prop_find(key);
	char *end;
	long long n;

	if (p && p->type == VMD_PT_TAGS) {
		json_t *a = json_array();
		char *dup = strdup(v), *t, *save = NULL;
		for (t = strtok_r(dup, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(t));
		free(dup);
		return a;
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
		return json_true();
	if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
		return json_false();
	if (p && p->type == VMD_PT_UINT) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && end != v)
			return json_integer(n);
	}
	return json_string(v);
}

static int
cmd_create(int argc, char **argv)
{
	static const struct option lo[] = { { "label", required_argument, NULL,
						'l' },
		{ "template", required_argument, NULL, 't' },
		{ "class", required_argument, NULL, 'C' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "kernel-opts", required_argument, NULL, 'o' },
		{ "tag", required_argument, NULL, 'T' },
		{ "property", required_argument, NULL, 'p' },
		{ "prop", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	json_t *args = json_object(), *tags = json_array(), *r;
	int ch;

	while ((ch = getopt_long(argc, argv, "l:t:C:p:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'l':
			json_object_set_new(args, "label", json_string(optarg));
			break;
		case 't':
			json_object_set_new(args, "template",
			    json_string(optarg));
			break;
		case 'C':
			json_object_set_new(args, "class",
			    json_string(qubes_class(optarg)));
			break;
		case 'm':
			json_object_set_new(args, "memory",
			    typed("memory", optarg));
			break;
		case 'c':
			json_object_set_new(args, "vcpus",
			    typed("vcpus", optarg));
			break;
		case 'k':
			json_object_set_new(args, "kernel",
			    json_string(optarg));
			break;
		case 'i':
			json_object_set_new(args, "initrd",
			    json_string(optarg));
			break;
		case 'o':
			json_object_set_new(args, "kernel_opts",
			    json_string(optarg));
			break;
		case 'T':
			json_array_append_new(tags, json_string(optarg));
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (eq == NULL)
				die("--property wants KEY=VALUE");
			*eq = '\0';
			json_object_set_new(args, optarg,
			    typed(optarg, eq + 1));
			break;
		}
		case 'h':
			printf(
			    "usage: tessera create NAME --label LABEL "
			    "[--template T] [--class app|template|standalone]\n"
			    "       [--memory MiB] [--vcpus N] [--kernel F] "
			    "[--initrd F] [--kernel-opts S] [--tag T]...\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1)
		die("create wants one NAME (see --help)");
	json_object_set_new(args, "name", json_string(argv[optind]));
	if (json_array_size(tags))
		json_object_set(args, "tags", tags);
	json_decref(tags);
	r = call_or_die("vm.create", NULL, args);
	json_decref(r);
	return 0;
}

static int
cmd_clone(int argc, char **argv)
{
	static const struct option lo[] = { { "label", required_argument, NULL,
						'l' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	json_t *args = json_object();
	int ch;

	while ((ch = getopt_long(argc, argv, "l:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'l':
			json_object_set_new(args, "label", json_string(optarg));
			break;
		case 'h':
			printf(
			    "usage: tessera clone SOURCE NAME [--label L]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 2)
		die("clone wants SOURCE and NAME");
	json_object_set_new(args, "name", json_string(argv[optind + 1]));
	json_decref(call_or_die("vm.clone", argv[optind], args));
	return 0;
}

/* "progress" events during a long copy: a line that updates itself. */
static void
show_progress(const struct tsr_api_msg *m, void *arg)
{
	json_t *d = m->data;
	json_int_t done, total;

	(void)arg;
	if (strcmp(m->event, "progress") != 0 || !isatty(2))
		return;
	done = json_integer_value(json_object_get(d, "done"));
	total = json_integer_value(json_object_get(d, "total"));
	if (total <= 0)
		return;
	fprintf(stderr, "\rcopying %s: %3d%% of %lld MiB", str(d, "file"),
	    (int)(done * 100 / total), (long long)(total >> 20));
	if (done >= total)
		fputc('\n', stderr);
}

static int
cmd_template(int argc, char **argv)
{
	static const struct option lo[] = { { "kernel", required_argument, NULL,
						'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "disk", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "kernel-opts", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	json_t *args = json_object();
	char abs[4096];
	int ch;

	if (argc < 2 || strcmp(argv[1], "import") != 0)
		die("usage: tessera template import NAME --kernel K --initrd I "
		    "[--disk D] [--label L] [--kernel-opts S]");
	argc--, argv++;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'k':
		case 'i':
		case 'd':
			if (realpath(optarg, abs) == NULL)
				die("%s: %s", optarg, strerror(errno));
			json_object_set_new(args,
			    ch == 'k'	  ? "kernel" :
				ch == 'i' ? "initrd" :
					    "disk",
			    json_string(abs));
			break;
		case 'l':
			json_object_set_new(args, "label", json_string(optarg));
			break;
		case 'o':
			json_object_set_new(args, "kernel_opts",
			    json_string(optarg));
			break;
		case 'h':
			printf(
			    "usage: tessera template import NAME --kernel K "
			    "--initrd I [--disk D] [--label L] [--kernel-opts S]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1)
		die("template import wants one NAME");
	json_object_set_new(args, "name", json_string(argv[optind]));
	connect_vmd();
	tsr_client_on_event(cl, show_progress, NULL);
	json_decref(call_or_die("template.import", NULL, args));
	return 0;
}

/* --- lifecycle --- */

static int
each(int argc, char **argv, const char *method, json_t *args)
{
	int i, failed = 0;

	if (optind >= argc)
		die("%s wants at least one qube name", method);
	for (i = optind; i < argc; i++)
		json_decref(call(method, argv[i],
		    args ? json_incref(args) : NULL, &failed));
	json_decref(args);
	return failed;
}

static int
cmd_simple(int argc, char **argv, const char *method)
{
	int ch;

	while ((ch = getopt(argc, argv, "hf")) != -1)
		if (ch == 'h') {
			printf("usage: tessera %s NAME...\n", argv[0]);
			return 0;
		}
	return each(argc, argv, method, NULL);
}

static int
cmd_shutdown(int argc, char **argv)
{
	static const struct option lo[] = { { "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	json_t *args = json_object();
	int ch, all = 0;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'w':
			json_object_set_new(args, "wait", json_true());
			break;
		case 't':
			json_object_set_new(args, "timeout",
			    json_integer(atoi(optarg)));
			break;
		case 'a':
			all = 1;
			break;
		case 'h':
			printf("usage: tessera shutdown [--wait] [--timeout S] "
			       "[--all] NAME...\n");
			return 0;
		default:
			return 2;
		}
	}
	if (all) {
		json_t *list = call_or_die("vm.list", NULL, NULL), *q;
		size_t i;
		int failed = 0;
		json_array_foreach(list, i, q)
			if (strcmp(str(q, "state"), "halted") != 0)
				json_decref(call("vm.shutdown", str(q, "name"),
				    json_incref(args), &failed));
		json_decref(list);
		json_decref(args);
		return failed;
	}
	return each(argc, argv, "vm.shutdown", args);
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option lo[] = { { "dispvm", required_argument, NULL,
						'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *tmpl = NULL;
	json_t *r;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			tmpl = optarg;
			break;
		case 'h':
			printf("usage: tessera run --dispvm TEMPLATE\n");
			return 0;
		default:
			return 2;
		}
	}
	if (tmpl == NULL)
		die("run wants --dispvm TEMPLATE");
	r = call_or_die("dispvm.create", tmpl, NULL);
	printf("%s\n", str(r, "name"));
	json_decref(r);
	return 0;
}

/* --- prefs --- */

static void
print_value(json_t *v)
{
	if (json_is_string(v)) {
		printf("%s\n", json_string_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
			printf("%s%s", i ? "," : "", json_string_value(e));
		printf("\n");
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		printf("%s\n", s ? s : "");
		free(s);
	}
}

/* The properties, from the table: which can be set, and when. */
static void
prefs_help(void)
{
	const struct vmd_prop *p;
	size_t i;

	printf(
	    "usage: tessera prefs NAME [PROPERTY [VALUE]]\n\n"
	    "Properties.  set: tessera prefs NAME PROPERTY VALUE sets it;\n"
	    "halted: only while the qube is halted; restart: a running qube\n"
	    "sees it at its next start; create: given to tessera create.\n\n");
	for (i = 0; i < vmd_nprops; i++) {
		p = &vmd_props[i];
		printf("  %-15s %-8s %-13s %s\n", p->name,
		    vmd_prop_type_name(p->type), vmd_prop_access(p), p->help);
	}
}

static int
cmd_prefs(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	json_t *q, *v;
	const char *k;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'h') {
			prefs_help();
			return 0;
		}
		return 2;
	}
	if (optind >= argc || argc - optind > 3)
		die("prefs wants NAME [PROPERTY [VALUE]]");
	if (argc - optind == 3) {
		json_decref(call_or_die("vm.set", argv[optind],
		    json_pack("{s:s, s:o}", "property", argv[optind + 1],
			"value", typed(argv[optind + 1], argv[optind + 2]))));
		return 0;
	}
	q = call_or_die("vm.get", argv[optind], NULL);
	if (argc - optind == 2) {
		if ((v = json_object_get(q, argv[optind + 1])) == NULL)
			die("%s: no such property", argv[optind + 1]);
		print_value(v);
	} else {
		json_object_foreach(q, k, v) {
			printf("%-16s ", k);
			print_value(v);
		}
	}
	json_decref(q);
	return 0;
}

/* --- display --- */

static int
cmd_display(int argc, char **argv)
{
	json_t *ep;
	int ch;

	while ((ch = getopt(argc, argv, "h")) != -1) {
		if (ch == 'h') {
			printf("usage: tessera [--json] display NAME\n");
			return 0;
		}
		return 2;
	}
	if (optind != argc - 1)
		die("display wants one qube name");
	ep = call_or_die("display.endpoint", argv[optind], NULL);
	if (opt.json) {
		json_dumpf(ep, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (json_object_get(ep, "vnc_port"))
			printf("vnc %s:%lld\nrdp %s:%lld\nfingerprint %s\n",
			    str(ep, "host"),
			    (long long)json_integer_value(
				json_object_get(ep, "vnc_port")),
			    str(ep, "host"),
			    (long long)json_integer_value(
				json_object_get(ep, "rdp_port")),
			    str(ep, "fingerprint"));
		if (json_object_get(ep, "socket"))
			printf("socket %s\n", str(ep, "socket"));
	}
	json_decref(ep);
	return 0;
}

/* --- events, labels --- */

static int
cmd_events(int argc, char **argv)
{
	struct tsr_api_msg m;
	char err[512], *d;

	(void)argc;
	(void)argv;
	json_decref(call_or_die("events.subscribe", NULL, NULL));
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		if (tsr_client_next(cl, &m, err, sizeof(err)) == -1) {
			fprintf(stderr, "tessera: %s\n", err);
			return 1;
		}
		if (m.kind == 'e') {
			if (opt.json) {
				d = json_dumps(m.root, JSON_COMPACT);
				printf("%s\n", d);
				free(d);
			} else {
				d = json_dumps(m.data, JSON_COMPACT);
				printf("%-24s %-20s %s\n", m.event,
				    m.subject ? m.subject : "-", d);
				free(d);
			}
			fflush(stdout);
		}
		tsr_api_msg_free(&m);
	}
}

static int
cmd_label(int argc, char **argv)
{
	json_t *list, *l;
	size_t i;

	if (argc < 2 || strcmp(argv[1], "ls") != 0)
		die("usage: tessera label ls");
	list = call_or_die("label.list", NULL, NULL);
	json_array_foreach(list, i, l) {
		swatch(str(l, "color"));
		printf("%-8s %s\n", str(l, "name"), str(l, "color"));
	}
	json_decref(list);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tessera [--state DIR | --socket PATH | --host HOST:PORT --ca F\n"
	    "                --cert F --key F] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  ls [--json] [--running]         list qubes\n"
	    "  create NAME --label L [--template T] [--class C] [--memory M] ...\n"
	    "  clone SOURCE NAME [--label L]   copy a halted qube\n"
	    "  rm NAME...                      remove halted qubes\n"
	    "  prefs NAME [PROPERTY [VALUE]]   show or set properties\n"
	    "  start NAME...                   start qubes\n"
	    "  shutdown [--wait] [--timeout S] [--all] NAME...\n"
	    "  kill NAME...                    stop qubes at once\n"
	    "  pause NAME... / unpause NAME...\n"
	    "  run --dispvm TEMPLATE           start a disposable, print its name\n"
	    "  events                          print events as they happen\n"
	    "  display NAME                    where a qube's display is served\n"
	    "  label ls                        the trust labels\n"
	    "  template import NAME --kernel K --initrd I [--label L]\n"
	    "\n"
	    "The socket is $TESSERA_SOCKET, or STATE/control.sock with --state, or\n" DEFAULT_SOCKET
	    ". Also installed as qvm-ls, qvm-create, qvm-start,\n"
	    "qvm-shutdown, qvm-kill, qvm-prefs, qvm-remove and qvm-clone.\n");
}

static const struct cmd {
	const char *name;
	const char *qvm;
	int (*fn)(int, char **);
	const char *method;
} cmds[] = {
	{ "ls", "qvm-ls", cmd_ls, NULL },
	{ "create", "qvm-create", cmd_create, NULL },
	{ "clone", "qvm-clone", cmd_clone, NULL },
	{ "rm", "qvm-remove", NULL, "vm.remove" },
	{ "prefs", "qvm-prefs", cmd_prefs, NULL },
	{ "start", "qvm-start", NULL, "vm.start" },
	{ "shutdown", "qvm-shutdown", cmd_shutdown, NULL },
	{ "kill", "qvm-kill", NULL, "vm.kill" },
	{ "pause", "qvm-pause", NULL, "vm.pause" },
	{ "unpause", "qvm-unpause", NULL, "vm.unpause" },
	{ "run", "qvm-run", cmd_run, NULL },
	{ "events", NULL, cmd_events, NULL },
	{ "display", NULL, cmd_display, NULL },
	{ "label", NULL, cmd_label, NULL },
	{ "template", NULL, cmd_template, NULL },
};

static int
run_cmd(const struct cmd *c, int argc, char **argv)
{
	optind = 1;
	if (c->fn)
		return c->fn(argc, argv);
	return cmd_simple(argc, argv, c->method);
}

int
main(int argc, char **argv)
{
	static char sockbuf[4096];
	const char *prog =
	    strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t i;
	int rc;

	opt.socket = getenv("TESSERA_SOCKET") ? getenv("TESSERA_SOCKET") :
						DEFAULT_SOCKET;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].qvm && strcmp(prog, cmds[i].qvm) == 0) {
			rc = run_cmd(&cmds[i], argc, argv);
			tsr_client_close(cl);
			return rc;
		}

	/* global options, before the command */
	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			opt.json = 1;
			continue;
		}
		if (v == NULL)
			die("%s wants a value", a);
		if (strcmp(a, "--state") == 0) {
			snprintf(sockbuf, sizeof(sockbuf), "%s/control.sock",
			    v);
			opt.socket = sockbuf;
		} else if (strcmp(a, "--socket") == 0) {
			opt.socket = v;
		} else if (strcmp(a, "--host") == 0) {
			opt.host = v;
		} else if (strcmp(a, "--ca") == 0) {
			opt.ca = v;
		} else if (strcmp(a, "--cert") == 0) {
			opt.cert = v;
		} else if (strcmp(a, "--key") == 0) {
			opt.key = v;
		} else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (i >= (size_t)argc) {
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[i], cmds[k].name) == 0) {
			rc = run_cmd(&cmds[k], argc - (int)i, argv + i);
			tsr_client_close(cl);
			return rc;
		}
	fprintf(stderr, "tessera: unknown command %s\n", argv[i]);
	usage(stderr);
	return 2;
}
