/*
 * Steps the operator does (runstep.h): manual (Enter marks it done), prompt
 * (an answer into a variable, maybe secret), approval (who approved) and
 * decision (a choice that says where to go).
 *
 * A secret answer is journaled without its value ({var, secret: true}); after
 * a resume it is asked again (run_resume.c). Its value reaches the owner's
 * view in a local notice only, so that the view masks it wherever it shows.
 */
#include "runstep.h"

#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- starting ---- */

static bool manual_start(struct run *r, char **cause)
{
    (void)cause;
    run_step_succeeded(r, NULL, NULL);
    return r->state != RUN_FAILED;
}

static bool ask_start(struct run *r, char **cause)
{
    enum rb_step_type t = run_cur(r)->type;
    set_cause(cause, t == RB_PROMPT     ? "type the answer"
                     : t == RB_APPROVAL ? "type who approved"
                                        : "pick a choice");
    return false;
}

/* ---- answering ---- */

static const char *match_choice(const struct rb_step *s, const char *v)
{
    for (size_t i = 0; i < s->nchoices; i++) {
        if (strcasecmp(s->choices[i].label, v) == 0) {
            return s->choices[i].label;
        }
    }
    return NULL;
}

static bool prompt_input(struct run *r, const struct rb_step *s, const char *value, char **cause)
{
    if (*value == '\0' && s->default_value != NULL) {
        value = s->default_value;
    }
    if (s->nchoices > 0) {
        const char *m = match_choice(s, value);
        if (m == NULL) {
            struct strbuf sb = {0};
            strbuf_str(&sb, "answer one of: ");
            for (size_t i = 0; i < s->nchoices; i++) {
                strbuf_printf(&sb, "%s%s", i > 0 ? ", " : "", s->choices[i].label);
            }
            if (cause != NULL) {
                *cause = sb.s;
            } else {
                free(sb.s);
            }
            return false;
        }
        value = m;
    }
    if (*value == '\0') {
        set_cause(cause, "an answer is needed (or skip the step)");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "var", s->var != NULL ? s->var : "");
    if (s->secret) {
        cJSON_AddBoolToObject(d, "secret", true);
    } else {
        cJSON_AddStringToObject(d, "value", value);
    }
    if (!run_log(r, s->id, "input", NULL, NULL, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    if (s->var != NULL) {
        vars_set(&r->vars, s->var, value);
        if (s->secret) {
            /* to this process's subscribers only: the owner's view masks it */
            cJSON *n = cJSON_CreateObject();
            cJSON_AddStringToObject(n, "var", s->var);
            cJSON_AddStringToObject(n, "value", value);
            run_notice(r, RL_SECRET, n, NULL, 0);
        }
    }
    return true;
}

bool run_input(struct run *r, const char *value, char **cause)
{
    if (!run_can_act(r, cause)) {
        return false;
    }
    const struct rb_step *s = run_cur(r);
    if (s->type == RB_PROMPT) {
        if (!prompt_input(r, s, value, cause)) {
            return false;
        }
        if (run_reasking(r)) {
            run_reask_next(r);
            return true;
        }
        run_step_succeeded(r, NULL, NULL);
        return true;
    }
    if (s->type != RB_APPROVAL) {
        set_cause(cause, "this step asks nothing");
        return false;
    }
    if (run_shared(r)) {
        set_cause(cause, "two-person rule: another person on the run approves this step");
        return false;
    }
    char *by = str_trim(xstrdup(value));
    if (*by == '\0') {
        free(by);
        set_cause(cause, "type the name of who approved");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "role", s->role != NULL ? s->role : "");
    cJSON_AddStringToObject(d, "by", by);
    bool ok = run_log_step(r, "approval", by, d);
    char *msg = xasprintf("approved by %s", by);
    free(by);
    if (!ok) {
        free(msg);
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    run_step_succeeded(r, msg, NULL);
    return true;
}

bool run_choose(struct run *r, size_t choice, char **cause)
{
    if (!run_can_act(r, cause)) {
        return false;
    }
    const struct rb_step *s = run_cur(r);
    if (s->type != RB_DECISION || run_reasking(r)) {
        set_cause(cause, "this step is not a decision");
        return false;
    }
    if (choice >= s->nchoices) {
        set_cause(cause, "no such choice");
        return false;
    }
    const struct rb_choice *c = &s->choices[choice];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "label", c->label);
    cJSON_AddStringToObject(d, "goto", c->go != NULL ? c->go : "");
    if (!run_log_step(r, "choice", c->label, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    char *go = c->go != NULL ? xstrdup(c->go) : NULL;
    run_step_succeeded(r, xasprintf("chose %s", c->label), go);
    free(go);
    return true;
}

/* ---- replay ---- */

static void add_reask(struct runview *v, size_t step)
{
    for (size_t i = 0; i < v->nreask; i++) {
        if (v->reask[i] == step) {
            return;
        }
    }
    v->reask = xreallocarray(v->reask, v->nreask + 1, sizeof *v->reask);
    v->reask[v->nreask++] = step;
}

static bool ask_replay(struct runview *v, const struct runlog_event *ev)
{
    const char *var = runlog_str(ev->data, "var");
    const char *value = runlog_str(ev->data, "value");
    int step = ev->step != NULL ? runbook_find_step(v->rb, ev->step) : -1;
    switch (ev->kind) {
    case RL_INPUT:
        if (var == NULL) {
            break;
        }
        if (value != NULL) {
            vars_set(&v->vars, var, value);
        } else if (runlog_true(ev->data, "secret") && step >= 0) {
            /* set, but not known: lost again when the run resumes (asked again then) */
            vars_set(&v->vars, var, SECRET_SHOWN);
            add_reask(v, (size_t)step);
        }
        break;
    case RL_CHOICE:
        free(v->go);
        v->go = runlog_str(ev->data, "goto") != NULL ? xstrdup(runlog_str(ev->data, "goto")) : NULL;
        break;
    case RL_APPROVAL: {
        const char *by = runlog_str(ev->data, "by");
        runview_set_state(v, v->state, xasprintf("approved by %s", by != NULL ? by : "?"));
        break;
    }
    default:
        return false;
    }
    return true;
}

/* ---- previews ---- */

static char *ask_preview(const struct step_text *t, const struct rb_step *s, char **missing)
{
    char *a = step_shown_or_missing(t, s->ask != NULL ? s->ask : s->title, VARS_TEXT, missing);
    char *out = s->type == RB_PROMPT ? xasprintf("ask: %s -> ${%s}", a, s->var ? s->var : "?")
                : s->type == RB_APPROVAL
                    ? xasprintf("approval by %s: %s", s->role ? s->role : "?", a)
                    : xasprintf("decide: %s", a);
    free(a);
    return out;
}

const struct step_kind step_manual = {
    .name = "manual",
    .start = manual_start,
};

const struct step_kind step_ask = {
    .name = "ask",
    .start = ask_start,
    .replay = ask_replay,
    .preview = ask_preview,
};

const struct step_kind *const step_kinds[] = {
    &step_manual, &step_ask, &step_command, &step_wait, &step_action, &step_notify, NULL,
};

const struct step_kind *step_kind_of(enum rb_step_type type)
{
    switch (type) {
    case RB_MANUAL:
        break;
    case RB_COMMAND:
        return &step_command;
    case RB_WAIT:
        return &step_wait;
    case RB_ACTION:
        return &step_action;
    case RB_NOTIFY:
        return &step_notify;
    case RB_PROMPT:
    case RB_APPROVAL:
    case RB_DECISION:
        return &step_ask;
    }
    return &step_manual;
}
