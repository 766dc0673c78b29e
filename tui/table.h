/*
 * Drawing a tableview into a rectangle of a window: header, visible rows only,
 * numbers right-aligned, cells coloured by tone, columns dropped by priority
 * when narrow and the slack given to the widest text column.
 */
#ifndef OPSDECK_TABLE_H
#define OPSDECK_TABLE_H

#include "screen.h"
#include "tableview.h"

#include <stdint.h>

struct table_layout {
    int ncols;
    int col[16];   /* column index in the schema */
    int width[16]; /* cells for that column */
    int total;     /* cells of a row: more than the width when wide (h/l) */
    int natural;   /* cells every column would take whole: more than the width: cut or dropped */
};

/*
 * The columns a view shows, in order (out holds 16): its colorder, or every
 * column of the schema less the auto-hidden ones.
 */
int table_shown_columns(const struct tableview *tv, int *out);
/*
 * A column left out of the default order now (tableview_col_auto_hidden:
 * CONTEXT while at most one context is shown). An explicit colorder shows
 * what it names.
 */
bool table_col_auto_hidden(const struct tableview *tv, int col);
/* Are these the columns the default order shows now (so an edit can go back to it, colorder 0)? */
bool table_columns_default(const struct tableview *tv, const int *cols, int n);

/* Choose the columns and widths for a width; exposed for tests. */
void table_layout(const struct tableview *tv, int width, struct table_layout *out);

/*
 * Draw at y,x in w, height rows (header included) and width cells. The
 * selection is highlighted when focused. now_wall is for age cells.
 */
void table_draw(WINDOW *w, int y, int x, int height, int width, struct tableview *tv, bool focused,
                int64_t now_wall, const struct glyphs *g);

/* The text a cell shows (ages computed against now_wall), into buf. */
void table_cell_text(const struct tableview *tv, const struct rowset *rs, size_t row, int col,
                     int64_t now_wall, char *buf, size_t len);

/*
 * What a cell shows on screen in a column width cells wide: table_cell_text,
 * except a CELL_SPARK cell, drawn as a sparkline exactly width cells wide
 * (common/spark.h; ASCII levels when g->ascii), and the Signals BURN lights,
 * drawn with g's lit / unlit / nodata glyphs (ASCII: the letters ". ? T P").
 * A number with no data (NaN) shows nothing.
 */
void table_cell_shown(const struct tableview *tv, const struct rowset *rs, size_t row, int col,
                      int width, int64_t now_wall, const struct glyphs *g, char *buf, size_t len);

unsigned table_tone_attr(enum tone tone);

/*
 * h/l on a table of width cells: l shows every column whole (wide), then
 * scrolls right; h scrolls back, and from the left edge returns to the
 * fitted view. dir is -1 (h) or 1 (l). false when there is nowhere to go.
 */
bool table_hscroll(struct tableview *tv, int width, int dir);

#endif
