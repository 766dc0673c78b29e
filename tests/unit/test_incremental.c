/*
 * Property tests with a fixed seed for what makes 100,000 rows stay instant:
 *
 *   - store_patch (rows replaced in place, new keys appended, the arena
 *     compacted now and then) leaves exactly the rows a whole publish of the
 *     same data would;
 *   - a tableview refreshed incrementally (patched rows re-filtered, re-sorted
 *     and merged back, cached widths) equals one built from scratch over a
 *     store published whole, through random patches, whole publishes, sorts,
 *     groupings and filters;
 *   - the incremental filter (narrowing, the memo of recent filters) equals a
 *     full filter (tableview_row_matches over every row) over random edit
 *     sequences of the filter: typing, Backspace, '!', clearing.
 */
#include "../../common/util.h"
#include "../../tui/tableview.h"
#include "tap.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 17;

static unsigned below(unsigned n)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned)((z ^ (z >> 31)) % n);
}

/* The truth: every row of a source as plain values. */
struct srow {
    char key[32];
    char name[48];
    char status[16];
    double sess;
    int tone;
    char detail[160];
};

struct source {
    const char *name;
    const char *context; /* NULL: "default" */
    struct srow *rows;
    size_t n, cap;
};

static const char *const statuses[] = {"UP", "DOWN", "DRAIN", "MAINT", "up 2", "no check"};

static void randomize(struct srow *r)
{
    static const char *const stems[] = {"web", "api", "Web", "db", "cache-eu-west", "wörk"};
    if (below(4) == 0) {
        snprintf(r->name, sizeof r->name, "%s%u%s", stems[below(6)], below(30),
                 below(10) == 0 ? "-with-a-much-longer-name" : "");
    }
    snprintf(r->status, sizeof r->status, "%s", statuses[below(6)]);
    r->sess = below(12) == 0 ? NAN : (double)below(50) / (below(3) == 0 ? 10.0 : 1.0);
    r->tone = (int)below(6);
    /* long and changing: not interned, so patches pile up and the arena compacts */
    snprintf(r->detail, sizeof r->detail,
             "a detail line long enough not to be interned by the rowset, number %u",
             below(100000));
}

static void add_row(struct source *s)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->rows = realloc(s->rows, s->cap * sizeof *s->rows);
    }
    struct srow *r = &s->rows[s->n];
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "be/%s-%zu", s->name, s->n);
    snprintf(r->name, sizeof r->name, "web%u", below(40));
    randomize(r);
    s->n++;
}

static void put_row(struct rowset *rs, const struct srow *r)
{
    rowset_begin(rs, r->key);
    rowset_text(rs, POOL_NAME, "be");
    rowset_text(rs, POOL_SERVER, r->name);
    rowset_text(rs, POOL_STATUS, r->status);
    rowset_cell_tone(rs, POOL_STATUS, (enum tone)r->tone);
    rowset_num(rs, POOL_SESS, r->sess);
    rowset_row_tone(rs, (enum tone)((r->tone + 1) % 6));
    rowset_detail(rs, "note", r->detail);
}

/* Its context, as backend_stamp gives it (set_contexts narrows the view by it). */
static void stamp(struct rowset *rs, const struct source *s)
{
    if (s->context != NULL) {
        free(rs->context);
        rs->context = xstrdup(s->context);
        rowset_fill(rs, POOL_CONTEXT, s->context);
    }
}

static void publish_whole(struct store *st, const struct source *s)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, s->name);
    for (size_t i = 0; i < s->n; i++) {
        put_row(rs, &s->rows[i]);
    }
    stamp(rs, s);
    store_publish(st, rs);
}

/* Change a few rows (and now and then add one) and patch only those. */
static void patch_some(struct store *st, struct source *s)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, s->name);
    unsigned k = 1 + below(6);
    for (unsigned i = 0; i < k; i++) {
        if (below(15) == 0) {
            add_row(s);
            put_row(rs, &s->rows[s->n - 1]);
            continue;
        }
        struct srow *r = &s->rows[below((unsigned)s->n)];
        randomize(r);
        put_row(rs, r);
    }
    stamp(rs, s);
    store_patch(st, rs);
}

static bool same_rowset(const struct rowset *a, const struct rowset *b)
{
    if (a->nrows != b->nrows || strcmp(a->source, b->source) != 0) {
        return false;
    }
    for (size_t r = 0; r < a->nrows; r++) {
        if (strcmp(rowset_key(a, r), rowset_key(b, r)) != 0 || a->rows[r].tone != b->rows[r].tone ||
            strcmp(rowset_str(a, a->rows[r].detail), rowset_str(b, b->rows[r].detail)) != 0) {
            return false;
        }
        for (int c = 0; c < a->ncols; c++) {
            const struct cell *ca = &rowset_cells(a, r)[c], *cb = &rowset_cells(b, r)[c];
            double na = ca->num, nb = cb->num;
            if (strcmp(rowset_str(a, ca->text), rowset_str(b, cb->text)) != 0 ||
                ca->tone != cb->tone || !(na == nb || (isnan(na) && isnan(nb)))) {
                return false;
            }
        }
    }
    return true;
}

static bool same_store(const struct store *x, const struct store *y)
{
    if (store_nsets(x, MODEL_POOLS) != store_nsets(y, MODEL_POOLS)) {
        return false;
    }
    for (size_t i = 0; i < store_nsets(x, MODEL_POOLS); i++) {
        if (!same_rowset(store_set(x, MODEL_POOLS, i), store_set(y, MODEL_POOLS, i))) {
            return false;
        }
    }
    return true;
}

static bool same_view(const struct tableview *a, const struct tableview *b, const char **why)
{
    if (a->nrows != b->nrows || a->total != b->total) {
        *why = "row counts";
        return false;
    }
    for (size_t i = 0; i < a->nrows; i++) {
        const struct rowref *ra = &a->rows[i], *rb = &b->rows[i];
        if (strcmp(ra->rs->source, rb->rs->source) != 0 ||
            strcmp(rowset_key(ra->rs, ra->row), rowset_key(rb->rs, rb->row)) != 0) {
            *why = "rows";
            return false;
        }
        if (a->group_col >= 0 && a->group_size[i] != b->group_size[i]) {
            *why = "group sizes";
            return false;
        }
    }
    for (int c = 0; c < POOL_NCOLS; c++) {
        if (a->widths[c] != b->widths[c] || a->full[c] != b->full[c]) {
            *why = "widths";
            return false;
        }
    }
    return true;
}

/* The natural order as tableview.c had it before sort keys: the reference for them. */
static int ref_natural(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0') {
                a++;
            }
            while (*b == '0') {
                b++;
            }
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) {
                la++;
            }
            while (isdigit((unsigned char)b[lb])) {
                lb++;
            }
            if (la != lb) {
                return la < lb ? -1 : 1;
            }
            int c = strncmp(a, b, la);
            if (c != 0) {
                return c;
            }
            a += la;
            b += lb;
            continue;
        }
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
        a++;
        b++;
    }
    return (*a != '\0') - (*b != '\0');
}

/* Are the rows in the order a sort by col (no second column) must give, by the plain rules? */
static bool sorted_plainly(const struct tableview *tv)
{
    int col = tv->sort_col;
    for (size_t i = 1; i < tv->nrows; i++) {
        const struct rowref *a = &tv->rows[i - 1], *b = &tv->rows[i];
        int c;
        if (model_schema(MODEL_POOLS)->cols[col].type == CELL_TEXT) {
            c = ref_natural(rowset_cell_text(a->rs, a->row, col),
                            rowset_cell_text(b->rs, b->row, col));
            c = tv->sort_desc ? -c : c;
        } else {
            double x = rowset_cell_num(a->rs, a->row, col), y = rowset_cell_num(b->rs, b->row, col);
            if (isnan(x) || isnan(y)) {
                c = isnan(x) == isnan(y) ? 0 : isnan(x) ? 1 : -1;
            } else {
                c = x < y ? -1 : x > y ? 1 : 0;
                c = tv->sort_desc ? -c : c;
            }
        }
        if (c == 0) {
            c = a->rs != b->rs ? strcmp(a->rs->source, b->rs->source) : (a->row < b->row ? -1 : 1);
        }
        if (c > 0) {
            return false;
        }
    }
    return true;
}

/* What a filter keeps, by the plain definition: every row, in published order. */
/* Any cell holds needle, the CONTEXT column left out while it is hidden (one context shown). */
static bool plain_match(const struct tableview *tv, const struct rowset *rs, size_t row,
                        const char *needle)
{
    for (int c = 0; c < rs->ncols; c++) {
        if (!tableview_col_auto_hidden(tv, c) &&
            str_casestr(rowset_cell_text(rs, row, c), needle) != NULL) {
            return true;
        }
    }
    return false;
}

static bool filter_is_plain(const struct tableview *tv, const struct store *st)
{
    bool invert = tv->filter[0] == '!';
    const char *needle = invert ? tv->filter + 1 : tv->filter;
    size_t n = 0;
    for (size_t s = 0; s < store_nsets(st, tv->kind); s++) {
        const struct rowset *rs = store_set(st, tv->kind, s);
        if (!tableview_context_shown(tv, rs->context)) {
            continue; /* another context's rows are not in the view */
        }
        for (size_t r = 0; r < rs->nrows; r++) {
            if (needle[0] != '\0' && plain_match(tv, rs, r, needle) == invert) {
                continue;
            }
            if (n >= tv->nrows || tv->rows[n].rs != rs || tv->rows[n].row != r) {
                return false;
            }
            n++;
        }
    }
    return n == tv->nrows;
}

/* A random edit of the filter, as typed in the / prompt. */
static void edit_filter(char *f, size_t len)
{
    static const char keys[] = "webUPdo12-nrWaig ö";
    size_t n = strlen(f);
    unsigned what = below(10);
    if (what < 5 && n + 3 < len) {
        f[n] = keys[below((unsigned)sizeof keys - 1)];
        f[n + 1] = '\0';
    } else if (what < 8 && n > 0) {
        f[n - 1] = '\0'; /* Backspace (a byte: a UTF-8 tail is no worse than any text) */
    } else if (what == 8) {
        if (f[0] == '!') {
            memmove(f, f + 1, n);
        } else if (n + 2 < len) {
            memmove(f + 1, f, n + 1);
            f[0] = '!';
        }
    } else {
        f[0] = '\0';
    }
}

static void test_patch_equals_publish(void)
{
    struct source src[2] = {{.name = "lb1"}, {.name = "lb2"}};
    struct store *patched = store_create();
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 300; i++) {
            add_row(&src[s]);
        }
        publish_whole(patched, &src[s]);
    }
    size_t bad = 0, steps = 3000;
    for (size_t step = 0; step < steps; step++) {
        patch_some(patched, &src[below(2)]);
        if (step % 100 == 99) {
            struct store *whole = store_create();
            publish_whole(whole, &src[0]);
            publish_whole(whole, &src[1]);
            bad += !same_store(patched, whole);
            store_destroy(whole);
        }
    }
    tap_is_int((long long)bad, 0,
               "3000 random patches (changed rows, new keys, compactions) "
               "leave what a whole publish of the same rows would");
    const struct store_change *ch;
    size_t n;
    uint64_t gen = store_generation(patched, MODEL_POOLS);
    patch_some(patched, &src[0]);
    tap_ok(store_changes(patched, MODEL_POOLS, gen, &ch, &n) && n >= 1 && n <= 6,
           "store_changes lists the rows of the last patch");
    publish_whole(patched, &src[1]);
    tap_ok(!store_changes(patched, MODEL_POOLS, gen, &ch, &n),
           "a whole publish: store_changes says rebuild");
    struct rowset *lone = rowset_create(MODEL_POOLS, "new");
    put_row(lone, &src[0].rows[0]);
    store_patch(patched, lone);
    tap_is_int((long long)store_nsets(patched, MODEL_POOLS), 3,
               "a patch for a source with nothing yet is published whole");
    store_destroy(patched);
    free(src[0].rows);
    free(src[1].rows);
}

static void set_view(struct tableview *tv, int sort, bool desc, int then, int group,
                     const char *filter)
{
    tv->sort_col = sort;
    tv->sort_desc = desc;
    tv->then_col = then;
    tv->then_desc = !desc;
    tv->group_col = group;
    snprintf(tv->filter, sizeof tv->filter, "%s", filter);
}

static void test_view_equals_rebuild(void)
{
    struct source src[2] = {{.name = "lb1", .context = "eu"}, {.name = "lb2", .context = "us"}};
    struct store *st = store_create();
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 200; i++) {
            add_row(&src[s]);
        }
        publish_whole(st, &src[s]);
    }
    /* the contexts shown: all, eu, us, or both named */
    static const char *const ctx_sets[4][2] = {{NULL}, {"eu"}, {"us"}, {"eu", "us"}};
    static const size_t ctx_n[4] = {0, 1, 1, 2};
    unsigned ctx = 0;
    size_t ctx_changes = 0;
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, st);
    static const int sorts[] = {-1, POOL_SERVER, POOL_SESS, POOL_STATUS, POOL_NAME};
    char filter[32] = "";
    size_t bad_view = 0, bad_plain = 0, bad_sort = 0, sorts_checked = 0, steps = 2500;
    const char *why = "";
    for (size_t step = 0; step < steps; step++) {
        unsigned what = below(20);
        if (what < 12) {
            patch_some(st, &src[below(2)]);
        } else if (what == 12) {
            publish_whole(st, &src[below(2)]);
        } else if (what < 17) {
            edit_filter(filter, sizeof filter);
            tableview_set_filter(&tv, st, filter);
        } else if (what < 19) {
            tableview_set_sort(&tv, st, sorts[below(5)], below(2) == 0);
            tv.then_col = below(2) == 0 ? -1 : POOL_SESS;
            tableview_rebuild(&tv, st);
        } else if (below(2) == 0) {
            tableview_set_group(&tv, st, tv.group_col >= 0 ? -1 : POOL_STATUS);
        } else {
            ctx = below(4);
            ctx_changes++;
            tableview_set_contexts(&tv, st, ctx_sets[ctx], ctx_n[ctx]);
        }
        tableview_refresh(&tv, st);
        /* the same rows published whole into a fresh store, viewed from scratch */
        struct store *whole = store_create();
        publish_whole(whole, &src[0]);
        publish_whole(whole, &src[1]);
        struct tableview ref;
        tableview_init(&ref, MODEL_POOLS);
        set_view(&ref, tv.sort_col, tv.sort_desc, tv.then_col, tv.group_col, tv.filter);
        ref.then_desc = tv.then_desc;
        tableview_set_contexts(&ref, whole, ctx_sets[ctx], ctx_n[ctx]);
        tableview_refresh(&ref, whole);
        const char *w = "";
        if (!same_view(&tv, &ref, &w)) {
            if (bad_view++ == 0) {
                why = w;
                tap_diag("step %zu: the views differ (%s); filter '%s' sort %d group %d", step, w,
                         tv.filter, tv.sort_col, tv.group_col);
            }
        }
        if (tv.sort_col < 0 && tv.group_col < 0 && !filter_is_plain(&tv, st)) {
            bad_plain++;
        }
        if (ref.sort_col >= 0 && ref.then_col < 0 && ref.group_col < 0) {
            sorts_checked++;
            bad_sort += !sorted_plainly(&ref);
        }
        tableview_finish(&ref);
        store_destroy(whole);
    }
    tap_ok(bad_view == 0,
           "2500 random patches, publishes, filters, sorts, groupings and contexts shown (%zu "
           "changes): the incremental view equals one built from scratch (rows, group sizes, "
           "widths)%s%s",
           ctx_changes, bad_view ? ": " : "", why);
    tap_is_int((long long)bad_plain, 0, "unsorted, ungrouped: the rows are the plain filter's");
    tap_ok(sorts_checked > 100 && bad_sort == 0,
           "sorted from scratch through keys: %zu views in the order of the plain comparison "
           "(natural text order, numbers with no data last, ties as published)",
           sorts_checked - bad_sort);
    tableview_finish(&tv);
    store_destroy(st);
    free(src[0].rows);
    free(src[1].rows);
}

static void test_filter_edits(void)
{
    struct source src = {.name = "lb"};
    struct store *st = store_create();
    for (int i = 0; i < 2000; i++) {
        add_row(&src);
    }
    publish_whole(st, &src);
    struct tableview tv;
    tableview_init(&tv, MODEL_POOLS);
    tableview_refresh(&tv, st);
    char filter[32] = "";
    size_t bad = 0, edits = 4000;
    for (size_t i = 0; i < edits; i++) {
        edit_filter(filter, sizeof filter);
        tableview_set_filter(&tv, st, filter);
        if (!filter_is_plain(&tv, st) && bad++ == 0) {
            tap_diag("edit %zu: filter '%s' keeps %zu rows, not the plain filter's", i, filter,
                     tv.nrows);
        }
        if (i % 50 == 49) {
            patch_some(st, &src); /* a refresh in the middle of typing */
            tableview_refresh(&tv, st);
            bad += !filter_is_plain(&tv, st);
        }
    }
    tap_is_int((long long)bad, 0,
               "4000 random filter edits (type, Backspace, '!', clear; patches between): the "
               "incremental filter equals the full one");
    tableview_finish(&tv);
    store_destroy(st);
    free(src.rows);
}

int main(void)
{
    test_patch_equals_publish();
    test_view_equals_rebuild();
    test_filter_edits();
    return tap_done();
}
