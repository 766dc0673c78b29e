/* Shared helpers for pane summaries and the screen order of the live panes. */
#include "pane.h"

#include <stdlib.h>

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

void pane_say(const struct pane_host *h, bool error, const char *text)
{
    h->ops->message(h->host, error, text);
}

bool pane_check(const struct pane_host *h, bool ok, char **cause)
{
    if (!ok) {
        pane_say(h, true, *cause != NULL ? *cause : "not possible now");
    }
    free(*cause);
    *cause = NULL;
    return ok;
}
