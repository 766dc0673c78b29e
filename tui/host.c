/*
 * What the console lends a pane (struct pane_host, panes/pane.h): the status
 * line, the line editor, dialogs, the viewer, the clipboard and opening an
 * alert's runbook. The host of each panel is the panel itself, so an answer
 * goes back to the pane that asked, and to nobody once it is gone.
 */
#include "console.h"

#include "../common/util.h"
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
};
