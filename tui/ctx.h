/*
 * Contexts in the console (console.h): which contexts the table panes show.
 *
 * A context is where a backend belongs (`context = NAME`; none: "default");
 * its [context] section says its tone, read_only and protected (the engine
 * enforces those: engine/action.c). The console shows every context, one, or
 * several: `:ctx NAME`, `:ctx a,b`, `:ctx all`, `:ctx` alone lists them with
 * their flags, and X cycles all -> each context -> all. Rows of the other
 * contexts are filtered out per rowset (tableview_set_contexts); the CONTEXT
 * column shows while more than one context is shown, and the title bar says
 * which ones, in the most severe of their tones, as text too (`[prod-eu
 * PROTECTED]`) so that a mono terminal says it as well.
 *
 * The contexts are those of the backends, in the order they are configured.
 */
#ifndef OPSDECK_CTX_H
#define OPSDECK_CTX_H

#include "../backends/model.h"

#include <stdbool.h>
#include <stddef.h>

struct ui;

/* Show the contexts spec names: "all", "a" or "a,b"; false with *cause (an unknown one). */
bool ctx_select(struct ui *ui, const char *spec, char **cause);
/* What is shown, as ctx_select takes it: "all", "prod-eu", "prod-eu,staging"; caller frees. */
char *ctx_spec(const struct ui *ui);
/* The key (context-next): all, then each context in turn, then all again. */
void ctx_cycle(struct ui *ui);
/* :ctx alone: the contexts with their flags and which are shown, in the status line. */
void ctx_list(struct ui *ui);
/* How many contexts the backends are in. */
size_t ctx_count(const struct ui *ui);
/*
 * The title bar's label ("[prod-eu PROTECTED]", "[all: prod-eu PROTECTED,
 * staging READ-ONLY]") and its tone (the most severe shown); false when
 * there is nothing to say (one context, "default", with no flags).
 */
bool ctx_title(const struct ui *ui, char *buf, size_t len, enum tone *tone);
/* A pane opened later (an on-demand pane) shows what the others show. */
void ctx_apply(struct ui *ui);
void ctx_free(struct ui *ui);

#endif
