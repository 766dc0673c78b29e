/*
 * The side slot (console.h): one run at a time beside the table panes, a
 * runbook (panes/runbook.c) or a drill (panes/drill.c), opened from a file
 * or resumed from its journal. Past opening, the console knows the pane
 * only through its ops (noun, run_id, ended, close, closing, abort).
 *
 * Closing a pane with something to undo (a drill's chaos: :close, quitting,
 * SIGTERM, SIGHUP) does not run a loop of its own: close() starts it, the
 * pane stays and shows it go, and the slot (or the console) closes once
 * closing() says it is done, or after the pane's close_limit_ms.
 *
 * Rollbacks still pending in any drill's journal (one failed: every start
 * tries it again until it works or is given up) are said first in the status
 * line, NOT RESTORED in the critical tone, until they are resolved.
 */
#include "console.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "../engine/drill_extra.h"
#include "../engine/drillview.h"
#include "../engine/locate.h"
#include "../engine/report.h"
#include "../engine/run.h"
#include "../engine/vars.h"
#include "../engine/runlog.h"
#include "../panes/drill.h"
#include "../panes/runbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PENDING_EVERY_MS = 30000 };

static const char *side_id(struct ui *ui)
{
    return ui->side.ops->run_id(ui->side.self);
}

static bool already_open(struct ui *ui)
{
    if (ui->side.ops == NULL) {
        return false;
    }
    ui_say(ui, true, "%s %s is open: :close it first", ui->side.ops->noun, side_id(ui));
    return true;
}

void side_opened(struct ui *ui, const struct pane_ops *ops, void *self, const char *how)
{
    ui->side.ops = ops;
    ui->side.self = self;
    ui->side_ended = false;
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    ui_focus(ui, ui->nslots);
    ui->need_layout = true; /* the grid makes room */
    ui_say(ui, false, "%s %s %s", ops->noun, side_id(ui), how);
    room_share(ui); /* with [share] dir: others may join (a joined pane shares nothing) */
}

static void run_env(struct ui *ui, struct run_env *env)
{
    memset(env, 0, sizeof *env);
    env->loop = ui->loop;
    env->store = ui->store;
    env->backends = ui->backends;
    env->nbackends = ui->nbackends;
}

static void game_env(struct ui *ui, struct game_env *env)
{
    memset(env, 0, sizeof *env);
    env->loop = ui->loop;
    env->store = ui->store;
    env->backends = ui->backends;
    env->nbackends = ui->nbackends;
    env->ask_chaos = true; /* chaos on the clock asks the facilitator (unless auto: true) */
}

void side_open_run(struct ui *ui, const char *file, const struct vars *vars)
{
    if (already_open(ui)) {
        return;
    }
    struct run_env env;
    run_env(ui, &env);
    char *cause = NULL;
    void *self = runbook_pane_start(&env, file, vars, &ui->side.host, &cause);
    if (self == NULL) {
        ui_say(ui, true, "%s", cause ? cause : "the run did not start");
        free(cause);
        return;
    }
    side_opened(ui, &runbook_pane, self, "started");
}

void side_open_drill(struct ui *ui, const char *file)
{
    if (already_open(ui)) {
        return;
    }
    struct game_env env;
    game_env(ui, &env);
    char *cause = NULL;
    void *self = drill_pane_start(&env, file, &ui->side.host, &cause);
    if (self == NULL) {
        ui_say(ui, true, "%s", cause ? cause : "the drill did not start");
        free(cause);
        return;
    }
    side_opened(ui, &drill_pane, self, "opened: before checks");
}

static void resume_drill(struct ui *ui, const char *id)
{
    if (already_open(ui)) {
        return;
    }
    struct game_env env;
    game_env(ui, &env);
    char *cause = NULL;
    void *self = drill_pane_resume(&env, id, &ui->side.host, &cause);
    if (self == NULL) {
        ui_say(ui, true, "resume %s: %s", id, cause ? cause : "failed");
        free(cause);
        return;
    }
    side_opened(ui, &drill_pane, self, "resumed");
}

/* Is run ID a drill (its run.start says kind drill)? */
static bool run_is_drill(const char *id)
{
    size_t n = 0;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &n, &cause);
    free(cause);
    bool drill = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].id, id) == 0) {
            drill = list[i].drill;
        }
    }
    run_info_free(list, n);
    return drill;
}

void side_resume(struct ui *ui, const char *id)
{
    if (already_open(ui)) {
        return;
    }
    if (run_is_drill(id)) {
        resume_drill(ui, id);
        return;
    }
    struct run_env env;
    run_env(ui, &env);
    char *cause = NULL;
    void *self = runbook_pane_resume(&env, id, &ui->side.host, &cause);
    if (self == NULL) {
        ui_say(ui, true, "resume %s: %s", id, cause ? cause : "failed");
        free(cause);
        return;
    }
    side_opened(ui, &runbook_pane, self, "resumed");
}

/* Unfinished runs on disk: say so, and remember the newest for R. */
size_t side_offer_unfinished(struct ui *ui)
{
    size_t n = 0, open = 0;
    bool drill = false;
    char *cause = NULL;
    struct run_info *list = run_list(NULL, &n, &cause);
    free(cause);
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!list[i].ended) {
            if (ui->resume_offer == NULL) {
                ui->resume_offer = xstrdup(list[i].id); /* newest first */
                drill = list[i].drill;
            }
            open++;
        }
    }
    if (open > 0) {
        ui_say(ui, false, "%zu unfinished run%s: press R to resume %s%s", open,
               open == 1 ? "" : "s", drill ? "the drill " : "", ui->resume_offer);
    }
    run_info_free(list, n);
    return open;
}

void side_resume_newest(struct ui *ui)
{
    if (ui->side.ops != NULL) {
        ui_focus(ui, ui->nslots);
        return;
    }
    if (ui->resume_offer == NULL && side_offer_unfinished(ui) == 0) {
        ui_say(ui, false, "no unfinished run to resume");
        return;
    }
    char *id = xstrdup(ui->resume_offer);
    side_resume(ui, id);
    free(id);
}

/* r on an alert: its runbook (engine/locate.h), its labels as the run's variables. */
/* r on an alert whose last run has ended: its report, or a new run (side_open_for). */
struct finished_offer {
    char *path; /* the runbook, for a new run */
    struct vars vars;
    char *run; /* the run that ended */
};

static void offer_free(struct finished_offer *o)
{
    if (o != NULL) {
        free(o->path);
        free(o->run);
        vars_clear(&o->vars);
        free(o);
    }
}

static void on_offer_answer(void *self, const char *answer)
{
    struct ui *ui = self;
    struct finished_offer *o = ui->finished_offer;
    ui->finished_offer = NULL;
    if (o == NULL) {
        return;
    }
    if (answer[0] == 'r' || answer[0] == 'R') {
        char *cause = NULL;
        char *md = report_markdown(NULL, o->run, &cause);
        char *title = xasprintf("Report of run %s", o->run);
        if (md == NULL) {
            ui_say(ui, true, "no report for %s: %s", o->run, cause ? cause : "?");
        } else {
            dialogs_view(ui, NULL, title, md);
        }
        free(title);
        free(md);
        free(cause);
    } else if (answer[0] == 'n' || answer[0] == 'N') {
        side_open_run(ui, o->path, &o->vars);
    } else {
        ui_say(ui, false, "nothing opened (r: the report of %s, n: a new run)", o->run);
    }
    offer_free(o);
}

static void on_offer_cancel(void *self, const char *answer)
{
    struct ui *ui = self;
    (void)answer;
    offer_free(ui->finished_offer);
    ui->finished_offer = NULL;
    ui_say(ui, false, "cancelled");
}

/* The newest run opened for this alert (same name and labels) that has ended; NULL if none. */
static char *ended_run_for(const struct vars *v, char **how)
{
    char *key = run_alert_key(v), *id = NULL;
    size_t n = 0;
    char *cause = NULL;
    struct run_info *list = key != NULL ? run_list(NULL, &n, &cause) : NULL;
    for (size_t i = 0; i < n && id == NULL; i++) {
        if (!list[i].drill && list[i].alert != NULL && strcmp(list[i].alert, key) == 0) {
            if (!list[i].ended) {
                break; /* the newest is still open: resume it as always */
            }
            id = xstrdup(list[i].id);
            *how = xstrdup(list[i].how != NULL ? list[i].how : "ended");
        }
    }
    run_info_free(list, n);
    free(cause);
    free(key);
    return id;
}

/* Ask whether to open the ended run's report or start anew; false when the line is busy. */
static bool offer_ended(struct ui *ui, const char *name, const char *path, const struct vars *v,
                        char *run, char *how)
{
    struct finished_offer *o = xcalloc(1, sizeof *o);
    o->path = xstrdup(path);
    o->run = run;
    for (size_t i = 0; i < v->n; i++) {
        vars_set(&o->vars, v->names[i], v->values[i]);
    }
    struct line_mode l = {.enter = on_offer_answer, .cancel = on_offer_cancel};
    snprintf(l.label, sizeof l.label, "%s run %s %s: r report, n new run: ", name, run, how);
    free(how);
    offer_free(ui->finished_offer);
    ui->finished_offer = o;
    if (!keys_line_open(ui, &l, "")) {
        offer_free(o);
        ui->finished_offer = NULL;
        return false;
    }
    return true;
}

void side_open_for(struct ui *ui, const char *name, const char *detail)
{
    char *cause = NULL;
    char *path = locate_runbook(ui->opts.config, name, detail, &cause);
    if (path == NULL) {
        ui_say(ui, true, "no runbook for %s: %s", name, cause ? cause : "not found");
        free(cause);
        return;
    }
    struct vars v = {0};
    locate_alert_vars(detail, name, &v);
    char *how = NULL;
    char *ended = ui->side.ops == NULL ? ended_run_for(&v, &how) : NULL;
    if (ended == NULL || !offer_ended(ui, name, path, &v, ended, how)) {
        side_open_run(ui, path, &v);
    }
    vars_clear(&v);
    free(path);
}

/* ---- rollbacks NOT RESTORED ---- */

/* Read the journals again: rollbacks NOT RESTORED (failed, or a crashed drill's). */
void side_refresh_pending(struct ui *ui)
{
    size_t n = 0, shown = 0;
    struct drill_pending *list = drill_pending_list(NULL, &n);
    const struct drill_pending *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (list[i].failed || !list[i].live) {
            first = first != NULL ? first : &list[i];
            shown++;
        }
    }
    char text[sizeof ui->pending_text] = "";
    if (first != NULL) {
        snprintf(text, sizeof text, "%zu rollback%s of drill %s%s%s", shown, shown == 1 ? "" : "s",
                 first->run, shown == 1 ? ": " : "", shown == 1 ? first->rollback : "");
    }
    if (shown != ui->npending || strcmp(text, ui->pending_text) != 0) {
        ui->chrome_dirty = true;
    }
    ui->npending = shown;
    snprintf(ui->pending_text, sizeof ui->pending_text, "%s", text);
    ui->pending_checked = clock_mono_ms();
    drill_pending_free(list, n);
}

/* ---- closing ---- */

/* Free the side pane now: the run (or drill, rolled back) stays resumable unless it ended. */
static void close_now(struct ui *ui)
{
    const char *noun = ui->side.ops->noun;
    char *id = xstrdup(side_id(ui));
    bool ended = ui->side.ops->ended(ui->side.self);
    /* run_destroy, or game_destroy once the rollbacks are done: both stay resumable */
    void *self = ui->side.self;
    const struct pane_ops *ops = ui->side.ops;
    ui->side.self = NULL;
    ui->side.ops = NULL;
    ui->side_focus = false;
    ui->side_closing = false;
    ui->side_ended = false;
    ops->free(self);
    ui->need_layout = true;
    if (ended) {
        ui_say(ui, false, "%s %s closed", noun, id);
        free(id);
    } else {
        ui_say(ui, false, "%s %s closed, still open: R resumes it", noun, id);
        free(ui->resume_offer);
        ui->resume_offer = id; /* R resumes it by id: the journal says which kind */
    }
}

/* Its rollbacks are done (or took too long): close it for good. */
static void finish_close(struct ui *ui)
{
    ui->side_closing = false;
    close_now(ui);
    side_refresh_pending(ui);
    if (ui->quit_after_close) {
        loop_quit(ui->loop);
    }
}

static void say_closing(struct ui *ui, const char *what)
{
    ui_say(ui, false, "closing %s %s: %s", ui->side.ops->noun, side_id(ui), what);
}

/* Start closing; true when it has to wait (side_watch closes it when done). */
static bool close_starts(struct ui *ui)
{
    const struct pane_ops *ops = ui->side.ops;
    if (ui->side_closing) {
        const char *what = ops->closing(ui->side.self);
        say_closing(ui, what != NULL ? what : "done");
        return true;
    }
    const char *what = ops->close != NULL ? ops->close(ui->side.self) : NULL;
    if (what == NULL) {
        return false;
    }
    ui->side_closing = true;
    ui->side_close_until = clock_mono_ms() + (uint64_t)ops->close_limit_ms;
    ui->side.dirty = true;
    say_closing(ui, what);
    return true;
}

void side_close(struct ui *ui)
{
    if (ui->side.ops == NULL) {
        ui_say(ui, true, "no run is open");
        return;
    }
    if (close_starts(ui)) {
        return; /* side_watch() closes it when the rollbacks are done */
    }
    close_now(ui);
}

void side_abort(struct ui *ui)
{
    if (ui->side.ops == NULL) {
        ui_say(ui, true, "no run is open");
        return;
    }
    ui->side.ops->abort(ui->side.self);
}

bool side_closing_key(struct ui *ui, wint_t ch, bool is_key)
{
    if (key_find_in(ui->side.ops->name, frame_keys, ui, ch, is_key) != NULL) {
        return false; /* the console's keys (q, :, ?, Tab, digits) do not wait */
    }
    const char *what = ui->side.ops->closing(ui->side.self);
    say_closing(ui, what != NULL ? what : "rolling back");
    return true;
}

/* Every loop iteration: how a closing goes, and whether a run's end changed what is pending. */
void side_watch(struct ui *ui)
{
    if (ui->side.ops != NULL) {
        bool ended = ui->side.ops->ended(ui->side.self);
        if (ended != ui->side_ended) {
            ui->side_ended = ended;
            if (ended) {
                side_refresh_pending(ui); /* a failed rollback is NOT RESTORED from now on */
                leftovers_review(ui);     /* a runbook run: the questions, the leftovers */
            }
        }
    }
    if (ui->side.ops != NULL && ui->side_closing) {
        const char *what = ui->side.ops->closing(ui->side.self);
        if (what == NULL) {
            finish_close(ui);
        } else if (clock_mono_ms() >= ui->side_close_until) {
            ui_say(ui, true, "rollbacks still running after %d s: left pending for the next start",
                   ui->side.ops->close_limit_ms / 1000);
            finish_close(ui);
        } else {
            /* the status line follows the rollbacks too (the pane may be hidden) */
            char now[sizeof ui->message];
            snprintf(now, sizeof now, "closing %s %s: %s", ui->side.ops->noun, side_id(ui), what);
            if (strcmp(now, ui->message) != 0) {
                ui_say(ui, false, "%s", now);
            }
        }
    }
    if (clock_mono_ms() - ui->pending_checked >= PENDING_EVERY_MS) {
        side_refresh_pending(ui);
    }
}

/*
 * Quitting (q, :q, SIGTERM, SIGHUP, a closed terminal) with something to
 * undo: the quit waits, the rollbacks run on the loop and the screen draws
 * them (not after a hang-up: nobody is there), then it quits.
 * true when the quit was put off.
 */
bool side_quit_waits(struct ui *ui)
{
    if (ui->quit_after_close || ui->side.ops == NULL || ui->side.ops->close == NULL) {
        return ui->side_closing;
    }
    ui->quit_after_close = true;
    if (!ui->side_closing && !close_starts(ui)) {
        return false;
    }
    ui_say(ui, false, "quitting once %s %s is rolled back", ui->side.ops->noun, side_id(ui));
    return true;
}

/* ---- start and end ---- */

void side_open_at_start(struct ui *ui, const struct ui_options *opts)
{
    if (opts->run_file != NULL) {
        struct vars v = {0};
        for (size_t i = 0; opts->run_vars != NULL && opts->run_vars[i] != NULL; i++) {
            const char *eq = strchr(opts->run_vars[i], '=');
            if (eq != NULL) {
                char *name = xstrndup(opts->run_vars[i], (size_t)(eq - opts->run_vars[i]));
                vars_set(&v, name, eq + 1);
                free(name);
            }
        }
        side_open_run(ui, opts->run_file, &v);
        vars_clear(&v);
    } else if (opts->run_resume != NULL) {
        side_resume(ui, opts->run_resume);
    } else if (opts->drill_file != NULL) {
        side_open_drill(ui, opts->drill_file);
    } else if (opts->drill_resume != NULL) {
        resume_drill(ui, opts->drill_resume);
    } else if (opts->join_id != NULL) {
        room_join(ui, opts->join_id);
    } else {
        side_offer_unfinished(ui);
    }
    side_refresh_pending(ui);
    if (opts->start_message != NULL) {
        /* first: what recovery rolled back matters more than a resume offer */
        char *said = ui->message[0] != '\0' ? xstrdup(ui->message) : NULL;
        ui_say(ui, false, "%s%s%s", opts->start_message, said ? "; " : "", said ? said : "");
        free(said);
    }
}

void side_free(struct ui *ui)
{
    if (ui->side.ops != NULL) {
        ui->side.ops->free(ui->side.self); /* left open for resume, never aborted */
        ui->side.ops = NULL;
        ui->side.self = NULL;
    }
    free(ui->resume_offer);
    ui->resume_offer = NULL;
    offer_free(ui->finished_offer);
    ui->finished_offer = NULL;
}

bool side_full_screen(const struct ui *ui)
{
    const struct drillview *v = ui->side.ops == &drill_pane ? drill_pane_view(ui->side.self) : NULL;
    return v != NULL && !drill_extra_uses_panes(drillview_drill(v));
}
