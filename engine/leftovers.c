/*
 * Leftovers (leftovers.h): one pass over the actions keeps, per thing
 * touched, the action that left it changed; a later undo drops it; then each
 * survivor is checked against its row in the store.
 */
#include "leftovers.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "timeline.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum lo_class { LO_POOL, LO_SILENCE, LO_PAUSE, LO_SCALE, LO_SHOVEL };

struct item {
    enum lo_class cls;
    const struct tl_entry *e;
    char *silence_id; /* LO_SILENCE: from the outcome's message; NULL unknown */
    char *prior;      /* LO_SCALE: the replicas before the first scale */
    bool gone;
};

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static struct item *find(struct item *v, size_t n, enum lo_class cls, const struct tl_entry *e)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i].gone && v[i].cls == cls && same(v[i].e->backend, e->backend) &&
            same(v[i].e->target, e->target)) {
            return &v[i];
        }
    }
    return NULL;
}

/* "silenced X for 2h (silence ID)": ID; caller frees; NULL when absent. */
static char *silence_id(const char *message)
{
    const char *p = message != NULL ? strstr(message, "(silence ") : NULL;
    if (p == NULL) {
        return NULL;
    }
    p += strlen("(silence ");
    size_t len = strcspn(p, ")");
    return len > 0 && p[len] == ')' ? xstrndup(p, len) : NULL;
}

/* Silence ids are shown cut (8 characters): a prefix of one names it. */
static bool id_matches(const char *id, const char *target)
{
    size_t a = strlen(id), b = strlen(target);
    return a > 0 && b > 0 && strncmp(id, target, a < b ? a : b) == 0;
}

static void expire(struct item *v, size_t n, const struct tl_entry *e)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].cls == LO_SILENCE && same(v[i].e->backend, e->backend) &&
            (same(v[i].e->target, e->target) || (v[i].silence_id != NULL && e->target != NULL &&
                                                 id_matches(v[i].silence_id, e->target)))) {
            v[i].gone = true;
        }
    }
}

static struct item *push(struct item **v, size_t *n, enum lo_class cls, const struct tl_entry *e)
{
    *v = xreallocarray(*v, *n + 1, sizeof **v);
    struct item *it = &(*v)[(*n)++];
    memset(it, 0, sizeof *it);
    it->cls = cls;
    it->e = e;
    return it;
}

static void replace(struct item **v, size_t *n, enum lo_class cls, const struct tl_entry *e)
{
    struct item *old = find(*v, *n, cls, e);
    if (old != NULL) {
        old->gone = true;
    }
    push(v, n, cls, e);
}

static void one_action(struct item **v, size_t *n, const struct tl_entry *e)
{
    const char *verb = e->what;
    struct item *it;
    if (strcmp(verb, "drain") == 0 || strcmp(verb, "maint") == 0) {
        replace(v, n, LO_POOL, e);
    } else if (strcmp(verb, "ready") == 0 && (it = find(*v, *n, LO_POOL, e)) != NULL) {
        it->gone = true;
    } else if (strcmp(verb, "silence") == 0) {
        push(v, n, LO_SILENCE, e)->silence_id = silence_id(e->message);
    } else if (strcmp(verb, "expire") == 0) {
        expire(*v, *n, e);
    } else if (strcmp(verb, "pause") == 0) {
        replace(v, n, LO_PAUSE, e);
    } else if (strcmp(verb, "resume") == 0 && (it = find(*v, *n, LO_PAUSE, e)) != NULL) {
        it->gone = true;
    } else if (strcmp(verb, "scale") == 0 && e->input != NULL) {
        it = find(*v, *n, LO_SCALE, e);
        char *prior = it != NULL ? xstrdup(it->prior) : e->prior ? xstrdup(e->prior) : NULL;
        if (it != NULL) {
            free(it->prior);
            it->prior = NULL;
            it->gone = true;
        }
        if (prior != NULL && strcmp(prior, e->input) == 0) {
            free(prior); /* scaled back */
        } else {
            push(v, n, LO_SCALE, e)->prior = prior;
        }
    } else if (strcmp(verb, "moveback") == 0) {
        replace(v, n, LO_SHOVEL, e);
    }
}

/* ---- checked against the models ---- */

static bool row_of(const struct store *st, enum model_kind kind, const char *backend,
                   const char *key, const struct rowset **rs, size_t *row)
{
    return st != NULL && backend != NULL && key != NULL &&
           store_find(st, kind, backend, key, rs, row);
}

/* The desired replicas of a READY cell ("2/3": 3); -1 unknown. */
static long desired(const char *ready)
{
    const char *slash = ready != NULL ? strchr(ready, '/') : NULL;
    char *end = NULL;
    long v = slash != NULL ? strtol(slash + 1, &end, 10) : -1;
    return end != NULL && end != slash + 1 && *end == '\0' ? v : -1;
}

/*
 * The DLQ a move-back drains: M on a source queue moves its DLQ, named in the
 * outcome ("moving 3 messages from orders.dlq back to orders"); the row key
 * is the target's vhost and that name. Caller frees.
 */
static char *dlq_key(const struct tl_entry *e)
{
    const char *m = e->message != NULL ? strstr(e->message, " from ") : NULL;
    const char *end = m != NULL ? strstr(m + 6, " back to ") : NULL;
    const char *slash = e->target != NULL ? strchr(e->target, '/') : NULL;
    if (end == NULL || slash == NULL) {
        return xstrdup(e->target != NULL ? e->target : "");
    }
    return xasprintf("%.*s%.*s", (int)(slash + 1 - e->target), e->target, (int)(end - m - 6),
                     m + 6);
}

/* Fill out from it; false when the model says it is over. */
static bool check(const struct item *it, const struct store *st, struct leftover *out)
{
    const struct tl_entry *e = it->e;
    const struct rowset *rs;
    size_t row;
    switch (it->cls) {
    case LO_POOL:
        out->kind = MODEL_POOLS;
        out->what = xstrdup(strcmp(e->what, "drain") == 0 ? "drained" : "in maint");
        out->undo_verb = xstrdup("ready");
        if (row_of(st, MODEL_POOLS, e->backend, e->target, &rs, &row)) {
            const char *status = rowset_cell_text(rs, row, POOL_STATUS);
            if (str_casestr(status, "drain") != NULL || str_casestr(status, "maint") != NULL) {
                out->checked = true;
                return true;
            }
            /* UP says ready; DOWN alone does not say whether it is still drained */
            out->checked = str_has_prefix(status, "UP") || str_has_prefix(status, "OPEN");
            return !out->checked;
        }
        return true;
    case LO_SILENCE:
        out->kind = it->silence_id != NULL ? MODEL_SILENCES : MODEL_ALERTS;
        free(out->target);
        out->target = xstrdup(it->silence_id != NULL ? it->silence_id
                              : e->target != NULL    ? e->target
                                                     : "");
        /* a form's input is its fields, one a line: only a lone value is a duration */
        bool lone = e->input != NULL && strchr(e->input, '\n') == NULL;
        out->what = xasprintf("silence%s%s", lone ? " for " : "", lone ? e->input : "");
        out->undo_verb = xstrdup("expire");
        if (it->silence_id != NULL &&
            row_of(st, MODEL_SILENCES, e->backend, it->silence_id, &rs, &row)) {
            const char *state = rowset_cell_text(rs, row, SILENCE_STATE);
            const char *ends = rowset_cell_text(rs, row, SILENCE_ENDS);
            out->checked = true;
            free(out->what);
            out->what = xasprintf("silence %s, ends %s", state, ends);
            return strcmp(state, "expired") != 0;
        }
        return true;
    case LO_PAUSE:
        out->kind = MODEL_DEPLOYS;
        out->what = xstrdup("rollout paused");
        out->undo_verb = xstrdup("resume");
        if (row_of(st, MODEL_DEPLOYS, e->backend, e->target, &rs, &row)) {
            out->checked = true;
            return str_casestr(rowset_cell_text(rs, row, DEPLOY_STATE), "paused") != NULL;
        }
        return true;
    case LO_SCALE:
        out->kind = MODEL_DEPLOYS;
        out->what = it->prior != NULL ? xasprintf("scaled to %s (was %s)", e->input, it->prior)
                                      : xasprintf("scaled to %s", e->input);
        out->undo_verb = it->prior != NULL ? xstrdup("scale") : NULL;
        out->undo_input = it->prior != NULL ? xstrdup(it->prior) : NULL;
        if (row_of(st, MODEL_DEPLOYS, e->backend, e->target, &rs, &row)) {
            long want = desired(rowset_cell_text(rs, row, DEPLOY_READY));
            if (want >= 0) {
                char buf[32];
                snprintf(buf, sizeof buf, "%ld", want);
                out->checked = true;
                return it->prior == NULL || strcmp(buf, it->prior) != 0;
            }
        }
        return true;
    case LO_SHOVEL: {
        out->kind = MODEL_QUEUES;
        out->what = xstrdup("move-back shovel started");
        char *dlq = dlq_key(e);
        bool found = row_of(st, MODEL_QUEUES, e->backend, dlq, &rs, &row);
        free(dlq);
        if (found) {
            double msgs = rowset_cell_num(rs, row, QUEUE_MSGS);
            out->checked = true;
            free(out->what);
            out->what = xasprintf("move-back shovel running: %.0f messages left", msgs);
            return msgs > 0;
        }
        return true;
    }
    }
    return true;
}

void leftover_finish(struct leftover *lo)
{
    char **fields[] = {&lo->backend,   &lo->target,     &lo->name,  &lo->what,
                       &lo->undo_verb, &lo->undo_input, &lo->actor, &lo->run};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

/* A silence names its alert in the message ("silenced NAME for ..."); else the row key. */
static char *name_of(const struct item *it)
{
    const char *m = it->e->message;
    if (it->cls == LO_SILENCE && m != NULL && str_has_prefix(m, "silenced ")) {
        const char *p = m + strlen("silenced ");
        const char *end = strstr(p, " for ");
        if (end != NULL && end > p) {
            return xstrndup(p, (size_t)(end - p));
        }
    }
    return xstrdup(it->e->target != NULL ? it->e->target : "?");
}

struct leftover *leftovers_derive(const struct timeline *t, const struct store *st, size_t *n)
{
    struct item *items = NULL;
    size_t nitems = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct tl_entry *e = &t->v[i];
        if (e->source == TL_ACTION && e->what != NULL && same(e->result, "ok")) {
            one_action(&items, &nitems, e);
        }
    }
    struct leftover *out = NULL;
    *n = 0;
    for (size_t i = 0; i < nitems; i++) {
        struct item *it = &items[i];
        if (!it->gone) {
            struct leftover lo = {
                .backend = xstrdup(it->e->backend != NULL ? it->e->backend : ""),
                .target = xstrdup(it->e->target != NULL ? it->e->target : ""),
                .name = name_of(it),
                .since_ms = it->e->ms,
                .actor = it->e->actor != NULL ? xstrdup(it->e->actor) : NULL,
                .run = it->e->run != NULL ? xstrdup(it->e->run) : NULL,
            };
            if (check(it, st, &lo)) {
                out = xreallocarray(out, *n + 1, sizeof *out);
                out[(*n)++] = lo;
            } else {
                leftover_finish(&lo);
            }
        }
        free(it->silence_id);
        free(it->prior);
    }
    free(items);
    return out;
}

void leftovers_free(struct leftover *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        leftover_finish(&v[i]);
    }
    free(v);
}

cJSON *leftovers_json(const struct leftover *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "pane", model_schema(v[i].kind)->name);
        json_add_str(o, "backend", v[i].backend);
        json_add_str(o, "target", v[i].target);
        json_add_str(o, "name", v[i].name);
        json_add_str(o, "what", v[i].what);
        json_add_str(o, "undo", v[i].undo_verb);
        json_add_str(o, "undo_input", v[i].undo_input);
        char ts[32];
        clock_format_rfc3339(ts, v[i].since_ms);
        cJSON_AddStringToObject(o, "since", ts);
        json_add_str(o, "actor", v[i].actor);
        json_add_str(o, "run", v[i].run);
        cJSON_AddBoolToObject(o, "checked", v[i].checked);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static char *dup_or_null(const cJSON *o, const char *name)
{
    const char *s = json_str(o, name);
    return s != NULL ? xstrdup(s) : NULL;
}

struct leftover *leftovers_from_json(const cJSON *arr, size_t *n)
{
    struct leftover *out = NULL;
    *n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        enum model_kind kind;
        const char *what = json_str(o, "what");
        if (!cJSON_IsObject(o) || what == NULL ||
            !model_kind_from_name(json_str(o, "pane") ? json_str(o, "pane") : "", &kind)) {
            continue;
        }
        out = xreallocarray(out, *n + 1, sizeof *out);
        struct leftover *lo = &out[(*n)++];
        memset(lo, 0, sizeof *lo);
        lo->kind = kind;
        lo->backend = dup_or_null(o, "backend");
        lo->target = dup_or_null(o, "target");
        lo->name = dup_or_null(o, "name");
        lo->what = xstrdup(what);
        lo->undo_verb = dup_or_null(o, "undo");
        lo->undo_input = dup_or_null(o, "undo_input");
        clock_parse_rfc3339(json_str(o, "since"), &lo->since_ms);
        lo->actor = dup_or_null(o, "actor");
        lo->run = dup_or_null(o, "run");
        lo->checked = json_bool(o, "checked", false);
    }
    return out;
}
