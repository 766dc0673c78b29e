/*
 * The war room (docs/war-room.md): several consoles on one run or drill.
 *
 * The console that starts a run owns it and is the only writer of its
 * journal (runlog.h). Others follow: they get the run's document, replay its
 * events and then hear them live, and send requests that the owner applies
 * (or refuses) and journals under the requester's name. Two transports carry
 * the same messages:
 *   - a Unix stream socket in the [share] dir (share_server / share_client,
 *     share.c): the peer's name comes from the kernel (SO_PEERCRED);
 *   - NATS JetStream across hosts (share_nats.c): the name is the NATS user
 *     the server authenticated (each user may publish only on its own
 *     request subject).
 *
 * The wire: one JSON object per line (the journal's own format).
 *   owner -> follower
 *     a journal line         {"seq":..,"action":"step.done",...}, as on disk
 *     a live notice          {"live":true,"action":"status",...}
 *     {"t":"hello","run":ID,"kind":"runbook"|"drill","owner":U,"host":H,
 *      "you":U,"role":R,"doc":{...}}        first (again: start over)
 *     {"t":"synced"}                        the history is told; live events follow
 *     {"t":"presence","people":[{"user":U,"role":R,"host":H,"since":MS}]}
 *     {"t":"reply","id":N,"ok":B,"message":S}
 *     {"t":"role","role":R}                 your role changed (handover, :role)
 *     {"t":"offer","from":U}                the driver offers you control
 *     {"t":"bye","reason":S}                the owner closes on purpose
 *   follower -> owner
 *     {"t":"req","id":N,"op":OP, ...args}
 *   A "hello" starts the stream over: a new document and the whole history
 *   for the role follow (sent again when the role changes, or a drill's
 *   document does: an inject fired). A stream that ends without "bye" means
 *   the owner is gone (kill -9, SSH dropped): followers say so at once and
 *   one may take the run over.
 *
 * The document: a runbook's is {"path":P,"source":MARKDOWN}; a drill's is
 * what its role may see (drill_public.h): a participant's process never
 * receives a hidden inject or the scoring key, not even in its memory.
 */
#ifndef OPSDECK_SHARE_H
#define OPSDECK_SHARE_H

#include "runlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct loop;

/* Roles, least to most. The owner is the driver unless it handed over. */
enum share_role { SHARE_OBSERVER, SHARE_PARTICIPANT, SHARE_DRIVER };

/* "observer", "participant", "driver"; parse: false for another word. */
const char *share_role_name(enum share_role r);
bool share_role_parse(const char *s, enum share_role *out);

/*
 * Requests a follower may send, with the least role each needs. A
 * participant's requests are its own (notes, claims, proposals, approvals of
 * somebody else's request, expectation marks when the drill allows it); the
 * driver's are the run's commands, applied by the owner as if typed there.
 */
#define SHARE_OPS(X)                                                                               \
    X(SOP_NOTE, "note", SHARE_PARTICIPANT)       /* text */                                        \
    X(SOP_CLAIM, "claim", SHARE_PARTICIPANT)     /* step | inject [, expect] */                    \
    X(SOP_UNCLAIM, "unclaim", SHARE_PARTICIPANT) /* step | inject [, expect] */                    \
    X(SOP_PROPOSE, "propose", SHARE_PARTICIPANT) /* step [, text] */                               \
    X(SOP_APPROVE, "approve", SHARE_PARTICIPANT) /* step: approve somebody else's request */       \
    X(SOP_EXPECT, "expect", SHARE_PARTICIPANT)   /* inject, expect, met: when allowed */           \
    X(SOP_ACCEPT, "accept", SHARE_OBSERVER)      /* take the control offered to you */             \
    X(SOP_DECLINE, "decline", SHARE_OBSERVER)    /* refuse it */                                   \
    X(SOP_CONFIRM, "confirm", SHARE_DRIVER)      /* the runbook's Enter */                         \
    X(SOP_SKIP, "skip", SHARE_DRIVER)                                                              \
    X(SOP_BACK, "back", SHARE_DRIVER)                                                              \
    X(SOP_JUMP, "jump", SHARE_DRIVER)     /* step */                                               \
    X(SOP_INPUT, "input", SHARE_DRIVER)   /* value */                                              \
    X(SOP_CHOOSE, "choose", SHARE_DRIVER) /* choice */                                             \
    X(SOP_STOP, "stop", SHARE_DRIVER)                                                              \
    X(SOP_HANDOVER, "handover", SHARE_DRIVER) /* to: offer control to a joined person */           \
    X(SOP_DRILL, "drill", SHARE_DRIVER)       /* cmd: begin|pause|resume|fire|skip|end */          \
    X(SOP_ABORT, "abort", SHARE_OBSERVER)     /* a drill's emergency stop: anyone may pull it */

enum share_op {
#define SHARE_OP_ENUM(op, name, role) op,
    SHARE_OPS(SHARE_OP_ENUM)
#undef SHARE_OP_ENUM
        SOP_UNKNOWN,
};

enum share_op share_op_parse(const char *name); /* SOP_UNKNOWN for another word */
const char *share_op_name(enum share_op op);
enum share_role share_op_role(enum share_op op); /* the least role it needs */

/* One person on the run, as the owner knows them. */
struct share_peer {
    const char *user; /* from SO_PEERCRED or the NATS user: never what the client says */
    const char *host;
    enum share_role role;
    int64_t since_ms; /* wall time of the join */
};

/* ---- who gets which role (the owner's config: [share] participants) ---- */

/*
 * The role user joins with: participant when named in list ("bob, carol,
 * @oncall, *": names, Unix groups after '@', everyone), else observer.
 */
enum share_role share_role_for(const char *list, const char *user);

/* ---- the owner's side: what a transport needs from the console that owns the run ---- */

struct share_owner_ops {
    const char *kind; /* "runbook" or "drill" */
    /* The document a person of role sees (hello, doc): a new object. */
    struct cJSON *(*doc)(void *ud, enum share_role role);
    /* The line of ev a person of role may see: a new object, or NULL (not for them).
     * NULL op: every journal line and shareable notice as it is. */
    struct cJSON *(*line)(void *ud, enum share_role role, const struct runlog_event *ev);
    /* Replay the run so far into cb (run_history, game_history). */
    bool (*history)(void *ud, runlog_event_cb cb, void *cbud, char **cause);
    /* Apply a request of peer (the role was checked); false with *cause: refused. */
    bool (*apply)(void *ud, const struct share_peer *peer, enum share_op op,
                  const struct cJSON *req, char **cause);
    /* Journal a join or a leave (reason "left", "gone", "dropped"). */
    void (*presence)(void *ud, const struct share_peer *peer, bool joined, const char *reason);
    /* Something the owner's screen should show changed (people, an offer to the owner). */
    void (*changed)(void *ud);
};

/* The default line: a journal line as it is, a notice as {"live":true,...}; NULL for a local one.
 */
struct cJSON *share_event_line(const struct runlog_event *ev);

/*
 * The owner listens on DIR/RUN-ID.sock (mode 0660: the directory's group may
 * join) and keeps DIR/RUN-ID.json, the card `opsdeck runs` lists (owner,
 * host, pid, kind, title, people). A stale socket of a dead owner is
 * replaced; a live one refuses ("shared by another console"). participants:
 * the [share] list (share_role_for). Feed it every event and notice of the
 * run with share_server_event (a runlog_event_cb). NULL with *cause.
 */
struct share_server;
struct share_server *share_server_create(struct loop *loop, const char *dir, const char *run_id,
                                         const char *title, const char *participants,
                                         const struct share_owner_ops *ops, void *ud, char **cause);
void share_server_event(const struct runlog_event *ev, void *server);
/* The document changed (a drill inject fired): every follower starts over with its new one. */
void share_server_doc_changed(struct share_server *s);
/* Who is joined now (borrowed until the next loop iteration); *n of them. */
const struct share_peer *share_server_people(const struct share_server *s, size_t *n);
/* Who drives: NULL for the owner's console, else a joined person's name. */
const char *share_server_driver(const struct share_server *s);
/* The person the driver offered control to (NULL: none). */
const char *share_server_offered(const struct share_server *s);
/* Give user (joined) a role: observer or participant (journaled by the caller). */
bool share_server_set_role(struct share_server *s, const char *user, enum share_role role,
                           char **cause);
/* The owner's console offers control to user (joined), or takes back an offer (NULL). */
bool share_server_offer(struct share_server *s, const char *user, char **cause);
/* The owner's console accepts control handed back to it (by the driver, with "handover"). */
bool share_server_take_back(struct share_server *s, char **cause);
/*
 * Also carry the run over NATS JetStream (share_nats.h, docs/war-room.md):
 * every journal line as a participant may see it (the stream is everybody's:
 * a drill's facilitator-only lines never go on it, not even when the link
 * catches up from the journal), the participant's document, and requests
 * from NATS users, named by the server (roles as for the socket; no
 * handover from there). journal: the run's file. false with *cause.
 */
struct share_nats_opts;
bool share_server_nats(struct share_server *s, const struct share_nats_opts *o, const char *journal,
                       char **cause);
/* "nats: link down since 01:02:03, 5 queued"; NULL when not over NATS. Caller frees. */
char *share_server_nats_status(struct share_server *s);
/* Close: every follower gets "bye" (reason), then the socket and the card go. NULL: no-op. */
void share_server_destroy(struct share_server *s, const char *reason);

/* ---- the follower's side ---- */

struct share_follow_hooks {
    /* Journal lines and notices, in order, each once. */
    void (*event)(void *ud, const struct runlog_event *ev);
    /* The other messages ("hello": start over, "synced", "presence", "reply", "role",
     * "offer", "bye").
     * Neither hook may destroy the client; closed may. */
    void (*message)(void *ud, const char *type, const struct cJSON *msg);
    /* The stream ended: bye true when the owner said goodbye, false when it is gone. */
    void (*closed)(void *ud, bool bye, const char *why);
};

/*
 * One line from the owner to the hooks (a Unix stream or NATS alike): a
 * message, or a journal line or notice as an event; a line that is neither is
 * skipped. true when it was "bye" (*bye: its reason, caller frees).
 */
bool share_line_dispatch(const char *line, size_t len, const struct share_follow_hooks *h, void *ud,
                         char **bye);
/* A request's line {"t":"req","id":id,"op":...} with args' fields (taken, may be NULL). */
char *share_request_line(uint64_t id, enum share_op op, struct cJSON *args);

struct share_client;
/* Connect to DIR/RUN-ID.sock; NULL with *cause (no such shared run, owner gone, no permission). */
struct share_client *share_client_connect(struct loop *loop, const char *dir, const char *run_id,
                                          const struct share_follow_hooks *hooks, void *ud,
                                          char **cause);
/* Send a request (args: taken, may be NULL); its id (the reply names it), 0 when not sent. */
uint64_t share_client_request(struct share_client *c, enum share_op op, struct cJSON *args,
                              char **cause);
void share_client_destroy(struct share_client *c); /* NULL is a no-op */

/* ---- shared runs on this host: `opsdeck runs` ---- */

struct share_card {
    char *run, *kind, *title, *owner, *host, *people; /* people: "bob (participant), ..." */
    long pid;
    int64_t started_ms;
    bool live; /* its socket answers */
};
/* The cards in dir, newest first; *n. */
struct share_card *share_cards(const char *dir, size_t *n);
void share_cards_free(struct share_card *cards, size_t n);

#endif
