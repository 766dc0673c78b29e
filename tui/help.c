/*
 * ? help for the focused pane, generated: for a table pane the backends'
 * actions on its kind (enabled or why not), then the pane's key table, the
 * console's keys and the : commands. Nothing here names a key by hand, and
 * every key shown is the one in effect (a user's key map: keymap.h).
 */
#include "console.h"

#include <stdio.h>

void help_open(struct ui *ui)
{
    struct panel *p = ui_focused(ui);
    const struct pane_table *t = p->ops->table;
    char title[96];
    snprintf(title, sizeof title, "Help: %s pane", p->ops->title);
    viewer_open(&ui->viewer, title);
    ui->viewer_opener = NULL;
    if (t != NULL) {
        viewer_add(&ui->viewer,
                   "Actions on the selected row, or on every marked row (each asks first;");
        viewer_add(&ui->viewer, "Cancel is the default; a bulk action shows every target and");
        viewer_add(&ui->viewer, "wants its verb and count typed, e.g. 'drain 3')");
        dialogs_help(ui, p->ops->name, t->kind, &ui->viewer);
        viewer_add(&ui->viewer, "%s", "");
        viewer_add(&ui->viewer, "This table (= groups by %s)",
                   model_schema(t->kind)->cols[t->group_col].title);
    }
    key_help_in(p->ops->name, p->ops->keys, p->self, &ui->viewer);
    viewer_add(&ui->viewer, "%s", "");
    keys_help(ui, &ui->viewer);
    viewer_add(&ui->viewer, "%s", "");
    commands_help(ui, &ui->viewer);
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}
