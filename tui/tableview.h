/*
 * A view over one kind of rows in the store: filter, sort, selection and
 * scrolling. No curses, so it is unit-tested directly.
 *
 * The view holds references into the store's rowsets; it must be refreshed
 * (tableview_refresh) before use whenever the store may have changed, since a
 * publish frees the rowset it replaces. Selection is kept by identity (source
 * + key), so the selected row stays selected when rows move or others appear,
 * and when its rows come back after a gap (a failing backend) or from a
 * key remembered elsewhere (tableview_select_key).
 */
#ifndef OPSDECK_TABLEVIEW_H
#define OPSDECK_TABLEVIEW_H

#include "../backends/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rowref {
    const struct rowset *rs;
    uint32_t row;
};

struct tableview {
    enum model_kind kind;
    struct rowref *rows; /* visible rows: filtered and sorted */
    size_t nrows, cap;
    size_t total;     /* rows before filtering */
    char filter[128]; /* as typed; a leading '!' inverts */
    int sort_col;     /* -1: the order the backends published */
    bool sort_desc;
    int then_col; /* ties of a sort: by this column (-1: the published order) */
    bool then_desc;
    size_t sel;       /* index into rows (valid when nrows > 0) */
    size_t top;       /* first row shown */
    char *sel_source; /* identity of the selected row */
    char *sel_key;
    int group_col;        /* -1, or collapse rows with equal text in this column */
    uint32_t *group_size; /* per visible row when grouping: members it stands for */
    struct rowref *all;   /* when grouping: every row that passed the filter, sorted */
    size_t nall;
    bool group_auto;      /* the grouping is the pane's own (group_above), not the operator's */
    unsigned group_sets;  /* tableview_set_group calls: tablepane.c sees a view choose one */
    int group_counts_col; /* -1, or a group row shows its members by severity in this column */
    uint32_t *group_sev;  /* with group_counts_col: per visible row, 5 counts by severity rank */
    char **marks;         /* "source\nkey" of marked rows, kept across refreshes */
    size_t nmarks;
    uint64_t generation; /* store generation the rows were built from */
    bool built;
    int widths[16]; /* widest cell of each column over the visible rows, up to its max width */
    int full[16];   /* widest cell of each column, uncut */
    bool wide;      /* h/l: every column at its full width, scrolled sideways by hoff cells */
    int hoff;
    /*
     * The columns shown, in order (schema indexes); ncolorder 0: every
     * column in the schema's order, less those table_col_auto_hidden()
     * drops. Filtering and sorting still use every column: a hidden column
     * still matches a filter and can still be the sort column.
     */
    int8_t colorder[16];
    int ncolorder;
    char **contexts; /* tableview_set_contexts: the contexts shown; ncontexts_set 0: all */
    size_t ncontexts_set;
    int ncontexts; /* distinct contexts among the rowsets shown, at the last rebuild (2: 2+) */
    struct tableview_cache *cache; /* private to tableview.c: what makes a refresh incremental */
};

void tableview_init(struct tableview *tv, enum model_kind kind);
void tableview_finish(struct tableview *tv);
/* Rebuild when the store changed; true when the rows were rebuilt. */
bool tableview_refresh(struct tableview *tv, const struct store *st);
/*
 * Rebuild now (after a filter or sort change): the operator's change, so the
 * row then selected is the one kept, even if the one wanted before is hidden.
 */
void tableview_rebuild(struct tableview *tv, const struct store *st);
void tableview_set_filter(struct tableview *tv, const struct store *st, const char *filter);
void tableview_set_sort(struct tableview *tv, const struct store *st, int col, bool desc);
/* Move the selection by delta rows (clamped) and remember the new identity. */
void tableview_move(struct tableview *tv, long delta);
void tableview_select_first(struct tableview *tv);
/* Select the row of this identity now if it is there, else as soon as it appears. */
void tableview_select_key(struct tableview *tv, const char *source, const char *key);
void tableview_select_last(struct tableview *tv);
/* Adjust top so that the selection is visible in a window of height rows. */
void tableview_scroll(struct tableview *tv, int height);
/* The selected row, or false when the view is empty. */
bool tableview_selected(const struct tableview *tv, const struct rowset **rs, size_t *row);
/*
 * Group by a column (-1: no grouping): one row per distinct value, the most
 * severe member standing for the group, with the member count (tablegroup.c).
 * It clears group_auto: a call is a choice.
 */
void tableview_set_group(struct tableview *tv, const struct store *st, int col);
/*
 * A group row's counts by severity, worst first, when the view has a
 * group_counts_col and the kind a severity column: "312 alerts: 12
 * critical, 300 warning". false (buf untouched) for a row standing alone.
 */
bool tableview_group_counts(const struct tableview *tv, size_t idx, char *buf, size_t len);
/*
 * tableview.c's rebuild, done in tableselect.c: the selected row's identity
 * remembered; the row of that identity found again (else the one at
 * old_index, still wanting the identity).
 */
void tableview_remember_selection(struct tableview *tv);
void tableview_restore_selection(struct tableview *tv, size_t old_index);
/* tableview.c's rebuild, done in tablegroup.c: collapse the rows, then widen the counts' column. */
void tableview_group_rows(struct tableview *tv);
void tableview_group_widen(struct tableview *tv);
/* Every row that passed the filter, grouped or not (for summaries of the data). */
size_t tableview_filtered(const struct tableview *tv, const struct rowref **rows);
/* Members of visible row idx (itself when not grouping), in view order. */
size_t tableview_members(const struct tableview *tv, size_t idx, struct rowref *out, size_t max);

/* Mark or unmark the selected row (by identity, so marks survive refreshes). */
void tableview_toggle_mark(struct tableview *tv);
void tableview_clear_marks(struct tableview *tv);
bool tableview_is_marked(const struct tableview *tv, const struct rowset *rs, size_t row);
/* Visible rows that are marked, in view order; returns the count (out may be NULL). */
size_t tableview_marked(const struct tableview *tv, struct rowref *out, size_t max);

/*
 * Show these columns in this order (n 0: the default, every column); false
 * when one is out of range or given twice, or n is over 16 (nothing changes).
 */
bool tableview_set_columns(struct tableview *tv, const int *cols, int n);
/*
 * Show only the rows of these contexts (n 0: all), checked per rowset (a
 * rowset's context is its source's: NULL is "default"). Rebuilds now.
 */
void tableview_set_contexts(struct tableview *tv, const struct store *st, const char *const *names,
                            size_t n);
/* Is a rowset of this context (NULL: "default") shown? */
bool tableview_context_shown(const struct tableview *tv, const char *context);
/*
 * A column the table leaves out by itself: CONTEXT (COL_CONTEXT) while at
 * most one context is shown. It still sorts; a filter skips it then (every
 * row would match "default").
 */
bool tableview_col_auto_hidden(const struct tableview *tv, int col);

/* Does a row match a filter (without the '!')? Case-insensitive substring of any cell. */
bool tableview_row_matches(const struct rowset *rs, size_t row, const char *needle);

#endif
