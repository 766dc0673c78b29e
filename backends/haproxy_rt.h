/*
 * HAProxy's runtime API, the client (the writing half of the HAProxy backend,
 * and `show stat` when there is no stats page): one command per connection
 * on a non-blocking socket on the event loop. Connect (watching POLLOUT while
 * in progress), write the command and a newline, read until HAProxy closes
 * (it does after one command when not in interactive mode), all under a
 * one-shot timer of the backend's timeout. Replies are capped at 32 MiB.
 *
 * The address is `socket` from the config: a unix socket path ("~/" is
 * $HOME), "unix:PATH", "tcp:HOST:PORT" or "HOST:PORT" with a numeric host
 * (or localhost; "[V6]:PORT" too): a DNS lookup would block the one thread.
 *
 * The caller checks what goes into a command: this client sends it as it is.
 */
#ifndef OPSDECK_HAPROXY_RT_H
#define OPSDECK_HAPROXY_RT_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct haproxy_rt_call;

/*
 * The answer: error is NULL when HAProxy answered (reply, len; reply is
 * NUL-terminated), else why not ("runtime API /run/haproxy.sock: connection
 * refused", "... timed out after 5000 ms").
 */
typedef void (*haproxy_rt_done_cb)(void *ud, const char *error, const char *reply, size_t len);
/* Free ud of a call abandoned by haproxy_rt_finish(). */
typedef void (*haproxy_rt_drop_cb)(void *ud);

/* One runtime API endpoint and the calls in flight on it. */
struct haproxy_rt {
    struct backend *b; /* its loop and timeout */
    struct sockaddr_storage ss;
    socklen_t len;
    char *name; /* the address as configured, for messages; NULL until set */
    struct haproxy_rt_call *calls;
};

void haproxy_rt_init(struct haproxy_rt *rt, struct backend *b);
/* Drop every call in flight (drop, not done, runs for each) and free what rt holds. */
void haproxy_rt_finish(struct haproxy_rt *rt);
/* Set the address from the `socket` key; false with *cause when it is not one. */
bool haproxy_rt_address(struct haproxy_rt *rt, const char *value, char **cause);

/*
 * Send one command (without the newline). False with *cause when it fails at
 * once (no event loop, no socket, refused at once): done and drop are then
 * never called. Otherwise done runs exactly once, later, on the loop, unless
 * haproxy_rt_finish() drops the call first. drop may be NULL.
 */
bool haproxy_rt_call(struct haproxy_rt *rt, const char *cmd, haproxy_rt_done_cb done,
                     haproxy_rt_drop_cb drop, void *ud, char **cause);

#endif
