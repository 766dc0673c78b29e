/*
 * What the console lends a pane (struct pane_host, panes/pane.h): the status
 * line, the line editor, dialogs, the viewer, the clipboard and opening an
 * alert's runbook. The host of each panel is the panel itself, so an answer
 * goes back to the pane that asked, and to nobody once it is gone.
 */
#include "console.h"

#include "../common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* OSC 52: the terminal (or tmux with set-clipboard) puts the text on the clipboard. */
static void host_clipboard(void *host, const char *text)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (void)host;
    struct strbuf sb = {0};
    strbuf_str(&sb, "\033]52;c;");
    const unsigned char *in = (const unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        strbuf_add(&sb, q, 4);
    }
    strbuf_str(&sb, "\a");
    /* straight to the terminal: curses has no call for it, and a frame is not in progress */
    for (size_t off = 0; off < sb.n;) {
        ssize_t w = write(STDOUT_FILENO, sb.s + off, sb.n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
    free(sb.s);
}

static bool host_view(void *host, const char *title, const char *text)
{
    struct panel *p = host;
    return dialogs_view(p->ui, title, text);
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
    .open_runbook = host_open_runbook,
};
