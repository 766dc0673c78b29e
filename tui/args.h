/*
 * The command line (tui/args.c): which command, and its options, as typed.
 * args_parse() checks the combinations (a command's required arguments,
 * options that exclude each other) and exits 2 with a message on a usage
 * error; --help and --version print and exit 0. Nothing here reads the
 * configuration or starts anything (main.c does, from struct options).
 */
#ifndef OPSDECK_ARGS_H
#define OPSDECK_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum command {
    CMD_CONSOLE,
    CMD_SNAPSHOT,
    CMD_LINT,
    CMD_ACT,
    CMD_RUN,
    CMD_RUNS,
    CMD_DRILL,
    CMD_JOIN,
    CMD_DOCTOR
};

struct options {
    enum command command;
    const char *config;
    const char *lint_file;
    bool strict;    /* lint: warnings fail too */
    bool list_keys; /* --keys: every verb with its keys */
    bool json;
    bool read_only;
    const char *theme;
    const char *seed;
    const char *demo_mode;
    const char *demo_queues;
    const char *demo_alerts; /* an alert storm of N more alerts in the demo */
    int64_t exit_after_ms;
    long exit_after_frames;
    bool yes;
    bool act_list; /* act --list: every action of the config, for completions */
    bool run_ids;  /* runs --ids: the run ids alone, for completions */
    const char *input;
    const char *confirm; /* act --confirm TARGET: the typed confirmation a protected context asks */
    const char *act_args[4]; /* backend, pane, verb, target */
    int nact;
    const char *run_file;   /* run FILE */
    const char *run_resume; /* run --resume ID */
    const char *join_id;    /* join RUN-ID */
    bool projector;         /* join --projector */
    const char **run_vars;  /* --var k=v, NULL-terminated */
    int nrun_vars;
    bool plain, dry_run;
    bool drill_recover;        /* drill --recover */
    const char *drill_give_up; /* drill --give-up RUN-ID */
    const char *drill_guard;   /* drill --guard SPEC: the dead-man guard (a live drill starts it) */
    bool stop_all, release_lever; /* drill --stop-all [REASON], --release-lever */
    const char *lever_reason;
    bool drill_auto;         /* drill FILE --auto: unattended (tui/drillauto.h) */
    const char *report_to;   /* drill --auto --report-to URL */
    const char *drill_wheel; /* drill --wheel DIR (drillcmd.c) */
    const char *view;        /* --view NAME or a view string (tui/view.h) */

    const char **doctor_only; /* doctor --backend NAME..., NULL-terminated */
    size_t ndoctor_only;
    int64_t doctor_timeout_ms; /* doctor --timeout DUR; 0: per backend */
};

void args_parse(int argc, char **argv, struct options *o);

#endif
