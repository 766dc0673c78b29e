/*
 * The score of a drill run from its journal (drill_score.h): the planned
 * expectations, their final states, the roll-ups per role and per tag, and
 * the milestones (time to detect, declare, mitigate).
 */
#include "drill_score.h"

#include "../common/json.h"
#include "../common/util.h"
#include "drill.h"
#include "runlog.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An inject as the journal knows it: planned (run.start) or fired. */
struct ds_inject {
    const char *id, *title;
    int at_s; /* -1: a contingency */
    const cJSON *expects;
    int64_t fired_ms; /* -1: not fired */
    bool skipped;
};

struct ds_walk {
    struct ds_inject *inj;
    size_t ninj;
};

struct ev_ref {
    const cJSON *ev;
    size_t order;
    uint64_t seq;
};

static int ev_cmp(const void *a, const void *b)
{
    const struct ev_ref *x = a, *y = b;
    if (x->seq != y->seq) {
        return x->seq < y->seq ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

const char *dscore_status_name(enum dscore_status st)
{
    static const char *const names[] = {"not marked", "met",     "late",
                                        "missed",     "skipped", "not reached"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

static struct ds_inject *find_inject(struct ds_walk *w, const char *id)
{
    for (size_t i = 0; id != NULL && i < w->ninj; i++) {
        if (strcmp(w->inj[i].id, id) == 0) {
            return &w->inj[i];
        }
    }
    return NULL;
}

static struct ds_inject *add_inject(struct ds_walk *w, const char *id, const char *title, int at_s,
                                    const cJSON *expects)
{
    w->inj = xreallocarray(w->inj, w->ninj + 1, sizeof *w->inj);
    struct ds_inject *in = &w->inj[w->ninj++];
    *in = (struct ds_inject){
        .id = id, .title = title, .at_s = at_s, .expects = expects, .fired_ms = -1};
    return in;
}

static void plan_injects(struct ds_walk *w, const cJSON *start)
{
    const cJSON *plan = json_arr(start, "plan"), *p;
    cJSON_ArrayForEach(p, plan)
    {
        const char *id = runlog_str(p, "id");
        if (id != NULL && find_inject(w, id) == NULL) {
            add_inject(w, id, runlog_str(p, "title"), runlog_int(p, "at_s", 0),
                       json_arr(p, "expects"));
        }
    }
}

/* The item of (inject, index), or by its text when a journal has no index. */
static struct dscore_item *find_item(struct dscore *s, const char *inject, int index,
                                     const char *text)
{
    for (size_t i = 0; inject != NULL && i < s->nitems; i++) {
        struct dscore_item *it = &s->items[i];
        if (strcmp(it->inject, inject) == 0 &&
            (index >= 0 ? it->index == index
                        : text != NULL && it->text != NULL && strcmp(it->text, text) == 0)) {
            return it;
        }
    }
    return NULL;
}

static void add_items(struct dscore *s, const struct ds_inject *in, size_t order)
{
    const cJSON *x;
    int k = 0;
    cJSON_ArrayForEach(x, in->expects)
    {
        s->items = xreallocarray(s->items, s->nitems + 1, sizeof *s->items);
        s->items[s->nitems++] = (struct dscore_item){
            .inject = in->id,
            .title = in->title != NULL && in->title[0] != '\0' ? in->title : in->id,
            .text = runlog_str(x, "text"),
            .role = runlog_str(x, "role"),
            .tags = json_arr(x, "tags"),
            .inject_order = order,
            .index = k++,
            .deadline_s = runlog_int(x, "deadline_s", 0),
            .max = runlog_int(x, "points", 0),
            .fired_ms = in->fired_ms,
            .at_ms = -1,
        };
    }
}

static enum dscore_status parse_status(const char *st)
{
    return st == NULL || strcmp(st, "pending") == 0 ? DS_PENDING
           : strcmp(st, "met") == 0                 ? DS_MET
           : strcmp(st, "late") == 0                ? DS_LATE
           : strcmp(st, "not_reached") == 0         ? DS_NOT_REACHED
                                                    : DS_MISSED;
}

/* Pass 1: which injects there are, fired, skipped; whether the run began and ended. */
static void walk_injects(struct dscore *s, struct ds_walk *w, const struct ev_ref *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = runlog_str(evs[i].ev, "action");
        const cJSON *d = json_obj(evs[i].ev, "data");
        int64_t t = (int64_t)runlog_u64(d, "t_ms", 0);
        if (action == NULL) {
            continue;
        } else if (strcmp(action, "run.start") == 0 && s->start == NULL) {
            s->start = d;
            plan_injects(w, d);
        } else if (strcmp(action, "drill.start") == 0) {
            s->began = true;
        } else if (strcmp(action, "run.end") == 0) {
            s->over = true;
        } else if (strcmp(action, "inject.fire") == 0) {
            const char *id = runlog_str(d, "id");
            struct ds_inject *in = find_inject(w, id);
            if (in == NULL && id != NULL) {
                const char *why = runlog_str(d, "why");
                in = add_inject(w, id, runlog_str(d, "title"),
                                why != NULL && strcmp(why, "contingency") == 0 ? -1 : 0,
                                json_arr(d, "expects"));
            }
            if (in != NULL && in->fired_ms < 0) {
                in->fired_ms = t;
                in->expects = in->expects != NULL ? in->expects : json_arr(d, "expects");
            }
        } else if (strcmp(action, "inject.skip") == 0 || strcmp(action, "inject.unskip") == 0) {
            struct ds_inject *in = find_inject(w, runlog_str(d, "id"));
            if (in != NULL) {
                in->skipped = action[7] == 's';
            }
        }
    }
}

/* Pass 2: the marks, in seq order; the last one of an expectation holds. */
static void walk_marks(struct dscore *s, const struct ev_ref *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = runlog_str(evs[i].ev, "action");
        if (action == NULL || (strcmp(action, "expect") != 0 && strcmp(action, "undo") != 0)) {
            continue;
        }
        const cJSON *d = json_obj(evs[i].ev, "data");
        struct dscore_item *it = find_item(s, runlog_str(d, "inject"), runlog_int(d, "index", -1),
                                           runlog_str(d, "text"));
        if (it == NULL && action[0] == 'e' && runlog_str(d, "inject") != NULL) {
            /* a mark of an inject the journal never fired: listed, as it was marked */
            int pts = runlog_int(d, "points", 0);
            s->items = xreallocarray(s->items, s->nitems + 1, sizeof *s->items);
            it = &s->items[s->nitems++];
            *it = (struct dscore_item){.inject = runlog_str(d, "inject"),
                                       .title = runlog_str(d, "inject"),
                                       .text = runlog_str(d, "text"),
                                       .inject_order = SIZE_MAX,
                                       .index = runlog_int(d, "index", -1),
                                       .max = runlog_int(d, "max", pts),
                                       .fired_ms = -1};
        }
        if (it == NULL) {
            continue;
        }
        it->status = parse_status(runlog_str(d, "status"));
        if (action[0] == 'e') {
            int64_t t = (int64_t)runlog_u64(d, "t_ms", 0);
            it->at_ms = (int64_t)runlog_u64(d, "at_ms", (uint64_t)t);
            it->by = runlog_str(d, "by");
        }
    }
}

static struct dscore_group *group(struct dscore_group **g, size_t *n, const char *key)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*g)[i].key, key) == 0) {
            return &(*g)[i];
        }
    }
    *g = xreallocarray(*g, *n + 1, sizeof **g);
    memset(&(*g)[*n], 0, sizeof **g);
    (*g)[*n].key = key;
    return &(*g)[(*n)++];
}

static void count(struct dscore_group *g, const struct dscore_item *it)
{
    g->count[it->status]++;
    if (it->status != DS_NOT_REACHED) {
        g->points += it->points;
        g->max += it->max;
    }
}

static void roll_up(struct dscore *s)
{
    for (size_t i = 0; i < s->nitems; i++) {
        struct dscore_item *it = &s->items[i];
        it->points = it->status == DS_MET ? it->max : it->status == DS_LATE ? it->max / 2 : 0;
        s->count[it->status]++;
        if (it->status != DS_NOT_REACHED) {
            s->points += it->points;
            s->max += it->max;
        }
        count(group(&s->roles, &s->nroles, it->role != NULL ? it->role : "(no role)"), it);
        const cJSON *tag;
        cJSON_ArrayForEach(tag, it->tags)
        {
            if (cJSON_IsString(tag)) {
                count(group(&s->tags, &s->ntags, tag->valuestring), it);
                for (int m = 0; m < 3; m++) {
                    bool done = it->status == DS_MET || it->status == DS_LATE;
                    if (done && strcmp(tag->valuestring, drill_milestones[m]) == 0 &&
                        it->at_ms >= 0 &&
                        (s->milestone_ms[m] < 0 || it->at_ms < s->milestone_ms[m])) {
                        s->milestone_ms[m] = it->at_ms;
                    }
                }
            }
        }
    }
}

void dscore_compute(struct dscore *s, const cJSON *const *ev, size_t n)
{
    memset(s, 0, sizeof *s);
    s->first_fired_ms = -1;
    for (int m = 0; m < 3; m++) {
        s->milestone_ms[m] = -1;
    }
    struct ev_ref *evs = xcalloc(n + 1, sizeof *evs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i] != NULL) {
            evs[k] = (struct ev_ref){.ev = ev[i], .order = i, .seq = runlog_u64(ev[i], "seq", 0)};
            k++;
        }
    }
    qsort(evs, k, sizeof *evs, ev_cmp);
    struct ds_walk w = {0};
    walk_injects(s, &w, evs, k);
    for (size_t i = 0; i < w.ninj; i++) {
        const struct ds_inject *in = &w.inj[i];
        bool fired = in->fired_ms >= 0;
        if (!fired && in->at_s < 0) {
            continue; /* a contingency nobody triggered: not planned */
        }
        size_t first = s->nitems;
        add_items(s, in, i);
        for (size_t e = first; e < s->nitems; e++) {
            s->items[e].status = in->skipped         ? DS_SKIPPED
                                 : !fired && s->over ? DS_NOT_REACHED
                                                     : DS_PENDING;
        }
        if (fired && (s->first_fired_ms < 0 || in->fired_ms < s->first_fired_ms)) {
            s->first_fired_ms = in->fired_ms;
        }
    }
    walk_marks(s, evs, k);
    roll_up(s);
    free(w.inj);
    free(evs);
}

void dscore_free(struct dscore *s)
{
    free(s->items);
    free(s->roles);
    free(s->tags);
    memset(s, 0, sizeof *s);
}

size_t dscore_misses(const struct dscore *s, size_t *out, size_t n)
{
    size_t got = 0;
    for (size_t i = 0; i < s->nitems; i++) {
        const struct dscore_item *it = &s->items[i];
        int lost = it->max - it->points;
        if (it->status == DS_NOT_REACHED || it->status == DS_MET || lost <= 0 ||
            (it->status == DS_PENDING && !s->over)) {
            continue;
        }
        /* insert by points lost; ties keep the plan order (i grows) */
        size_t at = got;
        while (at > 0 && s->items[out[at - 1]].max - s->items[out[at - 1]].points < lost) {
            at--;
        }
        if (at >= n) {
            continue;
        }
        size_t last = got < n ? got : n - 1;
        memmove(&out[at + 1], &out[at], (last - at) * sizeof *out);
        out[at] = i;
        got += got < n;
    }
    return got;
}

int dscore_percent(const struct dscore *s)
{
    /* rounded half up, in whole numbers: the same in the Markdown and the JSON */
    return s->max > 0 ? (200 * s->points + s->max) / (2 * s->max) : 0;
}

char *dscore_text(const struct dscore *s)
{
    if (s->max <= 0) {
        return xasprintf("%d points", s->points);
    }
    return xasprintf("%d of %d points (%d%%)", s->points, s->max, dscore_percent(s));
}

char *dscore_run_text(const char *runs_dir, const char *run_id)
{
    char *why = NULL, *dir = runlog_dir(runs_dir, &why);
    char *path = dir != NULL ? runlog_path(dir, run_id, NULL, &why) : NULL;
    size_t n = 0;
    cJSON **ev = path != NULL ? runlog_read(path, &n, &why) : NULL;
    free(why);
    free(path);
    free(dir);
    if (ev == NULL) {
        return NULL;
    }
    struct dscore s;
    dscore_compute(&s, (const cJSON *const *)ev, n);
    char *text = dscore_text(&s);
    char *out = xasprintf("%s%s", text, s.count[DS_NOT_REACHED] > 0 ? ", some not reached" : "");
    free(text);
    dscore_free(&s);
    runlog_free(ev, n);
    return out;
}
