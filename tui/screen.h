/*
 * Terminal setup and teardown, glyphs (UTF-8 or ASCII), boxes, and the pieces
 * of drawing every widget shares. Only tui/ and panes/ include curses.
 */
#ifndef OPSDECK_SCREEN_H
#define OPSDECK_SCREEN_H

#include "theme.h"

#include <curses.h>
#include <stdbool.h>

struct glyphs {
    const char *h, *v, *tl, *tr, *bl, *br; /* box drawing */
    const char *ellipsis;
    const char *up, *down;    /* sort direction */
    const char *ok, *bad;     /* action results */
    const char *sep;          /* status bar separator */
    const char *mark;         /* selected-row marker when the pane is not focused */
    const char *marked;       /* gutter of a row marked for a bulk action */
    const char *left, *right; /* more of a table to that side (h/l scroll) */
    /* burn-rate lights (Signals' BURN): a pair lit (page or ticket), ok, no data */
    const char *lit, *unlit, *nodata;
    bool ascii; /* ASCII mode (LANG=C): sparklines and lights in ASCII too */
};

/* Decide UTF-8 from the locale (call after setlocale). */
bool screen_locale_utf8(void);
const struct glyphs *screen_glyphs(bool utf8);

/*
 * initscr with our settings: cbreak, noecho, nonl, keypad, nodelay, no cursor,
 * ESCDELAY 25 ms unless the environment sets it. false with *cause when the
 * terminal cannot be used (not a tty, unknown TERM).
 */
bool screen_init(char **cause);
/* endwin(); safe to call more than once and from exit paths. */
void screen_finish(void);
/* Read the real size (TIOCGWINSZ) and tell curses; true if it changed. */
bool screen_resize(void);

/* Draw a box with an optional title (already clipped by the caller). */
void screen_box(WINDOW *w, const struct glyphs *g, unsigned attr);
/* Print text at y,x clipped to width cells; returns cells used. */
int screen_put(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
               const struct glyphs *g);
/* Same, keeping the end of the text when it does not fit. */
int screen_put_tail(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
                    const struct glyphs *g);
/* Same, right-aligned inside width. */
int screen_put_right(WINDOW *w, int y, int x, int width, const char *text, unsigned attr,
                     const struct glyphs *g);
/* Fill width cells at y,x with spaces in attr. */
void screen_fill(WINDOW *w, int y, int x, int width, unsigned attr);

#endif
