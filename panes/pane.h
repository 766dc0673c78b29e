/*
 * Panes. A pane reads its model (through a tableview) and says what matters
 * about it; it never does I/O and never performs an action itself: action keys
 * are looked up in the backends' action tables and sent through the one action
 * path by the UI.
 *
 * The four live panes are tables and share the table widget; their const
 * tables below give what differs: name, title, default sort and the summary
 * shown in the pane's title ("2 critical, 3 firing").
 */
#ifndef OPSDECK_PANE_H
#define OPSDECK_PANE_H

#include "../tui/tableview.h"

#include <stddef.h>

struct pane_impl {
    const char *name; /* for :commands and snapshot */
    enum model_kind kind;
    int sort_col; /* default sort, -1 = as published */
    bool sort_desc;
    int group_col; /* what '=' groups by */
    int name_col;  /* what names a row to a person: a typed confirmation asks for it */
    /*
     * A few words on the state of the rows, e.g. "2 crit 3 firing"; called
     * after each rebuild, so it may walk every row. buf >= 64.
     */
    void (*summary)(const struct tableview *tv, char *buf, size_t len);
};

extern const struct pane_impl alerts_pane;
extern const struct pane_impl queues_pane;
extern const struct pane_impl pools_pane;
extern const struct pane_impl deploys_pane;
extern const struct pane_impl silences_pane;

/*
 * Every pane, by model kind. The screen has four slots (1-4); the first shows
 * Alerts or, toggled, Silences.
 */
extern const struct pane_impl *const live_panes[MODEL_KINDS];

/* Count filtered rows (all members, when grouped) whose column col equals text. */
size_t pane_count_text(const struct tableview *tv, int col, const char *text);

#endif
