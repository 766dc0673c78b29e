/* The deployments pane: what just changed. */
#include "tablepane.h"

#include <stdio.h>

static void deploys_summary(const struct tableview *tv, char *buf, size_t len)
{
    size_t rolling = pane_count_text(tv, DEPLOY_STATE, "progressing");
    size_t failed = pane_count_text(tv, DEPLOY_STATE, "failed");
    const struct rowref *rows;
    size_t n = tableview_filtered(tv, &rows);
    snprintf(buf, len, "%zu deployments, %zu rolling, %zu failed", n, rolling, failed);
}

static const struct pane_table deploys_table = {
    .kind = MODEL_DEPLOYS,
    .sort_col = -1,
    .group_col = DEPLOY_NAMESPACE,
    .name_col = DEPLOY_NAME,
    .summary = deploys_summary,
};

const struct pane_ops deploys_pane = {
    .name = "deploys",
    .title = "Deployments",
    .keys = tablepane_keys,
    .table = &deploys_table,
    TABLEPANE_CALLBACKS,
};
