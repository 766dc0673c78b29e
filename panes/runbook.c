/*
 * The runbook pane. Top to bottom, inside its box:
 *   the S.A.F.E. bar      one cell per phase: steps done / steps, time spent
 *   the checklist         a window of steps that keeps the current one visible
 *   the current step      body (wrapped), code blocks (numbered, one selected),
 *                         the exact preview of its automated part, its input
 *                         or choices, and its state
 *   the output tail       of the last command, filling what is left
 *   a key hint            for the current state
 * The pane redraws only when the run's changed hook fired, a key moved
 * something, or (busy) the second changed for the elapsed time.
 *
 * After a resume, Enter on an interrupted step opens a dialog (default
 * Cancel) saying it may have run partly; processes the session that died
 * left running are waited for (w) or stopped (K) first.
 */
#include "runbook.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../tui/theme.h"
#include "../tui/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rbpane {
    struct run *run;
    struct pane_host host;
    bool utf8;
    bool dirty;
    int h, w;
    size_t code_sel;
    size_t shown_step; /* the step code_sel and out_scroll belong to */
    long out_scroll;   /* output lines up from the bottom */
    uint64_t last_tick;
    size_t overtime_asked; /* step index + 1 already asked about */
    char *warning;         /* lint's finding, said once the pane is on screen */
};

static char *mask_secrets(const struct rbpane *p, char *text);

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

static const char *state_name(enum run_state s)
{
    static const char *const names[] = {"ready",       "busy", "failed",
                                        "interrupted", "done", "aborted"};
    return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "?";
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

/* ---- text layout ---- */

/*
 * Markdown keeps a paragraph's source line breaks; on screen a paragraph
 * flows to the pane's width. A break stays where the next line starts a list
 * item, a quote, an indented line or a blank line.
 */
static char *reflow(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = strchr(s, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
        char next = p[1];
        bool keep = next == '\n' || next == '\0' || next == '-' || next == '*' || next == '>' ||
                    next == ' ' || next == '\t' || (next >= '0' && next <= '9') ||
                    (p > s && p[-1] == '\n');
        if (!keep) {
            *p = ' ';
        }
    }
    return s;
}

/* Word-wrap text to width cells; calls fn for each line (a NUL-terminated copy). */
static int wrap_text(const char *text, int width, void (*fn)(const char *line, void *ud), void *ud)
{
    int count = 0;
    struct strbuf line = {0};
    if (width < 4) {
        width = 4;
    }
    for (const char *p = text; *p != '\0' || line.n > 0;) {
        size_t n = strcspn(p, "\n");
        char *para = xstrndup(p, n);
        char *save = NULL;
        int lw = 0;
        line.n = 0;
        strbuf_add(&line, "", 0);
        for (char *word = strtok_r(para, " \t", &save); word != NULL;
             word = strtok_r(NULL, " \t", &save)) {
            int ww = utf8_width(word);
            if (lw > 0 && lw + 1 + ww > width) {
                fn(line.s, ud);
                count++;
                line.n = 0;
                line.s[0] = '\0';
                lw = 0;
            }
            if (lw > 0) {
                strbuf_add(&line, " ", 1);
                lw++;
            }
            strbuf_str(&line, word);
            lw += ww;
        }
        fn(line.s, ud);
        count++;
        line.n = 0;
        free(para);
        p += n;
        if (*p == '\0') {
            break;
        }
        p++;
    }
    free(line.s);
    return count;
}

/* Drawing context for one frame. */
struct frame {
    struct rbpane *p;
    WINDOW *win;
    int y;      /* next row to draw */
    int bottom; /* first row not available (the hint) */
    int x, w;   /* inner column and width */
};

static void put_line(struct frame *f, const char *text, unsigned attr)
{
    if (f->y < f->bottom) {
        screen_put(f->win, f->y, f->x, f->w, text, attr, screen_glyphs(f->p->utf8));
        f->y++;
    }
}

struct wrap_put {
    struct frame *f;
    unsigned attr;
    int max; /* lines left for this text */
};

static void wrap_put_line(const char *line, void *ud)
{
    struct wrap_put *wp = ud;
    if (wp->max > 0) {
        put_line(wp->f, line, wp->attr);
        wp->max--;
    }
}

static void put_wrapped(struct frame *f, const char *text, unsigned attr, int max)
{
    struct wrap_put wp = {.f = f, .attr = attr, .max = max};
    wrap_text(text, f->w, wrap_put_line, &wp);
}

/* ---- drawing ---- */

static void draw_phases(struct frame *f)
{
    const struct runbook *rb = run_runbook(f->p->run);
    const struct rb_step *cur = run_step(f->p->run);
    uint64_t ms[RB_PHASES];
    run_phase_ms(f->p->run, ms);
    int cell = f->w / RB_PHASES;
    for (int ph = 0; ph < RB_PHASES; ph++) {
        size_t total = 0, done = 0;
        for (size_t i = 0; i < rb->nsteps; i++) {
            if ((int)rb->steps[i].phase == ph) {
                total++;
                enum run_mark m = run_mark(f->p->run, i);
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
        screen_put(f->win, f->y, f->x + ph * cell, cell - 1, text, attr, screen_glyphs(f->p->utf8));
    }
    f->y++;
}

static void draw_checklist(struct frame *f, int rows)
{
    const struct runbook *rb = run_runbook(f->p->run);
    enum run_state st = run_state(f->p->run);
    size_t cur = run_index(f->p->run);
    bool ended = st == RUN_DONE || st == RUN_ABORTED;
    size_t n = rb->nsteps;
    size_t top = 0;
    if (n > (size_t)rows) {
        /* keep the current step on the second visible row: what was just done stays in view */
        top = cur > 0 ? cur - 1 : 0;
        if (top + (size_t)rows > n) {
            top = n - (size_t)rows;
        }
    }
    for (size_t i = top; i < n && i < top + (size_t)rows; i++) {
        const struct rb_step *s = &rb->steps[i];
        bool is_cur = !ended && i == cur;
        enum run_mark m = run_mark(f->p->run, i);
        char line[512];
        snprintf(line, sizeof line, "%s %2zu. [%c] %s", mark_glyph(f->p, m, is_cur), i + 1,
                 rb_phase_letter(s->phase), s->title);
        unsigned attr = is_cur                  ? theme_attr(THEME_TITLE) | A_BOLD
                        : m == RUN_MARK_DONE    ? theme_attr(THEME_OK)
                        : m == RUN_MARK_FAILED  ? theme_attr(THEME_ERROR)
                        : m == RUN_MARK_SKIPPED ? theme_attr(THEME_MUTED)
                                                : theme_attr(THEME_NORMAL);
        put_line(f, line, attr);
    }
}

static void draw_code(struct frame *f, const struct rb_step *s, int max)
{
    for (size_t i = 0; i < s->ncode && max > 0; i++) {
        bool sel = i == f->p->code_sel;
        unsigned attr = sel ? theme_attr(THEME_SELECTED) : theme_attr(THEME_INFO);
        const char *c = s->code[i];
        bool first = true;
        while (*c != '\0' && max > 0) {
            size_t n = strcspn(c, "\n");
            char line[600];
            /* the number marks where a block starts; its other lines are indented under it */
            int cut = (int)(n > 500 ? 500 : n);
            if (first) {
                snprintf(line, sizeof line, "[%zu] %.*s", i + 1, cut, c);
            } else {
                snprintf(line, sizeof line, "    %.*s", cut, c);
            }
            put_line(f, line, attr);
            max--;
            first = false;
            c += n;
            if (*c == '\n') {
                c++;
            }
        }
    }
}

static void draw_inputs(struct frame *f, const struct rb_step *s)
{
    char line[600];
    if (s->type == RB_PROMPT || s->type == RB_APPROVAL) {
        struct strbuf sb = {0};
        char *ask = run_text(f->p->run, s->ask ? s->ask : s->title);
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
            const char *v = vars_get(run_vars(f->p->run), s->var);
            if (v != NULL && !s->secret) {
                strbuf_printf(&sb, "  (now: %s)", v);
            }
        }
        put_line(f, sb.s, theme_attr(THEME_INFO) | A_BOLD);
        free(sb.s);
    } else if (s->type == RB_DECISION) {
        char *ask = run_text(f->p->run, s->ask ? s->ask : s->title);
        snprintf(line, sizeof line, "decide: %s", ask);
        free(ask);
        put_line(f, line, theme_attr(THEME_INFO) | A_BOLD);
        for (size_t i = 0; i < s->nchoices; i++) {
            snprintf(line, sizeof line, "  %zu) %s -> %s", i + 1, s->choices[i].label,
                     s->choices[i].go ? s->choices[i].go : "next");
            put_line(f, line, theme_attr(THEME_NORMAL));
        }
    }
}

/* Processes a session that died left running: what they are doing now and the keys. */
static void draw_orphan(struct frame *f)
{
    int pgid = 0;
    enum run_orphan o = run_orphan(f->p->run, &pgid, NULL);
    char line[200];
    switch (o) {
    case RUN_ORPHAN_NONE:
        return;
    case RUN_ORPHAN_ALIVE:
        snprintf(line, sizeof line,
                 "%s its processes (process group %d) are still running: w wait for them, K "
                 "stop them",
                 screen_glyphs(f->p->utf8)->bad, pgid);
        break;
    case RUN_ORPHAN_WAITING:
        snprintf(line, sizeof line, "%s waiting for process group %d to end (K stops it)",
                 spinner(f->p, clock_mono_ms()), pgid);
        break;
    case RUN_ORPHAN_STOPPING:
        snprintf(line, sizeof line, "%s stopping process group %d (SIGTERM, then SIGKILL)",
                 spinner(f->p, clock_mono_ms()), pgid);
        break;
    }
    put_wrapped(f, line, theme_attr(THEME_WARN) | A_BOLD, 2);
}

static void draw_state(struct frame *f, const struct rb_step *s)
{
    struct rbpane *p = f->p;
    enum run_state st = run_state(p->run);
    const char *msg = run_message(p->run);
    char line[600], t[24];
    switch (st) {
    case RUN_BUSY:
        fmt_ms(t, sizeof t, run_step_elapsed_ms(p->run) + 1);
        snprintf(line, sizeof line, "%s running %s%s%s", spinner(p, run_step_elapsed_ms(p->run)), t,
                 msg && *msg ? ": " : "", msg ? msg : "");
        put_line(f, line, theme_attr(THEME_WARN) | A_BOLD);
        break;
    case RUN_FAILED:
        snprintf(line, sizeof line, "%s failed: %s", screen_glyphs(p->utf8)->bad,
                 msg && *msg ? msg : "(no reason given)");
        put_wrapped(f, line, theme_attr(THEME_ERROR) | A_BOLD, 3);
        break;
    case RUN_INTERRUPTED:
        put_wrapped(f, "interrupted: this step was in flight when the session ended",
                    theme_attr(THEME_WARN) | A_BOLD, 2);
        if (run_orphan(p->run, NULL, NULL) == RUN_ORPHAN_NONE) {
            /* while its processes run, the line below offers what can be done: w, K */
            put_wrapped(f,
                        "choose: s continue past it, Enter re-run it (asks first: it may have run "
                        "partly), J jump elsewhere",
                        theme_attr(THEME_WARN), 2);
        }
        break;
    case RUN_DONE:
        put_line(f, "Run finished.", theme_attr(THEME_OK) | A_BOLD);
        if (msg && *msg) {
            put_line(f, msg, theme_attr(THEME_NORMAL));
        }
        break;
    case RUN_ABORTED:
        put_line(f, "Run aborted.", theme_attr(THEME_ERROR) | A_BOLD);
        break;
    case RUN_READY:
        if (msg && *msg) {
            snprintf(line, sizeof line, "last: %s", msg);
            put_line(f, line, theme_attr(THEME_MUTED));
        }
        break;
    }
    draw_orphan(f);
    (void)s;
}

/* The last lines of the output that fit in rows, scrolled up by out_scroll lines. */
static void draw_output(struct frame *f, int rows)
{
    size_t len = 0;
    const char *out = run_output(f->p->run, &len);
    if (out == NULL || len == 0 || rows < 2) {
        return;
    }
    size_t nlines = 0;
    for (size_t i = 0; i < len; i++) {
        nlines += out[i] == '\n';
    }
    if (out[len - 1] != '\n') {
        nlines++;
    }
    long body = rows - 1;
    long maxscroll = (long)nlines > body ? (long)nlines - body : 0;
    if (f->p->out_scroll > maxscroll) {
        f->p->out_scroll = maxscroll;
    }
    size_t first = nlines > (size_t)body ? nlines - (size_t)body - (size_t)f->p->out_scroll : 0;
    char head[96];
    if (f->p->out_scroll > 0) {
        snprintf(head, sizeof head, "output (%zu line%s, scrolled up %ld: PgDn)", nlines,
                 nlines == 1 ? "" : "s", f->p->out_scroll);
    } else {
        snprintf(head, sizeof head, "output (%zu line%s)", nlines, nlines == 1 ? "" : "s");
    }
    put_line(f, head, theme_attr(THEME_HEADER));
    size_t line = 0;
    for (size_t i = 0; i < len && f->y < f->bottom;) {
        size_t n = 0;
        while (i + n < len && out[i + n] != '\n') {
            n++;
        }
        if (line >= first) {
            char buf[1024];
            size_t k = 0;
            for (size_t j = 0; j < n && k + 1 < sizeof buf; j++) {
                if (out[i + j] != '\r') {
                    buf[k++] = out[i + j] == '\t' ? ' ' : out[i + j];
                }
            }
            buf[k] = '\0';
            char *shown = mask_secrets(f->p, xstrdup(buf));
            put_line(f, shown, theme_attr(THEME_NORMAL));
            free(shown);
        }
        line++;
        i += n + 1;
    }
}

static const char *hint_for(const struct rbpane *p, const struct rb_step *s)
{
    switch (run_state(p->run)) {
    case RUN_BUSY:
        return "K/Ctrl-C stop  n note  PgUp/PgDn output";
    case RUN_FAILED:
        return "Enter retry  s skip  b back  J jump  n note";
    case RUN_INTERRUPTED:
        return run_orphan(p->run, NULL, NULL) != RUN_ORPHAN_NONE
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
    switch (s->type) {
    case RB_MANUAL:
        return s->ncode ? "Enter done  s skip  b back  [ ] block  y copy  x run  n note"
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

/*
 * A secret answer (secret: true) is never on screen, even where a later step
 * uses it: its value is replaced wherever it appears. Takes text, returns it.
 */
static char *mask_secrets(const struct rbpane *p, char *text)
{
    const struct runbook *rb = run_runbook(p->run);
    for (size_t i = 0; text != NULL && i < rb->nsteps; i++) {
        const struct rb_step *s = &rb->steps[i];
        const char *v = s->secret && s->var ? vars_get(run_vars(p->run), s->var) : NULL;
        if (v == NULL || *v == '\0') {
            continue;
        }
        struct strbuf sb = {0};
        size_t vn = strlen(v);
        const char *c = text;
        for (const char *hit = strstr(c, v); hit != NULL; hit = strstr(c, v)) {
            strbuf_add(&sb, c, (size_t)(hit - c));
            strbuf_str(&sb, "[secret]"); /* as the engine's previews say it */
            c = hit + vn;
        }
        strbuf_str(&sb, c);
        free(text);
        text = sb.s;
    }
    return text;
}

static void draw_current(struct frame *f, const struct rb_step *s, int out_rows)
{
    struct rbpane *p = f->p;
    const struct runbook *rb = run_runbook(p->run);
    char line[600], t[24], box[48] = "";
    fmt_ms(t, sizeof t, run_step_elapsed_ms(p->run) + 1); /* an elapsed time is never "--" */
    if (s->timebox_s > 0) {
        char d[24];
        duration_format2(d, sizeof d, s->timebox_s);
        snprintf(box, sizeof box, " / box %s", d);
    }
    snprintf(line, sizeof line, "Step %zu/%zu [%c] %s (%s)  %s%s", run_index(p->run) + 1,
             rb->nsteps, rb_phase_letter(s->phase), s->title, rb_step_type_name(s->type), t, box);
    put_line(f, line, theme_attr(run_overtime(p->run) ? THEME_WARN : THEME_TITLE) | A_BOLD);
    /* leave room below for the preview, state and output: the body yields first */
    int room = f->bottom - f->y - out_rows - 4;
    if (s->body != NULL && *s->body != '\0' && room > 0) {
        char *text = mask_secrets(p, run_text(p->run, s->body));
        struct wrap_put wp = {.f = f, .attr = theme_attr(THEME_NORMAL), .max = room};
        char *flowed = reflow(text);
        wrap_text(flowed, f->w, wrap_put_line, &wp);
        free(flowed);
        free(text);
    }
    room = f->bottom - f->y - out_rows - 3;
    if (s->ncode > 0 && room > 0) {
        draw_code(f, s, room);
    }
    draw_inputs(f, s);
    char *missing = NULL;
    /* prompts, decisions and approvals show their question above: no preview twice */
    bool asks = s->type == RB_PROMPT || s->type == RB_DECISION || s->type == RB_APPROVAL;
    char *preview = asks ? NULL : mask_secrets(p, run_preview(p->run, &missing));
    if (missing != NULL) {
        snprintf(line, sizeof line, "%s unset variable %s", screen_glyphs(p->utf8)->bad, missing);
        put_line(f, line, theme_attr(THEME_ERROR) | A_BOLD);
    } else if (preview != NULL) {
        snprintf(line, sizeof line, "will %s: %s",
                 s->type == RB_COMMAND || s->type == RB_WAIT ? "run" : "do", preview);
        put_wrapped(f, line, theme_attr(THEME_KEY) | A_BOLD, 3);
    }
    free(missing);
    free(preview);
}

static void rb_draw(void *self, WINDOW *win, const struct pane_view *view)
{
    struct rbpane *p = self;
    bool focused = view->focused;
    const struct glyphs *g = screen_glyphs(p->utf8);
    int h = getmaxy(win), w = getmaxx(win);
    werase(win);
    screen_box(win, g, theme_attr(focused ? THEME_BORDER_FOCUS : THEME_BORDER));
    const struct runbook *rb = run_runbook(p->run);
    enum run_state st = run_state(p->run);
    char title[400];
    snprintf(title, sizeof title, " %d Runbook: %s ", view->number,
             rb->title ? rb->title : rb->path);
    int x = 2 + screen_put(win, 0, 2, w - 4, title,
                           theme_attr(focused ? THEME_BORDER_FOCUS : THEME_TITLE) | A_BOLD, g);
    char right[160];
    snprintf(right, sizeof right, " %s ", state_name(st));
    int rw = utf8_width(right);
    if (w - 2 - x > rw) {
        unsigned sa = st == RUN_FAILED    ? THEME_ERROR
                      : st == RUN_BUSY    ? THEME_WARN
                      : st == RUN_DONE    ? THEME_OK
                      : st == RUN_ABORTED ? THEME_ERROR
                                          : THEME_TITLE;
        screen_put(win, 0, w - 2 - rw, rw, right, theme_attr(sa), g);
    }
    struct frame f = {.p = p, .win = win, .y = 1, .bottom = h - 2, .x = 2, .w = w - 4};
    if (f.bottom <= f.y || f.w < 8) {
        wnoutrefresh(win);
        p->dirty = false;
        return;
    }
    draw_phases(&f);
    const struct rb_step *s = run_step(p->run);
    int avail = f.bottom - f.y;
    /* the checklist takes at most a third: the current step matters more */
    int list_rows = (int)rb->nsteps;
    int cap = avail / 3 > 3 ? avail / 3 : 3;
    if (list_rows > cap) {
        list_rows = cap;
    }
    draw_checklist(&f, list_rows);
    if (f.y < f.bottom) {
        char sep[8];
        snprintf(sep, sizeof sep, "%s", g->h);
        struct strbuf sb = {0};
        for (int i = 0; i < f.w; i++) {
            strbuf_str(&sb, sep);
        }
        put_line(&f, sb.s, theme_attr(THEME_BORDER));
        free(sb.s);
    }
    size_t outlen = 0;
    run_output(p->run, &outlen);
    int out_rows = outlen > 0 ? (f.bottom - f.y) / 3 : 0;
    if (s != NULL) {
        draw_current(&f, s, out_rows);
    }
    draw_state(&f, s);
    if (outlen > 0 && f.bottom - f.y >= 2) {
        draw_output(&f, f.bottom - f.y);
    }
    /* the run id in the bottom border, where it has the whole width: :resume wants it */
    char foot[160];
    snprintf(foot, sizeof foot, " run %s ", run_id(p->run));
    screen_put(win, h - 1, 2, w - 4, foot, theme_attr(THEME_BORDER), g);
    screen_fill(win, h - 2, 2, w - 4, theme_attr(THEME_NORMAL));
    screen_put(win, h - 2, 2, w - 4, hint_for(p, s), theme_attr(THEME_KEY), g);
    wnoutrefresh(win);
    p->dirty = false;
}

/* ---- keys ---- */

static void say(struct rbpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

static void check(struct rbpane *p, bool ok, char **cause)
{
    p->dirty = true;
    pane_check(&p->host, ok, cause);
}

static void on_answer(void *self, const char *answer)
{
    struct rbpane *p = self;
    char *cause = NULL;
    check(p, run_input(p->run, answer, &cause), &cause);
}

static void on_jump(void *self, const char *answer)
{
    struct rbpane *p = self;
    const struct runbook *rb = run_runbook(p->run);
    char *end = NULL;
    long n = strtol(answer, &end, 10);
    const char *id = answer;
    if (end != answer && *end == '\0') {
        if (n < 1 || (size_t)n > rb->nsteps) {
            say(p, true, "no such step number");
            return;
        }
        id = rb->steps[n - 1].id;
    }
    char *cause = NULL;
    check(p, run_jump(p->run, id, &cause), &cause);
}

static void on_note(void *self, const char *answer)
{
    struct rbpane *p = self;
    if (answer[0] == '\0') {
        return;
    }
    char *cause = NULL;
    bool ok = run_note(p->run, answer, &cause);
    check(p, ok, &cause);
    if (ok) {
        say(p, false, "note added to the run's journal");
    }
}

static void on_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the step did not run");
        return;
    }
    char *cause = NULL;
    check(p, run_confirm(p->run, &cause), &cause);
}

static void on_rerun_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the step did not run");
        return;
    }
    char *cause = NULL;
    check(p, run_rerun(p->run, &cause), &cause);
}

/* Enter on an interrupted step: never straight away (it may have run partly). */
static void ask_rerun(struct rbpane *p, const struct rb_step *s)
{
    int pgid = 0;
    if (run_orphan(p->run, &pgid, NULL) != RUN_ORPHAN_NONE) {
        char *m = xasprintf("its processes (process group %d) are still running: w waits for "
                            "them, K stops them",
                            pgid);
        say(p, true, m);
        free(m);
        return;
    }
    char *missing = NULL;
    char *preview = mask_secrets(p, run_preview(p->run, &missing));
    free(missing);
    char *body = xasprintf("\"%s\" was in flight when the session ended: it may have run "
                           "partly, and its side effects may have happened already.%s%s\n\nRun "
                           "it again?",
                           s->title, preview != NULL ? "\n\n" : "", preview != NULL ? preview : "");
    p->host.ops->confirm(p->host.host, "Re-run interrupted step", body, "Re-run", NULL,
                         on_rerun_confirmed);
    free(body);
    free(preview);
}

static void on_code_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the code block did not run");
        return;
    }
    char *cause = NULL;
    check(p, run_code(p->run, p->code_sel, &cause), &cause);
}

static void on_overtime(void *self, bool yes)
{
    struct rbpane *p = self;
    if (yes) {
        char *cause = NULL;
        check(p, run_escalate(p->run, &cause), &cause);
    } else {
        run_dismiss_overtime(p->run);
    }
}

static void ask_input(struct rbpane *p, const struct rb_step *s)
{
    struct strbuf sb = {0};
    if (s->type == RB_APPROVAL) {
        strbuf_printf(&sb, "%s: name of the %s who approved", s->ask ? s->ask : s->title,
                      s->role ? s->role : "approver");
    } else {
        char *ask = run_text(p->run, s->ask ? s->ask : s->title);
        strbuf_str(&sb, ask);
        free(ask);
        if (s->nchoices > 0) {
            strbuf_str(&sb, " [");
            for (size_t i = 0; i < s->nchoices; i++) {
                strbuf_printf(&sb, "%s%s", i ? "/" : "", s->choices[i].label);
            }
            strbuf_str(&sb, "]");
        }
        if (s->default_value != NULL) {
            strbuf_printf(&sb, " (Enter: %s)", s->default_value);
        }
    }
    strbuf_str(&sb, ": ");
    p->host.ops->prompt(p->host.host, sb.s, "", s->secret, on_answer);
    free(sb.s);
}

static void do_enter(struct rbpane *p)
{
    const struct rb_step *s = run_step(p->run);
    enum run_state st = run_state(p->run);
    if (s == NULL || st == RUN_DONE || st == RUN_ABORTED) {
        say(p, false, "the run has ended (:close closes the pane)");
        return;
    }
    if (st == RUN_BUSY) {
        say(p, false, "the step is running: K or Ctrl-C stops it");
        return;
    }
    if (st == RUN_INTERRUPTED) {
        ask_rerun(p, s);
        return;
    }
    if ((s->type == RB_PROMPT || s->type == RB_APPROVAL) && st != RUN_INTERRUPTED) {
        ask_input(p, s);
        return;
    }
    if (s->type == RB_DECISION && st != RUN_INTERRUPTED) {
        say(p, false, "choose with 1-9");
        return;
    }
    if (s->type == RB_ACTION) {
        /* the same dialog as the action keys; the engine performs it through action_run */
        char *missing = NULL;
        char *target =
            s->target ? vars_expand(run_vars(p->run), s->target, VARS_TEXT, &missing) : NULL;
        char *input = s->input && missing == NULL
                          ? vars_expand(run_vars(p->run), s->input, VARS_TEXT, &missing)
                          : NULL;
        if (missing != NULL) {
            char *m = xasprintf("unset variable %s", missing);
            say(p, true, m);
            free(m);
        } else if (target != NULL) {
            p->host.ops->confirm_action(p->host.host, s->backend, s->pane, s->action, target, input,
                                        on_confirmed);
        }
        free(missing);
        free(target);
        free(input);
        return;
    }
    /* manual, command, wait, notify: the preview on screen is the confirmation */
    char *cause = NULL;
    check(p, run_confirm(p->run, &cause), &cause);
}

/* The pane's keys: id, keys, verb, help (tui/keymap.h). */
#define RB_KEYS(X)                                                                                 \
    X(RBK_ENTER, "Enter", "step-do",                                                               \
      "do the step: done, run the preview shown, answer (an action step asks first)")              \
    X(RBK_SKIP, "s", "step-skip", "skip the step (after an interruption: continue past it)")       \
    X(RBK_BACK, "b", "step-back", "back to the previous step")                                     \
    X(RBK_JUMP, "J", "step-jump", "jump to a step (id or number)")                                 \
    X(RBK_NOTE, "n", "note", "add a note to the run's journal")                                    \
    X(RBK_CHOOSE, "1-9", "choose", "choose in a decision")                                         \
    X(RBK_CODE_PREV, "[", "code-prev", "select the previous code block")                           \
    X(RBK_CODE_NEXT, "]", "code-next", "select the next code block")                               \
    X(RBK_COPY, "y", "code-copy", "copy the code block to the clipboard (OSC 52)")                 \
    X(RBK_RUN_CODE, "x", "code-run", "run the code block (asks first, shows the command)")         \
    X(RBK_STOP, "K", "stop", "stop the running command (not opsdeck), as Ctrl-C does")             \
    X(RBK_WAIT, "w", "orphan-wait",                                                                \
      "after kill -9: wait for its command's processes (K stops them)")                            \
    X(RBK_OUT_UP, "PgUp", "output-up", "scroll the command output up")                             \
    X(RBK_OUT_DOWN, "PgDn", "output-down", "scroll the command output down")

#define X_ENUM(id, keys, verb, help) id,
enum rb_key { RBK_NONE, RB_KEYS(X_ENUM) };
#undef X_ENUM

/* After a resume, Enter on an interrupted step asks before it runs again (ask_rerun). */
#define X_KEY(i, k, v, h) {.keys = k, .verb = v, .id = i, .help = h},
static const struct key_def rb_keys[] = {
    {.heading = "The runbook pane (the current step)"},
    RB_KEYS(X_KEY){0},
};
#undef X_KEY

static bool rb_key(void *self, wint_t ch, bool is_key)
{
    struct rbpane *p = self;
    const struct rb_step *s = run_step(p->run);
    char *cause = NULL;
    const struct key_def *k = key_find(rb_keys, p, ch, is_key);
    if (k == NULL) {
        return false;
    }
    switch ((enum rb_key)k->id) {
    case RBK_NONE:
        return false;
    case RBK_ENTER:
        do_enter(p);
        return true;
    case RBK_OUT_UP:
        p->out_scroll += p->h > 8 ? p->h / 3 : 3;
        p->dirty = true;
        return true;
    case RBK_OUT_DOWN:
        p->out_scroll -= p->h > 8 ? p->h / 3 : 3;
        if (p->out_scroll < 0) {
            p->out_scroll = 0;
        }
        p->dirty = true;
        return true;
    case RBK_SKIP:
        check(p, run_skip(p->run, &cause), &cause);
        return true;
    case RBK_BACK:
        check(p, run_back(p->run, &cause), &cause);
        return true;
    case RBK_JUMP:
        p->host.ops->prompt(p->host.host, "Jump to step (id or number): ", "", false, on_jump);
        return true;
    case RBK_NOTE:
        p->host.ops->prompt(p->host.host, "Note: ", "", false, on_note);
        return true;
    case RBK_STOP:
        if (run_state(p->run) != RUN_BUSY && run_orphan(p->run, NULL, NULL) != RUN_ORPHAN_NONE) {
            check(p, run_orphan_stop(p->run, &cause), &cause);
        } else {
            check(p, run_stop(p->run, &cause), &cause);
        }
        return true;
    case RBK_WAIT:
        if (run_orphan(p->run, NULL, NULL) == RUN_ORPHAN_NONE) {
            return false;
        }
        check(p, run_orphan_wait(p->run, &cause), &cause);
        return true;
    case RBK_CODE_PREV:
    case RBK_CODE_NEXT:
        if (s != NULL && s->ncode > 0) {
            if (k->id == RBK_CODE_PREV) {
                p->code_sel = p->code_sel > 0 ? p->code_sel - 1 : s->ncode - 1;
            } else {
                p->code_sel = (p->code_sel + 1) % s->ncode;
            }
            p->dirty = true;
        }
        return true;
    case RBK_COPY:
        if (s != NULL && p->code_sel < s->ncode) {
            p->host.ops->clipboard(p->host.host, s->code[p->code_sel]);
            char *m = xasprintf("code block %zu copied to the clipboard (OSC 52)", p->code_sel + 1);
            say(p, false, m);
            free(m);
        } else {
            say(p, true, "this step has no code block");
        }
        return true;
    case RBK_RUN_CODE:
        if (s != NULL && p->code_sel < s->ncode) {
            char *body = xasprintf("Run code block %zu with /bin/sh -c:\n\n%s", p->code_sel + 1,
                                   s->code[p->code_sel]);
            p->host.ops->confirm(p->host.host, "Run code block", body, "Run", NULL,
                                 on_code_confirmed);
            free(body);
        } else {
            say(p, true, "this step has no code block");
        }
        return true;
    case RBK_CHOOSE:
        if (s == NULL || s->type != RB_DECISION) {
            return false;
        }
        check(p, run_choose(p->run, (size_t)(ch - '1'), &cause), &cause);
        return true;
    }
    return false;
}

static void rb_resize(void *self, int h, int w)
{
    struct rbpane *p = self;
    p->h = h;
    p->w = w;
    p->dirty = true;
}

static bool rb_update(void *self, uint64_t now_ms)
{
    struct rbpane *p = self;
    if (p->warning != NULL) {
        say(p, true, p->warning); /* after the console's "started", so it is seen */
        free(p->warning);
        p->warning = NULL;
    }
    size_t idx = run_index(p->run);
    if (idx != p->shown_step) {
        p->shown_step = idx;
        p->code_sel = 0;
        p->out_scroll = 0;
        p->dirty = true;
    }
    enum run_orphan o = run_orphan(p->run, NULL, NULL);
    bool spins =
        run_state(p->run) == RUN_BUSY || o == RUN_ORPHAN_WAITING || o == RUN_ORPHAN_STOPPING;
    if (spins && now_ms / 1000 != p->last_tick / 1000) {
        p->dirty = true; /* elapsed time and the spinner */
    }
    p->last_tick = now_ms;
    if (run_overtime(p->run) && p->overtime_asked != idx + 1) {
        const struct rb_step *s = run_step(p->run);
        char d[24], body[200];
        duration_format2(d, sizeof d, s ? s->timebox_s : 0);
        snprintf(body, sizeof body,
                 "Step ran over its time box (%s). Escalate now?\n\nEscalate jumps to the next "
                 "Escalate step; No keeps going and does not ask again for this step.",
                 d);
        if (p->host.ops->confirm(p->host.host, "Time box", body, "Escalate", NULL, on_overtime)) {
            p->overtime_asked = idx + 1;
        }
        p->dirty = true;
    }
    return p->dirty;
}

static bool rb_interrupt(void *self)
{
    struct rbpane *p = self;
    if (run_state(p->run) != RUN_BUSY && run_orphan(p->run, NULL, NULL) == RUN_ORPHAN_WAITING) {
        char *cause = NULL;
        check(p, run_orphan_stop(p->run, &cause), &cause);
        return true;
    }
    if (run_state(p->run) != RUN_BUSY) {
        return false;
    }
    char *cause = NULL;
    check(p, run_stop(p->run, &cause), &cause);
    say(p, false, "stopping the command (Ctrl-C stops the step, not opsdeck)");
    return true;
}

static void rb_free(void *self)
{
    struct rbpane *p = self;
    run_destroy(p->run); /* never run_abort: the run stays resumable */
    free(p->warning);
    free(p);
}

static const char *rb_run_id(void *self)
{
    struct rbpane *p = self;
    return run_id(p->run);
}

static bool rb_ended(void *self)
{
    struct rbpane *p = self;
    return run_state(p->run) == RUN_DONE || run_state(p->run) == RUN_ABORTED;
}

static void on_abort_confirmed(void *self, bool yes)
{
    if (yes) {
        runbook_pane_abort(self);
    }
}

static void rb_abort(void *self)
{
    struct rbpane *p = self;
    char *body =
        xasprintf("End run %s for good? It will not be offered for resume.", run_id(p->run));
    p->host.ops->confirm(p->host.host, "Abort the run", body, "Abort", "abort", on_abort_confirmed);
    free(body);
}

const struct pane_ops runbook_pane = {
    .name = "runbook",
    .title = "Runbook",
    .keys = rb_keys,
    .draw = rb_draw,
    .key = rb_key,
    .resize = rb_resize,
    .update = rb_update,
    .interrupt = rb_interrupt,
    .free = rb_free,
    .noun = "run",
    .run_id = rb_run_id,
    .ended = rb_ended,
    .abort = rb_abort,
};

/* ---- life cycle ---- */

static void on_changed(struct run *r, void *ud)
{
    struct rbpane *p = ud;
    (void)r;
    p->dirty = true;
}

static struct rbpane *pane_new(const struct pane_host *host)
{
    struct rbpane *p = xcalloc(1, sizeof *p);
    p->host = *host;
    p->utf8 = screen_locale_utf8();
    p->dirty = true;
    p->shown_step = (size_t)-1;
    return p;
}

void *runbook_pane_start(const struct run_env *env, const char *file, const struct vars *initial,
                         const struct pane_host *host, char **cause)
{
    struct runbook *rb = runbook_load(file, cause);
    if (rb == NULL) {
        return NULL;
    }
    /* as line mode does: the alert's labels and --var count as set; run_start refuses issues */
    size_t n = initial != NULL ? initial->n : 0;
    const char **known = xcalloc(n + 1, sizeof *known);
    for (size_t i = 0; i < n; i++) {
        known[i] = initial->names[i];
    }
    /*
     * As line mode does: what only lint finds (a notify env var not set here,
     * a variable nothing sets yet) is a warning, not a refusal; that step
     * fails when it runs, with the same reason, and can be skipped. Problems
     * of parsing were already in rb->issues: run_start refuses those.
     */
    char *warning = NULL;
    if (rb->nissues == 0) {
        runbook_lint(rb, known);
        if (rb->nissues > 0) {
            warning = xasprintf("%s:%d: warning: %s%s", rb->path, rb->issues[0].line,
                                rb->issues[0].message,
                                rb->nissues > 1 ? " (and more: opsdeck lint lists them)" : "");
        }
        for (size_t i = 0; i < rb->nissues; i++) {
            free(rb->issues[i].message);
        }
        rb->nissues = 0;
    }
    free(known);
    struct rbpane *p = pane_new(host);
    struct run_hooks hooks = {.changed = on_changed, .ud = p};
    p->run = run_start(env, rb, initial, &hooks, cause);
    if (p->run == NULL) {
        free(warning);
        free(p);
        return NULL;
    }
    p->warning = warning;
    return p;
}

void *runbook_pane_resume(const struct run_env *env, const char *run_id,
                          const struct pane_host *host, char **cause)
{
    struct rbpane *p = pane_new(host);
    struct run_hooks hooks = {.changed = on_changed, .ud = p};
    p->run = run_resume(env, run_id, &hooks, cause);
    if (p->run == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

struct run *runbook_pane_run(void *self)
{
    return ((struct rbpane *)self)->run;
}

void runbook_pane_abort(void *self)
{
    struct rbpane *p = self;
    run_abort(p->run);
    p->dirty = true;
}
