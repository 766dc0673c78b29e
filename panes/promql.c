/*
 * The PromQL pane: the series of the ad-hoc query :promql opened (one row
 * per series: labels, value, the last hour), refreshed with its backend.
 * Opened on demand (pane_on_demand) in the Alerts slot's place; the console
 * puts the query in its title and Prometheus's answer (an error, "showing
 * 2000 of N") in its status. Esc clears a filter first, then closes it; e
 * edits the query.
 */
#include "tablepane.h"

#include <stdio.h>

enum { PROMQL_CLOSE = TABLEPANE_KEY_OWN, PROMQL_EDIT };

static void promql_summary(const struct tableview *tv, char *buf, size_t len)
{
    snprintf(buf, len, "%zu series", tv->total);
}

/* Esc closes only when there is no filter to clear (the table's own Esc does that). */
static bool no_filter(const void *ctx)
{
    return tablepane_view(ctx)->filter[0] == '\0';
}

static bool promql_key(void *self, int id)
{
    const struct pane_host *h = tablepane_host(self);
    switch (id) {
    case PROMQL_CLOSE:
        h->ops->close(h->host);
        return true;
    case PROMQL_EDIT:
        h->ops->command(h->host, "promql");
        return true;
    default:
        return false;
    }
}

static const struct key_def promql_keys[] = {
    {.keys = "Esc",
     .verb = "promql-close",
     .id = PROMQL_CLOSE,
     .help = "close the query (a filter is cleared first); the former pane comes back",
     .when = no_filter},
    {.keys = "e", .verb = "promql-edit", .id = PROMQL_EDIT, .help = "edit the query (Up: history)"},
    {.more = tablepane_keys},
    {0},
};

static const struct pane_table promql_table = {
    .kind = MODEL_PROMQL,
    .sort_col = PROMQL_SERIES, /* Prometheus's order is no order: the same rows stay put */
    .group_col = PROMQL_SOURCE,
    .name_col = PROMQL_SERIES,
    .summary = promql_summary,
    .key = promql_key,
};

const struct pane_ops promql_pane = {
    .name = "promql",
    .title = "PromQL",
    .keys = promql_keys,
    .table = &promql_table,
    TABLEPANE_CALLBACKS,
};
