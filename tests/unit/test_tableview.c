/* The table model: filter, invert, sort (natural and numeric) and stable selection. */
#include "../../tui/tableview.h"
#include "tap.h"

#include <stdlib.h>

struct srv {
    const char *name;
    const char *status;
    double sess;
};

static void publish(struct store *st, const char *source, const struct srv *s, size_t n)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, source);
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "be/%s", s[i].name);
        rowset_begin(rs, key);
        rowset_text(rs, POOL_NAME, "be");
        rowset_text(rs, POOL_SERVER, s[i].name);
        rowset_text(rs, POOL_STATUS, s[i].status);
        rowset_num(rs, POOL_SESS, s[i].sess);
    }
    store_publish(st, rs);
}

static const char *name_at(const struct tableview *tv, size_t i)
{
    return rowset_cell_text(tv->rows[i].rs, tv->rows[i].row, POOL_SERVER);
}

static const char *selected_name(const struct tableview *tv)
{
    const struct rowset *rs;
    size_t row;
    return tableview_selected(tv, &rs, &row) ? rowset_cell_text(rs, row, POOL_SERVER) : "(none)";
}

int main(void)
{
    struct store *st = store_create();
    const struct srv v1[] = {
        {"web10", "UP", 5},
        {"web2", "DOWN", 0},
        {"web1", "UP", 50},
        {"api1", "DRAIN", 7},
    };
    publish(st, "lb", v1, 4);
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tap_ok(tableview_refresh(&tv, st), "first refresh builds");
    tap_ok(!tableview_refresh(&tv, st), "no rebuild without a publish");
    tap_is_int((long long)tv.nrows, 4, "all rows visible");
    tap_is_str(name_at(&tv, 0), "web10", "unsorted keeps published order");

    tableview_set_sort(&tv, st, POOL_SERVER, false);
    tap_ok(strcmp(name_at(&tv, 0), "api1") == 0 && strcmp(name_at(&tv, 1), "web1") == 0 &&
               strcmp(name_at(&tv, 2), "web2") == 0 && strcmp(name_at(&tv, 3), "web10") == 0,
           "natural sort: api1 web1 web2 web10");
    tableview_set_sort(&tv, st, POOL_SESS, true);
    tap_is_str(name_at(&tv, 0), "web1", "numeric sort descending: most sessions first");
    tap_is_str(name_at(&tv, 3), "web2", "numeric sort descending: zero last");

    tableview_set_filter(&tv, st, "web");
    tap_is_int((long long)tv.nrows, 3, "filter 'web' keeps three");
    tap_is_int((long long)tv.total, 4, "total still counts all");
    tableview_set_filter(&tv, st, "!web");
    tap_ok(tv.nrows == 1 && strcmp(name_at(&tv, 0), "api1") == 0, "'!web' inverts");
    tableview_set_filter(&tv, st, "drain");
    tap_ok(tv.nrows == 1 && strcmp(name_at(&tv, 0), "api1") == 0,
           "filter matches any column, case-insensitive");
    tableview_set_filter(&tv, st, "nomatch");
    tap_is_int((long long)tv.nrows, 0, "no match, no rows");
    const struct rowset *rs;
    size_t row;
    tap_ok(!tableview_selected(&tv, &rs, &row), "empty view has no selection");
    tableview_set_filter(&tv, st, "");

    /* select web2, then publish with the rows reordered and a new one on top */
    tableview_set_sort(&tv, st, -1, false);
    tableview_select_first(&tv);
    tableview_move(&tv, 1);
    tap_is_str(selected_name(&tv), "web2", "selected web2");
    const struct srv v2[] = {
        {"new1", "UP", 1},  {"new2", "UP", 1}, {"api1", "DRAIN", 7},
        {"web1", "UP", 51}, {"web2", "UP", 3}, {"web10", "UP", 6},
    };
    publish(st, "lb", v2, 6);
    tap_ok(tableview_refresh(&tv, st), "publish triggers a rebuild");
    tap_is_str(selected_name(&tv), "web2", "selection follows the row, not the index");
    tap_is_int((long long)tv.sel, 4, "web2 is now at index 4");

    /* the selected row disappears: the neighbour at the same place is selected */
    const struct srv v3[] = {{"new1", "UP", 1},
                             {"new2", "UP", 1},
                             {"api1", "DRAIN", 7},
                             {"web1", "UP", 51},
                             {"web10", "UP", 6}};
    publish(st, "lb", v3, 5);
    tableview_refresh(&tv, st);
    tap_is_str(selected_name(&tv), "web10", "vanished selection falls to its neighbour");

    /* rows from another source with the same key stay distinct */
    publish(st, "lb2", v3, 1);
    tableview_refresh(&tv, st);
    tap_is_int((long long)tv.nrows, 6, "second source merged");
    tap_is_str(selected_name(&tv), "web10", "selection kept across sources");

    /* scrolling keeps the selection on screen */
    tableview_select_last(&tv);
    tableview_scroll(&tv, 3);
    tap_ok(tv.top <= tv.sel && tv.sel < tv.top + 3, "scroll shows the selection");
    tableview_select_first(&tv);
    tableview_scroll(&tv, 3);
    tap_is_int((long long)tv.top, 0, "back at the top");
    tableview_move(&tv, -5);
    tap_is_int((long long)tv.sel, 0, "moving above the first row clamps");

    tap_ok(tv.widths[POOL_SERVER] == 5, "widths measured over visible rows (got %d)",
           tv.widths[POOL_SERVER]);

    tableview_finish(&tv);
    store_destroy(st);
    return tap_done();
}
