/*
 * A running drill, the game (docs/drills.md). It is driven by the facilitator
 * (start, pause, fire, skip, mark, note, abort) and by a drill clock:
 * monotonic time that stops while paused, read through env->now_ms so tests
 * run on a fake clock and call game_tick() themselves. Chaos actions go
 * through action_run(); each one's rollback is journaled (chaos.plan) before
 * the action is asked for, and every planned rollback that has not run is run
 * on abort, at the end, on game_close() (closing the pane, quitting,
 * SIGHUP/SIGTERM) and by drill_recover() on the next start after a crash. A
 * rollback that fails stays pending in the journal until one succeeds or the
 * operator gives it up (drill_give_up). Nothing here runs the loop: long work
 * (rollbacks) goes on while the caller's loop turns and draws.
 *
 * What the drill pane shows comes from the game's event stream through a
 * drill view (drillview.h): game_history() and game_subscribe(). No curses.
 */
#ifndef OPSDECK_GAME_H
#define OPSDECK_GAME_H

#include "drill.h"
#include "share.h"
#include "runlog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct loop;
struct store;
struct backend;

struct game;

enum game_state {
    GAME_CHECKING, /* before checks running */
    GAME_READY,    /* checks passed (or none): drill_begin() starts the clock */
    GAME_BLOCKED,  /* a before check failed: the drill will not start */
    GAME_RUNNING,
    GAME_PAUSED,
    GAME_ROLLING_BACK, /* ending or aborting: rollbacks, then after checks */
    GAME_ENDED,
    GAME_ABORTED,
};

enum inject_state { INJECT_PENDING, INJECT_FIRED, INJECT_SKIPPED };
enum expect_state {
    EXPECT_PENDING,
    EXPECT_MET,
    EXPECT_LATE,
    EXPECT_MISSED,
    EXPECT_NOT_REACHED, /* the drill ended before it was due: outside the score */
};
/* The last result of a check: a condition may be unknown (engine/cond.h). */
enum check_result { CHECK_NOT_RUN = -1, CHECK_FAILED = 0, CHECK_OK = 1, CHECK_UNKNOWN = 2 };

enum chaos_state {
    CHAOS_NONE,        /* not run */
    CHAOS_PLANNED,     /* rollback journaled, action asked for */
    CHAOS_ACTIVE,      /* action done: rollback pending */
    CHAOS_FAILED,      /* the action itself failed (the rollback still runs) */
    CHAOS_ROLLED_BACK, /* rollback done */
    CHAOS_UNRESTORED,  /* rollback failed (pending: tried again by every start) or given up */
};

struct game_hooks {
    void (*changed)(struct game *g, void *ud);
    void *ud;
};

struct game_env {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    const char *runs_dir; /* NULL: default */
    /* The clock (ms, monotonic); NULL: the real one. Tests pass a fake and call game_tick(). */
    uint64_t (*now_ms)(void *ud);
    void *now_ud;
    bool no_timer; /* tests: no loop timer, only game_tick() */
    /* chaos waits for game_chaos_answer() unless its inject says auto: true (not --auto) */
    bool ask_chaos;
};

/* Start a game (takes d): journal run.start, run the before checks. */
struct game *game_start(const struct game_env *env, struct drill *d, const struct game_hooks *h,
                        char **cause);
/* Resume an open drill run from its journal (clock position, states, pending rollbacks). */
struct game *game_resume(const struct game_env *env, const char *run_id, const struct game_hooks *h,
                         char **cause);
/*
 * Close (the pane closes, quitting, SIGHUP, SIGTERM): start every pending
 * rollback as work on the loop and return; the changed hook fires as each
 * one ends and game_message() says how far it is. The run stays open for
 * resume unless it ended. Keep the loop turning until game_closed(), with a
 * bound (CLOSE_LIMIT_MS is what the console and line mode wait), then
 * game_destroy(g, false).
 */
void game_close(struct game *g);
/* Nothing is in flight any more (true at once when nothing was pending). */
bool game_closed(const struct game *g);
/* game_close() was called and its rollbacks are still running. */
bool game_closing(const struct game *g);
enum { GAME_CLOSE_LIMIT_MS = 30000 };
/*
 * Free. rollback: game_close() first; what does not finish within the call
 * (an asynchronous backend) stays pending for the next start. NULL is a no-op.
 */
void game_destroy(struct game *g, bool rollback);

/* The facilitator; false with *cause when not possible now. */
bool game_begin(struct game *g, char **cause); /* start the clock (READY only) */
bool game_pause(struct game *g, char **cause);
bool game_resume_clock(struct game *g, char **cause);
bool game_fire(struct game *g, size_t inject, char **cause); /* early, or a contingency by hand */
bool game_skip(struct game *g, size_t inject, char **cause);
bool game_fire_contingency(struct game *g, size_t inject, char **cause);
/* Pick option (its name or 1-based number) of a fired inject's choice (game_branch.c). */
bool game_choose(struct game *g, size_t inject, const char *option, char **cause);
bool game_mark(struct game *g, size_t inject, size_t expect, bool met, const char *by,
               char **cause);
/*
 * The score part (game_score.c, docs/drills.md "Scores"). game_mark_at: as
 * game_mark, with when the team responded (drill ms, GAME_AT_NOW: now): met
 * or late is at_ms against the deadline; refused before the inject fired or
 * in the future. game_extend: the drill ends by_s later (drill.extend).
 * game_unskip: a skipped inject back to pending (inject.unskip).
 * game_undo: the last skip or mark of this session undone; *what says which.
 */
#define GAME_AT_NOW UINT64_MAX
bool game_mark_at(struct game *g, size_t inject, size_t expect, bool met, const char *by,
                  uint64_t at_ms, char **cause);
bool game_extend(struct game *g, int by_s, char **cause);
bool game_unskip(struct game *g, size_t inject, char **cause);
bool game_undo(struct game *g, char **what, char **cause);
/* Has debrief prompt i (drill_prompt) an answer in the journal? */
bool game_debrief_answered(const struct game *g, size_t i);
/*
 * `opsdeck drill FILE --players ic=alice,scribe=bob`: who plays which role,
 * for the drills this process starts (journaled in run.start). A ROLE that is
 * not a role of the drill refuses the start.
 */
void game_players_set(const char *spec);
/* A note; if it is the abort word (a whole message, game_says_abort_word), the drill aborts. */
bool game_note(struct game *g, const char *text, const char *section, char **cause);
/* TEXT is the drill's abort word as a whole message (trimmed, any case); a note that is aborts. */
bool game_says_abort_word(const struct game *g, const char *text);
bool game_debrief(struct game *g, size_t question, const char *answer, char **cause);
/* End (clock past duration or by hand) / abort: rollbacks, after checks, run.end. */
bool game_end(struct game *g, char **cause);
void game_abort(struct game *g, const char *why);
/*
 * Chaos asks the facilitator (env.ask_chaos): the inject whose chaos waits
 * for an answer, or -1; the answer runs it (yes) or journals chaos.skip (no).
 */
int game_chaos_question(const struct game *g);
bool game_chaos_answer(struct game *g, bool yes, char **cause);
/*
 * A chaos of inject ii on a backend of a protected context (action.h
 * action_protected): that context's name, and in *target the word to type
 * (the first such chaos's target); NULL: none is. Such chaos runs only
 * after game_chaos_grant() (the typed confirmation); without it action_run
 * refuses it (line mode, --auto) and says why.
 */
const char *game_chaos_protected(const struct game *g, size_t ii, const char **target);
void game_chaos_grant(struct game *g, size_t ii);
/* Fire what is due, turn expectations missed, run during checks. Called by the timer. */
void game_tick(struct game *g);

/*
 * The war room (game_share.c; docs/war-room.md). The owner applies a
 * follower's request between game_set_actor(g, user, host) and
 * game_set_actor(g, NULL, NULL): every journal line written meanwhile names
 * that actor and host (NULL user: the local user again). game_record()
 * journals a people event (crew.h) by the actor after its checks: "join"
 * {role, via}, "leave" {reason}, "role" {user, role}, "claim" / "unclaim"
 * {inject: ID, expect: INDEX or absent} (an unknown inject or expectation, a
 * claim not held: refused), "propose" {step, text}, "handover.offer" {to},
 * "handover.accept" / "handover.decline" {from}. Takes data; false with *cause.
 */
void game_set_actor(struct game *g, const char *user, const char *host);
bool game_record(struct game *g, const char *action, struct cJSON *data, char **cause);
/*
 * A war-room request (share.h) applied to the drill: the facilitator's keys
 * and a follower's requests take this path (game_apply.c). args name injects
 * by id. false with *cause: refused.
 */
bool game_apply(struct game *g, enum share_op op, const struct cJSON *args, char **cause);

/*
 * The game's event stream (runlog.h), for a drill view (drillview.h):
 * game_history() replays what is journaled so far into cb, now;
 * game_subscribe() then tells cb every later event and notice as they
 * happen (a status notice whenever the state, the clock or the message
 * changed). game_journal() is the file another console follows.
 */
bool game_history(const struct game *g, runlog_event_cb cb, void *ud, char **cause);
void game_subscribe(struct game *g, runlog_event_cb cb, void *ud);
void game_unsubscribe(struct game *g, runlog_event_cb cb, void *ud);
const char *game_journal(const struct game *g);

/* What line mode shows (the drill pane draws a view instead). */
const struct drill *game_drill(const struct game *g);
const char *game_run_id(const struct game *g);
enum game_state game_state(const struct game *g);
uint64_t game_clock_ms(const struct game *g); /* drill time */
enum inject_state game_inject_state(const struct game *g, size_t i);
uint64_t game_inject_fired_ms(const struct game *g, size_t i); /* drill time */
enum expect_state game_expect_state(const struct game *g, size_t inject, size_t e);
enum chaos_state game_chaos_state(const struct game *g, size_t inject, size_t c);
const char *game_chaos_message(const struct game *g, size_t inject, size_t c);
/* The last result of check i (enum check_result); *why borrowed. */
int game_check_result(const struct game *g, size_t i, const char **why);
int game_score(const struct game *g, int *max);
const char *game_message(const struct game *g); /* why it aborted, what is blocking */

/*
 * After a crash, at every start: find every drill run in runs_dir with a
 * rollback still pending (never run, cut short, or failed before), run them
 * through the action path (journaling into that run), each once its backend
 * has answered (bounded), and end a crashed run once nothing of it is
 * pending. Runs the loop until done or timeout_ms (it is called before the
 * console or a line mode starts its own loop). Returns how many were rolled
 * back; *failed counts those that could not be (still pending); *report
 * (caller frees, may be NULL) is one line per rollback for the screen.
 */
size_t drill_recover(const struct game_env *env, int timeout_ms, size_t *failed, char **report);

/* A rollback still pending in a run's journal: failed, or never run. */
struct drill_pending {
    char *run;      /* the run id */
    char *inject;   /* the inject whose chaos it undoes */
    int index;      /* ... which of its chaos actions */
    char *rollback; /* "pools ready be_web/web2" */
    char *message;  /* why the last attempt failed, or NULL when none ended */
    bool ended;     /* the run has ended (run.end) */
    bool failed;    /* a rollback was tried and did not end well (failed, or no answer) */
    bool live;      /* an opsdeck is running the drill: its chaos is active, not lost */
};
/*
 * Every pending rollback of every drill run in runs_dir (NULL: default),
 * newest run first; *n is their count. NULL only without a state directory.
 * NOT RESTORED is what is failed or not live (a crashed drill's chaos).
 */
struct drill_pending *drill_pending_list(const char *runs_dir, size_t *n);
void drill_pending_free(struct drill_pending *list, size_t n);
/*
 * Give up the pending rollbacks of run_id for good (the operator puts them
 * back by hand): for each, an audit line first (action_record), then
 * rollback.giveup {inject, index, action, typed, message} in the run, so no
 * start tries it again. typed is what the operator typed to confirm (the
 * caller checks it). Refused in read-only mode and while another opsdeck
 * holds the run. Returns how many were given up; *report (caller frees) says
 * which; 0 with *cause when refused or nothing is pending.
 */
size_t drill_give_up(const char *runs_dir, const char *run_id, const char *typed, char **report,
                     char **cause);

/*
 * The dead-man guard, ttl and the safety lever (game_guard.c, game_lever.c;
 * docs/drills.md). game_guard_setup() once, by main: the binary to run as
 * the guard (NULL: no guard, as in tests) and the config it reads (NULL:
 * none). From then on a live drill with chaos starts a guard when its game
 * starts or resumes, and does not start when the guard does not.
 */
void game_guard_setup(const char *exe, const char *config);
/*
 * The guard process itself (`opsdeck drill --guard SPEC`): env has the
 * backends built from the owner's config, started on env->loop; error is
 * why they could not be (said to the owner, which then does not start).
 * Returns the exit status.
 */
int drill_guard_main(const struct game_env *env, const char *spec, const char *error);
/* The pid of this game's guard (0: none). */
int game_guard_pid(const struct game *g);
/* The pid of the guard watching run id (0: none, or it is gone). */
int drill_guard_pid(const char *runs_dir, const char *id);
/*
 * The safety lever. drill_lever_pulled(): the lever's words ("REASON
 * (pulled by USER@HOST at TS)", caller frees; outside text) and *path (may
 * be NULL) its file, or NULL when it is not pulled. Pull and release audit
 * first, then write (the state directory, and [share] dir's when runs live
 * there); *report (caller frees) says which files. false with *cause.
 */
char *drill_lever_pulled(char **path);
bool drill_lever_pull(const char *reason, char **report, char **cause);
bool drill_lever_release(char **report, char **cause);

#endif
