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
 *      "you":U,"role":R,"doc":{...}}        first, once
 *     {"t":"doc","doc":{...}}               a new document (a drill inject revealed)
 *     {"t":"presence","people":[{"user":U,"role":R,"host":H,"since":MS}]}
 *     {"t":"reply","id":N,"ok":B,"message":S}
 *     {"t":"role","role":R}                 your role changed (handover, :role)
 *     {"t":"offer","from":U}                the driver offers you control
 *     {"t":"bye","reason":S}                the owner closes on purpose
 *   follower -> owner
 *     {"t":"req","id":N,"op":OP, ...args}
 *   A stream that ends without "bye" means the owner is gone (kill -9, SSH
 *   dropped): followers say so at once and one may take the run over.
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
    X(SOP_DRILL, "drill", SHARE_DRIVER)       /* cmd: begin|pause|resume|fire|skip|end */

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

#endif
