/*
 * What the NATS owner (share_nats.c) and follower (share_nats_follow.c)
 * share (share_nats_link.c): the bridge from libnats' threads into the loop,
 * the link state, and the connection with its options and credentials.
 * Internal to those three files.
 */
#ifndef OPSDECK_SHARE_NATS_INT_H
#define OPSDECK_SHARE_NATS_INT_H

#include "share_nats.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum nbr_kind { NBR_LINE, NBR_LINK, NBR_REQ };

/* One thing for the loop: posted from any thread, handled on the loop. */
struct nbr_event {
    enum nbr_kind kind;
    char *text; /* NBR_LINE, NBR_REQ: the line (NUL-terminated copy) */
    size_t len;
    char *user;  /* NBR_REQ */
    char *reply; /* NBR_REQ: the reply subject ("" without one) */
    bool up;     /* NBR_LINK */
    int64_t since_ms;
    struct nbr_event *next;
};

typedef void (*nbr_handler)(struct nbr_event *ev, void *ud);

/*
 * The bridge and the link. mu guards everything here and the owner's or
 * follower's own shared fields; cond wakes the worker.
 */
struct nbridge {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int pipe[2];
    struct loop *loop;
    struct loop_watch *watch;
    struct nbr_event *head, **tail;
    nbr_handler handler;
    void *ud;

    /* the link, as libnats' callbacks see it */
    bool up;
    int64_t down_since_ms;
    uint64_t reconnects; /* each reconnect: the worker re-syncs */
    bool closed;         /* the connection's closed callback ran */
    int live_subs;       /* async subscriptions whose handler may still run */
    bool stop;
    char *error; /* the last lasting error, for the status line */

    /* the connection: written by the worker under mu */
    natsConnection *nc;
    jsCtx *js;
    pthread_t worker;
    bool worker_started;

    /* options, copied */
    char *url, *user, *as, *password, *token, *creds, *stream, *prefix, *run, *name;
    int timeout_ms;
};

/* Copy the options and read the credentials; false with *cause. */
bool nbr_init(struct nbridge *b, struct loop *loop, const struct share_nats_opts *o,
              const char *run_id, const char *role, nbr_handler handler, void *ud, char **cause);
/* Stop the worker (its function returns when b->stop), close, free. */
void nbr_fini(struct nbridge *b);
bool nbr_start(struct nbridge *b, void *(*worker)(void *), void *arg, char **cause);
/* Queue ev for the loop and wake it (any thread; takes mu). */
void nbr_post(struct nbridge *b, struct nbr_event *ev);
/* The same with mu held. */
void nbr_post_locked(struct nbridge *b, struct nbr_event *ev);
struct nbr_event *nbr_line_event(const char *data, size_t len);

/*
 * Connect once (a blocking call: create or the worker) and make the JetStream
 * context. *transient: the server could not be reached (refused, timeout),
 * as opposed to refused credentials. On success b->nc, b->js are set, up.
 */
bool nbr_dial(struct nbridge *b, bool *transient, char **cause);
/* The stream's info; create it when create and missing. A clear *cause for no JetStream. */
bool nbr_stream(struct nbridge *b, bool create, char **cause);
/*
 * Count sub as live until libnats says its handler has returned for good
 * (after it is unsubscribed or the connection closed): nbr_fini waits for
 * that before the owner or follower is freed. Call right after subscribing.
 */
void nbr_track_sub(struct nbridge *b, natsSubscription *sub);
/* "opsdeck.run.RUN.ev" etc.; caller frees. */
char *nbr_subject(const struct nbridge *b, const char *kind, const char *tail);
/* Wait on cond for at most ms (mu held). */
void nbr_wait(struct nbridge *b, int ms);
/* Replace b->error (mu held); text is taken. */
void nbr_set_error(struct nbridge *b, char *text);
/* "NATS at URL: what (natsStatus text: last error)"; caller frees. */
char *nbr_status_text(const struct nbridge *b, const char *what, natsStatus s);
/* The seq in a Nats-Msg-Id "RUN:SEQ" of msg; false without one. */
bool nbr_msg_seq(natsMsg *msg, uint64_t *seq);

#endif
