/* The text viewer (viewer.h). */
#include "viewer.h"

#include "../common/util.h"
#include "theme.h"
#include "widgets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VIEWER_MAX_LABEL = 24 };

int viewer_window_width(int cols)
{
    int w = cols - 8;
    return w > 110 ? 110 : w;
}

int viewer_text_width(int cols)
{
    int w = viewer_window_width(cols) - 4;
    return w > 1 ? w : 1;
}

void viewer_open(struct viewer *v, const char *title)
{
    memset(v, 0, sizeof *v);
    v->title = xstrdup(title);
}

void viewer_add(struct viewer *v, const char *fmt, ...)
{
    if (v->nlines == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 32;
        v->lines = xreallocarray(v->lines, v->cap, sizeof *v->lines);
    }
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    if (strchr(line, '\t') != NULL) {
        if (v->nfields == 0) {
            v->sel = v->nlines; /* the first field starts selected */
        }
        v->nfields++;
    }
    v->lines[v->nlines++] = line;
    v->rows = v->nlines;
}

void viewer_close(struct viewer *v)
{
    for (size_t i = 0; i < v->nlines; i++) {
        free(v->lines[i]);
    }
    free(v->lines);
    free(v->title);
    memset(v, 0, sizeof *v);
}

/* Rows of text from row y, skip and max as viewer_line_rows says; returns the count. */
static int put_wrapped(const char *text, int width, WINDOW *win, int y, int x, int skip, int max,
                       unsigned attr, const struct glyphs *g)
{
    int row = 0;
    for (const char *p = text;;) {
        size_t shown;
        size_t n = utf8_wrap_next(p, width, &shown);
        if (win != NULL && row >= skip && row - skip < max) {
            char *part = xstrndup(p, shown);
            screen_put(win, y + row - skip, x, width, part, attr, g);
            free(part);
        }
        row++;
        p += n;
        if (*p == '\0') {
            return row;
        }
        p += *p == '\n';
    }
}

int viewer_line_rows(const struct viewer *v, size_t i, int width, int labw, WINDOW *win, int y,
                     int x, int skip, int max, unsigned attr, const struct glyphs *g)
{
    const char *line = v->lines[i];
    const char *tab = strchr(line, '\t');
    if (tab == NULL || labw + 1 >= width - 8) {
        return put_wrapped(line, width, win, y, x, skip, max, attr, g);
    }
    if (win != NULL && skip == 0 && max > 0) {
        char *label = xstrndup(line, (size_t)(tab - line));
        screen_put(win, y, x, labw, label, attr | A_BOLD, g);
        free(label);
    }
    return put_wrapped(tab + 1, width - labw - 1, win, y, x + labw + 1, skip, max, attr, g);
}

static int label_width(const struct viewer *v)
{
    int w = 0;
    for (size_t i = 0; i < v->nlines; i++) {
        const char *tab = strchr(v->lines[i], '\t');
        if (tab != NULL) {
            char *label = xstrndup(v->lines[i], (size_t)(tab - v->lines[i]));
            int lw = utf8_width(label);
            free(label);
            w = lw > w ? lw : w;
        }
    }
    return w < VIEWER_MAX_LABEL ? w : VIEWER_MAX_LABEL;
}

static void clamp_top(struct viewer *v)
{
    size_t max = v->rows > (size_t)v->shown ? v->rows - (size_t)v->shown : 0;
    if (v->top > max) {
        v->top = max;
    }
}

/* j/k move the selected line among the lines (fields) */
static void move_selection(struct viewer *v, long delta)
{
    long sel = (long)v->sel + delta;
    if (sel < 0) {
        sel = 0;
    }
    if (sel >= (long)v->nlines) {
        sel = (long)v->nlines - 1;
    }
    v->sel = (size_t)sel;
}

bool viewer_key(struct viewer *v, wint_t ch, bool is_key, int page)
{
    if ((is_key && ch == KEY_ENTER) ||
        (!is_key && (ch == 27 || ch == 'q' || ch == '\r' || ch == '\n' || ch == '?'))) {
        return false;
    }
    long delta = 0;
    if (!is_key && ch == ' ') {
        delta = page; /* space pages text; in tables it is left free for marking rows */
    } else if (!widgets_move_key(ch, is_key, page, (long)v->rows, &delta)) {
        return true;
    }
    if (v->nfields > 0) {
        move_selection(v, delta); /* the draw scrolls to it */
        return true;
    }
    long top = (long)v->top + delta;
    v->top = top < 0 ? 0 : (size_t)top;
    clamp_top(v);
    return true;
}

WINDOW *viewer_draw(struct viewer *v, WINDOW *old, int y, int x, int h, int w,
                    const struct glyphs *g)
{
    WINDOW *win = widgets_framed(old, h, w, y, x, v->title, g);
    if (win == NULL) {
        return NULL;
    }
    unsigned base = theme_attr(THEME_DIALOG), sel = theme_attr(THEME_SELECTED);
    int width = w - 4, labw = label_width(v);
    v->width = width;
    v->shown = h - 2 > 1 ? h - 2 : 1;
    size_t rows = 0, sel_first = 0, sel_rows = 0;
    for (size_t i = 0; i < v->nlines; i++) {
        int n = viewer_line_rows(v, i, width, labw, NULL, 0, 0, 0, 0, 0, g);
        if (i == v->sel) {
            sel_first = rows;
            sel_rows = (size_t)n;
        }
        rows += (size_t)n;
    }
    v->rows = rows;
    if (v->nfields > 0) {
        /* the selected line in view, its first row first */
        if (sel_first < v->top || sel_rows > (size_t)v->shown) {
            v->top = sel_first;
        } else if (sel_first + sel_rows > v->top + (size_t)v->shown) {
            v->top = sel_first + sel_rows - (size_t)v->shown;
        }
    }
    clamp_top(v);
    size_t row = 0;
    for (size_t i = 0; i < v->nlines && row < v->top + (size_t)v->shown; i++) {
        int n = viewer_line_rows(v, i, width, labw, NULL, 0, 0, 0, 0, 0, g);
        if (row + (size_t)n > v->top) {
            int skip = row < v->top ? (int)(v->top - row) : 0;
            int at = 1 + (int)(row + (size_t)skip - v->top);
            bool selected = v->nfields > 0 && i == v->sel;
            int draw = v->shown - (at - 1);
            if (selected) {
                for (int r = 0; r < n - skip && r < draw; r++) {
                    screen_fill(win, at + r, 1, w - 2, sel);
                }
            }
            viewer_line_rows(v, i, width, labw, win, at, 2, skip, draw, selected ? sel : base, g);
        }
        row += (size_t)n;
    }
    char foot[80];
    size_t last = v->top + (size_t)v->shown < v->rows ? v->top + (size_t)v->shown : v->rows;
    snprintf(foot, sizeof foot, " %zu-%zu/%zu  j/k %s  y copy  Esc close ",
             v->rows ? v->top + 1 : 0, last, v->rows, v->nfields > 0 ? "move" : "scroll");
    screen_put_right(win, h - 1, 2, w - 4, foot, base, g);
    return win;
}

char *viewer_copy_text(const struct viewer *v, char **what)
{
    if (v->nfields == 0 || v->sel >= v->nlines) {
        struct strbuf sb = {0};
        for (size_t i = 0; i < v->nlines; i++) {
            strbuf_printf(&sb, "%s%s", v->lines[i], i + 1 < v->nlines ? "\n" : "");
        }
        *what = xstrdup(v->title);
        return sb.s != NULL ? sb.s : xstrdup("");
    }
    const char *line = v->lines[v->sel];
    const char *tab = strchr(line, '\t');
    if (tab == NULL) {
        *what = xstrdup("the line");
        return xstrdup(line);
    }
    *what = xstrndup(line, (size_t)(tab - line));
    return xstrdup(tab + 1);
}
