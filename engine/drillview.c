/*
 * A drill as its events tell it (drillview.h).
 *
 * Injects, expectations, chaos actions and checks follow the same rules as
 * when the game resumes (it replays into its own view with this code):
 * inject.fire fires at data.t_ms, expect sets a status, chaos.plan plans,
 * chaos.end says whether the chaos action worked, rollback.end whether it was
 * undone, rollback.giveup that nobody will. Chaos is addressed by
 * (inject, index), which is unique in a run.
 *
 * The state and the clock of a follower are derived: run.start is checking,
 * the before checks all seen is ready (or blocked), drill.start, .pause and
 * .resume move the clock, drill.abort rolls back, run.end ends. Every event's
 * t_ms sets the clock again. The owner's status notices say the same exactly.
 */
#include "gamestate.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"checking", "ready",        "blocked", "running",
                                          "paused",   "rolling back", "ended",   "aborted"};

static uint64_t now(const struct drillview *v)
{
    return v->now_ms != NULL ? v->now_ms(v->now_ud) : clock_mono_ms();
}

struct drillview *drillview_create(const struct drill *d, uint64_t (*now_ms)(void *ud),
                                   void *now_ud)
{
    struct drillview *v = xcalloc(1, sizeof *v);
    v->d = d;
    v->now_ms = now_ms;
    v->now_ud = now_ud;
    v->id = xstrdup("");
    v->state = GAME_CHECKING;
    if (d != NULL) {
        v->inj = xcalloc(d->ninjects + 1, sizeof *v->inj);
        v->ninj = d->ninjects;
        for (size_t i = 0; i < d->ninjects; i++) {
            v->inj[i].ex = xcalloc(d->injects[i].nexpects + 1, sizeof *v->inj[i].ex);
            v->inj[i].ch = xcalloc(d->injects[i].nchaos + 1, sizeof *v->inj[i].ch);
            v->inj[i].nchaos = d->injects[i].nchaos;
        }
        v->chk = xcalloc(d->nchecks + 1, sizeof *v->chk);
        v->nchk = d->nchecks;
        for (size_t i = 0; i < d->nchecks; i++) {
            v->chk[i].result = CHECK_NOT_RUN;
        }
    }
    return v;
}

void drillview_destroy(struct drillview *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->nchk; i++) {
        free(v->chk[i].why);
    }
    for (size_t i = 0; i < v->ninj; i++) {
        for (size_t c = 0; c < v->inj[i].nchaos; c++) {
            free(v->inj[i].ch[c].message);
        }
        free(v->inj[i].ex);
        free(v->inj[i].ch);
    }
    free(v->inj);
    free(v->chk);
    free(v->id);
    free(v->message);
    crew_finish(&v->crew);
    free(v);
}

int drillview_find_check(const struct drill *d, const char *id)
{
    for (size_t i = 0; d != NULL && id != NULL && i < d->nchecks; i++) {
        if (strcmp(d->checks[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void set_message(struct drillview *v, char *message)
{
    free(v->message);
    v->message = message;
}

static struct dv_chaos *chaos_of(struct drillview *v, int ii, int index)
{
    if (ii < 0 || index < 0 || (size_t)index >= v->d->injects[ii].nchaos) {
        return NULL;
    }
    return &v->inj[ii].ch[index];
}

static void set_chaos(struct drillview *v, int ii, int index, enum chaos_state st, char *message)
{
    struct dv_chaos *c = chaos_of(v, ii, index);
    if (c == NULL) {
        free(message);
        return;
    }
    c->state = st;
    if (message != NULL) {
        free(c->message);
        c->message = message;
    }
}

static size_t before_checks(const struct drillview *v)
{
    size_t n = 0;
    for (size_t i = 0; v->d != NULL && i < v->d->nchecks; i++) {
        n += v->d->checks[i].when == DRILL_BEFORE;
    }
    return n;
}

static void apply_check(struct drillview *v, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    int c = drillview_find_check(v->d, runlog_str(d, "id"));
    if (c < 0) {
        return;
    }
    v->chk[c].result = runlog_true(d, "ok")        ? CHECK_OK
                       : runlog_true(d, "unknown") ? CHECK_UNKNOWN
                                                   : CHECK_FAILED;
    free(v->chk[c].why);
    v->chk[c].why = xstrdup(runlog_str(d, "reason") != NULL ? runlog_str(d, "reason") : "");
    /* like the game (game_check.c): unknown neither starts nor ends a failure */
    if (v->chk[c].result == CHECK_OK) {
        v->chk[c].failing = false;
    } else if (v->chk[c].result == CHECK_FAILED && !v->chk[c].failing) {
        v->chk[c].failing = true;
        v->chk[c].fail_since = runlog_u64(d, "t_ms", v->t);
    }
    if (ev->live || v->d->checks[c].when != DRILL_BEFORE || v->state != GAME_CHECKING) {
        return;
    }
    /* a follower knows the gate is open when every before check has said */
    size_t before = before_checks(v);
    v->before_failed = v->before_failed || v->chk[c].result != CHECK_OK;
    if (++v->before_seen >= before) {
        v->state = v->before_failed ? GAME_BLOCKED : GAME_READY;
    }
}

/* A drill clock (t_ms) from data: dflt when missing, negative or past any real drill. */
static uint64_t clock_of(const struct cJSON *d, uint64_t dflt)
{
    return runlog_u64(d, "t_ms", dflt);
}

static void apply_fire(struct drillview *v, int ii, const char *inj, const struct cJSON *d)
{
    v->inj[ii].state = INJECT_FIRED;
    v->inj[ii].fired_ms = clock_of(d, 0);
    const char *why = runlog_str(d, "why");
    for (size_t k = 0; why != NULL && strcmp(why, "contingency") == 0 && k < v->d->ninjects; k++) {
        const char *c = v->d->injects[k].contingency;
        if (c != NULL && strcmp(c, inj) == 0) {
            v->inj[k].contingency_fired = true;
        }
    }
}

static void apply_rollback(struct drillview *v, const struct runlog_event *ev, int ii, int idx)
{
    const char *m = runlog_str(ev->data, "message");
    m = m != NULL ? m : "";
    if (ev->kind == RL_ROLLBACK_GIVEUP) {
        set_chaos(v, ii, idx, CHAOS_UNRESTORED,
                  xasprintf("given up by %s%s%s", ev->actor != NULL ? ev->actor : "?",
                            *m != '\0' ? " after: " : "", m));
    } else {
        bool ok = runlog_true(ev->data, "ok");
        set_chaos(v, ii, idx, ok ? CHAOS_ROLLED_BACK : CHAOS_UNRESTORED, xstrdup(m));
    }
}

/* Injects, expectations, chaos: what the drill document gives indexes to. */
static void apply_drill(struct drillview *v, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    const char *inj =
        runlog_str(d, "inject") != NULL ? runlog_str(d, "inject") : runlog_str(d, "id");
    int ii = inj != NULL ? drill_find_inject(v->d, inj) : -1;
    int idx = runlog_int(d, "index", -1);
    switch (ev->kind) {
    case RL_CHECK:
        apply_check(v, ev);
        break;
    case RL_INJECT_FIRE:
        if (ii >= 0) {
            apply_fire(v, ii, inj, d);
        }
        break;
    case RL_INJECT_SKIP:
        if (ii >= 0) {
            v->inj[ii].state = INJECT_SKIPPED;
        }
        break;
    case RL_INJECT_UNSKIP:
        if (ii >= 0 && v->inj[ii].state == INJECT_SKIPPED) {
            v->inj[ii].state = INJECT_PENDING;
        }
        break;
    case RL_EXPECT:
    case RL_UNDO: /* undo: the state before the mark it takes back */
        if (ii >= 0 && idx >= 0 && (size_t)idx < v->d->injects[ii].nexpects) {
            const char *s = runlog_str(d, "status");
            v->inj[ii].ex[idx] = s == NULL || strcmp(s, "pending") == 0 ? EXPECT_PENDING
                                 : strcmp(s, "met") == 0                ? EXPECT_MET
                                 : strcmp(s, "late") == 0               ? EXPECT_LATE
                                 : strcmp(s, "not_reached") == 0        ? EXPECT_NOT_REACHED
                                                                        : EXPECT_MISSED;
        }
        break;
    case RL_CHAOS_PLAN:
        set_chaos(v, ii, idx, CHAOS_PLANNED, NULL);
        break;
    case RL_CHAOS_END: {
        const char *m = runlog_str(d, "message");
        set_chaos(v, ii, idx, runlog_true(d, "ok") ? CHAOS_ACTIVE : CHAOS_FAILED,
                  xstrdup(m != NULL ? m : ""));
        break;
    }
    case RL_CHAOS_SKIP: /* declined (game_ask.c): none of the inject's chaos ran */
        for (int c = 0; ii >= 0 && (size_t)c < v->d->injects[ii].nchaos; c++) {
            const char *m = runlog_str(d, "why");
            set_chaos(v, ii, c, CHAOS_NONE, xstrdup(m != NULL ? m : "declined"));
        }
        break;
    case RL_ROLLBACK_END:
    case RL_ROLLBACK_GIVEUP:
        apply_rollback(v, ev, ii, idx);
        break;
    default:
        break;
    }
}

/* The owner's own words: state, clock, message, closing. */
static void apply_status(struct drillview *v, const struct runlog_event *ev)
{
    const char *st = runlog_str(ev->data, "state");
    for (size_t i = 0; st != NULL && i < sizeof state_names / sizeof state_names[0]; i++) {
        if (strcmp(state_names[i], st) == 0) {
            v->state = (enum game_state)i;
        }
    }
    const char *m = runlog_str(ev->data, "message");
    set_message(v, m != NULL ? xstrdup(m) : NULL);
    v->closing = runlog_true(ev->data, "closing");
    v->running = runlog_true(ev->data, "running");
    v->base_ms = clock_of(ev->data, v->base_ms);
    v->since = now(v);
}

/* The state and the clock, as the journal says them. */
static void apply_clock(struct drillview *v, const struct runlog_event *ev)
{
    uint64_t t = clock_of(ev->data, UINT64_MAX);
    if (t != UINT64_MAX) {
        v->t = t > v->t ? t : v->t;
        v->base_ms = t;
        v->since = now(v);
    }
    switch (ev->kind) {
    case RL_RUN_START:
        free(v->id);
        v->id = xstrdup(ev->run != NULL ? ev->run : "");
        v->state = before_checks(v) > 0 ? GAME_CHECKING : GAME_READY;
        break;
    case RL_DRILL_START:
    case RL_DRILL_RESUME:
        v->began = true;
        v->running = true;
        v->state = GAME_RUNNING;
        break;
    case RL_DRILL_PAUSE:
        v->running = false;
        v->state = GAME_PAUSED;
        break;
    case RL_DRILL_ABORT: {
        const char *why = runlog_str(ev->data, "why");
        v->aborted = true;
        v->running = false;
        v->state = GAME_ROLLING_BACK;
        set_message(v, xasprintf("aborted: %s", why != NULL ? why : "aborted"));
        break;
    }
    case RL_GUARD_START:
        v->guard_pid = runlog_int(ev->data, "pid", 0);
        break;
    case RL_GUARD_STOP:
        v->guard_pid = 0;
        break;
    case RL_RUN_END: {
        const char *how = runlog_str(ev->data, "how");
        v->guard_pid = 0;
        v->ended = true;
        v->running = false;
        v->state = how != NULL && strcmp(how, "aborted") == 0 ? GAME_ABORTED : GAME_ENDED;
        break;
    }
    default:
        break;
    }
}

void drillview_apply(const struct runlog_event *ev, void *ud)
{
    struct drillview *v = ud;
    crew_apply(&v->crew, ev);
    if (ev->kind == RL_STATUS) {
        apply_status(v, ev);
        return;
    }
    if (!ev->live) {
        apply_clock(v, ev);
    }
    if (v->d != NULL) {
        apply_drill(v, ev);
    }
}

/* ---- what it shows ---- */

const struct drill *drillview_drill(const struct drillview *v)
{
    return v->d;
}

const char *drillview_id(const struct drillview *v)
{
    return v->id;
}

int drillview_guard_pid(const struct drillview *v)
{
    return v->guard_pid;
}

enum game_state drillview_state(const struct drillview *v)
{
    return v->state;
}

const char *drillview_message(const struct drillview *v)
{
    return v->message;
}

bool drillview_closing(const struct drillview *v)
{
    return v->closing;
}

uint64_t drillview_clock_ms(const struct drillview *v)
{
    if (v->running) {
        uint64_t n = now(v);
        return v->base_ms + (n > v->since ? n - v->since : 0);
    }
    return v->base_ms;
}

enum inject_state drillview_inject_state(const struct drillview *v, size_t i)
{
    return i < v->d->ninjects ? v->inj[i].state : INJECT_PENDING;
}

uint64_t drillview_inject_fired_ms(const struct drillview *v, size_t i)
{
    return i < v->d->ninjects ? v->inj[i].fired_ms : 0;
}

enum expect_state drillview_expect_state(const struct drillview *v, size_t inject, size_t e)
{
    if (inject >= v->d->ninjects || e >= v->d->injects[inject].nexpects) {
        return EXPECT_PENDING;
    }
    return v->inj[inject].ex[e];
}

enum chaos_state drillview_chaos_state(const struct drillview *v, size_t inject, size_t c)
{
    if (inject >= v->d->ninjects || c >= v->d->injects[inject].nchaos) {
        return CHAOS_NONE;
    }
    return v->inj[inject].ch[c].state;
}

const char *drillview_chaos_message(const struct drillview *v, size_t inject, size_t c)
{
    if (inject >= v->d->ninjects || c >= v->d->injects[inject].nchaos) {
        return NULL;
    }
    return v->inj[inject].ch[c].message;
}

int drillview_check_result(const struct drillview *v, size_t i, const char **why)
{
    if (i >= v->d->nchecks) {
        return -1;
    }
    if (why != NULL) {
        *why = v->chk[i].why;
    }
    return v->chk[i].result;
}

int drillview_score(const struct drillview *v, int *max)
{
    /* the planned denominator (docs/drills.md "Scores", engine/drill_score.c) */
    int score = 0, top = 0;
    bool over = v->ended || v->state == GAME_ENDED || v->state == GAME_ABORTED;
    for (size_t i = 0; i < v->d->ninjects; i++) {
        bool fired = v->inj[i].state == INJECT_FIRED;
        bool skipped = v->inj[i].state == INJECT_SKIPPED;
        if (!fired && (v->d->injects[i].at_s < 0 || (over && !skipped))) {
            continue; /* a contingency nobody triggered; a clock inject not reached */
        }
        for (size_t e = 0; e < v->d->injects[i].nexpects; e++) {
            int p = v->d->injects[i].expects[e].points;
            if (v->inj[i].ex[e] == EXPECT_NOT_REACHED) {
                continue;
            }
            top += p;
            score += v->inj[i].ex[e] == EXPECT_MET ? p : v->inj[i].ex[e] == EXPECT_LATE ? p / 2 : 0;
        }
    }
    if (max != NULL) {
        *max = top;
    }
    return score;
}

const struct crew *drillview_crew(const struct drillview *v)
{
    return &v->crew;
}

const char *drillview_state_name(enum game_state s)
{
    return (size_t)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}
