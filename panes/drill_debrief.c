/*
 * The drill pane's score keys (dpane.h; docs/drills.md "Scores" and
 * "Debrief and report"): skip and contingency ask first, `u` undoes the last
 * skip or mark, `+` extends the drill, a mark asks when the team responded
 * (Enter: now), and `D` the debrief form: each prompt (the Debrief questions,
 * then the Report headings' items) asked in turn in the status line, each
 * answer journaled as a debrief event; at the end of the form the questions
 * and answers are shown, the unanswered ones listed. Drawing and the rest of
 * the keys are drill.c.
 */
#include "dpane.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../engine/game.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct dpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

static const struct drill_inject *selected(const struct dpane *p)
{
    const struct drill *d = drillview_drill(p->view);
    return p->sel < d->ninjects ? &d->injects[p->sel] : NULL;
}

static bool command(struct dpane *p, const char *cmd, bool inject)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "cmd", cmd);
    const struct drill_inject *in = selected(p);
    if (inject && in != NULL) {
        cJSON_AddStringToObject(a, "inject", in->id);
    }
    p->dirty = true;
    return dpane_do(p, SOP_DRILL, a);
}

/* ---- skip, contingency, undo, extend ---- */

static void on_skip(void *self, bool yes)
{
    struct dpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the inject was not skipped");
    } else if (command(p, "skip", true) && !p->following) {
        say(p, false, "inject skipped (u undoes it while it has not fired)");
    }
}

static void on_contingency(void *self, bool yes)
{
    struct dpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the contingency did not fire");
    } else {
        command(p, "contingency", true);
    }
}

void dpane_ask_skip(struct dpane *p, bool contingency)
{
    const struct drill_inject *in = selected(p);
    if (in == NULL) {
        return;
    }
    char *body;
    if (contingency) {
        if (in->contingency == NULL) {
            say(p, true, "this inject has no contingency");
            return;
        }
        int c = drill_find_inject(drillview_drill(p->view), in->contingency);
        const char *t = c >= 0 ? drillview_drill(p->view)->injects[c].title : in->contingency;
        body = xasprintf("Fire \"%s\", the contingency of inject %zu, now? Once it has fired "
                         "it cannot be taken back.",
                         t, p->sel + 1);
    } else {
        body = xasprintf("Skip inject %zu \"%s\"? It will not fire; u undoes the skip while it "
                         "has not fired.",
                         p->sel + 1, in->title);
    }
    p->host.ops->confirm(p->host.host, contingency ? "Fire the contingency" : "Skip inject", body,
                         contingency ? "Fire" : "Skip", NULL,
                         contingency ? on_contingency : on_skip);
    free(body);
}

static void on_extend(void *self, const char *answer)
{
    struct dpane *p = self;
    int64_t secs = 0;
    const char *a = answer[0] == '+' ? answer + 1 : answer;
    if (!duration_parse(a, &secs) || secs <= 0 || secs > 24 * 3600) {
        say(p, true, "extend by a duration: 5m, 90s");
        return;
    }
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "cmd", "extend");
    cJSON_AddNumberToObject(args, "by_s", (double)secs);
    p->dirty = true;
    dpane_do(p, SOP_DRILL, args);
}

void dpane_warn_end(struct dpane *p)
{
    const char *m = drillview_message(p->view);
    if (m != NULL && strstr(m, " left: the drill ends at ") != NULL &&
        strcmp(m, p->end_said) != 0) {
        snprintf(p->end_said, sizeof p->end_said, "%s", m);
        say(p, true, m);
    }
}

/* ---- a mark's time ---- */

static void on_when(void *self, const char *answer)
{
    struct dpane *p = self;
    char *when = xstrdup(answer);
    str_trim(when);
    uint64_t at = GAME_AT_NOW;
    int secs = 0;
    char *cause = NULL;
    if (when[0] != '\0' && !drill_parse_offset(when, &secs)) {
        cause = xstrdup("the time is T+MM:SS (T+04:10) or empty for now");
    } else if (when[0] != '\0') {
        at = (uint64_t)secs * 1000;
    }
    free(when);
    p->dirty = true;
    if (cause == NULL && game_mark_at(p->g, p->sel, p->esel, p->mark_met, p->scribe, at, &cause)) {
        enum expect_state st = drillview_expect_state(p->view, p->sel, p->esel);
        char *m = xasprintf("expectation %zu.%zu marked %s by %s", p->sel + 1, p->esel + 1,
                            st == EXPECT_LATE ? "late"
                            : p->mark_met     ? "met"
                                              : "missed",
                            p->scribe);
        say(p, false, m);
        free(m);
        return;
    }
    pane_check(&p->host, false, &cause);
}

void dpane_ask_when(struct dpane *p)
{
    if (!p->mark_met) {
        on_when(p, "");
        return;
    }
    char label[120];
    snprintf(label, sizeof label, "Expectation %zu.%zu done at (T+MM:SS, Enter: now): ", p->sel + 1,
             p->esel + 1);
    p->host.ops->prompt(p->host.host, label, "", false, on_when);
}

/* ---- the debrief form ---- */

static void show_debrief(struct dpane *p)
{
    const struct drill *d = drillview_drill(p->view);
    struct strbuf sb = {0};
    size_t open = 0;
    strbuf_str(&sb, "Debrief\n\n");
    for (size_t i = 0; i < drill_prompt_count(d); i++) {
        bool done = game_debrief_answered(p->g, i);
        open += !done;
        strbuf_printf(&sb, "%zu. %s: %s\n", i + 1, drill_prompt(d, i),
                      done ? "answered" : "(unanswered)");
    }
    strbuf_printf(&sb, "\n%zu of %zu answered.", drill_prompt_count(d) - open,
                  drill_prompt_count(d));
    if (open > 0) {
        strbuf_str(&sb, " Unanswered:");
        for (size_t i = 0; i < drill_prompt_count(d); i++) {
            if (!game_debrief_answered(p->g, i)) {
                strbuf_printf(&sb, "\n- %s", drill_prompt(d, i));
            }
        }
    }
    strbuf_str(&sb, "\n");
    if (p->host.ops->view != NULL) {
        p->host.ops->view(p->host.host, "Debrief", sb.s);
    }
    free(sb.s);
}

static void ask_next(struct dpane *p);

static void on_answer(void *self, const char *answer)
{
    struct dpane *p = self;
    char *cause = NULL;
    if (answer[0] != '\0' && !game_debrief(p->g, p->debrief_q, answer, &cause)) {
        pane_check(&p->host, false, &cause);
        return;
    }
    p->debrief_q++;
    ask_next(p);
}

/* The next prompt without an answer, or the form's end. */
static void ask_next(struct dpane *p)
{
    const struct drill *d = drillview_drill(p->view);
    while (p->debrief_q < drill_prompt_count(d) && game_debrief_answered(p->g, p->debrief_q)) {
        p->debrief_q++;
    }
    if (p->debrief_q >= drill_prompt_count(d)) {
        show_debrief(p);
        return;
    }
    char *label = xasprintf("Debrief %zu/%zu: %s (Enter: skip): ", p->debrief_q + 1,
                            drill_prompt_count(d), drill_prompt(d, p->debrief_q));
    p->host.ops->prompt(p->host.host, label, "", false, on_answer);
    free(label);
}

void dpane_score_key(struct dpane *p, const char *verb)
{
    if (p->following && strcmp(verb, "drill-undo") != 0 && strcmp(verb, "drill-extend") != 0) {
        say(p, true, "the debrief form is the facilitator's");
        return;
    }
    if (strcmp(verb, "drill-undo") == 0) {
        command(p, "undo", false);
    } else if (strcmp(verb, "drill-extend") == 0) {
        p->host.ops->prompt(p->host.host, "Extend the drill by: ", "5m", false, on_extend);
    } else if (drill_prompt_count(drillview_drill(p->view)) == 0) {
        say(p, true, "this drill has no debrief questions (## Debrief, ## Report)");
    } else {
        p->debrief_q = 0;
        ask_next(p);
    }
}
