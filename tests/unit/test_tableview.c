/* The table model: filter, invert, sort (natural and numeric) and stable selection. */
#include "../../backends/backend.h"
#include "../../tui/table.h"
#include "../../tui/tableview.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static void publish_alerts(struct store *st)
{
    static const struct {
        const char *name, *target;
        enum tone tone;
    } a[] = {
        {"TargetDown", "web1", TONE_WARN}, {"DiskFull", "db1", TONE_WARN},
        {"TargetDown", "web2", TONE_CRIT}, {"TargetDown", "web3", TONE_MUTED},
        {"DiskFull", "db2", TONE_INFO},    {"Watchdog", "-", TONE_INFO},
    };
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "fp%zu", i);
        rowset_begin(rs, key);
        rowset_text(rs, ALERT_NAME, a[i].name);
        rowset_text(rs, ALERT_TARGET, a[i].target);
        rowset_row_tone(rs, a[i].tone);
    }
    store_publish(st, rs);
}

static void test_grouping(void)
{
    struct store *st = store_create();
    publish_alerts(st);
    struct tableview tv;
    tableview_init(&tv, MODEL_ALERTS);
    tableview_refresh(&tv, st);
    tableview_set_group(&tv, st, ALERT_NAME);
    tap_is_int((long long)tv.nrows, 3, "grouping six alerts by name gives three rows");
    tap_ok(strcmp(rowset_cell_text(tv.rows[0].rs, tv.rows[0].row, ALERT_NAME), "TargetDown") == 0 &&
               tv.group_size[0] == 3,
           "groups keep first-appearance order and count their members");
    tap_is_str(rowset_cell_text(tv.rows[0].rs, tv.rows[0].row, ALERT_TARGET), "web2",
               "the most severe member stands for the group");
    struct rowref m[8];
    size_t n = tableview_members(&tv, 0, m, 8);
    tap_ok(n == 3 && strcmp(rowset_key(m[0].rs, m[0].row), "fp0") == 0 &&
               strcmp(rowset_key(m[2].rs, m[2].row), "fp3") == 0,
           "members of a group, in view order");
    tap_is_int((long long)tableview_members(&tv, 2, m, 8), 1, "a group of one");
    tableview_set_filter(&tv, st, "web");
    tap_ok(tv.nrows == 1 && tv.group_size[0] == 3, "the filter applies before grouping");
    tableview_set_filter(&tv, st, "!web3");
    tap_ok(tv.group_size[0] == 2, "filtered-out rows are not members (%u)", tv.group_size[0]);
    tableview_set_filter(&tv, st, "");
    publish_alerts(st);
    tableview_refresh(&tv, st);
    tap_is_int((long long)tv.nrows, 3, "grouping survives a refresh");
    tableview_set_group(&tv, st, -1);
    tap_is_int((long long)tv.nrows, 6, "ungrouping shows every row again");
    tap_is_int((long long)tableview_members(&tv, 1, m, 8), 1,
               "ungrouped rows are their own members");
    tableview_finish(&tv);
    store_destroy(st);
}

/* Default alert order: severity (critical > error > warning > info > none), then newest first. */
static void test_severity_sort(void)
{
    static const struct {
        const char *key, *sev;
        double started;
    } a[] = {
        {"a", "info", 100},    {"b", "critical", 50}, {"c", "warning", 300}, {"d", "none", 400},
        {"e", "critical", 90}, {"f", "error", 10},    {"g", "Warning", 200}, {"h", "", 500},
    };
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        rowset_begin(rs, a[i].key);
        rowset_text(rs, ALERT_SEV, a[i].sev);
        rowset_cell(rs, ALERT_AGE, "", a[i].started);
    }
    store_publish(st, rs);
    struct tableview tv;
    tableview_init(&tv, MODEL_ALERTS);
    tv.sort_col = ALERT_SEV;
    tv.sort_desc = true;
    tv.then_col = ALERT_AGE;
    tv.then_desc = true;
    tableview_refresh(&tv, st);
    char order[16] = "";
    for (size_t i = 0; i < tv.nrows; i++) {
        strcat(order, rowset_key(tv.rows[i].rs, tv.rows[i].row));
    }
    tap_is_str(order, "ebfcgahd",
               "critical (newest first), error, warning (any case), info, then none and empty");
    tap_is_int(model_severity_rank("CRIT"), 4, "crit is critical");
    tap_is_int(model_severity_rank("page"), 4, "page is critical");
    tap_is_int(model_severity_rank("bogus"), 0, "an unknown word ranks with none");
    tableview_set_sort(&tv, st, ALERT_SEV, false);
    tap_ok(strcmp(rowset_key(tv.rows[0].rs, tv.rows[0].row), "d") == 0 ||
               strcmp(rowset_key(tv.rows[0].rs, tv.rows[0].row), "h") == 0,
           "S reverses: the least severe first");
    tableview_finish(&tv);
    store_destroy(st);
}

/* A key remembered (last session) or lost for a while (a failing backend) comes back. */
static void test_select_key(void)
{
    struct store *st = store_create();
    const struct srv v[] = {{"web1", "UP", 1}, {"web2", "UP", 2}, {"web3", "UP", 3}};
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_select_key(&tv, "lb", "be/web3");
    tableview_refresh(&tv, st);
    tap_is_int((long long)tv.nrows, 0, "nothing published yet");
    publish(st, "other", v, 1);
    tableview_refresh(&tv, st);
    tap_is_str(selected_name(&tv), "web1",
               "another source first: its row shows selected meanwhile");
    publish(st, "lb", v, 3);
    tableview_refresh(&tv, st);
    tap_ok(strcmp(selected_name(&tv), "web3") == 0 && strcmp(tv.rows[tv.sel].rs->source, "lb") == 0,
           "the remembered row is selected once its source publishes it");
    publish(st, "lb", v, 2);
    tableview_refresh(&tv, st);
    tap_is_str(selected_name(&tv), "web2", "its row gone: the neighbour in its place");
    publish(st, "lb", v, 3);
    tableview_refresh(&tv, st);
    tap_is_str(selected_name(&tv), "web3", "back: the selection returns to it, by key");
    const struct srv r[] = {{"web3", "UP", 3}, {"web2", "UP", 2}, {"web1", "UP", 1}};
    publish(st, "lb", r, 3);
    tableview_refresh(&tv, st);
    tap_ok(strcmp(selected_name(&tv), "web3") == 0 && tv.sel == 1,
           "reordered by a refresh: still web3 (now row %zu)", tv.sel);
    tableview_move(&tv, 1);
    publish(st, "lb", v, 3);
    tableview_refresh(&tv, st);
    tap_is_str(selected_name(&tv), "web2", "once the operator moves, the new row is the one kept");
    tableview_set_filter(&tv, st, "web1");
    tableview_set_filter(&tv, st, "");
    tap_is_str(selected_name(&tv), "web1",
               "a filter is the operator's choice too: the row it left selected is kept");
    tableview_finish(&tv);
    store_destroy(st);
}

/*
 * No data (NaN) sorts after every number in both directions, ties among
 * itself, and the order is the same whatever order the rows came in.
 */
static void test_nan_sort(void)
{
    static const double budgets[] = {NAN, 15, -5, NAN, 70, 0, NAN, 7};
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    enum { N = sizeof budgets / sizeof budgets[0] };
    static const char *const asc = "cfhbe", *const desc = "ebhfc";
    bool ok_asc = true, ok_desc = true, nan_last = true;
    /* every rotation of the input: a comparator that is not a total preorder shows */
    for (size_t rot = 0; rot < N; rot++) {
        struct store *st = store_create();
        struct rowset *rs = rowset_create(MODEL_SIGNALS, "demo");
        for (size_t k = 0; k < N; k++) {
            size_t i = (k + rot) % N;
            rowset_begin(rs, names[i]);
            rowset_text(rs, SIGNAL_SERVICE, names[i]);
            rowset_cell(rs, SIGNAL_BUDGET, isnan(budgets[i]) ? "" : "x", budgets[i]);
        }
        rowset_end(rs);
        store_publish(st, rs);
        struct tableview tv;
        tableview_init(&tv, MODEL_SIGNALS);
        for (int d = 0; d < 2; d++) {
            tableview_set_sort(&tv, st, SIGNAL_BUDGET, d == 1);
            char got[N + 1] = {0};
            for (size_t i = 0; i < tv.nrows; i++) {
                got[i] = rowset_key(tv.rows[i].rs, tv.rows[i].row)[0];
                bool isn = isnan(rowset_cell_num(tv.rows[i].rs, tv.rows[i].row, SIGNAL_BUDGET));
                nan_last = nan_last && (isn == (i >= 5));
            }
            if (strncmp(got, d == 0 ? asc : desc, 5) != 0) {
                tap_diag("rotation %zu %s: %s", rot, d ? "desc" : "asc", got);
                *(d == 0 ? &ok_asc : &ok_desc) = false;
            }
        }
        tableview_finish(&tv);
        store_destroy(st);
    }
    tap_ok(ok_asc, "NaN sort ascending: numbers low to high, then no data");
    tap_ok(ok_desc, "NaN sort descending: numbers high to low, then no data");
    tap_ok(nan_last, "no data is last in both directions, from any input order");
}

/* Pools from a backend in a context (NULL: none, "default"), stamped as backend_publish does. */
static void publish_in(struct store *st, const char *source, char *context, const char *server)
{
    struct backend b = {.name = (char *)source, .context = context};
    struct rowset *rs = rowset_create(MODEL_POOLS, source);
    for (int i = 1; i <= 2; i++) {
        char key[64], name[32];
        snprintf(name, sizeof name, "%s%d", server, i);
        snprintf(key, sizeof key, "be/%s", name);
        rowset_begin(rs, key);
        rowset_text(rs, POOL_NAME, "be");
        rowset_text(rs, POOL_SERVER, name);
    }
    backend_stamp(&b, rs);
    store_publish(st, rs);
}

static bool layout_has(const struct tableview *tv, int col)
{
    struct table_layout lay;
    table_layout(tv, 200, &lay);
    for (int i = 0; i < lay.ncols; i++) {
        if (lay.col[i] == col) {
            return true;
        }
    }
    return false;
}

/* tableview_set_contexts: per rowset; the CONTEXT column only with more than one context. */
static void test_contexts(void)
{
    struct store *st = store_create();
    publish_in(st, "lb-eu", "prod-eu", "eu");
    publish_in(st, "lb-stg", "staging", "stg");
    publish_in(st, "lb-lab", NULL, "lab");
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, st);
    tap_is_int((long long)tv.nrows, 6, "contexts: all shown by default");
    tap_is_int(tv.ncontexts, 2, "contexts: more than one shown");
    tap_is_str(rowset_cell_text(tv.rows[0].rs, tv.rows[0].row, POOL_CONTEXT), "prod-eu",
               "contexts: backend_stamp fills CONTEXT");
    tap_is_str(rowset_cell_text(tv.rows[4].rs, tv.rows[4].row, POOL_CONTEXT), "default",
               "contexts: no context key is \"default\"");
    tap_ok(tv.rows[0].rs->context != NULL && strcmp(tv.rows[0].rs->context, "prod-eu") == 0 &&
               tv.rows[4].rs->context == NULL,
           "contexts: the rowset carries its context (NULL: default)");
    tap_ok(!tableview_col_auto_hidden(&tv, POOL_CONTEXT) && layout_has(&tv, POOL_CONTEXT),
           "contexts: all shown, the CONTEXT column is drawn");

    const char *eu[] = {"prod-eu"};
    tableview_set_contexts(&tv, st, eu, 1);
    tap_ok(tv.nrows == 2 && strcmp(name_at(&tv, 0), "eu1") == 0 &&
               strcmp(name_at(&tv, 1), "eu2") == 0,
           "contexts: one context, its rows only");
    tap_is_int((long long)tv.total, 2, "contexts: the total counts the rows of the shown context");
    tap_ok(tableview_col_auto_hidden(&tv, POOL_CONTEXT) && !layout_has(&tv, POOL_CONTEXT) &&
               layout_has(&tv, POOL_SOURCE),
           "contexts: one shown, CONTEXT is not drawn (SOURCE is)");
    tap_ok(!tableview_col_auto_hidden(&tv, POOL_SOURCE), "contexts: only CONTEXT hides itself");

    const char *two[] = {"staging", "default"};
    tableview_set_contexts(&tv, st, two, 2);
    tap_ok(tv.nrows == 4 && strcmp(name_at(&tv, 0), "stg1") == 0 &&
               strcmp(name_at(&tv, 3), "lab2") == 0,
           "contexts: two named, both their rows");
    tableview_set_filter(&tv, st, "staging");
    tap_is_int((long long)tv.nrows, 2, "contexts: CONTEXT shown, a filter matches it");

    const char *def[] = {"default"};
    tableview_set_contexts(&tv, st, def, 1);
    tableview_set_filter(&tv, st, "defa");
    tap_is_int((long long)tv.nrows, 0,
               "contexts: CONTEXT hidden, a filter does not match it (every row would)");
    tableview_set_filter(&tv, st, "lab1");
    tap_is_int((long long)tv.nrows, 1, "contexts: ... the other cells still match");
    tableview_set_filter(&tv, st, "");

    const char *none[] = {"nowhere"};
    tableview_set_contexts(&tv, st, none, 1);
    tap_ok(tv.nrows == 0 && tv.ncontexts == 0, "contexts: a context with no rows shows none");
    tableview_set_contexts(&tv, st, NULL, 0);
    tap_is_int((long long)tv.nrows, 6, "contexts: n 0 is all again");

    /* a publish keeps the choice: checked per rowset at every rebuild */
    tableview_set_contexts(&tv, st, eu, 1);
    publish_in(st, "lb-stg", "staging", "new");
    tableview_refresh(&tv, st);
    tap_is_int((long long)tv.nrows, 2, "contexts: a publish elsewhere does not widen the view");
    tableview_finish(&tv);

    struct store *one = store_create();
    publish_in(one, "a", NULL, "x");
    publish_in(one, "b", NULL, "y");
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, one);
    tap_ok(tv.ncontexts == 1 && !layout_has(&tv, POOL_CONTEXT),
           "contexts: every backend in \"default\": no CONTEXT column, as before");
    tableview_finish(&tv);
    store_destroy(one);
    store_destroy(st);
}

int main(void)
{
    test_contexts();
    test_severity_sort();
    test_nan_sort();
    test_select_key();
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
    test_grouping();
    return tap_done();
}
