/*
 * A drill shared with other consoles (game.h "War room"; docs/war-room.md):
 * who the journal lines are by, and the people events the owner applies for
 * its followers. The game's own drill view keeps the crew (crew.h): every
 * line the game journals reaches it, and resume replays it, so the checks
 * here (a claim held, a handover offered) see what the journal says.
 *
 * A claim names an inject by id and maybe one of its expectations by index;
 * which of them a participant may see at all is drill_public.h's business.
 */
#include "gamestate.h"

#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

void game_set_actor(struct game *g, const char *user, const char *host)
{
    crew_actor_set(&g->actor, user, host);
}

/* A claim's inject (and expectation): known to the drill, held or not as it must be. */
static bool claim_check(struct game *g, const char *what, bool claim, const cJSON *data,
                        char **cause)
{
    const char *inj = runlog_str(data, "inject");
    int ii = inj != NULL ? drill_find_inject(g->d, inj) : -1;
    if (ii < 0) {
        if (cause != NULL) {
            *cause = inj != NULL ? xasprintf("%s: no inject '%s' in this drill", what, inj)
                                 : xasprintf("%s: which inject?", what);
        }
        return false;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(data, "expect");
    int expect = -1;
    if (e != NULL) {
        const struct drill_inject *in = &g->d->injects[ii];
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= (double)in->nexpects ||
            e->valuedouble != (double)(int)e->valuedouble) {
            if (cause != NULL) {
                *cause = xasprintf("%s: inject '%s' has no expectation %s", what, inj,
                                   cJSON_IsNumber(e) ? "of that number" : "named so");
            }
            return false;
        }
        expect = (int)e->valuedouble;
    }
    bool held = crew_holds(&g->dv->crew, crew_actor_user(&g->actor), inj, expect);
    if (claim == held) {
        if (cause != NULL) {
            *cause = held ? xasprintf("claim: %s is already on it", crew_actor_user(&g->actor))
                          : xasprintf("unclaim: %s has no claim on it", crew_actor_user(&g->actor));
        }
        return false;
    }
    return true;
}

bool game_record(struct game *g, const char *action, cJSON *data, char **cause)
{
    enum runlog_kind kind = runlog_kind(action);
    if (!crew_kind(kind) || kind == RL_APPROVAL_REQUEST) {
        cJSON_Delete(data);
        set_cause(cause, "not an event the console may record in a drill");
        return false;
    }
    if (data == NULL) {
        data = cJSON_CreateObject();
    }
    bool ended = g->state == GAME_ENDED || g->state == GAME_ABORTED;
    bool ok = true;
    if (ended && kind != RL_JOIN && kind != RL_LEAVE && kind != RL_ROLE) {
        set_cause(cause, "the drill has ended");
        ok = false;
    }
    ok = ok && crew_check(&g->dv->crew, kind, data, crew_actor_user(&g->actor), cause);
    if (ok && (kind == RL_CLAIM || kind == RL_UNCLAIM)) {
        ok = claim_check(g, action, kind == RL_CLAIM, data, cause);
    }
    if (!ok) {
        cJSON_Delete(data);
        return false;
    }
    char *inject = runlog_str(data, "inject") != NULL ? xstrdup(runlog_str(data, "inject")) : NULL;
    ok = game_log(g, inject, action, NULL, NULL, data);
    free(inject);
    if (!ok) {
        set_cause(cause, g->message);
    }
    game_changed(g);
    return ok;
}
