/*
 * The war room across hosts: share.h's lines over NATS JetStream (libnats).
 * This module moves lines; it knows nothing of runs beyond a run id, a
 * journal file and the "seq" of a journal line. docs/war-room.md, "Across
 * hosts: NATS", has the server set-up; docs/architecture.md why the threads.
 *
 * Subjects (prefix "opsdeck", stream "OPSDECK_RUNS" on "opsdeck.run.>"):
 *   opsdeck.run.RUN.ev     each durable journal line, header Nats-Msg-Id
 *                          "RUN:SEQ" (republishing is idempotent)
 *   opsdeck.run.RUN.doc    the run's document line (share.h hello/doc)
 *   opsdeck.req.RUN.USER   a follower's request (core NATS request/reply);
 *                          USER is the subject's last token, which the
 *                          server's permissions pin to the authenticated user
 *
 * Threads: libnats runs its own. Everything that talks to the server runs on
 * one worker thread per owner or follower; libnats callbacks only queue under
 * a mutex and write a byte to a pipe the loop watches. Callbacks below run on
 * the loop, never on another thread, and nothing here blocks the loop except
 * create's first connect (at most opts.timeout_ms).
 *
 * Credentials come from a file or the environment, never the config:
 *   creds_file  a NATS .creds file (JWT + seed), or a file of "user = U",
 *               "password = P" or "token = T" lines (mode 0600 or stricter);
 *   else $OPSDECK_NATS_USER with $OPSDECK_NATS_PASSWORD, or $OPSDECK_NATS_TOKEN
 *               (env_prefix changes OPSDECK_NATS).
 *
 * Built without libnats (meson -Dnats=disabled or no libnats-dev), create and
 * follow fail with "opsdeck was built without NATS".
 */
#ifndef OPSDECK_SHARE_NATS_H
#define OPSDECK_SHARE_NATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

struct share_nats_opts {
    const char *url;        /* "nats://host:4222"; required */
    const char *creds_file; /* see above; NULL: the environment */
    const char *env_prefix; /* NULL: "OPSDECK_NATS" (_USER, _PASSWORD, _TOKEN) */
    const char *user;       /* the name requests go out as; NULL: the user logged in as */
    const char *stream;     /* NULL: "OPSDECK_RUNS" */
    const char *prefix;     /* subject prefix; NULL: "opsdeck" */
    int timeout_ms;         /* first connect, a publish ack, a request; 0: 2000 */
    size_t queue_max;       /* owner: bytes of lines kept in memory; 0: 1 MiB */
    /*
     * owner: what a journal line read back from the journal (catching up)
     * becomes on the stream: a new string, or NULL to leave it out (a drill's
     * facilitator-only lines). Called on the worker thread: it may read only
     * what does not change (the drill document). NULL: every line as it is.
     */
    char *(*filter)(void *ud, const char *line, size_t len);
    void *filter_ud;
};

/* ---- owner: the only publisher of a run ---- */

struct share_nats_owner;
struct share_nats_reply; /* a request's reply handle: share_nats_reply() frees it */

/*
 * A follower's request: user is the NATS user the server authenticated (the
 * subject's last token), line its bytes. Answer with share_nats_reply() once,
 * now or later (a NULL line answers nothing and frees the handle).
 */
typedef void (*share_nats_request_cb)(void *ud, const char *user, const char *line, size_t len,
                                      struct share_nats_reply *reply);

/*
 * Connect, create the stream when missing, listen for requests. journal is
 * the run's journal file: lines already in it and not yet in the stream are
 * published first (a new owner, a taken-over run), and it is where lines
 * dropped from a full queue are read back. NULL with *cause for a bad option,
 * credentials refused, a server without JetStream or missing permissions; a
 * server that cannot be reached is no error: the link starts down.
 */
struct share_nats_owner *share_nats_owner_create(struct loop *loop, const struct share_nats_opts *o,
                                                 const char *run_id, const char *journal,
                                                 share_nats_request_cb cb, void *ud, char **cause);
void share_nats_owner_destroy(struct share_nats_owner *own); /* NULL is a no-op */
/*
 * One durable journal line (already written to the journal), seq its seq.
 * Never blocks: queued, published in order when the link is up.
 */
void share_nats_publish(struct share_nats_owner *own, uint64_t seq, const char *line, size_t len);
/* The run's document (share.h hello/doc line); the latest one wins if several wait. */
void share_nats_publish_doc(struct share_nats_owner *own, const char *line, size_t len);
void share_nats_reply(struct share_nats_owner *own, struct share_nats_reply *reply,
                      const char *line, size_t len);
/* "nats: up, 12 published" / "nats: link down since 01:02:03, 5 queued"; caller frees. */
char *share_nats_owner_status(struct share_nats_owner *own);
/* The highest seq the stream acknowledged. */
uint64_t share_nats_owner_acked(struct share_nats_owner *own);

/* ---- follower ---- */

struct share_nats_follower;

/*
 * Every line of the run in stream order: journal lines each once and in seq
 * order (across outages: duplicates dropped, a gap asked again), document
 * lines, and the replies to share_nats_request(): the owner's
 * {"t":"reply",...} or, when NATS refused or nobody answered,
 * {"t":"reply","id":N,"ok":false,"message":"..."} made here.
 */
typedef void (*share_nats_line_cb)(void *ud, const char *line, size_t len);
/* The link went down (since_ms: wall time) or came back (since_ms: when it went down). */
typedef void (*share_nats_link_cb)(void *ud, bool up, int64_t since_ms);

/* Connect and replay run_id from its start, then follow; NULL with *cause. */
struct share_nats_follower *share_nats_follow(struct loop *loop, const struct share_nats_opts *o,
                                              const char *run_id, share_nats_line_cb line_cb,
                                              share_nats_link_cb link_cb, void *ud, char **cause);
void share_nats_unfollow(struct share_nats_follower *f); /* NULL is a no-op */
/* Send a request line ({"t":"req","id":N,...}); false with *cause when it cannot be queued. */
bool share_nats_request(struct share_nats_follower *f, const char *line, size_t len, char **cause);
/* The seq of the last journal line delivered. */
uint64_t share_nats_follower_seq(struct share_nats_follower *f);

#endif
