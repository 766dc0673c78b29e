/*
 * Drawing text down a pane's window, shared by the panes that are not tables
 * (the runbook and drill panes): a frame is the rows left between the top and
 * a bottom, and text goes on them one line at a time, or word-wrapped.
 *
 * Markdown keeps a paragraph's source line breaks; on screen a paragraph
 * flows to the width (frame_reflow), a break staying where the next line
 * starts a block the caller names (a list item, a quote, a blank line).
 *
 * A frame may also collect instead of draw (frame_collect): the same calls
 * then append lines to a list, which the caller lays out (how many rows the
 * text needs) and draws a window of (frame_draw_lines), so a text longer
 * than its room scrolls and loses no line. Text is never cut at the width:
 * frame_put_wrapped and frame_put_text wrap, breaking a word longer than the
 * width, and frame_put_text lays Markdown tables ("| a | b |" rows, a
 * "|---|" line under the head) out in aligned columns wrapped to the width.
 */
#ifndef OPSDECK_FRAME_H
#define OPSDECK_FRAME_H

#include "../tui/screen.h"

#include <stdbool.h>

struct frame_line {
    char *text;
    unsigned attr;
};

/* Lines collected by a frame (frame_collect). */
struct frame_lines {
    struct frame_line *v;
    size_t n, cap;
};

struct frame {
    WINDOW *win;
    int y;      /* next row to draw */
    int bottom; /* first row not available */
    int x, w;   /* inner column and width */
    const struct glyphs *gl;
    struct frame_lines *collect; /* not NULL: lines go there, not on the window */
};

/* A frame of width w that appends to lines (no window, no bottom). */
struct frame frame_collect(struct frame_lines *lines, int w, const struct glyphs *gl);
/* Draw at most rows lines from index first on f's next rows. */
void frame_draw_lines(struct frame *f, const struct frame_lines *lines, size_t first, int rows);
void frame_lines_free(struct frame_lines *lines); /* empties it; the struct stays usable */
/*
 * Text with paragraphs (frame_reflow with keep) and Markdown tables: wrapped
 * to the width, tables in aligned columns, their head in attr | A_BOLD.
 */
void frame_put_text(struct frame *f, const char *text, unsigned attr, const char *keep);

/*
 * An inject's or a step's text with fenced code blocks (```): prose flows as
 * frame_put_wrapped, code lines are drawn as written (frame_put_hard); at
 * most max rows (panes/drill_extra.c).
 */
void drill_text_put(struct frame *f, const char *text, unsigned attr, int max);

/* One line (cut to the width) on the next row, if there is one left. */
void frame_put(struct frame *f, const char *text, unsigned attr);
/* Word-wrapped onto at most max rows; a '\n' is a hard break; skip_blank: no empty rows. */
void frame_put_wrapped(struct frame *f, const char *text, unsigned attr, int max, bool skip_blank);
/* One line broken at the width, blanks kept (code, output); next lines indented by indent. */
void frame_put_hard(struct frame *f, const char *text, unsigned attr, int indent);
/* A rule across the frame. */
void frame_rule(struct frame *f, unsigned attr);

/*
 * Word-wrap text to width cells (at least 4); fn gets each line (a
 * NUL-terminated copy), an empty one for an empty line unless skip_blank.
 * Returns how many lines it gave.
 */
int frame_wrap(const char *text, int width, bool skip_blank, void (*fn)(const char *line, void *ud),
               void *ud);
/*
 * Paragraphs flow: a newline becomes a blank unless the next line is empty
 * or starts with one of keep, or it follows an empty line. Caller frees.
 */
char *frame_reflow(const char *text, const char *keep);

#endif
