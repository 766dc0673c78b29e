/*
 * Runbook variables and ${name} substitution.
 *
 * Names are [A-Za-z_][A-Za-z0-9_.-]*. `$${X}` yields a literal `${X}`; a `$`
 * not followed by `{` is left alone.
 *
 * Values never become shell code (DESIGN rule 7): a command is built by
 * vars_command(), which rewrites each ${name} into a reference to the
 * environment variable OPSDECK_VAR_name (common/shtmpl.h) and hands the
 * values to the child in its environment; a template where a value could be
 * read as code is refused. Text substitution (VARS_TEXT) is for what is not
 * a shell command: messages, targets, the text shown.
 */
#ifndef OPSDECK_VARS_H
#define OPSDECK_VARS_H

#include "../common/shtmpl.h"

#include <stdbool.h>
#include <stddef.h>

struct vars {
    char **names;
    char **values;
    size_t n, cap;
};

/* Zero-initialised struct vars is empty. */
void vars_set(struct vars *v, const char *name, const char *value);
const char *vars_get(const struct vars *v, const char *name); /* NULL when unset */
void vars_unset(struct vars *v, const char *name);
void vars_clear(struct vars *v);
bool vars_valid_name(const char *name);

/*
 * VARS_TEXT: each value as it is. VARS_SHOWN_COMMAND: a shell command as the
 * operator reads it before confirming (shtmpl_preview: a quoted word where a
 * value stands bare, the value itself inside "..."); for display and the
 * journal only: what runs comes from vars_command().
 */
enum vars_mode { VARS_TEXT, VARS_SHOWN_COMMAND };

/*
 * Substitute. Returns a new string, or NULL with *missing set to the first
 * unset name (caller frees *missing).
 */
char *vars_expand(const struct vars *v, const char *text, enum vars_mode mode, char **missing);

/*
 * Build the command of template tmpl (free with shtmpl_command_finish). False
 * with *cause: an unset variable ("unset variable NAME"), a value in a place
 * where it could be code (the line and a hint, see common/shtmpl.h), a value
 * too long to pass.
 */
bool vars_command(const struct vars *v, const char *tmpl, struct shtmpl_command *out, char **cause);

/* Call fn for each ${name} referenced in text (not $${...}); for lint. */
void vars_each_ref(const char *text, void (*fn)(const char *name, void *ud), void *ud);

#endif
