/*
 * Chaos actions and their guaranteed rollback (gamestate.h).
 *
 * Rollback is one machine for every way a drill stops. Each chaos.plan adds a
 * `plan` (the rollback as text, so a crashed run is rolled back from its
 * journal alone, even when the drill file changed or is gone). Ending,
 * aborting, game_close() and drill_recover() all start the same machine:
 * wait for chaos actions still in flight (a rollback sent before its action
 * would be undone by it), then run the rollbacks one at a time, newest first,
 * each once per process, each after its backend has answered once (a plugin
 * acts on the rows it printed; at most its timeout and a margin), then the
 * after checks and run.end (not after close: the run stays open for resume).
 * Nothing here runs the loop but drill_recover(), which is called before the
 * console or a line mode runs its own.
 *
 * A plan stays pending until a rollback.end with ok true, or a
 * rollback.giveup (the operator's explicit, typed and audited decision). A
 * failed rollback is said plainly (NOT RESTORED) and is tried again by every
 * later start (drill_recover), even of a run that has ended; recovery does
 * not end a run while a plan of it is pending. drill_recover() passes over a
 * run that another opsdeck holds (runlog_busy).
 */
#include "gamestate.h"

#include "../backends/backend.h"
#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "action.h"
#include "run.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *game_act_text(const struct drill_act *a)
{
    return xasprintf("%s %s %s%s%s", a->pane ? a->pane : "?", a->verb ? a->verb : "?",
                     a->target ? a->target : "?", a->input ? " " : "", a->input ? a->input : "");
}

/* Split "PANE VERB TARGET [INPUT]" (the journal's form) into a (strings are the caller's). */
bool game_act_parse(const char *text, struct drill_act *a)
{
    memset(a, 0, sizeof *a);
    char *s = xstrdup(text != NULL ? text : "");
    char *save = NULL;
    char *pane = strtok_r(s, " ", &save);
    char *verb = pane != NULL ? strtok_r(NULL, " ", &save) : NULL;
    char *target = verb != NULL ? strtok_r(NULL, " ", &save) : NULL;
    char *rest = target != NULL ? strtok_r(NULL, "", &save) : NULL;
    if (target == NULL) {
        free(s);
        return false;
    }
    a->pane = xstrdup(pane);
    a->verb = xstrdup(verb);
    a->target = xstrdup(target);
    a->input = rest != NULL && *str_trim(rest) != '\0' ? xstrdup(rest) : NULL;
    free(s);
    return true;
}

/* The backend and definition of a console action; NULL with *why. */
struct backend *game_act_backend(struct backend **bs, size_t n, const char *name,
                                 const struct drill_act *a, const struct action_def **def,
                                 char **why)
{
    enum model_kind kind;
    if (a->pane == NULL || !model_kind_from_name(a->pane, &kind)) {
        *why = xasprintf("unknown pane '%s'", a->pane != NULL ? a->pane : "");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (name != NULL && bs[i] != backend_for_source(bs, n, name)) {
            continue;
        }
        *def = backend_action_by_verb(bs[i], kind, a->verb != NULL ? a->verb : "");
        if (*def != NULL) {
            return bs[i];
        }
    }
    *why = name != NULL
               ? xasprintf("backend '%s' has no action '%s' on %s", name, a->verb ? a->verb : "",
                           a->pane)
               : xasprintf("no backend has the action '%s' on %s", a->verb ? a->verb : "", a->pane);
    return NULL;
}

static void on_rollback_report(const struct action *a, bool ok, const char *message, void *ud);

/* Send one console action through the action path; false with *why when it cannot be sent. */
static bool send_action(struct game *g, const char *backend, const struct drill_act *a,
                        const char *step, action_report_cb cb, struct act_token *tok, char **why)
{
    const struct action_def *def = NULL;
    struct backend *b = game_act_backend(g->env.backends, g->env.nbackends, backend, a, &def, why);
    if (b == NULL) {
        return false;
    }
    const char *input = a->input;
    if (input == NULL && (def->flags & ACTION_INPUT)) {
        input = def->input_default;
    }
    struct action *act = action_create(b, def, a->target, input);
    act->run = xstrdup(g->id);
    act->step = step != NULL ? xstrdup(step) : NULL;
    /*
     * A rollback puts back what a chaos changed, whose typed confirmation (a
     * protected context) was given when it ran: holding it back would leave
     * the damage in place. The chaos itself needs a grant (drill_ask.c).
     */
    act->typed = cb == on_rollback_report;
    action_run(act, cb, tok); /* may report before returning */
    return true;
}

/* A plan not yet tried in this process that is still pending. */
bool game_has_pending_rollback(const struct game *g)
{
    for (size_t i = 0; i < g->nplans; i++) {
        if (!g->plans[i].resolved && !g->plans[i].attempted) {
            return true;
        }
    }
    return false;
}

/* Plans still pending: not rolled back, not given up. */
size_t game_count_unresolved(const struct game *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nplans; i++) {
        n += !g->plans[i].resolved;
    }
    return n;
}

/* ---- rollback ---- */

struct dv_chaos *game_plan_chaos(struct game *g, const struct plan *p)
{
    if (g->d == NULL || p->ii >= g->d->ninjects || p->index < 0 ||
        (size_t)p->index >= g->d->injects[p->ii].nchaos) {
        return NULL;
    }
    return &g->dv->inj[p->ii].ch[p->index];
}

static void rollback_ended(struct game *g, size_t pi, bool ok, const char *message)
{
    struct plan *p = &g->plans[pi];
    const char *m0 = message != NULL ? message : (ok ? "done" : "failed");
    char *m = !ok && p->unanswered ? xasprintf("%s (its backend never answered)", m0) : xstrdup(m0);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "message", m);
    /* which plan it ends, so a reader needs no pairing by order */
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    if (p->expired && g->rb_why != NULL) {
        cJSON_AddStringToObject(d, "why", g->rb_why);
    }
    bool on_disk = game_log(g, p->inject, "rollback.end", NULL, ok ? "ok" : m, d);
    game_guard_seen(g, p);
    /*
     * Failed, or not on disk: it stays pending, and the next start tries it
     * again (ready twice does no harm).
     */
    p->done = on_disk;
    p->ok = ok;
    p->resolved = on_disk && ok;
    free(p->message);
    p->message = m;
    struct dv_chaos *c = game_plan_chaos(g, p);
    if (c != NULL) {
        c->state = ok ? CHAOS_ROLLED_BACK : CHAOS_UNRESTORED;
        free(c->message);
        c->message = xstrdup(m);
    }
}

static void on_rollback_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct act_token *t = ud;
    struct game *g = t->g;
    size_t pi = t->plan;
    (void)a;
    free(t);
    if (g == NULL) {
        return; /* freed meanwhile; no rollback.end: the next start runs it again */
    }
    g->plans[pi].tok = NULL;
    rollback_ended(g, pi, ok, message);
    game_changed(g);
    game_step_rollback(g);
}

static void on_ready_tick(void *ud)
{
    struct game *g = ud;
    g->ready_timer = NULL; /* one-shot: gone once fired */
    game_step_rollback(g);
}

/*
 * Is p's backend ready for its rollback? A backend that has not answered yet
 * may not know the target (a plugin acts on the rows it printed): wait for
 * its first answer, at most its timeout and a margin, on a timer; then send
 * anyway (a failure stays pending). false while waiting.
 */
static bool rollback_ready(struct game *g, struct plan *p)
{
    struct drill_act a;
    if (g->env.loop == NULL || !game_act_parse(p->rollback, &a)) {
        return true;
    }
    const struct action_def *def = NULL;
    char *why = NULL;
    struct backend *b =
        game_act_backend(g->env.backends, g->env.nbackends, p->backend, &a, &def, &why);
    free(why);
    drill_act_finish(&a);
    if (b == NULL || b->last_ok_ms != 0 || b->timer == NULL) {
        return true; /* not on a schedule: it will not answer by waiting */
    }
    uint64_t t = game_loop_ms(g);
    if (p->ready_until == 0) {
        p->ready_until = t + (uint64_t)b->timeout_ms + FRESH_MARGIN_MS;
    }
    if (t >= p->ready_until) {
        p->unanswered = true;
        return true;
    }
    game_set_message(g,
                     xasprintf("rolling back %s: waiting for %s to answer first (at most %llu s)",
                               p->rollback, b->name,
                               (unsigned long long)((p->ready_until - t + 999) / 1000)));
    g->ready_timer = loop_timer_add(g->env.loop, READY_TICK_MS, 0, on_ready_tick, g);
    game_changed(g);
    return false;
}

/*
 * Next rollback, newest plan first; after checks once none is left. While
 * the drill goes on (no ending), only plans whose ttl expired, alone.
 */
void game_step_rollback(struct game *g)
{
    bool alone = g->ending == END_NONE;
    if (g->ending_done || g->after_running || g->ready_timer != NULL) {
        return;
    }
    for (size_t i = 0; i < g->nplans; i++) {
        if (g->plans[i].chaos_inflight || g->plans[i].tok != NULL) {
            return; /* its report calls us again */
        }
    }
    for (size_t k = g->nplans; k > 0; k--) {
        struct plan *p = &g->plans[k - 1];
        if (p->resolved || p->attempted || (alone && !p->expired)) {
            continue;
        }
        if (!rollback_ready(g, p)) {
            return; /* the timer calls us again */
        }
        if (game_guard_taken(g, p)) {
            game_changed(g);
            continue; /* the guard (or the owner) has it: the journal says so */
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "inject", p->inject);
        cJSON_AddNumberToObject(d, "index", p->index);
        cJSON_AddStringToObject(d, "action", p->rollback);
        if (p->expired && g->rb_why != NULL) {
            cJSON_AddStringToObject(d, "why", g->rb_why);
        }
        if (!game_log(g, p->inject, "rollback.start", NULL, NULL, d)) {
            /* nothing runs unjournaled: leave it to drill_recover */
            p->attempted = true;
            continue;
        }
        game_guard_seen(g, p);
        p->attempted = true;
        p->tried = true;
        struct drill_act a;
        char *why = NULL;
        if (!game_act_parse(p->rollback, &a)) {
            why = xasprintf("cannot read the rollback '%s'", p->rollback);
        } else {
            p->tok = xcalloc(1, sizeof *p->tok);
            p->tok->g = g;
            p->tok->plan = (size_t)(p - g->plans);
            p->tok->rollback = true;
            size_t left = 0;
            for (size_t i = 0; i < g->nplans; i++) {
                left += !g->plans[i].resolved && !g->plans[i].attempted;
            }
            game_set_message(
                g, left > 0 ? xasprintf("rolling back: %s (%zu more after it)", p->rollback, left)
                            : xasprintf("rolling back: %s", p->rollback));
            game_changed(g);
            if (!send_action(g, p->backend, &a, p->inject, on_rollback_report, p->tok, &why)) {
                free(p->tok);
                p->tok = NULL;
            }
        }
        drill_act_finish(&a);
        if (why != NULL) {
            rollback_ended(g, (size_t)(p - g->plans), false, why);
            free(why);
            game_changed(g);
            continue;
        }
        return; /* one at a time; the report calls us again */
    }
    if (!alone) {
        game_after_rollbacks(g);
    }
}

/* ---- ending ---- */

void game_finish(struct game *g)
{
    bool aborted = g->ending == END_ABORT || g->ending == END_RECOVER;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "how", aborted ? "aborted" : "finished");
    /* the guard's job is over: said before run.end, its pipe closed after (it finds it ended) */
    game_guard_stop(g, aborted ? "the drill was aborted" : "the drill is over");
    game_log(g, NULL, "run.end", NULL, NULL, d);
    game_guard_release(g, NULL);
    g->ending_done = true;
    g->dv->ended = true; /* the score: clock injects that never fired are not reached */
    if (g->d != NULL) {
        g->state = aborted ? GAME_ABORTED : GAME_ENDED;
        size_t bad = game_count_unresolved(g);
        char *base = aborted ? xasprintf("aborted: %s", g->abort_why ? g->abort_why : "aborted")
                             : xstrdup("the drill is over");
        if (bad > 0) {
            game_set_message(g, xasprintf("%s; %zu rollback%s failed: NOT restored", base, bad,
                                          bad == 1 ? "" : "s"));
            free(base);
        } else {
            game_set_message(g, base);
        }
        game_changed(g);
    }
}

void game_after_rollbacks(struct game *g)
{
    if (g->ending == END_DESTROY) {
        g->ending_done = true;
        size_t bad = game_count_unresolved(g);
        game_set_message(g, bad > 0
                                ? xasprintf("closed; %zu rollback%s failed: NOT restored (every "
                                            "start tries again)",
                                            bad, bad == 1 ? "" : "s")
                                : xstrdup("closed: every chaos action is rolled back"));
        game_changed(g);
        return;
    }
    if (g->ending == END_RECOVER) {
        /* a run with a rollback still pending is not closed: the next start tries again */
        if (!g->was_ended && game_count_unresolved(g) == 0) {
            game_finish(g);
        } else {
            g->ending_done = true;
        }
        return;
    }
    if (g->d == NULL || !g->began) {
        game_finish(g);
        return;
    }
    /*
     * A condition read now would see the panes from before the rollbacks:
     * the after checks count only answers from now on (look_check asks for
     * them and waits, bounded).
     */
    g->after_running = true;
    game_start_checks(g, DRILL_AFTER);
}

void game_begin_end(struct game *g, enum ending how)
{
    if (how == END_FINISH || how == END_ABORT) {
        game_mark_not_reached(g); /* score: on the clock as it runs, before it stops */
    }
    g->base_ms = game_clock_ms(g);
    g->state = GAME_ROLLING_BACK;
    g->ending = how;
    game_chaos_asks_drop(g);
    game_stop_checks(g);
    game_changed(g);
    game_step_rollback(g);
}

void game_abort(struct game *g, const char *why)
{
    if (g == NULL || g->state == GAME_ENDED || g->state == GAME_ABORTED || g->ending == END_ABORT) {
        return;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "why", why != NULL ? why : "aborted");
    game_log(g, NULL, "drill.abort", NULL, NULL, d);
    free(g->abort_why);
    g->abort_why = xstrdup(why != NULL ? why : "by the facilitator");
    game_set_message(g, xasprintf("aborted: %s", g->abort_why));
    if (g->state == GAME_ROLLING_BACK) {
        g->ending = END_ABORT; /* an end already rolling back finishes as an abort */
        game_changed(g);
        return;
    }
    game_begin_end(g, END_ABORT);
}

bool game_end(struct game *g, char **cause)
{
    if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
        set_cause(cause, "the drill is not running (abort it instead)");
        return false;
    }
    game_set_message(g, xstrdup("ending: rolling back"));
    game_begin_end(g, END_FINISH);
    return true;
}

/*
 * chaos.end. A chaos that certainly did not apply (the backend refused it,
 * it never left) has nothing to roll back: its plan is settled, not pending
 * (applied: false). When unsure (a timeout) the rollback stays.
 */
static void chaos_ended(struct game *g, size_t pi, bool ok, bool applied, const char *m)
{
    struct plan *p = &g->plans[pi];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    cJSON_AddBoolToObject(d, "ok", ok);
    if (!applied) {
        cJSON_AddBoolToObject(d, "applied", false);
    }
    cJSON_AddStringToObject(d, "message", m);
    if (game_log(g, p->inject, "chaos.end", NULL, ok ? "ok" : m, d) && !applied) {
        p->not_applied = true;
        p->resolved = true;
    }
}

static void on_chaos_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct act_token *t = ud;
    struct game *g = t->g;
    size_t pi = t->plan;
    (void)a;
    free(t);
    if (g == NULL) {
        return;
    }
    struct plan *p = &g->plans[pi];
    p->tok = NULL;
    p->chaos_inflight = false;
    const char *m = message != NULL ? message : (ok ? "done" : "failed");
    chaos_ended(g, pi, ok, ok || !action_refused(a), m);
    struct dv_chaos *c = game_plan_chaos(g, p);
    if (c != NULL && c->state == CHAOS_PLANNED) {
        c->state = ok ? CHAOS_ACTIVE : CHAOS_FAILED;
        free(c->message);
        c->message = xstrdup(m);
    }
    game_changed(g);
    game_step_rollback(g);
}

struct plan *game_add_plan(struct game *g, const char *inject, int index, const char *rollback,
                           const char *backend, size_t ii)
{
    g->plans = xreallocarray(g->plans, g->nplans + 1, sizeof *g->plans);
    struct plan *p = &g->plans[g->nplans++];
    memset(p, 0, sizeof *p);
    p->inject = xstrdup(inject != NULL ? inject : "?");
    p->index = index;
    p->rollback = xstrdup(rollback != NULL ? rollback : "");
    p->backend = backend != NULL ? xstrdup(backend) : NULL;
    p->ii = ii;
    return p;
}

/* Journal the plan with its rollback, then ask for the action. */
void game_start_chaos(struct game *g, size_t ii, size_t ci)
{
    const struct drill_inject *in = &g->d->injects[ii];
    const struct drill_chaos *ch = &in->chaos[ci];
    struct dv_chaos *c = &g->dv->inj[ii].ch[ci];
    cJSON *before = NULL;
    char *why = NULL;
    char *rollback = game_chaos_rollback(g, ii, ci, &before, &why);
    if (rollback == NULL) {
        /* no plan, no action: it did not run, nothing to roll back */
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "inject", in->id);
        cJSON_AddNumberToObject(e, "index", (double)ci);
        cJSON_AddBoolToObject(e, "ok", false);
        cJSON_AddBoolToObject(e, "applied", false);
        cJSON_AddStringToObject(e, "message", why);
        char *act = game_act_text(&ch->action);
        cJSON_AddStringToObject(e, "action", act); /* no chaos.plan names it */
        free(act);
        game_log(g, in->id, "chaos.end", NULL, why, e);
        c->state = CHAOS_FAILED;
        free(c->message);
        c->message = why;
        return;
    }
    char *action = game_act_text(&ch->action);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", in->id);
    cJSON_AddNumberToObject(d, "index", (double)ci);
    cJSON_AddStringToObject(d, "action", action);
    cJSON_AddStringToObject(d, "rollback", rollback);
    if (before != NULL) {
        cJSON_AddBoolToObject(d, "restore", true);
        cJSON_AddItemToObject(d, "before", before);
    }
    if (in->backend != NULL) {
        cJSON_AddStringToObject(d, "backend", in->backend);
    } else {
        cJSON_AddNullToObject(d, "backend");
    }
    int ttl_s = drill_ttl_s(g->d, ii);
    cJSON_AddNumberToObject(d, "ttl_s", ttl_s);
    if (in->ttl_s <= 0) {
        cJSON_AddBoolToObject(d, "ttl_extends", true); /* the default: drill.extend adds to it */
    }
    if (!game_log(g, in->id, "chaos.plan", ch->action.target, NULL, d)) {
        /* the rollback is not on disk: the action must not run */
        c->state = CHAOS_FAILED;
        free(c->message);
        c->message = xstrdup(g->message);
        free(action);
        free(rollback);
        return;
    }
    struct plan *p = game_add_plan(g, in->id, (int)ci, rollback, in->backend, ii);
    p->ttl_s = ttl_s;
    p->ttl_extends = in->ttl_s <= 0;
    p->planned_wall_ms = clock_wall_ms();
    game_guard_seen(g, p);
    size_t pi = (size_t)(p - g->plans);
    c->state = CHAOS_PLANNED;
    p->chaos_inflight = true;
    p->tok = xcalloc(1, sizeof *p->tok);
    p->tok->g = g;
    p->tok->plan = pi;
    struct act_token *tok = p->tok;
    if (!send_action(g, in->backend, &ch->action, in->id, on_chaos_report, tok, &why)) {
        free(tok);
        g->plans[pi].tok = NULL;
        g->plans[pi].chaos_inflight = false;
        chaos_ended(g, pi, false, false, why); /* it never left */
        c->state = CHAOS_FAILED;
        free(c->message);
        c->message = why;
    }
    free(action);
    free(rollback);
}

void game_close(struct game *g)
{
    g->closing = true;
    if (g->ending == END_NONE && g->state != GAME_ENDED && g->state != GAME_ABORTED &&
        game_has_pending_rollback(g)) {
        g->base_ms = game_clock_ms(g);
        g->state = GAME_ROLLING_BACK;
        g->ending = END_DESTROY;
        game_stop_checks(g);
        game_set_message(g, xstrdup("closing: rolling back first"));
        game_changed(g);
        game_step_rollback(g);
    }
}

bool game_closed(const struct game *g)
{
    return g->ending == END_NONE || g->ending_done;
}

bool game_closing(const struct game *g)
{
    return g->closing && !game_closed(g);
}

void game_destroy(struct game *g, bool rollback)
{
    if (g == NULL) {
        return;
    }
    g->hooks.changed = NULL; /* the UI is going away */
    if (rollback) {
        /*
         * What finishes now (an answer in the same call) is journaled; a
         * rollback still in flight is left pending for the next start.
         * Callers that can keep the loop turning use game_close() first.
         */
        game_close(g);
    }
    game_free(g);
}

static void recover_run(const struct game_env *env, const char *dir, const char *id,
                        int64_t deadline, size_t *done, size_t *failed, struct strbuf *rep)
{
    char *why = NULL;
    struct game *g = game_replay_plans(env, dir, id, &why);
    free(why);
    if (g == NULL) {
        return;
    }
    for (size_t i = 0; i < g->nplans; i++) {
        g->plans[i].prior = g->plans[i].resolved;
    }
    game_replay_reopen(g);
    /* an ended run too: a rollback that failed stays pending until it works or is given up */
    if (!game_has_pending_rollback(g)) {
        game_free(g);
        return;
    }
    g->was_ended = g->dv->ended;
    g->base_ms = g->dv->t;
    g->state = GAME_ROLLING_BACK;
    /* a drill another opsdeck is running has not crashed: not ours to touch */
    if (runlog_busy(dir, id)) {
        game_free(g);
        return;
    }
    char *cause = NULL;
    if (!game_open_journal(g, false, &cause)) {
        strbuf_printf(rep, "run %s: not recovered: %s\n", id, cause);
        free(cause);
        game_free(g);
        return;
    }
    if (!g->dv->ended && !g->dv->aborted) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "why", "recovered after a crash");
        game_log(g, NULL, "drill.abort", NULL, NULL, d);
    }
    g->ending = END_RECOVER;
    game_step_rollback(g);
    while (!g->ending_done && g->env.loop != NULL && (int64_t)clock_mono_ms() < deadline) {
        loop_run_once(g->env.loop, 50);
    }
    for (size_t i = 0; i < g->nplans; i++) {
        const struct plan *p = &g->plans[i];
        if (p->prior) {
            continue;
        }
        if (p->resolved) {
            (*done)++;
            strbuf_printf(rep, "run %s: rolled back %s (inject %s): %s\n", id, p->rollback,
                          p->inject, p->message);
        } else {
            (*failed)++;
            strbuf_printf(rep, "run %s: NOT restored: %s (inject %s): %s\n", id, p->rollback,
                          p->inject,
                          p->done && p->message != NULL ? p->message : "no answer in time");
        }
    }
    if (game_count_unresolved(g) > 0) {
        strbuf_printf(rep,
                      "run %s: still pending: every start of opsdeck tries again; to stop, put it "
                      "back by hand and run: opsdeck drill --give-up %s\n",
                      id, id);
    }
    game_free(g);
}

size_t drill_recover(const struct game_env *env, int timeout_ms, size_t *failed, char **report)
{
    size_t done = 0, bad = 0;
    struct strbuf rep = {0};
    char *dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    DIR *dh = dir != NULL ? opendir(dir) : NULL;
    int64_t deadline = (int64_t)clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : DESTROY_LIMIT_MS);
    struct dirent *de;
    while (dh != NULL && (de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") != 0) {
            continue;
        }
        char *id = xstrndup(de->d_name, len - 6);
        recover_run(env, dir, id, deadline, &done, &bad, &rep);
        free(id);
    }
    if (dh != NULL) {
        closedir(dh);
    }
    free(dir);
    if (failed != NULL) {
        *failed = bad;
    }
    if (report != NULL) {
        *report = rep.s;
    } else {
        free(rep.s);
    }
    return done;
}

/* ---- what is still pending, and giving it up ---- */

/* Every *.jsonl run id in dir, or NULL when it cannot be read. */
static char **run_ids(const char *dir, size_t *n)
{
    *n = 0;
    DIR *dh = dir != NULL ? opendir(dir) : NULL;
    if (dh == NULL) {
        return NULL;
    }
    char **ids = NULL;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".jsonl") == 0) {
            ids = xreallocarray(ids, *n + 1, sizeof *ids);
            ids[(*n)++] = xstrndup(de->d_name, len - 6);
        }
    }
    closedir(dh);
    return ids;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a); /* ids start with the start time */
}

struct drill_pending *drill_pending_list(const char *runs_dir, size_t *n)
{
    *n = 0;
    char *dir = runs_dir != NULL ? xstrdup(runs_dir) : run_default_dir();
    if (dir == NULL) {
        return NULL;
    }
    size_t nids = 0;
    char **ids = run_ids(dir, &nids);
    if (nids > 1) {
        qsort(ids, nids, sizeof *ids, newest_first);
    }
    struct drill_pending *list = xcalloc(1, sizeof *list);
    struct game_env env = {.runs_dir = dir};
    for (size_t k = 0; k < nids; k++) {
        char *why = NULL;
        struct game *g = game_replay_plans(&env, dir, ids[k], &why);
        free(why);
        int live = -1;
        for (size_t i = 0; g != NULL && i < g->nplans; i++) {
            const struct plan *p = &g->plans[i];
            if (p->resolved) {
                continue;
            }
            list = xreallocarray(list, *n + 1, sizeof *list);
            list[(*n)++] = (struct drill_pending){
                .run = xstrdup(ids[k]),
                .inject = xstrdup(p->inject),
                .index = p->index,
                .rollback = xstrdup(p->rollback),
                .message = p->done && p->message != NULL ? xstrdup(p->message) : NULL,
                .ended = g->dv->ended,
            };
            /* the lock is looked at only when it matters (once): no failure yet, run not ended */
            struct drill_pending *e = &list[*n - 1];
            if (live < 0 && !p->done && !g->dv->ended) {
                live = runlog_busy(dir, ids[k]);
            }
            e->live = !p->done && live > 0;
            e->failed = p->done || (p->attempted && !e->live);
        }
        if (g != NULL) {
            game_free(g);
        }
        free(ids[k]);
    }
    free(ids);
    free(dir);
    return list;
}

void drill_pending_free(struct drill_pending *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        free(list[i].run);
        free(list[i].inject);
        free(list[i].rollback);
        free(list[i].message);
    }
    free(list);
}

/* The target of a rollback's text ("pools ready be_web/web2" -> "be_web/web2"), caller frees. */
static char *rollback_target(const char *rollback)
{
    struct drill_act a;
    if (!game_act_parse(rollback, &a)) {
        return NULL;
    }
    char *t = xstrdup(a.target);
    drill_act_finish(&a);
    return t;
}

/* Audit, then journal, one give-up; false with *cause (nothing after it is given up). */
static bool give_up_one(struct game *g, struct plan *p, const char *typed, char **cause)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", p->inject);
    cJSON_AddNumberToObject(d, "index", p->index);
    cJSON_AddStringToObject(d, "action", p->rollback);
    cJSON_AddStringToObject(d, "typed", typed != NULL ? typed : "");
    if (p->done && p->message != NULL) {
        cJSON_AddStringToObject(d, "message", p->message);
    } else {
        cJSON_AddNullToObject(d, "message");
    }
    char *target = rollback_target(p->rollback);
    bool ok = action_record("rollback.giveup", target, g->id, p->inject, "given up", d, cause);
    free(target);
    if (!ok) {
        cJSON_Delete(d);
        return false;
    }
    if (!game_log(g, p->inject, "rollback.giveup", NULL, "given up", d)) {
        *cause = xstrdup(g->message);
        return false;
    }
    p->resolved = true;
    p->gave_up = true;
    return true;
}

size_t drill_give_up(const char *runs_dir, const char *run_id, const char *typed, char **report,
                     char **cause)
{
    *report = NULL;
    char *dir = runs_dir != NULL ? xstrdup(runs_dir) : run_default_dir();
    if (dir == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        return 0;
    }
    struct game_env env = {.runs_dir = dir};
    struct game *g = game_replay_plans(&env, dir, run_id, cause);
    if (g == NULL) {
        free(dir);
        return 0;
    }
    size_t given = 0;
    if (game_count_unresolved(g) == 0) {
        *cause = xasprintf("run %s has no pending rollback", run_id);
    } else if (action_read_only()) {
        *cause = xstrdup("read-only mode (--read-only): nothing is given up");
    } else if (runlog_busy(dir, run_id)) {
        *cause = xasprintf("run %s is in use by another opsdeck", run_id);
    } else if (game_open_journal(g, false, cause)) {
        struct strbuf rep = {0};
        for (size_t i = 0; i < g->nplans; i++) {
            struct plan *p = &g->plans[i];
            if (p->resolved) {
                continue;
            }
            if (!give_up_one(g, p, typed, cause)) {
                break;
            }
            given++;
            strbuf_printf(&rep, "run %s: given up: %s (inject %s): put it back by hand\n", run_id,
                          p->rollback, p->inject);
        }
        if (g->dv->aborted && !g->dv->ended && game_count_unresolved(g) == 0) {
            /* a crashed drill recovery kept open only for this: it ends as recovery would */
            g->ending = END_RECOVER;
            game_finish(g);
        }
        *report = rep.s;
    }
    game_free(g);
    free(dir);
    return given;
}
