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
 * User key maps ([keys] in the config, docs/configuration.md) are an
 * override table installed once at start (keymap_install): a verb bound by
 * the user answers its new keys only, in every pane (VERB = KEYS) or in one
 * (PANE.VERB = KEYS), or none (KEYS "none"). Dispatch in a scope (the
 * focused pane's name) consults the user's bindings first, in every layer
 * (the pane's table, the console's, the backends' action keys): a key the
 * user gave a verb of that scope goes to that verb; a default key whose verb
 * moved away is free (it falls through). Help (key_help_in) prints the keys
 * in effect. Prompts and line editing are never remapped.
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
struct backend;
struct action_def;

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

/* key_find and key_help in a scope: a pane's name ("alerts"), NULL for the console alone. */
const struct key_def *key_find_in(const char *scope, const struct key_def *table, const void *ctx,
                                  wint_t ch, bool is_key);
size_t key_help_in(const char *scope, const struct key_def *table, const void *ctx,
                   struct viewer *v);

/* ---- user key maps ---- */

/* A backend action of a scope: its verb and its default key (struct action_def). */
struct keymap_action {
    const char *verb;
    int key;
};

/* Where keys apply: a pane (its name and key table) and the actions on its rows. */
struct keymap_scope {
    const char *name;
    const struct key_def *keys;
    const struct keymap_action *actions;
    size_t nactions;
};

/* One [keys] line as written: "VERB" or "PANE.VERB", its keys ("none": unbound), its line. */
struct keymap_line {
    const char *key;
    const char *value;
    int line;
};

/*
 * Check the lines against the scopes and the console's own table (global)
 * and install them as the user map (replacing any before; n 0 clears it).
 * false with *cause "file:line: ..." (an unknown pane or verb, a bad key,
 * the same verb twice in one scope); the map is then empty. The scopes are
 * copied.
 */
bool keymap_install(const char *file, const struct keymap_line *lines, size_t n,
                    const struct key_def *global, const struct keymap_scope *scopes, size_t nscopes,
                    char **cause);
void keymap_clear(void);
/*
 * The keys in effect for verb in scope (def: its default spec) into buf:
 * the user's, else def without the keys another verb's binding took. false:
 * the verb has no key there.
 */
bool keymap_spec(const char *scope, const char *verb, const char *def, char *buf, size_t len);
/* The same for a backend action's verb (def: its key): a verb may name both ("resume"). */
bool keymap_action_spec(const char *scope, const char *verb, const char *def, char *buf,
                        size_t len);
/* Did the user give this key to a verb of this scope? */
bool keymap_claimed(const char *scope, wint_t ch, bool is_key);
/* The action of b on kind this key means in scope (the user's binding, else its default key). */
const struct action_def *keymap_action(const char *scope, const struct backend *b, int kind,
                                       wint_t ch, bool is_key);
/*
 * Lint of the installed map: each warning once, with the line of the binding
 * it concerns: two verbs of one scope on one key (a user binding and another
 * user binding, or a default that was not moved), and keys a terminal or
 * tmux usually takes first (Ctrl-B, Ctrl-A, Ctrl-S, Ctrl-Q, Ctrl-Z, Ctrl-C).
 * Returns how many.
 */
size_t keymap_lint(void (*warn)(int line, const char *message, void *ud), void *ud);

#endif
