/*
 * `opsdeck snapshot [--json]`: the headless twin of the screen (DESIGN rule
 * 10). Waits until every backend has answered once (or timed out), then prints
 * every pane once: aligned text, or one JSON document.
 */
#ifndef OPSDECK_SNAPSHOT_H
#define OPSDECK_SNAPSHOT_H

#include "../backends/backend.h"

#include <stdbool.h>
#include <stdio.h>

struct loop;

/* Run the loop until every backend has answered once or timed out. */
void snapshot_wait(struct loop *loop, struct backend **backends, size_t nbackends);

/* Returns the exit status: 0, or 1 when a backend failed (still printed). */
int snapshot_run(struct loop *loop, struct store *store, struct backend **backends,
                 size_t nbackends, bool json, FILE *out);

#endif
