/*
 * An HA cluster of backends (`cluster = NAME` on each member): the members'
 * rows merged into one source named after the cluster.
 *
 * Contract:
 * - Members are backends of one type and one context (engine/config.c checks
 *   that, with file:line; backend_join_clusters makes the clusters). A cluster
 *   of one member is allowed.
 * - backend_publish() of a member hands its rowset here (cluster_take): the
 *   member's latest rowset of that kind is kept, and a merged rowset, source
 *   the cluster's name, is published into the store: the union of the live
 *   members' rows by key; when two members have a row with the same key, the
 *   row of the member that published last wins; the row's SOURCE reads the
 *   cluster's name and its detail says which members have it ("members").
 * - backend_fail() of a member (cluster_drop): its rows leave the merge at
 *   once and the merge is published again from the others. When no member is
 *   live, the store keeps the last merged rows (the health says the error).
 * - Actions go to one live member (cluster_pick): the freshest healthy one,
 *   preferring one whose latest rows have the key acted on. Alertmanager
 *   gossips silences to its peers: a silence is created once.
 * - The cluster goes away with its last member (cluster_leave).
 * No I/O; nothing here blocks.
 */
#ifndef OPSDECK_CLUSTER_H
#define OPSDECK_CLUSTER_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;
struct cluster;

/* Members of at most this many backends (the merge keeps a bit per member). */
enum { CLUSTER_MAX_MEMBERS = 32 };

struct cluster *cluster_create(const char *name, struct store *store);
/* b joins c (b->cluster = c); false when c is full. */
bool cluster_add(struct cluster *c, struct backend *b);
/* b leaves c; the last member to leave frees it. */
void cluster_leave(struct cluster *c, struct backend *b);

const char *cluster_name(const struct cluster *c);
size_t cluster_size(const struct cluster *c);
struct backend *cluster_member(const struct cluster *c, size_t i);

/* A member's new rows (c takes rs); publishes the merge. */
void cluster_take(struct cluster *c, struct backend *b, struct rowset *rs);
/* A member failed: its rows drop out; the merge is published again when another is live. */
void cluster_drop(struct cluster *c, struct backend *b);

/*
 * The member to act through: the freshest healthy one (health ok, not stale),
 * preferring one whose latest rows of kind have key (key NULL: any); when none
 * is healthy, the one that answered last (its action fails and says why).
 */
struct backend *cluster_pick(const struct cluster *c, enum model_kind kind, const char *key,
                             uint64_t now_ms);

/*
 * One line for the cluster: "ok", "starting", "1 of 2 members down: am2:
 * connection refused", "error: 2 of 2 members down: am1: ...; am2: ... (data
 * 42s old)". buf >= 128.
 */
void cluster_health_text(const struct cluster *c, uint64_t now_ms, char *buf, size_t len);
/* Some member is down (an error or stale) or every one is. */
bool cluster_degraded(const struct cluster *c, uint64_t now_ms);

/*
 * A peer b's slow read may be hedged to (issue 20, http_poll.h): another
 * member, healthy (health ok, not stale), with an HTTP poll (its b->http);
 * the freshest such one. NULL when there is none.
 */
struct backend *cluster_peer(const struct cluster *c, const struct backend *b, uint64_t now_ms);
/*
 * The members' hedged reads in words, "" when none was hedged: "hedged 4 of
 * 310 reads (3 answered by a peer)". For the cluster's health line.
 */
void cluster_hedge_text(const struct cluster *c, char *buf, size_t len);

#endif
