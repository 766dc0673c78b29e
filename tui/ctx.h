/*
 * Contexts in the console (issue 17, part A owns this file). Part C (saved
 * views) only calls these two; until the merge tui/ctx_stub.c implements
 * them trivially (one context: "all"), and the merge keeps part A's file.
 */
#ifndef OPSDECK_CTX_H
#define OPSDECK_CTX_H

#include <stdbool.h>

struct ui;

/* Show the contexts of spec: "all", "a", "a,b"; false with *cause naming what is wrong. */
bool ctx_select(struct ui *ui, const char *spec, char **cause);
/* The contexts shown, as a spec ("all", "a,b"); the caller frees. */
char *ctx_spec(const struct ui *ui);

#endif
