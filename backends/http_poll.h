/*
 * One poll of an HTTP backend, the shared way (DESIGN rule 1): at most one
 * fetch in flight per backend, however many requests a poll chains (alerts
 * then silences; queues, then bindings, then consumers; page after page).
 *
 * A backend embeds a struct http_poll in its private state and:
 *
 *   create   http_poll_init(&x->poll, b, &x->http)
 *   poll     if (!http_poll_begin(&x->poll)) return;   a fetch is in flight
 *            http_poll_send(&x->poll, path, on_answer);
 *   answer   struct backend *b = http_poll_received(ud);   first thing: the
 *                                                          request is gone
 *            ... then http_poll_send() the next request of the chain, or
 *            http_poll_end() once the poll is over, however it ended
 *   destroy  http_poll_finish(&x->poll)                cancels what is in flight
 *
 * begin and end are backend_poll_begin() and backend_poll_end() (backend.h):
 * b->polling is set in between, and a refresh asked for meanwhile
 * (backend_refresh_soon after an action) runs when the poll ends. Since
 * http_request() never calls back before it returns, the handle kept here is
 * always the one in flight.
 */
#ifndef OPSDECK_HTTP_POLL_H
#define OPSDECK_HTTP_POLL_H

#include "backend.h"
#include "http.h"

#include <stdbool.h>

struct http_poll {
    struct backend *b;
    const struct http_settings *http; /* borrowed: the backend's own settings */
    struct http_request *req;         /* the request in flight, or NULL */
};

void http_poll_init(struct http_poll *p, struct backend *b, const struct http_settings *http);
/* Cancel the request in flight, if any: its callback will not run. */
void http_poll_finish(struct http_poll *p);

/* False while a poll is in flight: skip this one. */
bool http_poll_begin(struct http_poll *p);
/* GET path (below the settings' url) as the poll's request; cb gets p as its ud. */
void http_poll_send(struct http_poll *p, const char *path, http_done_cb cb);
/* POST a form (application/x-www-form-urlencoded, copied) to path as the poll's request. */
void http_poll_post_form(struct http_poll *p, const char *path, const char *form, http_done_cb cb);
/* In cb, first: the request has answered and is gone. Returns the backend. */
struct backend *http_poll_received(void *ud);
/* The poll is over, however it ended. */
void http_poll_end(struct http_poll *p);

#endif
