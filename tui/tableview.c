/*
 * Filter, sort and selection over the store's rows. A rebuild walks every row
 * once (filter), sorts the survivors, restores the selection by identity and
 * measures column widths, so drawing a frame touches only the visible rows.
 */
#include "tableview.h"

#include "../common/util.h"

#include <ctype.h>
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
}

void tableview_finish(struct tableview *tv)
{
    tableview_clear_marks(tv);
    for (size_t i = 0; i < tv->ncontexts_set; i++) {
        free(tv->contexts[i]);
    }
    free(tv->contexts);
    free(tv->group_size);
    free(tv->all);
    free(tv->rows);
    free(tv->sel_source);
    free(tv->sel_key);
    memset(tv, 0, sizeof *tv);
}

/* skip: a column not to look at (the auto-hidden CONTEXT), or -1. */
static bool row_matches(const struct rowset *rs, size_t row, const char *needle, int skip)
{
    const struct cell *cells = rowset_cells(rs, row);
    for (int c = 0; c < rs->ncols; c++) {
        if (c != skip && str_casestr(rowset_str(rs, cells[c].text), needle) != NULL) {
            return true;
        }
    }
    return false;
}

bool tableview_row_matches(const struct rowset *rs, size_t row, const char *needle)
{
    return row_matches(rs, row, needle, -1);
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

/* How many contexts the shown rowsets are of: 0, 1, or 2 for more than one. */
static int count_contexts(const struct tableview *tv, const struct store *st)
{
    const char *first = NULL;
    for (size_t s = 0; s < store_nsets(st, tv->kind); s++) {
        const char *c = context_name(store_set(st, tv->kind, s)->context);
        if (!tableview_context_shown(tv, c)) {
            continue;
        }
        if (first == NULL) {
            first = c;
        } else if (strcmp(first, c) != 0) {
            return 2;
        }
    }
    return first != NULL ? 1 : 0;
}

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
    tableview_rebuild(tv, st);
}

/*
 * Natural order for names: "web2" < "web10". Digits runs compare by value,
 * everything else case-insensitively.
 */
static int natural_cmp(const char *a, const char *b)
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

/* qsort has no context argument in C11; the loop is single-threaded. */
static const struct tableview *sort_ctx;

static int compare_col(const struct tableview *tv, const struct rowref *a, const struct rowref *b,
                       int col, bool desc)
{
    const struct column_def *d = &model_schema(tv->kind)->cols[col];
    const struct cell *ca = &rowset_cells(a->rs, a->row)[col];
    const struct cell *cb = &rowset_cells(b->rs, b->row)[col];
    const char *ta = rowset_str(a->rs, ca->text), *tb = rowset_str(b->rs, cb->text);
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

static int compare_refs(const void *pa, const void *pb)
{
    const struct rowref *a = pa, *b = pb;
    const struct tableview *tv = sort_ctx;
    int c = compare_col(tv, a, b, tv->sort_col, tv->sort_desc);
    if (c == 0 && tv->then_col >= 0 && tv->then_col != tv->sort_col) {
        c = compare_col(tv, a, b, tv->then_col, tv->then_desc);
    }
    if (c == 0) {
        /* ties keep the published order: stable and predictable */
        c = a->rs != b->rs ? strcmp(a->rs->source, b->rs->source) : (a->row < b->row ? -1 : 1);
    }
    return c;
}

static void remember_selection(struct tableview *tv)
{
    free(tv->sel_source);
    free(tv->sel_key);
    tv->sel_source = NULL;
    tv->sel_key = NULL;
    if (tv->nrows > 0) {
        const struct rowref *r = &tv->rows[tv->sel];
        tv->sel_source = xstrdup(r->rs->source);
        tv->sel_key = xstrdup(rowset_key(r->rs, r->row));
    }
}

static void restore_selection(struct tableview *tv, size_t old_index)
{
    if (tv->nrows == 0) {
        tv->sel = 0;
        return;
    }
    if (tv->sel_key != NULL) {
        for (size_t i = 0; i < tv->nrows; i++) {
            const struct rowref *r = &tv->rows[i];
            if (strcmp(rowset_key(r->rs, r->row), tv->sel_key) == 0 &&
                strcmp(r->rs->source, tv->sel_source) == 0) {
                tv->sel = i;
                return;
            }
        }
    }
    /*
     * the selected row is gone: stay at the same place, on its neighbour, but
     * keep wanting the row itself until the operator moves: a backend that
     * failed for a while, or a row remembered from the last session whose
     * source has not answered yet, brings it back
     */
    tv->sel = old_index < tv->nrows ? old_index : tv->nrows - 1;
}

static void measure_cells(struct tableview *tv, const struct model_schema *s);

static void measure(struct tableview *tv)
{
    const struct model_schema *s = model_schema(tv->kind);
    measure_cells(tv, s);
    if (tv->group_col >= 0 && tv->group_col < 16) {
        tv->widths[tv->group_col] += 6; /* room for " (123)" */
        tv->full[tv->group_col] += 6;
    }
}

static void measure_cells(struct tableview *tv, const struct model_schema *s)
{
    for (int c = 0; c < s->ncols && c < 16; c++) {
        tv->widths[c] = 0;
        tv->full[c] = 0;
    }
    for (size_t i = 0; i < tv->nrows; i++) {
        const struct cell *cells = rowset_cells(tv->rows[i].rs, tv->rows[i].row);
        for (int c = 0; c < s->ncols && c < 16; c++) {
            const char *t = rowset_str(tv->rows[i].rs, cells[c].text);
            if (t[0] == '\0') {
                continue;
            }
            int w = utf8_width(t);
            if (w > tv->full[c]) {
                tv->full[c] = w;
            }
        }
    }
    for (int c = 0; c < s->ncols && c < 16; c++) {
        tv->widths[c] = tv->full[c] < s->cols[c].max_width ? tv->full[c] : s->cols[c].max_width;
    }
}

/* How bad a row is, for choosing who stands for a group: crit first, muted last. */
static int severity_rank(const struct rowref *r)
{
    static const int rank[] = {[TONE_NORMAL] = 1, [TONE_OK] = 1,   [TONE_INFO] = 2,
                               [TONE_WARN] = 3,   [TONE_CRIT] = 4, [TONE_MUTED] = 0};
    uint8_t tone = r->rs->rows[r->row].tone;
    return tone < sizeof rank / sizeof rank[0] ? rank[tone] : 1;
}

static const char *group_text(const struct tableview *tv, const struct rowref *r)
{
    return rowset_cell_text(r->rs, r->row, tv->group_col);
}

static uint64_t text_hash(const char *text)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = text; *p != '\0'; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    }
    return h;
}

/*
 * Collapse the sorted rows into one per group value, in order of first
 * appearance. A small open-addressing table maps a value to its output slot.
 */
static void group_rows(struct tableview *tv)
{
    free(tv->group_size);
    tv->group_size = NULL;
    tv->nall = 0;
    if (tv->group_col < 0) {
        return;
    }
    tv->all = xreallocarray(tv->all, tv->nrows ? tv->nrows : 1, sizeof *tv->all);
    memcpy(tv->all, tv->rows, tv->nrows * sizeof *tv->rows);
    tv->nall = tv->nrows;
    size_t cap = 16;
    while (cap < tv->nall * 2) {
        cap *= 2;
    }
    size_t *slots = xcalloc(cap, sizeof *slots); /* output index + 1; 0 = empty */
    tv->group_size = xcalloc(tv->nall ? tv->nall : 1, sizeof *tv->group_size);
    size_t out = 0;
    for (size_t i = 0; i < tv->nall; i++) {
        const char *text = group_text(tv, &tv->all[i]);
        size_t at = (size_t)text_hash(text) & (cap - 1);
        while (slots[at] != 0 && strcmp(group_text(tv, &tv->rows[slots[at] - 1]), text) != 0) {
            at = (at + 1) & (cap - 1);
        }
        if (slots[at] == 0) {
            slots[at] = ++out;
            tv->rows[out - 1] = tv->all[i];
        } else if (severity_rank(&tv->all[i]) > severity_rank(&tv->rows[slots[at] - 1])) {
            tv->rows[slots[at] - 1] = tv->all[i];
        }
        tv->group_size[slots[at] - 1]++;
    }
    free(slots);
    tv->nrows = out;
}

void tableview_set_group(struct tableview *tv, const struct store *st, int col)
{
    tv->group_col = col;
    tv->top = 0;
    tableview_rebuild(tv, st);
}

size_t tableview_filtered(const struct tableview *tv, const struct rowref **rows)
{
    if (tv->group_col >= 0) {
        *rows = tv->all;
        return tv->nall;
    }
    *rows = tv->rows;
    return tv->nrows;
}

size_t tableview_members(const struct tableview *tv, size_t idx, struct rowref *out, size_t max)
{
    if (idx >= tv->nrows) {
        return 0;
    }
    if (tv->group_col < 0) {
        if (out != NULL && max > 0) {
            out[0] = tv->rows[idx];
        }
        return 1;
    }
    const char *text = group_text(tv, &tv->rows[idx]);
    size_t n = 0;
    for (size_t i = 0; i < tv->nall; i++) {
        if (strcmp(group_text(tv, &tv->all[i]), text) == 0) {
            if (out != NULL && n < max) {
                out[n] = tv->all[i];
            }
            n++;
        }
    }
    return n;
}

static void rebuild(struct tableview *tv, const struct store *st, bool keep_wanted);

/* The operator changed the view (filter, sort, group): the row they see selected is the one kept.
 */
void tableview_rebuild(struct tableview *tv, const struct store *st)
{
    rebuild(tv, st, false);
}

static void rebuild(struct tableview *tv, const struct store *st, bool keep_wanted)
{
    size_t old_index = tv->sel;
    bool invert = tv->filter[0] == '!';
    const char *needle = invert ? tv->filter + 1 : tv->filter;
    bool filtering = needle[0] != '\0';
    size_t total = store_nrows(st, tv->kind);
    if (total > tv->cap) {
        tv->cap = total;
        tv->rows = xreallocarray(tv->rows, tv->cap, sizeof *tv->rows);
    }
    tv->nrows = 0;
    tv->total = total;
    tv->ncontexts = count_contexts(tv, st);
    int skip = tableview_col_auto_hidden(tv, model_context_column(tv->kind))
                   ? model_context_column(tv->kind)
                   : -1;
    for (size_t s = 0; s < store_nsets(st, tv->kind); s++) {
        const struct rowset *rs = store_set(st, tv->kind, s);
        /* a kind without a CONTEXT column (the alert History: every context's) is not narrowed */
        if (model_context_column(tv->kind) >= 0 && !tableview_context_shown(tv, rs->context)) {
            tv->total -= rs->nrows; /* not shown at all: not counted as filtered out */
            continue;
        }
        for (size_t r = 0; r < rs->nrows; r++) {
            if (filtering && row_matches(rs, r, needle, skip) == invert) {
                continue;
            }
            tv->rows[tv->nrows].rs = rs;
            tv->rows[tv->nrows].row = (uint32_t)r;
            tv->nrows++;
        }
    }
    if (tv->sort_col >= 0 && tv->nrows > 1) {
        sort_ctx = tv;
        qsort(tv->rows, tv->nrows, sizeof *tv->rows, compare_refs);
        sort_ctx = NULL;
    }
    group_rows(tv);
    restore_selection(tv, old_index);
    if (tv->sel_key == NULL || !keep_wanted) {
        remember_selection(tv);
    }
    measure(tv);
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

void tableview_move(struct tableview *tv, long delta)
{
    if (tv->nrows == 0) {
        return;
    }
    long target = (long)tv->sel + delta;
    if (target < 0) {
        target = 0;
    }
    if ((size_t)target >= tv->nrows) {
        target = (long)tv->nrows - 1;
    }
    tv->sel = (size_t)target;
    remember_selection(tv);
}

void tableview_select_key(struct tableview *tv, const char *source, const char *key)
{
    free(tv->sel_source);
    free(tv->sel_key);
    tv->sel_source = xstrdup(source);
    tv->sel_key = xstrdup(key);
    for (size_t i = 0; i < tv->nrows; i++) {
        const struct rowref *r = &tv->rows[i];
        if (strcmp(rowset_key(r->rs, r->row), key) == 0 && strcmp(r->rs->source, source) == 0) {
            tv->sel = i;
            return;
        }
    }
}

void tableview_select_first(struct tableview *tv)
{
    tableview_move(tv, -(long)tv->nrows);
}

void tableview_select_last(struct tableview *tv)
{
    tableview_move(tv, (long)tv->nrows);
}

void tableview_scroll(struct tableview *tv, int height)
{
    if (height <= 0 || tv->nrows == 0) {
        tv->top = 0;
        return;
    }
    size_t h = (size_t)height;
    if (tv->sel < tv->top) {
        tv->top = tv->sel;
    } else if (tv->sel >= tv->top + h) {
        tv->top = tv->sel - h + 1;
    }
    if (tv->top + h > tv->nrows) {
        tv->top = tv->nrows > h ? tv->nrows - h : 0;
    }
}

bool tableview_selected(const struct tableview *tv, const struct rowset **rs, size_t *row)
{
    if (tv->nrows == 0) {
        return false;
    }
    *rs = tv->rows[tv->sel].rs;
    *row = tv->rows[tv->sel].row;
    return true;
}

static char *mark_id(const struct rowset *rs, size_t row)
{
    return xasprintf("%s\n%s", rs->source, rowset_key(rs, row));
}

static long mark_find(const struct tableview *tv, const char *id)
{
    for (size_t i = 0; i < tv->nmarks; i++) {
        if (strcmp(tv->marks[i], id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

void tableview_toggle_mark(struct tableview *tv)
{
    const struct rowset *rs;
    size_t row;
    if (!tableview_selected(tv, &rs, &row)) {
        return;
    }
    char *id = mark_id(rs, row);
    long at = mark_find(tv, id);
    if (at >= 0) {
        free(tv->marks[at]);
        tv->marks[at] = tv->marks[--tv->nmarks];
        free(id);
        return;
    }
    tv->marks = xreallocarray(tv->marks, tv->nmarks + 1, sizeof *tv->marks);
    tv->marks[tv->nmarks++] = id;
}

void tableview_clear_marks(struct tableview *tv)
{
    for (size_t i = 0; i < tv->nmarks; i++) {
        free(tv->marks[i]);
    }
    free(tv->marks);
    tv->marks = NULL;
    tv->nmarks = 0;
}

bool tableview_is_marked(const struct tableview *tv, const struct rowset *rs, size_t row)
{
    if (tv->nmarks == 0) {
        return false;
    }
    char *id = mark_id(rs, row);
    bool found = mark_find(tv, id) >= 0;
    free(id);
    return found;
}

size_t tableview_marked(const struct tableview *tv, struct rowref *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < tv->nrows && tv->nmarks > 0; i++) {
        if (tableview_is_marked(tv, tv->rows[i].rs, tv->rows[i].row)) {
            if (out != NULL && n < max) {
                out[n] = tv->rows[i];
            }
            n++;
        }
    }
    return n;
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
