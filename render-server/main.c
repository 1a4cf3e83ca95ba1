/*
 * tessera-render: one qube's display for viewers, over VNC and RDP.
 *
 * Setup (as root, or whoever starts us): TLS keys and certificates, the
 * password file and the listening sockets; then the privilege drop and
 * the seccomp filter; then the threads.  See tessera-render(1).
 */
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "facts.h"
#include "log.h"
#include "passwd.h"
#include "rdp.h"
#include "rs.h"
#include "sandbox.h"
#include "tls.h"
#include "vnc.h"

/* The longest a clean shutdown may take. */
#define RS_SHUTDOWN_S 15

struct rs_qube rs_qube;
struct rs_opts rs_opts;

/* ADDR:PORT (or [ADDR]:PORT) into addr and *port (0..65535). */
static int
split_hostport(const char *s, char *addr, size_t addrsz, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - s) >= addrsz)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	if (addr[0] == '[' && colon - s >= 2 && addr[colon - s - 1] == ']') {
		addr[colon - s - 1] = '\0';
		memmove(addr, addr + 1, strlen(addr));
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
rdp_setup(int *port)
{
	char addr[256], err[256];

	if (split_hostport(rs_opts.rdp, addr, sizeof(addr), port) == -1) {
		log_warnx("--rdp: want ADDR:PORT");
		return -1;
	}
	if (rdp_start(&rs_fb, &rs_qube, addr, port, rs_opts.cert, rs_opts.key,
		rs_auth_password, err, sizeof(err)) == -1) {
		log_warnx("--rdp %s: %s", rs_opts.rdp, err);
		return -1;
	}
	return 0;
}

/* --handshake-timeout: VNC's and RDP's, 100 ms to 10 minutes. */
static int
set_handshake(const char *arg)
{
	struct rdp_limits lim = { 0 };
	char *end;
	long ms;

	errno = 0;
	ms = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || ms < 100 ||
	    ms > 600000) {
		fprintf(stderr,
		    "--handshake-timeout: want 100 to 600000 "
		    "milliseconds, not %s\n",
		    arg);
		return -1;
	}
	rs_conn_handshake_ms = (int)ms;
	lim.handshake_ms = (int)ms;
	rdp_set_limits(&lim);
	return 0;
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
} sd = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void *
shutdown_watchdog(void *arg)
{
	struct timespec ts;
	int rc = 0;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += RS_SHUTDOWN_S;
	pthread_mutex_lock(&sd.lock);
	while (!sd.done && rc == 0)
		rc = pthread_cond_timedwait(&sd.cond, &sd.lock, &ts);
	if (!sd.done) {
		log_warnx("shutdown takes too long: exiting anyway");
		_exit(1);
	}
	pthread_mutex_unlock(&sd.lock);
	return NULL;
}

/*
 * A clean shutdown: every thread stopped and joined (viewers are
 * disconnected), everything freed, so that LeakSanitizer sees what is
 * left.  A watchdog ends it if a thread does not stop.
 */
static int
shutdown_all(void)
{
	pthread_t t;
	int rc = 0, watched;

	watched = pthread_create(&t, NULL, shutdown_watchdog, NULL) == 0;
	rdp_stop();
	if (rs_vnc_stop() == -1)
		rc = 1;
	rs_input_stop();
	pthread_mutex_lock(&rs_fb.lock);
	free(rs_fb.pix);
	rs_fb.pix = NULL;
	rs_fb.w = rs_fb.h = 0;
	pthread_mutex_unlock(&rs_fb.lock);
	rs_auth_free();
	SSL_CTX_free(rs_conn_ctx.cert);
	SSL_CTX_free(rs_conn_ctx.plain);
	rs_conn_ctx.cert = rs_conn_ctx.plain = NULL;
	if (watched) {
		pthread_mutex_lock(&sd.lock);
		sd.done = 1;
		pthread_cond_signal(&sd.cond);
		pthread_mutex_unlock(&sd.lock);
		pthread_join(t, NULL);
	}
	log_info("stopped");
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tessera-render --qube NAME --label LABEL --display SOCK\n"
	    "           [--vnc ADDR:PORT] [--rdp ADDR:PORT] --cert F --key F --ca F\n"
	    "           [--crl F] [--passwd F] [--vmd SOCK] [--user U]\n"
	    "           [--handshake-timeout MS] [-dv]\n"
	    "       tessera-render passwd FILE USER    (password on stdin)\n"
	    "\n"
	    "  --qube NAME       the qube (shown in the frame and the desktop name)\n"
	    "  --label LABEL     its label: red ... black, or #rrggbb\n"
	    "  --display SOCK    its device model's VNC unix socket\n"
	    "  --vnc ADDR:PORT   serve VNC (VeNCrypt X509None / X509Plain) there;\n"
	    "                    port 0 picks one and prints \"vnc PORT\"\n"
	    "  --rdp ADDR:PORT   serve RDP there (\"rdp PORT\" likewise)\n"
	    "  --cert F --key F  our TLS certificate and key\n"
	    "  --ca F            the CA viewers' certificates must chain to\n"
	    "  --crl F           revoked certificates\n"
	    "  --passwd F        hashed passwords of third-party viewers\n"
	    "  --vmd SOCK        ask tessera-vmd whether each viewer may connect\n"
	    "  --user U          run as U after setup\n"
	    "  --handshake-timeout MS\n"
	    "                    a viewer must have logged on within MS (5000)\n"
	    "  -d                stay in the foreground, log to stderr\n"
	    "  -v                more logging (twice: libvncserver's too)\n"
	    "See tessera-render(1).\n");
}

static int
cmd_passwd(int argc, char **argv)
{
	char pass[512];
	size_t n;

	log_init("tessera-render", 1, 0);
	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	if (!rs_pw_user_ok(argv[3])) {
		log_warnx("bad user name (want [A-Za-z0-9._-], at most %d)",
		    RS_PW_USER_MAX);
		return 1;
	}
	if (fgets(pass, sizeof(pass), stdin) == NULL) {
		log_warnx("no password on stdin");
		return 1;
	}
	n = strlen(pass);
	if (n > 0 && pass[n - 1] == '\n')
		pass[--n] = '\0';
	if (n > 0 && pass[n - 1] == '\r')
		pass[--n] = '\0';
	if (n == 0 || n > 255) {
		log_warnx("the password must be 1 to 255 bytes");
		return 1;
	}
	if (rs_pw_set(argv[2], argv[3], pass) == -1) {
		OPENSSL_cleanse(pass, sizeof(pass));
		return 1;
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	return 0;
}

enum {
	OPT_QUBE = 256,
	OPT_LABEL,
	OPT_DISPLAY,
	OPT_VNC,
	OPT_RDP,
	OPT_CERT,
	OPT_KEY,
	OPT_CA,
	OPT_CRL,
	OPT_PASSWD,
	OPT_VMD,
	OPT_USER,
	OPT_HANDSHAKE
};

static const struct option opts[] = {
	{ "qube", required_argument, NULL, OPT_QUBE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "display", required_argument, NULL, OPT_DISPLAY },
	{ "vnc", required_argument, NULL, OPT_VNC },
	{ "rdp", required_argument, NULL, OPT_RDP },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "passwd", required_argument, NULL, OPT_PASSWD },
	{ "vmd", required_argument, NULL, OPT_VMD },
	{ "user", required_argument, NULL, OPT_USER },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE },
	{ "foreground", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct rs_opts *o = &rs_opts;
	const char *qube = NULL, *label = NULL;
	char err[512];
	int ch, vnc_port = -1, rdp_port = -1, sig;
	sigset_t set;

	if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
		return cmd_passwd(argc, argv);
	while ((ch = getopt_long(argc, argv, "dvh", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_QUBE:
			qube = optarg;
			break;
		case OPT_LABEL:
			label = optarg;
			break;
		case OPT_DISPLAY:
			o->display = optarg;
			break;
		case OPT_VNC:
			o->vnc = optarg;
			break;
		case OPT_RDP:
			o->rdp = optarg;
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_CRL:
			o->crl = optarg;
			break;
		case OPT_PASSWD:
			o->passwd = optarg;
			break;
		case OPT_VMD:
			o->vmd = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_HANDSHAKE:
			if (set_handshake(optarg) == -1)
				return 2;
			break;
		case 'd':
			o->foreground = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !qube || !label || !o->display || !o->cert ||
	    !o->key || !o->ca || (!o->vnc && !o->rdp)) {
		usage(stderr);
		return 2;
	}
	log_init("tessera-render", o->foreground, o->verbose);
	if (!tsr_qube_name_valid(qube))
		fatalx("bad qube name");
	strcpy(rs_qube.name, qube);
	if (tsr_label_parse(label, &rs_qube.label) == -1)
		fatalx("bad label %s", label);

	/* everything from files, while we may still read them */
	if ((rs_conn_ctx.cert = tsr_tls_server_ctx(o->cert, o->key, o->ca,
		 o->crl, TSR_TLS_REQUIRE_PEER, err, sizeof(err))) == NULL ||
	    (rs_conn_ctx.plain = tsr_tls_server_ctx(o->cert, o->key, NULL, NULL,
		 TSR_TLS_NO_PEER_CERT, err, sizeof(err))) == NULL)
		fatalx("TLS: %s", err);
	if (rs_auth_init(qube, o->passwd, o->vmd) == -1)
		fatalx("cannot read %s", o->passwd);
	if (o->vnc && rs_vnc_listen(o->vnc, &vnc_port) == -1)
		return 1;
	if (rs_fb_init(&rs_fb, 640, 480) == -1 || rs_vnc_init() == -1)
		fatalx("cannot set up the VNC screens");

	/* signals: only the main thread takes them, with sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* RDP starts its threads (after the signal mask: they inherit it)
	 * before the privilege drop: it reads its key and may bind a low
	 * port; the seccomp filter covers its threads too (TSYNC) */
	if (o->rdp && rdp_setup(&rdp_port) == -1)
		return 1;
	if (rs_drop_privileges(o->user) == -1 ||
	    rs_sandbox(o->rdp != NULL) == -1)
		fatalx("cannot sandbox myself");
	/* for the test suite: a system call the filter forbids must kill us */
	if (getenv("TSR_RENDER_SANDBOX_TEST") != NULL) {
		log_warnx("sandbox test: opening an AF_INET socket");
		socket(AF_INET, SOCK_STREAM, 0);
		log_warnx("sandbox test: still alive");
		return 1;
	}
	if (rs_input_start(o->display) == -1)
		fatalx("cannot start the input thread");
	if (o->vnc && rs_vnc_start() == -1)
		fatalx("cannot start VNC");
	if (vnc_port != -1)
		printf("vnc %d\n", vnc_port);
	if (rdp_port != -1)
		printf("rdp %d\n", rdp_port);
	fflush(stdout);
	log_info("%s (%s): serving%s%s", rs_qube.name, rs_qube.label.name,
	    o->vnc ? " VNC" : "", o->rdp ? " RDP" : "");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			continue;
		break;
	}
	log_info("signal %d: exiting", sig);
	return shutdown_all();
}
