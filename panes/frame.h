/*
 * Drawing text down a pane's window, shared by the panes that are not tables
 * (the runbook and drill panes): a frame is the rows left between the top and
 * a bottom, and text goes on them one line at a time, or word-wrapped.
 *
 * Markdown keeps a paragraph's source line breaks; on screen a paragraph
 * flows to the width (frame_reflow), a break staying where the next line
 * starts a block the caller names (a list item, a quote, a blank line).
 */
#ifndef OPSDECK_FRAME_H
#define OPSDECK_FRAME_H

#include "../tui/screen.h"

#include <stdbool.h>

struct frame {
    WINDOW *win;
    int y;      /* next row to draw */
    int bottom; /* first row not available */
    int x, w;   /* inner column and width */
    const struct glyphs *gl;
};

/* One line (cut to the width) on the next row, if there is one left. */
void frame_put(struct frame *f, const char *text, unsigned attr);
/* Word-wrapped onto at most max rows; a '\n' is a hard break; skip_blank: no empty rows. */
void frame_put_wrapped(struct frame *f, const char *text, unsigned attr, int max, bool skip_blank);
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
