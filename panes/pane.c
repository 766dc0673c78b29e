/* Shared helpers for pane summaries and the screen order of the live panes. */
#include "pane.h"

#include <strings.h>

const struct pane_impl *const live_panes[MODEL_KINDS] = {
    &alerts_pane, &queues_pane, &pools_pane, &deploys_pane, &silences_pane,
};

size_t pane_count_text(const struct tableview *tv, int col, const char *text)
{
    const struct rowref *rows;
    size_t nrows = tableview_filtered(tv, &rows);
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (strcasecmp(rowset_cell_text(rows[i].rs, rows[i].row, col), text) == 0) {
            n++;
        }
    }
    return n;
}
