/*
 * What the console lends a pane (struct pane_host, panes/pane.h): the status
 * line, the line editor, dialogs, the viewer, the clipboard, opening an
 * alert's runbook and showing another pane's row (g on an alert). The host
 * of each panel is the panel itself, so an answer goes back to the pane that
 * asked, and to nobody once it is gone.
 */
#include "console.h"

#include "../common/util.h"
#include "../panes/tablepane.h"
#include "clipboard.h"

#include <stdlib.h>
#include <string.h>

static void host_message(void *host, bool error, const char *text)
{
    struct panel *p = host;
    ui_say(p->ui, error, "%s", text);
}

static bool host_prompt(void *host, const char *label, const char *initial, bool secret,
                        pane_answer_cb cb)
{
    struct panel *p = host;
    struct line_mode l = {.secret = secret, .panel = p, .enter = cb};
    snprintf(l.label, sizeof l.label, "%s", label);
    return keys_line_open(p->ui, &l, initial);
}

static bool host_edit(void *host, const struct pane_edit *e)
{
    struct panel *p = host;
    struct line_mode l = {
        .hint = e->hint,
        .live = true,
        .short_lived = true,
        .panel = p,
        .change = e->change,
        .cancel = e->cancel,
    };
    snprintf(l.label, sizeof l.label, "%s", e->label);
    return keys_line_open(p->ui, &l, e->initial);
}

static bool host_confirm(void *host, const char *title, const char *body, const char *confirm,
                         const char *must_type, pane_confirm_cb cb)
{
    struct panel *p = host;
    return dialogs_confirm(p->ui, p, title, body, confirm, must_type, cb);
}

static bool host_confirm_action(void *host, const char *backend, const char *pane, const char *verb,
                                const char *target, const char *input, pane_confirm_cb cb)
{
    struct panel *p = host;
    return dialogs_confirm_action(p->ui, p, backend, pane, verb, target, input, cb);
}

/* OSC 52 (clipboard.h); a text too long is refused in the status line, not cut. */
static void host_clipboard(void *host, const char *text)
{
    struct panel *p = host;
    char *cause = NULL;
    if (!clipboard_copy(text, &cause)) {
        ui_say(p->ui, true, "not copied: %s", cause);
        free(cause);
    }
}

static bool host_view(void *host, const char *title, const char *text)
{
    struct panel *p = host;
    return dialogs_view(p->ui, p, title, text);
}

static void host_close(void *host)
{
    struct panel *p = host;
    ui_pane_close(p->ui, p);
}

static void host_command(void *host, const char *line)
{
    struct panel *p = host;
    char *copy = xstrdup(line);
    commands_run(p->ui, copy);
    free(copy);
}

static void host_open_runbook(void *host, const char *name, const char *detail)
{
    struct panel *p = host;
    side_open_for(p->ui, name, detail);
}

/* The row of kind named ROW (its key, else its name column): its source and key. */
static bool find_row(const struct store *st, const struct pane_table *t, const char *row,
                     const char **source, const char **key)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t s = 0; s < store_nsets(st, t->kind); s++) {
            const struct rowset *rs = store_set(st, t->kind, s);
            for (size_t r = 0; r < rs->nrows; r++) {
                const char *k = rowset_key(rs, r);
                if (strcmp(pass == 0 ? k : rowset_cell_text(rs, r, t->name_col), row) == 0) {
                    *source = rs->source;
                    *key = k;
                    return true;
                }
            }
        }
    }
    return false;
}

static bool host_show_row(void *host, const char *pane, const char *row)
{
    struct panel *p = host;
    struct ui *ui = p->ui;
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *to = &ui->panels[i];
        if (strcmp(to->ops->name, pane) != 0 || to->ops->table == NULL || to->slot < 0) {
            continue;
        }
        const char *source, *key;
        if (!find_row(ui->store, to->ops->table, row, &source, &key)) {
            ui_say(ui, true, "no row '%s' in %s", row, to->ops->title);
            return false;
        }
        struct slot *s = &ui->slots[to->slot];
        for (size_t j = 0; j < s->n; j++) {
            if (s->panel[j] == i) {
                s->shown = j;
            }
        }
        const struct tableview *tv = tablepane_view(to->self);
        if (tv->filter[0] != '\0') {
            tablepane_filter(to->self, ""); /* a filter must not hide the row asked for */
        }
        tablepane_select_key(to->self, source, key);
        ui->need_layout = true;
        ui_focus(ui, to->slot);
        ui_dirty_all(ui);
        ui_say(ui, false, "%s: %s", to->ops->title, row);
        return true;
    }
    ui_say(ui, true, "no pane %s on this screen", pane);
    return false;
}

const struct pane_host_ops host_ops = {
    .message = host_message,
    .prompt = host_prompt,
    .edit = host_edit,
    .confirm = host_confirm,
    .confirm_action = host_confirm_action,
    .clipboard = host_clipboard,
    .view = host_view,
    .close = host_close,
    .command = host_command,
    .open_runbook = host_open_runbook,
    .show_row = host_show_row,
};
