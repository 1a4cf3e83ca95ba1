/*
 * Who may connect, for VNC and RDP alike.  The TLS layer has already
 * checked a certificate (chain to --ca, not expired, not in --crl);
 * passwords are checked against --passwd here.  With --vmd, tessera-vmd's
 * policy has the last word (display.authorize).  --vmd is a socket path,
 * or "fd:N": a connection tessera-vmd made for this render-server when it
 * started it (no file system access needed, and the daemon knows who asks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "client.h"
#include "log.h"
#include "passwd.h"
#include "rs.h"

static struct {
	char qube[64];
	struct rs_pw *pw;
	size_t npw;
	const char *vmd_sock;
	struct tsr_client *vmd;	  /* with fd:N, the one connection */
	pthread_mutex_t vmd_lock; /* one question at a time on it */
	/*
	 * At most RS_KDF_MAX password checks at once, each 32 MiB and ~0.1 s
	 * of a core: more would only share the cores.  Per address they are
	 * bounded by the admission of connections (conn.c, rdp.c): a
	 * connection checks one password, before it stops counting.
	 */
	pthread_mutex_t kdf_lock;
	pthread_cond_t kdf_cond;
	int kdf_running;
} a = { .kdf_lock = PTHREAD_MUTEX_INITIALIZER,
	.kdf_cond = PTHREAD_COND_INITIALIZER,
	.vmd_lock = PTHREAD_MUTEX_INITIALIZER };

#define RS_KDF_MAX 2

int
rs_auth_init(const char *qube, const char *passwd_file, const char *vmd_sock)
{
	snprintf(a.qube, sizeof(a.qube), "%s", qube);
	a.vmd_sock = vmd_sock;
	if (vmd_sock && strncmp(vmd_sock, "fd:", 3) == 0) {
		char *end;
		long fd = strtol(vmd_sock + 3, &end, 10);

		if (*end != '\0' || fd < 3 || fd > 1024 ||
		    (a.vmd = tsr_client_adopt((int)fd)) == NULL) {
			log_warnx("--vmd %s: want a socket path or fd:N",
			    vmd_sock);
			return -1;
		}
	}
	if (passwd_file && rs_pw_load(passwd_file, &a.pw, &a.npw) == -1)
		return -1;
	return 0;
}

void
rs_auth_free(void)
{
	tsr_client_close(a.vmd);
	a.vmd = NULL;
	if (a.pw != NULL)
		OPENSSL_cleanse(a.pw, a.npw * sizeof(*a.pw));
	free(a.pw);
	a.pw = NULL;
	a.npw = 0;
}

/* Asks tessera-vmd; args is stolen.  0 if allowed, 1 if allowed and the
 * viewer draws the trust frame itself, -1 if not. */
static int
ask_vmd(json_t *args, const char *who)
{
	struct tsr_api_msg m;
	struct tsr_client *c;
	char err[256], esc[128];
	const char *viewer;
	json_t *allowed;
	int rc = -1;

	if (a.vmd != NULL) {
		c = a.vmd;
		pthread_mutex_lock(&a.vmd_lock);
	} else if ((c = tsr_client_unix(a.vmd_sock, err, sizeof(err))) ==
	    NULL) {
		log_warnx("%s: tessera-vmd: %s", who, err);
		json_decref(args);
		return -1;
	}
	if (tsr_client_call(c, "display.authorize", a.qube, args, &m, err,
		sizeof(err)) == -1) {
		log_warnx("%s: display.authorize: %s", who, err);
		goto out;
	}
	allowed = m.ok ? json_object_get(m.result, "allowed") : NULL;
	if (json_is_true(allowed)) {
		rc = json_is_true(json_object_get(m.result, "unframed"));
		viewer = json_string_value(json_object_get(m.result, "viewer"));
		if (viewer != NULL) {
			log_escape(esc, sizeof(esc), viewer, strlen(viewer));
			log_info("%s: tessera-vmd says yes, for %s", who, esc);
		}
	} else
		log_info("%s: tessera-vmd says no%s%s", who, m.ok ? "" : ": ",
		    m.ok ? "" : (m.error_message ? m.error_message : "error"));
	tsr_api_msg_free(&m);
out:
	if (c == a.vmd)
		pthread_mutex_unlock(&a.vmd_lock);
	else
		tsr_client_close(c);
	return rc;
}

int
rs_auth_cert(const char *cn, const char *role)
{
	char who[96];

	snprintf(who, sizeof(who), "cert:%s", cn);
	if (a.vmd_sock == NULL)
		return 0;
	return ask_vmd(json_pack("{s:s, s:s}", "cn", cn, "role",
			   role ? role : ""),
		   who) < 0 ?
	    -1 :
	    0;
}

int
rs_auth_password(const char *user, const char *pass)
{
	const struct rs_pw *e = NULL;
	char who[96], esc[80];
	size_t i;
	int ok;

	log_escape(esc, sizeof(esc), user, strlen(user));
	snprintf(who, sizeof(who), "user:%s", esc);
	/* a ticket from tessera-vmd (display.endpoint), never a password */
	if (strcmp(user, TSR_TICKET_USER) == 0) {
		if (a.vmd_sock == NULL) {
			log_info("%s: tickets need --vmd", who);
			return -1;
		}
		return ask_vmd(json_pack("{s:s}", "ticket", pass), who);
	}
	for (i = 0; i < a.npw; i++)
		if (strcmp(a.pw[i].user, user) == 0)
			e = &a.pw[i];
	pthread_mutex_lock(&a.kdf_lock);
	while (a.kdf_running >= RS_KDF_MAX)
		pthread_cond_wait(&a.kdf_cond, &a.kdf_lock);
	a.kdf_running++;
	pthread_mutex_unlock(&a.kdf_lock);
	if (e == NULL) {
		rs_pw_dummy(pass);
		ok = 0;
	} else
		ok = rs_pw_verify(e, pass) == 0;
	pthread_mutex_lock(&a.kdf_lock);
	a.kdf_running--;
	pthread_cond_signal(&a.kdf_cond);
	pthread_mutex_unlock(&a.kdf_lock);
	if (!ok) {
		log_info("%s: wrong user or password", who);
		return -1;
	}
	if (a.vmd_sock == NULL)
		return 0;
	return ask_vmd(json_pack("{s:s}", "user", user), who) < 0 ? -1 : 0;
}
