/*
 * Saved views (tui/view.h): the view string parsed and written back (round
 * trips, escaping, every error), applied to and captured from a tableview
 * over the demo's rows, :cols edits, the views file, [views] in the config,
 * and the table layout drawing only the shown columns in their order.
 */
#include "../../backends/backend.h"
#include "../../backends/demo.h"
#include "../../common/util.h"
#include "../../engine/config.h"
#include "../../tui/table.h"
#include "../../tui/view.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parse then format: the canonical string. */
static void round_trip(const char *in, const char *want)
{
    struct view v;
    char *cause = NULL;
    if (!tap_ok(view_parse(in, &v, &cause), "parses: %s", in)) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    char *out = view_format(&v);
    tap_is_str(out, want, in);
    /* and the canonical one parses to itself */
    struct view w;
    if (tap_ok(view_parse(out, &w, &cause), "the output parses again")) {
        char *again = view_format(&w);
        tap_is_str(again, out, "format(parse(format(x))) is format(x)");
        free(again);
        view_free(&w);
    } else {
        free(cause);
    }
    free(out);
    view_free(&v);
}

static void bad(const char *in, const char *want)
{
    struct view v;
    char *cause = NULL;
    bool ok = view_parse(in, &v, &cause);
    tap_ok(!ok, "refused: %s", in);
    if (ok) {
        view_free(&v);
        return;
    }
    tap_ok(cause != NULL && strstr(cause, want) != NULL, "  says '%s' (%s)", want,
           cause ? cause : "(null)");
    free(cause);
}

static void test_strings(void)
{
    round_trip("pools", "pools");
    round_trip("pools;ctx=prod-eu;filter=be_web;sort=5XX",
               "pools;ctx=prod-eu;filter=be_web;sort=5XX");
    /* any order in, the canonical order out; titles any case, written as the schema has them */
    round_trip("pools;cols=server,5xx;group=pool;sort=-rt ms;filter=web;ctx=a,b",
               "pools;ctx=a,b;filter=web;sort=-RT ms;group=POOL;cols=SERVER,5XX");
    round_trip(" Queues ; filter=orders ; sort = -msgs ", "queues;filter=orders ;sort=-MSGS");
    round_trip("alerts;sort=", "alerts;sort=");
    round_trip("deploys;;filter=x;", "deploys;filter=x");
    round_trip("signals;cols=SERVICE,ERRORS 1h,BURN", "signals;cols=SERVICE,ERRORS 1h,BURN");

    /* escaping: ; % , in a filter and a context name */
    struct view v;
    char *cause = NULL;
    view_init(&v, MODEL_POOLS);
    v.filter = strdup("a;b%c,d");
    v.ctx = strdup("eu;1,us%2");
    char *s = view_format(&v);
    tap_is_str(s, "pools;ctx=eu%3B1,us%252;filter=a%3Bb%25c%2Cd", "; % , escaped as %3B %25 %2C");
    struct view w;
    if (tap_ok(view_parse(s, &w, &cause), "the escaped string parses")) {
        tap_is_str(w.filter, "a;b%c,d", "the filter comes back whole");
        tap_is_str(w.ctx, "eu;1,us%2", "the contexts come back (the list comma stays a comma)");
        view_free(&w);
    }
    free(s);
    view_free(&v);
    if (tap_ok(view_parse("pools;filter=100%;sort=5%58X", &w, &cause), "a lone %% stays itself")) {
        tap_is_str(w.filter, "100%", "  100% is 100%");
        tap_is_int(w.sort_col, POOL_5XX, "  %%58 is X in a column title");
        view_free(&w);
    }
    if (tap_ok(view_parse("pools;filter=a%0Ab", &w, &cause), "%%0A parses")) {
        tap_is_str(w.filter, "a%0Ab", "  a control character is not decoded");
        view_free(&w);
    }
    char *e = view_escape("plain text");
    tap_is_str(e, "plain text", "nothing to escape: unchanged");
    free(e);

    /* errors, each naming what is wrong */
    bad("", "empty view");
    bad("nopane;filter=x", "unknown pane 'nopane'");
    bad("promql", "unknown pane 'promql'");
    bad("pools;colour=red", "unknown field 'colour'");
    bad("pools;filter", "field 'filter' has no value");
    bad("pools;sort=nosuch", "sort: unknown column 'nosuch' in pools");
    bad("pools;sort=-", "sort: '-' names no column");
    bad("pools;sort=--5xx", "sort: unknown column '-5xx' in pools");
    bad("pools;group=", "group: a column title is missing");
    bad("pools;group=MSGS", "group: unknown column 'MSGS' in pools");
    bad("pools;cols=POOL,,SERVER", "cols: a column title is missing");
    bad("pools;cols=POOL,pool", "cols: column 'POOL' given twice");
    bad("pools;cols=POOL,READY", "cols: unknown column 'READY' in pools");
    bad("pools;sort=5XX;sort=SESS", "field 'sort' given twice");
    bad("pools;ctx=", "ctx: a context name is missing");
    bad("pools;ctx=a,,b", "ctx: a context name is missing");
    char longf[200];
    memset(longf, 'x', sizeof longf);
    snprintf(longf, sizeof longf, "pools;filter=%0150d", 1);
    bad(longf, "filter: longer than 127 bytes");

    tap_ok(view_name_ok("web5xx") && view_name_ok("a.b-c_d"), "names: letters, digits, _ . -");
    tap_ok(!view_name_ok("") && !view_name_ok("a b") && !view_name_ok("pools;x") &&
               !view_name_ok("save") && !view_name_ok("rm") && !view_name_ok("show"),
           "not a name: empty, blanks, ';', the words of :view");
}

static struct store *demo_store(struct backend **bp)
{
    struct store *st = store_create();
    char *cause = NULL;
    struct backend *b = backend_create(&demo_backend, "demo", st, NULL);
    backend_configure(b, "seed", "1", &cause);
    backend_configure(b, "mode", "still", &cause);
    backend_start(b, &cause);
    demo_backend.poll(b);
    *bp = b;
    return st;
}

static bool row_has(const struct tableview *tv, size_t i, int col, const char *text)
{
    return strstr(rowset_cell_text(tv->rows[i].rs, tv->rows[i].row, col), text) != NULL;
}

static void test_apply_capture(void)
{
    struct backend *b;
    struct store *st = demo_store(&b);
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, st);
    size_t all = tv.nrows;
    tap_ok(all >= 10, "the demo has pools rows (%zu)", all);

    struct view v;
    char *cause = NULL;
    tap_ok(view_parse("pools;filter=be_web;sort=-5xx;cols=SERVER,5XX,STATUS", &v, &cause),
           "a pools view parses");
    view_apply_table(&v, &tv, st, -1, false);
    tap_ok(tv.nrows > 0 && tv.nrows < all, "applied: the filter narrows (%zu of %zu)", tv.nrows,
           all);
    bool web = true, desc = true;
    for (size_t i = 0; i < tv.nrows; i++) {
        web = web && row_has(&tv, i, POOL_NAME, "be_web");
        if (i > 0) {
            double a = rowset_cells(tv.rows[i - 1].rs, tv.rows[i - 1].row)[POOL_5XX].num;
            double c = rowset_cells(tv.rows[i].rs, tv.rows[i].row)[POOL_5XX].num;
            desc = desc && a >= c;
        }
    }
    tap_ok(web, "every row is be_web: POOL is hidden and still filters");
    tap_ok(desc && tv.sort_col == POOL_5XX && tv.sort_desc, "sorted by 5XX, descending");
    int cols[16];
    int n = table_shown_columns(&tv, cols);
    tap_ok(n == 3 && cols[0] == POOL_SERVER && cols[1] == POOL_5XX && cols[2] == POOL_STATUS,
           "the columns shown: SERVER, 5XX, STATUS");

    struct view got;
    view_capture_table(&got, &tv, -1, false);
    char *s = view_format(&got);
    tap_is_str(s, "pools;filter=be_web;sort=-5XX;cols=SERVER,5XX,STATUS",
               "captured as it was applied");
    free(s);
    view_free(&got);

    /* the pane's default sort is left out, and a view without one gets it back */
    view_capture_table(&got, &tv, POOL_5XX, true);
    s = view_format(&got);
    tap_is_str(s, "pools;filter=be_web;cols=SERVER,5XX,STATUS", "the default sort is not written");
    free(s);
    view_free(&got);
    struct view plain;
    view_parse("pools", &plain, &cause);
    view_apply_table(&plain, &tv, st, POOL_SESS, false);
    tap_ok(tv.nrows == all && tv.filter[0] == '\0', "a bare view: no filter");
    tap_ok(tv.sort_col == POOL_SESS && !tv.sort_desc, "a bare view: the pane's default sort");
    tap_ok(tv.ncolorder == 0 && tv.group_col == -1, "a bare view: every column, not grouped");
    view_capture_table(&got, &tv, POOL_SESS, false);
    s = view_format(&got);
    tap_is_str(s, "pools", "captured: just the pane");
    free(s);
    view_free(&got);
    /* the published order when the pane's default is a sort */
    tableview_set_sort(&tv, st, -1, false);
    view_capture_table(&got, &tv, POOL_SESS, false);
    s = view_format(&got);
    tap_is_str(s, "pools;sort=", "no sort where the pane sorts: sort= (empty)");
    struct view back;
    view_parse(s, &back, &cause);
    view_apply_table(&back, &tv, st, POOL_SESS, false);
    tap_is_int(tv.sort_col, -1, "sort= applied: the published order");
    view_free(&back);
    free(s);
    view_free(&got);

    /* grouping round trip */
    view_free(&v);
    view_parse("pools;group=pool", &v, &cause);
    view_apply_table(&v, &tv, st, -1, false);
    tap_ok(tv.group_col == POOL_NAME && tv.nrows < all, "group=pool groups (%zu rows)", tv.nrows);
    view_capture_table(&got, &tv, -1, false);
    s = view_format(&got);
    tap_is_str(s, "pools;group=POOL", "captured: the grouping");
    free(s);
    view_free(&got);
    view_free(&v);
    view_free(&plain);

    /* :cols edits */
    tableview_set_group(&tv, st, -1);
    tableview_set_columns(&tv, NULL, 0);
    int c[16], k = 0;
    tap_ok(view_cols_edit(&tv, "-WGHT -total", c, &k, &cause) && k == POOL_NCOLS - 3,
           ":cols -WGHT -total: two fewer than the default (which has no CONTEXT)");
    bool gone = true;
    for (int i = 0; i < k; i++) {
        gone = gone && c[i] != POOL_WEIGHT && c[i] != POOL_TOTAL;
    }
    tap_ok(gone, "  neither WGHT nor TOTAL");
    tableview_set_columns(&tv, c, k);
    tap_ok(view_cols_edit(&tv, "+wght", c, &k, &cause) && c[3] == POOL_WEIGHT,
           ":cols +wght: back at its place in the schema");
    int mine[] = {POOL_5XX, POOL_SERVER};
    tableview_set_columns(&tv, mine, 2);
    tap_ok(view_cols_edit(&tv, "+pool", c, &k, &cause) && k == 3 && c[2] == POOL_NAME,
           ":cols +pool on an order of one's own: at the end");
    tap_ok(view_cols_edit(&tv, "status, pool", c, &k, &cause) && k == 2 && c[0] == POOL_STATUS &&
               c[1] == POOL_NAME,
           ":cols status, pool: these, in this order");
    tap_ok(view_cols_edit(&tv, "reset", c, &k, &cause) && k == 0, ":cols reset: the default");
    struct {
        const char *arg, *want;
    } errs[] = {
        {"-POOL", "POOL is hidden already"},    {"+SERVER", "SERVER is shown already"},
        {"-nosuch", "unknown column 'nosuch'"}, {"-5xx -server", "SERVER is the last column shown"},
        {"-5xx pool", "expected +COL or -COL"}, {"POOL,POOL", "given twice"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        cause = NULL;
        bool ok = view_cols_edit(&tv, errs[i].arg, c, &k, &cause);
        tap_ok(!ok && cause != NULL && strstr(cause, errs[i].want) != NULL, ":cols %s: %s (%s)",
               errs[i].arg, errs[i].want, cause ? cause : "(null)");
        free(cause);
    }
    char *d = view_cols_describe(&tv);
    tap_is_str(d,
               "shown: 5XX, SERVER  hidden: POOL, STATUS, WGHT, SESS, TOTAL, QCUR, CHECK, RT ms, "
               "CONTEXT, SOURCE",
               ":cols alone: shown, then hidden");
    free(d);
    tableview_set_columns(&tv, NULL, 0);
    d = view_cols_describe(&tv);
    tap_ok(strstr(d, "hidden: none  (the default; CONTEXT shows with more than one context)") !=
               NULL,
           ":cols on the default says so (%s)", d);
    free(d);
    int dup[] = {POOL_NAME, POOL_NAME};
    int out[] = {POOL_NAME, 99};
    tap_ok(!tableview_set_columns(&tv, dup, 2) && !tableview_set_columns(&tv, out, 2) &&
               tv.ncolorder == 0,
           "tableview_set_columns refuses a repeat or a column out of range");

    tableview_finish(&tv);
    backend_destroy(b);
    store_destroy(st);
}

/* The layout draws only the shown columns, in their order; the widths fit. */
static void test_layout(void)
{
    struct backend *b;
    struct store *st = demo_store(&b);
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, st);
    struct table_layout lay;
    table_layout(&tv, 200, &lay);
    /* one context: every column but CONTEXT */
    tap_is_int(lay.ncols, POOL_NCOLS - 1, "default: every column on a wide table, less CONTEXT");
    bool schema = true;
    for (int i = 0; i < lay.ncols; i++) {
        schema = schema && lay.col[i] == (i < POOL_CONTEXT ? i : i + 1);
    }
    tap_ok(schema, "default: in schema order");
    int every[POOL_NCOLS], nevery = 0;
    for (int i = 0; i < POOL_NCOLS; i++) {
        if (i != POOL_CONTEXT) {
            every[nevery++] = i;
        }
    }
    tap_ok(table_columns_default(&tv, every, nevery), "every column in order is the default");
    every[0] = POOL_SERVER;
    every[1] = POOL_NAME;
    tap_ok(!table_columns_default(&tv, every, POOL_NCOLS) &&
               !table_columns_default(&tv, every + 2, POOL_NCOLS - 2),
           "another order, or fewer, is not");

    int mine[] = {POOL_5XX, POOL_SERVER, POOL_NAME};
    tableview_set_columns(&tv, mine, 3);
    table_layout(&tv, 60, &lay);
    tap_ok(lay.ncols == 3 && lay.col[0] == POOL_5XX && lay.col[1] == POOL_SERVER &&
               lay.col[2] == POOL_NAME,
           "colorder: 5XX, SERVER, POOL and nothing else");
    int sum = lay.ncols - 1;
    for (int i = 0; i < lay.ncols; i++) {
        sum += lay.width[i];
    }
    tap_is_int(sum, 60, "the columns fill the width");

    /* narrow: a hidden column is never brought back, and the order holds while dropping */
    int many[] = {POOL_SOURCE, POOL_SERVER, POOL_TOTAL, POOL_NAME};
    tableview_set_columns(&tv, many, 4);
    table_layout(&tv, 22, &lay);
    bool ok = lay.ncols >= 1;
    for (int i = 0; i < lay.ncols; i++) {
        ok = ok && (lay.col[i] == POOL_SOURCE || lay.col[i] == POOL_SERVER ||
                    lay.col[i] == POOL_TOTAL || lay.col[i] == POOL_NAME);
    }
    tap_ok(ok, "narrow: only shown columns (%d of them)", lay.ncols);
    tap_ok(lay.ncols >= 2 && lay.col[0] == POOL_SERVER && lay.col[lay.ncols - 1] == POOL_NAME,
           "narrow: SOURCE (priority 5) dropped first, SERVER before POOL as asked");

    /* wide (h/l): the shown columns whole, in order */
    tv.wide = true;
    table_layout(&tv, 40, &lay);
    tap_ok(lay.ncols == 4 && lay.col[0] == POOL_SOURCE && lay.col[3] == POOL_NAME,
           "wide: every shown column, in order");
    tv.wide = false;

    /* a hidden sort column still sorts */
    tableview_set_sort(&tv, st, POOL_SESS, true);
    bool desc = true;
    for (size_t i = 1; i < tv.nrows; i++) {
        desc = desc && rowset_cells(tv.rows[i - 1].rs, tv.rows[i - 1].row)[POOL_SESS].num >=
                           rowset_cells(tv.rows[i].rs, tv.rows[i].row)[POOL_SESS].num;
    }
    tap_ok(desc, "the hidden SESS column still sorts the rows");
    tap_ok(!table_col_auto_hidden(&tv, POOL_SOURCE) && table_col_auto_hidden(&tv, POOL_CONTEXT),
           "one context: CONTEXT alone is auto-hidden");
    tableview_finish(&tv);
    backend_destroy(b);
    store_destroy(st);
}

static void test_file(void)
{
    char dir[] = "/tmp/opsdeck-test-view.XXXXXX";
    if (!tap_ok(mkdtemp(dir) != NULL, "a temp dir")) {
        return;
    }
    char *path = xasprintf("%s/sub/views", dir);
    char *cause = NULL;
    struct view_file f;
    tap_ok(view_file_load(&f, path, &cause) && f.n == 0, "a missing file: no views");
    view_file_set(&f, "web", "pools;filter=web");
    view_file_set(&f, "q", "queues;sort=-MSGS");
    view_file_set(&f, "web", "pools;filter=be_web");
    tap_ok(f.n == 2, "set twice: replaced, not added");
    tap_ok(view_file_save(&f, &cause), "saved (the directory made)");
    struct stat sb;
    tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the file is 0600 (%o)",
           sb.st_mode & 0777);
    char *tmp = xasprintf("%s.tmp", path);
    tap_ok(access(tmp, F_OK) != 0, "no temp file left (written through a rename)");
    free(tmp);
    view_file_free(&f);
    struct view_file g;
    tap_ok(view_file_load(&g, path, &cause) && g.n == 2, "read back: two views");
    const struct view_entry *e = view_file_find(&g, "web");
    tap_ok(e != NULL && strcmp(e->text, "pools;filter=be_web") == 0 && e->line == 2,
           "web = pools;filter=be_web, line 2");
    tap_ok(view_file_remove(&g, "web") && !view_file_remove(&g, "web") && g.n == 1,
           "removed once, then not there");

    /* resolve: a name from the config first, then the file, else a string */
    struct config *cfg = config_parse("test.ini",
                                      "[views]\n"
                                      "q = alerts;filter=cfg\n"
                                      "api = pools;filter=be_api\n",
                                      &cause);
    tap_ok(cfg != NULL && cfg->nviews == 2, "[views] read from the config");
    tap_ok(view_check_config(cfg, &cause), "[views] strings check");
    struct view v;
    char *name = NULL;
    tap_ok(view_resolve(cfg, path, "q", &v, &name, &cause) && v.kind == MODEL_ALERTS &&
               strcmp(name, "q") == 0,
           "a name in both: the config's wins");
    view_free(&v);
    free(name);
    tap_ok(view_resolve(NULL, path, "q", &v, &name, &cause) && v.kind == MODEL_QUEUES &&
               v.sort_desc,
           "a saved name: from the file");
    view_free(&v);
    free(name);
    tap_ok(view_resolve(cfg, path, "deploys;filter=shop", &v, &name, &cause) &&
               v.kind == MODEL_DEPLOYS && name == NULL,
           "not a name: a view string");
    view_free(&v);
    tap_ok(view_resolve(cfg, path, "signals", &v, &name, &cause) && v.kind == MODEL_SIGNALS,
           "a pane name no view has: that pane's view");
    view_free(&v);
    cause = NULL;
    tap_ok(!view_resolve(cfg, path, "nope", &v, &name, &cause) && cause != NULL &&
               strstr(cause, "no view 'nope' in the config or the saved views") != NULL,
           "neither: says so (%s)", cause ? cause : "(null)");
    free(cause);
    cause = NULL;
    tap_ok(!view_resolve(cfg, path, "pools;sort=x", &v, &name, &cause) && cause != NULL &&
               strstr(cause, "bad view 'pools;sort=x': sort: unknown column 'x'") != NULL,
           "a bad string: says what is wrong (%s)", cause ? cause : "(null)");
    free(cause);
    config_destroy(cfg);

    cause = NULL;
    cfg = config_parse("test.ini", "[views]\nok = pools\nbad = pools;cols=NOPE\n", &cause);
    tap_ok(cfg != NULL && !view_check_config(cfg, &cause) && cause != NULL &&
               strcmp(cause, "test.ini:3: view bad: cols: unknown column 'NOPE' in pools") == 0,
           "a bad [views] string: file:line (%s)", cause ? cause : "(null)");
    free(cause);
    config_destroy(cfg);
    cause = NULL;
    cfg = config_parse("test.ini", "[views]\na = pools\na = queues\n", &cause);
    tap_ok(cfg == NULL && cause != NULL && strstr(cause, "test.ini:3: duplicate view 'a'") != NULL,
           "a view twice: file:line (%s)", cause ? cause : "(null)");
    free(cause);
    cause = NULL;
    cfg = config_parse("test.ini", "[views]\nmy view = pools\n", &cause);
    tap_ok(cfg == NULL && cause != NULL && strstr(cause, "test.ini:2: bad view name") != NULL,
           "a bad view name: file:line (%s)", cause ? cause : "(null)");
    free(cause);

    /* a bad line in the file: file:line */
    FILE *w = fopen(path, "w");
    fputs("# comment\nok = pools\nnot a view line\n", w);
    fclose(w);
    cause = NULL;
    struct view_file h;
    tap_ok(!view_file_load(&h, path, &cause) && cause != NULL &&
               strstr(cause, "/views:3: expected NAME") != NULL,
           "a bad line in the views file: path:line (%s)", cause ? cause : "(null)");
    free(cause);
    view_file_free(&h);
    view_file_free(&g);
    unlink(path);
    char *sub = xasprintf("%s/sub", dir);
    rmdir(sub);
    free(sub);
    rmdir(dir);
    free(path);
}

int main(void)
{
    test_strings();
    test_apply_capture();
    test_layout();
    test_file();
    return tap_done();
}
