/*
 * :reload and SIGHUP in the console: the config file read again and applied
 * without a restart (docs/architecture.md "Reload").
 *
 * Contract:
 * - The whole new config is checked before anything changes: the file
 *   (config_load), its views, its [keys] against the new backends, its theme,
 *   and every new or changed backend is built, configured and validated
 *   (backend_validate: no I/O, no poll). Any error: refused, the old config
 *   and every backend stay as they were; the status line says "reload
 *   refused: FILE:LINE: message".
 * - Backends (engine/reload.h says which are the same) that did not change
 *   keep their object: rows, connections, timers, polls counter. Removed ones
 *   are destroyed and their rows leave the store; new ones start polling;
 *   changed ones are replaced by a new object whose first publish replaces
 *   the old rows (shown until then; rows of kinds it no longer feeds go).
 * - Busy rule: a reload that would remove or replace a backend is refused
 *   while that backend has an action in flight ("backend X is busy: an action
 *   is in flight"), and any reload that changes the set of backends is refused
 *   while a run or a drill is open in the side slot (they act through the
 *   backends) or a dialog is open; a reload that keeps every backend (views,
 *   keys, theme, contexts' tone, runbooks) is always applied.
 * - [share], [audit] and [opsdeck] read_only are read at start only: a change is said
 *   ("... changes need a restart") and the running values stay.
 * - One audit line per reload: action "config.reload", target the file,
 *   result "ok" or "refused: why", data {how, added, changed, removed, kept}
 *   (names).
 */
#ifndef OPSDECK_TUI_RELOAD_H
#define OPSDECK_TUI_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct backend;
struct config;
struct journal;

/* What main.c lends the console to rebuild its backends the way it built them at start. */
struct ui_reload {
    const char *path;           /* the config file; NULL: there was none (the demo runs) */
    struct config **cfg;        /* main's config: replaced by a reload */
    struct backend ***backends; /* main's array of backends: replaced by a reload */
    size_t *nbackends;
    bool theme_fixed; /* -t/--theme: the config's theme does not apply */
    /* the command line's settings for a demo backend (--seed...); NULL: none */
    bool (*demo_settings)(struct backend *b, void *ud, char **cause);
    void *ud;
    struct journal *audit; /* the audit log; NULL: none */
};

#endif
