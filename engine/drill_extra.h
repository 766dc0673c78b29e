/*
 * Drills: hidden information, attachments, per-role hooks, randomness and
 * branches (docs/drills.md "Hidden information", "Randomness and branches").
 * The keys of drill.h's last fields are parsed here, called from drill.c
 * where the other keys of their block are read; the game's side (drawing
 * `at: T+A..B` offsets, applying a `choice`) is here too, so game.c only
 * calls in. No curses, no I/O.
 */
#ifndef OPSDECK_DRILL_EXTRA_H
#define OPSDECK_DRILL_EXTRA_H

#include "drill.h"
#include "mdoc.h"

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* ---- parsing (drill.c) ---- */

/* A drill-block key this module owns (intro, seed, notify_ROLE): true when it was one. */
bool drill_extra_block_key(struct drill *d, const struct mdoc_kv *kv);
/* Once the block is read: each notify_ROLE names a declared role. */
void drill_extra_block_end(struct drill *d, const struct mdoc_node *n);
/* An inject key this module owns (hidden, choice): true when it was one. */
bool drill_extra_inject_key(struct drill *d, struct drill_inject *in, const struct mdoc_kv *kv);
/* The inject's text with its attachments (code blocks in place, images as links). */
void drill_extra_inject_text(struct drill *d, struct drill_inject *in, const struct mdoc_node *n);
/* Once every inject is known, before the role check: to: all, choices' injects. */
void drill_extra_cross(struct drill *d);
/* Is this heading the facilitator's notes (`## Facilitator notes`)? Keeps its text. */
bool drill_extra_section(struct drill *d, const struct mdoc_node *n);
void drill_extra_free_inject(struct drill_inject *in);
void drill_extra_free(struct drill *d);

/*
 * What the facilitator sees of an inject besides its text, one item a line
 * (caller frees; NULL when nothing): "facilitator only: HIDDEN", "at: drawn
 * from T+10:00..T+15:00", "choice: failover -> db-failover | wait -> db-wait"
 * and, once picked, "chosen: failover". Never for a participant's screen.
 */
char *drill_extra_facilitator_lines(const struct drill_inject *in);

/* inject.fire's share: "text" (with its attachments) and "hidden" when there is some. */
void drill_extra_fire_data(const struct drill_inject *in, struct cJSON *data);

/* Does the drill need the live panes (live, or a check reads a pane)? Else it takes the screen. */
bool drill_extra_uses_panes(const struct drill *d);

/* ---- notifications ---- */

/*
 * The env vars holding the hooks an inject's notify goes to: each targeted
 * role's own (notify_ROLE), else the drill's (fallback: the sandbox_env or,
 * live, the live hook), each once. Returns how many went into out (at most
 * max); a NULL entry means the fallback is unset.
 */
size_t drill_extra_notify_envs(const struct drill *d, const struct drill_inject *in,
                               const char *fallback, const char **out, size_t max);
/* Lint's share: unset role hooks (warnings); does an inject need the drill's fallback hook? */
void drill_extra_lint(struct drill *d);
bool drill_extra_needs_fallback(const struct drill *d, const struct drill_inject *in);

/* ---- the game: draws and choices ---- */

/* The seed of a drill's draws: seed: N, else $OPSDECK_DRILL_SEED, else time and pid. */
unsigned long long drill_extra_seed(const struct drill *d);
/* splitmix64 of x: the one mixer of drill draws and the wheel (tui/drillcmd.c). */
unsigned long long drill_extra_mix(unsigned long long x);
/* The drawn offset of inject i for seed (uniform in [at_s, at_max_s]). */
int drill_extra_draw(const struct drill_inject *in, unsigned long long seed);
/* An event's share of the document: drill.draw sets at_s, choice sets chosen. */
void drill_extra_replay(struct drill *d, const char *action, const struct cJSON *data);
/* May the clock fire inject i (not a branch waiting for its choice)? */
bool drill_extra_may_fire(const struct drill *d, size_t i);
/* Option index of inject i's choice named opt (case-insensitive, or 1-based number), or -1. */
int drill_extra_option(const struct drill_inject *in, const char *opt);

#endif
