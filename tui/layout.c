/* The layout from the slot count (layout.h). */
#include "layout.h"

#include <string.h>

void layout_grid_shape(int n, int *cols, int *rows)
{
    int c = 1;
    while (c * c < n) {
        c++;
    }
    *cols = c;
    *rows = n > 0 ? (n + c - 1) / c : 1;
}

static struct rect rect(int y, int x, int h, int w)
{
    struct rect r = {.y = y, .x = x, .h = h, .w = w};
    return r;
}

/* n slots in a grid over the rectangle: row by row; a short last row shares its width. */
static void grid(struct layout *out, int n, struct rect area)
{
    int cols, rows;
    layout_grid_shape(n, &cols, &rows);
    for (int i = 0; i < n; i++) {
        int r = i / cols, c = i % cols;
        int in_row = r == rows - 1 ? n - r * cols : cols;
        int y0 = area.h * r / rows, y1 = area.h * (r + 1) / rows;
        int x0 = area.w * c / in_row, x1 = area.w * (c + 1) / in_row;
        out->slot[i] = rect(area.y + y0, area.x + x0, y1 - y0, x1 - x0);
    }
}

void layout_compute(const struct layout_req *req, struct layout *out)
{
    memset(out, 0, sizeof *out);
    int W = req->cols, H = req->lines;
    int n = req->nslots;
    if (W < LAYOUT_MIN_COLS || H < LAYOUT_MIN_ROWS) {
        out->kind = LAYOUT_TOO_SMALL;
        return;
    }
    out->title = rect(0, 0, 1, W);
    out->status = rect(H - 1, 0, 1, W);
    int top = 1, area = H - 2;
    int cols, rows;
    layout_grid_shape(n, &cols, &rows);
    bool fits = W >= cols * LAYOUT_CELL_COLS && H >= rows * LAYOUT_CELL_ROWS + 2;
    int focus = req->focus == n && !req->side ? 0 : req->focus;
    if (fits && !req->zoom) {
        out->kind = LAYOUT_GRID;
        /* a run open: the grid keeps the left 55%, the run the right, full height */
        int gw = req->side ? W * 55 / 100 : W;
        grid(out, n, rect(top, 0, area, gw));
        if (req->side) {
            out->slot[n] = rect(top, gw, area, W - gw);
        }
    } else if (fits) {
        out->kind = LAYOUT_GRID;
        out->slot[focus] = rect(top, 0, area, W);
    } else {
        out->kind = LAYOUT_TABS;
        out->tabs = rect(top, 0, 1, W);
        out->slot[focus] = rect(top + 1, 0, area - 1, W);
    }
}
