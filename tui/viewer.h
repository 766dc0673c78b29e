/*
 * The text viewer (detail view, help, reports, peeked messages): a window of
 * lines that shows every line whole, wrapped to its width (a long URL breaks
 * inside, every byte kept), and scrolls.
 *
 * A line "LABEL\tVALUE" is a field: labels line up in a column, the value
 * wraps beside it with a hanging indent. A viewer with fields has a
 * selected line (j/k move it, the view follows), and viewer_copy_text()
 * gives the selected field's value for y; without fields it gives the
 * whole text.
 */
#ifndef OPSDECK_VIEWER_H
#define OPSDECK_VIEWER_H

#include "screen.h"

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

struct viewer {
    char *title;
    char **lines;
    size_t nlines, cap;
    size_t top; /* first row shown (wrapped rows) */
    size_t sel; /* the selected line, when there are fields */
    size_t nfields;
    size_t rows; /* wrapped rows at the last draw (before the first: nlines) */
    int width;   /* the text's width at the last draw */
    int shown;   /* rows the window shows */
};

/* The console's viewer on a screen cols wide: its window's width, and its text's. */
int viewer_window_width(int cols);
int viewer_text_width(int cols);

void viewer_open(struct viewer *v, const char *title);
void viewer_add(struct viewer *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void viewer_close(struct viewer *v);
/* true while open; false when the key closes it (Esc, q, Enter, ?). */
bool viewer_key(struct viewer *v, wint_t ch, bool is_key, int page);
WINDOW *viewer_draw(struct viewer *v, WINDOW *old, int y, int x, int h, int w,
                    const struct glyphs *g);
/*
 * What y copies (the caller frees): the selected field's value, or the
 * selected line; with no fields, every line. *what names it ("runbook_url").
 */
char *viewer_copy_text(const struct viewer *v, char **what);
/*
 * The rows of line i at width (a field: label column labw), drawn from
 * window row y when win is not NULL, skipping the first skip rows and
 * drawing at most max. Returns the line's row count. Exposed for tests.
 */
int viewer_line_rows(const struct viewer *v, size_t i, int width, int labw, WINDOW *win, int y,
                     int x, int skip, int max, unsigned attr, const struct glyphs *g);

#endif
