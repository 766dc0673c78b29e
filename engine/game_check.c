/*
 * A drill's checks (gamestate.h): before checks gate the start, during checks
 * abort the drill when one fails past its tolerance, after checks run once
 * the rollbacks are done. A check is a live pane condition (cond.h) or a
 * command.
 *
 * Conditions have three outcomes: before and after checks wait (bounded) for
 * the panes' backends to answer afresh, and one still unknown then does not
 * pass; a during check that is unknown is said but does not count toward the
 * abort: only a failure seen on fresh data does. During checks journal a
 * result when it changes; the results in between reach the views as check
 * notices, so a screen says what the last look saw.
 *
 * Stop checks (DRILL_STOP) run like during checks, the other way round: the
 * condition met (a command exiting as expected) is the failure that aborts,
 * past its tolerance, as "stop condition 'ID': REASON". A command that cannot
 * run or times out is unknown there: unknown data never stops a drill.
 */
#include "gamestate.h"

#include "../backends/backend.h"
#include "../common/loop.h"
#include "../common/proc.h"
#include "../common/util.h"
#include "cond.h"

#include <cjson/cJSON.h>

#include <stdlib.h>

static const char *when_name(enum drill_when w)
{
    return w == DRILL_BEFORE   ? "before"
           : w == DRILL_DURING ? "during"
           : w == DRILL_STOP   ? "stop"
                               : "after";
}

/* Checks that run on the interval while the clock runs (during and stop), not in a sequence. */
static bool periodic(const struct drill_check *c)
{
    return c->when == DRILL_DURING || c->when == DRILL_STOP;
}

/* A stop check's look, turned into a check result: the condition met is the failure. */
static int stop_result(const struct drill_check *c, int result)
{
    if (c->when != DRILL_STOP || result == CHECK_UNKNOWN) {
        return result;
    }
    return result == CHECK_OK ? CHECK_FAILED : CHECK_OK;
}

static void check_done(struct game *g, size_t i, int result, char *why);

static void on_check_proc(const struct proc_result *res, void *ud)
{
    struct act_token *t = ud; /* plan: the check's index */
    struct game *g = t->g;
    size_t i = t->plan;
    free(t);
    g->chk[i].proc = NULL;
    g->chk[i].ptok = NULL;
    const struct drill_check *c = &g->d->checks[i];
    bool ok = res->error == NULL && res->exit_code == c->expect_exit;
    char *last = proc_last_line(res->out != NULL ? res->out : "");
    char *why;
    if (res->error != NULL) {
        why = xstrdup(res->error);
    } else if (*last != '\0') {
        why = xasprintf("exit %d%s: %s", res->exit_code, ok ? "" : " (want 0)", last);
    } else {
        why = xasprintf("exit %d", res->exit_code);
    }
    if (!ok && res->error == NULL && c->expect_exit != 0) {
        free(why);
        why = xasprintf("exit %d (want %d)%s%s", res->exit_code, c->expect_exit,
                        *last != '\0' ? ": " : "", last);
    }
    free(last);
    check_done(g, i,
               c->when == DRILL_STOP && res->error != NULL
                   ? CHECK_UNKNOWN
                   : stop_result(c, ok ? CHECK_OK : CHECK_FAILED),
               why);
}

/* How long a before/after check waits for kind's backends to answer: their timeout and a margin. */
static uint64_t fresh_limit(const struct game *g, enum model_kind kind)
{
    int most = -1;
    for (size_t i = 0; i < g->env.nbackends; i++) {
        const struct backend *b = g->env.backends[i];
        if ((backend_kinds(b) & (1u << kind)) && b->timeout_ms > most) {
            most = b->timeout_ms;
        }
    }
    return most < 0 ? 0 : (uint64_t)most + FRESH_MARGIN_MS;
}

static void look_check(struct game *g, size_t i, bool first);

static void on_seq_retry(void *ud)
{
    struct game *g = ud;
    g->seq_timer = NULL; /* one-shot: gone once fired */
    look_check(g, g->seq_wait, false);
}

/*
 * A condition check: met, not met, or unknown (cond.h). Before and after
 * checks count only answers since their sequence began: the first look asks
 * the pane's backends for one, and while unknown they look again until the
 * backends' timeout and a margin have passed.
 */
static void look_check(struct game *g, size_t i, bool first)
{
    const struct drill_check *c = &g->d->checks[i];
    bool seq = !periodic(c);
    struct cond cd;
    char *why = NULL;
    if (!cond_parse(&cd, c->until, &why)) {
        /* a stop condition that cannot be read says nothing: it never stops a drill */
        check_done(g, i, c->when == DRILL_STOP ? CHECK_UNKNOWN : CHECK_FAILED, why);
        return;
    }
    if (first && seq) {
        for (size_t k = 0; k < g->env.nbackends; k++) {
            if (backend_kinds(g->env.backends[k]) & (1u << cd.kind)) {
                backend_poll_now(g->env.backends[k]);
            }
        }
        g->chk[i].fresh_until = game_loop_ms(g) + fresh_limit(g, cd.kind);
    }
    struct cond_env ce = {
        .store = g->env.store,
        .backends = g->env.backends,
        .nbackends = g->env.nbackends,
        .since_ms = seq ? g->seq_since : g->during_since,
        .now_ms = game_loop_ms(g),
    };
    enum cond_result res = cond_eval(&cd, &ce, &why);
    cond_free(&cd);
    if (res == COND_UNKNOWN && seq && g->env.loop != NULL &&
        game_loop_ms(g) < g->chk[i].fresh_until) {
        game_set_message(g, xasprintf("check '%s' waits for fresh data: %s", c->id, why));
        free(why);
        g->seq_wait = i;
        g->seq_timer = loop_timer_add(g->env.loop, FRESH_RETRY_MS, 0, on_seq_retry, g);
        game_changed(g);
        return;
    }
    check_done(g, i,
               stop_result(c, res == COND_MET       ? CHECK_OK
                              : res == COND_NOT_MET ? CHECK_FAILED
                                                    : CHECK_UNKNOWN),
               why);
}

void game_run_check(struct game *g, size_t i)
{
    const struct drill_check *c = &g->d->checks[i];
    if (c->until != NULL) {
        look_check(g, i, true);
        return;
    }
    struct proc_options o = {
        .command = c->run != NULL ? c->run : "false",
        .timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : CHECK_TIMEOUT_MS,
    };
    char *why = NULL;
    struct act_token *t = xcalloc(1, sizeof *t);
    t->g = g;
    t->plan = i;
    g->chk[i].proc =
        g->env.loop != NULL ? proc_spawn(g->env.loop, &o, on_check_proc, t, &why) : NULL;
    g->chk[i].ptok = t;
    if (g->chk[i].proc == NULL) {
        free(t);
        g->chk[i].ptok = NULL;
        check_done(g, i, CHECK_FAILED, why != NULL ? why : xstrdup("no event loop to run it on"));
    }
}

static cJSON *check_data(const struct drill_check *c, int result, const char *why)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", c->id);
    cJSON_AddStringToObject(d, "when", when_name(c->when));
    cJSON_AddBoolToObject(d, "ok", result == CHECK_OK);
    if (result == CHECK_UNKNOWN) {
        cJSON_AddBoolToObject(d, "unknown", true);
    }
    cJSON_AddStringToObject(d, "reason", why);
    return d;
}

static void journal_check(struct game *g, size_t i, int result, const char *why)
{
    const struct drill_check *c = &g->d->checks[i];
    game_log(g, c->id, "check", NULL,
             result == CHECK_OK        ? "ok"
             : result == CHECK_UNKNOWN ? "unknown"
                                       : why,
             check_data(c, result, why));
    g->chk[i].journaled = result;
}

/* A result not journaled still reaches the views. */
static void tell_check(struct game *g, size_t i, int result, const char *why)
{
    game_notice(g, RL_CHECK, check_data(&g->d->checks[i], result, why));
}

static void next_sequential(struct game *g, enum drill_when when);

static void check_done(struct game *g, size_t i, int result, char *why)
{
    struct check_rt *r = &g->chk[i];
    struct dv_check *shown = &g->dv->chk[i];
    const struct drill_check *c = &g->d->checks[i];
    bool ok = result == CHECK_OK;
    shown->result = result;
    free(shown->why);
    shown->why = why;
    if (periodic(c)) {
        if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
            tell_check(g, i, result, why);
            return;
        }
        if (r->journaled != result) {
            journal_check(g, i, result, why);
        } else {
            tell_check(g, i, result, why);
        }
        if (result == CHECK_UNKNOWN) {
            /* said, but blindness is not a failure: only one seen on fresh data counts */
            game_changed(g);
            return;
        }
        uint64_t t = game_clock_ms(g);
        if (ok) {
            r->failing = false;
        } else if (!r->failing) {
            r->failing = true;
            r->fail_since = t;
        }
        shown->failing = r->failing; /* the countdown on screen (drillview_check_status) */
        shown->fail_since = r->fail_since;
        game_changed(g);
        if (r->failing && t - r->fail_since >= (uint64_t)c->tolerance_s * 1000) {
            char *msg = c->when == DRILL_STOP
                            ? xasprintf("stop condition '%s': %s", c->id, why)
                            : xasprintf("check '%s' failed%s: %s", c->id,
                                        c->tolerance_s > 0 ? " past its tolerance" : "", why);
            game_abort(g, msg);
            free(msg);
        }
        return;
    }
    if (c->when == DRILL_BEFORE && g->state != GAME_CHECKING) {
        tell_check(g, i, result, why);
        return;
    }
    journal_check(g, i, result, why);
    if (!ok && c->when == DRILL_BEFORE && g->seq_all_ok) {
        /* unknown does not pass: the gate opens only on what was seen */
        g->seq_all_ok = false;
        g->seq_failed = xasprintf("before check '%s' %s: %s", c->id,
                                  result == CHECK_UNKNOWN ? "is unknown" : "failed", why);
    }
    game_changed(g);
    next_sequential(g, c->when);
}

/* Before and after checks run one after the other; then the game moves on. */
static void next_sequential(struct game *g, enum drill_when when)
{
    while (g->seq_i < g->d->nchecks && g->d->checks[g->seq_i].when != when) {
        g->seq_i++;
    }
    if (g->seq_i < g->d->nchecks) {
        game_run_check(g, g->seq_i++);
        return;
    }
    if (when == DRILL_BEFORE) {
        if (g->seq_all_ok) {
            g->state = GAME_READY;
            game_set_message(g, xstrdup("ready: start the clock"));
        } else {
            g->state = GAME_BLOCKED;
            game_set_message(g, g->seq_failed);
            g->seq_failed = NULL;
        }
        game_changed(g);
    } else {
        g->after_running = false;
        game_finish(g);
    }
}

void game_start_checks(struct game *g, enum drill_when when)
{
    g->seq_since = game_loop_ms(g);
    g->seq_i = 0;
    g->seq_all_ok = true;
    next_sequential(g, when);
}

void game_stop_checks(struct game *g)
{
    if (g->seq_timer != NULL) {
        loop_timer_cancel(g->env.loop, g->seq_timer);
        g->seq_timer = NULL;
    }
    for (size_t i = 0; g->d != NULL && i < g->d->nchecks; i++) {
        if (g->chk[i].proc != NULL) {
            proc_cancel(g->chk[i].proc);
            g->chk[i].proc = NULL;
            free(g->chk[i].ptok);
            g->chk[i].ptok = NULL;
        }
    }
}
