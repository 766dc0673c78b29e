/* The registry of panes on screen, and what every pane shares (pane.h). */
#include "pane.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The panes on screen, one line each: the pane (defined in panes/NAME.c) and
 * its slot; panes sharing a slot take turns in it (v).
 */
#define PANES(X)                                                                                   \
    X(alerts_pane, 1)                                                                              \
    X(queues_pane, 2)                                                                              \
    X(pools_pane, 3)                                                                               \
    X(deploys_pane, 4)                                                                             \
    X(silences_pane, 1)                                                                            \
    X(signals_pane, 1)

#define X_EXTERN(pane, slot) extern const struct pane_ops pane;
PANES(X_EXTERN)
#undef X_EXTERN

#define X_ENTRY(pane, slot) {&pane, slot},
const struct pane_reg pane_registry[] = {PANES(X_ENTRY)};
#undef X_ENTRY

const size_t pane_count = sizeof pane_registry / sizeof pane_registry[0];

/* The panes a command opens (pane.h), one line each, in the same form. */
#define ON_DEMAND_PANES(X)                                                                         \
    X(promql_pane, 1)                                                                              \
    X(history_pane, 1)

#define X_EXTERN(pane, slot) extern const struct pane_ops pane;
ON_DEMAND_PANES(X_EXTERN)
#undef X_EXTERN

#define X_ENTRY(pane, slot) {&pane, slot},
const struct pane_reg pane_on_demand[] = {ON_DEMAND_PANES(X_ENTRY)};
#undef X_ENTRY

const size_t pane_on_demand_count = sizeof pane_on_demand / sizeof pane_on_demand[0];

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
