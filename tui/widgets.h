/*
 * Small widgets: a one-line editor (filter, command line, dialog fields), a
 * confirmation dialog whose default answer is Cancel (the text viewer is
 * viewer.h).
 */
#ifndef OPSDECK_WIDGETS_H
#define OPSDECK_WIDGETS_H

#include "screen.h"
#include "viewer.h"

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

struct lineedit {
    char buf[4096]; /* a silence's matchers, prefilled from every label, must fit whole */
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

/* A fresh boxed window in the dialog colours, the title on its top border (old is deleted). */
WINDOW *widgets_framed(WINDOW *old, int h, int w, int y, int x, const char *title,
                       const struct glyphs *g);

enum dialog_result { DIALOG_OPEN, DIALOG_CANCEL, DIALOG_CONFIRM };

enum { DIALOG_MAX_FIELDS = 4 };

/*
 * One focus rule for every dialog (dialog_first_focus, dialog_key): the
 * fields, then the confirm button, then Cancel; Tab and the arrows go round
 * in that order. A dialog opens on its first field, or on Cancel when there
 * is nothing to type. Enter on a field moves to the next one (the last: to
 * the confirm button), so confirming takes one more deliberate Enter on a
 * button the operator sees focused.
 *
 * The body is shown whole: wrapped to the width, never cut; when it is
 * taller than the screen it scrolls (Up/Down, PgUp/PgDn) between the title
 * and the fields, which stay in view with the buttons.
 */
struct dialog {
    char *title;
    char *body;          /* may hold newlines */
    char *confirm_label; /* "Drain" */
    int nfields;
    char *labels[DIALOG_MAX_FIELDS];
    struct lineedit fields[DIALOG_MAX_FIELDS];
    char *must_type; /* typed confirmation: field 0 must equal it */
    char *also_type; /* another word that confirms it too (a drill's abort word), or NULL */
    char *error;     /* why Enter did not confirm, shown under the field until the next key */
    int focus;       /* < nfields: a field; DIALOG_AT_CONFIRM; DIALOG_AT_CANCEL (see below) */
    int scroll;      /* first body row shown */
    int body_rows;   /* wrapped body rows, and how many show (from the last draw) */
    int body_shown;
};

/* Where focus is: the fields are 0 .. nfields - 1. */
int dialog_confirm_at(const struct dialog *d);
int dialog_cancel_at(const struct dialog *d);
/* Where a dialog opens: its first field, else Cancel. */
int dialog_first_focus(const struct dialog *d);

/*
 * A confirmation with at most one field: a value (input_label) or the typed
 * confirmation. must_type may be "WORD\nOTHER": either confirms. Typed words
 * compare trimmed and case-insensitively, and Enter in the typed field
 * confirms when the word is right (typing it is the deliberate act); any other
 * text keeps the dialog open and says so, Esc cancels.
 */
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
WINDOW *dialog_draw(struct dialog *d, WINDOW *old, const struct glyphs *g);

#endif
