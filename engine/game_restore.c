/*
 * `rollback: restore` in a running drill (gamestate.h, docs/drills.md): the
 * rollback of a chaos action is computed from the live row the chaos is
 * about to change, read from the store before it acts (chaosverb.h says
 * which field and which action puts it back). The result is journaled in
 * chaos.plan (rollback: the computed action, before: {field: value}), so
 * recovery after a crash needs the journal alone. No data, no chaos: a
 * backend that has not answered, whose last poll failed, or a row that is
 * not there stops the chaos before it runs.
 */
#include "gamestate.h"

#include "../backends/backend.h"
#include "../common/util.h"
#include "chaosverb.h"

#include <cjson/cJSON.h>

#include <stdlib.h>

char *game_chaos_rollback(struct game *g, size_t ii, size_t ci, struct cJSON **before, char **why)
{
    const struct drill_inject *in = &g->d->injects[ii];
    const struct drill_chaos *ch = &in->chaos[ci];
    *before = NULL;
    if (!ch->restore) {
        return game_act_text(&ch->rollback);
    }
    const struct action_def *def = NULL;
    struct backend *b =
        game_act_backend(g->env.backends, g->env.nbackends, in->backend, &ch->action, &def, why);
    if (b == NULL) {
        return NULL;
    }
    if (b->last_ok_ms == 0) {
        *why = xasprintf("cannot read what to restore: %s has not answered yet", b->name);
        return NULL;
    }
    if (b->health == BACKEND_ERROR) {
        *why = xasprintf("cannot read what to restore: %s: %s", b->name,
                         b->error != NULL ? b->error : "its last poll failed");
        return NULL;
    }
    char *field = NULL, *value = NULL;
    char *rollback = chaosverb_restore(g->env.store, b->name, &ch->action, &field, &value, why);
    if (rollback != NULL) {
        *before = cJSON_CreateObject();
        cJSON_AddStringToObject(*before, field, value);
    }
    free(field);
    free(value);
    return rollback;
}

/* Has b data to tell whether a row is there? false with *why. */
static bool answered(const struct backend *b, char **why)
{
    if (b->last_ok_ms == 0) {
        *why = xasprintf("%s has not answered yet: start again once it has", b->name);
        return false;
    }
    if (b->health == BACKEND_ERROR) {
        *why = xasprintf("%s: %s", b->name, b->error != NULL ? b->error : "its last poll failed");
        return false;
    }
    return true;
}

bool game_chaos_targets(struct game *g, char **cause)
{
    if (g->d == NULL || g->d->kind != DRILL_LIVE || g->env.store == NULL) {
        return true;
    }
    for (size_t i = 0; i < g->d->ninjects; i++) {
        const struct drill_inject *in = &g->d->injects[i];
        for (size_t c = 0; c < in->nchaos; c++) {
            const struct drill_act *a = &in->chaos[c].action;
            const struct action_def *def = NULL;
            char *why = NULL;
            struct backend *b =
                game_act_backend(g->env.backends, g->env.nbackends, in->backend, a, &def, &why);
            enum model_kind kind = def != NULL ? def->kind : MODEL_POOLS;
            const struct rowset *rs = NULL;
            size_t row = 0;
            char *text = NULL;
            if (b != NULL && !answered(b, &why)) {
                text = xasprintf("chaos target %s: %s", a->target, why);
            } else if (b != NULL &&
                       !store_find(g->env.store, kind, b->name, a->target, &rs, &row)) {
                text =
                    xasprintf("chaos target %s not found in %s (%s)", a->target, a->pane, b->name);
            } /* no backend for it: the chaos says so when it runs */
            free(why);
            if (text != NULL) {
                if (cause != NULL) {
                    *cause = text;
                } else {
                    free(text);
                }
                return false;
            }
        }
    }
    return true;
}
