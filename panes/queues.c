/* The queues pane: what is backing up. */
#include "pane.h"

#include <stdio.h>

static void queues_summary(const struct tableview *tv, char *buf, size_t len)
{
    double msgs = 0;
    size_t growing = 0;
    const struct rowref *rows;
    size_t nrows = tableview_filtered(tv, &rows);
    for (size_t i = 0; i < nrows; i++) {
        msgs += rowset_cell_num(rows[i].rs, rows[i].row, QUEUE_MSGS);
    }
    growing = pane_count_text(tv, QUEUE_TREND, "grow");
    char total[16];
    model_format_num(total, sizeof total, msgs);
    snprintf(buf, len, "%zu queues, %s msgs, %zu growing", nrows, total, growing);
}

const struct pane_impl queues_pane = {
    .name = "queues",
    .kind = MODEL_QUEUES,
    .sort_col = -1,
    .group_col = QUEUE_VHOST,
    .summary = queues_summary,
};
