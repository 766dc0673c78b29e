/*
 * The interactive console: the registered panes (panes/pane.h) in a layout
 * of slots, a run or a drill beside them, the chrome, keys, commands and
 * dialogs. It owns the terminal and the windows and sends every action
 * through engine/action.c. tui/console.h is the map of its modules.
 */
#ifndef OPSDECK_UI_H
#define OPSDECK_UI_H

#include "../backends/backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct config;

struct ui_options {
    bool demo;
    bool read_only;
    const char *read_only_why; /* in the title bar after READ-ONLY ("no audit log: ..."); NULL */
    const char *theme;         /* NULL: default */
    const char *const *theme_dirs; /* NULL-terminated search path */
    int64_t exit_after_ms;         /* 0: never */
    long exit_after_frames;        /* 0: never */
    /* a runbook to open in the runbook pane at start (opsdeck run FILE), or a run to resume */
    const char *run_file;
    const char *run_resume;
    const char *const *run_vars; /* "name=value" strings from --var, NULL-terminated; may be NULL */
    const struct config *config; /* [runbooks] for r on an alert; may be NULL */
    /* a drill to open in the drill pane at start (opsdeck drill FILE), or a drill run to resume */
    const char *drill_file;
    const char *drill_resume;
    const char *start_message; /* said in the status line at start (drill recovery); may be NULL */
    const char *join_id;       /* opsdeck join RUN-ID: follow a shared run at start */
    bool projector;            /* ... as the room's projector: the run alone, no keys but q */
    const struct view *view;   /* --view: shown at start (tui/view.h); NULL: none */
    struct ui_reload *reload;  /* how :reload and SIGHUP re-read the config (reload.h); NULL: no */
};

struct ui;
struct ui_reload;
struct view;

struct ui *ui_create(struct loop *loop, struct store *store, struct backend **backends,
                     size_t nbackends, const struct ui_options *opts, char **cause);
/* Run until quit; returns the process exit status. */
int ui_run(struct ui *ui);
void ui_destroy(struct ui *ui);

#endif
