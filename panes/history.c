/*
 * The History pane: every alert transition the console saw (fired,
 * resolved, silenced, unsilenced, inhibited, pending), newest first, with
 * its time, severity, target, the state it came from and its source. The
 * rows are the MODEL_HISTORY rowset engine/alertlog.c publishes; a row's
 * detail (Enter) has the alert's labels and fingerprint. Opened on demand
 * (pane_on_demand: :history, or H on Alerts) in the Alerts slot's place; Esc
 * clears a filter first, then closes it.
 */
#include "tablepane.h"

#include <stdio.h>

enum { HISTORY_CLOSE = TABLEPANE_KEY_OWN };

static void history_summary(const struct tableview *tv, char *buf, size_t len)
{
    snprintf(buf, len, "%zu transition%s, newest first", tv->total, tv->total == 1 ? "" : "s");
}

/* Esc closes only when there is no filter to clear (the table's own Esc does that). */
static bool no_filter(const void *ctx)
{
    return tablepane_view(ctx)->filter[0] == '\0';
}

static bool history_key(void *self, int id)
{
    const struct pane_host *h = tablepane_host(self);
    if (id != HISTORY_CLOSE) {
        return false;
    }
    h->ops->close(h->host);
    return true;
}

static const struct key_def history_keys[] = {
    {.keys = "Esc",
     .verb = "history-close",
     .id = HISTORY_CLOSE,
     .help = "close the history (a filter is cleared first); the former pane comes back",
     .when = no_filter},
    {.more = tablepane_keys},
    {0},
};

static const struct pane_table history_table = {
    .kind = MODEL_HISTORY,
    .sort_col = HISTORY_TIME,
    .sort_desc = true, /* the newest first */
    .group_col = HISTORY_ALERT,
    .name_col = HISTORY_ALERT,
    .summary = history_summary,
    .key = history_key,
};

const struct pane_ops history_pane = {
    .name = "history",
    .title = "History",
    .keys = history_keys,
    .table = &history_table,
    TABLEPANE_CALLBACKS,
};
