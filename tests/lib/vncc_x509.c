/*
 * libvncclient's credential callbacks for VeNCrypt with X.509: the paths
 * tsr_vncc_x509 was given, as libvncclient wants them (strdup'ed, it frees
 * them).
 */
#include <stdlib.h>
#include <string.h>

#include "vncc_x509.h"

static struct {
	const char *ca, *cert, *key;
} x509;

static char *
get_password(rfbClient *cl)
{
	(void)cl;
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static rfbCredential *
get_credential(rfbClient *cl, int type)
{
	rfbCredential *c;

	(void)cl;
	if (type != rfbCredentialTypeX509 ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->x509Credential.x509CACertFile = dup_or_null(x509.ca);
	c->x509Credential.x509ClientCertFile = dup_or_null(x509.cert);
	c->x509Credential.x509ClientKeyFile = dup_or_null(x509.key);
	c->x509Credential.x509CrlVerifyMode = rfbX509CrlVerifyNone;
	return c;
}

void
tsr_vncc_x509(rfbClient *cl, const char *ca, const char *cert, const char *key)
{
	x509.ca = ca;
	x509.cert = cert;
	x509.key = key;
	cl->GetPassword = get_password;
	cl->GetCredential = get_credential;
}
