/* The queues pane: what is backing up. */
#include "tablepane.h"

#include <stdio.h>
#include <string.h>

/*
 * Consumer rows (NATS JetStream) count what their stream already holds, so
 * they are counted apart and their pending messages are not added again.
 */
static void queues_summary(const struct tableview *tv, char *buf, size_t len)
{
    double msgs = 0;
    size_t queues = 0;
    const struct rowref *rows;
    size_t nrows = tableview_filtered(tv, &rows);
    for (size_t i = 0; i < nrows; i++) {
        if (strcmp(rowset_cell_text(rows[i].rs, rows[i].row, QUEUE_TYPE), "consumer") != 0) {
            msgs += rowset_cell_num(rows[i].rs, rows[i].row, QUEUE_MSGS);
            queues++;
        }
    }
    size_t growing = pane_count_text(tv, QUEUE_TREND, "grow");
    char total[16];
    model_format_num(total, sizeof total, msgs);
    if (queues == nrows) {
        snprintf(buf, len, "%zu queues, %s msgs, %zu growing", queues, total, growing);
    } else {
        snprintf(buf, len, "%zu queues, %zu consumers, %s msgs, %zu growing", queues,
                 nrows - queues, total, growing);
    }
}

static const struct pane_table queues_table = {
    .kind = MODEL_QUEUES,
    .sort_col = -1,
    .group_col = QUEUE_VHOST,
    .name_col = QUEUE_NAME,
    .summary = queues_summary,
};

const struct pane_ops queues_pane = {
    .name = "queues",
    .title = "Queues",
    .keys = tablepane_keys,
    .table = &queues_table,
    TABLEPANE_CALLBACKS,
};
