/*
 * Filter, sort and selection over the store's rows, kept up to date without
 * redoing what did not change (struct tableview_cache):
 *
 *   order   every row of the kind in view order (sorted, or as published);
 *           when the store says only some rows were patched (store_changes),
 *           those are taken out and merged back in at their new places;
 *   match   a bit per row: passes the filter. A patched row is tested again;
 *           a longer filter tests only the rows the shorter one kept, and the
 *           last few filters' bits are remembered, so Backspace costs no scan;
 *   cw      each row's cell widths, measured once per change of the row.
 *
 * The visible rows are then one walk of order keeping the matching ones, and
 * the column widths one walk over their cached widths. A whole new rowset
 * (a backend's publish) or a new sort rebuilds order from scratch.
 */
#include "tableview.h"

#include "rowmatch.h"
#include "../common/natural.h"

#include "../common/util.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tableview_init(struct tableview *tv, enum model_kind kind)
{
    memset(tv, 0, sizeof *tv);
    tv->kind = kind;
    tv->sort_col = -1;
    tv->then_col = -1;
    tv->group_col = -1;
    tv->group_counts_col = -1;
}

enum {
    MEMO_MAX = 8, /* filters whose results are remembered (Backspace) */
};

struct tv_memo {
    char filter[128];
    uint64_t *bits;
};

struct tableview_cache {
    /* the store's sets the view was built from, each one's first row number and size */
    const struct rowset **sets;
    size_t *base, *size;
    size_t nsets;
    size_t total, words; /* rows; 64-bit words of a bitmap over them */
    struct rowref *order;
    bool order_valid;
    int sort_col, then_col;
    bool sort_desc, then_desc;
    uint64_t *match;
    bool match_valid;
    char matched[128]; /* the filter match is for */
    uint8_t *cw;       /* cell widths per row, 4 bits each (15: 15 or more, measured then) */
    uint64_t *cw_ok;
    int ncols;
    uint64_t *scratch; /* rows changed in one update */
    bool alias;        /* tv->rows is order (sorted, nothing filtered or grouped) */
    int skip;          /* the column a filter does not read: the auto-hidden CONTEXT, or -1 */
    struct tv_memo memo[MEMO_MAX];
    int memo_next;
};

static void cache_free(struct tableview_cache *c)
{
    if (c == NULL) {
        return;
    }
    free(c->sets);
    free(c->base);
    free(c->size);
    free(c->order);
    free(c->match);
    free(c->cw);
    free(c->cw_ok);
    free(c->scratch);
    for (int i = 0; i < MEMO_MAX; i++) {
        free(c->memo[i].bits);
    }
    free(c);
}

void tableview_finish(struct tableview *tv)
{
    if (tv->cache != NULL && tv->cache->alias) {
        tv->rows = NULL; /* it is the cache's order */
    }
    cache_free(tv->cache);
    tableview_clear_marks(tv);
    for (size_t i = 0; i < tv->ncontexts_set; i++) {
        free(tv->contexts[i]);
    }
    free(tv->contexts);
    free(tv->group_size);
    free(tv->group_sev);
    free(tv->all);
    free(tv->rows);
    free(tv->sel_source);
    free(tv->sel_key);
    memset(tv, 0, sizeof *tv);
}

bool tableview_row_matches(const struct rowset *rs, size_t row, const char *needle)
{
    const struct cell *cells = rowset_cells(rs, row);
    for (int c = 0; c < rs->ncols; c++) {
        if (str_casestr(rowset_str(rs, cells[c].text), needle) != NULL) {
            return true;
        }
    }
    return false;
}

static const char *context_name(const char *context)
{
    return context != NULL ? context : "default";
}

bool tableview_context_shown(const struct tableview *tv, const char *context)
{
    if (tv->ncontexts_set == 0) {
        return true;
    }
    for (size_t i = 0; i < tv->ncontexts_set; i++) {
        if (strcmp(tv->contexts[i], context_name(context)) == 0) {
            return true;
        }
    }
    return false;
}

bool tableview_col_auto_hidden(const struct tableview *tv, int col)
{
    const struct model_schema *s = model_schema(tv->kind);
    return col >= 0 && col < s->ncols && (s->cols[col].flags & COL_CONTEXT) && tv->ncontexts <= 1;
}

/* Is a rowset in the view at all? A kind without a CONTEXT column (History) is every context's. */
static bool set_shown(const struct tableview *tv, const struct rowset *rs)
{
    return model_context_column(tv->kind) < 0 || tableview_context_shown(tv, rs->context);
}

/* How many contexts these rowsets are of: 0, 1, or 2 for more than one. */
static int count_contexts(const struct rowset *const *sets, size_t n)
{
    const char *first = NULL;
    for (size_t s = 0; s < n; s++) {
        const char *c = context_name(sets[s]->context);
        if (first == NULL) {
            first = c;
        } else if (strcmp(first, c) != 0) {
            return 2;
        }
    }
    return first != NULL ? 1 : 0;
}

static void cache_free(struct tableview_cache *c);
static void unalias(struct tableview *tv);

void tableview_set_contexts(struct tableview *tv, const struct store *st, const char *const *names,
                            size_t n)
{
    for (size_t i = 0; i < tv->ncontexts_set; i++) {
        free(tv->contexts[i]);
    }
    free(tv->contexts);
    tv->contexts = n > 0 ? xcalloc(n, sizeof *tv->contexts) : NULL;
    for (size_t i = 0; i < n; i++) {
        tv->contexts[i] = xstrdup(names[i]);
    }
    tv->ncontexts_set = n;
    tv->top = 0;
    unalias(tv); /* the sets shown change: built again from the store */
    cache_free(tv->cache);
    tv->cache = NULL;
    tv->built = false;
    tableview_rebuild(tv, st);
}

/* qsort has no context argument in C11; the loop is single-threaded. */
static const struct tableview *sort_ctx;

static int compare_col(const struct tableview *tv, const struct rowref *a, const struct rowref *b,
                       int col, bool desc)
{
    const struct column_def *d = &model_schema(tv->kind)->cols[col];
    const struct cell *ca = &a->rs->cells[a->rs->rows[a->row].first_cell + (uint32_t)col];
    const struct cell *cb = &b->rs->cells[b->rs->rows[b->row].first_cell + (uint32_t)col];
    const char *ta = a->rs->strings + ca->text, *tb = b->rs->strings + cb->text;
    int c = 0;
    if (d->flags & COL_SEVERITY) {
        int ra = model_severity_rank(ta), rb = model_severity_rank(tb);
        c = ra < rb ? -1 : ra > rb ? 1 : 0; /* "Warning" is "warning": the next key decides */
    } else if (d->type == CELL_TEXT) {
        c = natural_cmp(ta, tb);
    } else {
        /*
         * No data (NaN) goes after every number in both directions: a service
         * nobody measures is not the worst nor the best. NaNs tie with each
         * other, so the order stays a total preorder (qsort needs it).
         */
        bool na = isnan(ca->num), nb = isnan(cb->num);
        if (na || nb) {
            return na == nb ? 0 : na ? 1 : -1;
        }
        c = ca->num < cb->num ? -1 : ca->num > cb->num ? 1 : 0;
    }
    return desc ? -c : c;
}

/* Rows equal in the sort column: the second column, then the published order. */
static int compare_after_sort_col(const struct rowref *a, const struct rowref *b)
{
    const struct tableview *tv = sort_ctx;
    int c = 0;
    if (tv->then_col >= 0 && tv->then_col != tv->sort_col) {
        c = compare_col(tv, a, b, tv->then_col, tv->then_desc);
    }
    if (c == 0) {
        /* ties keep the published order: stable and predictable */
        c = a->rs != b->rs ? strcmp(a->rs->source, b->rs->source) : (a->row < b->row ? -1 : 1);
    }
    return c;
}

static int compare_refs(const void *pa, const void *pb)
{
    const struct rowref *a = pa, *b = pb;
    int c = compare_col(sort_ctx, a, b, sort_ctx->sort_col, sort_ctx->sort_desc);
    return c != 0 ? c : compare_after_sort_col(a, b);
}

static void rebuild(struct tableview *tv, const struct store *st, bool keep_wanted);

/* The operator changed the view (filter, sort, group): the row they see selected is the one kept.
 */
void tableview_rebuild(struct tableview *tv, const struct store *st)
{
    rebuild(tv, st, false);
}

/* ---- the incremental machinery ---- */

static inline bool bit_get(const uint64_t *b, size_t i)
{
    return (b[i / 64] >> (i % 64)) & 1u;
}

static inline void bit_put(uint64_t *b, size_t i, bool v)
{
    if (v) {
        b[i / 64] |= 1ull << (i % 64);
    } else {
        b[i / 64] &= ~(1ull << (i % 64));
    }
}

/* The row number of a ref over every set of the kind. */
static size_t row_index(const struct tableview_cache *c, const struct rowref *r)
{
    for (size_t s = 0; s < c->nsets; s++) {
        if (c->sets[s] == r->rs) {
            return c->base[s] + r->row;
        }
    }
    abort(); /* a ref into a set the view does not know: a bug */
}

static int set_index(const struct tableview_cache *c, const struct rowset *rs)
{
    for (size_t s = 0; s < c->nsets; s++) {
        if (c->sets[s] == rs) {
            return (int)s;
        }
    }
    return -1;
}

/* tv->rows stops being the order array (which is about to go, or to be filtered). */
static void unalias(struct tableview *tv)
{
    if (tv->cache != NULL && tv->cache->alias) {
        tv->rows = NULL;
        tv->cap = 0;
        tv->nrows = 0;
        tv->cache->alias = false;
    }
}

/* Forget everything: the store's sets are not the ones the view was built from. */
static void cache_reset(struct tableview *tv, const struct store *st)
{
    struct tableview_cache *c = tv->cache;
    if (c == NULL) {
        c = tv->cache = xcalloc(1, sizeof *c);
    }
    size_t nall = store_nsets(st, tv->kind);
    c->sets = xreallocarray(c->sets, nall ? nall : 1, sizeof *c->sets);
    c->base = xreallocarray(c->base, nall ? nall : 1, sizeof *c->base);
    c->size = xreallocarray(c->size, nall ? nall : 1, sizeof *c->size);
    c->nsets = 0;
    size_t total = 0;
    for (size_t s = 0; s < nall; s++) {
        const struct rowset *rs = store_set(st, tv->kind, s);
        if (!set_shown(tv, rs)) {
            continue; /* another context's: not in the view, not counted */
        }
        c->sets[c->nsets] = rs;
        c->base[c->nsets] = total;
        c->size[c->nsets] = rs->nrows;
        total += rs->nrows;
        c->nsets++;
    }
    tv->ncontexts = count_contexts(c->sets, c->nsets);
    int ctx_col = model_context_column(tv->kind);
    c->skip = tableview_col_auto_hidden(tv, ctx_col) ? ctx_col : -1;
    c->ncols = model_schema(tv->kind)->ncols;
    unalias(tv);
    free(c->order);
    c->order = NULL;
    if (total > c->total || c->cw == NULL) {
        c->cw = xreallocarray(c->cw, total ? total : 1, (size_t)(c->ncols + 1) / 2);
    }
    c->total = total;
    c->words = (total + 63) / 64 + 1;
    c->match = xreallocarray(c->match, c->words, sizeof *c->match);
    c->cw_ok = xreallocarray(c->cw_ok, c->words, sizeof *c->cw_ok);
    c->scratch = xreallocarray(c->scratch, c->words, sizeof *c->scratch);
    memset(c->cw_ok, 0, c->words * sizeof *c->cw_ok);
    memset(c->scratch, 0, c->words * sizeof *c->scratch);
    for (int i = 0; i < MEMO_MAX; i++) {
        free(c->memo[i].bits);
        c->memo[i].bits = NULL;
    }
    c->order_valid = false;
    c->match_valid = false;
}

/*
 * A sort key in the place of a row ref (the same 16 bytes, so the order array
 * itself holds them while sorting): the column's number, severity rank or the
 * start of its text as natural_cmp orders it (common/natural.h), and the row number. Sorting
 * sequential keys instead of chasing 100,000 rows' cells through the rowsets
 * is what makes a sort of 100,000 rows fast; equal keys fall back to
 * compare_refs, which decides exactly as before.
 */
struct sort_key {
    unsigned char k[12]; /* a double (memcpy), or natural_key's bytes */
    uint32_t g;
};

/*
 * A number key has 4 bytes to spare: with a second column that is a number
 * too (SEV, then AGE: the alerts' order), they hold it as a float, less the
 * first ordinary number's (under 1e12). Subtracting one number and rounding keep the order (a < b
 * gives f(a) <= f(b)), so floats that differ decide and equal ones fall
 * back to the rows: an alert storm's ties, most of its 50,000 rows, are
 * decided without touching them.
 */
static bool key_then;

static double key_num(const struct sort_key *k)
{
    double v;
    memcpy(&v, k->k, sizeof v);
    return v;
}

static const struct tableview_cache *key_ctx;

static struct rowref ref_of(const struct tableview_cache *c, size_t g)
{
    size_t s = 0;
    while (s + 1 < c->nsets && g >= c->base[s + 1]) {
        s++;
    }
    return (struct rowref){c->sets[s], (uint32_t)(g - c->base[s])};
}

/*
 * In g: the text key holds the whole text, or a number key's second column
 * is exact (a view has fewer than 2^31 rows).
 */
#define KEY_WHOLE 0x80000000u

static int key_tie(const struct sort_key *a, const struct sort_key *b)
{
    struct rowref ra = ref_of(key_ctx, a->g & ~KEY_WHOLE), rb = ref_of(key_ctx, b->g & ~KEY_WHOLE);
    return compare_refs(&ra, &rb);
}

/*
 * Equal in the sort column: then the second column, else the published order
 * (compare_refs without comparing the sort column again: equal keys of
 * numbers, severity ranks or whole texts are equal cells, and an alert
 * storm sorted by SEV is mostly ties, each one a severity word looked up twice).
 */
static int key_published_order(const struct sort_key *a, const struct sort_key *b);

static int key_equal_tie(const struct sort_key *a, const struct sort_key *b)
{
    if (sort_ctx->then_col >= 0 && sort_ctx->then_col != sort_ctx->sort_col) {
        struct rowref ra = ref_of(key_ctx, a->g & ~KEY_WHOLE);
        struct rowref rb = ref_of(key_ctx, b->g & ~KEY_WHOLE);
        return compare_after_sort_col(&ra, &rb);
    }
    return key_published_order(a, b);
}

/* Equal in every column compared: the published order. */
static int key_published_order(const struct sort_key *a, const struct sort_key *b)
{
    uint32_t ga = a->g & ~KEY_WHOLE, gb = b->g & ~KEY_WHOLE;
    struct rowref ra = ref_of(key_ctx, ga), rb = ref_of(key_ctx, gb);
    if (ra.rs != rb.rs) {
        return strcmp(ra.rs->source, rb.rs->source);
    }
    return ga < gb ? -1 : 1;
}

static int compare_num_keys(const void *pa, const void *pb)
{
    const struct sort_key *a = pa, *b = pb;
    double x = key_num(a), y = key_num(b);
    bool na = isnan(x), nb = isnan(y);
    int c;
    if (na || nb) {
        c = na == nb ? 0 : na ? 1 : -1; /* no data last, both ways */
    } else {
        c = x < y ? -1 : x > y ? 1 : 0;
        c = sort_ctx->sort_desc ? -c : c;
    }
    if (c == 0 && key_then) {
        float fx, fy;
        memcpy(&fx, a->k + sizeof x, sizeof fx);
        memcpy(&fy, b->k + sizeof y, sizeof fy);
        na = isnan(fx);
        nb = isnan(fy);
        if (na || nb) {
            c = na == nb ? 0 : na ? 1 : -1; /* as compare_col: no data last, both ways */
        } else {
            c = fx < fy ? -1 : fx > fy ? 1 : 0;
            c = sort_ctx->then_desc ? -c : c;
        }
        if (c == 0 && (a->g & b->g & KEY_WHOLE)) {
            return key_published_order(a, b); /* both floats exact: the numbers are equal */
        }
    }
    return c != 0 ? c : key_equal_tie(a, b); /* without touching the rows */
}

static int compare_text_keys(const void *pa, const void *pb)
{
    const struct sort_key *a = pa, *b = pb;
    int c = memcmp(a->k, b->k, sizeof a->k);
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
    c = sort_ctx->sort_desc ? -c : c;
    if (c != 0) {
        return c;
    }
    /* two whole texts with equal keys are equal for natural_cmp too ("Web1", "web01") */
    return (a->g & b->g & KEY_WHOLE) ? key_equal_tie(a, b) : key_tie(a, b);
}

/*
 * In place, so that sorting 100,000 rows needs no second array (glibc's qsort
 * merge-sorts through one): quicksort, median of three, insertion sort below
 * 16, recursing into the smaller side. The keys form a total order (ties are
 * decided by the row), so no run of equal keys can degrade it.
 */
static void swap_keys(struct sort_key *a, struct sort_key *b)
{
    struct sort_key t = *a;
    *a = *b;
    *b = t;
}

static void quick_sort_keys(struct sort_key *a, size_t n, int (*cmp)(const void *, const void *))
{
    while (n > 16) {
        size_t mid = n / 2;
        if (cmp(&a[mid], &a[0]) < 0) {
            swap_keys(&a[mid], &a[0]);
        }
        if (cmp(&a[n - 1], &a[0]) < 0) {
            swap_keys(&a[n - 1], &a[0]);
        }
        if (cmp(&a[n - 1], &a[mid]) < 0) {
            swap_keys(&a[n - 1], &a[mid]);
        }
        swap_keys(&a[mid], &a[n - 2]); /* the pivot, out of the way */
        struct sort_key *pivot = &a[n - 2];
        size_t i = 0, j = n - 2;
        for (;;) {
            while (cmp(&a[++i], pivot) < 0) {
            }
            while (cmp(&a[--j], pivot) > 0) {
            }
            if (i >= j) {
                break;
            }
            swap_keys(&a[i], &a[j]);
        }
        swap_keys(&a[i], &a[n - 2]);
        if (i < n - i - 1) {
            quick_sort_keys(a, i, cmp);
            a += i + 1;
            n -= i + 1;
        } else {
            quick_sort_keys(a + i + 1, n - i - 1, cmp);
            n = i;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct sort_key v = a[i];
        size_t j = i;
        while (j > 0 && cmp(&a[j - 1], &v) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void sort_order(struct tableview *tv)
{
    struct tableview_cache *c = tv->cache;
    const struct column_def *d = &model_schema(tv->kind)->cols[tv->sort_col];
    bool text = d->type == CELL_TEXT && !(d->flags & COL_SEVERITY);
    int then = tv->then_col;
    key_then = !text && then >= 0 && then != tv->sort_col &&
               model_schema(tv->kind)->cols[then].type != CELL_TEXT;
    double base = NAN; /* the second column's first number: keys are the distance from it */
    _Static_assert(sizeof(struct sort_key) == sizeof(struct rowref), "keys sort in place");
    struct sort_key *keys = (struct sort_key *)(void *)c->order;
    for (size_t s = 0, g = 0; s < c->nsets; s++) {
        const struct rowset *rs = c->sets[s];
        for (size_t r = 0; r < c->size[s]; r++, g++) {
            const struct cell *cl = &rs->cells[rs->rows[r].first_cell + (uint32_t)tv->sort_col];
            struct sort_key k = {.g = (uint32_t)g};
            if (text) {
                if (natural_key(k.k, sizeof k.k, rs->strings + cl->text)) {
                    k.g |= KEY_WHOLE;
                }
            } else {
                double v =
                    d->flags & COL_SEVERITY ? model_severity_rank(rs->strings + cl->text) : cl->num;
                memcpy(k.k, &v, sizeof v);
                if (key_then) {
                    double num = rs->cells[rs->rows[r].first_cell + (uint32_t)then].num;
                    /*
                     * less the first ordinary row's (times of day are 1.8e9 s: a
                     * float's steps there are 128 s, close to it 1 s), clamped
                     * into a float's range: ties there fall back to the rows
                     */
                    base = isnan(base) && fabs(num) < 1e12 ? floor(num) : base;
                    double n = num - (isnan(base) ? 0 : base);
                    float t = isnan(n)               ? NAN
                              : n > FLT_MAX          ? FLT_MAX
                              : n < -(double)FLT_MAX ? -FLT_MAX
                                                     : (float)n;
                    memcpy(k.k + sizeof v, &t, sizeof t);
                    /* whole numbers, so n is num - base exactly, and t is n */
                    if (num == floor(num) && fabs(num) < 1e15 && fabs(n) < 16777216.0) {
                        k.g |= KEY_WHOLE; /* in a number key: equal floats, equal numbers */
                    }
                }
            }
            keys[g] = k;
        }
    }
    sort_ctx = tv;
    key_ctx = c;
    quick_sort_keys(keys, c->total, text ? compare_text_keys : compare_num_keys);
    sort_ctx = NULL;
    key_ctx = NULL;
    key_then = false;
    for (size_t i = 0; i < c->total; i++) {
        struct rowref r = ref_of(c, keys[i].g & ~KEY_WHOLE);
        c->order[i] = r;
    }
}

/* Sorted: every row in view order; unsorted, the published order needs no array. */
static void ensure_order(struct tableview *tv)
{
    struct tableview_cache *c = tv->cache;
    bool same = c->order_valid && c->sort_col == tv->sort_col;
    if (same && tv->sort_col >= 0) {
        same = c->sort_desc == tv->sort_desc && c->then_col == tv->then_col &&
               c->then_desc == tv->then_desc;
    }
    if (same) {
        return;
    }
    if (tv->sort_col < 0) {
        unalias(tv);
        free(c->order);
        c->order = NULL;
    } else {
        if (c->order == NULL) {
            /* the visible rows are made again from it: give their room back first */
            if (!c->alias) {
                free(tv->rows);
            }
            tv->rows = NULL;
            tv->cap = 0;
            c->alias = false;
            c->order = xreallocarray(NULL, c->total ? c->total : 1, sizeof *c->order);
        }
        sort_order(tv);
    }
    c->sort_col = tv->sort_col;
    c->sort_desc = tv->sort_desc;
    c->then_col = tv->then_col;
    c->then_desc = tv->then_desc;
    c->order_valid = true;
}

/* Can every row passing `wider` be tested alone for `narrower`? */
static bool filter_narrows(const char *wider, const char *narrower)
{
    bool wi = wider[0] == '!', ni = narrower[0] == '!';
    const char *w = wi ? wider + 1 : wider, *n = ni ? narrower + 1 : narrower;
    if (w[0] == '\0' || n[0] == '\0' || wi != ni) {
        return false;
    }
    /* "ab" keeps fewer rows than "a"; "!a" fewer than "!ab" */
    return wi ? str_casestr(w, n) != NULL : str_casestr(n, w) != NULL;
}

static void ensure_match(struct tableview *tv)
{
    struct tableview_cache *c = tv->cache;
    if (c->match_valid && strcmp(c->matched, tv->filter) == 0) {
        return;
    }
    const char *f = tv->filter;
    bool empty = f[0] == '\0' || (f[0] == '!' && f[1] == '\0');
    if (empty) {
        memset(c->match, 0xff, c->words * sizeof *c->match);
    } else {
        struct tv_memo *hit = NULL;
        for (int i = 0; i < MEMO_MAX && hit == NULL; i++) {
            if (c->memo[i].bits != NULL && strcmp(c->memo[i].filter, f) == 0) {
                hit = &c->memo[i];
            }
        }
        if (hit != NULL) {
            memcpy(c->match, hit->bits, c->words * sizeof *c->match);
        } else {
            struct matcher *m = xmalloc(sizeof *m);
            matcher_init(m, f, c->skip);
            bool narrow = c->match_valid && filter_narrows(c->matched, f);
            size_t g = 0;
            for (size_t s = 0; s < c->nsets; s++) {
                for (size_t r = 0; r < c->size[s]; r++, g++) {
                    if (!narrow || bit_get(c->match, g)) {
                        bit_put(c->match, g, matcher_row(m, c->sets[s], r));
                    }
                }
            }
            free(m);
            struct tv_memo *slot = &c->memo[c->memo_next];
            c->memo_next = (c->memo_next + 1) % MEMO_MAX;
            snprintf(slot->filter, sizeof slot->filter, "%s", f);
            slot->bits = xreallocarray(slot->bits, c->words, sizeof *slot->bits);
            memcpy(slot->bits, c->match, c->words * sizeof *slot->bits);
        }
    }
    snprintf(c->matched, sizeof c->matched, "%s", f);
    c->match_valid = true;
}

/*
 * Only some rows were patched since the view was built: test them again,
 * and when sorted move them to their new places (out of order, sorted among
 * themselves, merged back). false: not that case, rebuild.
 */
static bool apply_changes(struct tableview *tv, const struct store *st)
{
    struct tableview_cache *c = tv->cache;
    const struct store_change *ch;
    size_t n;
    if (c == NULL || !tv->built || !store_changes(st, tv->kind, tv->generation, &ch, &n)) {
        return false;
    }
    size_t shown = 0;
    for (size_t s = 0; s < store_nsets(st, tv->kind); s++) {
        const struct rowset *rs = store_set(st, tv->kind, s);
        if (set_shown(tv, rs) && (shown >= c->nsets || c->sets[shown++] != rs)) {
            return false;
        }
    }
    if (shown != c->nsets) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int s = set_index(c, ch[i].rs);
        if (s >= 0 && ch[i].row >= c->size[s]) {
            return false; /* an appended row moves every row number after it */
        }
    }
    if (n == 0) {
        return true;
    }
    struct rowref *u = xcalloc(n, sizeof *u);
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        int s = set_index(c, ch[i].rs);
        if (s < 0) {
            continue; /* a row of a context not shown */
        }
        size_t g = c->base[s] + ch[i].row;
        if (!bit_get(c->scratch, g)) {
            bit_put(c->scratch, g, true);
            u[nu].rs = ch[i].rs;
            u[nu].row = ch[i].row;
            nu++;
        }
    }
    struct matcher *m = xmalloc(sizeof *m);
    for (size_t i = 0; i < nu; i++) {
        size_t g = row_index(c, &u[i]);
        bit_put(c->cw_ok, g, false);
    }
    if (c->match_valid) {
        matcher_init(m, c->matched, c->skip);
        for (size_t i = 0; i < nu; i++) {
            bit_put(c->match, row_index(c, &u[i]), matcher_row(m, u[i].rs, u[i].row));
        }
    }
    for (int k = 0; k < MEMO_MAX; k++) {
        if (c->memo[k].bits == NULL) {
            continue;
        }
        matcher_init(m, c->memo[k].filter, c->skip);
        for (size_t i = 0; i < nu; i++) {
            bit_put(c->memo[k].bits, row_index(c, &u[i]), matcher_row(m, u[i].rs, u[i].row));
        }
    }
    free(m);
    if (c->order_valid && c->order != NULL) {
        /* the sort may have moved them: out, sorted among themselves, merged back */
        size_t kept = 0;
        for (size_t i = 0; i < c->total; i++) {
            if (!bit_get(c->scratch, row_index(c, &c->order[i]))) {
                c->order[kept++] = c->order[i];
            }
        }
        const struct tableview tmp = {
            .kind = tv->kind,
            .sort_col = c->sort_col,
            .sort_desc = c->sort_desc,
            .then_col = c->then_col,
            .then_desc = c->then_desc,
        };
        sort_ctx = &tmp;
        qsort(u, nu, sizeof *u, compare_refs);
        size_t i = kept, j = nu, out = c->total; /* merge from the back, in place */
        while (j > 0) {
            if (i > 0 && compare_refs(&c->order[i - 1], &u[j - 1]) > 0) {
                c->order[--out] = c->order[--i];
            } else {
                c->order[--out] = u[--j];
            }
        }
        sort_ctx = NULL;
    }
    for (size_t i = 0; i < nu; i++) {
        bit_put(c->scratch, row_index(c, &u[i]), false);
    }
    free(u);
    return true;
}

static size_t popcount_bits(const uint64_t *b, size_t nbits)
{
    size_t n = 0;
    for (size_t w = 0; w < nbits / 64; w++) {
        n += (size_t)__builtin_popcountll(b[w]);
    }
    if (nbits % 64 != 0) {
        n += (size_t)__builtin_popcountll(b[nbits / 64] & ((1ull << (nbits % 64)) - 1));
    }
    return n;
}

/* The visible rows: every row in view order that passes the filter. */
static void derive_rows(struct tableview *tv)
{
    struct tableview_cache *c = tv->cache;
    const char *f = tv->filter;
    bool filtering = !(f[0] == '\0' || (f[0] == '!' && f[1] == '\0'));
    if (c->order != NULL && !filtering && tv->group_col < 0) {
        /* sorted, nothing hidden: the visible rows are the order itself */
        if (!c->alias) {
            free(tv->rows);
        }
        tv->rows = c->order;
        tv->cap = c->total;
        tv->nrows = c->total;
        c->alias = true;
        return;
    }
    unalias(tv);
    size_t need = filtering ? popcount_bits(c->match, c->total) : c->total;
    /* room for what is shown, not for every row: a narrow filter holds little */
    if (need > tv->cap || tv->rows == NULL || tv->cap > 2 * need + 4096) {
        tv->cap = need ? need : 1;
        tv->rows = xreallocarray(tv->rows, tv->cap, sizeof *tv->rows);
    }
    tv->nrows = 0;
    if (c->order != NULL) {
        for (size_t i = 0; i < c->total; i++) {
            if (!filtering || bit_get(c->match, row_index(c, &c->order[i]))) {
                tv->rows[tv->nrows++] = c->order[i];
            }
        }
        return;
    }
    for (size_t s = 0; s < c->nsets; s++) {
        for (size_t r = 0, g = c->base[s]; r < c->size[s]; r++, g++) {
            if (!filtering || bit_get(c->match, g)) {
                tv->rows[tv->nrows].rs = c->sets[s];
                tv->rows[tv->nrows].row = (uint32_t)r;
                tv->nrows++;
            }
        }
    }
}

/*
 * Column widths over the visible rows, each row's measured once per change of
 * it and kept in 4 bits a cell: the few cells 15 or more wide are measured
 * again when needed.
 */
static void measure_cached(struct tableview *tv)
{
    struct tableview_cache *c = tv->cache;
    const struct model_schema *s = model_schema(tv->kind);
    int nc = s->ncols < 16 ? s->ncols : 16;
    size_t stride = (size_t)(c->ncols + 1) / 2;
    int full[16] = {0};
    for (size_t i = 0; i < tv->nrows; i++) {
        const struct rowref *r = &tv->rows[i];
        size_t g = c->nsets == 1 ? r->row : row_index(c, r);
        uint8_t *w = &c->cw[g * stride];
        const struct rowset *rs = r->rs;
        const struct cell *cells = &rs->cells[rs->rows[r->row].first_cell];
        if (!bit_get(c->cw_ok, g)) {
            memset(w, 0, stride);
            for (int k = 0; k < c->ncols; k++) {
                const char *t = rs->strings + cells[k].text;
                int cw = t[0] == '\0' ? 0 : utf8_width(t);
                w[k / 2] |= (uint8_t)((cw > 15 ? 15 : cw < 0 ? 0 : cw) << (4 * (k & 1)));
            }
            bit_put(c->cw_ok, g, true);
        }
        for (int k = 0; k < nc; k++) {
            int cw = (w[k / 2] >> (4 * (k & 1))) & 15;
            if (cw == 15) {
                cw = utf8_width(rs->strings + cells[k].text);
            }
            if (cw > full[k]) {
                full[k] = cw;
            }
        }
    }
    for (int k = 0; k < nc; k++) {
        tv->full[k] = full[k];
        tv->widths[k] = full[k] < s->cols[k].max_width ? full[k] : s->cols[k].max_width;
    }
    if (tv->group_col >= 0 && tv->group_col < 16) {
        tv->widths[tv->group_col] += 6; /* room for " (123)" */
        tv->full[tv->group_col] += 6;
    }
}

static void rebuild(struct tableview *tv, const struct store *st, bool keep_wanted)
{
    size_t old_index = tv->sel;
    bool current =
        tv->built && tv->cache != NULL && tv->generation == store_generation(st, tv->kind);
    if (!current && !apply_changes(tv, st)) {
        cache_reset(tv, st);
    }
    struct tableview_cache *c = tv->cache;
    tv->total = c->total;
    ensure_order(tv);
    ensure_match(tv);
    derive_rows(tv);
    tableview_group_rows(tv);
    tableview_restore_selection(tv, old_index);
    if (tv->sel_key == NULL || !keep_wanted) {
        tableview_remember_selection(tv);
    }
    measure_cached(tv);
    tableview_group_widen(tv);
    tv->generation = store_generation(st, tv->kind);
    tv->built = true;
}

bool tableview_refresh(struct tableview *tv, const struct store *st)
{
    if (tv->built && tv->generation == store_generation(st, tv->kind)) {
        return false;
    }
    rebuild(tv, st, true); /* new data: a row gone for now is still the one wanted */
    return true;
}

void tableview_set_filter(struct tableview *tv, const struct store *st, const char *filter)
{
    snprintf(tv->filter, sizeof tv->filter, "%s", filter);
    tv->top = 0;
    tableview_rebuild(tv, st);
}

void tableview_set_sort(struct tableview *tv, const struct store *st, int col, bool desc)
{
    tv->sort_col = col;
    tv->sort_desc = desc;
    tableview_rebuild(tv, st);
}

bool tableview_set_columns(struct tableview *tv, const int *cols, int n)
{
    int ncols = model_schema(tv->kind)->ncols;
    if (n < 0 || n > 16 || n > ncols) {
        return false;
    }
    bool seen[16] = {false};
    for (int i = 0; i < n; i++) {
        if (cols[i] < 0 || cols[i] >= ncols || seen[cols[i]]) {
            return false;
        }
        seen[cols[i]] = true;
    }
    for (int i = 0; i < n; i++) {
        tv->colorder[i] = (int8_t)cols[i];
    }
    tv->ncolorder = n;
    tv->hoff = 0;
    return true;
}
