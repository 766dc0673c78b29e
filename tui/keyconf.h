/*
 * User key maps from the config ([keys], docs/configuration.md): the scopes
 * they apply in (every pane by its name, with the backends' actions on its
 * rows), installed in the key-table layer (keymap.h) at start; lint's
 * warnings on them; and `opsdeck --keys`, every verb with its keys.
 */
#ifndef OPSDECK_KEYCONF_H
#define OPSDECK_KEYCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config;
struct backend;

/* Check and install cfg's [keys] (cfg NULL: none); false with *cause "file:line: ...". */
bool keyconf_install(const struct config *cfg, struct backend *const *backends, size_t n,
                     char **cause);
/* After keyconf_install: lint's warnings, "FILE:LINE: warning: ..." each on out; how many. */
size_t keyconf_lint(const char *file, FILE *out);
/* Every verb, scope by scope, with the keys in effect (the user's marked *) and its help. */
void keyconf_print(FILE *out, struct backend *const *backends, size_t n);
void keyconf_free(void);

#endif
