/*
 * The projector (projector.h). Top to bottom:
 *   the head line     what it is (label and title) and its state
 *   the big clock     digits 3x5 cells of a font, each cell scaled to
 *                     sx columns by sy rows (sx = 2 sy: a terminal cell is
 *                     about twice as tall as it is wide), the largest that
 *                     fits the width and half the height; when not even
 *                     the smallest fits, the clock in plain text
 *   what happens now  a run: phase, step, time box, progress; a drill: the
 *                     last inject, its deadlines, the next one, the score
 *   the foot          "q leave"
 * Rows run out from the bottom up: the inject's text gives way first.
 */
#include "projector.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FONT_H = 5, INFO_MIN = 7 };

/* 3x5 digits and a 1x5 colon, '#' where the cell is lit. */
static const char *const font[11][FONT_H] = {
    {"###", "# #", "# #", "# #", "###"}, {" # ", "## ", " # ", " # ", "###"},
    {"###", "  #", "###", "#  ", "###"}, {"###", "  #", "###", "  #", "###"},
    {"# #", "# #", "###", "  #", "  #"}, {"###", "#  ", "###", "  #", "###"},
    {"###", "#  ", "###", "# #", "###"}, {"###", "  #", "  #", "  #", "  #"},
    {"###", "# #", "###", "# #", "###"}, {"###", "# #", "###", "  #", "###"},
    {" ", "#", " ", "#", " "},
};

static const char *const *glyph(char c)
{
    if (c >= '0' && c <= '9') {
        return font[c - '0'];
    }
    return c == ':' ? font[10] : NULL;
}

/* Font cells across text, gaps of one cell between characters. */
static int text_cells(const char *text)
{
    int n = 0;
    for (const char *c = text; *c != '\0'; c++) {
        const char *const *g = glyph(*c);
        n += (g != NULL ? (int)strlen(g[0]) : 0) + (c[1] != '\0');
    }
    return n;
}

int projector_scale(const char *text, int w, int h)
{
    int cells = text_cells(text);
    for (int sy = h / FONT_H; sy >= 1; sy--) {
        if (cells * 2 * sy <= w) {
            return sy;
        }
    }
    return 0;
}

/* Draw text big at row y, centred in width w; returns the rows used. */
static int draw_big(WINDOW *win, int y, int w, const char *text, int sy, int sx, bool utf8,
                    unsigned attr)
{
    const char *lit = utf8 ? "█" : "#";
    int x = (w - text_cells(text) * sx) / 2;
    wattrset(win, (int)attr);
    for (const char *c = text; *c != '\0'; c++) {
        const char *const *g = glyph(*c);
        if (g == NULL) {
            continue;
        }
        int gw = (int)strlen(g[0]);
        for (int r = 0; r < FONT_H; r++) {
            for (int col = 0; col < gw; col++) {
                if (g[r][col] != '#') {
                    continue;
                }
                for (int dy = 0; dy < sy; dy++) {
                    for (int dx = 0; dx < sx; dx++) {
                        mvwaddstr(win, y + r * sy + dy, x + col * sx + dx, lit);
                    }
                }
            }
        }
        x += (gw + 1) * sx;
    }
    wattrset(win, A_NORMAL);
    return FONT_H * sy;
}

/* The clock, as large as max_rows allow; returns the rows used. */
static int draw_clock(WINDOW *win, int y, int w, int max_rows, const char *text, bool utf8,
                      unsigned attr, const struct glyphs *gl)
{
    int sy = projector_scale(text, w - 2, max_rows);
    if (sy > 0) {
        return draw_big(win, y, w, text, sy, 2 * sy, utf8, attr);
    }
    if (max_rows >= FONT_H && text_cells(text) <= w - 2) {
        return draw_big(win, y, w, text, 1, 1, utf8, attr);
    }
    int tw = utf8_width(text);
    screen_put(win, y, (w - tw) / 2, w, text, attr | A_BOLD, gl);
    return 1;
}

/* "12:34", or "1:02:03" past an hour. */
static void clock_digits(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000;
    if (s >= 3600) {
        snprintf(buf, len, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
                 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    } else {
        snprintf(buf, len, "%02llu:%02llu", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    }
}

/* A countdown: shows 0:00 only once it is due. */
static void mmss(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = (ms + 999) / 1000;
    snprintf(buf, len, "%llu:%02llu", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
}

static void head(WINDOW *win, int w, const char *left, const char *right, const struct glyphs *gl)
{
    screen_fill(win, 0, 0, w, theme_attr(THEME_HEADER));
    int rw = utf8_width(right);
    screen_put(win, 0, 1, w - rw - 3, left, theme_attr(THEME_HEADER) | A_BOLD, gl);
    screen_put(win, 0, w - rw - 1, rw, right, theme_attr(THEME_HEADER) | A_BOLD, gl);
}

static void foot(WINDOW *win, int h, int w, const struct glyphs *gl)
{
    screen_put_right(win, h - 1, 0, w - 1, "q leave", theme_attr(THEME_MUTED), gl);
}

/* ---- a runbook run ---- */

static void draw_run(WINDOW *win, int h, int w, const struct runview *v, bool utf8)
{
    const struct glyphs *gl = screen_glyphs(utf8);
    const struct runbook *rb = runview_runbook(v);
    const struct rb_step *s = runview_step(v);
    enum run_state st = runview_state(v);
    char left[512], buf[512];
    snprintf(left, sizeof left, "RUN  %s", rb->title != NULL ? rb->title : "");
    head(win, w, left, run_state_name(st), gl);

    uint64_t ph[RB_PHASES], total = 0;
    runview_phase_ms(v, ph);
    for (int i = 0; i < RB_PHASES; i++) {
        total += ph[i];
    }
    char clk[32];
    clock_digits(clk, sizeof clk, total);
    int y = 2;
    y += draw_clock(win, y, w, (h - 3 - INFO_MIN) < h / 2 ? h - 3 - INFO_MIN : h / 2, clk, utf8,
                    theme_attr(THEME_TITLE) | A_BOLD, gl);
    y++;
    struct frame f = {.win = win, .y = y, .bottom = h - 1, .x = 2, .w = w - 4, .gl = gl};

    /* S.A.F.E.: the current phase lit */
    int x = 2;
    for (int p = 0; p < RB_PHASES && f.y < f.bottom; p++) {
        bool cur = s != NULL && (int)s->phase == p;
        snprintf(buf, sizeof buf, cur ? " %c %s " : " %c ", rb_phase_letter((enum rb_phase)p),
                 rb_phase_name((enum rb_phase)p));
        x += screen_put(win, f.y, x, w - x - 2, buf,
                        cur ? theme_attr(THEME_SELECTED) | A_BOLD : theme_attr(THEME_MUTED), gl) +
             1;
    }
    f.y++;

    size_t done = 0;
    for (size_t i = 0; i < rb->nsteps; i++) {
        enum run_mark m = runview_mark(v, i);
        done += m == RUN_MARK_DONE || m == RUN_MARK_SKIPPED;
    }
    if (s != NULL) {
        snprintf(buf, sizeof buf, "Step %zu/%zu: %s", runview_index(v) + 1, rb->nsteps, s->title);
        frame_put_wrapped(&f, buf, theme_attr(THEME_NORMAL) | A_BOLD, 2, true);
        const char *m = runview_message(v);
        snprintf(buf, sizeof buf, "%s%s%s", run_state_name(st), m != NULL ? ": " : "",
                 m != NULL ? m : "");
        frame_put(&f, buf,
                  st == RUN_FAILED ? theme_attr(THEME_ERROR) | A_BOLD : theme_attr(THEME_INFO));
        if (s->timebox_s > 0) {
            uint64_t box = (uint64_t)s->timebox_s * 1000, el = runview_step_elapsed_ms(v);
            char t[32];
            mmss(t, sizeof t, el <= box ? box - el : el - box);
            snprintf(buf, sizeof buf, el <= box ? "time box: %s left" : "OVER its time box by %s",
                     t);
            frame_put(&f, buf,
                      el <= box ? theme_attr(THEME_NORMAL) : theme_attr(THEME_CRIT) | A_BOLD);
        }
    } else {
        frame_put(&f, st == RUN_DONE ? "The run is done." : "The run has ended.",
                  theme_attr(THEME_OK) | A_BOLD);
    }
    snprintf(buf, sizeof buf, "done %zu/%zu", done, rb->nsteps);
    frame_put(&f, buf, theme_attr(THEME_MUTED));
}

/* ---- a drill ---- */

/* The last inject that fired: the latest fired time, the later one in the drill on a tie. */
static int last_fired(const struct drillview *v)
{
    const struct drill *d = drillview_drill(v);
    int best = -1;
    for (size_t i = 0; i < d->ninjects; i++) {
        if (drillview_inject_state(v, i) == INJECT_FIRED &&
            (best < 0 ||
             drillview_inject_fired_ms(v, i) >= drillview_inject_fired_ms(v, (size_t)best))) {
            best = (int)i;
        }
    }
    return best;
}

static int next_due(const struct drillview *v)
{
    const struct drill *d = drillview_drill(v);
    for (size_t i = 0; i < d->ninjects; i++) {
        if (d->injects[i].at_s >= 0 && drillview_inject_state(v, i) == INJECT_PENDING) {
            return (int)i;
        }
    }
    return -1;
}

static void draw_expects(struct frame *f, const struct drillview *v, size_t i, uint64_t now)
{
    const struct drill_inject *in = &drillview_drill(v)->injects[i];
    for (size_t e = 0; e < in->nexpects && f->y < f->bottom - 1; e++) {
        enum expect_state es = drillview_expect_state(v, i, e);
        char st[48], line[600];
        uint64_t due = drillview_inject_fired_ms(v, i) + (uint64_t)in->expects[e].deadline_s * 1000;
        if (es == EXPECT_PENDING) {
            char t[24];
            mmss(t, sizeof t, due > now ? due - now : 0);
            snprintf(st, sizeof st, "%s left", t);
        } else {
            snprintf(st, sizeof st, "%s",
                     es == EXPECT_MET    ? "met"
                     : es == EXPECT_LATE ? "late"
                                         : "MISSED");
        }
        const char *text = in->expects[e].text;
        char unnamed[48];
        if (text == NULL || *text == '\0') {
            snprintf(unnamed, sizeof unnamed, "expectation %zu", e + 1);
            text = unnamed;
        }
        snprintf(line, sizeof line, "%-10s %s", st, text);
        frame_put(f, line,
                  es == EXPECT_MISSED  ? theme_attr(THEME_CRIT) | A_BOLD
                  : es == EXPECT_MET   ? theme_attr(THEME_OK)
                  : es == EXPECT_LATE  ? theme_attr(THEME_WARN)
                  : due <= now + 60000 ? theme_attr(THEME_WARN) | A_BOLD
                                       : theme_attr(THEME_NORMAL) | A_BOLD);
    }
}

static void draw_drill(WINDOW *win, int h, int w, const struct projector_src *src, bool utf8)
{
    const struct glyphs *gl = screen_glyphs(utf8);
    const struct drillview *v = src->drill;
    const struct drill *d = drillview_drill(v);
    uint64_t now = drillview_clock_ms(v);
    char left[512], right[128], buf[1024];
    snprintf(left, sizeof left, "%s %s", d->label != NULL ? d->label : "[DRILL]",
             d->title != NULL ? d->title : "");
    char dur[32];
    clock_digits(dur, sizeof dur, (uint64_t)d->duration_s * 1000);
    snprintf(right, sizeof right, "%s  of %s", drillview_state_name(drillview_state(v)), dur);
    head(win, w, left, right, gl);

    char clk[40];
    clock_digits(clk, sizeof clk, now);
    int y = 2;
    screen_put(win, y, 2, 3, "T+", theme_attr(THEME_MUTED) | A_BOLD, gl);
    y += draw_clock(win, y, w, (h - 3 - INFO_MIN) < h / 2 ? h - 3 - INFO_MIN : h / 2, clk, utf8,
                    theme_attr(THEME_TITLE) | A_BOLD, gl);
    y++;
    struct frame f = {.win = win, .y = y, .bottom = h - 1, .x = 2, .w = w - 4, .gl = gl};
    /* the lines under the inject's text, kept: next, score */
    int tail = (src->show_next && next_due(v) >= 0) + src->show_score;
    int li = last_fired(v);
    if (li >= 0) {
        const struct drill_inject *in = &d->injects[li];
        char t[24];
        clock_digits(t, sizeof t, drillview_inject_fired_ms(v, (size_t)li));
        snprintf(buf, sizeof buf, "T+%s %s [%s]", t, in->title != NULL ? in->title : in->id,
                 in->channel != NULL ? in->channel : "announce");
        frame_put_wrapped(&f, buf, theme_attr(THEME_WARN) | A_BOLD, 2, true);
        int room = f.bottom - f.y - tail - (int)in->nexpects;
        if (in->text != NULL && room > 0) {
            drill_text_put(&f, in->text, theme_attr(THEME_NORMAL), room); /* code as written */
        }
        draw_expects(&f, v, (size_t)li, now);
    } else {
        frame_put(&f, "No inject yet.", theme_attr(THEME_MUTED));
    }
    f.bottom = h - 1;
    int nd = next_due(v);
    if (src->show_next && nd >= 0) {
        uint64_t at = (uint64_t)d->injects[nd].at_s * 1000;
        char t[24];
        mmss(t, sizeof t, at > now ? at - now : 0);
        snprintf(buf, sizeof buf, "next inject in %s", t); /* not what: the room reads it */
        frame_put(&f, buf, theme_attr(THEME_INFO));
    }
    if (src->show_score) {
        int max = 0, score = drillview_score(v, &max);
        snprintf(buf, sizeof buf, "score %d/%d", score, max);
        frame_put(&f, buf, theme_attr(THEME_OK) | A_BOLD);
    }
}

void projector_draw(WINDOW *w, const struct projector_src *src, bool utf8)
{
    werase(w);
    int h = getmaxy(w), wd = getmaxx(w);
    const struct glyphs *gl = screen_glyphs(utf8);
    if (src != NULL && src->run != NULL) {
        draw_run(w, h, wd, src->run, utf8);
    } else if (src != NULL && src->drill != NULL && drillview_drill(src->drill) != NULL) {
        draw_drill(w, h, wd, src, utf8);
    } else {
        screen_put(w, h / 2, 2, wd - 4, "Nothing to project: no run or drill is open.",
                   theme_attr(THEME_MUTED), gl);
    }
    foot(w, h, wd, gl);
    wnoutrefresh(w);
}
