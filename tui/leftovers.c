/*
 * The end of an incident in the console (console.h, issue 13):
 *
 *   - the run open in the side slot owns the actions taken meanwhile
 *     (leftovers_open_run: dialogs.c names it in the audit line);
 *   - the alert transitions are recorded as polls change the alerts
 *     (engine/alertlog.h), once per store generation;
 *   - when the run ends: the post-incident questions (impact, severity, root
 *     cause, action items) one by one in the status line, Esc skipping all
 *     that remain; each answer and then the leftovers are journaled into the
 *     run (pane op record), so the report carries them and a resumed or
 *     followed run does not ask again (pane op reviewed);
 *   - the leftovers list (engine/leftovers.h, checked against the models),
 *     at the end of a run and on :leftovers: j/k choose, u undoes the row
 *     through the usual confirmed, audited dialog (dialogs_undo), Esc closes.
 *     The list follows the models: an undone row goes once its backend says so.
 */
#include "console.h"

#include "../common/loop.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/alertlog.h"
#include "../engine/incident.h"
#include "../engine/leftovers.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct leftovers_list {
    char *run; /* the run whose leftovers these are; NULL: this console's */
    struct leftover *v;
    size_t n, sel;
    uint64_t gens[MODEL_KINDS]; /* the models they were checked against */
    bool back_after_dialog;     /* an undo's dialog is open: come back to the list */
    struct viewer view;
};

const char *leftovers_open_run(struct ui *ui)
{
    return ui->side.ops != NULL ? ui->side.ops->run_id(ui->side.self) : NULL;
}

/* ---- derive ---- */

static bool configured(struct ui *ui, const char *backend)
{
    return backend != NULL && ui_backend(ui, backend) != NULL;
}

/* The run's leftovers, else this console's, of the backends it has. */
static struct leftover *derive(struct ui *ui, const char *run, size_t *n)
{
    size_t all = 0;
    char *cause = NULL;
    struct leftover *v = incident_leftovers(run, ui->store, &all, &cause);
    if (cause != NULL) {
        ui_say(ui, true, "leftovers: %s", cause);
        free(cause);
    }
    /* rows of backends this console does not have cannot be checked nor undone here */
    *n = 0;
    for (size_t i = 0; i < all; i++) {
        if (configured(ui, v[i].backend)) {
            v[(*n)++] = v[i];
        } else {
            leftover_finish(&v[i]);
        }
    }
    return v;
}

static void recheck(struct ui *ui)
{
    struct leftovers_list *l = ui->lov;
    leftovers_free(l->v, l->n);
    l->v = derive(ui, l->run, &l->n);
    for (int k = 0; k < MODEL_KINDS; k++) {
        l->gens[k] = store_generation(ui->store, (enum model_kind)k);
    }
    if (l->sel >= l->n) {
        l->sel = l->n > 0 ? l->n - 1 : 0;
    }
    ui->overlay_dirty = true;
}

static void show(struct ui *ui, const char *run)
{
    if (ui->lov == NULL) {
        ui->lov = xcalloc(1, sizeof *ui->lov);
    }
    free(ui->lov->run);
    ui->lov->run = run != NULL ? xstrdup(run) : NULL;
    ui->lov->sel = 0;
    recheck(ui);
    ui->mode = MODE_LEFTOVERS;
    ui->overlay_dirty = true;
}

void leftovers_open(struct ui *ui)
{
    if (ui->mode != MODE_NORMAL) {
        return;
    }
    show(ui, leftovers_open_run(ui));
}

void leftovers_close(struct ui *ui)
{
    if (ui->lov == NULL) {
        return;
    }
    leftovers_free(ui->lov->v, ui->lov->n);
    viewer_close(&ui->lov->view);
    free(ui->lov->run);
    free(ui->lov);
    ui->lov = NULL;
    if (ui->mode == MODE_LEFTOVERS) {
        ui->mode = MODE_NORMAL;
    }
    ui->overlay_dirty = true;
}

/* ---- the list ---- */

static void undo_selected(struct ui *ui)
{
    struct leftovers_list *l = ui->lov;
    if (l->n == 0) {
        return;
    }
    const struct leftover *lo = &l->v[l->sel];
    if (lo->undo_verb == NULL) {
        ui_say(ui, false, "%s: nothing to undo by a key (%s)", lo->name, lo->what);
        return;
    }
    ui->mode = MODE_NORMAL; /* the dialog needs it */
    if (dialogs_undo(ui, lo->backend, lo->kind, lo->undo_verb, lo->target, lo->undo_input)) {
        l->back_after_dialog = true;
    } else {
        ui->mode = MODE_LEFTOVERS;
    }
}

void leftovers_after_dialog(struct ui *ui)
{
    if (ui->lov != NULL && ui->lov->back_after_dialog && ui->mode == MODE_NORMAL) {
        ui->lov->back_after_dialog = false;
        ui->mode = MODE_LEFTOVERS;
        ui->overlay_dirty = true;
    }
}

void leftovers_key(struct ui *ui, wint_t ch, bool is_key)
{
    struct leftovers_list *l = ui->lov;
    long delta = 0;
    if (l == NULL) {
        ui->mode = MODE_NORMAL;
        return;
    }
    if (!is_key && (ch == 27 || ch == 'q')) {
        leftovers_close(ui);
    } else if (!is_key && (ch == 'u' || ch == '\r' || ch == '\n')) {
        undo_selected(ui);
    } else if (!is_key && ch == 'r') {
        recheck(ui);
    } else if (widgets_move_key(ch, is_key, 5, (long)l->n, &delta)) {
        long to = (long)l->sel + delta;
        to = to < 0 ? 0 : to >= (long)l->n ? (long)l->n - 1 : to;
        l->sel = to > 0 ? (size_t)to : 0;
    }
    ui->overlay_dirty = true;
}

/* "ready   be_web/web2 (edge): drained, since 14:46 by alice": what u does first. */
static char *row_text(const struct leftover *lo)
{
    int64_t s = lo->since_ms / 1000;
    char *undo = lo->undo_verb == NULL    ? xstrdup("-")
                 : lo->undo_input != NULL ? xasprintf("%s %s", lo->undo_verb, lo->undo_input)
                                          : xstrdup(lo->undo_verb);
    char *raw =
        xasprintf("%-7s %s (%s): %s%s, since %02lld:%02lld by %s", undo, lo->name, lo->backend,
                  lo->what, lo->checked ? "" : " (state unknown)", (long long)(s / 3600 % 24),
                  (long long)(s / 60 % 60), lo->actor != NULL ? lo->actor : "?");
    free(undo);
    char *clean = text_clean_str(raw, 0);
    free(raw);
    return clean;
}

void leftovers_draw(struct ui *ui)
{
    struct leftovers_list *l = ui->lov;
    if (l == NULL) {
        return;
    }
    for (int k = 0; k < MODEL_KINDS; k++) {
        if (l->gens[k] != store_generation(ui->store, (enum model_kind)k)) {
            recheck(ui); /* a poll came: an undone row goes, a new state shows */
            break;
        }
    }
    char *title = l->run != NULL ? xasprintf("Left in place by run %s", l->run)
                                 : xstrdup("Left in place by this console");
    size_t top = l->view.top;
    viewer_close(&l->view);
    viewer_open(&l->view, title);
    free(title);
    if (l->n == 0) {
        viewer_add(&l->view, "Nothing: no server drained, no silence, no pause left by it.");
    }
    for (size_t i = 0; i < l->n; i++) {
        char *row = row_text(&l->v[i]);
        viewer_add(&l->view, "%s %s", i == l->sel ? ">" : " ", row);
        free(row);
    }
    int h = LINES - 4 > 3 ? LINES - 4 : 3;
    int w = COLS - 4 > 20 ? COLS - 4 : 20;
    size_t body = (size_t)(h - 2);
    l->view.top = top;
    if (l->sel < l->view.top) {
        l->view.top = l->sel;
    } else if (l->sel >= l->view.top + body) {
        l->view.top = l->sel - body + 1;
    }
    ui->overlay = viewer_draw(&l->view, ui->overlay, 2, (COLS - w) / 2, h, w, ui->g);
    if (ui->overlay == NULL) {
        return;
    }
    unsigned base = theme_attr(THEME_DIALOG);
    if (l->n > 0 && l->sel >= l->view.top && l->sel < l->view.top + body) {
        screen_put(ui->overlay, 1 + (int)(l->sel - l->view.top), 2, w - 4, l->view.lines[l->sel],
                   theme_attr(THEME_SELECTED), ui->g);
    }
    screen_fill(ui->overlay, h - 1, 2, w - 4, base);
    screen_box(ui->overlay, ui->g, base);
    screen_put(ui->overlay, 0, 2, w - 4, l->view.title, base | A_BOLD, ui->g);
    screen_put_right(ui->overlay, h - 1, 2, w - 4,
                     " j/k choose  u undo (first word)  r re-read  Esc close ", base, ui->g);
}

/* ---- the end-of-run review ---- */

static void ask_next(struct ui *ui);

static void review_done(struct ui *ui, bool skipped)
{
    ui->review_q = 0;
    if (ui->side.ops == NULL || ui->side.ops->record == NULL) {
        return;
    }
    const char *run = leftovers_open_run(ui);
    size_t n;
    struct leftover *v = derive(ui, run, &n);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToObject(d, "items", leftovers_json(v, n));
    cJSON_AddBoolToObject(d, "review_skipped", skipped);
    leftovers_free(v, n);
    char *cause = NULL;
    if (!ui->side.ops->record(ui->side.self, "leftovers", d, &cause)) {
        ui_say(ui, true, "the run's journal: %s", cause);
        free(cause);
    } else if (n == 0) {
        ui_say(ui, false, "%snothing left in place (:leftovers)",
               skipped ? "post-incident questions skipped; " : "");
        return;
    }
    show(ui, run);
}

static void on_answer(void *self, const char *answer)
{
    struct ui *ui = self;
    size_t q = ui->review_q - 1;
    if (ui->side.ops == NULL || ui->side.ops->record == NULL) {
        ui->review_q = 0;
        return;
    }
    if (answer[0] != '\0') {
        char *cause = NULL;
        cJSON *d = postmortem_event(postmortem_questions[q].field, answer);
        if (!ui->side.ops->record(ui->side.self, "postmortem", d, &cause)) {
            ui_say(ui, true, "the run's journal: %s", cause);
            free(cause);
        }
    }
    ui->review_q++;
    ask_next(ui);
}

static void on_skip(void *self, const char *initial)
{
    (void)initial;
    struct ui *ui = self;
    ui_say(ui, false, "post-incident questions skipped");
    review_done(ui, true);
}

static void ask_next(struct ui *ui)
{
    size_t q = ui->review_q - 1;
    if (q >= postmortem_nquestions) {
        review_done(ui, false);
        return;
    }
    struct line_mode l = {.enter = on_answer, .cancel = on_skip};
    snprintf(l.label, sizeof l.label,
             "%s [%zu/%zu, Esc skips all]: ", postmortem_questions[q].prompt, q + 1,
             postmortem_nquestions);
    keys_line_open(ui, &l, "");
}

void leftovers_review(struct ui *ui)
{
    if (ui->side.ops == NULL || ui->side.ops->record == NULL || ui->side.ops->reviewed == NULL ||
        ui->side.ops->reviewed(ui->side.self) || ui->review_q > 0) {
        return;
    }
    if (ui->mode != MODE_NORMAL) {
        ui->review_pending = true; /* after the dialog or the line in the way */
        return;
    }
    ui->review_pending = false;
    ui->review_q = 1;
    ask_next(ui);
}

void leftovers_review_again(struct ui *ui)
{
    if (ui->side.ops == NULL || ui->side.ops->record == NULL ||
        !ui->side.ops->ended(ui->side.self)) {
        ui_say(ui, true, "no ended run open: the questions come at the end of a runbook run");
        return;
    }
    if (ui->mode != MODE_NORMAL || ui->review_q > 0) {
        return;
    }
    ui->review_q = 1;
    ask_next(ui);
}

static void wake(void *ud)
{
    (void)ud; /* the loop returns: ui_run calls leftovers_watch again */
}

void leftovers_watch(struct ui *ui)
{
    if (ui->mode == MODE_LEFTOVERS && ui->lov != NULL) {
        for (int k = 0; k < MODEL_KINDS && !ui->overlay_dirty; k++) {
            ui->overlay_dirty = ui->lov->gens[k] != store_generation(ui->store, (enum model_kind)k);
        }
    }
    if (ui->review_pending && ui->mode == MODE_NORMAL) {
        leftovers_review(ui);
    }
    if (ui->alertlog == NULL) {
        return;
    }
    char *cause = NULL;
    if (!alertlog_observe(ui->alertlog, ui->store, &cause) && !ui->alertlog_failed) {
        ui->alertlog_failed = true;
        ui_say(ui, true, "alert log: %s", cause);
    }
    free(cause);
    if (!alertlog_observing(ui->alertlog)) {
        alertlog_publish(ui->alertlog, ui->store); /* the History pane's rows, when they changed */
    }
    if (alertlog_observing(ui->alertlog) || alertlog_publishing(ui->alertlog)) {
        loop_timer_add(ui->loop, 0, 0, wake, NULL); /* the next slice after the terminal's turn */
    }
}
