/*
 * Runbooks: the model and its parsers (docs/runbooks.md is the format).
 *
 * A runbook is a list of steps. Markdown is parsed with md4c: the first H1 is
 * the title, every other heading a step, an `opsdeck` fenced block under a
 * heading annotates it; the JSON form fills the same structs. Parsing never
 * fails on unknown annotation content: it records problems (file:line) in the
 * runbook's issues list, which `opsdeck lint` prints and the runner refuses to
 * start with. runbook_parse() fails (NULL) only when the text is not a runbook
 * at all (not UTF-8 text, JSON that does not parse, no step).
 *
 * No curses, no I/O besides runbook_load().
 */
#ifndef OPSDECK_RUNBOOK_H
#define OPSDECK_RUNBOOK_H

#include "mdoc.h"

#include <stdbool.h>
#include <stddef.h>

enum rb_phase { RB_PHASE_S, RB_PHASE_A, RB_PHASE_F, RB_PHASE_E, RB_PHASES };

enum rb_step_type {
    RB_MANUAL,
    RB_COMMAND,
    RB_PROMPT,
    RB_DECISION,
    RB_WAIT,
    RB_ACTION,
    RB_APPROVAL,
    RB_NOTIFY,
};

/* The line of one annotation key of a step (JSON: the step's line). */
struct rb_keyline {
    char *key;
    int line;
};

/* A decision's choice (label -> goto) or a prompt's allowed answer (label only). */
struct rb_choice {
    char *label;
    char *go; /* step id or "end"; NULL for prompt choices */
    int line;
};

struct rb_step {
    char *id;
    char *title;
    int line; /* of the heading (JSON: of the step object, best effort) */
    enum rb_phase phase;
    char
        *phase_word; /* the verb the phase was inferred from ("Drain"); NULL: a heading or phase: */
    enum rb_step_type type;
    char *body;     /* text shown, plain (inline markup removed), lines split by '\n' */
    char **code;    /* code blocks (not the annotation), in order */
    int *code_line; /* the line of each code block's first line */
    size_t ncode;
    int timebox_s;   /* 0: none */
    char *next;      /* explicit next step id, "end", or NULL */
    bool two_person; /* `two-person: true`: in a shared run, another person approves it first */

    /* command and wait */
    char *run;       /* NULL for a command step: the first code block */
    char *capture;   /* variable name */
    int timeout_ms;  /* command: default 5 min; wait: default 10 min */
    int expect_exit; /* -1: any */
    /* wait */
    char *until; /* live pane condition text (see cond.h) */
    int interval_ms;
    /* prompt, decision, approval */
    char *var;
    char *ask;
    char *default_value;
    bool secret;
    struct rb_choice *choices;
    size_t nchoices;
    char *role; /* approval */
    /* action */
    char *action; /* verb */
    char *pane;
    char *target;
    char *input;
    char *backend;
    /* notify */
    char *service; /* "slack" or "pagerduty" */
    char *message;
    char *url_env;
    char *routing_key_env;
    char *event;    /* pagerduty: trigger, acknowledge, resolve */
    char *severity; /* pagerduty */
    char *dedup_key;

    /* Where each annotation key was written, for file:line messages (rb_step_key_line). */
    struct rb_keyline *keylines;
    size_t nkeylines;
};

/* A runbook variable declared with `var:` (value NULL: must come from elsewhere). */
struct rb_var {
    char *name;
    char *value;
    int line;
};

struct runbook {
    char *path; /* as given; used in messages */
    char *title;
    char *intro;
    struct rb_step *steps;
    size_t nsteps;
    struct rb_var *vars;
    size_t nvars;
    struct mdoc_issue *issues; /* problems found: lint prints them, the runner will not start */
    size_t nissues;
    unsigned long long hash; /* FNV-1a of the source text: a resumed run checks it */
};

/*
 * Parse Markdown or (first non-blank byte '{') JSON. path names the file in
 * messages. NULL with *cause ("path:line: why") when it is not a runbook at
 * all; otherwise problems are in rb->issues.
 */
struct runbook *runbook_parse(const char *text, size_t len, const char *path, char **cause);
/* Read (at most 4 MiB) and parse a file. */
struct runbook *runbook_load(const char *path, char **cause);
void runbook_free(struct runbook *rb);

/* Index of the step with this id, or -1. */
int runbook_find_step(const struct runbook *rb, const char *id);

/*
 * Static checks beyond parsing (docs/runbooks.md "Lint"): jumps to missing
 * steps, variables used before any declaration, prompt or capture sets them
 * (known: names that are always set, e.g. the command line's --var names;
 * may be NULL), conditions that do not parse, notify env vars that are not
 * set in this environment (warnings: issues[i].warning). Appends to
 * rb->issues; returns the total count, warnings included.
 */
size_t runbook_lint(struct runbook *rb, const char *const *known);

/*
 * What the parser guessed, for lint to say (docs/runbooks.md "Lint"): a note
 * per step whose phase was inferred from its verbs ("phase inferred from
 * 'Drain': F (Focus)"). fn gets each step's heading line and the message
 * (borrowed for the call). Returns how many. Notes are not problems: they
 * fail nothing, not even --strict.
 */
size_t runbook_notes(const struct runbook *rb, void (*fn)(int line, const char *message, void *ud),
                     void *ud);

/* Line of a step's annotation key, or of its heading when the key is not written. */
int rb_step_key_line(const struct rb_step *s, const char *key);

const char *rb_phase_name(enum rb_phase p);         /* "Stay calm", "Assess", "Focus", "Escalate" */
char rb_phase_letter(enum rb_phase p);              /* 'S', 'A', 'F', 'E' */
const char *rb_step_type_name(enum rb_step_type t); /* "manual", "command", ... */

#endif
