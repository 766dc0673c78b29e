/* The pools pane: what is serving. */
#include "pane.h"

#include <stdio.h>

static void pools_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t up = pane_count_text(tv, POOL_STATUS, "UP");
    size_t down = pane_count_text(tv, POOL_STATUS, "DOWN");
    size_t drain = pane_count_text(tv, POOL_STATUS, "DRAIN");
    size_t maint = pane_count_text(tv, POOL_STATUS, "MAINT");
    snprintf(buf, len, "%zu up, %zu down, %zu drain, %zu maint", up, down, drain, maint);
}

const struct pane_impl pools_pane = {
    .name = "pools",
    .kind = MODEL_POOLS,
    .sort_col = -1,
    .summary = pools_summary,
};
