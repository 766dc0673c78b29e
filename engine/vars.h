/*
 * Runbook variables and ${name} substitution.
 *
 * Names are [A-Za-z_][A-Za-z0-9_.-]*. In VARS_SHELL mode every value is
 * substituted as one single-quoted shell word ('it'\''s'), so nothing in a
 * value (an alert label, an API string, a prompt answer) is ever executed.
 * `$${X}` yields a literal `${X}`; a `$` not followed by `{` is left alone.
 */
#ifndef OPSDECK_VARS_H
#define OPSDECK_VARS_H

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

enum vars_mode { VARS_TEXT, VARS_SHELL };

/*
 * Substitute. Returns a new string, or NULL with *missing set to the first
 * unset name (caller frees *missing).
 */
char *vars_expand(const struct vars *v, const char *text, enum vars_mode mode, char **missing);

/* Call fn for each ${name} referenced in text (not $${...}); for lint. */
void vars_each_ref(const char *text, void (*fn)(const char *name, void *ud), void *ud);

/* One shell word for s, single-quoted. Caller frees. */
char *vars_shell_quote(const char *s);

#endif
