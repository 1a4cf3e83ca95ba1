/*
 * tessera-ca: the PKI that every TLS connection in Tessera uses.
 *
 *   tessera-ca [--dir DIR] COMMAND [ARGS]
 *
 * This file: the command line (options, their values, usage, main); the
 * commands are in ca_cmd.c.  Exit status: 0 done, 1 error, 2 usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "ca_cmd.h"
#include "ca_index.h"
#include "log.h"

struct ca_cmd {
	const char *name;
	int (*run)(struct ca_opts *, int, char **);
	const char *usage;
	const char *opts; /* long options it takes, as "|a|b|" */
};

static const struct ca_cmd cmds[] = {
	{ "init", cmd_init, "init [--name NAME] [--days N]",
	    "|name|days|not-before|" },
	{ "issue", cmd_issue,
	    "issue server NAME --dns HOST... --ip ADDR... [--days N] [--p12]\n"
	    "       issue client NAME [--role viewer|admin] [--days N] [--p12]",
	    "|dns|ip|role|days|not-before|p12|pass-file|" },
	{ "list", cmd_list, "list [--json]", "|json|" },
	{ "revoke", cmd_revoke, "revoke NAME", "||" },
	{ "crl", cmd_crl, "crl [--days N]", "|days|" },
	{ "renew", cmd_renew, "renew NAME [--days N] [--force] [--p12]",
	    "|days|not-before|force|p12|pass-file|" },
	{ "fingerprint", cmd_fingerprint, "fingerprint FILE", "||" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char *help_tail =
    "\n"
    "options:\n"
    "  --dir DIR        the CA directory ($TESSERA_CA_DIR, else " CA_DEFAULT_DIR
    ")\n"
    "  --dns HOST       a DNS name for a server (repeat, or HOST,HOST)\n"
    "  --ip ADDR        an IP address for a server (repeat, or ADDR,ADDR)\n"
    "  --role ROLE      a client's role: viewer (default) or admin\n"
    "  --days N         validity in days (1-3650; CA 3650, certificate 365, "
    "CRL 30)\n"
    "  --force          renew even with more than 30 days left\n"
    "  --p12            also write NAME.p12 (passphrase from --pass-file FILE"
    "\n"
    "                   or $TESSERA_P12_PASS)\n"
    "  --json           list as JSON\n"
    "See tessera-ca(1).\n";

static void
print_usage(FILE *f, const struct ca_cmd *c)
{
	size_t i;

	if (c != NULL) {
		fprintf(f, "usage: tessera-ca [--dir DIR] %s\n", c->usage);
		return;
	}
	fprintf(f,
	    "usage: tessera-ca [--dir DIR] COMMAND [ARGS]\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].usage);
}

__attribute__((format(printf, 2, 3), noreturn)) static void
usage(const struct ca_cmd *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "tessera-ca: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	print_usage(stderr, c);
	exit(2);
}

/* --- option values --- */

static int
parse_days(const char *s, int *days)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < 1 ||
	    v > CA_DAYS_MAX) {
		log_warnx("bad --days \"%.20s\": want 1 to %d", s, CA_DAYS_MAX);
		return -1;
	}
	*days = (int)v;
	return 0;
}

/* YYYY-MM-DD, a real date, as 00:00:00 UTC. */
static int
parse_date(const char *s, int64_t *out)
{
	struct tm tm, chk;
	time_t t;
	int i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
					 (s[i] < '0' || s[i] > '9'))
			goto bad;
	if (s[10] != '\0')
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	t = timegm(&tm);
	if (tm.tm_year < 70 || t == (time_t)-1 || gmtime_r(&t, &chk) == NULL ||
	    chk.tm_mon != atoi(s + 5) - 1 || chk.tm_mday != atoi(s + 8))
		goto bad;
	*out = (int64_t)t;
	return 0;
bad:
	log_warnx("bad --not-before \"%.20s\": want YYYY-MM-DD, 1970 or later",
	    s);
	return -1;
}

/* --dns or --ip: one value or several joined by ",". */
static int
parse_sans(struct ca_opts *o, enum ca_santype type, const char *arg)
{
	char buf[1024], *item, *comma;
	struct ca_san *san;

	if (strlen(arg) >= sizeof(buf)) {
		log_warnx("--%s value too long",
		    type == CA_SAN_DNS ? "dns" : "ip");
		return -1;
	}
	strcpy(buf, arg);
	for (item = buf; item != NULL; item = comma) {
		if ((comma = strchr(item, ',')) != NULL)
			*comma++ = '\0';
		if (o->nsans == CA_SAN_MAX) {
			log_warnx("more than %d --dns and --ip", CA_SAN_MAX);
			return -1;
		}
		san = &o->sans[o->nsans];
		san->type = type;
		if (type == CA_SAN_DNS && ca_dns_valid(item))
			strcpy(san->value, item);
		else if (type == CA_SAN_DNS) {
			log_warnx("bad --dns \"%.64s\": not a host name", item);
			return -1;
		} else if (ca_ip_canon(item, san->value, sizeof(san->value)) ==
		    -1) {
			log_warnx("bad --ip \"%.64s\": not an IPv4 or IPv6 "
				  "address",
			    item);
			return -1;
		}
		o->nsans++;
	}
	return 0;
}

/* The CA's own name (its CN): printable ASCII, 1 to 64 characters. */
static bool
caname_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= CA_NAME_MAX || s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return i > 0 && s[0] != ' ' && s[i - 1] != ' ';
}

/* --- options --- */

enum {
	OPT_DIR = 256,
	OPT_NAME,
	OPT_DAYS,
	OPT_NOT_BEFORE,
	OPT_DNS,
	OPT_IP,
	OPT_ROLE,
	OPT_P12,
	OPT_PASS_FILE,
	OPT_FORCE,
	OPT_JSON,
	OPT_HELP
};

static const struct option longopts[] = { { "dir", required_argument, NULL,
					      OPT_DIR },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },
	{ "dns", required_argument, NULL, OPT_DNS },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "p12", no_argument, NULL, OPT_P12 },
	{ "pass-file", required_argument, NULL, OPT_PASS_FILE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP }, { NULL, 0, NULL, 0 } };

static const char *
optname(int ch)
{
	size_t i;

	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == ch)
			return longopts[i].name;
	return "?";
}

static int
set_opt(struct ca_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_DIR:
		o->dir = arg;
		return 0;
	case OPT_NAME:
		if (!caname_valid(arg)) {
			log_warnx("bad --name: 1 to %d printable ASCII "
				  "characters",
			    CA_NAME_MAX);
			return -1;
		}
		o->caname = arg;
		return 0;
	case OPT_DAYS:
		return parse_days(arg, &o->days);
	case OPT_NOT_BEFORE:
		return parse_date(arg, &o->not_before);
	case OPT_DNS:
		return parse_sans(o, CA_SAN_DNS, arg);
	case OPT_IP:
		return parse_sans(o, CA_SAN_IP, arg);
	case OPT_ROLE:
		o->role = arg;
		return 0;
	case OPT_P12:
		o->p12 = 1;
		return 0;
	case OPT_PASS_FILE:
		o->pass_file = arg;
		return 0;
	case OPT_FORCE:
		o->force = 1;
		return 0;
	case OPT_JSON:
		o->json = 1;
		return 0;
	}
	return -1;
}

/*
 * getopt_long() takes any unambiguous prefix ("--pass" for --pass-file):
 * take whole option names only.
 */
static void
check_longopts(const struct ca_cmd *c, int argc, char **argv)
{
	const struct option *lo;
	size_t n;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		n = strcspn(argv[i] + 2, "=");
		for (lo = longopts; lo->name != NULL; lo++)
			if (strlen(lo->name) == n &&
			    strncmp(lo->name, argv[i] + 2, n) == 0)
				break;
		if (lo->name == NULL)
			usage(c, "unknown option %.*s", (int)n + 2, argv[i]);
		if (lo->has_arg == required_argument && argv[i][n + 2] == '\0')
			i++; /* its value */
	}
}

/*
 * Parse the command's options (argv[0] is the command).  Returns the
 * number of arguments consumed, or exits: 0 for --help, 2 for usage, 1 for
 * a bad value.
 */
static int
parse_opts(const struct ca_cmd *c, struct ca_opts *o, int argc, char **argv)
{
	char want[32];
	int ch;

	check_longopts(c, argc, argv);
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ch == 'h' || ch == OPT_HELP) {
			print_usage(stdout, c);
			fputs(help_tail, stdout);
			exit(0);
		}
		if (ch == '?')
			usage(c, "unknown option %s", argv[optind - 1]);
		if (ch == ':')
			usage(c, "%s needs a value", argv[optind - 1]);
		snprintf(want, sizeof(want), "|%s|", optname(ch));
		if (ch != OPT_DIR && strstr(c->opts, want) == NULL)
			usage(c, "%s takes no --%s", c->name, optname(ch));
		if (set_opt(o, ch, optarg) == -1)
			exit(1);
	}
	return optind;
}

/* --- main --- */

static const struct ca_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* For the commands: a usage error of command cmd. */
void
ca_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tessera-ca: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_usage(stderr, find_cmd(cmd));
	exit(2);
}

/* Options before the command: --dir DIR, --help. */
static int
global_opts(struct ca_opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			print_usage(stdout, NULL);
			fputs(help_tail, stdout);
			exit(0);
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			o->dir = argv[++i];
		else if (strncmp(argv[i], "--dir=", 6) == 0)
			o->dir = argv[i] + 6;
		else
			usage(NULL, "unknown option %s", argv[i]);
	}
	return i;
}

int
main(int argc, char **argv)
{
	const struct ca_cmd *c;
	struct ca_opts o;
	int i, n;

	umask(077);
	log_init("tessera-ca", 1, 0);
	memset(&o, 0, sizeof(o));
	o.not_before = -1;
	i = global_opts(&o, argc, argv);
	if (i == argc)
		usage(NULL, "no command");
	if (strcmp(argv[i], "help") == 0) {
		print_usage(stdout, NULL);
		fputs(help_tail, stdout);
		return 0;
	}
	if ((c = find_cmd(argv[i])) == NULL)
		usage(NULL, "unknown command \"%.20s\"", argv[i]);
	n = parse_opts(c, &o, argc - i, argv + i);
	if (o.dir == NULL && (o.dir = getenv("TESSERA_CA_DIR")) == NULL)
		o.dir = CA_DEFAULT_DIR;
	if (o.dir[0] == '\0') {
		log_warnx("empty --dir");
		return 1;
	}
	return c->run(&o, argc - i - n, argv + i + n) == 0 ? 0 : 1;
}
