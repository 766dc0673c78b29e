/*
 * Drills (docs/drills.md): the document. The model and its parser (drill.c),
 * freeing, lint and lookups (drill_doc.c). The parser reads the same Markdown
 * as runbooks (headings with `opsdeck` blocks, engine/mdoc.h). A running
 * drill, the game, is engine/game.h. No curses, no I/O besides drill_load().
 */
#ifndef OPSDECK_DRILL_H
#define OPSDECK_DRILL_H

#include "runbook.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the model ---- */

enum drill_kind { DRILL_TABLETOP, DRILL_LIVE };
/* DRILL_STOP: a stop condition, looked at while the clock runs; true past its tolerance aborts. */
enum drill_when { DRILL_BEFORE, DRILL_DURING, DRILL_AFTER, DRILL_STOP };

struct drill_role {
    char *id;
    char *name;
    bool facilitator;
    bool observer;
    char *notify_env; /* notify_ROLE: env var of this role's own hook, or NULL (drill_extra.c) */
};

struct drill_expect {
    char *text;
    int deadline_s; /* from when the inject fired */
    int points;
    int line;
    char *role;  /* `@ROLE` (score): who is expected to do it, or NULL */
    char **tags; /* `#TAG`s: objective ids or the milestones detect, declare, mitigate */
    size_t ntags;
    char *on_miss; /* `on_miss:` after this expect: the contingency its miss fires, or NULL */
};

/* choice: OPTION -> INJECT[, INJECT] | ...: one option and the injects that follow it. */
struct drill_choice {
    char *option;
    char **injects;
    size_t ninjects;
    int line;
};

/* One console action: "pools drain be_web/web2", or with an input. */
struct drill_act {
    char *pane;
    char *verb;
    char *target;
    char *input; /* or NULL */
};

struct drill_chaos {
    struct drill_act action;
    struct drill_act rollback;
    int line;
    bool restore; /* `rollback: restore`: rollback is computed from the live row (chaosverb.h) */
};

struct drill_inject {
    char *id;
    char *title;
    char *text;
    int line;
    int at_s; /* offset on the drill clock; -1: contingency only */
    char **to;
    size_t nto;
    char *channel;
    struct drill_expect *expects;
    size_t nexpects;
    char *contingency; /* inject id or NULL */
    struct drill_chaos *chaos;
    size_t nchaos;
    char *backend;   /* NULL: first backend with the verb */
    char *notify;    /* Slack message or NULL */
    int ttl_s;       /* `ttl:` the lifetime of its chaos actions; 0: the default (drill_ttl_s) */
    bool auto_chaos; /* `auto: true`: its chaos fires on the clock without asking the facilitator */
    /* hidden information, randomness and branches (drill_extra.c) */
    char *hidden;                 /* hidden: for the facilitator only, or NULL */
    int at_max_s;                 /* at: T+A..B: B (at_s is drawn at start); else at_s */
    int at_min_s;                 /* ... and A (at_s before the draw) */
    struct drill_choice *choices; /* choice: the facilitator picks one option */
    size_t nchoices;
    bool to_all; /* to: all (to then lists every role) */
    int chosen;  /* the game: the option picked (journaled `choice`), -1 none yet */
    bool html;   /* its text had raw HTML, which is not shown (a lint warning) */
};

struct drill_check {
    char *id;
    char *title;
    int line;
    enum drill_when when;
    char *until; /* live condition, or */
    char *run;   /* a command */
    int expect_exit;
    int tolerance_s;
    int interval_ms;
    int timeout_ms;      /* of the command */
    bool from_stop_when; /* a stop_when: line: its title is its condition, not for participants */
};

struct drill {
    char *path;
    char *title;
    char *intro;
    enum drill_kind kind;
    int duration_s;
    char *label;
    char *abort_word;
    bool notify_live;
    bool players_mark; /* participants may mark expectations (their texts are public) */
    char *sandbox_env;
    char **objectives;
    size_t nobjectives;
    struct drill_role *roles;
    size_t nroles;
    struct drill_inject *injects; /* sorted by at_s (contingencies last), stable */
    size_t ninjects;
    struct drill_check *checks;
    size_t nchecks;
    char **debrief; /* questions */
    size_t ndebrief;
    char **sections; /* extra report sections */
    size_t nsections;
    struct mdoc_issue *issues;
    size_t nissues;
    unsigned long long hash;
    /* stop_when: CONDITION in the drill block (repeatable): each becomes a stop check */
    char **stop_when;
    int *stop_when_line;
    size_t nstop_when;
    /* hidden information and randomness (drill_extra.c) */
    char *facilitator_notes; /* the `Facilitator notes` section: the facilitator only */
    bool intro_facilitator;  /* intro: facilitator (the introduction is not the players') */
    bool seeded;             /* seed: N in the drill block (draws of at: ranges) */
    unsigned long long seed;
    char **objective_ids; /* per objective (`objective: ID = text`), NULL where none (score) */
    char *players;        /* `--players ic=alice,scribe=bob` given at start, or NULL (score) */
};

/* Is this text a drill (its first `opsdeck` block has `drill:`)? */
bool drill_detect(const char *text, size_t len);
/* Like runbook_parse: NULL only when it is not a drill at all; problems in d->issues. */
struct drill *drill_parse(const char *text, size_t len, const char *path, char **cause);
struct drill *drill_load(const char *path, char **cause);
void drill_free(struct drill *d);
/* Roles, contingencies, chaos/rollback pairs, conditions, env vars; returns the issue count. */
size_t drill_lint(struct drill *d);
int drill_find_inject(const struct drill *d, const char *id);
/* The lifetime of inject i's chaos actions in seconds: its ttl, else duration + 5m. */
int drill_ttl_s(const struct drill *d, size_t i);
enum { DRILL_TTL_MARGIN_S = 300 };
/* Free an action's strings and zero it. */
void drill_act_finish(struct drill_act *a);
/* stop_when: lines (drill_stop.c): collected while the block is read, made checks after. */
void drill_stop_when_add(struct drill *d, const char *cond, int line);
void drill_stop_when_checks(struct drill *d);
void drill_stop_when_free(struct drill *d);

/* drill_expect.c (score): an expectation's `@ROLE #TAG ...` prefix (v past them; NULL with
 * *cause), objectives with their ids, and the lint of roles, tags and on_miss. */
extern const char *const drill_milestones[]; /* detect, declare, mitigate */
const char *drill_expect_prefix(struct drill_expect *e, const char *v, char **cause);
/* One `expect:` of an inject (problems into d->issues). */
struct mdoc_kv;
void drill_expect_parse(struct drill *d, struct drill_inject *in, const struct mdoc_kv *kv);
void drill_expect_finish(struct drill_expect *e);
void drill_objective_add(struct drill *d, const char *v);
int drill_objective_find(const struct drill *d, const char *id);
void drill_expect_lint(struct drill *d);
/* drill.c: an offset on the drill clock, T+MM, T+MM:SS or a duration (90s), in seconds. */
bool drill_parse_offset(const char *v, int *out);
/* The debrief prompts: the Debrief questions, then the Report headings' items. */
size_t drill_prompt_count(const struct drill *d);
const char *drill_prompt(const struct drill *d, size_t i);

#endif
