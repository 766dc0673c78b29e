/*
 * Rebuilding a drill from its journal (gamestate.h).
 *
 * The events go into the game's own drill view (drillview.c: injects,
 * expectations, chaos and checks, with the same rules every screen applies)
 * and into its plans: every chaos.plan is a rollback to run, pending until a
 * rollback.end with ok true or a rollback.giveup. Recovery after a crash
 * needs only the plans, from the journal alone: the drill file may have
 * changed or gone.
 *
 * Resume sets the clock to the last t_ms and pauses (the time between the
 * last event and the crash is not known); a drill that was aborting goes on
 * rolling back; one still in its before checks runs them again.
 */
#include "gamestate.h"

#include "../common/util.h"
#include "drill_extra.h"
#include "run.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t find_plan(const struct game *g, const char *inject, int index)
{
    for (size_t i = g->nplans; i > 0; i--) {
        const struct plan *p = &g->plans[i - 1];
        if (!p->resolved && strcmp(p->inject, inject) == 0 && p->index == index) {
            return i - 1;
        }
    }
    return SIZE_MAX;
}

/* rollback.end (ok: resolved; failed: still pending) or rollback.giveup (resolved, not restored).
 */
static void plan_end(struct plan *pl, const struct runlog_event *ev)
{
    const char *m = runlog_str(ev->data, "message") != NULL ? runlog_str(ev->data, "message") : "";
    free(pl->message);
    if (ev->kind == RL_ROLLBACK_GIVEUP) {
        pl->gave_up = true;
        pl->resolved = true;
        pl->message = xasprintf("given up by %s%s%s", ev->actor != NULL ? ev->actor : "?",
                                *m != '\0' ? " after: " : "", m);
    } else {
        pl->done = true;
        pl->ok = runlog_true(ev->data, "ok");
        pl->resolved = pl->ok;
        pl->message = xstrdup(m);
    }
}

/* The plans' share of one event. */
static void replay_plan(struct game *g, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    const char *inj =
        runlog_str(d, "inject") != NULL ? runlog_str(d, "inject") : runlog_str(d, "id");
    int idx = runlog_int(d, "index", -1);
    if (inj == NULL) {
        return;
    }
    if (ev->kind == RL_CHAOS_PLAN) {
        int ii = g->d != NULL ? drill_find_inject(g->d, inj) : -1;
        struct plan *p = game_add_plan(g, inj, idx, runlog_str(d, "rollback"),
                                       runlog_str(d, "backend"), ii >= 0 ? (size_t)ii : SIZE_MAX);
        p->ttl_s = runlog_int(d, "ttl_s", 0);
        p->ttl_extends = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "ttl_extends"));
        p->planned_wall_ms = ev->ts_ms;
        p->seen_seq = ev->seq;
    } else if (ev->kind == RL_CHAOS_END &&
               cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(d, "applied"))) {
        size_t p = find_plan(g, inj, idx); /* it did not apply: nothing to roll back */
        if (p != SIZE_MAX) {
            g->plans[p].not_applied = true;
            g->plans[p].resolved = true;
        }
    } else if (ev->kind == RL_ROLLBACK_START) {
        size_t p = find_plan(g, inj, idx);
        if (p != SIZE_MAX) {
            g->plans[p].attempted = true;
            g->plans[p].seen_seq = ev->seq;
        }
    } else if (ev->kind == RL_ROLLBACK_END || ev->kind == RL_ROLLBACK_GIVEUP) {
        size_t p = find_plan(g, inj, idx);
        if (p != SIZE_MAX) {
            plan_end(&g->plans[p], ev);
            g->plans[p].seen_seq = ev->seq;
        }
    }
}

void game_replay(struct game *g, cJSON **ev, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct runlog_event e;
        if (runlog_event_parse(ev[i], &e)) {
            if (e.kind == RL_DRILL_EXTEND) {
                game_apply_extend(g->d, &e);
                game_plans_extend(g, runlog_int(e.data, "by_s", 0));
            }
            drillview_apply(&e, g->dv);
            replay_plan(g, &e);
            drill_extra_replay(g->d, e.action, e.data); /* drawn offsets, choices */
        }
    }
    g->began = g->dv->began;
}

cJSON **game_load_run(const char *dir, const char *run_id, size_t *n, char **cause)
{
    char *path = runlog_path(dir, run_id, NULL, cause);
    if (path == NULL) {
        return NULL;
    }
    cJSON **ev = runlog_read(path, n, cause);
    free(path);
    struct runlog_event start;
    if (ev != NULL && (*n == 0 || !runlog_event_parse(ev[0], &start) ||
                       start.kind != RL_RUN_START || runlog_str(start.data, "kind") == NULL ||
                       strcmp(runlog_str(start.data, "kind"), "drill") != 0)) {
        *cause = xasprintf("run %s is not a drill", run_id);
        runlog_free(ev, *n);
        return NULL;
    }
    return ev;
}

void game_replay_reopen(struct game *g)
{
    for (size_t i = 0; i < g->nplans; i++) {
        if (!g->plans[i].resolved) {
            g->plans[i].attempted = false;
            g->plans[i].done = false;
        }
    }
}

struct game *game_replay_plans(const struct game_env *env, const char *dir, const char *id,
                               char **cause)
{
    size_t n = 0;
    cJSON **ev = game_load_run(dir, id, &n, cause);
    if (ev == NULL) {
        return NULL;
    }
    struct game *g = game_alloc(env, NULL, NULL);
    g->id = xstrdup(id);
    game_replay(g, ev, n);
    runlog_free(ev, n);
    return g;
}

struct drill *game_reload_drill(cJSON **ev, size_t n, const char *run_id, char **cause)
{
    for (size_t i = 0; i < n; i++) {
        if (runlog_kind(runlog_str(ev[i], "action")) == RL_RUN_END) {
            *cause = xasprintf("run %s has ended: nothing to resume", run_id);
            return NULL;
        }
    }
    const char *path = runlog_str(cJSON_GetObjectItemCaseSensitive(ev[0], "data"), "drill");
    char *why = NULL;
    struct drill *d = path != NULL ? drill_load(path, &why) : NULL;
    if (d == NULL || d->nissues > 0) {
        *cause = xasprintf("run %s: cannot reload its drill: %s", run_id,
                           why != NULL ? why
                           : d != NULL ? d->issues[0].message
                                       : "no path in the journal");
        free(why);
        drill_free(d);
        return NULL;
    }
    return d;
}

struct game *game_resume(const struct game_env *env, const char *run_id, const struct game_hooks *h,
                         char **cause)
{
    char *dir = runlog_dir(env->runs_dir, cause);
    if (dir == NULL) {
        return NULL;
    }
    size_t n = 0;
    cJSON **ev = game_load_run(dir, run_id, &n, cause);
    free(dir);
    if (ev == NULL) {
        return NULL;
    }
    struct drill *d = game_reload_drill(ev, n, run_id, cause);
    if (d == NULL || !game_guard_lever_allows(d, cause)) {
        drill_free(d);
        runlog_free(ev, n);
        return NULL;
    }
    struct game *g = game_alloc(env, d, h);
    g->id = xstrdup(run_id);
    game_replay(g, ev, n);
    runlog_free(ev, n);
    game_replay_reopen(g);
    g->base_ms = g->dv->t;
    if (!game_open_journal(g, false, cause) || !game_guard_spawn(g, cause)) {
        game_free(g);
        return NULL;
    }
    game_arm_timer(g);
    if (g->dv->aborted) {
        game_set_message(g, xstrdup("it was aborting when the session ended: rolling back"));
        game_begin_end(g, END_ABORT);
    } else if (g->began) {
        g->state = GAME_PAUSED;
        if (g->dv->running) {
            game_log(g, NULL, "drill.pause", NULL, NULL, NULL);
        }
        char clk[32];
        snprintf(clk, sizeof clk, "T+%02llu:%02llu", (unsigned long long)(g->dv->t / 60000),
                 (unsigned long long)(g->dv->t / 1000 % 60));
        game_set_message(g, xasprintf("resumed at %s, paused: resume the clock", clk));
    } else {
        g->state = GAME_CHECKING;
        game_start_checks(g, DRILL_BEFORE);
    }
    return g;
}
