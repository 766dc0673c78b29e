/*
 * Keys as tables. Every pane (panes/pane.h) and the console itself declare
 * their keys as a const array of struct key_def: which keys, a verb, a line
 * of help and when the key applies. Dispatch (key_find) and the ? help
 * (key_help) both read the same table, so a key that works is a key that is
 * documented, and a key is documented where it is handled.
 *
 * The verb is a stable identifier ("row-down", "filter", "zoom"): user key
 * maps will bind keys to verbs, so a verb is never renamed once shipped.
 * The id is what the table's owner switches on; it means nothing elsewhere.
 *
 * A key spec lists key names separated by spaces ("j Down"): a printable
 * character as itself ("?", "[", "=", "R"), a range of characters ("1-9"),
 * or one of Space Enter Esc Tab S-Tab Backspace Up Down Left Right PgUp
 * PgDn Home End, Ctrl-A .. Ctrl-Z, F1 .. F12.
 *
 * A table ends with an entry of all zeros. An entry with a heading is a
 * heading line in help; an entry with more includes another table at that
 * place (the table panes share theirs). Tables are written as X-macros
 * (TABLEPANE_KEYS in panes/tablepane.h): the ids and the entries come from
 * one list, a line per key.
 */
#ifndef OPSDECK_KEYMAP_H
#define OPSDECK_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

struct viewer;

struct key_def {
    const char *keys;    /* the spec ("j Down"); NULL for a heading */
    const char *verb;    /* stable identifier for key maps; NULL for help lines */
    int id;              /* what the owner's key handler switches on */
    const char *help;    /* one line, shown after the keys in ? help */
    const char *heading; /* a heading line in help (keys, verb and help unset) */
    /* NULL: always; false: the key is not bound now (it falls through, help leaves it out) */
    bool (*when)(const void *ctx);
    const struct key_def *more; /* another table, included here */
};

/* The first entry of table (and the tables it includes) bound to this key that applies in ctx. */
const struct key_def *key_find(const struct key_def *table, const void *ctx, wint_t ch,
                               bool is_key);
/* Does spec name this key? */
bool key_spec_matches(const char *spec, wint_t ch, bool is_key);
/* Is every name in spec known? false with *bad (the caller frees) naming the first that is not. */
bool key_spec_valid(const char *spec, char **bad);
/*
 * Add the table's lines to a help viewer: "  KEYS         help" for each key
 * that applies in ctx, headings as they are; returns the key lines added.
 */
size_t key_help(const struct key_def *table, const void *ctx, struct viewer *v);

#endif
