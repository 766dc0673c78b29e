/*
 * The drill pane. Top to bottom, inside its box:
 *   the clock line     kind, T+mm:ss / duration, score
 *   the message        what blocks, why it aborted (the game's message)
 *   a banner           after the end: every chaos action NOT restored
 *   the checks         before / during / after / stop (drill_checks.c)
 *   the injects        offset, title, roles, channel, state; the next due
 *                      one highlighted with its countdown
 *   the selected one   its text, expectations (state, time left, points)
 *                      and chaos actions (active / rolled back / NOT RESTORED)
 *   a key hint         for the state
 * Everything shown is read each frame from the pane's view of the game
 * (engine/drillview.h), built from the game's event stream: a console
 * following the drill draws the same. The facilitator's commands go to the
 * game. The pane keeps only the selection, the scribe's name and which fired
 * injects it has announced in the status line. It redraws when the game's
 * changed hook fired, a key moved something, or (while the clock matters)
 * the second changed. Until the facilitator picks an inject by hand, the selection
 * follows the newest fired inject, so what was just said is on screen.
 */
#include "dpane.h"

#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/crew.h"
#include "../engine/drillview.h"
#include "../engine/report.h"
#include "../engine/run.h"
#include "../tui/theme.h"
#include "../tui/widgets.h"
#include "frame.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text ---- */

/* A follower who is not the driver: no points, no score (they never reach it anyway). */
static bool keyless(const struct dpane *p)
{
    return p->following && p->fol.role != SHARE_DRIVER;
}

static void clock_text(char *buf, size_t len, uint64_t ms)
{
    snprintf(buf, len, "T+%02llu:%02llu", (unsigned long long)(ms / 60000),
             (unsigned long long)(ms / 1000 % 60));
}

static void mmss(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = (ms + 999) / 1000; /* a countdown shows 0:00 only when it is due */
    snprintf(buf, len, "%llu:%02llu", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
}

static const char *state_name(enum game_state s)
{
    static const char *const names[] = {"checking", "ready",        "blocked", "running",
                                        "paused",   "rolling back", "ended",   "aborted"};
    return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static const char *chaos_name(enum chaos_state s)
{
    static const char *const names[] = {"not run", "asked for",   "active",
                                        "FAILED",  "rolled back", "NOT RESTORED"};
    return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void act_text(char *buf, size_t len, const struct drill_act *a)
{
    snprintf(buf, len, "%s %s %s%s%s", a->pane, a->verb, a->target, a->input ? " " : "",
             a->input ? a->input : "");
}

static void join_roles(char *buf, size_t len, const struct drill_inject *in)
{
    buf[0] = '\0';
    for (size_t k = 0; k < in->nto; k++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", k > 0 ? "," : "", in->to[k]);
    }
    if (in->nto == 0) {
        snprintf(buf, len, "everyone");
    }
}

/* The first pending inject on the clock: the next one due. */
static size_t next_due(const struct drillview *v)
{
    const struct drill *d = drillview_drill(v);
    for (size_t i = 0; i < d->ninjects; i++) {
        if (d->injects[i].at_s >= 0 && drillview_inject_state(v, i) == INJECT_PENDING) {
            return i;
        }
    }
    return (size_t)-1;
}

static bool over(const struct drillview *v)
{
    enum game_state st = drillview_state(v);
    return st == GAME_ENDED || st == GAME_ABORTED;
}

/* ---- drawing ---- */

/* Word-wrapped into at most max rows: single breaks flow (Markdown), a blank line or a list item
 * breaks. */
static void put_flowed(struct frame *f, const char *text, unsigned attr, int max)
{
    char *flowed = frame_reflow(text, "-*");
    frame_put_wrapped(f, flowed, attr, max, true);
    free(flowed);
}

static void draw_banner(struct dpane *p, struct frame *f)
{
    const struct drillview *v = p->view;
    const struct drill *d = drillview_drill(v);
    if (!over(v)) {
        return;
    }
    for (size_t i = 0; i < d->ninjects; i++) {
        for (size_t c = 0; c < d->injects[i].nchaos; c++) {
            if (drillview_chaos_state(v, i, c) != CHAOS_UNRESTORED) {
                continue;
            }
            char act[300], line[700];
            act_text(act, sizeof act, &d->injects[i].chaos[c].action);
            const char *m = drillview_chaos_message(v, i, c);
            snprintf(line, sizeof line, "NOT RESTORED: %s%s%s", act, m ? ": " : "", m ? m : "");
            put_flowed(f, line, theme_attr(THEME_CRIT) | A_BOLD, 2);
        }
    }
}

/* The rows of the inject list around the selection. */
/* "  · bob is on it" after line, when somebody claims the inject (expect -1) or expectation. */
static void claimed(const struct dpane *p, char *line, size_t len, const char *inject, int expect)
{
    char *claim = crew_claim_text(drillview_crew(p->view), inject, expect);
    if (claim != NULL) {
        size_t used = strlen(line);
        snprintf(line + used, len - used, "  %s %s", p->utf8 ? "·" : "-", claim);
        free(claim);
    }
}

/* The war room (engine/crew.h): who is on the drill, the latest proposal, a handover offered. */
static void draw_people(struct dpane *p, struct frame *f)
{
    const struct crew *c = drillview_crew(p->view);
    char *line = crew_presence_line(c, p->utf8 ? " · " : ", ");
    if (line != NULL) {
        put_flowed(f, line, theme_attr(THEME_INFO), 2);
        free(line);
    }
    line = crew_proposal_text(c);
    if (line != NULL) {
        put_flowed(f, line, theme_attr(THEME_INFO), 2);
        free(line);
    }
    line = crew_offer_text(c);
    if (line != NULL) {
        put_flowed(f, line, theme_attr(THEME_WARN), 2);
        free(line);
    }
}

static void draw_injects(struct dpane *p, struct frame *f, int rows)
{
    const struct drillview *v = p->view;
    const struct drill *d = drillview_drill(v);
    size_t due = next_due(v);
    uint64_t now = drillview_clock_ms(v);
    size_t first = 0;
    if (rows > 0 && p->sel >= (size_t)rows) {
        first = p->sel - (size_t)rows + 1;
    }
    for (size_t i = first; i < d->ninjects && rows > 0; i++, rows--) {
        const struct drill_inject *in = &d->injects[i];
        char at[24], roles[200], state[64], line[700];
        if (in->at_s >= 0) {
            clock_text(at, sizeof at, (uint64_t)in->at_s * 1000);
        } else {
            snprintf(at, sizeof at, "conting.");
        }
        join_roles(roles, sizeof roles, in);
        enum inject_state is = drillview_inject_state(v, i);
        unsigned attr = theme_attr(THEME_NORMAL);
        if (is == INJECT_FIRED) {
            char t[24];
            clock_text(t, sizeof t, drillview_inject_fired_ms(v, i));
            snprintf(state, sizeof state, "fired %s", t);
            attr = theme_attr(THEME_OK);
        } else if (is == INJECT_SKIPPED) {
            snprintf(state, sizeof state, "skipped");
            attr = theme_attr(THEME_MUTED);
        } else if (i == due && !over(v)) {
            char left[24];
            uint64_t at_ms = (uint64_t)in->at_s * 1000;
            mmss(left, sizeof left, at_ms > now ? at_ms - now : 0);
            snprintf(state, sizeof state, "NEXT in %s", left);
            attr = theme_attr(THEME_WARN) | A_BOLD;
        } else {
            snprintf(state, sizeof state, "pending");
        }
        snprintf(line, sizeof line, "%s%-8s %s -> %s [%s] %s", i == p->sel ? "> " : "  ", at,
                 in->title, roles, in->channel ? in->channel : "announce", state);
        claimed(p, line, sizeof line, in->id, -1);
        if (i == p->sel) {
            attr = theme_attr(THEME_SELECTED) | A_BOLD;
        }
        frame_put(f, line, attr);
    }
}

static void draw_expect(struct dpane *p, struct frame *f, size_t i, size_t e)
{
    const struct drillview *v = p->view;
    const struct drill_inject *in = &drillview_drill(v)->injects[i];
    const struct drill_expect *x = &in->expects[e];
    enum expect_state es = drillview_expect_state(v, i, e);
    char state[64], line[700];
    unsigned attr = theme_attr(THEME_NORMAL);
    if (es == EXPECT_MET) {
        snprintf(state, sizeof state, "met");
        attr = theme_attr(THEME_OK);
    } else if (es == EXPECT_LATE) {
        snprintf(state, sizeof state, "late");
        attr = theme_attr(THEME_WARN);
    } else if (es == EXPECT_MISSED) {
        snprintf(state, sizeof state, "missed");
        attr = theme_attr(THEME_ERROR);
    } else if (drillview_inject_state(v, i) == INJECT_FIRED && !over(v)) {
        uint64_t due = drillview_inject_fired_ms(v, i) + (uint64_t)x->deadline_s * 1000;
        uint64_t now = drillview_clock_ms(v);
        char left[24];
        mmss(left, sizeof left, due > now ? due - now : 0);
        snprintf(state, sizeof state, "pending, %s left", left);
    } else {
        snprintf(state, sizeof state, "pending");
        attr = theme_attr(THEME_MUTED);
    }
    char pts[16] = "";
    if (!keyless(p)) {
        snprintf(pts, sizeof pts, "%dp ", x->points);
    }
    snprintf(line, sizeof line, "%s%zu. [%s] %s%s", e == p->esel ? ">" : " ", e + 1, state, pts,
             x->text != NULL ? x->text : "");
    claimed(p, line, sizeof line, in->id, (int)e);
    frame_put(f, line, e == p->esel ? attr | A_BOLD : attr);
}

static void draw_selected(struct dpane *p, struct frame *f)
{
    const struct drillview *v = p->view;
    const struct drill *d = drillview_drill(v);
    if (p->sel >= d->ninjects) {
        return;
    }
    size_t i = p->sel;
    const struct drill_inject *in = &d->injects[i];
    char line[700];
    snprintf(line, sizeof line, "%zu. %s", i + 1, in->title);
    frame_put(f, line, theme_attr(THEME_TITLE) | A_BOLD);
    int room = f->bottom - f->y - (int)in->nexpects - (int)in->nchaos - 1;
    dpane_inject_text(p, f, in, room); /* text, attachments, hidden, choice */
    for (size_t e = 0; e < in->nexpects; e++) {
        draw_expect(p, f, i, e);
    }
    for (size_t c = 0; c < in->nchaos; c++) {
        char act[300];
        enum chaos_state cs = drillview_chaos_state(v, i, c);
        const char *m = drillview_chaos_message(v, i, c);
        act_text(act, sizeof act, &in->chaos[c].action);
        snprintf(line, sizeof line, "chaos %s: %s%s%s", act, chaos_name(cs),
                 cs == CHAOS_UNRESTORED && m ? ": " : "", cs == CHAOS_UNRESTORED && m ? m : "");
        unsigned attr = cs == CHAOS_UNRESTORED || cs == CHAOS_FAILED
                            ? theme_attr(THEME_CRIT) | A_BOLD
                        : cs == CHAOS_ROLLED_BACK ? theme_attr(THEME_OK)
                        : cs == CHAOS_NONE        ? theme_attr(THEME_MUTED)
                                                  : theme_attr(THEME_WARN);
        frame_put(f, line, attr);
    }
    if (in->contingency != NULL) {
        snprintf(line, sizeof line, "contingency: %s", in->contingency);
        frame_put(f, line, theme_attr(THEME_MUTED));
    }
}

static const char *hint_for(const struct drillview *v)
{
    switch (drillview_state(v)) {
    case GAME_CHECKING:
        return "before checks running; A abort";
    case GAME_READY:
        return "Enter/S start  j/k inject  A abort  ? help";
    case GAME_BLOCKED:
        return "blocked by a before check: A abort, :close";
    case GAME_RUNNING:
        return "p pause j/k f fire s skip c conting. 1-9 m/M mark n note E end A abort";
    case GAME_PAUSED:
        return "p resume j/k f fire s skip 1-9 m/M mark n note E end A abort";
    case GAME_ROLLING_BACK:
        return drillview_closing(v) ? "closing: rolling back every chaos action first..."
                                    : "rolling back every chaos action...";
    case GAME_ENDED:
    case GAME_ABORTED:
        return "r report  :close closes the pane";
    }
    return "";
}

static void dp_draw(void *self, WINDOW *win, const struct pane_view *view)
{
    struct dpane *p = self;
    if (p->view == NULL) { /* a follower before the owner's first word */
        follow_draw_joining(&p->fol, win, view->focused, p->utf8, "drill");
        p->dirty = false;
        return;
    }
    bool focused = view->focused;
    const struct glyphs *gl = screen_glyphs(p->utf8);
    const struct drillview *v = p->view;
    const struct drill *d = drillview_drill(v);
    int h = getmaxy(win), w = getmaxx(win);
    werase(win);
    screen_box(win, gl, theme_attr(focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    char title[400];
    snprintf(title, sizeof title, " %d %s %s ", view->number, d->label ? d->label : "[DRILL]",
             d->title ? d->title : d->path);
    int x = 2 + screen_put(win, 0, 2, w - 4, title,
                           theme_attr(focused ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, gl);
    enum game_state st = drillview_state(v);
    char right[64];
    snprintf(right, sizeof right, " %s ", state_name(st));
    int rw = utf8_width(right);
    if (w - 2 - x > rw) {
        unsigned sa = st == GAME_BLOCKED || st == GAME_ABORTED ? THEME_ERROR
                      : st == GAME_RUNNING                     ? THEME_OK
                      : st == GAME_ENDED                       ? THEME_OK
                                                               : THEME_WARN;
        screen_put(win, 0, w - 2 - rw, rw, right, theme_attr(sa) | A_BOLD, gl);
    }
    struct frame f = {.win = win, .y = 1, .bottom = h - 2, .x = 2, .w = w - 4, .gl = gl};
    if (f.bottom > f.y && f.w >= 8) {
        char clk[24], dur[24], line[300];
        int max = 0, score = drillview_score(v, &max);
        clock_text(clk, sizeof clk, drillview_clock_ms(v));
        mmss(dur, sizeof dur, (uint64_t)d->duration_s * 1000);
        snprintf(line, sizeof line, "%s  %s / %s  %s", d->kind == DRILL_LIVE ? "live" : "tabletop",
                 clk, dur, state_name(st));
        if (!keyless(p)) { /* the scoring key is the facilitator's */
            size_t used = strlen(line);
            snprintf(line + used, sizeof line - used, "  score %d/%d", score, max);
        }
        frame_put(&f, line, theme_attr(THEME_HEADER) | A_BOLD);
        const char *msg = drillview_message(v);
        if (msg != NULL && *msg != '\0') {
            unsigned ma = st == GAME_BLOCKED || st == GAME_ABORTED
                              ? theme_attr(THEME_ERROR) | A_BOLD
                              : theme_attr(THEME_INFO);
            put_flowed(&f, msg, ma, 2);
        }
        draw_banner(p, &f);
        draw_people(p, &f);
        int avail = f.bottom - f.y;
        int crows = (int)d->nchecks;
        if (crows > avail / 4) {
            crows = avail / 4 > 1 ? avail / 4 : 1;
        }
        dpane_draw_checks(p, &f, crows);
        avail = f.bottom - f.y;
        int irows = (int)d->ninjects;
        if (irows > avail / 2) {
            irows = avail / 2 > 2 ? avail / 2 : 2;
        }
        draw_injects(p, &f, irows);
        frame_rule(&f, theme_attr(THEME_BORDER));
        draw_selected(p, &f);
    }
    char foot[300], room[120], guard[40] = "";
    dpane_share_foot(p, room, sizeof room);
    if (drillview_guard_pid(v) > 0) {
        snprintf(guard, sizeof guard, "  guard pid %d", drillview_guard_pid(v));
    }
    snprintf(foot, sizeof foot, " drill %s%s%s ", drillview_id(v), guard, room);
    screen_put(win, h - 1, 2, w - 4, foot, theme_attr(THEME_BORDER), gl);
    screen_fill(win, h - 2, 2, w - 4, theme_attr(THEME_NORMAL));
    screen_put(win, h - 2, 2, w - 4, hint_for(v), theme_attr(THEME_KEY), gl);
    wnoutrefresh(win);
    p->dirty = false;
}

/* ---- keys ---- */

static void say(struct dpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

static bool check(struct dpane *p, bool ok, char **cause)
{
    p->dirty = true;
    return pane_check(&p->host, ok, cause);
}

static const struct drill_inject *selected(const struct dpane *p)
{
    const struct drill *d = drillview_drill(p->view);
    return p->sel < d->ninjects ? &d->injects[p->sel] : NULL;
}

static void select_inject(struct dpane *p, size_t i)
{
    if (i != p->sel) {
        p->esel = 0;
    }
    p->sel = i;
    p->dirty = true;
}

/* A drill command for the facilitator's game, or a request to the owner's (cmd on the selection).
 */
static bool command(struct dpane *p, const char *cmd, bool inject)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "cmd", cmd);
    const struct drill *d = drillview_drill(p->view);
    if (inject && p->sel < d->ninjects) {
        cJSON_AddStringToObject(a, "inject", d->injects[p->sel].id);
    }
    return dpane_do(p, SOP_DRILL, a);
}

static void on_fire(void *self, bool yes)
{
    struct dpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the inject did not fire");
        return;
    }
    command(p, "fire", true);
    dpane_chaos_confirmed(p, p->sel);
}

static void ask_fire(struct dpane *p)
{
    const struct drill_inject *in = selected(p);
    if (in == NULL) {
        return;
    }
    struct strbuf sb = {0};
    strbuf_printf(&sb, "Fire inject %zu \"%s\" now?", p->sel + 1, in->title);
    if (in->at_s >= 0) {
        char at[24];
        clock_text(at, sizeof at, (uint64_t)in->at_s * 1000);
        strbuf_printf(&sb, " (due at %s)", at);
    }
    if (in->nchaos > 0 && drillview_drill(p->view)->kind == DRILL_LIVE) {
        strbuf_str(&sb, "\n\nIts chaos actions run on live systems:");
        for (size_t c = 0; c < in->nchaos; c++) {
            char a[300], r[300];
            act_text(a, sizeof a, &in->chaos[c].action);
            act_text(r, sizeof r, &in->chaos[c].rollback);
            strbuf_printf(&sb, "\n  %s (rollback: %s)", a, r);
        }
    }
    p->host.ops->confirm(p->host.host, "Fire inject", sb.s, "Fire", NULL, on_fire);
    free(sb.s);
}

static void on_scribe(void *self, const char *answer)
{
    struct dpane *p = self;
    char *by = xstrdup(answer);
    str_trim(by);
    if (*by == '\0') {
        free(by);
        by = xstrdup(p->scribe);
    }
    free(p->scribe);
    p->scribe = by;
    dpane_ask_when(p); /* drill_debrief.c: when was it done, then the mark */
}

static void ask_mark(struct dpane *p, bool met)
{
    const struct drill_inject *in = selected(p);
    if (in == NULL || p->esel >= in->nexpects) {
        say(p, true, "this inject has no expectation to mark");
        return;
    }
    p->mark_met = met;
    char label[120];
    snprintf(label, sizeof label, "Expectation %zu.%zu %s, marked by: ", p->sel + 1, p->esel + 1,
             met ? "met" : "missed");
    p->host.ops->prompt(p->host.host, label, p->scribe, false, on_scribe);
}

static void on_note(void *self, const char *answer)
{
    struct dpane *p = self;
    if (answer[0] == '\0') {
        return;
    }
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "text", answer);
    if (dpane_do(p, SOP_NOTE, a) && !p->following &&
        drillview_state(p->view) != GAME_ROLLING_BACK && !over(p->view)) {
        say(p, false, "note added to the drill's journal");
    }
}

static void on_end(void *self, bool yes)
{
    struct dpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the drill goes on");
        return;
    }
    command(p, "end", false);
}

/* The after-action report, written next to the journal (RUN-ID.md) and shown. */
static void write_report(struct dpane *p)
{
    if (!over(p->view)) {
        say(p, true, "the report comes after the end (E ends, A aborts)");
        return;
    }
    char *cause = NULL;
    const char *id = drillview_id(p->view);
    char *md = report_markdown(p->runs_dir, id, &cause);
    if (md == NULL) {
        check(p, false, &cause);
        return;
    }
    char *path = NULL;
    bool ok = report_write(p->runs_dir, id, md, &path, &cause);
    char *m = ok ? xasprintf("report written to %s", path) : cause;
    say(p, !ok, m);
    free(m);
    char *title = xasprintf("Report %s", id);
    if (p->host.ops->view != NULL) {
        p->host.ops->view(p->host.host, title, md);
    }
    free(title);
    free(path);
    free(md);
}

static bool key_move(struct dpane *p, int delta)
{
    const struct drill *d = drillview_drill(p->view);
    if (d->ninjects == 0) {
        return true;
    }
    p->follow = false;
    if (delta < 0 && p->sel > 0) {
        select_inject(p, p->sel - 1);
    } else if (delta > 0 && p->sel + 1 < d->ninjects) {
        select_inject(p, p->sel + 1);
    }
    return true;
}

static void start(struct dpane *p)
{
    if (command(p, "begin", false) && !p->following) {
        say(p, false, "the drill clock runs");
    }
}

/* A participant marks an expectation of the selected inject (the drill allows it). */
static void mark_as_me(struct dpane *p, bool met)
{
    const struct drill_inject *in = selected(p);
    if (in == NULL || p->esel >= in->nexpects) {
        say(p, true, "this inject has no expectation to mark");
        return;
    }
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "inject", in->id);
    cJSON_AddNumberToObject(a, "expect", (double)p->esel);
    cJSON_AddBoolToObject(a, "met", met);
    dpane_do(p, SOP_EXPECT, a);
}

/* o: "I am on it" for the selected expectation (or the inject); again: not any more. */
static void claim(struct dpane *p)
{
    const struct drill_inject *in = selected(p);
    if (in == NULL) {
        say(p, true, "no inject selected");
        return;
    }
    int e = p->esel < in->nexpects ? (int)p->esel : -1;
    const char *me = p->following ? p->fol.you : whoami_user();
    const struct crew *c = drillview_crew(p->view);
    bool mine = false;
    for (size_t i = 0; c != NULL && i < c->nclaims; i++) {
        mine = mine || (strcmp(c->claims[i].on, in->id) == 0 && c->claims[i].expect == e &&
                        me != NULL && strcmp(c->claims[i].user, me) == 0);
    }
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "inject", in->id);
    if (e >= 0) {
        cJSON_AddNumberToObject(a, "expect", e);
    }
    dpane_do(p, mine ? SOP_UNCLAIM : SOP_CLAIM, a);
}

/* The facilitator's keys: id, keys, verb, help (tui/keymap.h). */
#define DP_KEYS(X)                                                                                 \
    X(DP_START, "Enter S", "drill-start", "start the drill clock (once the before checks pass)")   \
    X(DP_PAUSE, "p", "drill-pause", "pause / resume the clock")                                    \
    X(DP_DOWN, "j Down", "inject-next", "select the next inject")                                  \
    X(DP_UP, "k Up", "inject-prev", "select the previous inject")                                  \
    X(DP_FIRE, "f", "inject-fire", "fire the selected inject now (asks, lists its chaos)")         \
    X(DP_SKIP, "s", "inject-skip", "skip the selected inject (asks; u undoes)")                    \
    X(DP_CONTINGENCY, "c", "inject-contingency", "fire the selected inject's contingency (asks)")  \
    X(DP_CHOOSE, "b", "inject-choose", "pick the branch of the selected inject's choice (asks)")   \
    X(DP_UNDO, "u", "drill-undo", "undo the last skip (while it has not fired) or mark")           \
    X(DP_EXTEND, "+", "drill-extend", "extend the drill (asks by how much: 5m)")                   \
    X(DP_DEBRIEF, "D", "drill-debrief", "the debrief form: answer each question in turn")          \
    X(DP_EXPECT, "1-9", "expect-select", "select an expectation of the inject")                    \
    X(DP_MET, "m", "expect-met", "mark it met (asks who marks)")                                   \
    X(DP_MISSED, "M", "expect-missed", "mark it missed (asks who marks)")                          \
    X(DP_NOTE, "n", "note", "a note; the abort word alone aborts")                                 \
    X(DP_END, "E", "drill-end", "end the drill (asks): rollbacks, after checks")                   \
    X(DP_ABORT, "A", "drill-abort", "emergency stop (abort + Enter): all rolls back")              \
    X(DP_REPORT, "r", "drill-report", "after the end: write the report (RUN-ID.md) and show it")   \
    X(DP_CLAIM, "o", "expect-claim",                                                               \
      "shared drill: say you are on the selected expectation (again: not any more)")

#define X_ENUM(id, keys, verb, help) id,
enum dp_key { DP_NONE, DP_KEYS(X_ENUM) };
#undef X_ENUM

#define X_KEY(i, k, v, h) {.keys = k, .verb = v, .id = i, .help = h},
static const struct key_def dp_keys[] = {
    {.heading = "The drill pane (the facilitator's keys)"},
    DP_KEYS(X_KEY){0},
};
#undef X_KEY

static bool dp_key(void *self, wint_t ch, bool is_key)
{
    struct dpane *p = self;
    if (p->view == NULL) {
        return false; /* a follower before the owner's hello */
    }
    const struct drill_inject *in = selected(p);
    const struct key_def *k = key_find_in("drill", dp_keys, p, ch, is_key);
    if (k == NULL) {
        return false;
    }
    switch ((enum dp_key)k->id) {
    case DP_NONE:
        return false;
    case DP_START:
        start(p);
        return true;
    case DP_PAUSE:
        command(p, drillview_state(p->view) == GAME_PAUSED ? "resume" : "pause", false);
        return true;
    case DP_CLAIM:
        claim(p);
        return true;
    case DP_UP:
        return key_move(p, -1);
    case DP_DOWN:
        return key_move(p, 1);
    case DP_FIRE:
        if (!p->following || follow_allowed(&p->fol, SOP_DRILL)) {
            ask_fire(p);
        }
        return true;
    case DP_SKIP:
    case DP_CONTINGENCY:
        dpane_ask_skip(p, k->id == DP_CONTINGENCY);
        return true;
    case DP_UNDO:
    case DP_EXTEND:
    case DP_DEBRIEF:
        dpane_score_key(p, k->verb);
        return true;
    case DP_CHOOSE:
        dpane_ask_choice(p);
        return true;
    case DP_MET:
    case DP_MISSED:
        if (p->following) {
            mark_as_me(p, k->id == DP_MET);
        } else {
            ask_mark(p, k->id == DP_MET);
        }
        return true;
    case DP_NOTE:
        p->host.ops->prompt(p->host.host, "Note: ", "", false, on_note);
        return true;
    case DP_END:
        if (p->following && !follow_allowed(&p->fol, SOP_DRILL)) {
            return true;
        }
        p->host.ops->confirm(p->host.host, "End the drill",
                             "End the drill now? Every chaos action still in place is rolled "
                             "back, then the after checks run.",
                             "End", NULL, on_end);
        return true;
    case DP_ABORT:
        dpane_ask_abort(p); /* anyone may pull the emergency stop (drill_stop.c) */
        return true;
    case DP_REPORT:
        if (p->following) {
            say(p, true, "only the facilitator's console writes the report");
            return true;
        }
        write_report(p);
        return true;
    case DP_EXPECT:
        /* digits pick an expectation the inject has; others still switch panes */
        if (in != NULL && (size_t)(ch - '1') < in->nexpects) {
            p->esel = (size_t)(ch - '1');
            p->dirty = true;
            return true;
        }
        return false;
    }
    return false;
}

static void dp_resize(void *self, int h, int w)
{
    struct dpane *p = self;
    p->h = h;
    p->w = w;
    p->dirty = true;
}

static bool dp_update(void *self, uint64_t now_ms)
{
    struct dpane *p = self;
    if (p->view == NULL) {
        return p->dirty;
    }
    const struct drill *d = drillview_drill(p->view);
    enum game_state st = drillview_state(p->view);
    if (p->warning != NULL) {
        say(p, true, p->warning); /* after the console's "opened", so it is seen */
        free(p->warning);
        p->warning = NULL;
    }
    dpane_warn_end(p);
    for (size_t i = 0; i < d->ninjects; i++) {
        if (p->said[i] || drillview_inject_state(p->view, i) != INJECT_FIRED) {
            continue;
        }
        /* said where it is seen even when another pane fills the screen (tabs) */
        p->said[i] = true;
        char t[24], roles[200];
        clock_text(t, sizeof t, drillview_inject_fired_ms(p->view, i));
        join_roles(roles, sizeof roles, &d->injects[i]);
        char *m = xasprintf("%s %s inject %zu: %s -> %s", d->label ? d->label : "[DRILL]", t, i + 1,
                            d->injects[i].title, roles);
        say(p, false, m);
        free(m);
    }
    if (p->follow) {
        /* the newest fired inject (the list is in clock order, contingencies last) */
        size_t pick = p->sel;
        uint64_t best = 0;
        bool any = false;
        for (size_t i = 0; i < d->ninjects; i++) {
            if (drillview_inject_state(p->view, i) == INJECT_FIRED &&
                (!any || drillview_inject_fired_ms(p->view, i) >= best)) {
                best = drillview_inject_fired_ms(p->view, i);
                pick = i;
                any = true;
            }
        }
        if (pick != p->sel) {
            select_inject(p, pick);
        }
    }
    if (st != p->told) {
        p->told = st;
        if (over(p->view)) {
            int max = 0, score = drillview_score(p->view, &max);
            char *m = xasprintf("drill %s %s, score %d/%d: r writes the report",
                                drillview_id(p->view), state_name(st), score, max);
            say(p, false, m);
            free(m);
        }
        p->dirty = true;
    }
    if (!over(p->view) && now_ms / 1000 != p->last_s) {
        p->dirty = true; /* the clock and the countdowns */
    }
    p->last_s = now_ms / 1000;
    return p->dirty;
}

static bool dp_interrupt(void *self)
{
    (void)self;
    return false; /* Ctrl-C quits as ever: the rollbacks run when the pane is freed */
}

static void dp_free(void *self)
{
    struct dpane *p = self;
    dpane_share_free(p);
    if (p->g != NULL) {
        game_unsubscribe(p->g, drillview_apply, p->view);
    }
    drillview_destroy(p->view);
    /* the console closed the game first (game_close, its rollbacks done); this only makes sure */
    game_destroy(p->g, true);
    free(p->runs_dir);
    free(p->scribe);
    free(p->warning);
    free(p->said);
    free(p);
}

static const char *dp_run_id(void *self)
{
    struct dpane *p = self;
    return p->g != NULL ? game_run_id(p->g) : p->fol.id;
}

static bool dp_ended(void *self)
{
    struct dpane *p = self;
    if (p->g == NULL) {
        return true; /* a follower's pane: closing it leaves the drill as it is */
    }
    return drillview_state(p->view) == GAME_ENDED || drillview_state(p->view) == GAME_ABORTED;
}

/* Closing rolls back every chaos action first; the console draws it meanwhile. */
static const char *dp_close(void *self)
{
    struct dpane *p = self;
    if (p->g == NULL) {
        return NULL;
    }
    game_close(p->g);
    return game_closed(p->g) ? NULL : "rolling back every chaos action first";
}

static const char *dp_closing(void *self)
{
    struct dpane *p = self;
    if (p->g == NULL || game_closed(p->g)) {
        return NULL;
    }
    return game_message(p->g) != NULL ? game_message(p->g) : "rolling back";
}

static void dp_abort(void *self)
{
    dpane_ask_abort(self);
}

static bool dp_share(void *self, struct loop *loop, const struct pane_share *how, char **cause)
{
    return dpane_share(self, loop, how, cause);
}

static bool dp_room(void *self, const char *verb, const char *arg, char **cause)
{
    return dpane_room(self, verb, arg, cause);
}

static const char *dp_gone(void *self)
{
    return dpane_gone(self);
}

const struct pane_ops drill_pane = {
    .name = "drill",
    .title = "Drill",
    .keys = dp_keys,
    .draw = dp_draw,
    .key = dp_key,
    .resize = dp_resize,
    .update = dp_update,
    .interrupt = dp_interrupt,
    .free = dp_free,
    .noun = "drill",
    .run_id = dp_run_id,
    .ended = dp_ended,
    .close = dp_close,
    .closing = dp_closing,
    .close_limit_ms = GAME_CLOSE_LIMIT_MS,
    .abort = dp_abort,
    .share = dp_share,
    .room = dp_room,
    .gone = dp_gone,
};

/* ---- life cycle ---- */

static void on_changed(struct game *g, void *ud)
{
    struct dpane *p = ud;
    (void)g;
    p->dirty = true;
    dpane_chaos_ask(p);
}

/*
 * The pane's view of its game: what is journaled so far, then every event and
 * notice as the game tells it, on the game's clock. false with *cause when
 * the journal cannot be read back.
 */
static bool watch(struct dpane *p, const struct game_env *env, char **cause)
{
    p->view = drillview_create(game_drill(p->g), env->now_ms, env->now_ud);
    if (!game_history(p->g, drillview_apply, p->view, cause)) {
        return false;
    }
    game_subscribe(p->g, drillview_apply, p->view);
    p->said = xcalloc(drillview_drill(p->view)->ninjects + 1, sizeof *p->said);
    return true;
}

static struct dpane *pane_new(const struct game_env *env, const struct pane_host *host)
{
    struct dpane *p = xcalloc(1, sizeof *p);
    p->host = *host;
    p->utf8 = screen_locale_utf8();
    p->dirty = true;
    p->follow = true;
    p->told = (enum game_state) - 1;
    p->chaos_asking = -1;
    p->runs_dir = env->runs_dir != NULL ? xstrdup(env->runs_dir) : run_default_dir();
    if (p->runs_dir == NULL) {
        p->runs_dir = xstrdup(".");
    }
    const char *user = getenv("USER");
    p->scribe = xstrdup(user != NULL && *user != '\0' ? user : "scribe");
    return p;
}

void *drill_pane_start(const struct game_env *env, const char *file, const struct pane_host *host,
                       char **cause)
{
    struct drill *d = drill_load(file, cause);
    if (d == NULL) {
        return NULL;
    }
    char *warning = NULL;
    if (d->nissues == 0) {
        /* as line mode: what only lint finds (a sandbox hook not set here) does not refuse */
        drill_lint(d);
        if (d->nissues > 0) {
            warning =
                xasprintf("%s:%d: warning: %s%s", file, d->issues[0].line, d->issues[0].message,
                          d->nissues > 1 ? " (and more: opsdeck lint lists them)" : "");
        }
        for (size_t i = 0; i < d->nissues; i++) {
            free(d->issues[i].message);
        }
        d->nissues = 0;
    }
    struct dpane *p = pane_new(env, host);
    struct game_hooks hooks = {.changed = on_changed, .ud = p};
    p->g = game_start(env, d, &hooks, cause); /* takes d, refuses parse problems */
    if (p->g == NULL || !watch(p, env, cause)) {
        free(warning);
        dp_free(p);
        return NULL;
    }
    p->warning = warning;
    return p;
}

void *drill_pane_resume(const struct game_env *env, const char *run_id,
                        const struct pane_host *host, char **cause)
{
    struct dpane *p = pane_new(env, host);
    struct game_hooks hooks = {.changed = on_changed, .ud = p};
    p->g = game_resume(env, run_id, &hooks, cause);
    if (p->g == NULL || !watch(p, env, cause)) {
        dp_free(p);
        return NULL;
    }
    /* what fired before the resume is on screen, not news */
    for (size_t i = 0; i < drillview_drill(p->view)->ninjects; i++) {
        p->said[i] = drillview_inject_state(p->view, i) == INJECT_FIRED;
    }
    return p;
}

void *drill_pane_join(struct loop *loop, const struct pane_share *how, const char *run_id,
                      const struct pane_host *host, char **cause)
{
    struct game_env env = {.loop = loop};
    struct dpane *p = pane_new(&env, host);
    if (!dpane_join(p, loop, how, run_id, cause)) {
        dp_free(p);
        return NULL;
    }
    return p;
}

struct game *drill_pane_game(void *self)
{
    return ((struct dpane *)self)->g;
}

const struct drillview *drill_pane_view(void *self)
{
    return ((struct dpane *)self)->view;
}

bool drill_pane_keyless(void *self)
{
    return keyless(self);
}

void drill_pane_abort(void *self)
{
    struct dpane *p = self;
    game_abort(p->g, "by the facilitator");
    p->dirty = true;
}
