/*
 * The alert transitions log (alertlog.h). One in-memory entry per open alert
 * (source + key, its state); a poll's answer is compared with them once per
 * store generation. Every line goes through journal.c, so the file has the
 * audit log's format, mode and durability.
 */
#include "alertlog.h"

#include "../backends/model.h"
#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"
#include "paths.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct seen {
    char *source, *key, *state, *name;
    bool mark; /* still in the source's answer */
};

struct alertlog {
    struct journal *j;
    char *path;
    size_t cap;
    uint64_t gen;
    bool observed;
    struct seen *seen;
    size_t n;
};

char *alertlog_default_path(void)
{
    char *dir = paths_state_dir();
    char *path = dir != NULL ? xasprintf("%s/alerts.jsonl", dir) : NULL;
    free(dir);
    return path;
}

static struct seen *find(struct alertlog *al, const char *source, const char *key)
{
    for (size_t i = 0; i < al->n; i++) {
        if (strcmp(al->seen[i].source, source) == 0 && strcmp(al->seen[i].key, key) == 0) {
            return &al->seen[i];
        }
    }
    return NULL;
}

static void forget(struct alertlog *al, struct seen *s)
{
    free(s->source);
    free(s->key);
    free(s->state);
    free(s->name);
    *s = al->seen[--al->n];
}

static struct seen *remember(struct alertlog *al, const char *source, const char *key,
                             const char *state, const char *name)
{
    struct seen *s = find(al, source, key);
    if (s == NULL) {
        al->seen = xreallocarray(al->seen, al->n + 1, sizeof *al->seen);
        s = &al->seen[al->n++];
        s->source = xstrdup(source);
        s->key = xstrdup(key);
        s->state = NULL;
        s->name = NULL;
    }
    free(s->state);
    free(s->name);
    s->state = xstrdup(state);
    s->name = xstrdup(name != NULL ? name : "");
    return s;
}

/* An alert state that is over: not open any more. */
static bool is_over(const char *state)
{
    return strcmp(state, "resolved") == 0 || strcmp(state, "gone") == 0 ||
           strcmp(state, "inactive") == 0;
}

static void replay_line(struct alertlog *al, const cJSON *obj)
{
    const cJSON *data = json_obj(obj, "data");
    const char *source = json_str(data, "source");
    const char *key = json_str(data, "key");
    const char *state = json_str(obj, "result");
    if (source == NULL || key == NULL || state == NULL) {
        return;
    }
    if (is_over(state)) {
        struct seen *s = find(al, source, key);
        if (s != NULL) {
            forget(al, s);
        }
        return;
    }
    remember(al, source, key, state, json_str(obj, "target"));
}

static void replay(struct alertlog *al)
{
    struct journal_line *lines = NULL;
    size_t n = 0;
    int err = 0;
    if (!journal_read(al->path, &lines, &n, &err)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj != NULL) {
            replay_line(al, lines[i].obj);
        }
    }
    journal_lines_free(lines, n);
}

static bool append(struct alertlog *al, const char *action, const char *name, const char *result,
                   const cJSON *data, char **cause)
{
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .action = action,
        .target = name,
        .result = result,
        .data = data,
    };
    return journal_append(al->j, &ev, cause);
}

/* Past the cap: .1 takes the file, the new one starts with the alerts still open. */
static bool rotate_if_full(struct alertlog *al, char **cause)
{
    struct stat st;
    if (stat(al->path, &st) != 0 || (size_t)st.st_size <= al->cap) {
        return true;
    }
    char *old = xasprintf("%s.1", al->path);
    journal_close(al->j);
    al->j = NULL;
    bool moved = rename(al->path, old) == 0;
    if (!moved) {
        *cause = xasprintf("cannot rotate %s: %s", al->path, strerror(errno));
    }
    free(old);
    char *why = NULL;
    al->j = journal_open(al->path, &why);
    if (al->j == NULL && moved) {
        *cause = why;
        why = NULL;
    }
    free(why);
    if (al->j == NULL || !moved) {
        return false;
    }
    for (size_t i = 0; i < al->n; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "source", al->seen[i].source);
        cJSON_AddStringToObject(d, "key", al->seen[i].key);
        bool ok = append(al, "alert.open", al->seen[i].name, al->seen[i].state, d, cause);
        cJSON_Delete(d);
        if (!ok) {
            return false;
        }
    }
    return true;
}

struct alertlog *alertlog_open(const char *path, size_t cap_bytes, char **cause)
{
    struct journal *j = journal_open(path, cause);
    if (j == NULL) {
        return NULL;
    }
    struct alertlog *al = xcalloc(1, sizeof *al);
    al->j = j;
    al->path = xstrdup(path);
    al->cap = cap_bytes > 0 ? cap_bytes : ALERTLOG_CAP;
    replay(al);
    char *why = NULL;
    if (!rotate_if_full(al, &why)) {
        free(why); /* a log that cannot rotate still records: the next write says why */
    }
    return al;
}

void alertlog_close(struct alertlog *al)
{
    if (al == NULL) {
        return;
    }
    journal_close(al->j);
    while (al->n > 0) {
        forget(al, &al->seen[0]);
    }
    free(al->seen);
    free(al->path);
    free(al);
}

size_t alertlog_open_count(const struct alertlog *al)
{
    return al != NULL ? al->n : 0;
}

/* The value of one "key\tvalue" line of a row's detail; caller frees; NULL when absent. */
static char *detail_value(const char *detail, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = detail; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '\t') {
            return xstrndup(p + klen + 1, len - klen - 1);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* The labels of a row's detail ("label.NAME\tvalue" lines) as an object. */
static cJSON *labels_of(const char *detail)
{
    cJSON *labels = cJSON_CreateObject();
    for (const char *p = detail; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *tab = memchr(p, '\t', len);
        if (tab != NULL && str_has_prefix(p, "label.") && tab > p + 6) {
            char *name = xstrndup(p + 6, (size_t)(tab - p - 6));
            char *value = xstrndup(tab + 1, len - (size_t)(tab - p) - 1);
            cJSON_AddStringToObject(labels, name, value);
            free(name);
            free(value);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return labels;
}

static const char *action_for(const char *state)
{
    static const char *const known[] = {"firing", "silenced", "inhibited", "pending", "resolved"};
    static const char *const actions[] = {"alert.fired", "alert.silenced", "alert.inhibited",
                                          "alert.pending", "alert.resolved"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(state, known[i]) == 0) {
            return actions[i];
        }
    }
    return "alert.state";
}

/* One row of a source's answer: a transition when it is new or its state moved. */
static bool observe_row(struct alertlog *al, const struct rowset *rs, size_t row, char **cause)
{
    const char *key = rowset_key(rs, row);
    const char *state = rowset_cell_text(rs, row, ALERT_STATE);
    const char *name = rowset_cell_text(rs, row, ALERT_NAME);
    state = state[0] != '\0' ? state : "firing";
    struct seen *s = find(al, rs->source, key);
    if (s != NULL) {
        s->mark = true;
        if (strcmp(s->state, state) == 0) {
            return true;
        }
    } else if (is_over(state)) {
        return true; /* a resolved alert never seen open: nothing happened here */
    }
    const char *detail = rowset_str(rs, rs->rows[row].detail);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "source", rs->source);
    cJSON_AddStringToObject(d, "key", key);
    if (s != NULL) {
        cJSON_AddStringToObject(d, "from", s->state);
    }
    char *fp = detail_value(detail, "fingerprint");
    if (fp != NULL) {
        cJSON_AddStringToObject(d, "fingerprint", fp);
    }
    free(fp);
    cJSON_AddStringToObject(d, "severity", rowset_cell_text(rs, row, ALERT_SEV));
    double starts = rowset_cell_num(rs, row, ALERT_AGE);
    if (starts > 0) {
        char buf[32];
        clock_format_rfc3339_s(buf, (int64_t)starts);
        cJSON_AddStringToObject(d, "starts_at", buf);
    }
    cJSON_AddItemToObject(d, "labels", labels_of(detail));
    bool ok = append(al, action_for(state), name, state, d, cause);
    cJSON_Delete(d);
    if (is_over(state)) {
        if (s != NULL) {
            forget(al, s);
        }
    } else {
        remember(al, rs->source, key, state, name)->mark = true;
    }
    return ok;
}

/* Open alerts of a source that published and are not in its answer any more: gone. */
static bool observe_gone(struct alertlog *al, const char *source, char **cause)
{
    bool ok = true;
    for (size_t i = 0; i < al->n;) {
        struct seen *s = &al->seen[i];
        if (strcmp(s->source, source) != 0 || s->mark) {
            i++;
            continue;
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "source", s->source);
        cJSON_AddStringToObject(d, "key", s->key);
        cJSON_AddStringToObject(d, "from", s->state);
        char *why = NULL;
        if (!append(al, "alert.resolved", s->name, "gone", d, &why)) {
            if (ok) {
                *cause = why;
                why = NULL;
            }
            ok = false;
        }
        free(why);
        cJSON_Delete(d);
        forget(al, s); /* the last one moved here: look at i again */
    }
    return ok;
}

bool alertlog_observe(struct alertlog *al, const struct store *st, char **cause)
{
    if (al == NULL) {
        return true;
    }
    if (al->j == NULL) {
        *cause = xasprintf("%s could not be reopened after its rotation", al->path);
        return false;
    }
    uint64_t gen = store_generation(st, MODEL_ALERTS);
    if (al->observed && gen == al->gen) {
        return true;
    }
    al->observed = true;
    al->gen = gen;
    bool ok = true;
    for (size_t i = 0; i < store_nsets(st, MODEL_ALERTS); i++) {
        const struct rowset *rs = store_set(st, MODEL_ALERTS, i);
        for (size_t k = 0; k < al->n; k++) {
            if (strcmp(al->seen[k].source, rs->source) == 0) {
                al->seen[k].mark = false;
            }
        }
        for (size_t row = 0; row < rs->nrows; row++) {
            char *why = NULL;
            if (!observe_row(al, rs, row, &why)) {
                if (ok) {
                    *cause = why;
                    why = NULL;
                }
                ok = false;
            }
            free(why);
        }
        char *why = NULL;
        if (!observe_gone(al, rs->source, &why)) {
            if (ok) {
                *cause = why;
                why = NULL;
            }
            ok = false;
        }
        free(why);
    }
    char *why = NULL;
    if (ok && !rotate_if_full(al, &why)) {
        *cause = why;
        ok = false;
    } else {
        free(why);
    }
    return ok;
}
