/*
 * The alerts pane: what is burning; r opens the selected alert's runbook, g
 * shows its service's signals (the alert's `service` label) in Signals.
 */
#include "tablepane.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ALERTS_RUNBOOK = TABLEPANE_KEY_OWN, ALERTS_SIGNALS, ALERTS_HISTORY };

/* The selected alert's `service` label (the caller frees), or NULL. */
static char *service_label(const void *self)
{
    const struct rowset *rs;
    size_t row;
    if (!tablepane_selected(self, &rs, &row)) {
        return NULL;
    }
    static const char key[] = "label.service\t";
    const char *d = rowset_str(rs, rs->rows[row].detail);
    for (const char *line = d; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (n > sizeof key - 1 && strncmp(line, key, sizeof key - 1) == 0) {
            return xstrndup(line + sizeof key - 1, n - (sizeof key - 1));
        }
        line += n;
        line += *line == '\n';
    }
    return NULL;
}

/* g is the jump only on an alert with a service label; elsewhere it stays first-row. */
static bool has_service(const void *self)
{
    char *s = service_label(self);
    bool yes = s != NULL && s[0] != '\0';
    free(s);
    return yes;
}

/* Filtered rows (every member, when grouped) that started in the last 60 s of the wall clock. */
static size_t alerts_fired_since(const struct tableview *tv, int64_t now_s, int64_t secs)
{
    const struct rowref *rows;
    size_t n = tableview_filtered(tv, &rows), fired = 0;
    for (size_t i = 0; i < n; i++) {
        double start = rowset_cells(rows[i].rs, rows[i].row)[ALERT_AGE].num;
        fired += start > 0 && (int64_t)start <= now_s && now_s - (int64_t)start < secs;
    }
    return fired;
}

/* "12 firing, 3 critical, 1 silenced, 40 fired in the last minute": the last part when any. */
static void alerts_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t crit = pane_count_text(tv, ALERT_SEV, "critical");
    size_t firing = pane_count_text(tv, ALERT_STATE, "firing");
    size_t silenced = pane_count_text(tv, ALERT_STATE, "silenced");
    size_t fired = alerts_fired_since(tv, clock_wall_s(), 60);
    int n = snprintf(buf, len, "%zu firing, %zu critical, %zu silenced", firing, crit, silenced);
    if (fired > 0 && n > 0 && (size_t)n < len) {
        snprintf(buf + n, len - (size_t)n, ", %zu fired in the last minute", fired);
    }
}

/* r: the console finds the alert's runbook (engine/locate.h); its labels become variables. */
static bool alerts_key(void *self, int id)
{
    const struct pane_host *h = tablepane_host(self);
    const struct rowset *rs;
    size_t row;
    if (id == ALERTS_HISTORY) {
        h->ops->command(h->host, "history");
        return true;
    }
    if (id == ALERTS_SIGNALS) {
        char *service = service_label(self);
        if (service != NULL && h->ops->show_row != NULL) {
            h->ops->show_row(h->host, "signals", service);
        }
        free(service);
        return true;
    }
    if (id != ALERTS_RUNBOOK) {
        return false;
    }
    if (!tablepane_selected(self, &rs, &row)) {
        pane_say(h, true, "no alert selected");
        return true;
    }
    h->ops->open_runbook(h->host, rowset_cell_text(rs, row, ALERT_NAME),
                         rowset_str(rs, rs->rows[row].detail));
    return true;
}

static const struct key_def alerts_keys[] = {
    {.keys = "g",
     .verb = "alert-signals",
     .id = ALERTS_SIGNALS,
     .help = "the alert's service in Signals (its service label; without one g is first row)",
     .when = has_service},
    {.more = tablepane_keys},
    {.keys = "r",
     .verb = "alert-runbook",
     .id = ALERTS_RUNBOOK,
     .help = "open the selected alert's runbook"},
    {.keys = "H",
     .verb = "alert-history",
     .id = ALERTS_HISTORY,
     .help = "the alert history: every transition seen (:history)"},
    {0},
};

static const struct pane_table alerts_table = {
    .kind = MODEL_ALERTS,
    /* the worst first (critical, error, warning, info, none), then the newest: what just paged */
    .sort_col = ALERT_SEV,
    .sort_desc = true,
    .then_by = true,
    .then_col = ALERT_AGE,
    .then_desc = true, /* by start time: the latest start, the smallest age, first */
    .group_col = ALERT_NAME,
    .group_counts = true, /* "312 alerts: 12 critical, 300 warning" */
    .group_counts_col = ALERT_SUMMARY,
    .name_col = ALERT_NAME,
    .summary = alerts_summary,
    .summary_clock = true, /* "fired in the last minute" */
    .key = alerts_key,
};

const struct pane_ops alerts_pane = {
    .name = "alerts",
    .title = "Alerts",
    .keys = alerts_keys,
    .table = &alerts_table,
    TABLEPANE_CALLBACKS,
};
