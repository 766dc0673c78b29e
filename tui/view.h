/*
 * Saved views (issue 17): a table pane with its filter, sort, grouping,
 * shown columns and context, as one line one can paste to a colleague:
 *
 *     PANE[;ctx=SPEC][;filter=TEXT][;sort=[-]COL][;group=COL][;cols=COL,COL,...]
 *
 * PANE is a table pane's name (alerts queues pools deploys silences
 * signals ...); COL a column title, any case; '-' sorts descending; SPEC is
 * all or NAME[,NAME...]. '%' escapes ';' '%' ',' as %3B %25 %2C (any %XX
 * of two hex digits is read as that byte; a '%' before anything else is
 * itself). Fields come in any order on input and once each; an unknown
 * pane, field or column is an error naming it. Output is in the order
 * above, with only what differs from the pane's defaults (plus ctx when the
 * console captured it), so `sort=` (empty) is the order the backends
 * published when the pane's default is a sort.
 *
 * Applying a view sets every field: what it leaves out goes back to the
 * pane's default (no filter, the pane's sort, no grouping, every column),
 * except ctx: a view without one keeps the contexts shown.
 *
 * Named views come from the config's [views] (NAME = VIEW-STRING, checked at
 * start with file:line) and from $XDG_STATE_HOME/opsdeck/views (the same
 * lines, 0600, replaced whole through a rename), written by :view save. A
 * name is looked up in the config first. :view, :cols and --view are here;
 * commands.c and main.c only call in. No I/O but the views file.
 */
#ifndef OPSDECK_VIEW_H
#define OPSDECK_VIEW_H

#include "tableview.h"

#include <stdbool.h>
#include <stddef.h>

struct config;
struct ui;

enum { VIEW_MAX_COLS = 16 };

struct view {
    enum model_kind kind;
    char *ctx;     /* "all", "a,b"; NULL: not given (the contexts shown stay) */
    char *filter;  /* NULL: no filter */
    bool has_sort; /* false: the pane's default sort */
    int sort_col;  /* with has_sort: -1 is the order published */
    bool sort_desc;
    int group_col; /* -1: not grouped */
    int cols[VIEW_MAX_COLS];
    int ncols; /* 0: every column (the default) */
};

void view_init(struct view *v, enum model_kind kind);
void view_free(struct view *v);
/* Parse a view string into out (view_free it); false with *cause naming what is wrong. */
bool view_parse(const char *text, struct view *out, char **cause);
/* The view string (caller frees), fields in the canonical order. */
char *view_format(const struct view *v);
/* s with ';' '%' ',' escaped (caller frees). */
char *view_escape(const char *s);

/* Set a tableview to the view (def_sort/def_desc: the pane's default sort). */
void view_apply_table(const struct view *v, struct tableview *tv, const struct store *st,
                      int def_sort, bool def_desc);
/* The view a tableview shows (out is initialised here; ctx is left NULL). */
void view_capture_table(struct view *out, const struct tableview *tv, int def_sort, bool def_desc);

/*
 * :cols ARG against a tableview's shown columns: "A,B,C" (these, in this
 * order), "-COL" hides, "+COL" shows (at its place in the schema when the
 * shown columns are in schema order, else at the end), several of those
 * separated by blanks, or "reset" (*n 0). The new list in cols (16); false
 * with *cause.
 */
bool view_cols_edit(const struct tableview *tv, const char *arg, int *cols, int *n, char **cause);
/* "shown: A, B, C  hidden: D" for :cols alone (caller frees). */
char *view_cols_describe(const struct tableview *tv);

/* A name for :view save and [views]: letters, digits, _ . - and not save, rm or show. */
bool view_name_ok(const char *name);

struct view_entry {
    char *name;
    char *text; /* the view string as written */
    int line;
};

/* The saved views file, as read (the order kept). */
struct view_file {
    char *path;
    struct view_entry *v;
    size_t n;
};

/* $XDG_STATE_HOME/opsdeck/views (caller frees). */
char *view_state_path(void);
/* Read path (missing: no views); false with *cause ("path:line: ..."). */
bool view_file_load(struct view_file *f, const char *path, char **cause);
/* Write it whole (0600, through a rename; the directory made 0700); false with *cause. */
bool view_file_save(const struct view_file *f, char **cause);
void view_file_free(struct view_file *f);
const struct view_entry *view_file_find(const struct view_file *f, const char *name);
/* Add or replace NAME. */
void view_file_set(struct view_file *f, const char *name, const char *text);
/* false when there is no NAME. */
bool view_file_remove(struct view_file *f, const char *name);

/* Every [views] entry parses; false with *cause "file:line: view NAME: ...". */
bool view_check_config(const struct config *cfg, char **cause);
/*
 * --view ARG and :view ARG: a name (the config's [views], then the saved
 * views in state_path), else a view string. false with *cause naming what is
 * wrong. *name (may be NULL) gets the name found, or NULL (caller frees).
 */
bool view_resolve(const struct config *cfg, const char *state_path, const char *arg,
                  struct view *out, char **name, char **cause);

/* The console: show the view (its pane focused, ctx selected); false with *cause. */
bool view_apply(struct ui *ui, const struct view *v, char **cause);
/* The focused table pane's view, ctx included; false with *cause (not a table pane). */
bool view_capture(struct ui *ui, struct view *out, char **cause);
/* :view [NAME | STRING | save NAME | rm NAME | show] */
void view_command(struct ui *ui, const char *arg);
/* :cols [A,B,C | -COL | +COL | reset] on the focused table pane */
void view_cols_command(struct ui *ui, const char *arg);

#endif
