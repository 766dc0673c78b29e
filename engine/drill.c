/*
 * Drills: the model half of drill.h, from Markdown (docs/drills.md).
 *
 * The Markdown walk is mdoc.c, as for runbooks: a node per heading with its
 * annotation as (key, value, line). The first node with an annotation is the
 * drill block; after it a node whose block has `at:` is an inject, `check:` a
 * check; headings named Debrief and Report give their list items. Everything
 * that is a property of the text (unknown keys, bad offsets, roles that are
 * not declared, contingencies, chaos/rollback pairs, conditions) is found
 * while parsing, where each key's line is at hand, so a drill with such a
 * problem never runs even if nobody linted it; drill_lint() adds what depends
 * on the environment (the sandbox hook's env var).
 */
#include "drill.h"

#include "../backends/model.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "cond.h"
#include "drill_extra.h"
#include "mdoc.h"
#include "vars.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A drill is run by people in a room: more than this is a mistake, not a drill. */
enum { DRILL_MAX_BYTES = 4 << 20, DRILL_MAX_NODES = 5000 };

/* Taken whole: commands and conditions may hold '#', a notify is a message. */
static const char *const free_keys[] = {"run", "until", "notify", "hidden", "expect", NULL};

/* ---- small helpers ---- */

static void add_issue(struct drill *d, int line, char *message)
{
    mdoc_issues_add(&d->issues, &d->nissues, line, message);
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

static void push_str(char ***v, size_t *n, char *s)
{
    *v = xreallocarray(*v, *n + 1, sizeof **v);
    (*v)[(*n)++] = s;
}

/* "a, b ,c" -> {"a", "b", "c"}; empty items are dropped. */
static void split_list(const char *v, char ***out, size_t *n)
{
    while (*v != '\0') {
        size_t len = strcspn(v, ",");
        char *item = mdoc_trim_dup(v, len);
        if (item[0] != '\0') {
            push_str(out, n, item);
        } else {
            free(item);
        }
        v += len;
        if (*v == ',') {
            v++;
        }
    }
}

static bool is_word(const char *s)
{
    if (s[0] == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') {
            return false;
        }
    }
    return true;
}

/* A duration of at least min seconds; an issue naming the key otherwise. */
static bool parse_secs(struct drill *d, const struct mdoc_kv *kv, int min, int *out)
{
    int64_t secs;
    if (strcmp(kv->key, "duration") == 0 && kv->value[0] != '\0' &&
        kv->value[strspn(kv->value, "0123456789")] == '\0') {
        add_issue(d, kv->line,
                  xasprintf("duration '%s' has no unit: %s what? e.g. %sm", kv->value, kv->value,
                            kv->value));
        return false;
    }
    if (kv->value[0] == '\0' || !duration_parse(kv->value, &secs)) {
        add_issue(d, kv->line,
                  xasprintf("bad duration '%s' for %s (e.g. 90s, 5m, 1h)", kv->value, kv->key));
        return false;
    }
    if (secs < min || secs > INT_MAX / 1000) {
        add_issue(d, kv->line,
                  xasprintf("%s '%s' is out of range (%ds to 24 days)", kv->key, kv->value, min));
        return false;
    }
    *out = (int)secs;
    return true;
}

/* T+MM, T+MM:SS or a duration; false when it is none. */
static bool parse_offset(const char *v, int *out)
{
    if ((v[0] == 'T' || v[0] == 't') && v[1] == '+') {
        const char *p = v + 2;
        long mm = 0, ss = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 5) {
            mm = mm * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0) {
            return false;
        }
        if (*p == ':') {
            p++;
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1])) {
                return false;
            }
            ss = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
            if (ss >= 60) {
                return false;
            }
        }
        if (*p != '\0') {
            return false;
        }
        *out = (int)(mm * 60 + ss);
        return true;
    }
    int64_t secs;
    if (v[0] == '\0' || !duration_parse(v, &secs) || secs > INT_MAX / 1000) {
        return false;
    }
    *out = (int)secs;
    return true;
}

bool drill_parse_offset(const char *v, int *out)
{
    return parse_offset(v, out);
}

/* "PANE VERB TARGET [INPUT]"; issues for a short one, an unknown pane or an odd verb. */
static bool parse_act(struct drill *d, const struct mdoc_kv *kv, struct drill_act *a)
{
    char *words[3] = {NULL, NULL, NULL};
    const char *p = kv->value;
    for (int i = 0; i < 3; i++) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        size_t n = strcspn(p, " \t");
        if (n == 0) {
            add_issue(d, kv->line,
                      xasprintf("%s needs PANE VERB TARGET [INPUT], got '%s'", kv->key, kv->value));
            for (int k = 0; k < i; k++) {
                free(words[k]);
            }
            return false;
        }
        words[i] = xstrndup(p, n);
        p += n;
    }
    memset(a, 0, sizeof *a);
    a->pane = words[0];
    a->verb = words[1];
    a->target = words[2];
    char *input = mdoc_trim_dup(p, strlen(p));
    if (input[0] != '\0') {
        a->input = input;
    } else {
        free(input);
    }
    bool ok = true;
    enum model_kind kind;
    if (!model_kind_from_name(a->pane, &kind)) {
        add_issue(d, kv->line,
                  xasprintf("unknown pane '%s' in %s (alerts, queues, pools, deploys)", a->pane,
                            kv->key));
        ok = false;
    }
    bool verb_ok = islower((unsigned char)a->verb[0]);
    for (const char *c = a->verb; *c != '\0'; c++) {
        verb_ok = verb_ok && (islower((unsigned char)*c) || isdigit((unsigned char)*c) ||
                              *c == '-' || *c == '_');
    }
    if (!verb_ok) {
        add_issue(d, kv->line,
                  xasprintf("'%s' in %s is not a verb (a lower-case word: drain, ready, pause...)",
                            a->verb, kv->key));
        ok = false;
    }
    if (!ok) {
        drill_act_finish(a);
    }
    return ok;
}

/* Does a live condition parse (variables stand for a value)? An issue when not. */
static void check_cond(struct drill *d, int line, const char *text)
{
    char *cause = NULL;
    if (!cond_check(text, &cause)) {
        add_issue(d, line, cause);
    }
}

/* The line of a key in a node, or the node's own line. */
static int key_line(const struct mdoc_node *n, const char *key)
{
    for (size_t i = 0; i < n->nkvs; i++) {
        if (strcmp(n->kvs[i].key, key) == 0) {
            return n->kvs[i].line;
        }
    }
    return n->line;
}

static bool has_key(const struct mdoc_node *n, const char *key)
{
    for (size_t i = 0; i < n->nkvs; i++) {
        if (strcmp(n->kvs[i].key, key) == 0) {
            return true;
        }
    }
    return false;
}

/* Rejects a second use of a key that is not repeatable; true the first time. */
static bool first_use(struct drill *d, const struct mdoc_node *n, size_t at)
{
    for (size_t i = 0; i < at; i++) {
        if (strcmp(n->kvs[i].key, n->kvs[at].key) == 0) {
            add_issue(d, n->kvs[at].line, xasprintf("duplicate key '%s'", n->kvs[at].key));
            return false;
        }
    }
    return true;
}

/* ---- the drill block ---- */

struct pending_role {
    char *id;
    int line;
};

/* What the block names and is checked once the whole block is read. */
struct block {
    char *facilitator;
    int facilitator_line;
    char **observers;
    size_t nobservers;
    int observers_line;
    int line; /* of drill: */
    bool kind_seen;
};

static int role_index(const struct drill *d, const char *id)
{
    for (size_t i = 0; i < d->nroles; i++) {
        if (strcmp(d->roles[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void block_role(struct drill *d, const struct mdoc_kv *kv)
{
    const char *eq = strchr(kv->value, '=');
    char *id = mdoc_trim_dup(kv->value, eq != NULL ? (size_t)(eq - kv->value) : strlen(kv->value));
    char *name = eq != NULL ? mdoc_trim_dup(eq + 1, strlen(eq + 1)) : NULL;
    if (!is_word(id) || name == NULL || name[0] == '\0') {
        add_issue(d, kv->line, xasprintf("role needs ID = description, got '%s'", kv->value));
        free(id);
        free(name);
        return;
    }
    if (role_index(d, id) >= 0) {
        add_issue(d, kv->line, xasprintf("role '%s' is declared twice", id));
        free(id);
        free(name);
        return;
    }
    d->roles = xreallocarray(d->roles, d->nroles + 1, sizeof *d->roles);
    memset(&d->roles[d->nroles], 0, sizeof d->roles[d->nroles]);
    d->roles[d->nroles].id = id;
    d->roles[d->nroles].name = name;
    d->nroles++;
}

static void block_kv(struct drill *d, struct block *b, const struct mdoc_node *n, size_t i)
{
    const struct mdoc_kv *kv = &n->kvs[i];
    const char *v = kv->value;
    const char *k = kv->key;
    bool repeatable =
        strcmp(k, "objective") == 0 || strcmp(k, "role") == 0 || strcmp(k, "stop_when") == 0;
    if (!repeatable && !first_use(d, n, i)) {
        return;
    }
    if (v[0] == '\0') {
        add_issue(d, kv->line, xasprintf("empty value for '%s'", k));
        return;
    }
    if (strcmp(k, "drill") == 0) {
        b->line = kv->line;
        b->kind_seen = true;
        if (strcasecmp(v, "tabletop") == 0) {
            d->kind = DRILL_TABLETOP;
        } else if (strcasecmp(v, "live") == 0) {
            d->kind = DRILL_LIVE;
        } else {
            add_issue(d, kv->line, xasprintf("bad drill kind '%s' (tabletop or live)", v));
        }
    } else if (strcmp(k, "duration") == 0) {
        parse_secs(d, kv, 1, &d->duration_s);
    } else if (strcmp(k, "label") == 0) {
        set_str(&d->label, v);
    } else if (strcmp(k, "abort_word") == 0) {
        set_str(&d->abort_word, v);
    } else if (strcmp(k, "notify") == 0) {
        char *w = xstrdup(v);
        mdoc_strip_comment(w); /* taken whole in injects (a message); a word here */
        if (strcasecmp(w, "sandbox") == 0) {
            d->notify_live = false;
        } else if (strcasecmp(w, "live") == 0) {
            d->notify_live = true;
        } else {
            add_issue(d, kv->line, xasprintf("bad notify '%s' (sandbox or live)", w));
        }
        free(w);
    } else if (strcmp(k, "sandbox_env") == 0) {
        set_str(&d->sandbox_env, v);
    } else if (strcmp(k, "players_mark") == 0 || strcmp(k, "players-mark") == 0) {
        if (!str_parse_bool(v, &d->players_mark)) {
            add_issue(d, kv->line, xasprintf("bad %s '%s' (true or false)", k, v));
        }
    } else if (strcmp(k, "objective") == 0) {
        drill_objective_add(d, v);
    } else if (strcmp(k, "role") == 0) {
        block_role(d, kv);
    } else if (strcmp(k, "facilitator") == 0) {
        set_str(&b->facilitator, v);
        b->facilitator_line = kv->line;
    } else if (strcmp(k, "observers") == 0) {
        split_list(v, &b->observers, &b->nobservers);
        b->observers_line = kv->line;
    } else if (strcmp(k, "stop_when") == 0) {
        check_cond(d, kv->line, v);
        drill_stop_when_add(d, v, kv->line);
    } else if (drill_extra_block_key(d, kv)) {
        /* intro, seed, notify_ROLE */
    } else {
        add_issue(d, kv->line,
                  xasprintf("unknown key '%s' in the drill block (drill, duration, label, "
                            "abort_word, notify, sandbox_env, players_mark, objective, role, "
                            "facilitator, observers, stop_when, intro, seed, notify_ROLE)",
                            k));
    }
}

static void drill_block(struct drill *d, const struct mdoc_node *n)
{
    struct block b = {.line = n->line};
    for (size_t i = 0; i < n->nkvs; i++) {
        block_kv(d, &b, n, i);
    }
    if (!b.kind_seen) {
        add_issue(d, n->line, xasprintf("the drill block has no drill: (tabletop or live)"));
    }
    if (b.facilitator == NULL) {
        add_issue(d, b.line, xasprintf("no facilitator: one role must run the game"));
    } else if (strchr(b.facilitator, ',') != NULL || strchr(b.facilitator, ' ') != NULL) {
        add_issue(d, b.facilitator_line,
                  xasprintf("exactly one facilitator, got '%s'", b.facilitator));
    } else {
        int r = role_index(d, b.facilitator);
        if (r < 0) {
            add_issue(d, b.facilitator_line,
                      xasprintf("facilitator '%s' is not a role (role: %s = ...)", b.facilitator,
                                b.facilitator));
        } else {
            d->roles[r].facilitator = true;
        }
    }
    for (size_t i = 0; i < b.nobservers; i++) {
        int r = role_index(d, b.observers[i]);
        if (r < 0) {
            add_issue(d, b.observers_line,
                      xasprintf("observer '%s' is not a role", b.observers[i]));
        } else {
            d->roles[r].observer = true;
        }
        free(b.observers[i]);
    }
    free(b.observers);
    free(b.facilitator);
    drill_extra_block_end(d, n);
    if (d->label == NULL) {
        d->label = xstrdup("[DRILL]");
    }
}

/* ---- injects ---- */

/* The lines of to and contingency, for the cross checks; rollbacks until they are paired. */
struct inject_lines {
    int to;
    int contingency;
    struct drill_act *rollbacks;
    int *rollback_lines;
    size_t nrollbacks;
};

static void inject_kv(struct drill *d, struct drill_inject *in, struct inject_lines *il,
                      const struct mdoc_node *n, size_t i, char **id)
{
    static const char *const channels[] = {"page", "dashboard", "email", "announce", NULL};
    const struct mdoc_kv *kv = &n->kvs[i];
    const char *k = kv->key;
    const char *v = kv->value;
    bool repeatable = strcmp(k, "expect") == 0 || strcmp(k, "chaos") == 0 ||
                      strcmp(k, "rollback") == 0 || strcmp(k, "on_miss") == 0;
    if (!repeatable && !first_use(d, n, i)) {
        return;
    }
    if (v[0] == '\0') {
        add_issue(d, kv->line, xasprintf("empty value for '%s'", k));
        return;
    }
    if (strcmp(k, "id") == 0) {
        if (!is_word(v)) {
            add_issue(d, kv->line, xasprintf("inject id '%s' is not one word", v));
        } else {
            set_str(id, v);
        }
    } else if (strcmp(k, "at") == 0) {
        if (strcasecmp(v, "contingency") == 0) {
            in->at_s = -1;
        } else if (strstr(v, "..") != NULL) {
            /* T+10..15: drawn at start (drill_extra_draw); the second half may omit T+ */
            const char *dots = strstr(v, "..");
            char *lo = xstrndup(v, (size_t)(dots - v));
            char *hi = (dots[2] == 'T' || dots[2] == 't') ? xstrdup(dots + 2)
                                                          : xasprintf("T+%s", dots + 2);
            int hs = 0;
            if (!parse_offset(lo, &in->at_s) || !parse_offset(hi, &hs) || hs <= in->at_s) {
                in->at_s = 0;
                add_issue(d, kv->line,
                          xasprintf("bad range '%s' (T+A..B with A before B, e.g. T+10..15)", v));
            } else if (d->duration_s > 0 && hs > d->duration_s) {
                add_issue(d, kv->line,
                          xasprintf("inject at '%s' may be after the end of the drill", v));
            }
            in->at_max_s = hs > in->at_s ? hs : in->at_s;
            free(lo);
            free(hi);
        } else if (!parse_offset(v, &in->at_s)) {
            in->at_s = 0;
            add_issue(d, kv->line,
                      xasprintf("bad offset '%s' (T+MM, T+MM:SS, a duration such as 90s, or "
                                "contingency)",
                                v));
        } else if (d->duration_s > 0 && in->at_s > d->duration_s) {
            add_issue(d, kv->line, xasprintf("inject at '%s' is after the end of the drill", v));
        }
    } else if (strcmp(k, "to") == 0) {
        il->to = kv->line;
        split_list(v, &in->to, &in->nto);
    } else if (strcmp(k, "channel") == 0) {
        if (!str_in(v, channels)) {
            add_issue(d, kv->line,
                      xasprintf("unknown channel '%s' (page, dashboard, email, announce)", v));
        }
        set_str(&in->channel, v);
    } else if (strcmp(k, "expect") == 0) {
        drill_expect_parse(d, in, kv); /* drill_expect.c */
    } else if (strcmp(k, "contingency") == 0) {
        il->contingency = kv->line;
        set_str(&in->contingency, v);
    } else if (strcmp(k, "chaos") == 0 || strcmp(k, "rollback") == 0) {
        bool chaos = k[0] == 'c';
        if (chaos && d->kind == DRILL_TABLETOP) {
            add_issue(d, kv->line,
                      xasprintf("chaos in a tabletop drill (drill: live acts on real systems)"));
        }
        struct drill_act a;
        bool restore = !chaos && strcmp(v, "restore") == 0;
        bool ok = restore || parse_act(d, kv, &a);
        if (restore) {
            /* "PANE restore TARGET" once paired with its chaos (make_inject) */
            memset(&a, 0, sizeof a);
            a.verb = xstrdup("restore");
        }
        if (chaos) {
            /* Kept in order even when bad, so the pairing with rollbacks stays right. */
            in->chaos = xreallocarray(in->chaos, in->nchaos + 1, sizeof *in->chaos);
            memset(&in->chaos[in->nchaos], 0, sizeof in->chaos[in->nchaos]);
            if (ok) {
                in->chaos[in->nchaos].action = a;
            }
            in->chaos[in->nchaos].line = kv->line;
            in->nchaos++;
        } else {
            il->rollbacks = xreallocarray(il->rollbacks, il->nrollbacks + 1, sizeof *il->rollbacks);
            il->rollback_lines =
                xreallocarray(il->rollback_lines, il->nrollbacks + 1, sizeof *il->rollback_lines);
            memset(&il->rollbacks[il->nrollbacks], 0, sizeof il->rollbacks[il->nrollbacks]);
            if (ok) {
                il->rollbacks[il->nrollbacks] = a;
            }
            il->rollback_lines[il->nrollbacks] = kv->line;
            il->nrollbacks++;
        }
    } else if (strcmp(k, "on_miss") == 0) {
        /* after an expect: that expectation's; before any: the inject's contingency */
        if (in->nexpects > 0) {
            set_str(&in->expects[in->nexpects - 1].on_miss, v);
        } else if (in->contingency != NULL) {
            add_issue(d, kv->line,
                      xasprintf("on_miss before any expect: is the contingency, "
                                "given twice"));
        } else {
            il->contingency = kv->line;
            set_str(&in->contingency, v);
        }
    } else if (strcmp(k, "backend") == 0) {
        set_str(&in->backend, v);
    } else if (strcmp(k, "auto") == 0) {
        if (!str_parse_bool(v, &in->auto_chaos)) {
            add_issue(d, kv->line, xasprintf("bad auto '%s' (true or false)", v));
        }
    } else if (strcmp(k, "notify") == 0) {
        set_str(&in->notify, v);
    } else if (strcmp(k, "ttl") == 0) {
        parse_secs(d, kv, 1, &in->ttl_s); /* the lifetime of its chaos (game_guard.c) */
    } else if (drill_extra_inject_key(d, in, kv)) {
        /* hidden, choice */
    } else {
        add_issue(d, kv->line,
                  xasprintf("unknown key '%s' for an inject (id, at, to, channel, expect, "
                            "contingency, on_miss, chaos, rollback, backend, auto, notify, "
                            "ttl, hidden, choice)",
                            k));
    }
}

static void make_inject(struct drill *d, const struct mdoc_node *n, struct drill_inject *in,
                        char **id, int *to_line, int *cont_line)
{
    struct inject_lines il = {0};
    memset(in, 0, sizeof *in);
    in->title = xstrdup(n->title[0] != '\0' ? n->title : "(untitled)");
    drill_extra_inject_text(d, in, n);
    in->line = n->line;
    for (size_t i = 0; i < n->nkvs; i++) {
        inject_kv(d, in, &il, n, i, id);
    }
    if (in->at_max_s < in->at_s || in->at_s < 0) {
        in->at_max_s = in->at_s;
    }
    in->at_min_s = in->at_s;
    if (in->channel == NULL) {
        in->channel = xstrdup("announce");
    }
    if (in->nchaos != il.nrollbacks) {
        int line = in->nchaos > il.nrollbacks ? in->chaos[il.nrollbacks].line
                                              : il.rollback_lines[in->nchaos];
        add_issue(d, line,
                  xasprintf("%zu chaos action%s but %zu rollback%s: each chaos needs its "
                            "rollback, in the same order",
                            in->nchaos, in->nchaos == 1 ? "" : "s", il.nrollbacks,
                            il.nrollbacks == 1 ? "" : "s"));
    }
    for (size_t i = 0; i < il.nrollbacks; i++) {
        if (i < in->nchaos) {
            struct drill_act *r = &il.rollbacks[i];
            const struct drill_act *c = &in->chaos[i].action;
            in->chaos[i].restore =
                r->pane == NULL && r->verb != NULL && strcmp(r->verb, "restore") == 0;
            if (in->chaos[i].restore) {
                r->pane = xstrdup(c->pane != NULL ? c->pane : "?");
                r->target = xstrdup(c->target != NULL ? c->target : "?");
            }
            in->chaos[i].rollback = *r;
        } else {
            drill_act_finish(&il.rollbacks[i]);
        }
    }
    free(il.rollbacks);
    free(il.rollback_lines);
    *to_line = il.to;
    *cont_line = il.contingency;
}

/* ---- checks ---- */

static void check_kv(struct drill *d, struct drill_check *c, const struct mdoc_node *n, size_t i,
                     char **id)
{
    const struct mdoc_kv *kv = &n->kvs[i];
    const char *k = kv->key;
    const char *v = kv->value;
    if (!first_use(d, n, i)) {
        return;
    }
    if (v[0] == '\0') {
        add_issue(d, kv->line, xasprintf("empty value for '%s'", k));
        return;
    }
    if (strcmp(k, "id") == 0) {
        if (!is_word(v)) {
            add_issue(d, kv->line, xasprintf("check id '%s' is not one word", v));
        } else {
            set_str(id, v);
        }
    } else if (strcmp(k, "check") == 0) {
        if (strcasecmp(v, "before") == 0) {
            c->when = DRILL_BEFORE;
        } else if (strcasecmp(v, "during") == 0) {
            c->when = DRILL_DURING;
        } else if (strcasecmp(v, "after") == 0) {
            c->when = DRILL_AFTER;
        } else if (strcasecmp(v, "stop") == 0) {
            c->when = DRILL_STOP;
        } else {
            add_issue(d, kv->line, xasprintf("bad check '%s' (before, during, after, stop)", v));
        }
    } else if (strcmp(k, "until") == 0) {
        set_str(&c->until, v);
        check_cond(d, kv->line, v);
    } else if (strcmp(k, "run") == 0) {
        set_str(&c->run, v);
    } else if (strcmp(k, "expect") == 0) {
        char *end, *w = xstrdup(v);
        mdoc_strip_comment(w); /* expect is a free key for injects' #TAGs */
        long code = strtol(w, &end, 10);
        if (isdigit((unsigned char)w[0]) && *end == '\0' && code >= 0 && code <= 255) {
            c->expect_exit = (int)code;
        } else {
            add_issue(d, kv->line, xasprintf("bad expect '%s' (an exit code 0-255)", w));
        }
        free(w);
    } else if (strcmp(k, "tolerance") == 0) {
        parse_secs(d, kv, 0, &c->tolerance_s);
    } else if (strcmp(k, "interval") == 0 || strcmp(k, "timeout") == 0) {
        int s;
        if (parse_secs(d, kv, 1, &s)) {
            *(k[0] == 'i' ? &c->interval_ms : &c->timeout_ms) = s * 1000;
        }
    } else {
        add_issue(d, kv->line,
                  xasprintf("unknown key '%s' for a check (id, check, until, run, expect, "
                            "tolerance, interval, timeout)",
                            k));
    }
}

static void make_check(struct drill *d, const struct mdoc_node *n, struct drill_check *c, char **id)
{
    memset(c, 0, sizeof *c);
    c->title = xstrdup(n->title[0] != '\0' ? n->title : "(untitled)");
    c->line = n->line;
    c->interval_ms = 5000;
    c->timeout_ms = 30000;
    for (size_t i = 0; i < n->nkvs; i++) {
        check_kv(d, c, n, i, id);
    }
    if (c->until == NULL && c->run == NULL) {
        add_issue(d, n->line, xasprintf("check without until or run"));
    } else if (c->until != NULL && c->run != NULL) {
        add_issue(d, key_line(n, "run"), xasprintf("check with both until and run: use one"));
    }
}

/* ---- Debrief and Report: list items ---- */

/* The top-level items of the lists in a body ("- x", "1. x"); continuations are joined. */
static void list_items(const struct mdoc_node *n, char ***out, size_t *count)
{
    char *body = mdoc_body_text(&n->body);
    struct strbuf item = {0};
    bool in_item = false;
    char *save = NULL;
    for (char *line = strtok_r(body, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        const char *text = NULL;
        if (line[0] == '-' && line[1] == ' ') {
            text = line + 2;
        } else if (isdigit((unsigned char)line[0])) {
            const char *p = line;
            while (isdigit((unsigned char)*p)) {
                p++;
            }
            if (p[0] == '.' && p[1] == ' ') {
                text = p + 2;
            }
        }
        if (text != NULL) {
            if (in_item) {
                push_str(out, count, mdoc_trim_dup(item.s, item.n));
            }
            item.n = 0;
            strbuf_str(&item, text);
            in_item = true;
        } else if (in_item && line[0] == ' ') {
            strbuf_str(&item, " ");
            strbuf_str(&item, line + strspn(line, " "));
        } else if (in_item) {
            push_str(out, count, mdoc_trim_dup(item.s, item.n));
            in_item = false;
        }
    }
    if (in_item) {
        push_str(out, count, mdoc_trim_dup(item.s, item.n));
    }
    free(item.s);
    free(body);
}

/* ---- ids and order ---- */

/* Written ids first, then slugs of titles with -2, -3 for duplicates. */
static void give_ids(struct drill *d, char **ids, const int *lines, char **titles, size_t n,
                     char **out, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == NULL) {
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (out[j] != NULL && strcmp(out[j], ids[i]) == 0) {
                add_issue(d, lines[i], xasprintf("%s id '%s' is used twice", what, ids[i]));
                free(ids[i]);
                ids[i] = NULL;
                break;
            }
        }
        out[i] = ids[i];
        ids[i] = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (out[i] != NULL) {
            continue;
        }
        char *base = mdoc_slug(titles[i]);
        if (base[0] == '\0') {
            free(base);
            base = xasprintf("%s-%zu", what, i + 1);
        }
        char *id = xstrdup(base);
        for (int suffix = 2;; suffix++) {
            bool taken = false;
            for (size_t j = 0; j < n && !taken; j++) {
                taken = out[j] != NULL && strcmp(out[j], id) == 0;
            }
            if (!taken) {
                break;
            }
            free(id);
            id = xasprintf("%s-%d", base, suffix);
        }
        free(base);
        out[i] = id;
    }
}

struct inject_at {
    struct drill_inject in;
    int to_line, cont_line;
    size_t order;
};

static int inject_cmp(const void *a, const void *b)
{
    const struct inject_at *x = a, *y = b;
    /* Contingencies (-1) go last: as unsigned they are the largest. */
    unsigned xa = (unsigned)x->in.at_s, ya = (unsigned)y->in.at_s;
    if (xa != ya) {
        return xa < ya ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Roles in to, contingencies: once every inject and role is known. */
static void cross_check(struct drill *d, const struct inject_at *v)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        const struct drill_inject *in = &d->injects[i];
        for (size_t t = 0; t < in->nto; t++) {
            if (role_index(d, in->to[t]) < 0) {
                add_issue(d, v[i].to_line,
                          xasprintf("role '%s' in to is not declared (role: %s = ...)", in->to[t],
                                    in->to[t]));
            }
        }
        if (in->contingency != NULL) {
            int c = drill_find_inject(d, in->contingency);
            if (c < 0) {
                add_issue(d, v[i].cont_line,
                          xasprintf("contingency '%s' is not an inject", in->contingency));
            } else if (d->injects[c].at_s >= 0) {
                add_issue(d, v[i].cont_line,
                          xasprintf("contingency '%s' is not a contingency inject (at: "
                                    "contingency)",
                                    in->contingency));
            } else if ((size_t)c == i) {
                add_issue(d, v[i].cont_line,
                          xasprintf("inject '%s' is its own contingency", in->contingency));
            }
        }
    }
}

static void build(struct drill *d, const struct mdoc *m, size_t block)
{
    const struct mdoc_node *bn = &m->nodes[block];
    drill_block(d, bn);
    d->intro = mdoc_body_text(&bn->body);
    if (d->title == NULL && block > 0) {
        d->title = xstrdup(bn->title);
    }
    size_t ni = 0, nc = 0;
    for (size_t i = block + 1; i < m->nnodes; i++) {
        bool a = has_key(&m->nodes[i], "at"), c = has_key(&m->nodes[i], "check");
        ni += a && !c;
        nc += c && !a;
    }
    struct inject_at *v = xcalloc(ni + 1, sizeof *v);
    char **iids = xcalloc(ni + 1, sizeof *iids), **ititles = xcalloc(ni + 1, sizeof *ititles);
    int *ilines = xcalloc(ni + 1, sizeof *ilines);
    d->checks = xcalloc(nc + d->nstop_when + 1, sizeof *d->checks);
    char **cids = xcalloc(nc + 1, sizeof *cids), **ctitles = xcalloc(nc + 1, sizeof *ctitles);
    int *clines = xcalloc(nc + 1, sizeof *clines);
    size_t at = 0;
    for (size_t i = block + 1; i < m->nnodes; i++) {
        const struct mdoc_node *n = &m->nodes[i];
        bool inject = has_key(n, "at"), check = has_key(n, "check");
        if (inject && check) {
            /* Which one was meant is a guess: say so once rather than a list of wrong keys. */
            add_issue(d, key_line(n, "check"),
                      xasprintf("a heading is an inject (at:) or a check (check:), not both"));
        } else if (inject) {
            make_inject(d, n, &v[at].in, &iids[at], &v[at].to_line, &v[at].cont_line);
            ilines[at] = key_line(n, "id");
            ititles[at] = v[at].in.title;
            v[at].order = at;
            at++;
        } else if (check) {
            make_check(d, n, &d->checks[d->nchecks], &cids[d->nchecks]);
            clines[d->nchecks] = key_line(n, "id");
            ctitles[d->nchecks] = d->checks[d->nchecks].title;
            d->nchecks++;
        } else if (strcasecmp(n->title, "debrief") == 0) {
            list_items(n, &d->debrief, &d->ndebrief);
        } else if (strcasecmp(n->title, "report") == 0) {
            list_items(n, &d->sections, &d->nsections);
        } else if (drill_extra_section(d, n)) {
            /* Facilitator notes */
        } else if (n->nkvs > 0) {
            add_issue(d, n->kvs[0].line,
                      xasprintf("an opsdeck block here needs at: (an inject) or check: (a "
                                "check)"));
        }
    }
    char **out = xcalloc(ni + 1, sizeof *out);
    give_ids(d, iids, ilines, ititles, ni, out, "inject");
    for (size_t i = 0; i < ni; i++) {
        v[i].in.id = out[i];
    }
    free(out);
    out = xcalloc(nc + 1, sizeof *out);
    give_ids(d, cids, clines, ctitles, nc, out, "check");
    for (size_t i = 0; i < nc; i++) {
        d->checks[i].id = out[i];
    }
    free(out);
    drill_stop_when_checks(d); /* after the headings' checks, ids taken */
    qsort(v, ni, sizeof *v, inject_cmp);
    d->injects = xcalloc(ni + 1, sizeof *d->injects);
    for (size_t i = 0; i < ni; i++) {
        d->injects[i] = v[i].in;
    }
    d->ninjects = ni;
    drill_extra_cross(d);
    cross_check(d, v);
    drill_expect_lint(d);
    free(v);
    free(iids);
    free(ititles);
    free(ilines);
    free(cids);
    free(ctitles);
    free(clines);
}

/* ---- entry points ---- */

/* The first node with an annotation, if that annotation says drill:; else -1. */
static int find_block(const struct mdoc *m)
{
    for (size_t i = 0; i < m->nnodes; i++) {
        if (m->nodes[i].nkvs > 0) {
            return has_key(&m->nodes[i], "drill") ? (int)i : -1;
        }
    }
    return -1;
}

static const char *skip_bom(const char *text, size_t *len)
{
    if (*len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        *len -= 3;
        return text + 3;
    }
    return text;
}

bool drill_detect(const char *text, size_t len)
{
    size_t bad;
    if (text == NULL || len > DRILL_MAX_BYTES) {
        return false;
    }
    text = skip_bom(text, &len);
    /* Cheap first: no "drill" anywhere, no drill. */
    bool any = false;
    for (size_t i = 0; i + 5 <= len && !any; i++) {
        any = strncasecmp(text + i, "drill", 5) == 0;
    }
    if (!any || !mdoc_valid_text(text, len, &bad)) {
        return false;
    }
    struct mdoc m;
    mdoc_init(&m, text, len);
    bool ok = mdoc_parse_markdown(&m, free_keys, DRILL_MAX_NODES) && find_block(&m) >= 0;
    mdoc_finish(&m);
    return ok;
}

struct drill *drill_parse(const char *text, size_t len, const char *path, char **cause)
{
    const char *name = path != NULL ? path : "drill";
    if (len > DRILL_MAX_BYTES) {
        *cause = xasprintf("%s: larger than 4 MiB", name);
        return NULL;
    }
    if (text == NULL) {
        text = "";
        len = 0;
    }
    text = skip_bom(text, &len);
    struct mdoc m;
    mdoc_init(&m, text, len);
    size_t bad;
    if (!mdoc_valid_text(text, len, &bad)) {
        *cause = xasprintf("%s:%d: not a drill: not UTF-8 text (byte %zu%s)", name,
                           mdoc_line_at(&m, bad), bad,
                           mdoc_is_control(text, len, bad) ? ", a control character" : "");
        mdoc_finish(&m);
        return NULL;
    }
    if (!mdoc_parse_markdown(&m, free_keys, DRILL_MAX_NODES)) {
        if (m.too_many) {
            *cause = xasprintf("%s:%d: not a drill: more than %d headings", name,
                               m.nodes[m.nnodes - 1].line, DRILL_MAX_NODES);
        } else {
            *cause = xasprintf("%s:1: not a drill: the Markdown parser failed", name);
        }
        mdoc_finish(&m);
        return NULL;
    }
    int block = find_block(&m);
    if (block < 0) {
        *cause = xasprintf("%s:1: not a drill: its first opsdeck block has no drill: key", name);
        mdoc_finish(&m);
        return NULL;
    }
    struct drill *d = xcalloc(1, sizeof *d);
    d->path = xstrdup(name);
    d->hash = mdoc_hash(text, len);
    for (size_t i = 0; i < m.nissues; i++) {
        add_issue(d, m.issues[i].line, m.issues[i].message);
    }
    m.nissues = 0;
    d->title = m.title;
    m.title = NULL;
    build(d, &m, (size_t)block);
    mdoc_finish(&m);
    if (d->title == NULL || d->title[0] == '\0') {
        free(d->title);
        d->title = mdoc_default_title(name);
    }
    mdoc_issues_sort(d->issues, d->nissues);
    return d;
}

struct drill *drill_load(const char *path, char **cause)
{
    size_t len = 0;
    char *buf = mdoc_read_file(path, DRILL_MAX_BYTES, &len, cause);
    if (buf == NULL) {
        return NULL;
    }
    struct drill *x = drill_parse(buf, len, path, cause);
    free(buf);
    return x;
}
