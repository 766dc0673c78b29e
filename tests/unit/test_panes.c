/*
 * Every pane through the one interface (panes/pane.h), driven the way the
 * console drives it, with a test host that records what the pane asks:
 *   - every registered pane, the runbook and the drill pane, and the
 *     console's own table: a name, a title, keys that parse, verbs that are
 *     stable identifiers used once per pane, a line of help for each key;
 *   - every registered table pane, over the demo's rows (seed 1, a pinned
 *     clock): its slot digit, title and summary in its top border, its row
 *     count in the bottom one, its keys (move, filter through the host's
 *     line editor, Esc, sort, mark, group, detail through the viewer), and
 *     the rows an action applies to;
 *   - an alert storm (the demo's alerts = 1000): grouping by itself above
 *     group_above, the counts by severity on a group row, the title's
 *     "fired in the last minute", = and a view's group= sticking.
 * A new table pane is covered by registering it; its summary goes in
 * summaries[] below.
 */
#include "../../backends/demo.h"
#include "../../backends/slo.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../panes/drill.h"
#include "../../panes/runbook.h"
#include "../../panes/tablepane.h"
#include "../../tui/console.h"
#include "../../tui/snapshot.h"
#include "../../tui/table.h"
#include "../../tui/view.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <locale.h>
#include <math.h>

static const struct {
    const char *pane;
    const char *summary;
} summaries[] = {
    {"alerts", "4 firing, 2 critical, 1 silenced"},
    {"queues", "8 queues, 1.2M msgs, 5 growing"},
    {"pools", "12 up, 0 down, 0 drain, 0 maint"},
    {"deploys", "6 deployments, 1 rolling, 1 failed"},
    {"silences", "1 active, 0 pending, 0 expired"},
    {"signals", "1 page, 1 ticket, 3 ok"},
};

/* What the test console was asked. */
static struct {
    char message[256];
    char view_title[256];
    char *view_text;
    struct pane_edit edit;
    bool editing;
} host;

static void h_message(void *h, bool error, const char *text)
{
    (void)h;
    snprintf(host.message, sizeof host.message, "%s%s", error ? "ERR " : "", text);
}

static bool h_edit(void *h, const struct pane_edit *e)
{
    (void)h;
    host.edit = *e;
    host.editing = true;
    return true;
}

static bool h_view(void *h, const char *title, const char *text)
{
    (void)h;
    snprintf(host.view_title, sizeof host.view_title, "%s", title);
    free(host.view_text);
    host.view_text = xstrdup(text);
    return true;
}

static char shown_row[128]; /* "pane row" the last show_row asked for */

static bool h_show_row(void *h, const char *pane, const char *row)
{
    (void)h;
    snprintf(shown_row, sizeof shown_row, "%s %s", pane, row);
    return true;
}

static const struct pane_host_ops test_host_ops = {
    .message = h_message,
    .edit = h_edit,
    .view = h_view,
    .show_row = h_show_row,
};

static bool is_verb(const char *v)
{
    if (v == NULL || !islower((unsigned char)v[0])) {
        return false;
    }
    for (; *v != '\0'; v++) {
        if (!islower((unsigned char)*v) && *v != '-') {
            return false;
        }
    }
    return true;
}

/* Walk a key table (and the tables it includes): valid specs, verbs, help; verbs once. */
static void check_keys(const char *who, const struct key_def *table, const char **verbs,
                       size_t *nverbs)
{
    for (const struct key_def *k = table; k->keys != NULL || k->heading != NULL || k->more != NULL;
         k++) {
        if (k->more != NULL) {
            check_keys(who, k->more, verbs, nverbs);
            continue;
        }
        if (k->heading != NULL) {
            continue;
        }
        char *bad = NULL;
        bool ok = key_spec_valid(k->keys, &bad);
        ok = ok && is_verb(k->verb) && k->help != NULL && *k->help != '\0' && k->id != 0;
        for (size_t i = 0; i < *nverbs && ok; i++) {
            ok = strcmp(verbs[i], k->verb) != 0;
        }
        if (!ok) {
            tap_ok(false, "%s: key '%s' (verb '%s'): %s", who, k->keys, k->verb ? k->verb : "",
                   bad != NULL ? bad : "a verb once, a-z and -, with help and an id");
        }
        free(bad);
        verbs[(*nverbs)++] = k->verb;
    }
}

static void tables(void)
{
    const struct pane_ops *all[32];
    size_t n = 0;
    for (size_t i = 0; i < pane_count; i++) {
        all[n++] = pane_registry[i].ops;
    }
    all[n++] = &runbook_pane;
    all[n++] = &drill_pane;
    for (size_t i = 0; i < n; i++) {
        const struct pane_ops *p = all[i];
        tap_ok(p->name != NULL && is_verb(p->name) && p->title != NULL && p->keys != NULL,
               "%s: a name, a title and keys", p->name);
        tap_ok(p->draw && p->key && p->resize && p->update && p->interrupt && p->free,
               "%s: every callback of a pane", p->name);
        tap_ok(p->table == NULL || p->create != NULL, "%s: a table pane can be created", p->name);
        tap_ok(p->table != NULL ||
                   (p->noun && p->run_id && p->ended && p->abort && (!p->close || p->closing)),
               "%s: a side pane has the run part", p->name);
        const char *verbs[64];
        size_t nverbs = 0;
        int before = tap_failed;
        check_keys(p->name, p->keys, verbs, &nverbs);
        tap_ok(tap_failed == before && nverbs > 0, "%s: %zu keys, each valid, verbs once", p->name,
               nverbs);
        for (size_t j = 0; j < i; j++) {
            tap_ok(strcmp(all[j]->name, p->name) != 0, "%s: a name no other pane has", p->name);
        }
        tap_ok(pane_find(p->name) == (p->table != NULL ? p : NULL),
               "%s: pane_find finds the registered ones", p->name);
    }
    const char *verbs[64];
    size_t nverbs = 0;
    int before = tap_failed;
    check_keys("console", frame_keys, verbs, &nverbs);
    tap_ok(tap_failed == before && nverbs > 0, "the console's keys: each valid, verbs once");
    int slots = 0;
    for (size_t i = 0; i < pane_count; i++) {
        slots = pane_registry[i].slot > slots ? pane_registry[i].slot : slots;
        tap_ok(pane_registry[i].slot >= 1 && pane_registry[i].slot < LAYOUT_MAX_SLOTS,
               "%s: in a slot the digits reach", pane_registry[i].ops->name);
    }
    for (int s = 1; s <= slots; s++) {
        bool used = false;
        for (size_t i = 0; i < pane_count; i++) {
            used = used || pane_registry[i].slot == s;
        }
        tap_ok(used, "slot %d holds a pane (no gaps)", s);
    }
}

static char *window_text(WINDOW *win)
{
    struct strbuf sb = {0};
    int h = getmaxy(win), w = getmaxx(win);
    for (int y = 0; y < h; y++) {
        char row[512];
        mvwinnstr(win, y, 0, row, w < 511 ? w : 511);
        strbuf_printf(&sb, "%s\n", row);
    }
    return sb.s;
}

static bool shows(void *self, const struct pane_ops *ops, WINDOW *win, const char *text)
{
    struct pane_view view = {.number = 3, .focused = true, .now_s = clock_wall_s()};
    ops->draw(self, win, &view);
    char *s = window_text(win);
    bool found = strstr(s, text) != NULL;
    if (!found) {
        tap_diag("not on screen: '%s'; screen:\n%s", text, s);
    }
    free(s);
    return found;
}

static const char *summary_of(const char *name)
{
    for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++) {
        if (strcmp(summaries[i].pane, name) == 0) {
            return summaries[i].summary;
        }
    }
    return NULL;
}

static bool key(const struct pane_ops *ops, void *self, wint_t ch, bool is_key)
{
    return ops->key(self, ch, is_key);
}

static void one_table(const struct pane_ops *ops, const struct pane_env *env, WINDOW *win)
{
    void *p = ops->create(ops, env);
    ops->resize(p, getmaxy(win), getmaxx(win));
    tap_ok(ops->update(p, 0), "%s: new rows want a redraw", ops->name);
    tap_ok(!ops->update(p, 0), "%s: nothing changed, no redraw", ops->name);
    const struct tableview *tv = tablepane_view(p);
    tap_ok(tv->nrows > 0, "%s: the demo's rows (%zu)", ops->name, tv->nrows);
    char title[160];
    snprintf(title, sizeof title, " 3 %s %s ", ops->title, summary_of(ops->name));
    tap_ok(summary_of(ops->name) != NULL && shows(p, ops, win, title),
           "%s: the slot digit, the title and the summary in the border", ops->name);
    char foot[64];
    snprintf(foot, sizeof foot, " %zu rows", tv->nrows);
    tap_ok(shows(p, ops, win, foot), "%s: the row count in the bottom border", ops->name);

    size_t sel = tv->sel;
    bool two = tv->nrows >= 2; /* the demo has one silence */
    tap_ok(key(ops, p, 'j', false) && tv->sel == (two ? sel + 1 : sel) && ops->update(p, 0),
           "%s: j moves down and asks for a redraw", ops->name);
    key(ops, p, KEY_HOME, true);
    tap_ok(tv->sel == 0, "%s: Home goes to the first row", ops->name);
    tap_ok(!key(ops, p, 'q', false) && !key(ops, p, '\t', false),
           "%s: the console's keys are the console's", ops->name);

    host.editing = false;
    tap_ok(key(ops, p, '/', false) && host.editing && strcmp(host.edit.label, "/") == 0,
           "%s: / edits the filter in the status line", ops->name);
    const struct rowset *rs;
    size_t row;
    tablepane_selected(p, &rs, &row);
    char *needle = xstrdup(rowset_cell_text(rs, row, ops->table->name_col));
    if (host.editing) {
        host.edit.change(p, needle);
    }
    tap_ok(tv->nrows >= 1 && (tv->nrows < tv->total || !two) && strcmp(tv->filter, needle) == 0,
           "%s: typing filters as it goes (%zu of %zu)", ops->name, tv->nrows, tv->total);
    if (host.editing) {
        host.edit.cancel(p, host.edit.initial);
    }
    tap_ok(tv->filter[0] == '\0' && tv->nrows == tv->total, "%s: Esc restores the filter",
           ops->name);
    tablepane_filter(p, needle);
    tap_ok(shows(p, ops, win, "filter: "), "%s: the footer shows a filter", ops->name);
    tap_ok(key(ops, p, 27, false) && tv->filter[0] == '\0', "%s: Esc clears it", ops->name);
    free(needle);

    int next = tv->sort_col + 1 < model_schema(ops->table->kind)->ncols ? tv->sort_col + 1 : -1;
    key(ops, p, 's', false);
    tap_ok(tv->sort_col == next, "%s: s sorts by the next column", ops->name);
    bool was_desc = tv->sort_desc;
    key(ops, p, 'S', false);
    tap_ok(tv->sort_desc != was_desc, "%s: S reverses", ops->name);
    char *cause = NULL;
    const char *col = model_schema(ops->table->kind)->cols[1].title;
    tap_ok(tablepane_sort_by(p, col, &cause) && tv->sort_col == 1, "%s: :sort %s", ops->name, col);
    tap_ok(!tablepane_sort_by(p, "nope", &cause) && cause != NULL && strstr(cause, "nope"),
           "%s: :sort with an unknown column says so", ops->name);
    free(cause);

    struct rowref *refs = NULL;
    tap_is_int((long long)tablepane_action_rows(p, &refs), 1, "an action applies to the selection");
    free(refs);
    refs = NULL;
    key(ops, p, KEY_HOME, true);
    key(ops, p, ' ', false);
    key(ops, p, two ? ' ' : 'k', false);
    size_t marked = two ? 2 : 1;
    tap_ok(tv->nmarks == marked && tablepane_action_rows(p, &refs) == marked,
           "%s: space marks rows: the action applies to them all", ops->name);
    free(refs);
    tap_ok(key(ops, p, 'u', false) && tv->nmarks == 0, "%s: u unmarks", ops->name);
    tap_ok(!key(ops, p, 'u', false), "%s: u with no marks is left to the actions", ops->name);

    host.view_title[0] = '\0';
    key(ops, p, '\r', false);
    tap_ok(strstr(host.view_title, model_schema(ops->table->kind)->title) != NULL &&
               host.view_text != NULL &&
               str_casestr(host.view_text, model_schema(ops->table->kind)->cols[0].title) != NULL,
           "%s: Enter shows the row's detail in the viewer", ops->name);
    key(ops, p, '=', false);
    tap_ok(tv->group_col == ops->table->group_col && shows(p, ops, win, "grouped by"),
           "%s: = groups", ops->name);
    tap_ok(!ops->interrupt(p), "%s: Ctrl-C is not a table's", ops->name);
    ops->free(p);
}

/* Cells of a UTF-8 string (each glyph here is one cell). */
static int ucells(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

/*
 * Signals over rows built by hand (slo_row): the sparkline and the lights as
 * the table draws them (ASCII and Unicode, every width), no data, the summary,
 * Enter's charts and queries, and windows too small for anything.
 */
static void signals_by_hand(const struct pane_env *base)
{
    const struct pane_ops *ops = pane_find("signals");
    if (!tap_ok(ops != NULL && ops->table != NULL, "signals is a registered table pane")) {
        return;
    }
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_SIGNALS, "prom");
    struct slo_service s = {
        .name = "checkout",
        .traffic = 174,
        .errors = 0.0144,
        .p50 = 0.049,
        .p99 = 0.245,
        .saturation = 0.4,
        .objective = 0.999,
        .window_s = 30 * 86400.0,
        .budget_left = 0.15,
        .window_ratio = NAN,
        .ratio = {0.0144, 0.0144, 0.0144, 0, 0, 0, 0},
        .series = {[SLO_SIG_ERRORS] = "0.1 0.2 nan 1.44", [SLO_SIG_P99] = "180 200 245"},
        .query = {[SLO_SIG_ERRORS] = "sum(rate(http_errors_total{service=\"checkout\"}[5m]))",
                  [SLO_SIG_TRAFFIC] = "sum(rate(http_requests_total[5m]))"},
    };
    slo_row(rs, &s);
    struct slo_service none = {.name = "cart", .objective = NAN, .window_s = 30 * 86400.0};
    none.traffic = none.errors = none.p50 = none.p99 = none.saturation = NAN;
    none.budget_left = none.window_ratio = NAN;
    for (int w = 0; w < SLO_NWINDOWS; w++) {
        none.ratio[w] = NAN;
    }
    slo_row(rs, &none);
    rowset_end(rs);
    store_publish(st, rs);

    /* the snapshot: a sparkline keeps its series, no data is null / empty, never "nan" */
    struct loop *loop = loop_create();
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    snapshot_run(loop, st, NULL, 0, true, f);
    fclose(f);
    cJSON *root = cJSON_Parse(out);
    const cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "panes"), "signals");
    const cJSON *cart = NULL, *chk = NULL;
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(r, "key"));
        if (k != NULL && strcmp(k, "cart") == 0) {
            cart = cJSON_GetObjectItem(r, "cells");
        } else if (k != NULL && strcmp(k, "checkout") == 0) {
            chk = cJSON_GetObjectItem(r, "cells");
        }
    }
    tap_ok(chk != NULL && cart != NULL, "snapshot --json: both services");
    const char *series =
        chk != NULL ? cJSON_GetStringValue(cJSON_GetObjectItem(chk, "ERRORS 1h")) : NULL;
    tap_ok(series != NULL && strcmp(series, "0.1 0.2 nan 1.44") == 0 &&
               cJSON_IsNumber(cJSON_GetObjectItem(chk, "ERR%")),
           "snapshot --json: ERRORS 1h is the series text, ERR%% a number");
    tap_ok(cart != NULL && cJSON_IsNull(cJSON_GetObjectItem(cart, "ERR%")) &&
               cJSON_IsNull(cJSON_GetObjectItem(cart, "BUDGET")) &&
               cJSON_IsNull(cJSON_GetObjectItem(cart, "P99ms")),
           "snapshot --json: no data is null");
    cJSON_Delete(root);
    free(out);
    out = NULL;
    f = open_memstream(&out, &outlen);
    snapshot_run(loop, st, NULL, 0, false, f);
    fclose(f);
    const char *cart_line = strstr(out, "\ncart ");
    char *cl = cart_line != NULL ? xstrndup(cart_line + 1, strcspn(cart_line + 1, "\n")) : NULL;
    tap_ok(cl != NULL && str_casestr(cl, "nan") == NULL && strstr(cl, "????") != NULL &&
               strstr(out, "== Signals: 1 page, 0 ticket, 0 ok, 1 no data ==") != NULL,
           "snapshot text: the signals pane, no data empty, never NaN");
    free(cl);
    free(out);
    loop_destroy(loop);

    for (int uni = 0; uni < 2; uni++) {
        struct pane_env env = *base;
        env.store = st;
        env.g = screen_glyphs(uni == 1);
        void *p = ops->create(ops, &env);
        ops->resize(p, 12, 100);
        ops->update(p, 0);
        const struct tableview *tv = tablepane_view(p);
        const char *mode = uni ? "Unicode" : "ASCII";
        tap_ok(tv->nrows == 2 &&
                   strcmp(rowset_key(tv->rows[0].rs, tv->rows[0].row), "checkout") == 0,
               "signals %s: budget ascending, no data last", mode);
        char sum[96];
        ops->table->summary(tv, sum, sizeof sum);
        tap_is_str(sum, "1 page, 0 ticket, 0 ok, 1 no data", "signals: summary from the lights");

        const struct rowset *r0 = tv->rows[0].rs;
        size_t row0 = tv->rows[0].row, row1 = tv->rows[1].row;
        bool widths = true;
        char buf[512];
        for (int w = 0; w <= 40; w++) {
            table_cell_shown(tv, r0, row0, SIGNAL_TREND, w, 0, env.g, buf, sizeof buf);
            widths = widths && ucells(buf) == w &&
                     (uni || strspn(buf, "._-=+*#^ ") == strlen(buf)) &&
                     (!uni || w == 0 || strstr(buf, "\u2588") != NULL);
        }
        tap_ok(widths, "signals %s: the sparkline is exactly as wide as its column, 0..40", mode);
        table_cell_shown(tv, r0, row0, SIGNAL_TREND, 4, 0, env.g, buf, sizeof buf);
        tap_is_str(buf, uni ? "\u2581\u2582 \u2588" : "._ ^", "signals: the gap is a blank");
        table_cell_shown(tv, r0, row0, SIGNAL_BURN, 11, 0, env.g, buf, sizeof buf);
        tap_is_str(buf, uni ? "\u25cf\u25cb\u25cb\u25cb" : "P...",
                   uni ? "signals: BURN lights as glyphs" : "signals: BURN lights as letters");
        table_cell_shown(tv, r0, row1, SIGNAL_BURN, 11, 0, env.g, buf, sizeof buf);
        tap_is_str(buf, uni ? "\u00b7\u00b7\u00b7\u00b7" : "????", "signals: lights with no data");
        table_cell_shown(tv, r0, row1, SIGNAL_TREND, 6, 0, env.g, buf, sizeof buf);
        tap_is_str(buf, "      ", "signals: no series is a blank sparkline");
        table_cell_shown(tv, r0, row1, SIGNAL_ERRORS, 6, 0, env.g, buf, sizeof buf);
        tap_is_str(buf, "", "signals: a number with no data shows nothing");

        /* Enter: the charts, min / max / now, the queries as fields, the numbers */
        host.view_title[0] = '\0';
        key(ops, p, KEY_HOME, true);
        key(ops, p, '\r', false);
        const char *t = host.view_text != NULL ? host.view_text : "";
        tap_ok(strstr(host.view_title, "checkout") != NULL, "signals Enter: the service's title");
        tap_ok(strstr(t, "errors (%), last hour\n") != NULL &&
                   strstr(t, "p99 (ms), last hour\n") != NULL && strstr(t, "traffic (") == NULL,
               "signals Enter: a chart for each signal with a series");
        tap_ok(strstr(t, "min 0.1  max 1.44  now 1.44 %") != NULL &&
                   strstr(t, "min 180  max 245  now 245 ms") != NULL,
               "signals Enter: min, max and now with the unit");
        tap_ok(
            strstr(t, "query errors\tsum(rate(http_errors_total{service=\"checkout\"}[5m]))\n") !=
                    NULL &&
                strstr(t, "query traffic\tsum(rate(http_requests_total[5m]))\n") != NULL,
            "signals Enter: the queries, as fields y copies");
        tap_ok(strstr(t, "pair 1h+5m 14.4x\tpage") != NULL && strstr(t, "burn 1h\t14.4x") != NULL &&
                   strstr(t, "budget left\t15%") != NULL && strstr(t, "objective\t99.9%") != NULL,
               "signals Enter: budget, burn rates and the pairs");
        /* the chart: 8 lines as wide as the samples, with the top level at the max */
        const char *chart = strstr(t, "errors (%), last hour\n");
        int lines = 0;
        bool shape = chart != NULL;
        if (chart != NULL) {
            const char *l = strchr(chart, '\n') + 1;
            for (; lines < 8; lines++) {
                const char *nl = strchr(l, '\n');
                char *line = xstrndup(l, (size_t)(nl - l));
                shape = shape && ucells(line) == 4;
                free(line);
                l = nl + 1;
            }
            shape = shape && strncmp(l, "min ", 4) == 0;
        }
        tap_ok(shape && strstr(chart, uni ? "\u2588" : "#") != NULL,
               "signals Enter %s: an 8-line chart, a column a sample", mode);

        /* windows of every small size: nothing to see, nothing broken */
        bool drew = true;
        for (int h = 1; h <= 6; h++) {
            for (int w = 1; w <= 30; w++) {
                WINDOW *win = newwin(h, w, 0, 0);
                ops->resize(p, h, w);
                struct pane_view view = {.number = 1, .focused = true, .now_s = 0};
                ops->draw(p, win, &view);
                drew = drew && win != NULL;
                delwin(win);
            }
        }
        tap_ok(drew, "signals %s: drawn in windows from 1x1 to 6x30", mode);
        ops->free(p);
    }
    store_destroy(st);
}

static void set_alert_group(struct tableview *tv, const struct store *st, void *ud)
{
    (void)ud;
    tableview_set_group(tv, st, ALERT_NAME); /* a view's group=ALERT */
}

static void set_no_columns(struct tableview *tv, const struct store *st, void *ud)
{
    (void)st;
    (void)ud;
    tableview_set_columns(tv, NULL, 0); /* :cols back to the default: no grouping said */
}

/* Members of a group row counted by severity by hand, as "N alerts: ..." says them. */
static void counts_by_hand(const struct tableview *tv, size_t idx, char *buf, size_t len)
{
    static const char *const words[] = {"none", "info", "warning", "error", "critical"};
    size_t m = tableview_members(tv, idx, NULL, 0), n[5] = {0};
    struct rowref *r = xcalloc(m, sizeof *r);
    tableview_members(tv, idx, r, m);
    for (size_t i = 0; i < m; i++) {
        n[model_severity_rank(rowset_cell_text(r[i].rs, r[i].row, ALERT_SEV))]++;
    }
    free(r);
    int at = snprintf(buf, len, "%zu alerts:", m);
    const char *sep = " ";
    for (int k = 4; k >= 0; k--) {
        if (n[k] > 0) {
            at += snprintf(buf + at, len - (size_t)at, "%s%zu %s", sep, n[k], words[k]);
            sep = ", ";
        }
    }
}

/*
 * An alert storm (the demo's alerts = 1000, 50 names): the pane groups
 * itself above group_above and ungroups at or below it, until = or a view's
 * group= chooses; the footer says so; a group row counts its members by
 * severity, worst first; the title counts those that fired in the last
 * minute; other kinds' groups have no counts; group_above 0 never groups.
 */
static void alerts_storm(const struct pane_env *base)
{
    struct store *st = store_create();
    char *cause = NULL;
    struct backend *b = backend_create(&demo_backend, "demo", st, NULL);
    tap_ok(backend_configure(b, "seed", "1", &cause) &&
               backend_configure(b, "mode", "still", &cause) &&
               backend_configure(b, "alerts", "1000", &cause) &&
               backend_configure(b, "queues", "1000", &cause) && backend_start(b, &cause),
           "a demo with a storm of 1000 alerts");
    tap_ok(!backend_configure(b, "alerts", "200001", &cause) && cause != NULL &&
               strcmp(cause, "bad alerts '200001' (0 to 200000)") == 0,
           "alerts: at most 200000 (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    demo_backend.poll(b);
    struct pane_env env = *base;
    env.store = st;
    env.backends = &b;
    env.nbackends = 1;
    env.group_above = 200;
    WINDOW *win = newwin(20, 160, 0, 0);
    const struct pane_ops *ops = pane_find("alerts");
    void *p = ops->create(ops, &env);
    ops->resize(p, 20, 160);
    ops->update(p, 0);
    const struct tableview *tv = tablepane_view(p);
    const struct rowref *all;
    size_t total = tableview_filtered(tv, &all);
    tap_ok(total > 1000 && tv->group_col == ALERT_NAME && tv->group_auto,
           "storm: more than 200 rows (%zu): grouped by itself", total);
    tap_ok(tv->nrows >= 50 && tv->nrows <= 60, "storm: about 50 names on screen (%zu)", tv->nrows);
    tap_ok(shows(p, ops, win, "grouped by ALERT (auto: more than 200 rows; = to ungroup)"),
           "storm: the footer says it grouped by itself, and how to undo it");
    /* every group row: its counts by severity are its members', worst first */
    size_t groups = 0, right = 0;
    char want[160], got[160] = "";
    for (size_t i = 0; i < tv->nrows; i++) {
        if (tv->group_size[i] < 2) {
            tap_ok(!tableview_group_counts(tv, i, got, sizeof got), "a row alone has no counts");
            continue;
        }
        groups++;
        counts_by_hand(tv, i, want, sizeof want);
        right += tableview_group_counts(tv, i, got, sizeof got) && strcmp(got, want) == 0;
    }
    tap_ok(groups >= 50 && right == groups, "storm: %zu of %zu group rows count by severity", right,
           groups);
    tableview_group_counts(tv, 0, got, sizeof got);
    tap_ok(strstr(got, " critical, ") != NULL &&
               strstr(got, " critical, ") < strstr(got, " warning"),
           "storm: worst first: '%s'", got);
    tap_ok(shows(p, ops, win, got), "storm: the counts are drawn in the group row");
    /* fired in the last minute: rows whose start is within 60 s of the wall clock */
    size_t fired = 0;
    int64_t now = clock_wall_s();
    for (size_t i = 0; i < total; i++) {
        double start = rowset_cells(all[i].rs, all[i].row)[ALERT_AGE].num;
        fired += start > 0 && now - (int64_t)start >= 0 && now - (int64_t)start < 60;
    }
    char title[96];
    snprintf(title, sizeof title, ", %zu fired in the last minute ", fired);
    tap_ok(fired > 0 && shows(p, ops, win, title), "storm: the title says%s", title);

    /* a filter leaving 200 rows or fewer ungroups by itself; clearing it groups again */
    tablepane_filter(p, "EdgeHighLatency");
    ops->update(p, 0);
    tap_ok(tv->group_col < 0 && !tv->group_auto && tv->nrows > 1 && tv->nrows <= 200,
           "storm: a filter leaving %zu rows ungroups by itself", tv->nrows);
    tap_ok(!shows(p, ops, win, "grouped by"), "storm: the footer says nothing of grouping then");
    tablepane_filter(p, "");
    ops->update(p, 0);
    tap_ok(tv->group_col == ALERT_NAME && tv->group_auto, "storm: no filter: grouped again");
    /* a view's columns say nothing of grouping: still the pane's own */
    tablepane_edit(p, set_no_columns, NULL);
    ops->update(p, 0);
    tap_ok(tv->group_col == ALERT_NAME && tv->group_auto, "storm: :cols leaves the auto grouping");
    struct view v;
    view_capture_table(&v, tv, ALERT_SEV, true);
    tap_ok(v.group_col < 0, "storm: a saved view does not keep the auto grouping");
    view_free(&v);

    /* = is the operator's: it sticks across publishes and filters */
    key(ops, p, '=', false);
    ops->update(p, 0);
    tap_ok(tv->group_col < 0 && tv->nrows == total, "storm: = ungroups (%zu rows)", tv->nrows);
    demo_backend.poll(b);
    ops->update(p, 0);
    tablepane_filter(p, "Edge");
    ops->update(p, 0);
    tablepane_filter(p, "");
    ops->update(p, 0);
    tap_ok(tv->group_col < 0, "storm: = sticks across a publish and filters");
    key(ops, p, '=', false);
    tablepane_filter(p, "EdgeHighLatency");
    ops->update(p, 0);
    tap_ok(tv->group_col == ALERT_NAME && !tv->group_auto &&
               shows(p, ops, win, "grouped by ALERT ") && !shows(p, ops, win, "(auto"),
           "storm: = again groups, and a filter to few rows leaves it grouped");
    ops->free(p);

    /* a view's group= sticks too */
    p = ops->create(ops, &env);
    ops->update(p, 0);
    tv = tablepane_view(p);
    tablepane_edit(p, set_alert_group, NULL);
    tablepane_filter(p, "EdgeHighLatency");
    ops->update(p, 0);
    tap_ok(tv->group_col == ALERT_NAME && !tv->group_auto,
           "storm: a view's group= sticks (a filter to few rows leaves it grouped)");
    ops->free(p);

    /* the threshold: more than group_above groups, group_above itself does not */
    env.group_above = total;
    p = ops->create(ops, &env);
    ops->update(p, 0);
    tap_ok(tablepane_view(p)->group_col < 0, "storm: exactly group_above rows: not grouped");
    ops->free(p);
    env.group_above = total - 1;
    p = ops->create(ops, &env);
    ops->update(p, 0);
    tap_ok(tablepane_view(p)->group_col == ALERT_NAME, "storm: one more than group_above: grouped");
    ops->free(p);
    env.group_above = 0;
    p = ops->create(ops, &env);
    ops->update(p, 0);
    tap_ok(tablepane_view(p)->group_col < 0 && tablepane_view(p)->nrows == total,
           "storm: group_above 0 never groups");
    ops->free(p);
    /* :reload with a new group_above */
    env.group_above = 200;
    p = ops->create(ops, &env);
    ops->update(p, 0);
    tablepane_set_group_above(p, 0);
    tap_ok(tablepane_view(p)->group_col < 0, "storm: group_above 0 by :reload ungroups");
    ops->update(p, 0);
    tap_ok(tablepane_view(p)->group_col < 0, "storm: ... and stays so");
    tablepane_set_group_above(p, 200);
    ops->update(p, 0);
    tap_ok(tablepane_view(p)->group_col == ALERT_NAME, "storm: group_above 200 again: grouped");
    ops->free(p);

    /* other kinds: auto grouping too, and "(N)" without counts */
    env.group_above = 200;
    const struct pane_ops *q = pane_find("queues");
    p = q->create(q, &env);
    q->resize(p, 20, 160);
    q->update(p, 0);
    tv = tablepane_view(p);
    tap_ok(tv->group_col == QUEUE_VHOST && tv->group_auto && tv->nrows >= 1,
           "queues: 1000 rows group by themselves (%zu groups)", tv->nrows);
    tap_ok(tv->group_size[0] > 1 && !tableview_group_counts(tv, 0, got, sizeof got),
           "queues: a group row has no counts by severity");
    char n[32];
    snprintf(n, sizeof n, " (%u)", tv->group_size[0]);
    tap_ok(shows(p, q, win, n), "queues: the group row keeps its (N)");
    q->free(p);
    delwin(win);
    backend_destroy(b);
    store_destroy(st);
}

/*
 * The alerts' order (SEV descending, then AGE descending) on rows made to
 * tie: severities in every spelling, start times a second apart near now
 * (where a float's steps are 128 s), equal, none (NaN), 0 and huge (the
 * first row huge: a second row sets the keys' base); checked
 * pair by pair against the plain comparison, both directions of AGE.
 */
static void alerts_order(void)
{
    static const char *const sevs[] = {"critical", "Warning", "warn", "info", "", "crit", "page"};
    static const double odd[] = {1e300, 0, NAN, -1e300, 1795000000.5, 3.4e38, 3.5e38};
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_ALERTS, "order");
    uint64_t x = 7;
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        rowset_begin(rs, key);
        rowset_text(rs, ALERT_SEV, sevs[(x >> 33) % 7]);
        rowset_text(rs, ALERT_NAME, key);
        unsigned pick = (unsigned)(x >> 40) % 10;
        double start = i == 0               ? 1e300
                       : pick < 7 || i == 1 ? 1795000000.0 - (double)((x >> 20) % 900)
                                            : odd[(x >> 50) % 7];
        rowset_cell(rs, ALERT_AGE, "", start);
    }
    store_publish(st, rs);
    for (int dir = 0; dir < 2; dir++) {
        struct tableview tv;
        tableview_init(&tv, MODEL_ALERTS);
        tv.then_col = ALERT_AGE;
        tv.then_desc = dir == 0;
        tableview_set_sort(&tv, st, ALERT_SEV, true);
        size_t bad = 0;
        for (size_t i = 1; i < tv.nrows; i++) {
            const struct rowref *a = &tv.rows[i - 1], *b = &tv.rows[i];
            int ra = model_severity_rank(rowset_cell_text(a->rs, a->row, ALERT_SEV));
            int rb = model_severity_rank(rowset_cell_text(b->rs, b->row, ALERT_SEV));
            int c = ra > rb ? -1 : ra < rb ? 1 : 0;
            if (c == 0) {
                double p = rowset_cells(a->rs, a->row)[ALERT_AGE].num;
                double q = rowset_cells(b->rs, b->row)[ALERT_AGE].num;
                if (isnan(p) || isnan(q)) {
                    c = isnan(p) == isnan(q) ? 0 : isnan(p) ? 1 : -1;
                } else {
                    c = p < q ? -1 : p > q ? 1 : 0;
                    c = tv.then_desc ? -c : c;
                }
            }
            c = c != 0 ? c : a->row < b->row ? -1 : 1;
            bad += c > 0;
        }
        tap_ok(tv.nrows == 3000 && bad == 0,
               "alerts order: SEV, then AGE %s, ties as published: %zu pairs out of order",
               dir == 0 ? "descending" : "ascending", bad);
        tableview_finish(&tv);
    }
    store_destroy(st);
}

/* g on an alert with a service label asks the console for Signals; without one: first row. */
static void alerts_g(const struct pane_env *env)
{
    const struct pane_ops *ops = pane_find("alerts");
    void *p = ops->create(ops, env);
    ops->resize(p, 20, 110);
    ops->update(p, 0);
    const struct tableview *tv = tablepane_view(p);
    long with = -1, without = -1;
    char want[128] = "";
    for (size_t i = 0; i < tv->nrows; i++) {
        const char *d = rowset_str(tv->rows[i].rs, tv->rows[i].rs->rows[tv->rows[i].row].detail);
        const char *has = strstr(d, "label.service\t");
        if (has != NULL && with < 0) {
            with = (long)i;
            has += strlen("label.service\t");
            snprintf(want, sizeof want, "signals %.*s", (int)strcspn(has, "\n"), has);
        } else if (strstr(d, "label.service\t") == NULL && without < 0 && i > 0) {
            without = (long)i;
        }
    }
    if (!tap_ok(with >= 0 && without > 0, "the demo has alerts with and without a service label")) {
        ops->free(p);
        return;
    }
    key(ops, p, KEY_HOME, true);
    for (long i = 0; i < with; i++) {
        key(ops, p, 'j', false);
    }
    shown_row[0] = '\0';
    tap_ok(key(ops, p, 'g', false) && strcmp(shown_row, want) == 0,
           "alerts: g on an alert with a service label asks for its row in Signals (%s)",
           shown_row);
    tap_ok(tv->sel == (size_t)with, "alerts: g with a label leaves the selection alone");
    key(ops, p, KEY_HOME, true);
    for (long i = 0; i < without; i++) {
        key(ops, p, 'j', false);
    }
    shown_row[0] = '\0';
    tap_ok(key(ops, p, 'g', false) && shown_row[0] == '\0' && tv->sel == 0,
           "alerts: g on an alert without a service label is first row");
    ops->free(p);
    /* g elsewhere stays first row */
    const struct pane_ops *q = pane_find("queues");
    p = q->create(q, env);
    q->update(p, 0);
    key(q, p, 'j', false);
    shown_row[0] = '\0';
    tap_ok(key(q, p, 'g', false) && tablepane_view(p)->sel == 0 && shown_row[0] == '\0',
           "queues: g is first row");
    q->free(p);
}

int main(void)
{
    setlocale(LC_ALL, "C");
    clock_pin_wall(1795000000000);
    tables();

    struct store *st = store_create();
    char *cause = NULL;
    struct backend *b = backend_create(&demo_backend, "demo", st, NULL);
    backend_configure(b, "seed", "1", &cause);
    backend_configure(b, "mode", "still", &cause);
    backend_start(b, &cause);
    demo_backend.poll(b);
    FILE *out = fopen("/dev/null", "w");
    SCREEN *scr = newterm("xterm", out, stdin);
    if (!tap_ok(scr != NULL, "newterm(xterm) works")) {
        return tap_done();
    }
    WINDOW *win = newwin(20, 110, 0, 0);
    struct loop *loop = loop_create();
    struct pane_host ph = {.ops = &test_host_ops, .host = NULL};
    struct pane_env env = {
        .loop = loop,
        .store = st,
        .backends = &b,
        .nbackends = 1,
        .host = &ph,
        .g = screen_glyphs(false),
    };
    for (size_t i = 0; i < pane_count; i++) {
        if (pane_registry[i].ops->table != NULL) {
            one_table(pane_registry[i].ops, &env, win);
        }
    }
    signals_by_hand(&env);
    alerts_g(&env);
    alerts_storm(&env);
    alerts_order();
    free(host.view_text);
    delwin(win);
    endwin();
    delscreen(scr);
    fclose(out);
    loop_destroy(loop);
    backend_destroy(b);
    store_destroy(st);
    return tap_done();
}
