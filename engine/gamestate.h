/*
 * Inside a running drill (engine only; game.h is the interface). The game is
 * four files:
 *   game.c           the clock, injects, expectations, the facilitator, life
 *   game_check.c     before / during / after checks
 *   game_rollback.c  chaos actions and their rollback, ending, recovery after
 *                    a crash, what is still pending, giving it up
 *   game_replay.c    rebuilding a game (or only its plans) from its journal
 * and what the game shows is a drill view (drillview.c) that it keeps itself:
 * its live code sets the view's states, resume replays into it.
 */
#ifndef OPSDECK_GAMESTATE_H
#define OPSDECK_GAMESTATE_H

#include "crew.h"
#include "drillview.h"
#include "game.h"

struct cJSON;
struct action;
struct action_def;
struct backend;
struct proc;
struct notify;
struct loop_timer;
struct runlog;

enum {
    TICK_MS = 250,
    CHECK_INTERVAL_MS = 5000,
    CHECK_TIMEOUT_MS = 10000,
    DESTROY_LIMIT_MS = 15000,
    FRESH_RETRY_MS = 250,   /* a before/after check waiting for fresh data looks again */
    FRESH_MARGIN_MS = 2000, /* ... for at most the backends' timeout and this */
    READY_TICK_MS = 100,    /* a rollback waiting for its backend's first answer */
    GUARD_GRACE_MS = 5000,  /* the guard rolls back what the owner has not, this long after */
};

/* ---- the view (drillview.c) ---- */

struct dv_chaos {
    enum chaos_state state;
    char *message;
};

struct dv_inject {
    size_t nchaos; /* of ch, kept for freeing: the drill may be gone first */
    enum inject_state state;
    uint64_t fired_ms;
    bool contingency_fired;
    enum expect_state *ex;
    struct dv_chaos *ch;
};

struct dv_check {
    int result; /* enum check_result */
    char *why;
    bool failing;        /* during/stop: failed (a stop: true) since fail_since, unknown between */
    uint64_t fail_since; /* drill clock ms */
};

struct drillview {
    const struct drill *d; /* NULL: a run read from its journal alone (recovery) */
    uint64_t (*now_ms)(void *ud);
    void *now_ud;
    char *id;
    enum game_state state;
    char *message;
    bool closing;
    uint64_t base_ms; /* drill time at since */
    uint64_t since;   /* on now_ms */
    bool running;
    struct dv_inject *inj;
    size_t ninj;
    struct dv_check *chk;
    size_t nchk;
    /* what the journal said (resume and recovery start from it) */
    bool began, aborted, ended;
    uint64_t t; /* the last t_ms */
    size_t before_seen;
    bool before_failed;
    struct crew crew; /* who is on it (crew.h) */
    int guard_pid;    /* the dead-man guard watching (guard.start), 0: none */
};

int drillview_find_check(const struct drill *d, const char *id);

/* ---- the game ---- */

enum ending { END_NONE, END_FINISH, END_ABORT, END_DESTROY, END_RECOVER };

/* An action's report may come after the game is gone: it finds g NULL then. */
struct act_token {
    struct game *g;
    size_t plan;
    bool rollback;
};

/* A planned rollback (one per chaos.plan). */
struct plan {
    char *inject;
    int index;
    char *rollback; /* "PANE VERB TARGET [INPUT]" */
    char *backend;  /* or NULL: the first with the verb */
    size_t ii;      /* the inject's index in the drill, SIZE_MAX when unknown */
    bool chaos_inflight;
    bool attempted; /* rollback.start journaled (here or before a crash) */
    bool done;      /* the attempt's rollback.end journaled */
    bool ok;        /* ... and it succeeded */
    bool resolved;  /* not pending any more: rolled back, or given up */
    bool gave_up;
    bool prior;           /* resolved before this process (drill_recover reports only its own) */
    bool tried;           /* attempted in this process */
    uint64_t ready_until; /* waiting for the backend's first answer until (loop ms) */
    bool unanswered;      /* sent although its backend never answered */
    char *message;
    struct act_token *tok;
    int ttl_s;               /* the chaos's lifetime (chaos.plan ttl_s); 0: none journaled */
    int64_t planned_wall_ms; /* when its chaos.plan was written (wall clock) */
    bool expired;            /* its ttl passed: rolled back alone (game_guard.c) */
    bool ttl_extends;        /* its ttl is the default (duration + margin): +5m lengthens it */
    uint64_t seen_seq;       /* the last journal seq about it this process knows */
    bool
        not_applied; /* its chaos certainly did not apply (chaos.end applied: false): no rollback */
};

/* A check while it runs. */
struct check_rt {
    int journaled;        /* the last result journaled, -1 none (during checks journal changes) */
    uint64_t fresh_until; /* a before/after check waiting for fresh data, until (loop ms) */
    bool failing;
    uint64_t fail_since;
    uint64_t next_ms;
    struct proc *proc;
    struct act_token *ptok; /* the proc's callback data, freed if it is cancelled */
};

struct nreq {
    struct game *g;
    struct notify *n;
};

struct game {
    struct game_env env;
    char *runs_dir;
    struct drill *d; /* NULL while recovering a crashed run */
    char *id;
    struct runlog *log;
    struct game_hooks hooks;
    enum game_state state;
    char *message;
    bool began;

    uint64_t base_ms, since;
    struct loop_timer *timer;

    struct drillview *dv; /* injects, expectations, chaos and check results */
    struct check_rt *chk;
    struct loop_timer *seq_timer; /* a before/after check waiting for fresh data looks again */
    size_t seq_wait;              /* ... which one */
    size_t seq_i;                 /* before/after checks: the next one to run */
    bool seq_all_ok;              /* before checks so far */
    char *seq_failed;             /* the first before check that failed */

    struct plan *plans;
    size_t nplans;

    enum ending ending;
    char *abort_why;
    bool ending_done;
    bool after_running;
    bool was_ended;                 /* recovering a run that had ended (pending rollbacks) */
    bool closing;                   /* game_close() was called */
    uint64_t seq_since;             /* loop time the before/after checks began */
    uint64_t during_since;          /* ... this session of the drill began (during checks) */
    struct loop_timer *ready_timer; /* a rollback waits for its backend's first answer */

    struct nreq **nreqs;
    size_t nnreqs;

    /* the status last told to the subscribers */
    bool told;
    enum game_state told_state;
    char *told_message;
    uint64_t told_base, told_since;
    bool told_closing;

    struct crew_actor actor; /* who the journal lines are by now (game_share.c) */

    /* the dead-man guard and the safety lever (game_guard.c) */
    int guard_pid;       /* the guard process, 0: none */
    int guard_fd;        /* the write end of the pipe the guard watches, -1: none */
    uint64_t lever_next; /* loop time of the next look at the lever */
    const char *rb_why;  /* why a plan rolled back alone ("ttl", "lever"), or NULL */
    size_t *asks; /* injects whose chaos waits for the facilitator, first first (game_ask.c) */
    size_t nasks;
    struct game_undo *undo; /* score: this session's skips and marks, newest last (game_undo) */
    size_t nundo;
    int end_warned; /* score: the end warnings given (1: 2 minutes, 2: 30 s too) */
};

/* One thing game_undo can take back: a skip (expect SIZE_MAX) or a mark. */
struct game_undo {
    size_t inject, expect;
    enum expect_state before; /* a mark: the state it had */
    uint64_t seq;             /* the journal line it wrote */
};

/* ---- game.c ---- */

void game_set_message(struct game *g, char *msg);
void game_changed(struct game *g);
/* Append one event (data consumed, t_ms added); false when it is not on disk. */
bool game_log(struct game *g, const char *step, const char *action, const char *target,
              const char *result, struct cJSON *data);
/* Tell the subscribers a notice (data consumed). */
void game_notice(struct game *g, enum runlog_kind kind, struct cJSON *data);
/* The loop's time: the clock of backend.last_ok_ms (not the drill clock, which tests fake). */
uint64_t game_loop_ms(const struct game *g);
struct game *game_alloc(const struct game_env *env, struct drill *d, const struct game_hooks *h);
void game_free(struct game *g);
/* Open (create) the journal and take the run's lock; false with *cause. */
bool game_open_journal(struct game *g, bool create, char **cause);
void game_arm_timer(struct game *g);

/* ---- game_score.c (and game.c's marks) ---- */

void game_journal_expect(struct game *g, size_t i, size_t e, enum expect_state st, const char *by,
                         uint64_t at_ms);
const char *game_expect_status(enum expect_state st); /* "met", ..., "not_reached" */
/* An expectation's role and tags into o (inject.fire's expects). */
void game_expect_json(struct cJSON *o, const struct drill_expect *x);
/* at_ms of a mark: GAME_AT_NOW becomes now; refused before the inject fired, in the future. */
bool game_mark_time_ok(struct game *g, size_t inject, bool met, uint64_t *at_ms, char **cause);
void game_undo_push(struct game *g, size_t inject, size_t expect, enum expect_state before);
/* run.start's plan (clock injects and their expectations) and players. */
void game_start_score_data(struct cJSON *o, const struct drill *d);
/* --players ic=alice,scribe=bob as {"ic": ["alice"], ...} (NULL for NULL); checked against d. */
struct cJSON *game_players_json(const char *spec);
/* The players given at start into d->players (game_players_set); false with *cause. */
bool game_players_take(struct drill *d, char **cause);
/* game_apply's unskip {inject}, undo, extend {by_s}; inject: its index or -1. */
bool game_score_cmd(struct game *g, const char *cmd, int inject, const struct cJSON *args,
                    char **cause);
/* drill.extend in a replay: the drill ends later. */
void game_apply_extend(struct drill *d, const struct runlog_event *ev);
/* The drill is by_s longer: so is the default ttl of every chaos still in place. */
void game_plans_extend(struct game *g, int by_s);
/* The status line 2 minutes and 30 s before the end. */
void game_warn_end(struct game *g, uint64_t t);
/* Ending: expectations not yet due are not reached; those due are missed. */
void game_mark_not_reached(struct game *g);

/* ---- game_check.c ---- */

void game_start_checks(struct game *g, enum drill_when when);
void game_run_check(struct game *g, size_t i);
void game_stop_checks(struct game *g);

/* ---- game_rollback.c ---- */

/* Split "PANE VERB TARGET [INPUT]" (the journal's form) into a (strings are the caller's). */
bool game_act_parse(const char *text, struct drill_act *a);
char *game_act_text(const struct drill_act *a);
/* Journal the plan with its rollback, then ask for the chaos action. */
void game_start_chaos(struct game *g, size_t ii, size_t ci);
/* The backend (named, or the first with the verb) and definition of a; NULL with *why. */
struct backend *game_act_backend(struct backend **bs, size_t n, const char *name,
                                 const struct drill_act *a, const struct action_def **def,
                                 char **why);

/* ---- game_ask.c ---- */

/* Does inject ii's chaos wait for the facilitator? Then it is queued (true). */
bool game_chaos_ask(struct game *g, size_t ii);
/* The end: every question left is dropped (chaos.skip). */
void game_chaos_asks_drop(struct game *g);

/* ---- game_restore.c ---- */

/*
 * The rollback text of chaos ci of inject ii: the drill's, or for `rollback:
 * restore` the action that puts back what its row says now (*before: {field:
 * value}, the caller's). NULL with *why: the value cannot be read, the chaos
 * must not run.
 */
char *game_chaos_rollback(struct game *g, size_t ii, size_t ci, struct cJSON **before, char **why);
/*
 * Before the clock starts: is every chaos target of a live drill in the live
 * data of the backend that will act on it? false with *cause ("chaos target
 * be_web/web9 not found in pools (lb)"; a backend that has not answered or
 * failed: say so, start again once it has). No store (tests): true.
 */
bool game_chaos_targets(struct game *g, char **cause);
struct plan *game_add_plan(struct game *g, const char *inject, int index, const char *rollback,
                           const char *backend, size_t ii);
struct dv_chaos *game_plan_chaos(struct game *g, const struct plan *p);
bool game_has_pending_rollback(const struct game *g);
size_t game_count_unresolved(const struct game *g);
void game_begin_end(struct game *g, enum ending how);
/* Running or paused, and inject is one of the drill's; false with *cause. */
bool game_in_play(const struct game *g, size_t inject, char **cause);
/* Draw the offsets of at: T+A..B injects and journal them (game_branch.c). */
void game_branch_start(struct game *g);
/* run.end: the drill is over (or a crashed one is recovered). */
void game_finish(struct game *g);
/* Rollbacks are done: after checks (or run.end). */
void game_after_rollbacks(struct game *g);
void game_step_rollback(struct game *g);

/* ---- game_guard.c ---- */

/* The owner's tick (any state): the safety lever, then expired ttls (rolled back alone). */
void game_guard_tick(struct game *g);
/* Start the guard of a live drill with chaos (no-op otherwise); false with *cause. */
bool game_guard_spawn(struct game *g, char **cause);
/* guard.stop {pid, why}: the guard's job is over (once; the pipe stays open). */
void game_guard_stop(struct game *g, const char *why);
/*
 * Close the guard's pipe: it exits quietly when nothing is pending, else it
 * takes over. why: guard.stop first when nothing is pending (NULL: none).
 */
void game_guard_release(struct game *g, const char *why);
/* A live drill with chaos (game_lever.c). */
bool game_has_chaos(const struct drill *d);
/* Refuse a live drill with chaos while the safety lever is pulled; false with *cause. */
bool game_guard_lever_allows(const struct drill *d, char **cause);
/*
 * Did another process (the guard, or the owner beside a guard) journal a
 * rollback of p since this one last knew of it? Then p takes what the
 * journal says (attempted, done, resolved) and true: p must not run here.
 */
bool game_guard_taken(struct game *g, struct plan *p);
/* A plan's journal line was written here: remember its seq. */
void game_guard_seen(struct game *g, struct plan *p);

/* ---- game_replay.c ---- */

/* A drill run's journal; NULL with *cause (no such run, not a drill). */
struct cJSON **game_load_run(const char *dir, const char *run_id, size_t *n, char **cause);
/* Replay events 1..n into g's view and plans. */
void game_replay(struct game *g, struct cJSON **ev, size_t n);
/* Every pending plan is tried again: cut short by a crash, or failed before. */
void game_replay_reopen(struct game *g);
/* The drill of a run reloaded from the path its run.start names; NULL with *cause. */
struct drill *game_reload_drill(struct cJSON **ev, size_t n, const char *run_id, char **cause);
/* A drill run's plans from its journal alone (no drill file); NULL when it is not a drill. */
struct game *game_replay_plans(const struct game_env *env, const char *dir, const char *id,
                               char **cause);

#endif
