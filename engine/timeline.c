/*
 * The incident timeline's other sources and the figures (timeline.h). The
 * files are read with journal_read() (a torn last line is skipped); a line of
 * the wrong shape (no time, no action) is left out, never guessed at.
 */
#include "timeline.h"

#include "alertlog.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAIR_WINDOW = 4096 }; /* lines searched for an action's outcome */

static char *dup_str(const cJSON *obj, const char *name)
{
    const char *s = json_str(obj, name);
    return s != NULL ? xstrdup(s) : NULL;
}

static bool line_time(const cJSON *obj, int64_t *ms)
{
    return obj != NULL && clock_parse_rfc3339(json_str(obj, "ts"), ms);
}

static struct tl_entry *add(struct timeline *t)
{
    t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
    struct tl_entry *e = &t->v[t->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Is this outcome line the one of the action started at obj? */
static bool outcome_of(const cJSON *obj, const cJSON *out)
{
    static const char *const fields[] = {"action", "target", "run", "actor", "host"};
    const char *result = json_str(out, "result");
    if (result == NULL || strcmp(result, "started") == 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!same(json_str(obj, fields[i]), json_str(out, fields[i]))) {
            return false;
        }
    }
    return true;
}

static bool selected_audit(const cJSON *obj, int64_t ms, const struct tl_select *sel)
{
    const char *run = json_str(obj, "run");
    if (sel->host_only && !same(json_str(obj, "host"), sel->host)) {
        return false;
    }
    if (sel->run == NULL) {
        return ms >= sel->from && ms <= sel->until;
    }
    if (run != NULL) {
        return strcmp(run, sel->run) == 0;
    }
    return ms >= sel->from && ms <= sel->until &&
           (sel->host == NULL || same(json_str(obj, "host"), sel->host));
}

static void fill_action(struct tl_entry *e, const cJSON *obj, int64_t ms)
{
    const cJSON *data = json_obj(obj, "data");
    e->source = TL_ACTION;
    e->ms = ms;
    e->actor = dup_str(obj, "actor");
    e->host = dup_str(obj, "host");
    e->what = dup_str(obj, "action");
    e->target = dup_str(obj, "target");
    e->run = dup_str(obj, "run");
    e->step = dup_str(obj, "step");
    e->backend = dup_str(data, "backend");
    e->input = dup_str(data, "input");
    e->prior = dup_str(data, "prior");
}

bool timeline_load_audit(struct timeline *t, const char *path, const struct tl_select *sel,
                         char **cause)
{
    struct journal_line *lines = NULL;
    size_t n = 0;
    int err = 0;
    if (!journal_read(path, &lines, &n, &err)) {
        if (err == ENOENT) {
            return true;
        }
        *cause = xasprintf("%s: %s", path, strerror(err));
        return false;
    }
    bool *used = xcalloc(n > 0 ? n : 1, sizeof *used);
    for (size_t i = 0; i < n; i++) {
        const cJSON *obj = lines[i].obj;
        int64_t ms;
        const char *result = json_str(obj, "result");
        if (used[i] || !line_time(obj, &ms) || json_str(obj, "action") == NULL || result == NULL ||
            !selected_audit(obj, ms, sel)) {
            continue;
        }
        struct tl_entry *e = add(t);
        fill_action(e, obj, ms);
        /* the run's action steps (and blocks done as actions) are told by its journal */
        e->journaled = sel->run != NULL && e->step != NULL;
        if (strcmp(result, "started") != 0) {
            e->result = xstrdup(result); /* a refusal, or an outcome whose start is not here */
            e->message = dup_str(json_obj(obj, "data"), "message");
            continue;
        }
        for (size_t k = i + 1; k < n && k <= i + PAIR_WINDOW; k++) {
            int64_t done;
            if (!used[k] && outcome_of(obj, lines[k].obj) && line_time(lines[k].obj, &done)) {
                used[k] = true;
                e->done_ms = done;
                e->result = dup_str(lines[k].obj, "result");
                e->message = dup_str(json_obj(lines[k].obj, "data"), "message");
                break;
            }
        }
    }
    free(used);
    journal_lines_free(lines, n);
    return true;
}

/* ---- alert transitions ---- */

static char *labels_text(const cJSON *labels)
{
    struct strbuf sb = {0};
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            strbuf_printf(&sb, "%s%s=%s", sb.n > 0 ? ", " : "", l->string, l->valuestring);
        }
    }
    return sb.s;
}

static void fill_alert(struct tl_entry *e, const cJSON *obj, int64_t ms)
{
    const cJSON *data = json_obj(obj, "data");
    const char *action = json_str(obj, "action");
    e->source = TL_ALERT;
    e->ms = ms;
    e->actor = dup_str(obj, "actor");
    e->host = dup_str(obj, "host");
    /* fired, silenced, unsilenced (fired again from silenced), resolved, ... */
    e->what = xstrdup(alertlog_event(action, json_str(data, "from")));
    e->target = dup_str(obj, "target");
    e->result = dup_str(obj, "result");
    e->backend = dup_str(data, "source");
    e->key = dup_str(data, "key");
    e->message = labels_text(json_obj(data, "labels"));
    int64_t starts;
    if (clock_parse_rfc3339(json_str(data, "starts_at"), &starts)) {
        e->starts_ms = starts;
    }
}

/* An alert transition read back, with its identity. */
struct atr {
    const cJSON *obj;
    int64_t ms;
    const char *source, *key, *result;
};

static bool is_over(const char *state)
{
    return state == NULL || strcmp(state, "resolved") == 0 || strcmp(state, "gone") == 0 ||
           strcmp(state, "inactive") == 0;
}

static void read_alerts(const char *path, struct journal_line **all, size_t *nall, struct atr **v,
                        size_t *n)
{
    struct journal_line *lines = NULL;
    size_t count = 0;
    int err = 0;
    if (!journal_read(path, &lines, &count, &err)) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const cJSON *obj = lines[i].obj;
        const cJSON *data = json_obj(obj, "data");
        struct atr a = {.obj = obj,
                        .source = json_str(data, "source"),
                        .key = json_str(data, "key"),
                        .result = json_str(obj, "result")};
        const char *action = json_str(obj, "action");
        if (!line_time(obj, &a.ms) || a.source == NULL || a.key == NULL || action == NULL ||
            !str_has_prefix(action, "alert.")) {
            continue;
        }
        *v = xreallocarray(*v, *n + 1, sizeof **v);
        (*v)[(*n)++] = a;
    }
    /* the objects stay alive until the caller is done with them */
    if (count > 0) {
        *all = xreallocarray(*all, *nall + count, sizeof **all);
        memcpy(*all + *nall, lines, count * sizeof *lines);
        *nall += count;
    }
    free(lines);
}

static bool same_alert(const struct atr *a, const struct atr *b)
{
    return strcmp(a->source, b->source) == 0 && strcmp(a->key, b->key) == 0;
}

static bool known_alert(const struct atr *list, size_t n, const struct atr *a)
{
    for (size_t i = 0; i < n; i++) {
        if (same_alert(&list[i], a)) {
            return true;
        }
    }
    return false;
}

bool timeline_load_alerts(struct timeline *t, const char *path, const struct tl_select *sel,
                          char **cause)
{
    (void)cause;
    struct journal_line *all = NULL;
    size_t nall = 0, n = 0;
    struct atr *v = NULL;
    char *older = xasprintf("%s.1", path);
    read_alerts(older, &all, &nall, &v, &n);
    read_alerts(path, &all, &nall, &v, &n);
    free(older);
    bool *take = xcalloc(n > 0 ? n : 1, sizeof *take);
    /* the alerts that belong (distinct), found in one pass each way: O(lines x alerts) */
    struct atr *rel = NULL;
    size_t nrel = 0;
    for (size_t i = 0; i < n; i++) {
        take[i] = v[i].ms >= sel->from && v[i].ms <= sel->until;
        if (take[i] && !known_alert(rel, nrel, &v[i])) {
            rel = xreallocarray(rel, nrel + 1, sizeof *rel);
            rel[nrel++] = v[i];
        }
    }
    /* open at from: an alert's last transition before from, when it is not over */
    struct atr *before = NULL;
    size_t nbefore = 0;
    for (size_t i = n; i-- > 0;) {
        if (v[i].ms >= sel->from || known_alert(before, nbefore, &v[i])) {
            continue;
        }
        before = xreallocarray(before, nbefore + 1, sizeof *before);
        before[nbefore++] = v[i];
        if (!is_over(v[i].result)) {
            take[i] = true;
            if (!known_alert(rel, nrel, &v[i])) {
                rel = xreallocarray(rel, nrel + 1, sizeof *rel);
                rel[nrel++] = v[i];
            }
        }
    }
    /* after until, up to the grace: the resolution of the alerts seen */
    for (size_t i = 0; i < n; i++) {
        if (v[i].ms > sel->until && v[i].ms <= sel->until + TL_RESOLVE_GRACE_MS) {
            take[i] = known_alert(rel, nrel, &v[i]);
        }
    }
    free(rel);
    free(before);
    for (size_t i = 0; i < n; i++) {
        if (take[i] && strcmp(json_str(v[i].obj, "action"), "alert.open") != 0) {
            fill_alert(add(t), v[i].obj, v[i].ms);
        }
    }
    free(take);
    free(v);
    journal_lines_free(all, nall);
    return true;
}

bool timeline_run_id_time(const char *run_id, int64_t *ms)
{
    char buf[32];
    if (run_id == NULL || strlen(run_id) < 16 || run_id[8] != 'T' || run_id[15] != 'Z') {
        return false;
    }
    /* 20261123T101259Z -> 2026-11-23T10:12:59Z, parsed by the one RFC 3339 parser */
    snprintf(buf, sizeof buf, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", run_id, run_id + 4, run_id + 6,
             run_id + 9, run_id + 11, run_id + 13);
    return clock_parse_rfc3339(buf, ms);
}

/* ---- order ---- */

static int by_time(const void *a, const void *b)
{
    const struct tl_entry *x = a, *y = b;
    if (x->ms != y->ms) {
        return x->ms < y->ms ? -1 : 1;
    }
    /* stable: the entries' addresses keep the order they were added in */
    return x < y ? -1 : x > y;
}

void timeline_sort(struct timeline *t)
{
    if (t->n > 1) {
        qsort(t->v, t->n, sizeof *t->v, by_time);
    }
}

void timeline_free(struct timeline *t)
{
    for (size_t i = 0; i < t->n; i++) {
        struct tl_entry *e = &t->v[i];
        char **fields[] = {&e->actor, &e->host,  &e->what,    &e->target, &e->result, &e->backend,
                           &e->input, &e->prior, &e->message, &e->key,    &e->run,    &e->step};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            free(*fields[k]);
        }
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* ---- the figures ---- */

bool timeline_mitigates(const char *verb)
{
    static const char *const verbs[] = {"drain",    "maint", "weight",   "scale", "restart", "undo",
                                        "rollback", "pause", "moveback", "purge", "stop",    NULL};
    return verb != NULL && str_in(verb, verbs);
}

bool timeline_acknowledges(const char *verb)
{
    static const char *const verbs[] = {"silence", "ack", "acknowledge", NULL};
    return verb != NULL && str_in(verb, verbs);
}

/* Keep the earliest mark. what is taken. */
static void mark(struct tl_mark *m, int64_t ms, char *what)
{
    if (m->ms == 0 || ms < m->ms) {
        free(m->what);
        m->ms = ms;
        m->what = what;
        return;
    }
    free(what);
}

void tl_figures_step(struct tl_figures *f, int phase, int64_t ms, const char *title)
{
    const char *t = title != NULL ? title : "(untitled step)";
    if (phase == 0) {
        mark(&f->acknowledged, ms, xasprintf("step \"%s\" done", t));
    } else if (phase == 2) {
        mark(&f->mitigated, ms, xasprintf("step \"%s\" done", t));
    }
}

void tl_figures_action(struct tl_figures *f, const char *verb, const char *target, int64_t ms,
                       const char *actor)
{
    const char *by = actor != NULL ? actor : "unknown";
    const char *on = target != NULL ? target : "";
    if (timeline_mitigates(verb)) {
        mark(&f->mitigated, ms, xasprintf("%s %s by %s", verb, on, by));
    } else if (timeline_acknowledges(verb)) {
        mark(&f->acknowledged, ms, xasprintf("%s %s by %s", verb, on, by));
    }
}

struct open_alert {
    const char *backend, *key;
};

static void alert_entry(struct tl_figures *f, const struct tl_entry *e, struct open_alert **open,
                        size_t *nopen, bool *fired)
{
    size_t at = *nopen;
    for (size_t i = 0; i < *nopen; i++) {
        if (same((*open)[i].backend, e->backend) && same((*open)[i].key, e->key)) {
            at = i;
        }
    }
    const char *name = e->target != NULL ? e->target : "alert";
    if (is_over(e->result)) {
        if (at < *nopen) {
            (*open)[at] = (*open)[--*nopen];
            if (*nopen == 0 && *fired) {
                free(f->resolved.what);
                f->resolved.ms = e->ms;
                f->resolved.what = xasprintf("%s resolved", name);
            }
        }
        return;
    }
    if (at == *nopen) {
        *open = xreallocarray(*open, *nopen + 1, sizeof **open);
        (*open)[(*nopen)++] = (struct open_alert){e->backend, e->key};
    }
    bool fires = strcmp(e->what, "fired") == 0 || strcmp(e->what, "unsilenced") == 0;
    if (fires || strcmp(e->what, "silenced") == 0 || strcmp(e->what, "inhibited") == 0) {
        /* a silenced alert fired first: its source's start says when */
        int64_t when = e->starts_ms > 0 ? e->starts_ms : e->ms;
        if (fires || e->starts_ms > 0) {
            mark(&f->detected, when, xasprintf("%s fired", name));
            *fired = true;
        }
        f->resolved.ms = 0; /* open again */
    }
}

void tl_figures_timeline(struct tl_figures *f, const struct timeline *t)
{
    struct open_alert *open = NULL;
    size_t nopen = 0;
    bool fired = false;
    for (size_t i = 0; i < t->n; i++) {
        const struct tl_entry *e = &t->v[i];
        if (e->source == TL_ALERT) {
            alert_entry(f, e, &open, &nopen, &fired);
        } else if (!e->journaled && e->result != NULL && strcmp(e->result, "ok") == 0) {
            tl_figures_action(f, e->what, e->target, e->done_ms > 0 ? e->done_ms : e->ms, e->actor);
        }
    }
    f->open_alerts = nopen;
    if (nopen > 0) {
        f->resolved.ms = 0;
    }
    free(open);
}

void tl_figures_free(struct tl_figures *f)
{
    free(f->detected.what);
    free(f->acknowledged.what);
    free(f->mitigated.what);
    free(f->resolved.what);
    memset(f, 0, sizeof *f);
}
