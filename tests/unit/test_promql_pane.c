/*
 * The PromQL pane (panes/promql.c) with a test host that records what the pane asks, over rows
 * built from a real Prometheus answer (argv[1]: tests/fixtures/promql): registered on demand (not
 * in pane_registry, so snapshot and conditions do not see it), its keys, the query in its title,
 * the status the console sets (a note after the summary; an error in the border and, with no rows,
 * the body), Esc closing it only when no filter is on, e asking for the command.
 */
#include "../../backends/prometheus_query.h"
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../panes/tablepane.h"
#include "../../tui/console.h"
#include "tap.h"

#include <locale.h>

static struct {
    int closes;
    char command[256];
    struct pane_edit edit;
} host;

static void h_message(void *h, bool error, const char *text)
{
    (void)h;
    (void)error;
    (void)text;
}

static bool h_edit(void *h, const struct pane_edit *e)
{
    (void)h;
    host.edit = *e;
    return true;
}

static void h_close(void *h)
{
    (void)h;
    host.closes++;
}

static void h_command(void *h, const char *line)
{
    (void)h;
    snprintf(host.command, sizeof host.command, "%s", line);
}

static const struct pane_host_ops test_host_ops = {
    .message = h_message,
    .edit = h_edit,
    .close = h_close,
    .command = h_command,
};

static char *line_of(WINDOW *win, int y)
{
    static char buf[512];
    mvwinnstr(win, y, 0, buf, (int)sizeof buf - 1);
    return buf;
}

static bool window_has(WINDOW *win, const char *text)
{
    for (int y = 0; y < getmaxy(win); y++) {
        if (strstr(line_of(win, y), text) != NULL) {
            return true;
        }
    }
    return false;
}

static const struct pane_ops *promql(void)
{
    for (size_t i = 0; i < pane_on_demand_count; i++) {
        if (strcmp(pane_on_demand[i].ops->name, "promql") == 0) {
            return pane_on_demand[i].ops;
        }
    }
    return NULL;
}

static void publish(struct store *st, const char *dir, const char *name)
{
    size_t len, total;
    char *body = tap_fixture(dir, name, &len);
    struct rowset *rs = rowset_create(MODEL_PROMQL, "prom");
    char *cause = NULL;
    if (prometheus_query_rows(body, len, NULL, 0, 0, "sum by (code) (x)", rs, &total, NULL,
                              &cause)) {
        store_publish(st, rs);
    } else {
        tap_diag("%s: %s", name, cause);
        rowset_destroy(rs);
    }
    free(cause);
    free(body);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fixtures/promql";
    setlocale(LC_ALL, "C");
    clock_pin_wall(1795000000000);
    const struct pane_ops *ops = promql();
    if (!tap_ok(ops != NULL && ops->table != NULL,
                "the promql table pane is registered on demand")) {
        return tap_done();
    }
    tap_ok(pane_find("promql") == NULL, "... and not among the panes always on screen");
    size_t k = 0;
    while (k < pane_on_demand_count && pane_on_demand[k].ops != ops) {
        k++;
    }
    tap_is_int(pane_on_demand[k].slot, 1, "its slot is the Alerts pane's");
    bool keys_ok = true, has_esc = false, has_e = false;
    for (const struct key_def *kd = ops->keys; kd->keys != NULL || kd->more != NULL; kd++) {
        if (kd->more != NULL) {
            continue;
        }
        char *bad = NULL;
        keys_ok = keys_ok && key_spec_valid(kd->keys, &bad) && kd->help != NULL;
        free(bad);
        has_esc = has_esc || strcmp(kd->verb, "promql-close") == 0;
        has_e = has_e || strcmp(kd->verb, "promql-edit") == 0;
    }
    tap_ok(keys_ok && has_esc && has_e,
           "its own keys (close, edit) are in its key table, for help");

    struct store *st = store_create();
    FILE *out = fopen("/dev/null", "w");
    SCREEN *scr = newterm("xterm", out, stdin);
    if (!tap_ok(scr != NULL, "newterm(xterm) works")) {
        return tap_done();
    }
    WINDOW *win = newwin(12, 100, 0, 0);
    struct loop *loop = loop_create();
    struct pane_host ph = {.ops = &test_host_ops, .host = NULL};
    struct pane_env env = {.loop = loop, .store = st, .host = &ph, .g = screen_glyphs(false)};
    void *p = ops->create(ops, &env);
    struct pane_view view = {.number = 1, .focused = true, .now_s = clock_wall_s()};
    ops->resize(p, 12, 100);

    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(window_has(win, "1 PromQL ") && window_has(win, "no backend configured for promql"),
           "not opened by a command: it says nothing feeds it");

    tablepane_set_title(p, "PromQL sum by (code) (x)");
    tablepane_set_status(p, "querying prom...", false);
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(strstr(line_of(win, 0), "1 PromQL sum by (code) (x)") != NULL, "the query in its title");
    tap_ok(window_has(win, "querying prom..."), "before the first answer: the status shows");

    publish(st, dir, "sum.json");
    tablepane_set_status(p, NULL, false);
    tap_ok(ops->update(p, 0), "new rows: redrawn");
    ops->draw(p, win, &view);
    tap_ok(strstr(line_of(win, 0), "2 series") != NULL, "the summary counts the series");
    tap_ok(window_has(win, "{code=\"200\"}") && window_has(win, "82"), "a row and its value");

    tablepane_set_status(p, "showing 2000 of 5000 series", false);
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(strstr(line_of(win, 0), "2 series  showing 2000 of 5000 series") != NULL,
           "a note follows the summary");

    tablepane_set_status(p, "prom: Prometheus error (bad_data): boom", true);
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(strstr(line_of(win, 0), "prom: Prometheus error (bad_data): boom") != NULL,
           "an error in the top border, the rows kept");
    tap_ok(window_has(win, "{code=\"200\"}"), "... the last good rows stay");
    store_forget(st, MODEL_PROMQL, "prom");
    ops->update(p, 0);
    ops->draw(p, win, &view);
    bool body = false;
    for (int y = 1; y < getmaxy(win) - 1; y++) {
        body = body || strstr(line_of(win, y), "prom: Prometheus error (bad_data): boom") != NULL;
    }
    tap_ok(body, "with no rows, the error in the body too");
    publish(st, dir, "sum.json");
    tablepane_set_status(p, NULL, false);
    ops->update(p, 0);

    /* a filter, then Esc: the filter goes, the pane stays; Esc again: close */
    tap_ok(ops->key(p, '/', false) && host.edit.change != NULL, "/ asks the host for a filter");
    host.edit.change(p, "400");
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(window_has(win, "filter: 400"), "the filter applies");
    tap_ok(ops->key(p, 27, false), "Esc is taken");
    tap_is_int(host.closes, 0, "Esc with a filter on does not close");
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(!window_has(win, "filter: 400"), "... it clears the filter");
    tap_ok(ops->key(p, 27, false), "Esc again is taken");
    tap_is_int(host.closes, 1, "... and asks the host to close the pane");
    tap_ok(ops->key(p, 'e', false), "e is taken");
    tap_is_str(host.command, "promql", "e asks for :promql (the prompt with the query)");

    tablepane_set_title(p, NULL);
    ops->update(p, 0);
    ops->draw(p, win, &view);
    tap_ok(strstr(line_of(win, 0), "1 PromQL ") != NULL &&
               strstr(line_of(win, 0), "sum by") == NULL,
           "no title set: back to PromQL");

    ops->free(p);
    delwin(win);
    endwin();
    delscreen(scr);
    fclose(out);
    loop_destroy(loop);
    store_destroy(st);
    return tap_done();
}
