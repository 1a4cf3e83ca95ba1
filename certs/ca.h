/*
 * tessera-ca: the Tessera PKI.  The command line (ca.c).  The program's
 * files, each with its header, depend on one another in this order:
 *
 * ca.c        command line: options, usage, main
 * ca_cmd.c    the commands, one function each
 * ca_file.c   the CA directory: lock, atomic writes, recovery, loading
 *             the index and the CA's keys
 * ca_x509.c   keys, certificates, CRL, PKCS#12 (OpenSSL 3 EVP), in memory
 * ca_index.c  the index file: strict parser and writer (no I/O, no OpenSSL;
 *             this is the fuzz target), name/DNS/IP validation
 *
 * A command that is called wrongly reports it through ca_usage(), which
 * exits.
 */
#ifndef CA_H
#define CA_H

__attribute__((format(printf, 2, 3), noreturn)) void ca_usage(const char *,
    const char *, ...);

#endif
