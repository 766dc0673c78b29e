/*
 * Chaos verbs (chaosverb.h): three small tables and their lookups.
 */
#include "chaosverb.h"

#include "../backends/backend.h"
#include "../common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Which verbs undo a verb (space-separated). A verb missing here cannot be rolled back. */
static const struct inverse {
    const char *verb;
    const char *undo;
} inverses[] = {
    {"drain", "ready"}, {"maint", "ready"},    {"ready", "drain maint"}, {"weight", "weight"},
    {"scale", "scale"}, {"pause", "resume"},   {"resume", "pause"},      {"stop", "start"},
    {"start", "stop"},  {"disable", "enable"}, {"enable", "disable"},    {"silence", "expire"},
};

/* How a value read from a row becomes the action that puts it back. */
enum restore_how {
    RESTORE_VALUE,     /* the same verb with the value as input (weight 37) */
    RESTORE_ADMIN,     /* a server's admin state: MAINT -> maint, DRAIN -> drain, else ready */
    RESTORE_REPLICAS,  /* READY "2/3": scale to the desired 3 */
    RESTORE_ROLLOUT,   /* paused -> pause, else resume */
    RESTORE_CONSUMERS, /* consumers > 0 -> start, else stop */
};

/* `rollback: restore`: which field of the pane's row a chaos verb changes. */
static const struct restore_rule {
    enum model_kind kind;
    const char *verbs; /* the chaos verbs it undoes, space-separated */
    int column;
    const char *field; /* its name in chaos.plan's before: {} */
    enum restore_how how;
} restores[] = {
    {MODEL_POOLS, "drain maint ready", POOL_STATUS, "status", RESTORE_ADMIN},
    {MODEL_POOLS, "weight", POOL_WEIGHT, "weight", RESTORE_VALUE},
    {MODEL_DEPLOYS, "scale", DEPLOY_READY, "replicas", RESTORE_REPLICAS},
    {MODEL_DEPLOYS, "pause resume", DEPLOY_STATE, "rollout", RESTORE_ROLLOUT},
    {MODEL_QUEUES, "stop start", QUEUE_CONSUMERS, "consumers", RESTORE_CONSUMERS},
};

/* Is word one of the space-separated words of list? (case-insensitive) */
static bool in_words(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p != '\0';) {
        while (*p != '\0' && !isalnum((unsigned char)*p)) {
            p++;
        }
        size_t k = 0;
        while (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_') {
            k++;
        }
        if (k > 0 && k == n && strncasecmp(p, word, n) == 0) {
            return true;
        }
        p += k;
    }
    return false;
}

bool chaosverb_known(enum model_kind kind, const char *verb)
{
    const struct backend_impl *const *impls = backend_impls();
    for (size_t i = 0; verb != NULL && impls[i] != NULL; i++) {
        for (int k = 0; k < impls[i]->nactions; k++) {
            const struct action_def *a = &impls[i]->actions[k];
            if (a->kind == kind && strcmp(a->verb, verb) == 0) {
                return true;
            }
        }
    }
    return false;
}

char *chaosverb_list(enum model_kind kind)
{
    struct strbuf sb = {0};
    const struct backend_impl *const *impls = backend_impls();
    for (size_t i = 0; impls[i] != NULL; i++) {
        for (int k = 0; k < impls[i]->nactions; k++) {
            const struct action_def *a = &impls[i]->actions[k];
            if (a->kind == kind && (sb.s == NULL || !in_words(sb.s, a->verb))) {
                strbuf_printf(&sb, "%s%s", sb.s != NULL ? ", " : "", a->verb);
            }
        }
    }
    return sb.s != NULL ? sb.s : xstrdup("none");
}

static const struct inverse *inverse_of(const char *verb)
{
    for (size_t i = 0; i < sizeof inverses / sizeof inverses[0]; i++) {
        if (strcmp(inverses[i].verb, verb) == 0) {
            return &inverses[i];
        }
    }
    return NULL;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool chaosverb_inverse_ok(const struct drill_act *chaos, const struct drill_act *rollback,
                          char **cause)
{
    if (same(chaos->pane, rollback->pane) && same(chaos->verb, rollback->verb) &&
        same(chaos->target, rollback->target) && same(chaos->input, rollback->input)) {
        *cause = xasprintf("rollback '%s %s %s' is the same action as its chaos: it undoes nothing",
                           rollback->pane, rollback->verb, rollback->target);
        return false;
    }
    if (!same(chaos->pane, rollback->pane) || !same(chaos->target, rollback->target)) {
        *cause = xasprintf("rollback acts on %s %s, its chaos on %s %s: a rollback undoes its "
                           "chaos on the same target",
                           rollback->pane, rollback->target, chaos->pane, chaos->target);
        return false;
    }
    const struct inverse *inv = inverse_of(chaos->verb);
    if (inv == NULL) {
        *cause = xasprintf("no verb undoes '%s %s': it cannot be a chaos action with a rollback",
                           chaos->pane, chaos->verb);
        return false;
    }
    if (!in_words(inv->undo, rollback->verb)) {
        *cause = xasprintf("rollback '%s' does not undo '%s' (use %s, or rollback: restore)",
                           rollback->verb, chaos->verb, inv->undo);
        return false;
    }
    return true;
}

static const struct restore_rule *restore_rule(const struct drill_act *chaos)
{
    enum model_kind kind;
    if (chaos->pane == NULL || chaos->verb == NULL || !model_kind_from_name(chaos->pane, &kind)) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof restores / sizeof restores[0]; i++) {
        if (restores[i].kind == kind && in_words(restores[i].verbs, chaos->verb)) {
            return &restores[i];
        }
    }
    return NULL;
}

bool chaosverb_restorable(const struct drill_act *chaos, char **cause)
{
    if (restore_rule(chaos) != NULL) {
        return true;
    }
    struct strbuf sb = {0};
    enum model_kind kind;
    bool pane = chaos->pane != NULL && model_kind_from_name(chaos->pane, &kind);
    for (size_t i = 0; pane && i < sizeof restores / sizeof restores[0]; i++) {
        if (restores[i].kind == kind) {
            for (const char *v = restores[i].verbs; *v != '\0';) {
                size_t k = strcspn(v, " ");
                strbuf_printf(&sb, "%s%.*s", sb.s != NULL ? ", " : "", (int)k, v);
                v += k + (v[k] == ' ');
            }
        }
    }
    *cause = xasprintf("rollback: restore cannot undo '%s %s' (on %s it restores after %s); "
                       "name the rollback action instead",
                       chaos->pane != NULL ? chaos->pane : "?", chaos->verb ? chaos->verb : "?",
                       chaos->pane != NULL ? chaos->pane : "?", sb.s != NULL ? sb.s : "nothing");
    free(sb.s);
    return false;
}

/* The verb and input that put value back; false when value says nothing. */
static bool restore_action(const struct restore_rule *r, const char *verb, const char *value,
                           double num, const char **rverb, char **input)
{
    *input = NULL;
    switch (r->how) {
    case RESTORE_VALUE:
        *rverb = verb;
        *input = xstrdup(value);
        return true;
    case RESTORE_ADMIN:
        *rverb = in_words(value, "maint") ? "maint" : in_words(value, "drain") ? "drain" : "ready";
        return true;
    case RESTORE_REPLICAS: {
        const char *slash = strchr(value, '/');
        double desired;
        if (slash == NULL || !str_parse_decimal(slash + 1, &desired) || desired < 0) {
            return false;
        }
        *rverb = "scale";
        *input = xasprintf("%.0f", desired);
        return true;
    }
    case RESTORE_ROLLOUT:
        *rverb = strcasecmp(value, model_rollout_name(ROLLOUT_PAUSED)) == 0 ? "pause" : "resume";
        return true;
    case RESTORE_CONSUMERS:
        *rverb = num > 0 ? "start" : "stop";
        return true;
    }
    return false;
}

char *chaosverb_restore(const struct store *st, const char *source, const struct drill_act *chaos,
                        char **field, char **value, char **cause)
{
    *field = *value = NULL;
    const struct restore_rule *r = restore_rule(chaos);
    if (r == NULL) {
        chaosverb_restorable(chaos, cause);
        return NULL;
    }
    const struct rowset *rs = NULL;
    size_t row = 0;
    if (st == NULL || !store_find(st, r->kind, source, chaos->target, &rs, &row)) {
        *cause = xasprintf("cannot read what to restore: %s %s is not in the %s of %s", chaos->pane,
                           chaos->target, chaos->pane, source != NULL ? source : "?");
        return NULL;
    }
    const char *text = rowset_cell_text(rs, row, r->column);
    if (text == NULL || text[0] == '\0') {
        *cause = xasprintf("cannot read what to restore: %s %s has no %s", chaos->pane,
                           chaos->target, r->field);
        return NULL;
    }
    const char *verb = NULL;
    char *input = NULL;
    if (!restore_action(r, chaos->verb, text, rowset_cell_num(rs, row, r->column), &verb, &input)) {
        *cause = xasprintf("cannot read what to restore: %s %s has %s '%s'", chaos->pane,
                           chaos->target, r->field, text);
        return NULL;
    }
    *field = xstrdup(r->field);
    *value = xstrdup(text);
    char *act = xasprintf("%s %s %s%s%s", chaos->pane, verb, chaos->target, input ? " " : "",
                          input ? input : "");
    free(input);
    return act;
}

/* One chaos action and its rollback; an issue on the chaos's line when it is wrong. */
static void lint_one(struct drill *d, const struct drill_inject *in, const struct drill_chaos *ch)
{
    const struct drill_act *a = &ch->action;
    enum model_kind kind;
    char *cause = NULL;
    if (a->pane == NULL || a->verb == NULL || !model_kind_from_name(a->pane, &kind)) {
        return; /* the parser said so already */
    }
    /* a plugin's verbs come from its config: a named backend is checked when it runs */
    if (in->backend == NULL && !chaosverb_known(kind, a->verb)) {
        char *list = chaosverb_list(kind);
        cause =
            xasprintf("unknown verb '%s' for %s (its backends have: %s)", a->verb, a->pane, list);
        free(list);
    } else if (ch->restore) {
        chaosverb_restorable(a, &cause);
    } else if (ch->rollback.pane != NULL && ch->rollback.verb != NULL) {
        if (in->backend == NULL && model_kind_from_name(ch->rollback.pane, &kind) &&
            !chaosverb_known(kind, ch->rollback.verb)) {
            char *list = chaosverb_list(kind);
            cause = xasprintf("unknown verb '%s' for %s in the rollback (its backends have: %s)",
                              ch->rollback.verb, ch->rollback.pane, list);
            free(list);
        } else {
            chaosverb_inverse_ok(a, &ch->rollback, &cause);
        }
    }
    if (cause != NULL) {
        mdoc_issues_add(&d->issues, &d->nissues, ch->line, cause);
    }
}

void chaosverb_lint(struct drill *d)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        for (size_t c = 0; c < d->injects[i].nchaos; c++) {
            lint_one(d, &d->injects[i], &d->injects[i].chaos[c]);
        }
    }
}
