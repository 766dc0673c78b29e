/*
 * Grouping of a table view (tableview.h): one row per distinct value of the
 * group column, the most severe member standing for the group, with the
 * member count, and, for a kind with a severity column (alerts), the members
 * counted by severity for the group row's summary ("312 alerts: 12
 * critical, 300 warning"). One pass over the filtered rows per rebuild.
 */
#include "tableview.h"

#include "../common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GROUP_RANKS = 5 }; /* model_severity_rank(): 0 none .. 4 critical */

/* model_severity_rank(), the usual words first: it runs once per row at every rebuild. */
static int rank_of(const char *t)
{
    static const char *const usual[GROUP_RANKS] = {"none", "info", "warning", "error", "critical"};
    for (int r = GROUP_RANKS - 1; r >= 0; r--) {
        if (t[0] == usual[r][0] && strcmp(t, usual[r]) == 0) {
            return r;
        }
    }
    return model_severity_rank(t);
}

/* The kind's severity column (COL_SEVERITY), or -1. */
static int severity_col(enum model_kind kind)
{
    const struct model_schema *s = model_schema(kind);
    for (int c = 0; c < s->ncols; c++) {
        if (s->cols[c].flags & COL_SEVERITY) {
            return c;
        }
    }
    return -1;
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
void tableview_group_rows(struct tableview *tv)
{
    free(tv->group_size);
    tv->group_size = NULL;
    free(tv->group_sev);
    tv->group_sev = NULL;
    tv->nall = 0;
    if (tv->group_col < 0) {
        return;
    }
    int sev = tv->group_counts_col >= 0 ? severity_col(tv->kind) : -1;
    tv->all = xreallocarray(tv->all, tv->nrows ? tv->nrows : 1, sizeof *tv->all);
    memcpy(tv->all, tv->rows, tv->nrows * sizeof *tv->rows);
    tv->nall = tv->nrows;
    size_t cap = 16;
    while (cap < tv->nall * 2) {
        cap *= 2;
    }
    size_t *slots = xcalloc(cap, sizeof *slots); /* output index + 1; 0 = empty */
    tv->group_size = xcalloc(tv->nall ? tv->nall : 1, sizeof *tv->group_size);
    if (sev >= 0) {
        tv->group_sev = xcalloc(tv->nall ? tv->nall * GROUP_RANKS : 1, sizeof *tv->group_sev);
    }
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
        if (sev >= 0) {
            int rank = rank_of(rowset_cell_text(tv->all[i].rs, tv->all[i].row, sev));
            tv->group_sev[(slots[at] - 1) * GROUP_RANKS + (size_t)rank]++;
        }
    }
    free(slots);
    tv->nrows = out;
}

void tableview_set_group(struct tableview *tv, const struct store *st, int col)
{
    tv->group_col = col;
    tv->group_auto = false; /* whoever calls chose it; tablepane.c sets it back for its own */
    tv->group_sets++;
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

bool tableview_group_counts(const struct tableview *tv, size_t idx, char *buf, size_t len)
{
    static const char *const words[GROUP_RANKS] = {"none", "info", "warning", "error", "critical"};
    if (tv->group_sev == NULL || idx >= tv->nrows || tv->group_size[idx] < 2 || len == 0) {
        return false;
    }
    const uint32_t *n = &tv->group_sev[idx * GROUP_RANKS];
    size_t at =
        (size_t)snprintf(buf, len, "%u %s:", tv->group_size[idx], model_schema(tv->kind)->name);
    const char *sep = " ";
    for (int r = GROUP_RANKS - 1; r >= 0 && at < len; r--) {
        if (n[r] > 0) {
            at += (size_t)snprintf(buf + at, len - at, "%s%u %s", sep, n[r], words[r]);
            sep = ", ";
        }
    }
    return true;
}

void tableview_group_widen(struct tableview *tv)
{
    int col = tv->group_counts_col;
    if (tv->group_sev == NULL || col < 0 || col >= 16) {
        return;
    }
    int widest = 0;
    char text[160];
    for (size_t i = 0; i < tv->nrows; i++) {
        if (tableview_group_counts(tv, i, text, sizeof text)) {
            int w = (int)strlen(text); /* ASCII: digits, the kind's name and severity words */
            widest = w > widest ? w : widest;
        }
    }
    int max = model_schema(tv->kind)->cols[col].max_width;
    tv->full[col] = widest > tv->full[col] ? widest : tv->full[col];
    int fit = widest < max ? widest : max;
    tv->widths[col] = fit > tv->widths[col] ? fit : tv->widths[col];
}
