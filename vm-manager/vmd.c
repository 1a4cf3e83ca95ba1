/*
 * tessera-vmd: see vmd.h for the map of the files.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "domxml.h"
#include "log.h"
#include "vmd.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tessera-vmd [-dnv] [--state DIR] [--policy DIR] [--connect URI]\n"
	    "                   [--listen ADDR:PORT --cert FILE --key FILE --ca FILE\n"
	    "                    [--crl FILE]] [--display-user USER]\n"
	    "\n"
	    "The Tessera qube manager: the qube store, qube lifecycle through libvirt,\n"
	    "policy, and the Admin API on STATE/control.sock (and over mutual TLS with\n"
	    "--listen).\n"
	    "\n"
	    "  -d, --foreground     stay in the foreground and log to stderr\n"
	    "  -n, --check          check the policy files and exit\n"
	    "  -v, --verbose        log debug messages too\n"
	    "      --state DIR      state directory (default /var/lib/tessera)\n"
	    "      --policy DIR     policy directory (default /etc/tessera/policy.d,\n"
	    "                       or STATE/policy.d when --state is given)\n"
	    "      --connect URI    libvirt URI (default xen:///system on a Xen host,\n"
	    "                       qemu:///system elsewhere)\n"
	    "      --listen A:P     serve the Admin API over mutual TLS on A:P\n"
	    "      --cert, --key    this host's certificate and key (tessera-ca)\n"
	    "      --ca FILE        the CA that client certificates must chain to\n"
	    "      --crl FILE       refuse certificates revoked in this CRL\n"
	    "      --handshake-timeout MS  a TLS client must finish its handshake\n"
	    "                       within MS (5000)\n"
	    "      --display-user U owner of the qubes' display sockets\n"
	    "      --render-bin F   start this tessera-render for every running qube\n"
	    "      --render-addr A  where render-servers listen (default 127.0.0.1)\n"
	    "      --render-host H  the host name viewers are given (default: the address)\n"
	    "      --render-port-base P  VNC on P+2*slot, RDP on P+2*slot+1 (5900)\n"
	    "      --render-cert F, --render-key F  their certificate and key\n"
	    "      --render-ca F, --render-crl F    viewers' CA and CRL (--ca, --crl)\n"
	    "      --render-passwd F  viewers' passwords (tessera-render passwd)\n"
	    "      --render-user U  the unprivileged user they run as\n"
	    "      --domain-type T  qemu (TCG, the default), kvm, or auto (kvm when a\n"
	    "                       vCPU runs on /dev/kvm); ignored for Xen\n"
	    "                       (default tessera-render if it exists, else root)\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Signals: SIGHUP reloads the policy (an invalid one is refused and the\n"
	    "old one kept); SIGTERM and SIGINT stop the daemon, leaving qubes running\n"
	    "(the next start re-adopts them).\n");
}

static void
qube_event(struct vmd *vmd, const char *name, const char *event, json_t *data)
{
	struct vmd_qube q;
	enum vmd_qstate st;

	if (vmd_store_get(vmd->store, name, &q, &st) != 1) {
		json_decref(data);
		return;
	}
	control_event(vmd, event, &q, data);
}

static void
on_started(struct vmd *vmd, const char *name)
{
	log_info("%s: running", name);
	qube_event(vmd, name, "domain-start", NULL);
	render_start(vmd, name);
}

static void
on_paused(struct vmd *vmd, const char *name, int paused)
{
	qube_event(vmd, name, paused ? "domain-paused" : "domain-unpaused",
	    NULL);
}

static void
on_stopped(struct vmd *vmd, const char *name, const char *reason)
{
	log_info("%s: stopped (%s)", name, reason);
	render_stop(vmd, name);
	if (strcmp(reason, "shutdown") == 0)
		qube_event(vmd, name, "domain-shutdown", NULL);
	qube_event(vmd, name, "domain-stopped",
	    json_pack("{s:s}", "reason", reason));
	life_waiters_notify(vmd, name);
	life_dispose(vmd, name);
}

/* hv.c's domain events, and the qubes it finds running. */
static const struct hv_handlers hv_handlers = {
	.started = on_started,
	.paused = on_paused,
	.stopped = on_stopped,
	.adopt = life_adopt,
};

/*
 * Crash injection for the crash-consistency tests: with TESSERA_VMD_CRASH
 * naming this point, the daemon dies here as if killed with SIGKILL.
 */
void
vmd_crash_point(const char *name)
{
	const char *want = getenv("TESSERA_VMD_CRASH");

	if (want && strcmp(want, name) == 0) {
		log_warnx("crash point %s: dying now", name);
		raise(SIGKILL);
	}
}

static int
reload_policy(struct vmd *vmd)
{
	struct vmd_policy *p;
	char err[512];

	if ((p = vmd_policy_load_dir(vmd->policy_dir, err, sizeof(err))) ==
	    NULL) {
		log_warnx("policy not reloaded: %s", err);
		return -1;
	}
	vmd_policy_free(vmd->policy);
	vmd->policy = p;
	log_info("policy loaded: %zu rules from %s", vmd_policy_nrules(p),
	    vmd->policy_dir);
	return 0;
}

static void
on_signal(int watch, int fd, int events, void *arg)
{
	struct vmd *vmd = arg;
	struct signalfd_siginfo si;

	(void)watch;
	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload_policy(vmd);
			break;
		case SIGCHLD:
			render_reap(vmd);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping on signal %u", si.ssi_signo);
			vmd->quit = 1;
			break;
		}
	}
}

static void
noop_timer(int timer, void *arg)
{
	(void)arg;
	virEventRemoveTimeout(timer);
}

static int
make_dir(const char *path, mode_t mode, uid_t uid)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", path);
		return -1;
	}
	if (chmod(path, mode) == -1 ||
	    (uid != (uid_t)-1 && chown(path, uid, (gid_t)-1) == -1)) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}

/*
 * KVM is used only when a vCPU really runs: some hosts (nested setups
 * without hardware support) have a /dev/kvm whose guests never run.
 */
static const char *domain_type = "qemu";

static enum vmd_hv
qemu_flavour(void)
{
	if (strcmp(domain_type, "kvm") == 0)
		return VMD_HV_KVM;
	if (strcmp(domain_type, "qemu") == 0)
		return VMD_HV_QEMU;
	if (kvm_works()) {
		log_info("KVM works here: qubes run as kvm domains");
		return VMD_HV_KVM;
	}
	log_info("no working KVM: qubes run under TCG");
	return VMD_HV_QEMU;
}

static void
default_uri(struct vmd *vmd)
{
	if (access("/proc/xen/capabilities", R_OK) == 0) {
		snprintf(vmd->uri, sizeof(vmd->uri), "xen:///system");
		vmd->hv = VMD_HV_XEN_PVH;
	} else {
		snprintf(vmd->uri, sizeof(vmd->uri), "qemu:///system");
		vmd->hv = qemu_flavour();
	}
}

static void
set_hv_from_uri(struct vmd *vmd)
{
	if (strncmp(vmd->uri, "xen", 3) == 0)
		vmd->hv = VMD_HV_XEN_PVH;
	else
		vmd->hv = qemu_flavour();
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "state", required_argument, NULL, 1 },
		{ "policy", required_argument, NULL, 2 },
		{ "connect", required_argument, NULL, 3 },
		{ "listen", required_argument, NULL, 4 },
		{ "cert", required_argument, NULL, 5 },
		{ "key", required_argument, NULL, 6 },
		{ "ca", required_argument, NULL, 7 },
		{ "crl", required_argument, NULL, 8 },
		{ "display-user", required_argument, NULL, 9 },
		{ "domain-type", required_argument, NULL, 10 },
		{ "render-bin", required_argument, NULL, 20 },
		{ "render-addr", required_argument, NULL, 21 },
		{ "render-host", required_argument, NULL, 22 },
		{ "render-port-base", required_argument, NULL, 23 },
		{ "render-cert", required_argument, NULL, 24 },
		{ "render-key", required_argument, NULL, 25 },
		{ "render-ca", required_argument, NULL, 26 },
		{ "render-crl", required_argument, NULL, 27 },
		{ "render-passwd", required_argument, NULL, 28 },
		{ "render-user", required_argument, NULL, 29 },
		{ "handshake-timeout", required_argument, NULL, 30 },
		{ NULL, 0, NULL, 0 },
	};
	static struct vmd vmd;
	const char *state = "/var/lib/tessera", *policy = NULL, *uri = NULL;
	const char *listen_addr = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	const char *crl = NULL, *display_user = NULL;
	int ch, foreground = 0, check = 0, verbose = 0, sfd, state_given = 0;
	char err[512], path[VMD_PATH_MAX];
	struct passwd *pw;
	sigset_t mask;

	while ((ch = getopt_long(argc, argv, "dnvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 1:
			state = optarg;
			state_given = 1;
			break;
		case 2:
			policy = optarg;
			break;
		case 3:
			uri = optarg;
			break;
		case 4:
			listen_addr = optarg;
			break;
		case 5:
			cert = optarg;
			break;
		case 6:
			key = optarg;
			break;
		case 7:
			ca = optarg;
			break;
		case 8:
			crl = optarg;
			break;
		case 9:
			display_user = optarg;
			break;
		case 10:
			if (strcmp(optarg, "qemu") && strcmp(optarg, "kvm") &&
			    strcmp(optarg, "auto")) {
				usage(stderr);
				return 2;
			}
			domain_type = optarg;
			break;
		case 20:
			vmd.render.bin = optarg;
			break;
		case 21:
			vmd.render.addr = optarg;
			break;
		case 22:
			vmd.render.public_host = optarg;
			break;
		case 23:
			vmd.render.port_base = atoi(optarg);
			if (vmd.render.port_base < 1 ||
			    vmd.render.port_base > 65535 - 512) {
				usage(stderr);
				return 2;
			}
			break;
		case 24:
			vmd.render.cert = optarg;
			break;
		case 25:
			vmd.render.key = optarg;
			break;
		case 26:
			vmd.render.ca = optarg;
			break;
		case 27:
			vmd.render.crl = optarg;
			break;
		case 28:
			vmd.render.passwd = optarg;
			break;
		case 29:
			vmd.render.user = optarg;
			break;
		case 30:
			vmd.handshake_ms = atoi(optarg);
			if (vmd.handshake_ms < 100 ||
			    vmd.handshake_ms > 600000) {
				usage(stderr);
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (vmd.render.bin) {
		if (!vmd.render.cert || !vmd.render.key) {
			fprintf(stderr,
			    "tessera-vmd: --render-bin needs "
			    "--render-cert and --render-key\n");
			return 2;
		}
		if (vmd.render.ca == NULL)
			vmd.render.ca = ca;
		if (vmd.render.ca == NULL) {
			fprintf(stderr,
			    "tessera-vmd: --render-bin needs "
			    "--render-ca (or --ca)\n");
			return 2;
		}
		if (vmd.render.addr == NULL)
			vmd.render.addr = "127.0.0.1";
		if (vmd.render.port_base == 0)
			vmd.render.port_base = 5900;
		if (vmd.render.crl == NULL)
			vmd.render.crl = crl;
	}
	if (listen_addr && (!cert || !key || !ca)) {
		fprintf(stderr,
		    "tessera-vmd: --listen needs --cert, --key "
		    "and --ca\n");
		return 2;
	}
	log_init("tessera-vmd", foreground || check, verbose);
	if (vmd.render.bin &&
	    tsr_tls_cert_fingerprint(vmd.render.cert, vmd.render.fingerprint,
		sizeof(vmd.render.fingerprint)) == -1)
		fatalx("%s: not a certificate", vmd.render.cert);

	if (state[0] != '/' || strlen(state) > VMD_PATH_MAX - 64)
		fatalx("--state must be an absolute path of reasonable length");
	snprintf(vmd.state_dir, sizeof(vmd.state_dir), "%s", state);
	snprintf(vmd.qubes_dir, sizeof(vmd.qubes_dir), "%s/qubes", state);
	snprintf(vmd.display_dir, sizeof(vmd.display_dir), "%s/display", state);
	snprintf(vmd.sock_path, sizeof(vmd.sock_path), "%s/control.sock",
	    state);
	if (policy)
		snprintf(vmd.policy_dir, sizeof(vmd.policy_dir), "%s", policy);
	else if (state_given)
		snprintf(vmd.policy_dir, sizeof(vmd.policy_dir), "%s/policy.d",
		    state);
	else
		snprintf(vmd.policy_dir, sizeof(vmd.policy_dir),
		    "/etc/tessera/policy.d");

	if ((vmd.policy = vmd_policy_load_dir(vmd.policy_dir, err,
		 sizeof(err))) == NULL)
		fatalx("policy: %s", err);
	if (check) {
		printf("policy OK: %zu rules\n", vmd_policy_nrules(vmd.policy));
		vmd_policy_free(vmd.policy);
		return 0;
	}

	if (display_user == NULL && vmd.render.user != NULL)
		display_user = vmd.render.user;
	if (display_user == NULL && getpwnam("tessera-render") != NULL)
		display_user = "tessera-render";
	if (display_user) {
		if ((pw = getpwnam(display_user)) == NULL)
			fatalx("no user %s", display_user);
		vmd.display_uid = pw->pw_uid;
		vmd.display_gid = pw->pw_gid;
	}

	/* QEMU runs as libvirt's user and creates the display sockets. */
	pw = getpwnam("libvirt-qemu");
	if (make_dir(vmd.state_dir, 0711, (uid_t)-1) == -1 ||
	    make_dir(vmd.qubes_dir, 0711, (uid_t)-1) == -1 ||
	    make_dir(vmd.display_dir, 0711, pw ? pw->pw_uid : (uid_t)-1) == -1)
		fatalx("cannot prepare %s", vmd.state_dir);
	snprintf(path, sizeof(path), "%s/store.db", state);
	if ((vmd.store = vmd_store_open(path, err, sizeof(err))) == NULL)
		fatalx("store: %s", err);
	chmod(path, 0600);

	if (uri) {
		snprintf(vmd.uri, sizeof(vmd.uri), "%s", uri);
		set_hv_from_uri(&vmd);
	} else {
		default_uri(&vmd);
	}

	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");

	TAILQ_INIT(&vmd.conns);
	TAILQ_INIT(&vmd.waiters);
	vmd.unix_fd = vmd.tls_fd = -1;
	if (virEventRegisterDefaultImpl() == -1)
		fatalx("cannot set up libvirt's event loop");

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, &vmd,
	    NULL);

	if (hv_open(&vmd, &hv_handlers) == 0) {
		hv_reconcile(&vmd);
		life_autostart(&vmd);
	}
	if (control_listen_unix(&vmd) == -1)
		fatalx("cannot listen on %s", vmd.sock_path);
	if (listen_addr &&
	    control_listen_tls(&vmd, listen_addr, cert, key, ca, crl) == -1)
		fatalx("cannot listen on %s", listen_addr);
	log_info("ready: %s, %s%s%s", vmd.sock_path, vmd_hv_name(vmd.hv),
	    listen_addr ? ", TLS on " : "", listen_addr ? listen_addr : "");

	while (!vmd.quit)
		if (virEventRunDefaultImpl() == -1)
			fatalx("event loop failed");

	render_stop_all(&vmd);
	control_close_all(&vmd);
	/* one more turn, without waiting, runs the free callbacks */
	virEventAddTimeout(0, noop_timer, NULL, NULL);
	virEventRunDefaultImpl();
	hv_close(&vmd);
	vmd_store_close(vmd.store);
	vmd_policy_free(vmd.policy);
	if (vmd.tls_ctx)
		SSL_CTX_free(vmd.tls_ctx);
	close(sfd);
	return 0;
}
