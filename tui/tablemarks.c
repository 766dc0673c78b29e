/*
 * Marked rows of a table view (tableview.h): kept by identity ("source\nkey"),
 * so marks survive refreshes, re-sorts and rows coming back after a gap; the
 * visible rows that are marked, in view order, for bulk actions.
 */
#include "tableview.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

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
