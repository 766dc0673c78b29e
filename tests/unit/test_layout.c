/*
 * The layout from the slot count (tui/layout.c), without a terminal: the
 * 2x2 grid at 120x30 exactly as it always was, tabs below it, too small below
 * 60x15, the side slot taking the right 45% of the grid, zoom, and a grid
 * that re-flows for other counts with no cell lost, none overlapping.
 */
#include "../../tui/layout.h"
#include "tap.h"

static bool rect_is(struct rect r, int y, int x, int h, int w)
{
    return r.y == y && r.x == x && r.h == h && r.w == w;
}

static struct layout lay(int cols, int lines, int nslots, bool side, bool zoom, int focus)
{
    struct layout_req req = {cols, lines, nslots, side, zoom, focus};
    struct layout out;
    layout_compute(&req, &out);
    return out;
}

/* Every slot shown, inside the area, and no two overlap: the cells cover it exactly. */
static bool tiles(const struct layout *l, int n, int cols, int top, int area)
{
    long sum = 0;
    for (int i = 0; i < n; i++) {
        struct rect a = l->slot[i];
        if (a.h <= 0 || a.w <= 0 || a.y < top || a.y + a.h > top + area || a.x < 0 ||
            a.x + a.w > cols) {
            return false;
        }
        sum += (long)a.h * a.w;
        for (int j = 0; j < i; j++) {
            struct rect b = l->slot[j];
            if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
                return false;
            }
        }
    }
    return sum == (long)cols * area;
}

int main(void)
{
    struct layout l = lay(120, 30, 4, false, false, 0);
    tap_ok(l.kind == LAYOUT_GRID, "120x30, four slots: the grid");
    tap_ok(rect_is(l.title, 0, 0, 1, 120) && rect_is(l.status, 29, 0, 1, 120),
           "a title bar on top, a status bar at the bottom");
    tap_ok(l.tabs.h == 0, "no tab bar in the grid");
    tap_ok(rect_is(l.slot[0], 1, 0, 14, 60) && rect_is(l.slot[1], 1, 60, 14, 60) &&
               rect_is(l.slot[2], 15, 0, 14, 60) && rect_is(l.slot[3], 15, 60, 14, 60),
           "2x2: Alerts and Queues above Pools and Deployments, 60x14 each");
    l = lay(121, 31, 4, false, false, 0);
    tap_ok(rect_is(l.slot[1], 1, 60, 14, 61) && rect_is(l.slot[3], 15, 60, 15, 61),
           "odd sizes: the right and bottom cells take the extra column and row");

    l = lay(119, 30, 4, false, false, 2);
    tap_ok(l.kind == LAYOUT_TABS, "one column short of the grid: tabs");
    tap_ok(rect_is(l.tabs, 1, 0, 1, 119), "the tab bar under the title");
    tap_ok(rect_is(l.slot[2], 2, 0, 27, 119) && l.slot[0].h == 0 && l.slot[1].h == 0 &&
               l.slot[3].h == 0,
           "only the focused slot, under the tab bar");
    l = lay(120, 29, 4, false, false, 0);
    tap_ok(l.kind == LAYOUT_TABS, "one row short of the grid: tabs");
    l = lay(80, 24, 4, true, false, 4);
    tap_ok(l.kind == LAYOUT_TABS && rect_is(l.slot[4], 2, 0, 21, 80) && l.slot[0].h == 0,
           "80x24 with a run focused: the run fills the tab area");

    l = lay(59, 30, 4, false, false, 0);
    tap_ok(l.kind == LAYOUT_TOO_SMALL, "59 columns: too small");
    l = lay(60, 14, 4, false, false, 0);
    tap_ok(l.kind == LAYOUT_TOO_SMALL, "14 rows: too small");
    tap_ok(l.title.h == 0 && l.status.h == 0 && l.slot[0].h == 0, "too small: nothing placed");
    l = lay(60, 15, 4, false, false, 0);
    tap_ok(l.kind == LAYOUT_TABS, "60x15 is enough for tabs");

    l = lay(120, 30, 4, true, false, 0);
    tap_ok(rect_is(l.slot[4], 1, 66, 28, 54), "a run open: the right 45%%, full height");
    tap_ok(rect_is(l.slot[0], 1, 0, 14, 33) && rect_is(l.slot[3], 15, 33, 14, 33),
           "the grid keeps the left 55%%");
    tap_ok(tiles(&l, 5, 120, 1, 28), "grid and run cover the area, nothing overlaps");

    l = lay(160, 48, 4, false, true, 3);
    tap_ok(l.kind == LAYOUT_GRID && rect_is(l.slot[3], 1, 0, 46, 160) && l.slot[0].h == 0,
           "zoomed: the focused slot fills the area");
    l = lay(160, 48, 4, true, true, 4);
    tap_ok(rect_is(l.slot[4], 1, 0, 46, 160) && l.slot[3].h == 0, "zoomed on the run");
    l = lay(160, 48, 4, false, false, 4);
    tap_ok(l.kind == LAYOUT_GRID && tiles(&l, 4, 160, 1, 46),
           "a stale focus on the side slot with no run is harmless");

    int cols, rows;
    static const int shape[][3] = {{1, 1, 1}, {2, 2, 1}, {3, 2, 2}, {4, 2, 2},
                                   {5, 3, 2}, {6, 3, 2}, {7, 3, 3}, {8, 3, 3}};
    for (size_t i = 0; i < sizeof shape / sizeof shape[0]; i++) {
        layout_grid_shape(shape[i][0], &cols, &rows);
        tap_ok(cols == shape[i][1] && rows == shape[i][2], "%d slots: a %dx%d grid", shape[i][0],
               shape[i][1], shape[i][2]);
    }
    l = lay(180, 30, 5, false, false, 0);
    tap_ok(l.kind == LAYOUT_GRID, "five slots need 180x30 for their 3x2 grid");
    tap_ok(rect_is(l.slot[3], 15, 0, 14, 90) && rect_is(l.slot[4], 15, 90, 14, 90),
           "the short last row shares its width");
    tap_ok(tiles(&l, 5, 180, 1, 28), "five slots cover the area");
    l = lay(179, 30, 5, false, false, 0);
    tap_ok(l.kind == LAYOUT_TABS, "and fall back to tabs below that");
    for (int n = 1; n < LAYOUT_MAX_SLOTS; n++) {
        l = lay(200, 60, n, false, false, 0);
        tap_ok(l.kind == LAYOUT_GRID && tiles(&l, n, 200, 1, 58), "%d slots tile 200x60", n);
    }
    return tap_done();
}
