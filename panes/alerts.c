/* The alerts pane: what is burning; r opens the selected alert's runbook. */
#include "tablepane.h"

#include <stdio.h>

enum { ALERTS_RUNBOOK = TABLEPANE_KEY_OWN };

static void alerts_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t crit = pane_count_text(tv, ALERT_SEV, "critical");
    size_t firing = pane_count_text(tv, ALERT_STATE, "firing");
    size_t silenced = pane_count_text(tv, ALERT_STATE, "silenced");
    snprintf(buf, len, "%zu firing, %zu critical, %zu silenced", firing, crit, silenced);
}

/* r: the console finds the alert's runbook (engine/locate.h); its labels become variables. */
static bool alerts_key(void *self, int id)
{
    const struct pane_host *h = tablepane_host(self);
    const struct rowset *rs;
    size_t row;
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
    {.more = tablepane_keys},
    {.keys = "r",
     .verb = "alert-runbook",
     .id = ALERTS_RUNBOOK,
     .help = "open the selected alert's runbook"},
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
    .name_col = ALERT_NAME,
    .summary = alerts_summary,
    .key = alerts_key,
};

const struct pane_ops alerts_pane = {
    .name = "alerts",
    .title = "Alerts",
    .keys = alerts_keys,
    .table = &alerts_table,
    TABLEPANE_CALLBACKS,
};
