/*
 * Rowsets and the store. A rowset's strings live in one growing arena (offset 0
 * is the empty string) and its cells in one array, so building 10,000 rows costs
 * a handful of reallocations and freeing them costs four frees. The store holds
 * the newest rowset per (kind, source) and bumps a per-kind generation on every
 * publish so that panes redraw only when something arrived.
 */
#include "model.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define X_COL(id, title, type, minw, maxw, prio, flags) {title, type, minw, maxw, prio, flags},
static const struct column_def alert_cols[] = {ALERT_COLUMNS(X_COL)};
static const struct column_def queue_cols[] = {QUEUE_COLUMNS(X_COL)};
static const struct column_def pool_cols[] = {POOL_COLUMNS(X_COL)};
static const struct column_def deploy_cols[] = {DEPLOY_COLUMNS(X_COL)};
static const struct column_def silence_cols[] = {SILENCE_COLUMNS(X_COL)};
static const struct column_def signal_cols[] = {SIGNAL_COLUMNS(X_COL)};
static const struct column_def promql_cols[] = {PROMQL_COLUMNS(X_COL)};
static const struct column_def history_cols[] = {HISTORY_COLUMNS(X_COL)};
#undef X_COL

static const struct model_schema schemas[MODEL_KINDS] = {
    [MODEL_ALERTS] = {"alerts", "Alerts", alert_cols, ALERT_NCOLS},
    [MODEL_QUEUES] = {"queues", "Queues", queue_cols, QUEUE_NCOLS},
    [MODEL_POOLS] = {"pools", "Pools", pool_cols, POOL_NCOLS},
    [MODEL_DEPLOYS] = {"deploys", "Deployments", deploy_cols, DEPLOY_NCOLS},
    [MODEL_SILENCES] = {"silences", "Silences", silence_cols, SILENCE_NCOLS},
    [MODEL_SIGNALS] = {"signals", "Signals", signal_cols, SIGNAL_NCOLS},
    [MODEL_PROMQL] = {"promql", "PromQL", promql_cols, PROMQL_NCOLS},
    [MODEL_HISTORY] = {"history", "History", history_cols, HISTORY_NCOLS},
};

const struct model_schema *model_schema(enum model_kind kind)
{
    return &schemas[kind];
}

/* By name ("deploys") or by title ("Deployments"), in any case. */
bool model_kind_from_name(const char *name, enum model_kind *out)
{
    for (int k = 0; k < MODEL_KINDS; k++) {
        if (strcasecmp(name, schemas[k].name) == 0 || strcasecmp(name, schemas[k].title) == 0) {
            *out = (enum model_kind)k;
            return true;
        }
    }
    return false;
}

int model_column_by_title(enum model_kind kind, const char *title)
{
    const struct model_schema *s = &schemas[kind];
    for (int i = 0; i < s->ncols; i++) {
        if (strcasecmp(title, s->cols[i].title) == 0) {
            return i;
        }
    }
    return -1;
}

int model_context_column(enum model_kind kind)
{
    const struct model_schema *s = &schemas[kind];
    for (int i = 0; i < s->ncols; i++) {
        if (s->cols[i].flags & COL_CONTEXT) {
            return i;
        }
    }
    return -1;
}

int model_severity_rank(const char *severity)
{
    static const char *const words[][6] = {
        {"none", NULL},
        {"info", "informational", "low", "notice", NULL},
        {"warning", "warn", "medium", "minor", NULL},
        {"error", "err", "high", "major", NULL},
        {"critical", "crit", "fatal", "page", "emergency", NULL},
    };
    for (int rank = 4; rank > 0; rank--) {
        for (int i = 0; words[rank][i] != NULL; i++) {
            if (strcasecmp(severity, words[rank][i]) == 0) {
                return rank;
            }
        }
    }
    return 0;
}

void model_format_num(char *buf, size_t len, double v)
{
    double a = fabs(v);
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
    } else if (a >= 1e9) {
        snprintf(buf, len, "%.1fG", v / 1e9);
    } else if (a >= 1e6) {
        snprintf(buf, len, "%.1fM", v / 1e6);
    } else if (a >= 1e5) {
        snprintf(buf, len, "%.0fk", v / 1e3);
    } else if (a >= 1e4) {
        snprintf(buf, len, "%.1fk", v / 1e3);
    } else if (v == floor(v)) {
        snprintf(buf, len, "%.0f", v);
    } else if (a >= 100) {
        snprintf(buf, len, "%.0f", v);
    } else {
        snprintf(buf, len, "%.1f", v);
    }
}

/* ---- rowsets ---- */

/*
 * Private to a rowset (struct rowset_index): while it is built, the short
 * strings already in its arena by hash, so that the "classic", "running", "0"
 * and the detail lines that 100,000 rows repeat are stored once; once
 * published and patched, its rows by key, and what its arena held then.
 */
struct rowset_index {
    uint32_t *intern; /* offsets; 0 = empty slot (offset 0 is never interned) */
    size_t icap, in;
    size_t interned; /* strings interned when the table was dropped (rowset_size) */
    uint32_t *keys;  /* row + 1 by the key's hash; 0 = empty slot */
    size_t kcap, kn;
    size_t slen0;                /* arena bytes after the last publish or compaction */
    uint32_t last_off, last_len; /* the string appended last (a key whose tail is the name) */
};

enum {
    INTERN_MAX = 64, /* longer strings are rarely repeated */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static struct rowset_index *rowset_ix(struct rowset *rs)
{
    if (rs->index == NULL) {
        rs->index = xcalloc(1, sizeof *rs->index);
    }
    return rs->index;
}

static void intern_put(struct rowset_index *ix, uint64_t h, uint32_t off)
{
    size_t at = (size_t)h & (ix->icap - 1);
    while (ix->intern[at] != 0) {
        at = (at + 1) & (ix->icap - 1);
    }
    ix->intern[at] = off;
    ix->in++;
}

/* The table at cap slots (a power of two, more than twice the strings in it). */
static void intern_resize(struct rowset *rs, size_t cap)
{
    struct rowset_index *ix = rowset_ix(rs);
    uint32_t *old = ix->intern;
    size_t ocap = ix->icap;
    ix->icap = cap;
    ix->intern = xcalloc(ix->icap, sizeof *ix->intern);
    ix->in = 0;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i] != 0) {
            const char *t = rs->strings + old[i];
            intern_put(ix, hash_bytes(t, strlen(t)), old[i]);
        }
    }
    free(old);
}

static void intern_grow(struct rowset *rs)
{
    intern_resize(rs, rs->index->icap ? rs->index->icap * 2 : 1024);
}

static uint32_t arena_append(struct rowset *rs, const char *s, size_t n)
{
    if (rs->slen + n + 1 > MODEL_ARENA_MAX) {
        abort(); /* half a gigabyte of text in one rowset: a backend bug */
    }
    if (rs->slen + n + 1 > rs->scap) {
        size_t cap = rs->scap * 2;
        while (cap < rs->slen + n + 1) {
            cap *= 2;
        }
        rs->strings = xrealloc(rs->strings, cap);
        rs->scap = cap;
    }
    uint32_t off = (uint32_t)rs->slen;
    memcpy(rs->strings + rs->slen, s, n);
    rs->strings[rs->slen + n] = '\0';
    rs->slen += n + 1;
    return off;
}

/* Short strings are interned while the set is open for building (rs->open or a rebuild). */
static uint32_t arena_add_interned(struct rowset *rs, const char *s, size_t n)
{
    struct rowset_index *ix = rowset_ix(rs);
    if ((ix->in + 1) * 2 > ix->icap) {
        intern_grow(rs);
    }
    uint64_t h = hash_bytes(s, n);
    size_t at = (size_t)h & (ix->icap - 1);
    while (ix->intern[at] != 0) {
        const char *t = rs->strings + ix->intern[at];
        /* t may be shorter than n and end the arena: its length first, never past its NUL */
        if (strnlen(t, n + 1) == n && memcmp(t, s, n) == 0) {
            return ix->intern[at];
        }
        at = (at + 1) & (ix->icap - 1);
    }
    uint32_t off;
    if (n <= ix->last_len && ix->last_off != 0 &&
        memcmp(rs->strings + ix->last_off + ix->last_len - n, s, n) == 0) {
        off =
            ix->last_off + ix->last_len - (uint32_t)n; /* "bulk.q1" is the tail of "%2F/bulk.q1" */
    } else {
        off = arena_append(rs, s, n);
        ix->last_off = off;
        ix->last_len = (uint32_t)n;
    }
    ix->intern[at] = off;
    ix->in++;
    return off;
}

static uint32_t arena_add(struct rowset *rs, const char *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if (n <= INTERN_MAX && (rs->index == NULL || rs->index->keys == NULL)) {
        return arena_add_interned(rs, s, n);
    }
    return arena_append(rs, s, n);
}

static void intern_drop(struct rowset *rs)
{
    if (rs->index != NULL) {
        rs->index->last_off = 0;
        rs->index->last_len = 0;
        if (rs->index->intern != NULL) {
            rs->index->interned = rs->index->in;
        }
        free(rs->index->intern);
        rs->index->intern = NULL;
        rs->index->icap = 0;
        rs->index->in = 0;
    }
}

struct rowset *rowset_create(enum model_kind kind, const char *source)
{
    struct rowset *rs = xcalloc(1, sizeof *rs);
    rs->kind = kind;
    rs->ncols = schemas[kind].ncols;
    rs->source = xstrdup(source);
    rs->scap = 256;
    rs->strings = xmalloc(rs->scap);
    rs->strings[0] = '\0';
    rs->slen = 1;
    return rs;
}

void rowset_destroy(struct rowset *rs)
{
    if (rs == NULL) {
        return;
    }
    free(rs->source);
    free(rs->context);
    free(rs->strings);
    free(rs->cells);
    free(rs->rows);
    free(rs->detail);
    if (rs->index != NULL) {
        free(rs->index->intern);
        free(rs->index->keys);
        free(rs->index);
    }
    free(rs);
}

void rowset_reserve(struct rowset *rs, size_t nrows, size_t bytes_per_row)
{
    if (nrows > rs->rcap) {
        rs->rcap = nrows;
        rs->rows = xreallocarray(rs->rows, rs->rcap, sizeof *rs->rows);
    }
    if (nrows * (size_t)rs->ncols > rs->ccap) {
        rs->ccap = nrows * (size_t)rs->ncols;
        rs->cells = xreallocarray(rs->cells, rs->ccap, sizeof *rs->cells);
    }
    if (nrows * bytes_per_row > rs->scap) {
        rs->scap = nrows * bytes_per_row;
        rs->strings = xrealloc(rs->strings, rs->scap);
    }
}

struct rowset_size rowset_size(const struct rowset *rs)
{
    const struct rowset_index *ix = rs->index;
    return (struct rowset_size){
        .nrows = rs->nrows,
        .slen = rs->slen,
        .interned = ix == NULL           ? 0
                    : ix->intern != NULL ? ix->in
                                         : ix->interned,
    };
}

void rowset_reserve_as(struct rowset *rs, struct rowset_size size)
{
    if (size.nrows == 0) {
        return;
    }
    /* a little over the last answer's: a storm grows between two polls */
    size_t nrows = size.nrows + size.nrows / 8;
    rowset_reserve(rs, nrows, (size.slen + size.slen / 8) / nrows + 1);
    size_t want = size.interned + size.interned / 8, cap = 1024;
    while ((want + 1) * 2 > cap) {
        cap *= 2;
    }
    if (cap > rowset_ix(rs)->icap) {
        intern_resize(rs, cap);
    }
}

/* Give back the slack of the doubling growth: a published set never grows. */
static void rowset_shrink(struct rowset *rs)
{
    if (rs->rcap > rs->nrows && rs->nrows > 0) {
        rs->rows = xreallocarray(rs->rows, rs->nrows, sizeof *rs->rows);
        rs->rcap = rs->nrows;
    }
    if (rs->ccap > rs->ncells && rs->ncells > 0) {
        rs->cells = xreallocarray(rs->cells, rs->ncells, sizeof *rs->cells);
        rs->ccap = rs->ncells;
    }
    if (rs->scap > rs->slen) {
        rs->strings = xrealloc(rs->strings, rs->slen);
        rs->scap = rs->slen;
    }
    free(rs->detail);
    rs->detail = NULL;
    rs->dcap = 0;
    intern_drop(rs);
    if (rs->index != NULL) {
        rs->index->slen0 = rs->slen;
    }
}

void rowset_end(struct rowset *rs)
{
    if (!rs->open) {
        return;
    }
    rs->rows[rs->nrows - 1].detail = arena_add(rs, rs->detail ? rs->detail : "", rs->dlen);
    rs->dlen = 0;
    rs->open = false;
}

void rowset_fill(struct rowset *rs, int col, const char *text)
{
    rowset_end(rs);
    if (col < 0 || col >= rs->ncols || rs->nrows == 0) {
        return;
    }
    uint32_t off = arena_add(rs, text, strlen(text));
    for (size_t r = 0; r < rs->nrows; r++) {
        rs->cells[rs->rows[r].first_cell + (uint32_t)col].text = off;
    }
}

void rowset_begin(struct rowset *rs, const char *key)
{
    rowset_end(rs);
    if (rs->nrows == rs->rcap) {
        rs->rcap = rs->rcap ? rs->rcap * 2 : 16;
        rs->rows = xreallocarray(rs->rows, rs->rcap, sizeof *rs->rows);
    }
    if (rs->ncells + (size_t)rs->ncols > rs->ccap) {
        rs->ccap = rs->ccap ? rs->ccap * 2 : 16 * (size_t)rs->ncols;
        rs->cells = xreallocarray(rs->cells, rs->ccap, sizeof *rs->cells);
    }
    struct row *r = &rs->rows[rs->nrows++];
    r->key = arena_add(rs, key, strlen(key));
    r->detail = 0;
    r->first_cell = (uint32_t)rs->ncells;
    r->tone = TONE_NORMAL;
    memset(&rs->cells[rs->ncells], 0, sizeof *rs->cells * (size_t)rs->ncols);
    rs->ncells += (size_t)rs->ncols;
    rs->open = true;
}

static struct cell *current_cell(struct rowset *rs, int col)
{
    if (!rs->open || col < 0 || col >= rs->ncols) {
        abort(); /* a backend bug, not bad input: fail loudly in tests */
    }
    return &rs->cells[rs->rows[rs->nrows - 1].first_cell + (uint32_t)col];
}

void rowset_cell(struct rowset *rs, int col, const char *text, double num)
{
    struct cell *c = current_cell(rs, col);
    uint32_t off = arena_add(rs, text, strlen(text));
    c = current_cell(rs, col); /* cells do not move, but keep the pattern obvious */
    c->text = off;
    c->num = num;
}

void rowset_text(struct rowset *rs, int col, const char *text)
{
    rowset_cell(rs, col, text ? text : "", 0);
}

void rowset_textf(struct rowset *rs, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    rowset_cell(rs, col, s, 0);
    free(s);
}

void rowset_num(struct rowset *rs, int col, double value)
{
    char buf[32];
    model_format_num(buf, sizeof buf, value);
    rowset_cell(rs, col, buf, value);
}

void rowset_cell_tone(struct rowset *rs, int col, enum tone tone)
{
    current_cell(rs, col)->tone = (uint8_t)tone;
}

void rowset_row_tone(struct rowset *rs, enum tone tone)
{
    if (rs->open) {
        rs->rows[rs->nrows - 1].tone = (uint8_t)tone;
    }
}

void rowset_detail(struct rowset *rs, const char *key, const char *value)
{
    if (!rs->open) {
        return;
    }
    size_t kl = strlen(key), vl = strlen(value);
    if (rs->dlen + kl + vl + 3 > rs->dcap) {
        rs->dcap = (rs->dlen + kl + vl + 3) * 2;
        rs->detail = xrealloc(rs->detail, rs->dcap);
    }
    char *p = rs->detail + rs->dlen;
    memcpy(p, key, kl);
    p[kl] = '\t';
    /* values are one line each: newlines would break the detail format */
    for (size_t i = 0; i < vl; i++) {
        p[kl + 1 + i] = (value[i] == '\n' || value[i] == '\t') ? ' ' : value[i];
    }
    p[kl + 1 + vl] = '\n';
    rs->dlen += kl + vl + 2;
    rs->detail[rs->dlen] = '\0';
}

static void detail_add(struct rowset *rs, const char *text, size_t n)
{
    if (rs->dlen + n + 1 > rs->dcap) {
        rs->dcap = (rs->dlen + n + 1) * 2;
        rs->detail = xrealloc(rs->detail, rs->dcap);
    }
    memcpy(rs->detail + rs->dlen, text, n);
    rs->dlen += n;
    rs->detail[rs->dlen] = '\0';
}

void rowset_copy_row(struct rowset *dst, const struct rowset *src, size_t row)
{
    rowset_begin(dst, rowset_key(src, row));
    const struct cell *from = rowset_cells(src, row);
    int ncols = src->ncols < dst->ncols ? src->ncols : dst->ncols;
    for (int c = 0; c < ncols; c++) {
        const char *text = rowset_str(src, from[c].text);
        uint32_t off = arena_add(dst, text, strlen(text));
        struct cell *to = current_cell(dst, c);
        to->text = off;
        to->num = from[c].num;
        to->tone = from[c].tone;
    }
    dst->rows[dst->nrows - 1].tone = src->rows[row].tone;
    const char *detail = rowset_str(src, src->rows[row].detail);
    detail_add(dst, detail, strlen(detail));
}

void rowset_detail_nonempty(struct rowset *rs, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0') {
        rowset_detail(rs, key, value);
    }
}

void rowset_detailf(struct rowset *rs, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    rowset_detail(rs, key, s);
    free(s);
}

const char *rowset_str(const struct rowset *rs, uint32_t off)
{
    return rs->strings + off;
}

const struct cell *rowset_cells(const struct rowset *rs, size_t row)
{
    return &rs->cells[rs->rows[row].first_cell];
}

const char *rowset_key(const struct rowset *rs, size_t row)
{
    return rs->strings + rs->rows[row].key;
}

const char *rowset_cell_text(const struct rowset *rs, size_t row, int col)
{
    return rs->strings + rowset_cells(rs, row)[col].text;
}

double rowset_cell_num(const struct rowset *rs, size_t row, int col)
{
    return rowset_cells(rs, row)[col].num;
}

/* ---- the store ---- */

struct feed_list {
    struct rowset **sets;
    size_t n, cap;
    uint64_t generation;
    /* the rows patched after generation log_base, oldest first (store_changes) */
    struct store_change *log;
    size_t nlog, logcap;
    uint64_t log_base;
};

enum {
    LOG_MAX = 8192, /* changes remembered per kind; a view further behind rebuilds */
};

struct store {
    struct feed_list kinds[MODEL_KINDS];
    char **alias; /* pairs: name, source */
    size_t nalias;
};

struct store *store_create(void)
{
    return xcalloc(1, sizeof(struct store));
}

void store_destroy(struct store *st)
{
    if (st == NULL) {
        return;
    }
    for (int k = 0; k < MODEL_KINDS; k++) {
        for (size_t i = 0; i < st->kinds[k].n; i++) {
            rowset_destroy(st->kinds[k].sets[i]);
        }
        free(st->kinds[k].sets);
        free(st->kinds[k].log);
    }
    for (size_t i = 0; i < st->nalias * 2; i++) {
        free(st->alias[i]);
    }
    free(st->alias);
    free(st);
}

void store_publish(struct store *st, struct rowset *rs)
{
    rowset_end(rs);
    rowset_shrink(rs);
    struct feed_list *fl = &st->kinds[rs->kind];
    fl->generation++;
    fl->nlog = 0; /* a whole set replaced: views rebuild */
    fl->log_base = fl->generation;
    for (size_t i = 0; i < fl->n; i++) {
        if (strcmp(fl->sets[i]->source, rs->source) == 0) {
            rowset_destroy(fl->sets[i]);
            fl->sets[i] = rs;
            return;
        }
    }
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 4;
        fl->sets = xreallocarray(fl->sets, fl->cap, sizeof *fl->sets);
    }
    fl->sets[fl->n++] = rs;
}

void store_forget(struct store *st, enum model_kind kind, const char *source)
{
    struct feed_list *fl = &st->kinds[kind];
    for (size_t i = 0; i < fl->n; i++) {
        if (strcmp(fl->sets[i]->source, source) == 0) {
            rowset_destroy(fl->sets[i]);
            memmove(&fl->sets[i], &fl->sets[i + 1], (fl->n - i - 1) * sizeof *fl->sets);
            fl->n--;
            fl->generation++;
            fl->nlog = 0;
            fl->log_base = fl->generation;
            return;
        }
    }
}

/* ---- patches ---- */

static void keys_put(struct rowset_index *ix, const char *key, uint32_t row)
{
    size_t at = (size_t)hash_bytes(key, strlen(key)) & (ix->kcap - 1);
    while (ix->keys[at] != 0) {
        at = (at + 1) & (ix->kcap - 1);
    }
    ix->keys[at] = row + 1;
    ix->kn++;
}

static void keys_rehash(struct rowset *rs)
{
    struct rowset_index *ix = rs->index;
    size_t cap = 64;
    while (cap < rs->nrows + rs->nrows / 8 + 1) { /* up to 8/9 full: a key costs 4 bytes */
        cap *= 2;
    }
    free(ix->keys);
    ix->keys = xcalloc(cap, sizeof *ix->keys);
    ix->kcap = cap;
    ix->kn = 0;
    for (size_t r = 0; r < rs->nrows; r++) {
        keys_put(ix, rowset_key(rs, r), (uint32_t)r);
    }
}

static long keys_find(const struct rowset *rs, const char *key)
{
    const struct rowset_index *ix = rs->index;
    size_t at = (size_t)hash_bytes(key, strlen(key)) & (ix->kcap - 1);
    while (ix->keys[at] != 0) {
        uint32_t r = ix->keys[at] - 1;
        if (strcmp(rowset_key(rs, r), key) == 0) {
            return (long)r;
        }
        at = (at + 1) & (ix->kcap - 1);
    }
    return -1;
}

/* A string of a patch into the set, reusing the set's own when equal (most cells do not change). */
static uint32_t patch_str(struct rowset *base, uint32_t old, const char *s)
{
    if (strcmp(base->strings + old, s) == 0) {
        return old;
    }
    return arena_add(base, s, strlen(s));
}

/*
 * Patched strings pile up behind the ones they replaced: when the arena has
 * doubled since the last publish, copy the live strings into a new one
 * (interned again). Rows keep their indexes, so views stay valid.
 */
static void rowset_compact(struct rowset *rs)
{
    struct rowset_index *ix = rs->index;
    char *old = rs->strings;
    rs->scap = ix->slen0 + 256;
    rs->strings = xmalloc(rs->scap);
    rs->strings[0] = '\0';
    rs->slen = 1;
    uint32_t *keys = ix->keys; /* rows by key: indexes, not offsets; intern meanwhile */
    ix->keys = NULL;
    ix->last_off = 0; /* an offset into the old arena */
    ix->last_len = 0;
    for (size_t r = 0; r < rs->nrows; r++) {
        struct row *row = &rs->rows[r];
        row->key = arena_add(rs, old + row->key, strlen(old + row->key));
        row->detail = arena_add(rs, old + row->detail, strlen(old + row->detail));
        struct cell *c = &rs->cells[row->first_cell];
        for (int i = 0; i < rs->ncols; i++) {
            c[i].text = arena_add(rs, old + c[i].text, strlen(old + c[i].text));
        }
    }
    free(old);
    intern_drop(rs);
    ix->keys = keys;
    rs->strings = xrealloc(rs->strings, rs->slen);
    rs->scap = rs->slen;
    ix->slen0 = rs->slen;
}

static void log_change(struct feed_list *fl, const struct rowset *rs, uint32_t row)
{
    if (fl->nlog == LOG_MAX) {
        /* forget the older half; a view that far behind rebuilds */
        size_t drop = LOG_MAX / 2;
        uint64_t gen = fl->log[drop - 1].generation;
        while (drop < fl->nlog && fl->log[drop].generation == gen) {
            drop++;
        }
        memmove(fl->log, fl->log + drop, (fl->nlog - drop) * sizeof *fl->log);
        fl->nlog -= drop;
        fl->log_base = gen;
    }
    if (fl->nlog == fl->logcap) {
        fl->logcap = fl->logcap ? fl->logcap * 2 : 64;
        fl->log = xreallocarray(fl->log, fl->logcap, sizeof *fl->log);
    }
    fl->log[fl->nlog++] = (struct store_change){rs, row, fl->generation};
}

static uint32_t patch_row(struct rowset *base, struct feed_list *fl, const struct rowset *p,
                          size_t r)
{
    const char *key = rowset_key(p, r);
    long at = keys_find(base, key);
    if (at < 0) {
        /* a new key: a new row at the end */
        if (base->nrows == base->rcap) {
            base->rcap = base->rcap ? base->rcap * 2 : 16;
            base->rows = xreallocarray(base->rows, base->rcap, sizeof *base->rows);
        }
        if (base->ncells + (size_t)base->ncols > base->ccap) {
            base->ccap = base->ccap ? base->ccap * 2 : 16 * (size_t)base->ncols;
            base->cells = xreallocarray(base->cells, base->ccap, sizeof *base->cells);
        }
        at = (long)base->nrows++;
        struct row *nr = &base->rows[at];
        nr->key = arena_add(base, key, strlen(key));
        nr->detail = 0;
        nr->first_cell = (uint32_t)base->ncells;
        memset(&base->cells[base->ncells], 0, sizeof *base->cells * (size_t)base->ncols);
        base->ncells += (size_t)base->ncols;
        if ((base->index->kn + 1) * 8 > base->index->kcap * 7) {
            keys_rehash(base);
        } else {
            keys_put(base->index, rowset_str(base, nr->key), (uint32_t)at);
        }
    }
    struct row *dst = &base->rows[at];
    const struct row *src = &p->rows[r];
    dst->tone = src->tone;
    dst->detail = patch_str(base, dst->detail, rowset_str(p, src->detail));
    struct cell *dc = &base->cells[dst->first_cell];
    const struct cell *sc = rowset_cells(p, r);
    for (int c = 0; c < base->ncols; c++) {
        dc[c].num = sc[c].num;
        dc[c].tone = sc[c].tone;
        dc[c].text = patch_str(base, dc[c].text, rowset_str(p, sc[c].text));
    }
    log_change(fl, base, (uint32_t)at);
    return (uint32_t)at;
}

void store_patch(struct store *st, struct rowset *rs)
{
    rowset_end(rs);
    struct feed_list *fl = &st->kinds[rs->kind];
    struct rowset *base = NULL;
    for (size_t i = 0; i < fl->n && base == NULL; i++) {
        if (strcmp(fl->sets[i]->source, rs->source) == 0) {
            base = fl->sets[i];
        }
    }
    if (base == NULL) {
        store_publish(st, rs);
        return;
    }
    struct rowset_index *ix = rowset_ix(base);
    if (ix->keys == NULL) {
        intern_drop(base);
        keys_rehash(base);
        if (ix->slen0 == 0) {
            ix->slen0 = base->slen;
        }
    }
    fl->generation++;
    for (size_t r = 0; r < rs->nrows; r++) {
        patch_row(base, fl, rs, r);
    }
    if (base->slen > 2 * ix->slen0 + 65536) {
        rowset_compact(base);
    }
    rowset_destroy(rs);
}

bool store_changes(const struct store *st, enum model_kind kind, uint64_t since,
                   const struct store_change **out, size_t *n)
{
    const struct feed_list *fl = &st->kinds[kind];
    if (since < fl->log_base || since > fl->generation) {
        return false;
    }
    size_t lo = 0, hi = fl->nlog; /* the first change after since */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fl->log[mid].generation <= since) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *out = fl->log + lo;
    *n = fl->nlog - lo;
    return true;
}

uint64_t store_generation(const struct store *st, enum model_kind kind)
{
    return st->kinds[kind].generation;
}

size_t store_nsets(const struct store *st, enum model_kind kind)
{
    return st->kinds[kind].n;
}

const struct rowset *store_set(const struct store *st, enum model_kind kind, size_t i)
{
    return st->kinds[kind].sets[i];
}

size_t store_nrows(const struct store *st, enum model_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < st->kinds[kind].n; i++) {
        n += st->kinds[kind].sets[i]->nrows;
    }
    return n;
}

void store_alias(struct store *st, const char *name, const char *source)
{
    st->alias = xreallocarray(st->alias, st->nalias * 2 + 2, sizeof *st->alias);
    st->alias[st->nalias * 2] = xstrdup(name);
    st->alias[st->nalias * 2 + 1] = xstrdup(source);
    st->nalias++;
}

bool store_find(const struct store *st, enum model_kind kind, const char *source, const char *key,
                const struct rowset **rs, size_t *row)
{
    for (size_t i = 0; i < st->nalias; i++) {
        if (strcmp(st->alias[i * 2], source) == 0) {
            source = st->alias[i * 2 + 1];
            break;
        }
    }
    const struct feed_list *fl = &st->kinds[kind];
    for (size_t i = 0; i < fl->n; i++) {
        if (strcmp(fl->sets[i]->source, source) != 0) {
            continue;
        }
        if (fl->sets[i]->index != NULL && fl->sets[i]->index->keys != NULL) {
            long at = keys_find(fl->sets[i], key); /* a patched set has its rows by key */
            if (at >= 0) {
                *rs = fl->sets[i];
                *row = (size_t)at;
            }
            return at >= 0;
        }
        for (size_t r = 0; r < fl->sets[i]->nrows; r++) {
            if (strcmp(rowset_key(fl->sets[i], r), key) == 0) {
                *rs = fl->sets[i];
                *row = r;
                return true;
            }
        }
    }
    return false;
}

void rowset_silence_state(struct rowset *rs, const char *state, int64_t starts, int64_t ends,
                          int64_t now)
{
    char dur[24], text[48] = "";
    enum tone tone = TONE_NORMAL;
    const char *s = state != NULL ? state : "";
    /* a server clock a little off ours must not read "in --" */
    if (strcmp(s, "active") == 0) {
        tone = TONE_INFO;
        if (ends > 0) {
            duration_format2(dur, sizeof dur, ends > now ? ends - now : 0);
            snprintf(text, sizeof text, "in %s", dur);
        }
    } else if (strcmp(s, "pending") == 0) {
        tone = TONE_WARN;
        if (starts > 0) {
            duration_format2(dur, sizeof dur, starts > now ? starts - now : 0);
            snprintf(text, sizeof text, "starts in %s", dur);
        }
    } else if (strcmp(s, "expired") == 0) {
        tone = TONE_MUTED;
        if (ends > 0) {
            duration_format2(dur, sizeof dur, now > ends ? now - ends : 0);
            snprintf(text, sizeof text, "ended %s ago", dur);
        }
    }
    rowset_text(rs, SILENCE_STATE, s);
    rowset_row_tone(rs, tone);
    rowset_cell(rs, SILENCE_ENDS, text, (double)ends);
}

const char *model_rollout_name(enum rollout r)
{
    static const char *const names[] = {
        [ROLLOUT_COMPLETE] = "complete",
        [ROLLOUT_PROGRESSING] = "progressing",
        [ROLLOUT_FAILED] = "failed",
        [ROLLOUT_PAUSED] = "paused",
    };
    return names[r];
}

enum tone model_rollout_tone(enum rollout r)
{
    static const enum tone tones[] = {
        [ROLLOUT_COMPLETE] = TONE_OK,
        [ROLLOUT_PROGRESSING] = TONE_INFO,
        [ROLLOUT_FAILED] = TONE_CRIT,
        [ROLLOUT_PAUSED] = TONE_WARN,
    };
    return tones[r];
}

/* ---- unique keys ---- */

/* Set of 64-bit hashes of keys; 0 marks an empty slot. */
static bool keys_insert(struct model_keys *ks, uint64_t h)
{
    if (h == 0) {
        h = 1;
    }
    if ((ks->n + 1) * 2 > ks->cap) {
        struct model_keys bigger = {.cap = ks->cap ? ks->cap * 2 : 64};
        bigger.slots = xcalloc(bigger.cap, sizeof *bigger.slots);
        for (size_t i = 0; i < ks->cap; i++) {
            if (ks->slots[i] != 0) {
                keys_insert(&bigger, ks->slots[i]);
            }
        }
        free(ks->slots);
        *ks = bigger;
    }
    size_t i = (size_t)(h & (ks->cap - 1));
    while (ks->slots[i] != 0) {
        if (ks->slots[i] == h) {
            return false;
        }
        i = (i + 1) & (ks->cap - 1);
    }
    ks->slots[i] = h;
    ks->n++;
    return true;
}

char *model_keys_unique(struct model_keys *ks, const char *key)
{
    if (keys_insert(ks, fnv1a(FNV1A_OFFSET, key))) {
        return xstrdup(key);
    }
    for (unsigned n = 2;; n++) {
        char *k = xasprintf("%s~%u", key, n);
        if (keys_insert(ks, fnv1a(FNV1A_OFFSET, k))) {
            return k;
        }
        free(k);
    }
}

void model_keys_free(struct model_keys *ks)
{
    free(ks->slots);
    memset(ks, 0, sizeof *ks);
}
