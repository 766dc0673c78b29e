/*
 * The game's randomness and branches (game.h, docs/drills.md "Randomness and
 * branches"): the offsets of `at: T+A..B` injects are drawn once, when the
 * run starts, and journaled (`drill.draw {inject, at_s, seed}`) before the
 * clock can reach them; a resume reads them back (drill_extra_replay from
 * game_replay), so it fires at the same drill time. A `choice` is the
 * facilitator's pick: journaled `choice {inject, option}`, then the other
 * options' injects are skipped (inject.skip) and the picked option's
 * contingency-only injects fire now; its timed ones fire on the clock
 * (game_tick holds every branch inject until its option is picked).
 */
#include "drill_extra.h"
#include "gamestate.h"

#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>

void game_branch_start(struct game *g)
{
    struct drill *d = g->d;
    unsigned long long seed = 0;
    bool seeded = false;
    for (size_t i = 0; i < d->ninjects; i++) {
        struct drill_inject *in = &d->injects[i];
        if (in->at_min_s < 0 || in->at_max_s <= in->at_min_s) {
            continue;
        }
        if (!seeded) {
            seed = drill_extra_seed(d);
            seeded = true;
        }
        int at = drill_extra_draw(in, seed);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "inject", in->id);
        cJSON_AddNumberToObject(o, "at_s", at);
        cJSON_AddNumberToObject(o, "min_s", in->at_min_s);
        cJSON_AddNumberToObject(o, "max_s", in->at_max_s);
        char s[32];
        snprintf(s, sizeof s, "%llu", seed); /* a string: a JSON number loses 64-bit seeds */
        cJSON_AddStringToObject(o, "seed", s);
        if (game_log(g, in->id, "drill.draw", NULL, NULL, o)) {
            in->at_s = at;
        }
    }
}

bool game_choose(struct game *g, size_t inject, const char *option, char **cause)
{
    if (!game_in_play(g, inject, cause)) {
        return false;
    }
    struct drill_inject *in = &g->d->injects[inject];
    if (in->nchoices == 0) {
        set_cause(cause, "this inject has no choice");
        return false;
    }
    if (in->chosen >= 0) {
        *cause = xasprintf("chosen already: %s", in->choices[in->chosen].option);
        return false;
    }
    if (g->dv->inj[inject].state != INJECT_FIRED) {
        set_cause(cause, "the inject has not fired: its choice comes after it");
        return false;
    }
    int c = drill_extra_option(in, option);
    if (c < 0) {
        struct strbuf sb = {0};
        for (size_t k = 0; k < in->nchoices; k++) {
            strbuf_printf(&sb, "%s%s", k > 0 ? ", " : "", in->choices[k].option);
        }
        *cause = xasprintf("no option '%s' (%s)", option != NULL ? option : "", sb.s);
        free(sb.s);
        return false;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "inject", in->id);
    cJSON_AddStringToObject(o, "option", in->choices[c].option);
    if (!game_log(g, in->id, "choice", NULL, in->choices[c].option, o)) {
        set_cause(cause, g->message);
        return false;
    }
    in->chosen = c;
    for (size_t k = 0; k < in->nchoices; k++) {
        const struct drill_choice *ch = &in->choices[k];
        for (size_t t = 0; t < ch->ninjects; t++) {
            int j = drill_find_inject(g->d, ch->injects[t]);
            if (j < 0 || g->dv->inj[j].state != INJECT_PENDING) {
                continue;
            }
            if ((int)k != c) {
                game_skip(g, (size_t)j, NULL);
            } else if (g->d->injects[j].at_s < 0) {
                game_fire(g, (size_t)j, NULL);
            }
        }
    }
    game_changed(g);
    return true;
}
