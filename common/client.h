/*
 * A blocking Admin API client: the tessera CLI, and any program that asks
 * tessera-vmd something and waits for the answer.
 */
#ifndef TSR_CLIENT_H
#define TSR_CLIENT_H

#include <stddef.h>

#include "api.h"

struct tsr_client;

struct tsr_client *tsr_client_unix(const char *path, char *err, size_t errlen);
/* host:port with mutual TLS: the server must chain to ca and be for host. */
struct tsr_client *tsr_client_tls(const char *hostport, const char *ca,
    const char *cert, const char *key, char *err, size_t errlen);
/* An already connected stream socket, e.g. one end of a socketpair. */
struct tsr_client *tsr_client_adopt(int fd);
void tsr_client_close(struct tsr_client *);

/*
 * Sends a request (args stolen, may be NULL) and waits for its reply.
 * Events that arrive meanwhile go to on_event if set, else are dropped.
 * Returns 0 with the reply in *m (free with tsr_api_msg_free; check m->ok),
 * or -1 on a transport or protocol error (err says which).
 */
int tsr_client_call(struct tsr_client *, const char *method, const char *target,
    json_t *args, struct tsr_api_msg *m, char *err, size_t errlen);
void tsr_client_on_event(struct tsr_client *,
    void (*fn)(const struct tsr_api_msg *, void *), void *arg);

/* Reads the next message (an event, after events.subscribe). */
int tsr_client_next(struct tsr_client *, struct tsr_api_msg *m, char *err,
    size_t errlen);
/* The socket, for poll(); tsr_client_pending() says whether data waits. */
int tsr_client_fd(struct tsr_client *);
int tsr_client_pending(struct tsr_client *);

#endif
