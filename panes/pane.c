/* The registry of panes on screen, and what every pane shares (pane.h). */
#include "pane.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Each defined in its own file, panes/NAME.c. */
extern const struct pane_ops alerts_pane, queues_pane, pools_pane, deploys_pane, silences_pane;

/* One line per pane: the pane and its slot (panes sharing a slot take turns: v). */
const struct pane_reg pane_registry[] = {
    {&alerts_pane, 1}, {&queues_pane, 2}, {&pools_pane, 3}, {&deploys_pane, 4}, {&silences_pane, 1},
};

const size_t pane_count = sizeof pane_registry / sizeof pane_registry[0];

const struct pane_ops *pane_find(const char *name)
{
    for (size_t i = 0; i < pane_count; i++) {
        if (strcmp(pane_registry[i].ops->name, name) == 0) {
            return pane_registry[i].ops;
        }
    }
    return NULL;
}

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
