/*
 * Runbook lint (runbook.h runbook_lint, docs/runbooks.md "Lint"): beyond
 * parsing, what makes a runbook fail at 3 a.m.: jumps to missing steps,
 * variables used before anything sets them, shell commands where a value
 * could be code, conditions that do not parse, notify environment variables
 * this shell does not set (a warning: a CI without secrets).
 */
#include "rbparse.h"

#include "../common/shtmpl.h"
#include "../common/util.h"
#include "cond.h"
#include "vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ref_check {
    struct runbook *rb;
    const struct strmap *known;
    int line;
    const char *key;
};

static void check_ref(const char *name, void *ud)
{
    struct ref_check *rc = ud;
    if (strmap_get(rc->known, name) == NULL) {
        runbook_add_issue(
            rc->rb, rc->line,
            xasprintf("variable '%s' in %s is used before anything sets it", name, rc->key));
    }
}

static void check_refs(struct runbook *rb, const struct rb_step *s, const struct strmap *known,
                       const char *key, const char *text)
{
    if (text == NULL) {
        return;
    }
    struct ref_check rc = {rb, known, rb_step_key_line(s, key), key};
    vars_each_ref(text, check_ref, &rc);
}

/*
 * A shell command: no value may stand where it could be code (common/shtmpl.h).
 * what names it in the message; line is where its text starts.
 */
static void lint_command(struct runbook *rb, int line, const char *what, const char *text)
{
    struct shtmpl t;
    int at = 1;
    char *cause = NULL;
    if (text == NULL) {
        return;
    }
    if (shtmpl_compile(&t, text, SHTMPL_VARS, &at, &cause)) {
        shtmpl_finish(&t);
        return;
    }
    runbook_add_issue(rb, line + at - 1, xasprintf("%s: %s", what, cause));
    free(cause);
}

static void has_ref(const char *name, void *ud)
{
    (void)name;
    *(bool *)ud = true;
}

static void lint_jump(struct runbook *rb, const struct strmap *ids, int line, const char *what,
                      const char *go)
{
    if (go != NULL && strcmp(go, "end") != 0 && strmap_get(ids, go) == NULL) {
        runbook_add_issue(rb, line, xasprintf("%s goes to a missing step '%s'", what, go));
    }
}

/* Not set here is a warning: the runbook is not broken, this shell (a CI) lacks a secret. */
static void lint_env(struct runbook *rb, const struct rb_step *s, const char *key, const char *name)
{
    if (name != NULL && getenv(name) == NULL) {
        mdoc_issues_warn(&rb->issues, &rb->nissues, rb_step_key_line(s, key),
                         xasprintf("environment variable %s (%s) is not set", name, key));
    }
}

static void lint_step(struct runbook *rb, const struct rb_step *s, const struct strmap *known,
                      const struct strmap *ids)
{
    check_refs(rb, s, known, "run", s->run);
    if (s->run == NULL && s->type == RB_COMMAND && s->ncode > 0) {
        check_refs(rb, s, known, "run", s->code[0]);
    }
    lint_command(rb, rb_step_key_line(s, "run"), "run", s->run);
    for (size_t i = 0; i < s->ncode; i++) {
        /* a code block is shell only when it may run: as the step's command, or with a value */
        bool refs = false;
        vars_each_ref(s->code[i], has_ref, &refs);
        if (refs || (s->run == NULL && s->type == RB_COMMAND && i == 0)) {
            lint_command(rb, s->code_line[i], "code block", s->code[i]);
        }
    }
    check_refs(rb, s, known, "until", s->until);
    check_refs(rb, s, known, "target", s->target);
    check_refs(rb, s, known, "input", s->input);
    check_refs(rb, s, known, "message", s->message);
    check_refs(rb, s, known, "ask", s->ask);
    lint_jump(rb, ids, rb_step_key_line(s, "next"), "next", s->next);
    for (size_t i = 0; i < s->nchoices; i++) {
        if (s->choices[i].go != NULL) {
            char *what = xasprintf("choice '%s'", s->choices[i].label);
            lint_jump(rb, ids, s->choices[i].line, what, s->choices[i].go);
            free(what);
        }
    }
    switch (s->type) {
    case RB_MANUAL:
        break;
    case RB_COMMAND:
        if (s->run == NULL && s->ncode == 0) {
            runbook_add_issue(rb, s->line, xasprintf("command step without run or a code block"));
        }
        break;
    case RB_PROMPT:
        if (s->var == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("prompt without var"));
        }
        if (s->default_value != NULL && s->nchoices > 0) {
            bool found = false;
            for (size_t i = 0; i < s->nchoices; i++) {
                found = found || strcmp(s->choices[i].label, s->default_value) == 0;
            }
            if (!found) {
                runbook_add_issue(
                    rb, rb_step_key_line(s, "default"),
                    xasprintf("default '%s' is not one of the choices", s->default_value));
            }
        }
        break;
    case RB_DECISION:
        if (s->nchoices == 0) {
            runbook_add_issue(rb, s->line,
                              xasprintf("decision without a choice (choice: LABEL -> ID)"));
        }
        break;
    case RB_WAIT:
        if (s->until == NULL && s->run == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("wait without until or run"));
        } else if (s->until != NULL && s->run != NULL) {
            runbook_add_issue(rb, rb_step_key_line(s, "run"),
                              xasprintf("wait with both until and run: use one"));
        }
        if (s->until != NULL) {
            char *cause = NULL;
            if (!cond_check(s->until, &cause)) {
                runbook_add_issue(rb, rb_step_key_line(s, "until"), cause);
            }
        }
        break;
    case RB_ACTION: {
        enum model_kind kind;
        if (s->action == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("action step without action (the verb)"));
        }
        if (s->pane == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("action step without pane"));
        } else if (!model_kind_from_name(s->pane, &kind)) {
            runbook_add_issue(
                rb, rb_step_key_line(s, "pane"),
                xasprintf("unknown pane '%s' (alerts, queues, pools, deploys)", s->pane));
        }
        if (s->target == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("action step without target"));
        }
        break;
    }
    case RB_APPROVAL:
        if (s->role == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("approval without role"));
        }
        break;
    case RB_NOTIFY:
        if (s->service == NULL) {
            runbook_add_issue(rb, s->line, xasprintf("notify without service (slack, pagerduty)"));
        } else if (strcmp(s->service, "slack") == 0) {
            if (s->url_env == NULL) {
                runbook_add_issue(rb, s->line, xasprintf("notify to slack without url_env"));
            }
            lint_env(rb, s, "url_env", s->url_env);
        } else if (strcmp(s->service, "pagerduty") == 0) {
            if (s->routing_key_env == NULL) {
                runbook_add_issue(rb, s->line,
                                  xasprintf("notify to pagerduty without routing_key_env"));
            }
            lint_env(rb, s, "routing_key_env", s->routing_key_env);
            lint_env(rb, s, "url_env", s->url_env);
        }
        break;
    }
}

size_t runbook_lint(struct runbook *rb, const char *const *known)
{
    struct strmap ns = {0}, ids = {0};
    for (size_t i = 0; known != NULL && known[i] != NULL; i++) {
        strmap_put(&ns, known[i], 1);
    }
    /* A var: without a default still counts: it must come from the alert or --var. */
    for (size_t i = 0; i < rb->nvars; i++) {
        strmap_put(&ns, rb->vars[i].name, 1);
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (rb->steps[i].id != NULL) {
            strmap_put(&ids, rb->steps[i].id, (int)i);
        }
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        const struct rb_step *s = &rb->steps[i];
        lint_step(rb, s, &ns, &ids);
        if (s->type == RB_PROMPT && s->var != NULL) {
            strmap_put(&ns, s->var, 1);
        }
        if (s->type == RB_COMMAND && s->capture != NULL) {
            strmap_put(&ns, s->capture, 1);
        }
    }
    strmap_free(&ns);
    strmap_free(&ids);
    mdoc_issues_sort(rb->issues, rb->nissues);
    return rb->nissues;
}

size_t runbook_notes(const struct runbook *rb, void (*fn)(int line, const char *message, void *ud),
                     void *ud)
{
    size_t n = 0;
    for (size_t i = 0; i < rb->nsteps; i++) {
        const struct rb_step *s = &rb->steps[i];
        if (s->phase_word == NULL) {
            continue;
        }
        char *m = xasprintf("phase inferred from '%s': %c (%s)", s->phase_word,
                            rb_phase_letter(s->phase), rb_phase_name(s->phase));
        fn(s->line, m, ud);
        free(m);
        n++;
    }
    return n;
}
