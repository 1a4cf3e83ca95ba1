/*
 * The display methods: display.endpoint (where a qube's display is
 * served, and an RDP ticket if asked) and display.authorize (a
 * render-server asks whether a viewer may see its qube), and the tickets
 * themselves, kept per connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hex.h"
#include "log.h"
#include "vmd.h"

/*
 * A ticket for the caller to log on to the qube's render-server over RDP
 * (user TSR_TICKET_USER, the secret in hex as the password).  It stands
 * for this connection's caller, on this qube, until the connection closes;
 * asking again replaces it.  The render-server redeems it with
 * display.authorize, and the policy is checked then, as for a certificate.
 */
static int
ticket_issue(struct vmd_call *c, json_t *ep)
{
	struct vmd_conn *conn = c->conn;
	struct vmd_ticket *t = NULL, *nt;
	char hex[2 * TSR_TICKET_BYTES + 1];
	size_t i;

	for (i = 0; i < conn->ntickets; i++)
		if (strcmp(conn->tickets[i].qube, c->q.name) == 0)
			t = &conn->tickets[i];
	if (t == NULL) {
		if (conn->ntickets >= VMD_TICKET_MAX ||
		    (nt = realloc(conn->tickets,
			 (conn->ntickets + 1) * sizeof(*nt))) == NULL)
			return -1;
		conn->tickets = nt;
		t = &conn->tickets[conn->ntickets++];
		snprintf(t->qube, sizeof(t->qube), "%s", c->q.name);
	}
	if (RAND_bytes(t->secret, sizeof(t->secret)) != 1)
		return -1;
	tsr_hex_encode(t->secret, sizeof(t->secret), hex);
	json_object_set_new(ep, "rdp_user", json_string(TSR_TICKET_USER));
	json_object_set_new(ep, "rdp_password", json_string(hex));
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

/* The connection whose ticket for qube this is, or NULL. */
static struct vmd_conn *
ticket_find(struct vmd *vmd, const char *qube, const char *hex)
{
	unsigned char secret[TSR_TICKET_BYTES];
	struct vmd_conn *conn, *found = NULL;
	size_t i;

	if (tsr_hex_decode(hex, secret, sizeof(secret)) == -1)
		return NULL;
	TAILQ_FOREACH(conn, &vmd->conns, entry) {
		if (conn->dead || conn->render_qube[0] != '\0')
			continue;
		for (i = 0; i < conn->ntickets; i++)
			if (strcmp(conn->tickets[i].qube, qube) == 0 &&
			    CRYPTO_memcmp(conn->tickets[i].secret, secret,
				sizeof(secret)) == 0)
				found = conn;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	return found;
}

void
m_display_endpoint(struct vmd_call *c)
{
	json_t *ep;

	if (c->power == TSR_POWER_HALTED) {
		api_err(c, "state", "%s is not running", c->q.name);
		return;
	}
	vol_paths(c->vmd, &c->q);
	ep = render_endpoint(c->vmd, c->q.name);
	if (ep == NULL && c->conn->ssl != NULL) {
		api_err(c, "unavailable", "%s has no network display",
		    c->q.name);
		return;
	}
	if (ep == NULL)
		ep = json_object();
	else if (json_is_true(json_object_get(c->req->args, "ticket")) &&
	    ticket_issue(c, ep) == -1) {
		json_decref(ep);
		api_err(c, "internal", "no ticket for %s", c->q.name);
		return;
	}
	/* the device model's socket is for local callers only */
	if (c->conn->ssl == NULL)
		json_object_set_new(ep, "socket",
		    json_string(c->q.display_socket));
	json_object_set_new(ep, "label", json_string(c->q.label.name));
	api_ok(c, ep);
}

/*
 * A render-server asks whether a viewer may see a qube: the caller (the
 * render-server) must be allowed display.authorize, and the viewer
 * display.connect.  Viewers with a certificate are cert:CN / role:ROLE;
 * viewers with a password are login:NAME (never a unix user).
 */
void
m_display_authorize(struct vmd_call *c)
{
	const char *cn = json_string_value(json_object_get(c->req->args, "cn"));
	const char *role =
	    json_string_value(json_object_get(c->req->args, "role"));
	const char *user =
	    json_string_value(json_object_get(c->req->args, "user"));
	const char *ticket =
	    json_string_value(json_object_get(c->req->args, "ticket"));
	struct vmd_caller viewer;
	struct vmd_target t;
	int ok;

	memset(&viewer, 0, sizeof(viewer));
	if (ticket != NULL && !cn && !user) {
		struct vmd_conn *holder =
		    ticket_find(c->vmd, c->q.name, ticket);

		api_target_of(c->vmd, &c->q, &t);
		ok = holder != NULL &&
		    vmd_policy_check(c->vmd->policy, "display.connect",
			&holder->caller, &t, NULL);
		log_info("%s: viewer %s%s on %s: %s", c->conn->who,
		    holder ? holder->who : "with an unknown ticket",
		    holder ? " (ticket)" : "", c->q.name,
		    ok ? "allowed" : "refused");
		if (!ok) {
			api_ok(c, json_pack("{s:b}", "allowed", 0));
			return;
		}
		/* tessera-view (certificate or local) draws the frame */
		api_ok(c,
		    json_pack("{s:b, s:s, s:b}", "allowed", 1, "viewer",
			holder->who, "unframed",
			holder->caller.kind != VMD_CALLER_LOGIN));
		return;
	}
	if (cn && !user) {
		viewer.kind = VMD_CALLER_CERT;
		viewer.cn = cn;
		viewer.role = role == NULL	? VMD_ROLE_NONE :
		    strcmp(role, "viewer") == 0 ? VMD_ROLE_VIEWER :
		    strcmp(role, "admin") == 0	? VMD_ROLE_ADMIN :
						  VMD_ROLE_NONE;
	} else if (user && !cn) {
		viewer.kind = VMD_CALLER_LOGIN;
		viewer.user = user;
	} else {
		api_err(c, "invalid",
		    "display.authorize wants cn (and role), "
		    "user, or ticket");
		return;
	}
	api_target_of(c->vmd, &c->q, &t);
	ok = vmd_policy_check(c->vmd->policy, "display.connect", &viewer, &t,
	    NULL);
	log_info("%s: viewer %s%s on %s: %s", c->conn->who,
	    cn ? "cert:" : "user:", cn ? cn : user, c->q.name,
	    ok ? "allowed" : "refused");
	api_ok(c, json_pack("{s:b}", "allowed", ok));
}