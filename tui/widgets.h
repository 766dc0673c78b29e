/*
 * Small widgets: a one-line editor (filter, command line, dialog fields), a
 * confirmation dialog whose default answer is Cancel, and a scrollable text
 * viewer (detail view, help).
 */
#ifndef OPSDECK_WIDGETS_H
#define OPSDECK_WIDGETS_H

#include "screen.h"

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

struct lineedit {
    char buf[256];
    size_t len;
};

void lineedit_set(struct lineedit *le, const char *text);
/*
 * Feed one key (wide character or KEY_* code). Returns true when the text
 * changed. Handles printable input, Backspace, Ctrl-U (clear), Ctrl-W (word).
 */
bool lineedit_key(struct lineedit *le, wint_t ch, bool is_key);

/*
 * The movement keys every list shares: j k and arrows, PgUp PgDn (Ctrl-B
 * Ctrl-F), g G (Home End). true with *delta set when ch is one of them.
 */
bool widgets_move_key(wint_t ch, bool is_key, long page, long count, long *delta);

enum dialog_result { DIALOG_OPEN, DIALOG_CANCEL, DIALOG_CONFIRM };

enum { DIALOG_MAX_FIELDS = 4 };

/*
 * Focus runs over the fields, then Cancel, then the confirm button. Enter on a
 * field moves to the next one, so Enter never confirms by accident: the
 * confirm button has to be chosen. Plain dialogs start on Cancel with typing
 * going to their one field; forms start on their first field.
 */
struct dialog {
    char *title;
    char *body;          /* may hold newlines */
    char *confirm_label; /* "Drain" */
    int nfields;
    char *labels[DIALOG_MAX_FIELDS];
    struct lineedit fields[DIALOG_MAX_FIELDS];
    char *must_type; /* typed confirmation: field 0 must equal it */
    int focus;       /* < nfields: a field; nfields: Cancel (the default); nfields + 1: confirm */
};

/* A confirmation with at most one field: a value (input_label) or the typed confirmation. */
void dialog_open(struct dialog *d, const char *title, const char *body, const char *confirm,
                 const char *input_label, const char *input_default, const char *must_type);
/* A form: n fields (n <= DIALOG_MAX_FIELDS) with labels and prefilled values. */
void dialog_open_form(struct dialog *d, const char *title, const char *body, const char *confirm,
                      const char *const *labels, char *const *defaults, int n);
void dialog_close(struct dialog *d);
const char *dialog_field(const struct dialog *d, int i);
bool dialog_can_confirm(const struct dialog *d);
enum dialog_result dialog_key(struct dialog *d, wint_t ch, bool is_key);
/* Draw centred in the screen; returns the window to refresh (owned by the caller). */
WINDOW *dialog_draw(const struct dialog *d, WINDOW *old, const struct glyphs *g);

struct viewer {
    char *title;
    char **lines;
    size_t nlines, cap;
    size_t top;
};

void viewer_open(struct viewer *v, const char *title);
void viewer_add(struct viewer *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void viewer_close(struct viewer *v);
/* true while open; false when the key closes it (Esc, q, Enter). */
bool viewer_key(struct viewer *v, wint_t ch, bool is_key, int page);
WINDOW *viewer_draw(struct viewer *v, WINDOW *old, int y, int x, int h, int w,
                    const struct glyphs *g);

#endif
