/*
 * What a pane that follows another console's run or drill keeps of the war
 * room (engine/share.h), the same for both: the connection, who owns and who
 * drives, our name and role, a handover offered to us, whether the owner is
 * gone. The pane hands every message here and keeps its own view; here the
 * replies, role changes and offers reach the status line, requests are
 * checked against our role before they leave (the owner checks again), and
 * when the owner is gone the connection is tried again every second, so the
 * pane follows whoever takes the run over (:takeover).
 */
#ifndef OPSDECK_FOLLOW_H
#define OPSDECK_FOLLOW_H

#include "../engine/share.h"
#include "pane.h"

#include <stdbool.h>
#include <stddef.h>

struct share_nats_follower;

struct pane_follow {
    struct share_client *client;
    struct share_nats_follower *nats; /* over NATS instead (how->nats) */
    uint64_t next_id;                 /* of a request over NATS */
    struct share_client *dead;        /* freed on the loop, not inside its own callback */
    struct loop *loop;
    char *dir, *id;
    enum share_role role;
    char *owner, *driver, *you, *offer_from;
    bool gone;   /* the stream ended without a goodbye */
    bool closed; /* the owner said goodbye */
    struct loop_timer *rejoin;
    const struct pane_host *host;
    const struct share_follow_hooks *hooks; /* the pane's: its events and messages */
    void *ud;
    struct cJSON **lines; /* over NATS: every journal line so far (a hello comes after them) */
    size_t nlines;
};

/* Connect to how->dir's socket, or over NATS when how->nats (f is zeroed first); false with *cause.
 */
bool follow_start(struct pane_follow *f, struct loop *loop, const struct pane_share *how,
                  const char *id, const struct pane_host *host,
                  const struct share_follow_hooks *hooks, void *ud, char **cause);
/* A message the pane got: hello (who we are), reply, presence, role, offer. */
void follow_message(struct pane_follow *f, const char *type, const struct cJSON *msg);
/* The stream ended: say so; when the owner is gone, try again every second. */
void follow_closed(struct pane_follow *f, bool bye, const char *why);
/*
 * Over NATS a hello (a new document) comes after the lines it follows, not
 * before a history as on the socket: keep each journal line (follow_keep,
 * a no-op on the socket) and replay them into a new view (follow_replay).
 */
void follow_keep(struct pane_follow *f, const struct runlog_event *ev);
void follow_replay(const struct pane_follow *f, runlog_event_cb cb, void *ud);
/* May we ask for op (our role)? When not, says why. */
bool follow_allowed(struct pane_follow *f, enum share_op op);
/* A request, after our role allows it (said when not); takes args. */
bool follow_request(struct pane_follow *f, enum share_op op, struct cJSON *args);
/* " · alice's · you: observer · driver: alice", " · OWNER GONE: :takeover". */
void follow_foot(const struct pane_follow *f, char *buf, size_t len);
/* The run id whose owner is gone, else NULL. */
const char *follow_gone(const struct pane_follow *f);
/* The pane before the owner's first word: its box and "joining NOUN ID...". */
void follow_draw_joining(const struct pane_follow *f, WINDOW *win, bool focused, bool utf8,
                         const char *noun);
void follow_finish(struct pane_follow *f);

#endif
