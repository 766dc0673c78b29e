/*
 * The table panes' one implementation: a tableview of one model kind (filter,
 * sort, grouping, marks, selection) drawn as a boxed table with a summary in
 * its title, the health of its backends and a footer saying what is shown.
 * Each table pane (alerts.c, queues.c, ...) is its struct pane_table and an
 * ops table pointing here; what they share is written once.
 *
 * Action keys are not the pane's: the console looks them up in the backends'
 * action tables for the pane's kind, on the rows tablepane_action_rows()
 * gives (the marked rows, else the selected one; groups expand to members).
 */
#ifndef OPSDECK_TABLEPANE_H
#define OPSDECK_TABLEPANE_H

#include "pane.h"

/* The keys every table pane has: id, keys, verb, help (tui/keymap.h). */
#define TABLEPANE_KEYS(X)                                                                          \
    X(TABLEPANE_DOWN, "j Down", "row-down", "next row")                                            \
    X(TABLEPANE_UP, "k Up", "row-up", "previous row")                                              \
    X(TABLEPANE_PAGE_DOWN, "PgDn Ctrl-F", "page-down", "next page")                                \
    X(TABLEPANE_PAGE_UP, "PgUp Ctrl-B", "page-up", "previous page")                                \
    X(TABLEPANE_FIRST, "g Home", "row-first", "first row")                                         \
    X(TABLEPANE_LAST, "G End", "row-last", "last row")                                             \
    X(TABLEPANE_DETAIL, "Enter", "detail", "details of the selected row")                          \
    X(TABLEPANE_FILTER, "/", "filter", "filter rows (substring; !text inverts)")                   \
    X(TABLEPANE_CLEAR_FILTER, "Esc", "filter-clear", "clear the filter")                           \
    X(TABLEPANE_MARK, "Space", "mark", "mark the row for a bulk action")                           \
    X(TABLEPANE_UNMARK, "u", "unmark-all", "unmark every row")                                     \
    X(TABLEPANE_GROUP, "=", "group", "group rows (toggle); an action on a group acts on all")      \
    X(TABLEPANE_SORT, "s", "sort-next", "sort by the next column")                                 \
    X(TABLEPANE_REVERSE, "S", "sort-reverse", "reverse the sort")                                  \
    X(TABLEPANE_RIGHT, "l Right", "scroll-right", "every column whole, then scroll right")         \
    X(TABLEPANE_LEFT, "h Left", "scroll-left", "scroll left; at the edge back to the fitted view") \
    X(TABLEPANE_COLUMNS, "o", "columns", "choose the columns shown and their order (:cols)")

/* Their ids; a pane's own keys (pane_table.key) start at TABLEPANE_KEY_OWN. */
#define X_ENUM(id, keys, verb, help) id,
enum tablepane_key { TABLEPANE_NONE, TABLEPANE_KEYS(X_ENUM) TABLEPANE_KEY_OWN = 100 };
#undef X_ENUM

/* The keys every table pane has; a pane with keys of its own includes it (key_def.more). */
extern const struct key_def tablepane_keys[];

/*
 * The callbacks of every table pane, for its ops table: a table pane writes
 *     const struct pane_ops x_pane = {.name = ..., .title = ..., .keys = ...,
 *                                     .table = &x_table, TABLEPANE_CALLBACKS};
 */
#define TABLEPANE_CALLBACKS                                                                        \
    .create = tablepane_create, .draw = tablepane_draw, .key = tablepane_key,                      \
    .resize = tablepane_resize, .update = tablepane_update, .interrupt = tablepane_interrupt,      \
    .free = tablepane_free

void *tablepane_create(const struct pane_ops *ops, const struct pane_env *env);
void tablepane_draw(void *self, WINDOW *win, const struct pane_view *view);
bool tablepane_key(void *self, wint_t ch, bool is_key);
void tablepane_resize(void *self, int h, int w);
bool tablepane_update(void *self, uint64_t now_ms);
bool tablepane_interrupt(void *self);
void tablepane_free(void *self);

/* For the console and the pane's own keys. */
const struct tableview *tablepane_view(const void *self);
const struct pane_host *tablepane_host(const void *self);
/* The selected row; false when the view is empty. */
bool tablepane_selected(const void *self, const struct rowset **rs, size_t *row);
/* The rows an action key applies to (the caller frees *out); borrowed until the next update. */
size_t tablepane_action_rows(void *self, struct rowref **out);
void tablepane_clear_marks(void *self);
/* :sort TITLE (a column title, any case); false with *cause. */
bool tablepane_sort_by(void *self, const char *title, char **cause);
/* :ctx: show only the rows of these contexts (n 0: all); tui/ctx.c. */
void tablepane_set_contexts(void *self, const char *const *names, size_t n);
/* :filter TEXT ("" clears). */
void tablepane_filter(void *self, const char *text);
/*
 * A pane a command opens (pane_on_demand) says what it holds: its title
 * instead of ops->title ("PromQL rate(x[5m])"; NULL: back to it), and what
 * its source says (NULL: nothing): an error goes where a failing backend's
 * would (the top border, the body when no row shows), other text after the
 * summary (and in the body while there is no row).
 */
void tablepane_set_title(void *self, const char *title);
void tablepane_set_status(void *self, const char *text, bool error);
/*
 * Change the view (a saved view, :cols): fn gets the pane's tableview and
 * the store; the pane redraws.
 */
void tablepane_edit(void *self, void (*fn)(struct tableview *tv, const struct store *st, void *ud),
                    void *ud);
/*
 * [opsdeck] group_above changed (:reload): the pane groups or ungroups by
 * itself against the new threshold from its next update (0: never); an
 * operator's choice (=, a view's group=) stays.
 */
void tablepane_set_group_above(void *self, size_t n);
/* Select a row by identity (a remembered selection): now, or when it is published. */
void tablepane_select_key(void *self, const char *source, const char *key);

#endif
