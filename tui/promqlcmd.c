/*
 * :promql [@NAME] [QUERY] (console.h): an ad-hoc PromQL query on a
 * prometheus backend (@NAME, else the first one in the config) opens the
 * PromQL pane (panes/promql.c, on demand) in the Alerts slot's place with
 * the query in its title; the query (backends/prometheus_query.h) runs now
 * and at every refresh of that backend until the pane closes (Esc). One
 * query at a time: a new one replaces it.
 *
 * Each query typed is kept, as typed (with its @NAME), in
 * $XDG_STATE_HOME/opsdeck/promql_history: the last 50, one a line, mode
 * 0600, never twice in a row. :promql alone (or e in the pane) opens the
 * prompt with the newest prefilled; Up and Down walk the others.
 */
#include "console.h"

#include "../backends/backend.h"
#include "../backends/prometheus_query.h"
#include "../common/util.h"
#include "../engine/paths.h"
#include "../panes/tablepane.h"
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PROMQL_HISTORY_MAX = 50 };

struct promqlcmd {
    struct history hist;
    bool loaded;
    struct prometheus_query *q; /* the open query, or NULL */
    struct panel *panel;        /* its pane while on screen */
    bool failing;               /* the last answer was an error, said once in the status line */
};

static struct promqlcmd *state(struct ui *ui)
{
    if (ui->promql == NULL) {
        ui->promql = xcalloc(1, sizeof *ui->promql);
    }
    struct promqlcmd *pc = ui->promql;
    if (!pc->loaded) {
        char *dir = paths_state_dir();
        char *path = xasprintf("%s/promql_history", dir);
        history_load(&pc->hist, path, PROMQL_HISTORY_MAX);
        free(path);
        free(dir);
        pc->loaded = true;
    }
    return pc;
}

static void remember(struct ui *ui, struct promqlcmd *pc, const char *line)
{
    if (!history_add(&pc->hist, line)) {
        return;
    }
    char *dir = paths_state_dir();
    char *path = xasprintf("%s/promql_history", dir);
    char *cause = NULL;
    if (!history_save(&pc->hist, path, &cause)) {
        ui_say(ui, true, "promql history: %s", cause);
        free(cause);
    }
    free(path);
    free(dir);
}

/* After every answer: the pane's status says what Prometheus said. */
static void on_answer(void *ud)
{
    struct ui *ui = ud;
    struct promqlcmd *pc = ui->promql;
    if (pc == NULL || pc->q == NULL || pc->panel == NULL) {
        return;
    }
    const char *err = prometheus_query_error(pc->q);
    if (err != NULL) {
        tablepane_set_status(pc->panel->self, err, true);
        if (!pc->failing) {
            ui_say(ui, true, "%s", err);
        }
        pc->failing = true;
    } else {
        const char *note = prometheus_query_note(pc->q);
        if (note == NULL && store_nrows(ui->store, MODEL_PROMQL) == 0) {
            note = "no series: the query matched nothing";
        }
        tablepane_set_status(pc->panel->self, note, false);
        pc->failing = false;
    }
    pc->panel->dirty = true;
}

static void on_prompt(void *self, const char *text)
{
    promqlcmd_run(self, text);
}

static void open_prompt(struct ui *ui, struct promqlcmd *pc, const char *initial)
{
    struct line_mode l = {
        .hint = " Enter run  Up/Down history  Esc cancel ",
        .enter = on_prompt,
        .history = pc->hist.lines,
        .nhistory = pc->hist.n,
    };
    snprintf(l.label, sizeof l.label, ":promql ");
    keys_line_open(ui, &l, initial);
}

/* @NAME, or the first prometheus backend; NULL after saying why. */
static struct backend *pick_backend(struct ui *ui, const char *name)
{
    if (name != NULL) {
        struct backend *b = ui_backend(ui, name);
        if (b == NULL) {
            ui_say(ui, true, ":promql: no backend named '%s'", name);
        }
        return b;
    }
    for (size_t i = 0; i < ui->nbackends; i++) {
        if (prometheus_http(ui->backends[i]) != NULL) {
            return ui->backends[i];
        }
    }
    ui_say(ui, true, ":promql: no prometheus backend in the config");
    return NULL;
}

static const struct pane_ops *promql_ops(void)
{
    for (size_t i = 0; i < pane_on_demand_count; i++) {
        if (strcmp(pane_on_demand[i].ops->name, "promql") == 0) {
            return pane_on_demand[i].ops;
        }
    }
    return NULL;
}

void promqlcmd_run(struct ui *ui, const char *arg)
{
    struct promqlcmd *pc = state(ui);
    char *typed = xstrdup(arg);
    str_trim(typed);
    char *line = xstrdup(typed);
    char *name = NULL, *query = line;
    if (line[0] == '@') {
        name = line + 1;
        query = line + strcspn(line, " ");
        if (*query != '\0') {
            *query++ = '\0';
        }
        query = str_trim(query);
    }
    struct backend *b = NULL;
    if (*query == '\0') {
        char *initial = name != NULL ? xasprintf("@%s ", name)
                                     : xstrdup(pc->hist.n ? history_newest(&pc->hist) : "");
        open_prompt(ui, pc, initial);
        free(initial);
    } else if ((b = pick_backend(ui, name)) != NULL) {
        remember(ui, pc, typed);
        char *cause = NULL;
        struct prometheus_query *q = prometheus_query_start(b, query, on_answer, ui, &cause);
        if (q == NULL) {
            ui_say(ui, true, ":promql: %s", cause);
            free(cause);
        } else {
            prometheus_query_stop(pc->q); /* after: it may have had the same backend's rows */
            pc->q = q;
            pc->failing = false;
            pc->panel = ui_pane_open(ui, promql_ops(), promqlcmd_closed);
            if (pc->panel == NULL) {
                ui_say(ui, true, ":promql: no room for its pane");
                prometheus_query_stop(pc->q);
                pc->q = NULL;
            } else {
                char *title = xasprintf("PromQL %s", query);
                char *status = xasprintf("querying %s%s", b->name, ui->g->ellipsis);
                tablepane_set_title(pc->panel->self, title);
                tablepane_set_status(pc->panel->self, status, false);
                tablepane_filter(pc->panel->self, "");
                free(status);
                free(title);
            }
        }
    }
    free(line);
    free(typed);
}

void promqlcmd_closed(struct ui *ui)
{
    struct promqlcmd *pc = ui->promql;
    if (pc == NULL) {
        return;
    }
    prometheus_query_stop(pc->q);
    pc->q = NULL;
    if (pc->panel != NULL) {
        tablepane_set_title(pc->panel->self, NULL);
        tablepane_set_status(pc->panel->self, NULL, false);
        pc->panel = NULL;
    }
}

void promqlcmd_free(struct ui *ui)
{
    struct promqlcmd *pc = ui->promql;
    if (pc == NULL) {
        return;
    }
    prometheus_query_stop(pc->q);
    history_free(&pc->hist);
    free(pc);
    ui->promql = NULL;
}
