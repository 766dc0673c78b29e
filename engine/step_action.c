/*
 * Action steps (runstep.h): a console action (drain, silence...) through the
 * one action path (action_run: read-only, the backend's actions setting, the
 * audit log). action.start is journaled before the action is asked for.
 *
 * A backend that has not answered yet may not know the target (a plugin acts
 * on the rows it printed): the step waits for its first answer, at most its
 * timeout and a margin, while the loop goes on; Ctrl-C stops that wait, but
 * not an action once sent.
 */
#include "runstep.h"

#include "../backends/backend.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "action.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

enum {
    READY_TICK_MS = 100,    /* an action step waiting for its backend's first answer */
    READY_MARGIN_MS = 2000, /* ... waits at most the backend's timeout and this */
};

void step_action_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct action_token *t = ud;
    struct run *r = t->r;
    (void)a;
    free(t);
    if (r == NULL) {
        return; /* the run was destroyed meanwhile; the audit log has the outcome */
    }
    r->token = NULL;
    const char *m = message != NULL ? message : (ok ? "done" : "failed");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddBoolToObject(d, "ok", ok);
    cJSON_AddStringToObject(d, "message", m);
    if (r->fly_code) {
        cJSON_AddBoolToObject(d, "code", true);
    }
    if (!run_log_step(r, "action.end", m, d)) {
        r->fly = NULL;
        run_changed(r);
        return;
    }
    if (r->fly_code) {
        /* a code block done as the console's action: the step stays where it was */
        r->fly = NULL;
        r->state = r->fly_prev;
        run_set_message(r, xasprintf("%s %s", ok ? "done:" : "failed:", m));
        run_changed(r);
    } else if (ok) {
        run_step_succeeded(r, xstrdup(m), NULL);
    } else {
        run_step_failed(r, xstrdup(m));
    }
}

struct backend *step_find_action(struct backend **backends, size_t n, const struct rb_step *s,
                                 const struct action_def **def, char **cause)
{
    enum model_kind kind;
    if (s->pane == NULL || !model_kind_from_name(s->pane, &kind)) {
        *cause = xasprintf("unknown pane '%s'", s->pane != NULL ? s->pane : "");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        struct backend *b = backends[i];
        if (s->backend != NULL && b != backend_for_source(backends, n, s->backend)) {
            continue;
        }
        *def = backend_action_by_verb(b, kind, s->action != NULL ? s->action : "");
        if (*def != NULL) {
            return b;
        }
        if (s->backend != NULL) {
            *cause = xasprintf("backend '%s' has no action '%s' on %s", s->backend,
                               s->action ? s->action : "", s->pane);
            return NULL;
        }
    }
    *cause = s->backend != NULL ? xasprintf("no backend '%s'", s->backend)
                                : xasprintf("no backend has the action '%s' on %s",
                                            s->action ? s->action : "", s->pane);
    return NULL;
}

/* Target and input with variables substituted; false with *why. */
static bool action_args(const struct run *r, const struct rb_step *s, const struct action_def *def,
                        char **target, char **input, char **why)
{
    char *missing = NULL;
    *input = NULL;
    *target = vars_expand(&r->vars, s->target != NULL ? s->target : "", VARS_TEXT, &missing);
    if (*target != NULL && s->input != NULL) {
        *input = vars_expand(&r->vars, s->input, VARS_TEXT, &missing);
    } else if (*target != NULL && def != NULL && (def->flags & ACTION_INPUT) &&
               def->input_default != NULL) {
        *input = xstrdup(def->input_default);
    }
    if (*target == NULL || (s->input != NULL && *input == NULL)) {
        *why = xasprintf("unset variable %s", missing);
        free(missing);
        free(*target);
        *target = NULL;
        return false;
    }
    return true;
}

/* The step's backend, definition and arguments; NULL when the step failed for want of them. */
static struct backend *resolve(struct run *r, const struct action_def **def, char **target,
                               char **input, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    char *why = NULL;
    *target = NULL;
    *input = NULL;
    struct backend *b = step_find_action(r->backends, r->nbackends, s, def, &why);
    if (b == NULL || !action_args(r, s, *def, target, input, &why)) {
        set_cause(cause, why);
        run_step_failed(r, why);
        return NULL;
    }
    return b;
}

static void cancel_ready(struct run *r)
{
    if (r->ready_timer != NULL) {
        loop_timer_cancel(r->loop, r->ready_timer);
        r->ready_timer = NULL;
    }
    r->ready_backend = NULL;
}

/* Journal action.start, then send the step's action through the action path. */
static bool send_step_action(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    const struct action_def *def = NULL;
    char *target, *input;
    struct backend *b = resolve(r, &def, &target, &input, cause);
    if (b == NULL) {
        return false;
    }
    struct step_text t = run_step_text(r);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "backend", b->name);
    cJSON_AddStringToObject(d, "pane", s->pane);
    cJSON_AddStringToObject(d, "verb", def->verb);
    char *shown = step_shown(&t, s->target, VARS_TEXT);
    cJSON_AddStringToObject(d, "target", shown);
    free(shown);
    if (input != NULL && s->input != NULL) {
        shown = step_shown(&t, s->input, VARS_TEXT);
        cJSON_AddStringToObject(d, "input", shown);
        free(shown);
    } else if (input != NULL) {
        cJSON_AddStringToObject(d, "input", input);
    } else {
        cJSON_AddNullToObject(d, "input");
    }
    if (!run_log(r, s->id, "action.start", target, NULL, d)) {
        free(target);
        free(input);
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    struct action *a = action_create(b, def, target, input);
    a->run = xstrdup(r->id);
    a->step = xstrdup(s->id);
    run_set_message(r, xasprintf("%s %s on %s...", def->verb, target, b->name));
    free(target);
    free(input);
    r->fly = &step_action;
    r->fly_code = false;
    r->state = RUN_BUSY;
    r->token = xcalloc(1, sizeof *r->token);
    r->token->r = r;
    run_changed(r);
    /* may report before returning: the token is then gone already */
    action_run(a, step_action_report, r->token);
    return true;
}

/* Waiting for the action's backend to answer once: send when it has, fail at the bound. */
static void ready_tick(void *ud)
{
    struct run *r = ud;
    struct backend *b = r->ready_backend;
    if (b->last_ok_ms == 0 && run_now(r) < r->ready_deadline) {
        return;
    }
    cancel_ready(r);
    if (b->last_ok_ms == 0) {
        int secs = (b->timeout_ms + READY_MARGIN_MS + 999) / 1000;
        run_step_failed(r, b->health == BACKEND_ERROR
                               ? xasprintf("not sent: %s has not answered in %d s (error: %s); "
                                           "Enter tries again",
                                           b->name, secs, b->error != NULL ? b->error : "?")
                               : xasprintf("not sent: %s has not answered in %d s; Enter tries "
                                           "again",
                                           b->name, secs));
        return;
    }
    char *cause = NULL;
    send_step_action(r, &cause);
    free(cause);
}

static bool action_start(struct run *r, char **cause)
{
    const struct rb_step *s = &r->rb->steps[r->idx];
    const struct action_def *def = NULL;
    char *target, *input;
    struct backend *b = resolve(r, &def, &target, &input, cause);
    if (b == NULL) {
        return false;
    }
    if (r->dry_run) {
        char *msg = xasprintf("dry run: would %s %s %s on %s", def->verb, s->pane, target, b->name);
        free(target);
        free(input);
        run_step_succeeded(r, msg, NULL);
        return true;
    }
    free(target);
    free(input);
    if (b->last_ok_ms == 0 && b->timer != NULL && r->loop != NULL) {
        r->ready_backend = b;
        r->ready_deadline = run_now(r) + (uint64_t)b->timeout_ms + READY_MARGIN_MS;
        r->ready_timer = loop_timer_add(r->loop, READY_TICK_MS, READY_TICK_MS, ready_tick, r);
        r->fly = &step_action;
        r->state = RUN_BUSY;
        run_set_message(r, xasprintf("waiting for %s to answer before %s (at most %d s)", b->name,
                                     def->verb, (b->timeout_ms + READY_MARGIN_MS + 999) / 1000));
        run_changed(r);
        return true;
    }
    return send_step_action(r, cause);
}

static bool action_stop(struct run *r, char **cause)
{
    if (r->ready_timer != NULL) {
        cancel_ready(r); /* not sent yet: waiting for the backend's first answer */
        run_step_failed(r, xstrdup("stopped"));
        return true;
    }
    set_cause(cause, "an action cannot be stopped once sent: wait for its result");
    return false;
}

static void action_drop(struct run *r)
{
    if (r->token != NULL) {
        r->token->r = NULL;
        r->token = NULL;
    }
    cancel_ready(r);
}

static bool action_replay(struct runview *v, const struct runlog_event *ev)
{
    const struct cJSON *d = ev->data;
    if (ev->kind == RL_ACTION_START) {
        const char *verb = runlog_str(d, "verb");
        const char *backend = runlog_str(d, "backend");
        const char *target = runlog_str(d, "target"); /* as shown: secrets masked */
        bool code = runlog_true(d, "code"); /* a code block done as the console's action */
        if (code) {
            v->code_prev = v->state;
        }
        runview_open(v, ev->kind, verb,
                     xasprintf("%s %s on %s...", verb != NULL ? verb : "?",
                               target != NULL ? target : "?", backend != NULL ? backend : "?"));
        v->open_code = code;
        if (code) {
            runview_ran(v);
        }
    } else if (ev->kind == RL_ACTION_END) {
        bool code = v->open == RL_ACTION_START && v->open_code;
        runview_close(v, runlog_str(d, "message"));
        if (code) {
            runview_set_state(v, v->code_prev, NULL);
        }
    } else {
        return false;
    }
    return true;
}

static char *action_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    const struct action_def *def = NULL;
    char *why = NULL;
    struct backend *b = step_find_action(t->backends, t->nbackends, s, &def, &why);
    char *a = step_shown_or_missing(t, s->target, VARS_TEXT, missing);
    char *in = s->input != NULL ? step_shown_or_missing(t, s->input, VARS_TEXT, missing) : NULL;
    char *out = xasprintf("%s %s %s%s%s on %s", s->action ? s->action : "?",
                          s->pane ? s->pane : "?", a, in != NULL ? " " : "", in != NULL ? in : "",
                          b != NULL ? b->name : (why != NULL ? why : "?"));
    free(in);
    free(why);
    free(a);
    return out;
}

const struct step_kind step_action = {
    .name = "action",
    .start = action_start,
    .stop = action_stop,
    .drop = action_drop,
    .replay = action_replay,
    .preview = action_preview,
};
