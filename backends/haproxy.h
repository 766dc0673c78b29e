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

#endif
