/*
 * Keys (console.h). In NORMAL mode a key goes, in this order, to:
 *   1. the focused pane (its own key table; a closing side pane gets none,
 *      and says so),
 *   2. the console's key table below (focus, zoom, help, :, quit...),
 *   3. on a table pane, the backends' action keys for its kind (dialogs.c).
 * Each layer looks its keys up in the focused pane's scope (key_find_in), so
 * a user's key map (keymap.h, [keys] in the config) applies to all three.
 * A key nobody takes does nothing. The other modes have the key to
 * themselves: the line editor here, dialogs and the viewer in dialogs.c.
 *
 * The line editor is the status line for the : command line, a pane's live
 * edit (a table's filter: every change applies, Esc restores) and a pane's
 * question (Enter answers, Esc says cancelled). Its answer goes to whoever
 * asked, if it still exists.
 */
#include "console.h"
#include "ctx.h"

#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* v: the focused slot holds more than one pane (Alerts and Silences). */
static bool can_swap(const void *ctx)
{
    const struct ui *ui = ctx;
    return !ui->side_focus && ui->slots[ui->focus].n > 1;
}

/* R: an action on R (restart a deployment) keeps its key. */
static bool resume_free(const void *ctx)
{
    struct ui *ui = (struct ui *)ctx; /* only read */
    return ui->side_focus || !dialogs_has_action(ui, 'R', false);
}

/* X: more than one context, and no backend action on X in this pane. */
static bool can_cycle_contexts(const void *ctx)
{
    struct ui *ui = (struct ui *)ctx; /* only read */
    return ctx_count(ui) > 1 && (ui->side_focus || !dialogs_has_action(ui, 'X', false));
}

/* The console's keys: id, keys, verb, help, when (tui/keymap.h). */
#define FRAME_KEYS(X)                                                                              \
    X(FK_NEXT, "Tab", "pane-next", "next pane", NULL)                                              \
    X(FK_PREV, "S-Tab", "pane-prev", "previous pane", NULL)                                        \
    X(FK_FOCUS, "1-9", "pane-focus", "the pane of that number", NULL)                              \
    X(FK_SWAP, "v", "pane-swap", "switch the panes of this slot", can_swap)                        \
    X(FK_ZOOM, "z", "zoom", "zoom this pane full-screen (again: back)", NULL)                      \
    X(FK_RESUME, "R", "resume", "resume the newest unfinished run (or show the open one)",         \
      resume_free)                                                                                 \
    X(FK_CONTEXT, "X", "context-next", "show the next context (all, each one, all again; :ctx)",   \
      can_cycle_contexts)                                                                          \
    X(FK_REDRAW, "Ctrl-L", "redraw", "redraw the whole screen", NULL)                              \
    X(FK_RETRY, "Ctrl-R", "retry",                                                                 \
      "poll this pane's backends now, also one waiting after failures", NULL)                      \
    X(FK_HELP, "?", "help", "this help", NULL)                                                     \
    X(FK_COMMAND, ":", "command", "a command (below)", NULL)                                       \
    X(FK_QUIT, "q", "quit", "quit", NULL)

#define X_ENUM(id, keys, verb, help, when) id,
enum frame_key { FK_NONE, FRAME_KEYS(X_ENUM) };
#undef X_ENUM

#define X_KEY(i, k, v, h, w) {.keys = k, .verb = v, .id = i, .help = h, .when = w},
const struct key_def frame_keys[] = {
    {.heading = "Moving around"},
    FRAME_KEYS(X_KEY){0},
};
#undef X_KEY

/* ---- the line editor ---- */

bool keys_line_open(struct ui *ui, const struct line_mode *line, const char *initial)
{
    if (ui->mode != MODE_NORMAL) {
        return false;
    }
    ui->line = *line;
    snprintf(ui->line.initial, sizeof ui->line.initial, "%s", initial != NULL ? initial : "");
    lineedit_set(&ui->line.edit, ui->line.initial);
    ui->line.hpos = ui->line.nhistory;
    if (ui->line.hpos > 0 && strcmp(ui->line.history[ui->line.hpos - 1], ui->line.initial) == 0) {
        ui->line.hpos--; /* prefilled with the newest: Up goes to the one before */
    }
    ui->mode = MODE_LINE;
    ui->chrome_dirty = true;
    return true;
}

/* An answer to whoever asked: the console, or a pane that is still there. */
static void line_call(struct ui *ui, struct panel *asker, pane_answer_cb cb, const char *text)
{
    if (cb == NULL) {
        return;
    }
    if (asker == NULL) {
        cb(ui, text);
    } else if (asker->self != NULL) {
        cb(asker->self, text);
    }
}

/* Up (-1) and Down (+1) through the line's history; below the newest: what was being typed. */
static void history_walk(struct line_mode *l, int dir)
{
    if (dir < 0 ? l->hpos == 0 : l->hpos >= l->nhistory) {
        return;
    }
    if (l->hpos == l->nhistory) {
        snprintf(l->draft, sizeof l->draft, "%s", l->edit.buf);
    }
    l->hpos = dir < 0 ? l->hpos - 1 : l->hpos + 1;
    lineedit_set(&l->edit, l->hpos < l->nhistory ? l->history[l->hpos] : l->draft);
}

static void key_line(struct ui *ui, wint_t ch, bool is_key)
{
    struct line_mode *l = &ui->line;
    struct panel *asker = l->panel;
    bool enter = (!is_key && (ch == '\r' || ch == '\n')) || (is_key && ch == KEY_ENTER);
    if (!is_key && ch == 27) {
        ui->mode = MODE_NORMAL;
        char initial[sizeof l->initial];
        snprintf(initial, sizeof initial, "%s", l->initial);
        if (l->cancel != NULL) {
            line_call(ui, asker, l->cancel, initial);
        } else if (asker != NULL) {
            ui_say(ui, false, "cancelled");
        }
    } else if (enter) {
        ui->mode = MODE_NORMAL;
        char answer[sizeof l->edit.buf];
        snprintf(answer, sizeof answer, "%s", l->edit.buf);
        lineedit_set(&l->edit, "");             /* a secret does not linger */
        line_call(ui, asker, l->enter, answer); /* it may open the line again */
        explicit_bzero(answer, sizeof answer);
    } else if (is_key && (ch == KEY_UP || ch == KEY_DOWN) && l->history != NULL) {
        history_walk(l, ch == KEY_UP ? -1 : 1);
    } else if (lineedit_key(&l->edit, ch, is_key)) {
        if (l->live) {
            line_call(ui, asker, l->change, l->edit.buf); /* a filter as you type */
        }
    } else if (l->short_lived && is_key && ch == KEY_BACKSPACE && l->edit.len == 0) {
        ui->mode = MODE_NORMAL;
    }
    ui->chrome_dirty = true;
}

static void on_command(void *self, const char *text)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s", text);
    commands_run(self, cmd);
}

static void open_command_line(struct ui *ui)
{
    struct line_mode l = {
        .label = ":",
        .hint = " Enter run  Esc cancel ",
        .short_lived = true,
        .enter = on_command,
    };
    keys_line_open(ui, &l, "");
}

/* ---- NORMAL mode ---- */

/*
 * Ctrl-R: poll now every backend feeding the focused table pane (each member
 * of a cluster too), also one in backoff after failures (issue 20): whoever
 * watches a recovery need not wait out the backoff. One poll each, not a burst.
 */
static void retry_focused(struct ui *ui)
{
    struct panel *p = ui_focused_table(ui);
    if (p == NULL) {
        ui_say(ui, true, "retry: no backend feeds this pane");
        return;
    }
    enum model_kind kind = p->ops->table->kind;
    struct strbuf sb = {0};
    for (size_t i = 0; i < ui->nbackends; i++) {
        struct backend *b = ui->backends[i];
        if (backend_kinds(b) & (1u << kind)) {
            backend_poll_now(b);
            strbuf_printf(&sb, "%s%s", sb.n ? ", " : "", b->name);
        }
    }
    if (sb.s == NULL) {
        ui_say(ui, true, "retry: no backend feeds %s", p->ops->title);
    } else {
        ui_say(ui, false, "retrying %s", sb.s);
    }
    free(sb.s);
}

static bool frame_key(struct ui *ui, const struct key_def *k, wint_t ch)
{
    int slots = ui->nslots + (ui->side.ops != NULL); /* the side slot comes last */
    int here = ui->side_focus ? ui->nslots : ui->focus;
    switch ((enum frame_key)k->id) {
    case FK_NONE:
        return false;
    case FK_NEXT:
    case FK_PREV:
        ui_focus(ui, (here + (k->id == FK_PREV ? slots - 1 : 1)) % slots);
        return true;
    case FK_FOCUS:
        if ((int)(ch - '1') >= slots) {
            return false;
        }
        ui_focus(ui, (int)(ch - '1'));
        return true;
    case FK_SWAP:
        ui_swap(ui);
        return true;
    case FK_ZOOM:
        ui->zoom = !ui->zoom;
        ui->need_layout = true;
        return true;
    case FK_RESUME:
        side_resume_newest(ui);
        return true;
    case FK_CONTEXT:
        ctx_cycle(ui);
        return true;
    case FK_REDRAW:
        clearok(curscr, TRUE);
        ui_dirty_all(ui);
        return true;
    case FK_RETRY:
        retry_focused(ui);
        return true;
    case FK_HELP:
        help_open(ui);
        return true;
    case FK_COMMAND:
        open_command_line(ui);
        return true;
    case FK_QUIT:
        ui_quit(ui);
        return true;
    }
    return false;
}

static void key_normal(struct ui *ui, wint_t ch, bool is_key)
{
    struct panel *p = ui_focused(ui);
    if (p == &ui->side && ui->side_closing) {
        if (side_closing_key(ui, ch, is_key)) {
            return;
        }
    } else if (p->ops->key(p->self, ch, is_key)) {
        return;
    }
    /* the console's keys and the actions answer in the focused pane's scope (a user's key map) */
    const char *scope = p->ops != NULL ? p->ops->name : NULL;
    const struct key_def *k = key_find_in(scope, frame_keys, ui, ch, is_key);
    if (k != NULL && frame_key(ui, k, ch)) {
        return;
    }
    if (p->ops->table != NULL) {
        dialogs_action_key(ui, p, ch, is_key);
    }
}

void keys_handle(struct ui *ui, wint_t ch, bool is_key)
{
    if (projview_key(ui, ch, is_key)) {
        return;
    }
    if (ui->layout.kind == LAYOUT_TOO_SMALL) {
        if (!is_key && (ch == 'q' || ch == 3)) {
            ui_quit(ui);
        }
        return;
    }
    switch (ui->mode) {
    case MODE_NORMAL:
        key_normal(ui, ch, is_key);
        break;
    case MODE_LINE:
        key_line(ui, ch, is_key);
        break;
    case MODE_CONFIRM:
    case MODE_VIEW:
        dialogs_key(ui, ch, is_key);
        leftovers_after_dialog(ui);
        break;
    case MODE_LEFTOVERS:
        leftovers_key(ui, ch, is_key);
        break;
    }
}

/* ---- help ---- */

/* The console's keys; the digits and v say which panes they reach. */
void keys_help(struct ui *ui, struct viewer *v)
{
    for (const struct key_def *k = frame_keys; k->keys != NULL || k->heading != NULL; k++) {
        if (k->heading != NULL) {
            viewer_add(v, "%s", k->heading);
            continue;
        }
        if (k->when != NULL && !k->when(ui)) {
            continue;
        }
        struct strbuf sb = {0};
        char keys[64];
        struct panel *p = ui_focused(ui);
        if (!keymap_spec(p->ops != NULL ? p->ops->name : NULL, k->verb, k->keys, keys,
                         sizeof keys)) {
            continue; /* unbound by the user's key map */
        }
        if (k->id == FK_FOCUS) {
            int n = ui->nslots + (ui->side.ops != NULL);
            snprintf(keys, sizeof keys, "1-%d", n);
            for (int i = 0; i < n; i++) {
                strbuf_printf(&sb, "%s%s", i ? ", " : "", ui_slot_panel(ui, i)->ops->title);
            }
        } else if (k->id == FK_SWAP) {
            const struct slot *s = &ui->slots[ui->focus];
            strbuf_str(&sb, "switch between ");
            for (size_t i = 0; i < s->n; i++) {
                strbuf_printf(&sb, "%s%s",
                              i == 0          ? ""
                              : i + 1 == s->n ? " and "
                                              : ", ",
                              ui->panels[s->panel[i]].ops->title);
            }
        } else {
            strbuf_str(&sb, k->help);
        }
        viewer_add(v, "  %-12s %s", keys, sb.s);
        free(sb.s);
    }
}
