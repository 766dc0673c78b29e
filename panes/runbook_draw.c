/*
 * Drawing the runbook pane (runbook.c has its keys and its life). Top to
 * bottom, inside its box:
 *   the S.A.F.E. bar      one cell per phase: steps done / steps, time spent
 *   the checklist         the overview entry (the page's introduction, when
 *                         it has one), then a window of steps that keeps the
 *                         current one visible
 *   the current step      its heading line, then its text: body (paragraphs
 *                         wrapped, tables in columns), code blocks (numbered,
 *                         one selected), its input or choices, the exact
 *                         preview of its automated part; then its state
 *   the output            of the last command, in its own region, wrapped
 *   a key hint            for the current state
 * The step's text is never cut: it gets the rows it needs before the
 * output does (the output keeps a few rows and scrolls with PgUp/PgDn), the
 * checklist shrinks to three rows for it, and when it still does not fit it
 * scrolls (Up/Down, j/k) with a line saying so. `o` shows the overview in the
 * step's place: it is read, never done, and counts in no progress.
 * Everything comes from the pane's view of the run (engine/runview.h), built
 * from the run's events: a console following the run draws the same. A
 * secret answer (secret: true) is never on screen, even where a later step
 * uses it: the view masks its value wherever it appears.
 */
#include "rbpane.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../engine/crew.h"
#include "../tui/theme.h"
#include "../tui/widgets.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where a paragraph's source line break stays on screen: before a list, a quote, an indent. */
static const char REFLOW_KEEP[] = "-*> \t0123456789";

/* ---- marks and glyphs ---- */

static const char *mark_glyph(const struct rbpane *p, enum run_mark m, bool current)
{
    if (current) {
        return p->utf8 ? "▶" : ">";
    }
    switch (m) {
    case RUN_MARK_DONE:
        return p->utf8 ? "✓" : "x";
    case RUN_MARK_SKIPPED:
        return p->utf8 ? "↷" : "-";
    case RUN_MARK_FAILED:
        return p->utf8 ? "✗" : "!";
    case RUN_MARK_TODO:
        break;
    }
    return " ";
}

static const char *spinner(const struct rbpane *p, uint64_t ms)
{
    static const char *const utf[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    static const char *const ascii[] = {"|", "/", "-", "\\"};
    uint64_t i = ms / 1000;
    return p->utf8 ? utf[i % 10] : ascii[i % 4];
}

/* "--" for a phase with no time yet. */
static void fmt_ms(char *buf, size_t len, uint64_t ms)
{
    if (ms == 0) {
        snprintf(buf, len, "--");
    } else if (ms < 60000) {
        snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
    } else {
        duration_format2(buf, len, (int64_t)(ms / 1000));
    }
}

/* ---- drawing ---- */

static void draw_phases(struct rbpane *p, struct frame *f)
{
    const struct runbook *rb = runview_runbook(p->view);
    const struct rb_step *cur = runview_step(p->view);
    uint64_t ms[RB_PHASES];
    runview_phase_ms(p->view, ms);
    int cell = f->w / RB_PHASES;
    for (int ph = 0; ph < RB_PHASES; ph++) {
        size_t total = 0, done = 0;
        for (size_t i = 0; i < rb->nsteps; i++) {
            if ((int)rb->steps[i].phase == ph) {
                total++;
                enum run_mark m = runview_mark(p->view, i);
                done += m == RUN_MARK_DONE || m == RUN_MARK_SKIPPED;
            }
        }
        char t[16], text[96];
        fmt_ms(t, sizeof t, ms[ph]);
        bool is_cur = cur != NULL && (int)cur->phase == ph;
        bool all = total > 0 && done == total;
        if (cell >= 24) {
            snprintf(text, sizeof text, " %c %s %zu/%zu %s ", rb_phase_letter((enum rb_phase)ph),
                     rb_phase_name((enum rb_phase)ph), done, total, t);
        } else {
            snprintf(text, sizeof text, " %c %zu/%zu %s ", rb_phase_letter((enum rb_phase)ph), done,
                     total, t);
        }
        unsigned attr = is_cur  ? theme_attr(THEME_SELECTED) | A_BOLD
                        : all   ? theme_attr(THEME_OK)
                        : total ? theme_attr(THEME_NORMAL)
                                : theme_attr(THEME_MUTED);
        screen_fill(f->win, f->y, f->x + ph * cell, cell - 1, attr);
        screen_put(f->win, f->y, f->x + ph * cell, cell - 1, text, attr, screen_glyphs(p->utf8));
    }
    f->y++;
}

static bool has_overview(const struct runbook *rb)
{
    return rb->intro != NULL && rb->intro[0] != '\0';
}

static void draw_checklist(struct rbpane *p, struct frame *f, int rows)
{
    const struct runbook *rb = runview_runbook(p->view);
    enum run_state st = runview_state(p->view);
    bool ended = st == RUN_DONE || st == RUN_ABORTED;
    size_t ov = has_overview(rb) ? 1 : 0;
    /* entries: the overview (when there is one), then the steps */
    size_t n = rb->nsteps + ov;
    size_t cur = p->show_overview && ov ? 0 : runview_index(p->view) + ov;
    size_t top = 0;
    if (n > (size_t)rows) {
        /* keep the current step on the second visible row: what was just done stays in view */
        top = cur > 0 ? cur - 1 : 0;
        if (top + (size_t)rows > n) {
            top = n - (size_t)rows;
        }
    }
    for (size_t e = top; e < n && e < top + (size_t)rows; e++) {
        char line[512];
        if (e < ov) {
            bool on = p->show_overview;
            snprintf(line, sizeof line, "%s     %s (i)",
                     on ? mark_glyph(p, RUN_MARK_TODO, true) : " ", "Overview");
            frame_put(f, line, on ? theme_attr(THEME_TITLE) | A_BOLD : theme_attr(THEME_INFO));
            continue;
        }
        size_t i = e - ov;
        const struct rb_step *s = &rb->steps[i];
        bool is_cur = !ended && i == runview_index(p->view) && !p->show_overview;
        enum run_mark m = runview_mark(p->view, i);
        snprintf(line, sizeof line, "%s %2zu. [%c] %s", mark_glyph(p, m, is_cur), i + 1,
                 rb_phase_letter(s->phase), s->title);
        char *claim = m == RUN_MARK_TODO || m == RUN_MARK_FAILED
                          ? crew_claim_text(runview_crew(p->view), s->id, -1)
                          : NULL;
        if (claim != NULL) {
            size_t used = strlen(line);
            snprintf(line + used, sizeof line - used, "  %s %s", p->utf8 ? "·" : "-", claim);
            free(claim);
        }
        unsigned attr = is_cur                  ? theme_attr(THEME_TITLE) | A_BOLD
                        : m == RUN_MARK_DONE    ? theme_attr(THEME_OK)
                        : m == RUN_MARK_FAILED  ? theme_attr(THEME_ERROR)
                        : m == RUN_MARK_SKIPPED ? theme_attr(THEME_MUTED)
                                                : theme_attr(THEME_NORMAL);
        frame_put(f, line, attr);
    }
}

static void draw_code(struct rbpane *p, struct frame *f, const struct rb_step *s)
{
    for (size_t i = 0; i < s->ncode; i++) {
        bool sel = i == p->code_sel;
        unsigned attr = sel ? theme_attr(THEME_SELECTED) : theme_attr(THEME_INFO);
        const char *c = s->code[i];
        bool first = true;
        while (*c != '\0') {
            size_t n = strcspn(c, "\n");
            /* the number marks where a block starts; its other lines are indented under it */
            char *line = first ? xasprintf("[%zu] %.*s", i + 1, (int)n, c)
                               : xasprintf("    %.*s", (int)n, c);
            frame_put_hard(f, line, attr, 4);
            free(line);
            first = false;
            c += n;
            if (*c == '\n') {
                c++;
            }
        }
    }
}

static void draw_inputs(struct rbpane *p, struct frame *f, const struct rb_step *s)
{
    char line[600];
    if (s->type == RB_PROMPT || s->type == RB_APPROVAL) {
        struct strbuf sb = {0};
        char *ask = runview_text(p->view, s->ask ? s->ask : s->title);
        strbuf_printf(&sb, "%s %s", s->type == RB_APPROVAL ? "approval:" : "asks:", ask);
        free(ask);
        if (s->role != NULL) {
            strbuf_printf(&sb, " (by the %s)", s->role);
        }
        if (s->nchoices > 0) {
            strbuf_str(&sb, " [");
            for (size_t i = 0; i < s->nchoices; i++) {
                strbuf_printf(&sb, "%s%s", i ? "/" : "", s->choices[i].label);
            }
            strbuf_str(&sb, "]");
        }
        if (s->default_value != NULL) {
            strbuf_printf(&sb, " default %s", s->default_value);
        }
        if (s->var != NULL) {
            const char *v = runview_var(p->view, s->var);
            if (v != NULL && !s->secret) {
                strbuf_printf(&sb, "  (now: %s)", v);
            }
        }
        frame_put(f, sb.s, theme_attr(THEME_INFO) | A_BOLD);
        free(sb.s);
    } else if (s->type == RB_DECISION) {
        char *ask = runview_text(p->view, s->ask ? s->ask : s->title);
        snprintf(line, sizeof line, "decide: %s", ask);
        free(ask);
        frame_put(f, line, theme_attr(THEME_INFO) | A_BOLD);
        for (size_t i = 0; i < s->nchoices; i++) {
            snprintf(line, sizeof line, "  %zu) %s -> %s", i + 1, s->choices[i].label,
                     s->choices[i].go ? s->choices[i].go : "next");
            frame_put(f, line, theme_attr(THEME_NORMAL));
        }
    }
}

/* Processes a session that died left running: what they are doing now and the keys. */
static void draw_orphan(struct rbpane *p, struct frame *f)
{
    int pgid = 0;
    enum run_orphan o = runview_orphan(p->view, &pgid, NULL);
    char line[200];
    switch (o) {
    case RUN_ORPHAN_NONE:
        return;
    case RUN_ORPHAN_ALIVE:
        snprintf(line, sizeof line,
                 "%s its processes (process group %d) are still running: w wait for them, K "
                 "stop them",
                 screen_glyphs(p->utf8)->bad, pgid);
        break;
    case RUN_ORPHAN_WAITING:
        snprintf(line, sizeof line, "%s waiting for process group %d to end (K stops it)",
                 spinner(p, clock_mono_ms()), pgid);
        break;
    case RUN_ORPHAN_STOPPING:
        snprintf(line, sizeof line, "%s stopping process group %d (SIGTERM, then SIGKILL)",
                 spinner(p, clock_mono_ms()), pgid);
        break;
    }
    frame_put_wrapped(f, line, theme_attr(THEME_WARN) | A_BOLD, 2, false);
}

/*
 * The war room (engine/crew.h): who is on the run, a request waiting for a
 * second person, the latest proposal, a handover offered. Nothing for a run
 * nobody shares.
 */
static void draw_people(struct rbpane *p, struct frame *f)
{
    const struct crew *c = runview_crew(p->view);
    char *line = crew_presence_line(c, p->utf8 ? " · " : ", ");
    if (line != NULL) {
        frame_put(f, line, theme_attr(THEME_INFO));
        free(line);
    }
    const char *asked = runview_approval_pending(p->view);
    if (asked != NULL) {
        line = crew_waiting_text(asked);
        frame_put_wrapped(f, line, theme_attr(THEME_WARN) | A_BOLD, 2, false);
        free(line);
    }
    line = crew_proposal_text(c);
    if (line != NULL) {
        frame_put_wrapped(f, line, theme_attr(THEME_INFO), 2, false);
        free(line);
    }
    line = crew_offer_text(c);
    if (line != NULL) {
        frame_put_wrapped(f, line, theme_attr(THEME_WARN), 2, false);
        free(line);
    }
}

static void draw_state(struct rbpane *p, struct frame *f, const struct rb_step *s)
{
    draw_people(p, f);
    enum run_state st = runview_state(p->view);
    const char *msg = runview_message(p->view);
    char line[600], t[24];
    switch (st) {
    case RUN_BUSY:
        fmt_ms(t, sizeof t, runview_step_elapsed_ms(p->view) + 1);
        snprintf(line, sizeof line, "%s running %s%s%s",
                 spinner(p, runview_step_elapsed_ms(p->view)), t, msg && *msg ? ": " : "",
                 msg ? msg : "");
        frame_put(f, line, theme_attr(THEME_WARN) | A_BOLD);
        break;
    case RUN_FAILED:
        snprintf(line, sizeof line, "%s failed: %s", screen_glyphs(p->utf8)->bad,
                 msg && *msg ? msg : "(no reason given)");
        frame_put_wrapped(f, line, theme_attr(THEME_ERROR) | A_BOLD, 3, false);
        break;
    case RUN_INTERRUPTED:
        frame_put_wrapped(f, "interrupted: this step was in flight when the session ended",
                          theme_attr(THEME_WARN) | A_BOLD, 2, false);
        if (runview_orphan(p->view, NULL, NULL) == RUN_ORPHAN_NONE) {
            /* while its processes run, the line below offers what can be done: w, K */
            frame_put_wrapped(f,
                              "choose: s continue past it, Enter re-run it (asks first: it may "
                              "have run partly), J jump elsewhere",
                              theme_attr(THEME_WARN), 2, false);
        }
        break;
    case RUN_DONE:
        frame_put(f, "Run finished.", theme_attr(THEME_OK) | A_BOLD);
        if (msg && *msg) {
            frame_put(f, msg, theme_attr(THEME_NORMAL));
        }
        break;
    case RUN_ABORTED:
        frame_put(f, "Run aborted.", theme_attr(THEME_ERROR) | A_BOLD);
        break;
    case RUN_READY:
        if (msg && *msg && runview_approval_pending(p->view) == NULL) {
            snprintf(line, sizeof line, "last: %s", msg);
            frame_put(f, line, theme_attr(THEME_MUTED));
        }
        break;
    }
    draw_orphan(p, f);
    (void)s;
}

/* The output as lines wrapped at the width, blanks kept. */
static void output_lines(struct rbpane *p, struct frame *c)
{
    size_t len = 0;
    const char *out = runview_output(p->view, &len);
    if (runview_output_step(p->view, NULL) != (int)runview_index(p->view)) {
        return; /* output belongs to the step that ran it, never shown under another */
    }
    for (size_t i = 0; out != NULL && i < len;) {
        size_t n = 0;
        while (i + n < len && out[i + n] != '\n') {
            n++;
        }
        struct strbuf sb = {0};
        strbuf_add(&sb, "", 0);
        for (size_t j = 0; j < n; j++) {
            if (out[i + j] != '\r') {
                strbuf_add(&sb, out[i + j] == '\t' ? " " : &out[i + j], 1);
            }
        }
        char *shown = runview_mask(p->view, sb.s);
        frame_put_hard(c, shown, theme_attr(THEME_NORMAL), 2);
        free(shown);
        i += n + 1;
    }
}

/* The last lines of the output that fit in rows (a head line and the text), scrolled up by
 * out_scroll lines. */
static void draw_output(struct rbpane *p, struct frame *f, const struct frame_lines *out, int rows)
{
    if (out->n == 0 || rows < 2) {
        return;
    }
    long body = rows - 1;
    long maxscroll = (long)out->n > body ? (long)out->n - body : 0;
    if (p->out_scroll > maxscroll) {
        p->out_scroll = maxscroll;
    }
    size_t first = out->n > (size_t)body ? out->n - (size_t)body - (size_t)p->out_scroll : 0;
    char head[160], at[32] = "";
    int64_t ts = 0;
    runview_output_step(p->view, &ts);
    if (ts > 0) {
        char t[32];
        clock_format_rfc3339(t, ts);
        snprintf(at, sizeof at, " at %.8s", t + 11); /* HH:MM:SS UTC */
    }
    if (p->out_scroll > 0) {
        snprintf(head, sizeof head, "output (%zu line%s, scrolled up %ld: PgDn)%s", out->n,
                 out->n == 1 ? "" : "s", p->out_scroll, at);
    } else if (maxscroll > 0) {
        snprintf(head, sizeof head, "output (%zu line%s, the last %ld: PgUp scrolls)%s", out->n,
                 out->n == 1 ? "" : "s", body, at);
    } else {
        snprintf(head, sizeof head, "output (%zu line%s)%s", out->n, out->n == 1 ? "" : "s", at);
    }
    frame_put(f, head, theme_attr(THEME_HEADER));
    frame_draw_lines(f, out, first, (int)body);
}

static const char *hint_for(const struct rbpane *p, const struct rb_step *s)
{
    switch (runview_state(p->view)) {
    case RUN_BUSY:
        return "K/Ctrl-C stop  n note  PgUp/PgDn output";
    case RUN_FAILED:
        return "Enter retry  s skip  b back  J jump  n note";
    case RUN_INTERRUPTED:
        return runview_orphan(p->view, NULL, NULL) != RUN_ORPHAN_NONE
                   ? "w wait for it  K stop it  s continue  J jump  n note"
                   : "s continue  Enter re-run (asks)  J jump  n note";
    case RUN_DONE:
    case RUN_ABORTED:
        return ":close closes this pane  PgUp/PgDn output";
    case RUN_READY:
        break;
    }
    if (s == NULL) {
        return "";
    }
    if (runview_approval_pending(p->view) != NULL) {
        return "waiting for a second person to approve  s skip  b back  J jump  n note";
    }
    if (s->type == RB_APPROVAL && p->run != NULL && run_shared(p->run)) {
        return "Enter ask a second person to approve  s skip  b back  J jump  n note";
    }
    switch (s->type) {
    case RB_MANUAL:
        return s->ncode ? "Enter done  s skip  b back  [ ] block  y copy  x run  e edit  a action"
                        : "Enter done  s skip  b back  J jump  n note  ? help";
    case RB_PROMPT:
    case RB_APPROVAL:
        return "Enter answer  s skip  b back  J jump  n note";
    case RB_DECISION:
        return "1-9 choose  s skip  b back  J jump  n note";
    case RB_ACTION:
        return "Enter confirm the action  s skip  b back  n note";
    case RB_COMMAND:
    case RB_WAIT:
    case RB_NOTIFY:
        break;
    }
    return "Enter run the preview  s skip  b back  J jump  n note";
}

/* The step's heading line: number, phase, title, type, time. */
static void step_head(struct rbpane *p, const struct rb_step *s, char *line, size_t len)
{
    const struct runbook *rb = runview_runbook(p->view);
    char t[24], box[48] = "";
    fmt_ms(t, sizeof t, runview_step_elapsed_ms(p->view) + 1); /* an elapsed time is never "--" */
    if (s->timebox_s > 0) {
        char d[24];
        duration_format2(d, sizeof d, s->timebox_s);
        snprintf(box, sizeof box, " / box %s", d);
    }
    snprintf(line, len, "Step %zu/%zu [%c] %s (%s)  %s%s", runview_index(p->view) + 1, rb->nsteps,
             rb_phase_letter(s->phase), s->title, rb_step_type_name(s->type), t, box);
}

/* The step's text, whole: body, code blocks, inputs, the preview. */
static void draw_current(struct rbpane *p, struct frame *f, const struct rb_step *s)
{
    char line[600];
    if (s->body != NULL && *s->body != '\0') {
        char *text = runview_mask(p->view, runview_text(p->view, s->body));
        frame_put_text(f, text, theme_attr(THEME_NORMAL), REFLOW_KEEP);
        free(text);
    }
    draw_code(p, f, s);
    char *hint = rbpane_code_hint(p); /* what the selected block does, or holds */
    if (hint != NULL) {
        char *shown = runview_mask(p->view, hint);
        frame_put_wrapped(f, shown, theme_attr(THEME_KEY), INT_MAX, false);
        free(shown);
    }
    draw_inputs(p, f, s);
    char *missing = NULL;
    /* prompts, decisions and approvals show their question above: no preview twice */
    bool asks = s->type == RB_PROMPT || s->type == RB_DECISION || s->type == RB_APPROVAL;
    char *preview = asks ? NULL : runview_mask(p->view, runview_preview(p->view, &missing));
    if (missing != NULL) {
        snprintf(line, sizeof line, "%s unset variable %s", screen_glyphs(p->utf8)->bad, missing);
        frame_put(f, line, theme_attr(THEME_ERROR) | A_BOLD);
    } else if (preview != NULL) {
        char *will = xasprintf("will %s: %s",
                               s->type == RB_COMMAND || s->type == RB_WAIT ? "run" : "do", preview);
        frame_put_wrapped(f, will, theme_attr(THEME_KEY) | A_BOLD, INT_MAX, false);
        free(will);
    }
    free(missing);
    free(preview);
}

/* "Runbook: Checkout" or "Checkout runbook" already says it: the pane's title does not again. */
static bool says_runbook(const char *title)
{
    size_t n = strlen(title);
    return (strncasecmp(title, "runbook", 7) == 0 && !isalpha((unsigned char)title[7])) ||
           (n >= 8 && strcasecmp(title + n - 8, " runbook") == 0);
}

/*
 * The step region: the heading line, the text (scrolled by text_scroll when
 * it does not fit, with a line that says so), the state lines below it.
 */
static void draw_step_region(struct rbpane *p, struct frame *f, const char *head,
                             const struct frame_lines *text, const struct frame_lines *state,
                             int rows)
{
    if (rows <= 0) {
        return;
    }
    /* the heading line wraps too: a long title is read whole */
    struct frame_lines hl = {0};
    struct frame c = frame_collect(&hl, f->w, f->gl);
    unsigned attr =
        theme_attr(runview_overtime(p->view) && !p->show_overview ? THEME_WARN : THEME_TITLE);
    frame_put_wrapped(&c, head, attr | A_BOLD, INT_MAX, true);
    int head_rows = (int)hl.n < rows ? (int)hl.n : rows;
    frame_draw_lines(f, &hl, 0, head_rows);
    frame_lines_free(&hl);
    rows -= head_rows;
    int state_rows = (int)state->n < rows - 1 ? (int)state->n : (rows > 1 ? rows - 1 : 0);
    int text_rows = rows - state_rows;
    if ((int)text->n <= text_rows) {
        p->text_scroll = 0;
        p->text_page = text_rows;
        frame_draw_lines(f, text, 0, text_rows);
    } else {
        int vis = text_rows - 1 > 0 ? text_rows - 1 : 0;
        long max = (long)text->n - vis;
        p->text_scroll = p->text_scroll < 0 ? 0 : p->text_scroll > max ? max : p->text_scroll;
        p->text_page = vis;
        frame_draw_lines(f, text, (size_t)p->text_scroll, vis);
        char more[160];
        long below = max - p->text_scroll;
        if (below > 0) {
            snprintf(more, sizeof more, "%s %ld more line%s below: Down/j scrolls%s",
                     p->utf8 ? "▼" : "v", below, below == 1 ? "" : "s",
                     p->text_scroll > 0 ? ", Up/k back" : "");
        } else {
            snprintf(more, sizeof more, "%s end of the text: Up/k scrolls back",
                     p->utf8 ? "▲" : "^");
        }
        frame_put(f, more, theme_attr(THEME_KEY) | A_BOLD);
    }
    frame_draw_lines(f, state, 0, state_rows);
}

void rbpane_draw(struct rbpane *p, WINDOW *win, const struct pane_view *view)
{
    bool focused = view->focused;
    const struct glyphs *g = screen_glyphs(p->utf8);
    int h = getmaxy(win), w = getmaxx(win);
    werase(win);
    screen_box(win, g, theme_attr(focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    const struct runbook *rb = runview_runbook(p->view);
    enum run_state st = runview_state(p->view);
    char title[400];
    const char *name = rb->title ? rb->title : rb->path;
    snprintf(title, sizeof title, " %d %s%s ", view->number,
             says_runbook(name) ? "" : "Runbook: ", name);
    int x = 2 + screen_put(win, 0, 2, w - 4, title,
                           theme_attr(focused ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, g);
    char right[160];
    snprintf(right, sizeof right, " %s ", run_state_name(st));
    int rw = utf8_width(right);
    if (w - 2 - x > rw) {
        unsigned sa = st == RUN_FAILED    ? THEME_ERROR
                      : st == RUN_BUSY    ? THEME_WARN
                      : st == RUN_DONE    ? THEME_OK
                      : st == RUN_ABORTED ? THEME_ERROR
                                          : THEME_TITLE;
        screen_put(win, 0, w - 2 - rw, rw, right, theme_attr(sa), g);
    }
    struct frame f = {.win = win, .y = 1, .bottom = h - 2, .x = 2, .w = w - 4, .gl = g};
    if (f.bottom <= f.y || f.w < 8) {
        wnoutrefresh(win);
        p->dirty = false;
        return;
    }
    draw_phases(p, &f);
    const struct rb_step *s = runview_step(p->view);
    if (!has_overview(rb)) {
        p->show_overview = false;
    }

    /* what the step region and the output hold, as lines at the width */
    struct frame_lines text = {0}, state = {0}, out = {0};
    struct frame c = frame_collect(&text, f.w, g);
    char head[600] = "";
    if (p->show_overview) {
        snprintf(head, sizeof head, "Overview (not a step: i or Enter goes back to step %zu)",
                 runview_index(p->view) + 1);
        char *intro = runview_mask(p->view, xstrdup(rb->intro));
        frame_put_text(&c, intro, theme_attr(THEME_NORMAL), REFLOW_KEEP);
        free(intro);
    } else if (s != NULL) {
        step_head(p, s, head, sizeof head);
        draw_current(p, &c, s);
    }
    c = frame_collect(&state, f.w, g);
    draw_state(p, &c, s);
    size_t outlen = 0;
    runview_output(p->view, &outlen);
    int out_step = runview_output_step(p->view, NULL);
    if (outlen > 0 && out_step >= 0 && out_step != (int)runview_index(p->view)) {
        char line[80];
        snprintf(line, sizeof line, "(step %d printed output: o shows it)", out_step + 1);
        frame_put(&c, line, theme_attr(THEME_INFO));
    }
    c = frame_collect(&out, f.w, g);
    output_lines(p, &c);

    /*
     * Rows: the checklist takes at most a third, and gives up to all but three
     * rows to the step; the step's text comes before the output, which keeps
     * a head line and three lines when there is any.
     */
    int avail = f.bottom - f.y;
    int entries = (int)rb->nsteps + (has_overview(rb) ? 1 : 0);
    int list_rows =
        entries < (avail / 3 > 3 ? avail / 3 : 3) ? entries : (avail / 3 > 3 ? avail / 3 : 3);
    int head_rows = head[0] != '\0' ? (utf8_width(head) + f.w - 1) / f.w : 0; /* about */
    int need = head_rows + (int)text.n + (int)state.n;
    int out_need = out.n > 0 ? (int)out.n + 1 : 0;
    int out_min = out_need < 4 ? out_need : 4;
    if (need + out_min > avail - list_rows - 1) {
        int floor = entries < 3 ? entries : 3;
        int want = avail - 1 - need - out_min;
        list_rows = want > list_rows ? list_rows : want < floor ? floor : want;
    }
    int rest = avail - list_rows - 1;
    int out_rows = rest - need;
    out_rows = out_rows < out_min ? out_min : out_rows > out_need ? out_need : out_rows;
    if (rest - out_rows < 3) {
        out_rows = rest - 3 >= 2 ? rest - 3 : 0;
    }
    draw_checklist(p, &f, list_rows);
    frame_rule(&f, theme_attr(THEME_BORDER));
    if (head[0] != '\0') {
        draw_step_region(p, &f, head, &text, &state, rest - out_rows);
    } else {
        frame_draw_lines(&f, &state, 0, rest - out_rows);
    }
    f.y = f.bottom - out_rows;
    draw_output(p, &f, &out, out_rows);
    frame_lines_free(&text);
    frame_lines_free(&state);
    frame_lines_free(&out);
    /* the run id in the bottom border, where it has the whole width: :resume wants it */
    char foot[160];
    char room[120];
    rbpane_share_foot(p, room, sizeof room);
    snprintf(foot, sizeof foot, " run %s%s ", runview_id(p->view), room);
    screen_put(win, h - 1, 2, w - 4, foot, theme_attr(THEME_BORDER), g);
    screen_fill(win, h - 2, 2, w - 4, theme_attr(THEME_NORMAL));
    screen_put(win, h - 2, 2, w - 4, hint_for(p, s), theme_attr(THEME_KEY), g);
    wnoutrefresh(win);
    p->dirty = false;
}
