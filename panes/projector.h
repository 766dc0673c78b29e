/*
 * The projector: a run or a drill drawn for the room's big screen, read from
 * across a room. It draws a whole window from a view (engine/runview.h,
 * engine/drillview.h) and takes no keys (its host leaves on q):
 *   a runbook run   the run's clock in big digits (time spent in its steps),
 *                   the S.A.F.E. phase, the current step's title and state,
 *                   its time box counting down (or how far over), done/total
 *   a drill         the drill clock (T+) in big digits, the state, the last
 *                   fired inject's title and text, its expectations' deadlines
 *                   counting down, and, for whom may know them, the next
 *                   inject's countdown and the score
 * Big digits are block characters (UTF-8) or '#' (ASCII), scaled to what the
 * window holds: readable at 80x24, larger on a large screen. Texts from
 * outside go through the console's cell filter (screen_put). No curses
 * outside the window given, no I/O, no state: the caller redraws it every
 * second and whenever the view changed.
 */
#ifndef OPSDECK_PROJECTOR_H
#define OPSDECK_PROJECTOR_H

#include "../engine/drillview.h"
#include "../engine/runview.h"
#include "../tui/screen.h"

#include <stdbool.h>

struct projector_src {
    const struct runview *run;     /* a runbook run, or */
    const struct drillview *drill; /* a drill (its document is drillview_drill) */
    bool show_score;               /* the viewer may see the score (the driver) */
    bool show_next;                /* ... and when the next inject is due */
};

/* werase w and draw src on all of it (nothing to show: says so); wnoutrefresh. */
void projector_draw(WINDOW *w, const struct projector_src *src, bool utf8);

/* The big digits' size for a clock text in a window of w columns and h rows (tests). */
int projector_scale(const char *text, int w, int h);

#endif
