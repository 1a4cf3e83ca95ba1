/*
 * libvncclient's credentials for VeNCrypt with X.509 (X509None with a
 * client certificate, or X509Plain's server check): the test viewers and
 * the benchmark client answer libvncclient's questions the same way.
 */
#ifndef TSR_VNCC_X509_H
#define TSR_VNCC_X509_H

#include <rfb/rfbclient.h>

/*
 * Gives cl the CA to check the server against and, if not NULL, the
 * client certificate and key (no CRL check); no password.  The paths are
 * kept, not copied: one set per process, valid while clients connect.
 */
void tsr_vncc_x509(rfbClient *cl, const char *ca, const char *cert,
    const char *key);

#endif
