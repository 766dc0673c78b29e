/*
 * Where everything goes on the screen, from the number of slots: a pure
 * function of the terminal's size and the console's state, so it is tested
 * without a terminal.
 *
 * The screen is a title bar, the panes and a status bar. The panes are laid
 * out in one of three ways:
 *   grid       every slot at once, in a grid that re-flows with the number
 *              of slots (1, 2x1, 2x2, 3x2, ...; a short last row stretches);
 *              with a run open the grid keeps the left 55% and the side
 *              pane takes the right, full height. Zoomed, the focused pane
 *              fills the area.
 *   tabs       a tab bar under the title and the focused pane under it,
 *              when the terminal is smaller than the grid needs.
 *   too small  below LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS: nothing but a notice.
 * The grid needs LAYOUT_CELL_COLS columns and LAYOUT_CELL_ROWS rows per
 * cell, plus the two bars: 120x30 for the 2x2 of four slots.
 */
#ifndef OPSDECK_LAYOUT_H
#define OPSDECK_LAYOUT_H

#include <stdbool.h>

enum {
    LAYOUT_MAX_SLOTS = 9, /* focused with the digits 1-9, the side slot included */
    LAYOUT_MIN_COLS = 60,
    LAYOUT_MIN_ROWS = 15,
    LAYOUT_CELL_COLS = 60,
    LAYOUT_CELL_ROWS = 14,
};

enum layout_kind { LAYOUT_GRID, LAYOUT_TABS, LAYOUT_TOO_SMALL };

/* A rectangle of the screen; h == 0: not shown. */
struct rect {
    int y, x, h, w;
};

struct layout_req {
    int cols, lines;
    int nslots; /* the table slots, 1 .. LAYOUT_MAX_SLOTS - 1 */
    bool side;  /* a run is open in the side slot (after the table slots) */
    bool zoom;
    int focus; /* the focused slot: 0 .. nslots - 1, or nslots for the side slot */
};

struct layout {
    enum layout_kind kind;
    struct rect title, status, tabs;
    struct rect slot[LAYOUT_MAX_SLOTS]; /* the table slots, then the side slot at [nslots] */
};

void layout_compute(const struct layout_req *req, struct layout *out);
/* The grid's shape for n slots: columns and rows. */
void layout_grid_shape(int n, int *cols, int *rows);

#endif
