/* The alerts pane: what is burning. */
#include "pane.h"

#include <stdio.h>

static void alerts_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t crit = pane_count_text(tv, ALERT_SEV, "critical");
    size_t firing = pane_count_text(tv, ALERT_STATE, "firing");
    size_t silenced = pane_count_text(tv, ALERT_STATE, "silenced");
    snprintf(buf, len, "%zu firing, %zu critical, %zu silenced", firing, crit, silenced);
}

const struct pane_impl alerts_pane = {
    .name = "alerts",
    .kind = MODEL_ALERTS,
    .sort_col = -1,
    .group_col = ALERT_NAME,
    .name_col = ALERT_NAME,
    .summary = alerts_summary,
};
