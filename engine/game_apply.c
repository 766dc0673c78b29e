/*
 * A war-room request applied to a drill (game.h game_apply): the drill's
 * side of run_apply.c. Injects are named by id (a participant's document
 * holds only the fired ones, so indexes differ); expectation marks by a
 * participant need the drill's `players-mark: true`. The caller sets who
 * asked (game_set_actor) around it.
 */
#include "game.h"
#include "gamestate.h"

#include "../common/json.h"
#include "../common/util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The inject args name ("inject": id); -1 with *cause. */
static int inject_of(const struct game *g, const cJSON *args, char **cause)
{
    const char *id = json_str(args, "inject");
    int i = id != NULL ? drill_find_inject(game_drill(g), id) : -1;
    if (i < 0 && cause != NULL) {
        *cause = id != NULL ? xasprintf("no inject '%s' in this drill", id)
                            : xstrdup("which inject? (its id)");
    }
    return i;
}

static bool drill_cmd(struct game *g, const cJSON *args, char **cause)
{
    const char *cmd = json_str(args, "cmd");
    cmd = cmd != NULL ? cmd : "";
    if (strcmp(cmd, "begin") == 0) {
        return game_begin(g, cause);
    }
    if (strcmp(cmd, "pause") == 0) {
        return game_pause(g, cause);
    }
    if (strcmp(cmd, "resume") == 0) {
        return game_resume_clock(g, cause);
    }
    if (strcmp(cmd, "end") == 0) {
        return game_end(g, cause);
    }
    if (strcmp(cmd, "fire") == 0 || strcmp(cmd, "skip") == 0 || strcmp(cmd, "contingency") == 0) {
        int i = inject_of(g, args, cause);
        return i >= 0 && (cmd[0] == 'f'   ? game_fire(g, (size_t)i, cause)
                          : cmd[0] == 's' ? game_skip(g, (size_t)i, cause)
                                          : game_fire_contingency(g, (size_t)i, cause));
    }
    if (strcmp(cmd, "choose") == 0) {
        int i = inject_of(g, args, cause);
        return i >= 0 && game_choose(g, (size_t)i, json_str(args, "option"), cause);
    }
    if (strcmp(cmd, "unskip") == 0 || strcmp(cmd, "undo") == 0 || strcmp(cmd, "extend") == 0) {
        return game_score_cmd(g, cmd, inject_of(g, args, NULL), args, cause); /* game_score.c */
    }
    if (cause != NULL) {
        *cause = xasprintf("unknown drill command '%s' (begin, pause, resume, fire, skip, "
                           "unskip, contingency, choose, undo, extend, end)",
                           cmd);
    }
    return false;
}

bool game_apply(struct game *g, enum share_op op, const cJSON *args, char **cause)
{
    switch (op) {
    case SOP_NOTE: {
        const char *text = json_str(args, "text");
        if (text == NULL || text[0] == '\0') {
            set_cause(cause, "an empty note");
            return false;
        }
        return game_note(g, text, NULL, cause);
    }
    case SOP_EXPECT: {
        if (!game_drill(g)->players_mark) {
            set_cause(cause, "this drill does not let players mark expectations (players-mark)");
            return false;
        }
        int i = inject_of(g, args, cause);
        double e = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(args, "expect"));
        if (i < 0) {
            return false;
        }
        if (!(e >= 0 && e < (double)game_drill(g)->injects[i].nexpects)) {
            set_cause(cause, "no such expectation");
            return false;
        }
        return game_mark(g, (size_t)i, (size_t)e, json_bool(args, "met", true),
                         crew_actor_user(&g->actor), cause);
    }
    case SOP_CLAIM:
    case SOP_UNCLAIM:
    case SOP_PROPOSE: {
        if (op != SOP_PROPOSE && inject_of(g, args, cause) < 0) {
            return false;
        }
        cJSON *d = cJSON_CreateObject();
        const char *keys[] = {"inject", "step", "text"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_add_str(d, keys[k], json_str(args, keys[k]));
        }
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(args, "expect");
        if (cJSON_IsNumber(e)) {
            cJSON_AddNumberToObject(d, "expect", e->valuedouble);
        }
        return game_record(g, share_op_name(op), d, cause);
    }
    case SOP_HANDOVER:
    case SOP_ACCEPT:
    case SOP_DECLINE: {
        cJSON *d = cJSON_CreateObject();
        json_add_str(d, "to", json_str(args, "to"));
        json_add_str(d, "from", json_str(args, "from"));
        return game_record(g,
                           op == SOP_HANDOVER ? "handover.offer"
                           : op == SOP_ACCEPT ? "handover.accept"
                                              : "handover.decline",
                           d, cause);
    }
    case SOP_DRILL:
        return drill_cmd(g, args, cause);
    case SOP_ABORT: {
        /* the emergency stop: whoever pulls it, it is named in the journal */
        if (g->state == GAME_ENDED || g->state == GAME_ABORTED) {
            set_cause(cause, "the drill has ended");
            return false;
        }
        char *why = xasprintf("emergency stop by %s", crew_actor_user(&g->actor));
        game_abort(g, why);
        free(why);
        return true;
    }
    default:
        break;
    }
    if (cause != NULL) {
        *cause = xasprintf("a drill has no '%s'", share_op_name(op));
    }
    return false;
}
