/*
 * The confirm path and the overlay (console.h). An action key on a table pane
 * becomes a pending action over the pane's action rows (marked rows, else
 * the selected one; groups expand): every row must offer the same verb and
 * allow it (action_check), then a dialog asks, Cancel being the default:
 *   one target      the action and its backend; a value or a backend's form
 *                   when the action takes input; the row's name typed when
 *                   it cannot be undone, or when its context is protected
 *                   (an input action: the value first, then the name)
 *   several         first the value (input actions), then every target
 *                   listed and the verb and count typed ("drain 3")
 * Confirmed, each target goes through action_run() (engine/action.c) and
 * the reports are summed up once in the status line (several lines: the
 * viewer). Panes ask for dialogs and the viewer the same way, through their
 * host; a pane's dialog answers to the pane's self.
 */
#include "console.h"

#include "../common/util.h"
#include "../engine/action.h"
#include "../panes/tablepane.h"
#include "clipboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results of one confirmed action over one or more targets, summed up once. */
struct outcome {
    struct ui *ui;
    const char *label;
    size_t total, done, ok;
    char *first_error;
    char *single; /* the one target's message, for a single action */
};

static void view_lines(struct ui *ui, const char *title, const char *text)
{
    viewer_open(&ui->viewer, title);
    for (const char *s = text; *s != '\0';) {
        size_t n = strcspn(s, "\n");
        viewer_add(&ui->viewer, "%.*s", (int)n, s);
        s += n;
        s += *s == '\n';
    }
    ui->mode = MODE_VIEW;
    ui->overlay_dirty = true;
}

bool dialogs_view(struct ui *ui, struct panel *opener, const char *title, const char *text)
{
    if (ui->mode != MODE_NORMAL) {
        return false;
    }
    view_lines(ui, title, text);
    ui->viewer_opener = opener;
    return true;
}

/*
 * A report of several lines (peeked messages) opens in the viewer, the first
 * line in the status bar; a dialog the operator opened meanwhile is left alone.
 */
static void show_long_report(struct ui *ui, const char *label, const char *text)
{
    size_t first = strcspn(text, "\n");
    ui_say(ui, false, "%.*s", (int)first, text);
    if (ui->mode != MODE_NORMAL && ui->mode != MODE_VIEW) {
        return;
    }
    viewer_close(&ui->viewer);
    view_lines(ui, label, text);
    ui->viewer_opener = NULL;
}

/* Say the result once every report is in, then let the outcome go. */
static void outcome_settle(struct outcome *o)
{
    if (o->done < o->total) {
        return;
    }
    if (o->total == 0) {
        ui_say(o->ui, true, "%s: the backend is gone", o->label);
    } else if (o->total == 1 && o->ok == 1 && strchr(o->single, '\n') != NULL) {
        show_long_report(o->ui, o->label, o->single);
    } else if (o->total == 1) {
        ui_say(o->ui, o->ok == 0, "%s", o->single);
    } else if (o->ok == o->total) {
        ui_say(o->ui, false, "%s: %zu of %zu ok", o->label, o->ok, o->total);
    } else {
        ui_say(o->ui, true, "%s: %zu of %zu ok; %s", o->label, o->ok, o->total, o->first_error);
    }
    ui_dirty_all(o->ui);
    free(o->first_error);
    free(o->single);
    free(o);
}

static void on_action_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct outcome *o = ud;
    const char *text = message && message[0] ? message : (ok ? "done" : "failed");
    o->done++;
    if (ok) {
        o->ok++;
        backend_poll_now(a->backend);
    } else if (o->first_error == NULL) {
        o->first_error = xasprintf("%s: %s", a->target, text);
    }
    if (o->single == NULL && a->backend->cluster != NULL) {
        /* which member of the cluster did it */
        o->single = xasprintf("%s %s on %s: %s", o->label, a->target, a->backend->name, text);
    } else if (o->single == NULL) {
        o->single = xasprintf("%s %s: %s", o->label, a->target, text);
    }
    outcome_settle(o);
}

static void pending_clear(struct ui *ui)
{
    for (size_t i = 0; i < ui->pending.n; i++) {
        free(ui->pending.backend[i]);
        free(ui->pending.target[i]);
        free(ui->pending.shown[i]);
    }
    free(ui->pending.shown);
    free(ui->pending.backend);
    free(ui->pending.target);
    free(ui->pending.input);
    free(ui->pending.must_type);
    free(ui->pending.prior);
    free(ui->pending.initial);
    free(ui->pending.protect);
    free(ui->pending.grant_target);
    memset(&ui->pending, 0, sizeof ui->pending);
}

/*
 * What the dialog calls a row: its key, unless the key does not hold the
 * row's name (an alert's fingerprint): then the name, with the row's TARGET
 * (the alert's key labels) when it has one, and the key after it.
 */
static char *shown_name(const struct pane_table *t, const struct rowref *ref)
{
    const char *key = rowset_key(ref->rs, ref->row);
    const char *name = rowset_cell_text(ref->rs, ref->row, t->name_col);
    if (name[0] == '\0' || strstr(key, name) != NULL) {
        return xstrdup(key);
    }
    int tc = model_column_by_title(t->kind, "TARGET");
    const char *target = tc >= 0 ? rowset_cell_text(ref->rs, ref->row, tc) : "";
    return target[0] != '\0' ? xasprintf("%s %s (%s)", name, target, key)
                             : xasprintf("%s (%s)", name, key);
}

static void pending_add(struct ui *ui, const char *backend, const char *target, char *shown)
{
    struct pending *p = &ui->pending;
    p->backend = xreallocarray(p->backend, p->n + 1, sizeof *p->backend);
    p->target = xreallocarray(p->target, p->n + 1, sizeof *p->target);
    p->shown = xreallocarray(p->shown, p->n + 1, sizeof *p->shown);
    p->backend[p->n] = xstrdup(backend);
    p->target[p->n] = xstrdup(target);
    p->shown[p->n] = shown != NULL ? shown : xstrdup(target);
    p->n++;
}

static char *capitalised(const char *verb)
{
    char *s = xstrdup(verb);
    if (s[0] >= 'a' && s[0] <= 'z') {
        s[0] = (char)(s[0] - 'a' + 'A');
    }
    return s;
}

/* "be_web/web1 (lb1)": every target, one a line; the dialog scrolls when they are many. */
static char *list_targets(const struct pending *p)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < p->n; i++) {
        strbuf_printf(&sb, "\n  %s (%s)", p->shown[i], p->backend[i]);
    }
    return sb.s;
}

/* What the backend can say about the action on target (how many messages go where), or NULL. */
static char *describe(struct backend *b, const struct action_def *def, const char *target)
{
    return b != NULL && b->impl->describe != NULL ? b->impl->describe(b, def, target) : NULL;
}

/* "prod-eu is protected: type web2 to confirm": why the dialog asks for a typed word. */
static char *protected_line(const char *context, const char *word)
{
    return xasprintf("\n%s is protected: type %s to confirm", context, word);
}

static void open_single_dialog(struct ui *ui, const char *confirm)
{
    struct pending *p = &ui->pending;
    const struct action_def *def = p->def;
    bool input = (def->flags & ACTION_INPUT) != 0;
    struct backend *b = ui_backend(ui, p->backend[0]);
    /* protected: the value (or the form) first, then the typed confirmation with it shown */
    bool value_step = p->protect != NULL && p->input == NULL;
    bool typed_step = p->protect != NULL && !value_step;
    const char *labels[DIALOG_MAX_FIELDS];
    char *values[DIALOG_MAX_FIELDS];
    int nform = b != NULL && b->impl->form != NULL && !typed_step
                    ? b->impl->form(b, def, p->target[0], labels, values, DIALOG_MAX_FIELDS)
                    : 0;
    if (value_step && !input && nform == 0) {
        value_step = false; /* nothing to ask first: straight to the typed word */
        typed_step = true;
    }
    char *what = describe(b, def, p->target[0]);
    char *why = typed_step ? protected_line(p->protect, p->must_type) : NULL;
    char *body =
        xasprintf("%s %s%s%s\non backend '%s' (%s)%s%s%s%s%s", def->label, p->shown[0],
                  typed_step && p->input != NULL ? " with " : "",
                  typed_step && p->input != NULL ? p->input : "", p->backend[0],
                  b ? b->impl->type : "?", what ? "\n" : "", what ? what : "",
                  (def->flags & ACTION_DISRUPTIVE) ? "\nThis changes live traffic." : "",
                  (def->flags & ACTION_TYPED) ? "\nThis cannot be undone." : "", why ? why : "");
    free(what);
    free(why);
    if (value_step) {
        p->asking_input = true;
        confirm = "Next";
    }
    if (nform > 0) {
        dialog_open_form(&ui->dialog, def->label, body, confirm, labels, values, nform);
        for (int i = 0; i < nform; i++) {
            free(values[i]);
        }
    } else if (typed_step) {
        dialog_open(&ui->dialog, def->label, body, confirm, NULL, NULL, p->must_type);
    } else {
        dialog_open(&ui->dialog, def->label, body, confirm, input ? def->input_prompt : NULL,
                    p->initial != NULL ? p->initial : def->input_default,
                    (def->flags & ACTION_TYPED) && !value_step ? p->must_type : NULL);
    }
    free(body);
}

/* Open the dialog for the pending action: single, bulk value, or bulk confirmation. */
static void open_pending_dialog(struct ui *ui)
{
    struct pending *p = &ui->pending;
    const struct action_def *def = p->def;
    char *confirm = capitalised(def->verb);
    if (p->n == 1) {
        open_single_dialog(ui, confirm);
    } else {
        char typed[96];
        char *list = list_targets(p), *body;
        if (p->asking_input) {
            body = xasprintf("%s on %zu targets:%s", def->label, p->n, list);
            dialog_open(&ui->dialog, def->label, body, "Next", def->input_prompt,
                        def->input_default, NULL);
        } else {
            snprintf(typed, sizeof typed, "%s %zu", def->verb, p->n);
            char *why = p->protect != NULL ? protected_line(p->protect, typed) : NULL;
            body =
                xasprintf("%s on %zu targets%s%s:%s%s", def->label, p->n, p->input ? " with " : "",
                          p->input ? p->input : "", list, why != NULL ? why : "");
            free(why);
            dialog_open(&ui->dialog, def->label, body, confirm, NULL, NULL, typed);
        }
        free(body);
        free(list);
    }
    free(confirm);
    ui->mode = MODE_CONFIRM;
    ui->overlay_dirty = true;
}

static void confirm_action(struct ui *ui)
{
    struct pending *p = &ui->pending;
    if (p->asking_input) {
        /* the value is in; now show every target again and ask for the typed confirmation */
        p->input = xstrdup(dialog_field(&ui->dialog, 0));
        for (int i = 1; p->n == 1 && i < ui->dialog.nfields; i++) {
            char *joined = xasprintf("%s\n%s", p->input, dialog_field(&ui->dialog, i));
            free(p->input);
            p->input = joined;
        }
        p->asking_input = false;
        dialog_close(&ui->dialog);
        open_pending_dialog(ui);
        return;
    }
    if (p->n == 1 && ui->dialog.nfields > 0 && ui->dialog.must_type == NULL) {
        /* the value typed, or a form's fields joined by newlines */
        free(p->input);
        p->input = xstrdup(dialog_field(&ui->dialog, 0));
        for (int i = 1; i < ui->dialog.nfields; i++) {
            char *joined = xasprintf("%s\n%s", p->input, dialog_field(&ui->dialog, i));
            free(p->input);
            p->input = joined;
        }
    }
    const char *input = p->input;
    /* a typed word confirmed it (bulk, irreversible, protected): a protected context's pass */
    bool typed = ui->dialog.must_type != NULL;
    struct outcome *o = xcalloc(1, sizeof *o);
    o->ui = ui;
    o->label = p->def->label;
    /* one extra count while dispatching: backends may report before action_run returns */
    o->total = p->n + 1;
    for (size_t i = 0; i < p->n; i++) {
        struct backend *b = ui_backend(ui, p->backend[i]);
        if (b == NULL) {
            o->total--;
            continue;
        }
        struct action *a = action_create(b, p->def, p->target[i], input);
        /* while a run is open, what is done here is part of it (issue 13) */
        const char *run = leftovers_open_run(ui);
        a->run = run != NULL ? xstrdup(run) : NULL;
        a->prior = p->n == 1 && p->prior != NULL ? xstrdup(p->prior) : NULL;
        a->typed = typed;
        action_run(a, on_action_report, o);
    }
    if (p->n > 1 && p->table != NULL) {
        tablepane_clear_marks(p->table->self);
    }
    o->total--;
    outcome_settle(o);
}

/* The value an input action replaces, from the row (scale: READY's desired; weight). */
static char *prior_value(const struct rowref *ref, const struct action_def *def)
{
    if (def->kind == MODEL_DEPLOYS && strcmp(def->verb, "scale") == 0) {
        const char *ready = rowset_cell_text(ref->rs, ref->row, DEPLOY_READY);
        const char *slash = strchr(ready, '/');
        return slash != NULL && slash[1] != '\0' ? xstrdup(slash + 1) : NULL;
    }
    if (def->kind == MODEL_POOLS && strcmp(def->verb, "weight") == 0) {
        const char *w = rowset_cell_text(ref->rs, ref->row, POOL_WEIGHT);
        return w[0] != '\0' ? xstrdup(w) : NULL;
    }
    return NULL;
}

static bool ask_single(struct ui *ui, struct panel *table, const struct rowref *ref, wint_t ch,
                       bool is_key)
{
    const struct pane_table *t = table->ops->table;
    /* a cluster's row: the live member that has it acts */
    struct backend *b = backend_for_row(ui->backends, ui->nbackends, ref->rs->source, t->kind,
                                        rowset_key(ref->rs, ref->row));
    const struct action_def *def =
        b != NULL ? keymap_action(table->ops->name, b, (int)t->kind, ch, is_key) : NULL;
    if (def == NULL) {
        return false;
    }
    const char *target = rowset_key(ref->rs, ref->row);
    char *cause = NULL;
    if (!action_check(b, def, &cause)) {
        ui_say(ui, true, "%s %s: %s", def->label, target, cause);
        free(cause);
        return true;
    }
    pending_clear(ui);
    ui->pending.def = def;
    ui->pending.table = table;
    pending_add(ui, b->name, target, shown_name(t, ref));
    ui->pending.prior = prior_value(ref, def);
    if (action_protected(b) != NULL) {
        ui->pending.protect = xstrdup(action_protected(b));
    }
    if ((def->flags & ACTION_TYPED) || ui->pending.protect != NULL) {
        /* "orders.created", not "%2F/orders.created": what the person sees in the row */
        const char *name = rowset_cell_text(ref->rs, ref->row, t->name_col);
        ui->pending.must_type = xstrdup(name[0] != '\0' ? name : target);
    }
    open_pending_dialog(ui);
    return true;
}

/* Every marked row must offer the action and allow it; otherwise say which does not. */
static bool ask_bulk(struct ui *ui, struct panel *table, const struct rowref *refs, size_t n,
                     wint_t ch, bool is_key)
{
    enum model_kind kind = table->ops->table->kind;
    pending_clear(ui);
    for (size_t i = 0; i < n; i++) {
        const char *target = rowset_key(refs[i].rs, refs[i].row);
        struct backend *b =
            backend_for_row(ui->backends, ui->nbackends, refs[i].rs->source, kind, target);
        const struct action_def *def =
            b != NULL ? keymap_action(table->ops->name, b, (int)kind, ch, is_key) : NULL;
        if (def == NULL || (ui->pending.def != NULL && strcmp(def->verb, ui->pending.def->verb))) {
            char key[16] = "that key";
            if (!is_key && ch > ' ' && ch < 127) {
                snprintf(key, sizeof key, "'%c'", (int)ch);
            }
            ui_say(ui, true, "%s does not apply to every marked row (%s)", key, target);
            pending_clear(ui);
            return true;
        }
        char *cause = NULL;
        if (!action_check(b, def, &cause)) {
            ui_say(ui, true, "%s %s: %s", def->label, target, cause);
            free(cause);
            pending_clear(ui);
            return true;
        }
        ui->pending.def = def;
        pending_add(ui, b->name, target, shown_name(table->ops->table, &refs[i]));
        if (action_protected(b) != NULL && ui->pending.protect == NULL) {
            ui->pending.protect = xstrdup(action_protected(b));
        }
    }
    ui->pending.table = table;
    ui->pending.asking_input = (ui->pending.def->flags & ACTION_INPUT) != 0;
    open_pending_dialog(ui);
    return true;
}

bool dialogs_action_key(struct ui *ui, struct panel *table, wint_t ch, bool is_key)
{
    struct rowref *refs = NULL;
    size_t n = tablepane_action_rows(table->self, &refs);
    bool known = false;
    for (size_t i = 0; i < n && !known; i++) {
        struct backend *b = ui_backend(ui, refs[i].rs->source);
        known = b != NULL && keymap_action(table->ops->name, b, (int)table->ops->table->kind, ch,
                                           is_key) != NULL;
    }
    bool handled = false;
    if (known && n == 1) {
        handled = ask_single(ui, table, &refs[0], ch, is_key);
    } else if (known) {
        handled = ask_bulk(ui, table, refs, n, ch, is_key);
    }
    free(refs);
    return handled;
}

bool dialogs_has_action(struct ui *ui, wint_t ch, bool is_key)
{
    struct panel *p = ui_focused_table(ui);
    for (size_t i = 0; i < ui->nbackends && p != NULL; i++) {
        if (keymap_action(p->ops->name, ui->backends[i], (int)p->ops->table->kind, ch, is_key) !=
            NULL) {
            return true;
        }
    }
    return false;
}

void dialogs_help(struct ui *ui, const char *scope, enum model_kind kind, struct viewer *v)
{
    bool any = false;
    for (size_t i = 0; i < ui->nbackends; i++) {
        struct backend *b = ui->backends[i];
        int nactions;
        const struct action_def *defs = backend_actions(b, &nactions);
        for (int a = 0; a < nactions; a++) {
            const struct action_def *def = &defs[a];
            if (def->kind != kind) {
                continue;
            }
            char *cause = NULL;
            bool ok = action_check(b, def, &cause);
            char dflt[2] = {(char)def->key, '\0'};
            char key[64];
            if (!keymap_action_spec(scope, def->verb, dflt, key, sizeof key)) {
                free(cause);
                continue; /* the user unbound it (or gave its key to another verb) */
            }
            if (ok) {
                viewer_add(v, "  %-12s %s (%s)", key, def->label, b->name);
            } else {
                viewer_add(v, "  %-12s %s (%s): disabled, %s", key, def->label, b->name, cause);
            }
            free(cause);
            any = true;
        }
    }
    if (!any) {
        viewer_add(v, "  (no actions for this pane's backends)");
    }
}

/* ---- what panes ask for ---- */

bool dialogs_confirm(struct ui *ui, struct panel *asker, const char *title, const char *body,
                     const char *confirm, const char *must_type, pane_confirm_cb cb)
{
    if (ui->mode != MODE_NORMAL) {
        return false; /* asked again later: the operator is answering something else */
    }
    dialog_open(&ui->dialog, title, body, confirm, NULL, NULL, must_type);
    ui->pending.asker = asker;
    ui->pending.pane_confirm = cb;
    ui->mode = MODE_CONFIRM;
    ui->overlay_dirty = true;
    return true;
}

/* The dialog of the action keys (open_pending_dialog), for an action step of a run. */
bool dialogs_confirm_action(struct ui *ui, struct panel *asker, const char *backend,
                            const char *pane, const char *verb, const char *target,
                            const char *input, pane_confirm_cb cb)
{
    const struct pane_ops *ops = pane != NULL ? pane_find(pane) : NULL;
    struct backend *b = NULL;
    const struct action_def *def = NULL;
    for (size_t i = 0;
         i < ui->nbackends && ops != NULL && ops->table != NULL && verb != NULL && def == NULL;
         i++) {
        if (backend == NULL || strcmp(ui->backends[i]->name, backend) == 0) {
            b = ui->backends[i];
            def = backend_action_by_verb(b, ops->table->kind, verb);
        }
    }
    if (def == NULL) {
        ui_say(ui, true, "no backend offers '%s' on %s", verb ? verb : "?", pane ? pane : "?");
        return false;
    }
    char *cause = NULL;
    if (!action_check(b, def, &cause)) {
        ui_say(ui, true, "%s %s: %s", def->label, target, cause);
        free(cause);
        return false;
    }
    char *what = describe(b, def, target);
    const char *prot = action_protected(b);
    char *why = prot != NULL ? protected_line(prot, target) : NULL;
    char *body = xasprintf("%s %s%s%s\non backend '%s' (%s)%s%s%s%s\nRunbook step: recorded in the "
                           "run and the audit log.%s",
                           def->label, target, input ? " with " : "", input ? input : "", b->name,
                           b->impl->type, what ? "\n" : "", what ? what : "",
                           (def->flags & ACTION_DISRUPTIVE) ? "\nThis changes live traffic." : "",
                           (def->flags & ACTION_TYPED) ? "\nThis cannot be undone." : "",
                           why != NULL ? why : "");
    free(what);
    free(why);
    char *confirm = capitalised(def->verb);
    bool ok = dialogs_confirm(ui, asker, def->label, body, confirm,
                              (def->flags & ACTION_TYPED) || prot != NULL ? target : NULL, cb);
    if (ok && prot != NULL) {
        /* typed, it is granted to the step the pane then runs (action_run takes it once) */
        ui->pending.grant_backend = b;
        ui->pending.grant_def = def;
        ui->pending.grant_target = xstrdup(target);
    }
    free(confirm);
    free(body);
    return ok;
}

/* ---- keys and drawing ---- */

static void key_pane_dialog(struct ui *ui, wint_t ch, bool is_key)
{
    enum dialog_result r = dialog_key(&ui->dialog, ch, is_key);
    if (r == DIALOG_OPEN) {
        return;
    }
    pane_confirm_cb cb = ui->pending.pane_confirm;
    struct panel *asker = ui->pending.asker;
    ui->pending.pane_confirm = NULL;
    ui->pending.asker = NULL;
    if (r == DIALOG_CONFIRM && ui->pending.grant_def != NULL && ui->dialog.must_type != NULL) {
        action_grant_typed(ui->pending.grant_backend, ui->pending.grant_def,
                           ui->pending.grant_target);
    }
    free(ui->pending.grant_target);
    ui->pending.grant_target = NULL;
    ui->pending.grant_def = NULL;
    ui->pending.grant_backend = NULL;
    ui->mode = MODE_NORMAL;
    dialog_close(&ui->dialog);
    if (asker != NULL && asker->self != NULL) {
        cb(asker->self, r == DIALOG_CONFIRM);
    }
}

static void key_action_dialog(struct ui *ui, wint_t ch, bool is_key)
{
    enum dialog_result r = dialog_key(&ui->dialog, ch, is_key);
    if (r == DIALOG_CONFIRM) {
        ui->mode = MODE_NORMAL;
        confirm_action(ui); /* may open the next step of a bulk action */
    } else if (r == DIALOG_CANCEL) {
        ui->mode = MODE_NORMAL;
        if (ui->pending.n == 1) {
            ui_say(ui, false, "cancelled: %s %s", ui->pending.def->label, ui->pending.shown[0]);
        } else {
            ui_say(ui, false, "cancelled: %s on %zu targets", ui->pending.def->label,
                   ui->pending.n);
        }
    }
    if (ui->mode == MODE_NORMAL) {
        dialog_close(&ui->dialog);
        pending_clear(ui);
    }
}

/* y: the selected field (or the whole text) to the clipboard, through OSC 52. */
static void copy_from_viewer(struct ui *ui)
{
    char *what = NULL, *cause = NULL;
    char *text = viewer_copy_text(&ui->viewer, &what);
    if (clipboard_copy(text, &cause)) {
        ui_say(ui, false, "copied %s (%zu bytes) to the clipboard (OSC 52)", what, strlen(text));
    } else {
        ui_say(ui, true, "%s not copied: %s", what, cause);
        free(cause);
    }
    free(text);
    free(what);
}

/*
 * The opener's own keys (not the shared table keys) work from its viewer: r
 * on an alert's detail opens its runbook. The viewer closes first: the pane's
 * selection is still the row the detail shows.
 */
static bool opener_key(struct ui *ui, wint_t ch, bool is_key)
{
    struct panel *p = ui->viewer_opener;
    if (p == NULL || p->self == NULL || p->ops->table == NULL || is_key || ch == 27) {
        return false; /* Esc closes the viewer, whatever the pane's own Esc does */
    }
    const struct key_def *k = key_find_in(p->ops->name, p->ops->keys, p->self, ch, is_key);
    if (k == NULL || k->id < TABLEPANE_KEY_OWN) {
        return false;
    }
    viewer_close(&ui->viewer);
    ui->viewer_opener = NULL;
    ui->mode = MODE_NORMAL;
    p->ops->key(p->self, ch, is_key);
    return true;
}

static void key_viewer(struct ui *ui, wint_t ch, bool is_key)
{
    int page = LINES - 6;
    if (!is_key && ch == 'y') {
        copy_from_viewer(ui);
    } else if (opener_key(ui, ch, is_key)) {
        return;
    } else if (!viewer_key(&ui->viewer, ch, is_key, page > 1 ? page : 1)) {
        viewer_close(&ui->viewer);
        ui->viewer_opener = NULL;
        ui->mode = MODE_NORMAL;
    }
}

void dialogs_key(struct ui *ui, wint_t ch, bool is_key)
{
    if (ui->mode == MODE_CONFIRM && ui->pending.pane_confirm != NULL) {
        key_pane_dialog(ui, ch, is_key);
    } else if (ui->mode == MODE_CONFIRM) {
        key_action_dialog(ui, ch, is_key);
    } else if (ui->mode == MODE_VIEW) {
        key_viewer(ui, ch, is_key);
    }
    ui->overlay_dirty = true;
}

void dialogs_draw(struct ui *ui)
{
    if (ui->mode == MODE_CONFIRM) {
        ui->overlay = dialog_draw(&ui->dialog, ui->overlay, ui->g);
    } else if (ui->mode == MODE_VIEW) {
        int h = LINES - 4, w = viewer_window_width(COLS);
        ui->overlay = viewer_draw(&ui->viewer, ui->overlay, 2, (COLS - w) / 2, h, w, ui->g);
    } else if (ui->mode == MODE_LEFTOVERS) {
        leftovers_draw(ui);
    } else {
        if (ui->overlay != NULL) {
            delwin(ui->overlay);
            ui->overlay = NULL;
            ui_dirty_all(ui);
        }
        return;
    }
    if (ui->overlay != NULL) {
        wnoutrefresh(ui->overlay);
    }
}

void dialogs_free(struct ui *ui)
{
    if (ui->mode == MODE_CONFIRM) {
        dialog_close(&ui->dialog);
    }
    if (ui->mode == MODE_VIEW) {
        viewer_close(&ui->viewer);
    }
    leftovers_close(ui);
    pending_clear(ui);
}

bool dialogs_undo(struct ui *ui, const char *backend, enum model_kind kind, const char *verb,
                  const char *target, const char *input)
{
    struct backend *b = ui_backend(ui, backend);
    const struct action_def *def = b != NULL ? backend_action_by_verb(b, kind, verb) : NULL;
    if (def == NULL) {
        ui_say(ui, true, "%s: no %s action on %s", target, verb, backend);
        return false;
    }
    char *cause = NULL;
    if (!action_check(b, def, &cause)) {
        ui_say(ui, true, "%s %s: %s", def->label, target, cause);
        free(cause);
        return false;
    }
    if (ui->mode != MODE_NORMAL) {
        return false;
    }
    pending_clear(ui);
    ui->pending.def = def;
    pending_add(ui, b->name, target, NULL);
    ui->pending.initial = input != NULL ? xstrdup(input) : NULL;
    if (action_protected(b) != NULL) {
        ui->pending.protect = xstrdup(action_protected(b));
    }
    if ((def->flags & ACTION_TYPED) || ui->pending.protect != NULL) {
        ui->pending.must_type = xstrdup(target);
    }
    open_pending_dialog(ui);
    return true;
}
