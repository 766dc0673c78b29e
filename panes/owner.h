/*
 * What a pane that owns a shared run does in the war room, the same for a
 * runbook run and a drill (engine/share.h, docs/war-room.md): the one path
 * for the owner's keys (refused while somebody else drives), the people
 * events journaled under each person's name, :handover / :accept /
 * :decline / :role, and the pane's footer. The pane says how its run
 * applies a request, records an event and names its actor (pane_owner_ops);
 * the follower's side is follow.h.
 */
#ifndef OPSDECK_OWNER_H
#define OPSDECK_OWNER_H

#include "../engine/share.h"
#include "pane.h"

#include <stdbool.h>
#include <stddef.h>

struct crew;

struct pane_owner_ops {
    bool (*apply)(void *run, enum share_op op, const struct cJSON *args, char **cause);
    bool (*record)(void *run, const char *action, struct cJSON *data, char **cause);
    void (*actor)(void *run, const char *user, const char *host);
};

struct pane_owner {
    struct share_server *server; /* NULL: not shared */
    const struct pane_owner_ops *ops;
    void *run;
    const struct pane_host *host;
};

/* A key of the owner's console or a follower's request: refused while someone else drives. */
bool owner_do(struct pane_owner *o, enum share_op op, struct cJSON *args);
/* A follower's request, applied under its name (and a hand-back to us said). */
bool owner_apply(struct pane_owner *o, const struct share_peer *peer, enum share_op op,
                 const struct cJSON *req, char **cause);
/* Journal peer's join or leave under its name, and say it (not the owner's own). */
void owner_presence(struct pane_owner *o, const struct share_peer *peer, bool joined,
                    const char *reason);
/* Now shared: whoever the journal has present followed an owner that died (gone); then us. */
void owner_arrive(struct pane_owner *o, const struct crew *c);
/* :handover USER, :accept, :decline, :role USER ROLE on the owner's console. */
bool owner_room(struct pane_owner *o, const char *verb, const char *arg, char **cause);
/* " · shared: 2 joined · driver: bob"; "" when not shared. */
void owner_foot(const struct pane_owner *o, char *buf, size_t len);

#endif
