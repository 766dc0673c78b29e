/*
 * Drills (docs/drills.md): the model and its parser, and a running game.
 *
 * The parser reads the same Markdown as runbooks (headings with `opsdeck`
 * blocks). The game is driven by the facilitator (start, pause, fire, skip,
 * mark, note, abort) and by a drill clock: monotonic time that stops while
 * paused, read through env->now_ms so tests run on a fake clock and call
 * game_tick() themselves. Chaos actions go through action_run(); each one's
 * rollback is journaled (chaos.plan) before the action is asked for, and every
 * planned rollback that has not run is run on abort, at the end, on
 * game_destroy(..., true) (SIGHUP/SIGTERM) and by drill_recover() on the next
 * start after a crash. No curses here.
 */
#ifndef OPSDECK_DRILL_H
#define OPSDECK_DRILL_H

#include "runbook.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct backend;
struct vars;

/* ---- the model ---- */

enum drill_kind { DRILL_TABLETOP, DRILL_LIVE };
enum drill_when { DRILL_BEFORE, DRILL_DURING, DRILL_AFTER };

struct drill_role {
    char *id;
    char *name;
    bool facilitator;
    bool observer;
};

struct drill_expect {
    char *text;
    int deadline_s; /* from when the inject fired */
    int points;
    int line;
};

/* One console action: "pools drain be_web/web2", or with an input. */
struct drill_act {
    char *pane;
    char *verb;
    char *target;
    char *input; /* or NULL */
};

struct drill_chaos {
    struct drill_act action;
    struct drill_act rollback;
    int line;
};

struct drill_inject {
    char *id;
    char *title;
    char *text;
    int line;
    int at_s; /* offset on the drill clock; -1: contingency only */
    char **to;
    size_t nto;
    char *channel;
    struct drill_expect *expects;
    size_t nexpects;
    char *contingency; /* inject id or NULL */
    struct drill_chaos *chaos;
    size_t nchaos;
    char *backend; /* NULL: first backend with the verb */
    char *notify;  /* Slack message or NULL */
};

struct drill_check {
    char *id;
    char *title;
    int line;
    enum drill_when when;
    char *until; /* live condition, or */
    char *run;   /* a command */
    int expect_exit;
    int tolerance_s;
    int interval_ms;
    int timeout_ms; /* of the command */
};

struct drill {
    char *path;
    char *title;
    char *intro;
    enum drill_kind kind;
    int duration_s;
    char *label;
    char *abort_word;
    bool notify_live;
    char *sandbox_env;
    char **objectives;
    size_t nobjectives;
    struct drill_role *roles;
    size_t nroles;
    struct drill_inject *injects; /* sorted by at_s (contingencies last), stable */
    size_t ninjects;
    struct drill_check *checks;
    size_t nchecks;
    char **debrief; /* questions */
    size_t ndebrief;
    char **sections; /* extra report sections */
    size_t nsections;
    struct mdoc_issue *issues;
    size_t nissues;
    unsigned long long hash;
};

/* Is this text a drill (its first `opsdeck` block has `drill:`)? */
bool drill_detect(const char *text, size_t len);
/* Like runbook_parse: NULL only when it is not a drill at all; problems in d->issues. */
struct drill *drill_parse(const char *text, size_t len, const char *path, char **cause);
struct drill *drill_load(const char *path, char **cause);
void drill_free(struct drill *d);
/* Roles, contingencies, chaos/rollback pairs, conditions, env vars; returns the issue count. */
size_t drill_lint(struct drill *d);
int drill_find_inject(const struct drill *d, const char *id);

/* ---- a running drill ---- */

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
enum expect_state { EXPECT_PENDING, EXPECT_MET, EXPECT_LATE, EXPECT_MISSED };
enum chaos_state {
    CHAOS_NONE,        /* not run */
    CHAOS_PLANNED,     /* rollback journaled, action asked for */
    CHAOS_ACTIVE,      /* action done: rollback pending */
    CHAOS_FAILED,      /* the action itself failed (the rollback still runs) */
    CHAOS_ROLLED_BACK, /* rollback done */
    CHAOS_UNRESTORED,  /* rollback failed: say so plainly */
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
};

/* Start a game (takes d): journal run.start, run the before checks. */
struct game *game_start(const struct game_env *env, struct drill *d, const struct game_hooks *h,
                        char **cause);
/* Resume an open drill run from its journal (clock position, states, pending rollbacks). */
struct game *game_resume(const struct game_env *env, const char *run_id, const struct game_hooks *h,
                         char **cause);
/*
 * Free. rollback: run every pending rollback first, synchronously on the loop
 * with a time limit (SIGHUP, SIGTERM, quitting); the run stays open unless it
 * ended. NULL is a no-op.
 */
void game_destroy(struct game *g, bool rollback);

/* The facilitator; false with *cause when not possible now. */
bool game_begin(struct game *g, char **cause); /* start the clock (READY only) */
bool game_pause(struct game *g, char **cause);
bool game_resume_clock(struct game *g, char **cause);
bool game_fire(struct game *g, size_t inject, char **cause); /* early, or a contingency by hand */
bool game_skip(struct game *g, size_t inject, char **cause);
bool game_fire_contingency(struct game *g, size_t inject, char **cause);
bool game_mark(struct game *g, size_t inject, size_t expect, bool met, const char *by,
               char **cause);
/* A note; if it contains the abort word, the drill aborts. section may be NULL. */
bool game_note(struct game *g, const char *text, const char *section, char **cause);
bool game_debrief(struct game *g, size_t question, const char *answer, char **cause);
/* End (clock past duration or by hand) / abort: rollbacks, after checks, run.end. */
bool game_end(struct game *g, char **cause);
void game_abort(struct game *g, const char *why);
/* Fire what is due, turn expectations missed, run during checks. Called by the timer. */
void game_tick(struct game *g);

/* What the pane shows. */
const struct drill *game_drill(const struct game *g);
const char *game_run_id(const struct game *g);
enum game_state game_state(const struct game *g);
uint64_t game_clock_ms(const struct game *g); /* drill time */
enum inject_state game_inject_state(const struct game *g, size_t i);
uint64_t game_inject_fired_ms(const struct game *g, size_t i); /* drill time */
enum expect_state game_expect_state(const struct game *g, size_t inject, size_t e);
enum chaos_state game_chaos_state(const struct game *g, size_t inject, size_t c);
const char *game_chaos_message(const struct game *g, size_t inject, size_t c);
/* The last result of check i: 1 ok, 0 failed, -1 not run yet; *why borrowed. */
int game_check_result(const struct game *g, size_t i, const char **why);
int game_score(const struct game *g, int *max);
const char *game_message(const struct game *g); /* why it aborted, what is blocking */

/*
 * After a crash: find every drill run in runs_dir with planned rollbacks that
 * never ran, run them through the action path (journaling into that run) and
 * end those runs. Runs the loop until done or timeout_ms. Returns how many
 * were rolled back; *failed counts those that could not be; *report (caller
 * frees, may be NULL) is one line per rollback for the screen.
 */
size_t drill_recover(const struct game_env *env, int timeout_ms, size_t *failed, char **report);

#endif
