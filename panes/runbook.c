/*
 * The runbook pane: its keys and its life (runbook_draw.c draws it). Keys
 * become run_* calls: the operator's commands go to the run; what the pane
 * shows comes from its view of the run (engine/runview.h), fed by the run's
 * event stream, and the pane redraws when the run's changed hook fired, a key
 * moved something, or (busy) the second changed for the elapsed time.
 *
 * After a resume, Enter on an interrupted step opens a dialog (default
 * Cancel) saying it may have run partly; processes the session that died
 * left running are waited for (w) or stopped (K) first.
 */
#include "rbpane.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "../engine/crew.h"
#include "../tui/theme.h"
#include "../tui/widgets.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rb_draw(void *self, WINDOW *win, const struct pane_view *view)
{
    struct rbpane *p = self;
    if (p->view == NULL) { /* a follower before the owner's first word */
        follow_draw_joining(&p->fol, win, view->focused, p->utf8, "run");
        p->dirty = false;
        return;
    }
    rbpane_draw(self, win, view);
}

/* ---- keys ---- */

static void say(struct rbpane *p, bool error, const char *text)
{
    pane_say(&p->host, error, text);
}

static void check(struct rbpane *p, bool ok, char **cause)
{
    p->dirty = true;
    pane_check(&p->host, ok, cause);
}

/* A request with one string field (NULL name: none). */
static bool ask(struct rbpane *p, enum share_op op, const char *name, const char *value)
{
    cJSON *a = cJSON_CreateObject();
    if (name != NULL) {
        cJSON_AddStringToObject(a, name, value);
    }
    return rbpane_do(p, op, a);
}

static void on_answer(void *self, const char *answer)
{
    ask(self, SOP_INPUT, "value", answer);
}

static void on_jump(void *self, const char *answer)
{
    struct rbpane *p = self;
    const struct runbook *rb = runview_runbook(p->view);
    char *end = NULL;
    long n = strtol(answer, &end, 10);
    const char *id = answer;
    if (end != answer && *end == '\0') {
        if (n < 1 || (size_t)n > rb->nsteps) {
            say(p, true, "no such step number");
            return;
        }
        id = rb->steps[n - 1].id;
    }
    ask(p, SOP_JUMP, "step", id);
}

static void on_note(void *self, const char *answer)
{
    struct rbpane *p = self;
    if (answer[0] == '\0') {
        return;
    }
    if (ask(p, SOP_NOTE, "text", answer) && !p->following) {
        say(p, false, "note added to the run's journal");
    }
}

static void on_propose(void *self, const char *answer)
{
    struct rbpane *p = self;
    char step[128] = "";
    int used = 0;
    if (sscanf(answer, "%127s %n", step, &used) < 1) {
        return;
    }
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "step", step);
    if (answer[used] != '\0') {
        cJSON_AddStringToObject(a, "text", answer + used);
    }
    rbpane_do(p, SOP_PROPOSE, a);
}

static void on_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the step did not run");
        return;
    }
    ask(p, SOP_CONFIRM, NULL, NULL);
}

static void on_rerun_confirmed(void *self, bool yes)
{
    struct rbpane *p = self;
    if (!yes) {
        say(p, false, "cancelled: the step did not run");
        return;
    }
    char *cause = NULL;
    check(p, run_rerun(p->run, &cause), &cause);
}

/* Enter on an interrupted step: never straight away (it may have run partly). */
static void ask_rerun(struct rbpane *p, const struct rb_step *s)
{
    int pgid = 0;
    if (runview_orphan(p->view, &pgid, NULL) != RUN_ORPHAN_NONE) {
        char *m = xasprintf("its processes (process group %d) are still running: w waits for "
                            "them, K stops them",
                            pgid);
        say(p, true, m);
        free(m);
        return;
    }
    char *missing = NULL;
    char *preview = runview_mask(p->view, runview_preview(p->view, &missing));
    free(missing);
    char *body = xasprintf("\"%s\" was in flight when the session ended: it may have run "
                           "partly, and its side effects may have happened already.%s%s\n\nRun "
                           "it again?",
                           s->title, preview != NULL ? "\n\n" : "", preview != NULL ? preview : "");
    p->host.ops->confirm(p->host.host, "Re-run interrupted step", body, "Re-run", NULL,
                         on_rerun_confirmed);
    free(body);
    free(preview);
}

static void on_overtime(void *self, bool yes)
{
    struct rbpane *p = self;
    if (yes) {
        char *cause = NULL;
        check(p, run_escalate(p->run, &cause), &cause);
    } else {
        run_dismiss_overtime(p->run);
    }
}

static void ask_input(struct rbpane *p, const struct rb_step *s)
{
    struct strbuf sb = {0};
    if (s->type == RB_APPROVAL) {
        strbuf_printf(&sb, "%s: name of the %s who approved", s->ask ? s->ask : s->title,
                      s->role ? s->role : "approver");
    } else {
        char *ask = runview_text(p->view, s->ask ? s->ask : s->title);
        strbuf_str(&sb, ask);
        free(ask);
        if (s->nchoices > 0) {
            strbuf_str(&sb, " [");
            for (size_t i = 0; i < s->nchoices; i++) {
                strbuf_printf(&sb, "%s%s", i ? "/" : "", s->choices[i].label);
            }
            strbuf_str(&sb, "]");
        }
        if (s->default_value != NULL) {
            strbuf_printf(&sb, " (Enter: %s)", s->default_value);
        }
    }
    strbuf_str(&sb, ": ");
    p->host.ops->prompt(p->host.host, sb.s, "", s->secret, on_answer);
    free(sb.s);
}

static void do_enter(struct rbpane *p)
{
    const struct rb_step *s = runview_step(p->view);
    enum run_state st = runview_state(p->view);
    if (s == NULL || st == RUN_DONE || st == RUN_ABORTED) {
        say(p, false, "the run has ended (:close closes the pane)");
        return;
    }
    if (st == RUN_BUSY) {
        say(p, false, "the step is running: K or Ctrl-C stops it");
        return;
    }
    if (st == RUN_INTERRUPTED) {
        if (p->run == NULL) {
            say(p, true, "an interrupted step is re-run from the owner's console only");
            return;
        }
        ask_rerun(p, s);
        return;
    }
    bool shared = p->following || (p->run != NULL && run_shared(p->run));
    if (shared && (s->type == RB_APPROVAL || s->two_person)) {
        /* the two-person rule: Enter asks, somebody else approves (A) */
        ask(p, SOP_CONFIRM, NULL, NULL);
        return;
    }
    if (p->run == NULL && s->type == RB_ACTION) {
        if (!follow_allowed(&p->fol, SOP_CONFIRM)) {
            return;
        }
        /* a follower's dialog: its own backends are not the ones that act */
        char *missing = NULL;
        char *preview = runview_mask(p->view, runview_preview(p->view, &missing));
        free(missing);
        char *body = xasprintf("The owner's console does it, as you see it:\n\n%s",
                               preview != NULL ? preview : s->title);
        p->host.ops->confirm(p->host.host, "Do the step", body, "Do it", NULL, on_confirmed);
        free(body);
        free(preview);
        return;
    }
    if (p->run == NULL && s->type != RB_PROMPT && s->type != RB_DECISION) {
        /* a follower: what the owner's console asks first (values, blocks) it asks there */
        ask(p, SOP_CONFIRM, NULL, NULL);
        return;
    }
    if ((s->type == RB_PROMPT || s->type == RB_APPROVAL) && st != RUN_INTERRUPTED) {
        ask_input(p, s);
        return;
    }
    if (s->type == RB_DECISION && st != RUN_INTERRUPTED) {
        say(p, false, "choose with 1-9");
        return;
    }
    if (s->type == RB_ACTION) {
        /* the same dialog as the action keys; the engine performs it through action_run */
        char *missing = NULL;
        char *target =
            s->target ? vars_expand(run_vars(p->run), s->target, VARS_TEXT, &missing) : NULL;
        char *input = s->input && missing == NULL
                          ? vars_expand(run_vars(p->run), s->input, VARS_TEXT, &missing)
                          : NULL;
        if (missing != NULL) {
            char *m = xasprintf("unset variable %s", missing);
            say(p, true, m);
            free(m);
        } else if (target != NULL) {
            p->host.ops->confirm_action(p->host.host, s->backend, s->pane, s->action, target, input,
                                        on_confirmed);
        }
        free(missing);
        free(target);
        free(input);
        return;
    }
    if (st == RUN_READY && rbpane_ask_unrun(p, s)) {
        return; /* a wiki step's command never ran: done anyway? */
    }
    if ((st == RUN_READY || st == RUN_FAILED) && rbpane_ask_step_values(p, s)) {
        return; /* its placeholders first, then the step */
    }
    /* manual, command, wait, notify: the preview on screen is the confirmation */
    ask(p, SOP_CONFIRM, NULL, NULL);
}

/* c: "I am on it", again: not any more */
static void do_claim(struct rbpane *p, const struct rb_step *s)
{
    const char *me = p->following ? NULL : whoami_user();
    const struct crew *c = runview_crew(p->view);
    bool mine = false;
    for (size_t i = 0; c != NULL && i < c->nclaims; i++) {
        if (strcmp(c->claims[i].on, s->id) == 0 && c->claims[i].expect < 0 &&
            strcmp(c->claims[i].user, me != NULL ? me : (p->fol.you != NULL ? p->fol.you : "")) ==
                0) {
            mine = true;
        }
    }
    ask(p, mine ? SOP_UNCLAIM : SOP_CLAIM, "step", s->id);
}

/* The pane's keys: id, keys, verb, help (tui/keymap.h). */
#define RB_KEYS(X)                                                                                 \
    X(RBK_ENTER, "Enter", "step-do",                                                               \
      "do the step: done, run the preview shown, answer (an action step asks first)")              \
    X(RBK_SKIP, "s", "step-skip", "skip the step (after an interruption: continue past it)")       \
    X(RBK_BACK, "b", "step-back", "back to the previous step")                                     \
    X(RBK_JUMP, "J", "step-jump", "jump to a step (id or number)")                                 \
    X(RBK_NOTE, "n", "note", "add a note to the run's journal")                                    \
    X(RBK_CHOOSE, "1-9", "choose", "choose in a decision")                                         \
    X(RBK_CODE_PREV, "[", "code-prev", "select the previous code block")                           \
    X(RBK_CODE_NEXT, "]", "code-next", "select the next code block")                               \
    X(RBK_COPY, "y", "code-copy", "copy the code block to the clipboard (OSC 52)")                 \
    X(RBK_RUN_CODE, "x", "code-run",                                                               \
      "run the code block (asks its placeholders, then shows the command)")                        \
    X(RBK_EDIT_CODE, "e", "code-edit",                                                             \
      "edit the code block, then run it (the journal keeps both)")                                 \
    X(RBK_CODE_ACTION, "a", "code-action",                                                         \
      "do the code block as the console action it stands for (same dialog, audited)")              \
    X(RBK_STOP, "K", "stop", "stop the running command (not opsdeck), as Ctrl-C does")             \
    X(RBK_WAIT, "w", "orphan-wait",                                                                \
      "after kill -9: wait for its command's processes (K stops them)")                            \
    X(RBK_OUT_VIEW, "o", "output-view",                                                            \
      "show the last command's output whole, with its step and time (the viewer)")                 \
    X(RBK_OUT_UP, "PgUp", "output-up", "scroll the command output up")                             \
    X(RBK_OUT_DOWN, "PgDn", "output-down", "scroll the command output down")                       \
    X(RBK_TEXT_UP, "Up k", "text-up", "scroll the step's text up (when it does not fit)")          \
    X(RBK_TEXT_DOWN, "Down j", "text-down", "scroll the step's text down (when it does not fit)")  \
    X(RBK_OVERVIEW, "i", "overview",                                                               \
      "show the runbook's overview (introduction, TL;DR), again: the step")                        \
    X(RBK_CLAIM, "c", "step-claim", "shared run: say you are on this step (again: not any more)")  \
    X(RBK_PROPOSE, "p", "step-propose", "shared run: propose the next step to the driver")         \
    X(RBK_APPROVE, "A", "approve",                                                                 \
      "shared run: approve what somebody else asked (the two-person rule)")

#define X_ENUM(id, keys, verb, help) id,
enum rb_key { RBK_NONE, RB_KEYS(X_ENUM) };
#undef X_ENUM

/* After a resume, Enter on an interrupted step asks before it runs again (ask_rerun). */
#define X_KEY(i, k, v, h) {.keys = k, .verb = v, .id = i, .help = h},
static const struct key_def rb_keys[] = {
    {.heading = "The runbook pane (the current step)"},
    RB_KEYS(X_KEY){0},
};
#undef X_KEY

static bool rb_key(void *self, wint_t ch, bool is_key)
{
    struct rbpane *p = self;
    if (p->view == NULL) {
        return false; /* a follower before the owner's hello */
    }
    const struct rb_step *s = runview_step(p->view);
    char *cause = NULL;
    const struct key_def *k = key_find_in("runbook", rb_keys, p, ch, is_key);
    if (k == NULL) {
        return false;
    }
    switch ((enum rb_key)k->id) {
    case RBK_NONE:
        return false;
    case RBK_ENTER:
        if (p->show_overview) {
            /* the overview is read, never done: Enter goes back to the step */
            p->show_overview = false;
            p->text_scroll = 0;
            p->dirty = true;
            return true;
        }
        do_enter(p);
        return true;
    case RBK_OVERVIEW: {
        const struct runbook *rb = runview_runbook(p->view);
        if (rb->intro == NULL || rb->intro[0] == '\0') {
            say(p, false, "this runbook has no overview (no text before its first step)");
            return true;
        }
        p->show_overview = !p->show_overview;
        p->text_scroll = 0;
        p->dirty = true;
        return true;
    }
    case RBK_TEXT_UP:
    case RBK_TEXT_DOWN: {
        long page = p->text_page > 2 ? p->text_page - 1 : 1;
        p->text_scroll += k->id == RBK_TEXT_UP ? -page : page;
        if (p->text_scroll < 0) {
            p->text_scroll = 0;
        }
        p->dirty = true; /* drawing clamps it to the text */
        return true;
    }
    case RBK_OUT_VIEW:
        return rbpane_output_view(p);
    case RBK_OUT_UP:
        p->out_scroll += p->h > 8 ? p->h / 3 : 3;
        p->dirty = true;
        return true;
    case RBK_OUT_DOWN:
        p->out_scroll -= p->h > 8 ? p->h / 3 : 3;
        if (p->out_scroll < 0) {
            p->out_scroll = 0;
        }
        p->dirty = true;
        return true;
    case RBK_SKIP:
        ask(p, SOP_SKIP, NULL, NULL);
        return true;
    case RBK_BACK:
        ask(p, SOP_BACK, NULL, NULL);
        return true;
    case RBK_CLAIM:
        if (s == NULL) {
            say(p, false, "the run has ended");
        } else {
            do_claim(p, s);
        }
        return true;
    case RBK_PROPOSE:
        p->host.ops->prompt(p->host.host, "Propose step (id or number, then why): ", "", false,
                            on_propose);
        return true;
    case RBK_APPROVE:
        ask(p, SOP_APPROVE, NULL, NULL);
        return true;
    case RBK_JUMP:
        p->host.ops->prompt(p->host.host, "Jump to step (id or number): ", "", false, on_jump);
        return true;
    case RBK_NOTE:
        p->host.ops->prompt(p->host.host, "Note: ", "", false, on_note);
        return true;
    case RBK_STOP:
        if (runview_state(p->view) != RUN_BUSY &&
            runview_orphan(p->view, NULL, NULL) != RUN_ORPHAN_NONE && p->run != NULL) {
            check(p, run_orphan_stop(p->run, &cause), &cause);
        } else {
            ask(p, SOP_STOP, NULL, NULL);
        }
        return true;
    case RBK_WAIT:
        if (runview_orphan(p->view, NULL, NULL) == RUN_ORPHAN_NONE || p->run == NULL) {
            return false;
        }
        check(p, run_orphan_wait(p->run, &cause), &cause);
        return true;
    case RBK_CODE_PREV:
    case RBK_CODE_NEXT:
        if (s != NULL && s->ncode > 0) {
            if (k->id == RBK_CODE_PREV) {
                p->code_sel = p->code_sel > 0 ? p->code_sel - 1 : s->ncode - 1;
            } else {
                p->code_sel = (p->code_sel + 1) % s->ncode;
            }
            p->dirty = true;
        }
        return true;
    case RBK_COPY:
        if (s != NULL && p->code_sel < s->ncode) {
            p->host.ops->clipboard(p->host.host, s->code[p->code_sel]);
            char *m = xasprintf("code block %zu copied to the clipboard (OSC 52)", p->code_sel + 1);
            say(p, false, m);
            free(m);
        } else {
            say(p, true, "this step has no code block");
        }
        return true;
    case RBK_RUN_CODE:
    case RBK_EDIT_CODE:
    case RBK_CODE_ACTION:
        if (p->run == NULL) {
            say(p, true, "code blocks run from the owner's console (y copies one)");
            return true;
        }
        return k->id == RBK_RUN_CODE    ? rbpane_code_run(p)
               : k->id == RBK_EDIT_CODE ? rbpane_code_edit(p)
                                        : rbpane_code_action(p);
    case RBK_CHOOSE:
        if (s == NULL || s->type != RB_DECISION) {
            return false;
        }
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "choice", (double)(ch - '1'));
        rbpane_do(p, SOP_CHOOSE, a);
        return true;
    }
    return false;
}

static void rb_resize(void *self, int h, int w)
{
    struct rbpane *p = self;
    p->h = h;
    p->w = w;
    p->dirty = true;
}

static bool rb_update(void *self, uint64_t now_ms)
{
    struct rbpane *p = self;
    if (p->view == NULL) {
        return p->dirty;
    }
    if (p->warning != NULL) {
        say(p, true, p->warning); /* after the console's "started", so it is seen */
        free(p->warning);
        p->warning = NULL;
    }
    size_t idx = runview_index(p->view);
    if (idx != p->shown_step) {
        p->shown_step = idx;
        p->code_sel = 0;
        p->out_scroll = 0;
        p->text_scroll = 0;
        p->dirty = true;
    }
    enum run_orphan o = runview_orphan(p->view, NULL, NULL);
    bool spins =
        runview_state(p->view) == RUN_BUSY || o == RUN_ORPHAN_WAITING || o == RUN_ORPHAN_STOPPING;
    if (spins && now_ms / 1000 != p->last_tick / 1000) {
        p->dirty = true; /* elapsed time and the spinner */
    }
    p->last_tick = now_ms;
    if (runview_overtime(p->view) && p->overtime_asked != idx + 1) {
        const struct rb_step *s = runview_step(p->view);
        char d[24], body[200];
        duration_format2(d, sizeof d, s ? s->timebox_s : 0);
        snprintf(body, sizeof body,
                 "Step ran over its time box (%s). Escalate now?\n\nEscalate jumps to the next "
                 "Escalate step; No keeps going and does not ask again for this step.",
                 d);
        if (p->host.ops->confirm(p->host.host, "Time box", body, "Escalate", NULL, on_overtime)) {
            p->overtime_asked = idx + 1;
        }
        p->dirty = true;
    }
    return p->dirty;
}

static bool rb_interrupt(void *self)
{
    struct rbpane *p = self;
    if (p->view == NULL) {
        return false;
    }
    if (p->run == NULL) {
        return runview_state(p->view) == RUN_BUSY && ask(p, SOP_STOP, NULL, NULL);
    }
    if (runview_state(p->view) != RUN_BUSY &&
        runview_orphan(p->view, NULL, NULL) == RUN_ORPHAN_WAITING) {
        char *cause = NULL;
        check(p, run_orphan_stop(p->run, &cause), &cause);
        return true;
    }
    if (runview_state(p->view) != RUN_BUSY) {
        return false;
    }
    char *cause = NULL;
    check(p, run_stop(p->run, &cause), &cause);
    say(p, false, "stopping the command (Ctrl-C stops the step, not opsdeck)");
    return true;
}

static void rb_free(void *self)
{
    struct rbpane *p = self;
    rbpane_share_free(p);
    if (p->run != NULL) {
        run_unsubscribe(p->run, runview_apply, p->view);
    }
    runview_destroy(p->view);
    run_destroy(p->run); /* never run_abort: the run stays resumable */
    free(p->warning);
    placeholder_list_free(&p->fill);
    free(p->edited);
    free(p);
}

static const char *rb_run_id(void *self)
{
    struct rbpane *p = self;
    return p->run != NULL ? run_id(p->run) : p->fol.id;
}

static bool rb_ended(void *self)
{
    struct rbpane *p = self;
    if (p->run == NULL) {
        return true; /* a follower's pane: closing it leaves the owner's run as it is */
    }
    return runview_state(p->view) == RUN_DONE || runview_state(p->view) == RUN_ABORTED;
}

static void on_abort_confirmed(void *self, bool yes)
{
    if (yes) {
        runbook_pane_abort(self);
    }
}

static void rb_abort(void *self)
{
    struct rbpane *p = self;
    if (p->run == NULL) {
        say(p, true, "only the owner's console ends the run");
        return;
    }
    char *body =
        xasprintf("End run %s for good? It will not be offered for resume.", run_id(p->run));
    p->host.ops->confirm(p->host.host, "Abort the run", body, "Abort", "abort", on_abort_confirmed);
    free(body);
}

static bool rb_record(void *self, const char *action, struct cJSON *data, char **cause)
{
    struct rbpane *p = self;
    if (p->run == NULL) {
        cJSON_Delete(data);
        set_cause(cause, "the owner's console keeps the run's records");
        return false;
    }
    return run_record(p->run, action, data, cause);
}

static bool rb_reviewed(void *self)
{
    struct rbpane *p = self;
    /* an aborted run was no incident to review */
    return p->run == NULL || runview_reviewed(p->view) || runview_state(p->view) == RUN_ABORTED;
}

static bool rb_share(void *self, struct loop *loop, const struct pane_share *how, char **cause)
{
    struct rbpane *p = self;
    if (p->run == NULL) {
        return true; /* a follower shares nothing */
    }
    run_set_shared(p->run, true);
    return rbpane_share(p, loop, how, cause);
}

static bool rb_room(void *self, const char *verb, const char *arg, char **cause)
{
    return rbpane_room(self, verb, arg, cause);
}

static const char *rb_gone(void *self)
{
    return rbpane_gone(self);
}

const struct pane_ops runbook_pane = {
    .name = "runbook",
    .title = "Runbook",
    .keys = rb_keys,
    .draw = rb_draw,
    .key = rb_key,
    .resize = rb_resize,
    .update = rb_update,
    .interrupt = rb_interrupt,
    .free = rb_free,
    .noun = "run",
    .run_id = rb_run_id,
    .ended = rb_ended,
    .abort = rb_abort,
    .record = rb_record,
    .reviewed = rb_reviewed,
    .share = rb_share,
    .room = rb_room,
    .gone = rb_gone,
};

/* ---- life cycle ---- */

static void on_changed(struct run *r, void *ud)
{
    struct rbpane *p = ud;
    (void)r;
    p->dirty = true;
}

/*
 * The pane's view of its run: what is journaled so far, then every event and
 * notice as the run tells it. false with *cause when the journal cannot be
 * read back.
 */
static bool watch(struct rbpane *p, const struct run_env *env, char **cause)
{
    p->view = runview_create(run_runbook(p->run), run_journal(p->run));
    runview_set_backends(p->view, env->backends, env->nbackends);
    if (!run_history(p->run, runview_apply, p->view, cause)) {
        return false;
    }
    run_subscribe(p->run, runview_apply, p->view);
    return true;
}

static struct rbpane *pane_new(const struct pane_host *host)
{
    struct rbpane *p = xcalloc(1, sizeof *p);
    p->host = *host;
    p->utf8 = screen_locale_utf8();
    p->dirty = true;
    p->shown_step = (size_t)-1;
    return p;
}

void *runbook_pane_start(const struct run_env *env, const char *file, const struct vars *initial,
                         const struct pane_host *host, char **cause)
{
    struct runbook *rb = runbook_load(file, cause);
    if (rb == NULL) {
        return NULL;
    }
    /* as line mode does: the alert's labels and --var count as set; run_start refuses issues */
    size_t n = initial != NULL ? initial->n : 0;
    const char **known = xcalloc(n + 1, sizeof *known);
    for (size_t i = 0; i < n; i++) {
        known[i] = initial->names[i];
    }
    /*
     * As line mode does: what only lint finds (a notify env var not set here,
     * a variable nothing sets yet) is a warning, not a refusal; that step
     * fails when it runs, with the same reason, and can be skipped. Problems
     * of parsing were already in rb->issues: run_start refuses those.
     */
    char *warning = NULL;
    if (rb->nissues == 0) {
        runbook_lint(rb, known);
        if (rb->nissues > 0) {
            warning = xasprintf("%s:%d: warning: %s%s", rb->path, rb->issues[0].line,
                                rb->issues[0].message,
                                rb->nissues > 1 ? " (and more: opsdeck lint lists them)" : "");
        }
        for (size_t i = 0; i < rb->nissues; i++) {
            free(rb->issues[i].message);
        }
        rb->nissues = 0;
    }
    free(known);
    struct rbpane *p = pane_new(host);
    struct run_hooks hooks = {.changed = on_changed, .ud = p};
    p->run = run_start(env, rb, initial, &hooks, cause);
    if (p->run == NULL || !watch(p, env, cause)) {
        free(warning);
        rb_free(p);
        return NULL;
    }
    p->warning = warning;
    return p;
}

void *runbook_pane_resume(const struct run_env *env, const char *run_id,
                          const struct pane_host *host, char **cause)
{
    struct rbpane *p = pane_new(host);
    struct run_hooks hooks = {.changed = on_changed, .ud = p};
    p->run = run_resume(env, run_id, &hooks, cause);
    if (p->run == NULL || !watch(p, env, cause)) {
        rb_free(p);
        return NULL;
    }
    return p;
}

void *runbook_pane_join(struct loop *loop, const struct pane_share *how, const char *run_id,
                        const struct pane_host *host, char **cause)
{
    struct rbpane *p = pane_new(host);
    if (!rbpane_join(p, loop, how, run_id, cause)) {
        rb_free(p);
        return NULL;
    }
    return p;
}

struct run *runbook_pane_run(void *self)
{
    return ((struct rbpane *)self)->run;
}

const struct runview *runbook_pane_view(void *self)
{
    return ((struct rbpane *)self)->view;
}

void runbook_pane_abort(void *self)
{
    struct rbpane *p = self;
    run_abort(p->run);
    p->dirty = true;
}
