/*
 * Every check of a drill as a person reads it (drillview.h
 * drillview_check_status / drillview_check_text), one helper for the drill
 * pane (panes/drill_checks.c) and line mode's `checks` (tui/drillplain.c):
 * when it runs, its state, and for the checks that run on the interval while
 * the clock runs (during, stop) the tolerance left while failing, which is
 * the countdown to the automatic abort. Built from the view alone, so a
 * follower's screen says the same as the facilitator's.
 */
#include "drillview.h"
#include "gamestate.h"

#include "../common/util.h"

#include <stdio.h>

static const char *const when_names[] = {"before", "during", "after", "stop"};

/* The game keeps its own state and clock (its view holds the checks): both ask here. */
static void status_at(const struct drillview *v, size_t i, enum game_state st, uint64_t now,
                      struct check_status *out)
{
    const struct drill_check *c = &v->d->checks[i];
    const struct dv_check *r = &v->chk[i];
    bool stop = c->when == DRILL_STOP;
    *out = (struct check_status){.when = when_names[c->when <= DRILL_STOP ? c->when : 0],
                                 .result = r->result,
                                 .abort_in_ms = -1};
    out->state = r->result == CHECK_NOT_RUN   ? "-"
                 : r->result == CHECK_OK      ? (stop ? "quiet" : "ok")
                 : r->result == CHECK_UNKNOWN ? "UNKNOWN"
                                              : (stop ? "STOP" : "FAILED");
    bool periodic = c->when == DRILL_DURING || stop;
    if (periodic && r->failing && (st == GAME_RUNNING || st == GAME_PAUSED)) {
        uint64_t due = r->fail_since + (uint64_t)c->tolerance_s * 1000;
        out->abort_in_ms = due > now ? (int64_t)(due - now) : 0;
        out->paused = st == GAME_PAUSED;
    }
}

void drillview_check_status(const struct drillview *v, size_t i, struct check_status *out)
{
    status_at(v, i, v->state, drillview_clock_ms(v), out);
}

void game_check_status(const struct game *g, size_t i, struct check_status *out)
{
    status_at(g->dv, i, g->state, game_clock_ms(g), out);
}

static char *text_of(const struct drillview *v, size_t i, const struct check_status *st)
{
    const struct drill_check *c = &v->d->checks[i];
    struct check_status s = *st;
    char left[64] = "";
    if (s.abort_in_ms > 0) {
        uint64_t sec = ((uint64_t)s.abort_in_ms + 999) / 1000;
        snprintf(left, sizeof left, "abort in %llu:%02llu%s ", (unsigned long long)(sec / 60),
                 (unsigned long long)(sec % 60), s.paused ? " (paused)" : "");
    } else if (s.abort_in_ms == 0) {
        snprintf(left, sizeof left, "abort now ");
    } else if ((c->when == DRILL_DURING || c->when == DRILL_STOP) && c->tolerance_s > 0) {
        snprintf(left, sizeof left, "tol %ds ", c->tolerance_s);
    }
    const char *why = v->chk[i].why;
    bool tell =
        (s.result == CHECK_FAILED || s.result == CHECK_UNKNOWN) && why != NULL && why[0] != '\0';
    return xasprintf("%-6s %-6s %s%s%s%s", s.when, s.state, left, c->title ? c->title : c->id,
                     tell ? ": " : "", tell ? why : "");
}

char *drillview_check_text(const struct drillview *v, size_t i)
{
    struct check_status s;
    drillview_check_status(v, i, &s);
    return text_of(v, i, &s);
}

char *game_check_text(const struct game *g, size_t i)
{
    struct check_status s;
    game_check_status(g, i, &s);
    return text_of(g->dv, i, &s);
}
