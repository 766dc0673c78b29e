/*
 * What a screen shows of a running drill, built from its event stream alone
 * (runlog.h): the state and the drill clock, which injects fired (and when),
 * expectations, the checks' last results, chaos actions and their rollbacks,
 * the score. The drill pane draws from a view; another console renders the
 * same drill by following its journal (runlog_follow into drillview_apply).
 * The game keeps its own state in a view too: resume replays into it.
 *
 * Durable events carry every state and data.t_ms, the drill clock; the
 * owner's status notices carry the exact state, clock and message (and
 * whether it is closing), and check notices the checks' results between the
 * journaled changes. The clock runs between events on now_ms (the owner's
 * game clock; NULL: the monotonic clock).
 *
 * The view borrows the drill (the document); it must outlive the view.
 */
#ifndef OPSDECK_DRILLVIEW_H
#define OPSDECK_DRILLVIEW_H

#include "game.h"

struct drillview;

struct drillview *drillview_create(const struct drill *d, uint64_t (*now_ms)(void *ud),
                                   void *now_ud);
void drillview_destroy(struct drillview *v); /* NULL is a no-op */
/* Apply one event; a runlog_event_cb with the view as ud. */
void drillview_apply(const struct runlog_event *ev, void *v);

const struct drill *drillview_drill(const struct drillview *v);
const char *drillview_id(const struct drillview *v); /* "" before run.start */
int drillview_guard_pid(const struct drillview *v);  /* the dead-man guard watching, 0: none */
enum game_state drillview_state(const struct drillview *v);
/* "checking", "ready", ... as the status notices say it. */
const char *drillview_state_name(enum game_state s);
const char *drillview_message(const struct drillview *v);
bool drillview_closing(const struct drillview *v);
uint64_t drillview_clock_ms(const struct drillview *v);
enum inject_state drillview_inject_state(const struct drillview *v, size_t i);
uint64_t drillview_inject_fired_ms(const struct drillview *v, size_t i);
enum expect_state drillview_expect_state(const struct drillview *v, size_t inject, size_t e);
enum chaos_state drillview_chaos_state(const struct drillview *v, size_t inject, size_t c);
const char *drillview_chaos_message(const struct drillview *v, size_t inject, size_t c);
/* The last result of check i (enum check_result); *why borrowed. */
int drillview_check_result(const struct drillview *v, size_t i, const char **why);
int drillview_score(const struct drillview *v, int *max);
/*
 * Check i as a person reads it (drillview_checks.c): when ("before", "during",
 * "after", "stop"), state ("-", "ok", "FAILED", "UNKNOWN"; a stop check:
 * "quiet", "STOP"), and while a during or stop check fails with the clock
 * running or paused, the time left of its tolerance before the automatic abort.
 */
struct check_status {
    const char *when;
    const char *state;
    int result;          /* enum check_result */
    int64_t abort_in_ms; /* -1: no abort coming */
    bool paused;
};
void drillview_check_status(const struct drillview *v, size_t i, struct check_status *out);
/* "stop   STOP   abort in 0:12 TITLE: why" (caller frees). */
char *drillview_check_text(const struct drillview *v, size_t i);
/* The same for the facilitator's game itself, on its own state and clock (line mode). */
void game_check_status(const struct game *g, size_t i, struct check_status *out);
char *game_check_text(const struct game *g, size_t i);
/*
 * The war room (crew.h, docs/war-room.md): who is on the drill with which
 * role, claims per inject (crew_claim_text(c, inject id, -1)) and per
 * expectation (..., inject id, index)), the latest proposal, a pending
 * handover offer. Empty for a drill nobody shared. Borrowed.
 */
struct crew;
const struct crew *drillview_crew(const struct drillview *v);

#endif
