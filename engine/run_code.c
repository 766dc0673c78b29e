/*
 * The code blocks of the current step, as a wiki page wrote them (run.h
 * "code blocks"): their placeholders and the answers to them, the operator's
 * edit of a block, and a block that does what a console action does, done
 * as that action.
 *
 * - Placeholders (placeholder.h) are never run as written: a command's text
 *   becomes a template where each one is a ${var} reference, whose value
 *   reaches the shell as data (vars_command, common/shtmpl.c); a placeholder
 *   with no value refuses the command. An answer is journaled as an `input`
 *   event with the placeholder it fills, so it replays and resumes like a
 *   prompt's answer.
 * - An edit is journaled (command.edit: the block, the original, the edit)
 *   before the edited command starts, so the journal keeps both.
 * - A recognised block (recognise.h) is done through the one action path
 *   (action_run: read-only, the backend's actions setting, the audit log
 *   with the run and step), journaled as action.start/action.end with the
 *   block it stands for; like a block run by hand it leaves the step where
 *   it was.
 */
#include "runstep.h"

#include "../backends/backend.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "action.h"
#include "placeholder.h"
#include "recognise.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * $NAME is set for the command: the environment; ${NAME} also when it is a
 * variable of the runbook (opsdeck passes it). A bare $NAME that only the
 * run knows stays a placeholder: its value then comes in as ${NAME}.
 */
static bool known_name(const char *name, bool braced, void *ud)
{
    const struct run *r = ud;
    if (getenv(name) != NULL) {
        return true;
    }
    if (!braced) {
        return false;
    }
    if (vars_get(&r->vars, name) != NULL) {
        return true;
    }
    for (size_t i = 0; i < r->rb->nvars; i++) {
        if (strcmp(r->rb->vars[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* The placeholders of text, one per variable, in order of first use. */
static void find_unique(const struct run *r, const char *text, struct ph_list *out)
{
    struct ph_list all = {0};
    placeholder_find_code(text, known_name, (void *)r, &all);
    for (size_t i = 0; i < all.n; i++) {
        bool seen = false;
        for (size_t k = 0; k < out->n && !seen; k++) {
            seen = strcmp(out->v[k].var, all.v[i].var) == 0;
        }
        if (!seen) {
            out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
            out->v[out->n++] = all.v[i];
            all.v[i] = (struct placeholder){0};
        }
    }
    placeholder_list_free(&all);
}

static const char *code_of(const struct run *r, size_t i)
{
    const struct rb_step *s = run_cur(r);
    return s != NULL && i < s->ncode ? s->code[i] : NULL;
}

bool run_code_placeholders(const struct run *r, const char *text, struct ph_list *out)
{
    *out = (struct ph_list){0};
    if (text == NULL) {
        return false;
    }
    find_unique(r, text, out);
    return out->n > 0;
}

/* Names alike: case and punctuation aside ("Pod-Name" ~ "pod_name"). */
static bool same_name(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        while (*a != '\0' && !isalnum((unsigned char)*a)) {
            a++;
        }
        while (*b != '\0' && !isalnum((unsigned char)*b)) {
            b++;
        }
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
            return false;
        }
        if (*a != '\0') {
            a++;
            b++;
        }
    }
    return true;
}

/* What an alert's labels call the thing a placeholder names. */
static const char *const aliases[][4] = {
    {"server", "instance", "host", "hostname"},
    {"host", "instance", "hostname", "server"},
    {"node", "instance", "hostname", "host"},
    {"namespace", "ns", "kubernetes_namespace", NULL},
    {"deployment", "deploy", "deployment_name", "app"},
    {"pod", "pod_name", NULL, NULL},
    {"queue", "queue_name", NULL, NULL},
};

static const char *var_like(const struct vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++) {
        if (same_name(v->names[i], name)) {
            return v->values[i];
        }
    }
    return NULL;
}

const char *run_placeholder_guess(const struct run *r, const struct placeholder *p)
{
    const char *exact = vars_get(&r->vars, p->var);
    if (exact != NULL) {
        return exact;
    }
    const char *like = var_like(&r->vars, p->name);
    for (size_t a = 0; like == NULL && a < sizeof aliases / sizeof aliases[0]; a++) {
        if (!same_name(aliases[a][0], p->name) && !same_name(aliases[a][0], p->var)) {
            continue;
        }
        for (size_t k = 1; k < 4 && like == NULL && aliases[a][k] != NULL; k++) {
            like = var_like(&r->vars, aliases[a][k]);
        }
    }
    if (like == NULL && (same_name(p->name, "your name") || same_name(p->name, "your_user") ||
                         same_name(p->name, "username") || same_name(p->name, "user"))) {
        like = whoami_user();
    }
    return like;
}

bool run_fill(struct run *r, const struct placeholder *p, const char *value, char **cause)
{
    if (!run_can_act(r, cause)) {
        return false;
    }
    if (value == NULL || value[0] == '\0') {
        set_cause(cause, "no value given: the command did not run");
        return false;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "var", p->var);
    cJSON_AddStringToObject(d, "value", value);
    cJSON_AddStringToObject(d, "placeholder", p->raw);
    if (!run_log_step(r, "input", NULL, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    vars_set(&r->vars, p->var, value);
    run_changed(r);
    return true;
}

char *run_code_template(const struct run *r, const char *text, char **cause)
{
    struct ph_list l = {0};
    placeholder_find_code(text, known_name, (void *)r, &l);
    for (size_t i = 0; i < l.n; i++) {
        if (vars_get(&r->vars, l.v[i].var) == NULL && l.v[i].form == PH_DOLLAR &&
            l.v[i].raw[1] == '{') {
            *cause = xasprintf("unset variable %s", l.v[i].var); /* as any ${name} says */
            placeholder_list_free(&l);
            return NULL;
        }
        if (vars_get(&r->vars, l.v[i].var) == NULL) {
            *cause = xasprintf("not run: %s has no value yet (the console's x asks for it; "
                               "--var %s=... sets it)",
                               l.v[i].raw, l.v[i].var);
            placeholder_list_free(&l);
            return NULL;
        }
    }
    char *t = placeholder_template(text, &l);
    placeholder_list_free(&l);
    return t;
}

char *run_code_shown(const struct run *r, const char *text, char **cause)
{
    char *t = run_code_template(r, text, cause);
    if (t == NULL) {
        return NULL;
    }
    struct step_text st = run_step_text(r);
    char *shown = step_shown(&st, t, VARS_SHOWN_COMMAND);
    free(t);
    return shown;
}

bool run_code_edited(struct run *r, size_t i, const char *text, char **cause)
{
    const char *code = code_of(r, i);
    if (!run_can_act(r, cause)) {
        return false;
    }
    if (code == NULL) {
        set_cause(cause, "no such code block");
        return false;
    }
    if (text == NULL || text[strspn(text, " \t\n")] == '\0') {
        set_cause(cause, "the edited command is empty: nothing ran");
        return false;
    }
    char *why = NULL;
    char *t = run_code_template(r, text, &why);
    if (t == NULL) {
        set_cause(cause, why);
        free(why);
        return false;
    }
    free(t);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "block", (double)i);
    cJSON_AddStringToObject(d, "original", code);
    cJSON_AddStringToObject(d, "edited", text);
    if (!run_log_step(r, "command.edit", NULL, d)) {
        set_cause(cause, r->message);
        run_changed(r);
        return false;
    }
    return run_start_command(r, text, true, cause);
}

/* ---- a block done as the console's action ---- */

void run_recognised_finish(struct run_recognised *m)
{
    recog_finish(&m->rc);
    free(m->key);
    free(m->what);
    free(m->why);
    *m = (struct run_recognised){0};
}

/* target with each ${var} of a placeholder that has no value shown as the placeholder. */
static char *target_shown(const struct run *r, const char *target, const struct ph_list *l)
{
    char *missing = NULL;
    char *t = vars_expand(&r->vars, target, VARS_TEXT, &missing);
    if (t != NULL) {
        return t;
    }
    free(missing);
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    for (const char *p = target; *p != '\0';) {
        size_t k = 0;
        for (; k < l->n; k++) {
            char *ref = xasprintf("${%s}", l->v[k].var);
            bool at = str_has_prefix(p, ref);
            size_t len = strlen(ref);
            free(ref);
            if (at) {
                strbuf_str(&sb, l->v[k].raw);
                p += len;
                break;
            }
        }
        if (k == l->n) {
            strbuf_add(&sb, p++, 1);
        }
    }
    return sb.s;
}

bool run_code_recognise(const struct run *r, size_t i, struct run_recognised *m)
{
    *m = (struct run_recognised){0};
    const char *code = code_of(r, i);
    if (code == NULL) {
        return false;
    }
    struct ph_list l = {0};
    placeholder_find_code(code, known_name, (void *)r, &l);
    char *tmpl = placeholder_template(code, &l);
    bool ok = recognise(tmpl, &m->rc);
    free(tmpl);
    if (!ok) {
        placeholder_list_free(&l);
        return false;
    }
    char *shown = target_shown(r, m->rc.target, &l);
    m->what = recog_describe(&m->rc, shown);
    m->filled = true;
    for (size_t k = 0; k < l.n; k++) {
        m->filled = m->filled && vars_get(&r->vars, l.v[k].var) != NULL;
    }
    placeholder_list_free(&l);
    if (m->filled) {
        m->input = m->rc.input != NULL ? vars_expand(&r->vars, m->rc.input, VARS_TEXT, NULL) : NULL;
        m->b = recognise_backend(&m->rc, shown, r->backends, r->nbackends, r->store, &m->def,
                                 &m->key, &m->why);
    }
    free(shown);
    return true;
}

bool run_code_action(struct run *r, size_t i, char **cause)
{
    if (!run_can_act(r, cause)) {
        return false;
    }
    struct run_recognised m;
    if (!run_code_recognise(r, i, &m)) {
        set_cause(cause, "this block is not one console action: x runs it as shell");
        return false;
    }
    if (m.b == NULL) {
        set_cause(cause, m.filled ? m.why : "fill its placeholders first");
        run_recognised_finish(&m);
        return false;
    }
    if (m.input == NULL && m.rc.input != NULL) {
        set_cause(cause, "its value has a placeholder with no value");
        run_recognised_finish(&m);
        return false;
    }
    const struct rb_step *s = run_cur(r);
    struct step_text t = run_step_text(r);
    char *shown = step_shown(&t, code_of(r, i), VARS_TEXT);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "backend", m.b->name);
    cJSON_AddStringToObject(d, "pane", m.rc.pane);
    cJSON_AddStringToObject(d, "verb", m.def->verb);
    cJSON_AddStringToObject(d, "target", m.key);
    if (m.input != NULL) {
        cJSON_AddStringToObject(d, "input", m.input);
    } else {
        cJSON_AddNullToObject(d, "input");
    }
    cJSON_AddBoolToObject(d, "code", true);
    cJSON_AddNumberToObject(d, "block", (double)i);
    cJSON_AddStringToObject(d, "command", shown);
    free(shown);
    if (!run_log(r, s->id, "action.start", m.key, NULL, d)) {
        set_cause(cause, r->message);
        run_recognised_finish(&m);
        run_changed(r);
        return false;
    }
    struct action *a = action_create(m.b, m.def, m.key, m.input);
    a->run = xstrdup(r->id);
    a->step = xstrdup(s->id);
    run_set_message(r, xasprintf("%s %s on %s...", m.def->verb, m.key, m.b->name));
    run_recognised_finish(&m);
    r->fly = &step_action;
    r->fly_code = true;
    r->fly_prev = r->state;
    r->state = RUN_BUSY;
    r->token = xcalloc(1, sizeof *r->token);
    r->token->r = r;
    run_changed(r);
    action_run(a, step_action_report, r->token); /* may report before returning */
    return true;
}
