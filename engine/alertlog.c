/*
 * The alert transitions log (alertlog.h). One in-memory entry per open alert
 * (source + key, its state), found through a hash index (struct kindex); a
 * poll's answer is compared with them once per store generation: each row
 * marks its entry with the observe's epoch, and the entries of a source that
 * published left unmarked are gone. Every line goes through journal.c (one
 * batch per observe or rotation), so the file has the audit log's format,
 * mode and durability. The history (the newest transitions, for the History
 * pane) is a ring of entries built from the same journal objects, read back
 * or just written, with its own index: each alert's newest entry, where a
 * "gone" line takes what the alert's last line said.
 */
#include "alertlog.h"

#include "../backends/model.h"
#include "../common/clock.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"
#include "paths.h"
#include "strmap.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
 * An open alert: small, one allocation (no cJSON kept per alert). source and
 * state are interned (al->words: a storm has few of each).
 */
struct seen {
    char *key;     /* "KEY\0NAME" */
    uint32_t hash; /* of source and key */
    uint32_t src, state;
    uint32_t mark; /* the observe that saw it in its source's answer */
};

/* One transition of the history, as its journal line says it. */
struct hist {
    uint64_t id; /* the row key: stable while the console runs */
    int64_t ms;
    uint32_t hash; /* of source and key */
    char *event, *name, *state, *from, *source, *key;
    char *sev, *target, *fp, *starts; /* NULL: not in the line (a "gone" line: the last known) */
    char *labels;                     /* "label.NAME\tvalue\n" lines, or NULL */
};

/*
 * source + key -> an index (+1; 0: an empty slot): open addressing, linear
 * probing, backward-shift deletion, the hash kept in the slot.
 */
struct kslot {
    uint32_t hash, val;
};
struct kindex {
    struct kslot *s;
    size_t cap, n;
};

struct word {
    char *s;
    uint32_t epoch; /* a source: the observe in which it published */
};

struct alertlog {
    struct hist *hist; /* a ring: the oldest at hhead */
    size_t hcap, hn, hhead;
    uint64_t hid;
    bool hdirty;
    struct rowset *building; /* the history's rows, published when built (alertlog_publish) */
    size_t built;            /* rows in it */
    struct kindex hidx;      /* source + key -> its newest entry's place in hist */
    struct journal *j;
    char *path;
    size_t cap;
    size_t open_bytes; /* what the alert.open lines of the open set take (about) */
    size_t open_line;  /* an alert.open line with empty strings */
    size_t base;       /* the file's size after our last rotation */
    uint64_t gen;
    bool observed;
    uint32_t epoch;
    /* an observe under way (in slices): its rows, then its gone ones */
    enum { PASS_IDLE, PASS_ROWS, PASS_GONE, PASS_ROTATE } phase;
    uint64_t pgen;     /* the generation it observes */
    size_t pset, prow; /* the next row */
    size_t pgone;      /* the next open alert to look at for gone */
    size_t protate;    /* a rotation: the next open alert to write an alert.open line for */
    struct seen *seen;
    size_t n, ncap;
    struct kindex idx; /* source + key -> seen */
    struct word *words;
    size_t nwords;
    struct strmap wordmap;
};

char *alertlog_default_path(void)
{
    char *dir = paths_state_dir();
    char *path = dir != NULL ? xasprintf("%s/alerts.jsonl", dir) : NULL;
    free(dir);
    return path;
}

static uint32_t key_hash(const char *source, const char *key)
{
    uint64_t h = fnv1a(fnv1a(fnv1a(FNV1A_OFFSET, source), "\x1f"), key);
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t intern(struct alertlog *al, const char *s)
{
    const int *v = strmap_get(&al->wordmap, s);
    if (v != NULL) {
        return (uint32_t)*v;
    }
    al->words = xreallocarray(al->words, al->nwords + 1, sizeof *al->words);
    al->words[al->nwords] = (struct word){.s = xstrdup(s)};
    strmap_put(&al->wordmap, s, (int)al->nwords);
    return (uint32_t)al->nwords++;
}

static const char *seen_name(const struct seen *s)
{
    return s->key + strlen(s->key) + 1;
}

typedef bool (*kx_eq)(const struct alertlog *al, uint32_t i, const char *source, const char *key);

/* The slot holding source + key, or the empty slot where it would go. */
static size_t kx_slot(const struct alertlog *al, const struct kindex *x, uint32_t h,
                      const char *source, const char *key, kx_eq eq)
{
    size_t mask = x->cap - 1;
    size_t i = h & mask;
    while (x->s[i].val != 0 && !(x->s[i].hash == h && eq(al, x->s[i].val - 1, source, key))) {
        i = (i + 1) & mask;
    }
    return i;
}

/* The slot holding index i (hashed h); SIZE_MAX when absent. */
static size_t kx_slot_of(const struct kindex *x, uint32_t h, uint32_t i)
{
    if (x->cap == 0) {
        return SIZE_MAX;
    }
    size_t mask = x->cap - 1;
    for (size_t k = h & mask; x->s[k].val != 0; k = (k + 1) & mask) {
        if (x->s[k].val == i + 1) {
            return k;
        }
    }
    return SIZE_MAX;
}

/* Add index i (hashed h), known absent. */
static void kx_insert(struct kindex *x, uint32_t h, uint32_t i)
{
    if ((x->n + 1) * 2 > x->cap) {
        struct kindex big = {.cap = x->cap == 0 ? 64 : x->cap * 2, .n = x->n};
        big.s = xcalloc(big.cap, sizeof *big.s);
        for (size_t k = 0; k < x->cap; k++) {
            if (x->s[k].val != 0) {
                size_t at = x->s[k].hash & (big.cap - 1);
                while (big.s[at].val != 0) {
                    at = (at + 1) & (big.cap - 1);
                }
                big.s[at] = x->s[k];
            }
        }
        free(x->s);
        *x = big;
    }
    size_t mask = x->cap - 1;
    size_t k = h & mask;
    while (x->s[k].val != 0) {
        k = (k + 1) & mask;
    }
    x->s[k] = (struct kslot){.hash = h, .val = i + 1};
    x->n++;
}

/* Empty slot k, moving back the entries after it that probed past it. */
static void kx_remove(struct kindex *x, size_t k)
{
    size_t mask = x->cap - 1;
    x->s[k].val = 0;
    for (size_t j = (k + 1) & mask; x->s[j].val != 0; j = (j + 1) & mask) {
        size_t home = x->s[j].hash & mask;
        /* j stays when its home lies cyclically in (k, j] */
        bool stays = k <= j ? (k < home && home <= j) : (k < home || home <= j);
        if (!stays) {
            x->s[k] = x->s[j];
            x->s[j].val = 0;
            k = j;
        }
    }
    x->n--;
}

static bool seen_eq(const struct alertlog *al, uint32_t i, const char *source, const char *key)
{
    const struct seen *s = &al->seen[i];
    return strcmp(s->key, key) == 0 && strcmp(al->words[s->src].s, source) == 0;
}

static bool hist_eq(const struct alertlog *al, uint32_t i, const char *source, const char *key)
{
    const struct hist *h = &al->hist[i];
    return strcmp(h->key, key) == 0 && strcmp(h->source, source) == 0;
}

static struct seen *find(struct alertlog *al, const char *source, const char *key, uint32_t h)
{
    if (al->idx.cap == 0) {
        return NULL;
    }
    size_t k = kx_slot(al, &al->idx, h, source, key, seen_eq);
    return al->idx.s[k].val != 0 ? &al->seen[al->idx.s[k].val - 1] : NULL;
}

/* What the alert.open line of s takes in the file, about (escapes aside). */
static size_t open_bytes(const struct alertlog *al, const struct seen *s)
{
    return al->open_line + strlen(al->words[s->src].s) + strlen(s->key) + strlen(seen_name(s)) +
           strlen(al->words[s->state].s);
}

static void forget(struct alertlog *al, struct seen *s)
{
    uint32_t i = (uint32_t)(s - al->seen);
    al->open_bytes -= open_bytes(al, s);
    kx_remove(&al->idx, kx_slot_of(&al->idx, s->hash, i));
    free(s->key);
    uint32_t last = (uint32_t)--al->n;
    if (i != last) {
        al->seen[i] = al->seen[last];
        al->idx.s[kx_slot_of(&al->idx, al->seen[i].hash, last)].val = i + 1;
    }
}

static struct seen *remember(struct alertlog *al, const char *source, const char *key,
                             const char *state, const char *name)
{
    uint32_t h = key_hash(source, key);
    struct seen *s = find(al, source, key, h);
    name = name != NULL ? name : "";
    if (s != NULL && strcmp(seen_name(s), name) == 0) {
        al->open_bytes -= open_bytes(al, s);
        s->state = intern(al, state);
        al->open_bytes += open_bytes(al, s);
        return s;
    }
    if (s != NULL) {
        forget(al, s);
    }
    if (al->n == al->ncap) {
        al->ncap = al->ncap == 0 ? 64 : al->ncap * 2;
        al->seen = xreallocarray(al->seen, al->ncap, sizeof *al->seen);
    }
    size_t klen = strlen(key), nlen = strlen(name);
    s = &al->seen[al->n];
    *s = (struct seen){.key = xmalloc(klen + nlen + 2),
                       .hash = h,
                       .src = intern(al, source),
                       .state = intern(al, state)};
    memcpy(s->key, key, klen + 1);
    memcpy(s->key + klen + 1, name, nlen + 1);
    kx_insert(&al->idx, h, (uint32_t)al->n++);
    al->open_bytes += open_bytes(al, s);
    return s;
}

/* An alert state that is over: not open any more. */
static bool is_over(const char *state)
{
    return strcmp(state, "resolved") == 0 || strcmp(state, "gone") == 0 ||
           strcmp(state, "inactive") == 0;
}

const char *alertlog_event(const char *action, const char *from)
{
    if (action == NULL) {
        return "";
    }
    const char *what = str_has_prefix(action, "alert.") ? action + 6 : action;
    if (strcmp(what, "fired") == 0 && from != NULL && strcmp(from, "silenced") == 0) {
        return "unsilenced";
    }
    return what;
}

static void hist_clear(struct hist *h)
{
    free(h->event);
    free(h->name);
    free(h->state);
    free(h->from);
    free(h->source);
    free(h->key);
    free(h->sev);
    free(h->target);
    free(h->fp);
    free(h->starts);
    free(h->labels);
    memset(h, 0, sizeof *h);
}

static struct hist *hist_at(const struct alertlog *al, size_t i)
{
    return &al->hist[(al->hhead + i) % al->hcap];
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

/* The labels object as detail lines. */
static char *labels_lines(const cJSON *labels)
{
    struct strbuf sb = {0};
    const cJSON *l;
    cJSON_ArrayForEach(l, labels)
    {
        if (cJSON_IsString(l) && l->string != NULL) {
            strbuf_str(&sb, "label.");
            strbuf_str(&sb, l->string);
            strbuf_add(&sb, "\t", 1);
            strbuf_str(&sb, l->valuestring);
            strbuf_add(&sb, "\n", 1);
        }
    }
    return sb.s;
}

/* A transition into the history (an alert.open line is none); the oldest goes when full. */
static void hist_add(struct alertlog *al, int64_t ms, const char *action, const char *name,
                     const char *state, const cJSON *data)
{
    if (action == NULL || !str_has_prefix(action, "alert.") || strcmp(action, "alert.open") == 0 ||
        al->hcap == 0) {
        return;
    }
    if (al->hist == NULL) {
        al->hist = xcalloc(al->hcap, sizeof *al->hist);
    }
    struct hist *h;
    if (al->hn == al->hcap) {
        h = hist_at(al, 0);
        size_t k = kx_slot_of(&al->hidx, h->hash, (uint32_t)(h - al->hist));
        if (k != SIZE_MAX) {
            kx_remove(&al->hidx, k); /* it was its alert's newest */
        }
        hist_clear(h);
        al->hhead = (al->hhead + 1) % al->hcap;
    } else {
        h = hist_at(al, al->hn++);
    }
    const char *from = json_str(data, "from");
    h->id = ++al->hid;
    h->ms = ms;
    h->event = xstrdup(alertlog_event(action, from));
    h->name = xstrdup(name != NULL ? name : "");
    h->state = dup_or_null(state);
    h->from = dup_or_null(from);
    h->source = xstrdup(json_str(data, "source") ? json_str(data, "source") : "");
    h->key = xstrdup(json_str(data, "key") ? json_str(data, "key") : "");
    h->sev = dup_or_null(json_str(data, "severity"));
    h->target = dup_or_null(json_str(data, "target"));
    h->fp = dup_or_null(json_str(data, "fingerprint"));
    h->starts = dup_or_null(json_str(data, "starts_at"));
    const cJSON *labels = json_obj(data, "labels");
    h->labels = labels != NULL ? labels_lines(labels) : NULL;
    /* a line that says less (resolved: gone) takes what the alert's last one said */
    h->hash = key_hash(h->source, h->key);
    uint32_t at = (uint32_t)(h - al->hist);
    size_t k =
        al->hidx.cap > 0 ? kx_slot(al, &al->hidx, h->hash, h->source, h->key, hist_eq) : SIZE_MAX;
    if (k != SIZE_MAX && al->hidx.s[k].val != 0) {
        const struct hist *o = &al->hist[al->hidx.s[k].val - 1];
        al->hidx.s[k].val = at + 1; /* the newest now */
        if (h->sev == NULL && h->target == NULL && h->fp == NULL) {
            h->sev = dup_or_null(o->sev);
            h->target = dup_or_null(o->target);
            h->fp = dup_or_null(o->fp);
            h->starts = h->starts != NULL ? h->starts : dup_or_null(o->starts);
        }
        if (h->labels == NULL) {
            h->labels = dup_or_null(o->labels);
        }
    } else {
        kx_insert(&al->hidx, h->hash, at);
    }
    al->hdirty = true;
}

static void hist_line(struct alertlog *al, const cJSON *obj)
{
    int64_t ms;
    if (!clock_parse_rfc3339(json_str(obj, "ts"), &ms)) {
        return;
    }
    hist_add(al, ms, json_str(obj, "action"), json_str(obj, "target"), json_str(obj, "result"),
             json_obj(obj, "data"));
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
        struct seen *s = find(al, source, key, key_hash(source, key));
        if (s != NULL) {
            forget(al, s);
        }
        return;
    }
    remember(al, source, key, state, json_str(obj, "target"));
}

/*
 * The file's transitions into the history; into the open alerts too (open).
 * Line by line (each parsed and freed at once), so a storm's megabytes of
 * lines are never all in memory (journal_read would hold them all): a torn
 * or damaged line does not parse and is skipped, as journal_read skips it.
 * Only a regular file has lines.
 */
static void replay_file(struct alertlog *al, const char *path, bool open)
{
    FILE *f = fopen(path, "re");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f != NULL) {
            fclose(f); /* /dev/full and friends have no lines */
        }
        return;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) > 0) {
        cJSON *obj = cJSON_ParseWithLength(buf, (size_t)len);
        if (cJSON_IsObject(obj)) {
            if (open) {
                replay_line(al, obj);
            }
            hist_line(al, obj);
        }
        cJSON_Delete(obj);
    }
    free(buf);
    fclose(f);
}

/* The rotated file first (history only: the current one starts with what is open), then ours. */
static void replay(struct alertlog *al)
{
    char *older = xasprintf("%s.1", al->path);
    replay_file(al, older, false);
    free(older);
    replay_file(al, al->path, true);
}

/*
 * The lines of one observe (or one rotation): one journal batch, begun at the
 * first line, so a storm's 10,000 transitions are one fsync, not 10,000.
 */
struct lines {
    struct alertlog *al;
    struct journal_batch *b;
    size_t count; /* lines so far */
    bool failed;  /* the batch could not begin: the rest is seen, not written */
    char *cause;  /* the first failure */
};

static void line(struct lines *ls, const char *action, const char *name, const char *result,
                 const cJSON *data)
{
    struct journal_event ev = {
        .actor = whoami_user(),
        .host = whoami_host(),
        .action = action,
        .target = name,
        .result = result,
        .data = data,
    };
    hist_add(ls->al, clock_wall_ms(), action, name, result, data); /* seen, even if not written */
    ls->count++;
    if (ls->b == NULL && !ls->failed) {
        ls->b = journal_batch_begin(ls->al->j, &ls->cause);
        ls->failed = ls->b == NULL;
    }
    if (ls->b != NULL) {
        journal_batch_add(ls->b, &ev);
    }
}

/* Write what was added; false with *cause (the first failure). */
static bool lines_done(struct lines *ls, char **cause)
{
    char *why = NULL;
    if (ls->b != NULL && !journal_batch_commit(ls->b, &why) && ls->cause == NULL) {
        ls->cause = why;
        why = NULL;
    }
    free(why);
    ls->b = NULL;
    if (ls->cause != NULL) {
        *cause = ls->cause;
        ls->cause = NULL;
        return false;
    }
    return true;
}

/*
 * Past the cap: .1 takes the file, the new one starts with the alerts still
 * open. The cap grows to fit the open set (the alert.open lines it takes now,
 * or took at our last rotation): an open set larger than the cap rotates once
 * per cap's worth of transitions, not at every observe.
 */
/* The rotation's alert.open lines, from al->protate on, a slice of them. */
static bool rotate_more(struct alertlog *al, char **cause)
{
    struct lines ls = {.al = al};
    for (size_t n = 0; al->protate < al->n && n < ALERTLOG_ROTATE_SLICE; n++, al->protate++) {
        const struct seen *s = &al->seen[al->protate];
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "source", al->words[s->src].s);
        cJSON_AddStringToObject(d, "key", s->key);
        line(&ls, "alert.open", seen_name(s), al->words[s->state].s, d);
        cJSON_Delete(d);
    }
    bool ok = lines_done(&ls, cause);
    if (!ok || al->protate >= al->n) { /* done (or given up: the next write says why) */
        struct stat st;
        al->phase = PASS_IDLE;
        al->base = stat(al->path, &st) == 0 ? (size_t)st.st_size : 0;
    }
    return ok;
}

static bool rotate_if_full(struct alertlog *al, char **cause)
{
    struct stat st;
    size_t open = al->open_bytes > al->base ? al->open_bytes : al->base;
    if (stat(al->path, &st) != 0 || (size_t)st.st_size <= al->cap + open) {
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
    /* the open set's lines in the next calls (alertlog_observing): nothing else meanwhile */
    al->phase = PASS_ROTATE;
    al->protate = 0;
    return true;
}

/* The length of an alert.open line whose strings are empty. */
static size_t open_line_length(void)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "source", "");
    cJSON_AddStringToObject(d, "key", "");
    struct journal_event ev = {.actor = whoami_user(),
                               .host = whoami_host(),
                               .action = "alert.open",
                               .target = "",
                               .result = "",
                               .data = d};
    char *l = journal_format(1000000, clock_wall_ms(), &ev);
    size_t len = strlen(l) + 1;
    free(l);
    cJSON_Delete(d);
    return len;
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
    al->hcap = ALERTLOG_HISTORY;
    al->open_line = open_line_length();
    replay(al);
    char *why = NULL;
    if (!rotate_if_full(al, &why)) {
        free(why); /* a log that cannot rotate still records: the next write says why */
        why = NULL;
    }
    while (al->phase == PASS_ROTATE) { /* at open: all of it */
        if (!rotate_more(al, &why)) {
            free(why);
            why = NULL;
        }
    }
    return al;
}

void alertlog_close(struct alertlog *al)
{
    if (al == NULL) {
        return;
    }
    journal_close(al->j);
    for (size_t i = 0; i < al->n; i++) {
        free(al->seen[i].key);
    }
    for (size_t i = 0; i < al->hn; i++) {
        hist_clear(hist_at(al, i));
    }
    for (size_t i = 0; i < al->nwords; i++) {
        free(al->words[i].s);
    }
    free(al->words);
    strmap_free(&al->wordmap);
    free(al->idx.s);
    free(al->hidx.s);
    rowset_destroy(al->building);
    free(al->hist);
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
static void observe_row(struct lines *ls, const struct rowset *rs, size_t row)
{
    struct alertlog *al = ls->al;
    const char *key = rowset_key(rs, row);
    const char *state = rowset_cell_text(rs, row, ALERT_STATE);
    const char *name = rowset_cell_text(rs, row, ALERT_NAME);
    state = state[0] != '\0' ? state : "firing";
    struct seen *s = find(al, rs->source, key, key_hash(rs->source, key));
    if (s != NULL) {
        s->mark = al->epoch;
        if (strcmp(al->words[s->state].s, state) == 0) {
            return;
        }
    } else if (is_over(state)) {
        return; /* a resolved alert never seen open: nothing happened here */
    }
    const char *detail = rowset_str(rs, rs->rows[row].detail);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "source", rs->source);
    cJSON_AddStringToObject(d, "key", key);
    if (s != NULL) {
        cJSON_AddStringToObject(d, "from", al->words[s->state].s);
    }
    char *fp = detail_value(detail, "fingerprint");
    if (fp != NULL) {
        cJSON_AddStringToObject(d, "fingerprint", fp);
    }
    free(fp);
    cJSON_AddStringToObject(d, "severity", rowset_cell_text(rs, row, ALERT_SEV));
    const char *target = rowset_cell_text(rs, row, ALERT_TARGET);
    if (target[0] != '\0') {
        cJSON_AddStringToObject(d, "target", target);
    }
    double starts = rowset_cell_num(rs, row, ALERT_AGE);
    if (starts > 0) {
        char buf[32];
        clock_format_rfc3339_s(buf, (int64_t)starts);
        cJSON_AddStringToObject(d, "starts_at", buf);
    }
    cJSON_AddItemToObject(d, "labels", labels_of(detail));
    line(ls, action_for(state), name, state, d);
    cJSON_Delete(d);
    if (is_over(state)) {
        if (s != NULL) {
            forget(al, s);
        }
    } else {
        remember(al, rs->source, key, state, name)->mark = al->epoch;
    }
}

/*
 * Open alerts of a source that published and are not in its answer any more:
 * gone. From al->pgone on, until the slice is full; true when all are seen.
 */
static bool observe_gone(struct lines *ls)
{
    struct alertlog *al = ls->al;
    for (size_t i = al->pgone; i < al->n;) {
        struct seen *s = &al->seen[i];
        if (al->words[s->src].epoch != al->epoch || s->mark == al->epoch) {
            i++;
            continue;
        }
        if (ls->count >= ALERTLOG_OBSERVE_SLICE) {
            al->pgone = i;
            return false;
        }
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "source", al->words[s->src].s);
        cJSON_AddStringToObject(d, "key", s->key);
        cJSON_AddStringToObject(d, "from", al->words[s->state].s);
        line(ls, "alert.resolved", seen_name(s), "gone", d);
        cJSON_Delete(d);
        forget(al, s); /* the last one moved here: look at i again */
    }
    return true;
}

/* A pass over the store's answers of generation gen, from the first row. */
static void pass_start(struct alertlog *al, const struct store *st, uint64_t gen)
{
    al->phase = PASS_ROWS;
    al->pgen = gen;
    al->pset = al->prow = al->pgone = 0;
    al->epoch++;
    size_t nsets = store_nsets(st, MODEL_ALERTS);
    for (size_t i = 0; i < nsets; i++) {
        uint32_t src = intern(al, store_set(st, MODEL_ALERTS, i)->source); /* may move words */
        al->words[src].epoch = al->epoch;
    }
}

/* The rows from the pass's cursor on, until the slice is full; true when all are seen. */
static bool observe_rows(struct lines *ls, const struct store *st)
{
    struct alertlog *al = ls->al;
    size_t rows = 0;
    for (size_t nsets = store_nsets(st, MODEL_ALERTS); al->pset < nsets; al->pset++) {
        const struct rowset *rs = store_set(st, MODEL_ALERTS, al->pset);
        for (; al->prow < rs->nrows; al->prow++) {
            if (ls->count >= ALERTLOG_OBSERVE_SLICE || rows++ >= ALERTLOG_OBSERVE_ROWS) {
                return false;
            }
            observe_row(ls, rs, al->prow);
        }
        al->prow = 0;
    }
    return true;
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
    if (al->phase == PASS_ROTATE) {
        return rotate_more(al, cause); /* the answers after it */
    }
    uint64_t gen = store_generation(st, MODEL_ALERTS);
    if (al->phase == PASS_IDLE && al->observed && gen == al->gen) {
        return true;
    }
    /* a new answer mid-way through the rows: from the first row again (the rows seen so far
     * are recorded and cost nothing the second time); the gone ones are decided by the rows
     * of a whole pass, so that part finishes whatever came since */
    if (al->phase == PASS_IDLE || (al->phase == PASS_ROWS && gen != al->pgen)) {
        pass_start(al, st, gen);
    }
    struct lines ls = {.al = al};
    if (al->phase == PASS_ROWS && observe_rows(&ls, st)) {
        al->phase = PASS_GONE;
    }
    if (al->phase == PASS_GONE && observe_gone(&ls)) {
        al->phase = PASS_IDLE;
        al->observed = true;
        al->gen = al->pgen;
    }
    if (!lines_done(&ls, cause)) {
        return false;
    }
    return al->phase != PASS_IDLE || rotate_if_full(al, cause);
}

bool alertlog_observing(const struct alertlog *al)
{
    return al != NULL && al->phase != PASS_IDLE;
}

/* ---- the history, published ---- */

size_t alertlog_history_count(const struct alertlog *al)
{
    return al != NULL ? al->hn : 0;
}

void alertlog_set_history_cap(struct alertlog *al, size_t cap)
{
    cap = cap > 0 ? cap : ALERTLOG_HISTORY;
    struct hist *v = xcalloc(cap, sizeof *v);
    size_t skip = al->hn > cap ? al->hn - cap : 0;
    for (size_t i = 0; i < al->hn; i++) {
        if (i < skip) {
            hist_clear(hist_at(al, i));
        } else {
            v[i - skip] = *hist_at(al, i);
        }
    }
    free(al->hist);
    al->hist = v;
    al->hn -= skip;
    al->hcap = cap;
    al->hhead = 0;
    al->hdirty = true;
    free(al->hidx.s);
    al->hidx = (struct kindex){0};
    for (size_t i = 0; i < al->hn; i++) { /* oldest first: each alert's newest wins */
        const struct hist *h = &al->hist[i];
        size_t k = al->hidx.cap > 0 ? kx_slot(al, &al->hidx, h->hash, h->source, h->key, hist_eq)
                                    : SIZE_MAX;
        if (k != SIZE_MAX && al->hidx.s[k].val != 0) {
            al->hidx.s[k].val = (uint32_t)i + 1;
        } else {
            kx_insert(&al->hidx, h->hash, (uint32_t)i);
        }
    }
}

static enum tone event_tone(const char *event)
{
    if (strcmp(event, "fired") == 0 || strcmp(event, "unsilenced") == 0) {
        return TONE_CRIT;
    }
    if (strcmp(event, "resolved") == 0) {
        return TONE_OK;
    }
    if (strcmp(event, "pending") == 0) {
        return TONE_WARN;
    }
    return strcmp(event, "silenced") == 0 || strcmp(event, "inhibited") == 0 ? TONE_MUTED
                                                                             : TONE_NORMAL;
}

static void hist_row(struct rowset *rs, const struct hist *h)
{
    char key[24], clock[16], when[32];
    snprintf(key, sizeof key, "%llu", (unsigned long long)h->id);
    rowset_begin(rs, key);
    time_t secs = (time_t)(h->ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    rowset_cell(rs, HISTORY_TIME, clock, (double)h->ms / 1000.0);
    rowset_text(rs, HISTORY_EVENT, h->event);
    rowset_cell_tone(rs, HISTORY_EVENT, event_tone(h->event));
    rowset_text(rs, HISTORY_ALERT, h->name);
    rowset_text(rs, HISTORY_SEV, h->sev != NULL ? h->sev : "");
    rowset_text(rs, HISTORY_TARGET, h->target != NULL ? h->target : "");
    rowset_text(rs, HISTORY_FROM, h->from != NULL ? h->from : "");
    rowset_text(rs, HISTORY_SOURCE, h->source);
    clock_format_rfc3339(when, h->ms);
    rowset_detail(rs, "time", when);
    rowset_detail(rs, "event", h->event);
    rowset_detail(rs, "alert", h->name);
    rowset_detail_nonempty(rs, "state", h->state);
    rowset_detail_nonempty(rs, "from", h->from);
    rowset_detail_nonempty(rs, "severity", h->sev);
    rowset_detail_nonempty(rs, "target", h->target);
    rowset_detail(rs, "source", h->source);
    rowset_detail(rs, "key", h->key);
    rowset_detail_nonempty(rs, "fingerprint", h->fp);
    rowset_detail_nonempty(rs, "starts_at", h->starts);
    for (const char *p = h->labels; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *tab = memchr(p, '\t', len);
        if (tab != NULL) {
            char *k = xstrndup(p, (size_t)(tab - p));
            char *v = xstrndup(tab + 1, len - (size_t)(tab - p) - 1);
            rowset_detail(rs, k, v);
            free(k);
            free(v);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    rowset_end(rs);
}

bool alertlog_publish(struct alertlog *al, struct store *st)
{
    if (al == NULL || (al->building == NULL && !al->hdirty)) {
        return false;
    }
    if (al->hdirty) { /* (again) from the newest: a history that moved mid-way is built anew */
        rowset_destroy(al->building);
        al->building = rowset_create(MODEL_HISTORY, "history");
        al->built = 0;
        al->hdirty = false;
        size_t bytes = 0; /* the text of every row up front: 5,000 rows, no arena growing */
        for (size_t i = 0; i < al->hn; i++) {
            const struct hist *h = hist_at(al, i);
            bytes += 320 + strlen(h->name) + (h->labels != NULL ? strlen(h->labels) : 0);
        }
        rowset_reserve(al->building, al->hn, al->hn > 0 ? bytes / al->hn : 0);
    }
    for (size_t n = 0; al->built < al->hn && n < ALERTLOG_PUBLISH_SLICE; n++) {
        hist_row(al->building, hist_at(al, al->hn - 1 - al->built++)); /* newest first */
    }
    if (al->built < al->hn) {
        return false;
    }
    store_publish(st, al->building);
    al->building = NULL;
    return true;
}

bool alertlog_publishing(const struct alertlog *al)
{
    return al != NULL && al->building != NULL;
}
