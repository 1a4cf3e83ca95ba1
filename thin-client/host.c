/*
 * One thread per host: connect, list, subscribe, follow; reconnect with
 * backoff when the host goes away.  Everything the host sends is checked
 * before it reaches the compositor: qube names must be valid
 * (tsr_qube_name_valid), labels must parse, states must be power states.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "facts.h"
#include "host.h"
#include "label.h"
#include "log.h"

#define TV_DEFAULT_PORT "7443"

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tv_ev *q_head, **q_tail = &q_head;
static void (*q_wake)(void);
static int h_rdp[TV_MAX_HOSTS];

struct host_arg {
	struct tv_host *h;
	int idx;
};

static void
post(struct tv_ev *e)
{
	e->next = NULL;
	pthread_mutex_lock(&q_mu);
	*q_tail = e;
	q_tail = &e->next;
	pthread_mutex_unlock(&q_mu);
	if (q_wake != NULL)
		q_wake();
}

static struct tv_ev *
ev_new(enum tv_ev_kind kind, int host)
{
	struct tv_ev *e = calloc(1, sizeof(*e));

	if (e == NULL)
		fatal("calloc");
	e->kind = kind;
	e->host = host;
	return e;
}

struct tv_ev *
tv_hosts_take(void)
{
	struct tv_ev *e;

	pthread_mutex_lock(&q_mu);
	e = q_head;
	q_head = NULL;
	q_tail = &q_head;
	pthread_mutex_unlock(&q_mu);
	return e;
}

static struct tsr_client *
host_connect(const struct tv_host *h, char *err, size_t errlen)
{
	char hp[300];

	if (h->spec[0] == '/')
		return tsr_client_unix(h->spec, err, errlen);
	if (strchr(h->spec, ':') == NULL ||
	    (h->spec[0] == '[' && strstr(h->spec, "]:") == NULL))
		snprintf(hp, sizeof(hp), "%s:%s", h->spec, TV_DEFAULT_PORT);
	else
		snprintf(hp, sizeof(hp), "%s", h->spec);
	return tsr_client_tls(hp, h->ca, h->cert, h->key, err, errlen);
}

/* A qube object from the host, into info; -1 if it is malformed. */
static int
qube_info(json_t *o, struct tv_info *info)
{
	const char *name, *label, *state;
	struct tsr_label l;
	enum tsr_power p;

	name = json_string_value(json_object_get(o, "name"));
	label = json_string_value(json_object_get(o, "label"));
	state = json_string_value(json_object_get(o, "state"));
	if (name == NULL || label == NULL || state == NULL ||
	    !tsr_qube_name_valid(name) || tsr_label_parse(label, &l) == -1 ||
	    tsr_power_parse(state, &p) == -1)
		return -1;
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	snprintf(info->label, sizeof(info->label), "%s", l.name);
	info->rgb = l.rgb;
	info->state = p;
	return 0;
}

/* Events that arrive while a call waits for its reply, kept for later. */
struct pending {
	struct tsr_api_msg m[64];
	int n;
	int overflow;
};

static void
keep_event(const struct tsr_api_msg *m, void *arg)
{
	struct pending *p = arg;

	if (p->n == (int)(sizeof(p->m) / sizeof(p->m[0]))) {
		p->overflow = 1;
		return;
	}
	/* the message is the caller's: keep a reference to its JSON */
	p->m[p->n] = *m;
	json_incref(m->root);
	p->n++;
}

/* Asks where qube's display is and posts it. */
static int
endpoint(struct tsr_client *c, int idx, const char *qube, char *err,
    size_t errlen)
{
	struct tsr_api_msg m;
	struct tv_ev *e;
	const char *host, *user = NULL, *pass = NULL;
	json_int_t port;
	int rdp = h_rdp[idx];

	/* over RDP a ticket stands for our certificate */
	if (tsr_client_call(c, "display.endpoint", qube,
		rdp ? json_pack("{s:b}", "ticket", 1) : NULL, &m, err,
		errlen) == -1)
		return -1;
	e = ev_new(TV_EV_ENDPOINT, idx);
	snprintf(e->info.name, sizeof(e->info.name), "%s", qube);
	if (m.ok) {
		host = json_string_value(json_object_get(m.result, "host"));
		port = json_integer_value(
		    json_object_get(m.result, rdp ? "rdp_port" : "vnc_port"));
		if (rdp) {
			user = json_string_value(
			    json_object_get(m.result, "rdp_user"));
			pass = json_string_value(
			    json_object_get(m.result, "rdp_password"));
		}
		if (host != NULL && strlen(host) < sizeof(e->ep_host) &&
		    port > 0 && port < 65536 &&
		    (!rdp ||
			(user != NULL && pass != NULL && *user != '\0' &&
			    *pass != '\0' &&
			    strlen(user) < sizeof(e->ep_user) &&
			    strlen(pass) < sizeof(e->ep_pass) &&
			    strpbrk(user, "\n") == NULL &&
			    strpbrk(pass, "\n") == NULL))) {
			snprintf(e->ep_host, sizeof(e->ep_host), "%s", host);
			e->ep_port = (int)port;
			if (rdp) {
				snprintf(e->ep_user, sizeof(e->ep_user), "%s",
				    user);
				snprintf(e->ep_pass, sizeof(e->ep_pass), "%s",
				    pass);
			}
		}
	}
	tsr_api_msg_free(&m);
	post(e);
	return 0;
}

/* vm.get qube and post what it says; a qube we may no longer see goes. */
static int
refresh(struct tsr_client *c, int idx, const char *qube, int want_endpoint,
    char *err, size_t errlen)
{
	struct tsr_api_msg m;
	struct tv_ev *e;
	int running = 0;

	if (tsr_client_call(c, "vm.get", qube, NULL, &m, err, errlen) == -1)
		return -1;
	if (!m.ok) {
		e = ev_new(TV_EV_GONE, idx);
		snprintf(e->info.name, sizeof(e->info.name), "%s", qube);
		post(e);
	} else {
		e = ev_new(TV_EV_QUBE, idx);
		if (qube_info(m.result, &e->info) == -1) {
			free(e);
			tsr_api_msg_free(&m);
			snprintf(err, errlen, "malformed qube object");
			return -1;
		}
		running = e->info.state == TSR_POWER_RUNNING;
		post(e);
	}
	tsr_api_msg_free(&m);
	if (running && want_endpoint)
		return endpoint(c, idx, qube, err, errlen);
	return 0;
}

static int
handle_event(struct tsr_client *c, int idx, const struct tsr_api_msg *m,
    char *err, size_t errlen)
{
	const char *ev = m->event, *subj = m->subject;
	struct tv_ev *e;

	if (ev == NULL || subj == NULL || !tsr_qube_name_valid(subj))
		return 0; /* connection-established and the like */
	if (strcmp(ev, "qube-removed") == 0) {
		e = ev_new(TV_EV_GONE, idx);
		snprintf(e->info.name, sizeof(e->info.name), "%s", subj);
		post(e);
		return 0;
	}
	if (strcmp(ev, "domain-start") == 0 ||
	    strcmp(ev, "domain-unpaused") == 0)
		return refresh(c, idx, subj, 1, err, errlen);
	if (strcmp(ev, "qube-added") == 0 || strcmp(ev, "property-set") == 0 ||
	    strcmp(ev, "domain-pre-start") == 0 ||
	    strcmp(ev, "domain-paused") == 0 ||
	    strcmp(ev, "domain-shutdown") == 0 ||
	    strcmp(ev, "domain-stopped") == 0)
		return refresh(c, idx, subj, 0, err, errlen);
	return 0;
}

static int
session(struct tsr_client *c, int idx, char *err, size_t errlen)
{
	struct pending p = { .n = 0 };
	struct tsr_api_msg m;
	struct tv_ev *e;
	size_t i;
	json_t *o;
	int rc = -1, k;

	tsr_client_on_event(c, keep_event, &p);
	/* subscribe first: nothing that happens after the listing is lost */
	if (tsr_client_call(c, "events.subscribe", NULL, NULL, &m, err,
		errlen) == -1)
		goto out;
	if (!m.ok) {
		snprintf(err, errlen, "events.subscribe: %s",
		    m.error_message ? m.error_message : "refused");
		tsr_api_msg_free(&m);
		goto out;
	}
	tsr_api_msg_free(&m);
	if (tsr_client_call(c, "vm.list", NULL, NULL, &m, err, errlen) == -1)
		goto out;
	if (!m.ok || !json_is_array(m.result)) {
		snprintf(err, errlen, "vm.list: %s",
		    m.error_message ? m.error_message : "refused");
		tsr_api_msg_free(&m);
		goto out;
	}
	post(ev_new(TV_EV_HOST_UP, idx));
	json_array_foreach(m.result, i, o) {
		e = ev_new(TV_EV_QUBE, idx);
		if (qube_info(o, &e->info) == -1) {
			free(e);
			continue;
		}
		post(e);
	}
	json_array_foreach(m.result, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));
		const char *s = json_string_value(json_object_get(o, "state"));
		enum tsr_power power;

		if (n != NULL && s != NULL && tsr_qube_name_valid(n) &&
		    tsr_power_parse(s, &power) == 0 &&
		    power == TSR_POWER_RUNNING &&
		    endpoint(c, idx, n, err, errlen) == -1) {
			tsr_api_msg_free(&m);
			goto out;
		}
	}
	tsr_api_msg_free(&m);
	for (;;) {
		while (p.n > 0) {
			struct tsr_api_msg ev = p.m[0];

			p.n--;
			memmove(&p.m[0], &p.m[1], p.n * sizeof(p.m[0]));
			k = handle_event(c, idx, &ev, err, errlen);
			tsr_api_msg_free(&ev);
			if (k == -1)
				goto out;
		}
		if (p.overflow) {
			snprintf(err, errlen, "too many events at once");
			goto out;
		}
		if (tsr_client_next(c, &m, err, errlen) == -1)
			goto out;
		if (m.kind == 'e')
			keep_event(&m, &p);
		tsr_api_msg_free(&m);
	}
out:
	while (p.n > 0)
		tsr_api_msg_free(&p.m[--p.n]);
	return rc;
}

static void *
host_main(void *arg)
{
	struct host_arg *a = arg;
	struct tsr_client *c;
	struct tv_ev *e;
	char err[160];
	unsigned delay = 1;

	for (;;) {
		err[0] = '\0';
		if ((c = host_connect(a->h, err, sizeof(err))) != NULL) {
			session(c, a->idx, err, sizeof(err));
			tsr_client_close(c);
			delay = 1;
		}
		e = ev_new(TV_EV_HOST_DOWN, a->idx);
		snprintf(e->text, sizeof(e->text), "%s",
		    err[0] ? err : "connection closed");
		post(e);
		sleep(delay);
		if (delay < 16)
			delay *= 2;
	}
	return NULL;
}

int
tv_hosts_start(struct tv_host *hosts, int n, void (*wake)(void))
{
	pthread_attr_t at;
	pthread_t th;
	struct host_arg *a;
	int i;

	q_wake = wake;
	for (i = 0; i < n && i < TV_MAX_HOSTS; i++)
		h_rdp[i] = hosts[i].rdp;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < n; i++) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return -1;
		a->h = &hosts[i];
		a->idx = i;
		if (pthread_create(&th, &at, host_main, a) != 0) {
			free(a);
			return -1;
		}
	}
	pthread_attr_destroy(&at);
	return 0;
}

struct cmd_arg {
	struct tv_host *h;
	int idx;
	char method[32];
	char qube[TSR_QUBE_NAME_MAX + 1];
};

static void *
cmd_main(void *arg)
{
	struct cmd_arg *a = arg;
	struct tsr_client *c;
	struct tsr_api_msg m;
	struct tv_ev *e = ev_new(TV_EV_NOTICE, a->idx);
	char err[160] = "";
	json_t *args = NULL;

	if (strcmp(a->method, "vm.shutdown") == 0)
		args = json_pack("{s:b}", "wait", 0);
	if ((c = host_connect(a->h, err, sizeof(err))) == NULL) {
		json_decref(args);
		snprintf(e->text, sizeof(e->text), "%s %s: %s", a->method,
		    a->qube, err);
	} else if (tsr_client_call(c, a->method, a->qube, args, &m, err,
		       sizeof(err)) == -1) {
		snprintf(e->text, sizeof(e->text), "%s %s: %s", a->method,
		    a->qube, err);
	} else {
		if (m.ok)
			snprintf(e->text, sizeof(e->text), "%s %s: done",
			    a->method, a->qube);
		else
			snprintf(e->text, sizeof(e->text), "%s %s: %s",
			    a->method, a->qube,
			    m.error_code ? m.error_code : "refused");
		tsr_api_msg_free(&m);
	}
	if (c != NULL)
		tsr_client_close(c);
	post(e);
	free(a);
	return NULL;
}

void
tv_host_command(struct tv_host *h, int idx, const char *method,
    const char *qube)
{
	pthread_attr_t at;
	pthread_t th;
	struct cmd_arg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return;
	a->h = h;
	a->idx = idx;
	snprintf(a->method, sizeof(a->method), "%s", method);
	snprintf(a->qube, sizeof(a->qube), "%s", qube);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, cmd_main, a) != 0)
		free(a);
	pthread_attr_destroy(&at);
}
