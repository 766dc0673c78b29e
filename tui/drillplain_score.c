/*
 * The score's commands in drill line mode (drillplain.h, docs/drills.md
 * "Line mode"): `met N.M [at T+MM:SS] [BY]` records when the team responded,
 * `unskip N` and `undo` take a skip or a mark back, `+5m` extends the drill.
 */
#include "drillplain.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../engine/game.h"

#include <stdlib.h>
#include <string.h>

bool drillplain_met(struct game *g, const char *args, char **cause)
{
    size_t a = 0, b = 0;
    const char *rest = NULL;
    if (!drillplain_ref(args, &a, &b, true, &rest)) {
        *cause = xstrdup("met N.M [at T+MM:SS] [BY]");
        return false;
    }
    uint64_t at = GAME_AT_NOW;
    if (strncmp(rest, "at ", 3) == 0) {
        const char *t = rest + 3;
        size_t n = strcspn(t, " ");
        char *when = xstrndup(t, n);
        int secs = 0;
        bool ok = drill_parse_offset(when, &secs);
        free(when);
        if (!ok) {
            *cause = xstrdup("met N.M at T+MM:SS [BY]: the time is T+MM:SS (T+04:10) or 250s");
            return false;
        }
        at = (uint64_t)secs * 1000;
        rest = t + n;
        while (*rest == ' ') {
            rest++;
        }
    }
    return game_mark_at(g, a, b, true, rest, at, cause);
}

bool drillplain_score_cmd(struct game *g, const char *line, bool *ok, char **said, char **cause)
{
    size_t a = 0;
    const char *rest = NULL;
    if (strncmp(line, "unskip", 6) == 0 && (line[6] == ' ' || line[6] == '\0')) {
        *ok = drillplain_ref(line + 6 + (line[6] == ' '), &a, NULL, false, &rest) && *rest == '\0'
                  ? game_unskip(g, a, cause)
                  : (*cause = xstrdup("unskip N"), false);
        if (*ok) {
            *said = xasprintf("inject %zu unskipped", a + 1);
        }
        return true;
    }
    if (strcmp(line, "undo") == 0) {
        *ok = game_undo(g, said, cause);
        return true;
    }
    if (line[0] == '+' && line[1] != '\0') {
        int64_t secs = 0;
        *ok = duration_parse(line + 1, &secs) && secs > 0 && secs <= 24 * 3600
                  ? game_extend(g, (int)secs, cause)
                  : (*cause = xstrdup("+DURATION extends the drill: +5m, +90s"), false);
        return true;
    }
    return false;
}
