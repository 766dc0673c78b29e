/*
 * Runbooks: Markdown (md4c) and JSON into one model (docs/runbooks.md).
 *
 * Both forms go through the same middle: a list of nodes, one per heading
 * (Markdown) or step object (JSON), each with its plain body, its code blocks
 * and its annotation as (key, value, line) triples. The end is shared: decide
 * which nodes are sections, infer phases, give ids, apply the annotation keys
 * with the same checks. So a problem reads the same whichever form it came in.
 *
 * The Markdown walk into nodes is mdoc.c, shared with drills.
 */
#include "rbparse.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "phase.h"
#include "vars.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Keys whose value is free text: a '#' in them is content, not a comment. */
static const char *const free_keys[] = {"run",     "until",  "ask",       "message", "input",
                                        "default", "target", "dedup_key", NULL};

/* ---- small helpers ---- */

void runbook_add_issue(struct runbook *rb, int line, char *message)
{
    mdoc_issues_add(&rb->issues, &rb->nissues, line, message);
}

static bool parse_markdown(struct parse *p, char **cause)
{
    bool ok = mdoc_parse_markdown(p->m, free_keys, RUNBOOK_MAX_STEPS);
    /* The walk's own problems come first, as when they were found during it. */
    for (size_t i = 0; i < p->m->nissues; i++) {
        runbook_add_issue(p->rb, p->m->issues[i].line, p->m->issues[i].message);
    }
    p->m->nissues = 0;
    p->rb->title = p->m->title;
    p->m->title = NULL;
    if (p->m->too_many) {
        *cause = xasprintf("%s:%d: not a runbook: more than %d steps", p->rb->path,
                           p->m->nodes[p->m->nnodes - 1].line, RUNBOOK_MAX_STEPS);
    }
    return ok;
}

/* ---- from nodes to steps ---- */

enum key_id {
    K_ID,
    K_TYPE,
    K_PHASE,
    K_TIMEBOX,
    K_NEXT,
    K_RUN,
    K_CAPTURE,
    K_TIMEOUT,
    K_EXPECT,
    K_UNTIL,
    K_INTERVAL,
    K_VAR,
    K_ASK,
    K_CHOICES,
    K_DEFAULT,
    K_SECRET,
    K_CHOICE,
    K_ROLE,
    K_ACTION,
    K_PANE,
    K_TARGET,
    K_INPUT,
    K_BACKEND,
    K_SERVICE,
    K_MESSAGE,
    K_URL_ENV,
    K_ROUTING_KEY_ENV,
    K_EVENT,
    K_SEVERITY,
    K_DEDUP_KEY,
    K_TWO_PERSON,
    K_COUNT
};

enum {
    M_ALL = 0xff,
    M_COMMAND = 1u << RB_COMMAND,
    M_PROMPT = 1u << RB_PROMPT,
    M_DECISION = 1u << RB_DECISION,
    M_WAIT = 1u << RB_WAIT,
    M_ACTION = 1u << RB_ACTION,
    M_APPROVAL = 1u << RB_APPROVAL,
    M_NOTIFY = 1u << RB_NOTIFY,
};

static const struct {
    const char *name;
    unsigned types; /* bit per enum rb_step_type */
    bool repeatable;
} keys[K_COUNT] = {
    [K_ID] = {"id", M_ALL, false},
    [K_TYPE] = {"type", M_ALL, false},
    [K_PHASE] = {"phase", M_ALL, false},
    [K_TIMEBOX] = {"timebox", M_ALL, false},
    [K_NEXT] = {"next", M_ALL, false},
    [K_RUN] = {"run", M_COMMAND | M_WAIT, false},
    [K_CAPTURE] = {"capture", M_COMMAND, false},
    [K_TIMEOUT] = {"timeout", M_COMMAND | M_WAIT, false},
    [K_EXPECT] = {"expect", M_COMMAND | M_WAIT, false},
    [K_UNTIL] = {"until", M_WAIT, false},
    [K_INTERVAL] = {"interval", M_WAIT, false},
    [K_VAR] = {"var", M_PROMPT, false},
    [K_ASK] = {"ask", M_PROMPT | M_DECISION | M_APPROVAL, false},
    [K_CHOICES] = {"choices", M_PROMPT, true},
    [K_DEFAULT] = {"default", M_PROMPT, false},
    [K_SECRET] = {"secret", M_PROMPT, false},
    [K_CHOICE] = {"choice", M_DECISION, true},
    [K_ROLE] = {"role", M_APPROVAL, false},
    [K_ACTION] = {"action", M_ACTION, false},
    [K_PANE] = {"pane", M_ACTION, false},
    [K_TARGET] = {"target", M_ACTION, false},
    [K_INPUT] = {"input", M_ACTION, false},
    [K_BACKEND] = {"backend", M_ACTION, false},
    [K_SERVICE] = {"service", M_NOTIFY, false},
    [K_MESSAGE] = {"message", M_NOTIFY, false},
    [K_URL_ENV] = {"url_env", M_NOTIFY, false},
    [K_ROUTING_KEY_ENV] = {"routing_key_env", M_NOTIFY, false},
    [K_EVENT] = {"event", M_NOTIFY, false},
    [K_SEVERITY] = {"severity", M_NOTIFY, false},
    [K_DEDUP_KEY] = {"dedup_key", M_NOTIFY, false},
    [K_TWO_PERSON] = {"two-person", M_ALL & ~(unsigned)(M_PROMPT | M_DECISION), false},
};

static const char *const type_names[] = {
    [RB_MANUAL] = "manual",     [RB_COMMAND] = "command", [RB_PROMPT] = "prompt",
    [RB_DECISION] = "decision", [RB_WAIT] = "wait",       [RB_ACTION] = "action",
    [RB_APPROVAL] = "approval", [RB_NOTIFY] = "notify",
};

const char *rb_step_type_name(enum rb_step_type t)
{
    if ((size_t)t < sizeof type_names / sizeof type_names[0]) {
        return type_names[t];
    }
    return "?";
}

const char *rb_phase_name(enum rb_phase p)
{
    static const char *const names[] = {"Stay calm", "Assess", "Focus", "Escalate"};
    return (unsigned)p < RB_PHASES ? names[p] : "?";
}

char rb_phase_letter(enum rb_phase p)
{
    return (unsigned)p < RB_PHASES ? "SAFE"[p] : '?';
}

static int key_lookup(const char *name)
{
    for (int i = 0; i < K_COUNT; i++) {
        if (strcmp(keys[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* "S", "assess", "Focus", "mitigate"...: -1 when it is none. */
static int phase_from_value(const char *v)
{
    static const char *const words[][3] = {
        {"s", "stay calm", NULL},
        {"a", "assess", NULL},
        {"f", "focus", "mitigate"},
        {"e", "escalate", NULL},
    };
    for (int p = 0; p < RB_PHASES; p++) {
        for (int w = 0; w < 3 && words[p][w] != NULL; w++) {
            if (strcasecmp(v, words[p][w]) == 0) {
                return p;
            }
        }
    }
    return -1;
}

/* true/yes or false/no into *out; false for another word. */
static bool bool_value(const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0) {
        *out = true;
    } else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

static void step_key_line(struct rb_step *s, const char *key, int line)
{
    s->keylines = xreallocarray(s->keylines, s->nkeylines + 1, sizeof *s->keylines);
    s->keylines[s->nkeylines].key = xstrdup(key);
    s->keylines[s->nkeylines].line = line;
    s->nkeylines++;
}

int rb_step_key_line(const struct rb_step *s, const char *key)
{
    for (size_t i = 0; i < s->nkeylines; i++) {
        if (strcmp(s->keylines[i].key, key) == 0) {
            return s->keylines[i].line;
        }
    }
    return s->line;
}

static bool parse_duration_ms(struct runbook *rb, const struct mdoc_kv *kv, int *out)
{
    int64_t secs;
    if (!duration_parse(kv->value, &secs) || kv->value[0] == '\0') {
        runbook_add_issue(
            rb, kv->line,
            xasprintf("bad duration '%s' for %s (e.g. 90s, 5m, 1h)", kv->value, kv->key));
        return false;
    }
    if (secs <= 0 || secs > INT_MAX / 1000) {
        runbook_add_issue(rb, kv->line,
                          xasprintf("%s '%s' is out of range (1s to 24 days)", kv->key, kv->value));
        return false;
    }
    *out = (int)(secs * 1000);
    return true;
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

static void add_choice(struct rb_step *s, char *label, char *go, int line)
{
    s->choices = xreallocarray(s->choices, s->nchoices + 1, sizeof *s->choices);
    s->choices[s->nchoices].label = label;
    s->choices[s->nchoices].go = go;
    s->choices[s->nchoices].line = line;
    s->nchoices++;
}

static void apply_kv(struct runbook *rb, struct rb_step *s, int key, const struct mdoc_kv *kv,
                     int *phase)
{
    static const char *const services[] = {"slack", "pagerduty", NULL};
    static const char *const events[] = {"trigger", "acknowledge", "resolve", NULL};
    static const char *const severities[] = {"critical", "error", "warning", "info", NULL};
    const char *v = kv->value;
    switch ((enum key_id)key) {
    case K_ID:
    case K_TYPE:
        break; /* done before */
    case K_PHASE:
        *phase = phase_from_value(v);
        if (*phase < 0) {
            runbook_add_issue(
                rb, kv->line,
                xasprintf("bad phase '%s' (S, A, F, E, stay calm, assess, focus, escalate)", v));
        }
        break;
    case K_TIMEBOX: {
        int ms;
        if (parse_duration_ms(rb, kv, &ms)) {
            s->timebox_s = ms / 1000;
        }
        break;
    }
    case K_NEXT:
        set_str(&s->next, v);
        break;
    case K_RUN:
        set_str(&s->run, v);
        break;
    case K_CAPTURE:
    case K_VAR:
        if (!vars_valid_name(v)) {
            runbook_add_issue(rb, kv->line, xasprintf("'%s' is not a variable name", v));
        }
        set_str(key == K_VAR ? &s->var : &s->capture, v);
        break;
    case K_TIMEOUT:
        parse_duration_ms(rb, kv, &s->timeout_ms);
        break;
    case K_INTERVAL:
        parse_duration_ms(rb, kv, &s->interval_ms);
        break;
    case K_EXPECT: {
        char *end;
        long code = strtol(v, &end, 10);
        if (strcasecmp(v, "any") == 0) {
            s->expect_exit = -1;
        } else if (v[0] != '\0' && *end == '\0' && code >= 0 && code <= 255) {
            s->expect_exit = (int)code;
        } else {
            runbook_add_issue(rb, kv->line,
                              xasprintf("bad expect '%s' (an exit code 0-255, or any)", v));
        }
        break;
    }
    case K_UNTIL:
        set_str(&s->until, v);
        break;
    case K_ASK:
        set_str(&s->ask, v);
        break;
    case K_CHOICES: {
        const char *p = v;
        while (*p != '\0') {
            size_t n = strcspn(p, ",");
            char *label = mdoc_trim_dup(p, n);
            if (label[0] != '\0') {
                add_choice(s, label, NULL, kv->line);
            } else {
                free(label);
            }
            p += n;
            if (*p == ',') {
                p++;
            }
        }
        break;
    }
    case K_DEFAULT:
        set_str(&s->default_value, v);
        break;
    case K_SECRET:
    case K_TWO_PERSON:
        if (!bool_value(v, key == K_SECRET ? &s->secret : &s->two_person)) {
            runbook_add_issue(rb, kv->line,
                              xasprintf("bad %s '%s' (true or false)", keys[key].name, v));
        }
        break;
    case K_CHOICE: {
        const char *arrow = strstr(v, "->");
        char *label = arrow != NULL ? mdoc_trim_dup(v, (size_t)(arrow - v)) : NULL;
        char *go = arrow != NULL ? mdoc_trim_dup(arrow + 2, strlen(arrow + 2)) : NULL;
        if (label == NULL || label[0] == '\0' || go[0] == '\0') {
            runbook_add_issue(rb, kv->line,
                              xasprintf("choice needs LABEL -> STEP-ID, got '%s'", v));
            free(label);
            free(go);
        } else {
            add_choice(s, label, go, kv->line);
        }
        break;
    }
    case K_ROLE:
        set_str(&s->role, v);
        break;
    case K_ACTION:
        set_str(&s->action, v);
        break;
    case K_PANE:
        set_str(&s->pane, v);
        break;
    case K_TARGET:
        set_str(&s->target, v);
        break;
    case K_INPUT:
        set_str(&s->input, v);
        break;
    case K_BACKEND:
        set_str(&s->backend, v);
        break;
    case K_SERVICE:
        if (!str_in(v, services)) {
            runbook_add_issue(rb, kv->line,
                              xasprintf("unknown service '%s' (slack, pagerduty)", v));
        }
        set_str(&s->service, v);
        break;
    case K_MESSAGE:
        set_str(&s->message, v);
        break;
    case K_URL_ENV:
        set_str(&s->url_env, v);
        break;
    case K_ROUTING_KEY_ENV:
        set_str(&s->routing_key_env, v);
        break;
    case K_EVENT:
        if (!str_in(v, events)) {
            runbook_add_issue(rb, kv->line,
                              xasprintf("unknown event '%s' (trigger, acknowledge, resolve)", v));
        }
        set_str(&s->event, v);
        break;
    case K_SEVERITY:
        if (!str_in(v, severities)) {
            runbook_add_issue(
                rb, kv->line,
                xasprintf("unknown severity '%s' (critical, error, warning, info)", v));
        }
        set_str(&s->severity, v);
        break;
    case K_DEDUP_KEY:
        set_str(&s->dedup_key, v);
        break;
    case K_COUNT:
        break;
    }
}

/* Fill a step from its node's annotation; returns the phase it names, or -1. */
static int apply_node(struct runbook *rb, struct rb_step *s, const struct mdoc_node *n, char **id)
{
    int phase = -1;
    bool seen[K_COUNT] = {false};
    bool type_ok = true; /* after an unknown type, "not a key of a manual step" is noise */
    s->type = RB_MANUAL;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct mdoc_kv *kv = &n->kvs[i];
        if (strcmp(kv->key, "type") != 0) {
            continue;
        }
        bool found = false;
        for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
            if (strcasecmp(kv->value, type_names[t]) == 0) {
                s->type = (enum rb_step_type)t;
                found = true;
            }
        }
        type_ok = type_ok && found;
        if (!found) {
            runbook_add_issue(
                rb, kv->line,
                xasprintf("unknown step type '%s' (manual, command, prompt, decision, "
                          "wait, action, approval, notify)",
                          kv->value));
        }
    }
    s->timeout_ms = s->type == RB_COMMAND ? 5 * 60 * 1000 : s->type == RB_WAIT ? 10 * 60 * 1000 : 0;
    s->interval_ms = 5000;
    s->expect_exit = 0;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct mdoc_kv *kv = &n->kvs[i];
        int key = key_lookup(kv->key);
        if (key < 0) {
            runbook_add_issue(rb, kv->line, xasprintf("unknown key '%s'", kv->key));
            continue;
        }
        step_key_line(s, kv->key, kv->line);
        if (seen[key] && !keys[key].repeatable) {
            runbook_add_issue(rb, kv->line, xasprintf("duplicate key '%s'", kv->key));
        }
        seen[key] = true;
        if (!(keys[key].types & (1u << s->type))) {
            if (!type_ok) {
                continue;
            }
            runbook_add_issue(
                rb, kv->line,
                xasprintf("'%s' is not a key of a %s step", kv->key, rb_step_type_name(s->type)));
            continue;
        }
        if (kv->value[0] == '\0' && key != K_DEFAULT) {
            runbook_add_issue(rb, kv->line, xasprintf("empty value for '%s'", kv->key));
            continue;
        }
        if (key == K_ID) {
            if (kv->value[strcspn(kv->value, " \t")] != '\0') {
                runbook_add_issue(rb, kv->line, xasprintf("step id '%s' has a blank", kv->value));
            } else if (strcmp(kv->value, "end") == 0) {
                runbook_add_issue(rb, kv->line,
                                  xasprintf("step id 'end' is taken: it ends the run"));
            } else {
                set_str(id, kv->value);
            }
            continue;
        }
        apply_kv(rb, s, key, kv, &phase);
    }
    return phase;
}

static void runbook_block(struct parse *p, const struct mdoc_node *n)
{
    struct runbook *rb = p->rb;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct mdoc_kv *kv = &n->kvs[i];
        if (strcmp(kv->key, "var") != 0) {
            runbook_add_issue(
                rb, kv->line,
                xasprintf("'%s' is not a key of the runbook block (only var: before the "
                          "first step)",
                          kv->key));
            continue;
        }
        const char *eq = strchr(kv->value, '=');
        char *name =
            mdoc_trim_dup(kv->value, eq != NULL ? (size_t)(eq - kv->value) : strlen(kv->value));
        char *value = eq != NULL ? mdoc_trim_dup(eq + 1, strlen(eq + 1)) : NULL;
        size_t vl = value != NULL ? strlen(value) : 0;
        if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
            memmove(value, value + 1, vl - 2);
            value[vl - 2] = '\0';
        }
        if (!vars_valid_name(name)) {
            runbook_add_issue(
                rb, kv->line,
                xasprintf("'%s' is not a variable name (var: NAME or var: NAME = default)", name));
            free(name);
            free(value);
            continue;
        }
        for (size_t j = 0; j < rb->nvars; j++) {
            if (strcmp(rb->vars[j].name, name) == 0) {
                runbook_add_issue(
                    rb, kv->line,
                    xasprintf("variable '%s' is declared twice (line %d)", name, rb->vars[j].line));
            }
        }
        rb->vars = xreallocarray(rb->vars, rb->nvars + 1, sizeof *rb->vars);
        rb->vars[rb->nvars].name = name;
        rb->vars[rb->nvars].value = value;
        rb->vars[rb->nvars].line = kv->line;
        rb->nvars++;
    }
}

struct stack_entry {
    int level;
    int phase;
    bool section;
};

/*
 * The overview (docs/runbooks.md "The overview"): headings before the first
 * step that introduce rather than ask (TL;DR, Overview, Impact...), with the
 * headings under them, are read with the introduction, not done as steps.
 * None is when it would leave no step at all, or when a heading is annotated.
 */
static void find_overview(const struct mdoc *m, const bool *section, bool *overview)
{
    int level = 0; /* of the overview heading being read, 0: none */
    size_t steps = 0, folded = 0;
    bool before = true;
    for (size_t i = 1; i < m->nnodes; i++) {
        const struct mdoc_node *nd = &m->nodes[i];
        if (before && nd->nkvs == 0 &&
            ((level > 0 && nd->level > level) || phase_is_overview(nd->title))) {
            overview[i] = true;
            level = level > 0 && nd->level > level ? level : nd->level;
            folded += !section[i];
            continue;
        }
        before = false;
        steps += !section[i];
    }
    if (steps == 0 && folded > 0) {
        memset(overview, 0, m->nnodes * sizeof *overview);
    }
}

/* The introduction and the overview's headings, text and code, as one text. */
static char *overview_text(const struct mdoc *m, const bool *overview)
{
    struct strbuf sb = {0};
    char *intro = mdoc_body_text(&m->nodes[0].body);
    strbuf_str(&sb, intro);
    free(intro);
    for (size_t i = 1; i < m->nnodes; i++) {
        if (!overview[i]) {
            continue;
        }
        const struct mdoc_node *nd = &m->nodes[i];
        char *title = phase_title(nd->title);
        char *body = mdoc_body_text(&nd->body);
        strbuf_printf(&sb, "%s%s", sb.n > 0 ? "\n\n" : "", title);
        if (body[0] != '\0') {
            strbuf_printf(&sb, "\n%s", body);
        }
        for (size_t c = 0; c < nd->ncode; c++) {
            for (const char *l = nd->code[c]; *l != '\0';) {
                size_t n = strcspn(l, "\n");
                strbuf_printf(&sb, "\n    %.*s", (int)n, l);
                l += n + (l[n] == '\n');
            }
        }
        free(title);
        free(body);
    }
    char *text = sb.s != NULL ? sb.s : xstrdup("");
    return text;
}

/*
 * A step's phase, in order: its phase: annotation; its own heading naming
 * one; the nearest section above it naming one (a runbook that names its
 * phases keeps them); its verbs (s->phase_word says which); the step before.
 */
static int step_phase(struct rb_step *s, const struct mdoc_node *nd, int annotated,
                      const struct stack_entry *stack, size_t depth, int prev)
{
    if (annotated >= 0) {
        return annotated;
    }
    if (stack[depth - 1].phase >= 0) {
        return stack[depth - 1].phase;
    }
    for (size_t d = depth - 1; d > 0; d--) {
        if (stack[d - 1].section && stack[d - 1].phase >= 0) {
            return stack[d - 1].phase;
        }
    }
    char *body = mdoc_body_text(&nd->body);
    int inferred = phase_infer(nd->title, body, &s->phase_word);
    free(body);
    return inferred >= 0 ? inferred : prev;
}

static void build_steps(struct parse *p)
{
    struct runbook *rb = p->rb;
    size_t n = p->m->nnodes;
    bool *section = xcalloc(n + 1, sizeof *section);
    bool *overview = xcalloc(n + 1, sizeof *overview);
    char **ids = xcalloc(n + 1, sizeof *ids);
    char **slugs = xcalloc(n + 1, sizeof *slugs);
    size_t nsteps = 0;
    for (size_t i = 1; i < n; i++) {
        section[i] =
            !p->m->nodes[i].content && i + 1 < n && p->m->nodes[i + 1].level > p->m->nodes[i].level;
    }
    if (!p->json) {
        find_overview(p->m, section, overview);
    }
    for (size_t i = 1; i < n; i++) {
        nsteps += section[i] || overview[i] ? 0 : 1;
    }
    runbook_block(p, &p->m->nodes[0]);
    rb->intro = overview_text(p->m, overview);
    rb->steps = xcalloc(nsteps > 0 ? nsteps : 1, sizeof *rb->steps);

    struct stack_entry *stack = xcalloc(n + 1, sizeof *stack);
    size_t depth = 0;
    int prev = RB_PHASE_S;
    for (size_t i = 1; i < n; i++) {
        const struct mdoc_node *nd = &p->m->nodes[i];
        if (overview[i]) {
            continue;
        }
        while (depth > 0 && stack[depth - 1].level >= nd->level) {
            depth--;
        }
        stack[depth].level = nd->level;
        stack[depth].phase = phase_named(nd->title);
        stack[depth].section = section[i];
        depth++;
        if (section[i]) {
            continue;
        }
        struct rb_step *s = &rb->steps[rb->nsteps];
        s->title = nd->title[0] != '\0' ? phase_title(nd->title) : xstrdup("(untitled)");
        s->line = nd->line;
        s->body = mdoc_body_text(&nd->body);
        s->code = nd->ncode > 0 ? xcalloc(nd->ncode, sizeof *s->code) : NULL;
        s->code_line = nd->ncode > 0 ? xcalloc(nd->ncode, sizeof *s->code_line) : NULL;
        for (size_t c = 0; c < nd->ncode; c++) {
            s->code[c] = xstrdup(nd->code[c]);
            s->code_line[c] = nd->code_line[c];
        }
        s->ncode = nd->ncode;
        int annotated = apply_node(rb, s, nd, &ids[rb->nsteps]);
        /* the default id is the heading's as written: ids in jumps stay what they were */
        slugs[rb->nsteps] = mdoc_slug(nd->title);
        int phase = step_phase(s, nd, annotated, stack, depth, prev);
        s->phase = (enum rb_phase)phase;
        prev = phase;
        rb->nsteps++;
    }
    free(stack);
    free(overview);

    /* Ids: the written ones first, so a default never takes a name a jump means. */
    struct strmap taken = {0}, next_suffix = {0};
    strmap_put(&taken, "end", -1);
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (ids[i] == NULL) {
            continue;
        }
        if (strmap_get(&taken, ids[i]) != NULL) {
            runbook_add_issue(rb, rb_step_key_line(&rb->steps[i], "id"),
                              xasprintf("step id '%s' is used twice", ids[i]));
            free(ids[i]);
            ids[i] = NULL;
            continue;
        }
        strmap_put(&taken, ids[i], (int)i);
        rb->steps[i].id = ids[i];
        ids[i] = NULL;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        struct rb_step *s = &rb->steps[i];
        if (s->id != NULL) {
            continue;
        }
        char *base = slugs[i];
        slugs[i] = NULL;
        if (base[0] == '\0') {
            free(base);
            base = xasprintf("step-%zu", i + 1);
        }
        char *id = xstrdup(base);
        int *k = strmap_get(&next_suffix, base);
        int suffix = k != NULL ? *k : 2;
        while (strmap_get(&taken, id) != NULL) {
            free(id);
            id = xasprintf("%s-%d", base, suffix++);
        }
        strmap_put(&next_suffix, base, suffix);
        strmap_put(&taken, id, (int)i);
        free(base);
        s->id = id;
    }
    strmap_free(&taken);
    strmap_free(&next_suffix);
    for (size_t i = 0; i < rb->nsteps; i++) {
        free(slugs[i]);
    }
    free(slugs);
    free(ids);
    free(section);
}

/* ---- entry points ---- */

struct runbook *runbook_parse(const char *text, size_t len, const char *path, char **cause)
{
    struct parse p = {0};
    const char *name = path != NULL ? path : "runbook";
    if (len > RUNBOOK_MAX_BYTES) {
        *cause = xasprintf("%s: larger than 4 MiB", name);
        return NULL;
    }
    if (text == NULL) {
        text = "";
        len = 0;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3; /* a byte order mark from an editor is not text */
        len -= 3;
    }
    struct mdoc md;
    mdoc_init(&md, text, len);
    p.m = &md;
    size_t bad;
    if (!mdoc_valid_text(text, len, &bad)) {
        *cause = xasprintf("%s:%d: not a runbook: not UTF-8 text (byte %zu%s)", name,
                           mdoc_line_at(&md, bad), bad,
                           mdoc_is_control(text, len, bad) ? ", a control character" : "");
        mdoc_finish(&md);
        return NULL;
    }
    struct runbook *rb = xcalloc(1, sizeof *rb);
    rb->path = xstrdup(name);
    rb->hash = mdoc_hash(text, len);
    p.rb = rb;
    size_t first = 0;
    while (first < len && isspace((unsigned char)text[first])) {
        first++;
    }
    p.json = first < len && text[first] == '{';
    bool ok = p.json ? runbook_parse_json(&p, cause) : parse_markdown(&p, cause);
    if (!ok && *cause == NULL) {
        *cause = xasprintf("%s:1: not a runbook: the Markdown parser failed", name);
    }
    if (ok) {
        build_steps(&p);
        if (rb->nsteps == 0) {
            *cause = xasprintf("%s:1: not a runbook: no step (every heading but the title is one)",
                               name);
            ok = false;
        }
    }
    mdoc_finish(&md);
    if (!ok) {
        runbook_free(rb);
        return NULL;
    }
    if (rb->title == NULL) {
        rb->title = mdoc_default_title(name);
    }
    if (rb->intro == NULL) {
        rb->intro = xstrdup("");
    }
    mdoc_issues_sort(rb->issues, rb->nissues);
    return rb;
}

struct runbook *runbook_load(const char *path, char **cause)
{
    size_t len = 0;
    char *buf = mdoc_read_file(path, RUNBOOK_MAX_BYTES, &len, cause);
    if (buf == NULL) {
        return NULL;
    }
    struct runbook *x = runbook_parse(buf, len, path, cause);
    free(buf);
    return x;
}

static void step_finish(struct rb_step *s)
{
    free(s->id);
    free(s->title);
    free(s->phase_word);
    free(s->body);
    for (size_t i = 0; i < s->ncode; i++) {
        free(s->code[i]);
    }
    free(s->code);
    free(s->code_line);
    free(s->next);
    free(s->run);
    free(s->capture);
    free(s->until);
    free(s->var);
    free(s->ask);
    free(s->default_value);
    for (size_t i = 0; i < s->nchoices; i++) {
        free(s->choices[i].label);
        free(s->choices[i].go);
    }
    free(s->choices);
    free(s->role);
    free(s->action);
    free(s->pane);
    free(s->target);
    free(s->input);
    free(s->backend);
    free(s->service);
    free(s->message);
    free(s->url_env);
    free(s->routing_key_env);
    free(s->event);
    free(s->severity);
    free(s->dedup_key);
    for (size_t i = 0; i < s->nkeylines; i++) {
        free(s->keylines[i].key);
    }
    free(s->keylines);
}

void runbook_free(struct runbook *rb)
{
    if (rb == NULL) {
        return;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        step_finish(&rb->steps[i]);
    }
    free(rb->steps);
    for (size_t i = 0; i < rb->nvars; i++) {
        free(rb->vars[i].name);
        free(rb->vars[i].value);
    }
    free(rb->vars);
    for (size_t i = 0; i < rb->nissues; i++) {
        free(rb->issues[i].message);
    }
    free(rb->issues);
    free(rb->path);
    free(rb->title);
    free(rb->intro);
    free(rb);
}

int runbook_find_step(const struct runbook *rb, const char *id)
{
    if (rb == NULL || id == NULL) {
        return -1;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (rb->steps[i].id != NULL && strcmp(rb->steps[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}
