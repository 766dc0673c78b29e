/*
 * The HAProxy backend: load-balancer pools from the stats CSV (over HTTP, or
 * `show stat` on the runtime API) and server actions (drain, ready, maint,
 * weight) over the runtime API socket. See haproxy.c for the design.
 *
 * Config keys: url (stats page; ";csv" is appended unless present), socket (a
 * unix socket path, "unix:PATH", "tcp:HOST:PORT" or "HOST:PORT" with a numeric
 * host), plus the HTTP client's keys (backends/http.h). At least one of url
 * and socket; actions need socket.
 */
#ifndef OPSDECK_HAPROXY_H
#define OPSDECK_HAPROXY_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>

extern const struct backend_impl haproxy_backend;

/*
 * Parse HAProxy stats CSV (the stats page's ";csv" or the runtime API's
 * `show stat`) into pool rows of rs: one per server ("be_web/web2") and one
 * per backend's aggregate line ("be_web/BACKEND"); frontends are skipped.
 * Columns are found by their header name. Reads at most len bytes of text,
 * which need not be NUL-terminated. Returns false with *cause when the text
 * is not stats CSV; rs may then hold some rows and is still the caller's.
 */
bool haproxy_parse_csv(const char *text, size_t len, struct rowset *rs, char **cause);

/* Admin states by "backend/server", from `show servers state` (haproxy_state.c). */
struct haproxy_admin {
    char **key;
    unsigned *bits; /* srv_admin_state */
    size_t n;
};
/* Replace a's contents with the servers of the answer; a text of another shape gives none. */
void haproxy_parse_admin(const char *text, size_t len, struct haproxy_admin *a);
void haproxy_admin_clear(struct haproxy_admin *a);
/* "maint", "drain" or "ready" for a server, NULL when a (may be NULL) does not know it. */
const char *haproxy_admin_word(const struct haproxy_admin *a, const char *key);
/*
 * haproxy_parse_csv() with the admin states: a server whose status hides
 * its admin state (a DOWN server that is drained reads "DOWN" in the CSV)
 * shows both ("DOWN drain"), and every server's detail names its admin state.
 */
bool haproxy_parse_csv_admin(const char *text, size_t len, const struct haproxy_admin *admin,
                             struct rowset *rs, char **cause);

#endif
