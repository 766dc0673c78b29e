/*
 * Chaos asks the facilitator first (gamestate.h, docs/drills.md "Chaos
 * asks first"). With env.ask_chaos (the console and line mode; not
 * `--auto`), an inject that fires chaos, on the clock, early or as a
 * contingency, fires (its text, its expectations) but its chaos actions wait
 * for game_chaos_answer(), unless the inject says `auto: true`. Yes runs
 * them (chaos.plan first, as ever); no journals chaos.skip {inject, why} and
 * runs none: nothing to roll back. Questions queue, first in first out; the
 * clock goes on meanwhile. An end or an abort drops the questions left
 * (chaos.skip, why "not answered before the end").
 */
#include "gamestate.h"

#include "../common/util.h"
#include "action.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

bool game_chaos_ask(struct game *g, size_t ii)
{
    const struct drill_inject *in = &g->d->injects[ii];
    if (!g->env.ask_chaos || in->auto_chaos || in->nchaos == 0 || g->d->kind != DRILL_LIVE) {
        return false;
    }
    g->asks = xreallocarray(g->asks, g->nasks + 1, sizeof *g->asks);
    g->asks[g->nasks++] = ii;
    game_set_message(g, xasprintf("inject %zu fires chaos: answer y or n", ii + 1));
    return true;
}

int game_chaos_question(const struct game *g)
{
    return g != NULL && g->nasks > 0 ? (int)g->asks[0] : -1;
}

static void skip(struct game *g, size_t ii, const char *why)
{
    const struct drill_inject *in = &g->d->injects[ii];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "inject", in->id);
    cJSON_AddNumberToObject(d, "chaos", (double)in->nchaos);
    cJSON_AddStringToObject(d, "why", why);
    game_log(g, in->id, "chaos.skip", NULL, why, d);
    for (size_t c = 0; c < in->nchaos; c++) {
        struct dv_chaos *ch = &g->dv->inj[ii].ch[c];
        free(ch->message);
        ch->message = xstrdup(why);
    }
}

static size_t pop(struct game *g)
{
    size_t ii = g->asks[0];
    memmove(g->asks, g->asks + 1, (g->nasks - 1) * sizeof *g->asks);
    g->nasks--;
    return ii;
}

bool game_chaos_answer(struct game *g, bool yes, char **cause)
{
    if (g->nasks == 0) {
        set_cause(cause, "no chaos is waiting for an answer");
        return false;
    }
    if (g->state != GAME_RUNNING && g->state != GAME_PAUSED) {
        set_cause(cause, "the drill is not running: its chaos will not run");
        return false;
    }
    size_t ii = pop(g);
    if (yes) {
        for (size_t c = 0; c < g->d->injects[ii].nchaos; c++) {
            game_start_chaos(g, ii, c);
        }
        game_set_message(g, xasprintf("inject %zu: its chaos runs", ii + 1));
    } else {
        skip(g, ii, "declined by the facilitator");
        game_set_message(g, xasprintf("inject %zu: its chaos declined, nothing ran", ii + 1));
    }
    game_changed(g);
    return true;
}

void game_chaos_asks_drop(struct game *g)
{
    while (g->nasks > 0) {
        skip(g, pop(g), "not answered before the end");
    }
}

const char *game_chaos_protected(const struct game *g, size_t ii, const char **target)
{
    const struct drill_inject *in = &g->d->injects[ii];
    for (size_t c = 0; c < in->nchaos; c++) {
        const struct action_def *def = NULL;
        char *why = NULL;
        struct backend *b = game_act_backend(g->env.backends, g->env.nbackends, in->backend,
                                             &in->chaos[c].action, &def, &why);
        free(why);
        if (b != NULL && action_protected(b) != NULL) {
            *target = in->chaos[c].action.target;
            return action_protected(b);
        }
    }
    return NULL;
}

void game_chaos_grant(struct game *g, size_t ii)
{
    const struct drill_inject *in = &g->d->injects[ii];
    for (size_t c = 0; c < in->nchaos; c++) {
        const struct action_def *def = NULL;
        char *why = NULL;
        struct backend *b = game_act_backend(g->env.backends, g->env.nbackends, in->backend,
                                             &in->chaos[c].action, &def, &why);
        free(why);
        if (b != NULL && action_protected(b) != NULL && in->chaos[c].action.target != NULL) {
            action_grant_typed(b, def, in->chaos[c].action.target);
        }
    }
}
