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
 * (backend_poll_now after an action) runs when the poll ends. Since
 * http_request() never calls back before it returns, the handle kept here is
 * always the one in flight.
 *
 * Hedged reads (issue 20, pollpolicy.h): once the backend said its cluster's
 * members serve the same data (http_poll_replicated: Alertmanagers gossip;
 * not HAProxy or NATS, whose every server has its own), a GET sent with
 * http_poll_send by a member of a cluster (cluster.h) that has a live peer
 * is sent to the peer
 * too once it has waited the p95 of this poll's recent answers (after
 * POLL_HEDGE_MIN_SAMPLES of them). The first good answer wins and reaches cb
 * as this poll's own; the other request is cancelled. A peer that fails
 * does not win: the poll waits for its own server. A POST is never hedged;
 * an action (http_action.h) never goes through here. Meanwhile p->req stays
 * the poll's own request until cb runs.
 */
#ifndef OPSDECK_HTTP_POLL_H
#define OPSDECK_HTTP_POLL_H

#include "backend.h"
#include "http.h"

#include <cjson/cJSON.h>

#include <stdbool.h>

struct http_poll_seen; /* private: http_poll.c */
struct json_job;

struct http_poll {
    struct backend *b;
    const struct http_settings *http; /* borrowed: the backend's own settings */
    struct http_request *req;         /* the request in flight, or NULL */
    char *path;                       /* the path of the request in flight (or last sent) */
    struct json_job *job;             /* a parse in flight (http_poll_parse), or NULL */
    struct http_poll_seen *seen;      /* per path: the last answer taken (hash, validators) */
    size_t nseen;
    /* private (http_poll.c) */
    char *key;      /* what the request in flight asks: its path (a POST's: + form) */
    char *answered; /* the key of the answer being handled (http_poll_received) */
    struct http_poll_parse *parse; /* the parse in flight: its callbacks and the answer it reads */
    http_done_cb cb;               /* the backend's callback for the request in flight */
    /* hedged reads */
    struct latency_window latency;    /* this poll's GETs' answer times (its own server's) */
    uint64_t sent_ms;                 /* loop time the request in flight went out */
    bool replicated;                  /* http_poll_replicated: reads may be hedged */
    bool hedgeable;                   /* the request in flight is a GET (a POST: never hedged) */
    bool answer_hedged;               /* the answer being handled came from a peer */
    struct loop_timer *hedge_timer;   /* fires at the p95: send the hedge */
    struct http_request *hedge;       /* the same GET to a peer, or NULL */
    struct http_poll *hedge_peer;     /* the peer's poll whose settings it went with */
    struct http_poll *hedged_by;      /* the polls whose hedge went with these settings */
    struct http_poll *hedge_next;     /* the next in hedge_peer's hedged_by */
    uint64_t reads;                   /* GETs sent (http_poll_send) */
    uint64_t hedges_sent, hedges_won; /* hedges sent, and answered first (well) */
};

void http_poll_init(struct http_poll *p, struct backend *b, const struct http_settings *http);
/*
 * Cancel the request in flight, if any (and its hedge): its callback will not
 * run. A hedge another poll sent with this poll's settings is cancelled
 * too (the settings go away with it); that poll waits for its own server.
 */
void http_poll_finish(struct http_poll *p);

/*
 * The members of this backend's cluster serve the same data (replicas): a
 * slow read may be hedged to a peer. Off by default: a member of a cluster
 * of servers that each answer their own (load balancers' stats, a NATS
 * server's connections) must read its own server.
 */
void http_poll_replicated(struct http_poll *p);

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

/*
 * Unchanged input costs nothing (issue 19). A GET sent with http_poll_send is
 * conditional (If-None-Match / If-Modified-Since) once an answer for its path
 * has been taken with the validators the server gave.
 *
 * In cb (after http_poll_received): r is the same as the last answer taken
 * for this path: a 304, or a 2xx whose body hashes the same. The backend then
 * rebuilds nothing (its rows in the store are still right) and goes on with
 * its chain, or says backend_ok(). Ask it before http_ok(): a 304 is not a
 * 2xx. A POST's answer is keyed by path and form.
 */
bool http_poll_same(struct http_poll *p, const struct http_response *r);
/*
 * r (a 2xx) was read and its rows published: remember its hash and
 * validators for its path. Only what was taken counts as "the same": an
 * answer that failed to parse is parsed (and fails) again next time.
 */
void http_poll_took(struct http_poll *p, const struct http_response *r);
/*
 * Forget every answer taken (the next answers are all read again, sent
 * without validators): e.g. when the rows were dropped for another reason.
 */
void http_poll_forget(struct http_poll *p);

/*
 * Parse r's body as a JSON list (the array at member: jsonstream.h) in
 * slices on the loop (jsonjob.h), taking the body from r. The poll stays in
 * flight until done has run; http_poll_finish cancels the parse too. done
 * gets the backend's ud; r is gone by then: call http_poll_took from the
 * response's callback data you kept, i.e. use http_poll_parse_took(p) in done.
 */
void http_poll_parse(struct http_poll *p, const struct http_response *r, const char *member,
                     bool (*elem)(void *ud, cJSON *elem, char **cause),
                     void (*done)(void *ud, bool ok, const char *cause, const cJSON *rest,
                                  size_t nelems),
                     void *ud);
/* In http_poll_parse's done, when it was read and published: as http_poll_took for that answer. */
void http_poll_parse_took(struct http_poll *p);

#endif
