/*
 * The selection of a table view (tableview.h): kept by identity (source +
 * key), so the selected row stays selected when rows move or others appear,
 * and comes back after a gap; moving it, and scrolling it into view.
 */
#include "tableview.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

void tableview_remember_selection(struct tableview *tv)
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

void tableview_restore_selection(struct tableview *tv, size_t old_index)
{
    if (tv->nrows == 0) {
        tv->sel = 0;
        return;
    }
    if (tv->sel_key != NULL && old_index < tv->nrows) {
        const struct rowref *r = &tv->rows[old_index];
        if (strcmp(rowset_key(r->rs, r->row), tv->sel_key) == 0 &&
            strcmp(r->rs->source, tv->sel_source) == 0) {
            tv->sel = old_index;
            return;
        }
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
    tableview_remember_selection(tv);
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
